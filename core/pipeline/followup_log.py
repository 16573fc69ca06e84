"""Logging the outcome of one worklist touch ("Hari ini"): the follow-up it records on its lead, and
the reminder text and links the admin taps. The rules stay in core.leads.lead, core.pipeline.stages and
core.leads.today; this module only strings them together in the caller's transaction."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.accounts.access import Perm, Viewer
from core.leads.lead import convert_to_opportunity, get_lead
from core.leads.today import WorkItem, complete_touch
from core.messaging import templates
from core.messaging.providers import manual
from core.pipeline.stages import FollowUpInput, edit_current_followup, enter_followup, mark_lost
from core.platform import clock
from core.platform.errors import NotFound
from db.enums import Channel, ContactStatus, Stage, Temperature, TouchKind
from db.models import Branch, FollowUp, Touch

# Touches that follow up their lead (the ones a closing lead cancels); the others (booking
# confirmation, H+3 feedback) are only marked done with their note.
FOLLOWUP_KINDS = (TouchKind.MESSAGE_H7, TouchKind.CALL_H3, TouchKind.VISIT)
_CHANNEL = {TouchKind.MESSAGE_H7: Channel.WHATSAPP, TouchKind.VISIT: Channel.VISIT}
_NEXT = {Stage.NEW: 1, Stage.FU1: 2, Stage.FU2: 3}


@dataclass
class OutcomeInput:
    contact_status: ContactStatus | None = None
    temperature: Temperature | None = None
    promised_date: dt.date | None = None
    will_not_come: bool = False
    lost_reason_id: int | None = None
    note: str | None = None


@dataclass(frozen=True)
class OutcomeResult:
    touch_id: int
    lead_id: int | None = None
    stage: Stage | None = None
    followup_number: int | None = None  # the Follow Up entered (or edited, in Follow Up 3)
    followup_id: int | None = None
    converted: bool = False
    lost: bool = False


@dataclass(frozen=True)
class BranchDay:
    id: int
    code: str
    name: str
    timezone: str
    today: dt.date


def branch_day(session: Session, viewer: Viewer, branch_id: int) -> BranchDay:
    """One of the viewer's branches and today's date in its own time zone."""
    branch = session.get(Branch, branch_id)
    if branch is None or not viewer.may_see_branch(branch_id):
        raise NotFound("error.not_found", what="branch")
    return BranchDay(branch.id, branch.code, branch.name, branch.timezone, clock.today_in(branch.timezone))


def log_outcome(session: Session, viewer: Viewer, touch_id: int, outcome: OutcomeInput) -> OutcomeResult:
    """Record what came of one touch: convert its lead when still a lead, enter the next Follow Up
    (or edit Follow Up 3), mark Lost when the customer will not come, and mark the touch done."""
    viewer.require(Perm.LEAD_CHANGE)
    touch = session.get(Touch, touch_id)
    if touch is None or not viewer.may_see_branch(touch.branch_id):
        raise NotFound("error.not_found", what="touch")
    if touch.lead_id is None or touch.kind not in FOLLOWUP_KINDS:
        complete_touch(session, viewer, touch_id, note=outcome.note)
        return OutcomeResult(touch_id, lead_id=touch.lead_id)

    lead = get_lead(session, viewer, touch.lead_id)
    converted = lead.stage == Stage.LEAD
    if converted:
        convert_to_opportunity(session, viewer, lead.id)  # a missing CDDB is refused here, unchanged
    branch = session.get(Branch, lead.branch_id)
    assert branch is not None
    data = FollowUpInput(done_on=clock.today_in(branch.timezone), contact_status=outcome.contact_status,
                         temperature=outcome.temperature, promised_date=outcome.promised_date,
                         channel=_CHANNEL.get(touch.kind, Channel.CALL), note=outcome.note)
    n = _NEXT.get(lead.stage)
    if n is None:  # Follow Up 3 (or closed: refused by the pipeline's own check)
        edit_current_followup(session, viewer, lead.id, data)
        n = 3
    else:
        enter_followup(session, viewer, lead.id, n, data)
    followup_id = session.scalar(select(FollowUp.id).where(FollowUp.lead_id == lead.id)
                                 .order_by(FollowUp.id.desc()).limit(1))
    complete_touch(session, viewer, touch_id, note=outcome.note, followup_id=followup_id)
    if outcome.will_not_come:
        mark_lost(session, viewer, lead.id, outcome.lost_reason_id, outcome.note)
    return OutcomeResult(touch_id, lead.id, lead.stage, n, followup_id, converted, outcome.will_not_come)


# --- The reminder the admin sends -----------------------------------------------------------------


def message_text(kind: TouchKind, item: WorkItem, branch_name: str, body: str | None = None, *,
                 branch_phone: str | None = None, booking: str | None = None) -> str:
    """The Indonesian text for the WhatsApp link (the admin can still edit it before sending): the
    branch's template for the kind (`body`, set by head office) or the default, with its variables."""
    body = body or templates.default_body(kind, kpb=item.kpb_number)
    return templates.render(body, templates.MessageVars(
        nama=item.customer_name, unit=item.unit_name, plat=item.plate, kpb=item.kpb_number,
        deadline=item.deadline or item.due_on, cabang=branch_name, telepon_cabang=branch_phone, booking=booking))


def wa_link(phone_e164: str, text: str) -> str:
    """A wa.me link the user's phone opens, with the text already written."""
    return manual.wa_me_link(phone_e164, text)


def tel_link(phone_e164: str) -> str:
    return f"tel:{phone_e164}"
