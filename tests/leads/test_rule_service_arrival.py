"""DOMAIN.md "Where leads come from": a lead is Won when its vehicle comes in for the due service or a later one,
anywhere in the group. One rule (core.leads.closing.close_leads_served), the same answer by each of the four
paths a work order arrives by: the booking desk, a file import, the AHM DGI pull and the daily lead engine."""

from __future__ import annotations

import datetime as dt
import io
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from core.bookings.workorders import record_work_order, refresh_last_service
from core.intake import dgi_jobs, importer as intake
from core.intake.dgi import DgiDealer
from core.leads import leadgen
from core.leads.lead import LeadInput, save_lead
from core.platform import clock
from db.enums import Channel, ServiceKind, Stage, TouchKind, TouchState
from db.models import AuditLog, Lead, Touch, WorkOrder
from tests.fakes.dgi_server import DgiFake
from tests.helpers import new_lead

D = dt.date
# (number, vehicle, day, job): the Samarinda unit comes to Manado for KPB 2 (before its due KPB 3: no close),
# then KPB 4 (later than due: closes); the Manado unit, due a regular service, comes for a quick service.
JOBS = [("PKB/MAN01/2007/00001", "sam", D(2020, 7, 15), "ASS2"),
        ("PKB/MAN01/2007/00002", "sam", D(2020, 7, 20), "ASS4"),
        ("PKB/MAN01/2007/00003", "man", D(2020, 7, 18), "QS")]


def _by_booking_desk(world) -> None:
    with world.db.transaction(world.admin_man.scope) as s:
        for number, unit, day, job in JOBS:
            vehicle = world.vehicle_sam if unit == "sam" else world.vehicle_man
            record_work_order(s, world.admin_man, branch_id=world.man.id, number=number, vehicle_id=vehicle.id,
                              customer_id=vehicle.customer_id, service_date=day, job_type=job)


def _by_import(world) -> None:
    engines = {"sam": world.vehicle_sam.engine_no, "man": world.vehicle_man.engine_no}
    rows = [f"{n},{engines[u]},{d:%d/%m/%Y},{j},1000,MAN01" for n, u, d, j in JOBS]
    csv = io.BytesIO("\n".join(["noPKB,noMesin,tanggalServis,jenisPekerjaan,km,kodeCabang", *rows]).encode())
    df = intake.read_table(csv, "pkb.csv")
    with world.db.transaction(world.admin_man.scope) as s:
        result = intake.import_frame(s, world.admin_man, "work_orders", df, intake.guess_mapping(df.columns))
    assert result.rejected == [] and result.created == 3


def _by_dgi_pull(world) -> None:
    units = {"sam": world.vehicle_sam, "man": world.vehicle_man}
    with DgiFake("k", "s") as fake:
        fake.records["pkb"] = [{
            "noWorkOrder": n, "noSAForm": "SA" + n[-5:], "tanggalServis": f"{d:%d/%m/%Y}",
            "noPolisi": units[u].plate, "noRangka": "", "noMesin": units[u].engine_no,
            "kodeTipeUnit": units[u].unit_type_code, "kmTerakhir": "1000", "dealerId": "00456",
            "createdTime": f"{d:%d/%m/%Y} 10:00:00", "modifiedTime": f"{d:%d/%m/%Y} 10:00:00",
            "services": [{"idJob": "J1", "namaPekerjaan": j, "jenisPekerjaan": j, "biayaService": "0"}],
            "parts": []} for n, u, d, j in JOBS]
        wib = ZoneInfo("Asia/Jakarta")
        result = dgi_jobs.pull(world.db, DgiDealer("AHASS 00456", fake.base_url, "k", "s", "00456", timeout=2.0,
                                                   retries=1, backoff=0.01),
                               dt.datetime(2020, 7, 14, tzinfo=wib), dt.datetime(2020, 7, 21, tzinfo=wib))
    assert result.rejected == [] and result.work_orders.created == 3


