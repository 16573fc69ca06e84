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
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
import re
import sys
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Literal

import numpy as np
import pandas as pd
from sqlalchemy import Table, bindparam, select, update
from sqlalchemy.orm import Session

from core import clock
from core.access import Perm, Viewer, session_for
from core.errors import ValidationError
from core.i18n import register, t
from core.identifiers import (
    JOB_TYPES,
    kpb_number_of_job,
    nik_birth_date,
    nik_gender,
    normalize_frame_no,
    normalize_job_type,
    normalize_plate,
)
from core.identifiers_series import (
    normalize_engine_no_series,
    normalize_nik_series,
    normalize_phone_series,
    parse_date_series,
)
from core.intake_read import FIELDS, KIND_FIELDS, guess_mapping, read_table
from core.leadgen import close_leads_served
from core.numbering import format_number, reserve, yymm
from core.workorders import refresh_last_service
from db.engine import Database
from db.models import AuditLog, Branch, Customer, Sale, Vehicle, WorkOrder

__all__ = [
    "FIELDS",
    "KINDS",
    "ImportResult",
    "Rejection",
    "guess_mapping",
    "import_dataframe",
    "import_file",
    "import_frame",
    "main_import",
    "preview",
    "read_table",
    "rejections_xlsx",
]

Kind = Literal["sales", "work_orders"]
KINDS: dict[str, str] = {"sales": "Penjualan (customer + motor + penjualan)", "work_orders": "Work order (PKB)"}

register({
    "intake.duplicate": {
        "id": "kemungkinan duplikat: No HP dan nama sama dengan lebih dari satu customer (atau NIK berbeda); "
              "periksa data customer lalu isi NIK",
        "en": "possible duplicate: mobile and name match more than one customer (or a different NIK); "
              "check the customer and fill in the NIK",
    },
    "intake.branch_unknown": {"id": "kode cabang tidak dikenal", "en": "unknown branch code"},
    "intake.branch_required": {
        "id": "cabang wajib diisi (kolom kode cabang atau pilih cabang)",
        "en": "the branch is required (a branch code column, or choose a branch)",
    },
    "intake.km_invalid": {"id": "KM harus angka bulat, mis. 12500", "en": "km must be a whole number, e.g. 12500"},
    "intake.too_long": {"id": "terlalu panjang (maks. {max} karakter)", "en": "too long (at most {max} characters)"},
    "field.sale_date": {"id": "Tanggal Beli", "en": "Sale date"},
    "field.service_date": {"id": "Tanggal Servis", "en": "Service date"},
    "field.wo_number": {"id": "No PKB", "en": "Work order no"},
    "field.sale_number": {"id": "No SPK", "en": "Sale no"},
    "field.km": {"id": "KM", "en": "Km"},
    "field.unit_type_code": {"id": "Kode Tipe Unit", "en": "Unit type code"},
    "field.unit_name": {"id": "Tipe Unit", "en": "Unit name"},
    "field.colour": {"id": "Warna", "en": "Colour"},
    "field.branch_code": {"id": "Kode Cabang", "en": "Branch code"},
})

REQUIRED: dict[str, tuple[str, ...]] = {
    "sales": ("name", "engine_no", "sale_date"),
    "work_orders": ("wo_number", "engine_no", "service_date", "job_type"),
}
_MAX_LEN = {"name": 120, "address": 255, "unit_type_code": 30, "unit_name": 120, "colour": 60, "sale_number": 40,
            "wo_number": 40}

@dataclass(frozen=True)
class Rejection:
    row: int  # as the user sees it in the file: header = row 1, first data row = row 2
    column: str  # the file's header
    value: str
    reason: str  # Bahasa Indonesia
    code: str = ""  # the message code, for tests and tools


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: list[Rejection] = field(default_factory=list)

    @property
    def rejected_rows(self) -> int:
        return len({r.row for r in self.rejected})

    def as_dict(self) -> dict[str, int]:
        return {"created": self.created, "updated": self.updated, "unchanged": self.unchanged,
                "rejected_rows": self.rejected_rows, "rejections": len(self.rejected)}


# --- Validation -------------------------------------------------------------------------------


