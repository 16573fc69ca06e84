"""The lead screens through AppTest: Beranda, Leads & Opportunity, Form Lead (lead -> opportunity ->
follow up -> Won/Lost -> booking), each for own branch, other branch and head office."""

from __future__ import annotations

import datetime as dt

import pytest

from core.pipeline.stages import FollowUpInput, enter_followup, mark_won
from core.platform import clock
from db.enums import ContactStatus, LeadCategory, Stage
from db.models import Booking, Customer, Lead
from tests.helpers import FIXED_NOW, new_lead, opportunity_at

PAGES = ["pages/home.py", "pages/leads.py", "pages/lead.py"]


def _texts(at) -> str:
    """Everything a user can read on the page, as one string."""
    parts = [e.value if kind != "html" else e.proto.body
             for kind in ("markdown", "caption", "title", "error", "warning", "info", "success", "html")
             for e in getattr(at, kind)]
    parts += [str(t.value) for t in at.text_input]
    parts += [df.value.to_string() for df in at.dataframe]
    return "\n".join(str(p) for p in parts)


def _stage(world, lead_id) -> Stage:
    with world.db.session(None, system=True) as s:
        return s.get(Lead, lead_id).stage


def _won(world, n=1):
    opp = opportunity_at(world, n)
    with clock.frozen(FIXED_NOW), world.db.transaction(world.admin_sam.scope) as s:
        return mark_won(s, world.admin_sam, opp.id)


# --- Every page renders for every kind of user --------------------------------------------------


@pytest.mark.parametrize("path", PAGES)
@pytest.mark.parametrize("who", ["admin_sam", "kabeng_sam", "ho", "admin_man"])
def test_every_page_renders(world, run_page, path, who):
    new_lead(world)
    at = run_page(path, getattr(world, who))
    assert not at.exception


@pytest.mark.parametrize("stage_n", [0, 1, 3])
@pytest.mark.parametrize("who", ["admin_sam", "kabeng_sam", "ho"])
def test_the_lead_form_renders_in_every_stage(world, run_page, stage_n, who):
    opp = opportunity_at(world, stage_n)
    with clock.frozen(FIXED_NOW):
        at = run_page("pages/lead.py", getattr(world, who), query={"id": str(opp.id)})
    assert not at.exception and opp.number in at.title[0].value


def test_home_counts_leads_per_stage(world, run_page):
    new_lead(world)
    opportunity_at(world, 1, kpb=2)
    new_lead(world, world.admin_man, customer=world.customer_man, vehicle=world.vehicle_man)
    metrics = {m.label: m.value for m in run_page("pages/home.py", world.admin_sam).metric}
    assert metrics["Lead (belum dikonversi)"] == "1" and metrics["Follow Up 1"] == "1"
    metrics = {m.label: m.value for m in run_page("pages/home.py", world.ho).metric}
    assert metrics["Lead (belum dikonversi)"] == "2"


def test_home_office_picks_branches(world, run_page):
    new_lead(world)
    at = run_page("pages/home.py", world.ho)
    at.multiselect(key="home_branches").set_value([world.man.id]).run()
    assert {m.label: m.value for m in at.metric}["Lead (belum dikonversi)"] == "0"


# --- The list -----------------------------------------------------------------------------------


def test_the_list_shows_own_branch_leads_only(world, run_page):
    sam = new_lead(world)
    man = new_lead(world, world.admin_man, customer=world.customer_man, vehicle=world.vehicle_man)
    at = run_page("pages/leads.py", world.admin_sam)
    numbers = list(at.dataframe(key="leads_table").value["number"])
    assert numbers == [sam.number] and man.number not in _texts(at)
    assert "Halaman 1 dari 1" in _texts(at)
    at = run_page("pages/leads.py", world.ho)
    assert set(at.dataframe(key="leads_table").value["number"]) == {sam.number, man.number}


def test_a_branch_admin_cannot_list_another_branch_through_the_url(world, run_page):
    man = new_lead(world, world.admin_man, customer=world.customer_man, vehicle=world.vehicle_man)
    at = run_page("pages/leads.py", world.admin_sam, query={"branch": "[MAN01] MANADO", "q": man.number})
    assert not at.exception and at.dataframe(key="leads_table").value.empty