def _by_lead_engine(world) -> None:
    with world.db.transaction(None, system=True) as s:  # stored by a path that closes nothing itself
        for number, unit, day, job in JOBS:
            vehicle = world.vehicle_sam if unit == "sam" else world.vehicle_man
            s.add(WorkOrder(branch_id=world.man.id, number=number, vehicle_id=vehicle.id, service_date=day,
                            job_type=job, kpb_number=int(job[3]) if job.startswith("ASS") else None))
        s.flush()
        refresh_last_service(s, [world.vehicle_sam.id, world.vehicle_man.id])
    with world.db.transaction(None, system=True) as s:
        leadgen.run(s, on=D(2020, 7, 21))


PATHS = {"booking": _by_booking_desk, "import": _by_import, "dgi_pull": _by_dgi_pull, "lead_engine": _by_lead_engine}


def _touch(s, lead: Lead, kind: TouchKind, due: dt.date, done: bool) -> Touch:
    touch = Touch(branch_id=lead.branch_id, dedup_key=f"X{lead.id}:{kind.value}", kind=kind, channel=Channel.CALL,
                  due_on=due, lead_id=lead.id, state=TouchState.DONE if done else TouchState.PLANNED,
                  done_at=dt.datetime(due.year, due.month, due.day, 4, tzinfo=dt.UTC) if done else None,
                  created_at=clock.now())
    s.add(touch)
    s.flush()
    return touch


@pytest.mark.parametrize("path", list(PATHS))
def test_a_lead_is_won_when_its_vehicle_comes_in_for_the_due_service_or_a_later_one_anywhere_in_the_group(
        world, path):
    kpb3 = new_lead(world, kpb=3)  # Samarinda's KPB 3 lead
    with world.db.transaction(None, system=True) as s:
        reg = save_lead(s, world.ho, LeadInput(
            branch_id=world.man.id, customer_id=world.customer_man.id, vehicle_id=world.vehicle_man.id,
            phone=world.customer_man.phone, occupation_id=world.customer_man.occupation_id,
            service_kind=ServiceKind.REG, deadline=D(2020, 7, 30)))
        s.get(Lead, reg.id).last_service_date = D(2020, 5, 1)
        lead = s.get(Lead, kpb3.id)
        reminded = _touch(s, lead, TouchKind.MESSAGE_H7, D(2020, 7, 17), done=True)  # before KPB 4 came: credited
        _touch(s, lead, TouchKind.VISIT, D(2020, 7, 22), done=True)  # done after the service: not credited
        pending = _touch(s, lead, TouchKind.CALL_H3, D(2020, 7, 28), done=False)
    PATHS[path](world)
    with world.db.session(None, system=True) as s:
        numbers = dict(s.execute(select(WorkOrder.id, WorkOrder.number)).tuples().all())
        kpb3, reg = s.get(Lead, kpb3.id), s.get(Lead, reg.id)
        assert kpb3.stage == Stage.WON and kpb3.closed_at is not None
        assert numbers[kpb3.won_work_order_id] == "PKB/MAN01/2007/00002"  # KPB 4, not the earlier KPB 2
        assert kpb3.won_branch_id == world.man.id  # came to Manado though the lead is Samarinda's
        assert kpb3.won_touch_id == reminded.id
        assert s.get(Touch, pending.id).state == TouchState.CANCELLED
        assert (reg.stage, numbers[reg.won_work_order_id]) == (Stage.WON, "PKB/MAN01/2007/00003")
        audited = dict(s.execute(select(AuditLog.object_id, AuditLog.changes).where(
            AuditLog.action == "lead.won_by_service")).tuples().all())
        assert audited == {kpb3.id: {"work_order": [None, "PKB/MAN01/2007/00002"]},
                           reg.id: {"work_order": [None, "PKB/MAN01/2007/00003"]}}


def test_a_job_before_the_due_one_leaves_the_lead_open(world):
    lead = new_lead(world, kpb=3)
    with world.db.transaction(world.admin_sam.scope) as s:
        record_work_order(s, world.admin_sam, branch_id=world.sam.id, number="PKB/SAM01/2007/00009",
                          vehicle_id=world.vehicle_sam.id, customer_id=world.customer_sam.id,
                          service_date=D(2020, 7, 15), job_type="ASS2")
    with world.db.session(None, system=True) as s:
        assert (s.get(Lead, lead.id).stage, s.get(Lead, lead.id).closed_at) == (Stage.LEAD, None)
