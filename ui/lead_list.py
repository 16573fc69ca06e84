"""The lead list's grid: every row of the page visible (no inner scroll box), a click on a row opens
the lead, and on a phone only the columns that matter (customer, unit and plate, stage, deadline).
A browser cannot tell the server its width, so both grids are sent and CSS shows the one that fits."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from core.leads import SORTS
from core.platform import register
from ui.words import tr

register({
    "ui.leads.unit": {"id": "Unit & No Polisi", "en": "Unit & plate"},
    "ui.leads.sort": {"id": "Urutkan", "en": "Sort by"},
    "ui.leads.sort.created_desc": {"id": "Dibuat: terbaru dulu", "en": "Created: newest first"},
    "ui.leads.sort.created_asc": {"id": "Dibuat: terlama dulu", "en": "Created: oldest first"},
    "ui.leads.sort.deadline_asc": {"id": "Deadline: terdekat dulu", "en": "Deadline: soonest first"},
    "ui.leads.sort.deadline_desc": {"id": "Deadline: terjauh dulu", "en": "Deadline: latest first"},
    "ui.leads.sort.number_asc": {"id": "Nomor lead: naik", "en": "Lead number: ascending"},
    "ui.leads.sort.number_desc": {"id": "Nomor lead: turun", "en": "Lead number: descending"},
    "ui.leads.sort.name_asc": {"id": "Nama customer: A-Z", "en": "Customer name: A-Z"},
    "ui.leads.sort.name_desc": {"id": "Nama customer: Z-A", "en": "Customer name: Z-A"},
    "ui.leads.sort.stage_asc": {"id": "Stage: Lead sampai Lost", "en": "Stage: Lead to Lost"},
})

PHONE_COLUMNS = ["name", "unit", "stage", "deadline"]
PHONE_MAX_PX = 640
WIDE_KEY, PHONE_KEY = "leads_table", "leads_table_phone"
_CSS = f"""<style>
@media (max-width:{PHONE_MAX_PX}px){{.st-key-leads_wide{{display:none}}}}
@media (min-width:{PHONE_MAX_PX + 1}px){{.st-key-leads_phone{{display:none}}}}
</style>"""


def sort_label(key: str, lang: str) -> str:
    return tr(f"ui.leads.sort.{key}", lang)


def sort_keys() -> list[str]:
    return list(SORTS)


def grid(table: pd.DataFrame, column_config: dict[str, Any]) -> int | None:
    """Both grids of one page of rows; the index of the row clicked in either, else None."""
    st.html(_CSS)
    chosen: int | None = None
    for container_key, key, columns in (("leads_wide", WIDE_KEY, None), ("leads_phone", PHONE_KEY, PHONE_COLUMNS)):
        with st.container(key=container_key):
            event = st.dataframe(table, hide_index=True, on_select="rerun", selection_mode="single-row", key=key,
                                 height="content", column_order=columns, column_config=column_config)
        rows = event.selection.rows if event is not None else []
        if rows and chosen is None and rows[0] < len(table):
            chosen = int(rows[0])
    return chosen
