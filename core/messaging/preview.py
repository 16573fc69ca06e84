"""The template editor's preview: the selected branch's own name, phone and booking link, and one of
its current customers (the open lead due soonest from today on), so head office reads the message a
customer of that branch would get; the fixed sample only when the branch has no open lead."""

from __future__ import annotations

import dataclasses

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.accounts.access import Perm, Viewer
from core.messaging.templates import SAMPLE, MessageVars
from core.platform import clock
from db.enums import ServiceKind
from db.models import Branch, Lead, MessagingConfig


def preview_vars(session: Session, viewer: Viewer, branch_id: int) -> MessageVars:
    viewer.require(Perm.SETTINGS_MANAGE)
    viewer.require_branch(branch_id)
    branch = session.get(Branch, branch_id)
    assert branch is not None
    booking = session.scalar(select(MessagingConfig.booking_link).where(MessagingConfig.branch_id == branch_id))
    own = dataclasses.replace(SAMPLE, cabang=branch.name, telepon_cabang=branch.phone, booking=booking)
    lead = session.execute(
        select(Lead.contact_name, Lead.unit_name, Lead.plate, Lead.kpb_number, Lead.deadline, Lead.service_kind)
        .where(Lead.branch_id == branch_id, Lead.closed_at.is_(None),
               Lead.deadline >= clock.today_in(branch.timezone), Lead.contact_name.is_not(None))
        .order_by(Lead.deadline, Lead.id).limit(1)).first()
    if lead is None:
        return own
    name, unit, plate, kpb, deadline, kind = lead
    return dataclasses.replace(own, nama=name, unit=unit, plat=plate, deadline=deadline,
                               kpb=kpb if kind == ServiceKind.KPB else None)
