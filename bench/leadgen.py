"""Benchmark: the full daily lead generation over the demo dealer (issue 3).

Figures to reach: 1,000,000 vehicles and ~2,000,000 work orders: a full run (KPB + regular +
not-back + touch plans) in <= 5 s on SQLite, <= 2x the floor; a second run the same day <= 1 s.
The floor is the same work by the plainest code on the raw driver: the same candidate selection as
one plain statement, the same leads inserted by one INSERT ... SELECT and their H-7/H-3 touches by
one more (no ORM, no number blocks, no closing or feedback passes).

The measured day is a real day: the day after the data's last work order, with that day's new work orders
(as many as an average day of the last four weeks, for vehicles spread over the whole table, at the km their
usage row predicts), committed before the runs so the floor sees them too and deleted at the end. The lead
engine has never run on the demo data, so the first run is still a first-ever run for that day's 21-day
window (the heaviest kind); its usage refresh is the daily one (the vehicles with new readings). The
first-ever full usage refresh (every vehicle, then the typical rates, then every vehicle again) is measured
apart, as is the weekly typical-rate job. Every run is rolled back, so the script can be repeated on the same
database.

    python -m bench.leadgen              # 1,000,000 vehicles (the database is built once and kept)
    python -m bench.leadgen --quick      # 20,000 vehicles
"""

from __future__ import annotations

import datetime as dt
import sys
import time
from pathlib import Path

from sqlalchemy import delete, func, insert, select, union_all

from bench.common import arg_parser, peak_rss_mb, report
from core import demo
from core.bookings.workorders import refresh_last_service
from core.leads import leadgen
from core.platform import clock
from core.prediction import typical, usage
from db.engine import Database, make_engine
from db.migrate import upgrade
from db.models import Branch, Vehicle, VehicleUsage, WorkOrder

NEW_DAY_PREFIX = "BENCH/DAY/"


