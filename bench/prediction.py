"""Benchmark: how well each motorcycle's own km per day predicts its next service (issue 17).

Two data sets, each with every vehicle's last service hidden (its odometer reading taken away, so the rate is
what the earlier readings say), the rates refreshed by the product's own set-based pass
(core.prediction.usage), and the hidden service's date predicted by the product's rule (core.prediction:
km or days, whichever first) against today's fixed interval (the day limit alone: purchase + KPB days, last
service + interval days):
- demo: the demo dealer, whose vehicles each draw their own usage (core.demo.generator);
- real-shaped: histories built here the way dealer data looks: rates that drift from one service to the next,
  a third of the customers who come by the calendar whatever their km, arrivals scattered around the due
  day, 10% of readings missing, 3% typos, 1% odometer resets, customers who stop coming.
Figures: the median absolute error (days) of the predicted date, and the share of services that arrive before
their H-7 touch (too late to remind), each beside the fixed interval's. Targets: error <= half, share at least
halved. The cost of the daily run with the refresh is measured by bench/leadgen.py (`usage refresh` line).

    python -m bench.prediction            # 20,000 demo vehicles + 20,000 real-shaped
    python -m bench.prediction --quick    # 3,000 + 3,000
"""

from __future__ import annotations

import datetime as dt
import math
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from sqlalchemy import func, insert, select, text

from bench.common import arg_parser, report
from core import demo
from core.demo.catalogue import UNIT_TYPES
from core.masterdata.reference import CBR250_ENGINE_CODE, CBR250_KPB, DEFAULT_KPB
from core.platform import settings
from core.prediction import arrival, usage
from core.prediction.forecast import kpb_limits, regular_limits
from core.prediction.next_due import whichever_first
from db.engine import Database, make_engine
from db.migrate import upgrade
from db.models import ArrivalCalendar, Branch, Vehicle, VehicleUsage, WorkOrder

TODAY = dt.date(2026, 12, 1)
# The real-shaped histories' true due days (vehicle id: [(service day, due day, KPB n or None)]), for the oracle.
TRUTH: dict[int, list[tuple[dt.date, dt.date, int | None]]] = {}


def _database(url: str | None, name: str) -> Database:
    if not url:
        url = f"sqlite:///{Path(tempfile.mkdtemp(prefix='h23-prediction-')) / f'{name}.db'}"
    engine = make_engine(url)
    upgrade(engine)
    return Database(engine)


def _rules(engine_no: str) -> list[tuple[int, int, int, int, int]]:
    return CBR250_KPB if engine_no.startswith(CBR250_ENGINE_CODE) else DEFAULT_KPB