def _params(code: str, value: str) -> dict[str, Any]:
    if code == "job_type.unknown":
        return {"codes": ", ".join(JOB_TYPES)}
    if code == "nik.province":
        return {"province": re.sub(r"[\s.]", "", value)[:2]}
    if code == "intake.too_long":
        return {"max": 0}
    return {}


def _by_unique(values: pd.Series, fn: Callable[[Any], Any]) -> tuple[pd.Series, pd.Series]:
    """A scalar validator over a column, once per distinct value."""
    good: dict[Any, Any] = {}
    bad: dict[Any, str] = {}
    for u in pd.unique(values):
        try:
            good[u] = fn(u)
        except ValidationError as exc:
            bad[u] = exc.code
    out = values.map(good).astype(object)
    err = values.map(bad).astype(object)
    out[out.isna()] = None
    err[err.isna()] = None
    return out, err


_KM_PLAIN = re.compile(r"[0-9]{1,7}(?:[.,]0+)?")
_KM_THOUSANDS = re.compile(r"[0-9]{1,3}(?:[.,][0-9]{3})+")


def _km(value: object) -> int:
    text = str(value).strip()
    if _KM_THOUSANDS.fullmatch(text):  # Indonesian "12.500" is twelve thousand five hundred
        return int(re.sub(r"[.,]", "", text))
    if _KM_PLAIN.fullmatch(text):
        return int(re.split(r"[.,]", text)[0])
    raise ValidationError("intake.km_invalid", field="km", value=value)


