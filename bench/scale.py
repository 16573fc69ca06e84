"""Issue 14: 200 admins at once on the production shape (deploy/run-stack.sh: N app processes behind
HAProxy with sticky sessions, a worker, PostgreSQL), driven by headless clients that speak Streamlit's own
websocket protocol (bench/stclient.py), each paced like a person (bench/scale_session.py).

    python -m bench.scale --database-url postgresql+psycopg://postgres@127.0.0.1:5432/h23_scale
    python -m bench.scale --quick              # 10 then 20 sessions, 4 s pace: a smoke run

The database is bench/bigdata.py's 70-branch dealer (built once, --leads), with a third admin per branch
added here. Sessions are added in steps (--sessions 25,50,100,200); after each step's logins have
ramped up, every interaction in a --window of seconds is counted for that step: p95 per interaction
kind, errors, and the CPU the stack's processes used divided by the interactions. With --kill, app
process 1 is killed (SIGKILL) a third into the last window; run-stack.sh restarts it after 2 s, its
users reconnect and must be let back in by the re-login cookie. At the end every outcome a user saw
saved ("Tercatat") is looked up in the database: none may be missing.

The floor is the same client, same pacing and session count, against bench/floor_app.py (the plainest
Streamlit page with the same two taps and one committed UPDATE) served by the same stack shape.
Last line: p95 of the work interactions (status, save, lead form, back to Hari ini) at the largest step.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import sys
import time
from pathlib import Path

from sqlalchemy import create_engine, text

from bench import stack as stacks
from bench.common import arg_parser, report
from bench.scale_session import Person, Record

WORK = ("status", "save", "lead_form", "hari_ini")
SHOWN = ("open", "login", "status", "save", "lead_form", "hari_ini", "reload", "reconnect")
DATA = Path(__file__).resolve().parent / ".data"


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20, method="inclusive")[18] if len(values) > 1 else sum(values)


def prepare(url: str, sessions: int) -> list[tuple[str, str, int, int, dict[int, int]]]:
    """(username, branch, slot, admins in the branch, touch -> lead) for each session, over every branch."""
    engine = create_engine(url)
    with engine.begin() as conn:
        branches = list(conn.execute(text("SELECT id, code FROM branch WHERE active ORDER BY id")))
        pw = conn.scalar(text("SELECT password_hash FROM app_user WHERE username = 'ho.admin'"))
        per = -(-sessions // len(branches))
        people: list[tuple[str, str, int, int, dict[int, int]]] = []
        for k in range(per):
            for bid, code in branches:
                if len(people) == sessions:
                    break
                name = f"scale{k}.{code.lower()}"
                if conn.scalar(text("SELECT id FROM app_user WHERE username = :u"), {"u": name}) is None:
                    conn.execute(text(
                        "INSERT INTO app_user (username, full_name, password_hash, role, active, language, "
                        "failed_logins, created_at, updated_at) VALUES (:u, :f, :pw, 'admin_crm', true, 'id', 0, "
                        "CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"), {"u": name, "f": f"SCALE {k} {code}", "pw": pw})
                    conn.execute(text("INSERT INTO user_branch (user_id, branch_id) SELECT id, :b FROM app_user "
                                      "WHERE username = :u"), {"b": bid, "u": name})
                people.append((name, code, k, 0, {}))
        leads = dict(conn.execute(text("SELECT id, lead_id FROM touch WHERE state = 'planned' AND "
                                       "lead_id IS NOT NULL")).all())
    engine.dispose()
    in_branch = {b: sum(1 for _u, b2, *_ in people if b2 == b) for _u, b, *_ in people}
    return [(u, b, slot, in_branch[b], leads) for u, b, slot, _of, _ in people]


def verify(url: str, persons: list[Person]) -> tuple[int, int, int]:
    """(outcomes seen saved, of them missing in the database, interrupted saves that did land)."""
    saved = sorted({t for p in persons for t in p.saved})
    interrupted = sorted({t for p in persons for t in p.interrupted} - set(saved))
    engine = create_engine(url)
    with engine.connect() as conn:
        def done(ids: list[int]) -> int:
            n = 0
            for i in range(0, len(ids), 1000):
                chunk = ids[i:i + 1000]
                n += int(conn.scalar(text(f"SELECT count(*) FROM touch WHERE state = 'done' AND id IN "
                                          f"({','.join(map(str, chunk))})")) or 0)
            return n
        missing = len(saved) - done(saved)
        landed = done(interrupted)
    engine.dispose()
    return len(saved), missing, landed


async def drive(stack: stacks.Stack, people: list, steps: list[int], *, pace: float, window: float, ramp: float,
                kill: bool, floor: bool) -> tuple[list[dict], list[Person]]:
    persons: list[Person] = []
    tasks: list[asyncio.Task[None]] = []
    results = []
    for n_step, target in enumerate(steps):
        new = people[len(persons):target]
        for i, (user, branch, slot, of, leads) in enumerate(new):
            person = Person(stack.base, user, branch, slot, of, pace, leads, seed=len(persons), floor=floor)
            persons.append(person)
            tasks.append(asyncio.create_task(person.run()))
            await asyncio.sleep(ramp / max(1, len(new)) if i < len(new) - 1 else 0)
        await asyncio.sleep(min(pace, 10))  # the last logins settle before the window opens
        t0, meter, load0 = time.monotonic(), stacks.CpuMeter(stack), os.getloadavg()[0]
        killed = None
        kill_at = t0 + window / 3 if kill and n_step == len(steps) - 1 else None
        while time.monotonic() < t0 + window:
            await asyncio.sleep(1.0)
            meter.sample()
            if kill_at is not None and killed is None and time.monotonic() >= kill_at:
                killed = stack.kill_app(1)
        t1, cpu = time.monotonic(), meter.seconds()
        records = [r for p in persons for r in p.records if t0 <= r.at < t1]
        results.append(summarise(target, records, cpu, t1 - t0, load0, killed, persons))
        print(line_of(results[-1]), file=sys.stderr, flush=True)
    for p in persons:
        p.stop.set()
    await asyncio.wait(tasks, timeout=120)
    return results, persons


def summarise(sessions: int, records: list[Record], cpu: float, seconds: float, load: float, killed: int | None,
              persons: list[Person]) -> dict:
    by: dict[str, list[float]] = {}
    for r in records:
        if r.ok:
            by.setdefault(r.name, []).append(r.seconds)
    work = [s for name in WORK for s in by.get(name, [])]
    errors = [r for r in records if not r.ok]
    return {"sessions": sessions, "p95": {k: p95(v) for k, v in by.items()}, "n": {k: len(v) for k, v in by.items()},
            "work_p95": p95(work) if work else float("nan"), "work_n": len(work), "errors": errors,
            "cpu_ms": 1000 * cpu / max(1, len(work)), "cpu_share": cpu / seconds, "load": load, "killed": killed,
            "reconnects": sum(p.reconnects for p in persons), "lost": sum(p.lost_sessions for p in persons),
            "refused": sum(len(p.refused) for p in persons)}


def line_of(r: dict) -> str:
    kinds = " ".join(f"{k} {1000 * r['p95'][k]:.0f}ms(n{r['n'][k]})" for k in SHOWN if k in r["p95"])
    extra = f"; killed app pid {r['killed']}, reconnects {r['reconnects']}, lost {r['lost']}" if r["killed"] else ""
    first = f" first: {r['errors'][0].name}: {r['errors'][0].error}" if r["errors"] else ""
    return (f"  {r['sessions']:>4} sessions: work p95 {1000 * r['work_p95']:.0f} ms over {r['work_n']}, "
            f"errors {len(r['errors'])}, refused by a rule {r['refused']}; "
            f"CPU {r['cpu_ms']:.0f} ms/interaction ({r['cpu_share']:.2f} cores); "
            f"load {r['load']:.1f}; {kinds}{extra}{first}")


def main() -> None:
    parser = arg_parser(__doc__.splitlines()[0])
    parser.add_argument("--sessions", default="25,50,100,200", help="the steps, comma separated")
    parser.add_argument("--apps", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--pace", type=float, default=30.0, help="seconds between one person's saved outcomes")
    parser.add_argument("--window", type=float, default=120.0, help="seconds measured at each step")
    parser.add_argument("--ramp", type=float, default=60.0, help="seconds over which a step's new users log in")
    parser.add_argument("--kill", action="store_true", help="kill app process 1 during the last step")
    parser.add_argument("--no-floor", action="store_true")
    parser.add_argument("--leads", type=int, default=300_000, help="size of the bigdata dealer if it is built here")
    parser.add_argument("--port", type=int, default=8680, help="the proxy's port (+1: its stats page)")
    parser.add_argument("--app-port", type=int, default=8660, help="the first app process's port")
    args = parser.parse_args()
    if args.quick:
        args.sessions, args.pace, args.window, args.ramp = "10,20", 4.0, 20.0, 8.0
    url = args.database_url
    if not url:
        sys.exit("bench.scale needs --database-url (PostgreSQL is the production database)")
    from bench.bigdata import build

    build(url, leads=args.leads)
    steps = [int(s) for s in args.sessions.split(",")]
    people = prepare(url, steps[-1])
    run_dir = DATA / f"scale-{os.getpid()}"
    print(f"scale: {args.apps} app processes, {args.workers} worker(s), pace {args.pace:g} s, window "
          f"{args.window:g} s, steps {steps}; load {os.getloadavg()[0]:.1f}", file=sys.stderr, flush=True)
    with stacks.serving(url, apps=args.apps, workers=args.workers, port=args.port, app_port=args.app_port,
                        run_dir=run_dir / "product") as stack:
        results, persons = asyncio.run(drive(stack, people, steps, pace=args.pace, window=args.window,
                                             ramp=args.ramp, kill=args.kill, floor=False))
    saved, missing, landed = verify(url, persons)
    errors = sum(len(r["errors"]) for r in results)
    print(f"  saved outcomes seen: {saved}, missing in the database: {missing}; interrupted saves that landed: "
          f"{landed}; errors in all windows: {errors}", file=sys.stderr)
    floor_p95 = float("nan")
    if not args.no_floor:
        with stacks.serving(url, apps=args.apps, workers=0, port=args.port, app_port=args.app_port,
                            run_dir=run_dir / "floor", script="bench/floor_app.py", setup=False) as stack:
            floor, _ = asyncio.run(drive(stack, people, [steps[-1]], pace=args.pace, window=args.window / 2,
                                         ramp=args.ramp / 2, kill=False, floor=True))
        floor_p95 = floor[0]["work_p95"]
    last = results[-1]
    if missing or errors or last["lost"]:
        print(f"FAILED: {missing} saved outcomes missing, {errors} errors, {last['lost']} sessions lost",
              file=sys.stderr)
    name = f"scale p95 per interaction at {last['sessions']} sessions ({errors} errors, {missing} lost)"
    if floor_p95 == floor_p95:
        report(name, 1000 * last["work_p95"], "ms", 1000 * floor_p95, "ms")
    else:  # --no-floor: no made-up floor
        print(f"{name}: {1000 * last['work_p95']:.0f} ms; floor not measured (--no-floor)", flush=True)
    sys.exit(1 if missing or errors or last["lost"] else 0)


if __name__ == "__main__":
    main()
