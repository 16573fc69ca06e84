"""One page of Odoo records into our tables, set-based: every lookup is one query per page (by the page's
Odoo ids, its references and its unique keys), then one insert and one grouped update.

The rule for our own edits: a row whose updated_at is later than its odoo_synced_at was changed in H23
after the sync last wrote it, so the sync keeps H23's values (counted as `kept`, the Odoo values are not
applied). A row H23 had before the migration (same NIK, engine number or document number, no Odoo id) is
adopted: it gets the Odoo id and keeps its values, H23's being the later word."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Table
from sqlalchemy.orm import Session

from core.intake.store import _select_in, _update_many
from core.migration.convert import Context, Reject, empty, many2one_id, t
from core.migration.spec import ModelMap
from core.platform import clock
from db.base import UTCDateTime
from db.models import Branch


@dataclass
class PageResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    kept: int = 0  # edited in H23 since the last sync: H23's values stay
    rejected: list[tuple[int, str]] = field(default_factory=list)  # (Odoo id, reason)


# Dry runs write nothing, so what a run would have created is remembered here: model -> {Odoo id: facts}.
Seen = dict[str, dict[int, dict[str, Any]]]


def _branch_zones(session: Session, mm: ModelMap, records: list[dict[str, Any]], seen: Seen) -> dict[int, str]:
    if mm.branch_field is None:
        return {}
    ids = {bid for r in records if (bid := many2one_id(r.get(mm.branch_field), Context())) is not None}
    bt: Table = Branch.__table__  # type: ignore[assignment]
    zones = {oid: tz for oid, tz in _select_in(session, [bt.c.odoo_id, bt.c.timezone], bt.c.odoo_id, ids)}
    for oid in ids - zones.keys():
        if oid in seen.get("dym.branch", {}):
            zones[oid] = seen["dym.branch"][oid].get("timezone") or clock.WIB
    return zones


def _resolve_refs(session: Session, mm: ModelMap, rows: list[dict[str, Any]], result: PageResult,
                  seen: Seen, tables: dict[str, Table]) -> list[dict[str, Any]]:
    """Odoo ids of many2one (and many2many) fields -> our ids (or codes); a reference not found rejects."""
    found: dict[str, dict[int, Any]] = {}
    for ref in mm.refs:
        wanted: set[int] = set()
        for row in rows:
            raw = row[ref.ours]
            if ref.many:
                wanted.update(int(v) for v in raw or ())
            elif (oid := many2one_id(raw, Context())) is not None:
                wanted.add(oid)
        target = tables[ref.target]
        hits = {oid: value for oid, value in _select_in(
            session, [target.c.odoo_id, target.c[ref.column]], target.c.odoo_id, wanted)}
        for oid in wanted - hits.keys():
            if oid in seen.get(ref.target, {}):
                hits[oid] = seen[ref.target][oid].get(ref.column, -oid)  # a dry run's stand-in
        found[ref.ours] = hits
    good = []
    for row in rows:
        try:
            for ref in mm.refs:
                raw = row[ref.ours]
                many = ref.many
                oids = [int(v) for v in raw or ()] if many else [o] if (o := many2one_id(raw, Context())) else []
                missing = [o for o in oids if o not in found[ref.ours]]
                if missing:
                    raise Reject(t("odoo.missing_ref", "en", field=ref.odoo, model=ref.target, id=missing[0]))
                values = [found[ref.ours][o] for o in oids]
                row[ref.ours] = values if many else (values[0] if values else None)
            good.append(row)
        except Reject as exc:
            result.rejected.append((row["odoo_id"], exc.reason))
    return good


def _check_unique(session: Session, mm: ModelMap, rows: list[dict[str, Any]], existing: dict[int, dict[str, Any]],
                  result: PageResult) -> list[dict[str, Any]]:
    """Two Odoo records may not share what must be unique here: the later is rejected naming the other. A
    row of H23's own (no Odoo id) with the key is adopted by the record."""
    table, cols = mm.table, _columns(mm)
    for uq in mm.unique:
        def key_of(row: dict[str, Any], uq: Any = uq) -> tuple[Any, ...] | None:
            if uq.only_if is not None and not uq.only_if(row):
                return None
            key = tuple(row.get(c) for c in uq.columns)
            return None if any(v is None for v in key) else key
        first = uq.columns[0]
        stored = _select_in(session, [table.c[c] for c in cols], table.c[first],
                            {k[0] for r in rows if (k := key_of(r)) is not None})
        owner = {k: dict(s._mapping) for s in stored if (k := key_of(dict(s._mapping))) is not None}
        in_page: dict[tuple[Any, ...], int] = {}
        kept = []
        for row in rows:
            key = key_of(row)
            other = owner.get(key) if key is not None else None
            try:
                if key is not None and key in in_page:
                    raise Reject(t("odoo.duplicate_page", "en", field="/".join(uq.columns), value="/".join(
                        map(str, key)), other=in_page[key]))
                if other is not None and other["odoo_id"] != row["odoo_id"]:
                    if other["odoo_id"] is None and row["odoo_id"] not in existing:
                        existing[row["odoo_id"]] = {**other, "_adopt": True}
                    elif not (row["odoo_id"] in existing and existing[row["odoo_id"]]["id"] == other["id"]):
                        raise Reject(t("odoo.duplicate", "en", field="/".join(uq.columns), value="/".join(
                            map(str, key or ())), other=other["odoo_id"] or "- (H23)"))
            except Reject as exc:
                result.rejected.append((row["odoo_id"], exc.reason))
                continue
            if key is not None:
                in_page[key] = row["odoo_id"]
            kept.append(row)
        rows = kept
    return rows


