"""The demo's leads in every stage, with their follow-ups and bookings, from the plans the generator made."""

from __future__ import annotations

import datetime as dt
from collections import Counter as Tally
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Table, insert
from sqlalchemy.orm import Session

from core.demo.catalogue import _COMPLAINTS, _LOST_REASONS
from core.demo.generator import _Generator
from core.demo.rows import _WO_NUMBER, _BranchInfo, _LeadPlan, _Weighted
from core.leads.lead import priority_for
from core.pipeline.stages import next_plan_date
from core.platform.numbering import booking_series, format_number, lead_series, reserve
from db.enums import (
    BookingState,
    Channel,
    ContactStatus,
    Stage,
    Temperature,
)
from db.models import (
    Booking,
    FollowUp,
    Lead,
)

# --- leads, follow-ups, bookings -----------------------------------------------------------------

_STAGE_PICK = (Stage.FU1, Stage.LEAD, Stage.FU2, Stage.NEW, Stage.FU3, Stage.FU1, Stage.LEAD, Stage.FU2,
               Stage.NEW, Stage.FU3)
_FU_STAGES = (Stage.NEW, Stage.FU1, Stage.FU2, Stage.FU3)


def _aware(day: int, hour_local: int, minute: int, info: _BranchInfo) -> dt.datetime:
    d = dt.date.fromordinal(day)
    local = dt.datetime(d.year, d.month, d.day, hour_local, minute, tzinfo=ZoneInfo(info.seed.timezone))
    return local.astimezone(dt.UTC)


