"""Import Data: upload a dealer export (CSV/Excel), check the guessed column mapping, preview the first rows
as they will be stored, import with a progress bar, then see the counts and download the rejected rows."""

from __future__ import annotations

import io

import pandas as pd
import streamlit as st

from core import intake, queries
from core.access import Perm
from core.errors import DomainError
from ui import context, fmt

NONE = "(tidak ada)"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FILE_KEY = "intake_file"  # (file name, DataFrame of strings)
RESULT_KEY = "intake_result"

viewer = context.require(Perm.CUSTOMER_CHANGE)
st.title("Import Data")

kind = st.radio("Jenis data", list(intake.KINDS), format_func=intake.KINDS.__getitem__, horizontal=True,
                key="intake_kind")
upload = st.file_uploader("File CSV atau Excel (.xlsx)", type=["csv", "xlsx"], key="intake_upload")
if upload is not None and st.session_state.get("intake_upload_id") != upload.file_id:
    try:
        st.session_state[FILE_KEY] = (upload.name, intake.read_table(upload, upload.name))
    except Exception as exc:  # an unreadable file: tell the user, keep the page
        st.error(f"File tidak bisa dibaca: {exc}")
        st.stop()
    st.session_state["intake_upload_id"] = upload.file_id
    st.session_state.pop(RESULT_KEY, None)
loaded = st.session_state.get(FILE_KEY)
if loaded is None:
    st.info("Unggah file ekspor dari sistem dealer (CSV dengan pemisah , atau ;, atau Excel .xlsx). "
            "Baris pertama berisi judul kolom.")
    st.stop()
name, frame = loaded
assert isinstance(frame, pd.DataFrame)
st.caption(f"**{name}**: {len(frame):,} baris, {len(frame.columns)} kolom")

with context.read_session(viewer) as session:
    branch_rows = queries.branches(session, viewer)
label_of = {o.id: o.label for o in branch_rows}
default_branch = st.selectbox("Cabang untuk baris tanpa kode cabang", [None, *label_of],
                              format_func=lambda b: "-" if b is None else label_of[b], key="intake_branch")

st.subheader("Kolom")
st.caption("Kolom file untuk setiap data; tebakan otomatis bisa diubah. Tanda * wajib diisi.")
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

st.subheader("Pratinjau (10 baris pertama)")
with context.read_session(viewer) as session:
    shown = intake.preview(session, viewer, kind, frame, mapping, branch_id=default_branch)
st.dataframe(shown, hide_index=True)

if st.button("Import", type="primary", key="intake_go"):
    bar = st.progress(0.0, text="Memeriksa data...")

    def on_progress(done: int, total: int) -> None:
        bar.progress(done / total if total else 1.0, text=f"{done:,} / {total:,} baris disimpan")

    try:
        imported = intake.import_dataframe(context.database(), viewer, kind, frame, mapping, name=name,
                                         branch_id=default_branch, progress=on_progress)
    except DomainError as error:
        fmt.show_error(error, viewer.lang)
    else:
        bar.progress(1.0, text="Selesai")
        st.session_state[RESULT_KEY] = imported

result = st.session_state.get(RESULT_KEY)
if isinstance(result, intake.ImportResult):
    c1, c2, c3, c4 = st.columns(4)
    c1.metric("Baru", f"{result.created:,}")
    c2.metric("Diperbarui", f"{result.updated:,}")
    c3.metric("Tidak berubah", f"{result.unchanged:,}")
    c4.metric("Ditolak (baris)", f"{result.rejected_rows:,}")
    if result.rejected:
        st.subheader("Baris yang ditolak")
        table = pd.DataFrame([{"Baris": r.row, "Kolom": r.column, "Nilai": r.value, "Alasan": r.reason}
                              for r in result.rejected[:5000]])
        st.dataframe(table, hide_index=True)
        buffer = io.BytesIO()
        intake.rejections_xlsx(result.rejected, buffer, frame)
        st.download_button("Unduh baris yang ditolak (.xlsx)", buffer.getvalue(), file_name="ditolak.xlsx",
                           mime=XLSX, key="intake_download")
    else:
        st.success("Semua baris berhasil diimpor.")
