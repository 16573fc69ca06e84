"""Import dealer data (sales and work orders) from Excel/CSV exports or AHM DGI field names.

The flow: ``read_table`` reads the file as text, ``guess_mapping`` maps its headers to our fields,
``import_frame`` validates every row first (vectorised, so a million rows take seconds) and collects
each bad cell as a ``Rejection`` with the row number the user sees (header = row 1) and the reason in
Bahasa Indonesia, then upserts the good rows in batches with set-based statements:

- customers by NIK, else by mobile + name (an ambiguous mobile + name match is rejected as a possible
  duplicate rather than merged), else by the vehicle's current owner of the same name;
- vehicles by engine number (a new owner or plate is an update);
- sales by (vehicle, sale date); work orders by number.

Importing the same file twice changes nothing the second time (every row counts as unchanged).
After work orders the touched vehicles' last service is refreshed and open leads they serve close
as Won. ``import_file`` wraps it all with a commit per batch and an audit entry; ``main_import`` is
the command line.

A file on disk is read in chunks (``core.intake.read.iter_table``) and each chunk is one batch:
validated, stored and committed whole (``import_chunks``), so memory stays flat and a batch is never
half applied; ``core.intake.jobs`` runs large files in the worker and resumes after the last
committed batch. The modules, in the order a chunk meets them:

- ``core.intake.hashing``: a sales row stored before and untouched since (its hash is on its sale) counts
  as unchanged without being validated;
- ``core.intake.check``: every other row is validated column-wise (``Rejection``, ``ImportResult``);
- ``core.intake.fast``: sales rows that change nothing are found set-based; plainly new ones are
  inserted column-wise (one statement per table; COPY on PostgreSQL);
- ``core.intake.workorder_rows``: new work orders of known motorcycles are inserted set-based;
- ``core.intake.upsert``: the full row-by-row upsert for the rest (``core.intake.store`` holds the
  shared statements). ``fast=False`` sends every row this way: the reference the tests compare with.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import itertools
import sys
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import IO, Any, Literal

import numpy as np
import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.accounts.access import Perm, Viewer, session_for
from core.bookings.workorders import refresh_last_service
from core.intake import upload_limits
from core.intake.check import REQUIRED, ImportResult, Rejection, _check
from core.intake.fast import insert_new_sales, unchanged_sales
from core.intake.hashing import alone_in_chunk, entangled, row_hashes, stamp_sales, stored_unchanged
from core.intake.read import FIELDS, KIND_FIELDS, guess_mapping, iter_table, read_table, table_rows
from core.intake.store import _insert_rows, _key_in, _reserve_customer_codes, _select_in
from core.intake.upload_limits import UploadRefused
from core.intake.upsert import _upsert_batch
from core.intake.workorder_rows import insert_new_work_orders
from core.leads.closing import close_leads_served
from core.platform import clock
from core.platform.cell_safety import xlsx_row
from core.platform.prefetch import prefetched
from db.engine import Database, set_sqlite_page_cache
from db.models import AuditLog, Branch

__all__ = [
    "FIELDS",
    "KINDS",
    "KIND_FIELDS",
    "REQUIRED",
    "Batch",
    "ImportResult",
    "Rejection",
    "guess_mapping",
    "import_chunks",
    "import_dataframe",
    "import_file",
    "import_frame",
    "main_import",
    "preview",
    "read_table",
    "rejections_xlsx",
]

Kind = Literal["sales", "work_orders"]
# SQLite's page cache while importing: a re-import probes the row-hash index and two tables by key across
# the whole database; with the default 64 MB, 1,000,000 rows re-read index pages from the OS every chunk
# (11.5 s against 9.9 s with 128 MB).
IMPORT_CACHE_MB = 128
KINDS: dict[str, str] = {"sales": "Penjualan (customer + motor + penjualan)", "work_orders": "Work order (PKB)"}

@dataclass
class Batch:
    """One committed step of an import: a chunk of the file, validated and stored whole."""

    number: int  # 0 = the file's first chunk
    rows: int  # the file's rows in the chunk, rejected ones included
    result: ImportResult  # this chunk's own counts and rejections


def _import_batch(session: Session, viewer: Viewer, kind: str, chunk: pd.DataFrame, mapping: dict[str, str],
                  branch_id: int | None, month_first: bool, fast: bool = True) -> ImportResult:
    """Validate and upsert one chunk whose index is its rows' position in the file (row = index + 2).
    fast=False sends every row the full way (the reference the fast paths are tested against)."""
    file_rows = chunk.index.to_numpy() + 2
    result = ImportResult()
    going = np.ones(len(chunk), dtype=bool)  # the rows validated and stored; the rest are unchanged
    hashes = stored = None
    if kind == "sales":  # a re-import: rows stored before and untouched since skip validation
        hashes = row_hashes(chunk, kind, mapping, month_first=month_first, branch_id=branch_id)
    if hashes is not None and fast and len(chunk):
        stored = stored_unchanged(session, viewer, hashes, _key_in)
        going = ~np.isin(hashes, stored)
    checked = _check(session, viewer, kind, chunk[going], mapping, branch_id, month_first=month_first,
                     file_rows=file_rows[going])
    if hashes is not None and stored is not None and not going.all():
        keys = checked.values.loc[checked.ok, ["engine_no", "nik", "phone"]]
        skipped = entangled(session, ~going, hashes, keys, _select_in)
        if (skipped != ~going).any():  # rows taken along by a changed row: validate them all together
            going = ~skipped
            checked = _check(session, viewer, kind, chunk[going], mapping, branch_id, month_first=month_first,
                             file_rows=file_rows[going])
    result.unchanged += int((~going).sum())
    result.rejected.extend(checked.rejections)
    sub = chunk[going]
    rows = file_rows[going]
    values = checked.values
    good_idx = np.flatnonzero(checked.ok)
    if hashes is not None:  # only a row whose keys agree within the chunk may leave its hash (alone_in_chunk)
        kept = np.full(len(values), None, dtype=object)
        lone = alone_in_chunk(values.iloc[good_idx])
        kept[good_idx[lone]] = hashes[going][good_idx[lone]]
        values["_hash"] = kept
    if kind == "sales" and fast and len(good_idx):  # rows that change nothing, compared with what is stored
        same = unchanged_sales(session, viewer, values.iloc[good_idx], _key_in)
        result.unchanged += int(same.sum())
        good_idx = good_idx[~same]
    if kind == "sales" and fast and len(good_idx):  # a first import: plainly new rows are inserted column-wise
        # (each sale with its row hash: core.intake.fast writes it)
        fresh = insert_new_sales(session, values.iloc[good_idx], select_in=_select_in, insert_rows=_insert_rows,
                                 reserve_codes=lambda count: _reserve_customer_codes(session, count), viewer=viewer)
        result.created += int(fresh.sum())
        good_idx = good_idx[~fresh]
    vehicles: list[int] = []
    dates: list[dt.date] = []
    if kind == "work_orders" and fast and len(good_idx):  # new work orders of known motorcycles, set-based
        fresh, vehicles, dates = insert_new_work_orders(session, viewer, values.iloc[good_idx],
                                                        select_in=_select_in, insert_rows=_insert_rows)
        result.created += int(fresh.sum())
        good_idx = good_idx[~fresh]
    recs: list[dict[str, Any]] = []
    if len(good_idx):
        values["_row"] = rows
        if "phone" in checked.header_of:
            values["_phone_raw"] = sub[checked.header_of["phone"]].reset_index(drop=True).astype(str).str.strip()
        recs = _records(values.iloc[good_idx])
        more_vehicles, more_dates = _upsert_batch(session, viewer, kind, recs, result, checked.header_of)
        vehicles, dates = vehicles + more_vehicles, dates + more_dates
    if kind == "work_orders" and vehicles:
        refresh_last_service(session, sorted(set(vehicles)))
    if kind == "work_orders" and dates:
        # In the batch's own transaction, so a batch and the leads it closes commit together.
        close_leads_served(session, since=min(dates))
    if kind == "sales":  # rows that wrote something leave their hash (an unchanged row leaves the sale as is)
        stamp_sales(session, viewer, [(int(r["_hash"]), r["engine_no"], r["sale_date"]) for r in recs
                                      if r.get("_changed") and r.get("_hash") is not None])
    result.rejected.sort(key=lambda r: r.row)
    return result


def _records(good: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as dicts of plain Python values (None for blanks), column by column: far cheaper than
    DataFrame.to_dict("records") on a million rows."""
    columns: list[list[Any]] = []
    for col in good.columns:
        cells = good[col].to_numpy(dtype=object, copy=True)
        cells[pd.isna(cells)] = None
        if col in ("km", "branch_id"):
            cells = np.array([None if c is None else int(c) for c in cells], dtype=object)
        columns.append(cells.tolist())
    names = [str(c) for c in good.columns]  # plain strings: iterating a pandas Index per row is slow
    return [dict(zip(names, row, strict=True)) for row in zip(*columns, strict=True)]


