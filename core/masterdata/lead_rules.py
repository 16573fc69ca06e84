"""The tables the lead engine reads that head office edits: the KPB schedule per engine code and the
reasons a lead is closed as lost."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import case, func, literal, null, select
from sqlalchemy.orm import Session

from core.accounts.access import Viewer
from core.masterdata.crud import Entity, code_field, int_field, text_field, unique
from core.masterdata.reference import DEFAULT_ENGINE_CODE
from core.platform.errors import ValidationError
from core.platform.i18n import register
from db.models import KpbRule, LostReason

KPB_LIMITS = {"days": (1, 3650), "km": (1, 200_000), "grace_days": (0, 365), "grace_km": (0, 10_000)}
_ENGINE_CODE = re.compile(r"^([A-Z0-9]{1,5}|\*)$")

register({
    "masterdata.bad_engine_code": {
        "id": "1-5 huruf/angka, atau * untuk aturan default",
        "en": "1-5 letters/digits, or * for the default rule"},
    "masterdata.kpb_days_after": {
        "id": "harus lebih dari {days} hari (KPB {other})", "en": "must be more than {days} days (KPB {other})"},
    "masterdata.kpb_days_before": {
        "id": "harus kurang dari {days} hari (KPB {other})", "en": "must be less than {days} days (KPB {other})"},
})


# ---------------------------------------------------------------- KPB rules

@dataclass
class KpbRuleInput:
    engine_code: str
    kpb_number: int
    days: int
    km: int
    grace_days: int = 0
    grace_km: int = 0


def _kpb_values(session: Session, data: KpbRuleInput, own_id: int | None) -> dict[str, Any]:
    engine_code = (data.engine_code or "").strip().upper()
    if not _ENGINE_CODE.match(engine_code):
        raise ValidationError("masterdata.bad_engine_code", field="md.engine_code", value=engine_code)
    number = int_field(data.kpb_number, "kpb_number", 1, 4)
    values: dict[str, Any] = {"engine_code": engine_code, "kpb_number": number}
    for name, (low, high) in KPB_LIMITS.items():
        values[name] = int_field(getattr(data, name), name, low, high)
    unique(session, KpbRule.kpb_number, number, "kpb_number", own_id, KpbRule.engine_code == engine_code)
    # Rule: for one engine code, a later KPB always comes later (more days after purchase).
    for other in session.scalars(select(KpbRule).where(KpbRule.engine_code == engine_code)):
        if other.id == own_id:
            continue
        if other.kpb_number < number and other.days >= values["days"]:
            raise ValidationError("masterdata.kpb_days_after", field="md.days", value=values["days"],
                                  days=other.days, other=other.kpb_number)
        if other.kpb_number > number and other.days <= values["days"]:
            raise ValidationError("masterdata.kpb_days_before", field="md.days", value=values["days"],
                                  days=other.days, other=other.kpb_number)
    return values


_KPB_RULES = Entity(KpbRule, "masterdata.kpb_rule", "KPB rule", _kpb_values, (KpbRule.engine_code, KpbRule.kpb_number))


def list_kpb_rules(session: Session, viewer: Viewer) -> list[KpbRule]:
    return _KPB_RULES.rows(session, viewer)


def create_kpb_rule(session: Session, viewer: Viewer, data: KpbRuleInput) -> KpbRule:
    return _KPB_RULES.create(session, viewer, data)


def update_kpb_rule(session: Session, viewer: Viewer, rule_id: int, data: KpbRuleInput) -> KpbRule:
    return _KPB_RULES.update(session, viewer, rule_id, data)


# The rule rows as SQL: every reader of the KPB schedule (deadlines, claim grace, the KPB period) takes
# its values from here, so a Master Data edit or a model of its own (CBR250: KPB 4 at 540 days) counts
# everywhere at once. An engine number takes the longest engine code it starts with, else the default
# row '*' (the lead engine picks the rule rows of a vehicle the same way).

def _by_code(rows: list[tuple[str, Any]], engine_no: Any, default: Any) -> Any:
    specific = sorted((r for r in rows if r[0] != DEFAULT_ENGINE_CODE), key=lambda r: -len(r[0]))
    fallback = next((value for code, value in rows if code == DEFAULT_ENGINE_CODE), default)
    if not specific:
        return fallback
    return case(*[(func.substr(engine_no, 1, len(code)) == code, value) for code, value in specific],
                else_=fallback)


def kpb_rule_sql(session: Session, engine_no: Any, kpb_number: Any, column: str) -> Any:
    """Each row's value of the KPB rule `column` (days, km, grace_days, grace_km) for its engine number and
    KPB number, as one SQL CASE (NULL when its engine code has no rule for that KPB)."""
    per_code: dict[str, dict[int, int]] = {}
    for code, number, value in session.execute(select(KpbRule.engine_code, KpbRule.kpb_number,
                                                      getattr(KpbRule, column))).tuples():
        per_code.setdefault(code, {})[number] = value
    rows = [(code, case({n: literal(v) for n, v in values.items()}, value=kpb_number, else_=null()))
            for code, values in per_code.items()]
    return _by_code(rows, engine_no, null())


def kpb_periods(session: Session) -> dict[str, int]:
    """Each engine code's KPB period: the days after purchase of its last KPB."""
    return dict(session.execute(select(KpbRule.engine_code, func.max(KpbRule.days))
                                .group_by(KpbRule.engine_code)).tuples().all())


def kpb_period_sql(session: Session, engine_no: Any) -> Any:
    """Each row's KPB period in days for its engine number, as one SQL CASE (0 with no rule at all)."""
    return _by_code([(c, literal(d)) for c, d in kpb_periods(session).items()], engine_no, literal(0))


# ---------------------------------------------------------------- lost reasons

@dataclass
class LostReasonInput:
    code: str
    name_id: str
    name_en: str
    active: bool = True
    sort: int = 0


def _lost_values(session: Session, data: LostReasonInput, own_id: int | None) -> dict[str, Any]:
    code = code_field(data.code, "code", 30)
    unique(session, LostReason.code, code, "code", own_id)
    return {"code": code, "name_id": text_field(data.name_id, "name_id", 120),
            "name_en": text_field(data.name_en, "name_en", 120), "active": bool(data.active),
            "sort": int_field(data.sort, "sort", 0, 9999)}


_LOST_REASONS = Entity(LostReason, "masterdata.lost_reason", "lost reason", _lost_values,
                       (LostReason.sort, LostReason.code))


def list_lost_reasons(session: Session, viewer: Viewer) -> list[LostReason]:
    return _LOST_REASONS.rows(session, viewer)


def create_lost_reason(session: Session, viewer: Viewer, data: LostReasonInput) -> LostReason:
    return _LOST_REASONS.create(session, viewer, data)


def update_lost_reason(session: Session, viewer: Viewer, reason_id: int, data: LostReasonInput) -> LostReason:
    return _LOST_REASONS.update(session, viewer, reason_id, data)