def evaluate(db: Database) -> dict[str, Any]:
    """Hide each vehicle's last work order (deleted, so neither its km nor its day teaches the product
    anything), refresh the rates and habits, predict its date three ways; rolled back."""
    with db.session(None, system=True, write=True) as s:
        s.begin()
        hidden = s.execute(text(
            "SELECT w.vehicle_id, w.id, w.service_date, w.job_type, w.kpb_number FROM work_order w WHERE w.id = "
            "(SELECT w2.id FROM work_order w2 WHERE w2.vehicle_id = w.vehicle_id "
            "ORDER BY w2.service_date DESC, w2.id DESC LIMIT 1)")).all()
        by_vehicle = {r[0]: r for r in hidden}
        # The service before the hidden one (the regular interval counts from it).
        prev = {vid: (_date(day), job) for vid, day, job in s.execute(text(
            "SELECT w.vehicle_id, w.service_date, w.job_type FROM work_order w WHERE w.id = "
            "(SELECT w2.id FROM work_order w2 WHERE w2.vehicle_id = w.vehicle_id "
            "ORDER BY w2.service_date DESC, w2.id DESC LIMIT 1 OFFSET 1)"))}
        ids = [r[1] for r in hidden]
        for k in range(0, len(ids), 5_000):
            chunk = ",".join(map(str, ids[k:k + 5_000]))
            for table, col in (("lead", "won_work_order_id"), ("booking", "work_order_id"),
                               ("touch", "work_order_id")):
                s.execute(text(f"UPDATE {table} SET {col} = NULL WHERE {col} IN ({chunk})"))
            s.execute(text(f"DELETE FROM work_order WHERE id IN ({chunk})"))
        started = time.perf_counter()
        usage.refresh(s, TODAY)  # the full pass, as on a first run: the rates, then the habits
        refresh_s = time.perf_counter() - started
        rows = s.execute(select(Vehicle.id, Vehicle.branch_id, Vehicle.engine_no, Vehicle.purchase_date,
                                VehicleUsage.km_per_day, VehicleUsage.last_km, VehicleUsage.last_km_on)
                         .join(VehicleUsage, VehicleUsage.vehicle_id == Vehicle.id)
                         .where(Vehicle.id.in_(list(by_vehicle)))).all()
        habits: dict[tuple[str, int], float | None] = {}
        calendar = set(s.scalars(select(ArrivalCalendar.vehicle_id)))
        per_service: dict[str, list[tuple[int, int]]] = {}  # (expected, fixed) errors by service
        errors: dict[str, list[int]] = {"fixed": [], "due": [], "expected": []}
        km_first: list[tuple[int, int]] = []  # (expected, fixed) errors where the km limit came first
        early_pred = early_fixed = 0
        evaluated: set[int] = set()
        msg_days = settings.get(s, "sop.message_days_before")
        for vid, branch_id, engine_no, purchase, rate, last_km, last_km_on in rows:
            _vid, _wid, actual, _job, kpb = by_vehicle[vid]
            actual = _date(actual)
            purchase = _date(purchase) if purchase else None
            if kpb:
                if purchase is None:
                    continue
                _n, days, km, _gd, _gk = _rules(engine_no)[kpb - 1]
                day_limit, by_km = kpb_limits(purchase, days, km, rate, last_km,
                                              _date(last_km_on) if last_km_on else None)
            else:
                before = prev.get(vid)
                if before is None:
                    continue
                day_limit, by_km = regular_limits(s, before[0], before[1], rate)
            due, by = whichever_first(day_limit, by_km)
            service = arrival.service_of(kpb or None, None if kpb else prev[vid][1])
            evaluated.add(vid)
            if (service, branch_id) not in habits:
                habits[service, branch_id] = arrival.offset_days(s, service, branch_id)
            shift = dt.timedelta(days=round(habits[service, branch_id] or 0))
            expected = (day_limit if vid in calendar else due) + shift  # a calendar customer: from the days
            for name, day in (("fixed", day_limit), ("due", due), ("expected", expected)):
                errors[name].append(abs((actual - day).days))
            per_service.setdefault(service, []).append((errors["expected"][-1], errors["fixed"][-1]))
            if by == "km":
                km_first.append((errors["expected"][-1], errors["fixed"][-1]))
            # The touches count back from the expected day, never after the deadline (core.leads.touches).
            early_pred += actual < min(expected, due) - dt.timedelta(days=msg_days)
            early_fixed += actual < day_limit - dt.timedelta(days=msg_days)
        s.rollback()
    n = len(errors["fixed"])
    return {"services": n, "mae_pred": statistics.median(errors["expected"]),
            "mae_due": statistics.median(errors["due"]), "mae_fixed": statistics.median(errors["fixed"]),
            "early_pred": early_pred / n, "early_fixed": early_fixed / n, "refresh_s": refresh_s,
            "km_first": len(km_first), "km_mae_pred": statistics.median([p for p, _ in km_first] or [0]),
            "km_mae_fixed": statistics.median([f for _, f in km_first] or [0]), "evaluated": evaluated,
            "per_service": {k: (len(v), statistics.median(p for p, _ in v), statistics.median(f for _, f in v))
                            for k, v in sorted(per_service.items())}}


def oracle(evaluated: set[int]) -> float:
    """The best any prediction can do on the real-shaped set: each hidden service's true due day (what the
    generator knew: the km each customer really rode, whether they follow the km or the calendar) moved by the
    median arrival offset of its kind over every service; its median absolute error. What is left is the
    customers' own scatter around the due day, which no history can foretell."""
    offsets: dict[bool, list[int]] = {True: [], False: []}
    for visits in TRUTH.values():
        for when, due, kpb in visits:
            offsets[kpb is not None].append((when - due).days)
    shift = {k: statistics.median(v or [0]) for k, v in offsets.items()}
    errors = [abs(((when - due).days) - shift[kpb is not None])
              for vid, visits in TRUTH.items() if vid in evaluated for when, due, kpb in visits[-1:]]
    return statistics.median(errors or [0])


def _date(value: Any) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value)[:10])


