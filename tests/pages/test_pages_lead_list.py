"""Issue 19.2: the lead list works like a list: a click on a row of either grid opens the lead, a phone's
grid holds only the columns that matter (all of a page's rows drawn without an inner scroll box is
checked in a browser: tests/test_screens.py)."""

from __future__ import annotations

from tests.helpers import new_lead
from ui.lead_list import PHONE_COLUMNS, PHONE_KEY, WIDE_KEY


def test_the_phone_grid_shows_customer_unit_stage_and_deadline_only(world, run_page):
    lead = new_lead(world)
    at = run_page("pages/leads.py", world.admin_sam)
    phone = at.dataframe(key=PHONE_KEY)
    assert list(phone.proto.column_order) == PHONE_COLUMNS == ["name", "unit", "stage", "deadline"]
    row = phone.value.iloc[0]
    assert row["name"] == "RESTU ANDIKA PRADANA PUTRA" and row["unit"] == "New Vario Techno 150 Plus · KT 2146 FK"
    assert row["deadline"] == "31/07/2020" and lead.number in set(at.dataframe(key=WIDE_KEY).value["number"])


def test_a_click_on_the_phone_grid_opens_the_lead(world, run_page):
    lead = new_lead(world)
    at = run_page("pages/leads.py", world.admin_sam)
    at.session_state[PHONE_KEY] = {"selection": {"rows": [0], "columns": [], "cells": []}}
    at.run()
    assert not at.exception and any(f"Buka lead {lead.number}" in i.value for i in at.info)
