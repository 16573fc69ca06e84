"""A realistic demo dealer (the seed's Daya Motor, in small) at a chosen size, generated fast.

`generate(db, vehicles=N)` fills an empty, migrated database: branches with their pits, staff and
ring coverage, unit types, the demo users, then N motorcycles with their customers (CDDB), sales
(H1), two years of work orders (H2: the KPB services they came for, then regular service), and
leads in every stage of the pipeline with their follow-ups and a few bookings.

The big tables (customer, vehicle, sale, work_order) are streamed in chunks of plain tuples with
ids assigned here (children name their parents without reading back), written with the driver's
fastest bulk path (SQLite: executemany of prepared rows; PostgreSQL: COPY) and committed per chunk,
so a million vehicles take minutes and bounded memory. Everything follows from `seed`.
"""

from __future__ import annotations

import datetime as dt
import random
import sys
import time
from collections import Counter as Tally
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from core.bookings.workorders import refresh_last_service
from core.demo.catalogue import _CHUNK, BRANCHES, DEMO_PASSWORD, DEMO_USERS
from core.demo.generator import _Generator, _population
from core.demo.leads import _build_leads
from core.demo.rows import (
    _CUSTOMER_COLS,
    _SALE_COLS,
    _VEHICLE_COLS,
    _WO_COLS,
    _WO_NUMBER,
    _install_master,
    _Writer,
)
from core.leads.lead import fill_snapshots
from core.leads.touches import plan_lead_touches
from core.platform import clock
from core.platform.numbering import format_number, reserve
from core.prediction import usage
from db.engine import Database
from db.models import Booking, Branch, Customer, FollowUp, Lead, Sale, Vehicle, WorkOrder

__all__ = ["BRANCHES", "DEMO_PASSWORD", "DEMO_USERS", "DemoError", "DemoSummary", "generate", "is_empty"]


@dataclass
class DemoSummary:
    branches: int = 0
    users: int = 0
    customers: int = 0
    vehicles: int = 0
    sales: int = 0
    work_orders: int = 0
    leads: int = 0
    followups: int = 0
    bookings: int = 0
    leads_by_stage: dict[str, int] = field(default_factory=dict)


class DemoError(RuntimeError):
    """The database is not empty: demo data only goes into a fresh database."""


def is_empty(db: Database) -> bool:
    """True when the database has no branches yet (the demo may be generated into it)."""
    with db.session(None, system=True) as s:
        return s.scalar(select(func.count()).select_from(Branch)) == 0


# --- the whole run -------------------------------------------------------------------------------

def _say(progress: bool, started: float, message: str) -> None:
    if progress:
        print(f"[demo {time.perf_counter() - started:6.1f} s] {message}", file=sys.stderr, flush=True)


def _next_ids(s: Session) -> dict[str, int]:
    tables = {"customer": Customer, "vehicle": Vehicle, "sale": Sale, "work_order": WorkOrder, "lead": Lead,
              "followup": FollowUp, "booking": Booking}
    return {name: int(s.scalar(select(func.coalesce(func.max(model.id), 0))) or 0)  # type: ignore[attr-defined]
            for name, model in tables.items()}


def _fix_sequences(s: Session) -> None:
    """PostgreSQL: we chose the ids, so move each id sequence past them for the app's own inserts."""
    if s.get_bind().dialect.name != "postgresql":
        return
    for table in ("customer", "vehicle", "sale", "work_order", "lead", "followup", "booking"):
        s.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                       f"(SELECT COALESCE(MAX(id), 0) + 1 FROM {table}), false)"))


def generate(db: Database, *, vehicles: int = 3000, seed: int = 23, today: dt.date | None = None,
             progress: bool = False, chunk_size: int = _CHUNK) -> DemoSummary:
    """Fill an empty database with a demo dealer of `vehicles` motorcycles; deterministic per seed."""
    if vehicles < 1:
        raise ValueError("vehicles must be >= 1")
    started = time.perf_counter()
    if not is_empty(db):
        raise DemoError("the database already has branches; demo data only goes into an empty database")
    today_ord = (today or clock.today_in("Asia/Jakarta")).toordinal()
    rnd = random.Random(seed)
    with db.transaction(None, system=True) as s:
        master = _install_master(s, rnd)
        ids = _next_ids(s)
        dialect = s.get_bind().dialect.name
    _say(progress, started, f"{len(master.branches)} branches, {master.users} users")
    pop = _population(vehicles, seed, today_ord, len(master.branches))
    lead_rate = (0.03 * vehicles + min(250.0, 0.15 * vehicles)) / vehicles
    gen = _Generator(master, pop, seed + 1, today_ord, dialect, lead_rate)
    # Customer codes: one block per BPA/<yymm> series, reserved before any row is written.
    months = Tally(dt.date.fromordinal(pop.day[i]).strftime("%y%m") for i in range(vehicles) if pop.new_customer[i])
    with db.transaction(None, system=True) as s:
        gen.bpa_next = {f"BPA/{k}": reserve(s, f"BPA/{k}", c) for k, c in sorted(months.items())}
    _say(progress, started, f"planned {vehicles:,} vehicles of {pop.customers:,} customers")
    wo_id = ids["work_order"]
    for start in range(0, vehicles, chunk_size):
        stop = min(vehicles, start + chunk_size)
        rows = gen.chunk(start, stop, ids)
        wos: list[list[Any]] = rows["work_order"]  # type: ignore[assignment]
        with db.transaction(None, system=True) as s:
            first = {k: reserve(s, k, c) for k, c in sorted(Tally(w[-1] for w in wos).items())}
            for w in wos:
                key = w.pop()
                wo_id += 1
                w[0], w[_WO_NUMBER] = wo_id, format_number(key, first[key])
                first[key] += 1
            out = _Writer(s)
            out.write(Customer.__table__, _CUSTOMER_COLS, rows["customer"])  # type: ignore[arg-type]
            out.write(Vehicle.__table__, _VEHICLE_COLS, rows["vehicle"])  # type: ignore[arg-type]
            out.write(Sale.__table__, _SALE_COLS, rows["sale"])  # type: ignore[arg-type]
            out.write(WorkOrder.__table__, _WO_COLS, wos)  # type: ignore[arg-type]
        del rows, wos
        _say(progress, started, f"{stop:,}/{vehicles:,} vehicles, {gen.counts['work_orders']:,} work orders")
    with db.transaction(None, system=True) as s:
        n_leads, n_fu, n_book, by_stage = _build_leads(s, gen, ids)
        _fix_sequences(s)
        refresh_last_service(s)  # each vehicle's latest work order, for the lead engine
        usage.refresh(s, dt.date.fromordinal(today_ord))  # each vehicle's km per day, as the daily run keeps it
        fill_snapshots(s)  # the unit and customer code each lead shows, in one UPDATE
        plan_lead_touches(s)  # the open leads' H-7 / H-3 touches, as the lead engine plans them
        if s.get_bind().dialect.name == "postgresql":  # after a big load: autovacuum's analyze comes minutes late
            s.execute(text("ANALYZE"))
    _say(progress, started, f"{n_leads:,} leads, {n_fu:,} follow-ups, {n_book:,} bookings; done")
    return DemoSummary(branches=len(master.branches), users=master.users, customers=gen.counts["customers"],
                       vehicles=gen.counts["vehicles"], sales=gen.counts["vehicles"],
                       work_orders=gen.counts["work_orders"], leads=n_leads, followups=n_fu, bookings=n_book,
                       leads_by_stage=by_stage)