def import_chunks(session: Session, viewer: Viewer, kind: str, chunks: Iterable[pd.DataFrame],
                  mapping: dict[str, str], *, branch_id: int | None = None, month_first: bool = False,
                  first_batch: int = 0, rows_before: int = 0, total_rows: int | None = None,
                  progress: Callable[[int, int], None] | None = None,
                  after_batch: Callable[[Session], None] | None = None,
                  on_batch: Callable[[Session, Batch], None] | None = None, fast: bool = True) -> ImportResult:
    """Import a file chunk by chunk (core.intake.read.iter_table): each chunk is validated and upserted
    as one batch, then on_batch(session, batch) (e.g. recording the job's progress in the same
    transaction) and after_batch(session) (e.g. commit) run. A resumed import passes the chunks left
    (first_batch, rows_before: how many chunks and rows were done). progress(rows done, total rows)."""
    if kind not in KIND_FIELDS:
        raise ValueError(f"unknown import kind {kind!r}")
    viewer.require(Perm.CUSTOMER_CHANGE)
    if branch_id is not None:
        viewer.require_branch(branch_id)
    result = ImportResult()
    done = rows_before
    # The next chunk is read (parsed from the file) by a second thread while this one stores the last:
    # SQLite and parts of pandas' CSV parser run without the GIL (re-importing 1,000,000 rows: 9.0 s
    # against 9.3 s; most of the parsing holds the GIL).
    with contextlib.closing(prefetched(chunks, name="intake-read")) as read_ahead:
        for number, chunk in enumerate(read_ahead, start=first_batch):
            # On whichever pooled connection the batch runs (each commit may hand back another); the
            # connection keeps the larger cache afterwards, bounded by the pool's size.
            set_sqlite_page_cache(session.connection(), IMPORT_CACHE_MB)
            batch = _import_batch(session, viewer, kind, chunk, mapping, branch_id, month_first, fast)
            result.created += batch.created
            result.updated += batch.updated
            result.unchanged += batch.unchanged
            result.rejected.extend(batch.rejected)
            if on_batch is not None:
                on_batch(session, Batch(number, len(chunk), batch))
            if after_batch is not None:
                after_batch(session)
            done += len(chunk)
            if progress is not None:
                progress(done, max(total_rows or 0, done))
    return result


