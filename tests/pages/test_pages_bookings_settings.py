"""pages/settings.py (Master Data) and pages/bookings.py (Booking Service) through AppTest."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from core.bookings.booking import BookingInput, create_booking
from core.platform import clock
from db.enums import BookingState
from db.models import Booking, Customer, Pit, WorkOrder

NOW = dt.datetime(2020, 7, 10, 0, 30, tzinfo=dt.UTC)  # 10/07/2020 08:30 WITA (Samarinda, Manado)
TODAY = dt.date(2020, 7, 10)


@pytest.fixture
def frozen():
    with clock.frozen(NOW):
        yield


def _book(world, viewer, *, branch, customer, vehicle, pit, hour=10, **kw):
    with world.db.transaction(viewer.scope, system=viewer.all_branches) as s:
        return create_booking(s, viewer, BookingInput(
            branch_id=branch.id, day=TODAY, hour=hour, minute=0, customer_id=customer.id, vehicle_id=vehicle.id,
            pit_id=pit.id, **kw))


def _sam_booking(world):
    return _book(world, world.admin_sam, branch=world.sam, customer=world.customer_sam, vehicle=world.vehicle_sam,
                 pit=world.pit_sam, mechanic_id=world.mechanic_sam.id, service_advisor_id=world.advisor_sam.id)


def _man_booking(world):
    with world.db.transaction(None, system=True) as s:
        pit = Pit(branch_id=world.man.id, name="PIT 1")
        s.add(pit)
        s.flush()
    return _book(world, world.admin_man, branch=world.man, customer=world.customer_man, vehicle=world.vehicle_man,
                 pit=pit)


def _table(at):
    return at.dataframe[0].value


def _texts(at):
    return " ".join(str(x.value) for x in [*at.markdown, *at.caption, *at.success, *at.error, *at.title])


# ---------------------------------------------------------------- Master Data

def test_master_data_renders_every_tab_for_head_office(run_page, world):
    at = run_page("pages/settings.py", world.ho)
    assert not at.exception
    assert [t.label for t in at.tabs] == ["Cabang", "Pengguna", "Aturan KPB", "Alasan Lost", "Pit & Mekanik",
                                          "Pengaturan SOP"]
    branches, users, kpb = (at.dataframe[i].value for i in range(3))
    assert set(branches["Kode"]) == {"SAM01", "MAN01"}
    assert "admin.sam01" in set(users["Username"])
    assert len(kpb) == 8


@pytest.mark.parametrize("who", ["admin_sam", "kabeng_sam"])
def test_master_data_is_refused_to_branch_users(run_page, world, who):
    at = run_page("pages/settings.py", getattr(world, who))
    assert not at.exception
    assert any("tidak berhak" in e.value for e in at.error)
    assert not at.tabs and not at.dataframe


def test_head_office_adds_a_lost_reason_through_the_form(run_page, world):
    at = run_page("pages/settings.py", world.ho)
    form = [t for t in at.text_input if t.label in ("Kode", "Nama (Indonesia)", "Nama (Inggris)")]
    code, name_id, name_en = form
    code.input("price")
    name_id.input("Harga mahal")
    name_en.input("Too expensive")
    at = next(b for b in at.button if b.label == "Simpan alasan").click().run()
    assert not at.exception
    assert any("Alasan ditambahkan" in s.value for s in at.success)
    assert "PRICE" in set(at.dataframe[3].value["Kode"])


def test_a_refused_change_shows_the_reason(run_page, world):
    at = run_page("pages/settings.py", world.ho)
    kpb_code = next(t for t in at.text_input if t.label == "Kode mesin")
    kpb_code.input("*")  # KPB 1 of the default rule exists already
    at = next(b for b in at.button if b.label == "Simpan aturan").click().run()
    assert any("sudah dipakai" in e.value for e in at.error)


def test_master_data_speaks_english_when_chosen(run_page, world):
    """Issue 19.4: tabs, table headings, yes/no, roles and setting names in English, not only the forms."""
    at = run_page("pages/settings.py", world.ho, h23_lang=True)
    assert not at.exception
    assert at.title[0].value == "Master data"
    assert [t.label for t in at.tabs] == ["Branches", "Users", "KPB rules", "Lost reasons", "Pits & mechanics",
                                          "SOP settings"]
    branches, users = at.dataframe[0].value, at.dataframe[1].value
    assert list(branches.columns) == ["Code", "Name", "AHASS code", "Zone", "Phone", "Address", "Active"]
    assert set(branches["Active"]) == {"Yes"}
    assert "CRM PIC (head office)" in set(users["Role"])
    settings_table = at.dataframe[-1].value
    assert list(settings_table.columns) == ["Setting", "Value", "Default", "Changed"]
    assert "Call, days before H" in set(settings_table["Setting"])
    assert at.selectbox(key="md_setting_pick").format_func("booking.open_hour") == "Workshop opening hour"


def test_a_change_in_english_is_confirmed_in_english(run_page, world):
    at = run_page("pages/settings.py", world.ho, h23_lang=True)
    code, name_id, name_en = (t for t in at.text_input if t.label in ("Code", "Name (Indonesian)", "Name (English)"))
    code.input("price")
    name_id.input("Harga mahal")
    name_en.input("Too expensive")
    at = next(b for b in at.button if b.label == "Save the reason").click().run()
    assert not at.exception
    assert [m.value for m in at.success] == ["Reason added."]


# ---------------------------------------------------------------- Booking Service

def test_the_booking_board_shows_the_own_branch_bookings_only(run_page, world, frozen):
    mine, other = _sam_booking(world), _man_booking(world)
    at = run_page("pages/bookings.py", world.admin_sam)
    assert not at.exception
    assert at.selectbox(key="bk_branch").options == [world.sam.label]
    table = _table(at)
    assert list(table["No Booking"]) == [mine.number]
    assert other.number not in _texts(at)
    row = table.iloc[0]
    assert (row["Jam"], row["No Polisi"], row["Pit"], row["Status"]) == ("10:00", "KT 2146 FK", "PIT 1", "Draft")
    assert row["Mekanik"] == "JEPRI ARI SAPUTRA" and row["SA"] == "HENDRI STIAWAN"


def test_head_office_picks_any_branch(run_page, world, frozen):
    other = _man_booking(world)
    at = run_page("pages/bookings.py", world.ho)
    assert at.selectbox(key="bk_branch").options == [world.man.label, world.sam.label]
    assert list(_table(at)["No Booking"]) == [other.number]


def test_an_admin_sees_no_post_actions(run_page, world, frozen):
    _sam_booking(world)
    at = run_page("pages/bookings.py", world.admin_sam)
    assert not [b for b in at.button if b.label in ("Post", "Buat work order", "Batalkan")]


def test_kabeng_posts_then_creates_the_work_order_from_the_page(run_page, world, frozen):
    booking = _sam_booking(world)
    at = run_page("pages/bookings.py", world.kabeng_sam)
    at = at.button(key="bk_post").click().run()
    assert not at.exception
    assert _table(at).iloc[0]["Status"] == "Posted"
    assert any("diposting" in s.value for s in at.success)
    at.number_input(key="bk_km").set_value(1234)
    at = at.button(key="bk_wo").click().run()
    assert not at.exception
    assert _table(at).iloc[0]["Status"] == "Work Order"
    with world.db.session(None, system=True) as s:
        stored = s.get(Booking, booking.id)
        assert stored.state == BookingState.WORK_ORDER and stored.work_order_id is not None
        wo = s.get(WorkOrder, stored.work_order_id)
    # Issue 19.8: the work order's number (and its job) are shown once made.
    assert [m.value for m in at.success] == [f"Work order {wo.number} dibuat untuk booking {booking.number} "
                                             f"({wo.job_type})."]


def test_cancelling_needs_a_reason(run_page, world, frozen):
    _sam_booking(world)
    at = run_page("pages/bookings.py", world.kabeng_sam)
    at = at.button(key="bk_cancel").click().run()
    assert any("wajib" in e.value for e in at.error)
    at.text_input(key="bk_cancel_reason").input("customer sakit")
    at = at.button(key="bk_cancel").click().run()
    assert _table(at).iloc[0]["Status"] == "Batal"


def test_a_walk_in_booking_is_made_from_the_customer_search(run_page, world, frozen):
    at = run_page("pages/bookings.py", world.admin_sam)
    at = at.text_input(key="bk_search").input("0858 4516").run()
    assert at.selectbox(key="bk_customer").options[0].startswith("RESTU ANDIKA")
    next(s for s in at.selectbox if s.label == "Jam").set_value(10)
    next(s for s in at.selectbox if s.label == "Motor").set_value(world.vehicle_sam.id)
    at = next(b for b in at.button if b.label == "Simpan booking").click().run()
    assert not at.exception
    assert any("Booking baru disimpan" in s.value for s in at.success)
    assert list(_table(at)["No Polisi"]) == ["KT 2146 FK"]
    with world.db.session(None, system=True) as s:  # the form's first choices, stored as codes
        stored = s.execute(select(Booking.reason_to_come, Booking.carrier_relation)).one()
    assert tuple(stored) == ("PHONE_REMINDER", "SELF")


def test_the_customer_search_stays_in_the_branch(run_page, world, frozen):
    at = run_page("pages/bookings.py", world.admin_sam)
    at = at.text_input(key="bk_search").input("SULTJE").run()
    assert "bk_customer" not in [s.key for s in at.selectbox]
    assert any("tidak ditemukan" in c.value for c in at.caption)
    with world.db.session(None, system=True) as s:
        assert s.scalar(select(Customer.name).where(Customer.id == world.customer_man.id)) == "SULTJE ADOLONG"


def test_a_booking_in_the_past_is_refused_with_its_message(run_page, world, frozen):
    at = run_page("pages/bookings.py", world.admin_sam)
    at = at.text_input(key="bk_search").input("restu").run()
    next(s for s in at.selectbox if s.label == "Jam").set_value(8)
    next(s for s in at.selectbox if s.label == "Menit").set_value(0)  # 08:00; the default is 08:45, the next free
    at = next(b for b in at.button if b.label == "Simpan booking").click().run()
    assert any("sudah lewat" in e.value for e in at.error)
