"""Import Data: upload a dealer export (CSV/Excel), check the guessed column mapping, preview the first rows
as they will be stored, import with a progress bar, then see the counts and download the rejected rows.
A large file goes to the background worker (resumed if it stops); the page follows its progress."""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd
import streamlit as st

from core import intake
from core.accounts import Perm
from core.intake import jobs as intake_jobs, upload_limits
from core.leads import lookups
from core.platform import DomainError
from ui import context, dgi_pulls_box, fmt
from ui.words import tr

viewer = context.require(Perm.CUSTOMER_CHANGE)
lang = viewer.lang

NONE = "(tidak ada)"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FILE_KEY = "intake_file"  # (file name, DataFrame of strings: the whole file, or the head of a large one)
STORED_KEY = "intake_stored"  # a large upload's copy under data/imports/, imported by the worker
RESULT_KEY = "intake_result"
JOB_KEY = "intake_job"
INLINE_XLSX_KEY = "intake_xlsx_inline"  # the rejections xlsx of the last import run on this page
DATE_ORDERS = {False: tr("ui.in.dmy", lang), True: tr("ui.in.mdy", lang)}

st.title(tr("ui.in.title", lang))



dgi_pulls_box.render(viewer)

kind = st.radio(tr("ui.in.kind", lang), list(intake.KINDS), horizontal=True,
                format_func=lambda k: tr({"sales": "ui.in.kind_sales"}.get(k, "ui.in.kind_wo"), lang),
                key="intake_kind")
upload = st.file_uploader(tr("ui.in.file", lang), type=["csv", "xlsx"], key="intake_upload")
if upload is not None and st.session_state.get("intake_upload_id") != upload.file_id:
    try:
        with context.read_session(viewer) as session:
            limits = upload_limits.limits(session)
        frame, stored = intake_jobs.read_upload(upload, upload.name, limits)  # checked before it is read
        st.session_state[FILE_KEY] = (upload.name, frame)
        if stored is None:
            st.session_state.pop(STORED_KEY, None)
        else:
            st.session_state[STORED_KEY] = str(stored)
    except DomainError as error:  # past the upload limits: what was measured and the limit
        fmt.show_error(error, viewer.lang)
        st.stop()
    except Exception as exc:  # an unreadable file: tell the user, keep the page
        st.error(f"File tidak bisa dibaca: {exc}")
        st.stop()
    st.session_state["intake_upload_id"] = upload.file_id
    st.session_state.pop(RESULT_KEY, None)
    st.session_state.pop(JOB_KEY, None)
loaded = st.session_state.get(FILE_KEY)
if loaded is None:
    st.info(tr("ui.in.upload_help", lang))
    st.stop()
name, frame = loaded
assert isinstance(frame, pd.DataFrame)
stored_path = st.session_state.get(STORED_KEY)
if stored_path:
    st.caption(f"**{name}**: file besar, {len(frame.columns)} kolom; diimpor di latar belakang oleh worker "
               "(halaman ini boleh ditutup)")
else:
    st.caption(f"**{name}**: {len(frame):,} baris, {len(frame.columns)} kolom")

with context.read_session(viewer) as session:
    branch_rows = lookups.branches(session, viewer)
label_of = {o.id: o.label for o in branch_rows}
default_branch = st.selectbox(tr("ui.in.default_branch", lang), [None, *label_of],
                              format_func=lambda b: "-" if b is None else label_of[b], key="intake_branch")
month_first = st.radio(tr("ui.in.date_order", lang), list(DATE_ORDERS), format_func=DATE_ORDERS.__getitem__,
                       horizontal=True, key="intake_month_first",
                       help=tr("ui.in.date_order_help", lang))

st.subheader(tr("ui.in.columns", lang))
st.caption(tr("ui.in.columns_help", lang))
guessed = {fld: header for header, fld in intake.guess_mapping(frame.columns).items()}
headers = [NONE, *map(str, frame.columns)]
mapping: dict[str, str] = {}
grid = st.columns(3)
for i, fld in enumerate(intake.KIND_FIELDS[kind]):
    required = fld in intake.REQUIRED[kind]
    choice = grid[i % 3].selectbox(intake.FIELDS[fld] + (" *" if required else ""), headers,
                                   index=headers.index(guessed[fld]) if fld in guessed else 0,
                                   key=f"intake_map_{kind}_{fld}")
    if choice != NONE:
        mapping[choice] = fld

