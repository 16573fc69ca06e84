"""Grafik: the report charts per branch and for head office, one at a time (a phone shows one well),
each with the table behind it and a CSV download. The numbers come from the pre-aggregated daily
counts (core.reports.charts), so the page stays fast over millions of leads; it says how fresh they are."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from core.accounts import Perm
from core.leads import lookups
from core.platform import DomainError, ValidationError, cell_safety, clock, t
from core.reports import ChartQuery, arrival_vs_predicted, charts as report_charts
from ui import context, fmt
from ui.chart_axes import count_axis
from ui.words import tr

viewer = context.require(Perm.REPORT_VIEW)
lang = viewer.lang

CHARTS = {
    "status": tr("ui.ch.status", lang),
    "won_lost": tr("ui.rep.won_lost", lang),
    "weekly": tr("ui.ch.weekly", lang),
    "funnel": tr("ui.ch.funnel", lang),
    "touch": tr("ui.ch.touch", lang),
    "sla": tr("ui.ch.sla", lang),
    "retention": tr("ui.ch.retention", lang),
    "entry": tr("ui.ch.entry", lang),
    "admin": tr("ui.ch.admin", lang),
    "prediction": t("chart.prediction", viewer.lang),
}
COLORS = {"HOT": "#d62728", "MEDIUM": "#ff7f0e", "COLD": "#1f77b4", "Won": "#2ca02c", "Lost": "#d62728",
          tr("ui.rep.open", lang): "#7f7f7f"}
LAYOUT = {"height": 340, "margin": {"t": 10, "b": 10, "l": 10, "r": 10},
          "legend": {"orientation": "h", "y": -0.25}}  # the legend below: a 360-px phone keeps the bars

st.title(tr("ui.ch.title", lang))

with context.read_session(viewer) as session:
    branch_rows = lookups.branches(session, viewer)
    fresh = report_charts.freshness(session)
    tz = lookups.timezone(session, viewer)
label_of = {o.id: o.label for o in branch_rows}
today = clock.today_in(tz)

chart = st.selectbox(tr("ui.ch.title", lang), list(CHARTS), format_func=CHARTS.__getitem__, key="ch_chart")
c1, c2, c3 = st.columns(3)
start = c1.date_input(tr("ui.from", lang), value=today - dt.timedelta(weeks=12), format="DD/MM/YYYY", key="ch_from")
end = c2.date_input(tr("ui.to", lang), value=today, format="DD/MM/YYYY", key="ch_to")
branch_ids = c3.multiselect(tr("ui.branch", lang), list(label_of), format_func=label_of.__getitem__,
                            placeholder=tr("ui.all_branches", lang), key="ch_branches")
try:
    if not isinstance(start, dt.date) or not isinstance(end, dt.date):  # a range still being picked
        raise ValidationError("report.period", field="end", value=end)
    q = ChartQuery(start, end, tuple(branch_ids))
except DomainError as e:
    fmt.show_error(e, viewer.lang)
    st.stop()
if chart == "retention":  # cohorts are purchase months: look back over the KPB year
    q = replace(q, start=(q.start - dt.timedelta(days=365)).replace(day=1))
if fresh is None:
    st.caption(tr("ui.ch.not_counted", lang))
else:
    st.caption(tr("ui.ch.fresh", lang, at=clock.stamp(fresh, tz)))


def pivot(rows: list[tuple], index: str, keys: dict[str, str]) -> pd.DataFrame:
    """(index value, key, n) rows -> one column per key (a few dozen rows: display only)."""
    if not rows:
        return pd.DataFrame(columns=[index, *keys.values()])
    df = pd.DataFrame(rows, columns=[index, "key", "n"])
    out = df.pivot_table(index=index, columns="key", values="n", aggfunc="sum", fill_value=0)
    out = out.reindex(columns=list(keys), fill_value=0).rename(columns=keys).reset_index()
    if index == tr("ui.recap.week", lang) and len(out):
        out[tr("ui.recap.week", lang)] = [d.strftime("%d/%m/%Y") for d in out[tr("ui.recap.week", lang)]]
    return out


def bars(df: pd.DataFrame, x: str, barmode: str = "group", kind: str = "bar", counts: bool = True) -> None:
    if df.empty:
        st.caption(tr("ui.ch.no_data", lang))
        return
    cols = [c for c in df.columns if c != x]
    if kind == "line":
        fig = go.Figure([go.Scatter(name=c, x=df[x], y=df[c], mode="lines+markers") for c in cols])
    else:
        fig = go.Figure([go.Bar(name=c, x=df[x], y=df[c], marker_color=COLORS.get(c)) for c in cols])
    fig.update_layout(barmode=barmode, **LAYOUT)
    if counts:
        values = df[cols].apply(pd.to_numeric, errors="coerce").fillna(0)
        count_axis(fig, float((values.sum(axis=1) if barmode == "stack" else values.max(axis=1)).max()))
    st.plotly_chart(fig, key="ch_plot", width="stretch", config={"displaylogo": False})


with context.read_session(viewer) as session:
    if chart == "status":
        df = pivot(report_charts.by_branch(session, viewer, q, "temp"), tr("ui.branch", lang),
                   {"hot": "HOT", "medium": "MEDIUM", "cold": "COLD"})
        bars(df, tr("ui.branch", lang), "stack")
    elif chart == "won_lost":
        df = pivot(report_charts.by_branch(session, viewer, q, "stage"), tr("ui.branch", lang),
                   {"won": "Won", "lost": "Lost", "fu1": "FU1", "fu2": "FU2", "fu3": "FU3", "new": "New"})
        df[tr("ui.rep.open", lang)] = df[["FU1", "FU2", "FU3", "New"]].sum(axis=1) if len(df) else []
        df = df[[tr("ui.branch", lang), "Won", "Lost", tr("ui.rep.open", lang)]]
        bars(df, tr("ui.branch", lang))
    elif chart == "weekly":
        df = pivot(report_charts.by_week(session, viewer, q, "activity"), tr("ui.recap.week", lang),
                   {"reminded": tr("ui.recap.reminded", lang), "contacted": "Terhubung", "booked": "Booking",
                    "came": tr("ui.ch.came", lang),
                    "lost": "Lost"})
        bars(df, tr("ui.recap.week", lang), kind="line")
    elif chart == "funnel":
        df = pd.DataFrame(report_charts.funnel(session, viewer, q),
                          columns=[tr("ui.ch.stage", lang), tr("ui.count", lang)])
        if df[tr("ui.count", lang)].sum():
            fig = go.Figure(go.Funnel(y=df[tr("ui.ch.stage", lang)], x=df[tr("ui.count", lang)],
                                      textinfo="value+percent initial"))
            fig.update_layout(**LAYOUT)
            st.plotly_chart(fig, key="ch_plot", width="stretch", config={"displaylogo": False})
        else:
            st.caption(tr("ui.ch.no_data", lang))
    elif chart == "touch":
        totals = report_charts.by_key(session, viewer, q, "touch")
        pairs = sorted({k.rsplit(":", 1)[0] for k in totals})
        df = pd.DataFrame([(p.replace(":", " / "), totals.get(f"{p}:done", 0), totals.get(f"{p}:won", 0))
                           for p in pairs], columns=[tr("ui.ch.kind_channel", lang), tr("ui.ch.done", lang), "Won"])
        df[tr("ui.ch.conversion",
              lang)] = (100 * df["Won"] / df[tr("ui.ch.done",
                                                lang)].where(df[tr("ui.ch.done", lang)] > 0)).round(1).fillna(0)
        bars(df[[tr("ui.ch.kind_channel", lang), tr("ui.ch.done", lang), "Won"]], tr("ui.ch.kind_channel", lang))
    elif chart == "sla":
        df = pivot(report_charts.by_week(session, viewer, q, "sla"), tr("ui.recap.week", lang),
                   {"on_time": tr("ui.ch.on_time", lang), "late": tr("ui.ch.late", lang),
                    "open": tr("ui.ch.not_done", lang)})
        if len(df):
            done = df[tr("ui.ch.on_time", lang)] + df[tr("ui.ch.late", lang)] + df[tr("ui.ch.not_done", lang)]
            df[tr("ui.ch.on_time_pct",
                  lang)] = (100 * df[tr("ui.ch.on_time", lang)] / done.where(done > 0)).round(1).fillna(0)
        bars(df.drop(columns=[tr("ui.ch.on_time_pct", lang)], errors="ignore"), tr("ui.recap.week", lang), "stack")
    elif chart == "retention":
        rows = report_charts.by_month(session, viewer, q, "retention")
        df = pivot(rows, tr("ui.ch.cohort", lang),
                   {"sold": tr("ui.ch.sold", lang), "kpb1": "KPB 1", "kpb2": "KPB 2", "kpb3": "KPB 3",
                                    "kpb4": "KPB 4"})
        if len(df):
            for n in range(1, 5):
                sold = df[tr("ui.ch.sold", lang)]
                df[f"% KPB {n}"] = (100 * df[f"KPB {n}"] / sold.where(sold > 0)).round(1).fillna(0)
            df[tr("ui.ch.cohort", lang)] = [d.strftime("%m/%Y") for d in df[tr("ui.ch.cohort", lang)]]
        bars(df[[tr("ui.ch.cohort", lang), *[f"% KPB {n}" for n in range(1, 5)]]] if len(df) else df,
             tr("ui.ch.cohort", lang), kind="line", counts=False)
    elif chart == "prediction":  # the last 12 weeks up to the chosen end, per branch (table) and week (bars)
        names = [t(f"chart.prediction.{k}", lang) for k in ("due", "came", "error", "early")]
        week = tr("ui.recap.week", lang)
        df = pd.DataFrame(arrival_vs_predicted(session, viewer, q.end, q.branch_ids),
                          columns=[week, tr("ui.branch", lang), *names])
        weekly = df.groupby(week, as_index=False)[names[:2]].sum() if len(df) else df
        if len(df):
            weekly[week] = [d.strftime("%d/%m/%Y") for d in weekly[week]]
            df[week] = [d.strftime("%d/%m/%Y") for d in df[week]]
        bars(weekly[[week, *names[:2]]] if len(df) else weekly, week)
    elif chart == "entry":
        rows = report_charts.by_week(session, viewer, q, "entry")
        keys = sorted({k for _, k, _ in rows})
        df = pivot(rows, tr("ui.recap.week", lang), {k: k for k in keys})
        bars(df, tr("ui.recap.week", lang), "stack")
    else:
        df = pd.DataFrame(report_charts.admin_productivity(session, viewer, q),
                          columns=[tr("ui.branch", lang), "Admin", "Follow up"])
        if len(df):
            fig = go.Figure(go.Bar(x=df["Follow up"], y=df["Admin"] + " (" + df[tr("ui.branch", lang)] + ")",
                                   orientation="h"))
            fig.update_layout(**LAYOUT)
            count_axis(fig, float(df["Follow up"].max()), axis="x")
            st.plotly_chart(fig, key="ch_plot", width="stretch", config={"displaylogo": False})
        else:
            st.caption(tr("ui.ch.no_data", lang))

st.dataframe(df, hide_index=True, width="stretch", key="ch_table")
st.download_button(tr("ui.ch.download", lang), cell_safety.frame_csv(df), file_name=f"grafik-{chart}.csv",
                   mime="text/csv", key="ch_csv", on_click="ignore", disabled=df.empty)
