"""The re-import fast path: sales rows that would change nothing are found set-based and skipped.

One query per chunk reads what is stored for the chunk's engine numbers (vehicle, its owner, its
sales); a vectorised comparison marks a row unchanged when its sale exists for the vehicle and the
owner, the owner is the customer its NIK names, and every value the row gives equals the stored one.
Only those rows skip the row-by-row upsert in core.intake.importer, which would find nothing to write for them
either; every other row (new, changed, without NIK, sharing its engine or NIK with a changed row of the
chunk, or in a branch the viewer may not change) goes the full way, so the result is the same, much
faster on a re-import.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Table, select
from sqlalchemy.orm import Session

from core.accounts.access import Viewer
from db.models import Customer, Sale, Vehicle

_C: Table = Customer.__table__  # type: ignore[assignment]
_V: Table = Vehicle.__table__  # type: ignore[assignment]
_S: Table = Sale.__table__  # type: ignore[assignment]
# The row's field -> the stored column it must equal when the row gives it.
_SAME = {"plate": "v_plate", "frame_no": "v_frame_no", "unit_type_code": "v_unit_type_code",
         "unit_name": "v_unit_name", "colour": "v_colour", "phone": "c_phone", "address": "c_address",
         "sale_number": "s_number"}


def unchanged_sales(session: Session, viewer: Viewer, good: pd.DataFrame,
                    key_in: Any) -> np.ndarray:
    """For the validated rows of a sales chunk (core.intake.importer's normalised values), True where storing the
    row would change nothing. key_in(session, column, keys) -> (where clause, params) as in core.intake.importer."""
    n = len(good)
    out = np.zeros(n, dtype=bool)
    if n == 0 or "nik" not in good or good["nik"].isna().all():
        return out
    candidates = good["nik"].notna().to_numpy()
    engines = good.loc[candidates, "engine_no"].tolist()
    where, params = key_in(session, _V.c.engine_no, engines)
    stmt = (select(_V.c.engine_no, _V.c.branch_id.label("v_branch"), _V.c.customer_id.label("v_owner"),
                   *(_V.c[c].label(f"v_{c}") for c in ("plate", "frame_no", "unit_type_code", "unit_name", "colour",
                                                        "purchase_date")),
                   _C.c.branch_id.label("c_branch"), _C.c.nik.label("c_nik"), _C.c.phone.label("c_phone"),
                   _C.c.address.label("c_address"), _S.c.branch_id.label("s_branch"),
                   _S.c.customer_id.label("s_customer"), _S.c.number.label("s_number"), _S.c.sale_date)
            .select_from(_V.join(_C, _C.c.id == _V.c.customer_id).join(_S, _S.c.vehicle_id == _V.c.id))
            .where(where))
    names = [c.name for c in stmt.selected_columns]
    found = session.execute(stmt, params).all()
    if not found:
        return out
    stored = pd.DataFrame({name: np.array(col, dtype=object)
                           for name, col in zip(names, zip(*found, strict=True), strict=True)})
    rows = good.assign(_pos=np.arange(n))[candidates]
    both = rows.merge(stored, on=["engine_no", "sale_date"], how="inner")
    if both.empty:
        return out
    same = (both["c_nik"] == both["nik"]) & (both["s_customer"] == both["v_owner"]) \
        & (both["v_purchase_date"] == both["sale_date"])
    for fld, col in _SAME.items():
        if fld in both:
            given = both[fld].notna()
            same &= ~given | (both[fld].astype(object) == both[col].astype(object))
    if not viewer.all_branches:
        mine = list(viewer.branch_ids)
        same &= both["v_branch"].isin(mine) & both["c_branch"].isin(mine) & both["s_branch"].isin(mine)
    out[both.loc[same.to_numpy(), "_pos"].to_numpy(dtype=int)] = True
    # Rows sharing an engine or a NIK within the chunk: later rows win in the full path, so such a row
    # is skipped only when every row of its group is unchanged (then none of them moves anything).
    keyed = pd.DataFrame({"engine_no": good["engine_no"].to_numpy(), "nik": good["nik"].to_numpy(), "same": out})
    for key in ("engine_no", "nik"):
        known = keyed[key].notna()
        whole = keyed.loc[known].groupby(key, sort=False)["same"].transform("all")
        out[np.flatnonzero(known.to_numpy())] &= whole.to_numpy(dtype=bool)
    return out


def insert_new_sales(session: Session, good: pd.DataFrame, *, select_in: Any, insert_rows: Any,
                     reserve_codes: Any, viewer: Viewer | None = None) -> np.ndarray:
    """The first-import fast path: rows that are plainly new (an engine number unknown to the database
    and once in the chunk; a NIK no stored customer has, or without NIK a mobile once in the chunk, or
    neither; a mobile no stored customer has; or a stored customer of the viewer's branches, by NIK, whose
    mobile and address the row leaves as they are) are inserted column-wise: one customer per NIK (the
    first row's name and branch, the last given mobile and address, as the full path does), one per
    row without NIK, then their vehicles and sales, one executemany of tuples per table. Returns the
    rows it stored; the full path then handles the rest and finds these customers by NIK or mobile like
    any stored ones."""
    n = len(good)
    done = np.zeros(n, dtype=bool)
    if n == 0:
        return done
    nik, engine, phone = good["nik"], good["engine_no"], good["phone"]
    # Without NIK the full path keys a new customer by mobile + name (shared with any other row of that
    # mobile), else by the engine: such a row is plain only when its mobile is nowhere else in the chunk.
    lone_phone = ~phone.duplicated(keep=False).to_numpy() | phone.isna().to_numpy()
    cand = ~engine.duplicated(keep=False).to_numpy() & (nik.notna().to_numpy() | lone_phone)
    if not cand.any():
        return done
    known_engines = {e for (e,) in select_in(session, [_V.c.engine_no], _V.c.engine_no, engine[cand].unique().tolist())}
    cand &= ~engine.isin(known_engines).to_numpy()
    # A stored customer (by NIK) whose mobile and address the row leaves as they are: the full path
    # would only link the new motorcycle to it.
    reuse = np.zeros(n, dtype=bool)
    stored_id: dict[str, int] = {}
    if cand.any() and nik[cand].notna().any():
        found = select_in(session, [_C.c.nik, _C.c.id, _C.c.branch_id, _C.c.phone, _C.c.address], _C.c.nik,
                          nik[cand].dropna().unique().tolist())
        stored = {k: (cid, ph, ad) for k, cid, branch, ph, ad in found
                  if viewer is not None and branch is not None and viewer.may_see_branch(branch)}
        nik_of, phone_of, address_of = nik.tolist(), phone.tolist(), good["address"].tolist()
        for i in np.flatnonzero(cand & nik.isin(stored).to_numpy()):
            _cid, ph, ad = stored[nik_of[i]]
            reuse[i] = (pd.isna(phone_of[i]) or phone_of[i] == ph) and (pd.isna(address_of[i]) or address_of[i] == ad)
        stored_id = {k: v[0] for k, v in stored.items()}
        cand &= ~nik.isin({f[0] for f in found}).to_numpy() | reuse
    if cand.any() and phone[cand & ~reuse].notna().any():
        known_phones = {p for (p,) in select_in(session, [_C.c.phone], _C.c.phone,
                                                 phone[cand & ~reuse].dropna().unique().tolist())}
        cand &= ~phone.isin(known_phones).to_numpy() | reuse
    cand = _whole_groups(cand, nik, phone)
    if not cand.any():
        return done
    reuse &= cand
    rows = good[cand]
    fresh_rows = good[cand & ~reuse]
    key = rows["nik"].where(rows["nik"].notna(), "row:" + pd.Series(np.arange(len(rows)), index=rows.index).astype(str))
    by_key = fresh_rows.assign(_key=key[~reuse[cand]]).groupby("_key", sort=False)
    first, last = by_key[["branch_id", "name", "nik"]].first(), by_key[["phone", "address"]].last()
    keys = first.index.tolist()
    codes = reserve_codes(len(keys))
    facts = _nik_facts(first["nik"]) if keys else ([], [], [], [])
    insert_rows(session, _C, ("code", "branch_id", "name", "nik", "phone", "address", "province_code", "city_code",
                              "birth_date", "gender", "consent_contact", "consent_message"),
                list(zip(codes, [int(b) for b in first["branch_id"].tolist()], first["name"].tolist(),
                         _plain(first["nik"]), _plain(last["phone"]), _plain(last["address"]), *facts,
                         [False] * len(keys), [False] * len(keys), strict=True)))
    id_of_code = dict(select_in(session, [_C.c.code, _C.c.id], _C.c.code, codes))
    customer_of = {**stored_id, **{k: id_of_code[code] for k, code in zip(keys, codes, strict=True)}}

    def column(name: str) -> list[Any]:
        return _plain(rows[name]) if name in rows else [None] * len(rows)

    owners = [customer_of[k] for k in key.tolist()]
    branches = [int(b) for b in rows["branch_id"].tolist()]
    engines, dates = rows["engine_no"].tolist(), rows["sale_date"].tolist()
    insert_rows(session, _V, ("branch_id", "engine_no", "engine_code", "premium", "customer_id", "plate", "frame_no",
                              "unit_type_code", "unit_name", "colour", "purchase_date"),
                list(zip(branches, engines, [e[:4] for e in engines], [False] * len(rows), owners, column("plate"),
                         column("frame_no"), column("unit_type_code"), column("unit_name"), column("colour"), dates,
                         strict=True)))
    vehicle_of = dict(select_in(session, [_V.c.engine_no, _V.c.id], _V.c.engine_no, engines))
    # The row hash (core.intake.hashing) goes in with the sale, written after its vehicle and customer.
    hashes = [None if h is None else int(h) for h in column("_hash")]
    insert_rows(session, _S, ("branch_id", "vehicle_id", "sale_date", "customer_id", "number", "row_hash"),
                list(zip(branches, [vehicle_of[e] for e in engines], dates, owners, column("sale_number"), hashes,
                         strict=True)))
    done[cand] = True
    return done


def _whole_groups(cand: np.ndarray, nik: pd.Series, phone: pd.Series) -> np.ndarray:
    """cand less the rows sharing a NIK or a mobile with a row that is not a candidate: the full path
    takes such rows in file order (later rows win, a mobile links a row without NIK to a customer), so
    a group goes one way or the other, never split."""
    out = cand.copy()
    while True:
        keep = out.copy()
        for key in (nik, phone):
            known = key.notna().to_numpy()
            whole = pd.Series(out[known]).groupby(key[known].to_numpy(), sort=False).transform("all")
            keep[known] &= whole.to_numpy(dtype=bool)
        if (keep == out).all():
            return out
        out = keep


def _plain(values: pd.Series) -> list[Any]:
    """A column as Python values with None for blanks (NaN included)."""
    cells = values.to_numpy(dtype=object, copy=True)
    cells[pd.isna(cells)] = None
    return cells.tolist()


def _nik_facts(niks: pd.Series) -> tuple[list[Any], list[Any], list[Any], list[Any]]:
    """What validated NIKs say about their holders, column-wise (as core.intake.store._nik_facts):
    province and city codes, birth date (day + 40 for women), gender; None for a blank NIK."""
    text = niks.astype(object).where(niks.notna(), None)
    given = text.notna().to_numpy()
    digits = text[given].astype(str)
    day = digits.str[6:8].astype(int).to_numpy()
    yy = digits.str[10:12].astype(int).to_numpy()
    current_yy = dt.date.today().year % 100  # as core.customers.nik._birth_year
    born = pd.to_datetime(pd.DataFrame({"year": np.where(yy > current_yy, 1900 + yy, 2000 + yy),
                                        "month": digits.str[8:10].astype(int).to_numpy(),
                                        "day": np.where(day > 40, day - 40, day)}))
    province, city = np.full(len(text), None, dtype=object), np.full(len(text), None, dtype=object)
    birth, gender = np.full(len(text), None, dtype=object), np.full(len(text), None, dtype=object)
    province[given], city[given] = digits.str[:2].to_numpy(), digits.str[:4].to_numpy()
    birth[given] = born.dt.date.to_numpy()
    gender[given] = np.where(day > 40, "F", "M")
    return province.tolist(), city.tolist(), birth.tolist(), gender.tolist()
