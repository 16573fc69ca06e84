"""The floor of the browser load run (bench/screens_browser.py): the plainest Streamlit page that does
the same interaction as a row of Hari ini, with no login, menu, permissions or core code.

`?cabang=<code>` lists that branch's first 30 (`&rows=`) planned touches by one raw SELECT; each row is a fragment
with the same status control and a Simpan button whose save is one committed UPDATE of the touch (it
rewrites the row's note with its own value, so the benchmark data stays as it was)."""

from __future__ import annotations

import os

import streamlit as st
from sqlalchemy import Engine, create_engine, text

STATUSES = ["Terhubung", "Tidak Terhubung", "Salah Sambung", "Rejected"]


@st.cache_resource
def _engine() -> Engine:
    return create_engine(os.environ["DATABASE_URL"])


@st.fragment
def _row(touch_id: int, kind: str, due: str) -> None:
    with st.container(border=True):
        st.markdown(f"**Touch {touch_id}**")
        st.caption(f"{kind} · {due}")
        done = f"done_{touch_id}"
        if done in st.session_state:
            st.success(st.session_state[done])
            return
        slot = st.empty()
        with slot.container():
            st.segmented_control("Status customer", STATUSES, key=f"status_{touch_id}")
            if not st.button("Simpan", key=f"save_{touch_id}"):
                return
            with _engine().begin() as conn:
                conn.execute(text("UPDATE touch SET note = note WHERE id = :id"), {"id": touch_id})
        st.session_state[done] = "Tercatat: Follow Up 1"
        slot.success(st.session_state[done])


code = st.query_params.get("cabang", "")
rows_shown = int(st.query_params.get("rows", "30"))  # Hari ini shows 30 rows of a kind
st.title("Hari ini")
with _engine().connect() as conn:
    rows = conn.execute(text(
        "SELECT t.id, t.kind, t.due_on FROM touch t JOIN branch b ON b.id = t.branch_id "
        "WHERE b.code = :code AND t.state = 'planned' ORDER BY t.due_on, t.id LIMIT :n"),
        {"code": code, "n": rows_shown}).all()
for touch_id, kind, due in rows:
    _row(touch_id, str(kind), str(due))
