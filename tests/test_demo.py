"""The demo dealer: what a user of the demo would notice, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, func, select

from core import demo
from core.accounts.auth import verify_password
from core.customers.nik import normalize_nik
from core.customers.phone import normalize_phone
from db.engine import Database
from db.enums import Stage
from db.models import Booking, Branch, Customer, FollowUp, Lead, Pit, Staff, User, UserBranch, Vehicle, WorkOrder

TODAY = dt.date(2025, 6, 15)
SIZE = 300


@pytest.fixture(scope="module")
def demo_db(engine: Engine) -> Iterator[tuple[Database, demo.DemoSummary, list[str]]]:
    """One demo dealer for the module's read-only checks, rolled back at the end; generated twice
    (the first time in a savepoint rolled back at once) to compare what the same seed gives."""
    with engine.connect() as conn:
        outer = conn.begin()
        database = Database(conn)
        try:
            first = conn.begin_nested()
            demo.generate(database, vehicles=SIZE, today=TODAY)
            digests = [_digest(database)]
            first.rollback()
            assert demo.is_empty(database)
            summary = demo.generate(database, vehicles=SIZE, today=TODAY)
            digests.append(_digest(database))
            yield database, summary, digests
        finally:
            outer.rollback()


def _digest(database: Database) -> str:
    with database.session(None, system=True) as s:
        parts = [
            *s.scalars(select(Vehicle.engine_no).order_by(Vehicle.engine_no)),
            *(f"{n}|{c}" for n, c in s.execute(select(Customer.nik, Customer.code).order_by(Customer.code))),
            *(f"{n}|{st}|{d}" for n, st, d in s.execute(select(Lead.number, Lead.stage, Lead.deadline)
                                                       .order_by(Lead.number))),
            *s.scalars(select(WorkOrder.number).order_by(WorkOrder.number)),
        ]
    return hashlib.sha256("\n".join(str(p) for p in parts).encode()).hexdigest()


def test_it_creates_every_branch_of_the_seed_with_its_time_zone(demo_db) -> None:
    database, summary, _ = demo_db
    with database.session(None, system=True) as s:
        zones = dict(s.execute(select(Branch.code, Branch.timezone)).tuples().all())
        assert zones["SAM01"] == "Asia/Makassar" and zones["MAN01"] == "Asia/Makassar"
        assert zones["GOW01"] == "Asia/Makassar"
        for code in ("BEN01", "IND01", "BNK01", "A-BAN08", "SUM01", "BAN04", "A-PPT", "MSE01"):
            assert zones[code] == "Asia/Jakarta"
        assert len(zones) == summary.branches == len(demo.BRANCHES)
        for branch_id in s.scalars(select(Branch.id)):
            assert 3 <= s.scalar(select(func.count()).select_from(Pit).where(Pit.branch_id == branch_id)) <= 4
            assert s.scalar(select(func.count()).select_from(Staff).where(Staff.branch_id == branch_id)) == 5
        assert all(re.fullmatch(r"\d{8}", c) for c in s.scalars(select(Staff.code)))


def test_demo_users_have_their_role_and_branches_and_the_demo_password(demo_db) -> None:
    database, _, _ = demo_db
    names = [u[0] for u in demo.DEMO_USERS]
    assert names[:6] == ["ho.admin", "kacab.sam01", "kabeng.sam01", "admin.sam01", "admin.man01", "sa.sam01"]
    assert {f"admin.{b.code.lower()}" for b in demo.BRANCHES} <= set(names)
    with database.session(None, system=True) as s:
        for username, _full_name, role, codes in demo.DEMO_USERS:
            user = s.scalar(select(User).where(User.username == username))
            assert user is not None and user.role == role and user.active
            got = set(s.scalars(select(Branch.code).join(UserBranch, UserBranch.branch_id == Branch.id)
                                .where(UserBranch.user_id == user.id)))
            assert got == set(codes)
        hashes = set(s.scalars(select(User.password_hash)))
    assert len(hashes) == 1  # hashed once
    assert verify_password(demo.DEMO_PASSWORD, hashes.pop())


def test_leads_exist_in_every_stage_and_open_ones_are_well_formed(demo_db) -> None:
    database, summary, _ = demo_db
    with database.session(None, system=True) as s:
        stages = set(s.scalars(select(Lead.stage).distinct()))
        assert stages == set(Stage)
        assert summary.leads == s.scalar(select(func.count()).select_from(Lead))
        codes = dict(s.execute(select(Branch.id, Branch.code)).tuples().all())
        numbers = list(s.scalars(select(Lead.number)))
        assert len(numbers) == len(set(numbers))
        for lead in s.scalars(select(Lead)):
            assert re.fullmatch(rf"LDS/{re.escape(codes[lead.branch_id])}/\d{{4}}/\d{{5}}", lead.number)
            assert lead.deadline is not None
            if lead.closed_at is None:
                assert lead.stage not in (Stage.WON, Stage.LOST)
            else:
                assert lead.stage in (Stage.WON, Stage.LOST)
            if lead.stage == Stage.LOST:
                assert lead.lost_reason_id is not None
            assert lead.due_key == (f"KPB{lead.kpb_number}" if lead.kpb_number else f"REG:{lead.deadline}")
            assert (lead.priority == "high") == bool(lead.nik and lead.phone)
        open_keys = list(s.execute(select(Lead.vehicle_id, Lead.due_key).where(Lead.closed_at.is_(None))).tuples())
        assert len(open_keys) == len(set(open_keys))


def test_follow_up_dates_keep_the_plan_before_h_minus_3(demo_db) -> None:
    database, _, _ = demo_db
    with database.session(None, system=True) as s:
        leads = list(s.scalars(select(Lead).where(Lead.fu1_date.is_not(None))))
        assert leads
        for lead in leads:
            assert lead.deadline is not None and lead.converted_at is not None
            three_before = lead.deadline - dt.timedelta(days=3)
            for plan, done in ((lead.next_plan_fu2, lead.fu1_date), (lead.next_plan_fu3, lead.fu2_date)):
                if done is not None:
                    assert plan is not None and done < plan <= three_before
            dates = [d for d in (lead.fu1_date, lead.fu2_date, lead.fu3_date) if d is not None]
            assert dates == sorted(dates) and dates[-1] <= TODAY
            steps = s.scalars(select(FollowUp.stage_number).where(FollowUp.lead_id == lead.id)
                              .order_by(FollowUp.stage_number)).all()
            assert steps == list(range(1, len(dates) + 1))


def test_won_leads_point_at_the_service_that_closed_them(demo_db) -> None:
    database, _, _ = demo_db
    with database.session(None, system=True) as s:
        won = list(s.scalars(select(Lead).where(Lead.stage == Stage.WON)))
        assert won
        for lead in won:
            if lead.won_work_order_id is not None:
                wo = s.get(WorkOrder, lead.won_work_order_id)
                assert wo is not None and wo.vehicle_id == lead.vehicle_id
                assert wo.branch_id == lead.won_branch_id
                assert (wo.kpb_number == lead.kpb_number) if lead.kpb_number else wo.kpb_number is None
        for booking in s.scalars(select(Booking)):
            lead = s.get(Lead, booking.lead_id)
            assert lead is not None and lead.stage == Stage.WON and booking.branch_id == lead.branch_id
            assert re.fullmatch(r"BOS-W/[A-Z0-9-]+/\d{4}/\d{5}", booking.number)
            pit = s.get(Pit, booking.pit_id)
            assert pit is not None and pit.branch_id == booking.branch_id
            assert booking.booking_at.tzinfo is not None


def test_customers_have_structured_niks_of_their_province_and_mobile_phones(demo_db) -> None:
    database, summary, _ = demo_db
    with database.session(None, system=True) as s:
        provinces = {b.code: b.province_code for b in demo.BRANCHES}
        codes = dict(s.execute(select(Branch.id, Branch.code)).tuples().all())
        rows = s.execute(select(Customer.branch_id, Customer.nik, Customer.phone, Customer.code,
                                Customer.occupation_id)).tuples().all()
    assert len(rows) == summary.customers
    niks = [nik for _b, nik, _p, _c, _o in rows if nik]
    assert len(niks) == len(set(niks))
    incomplete = sum(1 for _b, nik, _p, _c, occ in rows if nik is None or occ is None)
    assert 0.03 * len(rows) < incomplete < 0.2 * len(rows)
    for branch_id, nik, phone, code, _occ in rows:
        assert re.fullmatch(r"BPA/\d{4}/\d{7}", code)
        if nik:
            assert normalize_nik(nik) == nik and nik[:2] == provinces[codes[branch_id]]
        if phone:
            assert phone.startswith("+628") and normalize_phone(phone) == phone


def test_vehicles_and_work_orders_hang_together(demo_db) -> None:
    database, summary, _ = demo_db
    with database.session(None, system=True) as s:
        engines = list(s.scalars(select(Vehicle.engine_no)))
        assert len(engines) == SIZE == summary.vehicles and len(set(engines)) == SIZE
        assert all(re.fullmatch(r"[A-Z]{2}[A-Z0-9]{2}E\d{7}", e) for e in engines)
        orphans = s.scalar(select(func.count()).select_from(WorkOrder)
                           .outerjoin(Vehicle, Vehicle.id == WorkOrder.vehicle_id).where(Vehicle.id.is_(None)))
        assert orphans == 0
        assert 1.5 < summary.work_orders / SIZE < 3
        before = s.scalar(select(func.count()).select_from(WorkOrder)
                          .join(Vehicle, Vehicle.id == WorkOrder.vehicle_id)
                          .where(WorkOrder.service_date < Vehicle.purchase_date))
        assert before == 0
        assert s.scalar(select(func.max(WorkOrder.service_date))) <= TODAY


def test_it_refuses_a_database_that_already_has_branches(demo_db) -> None:
    database, _, _ = demo_db
    assert not demo.is_empty(database)
    with pytest.raises(demo.DemoError):
        demo.generate(database, vehicles=10, today=TODAY)


def test_the_same_seed_gives_the_same_dealer(demo_db) -> None:
    _, _, digests = demo_db
    assert digests[0] == digests[1]