def _text(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    collapsed = values.str.replace(r"\s+", " ", regex=True).str.strip()
    return collapsed.astype(object), pd.Series(None, index=values.index, dtype=object)


_VALIDATORS: dict[str, Callable[[pd.Series], tuple[pd.Series, pd.Series]]] = {
    "nik": normalize_nik_series,
    "phone": normalize_phone_series,
    "engine_no": normalize_engine_no_series,
    "sale_date": parse_date_series,
    "service_date": parse_date_series,
    "frame_no": lambda s: _by_unique(s, normalize_frame_no),
    "plate": lambda s: _by_unique(s, normalize_plate),
    "job_type": lambda s: _by_unique(s, normalize_job_type),
    "km": lambda s: _by_unique(s, _km),
}


@dataclass
class _Checked:
    values: pd.DataFrame  # our fields, normalised; None where blank
    ok: np.ndarray  # rows without any rejection
    rejections: list[Rejection]
    header_of: dict[str, str]


def _branch_codes(session: Session) -> dict[str, int]:
    return {code.upper(): bid for bid, code in session.execute(select(Branch.id, Branch.code))}


def _check(session: Session, viewer: Viewer, kind: str, df: pd.DataFrame, mapping: dict[str, str],
           branch_id: int | None) -> _Checked:
    """Validate every row; every bad cell becomes a Rejection with the file's row number and header."""
    header_of: dict[str, str] = {}
    for header, fld in mapping.items():
        if fld in KIND_FIELDS[kind] and fld not in header_of and header in df.columns:
            header_of[fld] = header
    n = len(df)
    rows = np.arange(n) + 2
    values = pd.DataFrame(index=pd.RangeIndex(n))
    codes: list[tuple[str, np.ndarray]] = []  # (field, error code per row or None)
    originals: dict[str, np.ndarray] = {}
    for fld in KIND_FIELDS[kind]:
        hdr = header_of.get(fld)
        if hdr is None:
            values[fld] = pd.Series([None] * n, dtype=object)
            if fld in REQUIRED[kind]:
                codes.append((fld, np.full(n, "identifier.required", dtype=object)))
                originals[fld] = np.full(n, "", dtype=object)
            continue
        raw = df[hdr].reset_index(drop=True).astype(str).str.strip()
        originals[fld] = raw.to_numpy(dtype=object)
        blank = (raw == "").to_numpy()
        if fld == "branch_code":
            values[fld] = raw.where(~blank, None).astype(object)
            continue
        validate = _VALIDATORS.get(fld, _text)
        if blank.all():
            out, err = pd.Series([None] * n, dtype=object), pd.Series([None] * n, dtype=object)
        else:
            out, err = validate(raw)
        out = out.reset_index(drop=True).astype(object)
        err_arr = err.reset_index(drop=True).to_numpy(dtype=object, copy=True)
        err_arr[blank] = "identifier.required" if fld in REQUIRED[kind] else None
        out[blank] = None
        limit = _MAX_LEN.get(fld)
        if limit is not None:
            long = (raw.str.len() > limit).to_numpy() & ~blank
            err_arr[long & pd.isna(err_arr)] = "intake.too_long"
        values[fld] = out
        codes.append((fld, err_arr))

    # Branch: the row's branch code (one of the viewer's branches), else the chosen branch, else the
    # viewer's only branch.
    default_branch = branch_id
    if default_branch is None and not viewer.all_branches and len(viewer.branch_ids) == 1:
        default_branch = next(iter(viewer.branch_ids))
    known = _branch_codes(session)
    branch_codes = values["branch_code"]
    branch_ids = np.full(n, default_branch, dtype=object)
    branch_err = np.full(n, None, dtype=object)
    if "branch_code" in header_of:
        resolved: dict[str, tuple[int | None, str | None]] = {}
        for code in pd.unique(branch_codes.dropna()):
            bid = known.get(str(code).upper())
            if bid is None:
                resolved[code] = (None, "intake.branch_unknown")
            elif not viewer.may_see_branch(bid):
                resolved[code] = (None, "error.branch_forbidden")
            else:
                resolved[code] = (bid, None)
        for i, code in enumerate(branch_codes.to_numpy(dtype=object)):
            if code is not None:
                branch_ids[i], branch_err[i] = resolved[code]
    branch_err[(branch_ids == None) & pd.isna(branch_err)] = "intake.branch_required"  # noqa: E711
    values["branch_id"] = branch_ids
    codes.append(("branch_code", branch_err))
    if "branch_code" not in originals:
        originals["branch_code"] = np.full(n, "", dtype=object)

    bad = np.zeros(n, dtype=bool)
    found: list[tuple[int, int, Rejection]] = []
    order = {f: i for i, f in enumerate(FIELDS)}
    for fld, err_arr in codes:
        hit = np.flatnonzero(~pd.isna(err_arr))
        if not len(hit):
            continue
        bad[hit] = True
        column = header_of.get(fld) or FIELDS[fld]
        reasons: dict[str, str] = {}
        for idx in hit:
            code = str(err_arr[idx])
            value = str(originals[fld][idx])
            params = _params(code, value)
            if code == "intake.too_long":
                params = {"max": _MAX_LEN[fld]}
            reason = t(code, "id", **params) if params else reasons.setdefault(code, t(code, "id"))
            found.append((int(rows[idx]), order[fld], Rejection(int(rows[idx]), column, value, reason, code)))
    found.sort(key=lambda x: (x[0], x[1]))
    return _Checked(values, ~bad, [r for _, _, r in found], header_of)


# --- Upsert -----------------------------------------------------------------------------------

_C: Table = Customer.__table__  # type: ignore[assignment]
_V: Table = Vehicle.__table__  # type: ignore[assignment]
_S: Table = Sale.__table__  # type: ignore[assignment]
_W: Table = WorkOrder.__table__  # type: ignore[assignment]
_IN_CHUNK = 10_000


def _name_key(name: str | None) -> str:
    return " ".join((name or "").upper().split())


def _select_in(session: Session, columns: list[Any], key: Any, keys: Iterable[Any]) -> list[Any]:
    keys = list(keys)
    out: list[Any] = []
    for start in range(0, len(keys), _IN_CHUNK):
        out.extend(session.execute(select(*columns).where(key.in_(keys[start:start + _IN_CHUNK]))).all())
    return out


def _update_many(session: Session, table: Table, rows: list[dict[str, Any]]) -> None:
    """One executemany UPDATE ... WHERE id = :b_id for rows that all set the same columns."""
    by_cols: dict[tuple[str, ...], list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        by_cols[tuple(sorted(k for k in row if k != "id"))].append(row)
    for cols, group in by_cols.items():
        stmt = update(table).where(table.c.id == bindparam("b_id")).values(
            {c: bindparam(f"b_{c}") for c in cols})
        session.execute(stmt, [{f"b_{k}": v for k, v in r.items()} for r in group])


def _insert_many(session: Session, table: Table, rows: list[dict[str, Any]]) -> None:
    """Plain executemany INSERT on the driver (as core.demo writes), stamping created/updated at now.

    Values are already Python types the driver adapts (str, int, date); the timestamps are written the
    way UTCDateTime does (naive UTC on SQLite)."""
    if not rows:
        return
    now = clock.now()
    sqlite = session.get_bind().dialect.name == "sqlite"
    stamp: Any = now.astimezone(dt.UTC).replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds") \
        if sqlite else now
    columns = [*rows[0], "created_at", "updated_at"]
    mark = "?" if sqlite else "%s"
    sql = (f"INSERT INTO {table.name} ({', '.join(columns)}) "
           f"VALUES ({', '.join([mark] * len(columns))})")
    if sqlite:
        params: list[tuple[Any, ...]] = [(*(_sqlite_value(v) for v in row.values()), stamp, stamp) for row in rows]
    else:
        params = [(*row.values(), stamp, stamp) for row in rows]
    cursor = session.connection().connection.cursor()
    try:
        cursor.executemany(sql, params)
    finally:
        cursor.close()


def _sqlite_value(value: Any) -> Any:
    return value.isoformat() if isinstance(value, dt.date) else value


def _merge_change(changes: dict[int, dict[str, Any]], stored: dict[str, Any], want: dict[str, Any]) -> bool:
    """Apply a row's values to a stored row's pending changes (later rows win); True when the row moves
    the values the batch had so far. Only the net difference from the stored row is written, so a row
    that restores the stored values leaves nothing to update."""
    pending = changes.get(stored["id"], {})
    moved = any({**stored, **pending}[c] != v for c, v in want.items())
    final = {**pending, **want}
    diff = {c: v for c, v in final.items() if v != stored[c]}
    if diff:
        changes[stored["id"]] = diff
    else:
        changes.pop(stored["id"], None)
    return moved


def _nik_facts(nik: str) -> dict[str, Any]:
    """What a (validated) NIK says about its holder."""
    return {"province_code": nik[:2], "city_code": nik[:4], "birth_date": nik_birth_date(nik),
            "gender": nik_gender(nik)}


_CUST_COLS = ("nik", "phone", "address")
_VEH_COLS = ("customer_id", "plate", "frame_no", "unit_type_code", "unit_name", "colour", "purchase_date")


def _upsert_batch(session: Session, viewer: Viewer, kind: str, recs: list[dict[str, Any]],
                  result: ImportResult, header_of: dict[str, str]) -> tuple[list[int], list[dt.date]]:
    """Upsert one batch of validated rows; returns (vehicle ids with changed work orders, their dates)."""
    engines = {r["engine_no"] for r in recs}
    # Vehicles (with their owner's name, for rows without NIK or mobile).
    veh: dict[str, dict[str, Any]] = {}
    stmt_cols = [*(_V.c[c] for c in ("id", "branch_id", "engine_no", *_VEH_COLS)), _C.c.name.label("owner_name")]
    engine_list = list(engines)
    for start in range(0, len(engine_list), _IN_CHUNK):
        chunk = engine_list[start:start + _IN_CHUNK]
        for vrow in session.execute(select(*stmt_cols).select_from(_V.outerjoin(_C, _C.c.id == _V.c.customer_id))
                                   .where(_V.c.engine_no.in_(chunk))).mappings():
            veh[vrow["engine_no"]] = dict(vrow)

    # Customers.
    with_customer = [r for r in recs if r.get("name")]
    niks = {r["nik"] for r in with_customer if r.get("nik")}
    cust_cols = [_C.c.id, _C.c.branch_id, _C.c.name, *(_C.c[c] for c in _CUST_COLS)]
    by_nik = {row.nik: dict(row._mapping) for row in _select_in(session, cust_cols, _C.c.nik, niks)}
    phones = {r["phone"] for r in with_customer if r.get("phone") and not (r.get("nik") and r["nik"] in by_nik)}
    by_phone: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for row in _select_in(session, cust_cols, _C.c.phone, phones):
        by_phone[(row.phone, _name_key(row.name))].append(dict(row._mapping))
    cust_by_id: dict[int, dict[str, Any]] = {c["id"]: c for c in by_nik.values()}
    for group in by_phone.values():
        for c in group:
            cust_by_id.setdefault(c["id"], c)

    new_customers: dict[Any, dict[str, Any]] = {}  # key -> row to insert
    new_alias: dict[tuple[str, str], Any] = {}  # (phone, name) -> key of a customer new in this batch
    cust_changes: dict[int, dict[str, Any]] = {}
    changed_customers: set[Any] = set()  # ids or new keys
    dup_code = "intake.duplicate"
    good: list[dict[str, Any]] = []
    for r in recs:
        r["_cust"] = None
        if not r.get("name"):
            good.append(r)
            continue
        nik, phone, nkey = r.get("nik"), r.get("phone"), _name_key(r["name"])
        cust: dict[str, Any] | None = by_nik.get(nik) if nik else None
        if cust is None:
            matches = by_phone.get((phone, nkey), []) if phone else []
            if len(matches) > 1 or (nik and matches and matches[0]["nik"] not in (None, nik)):
                column = header_of.get("phone") or header_of.get("name") or "No HP"
                result.rejected.append(Rejection(r["_row"], column, str(r.get("_phone_raw", phone)),
                                                 t(dup_code, "id"), dup_code))
                continue
            if matches:
                cust = matches[0]
            elif not nik and not phone:
                owner = veh.get(r["engine_no"])
                if owner and owner["customer_id"] and _name_key(owner["owner_name"]) == nkey:
                    cust = cust_by_id.get(owner["customer_id"]) or {
                        "id": owner["customer_id"], "branch_id": None, "name": owner["owner_name"],
                        "nik": None, "phone": None, "address": None}
        if cust is not None:
            r["_cust"] = cust["id"]
            if (cust["branch_id"] is not None and viewer.may_see_branch(cust["branch_id"])
                    and _merge_change(cust_changes, cust, {c: r[c] for c in _CUST_COLS if r.get(c)})):
                changed_customers.add(cust["id"])
            good.append(r)
            continue
        key: Any = nik or ((phone, nkey) if phone else ("engine", r["engine_no"], nkey))
        key = new_alias.get((phone, nkey), key) if phone and not nik else key
        if key not in new_customers:
            row = {"branch_id": r["branch_id"], "name": r["name"], "nik": nik, "phone": phone,
                   "address": r.get("address"), "province_code": None, "city_code": None, "birth_date": None,
                   "gender": None, "consent_contact": False, "consent_message": False}
            if nik:
                row.update(_nik_facts(nik))
            new_customers[key] = row
            if phone:
                new_alias.setdefault((phone, nkey), key)
        else:  # later rows win, as for a customer already stored
            new_customers[key].update({c: r[c] for c in ("phone", "address") if r.get(c)})
        r["_cust"] = ("new", key)
        changed_customers.add(("new", key))
        good.append(r)

    if new_customers:
        today = clock.today_in("Asia/Jakarta")
        series = f"BPA/{yymm(today)}"
        first = reserve(session, series, len(new_customers))
        rows = list(new_customers.values())
        for i, row in enumerate(rows):
            row["code"] = format_number(series, first + i)
        # A plain executemany, then the ids by code: much faster than RETURNING row by row on SQLite.
        _insert_many(session, _C, rows)
        id_of = {code: cid for cid, code in _select_in(session, [_C.c.id, _C.c.code], _C.c.code,
                                                        [row["code"] for row in rows])}
        new_ids = {key: id_of[row["code"]] for key, row in zip(new_customers, rows, strict=True)}
    else:
        new_ids = {}
    if cust_changes:
        _update_many(session, _C, [{"id": cid, **diff} for cid, diff in cust_changes.items()])
    for r in good:
        if isinstance(r["_cust"], tuple):
            r["_cust"] = new_ids[r["_cust"][1]]
    changed_cust_ids = {new_ids[k[1]] if isinstance(k, tuple) else k for k in changed_customers}

    # Vehicles: the file's non-blank values win; a new owner or plate is an update.
    new_veh: dict[str, dict[str, Any]] = {}
    veh_changes: dict[int, dict[str, Any]] = {}
    changed_engines: set[str] = set()
    for r in good:
        engine = r["engine_no"]
        want = {"customer_id": r["_cust"], "plate": r.get("plate"), "frame_no": r.get("frame_no"),
                "unit_type_code": r.get("unit_type_code"), "unit_name": r.get("unit_name"),
                "colour": r.get("colour"), "purchase_date": r.get("sale_date")}
        want = {c: v for c, v in want.items() if v is not None}
        cur = veh.get(engine)
        if cur is None:
            target = new_veh.setdefault(engine, {"branch_id": r["branch_id"], "engine_no": engine,
                                                 "engine_code": engine[:4], "premium": False,
                                                 **dict.fromkeys(_VEH_COLS)})
            target.update(want)
            changed_engines.add(engine)
            continue
        if not viewer.may_see_branch(cur["branch_id"]):
            continue
        if _merge_change(veh_changes, cur, want):
            changed_engines.add(engine)
    if new_veh:
        rows = list(new_veh.values())
        _insert_many(session, _V, rows)
        for vid, engine in _select_in(session, [_V.c.id, _V.c.engine_no], _V.c.engine_no, new_veh):
            veh[engine] = {**new_veh[engine], "id": vid}
    if veh_changes:
        _update_many(session, _V, [{"id": vid, **diff} for vid, diff in veh_changes.items()])
        for cur in veh.values():
            if cur["id"] in veh_changes:
                cur.update(veh_changes[cur["id"]])
    for r in good:
        r["_veh"] = veh[r["engine_no"]]["id"]

    # The row's own record: a sale or a work order.
    main_new: set[Any] = set()
    main_changed: set[Any] = set()
    served_vehicles: list[int] = []
    served_dates: list[dt.date] = []
    if kind == "sales":
        existing = {(row.vehicle_id, row.sale_date): dict(row._mapping) for row in _select_in(
            session, [_S.c.id, _S.c.vehicle_id, _S.c.sale_date, _S.c.customer_id, _S.c.number, _S.c.branch_id],
            _S.c.vehicle_id, {r["_veh"] for r in good})}
        inserts: dict[Any, dict[str, Any]] = {}
        changes: dict[int, dict[str, Any]] = {}
        for r in good:
            key = (r["_veh"], r["sale_date"])
            r["_key"] = key
            want = {"customer_id": r["_cust"], "number": r.get("sale_number")}
            cur = existing.get(key)
            if cur is None:
                inserts.setdefault(key, {"branch_id": r["branch_id"], "vehicle_id": r["_veh"],
                                         "sale_date": r["sale_date"], "customer_id": None, "number": None})
                inserts[key].update({c: v for c, v in want.items() if v is not None})
                main_new.add(key)
            elif viewer.may_see_branch(cur["branch_id"]) and _merge_change(
                    changes, cur, {c: v for c, v in want.items() if v is not None}):
                main_changed.add(key)
        if inserts:
            _insert_many(session, _S, list(inserts.values()))
        if changes:
            _update_many(session, _S, [{"id": i, **d} for i, d in changes.items()])
    else:
        existing = {row.number: dict(row._mapping) for row in _select_in(
            session, [_W.c.id, _W.c.number, _W.c.vehicle_id, _W.c.customer_id, _W.c.service_date, _W.c.km,
                      _W.c.job_type, _W.c.kpb_number, _W.c.branch_id], _W.c.number, {r["wo_number"] for r in good})}
        inserts = {}
        changes = {}
        for r in good:
            key = r["wo_number"]
            r["_key"] = key
            owner = veh[r["engine_no"]]["customer_id"]
            want = {"vehicle_id": r["_veh"], "customer_id": owner, "service_date": r["service_date"],
                    "km": r.get("km"), "job_type": r["job_type"], "kpb_number": kpb_number_of_job(r["job_type"])}
            cur = existing.get(key)
            if cur is None:
                inserts[key] = {"branch_id": r["branch_id"], "number": key, **want}
                main_new.add(key)
            elif viewer.may_see_branch(cur["branch_id"]):
                if _merge_change(changes, cur, {c: v for c, v in want.items() if not (c == "km" and v is None)}):
                    main_changed.add(key)
                    served_vehicles.append(cur["vehicle_id"])
            else:
                continue
            if key in main_new or key in main_changed:
                served_vehicles.append(r["_veh"])
                served_dates.append(r["service_date"])
        if inserts:
            _insert_many(session, _W, list(inserts.values()))
        if changes:
            _update_many(session, _W, [{"id": i, **d} for i, d in changes.items()])

    for r in good:
        if r["_key"] in main_new:
            result.created += 1
        elif (r["_key"] in main_changed or r["engine_no"] in changed_engines
              or (r["_cust"] is not None and r["_cust"] in changed_cust_ids)):
            result.updated += 1
        else:
            result.unchanged += 1
    return served_vehicles, served_dates


def import_frame(session: Session, viewer: Viewer, kind: str, df: pd.DataFrame, mapping: dict[str, str], *,
                 branch_id: int | None = None, batch_size: int = 20_000,
                 progress: Callable[[int, int], None] | None = None,
                 after_batch: Callable[[Session], None] | None = None) -> ImportResult:
    """Validate every row of df, then upsert the good ones in batches (see the module docstring).

    mapping is {file header: our field}; branch_id is the branch for rows without a branch code.
    The caller commits; after_batch (e.g. ``Session.commit``) runs after each batch.
    progress(done_rows, total_rows) is called as batches finish."""
    if kind not in KIND_FIELDS:
        raise ValueError(f"unknown import kind {kind!r}")
    viewer.require(Perm.CUSTOMER_CHANGE)
    if branch_id is not None:
        viewer.require_branch(branch_id)
    checked = _check(session, viewer, kind, df, mapping, branch_id)
    result = ImportResult(rejected=list(checked.rejections))
    good_idx = np.flatnonzero(checked.ok)
    values = checked.values
    values["_row"] = np.arange(len(values)) + 2
    if "phone" in checked.header_of:
        values["_phone_raw"] = df[checked.header_of["phone"]].reset_index(drop=True).astype(str).str.strip()
    total = len(good_idx)
    served_vehicles: list[int] = []
    served_dates: list[dt.date] = []
    done = 0
    for start in range(0, total, max(batch_size, 1)):
        chunk = values.iloc[good_idx[start:start + batch_size]]
        recs: list[dict[str, Any]] = [
            {k: (None if v is None or (isinstance(v, float) and math.isnan(v)) else v) for k, v in rec.items()}
            for rec in chunk.to_dict("records")]
        for rec in recs:
            if rec.get("km") is not None:
                rec["km"] = int(rec["km"])
            if rec.get("branch_id") is not None:
                rec["branch_id"] = int(rec["branch_id"])
        vehicles, dates = _upsert_batch(session, viewer, kind, recs, result, checked.header_of)
        if kind == "work_orders" and vehicles:
            refresh_last_service(session, sorted(set(vehicles)))
        served_vehicles.extend(vehicles)
        served_dates.extend(dates)
        done += len(chunk)
        if after_batch is not None:
            after_batch(session)
        if progress is not None:
            progress(done, total)
    if kind == "work_orders" and served_dates:
        close_leads_served(session, since=min(served_dates))
    result.rejected.sort(key=lambda r: r.row)
    return result


def preview(session: Session, viewer: Viewer, kind: str, df: pd.DataFrame, mapping: dict[str, str], *,
            branch_id: int | None = None, rows: int = 10) -> pd.DataFrame:
    """The first rows as they will be stored (normalised values), with the reasons a row is rejected."""
    head = df.head(rows)
    checked = _check(session, viewer, kind, head, mapping, branch_id)
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
                    frame: pd.DataFrame | None = None) -> None:
    """The rejected rows with their reasons as an xlsx to fix and import again (openpyxl write-only).

    With the original frame, each rejected row is written whole with a 'Kesalahan' column; without
    it, one line per rejection (row, column, value, reason)."""
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("Ditolak")
    if frame is not None:
        by_row: dict[int, list[str]] = defaultdict(list)
        for rej in rejections:
            by_row[rej.row].append(f"{rej.column}: {rej.reason}")
        ws.append(["Baris", *map(str, frame.columns), "Kesalahan"])
        for row, reasons in sorted(by_row.items()):
            cells = frame.iloc[row - 2].tolist() if 0 <= row - 2 < len(frame) else []
            ws.append([row, *(str(c) for c in cells), "; ".join(reasons)])
    else:
        ws.append(["Baris", "Kolom", "Nilai", "Alasan"])
        for rej in rejections:
            ws.append([rej.row, rej.column, rej.value, rej.reason])
    wb.save(path)


def import_file(db: Database, viewer: Viewer, path: str | Path | IO[bytes], kind: str,
                mapping: dict[str, str] | None = None, *, filename: str | None = None, branch_id: int | None = None,
                batch_size: int = 20_000, progress: Callable[[int, int], None] | None = None) -> ImportResult:
    """Read a file, guess its mapping (unless given), import it with a commit per batch and audit it."""
    df = read_table(path, filename)
    name = filename or str(getattr(path, "name", path))
    return import_dataframe(db, viewer, kind, df, mapping, name=name, branch_id=branch_id, batch_size=batch_size,
                            progress=progress)


def import_dataframe(db: Database, viewer: Viewer, kind: str, df: pd.DataFrame, mapping: dict[str, str] | None,
                     *, name: str = "", branch_id: int | None = None, batch_size: int = 20_000,
                     progress: Callable[[int, int], None] | None = None) -> ImportResult:
    """import_frame in its own session with a commit per batch, and an audit entry with the counts."""
    mapping = mapping if mapping is not None else guess_mapping(df.columns)
    with session_for(db, viewer, write=True) as session:
        try:
            result = import_frame(session, viewer, kind, df, mapping, branch_id=branch_id, batch_size=batch_size,
                                  progress=progress, after_batch=lambda s: s.commit())
            session.add(AuditLog(at=clock.now(), user_id=viewer.user_id, action="intake.import",
                                 object_type="import", object_id=None, branch_id=branch_id,
                                 changes={"kind": kind, "rows": len(df), **result.as_dict()},
                                 note=Path(name).name[:200]))
            session.commit()
        except Exception:
            session.rollback()
            raise
    return result


def main_import(argv: list[str] | None = None) -> int:
    """Command line import of a dealer export (to be wired as ``python -m core.cli import``).

    Usage::

        main_import(["penjualan.xlsx", "--kind", "sales"])
        main_import(["pkb.csv", "--kind", "work_orders", "--branch", "SAM01", "--user", "admin.sam01",
                     "--rejections", "ditolak.xlsx"])

    Arguments: the file (.csv with ',' or ';', or .xlsx); --kind sales|work_orders; --branch CODE for rows
    without a branch code column; --user USERNAME to act as that user (default: the system); --batch-size N;
    --rejections PATH to write the rejected rows with their reasons. Prints the counts; returns 0, or 1
    when some rows were rejected."""
    from core.auth import viewer_for_username
    from db.engine import make_engine

    parser = argparse.ArgumentParser(prog="import", description="Import sales or work orders from CSV/Excel")
    parser.add_argument("path")
    parser.add_argument("--kind", choices=list(KIND_FIELDS), required=True)
    parser.add_argument("--branch", default=None)
    parser.add_argument("--user", default=None)
    parser.add_argument("--batch-size", type=int, default=20_000)
    parser.add_argument("--rejections", default=None)
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

    result = import_file(db, viewer, args.path, args.kind, branch_id=branch_id, batch_size=args.batch_size,
                         progress=say)
    print(f"created {result.created}, updated {result.updated}, unchanged {result.unchanged}, "
          f"rejected rows {result.rejected_rows}")
    if result.rejected and args.rejections:
        rejections_xlsx(result.rejected, args.rejections, read_table(args.path))
        print(f"rejections written to {args.rejections}")
    return 1 if result.rejected else 0
