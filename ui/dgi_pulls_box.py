"""The AHM DGI pull status on Import Data: per dealer the viewer may see, the last pulls (window,
counts, rejections, errors) and when the next one is due."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from core.accounts import Viewer
from core.intake import dgi, dgi_status
from core.platform import clock
from db.enums import JobState
from ui import context, fmt

PULL_STATES = {JobState.DONE: "selesai", JobState.FAILED: "gagal", JobState.RUNNING: "berjalan"}


def render(viewer: Viewer) -> None:
    """The DGI pull status of the viewer's dealers (nothing while DGI is not configured)."""
    try:
        dealers = dgi.load_dealers()
    except dgi.DgiError as exc:
        st.error(exc.message("id"))
        return
    if not dealers:
        return
    with context.read_session(viewer) as session:
        status = dgi_status.pull_status(session, viewer, dealers)
    with st.expander("Tarikan DGI (AHM)", expanded=False):
        if not status:
            st.write("Tidak ada dealer DGI untuk cabang Anda.")
        for dealer in status:
            due = ("sekarang" if dealer.next_due <= clock.now()
                   else fmt.datetime_id(dealer.next_due, dealer.timezone))
            st.markdown(f"**{dealer.dealer}** ({', '.join(dealer.branch_codes) or '-'}): tarikan berikutnya {due}")
            if not dealer.runs:
                st.caption("Belum pernah ditarik.")
                continue
            st.dataframe(pd.DataFrame([_pull_row(run, dealer.timezone) for run in dealer.runs]), hide_index=True,
                         key=f"intake_dgi_{dealer.dealer}")


def _counts(counts: dgi_status.PullCounts | None) -> str:
    if counts is None:
        return "-"
    rejected = "-" if counts.rejected is None else f"{counts.rejected:,}"
    return f"{counts.created:,} / {counts.updated:,} / {counts.unchanged:,} / {rejected}"


def _pull_row(run: dgi_status.PullRun, tz: str) -> dict[str, str]:
    return {"Jendela": f"{fmt.datetime_id(run.start, tz)} - {fmt.datetime_id(run.end, tz)}",
            "Status": PULL_STATES[run.state],
            "Penjualan (baru / diperbarui / tetap / ditolak)": _counts(run.sales),
            "Work order (baru / diperbarui / tetap / ditolak)": _counts(run.work_orders),
            "Record ditolak": "-" if run.rejections is None else f"{run.rejections:,}",
            "Galat": run.error or "",
            "Dijalankan": fmt.datetime_id(run.started_at, tz)}