def _build_leads(s: Session, gen: _Generator, ids: dict[str, int]) -> tuple[int, int, int, dict[str, int]]:
    r, today, m = gen.rnd, gen.today, gen.m
    plans = sorted(gen.leads, key=lambda p: (p.created, p.vehicle_id))
    series_count = Tally(lead_series(m.branches[p.branch].seed.code, dt.date.fromordinal(p.created)) for p in plans)
    next_no = {k: reserve(s, k, c) for k, c in sorted(series_count.items())}
    leads: list[dict[str, Any]] = []
    followups: list[dict[str, Any]] = []
    bookings: list[dict[str, Any]] = []
    busy: set[tuple[str, int, int, int]] = set()  # (pit|mechanic, id, day, hour) already booked
    open_seen = 0
    robin: Tally[int] = Tally()
    lost_pick = _Weighted([m.lost_reasons[c] for c, _ in _LOST_REASONS], [w for _, w in _LOST_REASONS])
    wrong_number = m.lost_reasons["WRONG_NUMBER"]
    for plan in plans:
        info = m.branches[plan.branch]
        lead_id = ids["lead"] + len(leads) + 1
        series = lead_series(info.seed.code, dt.date.fromordinal(plan.created))
        number = format_number(series, next_no[series])
        next_no[series] += 1
        admins = info.admins
        admin = admins[robin[plan.branch] % len(admins)] if admins else None
        robin[plan.branch] += 1
        cust = plan.customer
        # How far the admin got: opportunities need a complete CDDB.
        if plan.outcome == "open":
            target = _STAGE_PICK[open_seen % len(_STAGE_PICK)] if cust.cddb_complete else Stage.LEAD
            open_seen += 1
        elif plan.outcome in ("won_booking", "won_future"):
            target = _FU_STAGES[r.randint(1, 3)]
        else:
            target = _FU_STAGES[r.randint(0, 3)] if cust.cddb_complete and r.random() < 0.8 else Stage.LEAD
        limit = today if plan.came is None or plan.outcome == "won_future" else min(today, plan.came)
        row: dict[str, Any] = {
            "id": lead_id, "branch_id": info.id, "number": number, "category": plan.category, "division": "Workshop",
            "sales_source": plan.sales_source,
            "source_document": plan.source_document if isinstance(plan.source_document, str)
            else plan.source_document[_WO_NUMBER],
            "priority": priority_for(cust.nik, cust.phone),
            "customer_id": cust.id, "vehicle_id": plan.vehicle_id, "contact_name": cust.name, "phone": cust.phone,
            "nik": cust.nik, "address": cust.address, "occupation_id": cust.occupation_id,
            "service_kind": plan.kind, "kpb_number": plan.kpb, "deadline": dt.date.fromordinal(plan.deadline),
            "due_key": plan.due_key, "last_service_type": plan.last_service[1] if plan.last_service else None,
            "last_service_date": dt.date.fromordinal(plan.last_service[0]) if plan.last_service else None,
            "assigned_user_id": admin, "created_by_id": None, "version": 1,
            "created_at": _aware(plan.created, 8, r.randint(0, 30), info),
        }
        stage, last_day = Stage.LEAD, plan.created
        if target != Stage.LEAD and plan.created + 1 <= limit:
            conv = min(limit, plan.created + r.randint(0, 2))
            row["converted_at"] = _aware(conv, r.randint(8, 11), r.randint(0, 59), info)
            stage, last_day = Stage.NEW, conv
            plan_day = conv + r.randint(0, 3)
            for k in (1, 2, 3):
                if _FU_STAGES.index(target) < k:
                    break
                # Follow-ups that plan a next one happen before H-3, so the plan never passes it.
                # When time is short the admin calls sooner than planned (a day per remaining stage).
                cap = limit if k == 3 else min(limit, plan.deadline - 4)
                latest = cap - (_FU_STAGES.index(target) - k)
                done_on = max(last_day, min(plan_day + r.randint(-1, 1), latest))
                if done_on > cap:
                    break
                status = ContactStatus.TERHUBUNG if r.random() < 0.72 else \
                    ContactStatus.TIDAK_TERHUBUNG if r.random() < 0.6 else ContactStatus.REJECTED
                promised = None
                temperature: Temperature | None = None
                if status == ContactStatus.TERHUBUNG:
                    temperature = (Temperature.HOT, Temperature.MEDIUM, Temperature.COLD)[
                        0 if plan.outcome.startswith("won") and r.random() < 0.6 else r.randint(0, 2)]
                    if temperature == Temperature.HOT and r.random() < 0.6:
                        promised = done_on + r.randint(0, 3)
                row[f"fu{k}_date"] = dt.date.fromordinal(done_on)
                deadline = dt.date.fromordinal(plan.deadline)
                if k < 3:
                    nxt = next_plan_date(dt.date.fromordinal(done_on), deadline)
                    row[f"next_plan_fu{k + 1}"] = nxt
                    plan_day = nxt.toordinal()
                row.update(temperature=temperature, contact_status=status,
                           promised_date=dt.date.fromordinal(promised) if promised else None,
                           expected_closing=dt.date.fromordinal(promised) if promised else None)
                followups.append({
                    "id": ids["followup"] + len(followups) + 1, "branch_id": info.id, "lead_id": lead_id,
                    "stage_number": k, "done_on": dt.date.fromordinal(done_on),
                    "channel": Channel.WHATSAPP if k == 1 and r.random() < 0.7 else Channel.CALL,
                    "contact_status": status, "temperature": temperature,
                    "promised_date": row["promised_date"], "note": None, "user_id": admin,
                    "created_at": _aware(done_on, r.randint(9, 15), r.randint(0, 59), info)})
                stage, last_day = _FU_STAGES[k], done_on
        updated = _aware(last_day, 16, 0, info)
        if plan.outcome in ("won_service", "won_booking") and plan.came is not None and plan.wo is not None:
            row.update(stage=Stage.WON, won_work_order_id=plan.wo[0], won_branch_id=m.branches[plan.wo_branch or 0].id)
            if plan.outcome == "won_booking" and stage != Stage.LEAD and plan.came > last_day:
                row["closed_at"] = updated = _aware(last_day, 16, r.randint(0, 59), info)
                bookings.append(_booking(gen, info, lead_id, plan, row, plan.came, BookingState.WORK_ORDER,
                                         plan.wo, row["closed_at"], busy))
            else:
                row["closed_at"] = updated = _parse_ts(plan.wo[13])
        elif plan.outcome == "won_future" and stage != Stage.LEAD and plan.came is not None:
            row.update(stage=Stage.WON, closed_at=_aware(last_day, 16, r.randint(0, 59), info))
            updated = row["closed_at"]
            state = BookingState.CANCELLED if r.random() < 0.12 else \
                BookingState.POSTED if r.random() < 0.6 else BookingState.DRAFT
            bookings.append(_booking(gen, info, lead_id, plan, row, plan.came, state, None, row["closed_at"], busy))
        elif plan.outcome == "lost":
            reason = wrong_number if row.get("contact_status") == ContactStatus.TIDAK_TERHUBUNG and \
                r.random() < 0.5 else lost_pick.pick(r.random())
            close = min(today, max(last_day, plan.deadline) + r.randint(0, 5))
            row.update(stage=Stage.LOST, lost_reason_id=reason, closed_at=_aware(close, 15, r.randint(0, 59), info))
            updated = row["closed_at"]
        else:
            row["stage"] = stage
        row["updated_at"] = updated
        leads.append(row)
    _insert_dicts(s, Lead.__table__, leads)  # type: ignore[arg-type]
    _insert_dicts(s, FollowUp.__table__, followups)  # type: ignore[arg-type]
    if bookings:
        b_count = Tally(b["_series"] for b in bookings)
        b_next = {k: reserve(s, k, c) for k, c in sorted(b_count.items())}
        for k, b in enumerate(sorted(bookings, key=lambda x: x["booking_at"])):
            b["id"] = ids["booking"] + k + 1
            series = b.pop("_series")
            b["number"] = format_number(series, b_next[series])
            b_next[series] += 1
        _insert_dicts(s, Booking.__table__, bookings)  # type: ignore[arg-type]
    return len(leads), len(followups), len(bookings), dict(Tally(str(x["stage"]) for x in leads))


