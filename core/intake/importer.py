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
as Won. ``core.intake.file_import.import_file`` wraps it all with a commit per batch and an audit entry
(``main_import`` there is the command line); ``core.intake.review`` shows the preview and writes the rejected
rows' workbook.

A file on disk is read in chunks (``core.intake.read.iter_table``) and each chunk is one batch:
validated, stored and committed whole (``import_chunks``), so memory stays flat and a batch is never
half applied; ``core.intake.job_worker`` runs large files in the worker and resumes after the last
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

import contextlib
import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd
from sqlalchemy.orm import Session

from core.accounts.access import Perm, Viewer
from core.bookings.workorders import refresh_last_service
from core.intake.check import REQUIRED, ImportResult, Rejection, _check
from core.intake.fast import insert_new_sales, unchanged_sales
from core.intake.hashing import alone_in_chunk, entangled, row_hashes, stamp_sales, stored_unchanged
from core.intake.read import FIELDS, KIND_FIELDS, guess_mapping, read_table
from core.intake.store import _insert_rows, _key_in, _reserve_customer_codes, _select_in
from core.intake.upsert import _upsert_batch
from core.intake.workorder_rows import insert_new_work_orders
from core.leads.closing import close_leads_served
from core.platform.prefetch import prefetched
from db.engine import set_sqlite_page_cache

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
    "import_frame",
    "read_table",
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
        close_leads_served(session, actor_id=viewer.user_id, since=min(dates))
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
