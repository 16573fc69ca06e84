"""Hand-counted data for the weekly recap and PICA (tests/reports/test_recap.py, tests/pages/test_pages_recap.py).

Today is Friday 10/07/2020 (FIXED_NOW). Weeks: W1 = Mon 29/06 - Sun 05/07, W2 = Mon 06/07 - Sun 12/07.
SAM01 (created by admin.sam01, so assigned to them):
  A  KPB  FU1 01/07 terhubung              -> Won        W1 came KPB
  B  REG  FU1 02/07 terhubung              -> Won        W1 came regular
  C  KPB  FU1 03/07 rejected               -> Lost SOLD  W1 did not come (Motor sudah dijual); PICA rejected
  D  KPB  FU1 30/06 tidak terhubung, FU2 07/07 terhubung, open
                                                         W1 did not come (still followed up); PICA not connected
  E  KPB  FU1 07/07 rejected, logged by kabeng.sam01, open
                                                         W2 did not come; PICA rejected (kabeng)
  F  REG  FU1 08/07 tidak terhubung        -> Won        W2 came regular; PICA not connected
  G  lead never followed up: H-3 call planned 06/07 (missed: PICA not followed up), H-7 message planned
     10/07 (today: not missed yet), a done H-7 message of 03/07 (done: not missed)
MAN01 (admin.man01):
  M  KPB  FU1 01/07 rejected, open                      W1 did not come; PICA rejected
"""

from __future__ import annotations

import datetime as dt
import itertools

from sqlalchemy import select

from core.leads.lead import LeadInput, convert_to_opportunity, save_lead
from core.pipeline.stages import FollowUpInput, enter_followup, mark_lost, mark_won
from core.platform import clock
from db.enums import Channel, ContactStatus, ServiceKind, TouchKind, TouchState
from db.models import Lead, LostReason, Touch, Vehicle
from tests.helpers import FIXED_NOW

D = dt.date
T, X, R = ContactStatus.TERHUBUNG, ContactStatus.TIDAK_TERHUBUNG, ContactStatus.REJECTED
_engine = itertools.count(1)


def make_lead(world, viewer, kind: ServiceKind, followups=(), end: str | None = None, *, by=None) -> Lead:
    """A lead on a motorcycle of its own, converted and followed up as listed [(day, status)], then
    closed as 'won' / 'lost' (reason SOLD) when `end` says so."""
    customer = world.customer_sam if world.sam.id in viewer.branch_ids else world.customer_man
    with clock.frozen(FIXED_NOW), world.db.transaction(None, system=True) as s:
        vehicle = Vehicle(branch_id=customer.branch_id, customer_id=customer.id,
                          engine_no=f"RC41E{next(_engine):07d}", engine_code="RC41", plate="KT 1 AB",
                          purchase_date=D(2020, 3, 1))
        s.add(vehicle)
        s.flush()
        vehicle_id = vehicle.id
    with clock.frozen(FIXED_NOW), world.db.transaction(viewer.scope) as s:
        lead = save_lead(s, viewer, LeadInput(
            branch_id=customer.branch_id, customer_id=customer.id, vehicle_id=vehicle_id, phone=customer.phone,
            occupation_id=customer.occupation_id, service_kind=kind,
            kpb_number=2 if kind == ServiceKind.KPB else None, deadline=D(2020, 7, 31)))
        if followups:
            convert_to_opportunity(s, viewer, lead.id)
        for n, (day, status) in enumerate(followups, start=1):
            enter_followup(s, by or viewer, lead.id, n, FollowUpInput(done_on=day, contact_status=status,
                                                                     channel=Channel.CALL))
        if end == "won":
            mark_won(s, viewer, lead.id)
        elif end == "lost":
            reason = s.scalars(select(LostReason).where(LostReason.code == "SOLD")).one()
            mark_lost(s, viewer, lead.id, reason.id)
        return s.get(Lead, lead.id)


def add_touch(world, lead: Lead, kind: TouchKind, due: dt.date, state: TouchState = TouchState.PLANNED) -> None:
    with world.db.transaction(None, system=True) as s:
        s.add(Touch(branch_id=lead.branch_id, dedup_key=f"L{lead.id}:{kind.value}:{due:%d%m}", kind=kind,
                    channel=Channel.CALL if kind == TouchKind.CALL_H3 else Channel.WHATSAPP, due_on=due,
                    state=state, lead_id=lead.id, created_at=FIXED_NOW,
                    done_at=FIXED_NOW if state == TouchState.DONE else None))


def build(world) -> dict[str, Lead]:
    K, G = ServiceKind.KPB, ServiceKind.REG
    sam, man = world.admin_sam, world.admin_man
    leads = {
        "A": make_lead(world, sam, K, [(D(2020, 7, 1), T)], "won"),
        "B": make_lead(world, sam, G, [(D(2020, 7, 2), T)], "won"),
        "C": make_lead(world, sam, K, [(D(2020, 7, 3), R)], "lost"),
        "D": make_lead(world, sam, K, [(D(2020, 6, 30), X), (D(2020, 7, 7), T)]),
        "E": make_lead(world, sam, K, [(D(2020, 7, 7), R)], by=world.kabeng_sam),
        "F": make_lead(world, sam, G, [(D(2020, 7, 8), X)], "won"),
        "G": make_lead(world, sam, K),
        "M": make_lead(world, man, K, [(D(2020, 7, 1), R)]),
    }
    add_touch(world, leads["G"], TouchKind.CALL_H3, D(2020, 7, 6))
    add_touch(world, leads["G"], TouchKind.MESSAGE_H7, D(2020, 7, 10))
    add_touch(world, leads["G"], TouchKind.MESSAGE_H7, D(2020, 7, 3), TouchState.DONE)
    return leads