def import_frame(session: Session, viewer: Viewer, kind: str, df: pd.DataFrame, mapping: dict[str, str], *,
                 branch_id: int | None = None, batch_size: int = 20_000,
                 progress: Callable[[int, int], None] | None = None,
                 after_batch: Callable[[Session], None] | None = None, month_first: bool = False,
                 fast: bool = True) -> ImportResult:
    """Validate and upsert the rows of df in batches of batch_size rows (see the module docstring).

    mapping is {file header: our field}; branch_id is the branch for rows without a branch code;
    month_first reads 05/19/2020 as 19 May (default: day first, the Indonesian order).
    The caller commits; after_batch (e.g. ``Session.commit``) runs after each batch.
    progress(done_rows, total_rows) is called as batches finish. fast=False: every row the full (row-by-row)
    way, the reference for the set-based fast paths."""
    df = df.reset_index(drop=True)
    size = max(batch_size, 1)
    chunks = (df.iloc[start:start + size] for start in range(0, len(df), size))
    return import_chunks(session, viewer, kind, chunks, mapping, branch_id=branch_id, month_first=month_first,
                         total_rows=len(df), progress=progress, after_batch=after_batch, fast=fast)


def preview(session: Session, viewer: Viewer, kind: str, df: pd.DataFrame, mapping: dict[str, str], *,
            branch_id: int | None = None, rows: int = 10, month_first: bool = False) -> pd.DataFrame:
    """The first rows as they will be stored (normalised values), with the reasons a row is rejected."""
    head = df.head(rows)
    checked = _check(session, viewer, kind, head, mapping, branch_id, month_first=month_first)
    shown = [f for f in KIND_FIELDS[kind] if f in checked.header_of]
    out = checked.values[shown].copy()
    out.columns = [FIELDS[f] for f in shown]
    reasons: dict[int, list[str]] = defaultdict(list)
    for rej in checked.rejections:
        reasons[rej.row].append(f"{rej.column}: {rej.reason}")
    out.insert(0, "Baris", np.arange(len(out)) + 2)
    out["Kesalahan"] = ["; ".join(reasons.get(i + 2, [])) for i in range(len(out))]
    return out


