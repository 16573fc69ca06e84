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

viewer = context.require(Perm.REPORT_VIEW)
CHARTS = {
    "status": "Opportunity Status (HOT/MEDIUM/COLD) per cabang",
    "won_lost": "Won / Lost per cabang",
    "weekly": "Mingguan Kepala Bengkel",
    "funnel": "Funnel",
    "touch": "Konversi per jenis kontak dan kanal",
    "sla": "SLA: kontak tepat waktu",
    "retention": "Retensi KPB per kohort penjualan",
    "entry": "Unit entry per minggu",
    "admin": "Produktivitas admin",
    "prediction": t("chart.prediction", viewer.lang),
}
COLORS = {"HOT": "#d62728", "MEDIUM": "#ff7f0e", "COLD": "#1f77b4", "Won": "#2ca02c", "Lost": "#d62728",
          "Open": "#7f7f7f"}
LAYOUT = {"height": 340, "margin": {"t": 10, "b": 10, "l": 10, "r": 10},
          "legend": {"orientation": "h", "y": -0.25}}  # the legend below: a 360-px phone keeps the bars

st.title("Grafik")

with context.read_session(viewer) as session:
    branch_rows = lookups.branches(session, viewer)
    fresh = report_charts.freshness(session)
    tz = lookups.timezone(session, viewer)
label_of = {o.id: o.label for o in branch_rows}
today = clock.today_in(tz)

chart = st.selectbox("Grafik", list(CHARTS), format_func=CHARTS.__getitem__, key="ch_chart")
c1, c2, c3 = st.columns(3)
start = c1.date_input("Dari", value=today - dt.timedelta(weeks=12), format="DD/MM/YYYY", key="ch_from")
end = c2.date_input("Sampai", value=today, format="DD/MM/YYYY", key="ch_to")
branch_ids = c3.multiselect("Cabang", list(label_of), format_func=label_of.__getitem__,
                            placeholder="Semua cabang", key="ch_branches")
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
    st.caption("Data belum dihitung: worker menghitungnya tiap 10 menit.")
else:
    st.caption(f"Data per {clock.stamp(fresh, tz)} (dihitung ulang tiap 10 menit)")


def pivot(rows: list[tuple], index: str, keys: dict[str, str]) -> pd.DataFrame:
    """(index value, key, n) rows -> one column per key (a few dozen rows: display only)."""
    if not rows:
        return pd.DataFrame(columns=[index, *keys.values()])
    df = pd.DataFrame(rows, columns=[index, "key", "n"])
    out = df.pivot_table(index=index, columns="key", values="n", aggfunc="sum", fill_value=0)
    out = out.reindex(columns=list(keys), fill_value=0).rename(columns=keys).reset_index()
    if index == "Minggu" and len(out):
        out["Minggu"] = [d.strftime("%d/%m/%Y") for d in out["Minggu"]]
    return out


