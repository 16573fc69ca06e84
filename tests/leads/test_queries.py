"""core.leads.queries, .detail and .lookups: the lead list (filters, search, sorting, paging in SQL),
one lead, stage counts and the lead form's lookups, always within the viewer's branches."""

from __future__ import annotations

import datetime as dt
from contextlib import contextmanager
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import event

from core.customers.customer import CustomerInput, update_customer
from core.leads import detail, lookups, queries
from core.leads.queries import LeadFilter
from core.platform.errors import NotFound
from db.enums import ContactStatus, Stage, Temperature
from db.models import Customer, Vehicle
from tests.helpers import new_lead, opportunity_at


def _read(world, viewer):
    return world.db.session(viewer.scope, system=viewer.all_branches)


def _list(world, viewer, page=1, page_size=50, **kw):
    with _read(world, viewer) as s:
        return queries.list_leads(s, viewer, LeadFilter(**kw), page, page_size)


def _numbers(result):
    return [r.number for r in result.rows]


def _more_sam_leads(world, n):
    """n more SAM01 leads, each on its own motorcycle of the SAM01 customer."""
    leads = []
    with world.db.transaction(None, system=True) as s:
        vehicles = [Vehicle(branch_id=world.sam.id, customer_id=world.customer_sam.id,
                            engine_no=f"JM81E10{i:05d}", engine_code="JM81", plate=f"KT {1000 + i} AB")
                    for i in range(n)]
        s.add_all(vehicles)
    for v in vehicles:
        leads.append(new_lead(world, vehicle=v, deadline=dt.date(2020, 8, 1) + dt.timedelta(days=len(leads))))
    return leads


@contextmanager
def _count_statements(world):
    statements: list[str] = []

    def count(_conn, _cursor, statement, *_args):
        if not statement.lstrip().upper().startswith(("SAVEPOINT", "RELEASE", "ROLLBACK")):
            statements.append(statement)

    engine = world.db.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", count)


# --- Branch scope -------------------------------------------------------------------------------


def test_a_branch_user_sees_only_own_branch_leads(world):
    sam, man = new_lead(world), new_lead(world, world.admin_man, customer=world.customer_man,
                                         vehicle=world.vehicle_man)
    result = _list(world, world.admin_sam)
    assert _numbers(result) == [sam.number] and result.total == 1
    assert man.number not in _numbers(result)


def test_a_branch_user_asking_for_another_branch_gets_nothing(world):
    new_lead(world, world.admin_man, customer=world.customer_man, vehicle=world.vehicle_man)
    result = _list(world, world.admin_sam, branch_ids=(world.man.id,))
    assert result.rows == [] and result.total == 0
    result = _list(world, world.admin_sam, branch_ids=(world.man.id, world.sam.id))
    assert result.total == 0  # no SAM01 lead yet, and MAN01 stays invisible


def test_head_office_sees_all_branches_or_the_ones_it_picks(world):
    sam, man = new_lead(world), new_lead(world, world.admin_man, customer=world.customer_man,
                                         vehicle=world.vehicle_man)
    assert set(_numbers(_list(world, world.ho))) == {sam.number, man.number}
    assert _numbers(_list(world, world.ho, branch_ids=(world.man.id,))) == [man.number]


def test_rows_carry_the_list_columns(world):
    lead = opportunity_at(world, 1)
    row = _list(world, world.admin_sam).rows[0]
    assert (row.number, row.branch_label, row.contact_name, row.phone, row.stage) == (
        lead.number, "[SAM01] SAMARINDA", "RESTU ANDIKA PRADANA PUTRA", "+6285845164510", Stage.FU1)
    assert (row.deadline, row.kpb_number, row.plate, row.engine_no) == (
        dt.date(2020, 7, 31), 3, "KT 2146 FK", "KF41E1693525")
    assert (row.temperature, row.contact_status) == (Temperature.COLD, ContactStatus.TERHUBUNG)


# --- Search and filters -------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["085845164510", "0858-4516-4510", "+6285845164510", "08584516", "6285845"])
def test_search_by_phone_in_the_forms_people_type(world, text):
    lead = new_lead(world)
    assert _numbers(_list(world, world.admin_sam, text=text)) == [lead.number]


