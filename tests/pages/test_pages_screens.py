"""Issue 5 screens through AppTest: the opportunity board, the customer view, lead distribution, the
head office's branch picker and the English switch."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select, update

from core.accounts.auth import create_user, viewer_for_user
from db.enums import Role
from db.models import AuditLog, Lead
from tests.conftest import TEST_PASSWORD
from tests.helpers import new_lead, opportunity_at


def _texts(at) -> str:
    parts = [e.value for kind in ("markdown", "caption", "title", "subheader", "error", "warning", "info", "success")
             for e in getattr(at, kind)]
    parts += [h.proto.body for h in at.html]  # read-only facts (ui.facts)
    return "\n".join(str(p) for p in parts)


def _cells(at) -> str:
    return "\n".join(df.value.to_string() for df in at.dataframe)


def test_the_board_shows_each_stage_with_its_count_and_cards(world, run_page):
    fu2 = opportunity_at(world, 2)
    man = opportunity_at(world, 1, world.admin_man, customer=world.customer_man, vehicle=world.vehicle_man)
    at = run_page("pages/board.py", world.admin_sam)
    assert not at.exception, at.exception
    text = _texts(at)
    assert "**Follow Up 2** :gray-badge[1]" in text and "**Follow Up 1** :gray-badge[0]" in text
    assert fu2.number in text and "RESTU ANDIKA PRADANA PUTRA" in text
    assert man.number not in text


def test_the_board_for_head_office_follows_the_sidebar_branch(world, run_page):
    sam = opportunity_at(world, 1)
    man = opportunity_at(world, 1, world.admin_man, customer=world.customer_man, vehicle=world.vehicle_man)
    at = run_page("pages/board.py", world.ho)
    assert sam.number in _texts(at) and man.number in _texts(at)  # all branches by default
    at.sidebar.selectbox(key="h23_branch_widget").select("MAN01").run()
    assert man.number in _texts(at) and sam.number not in _texts(at)
    assert at.query_params["cabang"] in ("MAN01", ["MAN01"])


def test_the_sidebar_branch_comes_from_the_url_on_every_daily_page(world, run_page):
    sam = new_lead(world)
    man = new_lead(world, world.admin_man, customer=world.customer_man, vehicle=world.vehicle_man)
    at = run_page("pages/leads.py", world.ho, query={"cabang": "SAM01"})
    assert not at.exception
    assert sam.number in _cells(at) and man.number not in _cells(at)


def test_the_customer_view_shows_cddb_vehicles_and_timeline_and_audits_the_viewing(world, run_page):
    lead = opportunity_at(world, 1)
    at = run_page("pages/customer.py", world.kabeng_sam, query={"id": str(world.customer_sam.id)})
    assert not at.exception, at.exception
    text, cells = _texts(at), _cells(at)
    assert "RESTU ANDIKA PRADANA PUTRA" in text and "647202********03" in text  # Kabeng: NIK masked
    assert "6472020504010003" not in text
    assert "KF41E1693525" in cells and "KT 2146 FK" in cells
    assert lead.number in cells and "Follow Up 1" in cells
    at.run()  # a rerun is not a second viewing
    with world.db.session(None, system=True) as s:
        views = s.scalars(select(AuditLog).where(AuditLog.action == "customer.view")).all()
    assert [(v.user_id, v.object_id) for v in views] == [(world.kabeng_sam.user_id, world.customer_sam.id)]


def test_another_branchs_customer_is_not_shown(world, run_page):
    at = run_page("pages/customer.py", world.admin_sam, query={"id": str(world.customer_man.id)})
    assert not at.exception
    assert "SULTJE" not in _texts(at) and "tidak ditemukan" in _texts(at)


def test_the_lead_form_links_to_its_customer(world, run_page):
    lead = new_lead(world)
    at = run_page("pages/lead.py", world.admin_sam, query={"id": str(lead.id)})
    assert not at.exception
    assert "Lihat customer" in _texts(at)  # the link's label when run outside the menu


def _two_admins_and_leads(world):
    with world.db.transaction(None, system=True) as s:
        admin2 = viewer_for_user(s, create_user(s, username="admin2.sam01", full_name="Admin Dua",
                                                password=TEST_PASSWORD, role=Role.ADMIN_CRM,
                                                branch_ids=[world.sam.id]))
    lead = new_lead(world, deadline=dt.date(2020, 7, 31))
    with world.db.transaction(None, system=True) as s:
        s.execute(update(Lead).where(Lead.id == lead.id).values(assigned_user_id=None))
    return admin2, lead


def test_the_branch_head_shares_out_unassigned_leads_and_sees_the_admins(world, run_page):
    _admin2, lead = _two_admins_and_leads(world)
    at = run_page("pages/distribution.py", world.kabeng_sam)
    assert not at.exception, at.exception
    assert "Admin Samarinda" in _cells(at) and "Admin Dua" in _cells(at)
    assert lead.number in _cells(at)  # the unassigned list
    at.button(key="dist_go").click().run()
    assert not at.exception
    assert "1 lead dibagikan." in _texts(at)
    with world.db.session(None, system=True) as s:
        assert s.scalar(select(Lead.assigned_user_id).where(Lead.id == lead.id)) is not None


def test_the_branch_head_moves_a_chosen_lead_to_an_admin(world, run_page):
    admin2, lead = _two_admins_and_leads(world)
    at = run_page("pages/distribution.py", world.kabeng_sam)
    # AppTest cannot click grid rows; the selection arrives as the widget's state.
    at.session_state["dist_table"] = {"selection": {"rows": [0], "columns": [], "cells": []}}
    at.selectbox(key="dist_to").select(admin2.user_id).run()
    at.button(key="dist_move").click().run()
    assert not at.exception, at.exception
    assert "1 lead dipindahkan." in _texts(at)
    with world.db.session(None, system=True) as s:
        assert s.scalar(select(Lead.assigned_user_id).where(Lead.id == lead.id)) == admin2.user_id


def test_an_admin_cannot_open_lead_distribution(world, run_page):
    at = run_page("pages/distribution.py", world.admin_sam)
    assert any("tidak berhak" in e.value for e in at.error)


def test_an_admins_worklist_shows_only_their_leads_when_asked(world, run_page):
    from core.platform import clock

    admin2, lead = _two_admins_and_leads(world)
    with world.db.transaction(None, system=True) as s:
        s.execute(update(Lead).where(Lead.id == lead.id).values(assigned_user_id=admin2.user_id))
    with clock.frozen(dt.datetime(2020, 7, 28, 1, 0, tzinfo=dt.UTC)):
        at = run_page("pages/today.py", world.admin_sam)
        assert lead.number in _texts(at)
        at.toggle(key="today_mine").set_value(True).run()
    assert lead.number not in _texts(at)


def test_the_english_switch_turns_the_page_labels_and_messages_english(world, run_page):
    new_lead(world)
    at = run_page("pages/leads.py", world.admin_sam)
    assert at.title[0].value == "Leads & Opportunity"
    assert at.text_input(key="q").label.startswith("Cari")
    at.sidebar.toggle(key="h23_lang_widget").set_value(True).run()
    assert not at.exception
    assert at.text_input(key="q").label.startswith("Search")
    assert "records" in _texts(at)
    assert at.session_state["h23_lang"] is True  # kept for the session: the next page reads it
    today = run_page("pages/today.py", world.admin_sam, h23_lang=True)
    assert today.title[0].value == "Today"
