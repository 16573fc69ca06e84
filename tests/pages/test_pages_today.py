"""Issue 5: "Hari ini" through AppTest: the branch's due and overdue touches, and logging an outcome
from a row's own widgets."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from core.platform import clock
from db.enums import ContactStatus, Stage, TouchKind, TouchState
from db.models import Lead, Touch
from tests.helpers import new_lead

D = dt.date
H3_DAY = dt.datetime(2020, 7, 28, 1, 0, tzinfo=dt.UTC)  # 28/07/2020 09:00 WITA


def _texts(at) -> str:
    parts = [e.value for kind in ("markdown", "caption", "title", "error", "warning", "info", "success")
             for e in getattr(at, kind)]
    return "\n".join(str(p) for p in parts)


def _touch_id(world, lead_id, kind) -> int:
    with world.db.session(None, system=True) as s:
        return s.scalar(select(Touch.id).where(Touch.lead_id == lead_id, Touch.kind == kind))


def test_the_page_lists_the_branchs_due_touches_with_overdue_ones_marked(world, run_page):
    sam = new_lead(world, deadline=D(2020, 7, 31))  # WA 24/07 (overdue on 28/07), call 28/07
    man = new_lead(world, world.admin_man, customer=world.customer_man, vehicle=world.vehicle_man,
                   deadline=D(2020, 7, 31))
    with clock.frozen(H3_DAY):
        at = run_page("pages/today.py", world.admin_sam)
    assert not at.exception, at.exception
    text = _texts(at)
    assert "RESTU ANDIKA PRADANA PUTRA" in text and sam.number in text and "KT 2146 FK" in text
    assert "KPB 3" in text and "Deadline 31/07/2020" in text and "0858-4516-4510" in text
    assert man.number not in text and "SULTJE" not in text
    assert "Terlambat · 24/07/2020" in text  # the H-7 message, two days late
    metrics = {m.label: (m.value, m.delta) for m in at.metric}
    assert metrics["WhatsApp H-7"] == ("0", "1 terlambat") and metrics["Telepon H-3"] == ("1", "")
    links = {b.proto.label: b.proto.url for b in at.get("link_button")}
    assert links["WhatsApp"].startswith("https://wa.me/6285845164510?text=Halo")
    at.button_group(key="today_kind").set_value(TouchKind.CALL_H3).run()  # one kind's rows at a time
    links = {b.proto.label: b.proto.url for b in at.get("link_button")}
    assert links["Telepon"] == "tel:+6285845164510" and "WhatsApp" not in links
    assert at.button_group(key=f"today_status_{_touch_id(world, sam.id, TouchKind.CALL_H3)}") is not None


def test_head_office_picks_the_branch(world, run_page):
    new_lead(world, deadline=D(2020, 7, 31))
    new_lead(world, world.admin_man, customer=world.customer_man, vehicle=world.vehicle_man, deadline=D(2020, 7, 31))
    with clock.frozen(H3_DAY):
        at = run_page("pages/today.py", world.ho)  # the first branch by code: MAN01
        assert "SULTJE ADOLONG" in _texts(at) and "RESTU" not in _texts(at)
        # Issue 19.9: one picker, the sidebar's, and it offers branches only (the worklist is one branch's day).
        picker = at.sidebar.selectbox(key="h23_branch_widget_one")
        assert picker.options == ["[MAN01] MANADO", "[SAM01] SAMARINDA"]
        assert [s.key for s in at.main.selectbox] == []
        picker.select("SAM01").run()
    assert not at.exception and "RESTU ANDIKA" in _texts(at) and "SULTJE" not in _texts(at)


def test_logging_an_outcome_in_a_row_moves_the_lead_and_shows_tercatat(world, run_page):
    lead = new_lead(world, deadline=D(2020, 7, 31))
    wa = _touch_id(world, lead.id, TouchKind.MESSAGE_H7)
    with clock.frozen(H3_DAY):
        at = run_page("pages/today.py", world.admin_sam)
        at.button_group(key=f"today_status_{wa}").set_value(ContactStatus.TERHUBUNG)
        at.toggle(key=f"today_more_{wa}").set_value(True).run()  # the optional details, on request
        at.text_input(key=f"today_note_{wa}").input("WA dibaca")
        at.button(key=f"today_save_{wa}").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert "Tercatat: Follow Up 1" in _texts(at)
    with world.db.session(None, system=True) as s:
        after = s.get(Lead, lead.id)
        touch = s.get(Touch, wa)
    assert (after.stage, after.fu1_date, after.note) == (Stage.FU1, D(2020, 7, 28), "WA dibaca")
    assert touch.state == TouchState.DONE and touch.followup_id is not None
    # The call of the same lead is still to do, and now enters Follow Up 2.
    call = _touch_id(world, lead.id, TouchKind.CALL_H3)
    with clock.frozen(H3_DAY):
        at.button_group(key="today_kind").set_value(TouchKind.CALL_H3).run()  # the calls' list
        at.button_group(key=f"today_status_{call}").set_value(ContactStatus.REJECTED)
        at.button(key=f"today_save_{call}").click().run()
    assert "Tercatat: Follow Up 2" in _texts(at)
    with world.db.session(None, system=True) as s:
        assert s.get(Lead, lead.id).stage == Stage.FU2


def test_a_missing_cddb_is_shown_on_the_row(world, run_page):
    from db.models import Customer
    lead = new_lead(world, deadline=D(2020, 7, 31))
    with world.db.transaction(None, system=True) as s:
        s.get(Customer, world.customer_sam.id).nik = None
    wa = _touch_id(world, lead.id, TouchKind.MESSAGE_H7)
    with clock.frozen(H3_DAY):
        at = run_page("pages/today.py", world.admin_sam)
        at.button_group(key=f"today_status_{wa}").set_value(ContactStatus.TERHUBUNG)
        at.button(key=f"today_save_{wa}").click().run()
    assert not at.exception and any("belum memiliki CDDB" in e.value for e in at.error)
    assert "Tercatat" not in _texts(at)
    with world.db.session(None, system=True) as s:
        assert s.get(Lead, lead.id).stage == Stage.LEAD


def test_the_page_renders_for_every_kind_of_user(world, run_page):
    new_lead(world, deadline=D(2020, 7, 31))
    with clock.frozen(H3_DAY):
        for who in ("admin_sam", "kabeng_sam", "ho", "admin_man", "sa_sam"):
            at = run_page("pages/today.py", getattr(world, who))
            assert not at.exception, (who, at.exception)