@pytest.mark.parametrize("text", ["KT 2146 FK", "kt2146fk", "KT 2146", "KF41E1693525", "kf41e169", "RESTU", "andika"])
def test_search_by_plate_engine_number_and_name(world, text):
    lead = new_lead(world)
    assert _numbers(_list(world, world.admin_sam, text=text)) == [lead.number]


def test_search_by_lead_number_whole_or_part(world):
    lead = new_lead(world)
    assert _numbers(_list(world, world.admin_sam, text=lead.number)) == [lead.number]
    assert _numbers(_list(world, world.admin_sam, text=lead.number[-5:].lower())) == [lead.number]


def test_search_that_matches_nothing_returns_nothing(world):
    new_lead(world)
    for text in ("089999999999", "B 1 XX", "ZZZZ", "50%_"):
        assert _list(world, world.admin_sam, text=text).total == 0


def test_search_never_reaches_another_branch(world):
    new_lead(world, world.admin_man, customer=world.customer_man, vehicle=world.vehicle_man)
    assert _list(world, world.admin_sam, text="DB 4042 BW").total == 0
    assert _list(world, world.admin_sam, text="082187479254").total == 0


def test_filter_by_stage_kpb_temperature_and_contact_status(world):
    lead = new_lead(world)
    [other] = _more_sam_leads(world, 1)
    opp = opportunity_at(world, 1, vehicle=world.vehicle_sam, kpb=2)  # a second due service of that unit
    assert _numbers(_list(world, world.admin_sam, stages=(Stage.FU1,))) == [opp.number]
    assert set(_numbers(_list(world, world.admin_sam, stages=(Stage.LEAD,)))) == {lead.number, other.number}
    assert _numbers(_list(world, world.admin_sam, kpb_number=2)) == [opp.number]
    assert _numbers(_list(world, world.admin_sam, temperature=Temperature.COLD)) == [opp.number]
    assert _list(world, world.admin_sam, temperature=Temperature.HOT).total == 0
    assert _numbers(_list(world, world.admin_sam, contact_status=ContactStatus.TERHUBUNG)) == [opp.number]
    assert _list(world, world.admin_sam, source="Showroom").total == 0
    assert _list(world, world.admin_sam, source="CRM").total == 3


def test_filter_by_creation_date_range_in_branch_time(world):
    lead = new_lead(world)
    # created_at comes from the wall clock (db.base.TimestampMixin), not core.platform.clock.
    today = dt.datetime.now(dt.UTC).astimezone(ZoneInfo("Asia/Makassar")).date()
    day = dt.timedelta(days=1)
    tz = "Asia/Makassar"
    assert _numbers(_list(world, world.admin_sam, created_from=today, created_to=today, tz=tz)) == [lead.number]
    assert _numbers(_list(world, world.admin_sam, created_from=today - day, tz=tz)) == [lead.number]
    assert _list(world, world.admin_sam, created_to=today - day, tz=tz).total == 0
    assert _list(world, world.admin_sam, created_from=today + day, tz=tz).total == 0


# --- Sorting and paging -------------------------------------------------------------------------


def test_sorting_by_deadline_and_by_number(world):
    leads = _more_sam_leads(world, 3)
    by_deadline = _numbers(_list(world, world.admin_sam, sort="deadline_asc"))
    assert by_deadline == [lead.number for lead in leads]
    by_number = _numbers(_list(world, world.admin_sam, sort="number_asc"))
    assert by_number == sorted(by_number)
    newest_first = _list(world, world.admin_sam).rows
    assert [r.created_at for r in newest_first] == sorted((r.created_at for r in newest_first), reverse=True)


def test_paging_returns_one_page_and_the_total(world):
    _more_sam_leads(world, 7)
    pages = [_list(world, world.admin_sam, page=p, page_size=3, sort="number_asc") for p in (1, 2, 3)]
    assert [len(p.rows) for p in pages] == [3, 3, 1]
    assert {p.total for p in pages} == {7} and pages[0].pages == 3
    everything = [n for p in pages for n in _numbers(p)]
    assert len(set(everything)) == 7 and everything == sorted(everything)
    assert _list(world, world.admin_sam, page=9, page_size=3).rows == []