def _parse_ts(value: str) -> dt.datetime:
    return dt.datetime.fromisoformat(value.replace(".000000", "").replace("+00", "")).replace(tzinfo=dt.UTC)


def _booking(gen: _Generator, info: _BranchInfo, lead_id: int, plan: _LeadPlan, lead: dict[str, Any], day: int,
             state: BookingState, wo: list[Any] | None, created: dt.datetime,
             busy: set[tuple[str, int, int, int]]) -> dict[str, Any]:
    """A booking in a free slot: one per pit per hour, one per mechanic per hour (workshop 08-17)."""
    r = gen.rnd
    pit, mechanic, advisor = (wo[9], wo[10], wo[11]) if wo else \
        (r.choice(info.pits), r.choice(info.mechanics), r.choice(info.advisors))
    hour = r.randint(8, 16)
    for k in range(9 * len(info.pits) * len(info.mechanics)):
        h = 8 + (hour - 8 + k) % 9
        if ("pit", pit, day, h) not in busy and ("mech", mechanic, day, h) not in busy:
            hour = h
            break
        if k % 9 == 8:
            pit, mechanic = r.choice(info.pits), r.choice(info.mechanics)
    busy.update({("pit", pit, day, hour), ("mech", mechanic, day, hour)})
    when = _aware(day, hour, 0, info)
    return {
        "_series": booking_series(info.seed.code, dt.date.fromordinal(day)),
        "branch_id": info.id, "state": state, "booking_at": when, "lead_id": lead_id,
        "customer_id": lead["customer_id"], "vehicle_id": plan.vehicle_id, "mobile": lead["phone"],
        "service_kind": plan.kind, "kpb_number": plan.kpb,
        "reason_to_come": r.choice(("PHONE_REMINDER", "WA_REMINDER", "PHONE_REMINDER", "OWN_INITIATIVE")),
        "complaint": r.choice(_COMPLAINTS), "carrier_relation": "SELF" if r.random() < 0.8 else "FAMILY",
        "pit_id": pit, "mechanic_id": mechanic, "service_advisor_id": advisor,
        "work_order_id": wo[0] if wo else None,
        "cancel_reason": "Customer berhalangan hadir" if state == BookingState.CANCELLED else None,
        "created_by_id": lead["assigned_user_id"], "version": 1, "created_at": created,
        "updated_at": max(created, _parse_ts(wo[13])) if wo else created,
    }


def _insert_dicts(s: Session, table: Table, rows: list[dict[str, Any]]) -> None:
    """The small tables (leads, follow-ups, bookings) through Core: typed values, every column named."""
    if not rows:
        return
    keys = sorted({k for row in rows for k in row})
    s.execute(insert(table), [{k: row.get(k) for k in keys} for row in rows])