def _columns(mm: ModelMap) -> list[str]:
    return [c.name for c in mm.table.c]


def write_page(session: Session, mm: ModelMap, records: list[dict[str, Any]], *, dry_run: bool, seen: Seen,
               tables: dict[str, Table], lookups: dict[str, Any], now: dt.datetime) -> PageResult:
    result = PageResult()
    zones = _branch_zones(session, mm, records, seen)
    rows = []
    for rec in records:
        try:
            bid = many2one_id(rec.get(mm.branch_field), Context()) if mm.branch_field else None
            row = mm.convert(rec, Context(zones.get(bid, clock.WIB) if bid else clock.WIB))
            if mm.derive is not None:
                row.update(mm.derive(row, rec, lookups))
        except Reject as exc:
            result.rejected.append((int(rec["id"]), exc.reason))
            continue
        row["odoo_id"] = int(rec["id"])
        rows.append(row)
    rows = _resolve_refs(session, mm, rows, result, seen, tables)
    table, cols = mm.table, _columns(mm)
    existing = {s.odoo_id: dict(s._mapping) for s in _select_in(
        session, [table.c[c] for c in cols], table.c.odoo_id, [r["odoo_id"] for r in rows])}
    rows = _check_unique(session, mm, rows, existing, result)

    inserts, updates = [], []
    for row in rows:
        cur = existing.get(row["odoo_id"])
        values = {c: v for c, v in row.items() if not c.startswith("_") and c in table.c}
        if cur is None:
            inserts.append(row)
            continue
        adopt = cur.get("_adopt", False)
        diff = {c: v for c, v in values.items() if c not in mm.insert_only and c in cur and cur[c] != v
                and not (c in mm.never_blank and empty(v))}
        edited_here = adopt or (mm.synced and cur["odoo_synced_at"] is not None
                                and cur["updated_at"] > cur["odoo_synced_at"])
        row["id"] = cur["id"]
        if edited_here and (diff or adopt):
            result.kept += 1
            if adopt:  # linked, H23's values stay; from now on an Odoo change applies unless H23 edits again
                updates.append({"id": cur["id"], "odoo_id": row["odoo_id"], **_stamp(mm, now)})
        elif diff:
            result.updated += 1
            row["_written"] = True
            if "version" in cur:  # a lead or booking open in someone's form: their stale save is refused
                diff["version"] = cur["version"] + 1
            updates.append({"id": cur["id"], **diff, **_stamp(mm, now)})
        else:
            result.unchanged += 1
    result.created = len(inserts)
    if dry_run:
        for row in rows:
            seen.setdefault(mm.odoo, {})[row["odoo_id"]] = {k: row.get(k) for k in ("code", "timezone")}
        return result
    if inserts:
        if mm.before_insert is not None:
            mm.before_insert(session, inserts)
        base = {**mm.defaults, **_stamp(mm, now), "created_at": now} if mm.synced else dict(mm.defaults)
        names = sorted({c for r in inserts for c in r if not c.startswith("_") and c in table.c} | base.keys())
        _insert(session, table, names, [tuple(r.get(c, base.get(c)) for c in names) for r in inserts])
        ids = dict(_select_in(session, [table.c.odoo_id, table.c.id], table.c.odoo_id, [r["odoo_id"] for r in inserts]))
        for row in inserts:
            row["id"], row["_written"] = ids[row["odoo_id"]], True
    if updates:
        _update_many(session, table, updates)
    if mm.after is not None:
        mm.after(session, rows)
    return result


def _insert(session: Session, table: Table, names: list[str], rows: list[tuple[Any, ...]]) -> None:
    """Plain driver executemany (COPY on PostgreSQL), as core.intake.store writes, with our own timestamps
    (updated_at must equal odoo_synced_at, or the row would look edited in H23). Values are what the driver
    takes: strings for enums; on SQLite, datetimes as naive UTC text the way UTCDateTime stores them."""
    sqlite = session.get_bind().dialect.name == "sqlite"
    stamps = [i for i, c in enumerate(names) if isinstance(table.c[c].type, UTCDateTime)]
    if sqlite and stamps:
        def naive(v: Any) -> Any:
            return v.astimezone(dt.UTC).replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds") if v else v
        rows = [tuple(naive(v) if i in stamps else v for i, v in enumerate(row)) for row in rows]
    cursor: Any = session.connection().connection.cursor()
    try:
        if sqlite:
            cursor.executemany(f"INSERT INTO {table.name} ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})",
                               rows)
        else:
            with cursor.copy(f"COPY {table.name} ({', '.join(names)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
    finally:
        cursor.close()


def _stamp(mm: ModelMap, now: dt.datetime) -> dict[str, Any]:
    return {"updated_at": now, "odoo_synced_at": now} if mm.synced else {}


def tables_by_model(models: Any) -> dict[str, Table]:
    return {m.odoo: m.table for m in models}

