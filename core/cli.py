"""Command line for operators and cron: `python -m core.cli <command>`."""

from __future__ import annotations

import argparse
import contextlib
import getpass
import sys
import time

from core.masterdata import reference
from core.platform.errors import DomainError
from db.engine import Database, database_url, make_engine
from db.enums import Role
from db.migrate import upgrade


def _database() -> Database:
    return Database(make_engine())


def cmd_migrate(_args: argparse.Namespace) -> int:
    engine = make_engine()
    upgrade(engine)
    with Database(engine).transaction(None, system=True) as s:
        reference.install(s)
    print(f"schema up to date: {engine.url.render_as_string(hide_password=True)}")
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from core import demo

    db = _database()
    upgrade(db.engine)
    if not demo.is_empty(db):
        if args.if_empty:
            print("database already has data; demo data not added")
            _print_logins(demo)
            return 0
        print("refusing: the database already has branches (demo data goes into an empty database)",
              file=sys.stderr)
        return 2
    started = time.perf_counter()
    summary = demo.generate(db, vehicles=args.vehicles, seed=args.seed, progress=True)
    print(f"demo dealer ready in {time.perf_counter() - started:.1f} s: {summary}")
    _print_logins(demo)
    return 0


def _print_logins(demo: object) -> None:
    users = getattr(demo, "DEMO_USERS", [])
    password = getattr(demo, "DEMO_PASSWORD", "")
    print(f"demo logins (password: {password}):")
    for username, full_name, role, branches in users[:6]:
        print(f"  {username:<14} {role.value:<10} {', '.join(branches) or 'semua cabang'}  ({full_name})")


def cmd_create_user(args: argparse.Namespace) -> int:
    from sqlalchemy import select

    from core.accounts.auth import create_user
    from db.models import Branch

    password = args.password or getpass.getpass("password: ")
    db = _database()
    try:
        with db.transaction(None, system=True) as s:
            ids = list(s.scalars(select(Branch.id).where(Branch.code.in_(args.branches or []))))
            if len(ids) != len(args.branches or []):
                print("unknown branch code in --branches", file=sys.stderr)
                return 2
            create_user(s, username=args.username, full_name=args.full_name, password=password,
                        role=Role(args.role), branch_ids=ids)
    except DomainError as e:
        print(e.message("en"), file=sys.stderr)
        return 2
    print(f"user {args.username} created")
    return 0


def cmd_leadgen(args: argparse.Namespace) -> int:
    import datetime as dt

    from core.leads import leadgen

    db = _database()
    on = dt.date.fromisoformat(args.date) if args.date else None
    with db.transaction(None, system=True) as s:
        result = leadgen.run(s, on=on)
    print(f"leadgen: {result.as_dict()}")
    return 0


def cmd_worker(args: argparse.Namespace) -> int:
    import logging

    from core.platform import worker

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    db = _database()
    if args.once:
        print(f"ran: {worker.run_due_jobs(db)}")
        return 0
    with contextlib.suppress(KeyboardInterrupt):
        worker.serve(db, interval=args.interval)
    return 0


def cmd_dgi_pull(args: argparse.Namespace) -> int:
    from core.intake.dgi_jobs import main_pull

    return main_pull(_database(), args.date_from, args.date_to, dealer=args.dealer)


def cmd_odoo_sync(args: argparse.Namespace) -> int:
    from core.migration.command import main_sync

    return main_sync(_database(), url=args.url, database=args.db, login=args.user, dry_run=args.dry_run,
                     models=args.model or None, full=args.full, page_size=args.page_size)