def test_the_list_filters_come_from_the_url_and_search_by_phone(world, run_page):
    lead = new_lead(world)
    opp = opportunity_at(world, 1, kpb=2)
    # Widgets bound to the URL carry their labels there (?stage=Follow+Up+1).
    at = run_page("pages/leads.py", world.admin_sam, query={"stage": ["Follow Up 1"]})
    assert list(at.dataframe(key="leads_table").value["number"]) == [opp.number]
    at = run_page("pages/leads.py", world.admin_sam, query={"kpb": "3"})
    assert list(at.dataframe(key="leads_table").value["number"]) == [lead.number]
    at = run_page("pages/leads.py", world.admin_sam)
    at.text_input(key="q").input("085845164510").run()
    assert set(at.dataframe(key="leads_table").value["number"]) == {lead.number, opp.number}
    at.text_input(key="q").input("089999999999").run()
    assert at.dataframe(key="leads_table").value.empty


def test_the_list_pages_through_the_rows(world, run_page):
    with world.db.transaction(None, system=True) as s:
        s.add_all([Lead(branch_id=world.sam.id, number=f"LDS/SAM01/2007/{i:05d}", category=LeadCategory.H1_H2,
                        stage=Stage.LEAD, contact_name=f"CUSTOMER {i}") for i in range(1, 52)])
    at = run_page("pages/leads.py", world.admin_sam, query={"sort": "Nomor lead: naik"})
    assert len(at.dataframe(key="leads_table").value) == 50
    assert "Halaman 1 dari 2" in _texts(at) and "51 data" in _texts(at)
    at.button(key="leads_next").click().run()
    assert list(at.dataframe(key="leads_table").value["number"]) == ["LDS/SAM01/2007/00051"]
    assert "Halaman 2 dari 2" in _texts(at)
    at.button(key="leads_prev").click().run()
    assert "Halaman 1 dari 2" in _texts(at)


def test_selecting_a_row_opens_that_lead(world, run_page):
    lead = new_lead(world)
    at = run_page("pages/leads.py", world.admin_sam)
    at.session_state["leads_table"] = {"selection": {"rows": [0], "columns": [], "cells": []}}
    at.run()
    assert not at.exception and f"Buka lead {lead.number}" in _texts(at)


# --- The lead form walks the pipeline -----------------------------------------------------------


def test_the_pipeline_from_lead_to_lost(world, run_page):
    lead = new_lead(world)
    with clock.frozen(FIXED_NOW):
        at = run_page("pages/lead.py", world.admin_sam, query={"id": str(lead.id)})
        assert "RESTU ANDIKA PRADANA PUTRA" in _texts(at)
        at.button(key="lead_convert").click().run()
        assert not at.error and _stage(world, lead.id) == Stage.NEW
        assert "Follow Up 1" in _texts(at)

        at.date_input(key="fu_date").set_value(dt.date(2020, 7, 9))
        at.radio(key="fu_status").set_value(ContactStatus.TERHUBUNG)
        at.button(key="fu_submit").click().run()
        assert not at.error, [e.value for e in at.error]
        assert _stage(world, lead.id) == Stage.FU1 and "09/07/2020" in _texts(at)

        at.button(key="opp_lost").click().run()
        at.button(key="lost_submit").click().run()
        assert any("alasan lost wajib dipilih" in e.value for e in at.error)
        assert _stage(world, lead.id) == Stage.FU1

        at.selectbox(key="lost_reason").select_index(0)
        at.button(key="lost_submit").click().run()
        assert not at.error and _stage(world, lead.id) == Stage.LOST
        assert "ditandai Lost" in _texts(at) and "Servis di bengkel lain" in _texts(at)
        assert not [b for b in at.button if b.key in ("opp_won", "opp_lost", "fu_submit")]


