"""The opportunity pipeline: Follow Up 1/2/3, next-plan dates, prospect temperature, Won, Lost."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy.orm import Session

from core.accounts.access import Viewer
from core.leads.lead import lead_for_change
from core.leads.touches import cancel_lead_touches
from core.platform import clock, settings
from core.platform.errors import DomainError, ValidationError
from core.platform.i18n import register
from core.privacy import audit
from db.enums import Channel, ContactStatus, Stage, Temperature
from db.models import Branch, FollowUp, Lead, LostReason

register({
    "pipeline.not_opportunity": {
        "id": "Lead {number} belum dikonversi menjadi opportunity.",
        "en": "Lead {number} has not been converted to an opportunity yet.",
    },
    "pipeline.wrong_stage": {
        "id": "Follow Up {wanted} hanya bisa setelah {expected}; sekarang tahap {stage}.",
        "en": "Follow Up {wanted} comes after {expected}; the stage is now {stage}.",
    },
    "pipeline.date_required": {"id": "tanggal follow up wajib diisi", "en": "the follow-up date is required"},
    "pipeline.date_in_future": {"id": "tanggal follow up tidak boleh di masa depan",
                                "en": "the follow-up date cannot be in the future"},
    "pipeline.date_before_previous": {
        "id": "tanggal tidak boleh sebelum follow up sebelumnya ({previous})",
        "en": "the date cannot be before the previous follow-up ({previous})",
    },
    "pipeline.status_required": {"id": "status customer wajib diisi", "en": "the contact status is required"},
    "pipeline.promise_before_followup": {
        "id": "tanggal janji datang tidak boleh sebelum tanggal follow up",
        "en": "the promised date cannot be before the follow-up date",
    },
    "pipeline.plan_not_editable": {
        "id": "Rencana follow up {n} hanya bisa diubah selama tahap Follow Up {prev}.",
        "en": "The plan for follow-up {n} can only be changed while in Follow Up {prev}.",
    },
    "pipeline.plan_before_followup": {
        "id": "rencana tidak boleh sebelum tanggal follow up {prev}",
        "en": "the plan cannot be before the date of follow-up {prev}",
    },
    "pipeline.lost_needs_reason": {"id": "alasan lost wajib dipilih", "en": "a lost reason is required"},
    "pipeline.won_needs_opportunity": {
        "id": "Konversi lead {number} menjadi opportunity sebelum menandai Won.",
        "en": "Convert lead {number} to an opportunity before marking it Won.",
    },
    # The fields a follow-up save changes, as the audit rows and a stale save's refusal name them.
    "field.stage": {"id": "Tahap", "en": "Stage"},
    "field.note": {"id": "Note", "en": "Note"},
    **{f"field.fu{n}_date": {"id": f"Tanggal Follow Up {n}", "en": f"Follow Up {n} date"} for n in (1, 2, 3)},
    **{f"field.next_plan_fu{n}": {"id": f"Next Plan Follow Up {n}", "en": f"Follow Up {n} plan"} for n in (2, 3)},
    "field.promised_date": {"id": "Tanggal janji datang", "en": "Promised visit date"},
    "field.lost_reason_id": {"id": "Alasan Lost", "en": "Lost reason"},
    "field.lost_note": {"id": "Catatan Lost", "en": "Lost note"},
})

STAGE_OF_FOLLOWUP = {1: Stage.FU1, 2: Stage.FU2, 3: Stage.FU3}
STAGE_BEFORE = {1: Stage.NEW, 2: Stage.FU1, 3: Stage.FU2}
STAGE_LABEL = {Stage.LEAD: "Lead", Stage.NEW: "New", Stage.FU1: "Follow Up 1", Stage.FU2: "Follow Up 2",
               Stage.FU3: "Follow Up 3", Stage.WON: "Won", Stage.LOST: "Lost"}
# The seed's display names for the opportunity status and the contact outcome (screens and reports).
TEMPERATURE_LABEL = {Temperature.HOT: "HOT PROSPECT", Temperature.MEDIUM: "MEDIUM PROSPECT",
                     Temperature.COLD: "COLD PROSPECT"}
CONTACT_LABEL = {ContactStatus.TERHUBUNG: "Terhubung", ContactStatus.TIDAK_TERHUBUNG: "Tidak Terhubung",
                 ContactStatus.REJECTED: "Rejected"}


def temperature_from_promise(done_on: dt.date, promised: dt.date) -> Temperature:
    """Rule: the promised visit date sets the temperature: within 1-3 days HOT, 4-7 MEDIUM, later COLD.

    (The seed's bands are 1-3 / 4-7 / 7-10 days; day 7 is MEDIUM, and a promise beyond 10 days
    is still COLD rather than no temperature. A promise for today is HOT.)"""
    days = (promised - done_on).days
    if days <= 3:
        return Temperature.HOT
    if days <= 7:
        return Temperature.MEDIUM
    return Temperature.COLD


def next_plan_date(done_on: dt.date, deadline: dt.date | None, *, plan_days: int = 7,
                   call_days_before: int = 3) -> dt.date:
    """Rule: the next follow-up is planned plan_days after this one, but never after the H-3 call
    day when a deadline exists. When H-3 has already passed, plan the next day (still before H)."""
    plan = done_on + dt.timedelta(days=plan_days)
    if deadline is not None:
        plan = min(plan, deadline - dt.timedelta(days=call_days_before))
    return max(plan, done_on + dt.timedelta(days=1))


@dataclass
class FollowUpInput:
    done_on: dt.date | None
    contact_status: ContactStatus | None
    temperature: Temperature | None = None
    promised_date: dt.date | None = None
    channel: Channel = Channel.CALL
    note: str | None = None


def _validate_followup(lead: Lead, n: int, data: FollowUpInput, today: dt.date) -> Temperature | None:
    if data.done_on is None:
        raise ValidationError("pipeline.date_required", field="followup_date", value=None)
    if data.done_on > today:
        raise ValidationError("pipeline.date_in_future", field="followup_date", value=data.done_on)
    previous = {2: lead.fu1_date, 3: lead.fu2_date}.get(n)
    if previous is not None and data.done_on < previous:
        raise ValidationError("pipeline.date_before_previous", field="followup_date", value=data.done_on,
                              previous=previous.strftime("%d/%m/%Y"))
    if data.contact_status is None:
        raise ValidationError("pipeline.status_required", field="contact_status", value=None)
    if data.promised_date is not None:
        if data.promised_date < data.done_on:
            raise ValidationError("pipeline.promise_before_followup", field="promised_date",
                                  value=data.promised_date)
        return temperature_from_promise(data.done_on, data.promised_date)
    return data.temperature


def enter_followup(session: Session, viewer: Viewer, lead_id: int, n: int, data: FollowUpInput,
                   expected_version: int | None = None) -> Lead:
    """Rule: entering Follow Up n needs its date and the contact outcome, comes right after the
    previous stage, and freezes everything recorded in earlier stages."""
    lead = lead_for_change(session, viewer, lead_id, expected_version)
    if lead.stage == Stage.LEAD:
        raise DomainError("pipeline.not_opportunity", number=lead.number)
    if n not in STAGE_OF_FOLLOWUP or lead.stage != STAGE_BEFORE[n]:
        raise DomainError("pipeline.wrong_stage", wanted=n, expected=STAGE_LABEL[STAGE_BEFORE.get(n, Stage.NEW)],
                          stage=STAGE_LABEL[lead.stage])
    branch = session.get(Branch, lead.branch_id)
    assert branch is not None
    temperature = _validate_followup(lead, n, data, clock.today_in(branch.timezone))
    assert data.done_on is not None and data.contact_status is not None
    values: dict[str, object] = {"stage": STAGE_OF_FOLLOWUP[n], f"fu{n}_date": data.done_on}
    if n < 3:
        values[f"next_plan_fu{n + 1}"] = next_plan_date(
            data.done_on, lead.deadline, plan_days=settings.get(session, "followup.next_plan_days"),
            call_days_before=settings.get(session, "sop.call_days_before"))
    values.update(contact_status=data.contact_status, temperature=temperature, promised_date=data.promised_date)
    if data.note:
        values["note"] = data.note
    changes = audit.apply(lead, values)
    session.add(FollowUp(
        branch_id=lead.branch_id, lead_id=lead.id, stage_number=n, done_on=data.done_on, channel=data.channel,
        contact_status=data.contact_status, temperature=temperature, promised_date=data.promised_date,
        note=data.note, user_id=viewer.user_id, created_at=clock.now()))
    session.flush()
    audit.record(session, viewer, "lead.followup", lead, changes=changes)
    return lead


def edit_current_followup(session: Session, viewer: Viewer, lead_id: int, data: FollowUpInput,
                          next_plan: dt.date | None = None, expected_version: int | None = None) -> Lead:
    """While in Follow Up n, its own fields (date, outcome, temperature, next plan) stay editable;
    the fields of earlier stages do not (they are not even accepted here)."""
    lead = lead_for_change(session, viewer, lead_id, expected_version)
    n = {Stage.FU1: 1, Stage.FU2: 2, Stage.FU3: 3}.get(lead.stage)
    if n is None:
        raise DomainError("pipeline.wrong_stage", wanted=1, expected="Follow Up 1",
                          stage=STAGE_LABEL[lead.stage])
    branch = session.get(Branch, lead.branch_id)
    assert branch is not None
    temperature = _validate_followup(lead, n, data, clock.today_in(branch.timezone))
    assert data.done_on is not None
    values: dict[str, object] = {f"fu{n}_date": data.done_on, "contact_status": data.contact_status,
                                 "temperature": temperature, "promised_date": data.promised_date}
    if data.note is not None:
        values["note"] = data.note
    changes = audit.apply(lead, values)
    if next_plan is not None:
        check_next_plan(lead, n + 1, next_plan)  # against the date just set
        changes.update(audit.apply(lead, {f"next_plan_fu{n + 1}": next_plan}))
    if changes:  # a save that changes nothing writes nothing: no UPDATE, no new version, no audit row
        session.flush()
        audit.record(session, viewer, "lead.followup_edit", lead, changes=changes)
    return lead


def check_next_plan(lead: Lead, n: int, plan: dt.date) -> None:
    """Rule: the plan for Follow Up n is editable only while in Follow Up n-1, and not before it."""
    stage_needed = STAGE_OF_FOLLOWUP.get(n - 1)
    if n not in (2, 3) or lead.stage != stage_needed:
        raise DomainError("pipeline.plan_not_editable", n=n, prev=n - 1)
    done = getattr(lead, f"fu{n - 1}_date")
    if done is not None and plan < done:
        raise ValidationError("pipeline.plan_before_followup", field="next_plan", value=plan, prev=n - 1)


def set_next_plan(lead: Lead, n: int, plan: dt.date) -> None:
    """Set the plan for Follow Up n, under `check_next_plan`'s rule."""
    check_next_plan(lead, n, plan)
    setattr(lead, f"next_plan_fu{n}", plan)


