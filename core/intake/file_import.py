"""A whole file or frame imported in its own session: a commit per batch (core.intake.importer.import_chunks)
and an audit entry with the counts; and ``main_import``, the command line import of a dealer export."""

from __future__ import annotations

import argparse
import itertools
import sys
from collections.abc import Callable, Iterable
from dataclasses import replace
from pathlib import Path
from typing import IO

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.accounts.access import Viewer, session_for
from core.intake import upload_limits
from core.intake.bulk_load import bulk_mode
from core.intake.check import ImportResult
from core.intake.importer import Batch, import_chunks
from core.intake.new_leads import open_leads_for_import
from core.intake.read import KIND_FIELDS, guess_mapping, iter_table, read_table, table_rows
from core.intake.review import rejections_xlsx
from core.intake.upload_limits import UploadRefused
from core.platform import clock
from db.engine import Database
from db.models import AuditLog, Branch


def import_file(db: Database, viewer: Viewer, path: str | Path | IO[bytes], kind: str,
                mapping: dict[str, str] | None = None, *, filename: str | None = None, branch_id: int | None = None,
                batch_size: int = 20_000, progress: Callable[[int, int], None] | None = None,
                month_first: bool = False, bulk_load: bool = True) -> ImportResult:
    """Read a file, guess its mapping (unless given), import it with a commit per batch and audit it.
    Into an empty database in bulk-load mode (core.intake.bulk_load) unless bulk_load is False.

    A file on disk is read chunk by chunk (batch_size rows each), so memory stays flat whatever its size; a
    buffer is read whole, so it may unpack only to the foreground limit. Past the upload limits
    (core.intake.upload_limits): UploadRefused, before the file is read."""
    with db.session(None, system=True) as s:
        limits = upload_limits.limits(s)
    if not isinstance(path, str | Path):
        whole = replace(limits, max_bytes=limits.foreground_bytes)
        upload_limits.check(path, filename, whole)
        df = read_table(path, filename, whole)
        name = filename or str(getattr(path, "name", path))
        return import_dataframe(db, viewer, kind, df, mapping, name=name, branch_id=branch_id,
                                batch_size=batch_size, progress=progress, month_first=month_first,
                                bulk_load=bulk_load)
    upload_limits.check(path, filename, limits)
    chunks = iter_table(path, chunk_rows=max(batch_size, 1), limits=limits)
    first = next(chunks, None)
    if first is None:
        return ImportResult()
    mapping = mapping if mapping is not None else guess_mapping(first.columns)
    return _import_audited(db, viewer, kind, itertools.chain([first], chunks), mapping,
                           name=filename or str(path), branch_id=branch_id, total_rows=table_rows(path),
                           progress=progress, month_first=month_first, bulk=bulk_load)


def import_dataframe(db: Database, viewer: Viewer, kind: str, df: pd.DataFrame, mapping: dict[str, str] | None,
                     *, name: str = "", branch_id: int | None = None, batch_size: int = 20_000,
                     progress: Callable[[int, int], None] | None = None, month_first: bool = False,
                     bulk_load: bool = True) -> ImportResult:
    """import_frame in its own session with a commit per batch, and an audit entry with the counts (in bulk-load
    mode into an empty database unless bulk_load is False)."""
    mapping = mapping if mapping is not None else guess_mapping(df.columns)
    df = df.reset_index(drop=True)
    size = max(batch_size, 1)
    chunks = (df.iloc[start:start + size] for start in range(0, len(df), size))
    return _import_audited(db, viewer, kind, chunks, mapping, name=name, branch_id=branch_id, total_rows=len(df),
                           progress=progress, month_first=month_first, bulk=bulk_load)


def _import_audited(db: Database, viewer: Viewer, kind: str, chunks: Iterable[pd.DataFrame],
                    mapping: dict[str, str], *, name: str, branch_id: int | None, total_rows: int | None,
                    progress: Callable[[int, int], None] | None, month_first: bool, bulk: bool) -> ImportResult:
    rows = 0
    started = clock.now()

    def count(_session: Session, batch: Batch) -> None:
        nonlocal rows
        rows += batch.rows

    with bulk_mode(db, allowed=bulk), session_for(db, viewer, write=True) as session:
        try:
            result = import_chunks(session, viewer, kind, chunks, mapping, branch_id=branch_id,
                                   month_first=month_first, total_rows=total_rows, progress=progress,
                                   on_batch=count, after_batch=lambda s: s.commit())
            audit_import(session, viewer, kind, rows, result, name=name, branch_id=branch_id)
            session.commit()
        except Exception:
            session.rollback()
            raise
    open_leads_for_import(db, started)  # after the import's session: SQLite has one writer
    return result


def audit_import(session: Session, viewer: Viewer, kind: str, rows: int, result: ImportResult, *, name: str,
                 branch_id: int | None) -> None:
    session.add(AuditLog(at=clock.now(), user_id=viewer.user_id, action="intake.import",
                         object_type="import", object_id=None, branch_id=branch_id,
                         changes={"kind": kind, "rows": rows, **result.as_dict()},
                         note=Path(name).name[:200]))


def main_import(argv: list[str] | None = None) -> int:
    """Command line import of a dealer export (to be wired as ``python -m core.cli import``).

    Usage::

        main_import(["penjualan.xlsx", "--kind", "sales"])
        main_import(["pkb.csv", "--kind", "work_orders", "--branch", "SAM01", "--user", "admin.sam01",
                     "--rejections", "ditolak.xlsx"])

    Arguments: the file (.csv with ',' or ';', or .xlsx); --kind sales|work_orders; --branch CODE for rows
    without a branch code column; --user USERNAME to act as that user (default: the system); --batch-size N;
    --rejections PATH to write the rejected rows with their reasons; --month-first for mm/dd/yyyy dates.
    Prints the counts; returns 0, or 1
    when some rows were rejected."""
    from core.accounts.auth import viewer_for_username
    from db.engine import make_engine

    parser = argparse.ArgumentParser(prog="import", description="Import sales or work orders from CSV/Excel")
    parser.add_argument("path")
    parser.add_argument("--kind", choices=list(KIND_FIELDS), required=True)
    parser.add_argument("--branch", default=None)
    parser.add_argument("--user", default=None)
    parser.add_argument("--batch-size", type=int, default=20_000)
    parser.add_argument("--rejections", default=None)
    parser.add_argument("--month-first", action="store_true", help="dates are mm/dd/yyyy (default dd/mm/yyyy)")
    args = parser.parse_args(argv)
    db = Database(make_engine())
    with db.session(None, system=True) as s:
        viewer = viewer_for_username(s, args.user) if args.user else Viewer.system_viewer()
        branch_id = None
        if args.branch:
            branch_id = s.scalar(select(Branch.id).where(Branch.code == args.branch.strip().upper()))
            if branch_id is None:
                print(f"unknown branch {args.branch}", file=sys.stderr)
                return 2

    def say(done: int, total: int) -> None:
        print(f"  {done:,}/{total:,} rows", file=sys.stderr)

    try:
        result = import_file(db, viewer, args.path, args.kind, branch_id=branch_id, batch_size=args.batch_size,
                             progress=say, month_first=args.month_first)
    except UploadRefused as refused:
        print(refused.message("en"), file=sys.stderr)
        return 2
    print(f"created {result.created}, updated {result.updated}, unchanged {result.unchanged}, "
          f"rejected rows {result.rejected_rows}")
    if result.rejected and args.rejections:
        rejections_xlsx(result.rejected, args.rejections, source=args.path)
        print(f"rejections written to {args.rejections}")
    return 1 if result.rejected else 0