def test_statement_count_does_not_grow_with_the_page_size(world):
    _more_sam_leads(world, 6)
    counts = []
    for size in (1, 6):
        with _read(world, world.admin_sam) as s, _count_statements(world) as statements:
            result = queries.list_leads(s, world.admin_sam, LeadFilter(text="JM81E10"), 1, size)
            assert len(result.rows) == size
            _ = [(r.plate, r.branch_label, r.nik) for r in result.rows]
        counts.append(len(statements))
    assert counts[0] == counts[1] and 2 <= counts[0] <= 3


# --- Personal data ------------------------------------------------------------------------------


def test_nik_is_masked_for_a_role_without_full_nik(world):
    new_lead(world)
    assert _list(world, world.kabeng_sam).rows[0].nik == "647202********03"
    with _read(world, world.kabeng_sam) as s:
        hit = lookups.find_customers(s, world.kabeng_sam, "RESTU")[0]
    assert hit.nik == "647202********03"


def test_nik_is_whole_for_admins_and_head_office(world):
    lead = new_lead(world)
    assert _list(world, world.admin_sam).rows[0].nik == "6472020504010003"
    with _read(world, world.ho) as s:
        assert detail.lead_detail(s, world.ho, lead.id).nik == "6472020504010003"


# --- One lead -----------------------------------------------------------------------------------


def test_lead_detail_has_what_the_form_shows(world):
    opp = opportunity_at(world, 2)
    with _read(world, world.kabeng_sam) as s:
        d = detail.lead_detail(s, world.kabeng_sam, opp.id)
    assert (d.number, d.stage, d.branch_label, d.customer_label) == (
        opp.number, Stage.FU2, "[SAM01] SAMARINDA", "[BPA/1912/1553856] RESTU ANDIKA PRADANA PUTRA")
    assert (d.nik, d.nik_is_full, d.phone, d.occupation_name) == (
        "647202********03", False, "+6285845164510", "Mahasiswa/Pelajar")
    assert (d.engine_no, d.plate, d.sales_date, d.kpb_number, d.deadline) == (
        "KF41E1693525", "KT 2146 FK", dt.date(2019, 12, 4), 3, dt.date(2020, 7, 31))
    assert d.unit_type == "X1H02N35S2 [New Vario Techno 150 Plus]" and d.product == "X1H02N35S2 (BL-BLUE)"
    assert (d.fu1_date, d.fu2_date, d.next_plan_fu3) == (dt.date(2020, 7, 1), dt.date(2020, 7, 2),
                                                        dt.date(2020, 7, 9))
    assert [f.stage_number for f in d.followups] == [1, 2] and d.version == opp.version
    assert d.cddb_error is None


def test_lead_detail_of_another_branch_is_not_found(world):
    man = new_lead(world, world.admin_man, customer=world.customer_man, vehicle=world.vehicle_man)
    with _read(world, world.admin_sam) as s, pytest.raises(NotFound):
        detail.lead_detail(s, world.admin_sam, man.id)
    with _read(world, world.ho) as s:
        assert detail.lead_detail(s, world.ho, man.id).number == man.number


def test_lead_detail_names_an_incomplete_cddb(world):
    lead = new_lead(world)
    with world.db.transaction(world.admin_sam.scope) as s:
        update_customer(s, world.admin_sam, world.customer_sam.id, CustomerInput(address=""))
    with _read(world, world.admin_sam) as s:
        d = detail.lead_detail(s, world.admin_sam, lead.id)
    assert d.cddb_error is not None and d.cddb_error.code == "customer.no_cddb"


# --- Counts and lookups -------------------------------------------------------------------------


def test_stage_counts_per_branch_scope(world):
    new_lead(world)
    _more_sam_leads(world, 1)
    opportunity_at(world, 1, kpb=2)
    new_lead(world, world.admin_man, customer=world.customer_man, vehicle=world.vehicle_man)
    with _read(world, world.admin_sam) as s:
        counts = queries.stage_counts(s, world.admin_sam)
        assert queries.stage_counts(s, world.admin_sam, [world.man.id])[Stage.LEAD] == 0
    assert (counts[Stage.LEAD], counts[Stage.FU1], counts[Stage.WON]) == (2, 1, 0)
    with _read(world, world.ho) as s:
        assert queries.stage_counts(s, world.ho)[Stage.LEAD] == 3
        assert queries.stage_counts(s, world.ho, [world.man.id])[Stage.LEAD] == 1


