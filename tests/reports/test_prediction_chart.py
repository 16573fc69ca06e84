"""Issue 17, Grafik: predicted vs actual arrival for the last 12 weeks per branch, in SQL."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from core.reports import arrival_vs_predicted
from db.models import Lead, WorkOrder
from tests.helpers import new_lead

D = dt.date


def test_predicted_vs_actual_arrival_per_branch_and_week(world):
    early, on_time, never = (new_lead(world, deadline=d, kpb=n)
                             for n, d in ((2, D(2020, 7, 20)), (3, D(2020, 7, 22)), (4, D(2020, 7, 23))))
    with world.db.transaction(None, system=True) as s:
        for lead, came in ((early, D(2020, 7, 10)), (on_time, D(2020, 7, 24))):
            wo = WorkOrder(branch_id=world.sam.id, number=f"WO/T/{lead.id}", vehicle_id=world.vehicle_sam.id,
                           service_date=came, job_type="QS")
            s.add(wo)
            s.flush()
            s.get(Lead, lead.id).won_work_order_id = wo.id
    with world.db.session(None, system=True) as s:
        rows = arrival_vs_predicted(s, world.ho, D(2020, 7, 31))
        assert rows == [(D(2020, 7, 20), "SAM01", 3, 2, 6.0, 1)]  # |−10| and |+2| days; one before H-7
        assert arrival_vs_predicted(s, world.admin_man, D(2020, 7, 31)) == []  # another branch's
        assert s.scalar(select(Lead.id).where(Lead.id == never.id)) == never.id
