"""Small builders for tests: a lead in a given stage, through the same core calls a user makes."""

from __future__ import annotations

import datetime as dt

from core.leads.lead import LeadInput, convert_to_opportunity, save_lead
from core.pipeline.stages import FollowUpInput, enter_followup
from core.platform import clock
from db.enums import ContactStatus, ServiceKind, Temperature
from db.models import Lead

FIXED_NOW = dt.datetime(2020, 7, 10, 3, 0, tzinfo=dt.UTC)  # 10/07/2020 11:00 WITA


def new_lead(world, viewer=None, *, customer=None, vehicle=None, deadline=dt.date(2020, 7, 31), kpb=3) -> Lead:
    viewer = viewer or world.admin_sam
    customer = customer or world.customer_sam
    vehicle = vehicle or world.vehicle_sam
    with world.db.transaction(viewer.scope, system=viewer.all_branches) as s:
        lead = save_lead(s, viewer, LeadInput(
            branch_id=customer.branch_id, customer_id=customer.id, vehicle_id=vehicle.id, phone=customer.phone,
            occupation_id=customer.occupation_id, service_kind=ServiceKind.KPB, kpb_number=kpb,
            deadline=deadline))
        return lead


def opportunity_at(world, stage_n: int, viewer=None, **kw) -> Lead:
    """A lead converted and taken through Follow Up 1..stage_n, a day apart from 01/07/2020."""
    viewer = viewer or world.admin_sam
    lead = new_lead(world, viewer, **kw)
    with clock.frozen(FIXED_NOW), world.db.transaction(viewer.scope, system=viewer.all_branches) as s:
        convert_to_opportunity(s, viewer, lead.id)
        for n in range(1, stage_n + 1):
            lead = enter_followup(s, viewer, lead.id, n, FollowUpInput(
                done_on=dt.date(2020, 7, n), contact_status=ContactStatus.TERHUBUNG,
                temperature=Temperature.COLD))
        return s.get(Lead, lead.id)