def test_a_followup_without_its_date_is_refused_on_screen(world, run_page):
    opp = opportunity_at(world, 0)
    with clock.frozen(FIXED_NOW):
        at = run_page("pages/lead.py", world.admin_sam, query={"id": str(opp.id)})
        assert at.date_input(key="fu_date").value == dt.date(2020, 7, 10)  # issue 19.9: today by default
        at.date_input(key="fu_date").set_value(None)
        at.radio(key="fu_status").set_value(ContactStatus.REJECTED)
        at.button(key="fu_submit").click().run()
    assert any("tanggal follow up wajib diisi" in e.value for e in at.error) and not at.exception
    assert _stage(world, opp.id) == Stage.NEW


def test_a_stale_copy_is_refused_instead_of_overwriting(world, run_page):
    opp = opportunity_at(world, 0)
    with clock.frozen(FIXED_NOW):
        at = run_page("pages/lead.py", world.admin_sam, query={"id": str(opp.id)})
        with world.db.transaction(world.admin_sam.scope) as s:  # someone else, meanwhile
            enter_followup(s, world.admin_sam, opp.id, 1, FollowUpInput(dt.date(2020, 7, 9), ContactStatus.REJECTED))
        at.button(key="opp_won").click().run()
    assert any("sudah diubah" in e.value for e in at.error), [e.value for e in at.error]
    assert not at.exception and _stage(world, opp.id) == Stage.FU1
    at.button(key="lead_reload").click().run()
    at.button(key="opp_won").click().run()
    assert not at.error and _stage(world, opp.id) == Stage.WON


def test_mark_as_won_then_create_booking_service(world, run_page):
    opp = opportunity_at(world, 1)
    with clock.frozen(FIXED_NOW):
        at = run_page("pages/lead.py", world.admin_sam, query={"id": str(opp.id)})
        at.button(key="opp_won").click().run()
        assert _stage(world, opp.id) == Stage.WON
        assert "Create Booking Service" in [b.label for b in at.button]
        at.button(key="opp_booking").click().run()
        at.date_input(key="bk_day").set_value(dt.date(2020, 7, 11))
        at.selectbox(key="bk_mechanic").select_index(0)
        at.button(key="bk_submit").click().run()
    assert not at.error, [e.value for e in at.error]
    assert "BOS-W/SAM01/2007/" in _texts(at)
    with world.db.session(None, system=True) as s:
        booking = s.query(Booking).filter_by(lead_id=opp.id).one()
    assert booking.mechanic_id == world.mechanic_sam.id and booking.reason_to_come == "PHONE_REMINDER"


def test_the_booking_dialog_speaks_english_and_stores_codes(world, run_page):
    """Issue 19.4: the dialog's labels and choices in English; the reason and relation stored as codes."""
    opp = opportunity_at(world, 1)
    with clock.frozen(FIXED_NOW):
        at = run_page("pages/lead.py", world.admin_sam, query={"id": str(opp.id)}, h23_lang=True)
        at.button(key="opp_won").click().run()
        at.button(key="opp_booking").click().run()
        labels = {w.key: w.label for w in [*at.selectbox, *at.date_input, *at.text_area]}
        assert (labels["bk_day"], labels["bk_hour"], labels["bk_mechanic"], labels["bk_reason"],
                labels["bk_relation"], labels["bk_complaint"]) == (
            "Booking date *", "Hour *", "Mechanic", "Reason for coming", "Rider's relation to the owner", "Complaint")
        assert at.selectbox(key="bk_reason").value == "PHONE_REMINDER"
        assert at.selectbox(key="bk_reason").format_func("WA_REMINDER") == "WhatsApp reminder"
        at.date_input(key="bk_day").set_value(dt.date(2020, 7, 11))
        at.selectbox(key="bk_reason").set_value("WA_REMINDER")
        at.selectbox(key="bk_relation").set_value("FAMILY")
        at.button(key="bk_submit").click().run()
    assert not at.error, [e.value for e in at.error]
    assert any(m.value.startswith("Service booking BOS-W/SAM01/2007/") and m.value.endswith("made (Draft).")
               for m in at.success)
    with world.db.session(None, system=True) as s:
        booking = s.query(Booking).filter_by(lead_id=opp.id).one()
    assert (booking.reason_to_come, booking.carrier_relation) == ("WA_REMINDER", "FAMILY")