@pytest.mark.parametrize("text", ["restu", "085845164510", "0858451", "6472020504", "BPA/1912"])
def test_find_customers_by_name_phone_nik_or_code(world, text):
    with _read(world, world.admin_sam) as s:
        assert [c.id for c in lookups.find_customers(s, world.admin_sam, text)] == [world.customer_sam.id]


def test_find_customers_stays_in_the_viewers_branches(world):
    with _read(world, world.admin_sam) as s:
        assert lookups.find_customers(s, world.admin_sam, "SULTJE") == []
        assert lookups.find_customers(s, world.admin_sam, "082187479254") == []
    with _read(world, world.ho) as s:
        assert [c.name for c in lookups.find_customers(s, world.ho, "SULTJE")] == ["SULTJE ADOLONG"]


def test_find_customers_reports_a_missing_cddb(world):
    with world.db.transaction(None, system=True) as s:
        s.add(Customer(branch_id=world.sam.id, code="BPA/2007/0000001", name="TANPA KTP", phone="+6281234567890"))
    with _read(world, world.admin_sam) as s:
        [hit] = lookups.find_customers(s, world.admin_sam, "TANPA")
    assert hit.cddb_error is not None and "CDDB" in hit.cddb_error.message("id")


def test_vehicles_of_a_customer_and_not_of_another_branch(world):
    with _read(world, world.admin_sam) as s:
        assert [v.engine_no for v in lookups.vehicles_of(s, world.admin_sam, world.customer_sam.id)] == [
            "KF41E1693525"]
        with pytest.raises(NotFound):
            lookups.vehicles_of(s, world.admin_sam, world.customer_man.id)


def test_reference_lists_for_the_forms(world):
    with _read(world, world.admin_sam) as s:
        assert [b.code for b in lookups.branches(s, world.admin_sam)] == ["SAM01"]
        assert len(lookups.lost_reasons(s)) >= 6 and len(lookups.occupations(s)) >= 10
        assert lookups.staff_of(s, world.admin_sam, world.man.id, world.mechanic_sam.kind) == []
        assert [o.id for o in lookups.staff_of(s, world.admin_sam, world.sam.id, world.mechanic_sam.kind)] == [
            world.mechanic_sam.id]
    with _read(world, world.ho) as s:
        assert [b.code for b in lookups.branches(s, world.ho)] == ["MAN01", "SAM01"]


def test_every_list_column_sorts_in_sql_across_pages(world):
    """Issue 19.2: the list is paged in SQL, so a sort is the whole list's order, not one page's."""
    from sqlalchemy import update

    from db.models import Lead

    leads = _more_sam_leads(world, 5)
    names = ["DEWI", "ANDI", "EKO", "BUDI", "CITRA"]
    with world.db.transaction(None, system=True) as s:
        for lead, name in zip(leads, names, strict=True):
            s.execute(update(Lead).where(Lead.id == lead.id).values(contact_name=name))
        s.execute(update(Lead).where(Lead.id == leads[0].id).values(stage=Stage.FU2))
        s.execute(update(Lead).where(Lead.id == leads[1].id).values(stage=Stage.WON))

    def walked(sort):
        pages = [_list(world, world.admin_sam, page=p, page_size=2, sort=sort) for p in (1, 2, 3)]
        return [r for page in pages for r in page.rows]

    assert [r.contact_name for r in walked("name_asc")] == sorted(names)
    assert [r.contact_name for r in walked("name_desc")] == sorted(names, reverse=True)
    assert [r.number for r in walked("number_desc")] == sorted((lead.number for lead in leads), reverse=True)
    deadlines = [r.deadline for r in walked("deadline_desc")]
    assert deadlines == sorted(deadlines, reverse=True)
    created = [r.created_at for r in walked("created_asc")]
    assert created == sorted(created)
    assert [r.stage for r in walked("stage_asc")] == [Stage.LEAD] * 3 + [Stage.FU2, Stage.WON]
    assert set(queries.SORTS) == set(queries._ORDER)  # every offered order has its SQL