def bars(df: pd.DataFrame, x: str, barmode: str = "group", kind: str = "bar", counts: bool = True) -> None:
    if df.empty:
        st.caption("Tidak ada data pada periode ini.")
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
        df = pivot(report_charts.by_branch(session, viewer, q, "temp"), "Cabang",
                   {"hot": "HOT", "medium": "MEDIUM", "cold": "COLD"})
        bars(df, "Cabang", "stack")
    elif chart == "won_lost":
        df = pivot(report_charts.by_branch(session, viewer, q, "stage"), "Cabang",
                   {"won": "Won", "lost": "Lost", "fu1": "FU1", "fu2": "FU2", "fu3": "FU3", "new": "New"})
        df["Open"] = df[["FU1", "FU2", "FU3", "New"]].sum(axis=1) if len(df) else []
        df = df[["Cabang", "Won", "Lost", "Open"]]
        bars(df, "Cabang")
    elif chart == "weekly":
        df = pivot(report_charts.by_week(session, viewer, q, "activity"), "Minggu",
                   {"reminded": "Diingatkan", "contacted": "Terhubung", "booked": "Booking", "came": "Datang",
                    "lost": "Lost"})
        bars(df, "Minggu", kind="line")
    elif chart == "funnel":
        df = pd.DataFrame(report_charts.funnel(session, viewer, q), columns=["Tahap", "Jumlah"])
        if df["Jumlah"].sum():
            fig = go.Figure(go.Funnel(y=df["Tahap"], x=df["Jumlah"], textinfo="value+percent initial"))
            fig.update_layout(**LAYOUT)
            st.plotly_chart(fig, key="ch_plot", width="stretch", config={"displaylogo": False})
        else:
            st.caption("Tidak ada data pada periode ini.")
    elif chart == "touch":
        totals = report_charts.by_key(session, viewer, q, "touch")
        pairs = sorted({k.rsplit(":", 1)[0] for k in totals})
        df = pd.DataFrame([(p.replace(":", " / "), totals.get(f"{p}:done", 0), totals.get(f"{p}:won", 0))
                           for p in pairs], columns=["Jenis / kanal", "Dilakukan", "Won"])
        df["Konversi %"] = (100 * df["Won"] / df["Dilakukan"].where(df["Dilakukan"] > 0)).round(1).fillna(0)
        bars(df[["Jenis / kanal", "Dilakukan", "Won"]], "Jenis / kanal")
    elif chart == "sla":
        df = pivot(report_charts.by_week(session, viewer, q, "sla"), "Minggu",
                   {"on_time": "Tepat waktu", "late": "Terlambat", "open": "Belum dilakukan"})
        if len(df):
            done = df["Tepat waktu"] + df["Terlambat"] + df["Belum dilakukan"]
            df["% tepat waktu"] = (100 * df["Tepat waktu"] / done.where(done > 0)).round(1).fillna(0)
        bars(df.drop(columns=["% tepat waktu"], errors="ignore"), "Minggu", "stack")
    elif chart == "retention":
        rows = report_charts.by_month(session, viewer, q, "retention")
        df = pivot(rows, "Kohort", {"sold": "Terjual", "kpb1": "KPB 1", "kpb2": "KPB 2", "kpb3": "KPB 3",
                                    "kpb4": "KPB 4"})
        if len(df):
            for n in range(1, 5):
                df[f"% KPB {n}"] = (100 * df[f"KPB {n}"] / df["Terjual"].where(df["Terjual"] > 0)).round(1).fillna(0)
            df["Kohort"] = [d.strftime("%m/%Y") for d in df["Kohort"]]
        bars(df[["Kohort", *[f"% KPB {n}" for n in range(1, 5)]]] if len(df) else df, "Kohort", kind="line",
             counts=False)
    elif chart == "prediction":  # the last 12 weeks up to the chosen end, per branch (table) and week (bars)
        lang = viewer.lang
        names = [t(f"chart.prediction.{k}", lang) for k in ("due", "came", "error", "early")]
        df = pd.DataFrame(arrival_vs_predicted(session, viewer, q.end, q.branch_ids),
                          columns=["Minggu", "Cabang", *names])
        weekly = df.groupby("Minggu", as_index=False)[names[:2]].sum() if len(df) else df
        if len(df):
            weekly["Minggu"] = [d.strftime("%d/%m/%Y") for d in weekly["Minggu"]]
            df["Minggu"] = [d.strftime("%d/%m/%Y") for d in df["Minggu"]]
        bars(weekly[["Minggu", *names[:2]]] if len(df) else weekly, "Minggu")
    elif chart == "entry":
        rows = report_charts.by_week(session, viewer, q, "entry")
        keys = sorted({k for _, k, _ in rows})
        df = pivot(rows, "Minggu", {k: k for k in keys})
        bars(df, "Minggu", "stack")
    else:
        df = pd.DataFrame(report_charts.admin_productivity(session, viewer, q),
                          columns=["Cabang", "Admin", "Follow up"])
        if len(df):
            fig = go.Figure(go.Bar(x=df["Follow up"], y=df["Admin"] + " (" + df["Cabang"] + ")", orientation="h"))
            fig.update_layout(**LAYOUT)
            count_axis(fig, float(df["Follow up"].max()), axis="x")
            st.plotly_chart(fig, key="ch_plot", width="stretch", config={"displaylogo": False})
        else:
            st.caption("Tidak ada data pada periode ini.")

st.dataframe(df, hide_index=True, width="stretch", key="ch_table")
st.download_button("Unduh tabel (CSV)", cell_safety.frame_csv(df), file_name=f"grafik-{chart}.csv",
                   mime="text/csv", key="ch_csv", on_click="ignore", disabled=df.empty)
