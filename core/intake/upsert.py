"""The full (row-by-row) upsert of a validated chunk: customers by NIK, else mobile + name, else the
vehicle's owner of the same name; vehicles by engine number; sales by (vehicle, date); work orders by
number. Later rows of a chunk win; only the net difference from what is stored is written. The fast
paths (core.intake.hashing, core.intake.fast) take the rows they can settle first; this handles the rest."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

from sqlalchemy.orm import Session

from core.accounts.access import Viewer
from core.customers.job_types import (
    kpb_number_of_job,
)
from core.intake.check import ImportResult, Rejection
from core.intake.store import (
    _C,
    _CUST_COLS,
    _S,
    _V,
    _VEH_COLS,
    _W,
    _insert_many,
    _merge_change,
    _name_key,
    _nik_facts,
    _reserve_customer_codes,
    _select_in,
    _update_many,
)
from core.platform.i18n import t


def _upsert_batch(session: Session, viewer: Viewer, kind: str, recs: list[dict[str, Any]],
                  result: ImportResult, header_of: dict[str, str]) -> tuple[list[int], list[dt.date]]:
    """Upsert one batch of validated rows; returns (vehicle ids with changed work orders, their dates)."""
    engines = {r["engine_no"] for r in recs}
    # Vehicles (with their owner's name, for rows without NIK or mobile).
    stmt_cols = [*(_V.c[c] for c in ("id", "branch_id", "engine_no", *_VEH_COLS)), _C.c.name.label("owner_name")]
    veh: dict[str, dict[str, Any]] = {
        vrow.engine_no: dict(vrow._mapping) for vrow in _select_in(
            session, stmt_cols, _V.c.engine_no, engines, source=_V.outerjoin(_C, _C.c.id == _V.c.customer_id))}

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
        rows = list(new_customers.values())
        for row, code in zip(rows, _reserve_customer_codes(session, len(rows)), strict=True):
            row["code"] = code
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
        r["_changed"] = True  # the row wrote something (core.intake.importer then records its row hash)
        if r["_key"] in main_new:
            result.created += 1
        elif (r["_key"] in main_changed or r["engine_no"] in changed_engines
              or (r["_cust"] is not None and r["_cust"] in changed_cust_ids)):
            result.updated += 1
        else:
            result.unchanged += 1
            r["_changed"] = False
    return served_vehicles, served_dates
