"""`python -m core.cli odoo-sync`: the run from the command line, recorded like the page's runs; the
password comes from H23_ODOO_PASSWORD or a prompt, never from the command line (it would be in ps)."""

from __future__ import annotations

import getpass
import os
import sys
from typing import Any

from core.migration.client import PAGE_SIZE, OdooClient, OdooError
from core.migration.sync import ModelCounts, SyncReport, finish_run, run_sync, started_run
from db.engine import Database

PASSWORD_ENV = "H23_ODOO_PASSWORD"


def password_from_env_or_prompt(login: str) -> str:
    password = os.environ.get(PASSWORD_ENV)
    if password:
        return password
    if not sys.stdin.isatty():
        raise SystemExit(f"set {PASSWORD_ENV} (no terminal to ask the password of {login} on)")
    return getpass.getpass(f"Odoo password for {login}: ")


def print_report(report: SyncReport, out: Any = sys.stdout) -> None:
    head = "DRY RUN: nothing written" if report.dry_run else "written"
    print(f"{head}\n{'model':24} {'read':>9} {'created':>9} {'updated':>9} {'unchanged':>9} {'kept':>6} "
          f"{'rejected':>8}", file=out)
    for model, c in report.counts.items():
        print(f"{model:24} {c.read:9,} {c.created:9,} {c.updated:9,} {c.unchanged:9,} {c.kept:6,} {c.rejected:8,}",
              file=out)
    for model, error in report.errors.items():
        print(f"SKIPPED {model}: {error}", file=out)
    for r in report.rejections[:50]:
        print(f"rejected {r['model']} id {r['odoo_id']}: {r['reason']}", file=out)
    if report.rejected_total > 50:
        print(f"... {report.rejected_total - 50:,} more rejections (the page Migrasi Odoo lists them)", file=out)


def main_sync(db: Database, *, url: str, database: str, login: str, dry_run: bool, models: list[str] | None,
              full: bool = False, page_size: int = PAGE_SIZE, quiet: bool = False) -> int:
    """0: done, nothing rejected; 1: done with rejections (or a model skipped); 2: the run failed."""
    password = password_from_env_or_prompt(login)
    run_id = started_run(db, url=url, database=database, login=login, dry_run=dry_run, models=models)

    def progress(model: str, counts: ModelCounts) -> None:
        if not quiet:
            print(f"  {model}: {counts.read:,} read", file=sys.stderr, flush=True)

    try:
        client = OdooClient(url, database, login, password)
        report = run_sync(db, client, models=models, dry_run=dry_run, full=full, page_size=page_size,
                          run_id=run_id, on_page=progress)
    except (OdooError, ValueError) as exc:
        finish_run(db, run_id, None, error=str(exc))
        print(f"odoo-sync failed: {exc}", file=sys.stderr)
        return 2
    finish_run(db, run_id, report)
    print_report(report)
    return 1 if report.rejected_total or report.errors else 0
