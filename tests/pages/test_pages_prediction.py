"""Issue 17 on the screens: the lead form and the customer page show "perkiraan servis berikutnya" with the km
per day it came from, in the viewer's language."""

from __future__ import annotations

import datetime as dt

from core.platform import clock
from core.prediction import usage
from db.models import Vehicle, WorkOrder
from tests.helpers import FIXED_NOW, new_lead


def _measured(world):
    """The seed's Vario came for KPB 1 with 1,200 km 30 days after its sale: 40 km/day of its own."""
    with world.db.transaction(None, system=True) as s:
        v = s.get(Vehicle, world.vehicle_sam.id)
        s.add(WorkOrder(branch_id=v.branch_id, number="WO/SAM01/1901/00001", vehicle_id=v.id, km=1_200,
                        service_date=dt.date(2020, 1, 3), job_type="ASS1", kpb_number=1))
        s.flush()
        usage.refresh(s, dt.date(2020, 1, 4))


def test_the_customer_page_shows_the_predicted_next_service_with_its_rate(world, run_page):
    _measured(world)
    at = run_page("pages/customer.py", world.kabeng_sam, query={"id": str(world.customer_sam.id)})
    assert not at.exception, at.exception
    table = at.dataframe[0].value
    (shown,) = table["Perkiraan servis berikutnya"]
    # Its 40 km/day over 30 days, weight 30 / (30 + 30), with the typical 25: 32.5 km/day; KPB 2's 2,800 km
    # to go take 86 days, before its 120-day limit (02/04/2020).
    assert shown == ("29/03/2020: KPB 2, batas km dulu; 32.5 km/hari dari riwayat motor ini (2 catatan) "
                     "dan rata-rata tipe/cabang")


def test_the_lead_form_shows_it_in_english_for_an_english_session(world, run_page):
    _measured(world)
    lead = new_lead(world, deadline=dt.date(2020, 4, 2), kpb=2)
    with clock.frozen(FIXED_NOW):
        at = run_page("pages/lead.py", world.admin_sam, query={"id": str(lead.id)}, h23_lang=True)
    assert not at.exception, at.exception
    # The facts are one block of escaped HTML (ui/facts.py): label in <dt>, value in <dd>.
    text = "\n".join(str(h.proto.body) for h in at.get("html"))
    assert "<dt>Predicted next service</dt>" in text and "the km limit first" in text and "km/day" in text
