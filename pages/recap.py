"""Rekap Mingguan & PICA: the weekly monitoring recap per branch and week (reminded, came for KPB,
came for regular service, did not come with reasons) and PICA (failed follow-ups by cause per branch
and admin, with the list behind each number, paged), plus the branch head's xlsx, and for branch heads
and head office the weekly recap e-mail's state (ui/recap_mail_box.py)."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from core.accounts import Perm
from core.leads import lookups
from core.platform import DomainError, ValidationError, cell_safety, clock
from core.reports import CAUSE_LABEL, CAUSES, Period, recap
from ui import context, fmt, recap_mail_box
from ui.chart_axes import count_axis
from ui.report_words import rw
from ui.words import tr

viewer = context.require(Perm.REPORT_VIEW)
lang = viewer.lang

PAGE_SIZE = 50
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

st.title(tr("ui.recap.title", lang))

with context.read_session(viewer) as session:
    branch_rows = lookups.branches(session, viewer)
    tz = lookups.timezone(session, viewer)
label_of = {o.id: o.label for o in branch_rows}
today = clock.today_in(tz)
monday = today - dt.timedelta(days=today.weekday())

c1, c2, c3 = st.columns(3)
start = c1.date_input(tr("ui.recap.week_from", lang), value=monday - dt.timedelta(weeks=3), format="DD/MM/YYYY",
                      key="rc_from")
end = c2.date_input(tr("ui.to", lang), value=today, format="DD/MM/YYYY", key="rc_to")
branch_ids = c3.multiselect(tr("ui.branch", lang), list(label_of), format_func=label_of.__getitem__,
                            placeholder=tr("ui.all_branches", lang), key="rc_branches")
try:
    if not isinstance(start, dt.date) or not isinstance(end, dt.date):  # a range still being picked
        raise ValidationError("report.period", field="end", value=end)
    period = Period(start - dt.timedelta(days=start.weekday()), end, tuple(branch_ids))
except DomainError as e:
    fmt.show_error(e, viewer.lang)
    st.stop()

with context.read_session(viewer) as session:
    weeks = recap.weekly_recap(session, viewer, period)
    reasons = recap.not_came_reasons(session, viewer, period)


def _download(df: pd.DataFrame, name: str, key: str) -> None:
    st.download_button(tr("ui.download_csv", lang), cell_safety.frame_csv(df), file_name=f"{name}.csv",
                       mime="text/csv", key=key, on_click="ignore")


st.subheader(tr("ui.recap.monitoring", lang))
recap_df = pd.DataFrame(
    [(r.branch, r.week.strftime("%d/%m/%Y"), r.reminded, r.came_kpb, r.came_reg, r.not_came) for r in weeks],
    columns=[tr("ui.branch", lang), tr("ui.recap.week", lang), tr("ui.recap.reminded", lang),
             tr("ui.recap.came_kpb", lang), tr("ui.recap.came_reg", lang), tr("ui.recap.not_came", lang)])
if recap_df.empty:
    st.caption(tr("ui.recap.none", lang))
else:
    # Weeks in calendar order on the chart (grouped by the date, then written dd/mm/yyyy), a few rows.
    week = tr("ui.recap.week", lang)
    by_week = recap_df.assign(**{week: [r.week for r in weeks]}).groupby(week)[
        [tr("ui.recap.reminded", lang), tr("ui.recap.came_kpb", lang), tr("ui.recap.came_reg", lang),
         tr("ui.recap.not_came", lang)]].sum().reset_index()
    by_week[week] = [fmt.date_id(w) for w in by_week[week]]
    fig = go.Figure([go.Bar(name=c, x=by_week[week], y=by_week[c]) for c in by_week.columns[1:]])
    fig.update_layout(barmode="group", height=320, margin={"t": 10, "b": 10, "l": 10, "r": 10},
                      legend={"orientation": "h", "y": -0.2})
    count_axis(fig, float(by_week[by_week.columns[1:]].max(axis=1).max()))
    st.plotly_chart(fig, key="rc_chart", width="stretch", config={"displaylogo": False})
st.dataframe(recap_df, hide_index=True, key="rc_table", width="stretch")
if not recap_df.empty:
    _download(recap_df, "rekap-mingguan", "rc_csv")

st.markdown(tr("ui.recap.reasons_head", lang))
reasons_df = pd.DataFrame([(b, w.strftime("%d/%m/%Y"), why, n) for b, w, why, n in reasons],
                          columns=[tr("ui.branch", lang), tr("ui.recap.week", lang), tr("ui.recap.reason", lang),
                                   tr("ui.count", lang)])
st.dataframe(reasons_df, hide_index=True, key="rc_reasons", width="stretch")

st.subheader(tr("ui.recap.pica_head", lang))
# PICA is read on Monday about the week that has just ended: it opens on last week, one week at a time.
WHOLE = -1  # the PICA picker's "whole period above"; otherwise how many weeks back from this one
back = st.selectbox(rw("recap.pica_week", viewer.lang), [WHOLE, *range(13)], index=2, key="rc_pica_week",
                    format_func=lambda n: rw("recap.whole_period", viewer.lang) if n == WHOLE else rw(
                        "recap.week_of", viewer.lang, start=fmt.date_id(monday - dt.timedelta(weeks=n)),
                        end=fmt.date_id(monday - dt.timedelta(weeks=n) + dt.timedelta(days=6))))
pica_start = monday - dt.timedelta(weeks=max(back, 0))
pica_period = period if back == WHOLE else Period(pica_start, pica_start + dt.timedelta(days=6), tuple(branch_ids))
with context.read_session(viewer) as session:
    pica = recap.pica_summary(session, viewer, pica_period)
pica_df = pd.DataFrame([(r.branch, r.admin, r.rejected, r.not_connected, r.not_followed, r.total) for r in pica],
                       columns=[tr("ui.branch", lang), "Admin", *CAUSE_LABEL.values(), "Total"])
st.dataframe(pica_df, hide_index=True, key="rc_pica", width="stretch")
if pica:
    _download(pica_df, "pica", "rc_pica_csv")
    c1, c2, c3 = st.columns([3, 2, 1])
    row_i = c1.selectbox(tr("ui.recap.pick_row", lang), range(len(pica)),
                         format_func=lambda i: f"{pica[i].branch} / {pica[i].admin}", key="rc_row")
    cause = c2.selectbox(tr("ui.recap.cause", lang), CAUSES, format_func=CAUSE_LABEL.__getitem__, key="rc_cause")
    chosen = pica[row_i or 0]
    count = {"rejected": chosen.rejected, "not_connected": chosen.not_connected,
             "not_followed": chosen.not_followed}[cause]
    pages = max(1, -(-count // PAGE_SIZE))
    page = int(c3.number_input(tr("ui.recap.page", lang), min_value=1, max_value=pages, value=1, key="rc_page"))
    with context.read_session(viewer) as session:
        items, total = recap.pica_items(session, viewer, pica_period, cause, branch_id=chosen.branch_id,
                                        user_id=chosen.user_id, page=page, page_size=PAGE_SIZE)
    st.caption(tr("ui.recap.items", lang, n=total, page=page, pages=pages))
    st.dataframe(pd.DataFrame([(i.day.strftime("%d/%m/%Y"), i.lead_number, i.customer, i.phone, i.channel, i.note)
                               for i in items],
                              columns=[tr("field.date", lang), tr("ui.leads.sort_number", lang), "Customer",
                                       tr("ui.phone", lang), tr("ui.channel", lang), tr("ui.col.note", lang)]),
                 hide_index=True, key="rc_items", width="stretch")

if viewer.can(Perm.REPORT_EXPORT):
    st.divider()
    if st.button(tr("ui.recap.prepare_xlsx", lang), key="rc_xlsx"):
        with context.read_session(viewer) as session:
            data = recap.recap_xlsx(session, viewer, period)
        st.download_button(tr("ui.recap.download_xlsx", lang), data,
                           file_name=f"rekap-mingguan-{period.start:%Y%m%d}.xlsx",
                           mime=XLSX, key="rc_xlsx_download", on_click="ignore")

if viewer.can(Perm.REPORT_EXPORT):  # branch heads and head office: the weekly e-mail's state
    recap_mail_box.render(viewer)