st.subheader(tr("ui.in.preview", lang))
with context.read_session(viewer) as session:
    shown = intake.preview(session, viewer, kind, frame, mapping, branch_id=default_branch, month_first=month_first)
st.dataframe(shown, hide_index=True)

def show_result(result: intake.ImportResult, rejected_rows: int, rejections: list[intake.Rejection],
                rows_of: pd.DataFrame | Path, download_key: str) -> None:
    c1, c2, c3, c4 = st.columns(4)
    c1.metric(tr("ui.in.created", lang), f"{result.created:,}")
    c2.metric(tr("ui.in.updated", lang), f"{result.updated:,}")
    c3.metric(tr("ui.in.unchanged", lang), f"{result.unchanged:,}")
    c4.metric(tr("ui.in.rejected", lang), f"{rejected_rows:,}")
    if not rejections:
        st.success(tr("ui.in.all_ok", lang))
        return
    st.subheader(tr("ui.in.rejected_head", lang))
    table = pd.DataFrame([{"Baris": r.row, tr("ui.in.columns", lang): r.column, "Nilai": r.value, "Alasan": r.reason}
                          for r in rejections[:5000]])
    st.dataframe(table, hide_index=True)
    if download_key not in st.session_state:  # built once: a large file is read again to write it
        buffer = io.BytesIO()
        if isinstance(rows_of, Path):
            intake.rejections_xlsx(rejections, buffer, source=rows_of)
        else:
            intake.rejections_xlsx(rejections, buffer, rows_of)
        st.session_state[download_key] = buffer.getvalue()
    st.download_button(tr("ui.in.download", lang), st.session_state[download_key], file_name="ditolak.xlsx",
                       mime=XLSX, key="intake_download")


@st.fragment(run_every=2)
def follow_job(job_id: int) -> None:
    """The background import's progress, refreshed every 2 s; the whole page shows the result once it ends."""
    status = intake_jobs.job_status(context.database(), viewer, job_id)
    if status.finished:
        st.rerun()
    waiting = status.state == intake_jobs.ImportState.QUEUED
    total = f" / {status.total_rows:,}" if status.total_rows else ""
    st.progress(status.fraction, text=tr("ui.in.waiting", lang) if waiting
                else f"{status.rows_done:,}{total} baris disimpan")


def job_result(status: intake_jobs.JobStatus) -> None:
    database = context.database()
    if status.state == intake_jobs.ImportState.FAILED:
        st.error(f"Import gagal setelah {status.rows_done:,} baris: {status.error}")
    else:
        st.progress(1.0, text=tr("ui.done", lang))
    rejections = intake_jobs.job_rejections(database, viewer, status.id)
    show_result(status.result, status.rejected_rows, rejections, intake_jobs.job_path(database, viewer, status.id),
                f"intake_xlsx_job_{status.id}")


if st.button("Import", type="primary", key="intake_go"):
    if stored_path:
        try:
            st.session_state[JOB_KEY] = intake_jobs.queue_import(
                context.database(), viewer, kind, Path(stored_path), name, mapping, branch_id=default_branch,
                month_first=month_first)
        except DomainError as error:
            fmt.show_error(error, viewer.lang)
    else:
        bar = st.progress(0.0, text=tr("ui.in.checking", lang))

        def on_progress(done: int, total: int) -> None:
            bar.progress(done / total if total else 1.0, text=f"{done:,} / {total:,} baris diperiksa dan disimpan")

        try:
            imported = intake.import_dataframe(context.database(), viewer, kind, frame, mapping, name=name,
                                             branch_id=default_branch, progress=on_progress,
                                             month_first=month_first)
        except DomainError as error:
            fmt.show_error(error, viewer.lang)
        else:
            bar.progress(1.0, text=tr("ui.done", lang))
            st.session_state[RESULT_KEY] = imported
            st.session_state.pop(INLINE_XLSX_KEY, None)

job = st.session_state.get(JOB_KEY)
result = st.session_state.get(RESULT_KEY)
if isinstance(job, int):
    job_status = intake_jobs.job_status(context.database(), viewer, job)
    if job_status.finished:
        job_result(job_status)
    else:
        follow_job(job)
elif isinstance(result, intake.ImportResult):
    show_result(result, result.rejected_rows, result.rejected, frame, INLINE_XLSX_KEY)
