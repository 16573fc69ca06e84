"""Test fixtures: a real database (SQLite by default, PostgreSQL with DATABASE_URL), migrated with
alembic once per run; each test runs inside a transaction that is rolled back at its end."""

from __future__ import annotations

import datetime as dt
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from core.accounts.access import Viewer
from core.accounts.auth import create_user, viewer_for_user
from core.masterdata import reference
from db.base import Base
from db.engine import Database, make_engine
from db.enums import Role, StaffKind
from db.migrate import upgrade
from db.models import Branch, Customer, Pit, Staff, User, Vehicle

# Low bcrypt cost in tests: hashing is not what they measure.
os.environ.setdefault("H23_BCRYPT_ROUNDS", "4")
TEST_PASSWORD = "rahasia123"
ROOT = Path(__file__).resolve().parent.parent


def _test_url(tmp_dir: Path) -> str:
    url = os.environ.get("DATABASE_URL")
    return url if url else f"sqlite:///{tmp_dir / 'test.db'}"


@pytest.fixture(scope="session")
def engine() -> Iterator[Engine]:
    with tempfile.TemporaryDirectory(prefix="h23-test-") as tmp:
        eng = make_engine(_test_url(Path(tmp)))
        if eng.dialect.name == "postgresql":
            with eng.begin() as conn:
                conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
                conn.execute(text("CREATE SCHEMA public"))
        upgrade(eng)
        yield eng
        eng.dispose()


@pytest.fixture
def db(engine: Engine) -> Iterator[Database]:
    """A Database whose sessions all join one outer transaction, rolled back after the test."""
    with engine.connect() as conn:
        outer = conn.begin()
        database = Database(conn)
        try:
            yield database
        finally:
            outer.rollback()


@pytest.fixture
def committed_db(engine: Engine) -> Iterator[Database]:
    """A Database on the real engine (commits are real): for concurrency tests. Empties every table after."""
    database = Database(engine)
    yield database
    with engine.begin() as conn:
        for table in reversed(Base.metadata.sorted_tables):
            conn.execute(table.delete())


@dataclass
class World:
    """Two branches with an admin each, a Kepala Bengkel of SAM01, head office, and one customer
    with a motorcycle in each branch: enough for own-branch / other-branch / head-office tests."""

    db: Database
    sam: Branch
    man: Branch
    ho: Viewer
    admin_sam: Viewer
    kabeng_sam: Viewer
    admin_man: Viewer
    sa_sam: Viewer
    customer_sam: Customer
    vehicle_sam: Vehicle
    customer_man: Customer
    vehicle_man: Vehicle
    pit_sam: Pit
    pit2_sam: Pit
    mechanic_sam: Staff
    advisor_sam: Staff


def build_world(database: Database) -> World:
    with database.transaction(None, system=True) as s:
        reference.install(s)
        sam = Branch(code="SAM01", name="SAMARINDA", timezone="Asia/Makassar", ahass_code="00123")
        man = Branch(code="MAN01", name="MANADO", timezone="Asia/Makassar", ahass_code="00456")
        s.add_all([sam, man])
        s.flush()
        pw = create_user(s, username="pw.template", full_name="x", password=TEST_PASSWORD,
                         role=Role.PIC_CRM, branch_ids=[]).password_hash
        users = {
            "ho": create_user(s, username="ho", full_name="Head Office", password="", password_hash=pw,
                              role=Role.PIC_CRM, branch_ids=[]),
            "admin_sam": create_user(s, username="admin.sam01", full_name="Admin Samarinda", password="",
                                     password_hash=pw, role=Role.ADMIN_CRM, branch_ids=[sam.id]),
            "kabeng_sam": create_user(s, username="kabeng.sam01", full_name="Kabeng Samarinda", password="",
                                      password_hash=pw, role=Role.KABENG, branch_ids=[sam.id]),
            "admin_man": create_user(s, username="admin.man01", full_name="Admin Manado", password="",
                                     password_hash=pw, role=Role.ADMIN_CRM, branch_ids=[man.id]),
            "sa_sam": create_user(s, username="sa.sam01", full_name="SA Samarinda", password="",
                                  password_hash=pw, role=Role.SA, branch_ids=[sam.id]),
        }
        from core.masterdata.reference import OCCUPATIONS  # noqa: F401  (occupations installed above)
        from db.models import Occupation
        occ = s.query(Occupation).filter_by(code="PELAJAR").one()
        customer_sam = Customer(branch_id=sam.id, code="BPA/1912/1553856", name="RESTU ANDIKA PRADANA PUTRA",
                                nik="6472020504010003", phone="+6285845164510", address="JL.CIPTO MANGUNKUSUMO",
                                province_code="64", city_code="6472", occupation_id=occ.id,
                                consent_contact=True, consent_message=True)
        customer_man = Customer(branch_id=man.id, code="BPA/2003/1688763", name="SULTJE ADOLONG",
                                nik="7171014506800002", phone="+6282187479254", address="JL. SAM RATULANGI",
                                province_code="71", city_code="7171", occupation_id=occ.id)
        s.add_all([customer_sam, customer_man])
        s.flush()
        vehicle_sam = Vehicle(branch_id=sam.id, customer_id=customer_sam.id, engine_no="KF41E1693525",
                              engine_code="KF41", plate="KT 2146 FK", unit_type_code="X1H02N35S2",
                              unit_name="New Vario Techno 150 Plus", colour="BL-BLUE",
                              purchase_date=dt.date(2019, 12, 4))
        vehicle_man = Vehicle(branch_id=man.id, customer_id=customer_man.id, engine_no="JM82E1033045",
                              engine_code="JM82", plate="DB 4042 BW", unit_type_code="D1B02N12L2",
                              unit_name="Beat Sporty CBS", purchase_date=dt.date(2020, 3, 10))
        pit_sam, pit2_sam = Pit(branch_id=sam.id, name="PIT 1"), Pit(branch_id=sam.id, name="PIT 2")
        mechanic = Staff(branch_id=sam.id, kind=StaffKind.MECHANIC, code="18060009", name="JEPRI ARI SAPUTRA")
        advisor = Staff(branch_id=sam.id, kind=StaffKind.SERVICE_ADVISOR, code="13020048", name="HENDRI STIAWAN")
        s.add_all([vehicle_sam, vehicle_man, pit_sam, pit2_sam, mechanic, advisor])
        s.flush()
        viewers = {k: viewer_for_user(s, u) for k, u in users.items()}
        s.delete(s.query(User).filter_by(username="pw.template").one())
    return World(database, sam, man, viewers["ho"], viewers["admin_sam"], viewers["kabeng_sam"],
                 viewers["admin_man"], viewers["sa_sam"], customer_sam, vehicle_sam, customer_man,
                 vehicle_man, pit_sam, pit2_sam, mechanic, advisor)


@pytest.fixture
def world(db: Database) -> World:
    return build_world(db)


@pytest.fixture
def run_page(world: World) -> Iterator:
    """Run one page script through streamlit's AppTest as a given viewer, on the test database:
    `at = run_page("pages/leads.py", world.admin_sam, query={"id": "3"})`."""
    from streamlit.testing.v1 import AppTest

    import ui.context

    ui.context._override = world.db

    def run(path: str, viewer: Viewer, *, query: dict[str, str] | None = None, **state: object) -> AppTest:
        at = AppTest.from_file(str(ROOT / path), default_timeout=30)
        at.session_state["h23_viewer"] = viewer
        for key, value in state.items():
            at.session_state[key] = value
        for key, value in (query or {}).items():
            at.query_params[key] = value
        return at.run()

    yield run
    ui.context._override = None
