"""Issue 19.1: the lead form's read-only facts: an empty value is an em dash (never a heading), and
no user value is read as Markdown or HTML."""

from __future__ import annotations

import datetime as dt
import html
import re

from sqlalchemy import update

from core.platform import clock
from db.models import Lead
from tests.helpers import FIXED_NOW, opportunity_at

TRICKY_NOTE = "# BESAR\n===\n**tebal** <b>x</b> :red[merah] $x$"


def _facts(at) -> str:
    return "\n".join(h.proto.body for h in at.html)


def test_empty_facts_show_an_em_dash_and_no_heading(world, run_page):
    opp = opportunity_at(world, 0)  # a new opportunity: no follow up, no promise, no note yet
    with clock.frozen(FIXED_NOW):
        at = run_page("pages/lead.py", world.admin_sam, query={"id": str(opp.id)})
    assert not at.exception
    shown = _facts(at)
    cells = dict(re.findall(r"<dt>(.*?)</dt><dd>(.*?)</dd>", shown))
    assert cells["Follow Up 1"] == "—" and cells["Tanggal janji datang"] == "—" and cells["Note"] == "—"
    assert cells["KPB Ke"] == "3"
    assert "<h" not in shown
    # Nothing else on the page draws a bare "-" line under a label (Markdown makes that a heading).
    assert not [m.value for m in at.markdown if re.search(r"\n-\s*$", m.value)]


def test_a_note_is_shown_as_typed_never_as_markdown(world, run_page):
    opp = opportunity_at(world, 1)
    with world.db.transaction(None, system=True) as s:
        s.execute(update(Lead).where(Lead.id == opp.id).values(note=TRICKY_NOTE))
    with clock.frozen(FIXED_NOW):
        at = run_page("pages/lead.py", world.admin_sam, query={"id": str(opp.id)})
    assert not at.exception
    assert html.escape(TRICKY_NOTE) in _facts(at)  # every character as typed, escaped
    assert "<b>x</b>" not in _facts(at)
    assert not [m.value for m in at.markdown if "BESAR" in m.value]


def test_the_booking_dialog_has_the_memos_fields_and_the_next_free_slot(world, run_page):
    """Issue 19.8: service type, KPB number and mobile on the dialog, the slot in the future."""
    from core.pipeline.stages import mark_won

    opp = opportunity_at(world, 1)
    with clock.frozen(FIXED_NOW), world.db.transaction(world.admin_sam.scope) as s:  # 11:00 WITA
        mark_won(s, world.admin_sam, opp.id)
    with clock.frozen(FIXED_NOW):
        at = run_page("pages/lead.py", world.admin_sam, query={"id": str(opp.id)})
        at.button(key="opp_booking").click().run()
    assert at.selectbox(key="bk_kind").value.value == "KPB" and at.selectbox(key="bk_kpb").value == 3
    assert at.text_input(key="bk_mobile").value == "0858-4516-4510"
    assert (at.date_input(key="bk_day").value, at.selectbox(key="bk_hour").value,
            at.selectbox(key="bk_minute").value) == (dt.date(2020, 7, 10), 11, 15)