def mark_lost(session: Session, viewer: Viewer, lead_id: int, reason_id: int | None,
              note: str | None = None, expected_version: int | None = None) -> Lead:
    """Rule: Lost needs a reason from the configured list, and is final."""
    lead = lead_for_change(session, viewer, lead_id, expected_version)
    reason = session.get(LostReason, reason_id) if reason_id is not None else None
    if reason is None or not reason.active:
        raise ValidationError("pipeline.lost_needs_reason", field="lost_reason", value=reason_id)
    changes = audit.apply(lead, {"stage": Stage.LOST, "lost_reason_id": reason.id, "lost_note": note})
    lead.closed_at = clock.now()  # when: the audit row's own time
    session.flush()
    cancel_lead_touches(session, [lead.id])
    audit.record(session, viewer, "lead.lost", lead, changes=changes, note=reason.code)
    return lead


def mark_won(session: Session, viewer: Viewer, lead_id: int, expected_version: int | None = None) -> Lead:
    """Rule: an admin marks an opportunity Won (from any opportunity stage); Won freezes the record
    and opens booking creation."""
    lead = lead_for_change(session, viewer, lead_id, expected_version)
    if lead.stage == Stage.LEAD:
        raise DomainError("pipeline.won_needs_opportunity", number=lead.number)
    changes = audit.apply(lead, {"stage": Stage.WON})
    lead.closed_at = clock.now()  # when: the audit row's own time
    session.flush()
    cancel_lead_touches(session, [lead.id])
    audit.record(session, viewer, "lead.won", lead, changes=changes)
    return lead
