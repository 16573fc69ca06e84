"""DOMAIN.md "KPB deadlines": the schedule is a table keyed by engine code and KPB number (days, km, grace), the
fuel-injected row as the default. The claim grace behind KPB expiry and the KPB period before regular service
come from that table like the deadlines do: a model of its own (CBR250, engine code MC81: KPB 4 at 540 days) and
any Master Data edit count at once."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from core.leads import leadgen
from core.masterdata.lead_rules import KpbRuleInput, list_kpb_rules, update_kpb_rule
from core.platform import settings
from db.enums import ServiceKind, Stage
from db.models import Lead, Sale, Vehicle

D = dt.date


def _sold(world, engine_no: str, on: dt.date = D(2020, 1, 1)) -> int:
    with world.db.transaction(None, system=True) as s:
        v = Vehicle(branch_id=world.sam.id, customer_id=world.customer_sam.id, engine_no=engine_no,
                    engine_code=engine_no[:4], plate="KT 9 " + engine_no[-2:], purchase_date=on)
        s.add(v)
        s.flush()
        s.add(Sale(branch_id=world.sam.id, vehicle_id=v.id, customer_id=world.customer_sam.id, sale_date=on))
        return v.id


def _run(world, on: dt.date) -> None:
    with world.db.transaction(None, system=True) as s:
        leadgen.run(s, on=on)


def _leads(world, vehicle_id: int, kind: ServiceKind) -> list[Lead]:
    with world.db.session(None, system=True) as s:
        return list(s.scalars(select(Lead).where(Lead.vehicle_id == vehicle_id, Lead.service_kind == kind)))


def _edit(world, engine_code: str, kpb_number: int, **values: int) -> None:
    with world.db.transaction(None, system=True) as s:
        rule = next(r for r in list_kpb_rules(s, world.ho) if (r.engine_code, r.kpb_number) == (engine_code,
                                                                                               kpb_number))
        fields = {k: getattr(rule, k) for k in ("days", "km", "grace_days", "grace_km")} | values
        update_kpb_rule(s, world.ho, rule.id, KpbRuleInput(engine_code=engine_code, kpb_number=kpb_number, **fields))


def test_the_kpb_period_before_a_regular_lead_is_the_engine_codes_own_last_kpb_day(world):
    cbr = _sold(world, "MC81E1000001")  # sold 01/01/2020, never serviced: regular lead after KPB 4 + 60 days
    _run(world, D(2021, 2, 3))  # 21 days before 24/02/2021, the default's 360 + 60 days: not a CBR250's
    assert _leads(world, cbr, ServiceKind.REG) == []
    _run(world, D(2021, 8, 2))  # 540 + 60 days = 23/08/2021
    assert [lead.deadline for lead in _leads(world, cbr, ServiceKind.REG)] == [D(2021, 8, 23)]


def test_a_master_data_edit_of_the_last_kpb_moves_the_regular_lead(world):
    beat = _sold(world, "JM81E1000002")
    _edit(world, "*", 4, days=400)  # head office moves the default KPB 4 from 360 to 400 days
    _run(world, D(2021, 2, 3))
    assert _leads(world, beat, ServiceKind.REG) == []
    _run(world, D(2021, 3, 15))  # 400 + 60 days = 05/04/2021
    assert [lead.deadline for lead in _leads(world, beat, ServiceKind.REG)] == [D(2021, 4, 5)]


def test_kpb_expiry_waits_for_the_grace_of_the_leads_own_engine_code(world):
    cbr = _sold(world, "MC81E1000003")
    _edit(world, "MC81", 2, grace_days=40)  # the CBR250's KPB 2 claim stays valid 40 days (default rows: 15)
    with world.db.transaction(None, system=True) as s:
        settings.put(s, "leads.expired_kpb_becomes_lost", True)
    _run(world, D(2020, 6, 10))  # KPB 2 at 180 days: deadline 29/06/2020
    (lead,) = _leads(world, cbr, ServiceKind.KPB)
    assert lead.deadline == D(2020, 6, 29)
    _run(world, D(2020, 7, 20))  # past the default grace (14/07), inside its own (08/08)
    assert _leads(world, cbr, ServiceKind.KPB)[0].closed_at is None
    _run(world, D(2020, 8, 9))
    (lead,) = _leads(world, cbr, ServiceKind.KPB)
    assert lead.stage == Stage.LOST