def real_shaped(db: Database, n: int, seed: int = 17) -> int:
    """n vehicles with messy histories (see the module docstring) into a database holding the demo's master data."""
    rnd = random.Random(seed)
    with db.transaction(None, system=True) as s:
        branch_ids = list(s.scalars(select(Branch.id)))
        base = int(s.scalar(select(func.coalesce(func.max(Vehicle.id), 0))) or 0)
        vehicles, orders = [], []
        for i in range(n):
            code, name, ec, *_ = UNIT_TYPES[rnd.randrange(len(UNIT_TYPES))]
            purchase = TODAY - dt.timedelta(days=rnd.randint(30, 900))
            vid = base + i + 1
            vehicles.append({"id": vid, "branch_id": rnd.choice(branch_ids), "engine_no": f"{ec}R{i:07d}"[:12],
                             "engine_code": ec, "unit_type_code": code, "unit_name": name, "purchase_date": purchase})
            rate = max(2.0, min(250.0, rnd.lognormvariate(math.log(20), 0.7)))
            by_calendar = rnd.random() < 0.33
            odo, last, offset = 0.0, purchase, 0
            visits: list[tuple[dt.date, str, int | None, float, dt.date]] = []
            for number, days, km, *_ in _rules(ec):
                if rnd.random() > (0.85, 0.7, 0.55, 0.45)[number - 1]:
                    continue
                now = rate * rnd.lognormvariate(0, 0.25)  # usage drifts between services
                due = purchase + dt.timedelta(days=days)
                if not by_calendar:
                    due = min(due, last + dt.timedelta(days=max(1, int((km - odo) / now))))
                when = due + dt.timedelta(days=rnd.randint(-14, 5))
                if when <= last or when > TODAY:
                    break
                odo += (when - last).days * now
                visits.append((when, f"ASS{number}", number, odo, due))
                last = when
            while visits and rnd.random() < 0.6:
                now = rate * rnd.lognormvariate(0, 0.25)
                due = last + dt.timedelta(days=60 if by_calendar else min(60, max(1, int(2000 / now))))
                when = due + dt.timedelta(days=rnd.randint(-10, 20))
                if when > TODAY:
                    break
                odo += (when - last).days * now
                visits.append((when, rnd.choice(("QS", "QS", "LR", "HR")), None, odo, due))
                last = when
            if visits:  # the true due day of the last one, for the oracle
                TRUTH[vid] = [(when, due, kpb) for when, _j, kpb, _a, due in visits]
            for k, (when, job, kpb, at, _due) in enumerate(visits):
                reading = _reading(rnd, at)
                if reading is not None and rnd.random() < 0.01:
                    offset = reading  # the odometer was replaced: it starts again from 0
                if reading is not None:
                    reading -= offset
                orders.append({"branch_id": vehicles[-1]["branch_id"], "number": f"RS/{vid}/{k}", "vehicle_id": vid,
                               "service_date": when, "km": reading, "job_type": job, "kpb_number": kpb})
        s.execute(insert(Vehicle), vehicles)
        s.execute(insert(WorkOrder), orders)
    return len(orders)


def _reading(rnd: random.Random, km: float) -> int | None:
    """The odometer as the dealer's data has it: now and then not filled in, or a digit too many or too few."""
    if rnd.random() < 0.10:
        return None
    reading = int(km) + 100
    if rnd.random() < 0.03:
        return reading * 10 if rnd.random() < 0.5 else reading // 10
    return reading


def main() -> None:
    parser = arg_parser(__doc__ or "")
    parser.add_argument("--vehicles", type=int, default=None)
    args = parser.parse_args()
    n = args.vehicles or (3_000 if args.quick else 20_000)
    results = {}
    db = _database(args.database_url, "demo")
    if demo.is_empty(db):
        demo.generate(db, vehicles=n, today=TODAY)
    results["demo"] = evaluate(db)
    other = _database(None, "real")  # always a fresh SQLite file: the histories are built here
    demo.generate(other, vehicles=1, today=TODAY)  # the master data only
    with other.transaction(None, system=True) as s:
        s.execute(text("DELETE FROM vehicle_usage"))
    real_shaped(other, n)
    results["real-shaped"] = evaluate(other)
    results["real-shaped"]["oracle"] = oracle(results["real-shaped"]["evaluated"])
    for name, r in results.items():
        print(f"{name}: {r['services']:,} hidden services; median abs error {r['mae_pred']:.1f} days predicted vs "
              f"{r['mae_fixed']:.1f} days fixed interval ({r['mae_due']:.1f} by km or days alone); "
              f"before H-7: {100 * r['early_pred']:.1f}% predicted vs "
              f"{100 * r['early_fixed']:.1f}% fixed; where the km limit came first ({r['km_first']:,}): "
              f"{r['km_mae_pred']:.1f} vs {r['km_mae_fixed']:.1f} days; full rate refresh {r['refresh_s']:.2f} s",
              file=sys.stderr)
    for name, r in results.items():
        print(f"{name} by service (services, predicted, fixed): " + "; ".join(
            f"{k} {n:,} {p:.0f} vs {f:.0f}" for k, (n, p, f) in r["per_service"].items()), file=sys.stderr)
    print(f"real-shaped oracle (the true due days, the best shift): median abs error "
          f"{results['real-shaped']['oracle']:.1f} days", file=sys.stderr)
    worst = max(results.values(), key=lambda r: r["mae_pred"] / max(r["mae_fixed"], 0.1))
    report("prediction", worst["mae_pred"], "days", worst["mae_fixed"])


if __name__ == "__main__":
    main()