def test_a_won_opportunity_is_read_only_with_create_booking_service(world, run_page):
    won = _won(world)
    at = run_page("pages/lead.py", world.admin_sam, query={"id": str(won.id)})
    keys = {b.key for b in at.button}
    assert "opp_booking" in keys and not keys & {"opp_won", "opp_lost", "fu_submit", "fucur_submit"}
    assert not at.text_input and not at.date_input


def test_another_branchs_lead_is_not_found_and_shows_none_of_its_data(world, run_page):
    man = opportunity_at(world, 1, world.admin_man, customer=world.customer_man, vehicle=world.vehicle_man)
    at = run_page("pages/lead.py", world.admin_sam, query={"id": str(man.id)})
    assert any("tidak ditemukan" in e.value for e in at.error) and not at.exception
    text = _texts(at)
    for secret in (man.number, "SULTJE", "7171014506800002", "DB 4042 BW", "0821"):
        assert secret not in text
    assert not at.button


def test_head_office_opens_any_branchs_lead(world, run_page):
    man = new_lead(world, world.admin_man, customer=world.customer_man, vehicle=world.vehicle_man)
    at = run_page("pages/lead.py", world.ho, query={"id": str(man.id)})
    assert not at.error and man.number in at.title[0].value


# --- New lead and the CDDB ----------------------------------------------------------------------


def test_a_new_lead_is_saved_from_the_form(world, run_page):
    at = run_page("pages/lead.py", world.admin_sam)
    at.text_input(key="lead_cust_q").input("restu").run()
    at.selectbox(key="lead_customer").select(world.customer_sam.id).run()
    at.selectbox(key="lead_f_kpb").select(2)
    at.button(key="lead_save").click().run()
    assert not at.error, [e.value for e in at.error]
    assert "tersimpan" in _texts(at)
    with world.db.session(None, system=True) as s:
        lead = s.query(Lead).filter_by(customer_id=world.customer_sam.id).one()
    assert (lead.branch_id, lead.kpb_number, lead.vehicle_id) == (world.sam.id, 2, world.vehicle_sam.id)


def test_a_customer_without_nik_shows_the_cddb_warning_and_can_be_completed(world, run_page):
    with world.db.transaction(None, system=True) as s:
        s.add(Customer(branch_id=world.sam.id, code="BPA/2007/0000009", name="TANPA KTP", phone="+6281234567890",
                       address="JL. MERDEKA 1", city_code="6472", occupation_id=world.customer_sam.occupation_id))
    at = run_page("pages/lead.py", world.admin_sam)
    at.text_input(key="lead_cust_q").input("TANPA").run()
    at.selectbox(key="lead_customer").select_index(0).run()
    assert any("Customer belum memiliki CDDB" in w.value for w in at.warning)
    at.button(key="lead_save").click().run()
    assert any("Customer belum memiliki CDDB" in e.value for e in at.error)
    at.text_input(key="cddb_nik").input("6472020504010011")
    at.button(key="cddb_submit").click().run()
    assert not at.error, [e.value for e in at.error]
    assert not any("Customer belum memiliki CDDB" in w.value for w in at.warning)
    at.button(key="lead_save").click().run()
    assert not at.error and "tersimpan" in _texts(at)


def test_the_follow_up_date_defaults_to_today_in_the_branchs_zone(world, run_page):
    """Issue 19.9: a follow up is mostly logged the day it is made."""
    opp = opportunity_at(world, 1)
    late_evening = dt.datetime(2020, 7, 10, 16, 30, tzinfo=dt.UTC)  # 11/07/2020 00:30 in Samarinda (WITA)
    with clock.frozen(late_evening):
        at = run_page("pages/lead.py", world.admin_sam, query={"id": str(opp.id)})
    assert at.date_input(key="fu_date").value == dt.date(2020, 7, 11)
    assert "Follow Up 2" in at.date_input(key="fu_date").label