def rejections_xlsx(rejections: list[Rejection], path: str | Path | IO[bytes],
                    frame: pd.DataFrame | None = None, *, source: str | Path | None = None) -> None:
    """The rejected rows with their reasons as an xlsx to fix and import again (openpyxl write-only).

    With the original frame (or the source file, read chunk by chunk), each rejected row is written
    whole with a 'Kesalahan' column; without either, one line per rejection (row, column, value, reason)."""
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("Ditolak")
    # Every text a string cell (core.platform.cell_safety): the user's own "=..." is kept, never run as a formula.
    if source is not None and not Path(str(source)).exists():
        source = None  # the stored upload was deleted after its keeping time: list the reasons only
    if frame is not None or source is not None:
        by_row: dict[int, list[str]] = defaultdict(list)
        for rej in rejections:
            by_row[rej.row].append(f"{rej.column}: {rej.reason}")
        chunks = [frame.reset_index(drop=True)] if frame is not None else iter_table(Path(str(source)))
        header_written = False
        for chunk in chunks:
            if not header_written:
                ws.append(xlsx_row(ws, ["Baris", *map(str, chunk.columns), "Kesalahan"]))
                header_written = True
            wanted = [row for row in range(int(chunk.index[0]) + 2, int(chunk.index[0]) + 2 + len(chunk))
                      if row in by_row] if len(chunk) else []
            for row in wanted:
                cells = chunk.loc[row - 2].tolist()
                ws.append(xlsx_row(ws, [row, *(str(c) for c in cells), "; ".join(by_row[row])]))
    else:
        ws.append(["Baris", "Kolom", "Nilai", "Alasan"])
        for rej in rejections:
            ws.append(xlsx_row(ws, [rej.row, rej.column, rej.value, rej.reason]))
    wb.save(path)


def import_file(db: Database, viewer: Viewer, path: str | Path | IO[bytes], kind: str,
                mapping: dict[str, str] | None = None, *, filename: str | None = None, branch_id: int | None = None,
                batch_size: int = 20_000, progress: Callable[[int, int], None] | None = None,
                month_first: bool = False) -> ImportResult:
    """Read a file, guess its mapping (unless given), import it with a commit per batch and audit it.

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
                                batch_size=batch_size, progress=progress, month_first=month_first)
    upload_limits.check(path, filename, limits)
    chunks = iter_table(path, chunk_rows=max(batch_size, 1), limits=limits)
    first = next(chunks, None)
    if first is None:
        return ImportResult()
    mapping = mapping if mapping is not None else guess_mapping(first.columns)
    return _import_audited(db, viewer, kind, itertools.chain([first], chunks), mapping,
                           name=filename or str(path), branch_id=branch_id, total_rows=table_rows(path),
                           progress=progress, month_first=month_first)


def import_dataframe(db: Database, viewer: Viewer, kind: str, df: pd.DataFrame, mapping: dict[str, str] | None,
                     *, name: str = "", branch_id: int | None = None, batch_size: int = 20_000,
                     progress: Callable[[int, int], None] | None = None, month_first: bool = False) -> ImportResult:
    """import_frame in its own session with a commit per batch, and an audit entry with the counts."""
    mapping = mapping if mapping is not None else guess_mapping(df.columns)
    df = df.reset_index(drop=True)
    size = max(batch_size, 1)
    chunks = (df.iloc[start:start + size] for start in range(0, len(df), size))
    return _import_audited(db, viewer, kind, chunks, mapping, name=name, branch_id=branch_id, total_rows=len(df),
                           progress=progress, month_first=month_first)


def _import_audited(db: Database, viewer: Viewer, kind: str, chunks: Iterable[pd.DataFrame],
                    mapping: dict[str, str], *, name: str, branch_id: int | None, total_rows: int | None,
                    progress: Callable[[int, int], None] | None, month_first: bool) -> ImportResult:
    rows = 0

    def count(_session: Session, batch: Batch) -> None:
        nonlocal rows
        rows += batch.rows

    with session_for(db, viewer, write=True) as session:
        try:
            result = import_chunks(session, viewer, kind, chunks, mapping, branch_id=branch_id,
                                   month_first=month_first, total_rows=total_rows, progress=progress,
                                   on_batch=count, after_batch=lambda s: s.commit())
            audit_import(session, viewer, kind, rows, result, name=name, branch_id=branch_id)
            session.commit()
        except Exception:
            session.rollback()
            raise
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