def _database(url: str | None, vehicles: int) -> Database:
    if not url:
        folder = Path(__file__).resolve().parent / ".data"
        folder.mkdir(exist_ok=True)
        url = f"sqlite:///{folder / f'leadgen-{vehicles}.db'}"
    engine = make_engine(url)
    upgrade(engine)
    db = Database(engine)
    if demo.is_empty(db):
        started = time.perf_counter()
        print(f"building the demo dealer with {vehicles:,} vehicles (once)...", file=sys.stderr)
        demo.generate(db, vehicles=vehicles, progress=True)
        print(f"  built in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    return db


def _floor(db: Database, day: dt.date) -> float:
    """The same work by the plainest code: the same candidate selection (compiled to one plain
    statement), the same lead rows inserted by one INSERT ... SELECT, and their H-7/H-3 touches by
    one more, all on the raw DBAPI connection; then rolled back."""
    with db.session(None, system=True) as s:
        branch_ids = list(s.scalars(select(Branch.id)))
        selects = (leadgen._kpb_candidates(s, branch_ids, day, 21)
                   + leadgen._regular_candidates(s, branch_ids, day, 21))
        sql = str(union_all(*selects).compile(db.engine, compile_kwargs={"literal_binds": True}))
    pg = db.dialect == "postgresql"
    now = "now()" if pg else "datetime('now')"

    def minus(days: int) -> str:
        return f"f.deadline - {days}" if pg else f"date(f.deadline, '-{days} days')"

    def key(kind: str) -> str:
        return f"'L' || l.id || ':{kind}'"

    statements = [
        "CREATE TEMP TABLE floor_c AS " + sql,
        "INSERT INTO lead (branch_id, number, category, division, sales_source, stage, priority, customer_id,"
        " vehicle_id, service_kind, kpb_number, deadline, due_key, version, created_at, updated_at)"
        " SELECT branch_id, 'LDS/FLOOR/' || vehicle_id || '/' || due_key, category, 'Workshop', sales_source,"
        f" 'lead', 'normal', customer_id, vehicle_id, service_kind, kpb_number, deadline, due_key, 1, {now}, {now}"
        " FROM floor_c",
        "INSERT INTO touch (branch_id, dedup_key, kind, channel, due_on, state, lead_id, customer_id, vehicle_id,"
        " created_at) SELECT f.branch_id, " + key("message_h7") + ", 'message_h7', 'whatsapp', " + minus(7)
        + f", 'planned', l.id, f.customer_id, f.vehicle_id, {now} FROM floor_c f JOIN lead l"
        " ON l.vehicle_id = f.vehicle_id AND l.due_key = f.due_key AND l.number LIKE 'LDS/FLOOR/%'"
        " UNION ALL SELECT f.branch_id, " + key("call_h3") + ", 'call_h3', 'call', " + minus(3)
        + f", 'planned', l.id, f.customer_id, f.vehicle_id, {now} FROM floor_c f JOIN lead l"
        " ON l.vehicle_id = f.vehicle_id AND l.due_key = f.due_key AND l.number LIKE 'LDS/FLOOR/%'",
    ]
    raw = db.engine.raw_connection()
    try:
        cur = raw.cursor()
        if not pg:
            cur.execute("BEGIN")  # our SQLite connections autocommit unless told (db.engine)
        started = time.perf_counter()
        for statement in statements:
            cur.execute(statement)
        elapsed = time.perf_counter() - started
        raw.rollback()
        return elapsed
    finally:
        raw.close()


def _new_day(db: Database) -> tuple[dt.date, int]:
    """The day after the data's last work order, and that day's new work orders (committed): as many as an
    average day of the last 28 had, for vehicles spread over the whole table (every n-th id), each at the
    km its usage row predicts for the day, a quick service."""
    with db.transaction(None, system=True) as s:
        last = s.scalar(select(func.max(WorkOrder.service_date)))
        assert last is not None, "the demo has work orders"
        day = last + dt.timedelta(days=1)
        n = (s.scalar(select(func.count()).select_from(WorkOrder)
                      .where(WorkOrder.service_date > last - dt.timedelta(days=28))) or 0) // 28
        vehicles = s.scalar(select(func.count()).select_from(Vehicle)) or 1
        step = max(1, vehicles // max(n, 1))
        rows = s.execute(select(Vehicle.id, Vehicle.branch_id, Vehicle.customer_id, VehicleUsage.last_km,
                                VehicleUsage.last_km_on, VehicleUsage.km_per_day)
                         .join(VehicleUsage, VehicleUsage.vehicle_id == Vehicle.id)
                         .where(Vehicle.id % step == 0).order_by(Vehicle.id).limit(n)).all()
        now = clock.now()
        s.execute(insert(WorkOrder), [
            {"branch_id": b, "number": f"{NEW_DAY_PREFIX}{v}", "vehicle_id": v, "customer_id": c,
             "service_date": day, "job_type": "QS", "kpb_number": None, "created_at": now, "updated_at": now,
             "km": int((km or 0) + rate * ((day - (on or day)).days))} for v, b, c, km, on, rate in rows])
        refresh_last_service(s, [r[0] for r in rows])
    return day, len(rows)


def _forget_day(db: Database) -> None:
    with db.transaction(None, system=True) as s:
        ids = list(s.scalars(select(WorkOrder.vehicle_id).where(WorkOrder.number.like(f"{NEW_DAY_PREFIX}%"))))
        s.execute(delete(WorkOrder).where(WorkOrder.number.like(f"{NEW_DAY_PREFIX}%")))
        refresh_last_service(s, ids)


def main() -> None:
    parser = arg_parser(__doc__ or "")
    parser.add_argument("--vehicles", type=int, default=None)
    args = parser.parse_args()
    vehicles = args.vehicles or (20_000 if args.quick else 1_000_000)
    db = _database(args.database_url, vehicles)
    _forget_day(db)  # an interrupted run's
    day, new_orders = _new_day(db)
    try:
        _measure(db, vehicles, day, new_orders)
    finally:
        _forget_day(db)


def _measure(db: Database, vehicles: int, day: dt.date, new_orders: int) -> None:
    with db.session(None, system=True, write=True) as s:
        s.begin()
        started = time.perf_counter()
        first = leadgen.run(s, on=day)
        first_s = time.perf_counter() - started
        started = time.perf_counter()
        second = leadgen.run(s, on=day)
        second_s = time.perf_counter() - started
        s.rollback()
    floor_s = _floor(db, day)
    # The prediction's own cost (issue 17), apart: the daily refresh as the day's run meets it, the weekly
    # typical-rate job's recompute, and the first-ever full refresh of every vehicle.
    with db.session(None, system=True, write=True) as s:
        s.begin()
        demo_day = s.scalar(select(func.max(VehicleUsage.refreshed_on)))
        started = time.perf_counter()
        daily = usage.refresh(s, day, since=day - dt.timedelta(days=leadgen.CLOSE_LOOKBACK_DAYS))
        daily_s = time.perf_counter() - started
        started = time.perf_counter()
        groups = typical.refresh(s, day)
        weekly_s = time.perf_counter() - started
        started = time.perf_counter()
        full = usage.refresh(s, day)
        full_s = time.perf_counter() - started
        s.rollback()
    print(f"database: {db.dialect}; vehicles: {vehicles:,}; day: {day} (the day after the data's last day "
          f"{demo_day}, with its {new_orders:,} new work orders)", file=sys.stderr)
    print(f"usage refresh inside the first run: {first.usage_seconds:.2f} s ({first.usage_vehicles:,} vehicles)",
          file=sys.stderr)
    print(f"usage refresh apart: daily {daily_s:.2f} s ({daily.vehicles:,} vehicles); weekly typical-rate job "
          f"{weekly_s:.2f} s ({groups} groups); first-ever full refresh {full_s:.2f} s ({full.vehicles:,})",
          file=sys.stderr)
    print(f"first run: {first_s:.2f} s {first.as_dict()}", file=sys.stderr)
    print(f"second run (same day): {second_s:.3f} s {second.as_dict()}", file=sys.stderr)
    print(f"peak RSS: {peak_rss_mb():.0f} MiB", file=sys.stderr)
    print(f"leadgen-second-run: {second_s:.3f} s", file=sys.stderr)
    report("leadgen", first_s, "s", floor_s)

if __name__ == "__main__":
    main()
