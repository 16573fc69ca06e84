"""Laporan CRM: the seed's export wizard (Tipe Prospect, Tipe, Stage, Tanggal, Cabang) -> Excel or
CSV, with a preview count, and the charts per branch (prospect status, won/lost) with their tables."""

from __future__ import annotations

import datetime as dt
import os
import tempfile
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from core import reports
from core.accounts import Perm
from core.leads import lookups
from core.platform import DomainError, clock, settings
from core.reports import ReportFilter, export_jobs
from db.enums import Stage
from ui import context
from ui.fmt import show_error

KIND_LABEL: dict[reports.Kind, str] = {"all": "All", "leads": "Leads", "opportunity": "Opportunity"}
STAGE_CHOICES: dict[str, Stage | None] = {"All": None, "Follow Up 1": Stage.FU1, "Follow Up 2": Stage.FU2,
                                          "Follow Up 3": Stage.FU3, "Won": Stage.WON, "Lost": Stage.LOST}
MIME = {"xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "csv": "text/csv"}

viewer = context.require(Perm.REPORT_VIEW)
st.title("Laporan CRM")

with context.read_session(viewer) as session:
    branch_rows = lookups.branches(session, viewer)
    tz = lookups.timezone(session, viewer)
    up_to = lookups.latest_today(session, viewer)  # a lead made after midnight in Manado is in "today"
label_of = {o.id: o.label for o in branch_rows}
today = clock.today_in(tz)

c1, c2, c3 = st.columns(3)
c1.selectbox("Tipe Prospect", ["H23"], disabled=True, key="rep_prospect")
kind = c2.selectbox("Tipe", list(KIND_LABEL), format_func=KIND_LABEL.__getitem__, key="rep_kind")
stage_label = "All"
if kind == "opportunity":
    stage_label = c3.selectbox("Stage", list(STAGE_CHOICES), key="rep_stage")
c1, c2, c3 = st.columns(3)
created_from = c1.date_input("Tanggal dari", value=today.replace(day=1), format="DD/MM/YYYY", key="rep_from")
created_to = c2.date_input("Tanggal sampai", value=up_to, format="DD/MM/YYYY", key="rep_to")
branch_ids = c3.multiselect("Cabang", list(label_of), format_func=label_of.__getitem__,
                            placeholder="Semua cabang", key="rep_branches")

try:
    report_filter = ReportFilter(
        kind=kind if kind in KIND_LABEL else "all",
        stage=STAGE_CHOICES.get(stage_label) if kind == "opportunity" else None,
        created_from=created_from if isinstance(created_from, dt.date) else None,
        created_to=created_to if isinstance(created_to, dt.date) else None,
        branch_ids=tuple(branch_ids))
except DomainError as e:
    show_error(e, viewer.lang)
    st.stop()

with context.read_session(viewer) as session:
    total = reports.count_rows(session, viewer, report_filter)
    status_rows = reports.prospect_status_by_branch(session, viewer, report_filter)
    won_lost_rows = reports.won_lost_by_branch(session, viewer, report_filter)
st.markdown(f"**{total:,}** baris akan diekspor.".replace(",", "."))


def _export(fmt: str) -> None:
    """Write the file to a temp file (constant memory), audit it, then offer it for download."""
    fd, path = tempfile.mkstemp(prefix="laporan-crm-", suffix=f".{fmt}")
    os.close(fd)
    try:
        bar = st.progress(0.0, text="Menyiapkan laporan...")

        def progress(n: int) -> None:
            bar.progress(min(1.0, n / total) if total else 1.0, text=f"{n:,} baris".replace(",", "."))

        viewer.require(Perm.REPORT_EXPORT)
        with context.read_session(viewer) as session:  # the rows stream; the audit gets its own short write
            if fmt == "xlsx":
                n = reports.write_xlsx_fast(session, viewer, report_filter, path, progress)
            else:  # formatted (PostgreSQL: written) by the database
                n = reports.write_csv_fast(session, viewer, report_filter, path, progress)
        with context.write_session(viewer) as ws:
            reports.record_export(ws, viewer, report_filter, fmt, n)
        bar.empty()
        with open(path, "rb") as fh:
            data = fh.read()
    finally:
        os.unlink(path)
    stamp = clock.now().strftime("%Y%m%d-%H%M")
    st.success(f"{n:,} baris siap diunduh.".replace(",", "."))
    st.download_button(f"Unduh {fmt.upper()}", data, file_name=f"laporan-crm-{stamp}.{fmt}", mime=MIME[fmt],
                       key=f"rep_download_{fmt}", on_click="ignore")


def _queue(fmt: str) -> None:
    """A large export runs in the worker; the list below shows its progress and, when done, its file."""
    with context.write_session(viewer) as ws:
        export_jobs.request_export(ws, viewer, report_filter, fmt, total)
    st.info("Laporan besar dibuat di latar belakang: lihat kemajuannya di bawah.")


def _file_reader(path: Path) -> Callable[[], bytes]:
    return lambda: path.read_bytes()  # read only when the user clicks


@st.fragment(run_every=3)
def _background_exports() -> None:
    with context.read_session(viewer) as session:
        jobs = export_jobs.jobs_for(session, viewer)
    if not jobs:
        return
    st.markdown("**Ekspor latar belakang**")
    for job in jobs:
        label = clock.stamp(job.created_at, tz)
        head = f"{label} · {job.fmt.upper()} · {job.description}"
        if job.state in ("queued", "running"):
            share = min(1.0, job.done_rows / job.total) if job.total else 0.0
            st.progress(share, text=f"{head}: {job.done_rows:,} / {job.total:,} baris".replace(",", "."))
        elif job.state == "done" and job.path:
            st.download_button(f"Unduh {job.fmt.upper()} ({job.done_rows:,} baris)".replace(",", "."),
                               _file_reader(Path(job.path)), file_name=job.file_name or f"laporan.{job.fmt}",
                               mime=MIME[job.fmt], key=f"rep_job_{job.id}", on_click="ignore", help=head)
        elif job.state == "failed":
            st.error(f"{head}: gagal ({job.error or '-'})")
        else:
            st.caption(f"{head}: file sudah dihapus (disimpan {keep_hours} jam)")


if viewer.can(Perm.REPORT_EXPORT):
    with context.read_session(viewer) as session:
        background_rows = settings.get(session, "reports.background_rows")
        keep_hours = settings.get(session, "reports.export_keep_hours")
    in_background = total > background_rows
    if in_background:
        st.caption(f"Lebih dari {background_rows:,} baris: dibuat di latar belakang, file disimpan "
                   f"{keep_hours} jam.".replace(",", "."))
    b1, b2, _ = st.columns([1, 1, 4])
    if b1.button("Export Excel", type="primary", key="rep_xlsx", disabled=not total):
        (_queue if in_background else _export)("xlsx")
    if b2.button("Export CSV", key="rep_csv", disabled=not total):
        (_queue if in_background else _export)("csv")
    _background_exports()

st.divider()
st.subheader("Opportunity Status per cabang")
status_df = pd.DataFrame(status_rows, columns=["Cabang", "HOT", "MEDIUM", "COLD"])
if status_df.empty:
    st.caption("Tidak ada opportunity terbuka pada periode ini.")
else:
    fig = go.Figure([go.Bar(name=k, x=status_df["Cabang"], y=status_df[k], marker_color=c)
                     for k, c in (("HOT", "#d62728"), ("MEDIUM", "#ff7f0e"), ("COLD", "#1f77b4"))])
    fig.update_layout(barmode="stack", height=320, margin={"t": 10, "b": 10})
    st.plotly_chart(fig, key="rep_status_chart", config={"displaylogo": False})
st.dataframe(status_df, hide_index=True, key="rep_status_table")

st.subheader("Won / Lost per cabang")
won_df = pd.DataFrame(won_lost_rows, columns=["Cabang", "Won", "Lost", "Open"])
if won_df.empty:
    st.caption("Tidak ada opportunity pada periode ini.")
else:
    fig = go.Figure([go.Bar(name=k, x=won_df["Cabang"], y=won_df[k], marker_color=c)
                     for k, c in (("Won", "#2ca02c"), ("Lost", "#d62728"), ("Open", "#7f7f7f"))])
    fig.update_layout(barmode="group", height=320, margin={"t": 10, "b": 10})
    st.plotly_chart(fig, key="rep_won_chart", config={"displaylogo": False})
st.dataframe(won_df, hide_index=True, key="rep_won_table")