def cmd_backup(args: argparse.Namespace) -> int:
    from core.platform import backup

    try:
        done = backup.backup(database_url(), args.path)
    except backup.BackupError as e:
        print(e, file=sys.stderr)
        return 2
    print(f"backup written: {done.path} ({done.bytes:,} bytes; {done.how})")
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    from core.platform import backup

    if not args.yes:
        print("restore replaces every row of the database with the backup's; add --yes to go ahead",
              file=sys.stderr)
        return 2
    try:
        done = backup.restore(database_url(), args.path)
    except backup.BackupError as e:
        print(e, file=sys.stderr)
        return 2
    print(f"restored from {done.path} ({done.how}); run `python -m core.cli migrate` if it is an older version")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m core.cli", description="H23 CRM operations")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("migrate", help="create or upgrade the schema, install reference data").set_defaults(
        func=cmd_migrate)
    for name, if_empty in (("demo", False), ("setup-demo", True)):
        p = sub.add_parser(name, help="fill an empty database with a demo dealer" +
                           (" (skip if it has data)" if if_empty else ""))
        p.add_argument("--vehicles", type=int, default=3000, help="size of the demo dealer (default 3000)")
        p.add_argument("--seed", type=int, default=23)
        p.set_defaults(func=cmd_demo, if_empty=if_empty)
    p = sub.add_parser("create-user", help="add a user (e.g. the first head-office admin)")
    p.add_argument("--username", required=True)
    p.add_argument("--full-name", required=True)
    p.add_argument("--role", required=True, choices=[r.value for r in Role])
    p.add_argument("--branches", nargs="*", help="branch codes (none for head office)")
    p.add_argument("--password", help="prompted when omitted")
    p.set_defaults(func=cmd_create_user)
    p = sub.add_parser("leadgen", help="run the daily lead generation now (safe to repeat; for cron)")
    p.add_argument("--date", help="YYYY-MM-DD to run as (default: today in each branch's time zone)")
    p.set_defaults(func=cmd_leadgen)
    p = sub.add_parser("worker", help="run the background jobs until stopped (core/platform/worker.py LANES: messages, "
                                      "files, scheduled)")
    p.add_argument("--once", action="store_true", help="run what is due now and exit")
    p.add_argument("--interval", type=float, default=None,
                   help="seconds between checks of the scheduled jobs (default 60; messages every 5 s and "
                        "imports/exports every 2 s regardless)")
    p.set_defaults(func=cmd_worker)
    p = sub.add_parser("dgi-pull", help="pull work orders and sales from AHM DGI for a window (safe to repeat)")
    p.add_argument("--from", dest="date_from", required=True, help="YYYY-MM-DD or 'YYYY-MM-DD HH:MM' (dealer time)")
    p.add_argument("--to", dest="date_to", required=True, help="YYYY-MM-DD (through that day) or 'YYYY-MM-DD HH:MM'")
    p.add_argument("--dealer", help="only this configured dealer (its name)")
    p.set_defaults(func=cmd_dgi_pull)
    p = sub.add_parser("odoo-sync", help="bring the dealer's Odoo 8 data over (incremental; safe to repeat); the "
                                         "password from H23_ODOO_PASSWORD or a prompt")
    p.add_argument("--url", required=True, help="the Odoo server, e.g. https://odoo.example.co.id")
    p.add_argument("--db", required=True, help="the Odoo database name")
    p.add_argument("--user", required=True, help="the Odoo login")
    p.add_argument("--dry-run", action="store_true", help="report what would be created, updated and rejected")
    p.add_argument("--model", action="append", help="only this Odoo model (repeatable), e.g. crm.lead")
    p.add_argument("--full", action="store_true", help="read from the start, not from the last watermark")
    p.add_argument("--page-size", type=int, default=2000)
    p.set_defaults(func=cmd_odoo_sync)
    p = sub.add_parser("backup", help="back up the database to PATH (SQLite online backup; PostgreSQL pg_dump -Fc)")
    p.add_argument("path")
    p.set_defaults(func=cmd_backup)
    p = sub.add_parser("restore", help="replace the database's content with the backup at PATH")
    p.add_argument("path")
    p.add_argument("--yes", action="store_true", help="confirm: every current row is replaced")
    p.set_defaults(func=cmd_restore)
    sub.add_parser("import", help="import a dealer export: python -m core.cli import FILE --kind sales|work_orders"
                   " [--branch CODE] [--user USERNAME] [--rejections PATH]")
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["import"]:  # its own options (core.intake.file_import.main_import)
        from core.intake.file_import import main_import

        return main_import(argv[1:])
    args = parser.parse_args(argv)
    print(f"database: {database_url().split('@')[-1]}", file=sys.stderr)
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
