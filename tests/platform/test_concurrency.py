"""Issue 8: optimistic concurrency on opportunities and bookings. Two people save the same record:
the second save is refused with who changed it, when and what; nothing is lost (zero lost updates)."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from sqlalchemy import func, select

from core.bookings.booking import BookingInput, cancel_booking, create_booking, post_booking
from core.pipeline.stages import FollowUpInput, enter_followup, mark_lost
from core.platform import clock
from core.platform.concurrency import StaleRecord
from core.platform.errors import DomainError
from db.enums import BookingState, ContactStatus, Stage, Temperature
from db.models import AuditLog, Booking, Lead, LostReason
from tests.conftest import build_world
from tests.helpers import FIXED_NOW, opportunity_at

NOW = dt.datetime(2020, 7, 10, 0, 30, tzinfo=dt.UTC)
RESULTS: dict[str, int] = {}


def _booking(world):
    with clock.frozen(NOW), world.db.transaction(world.admin_sam.scope) as s:
        return create_booking(s, world.admin_sam, BookingInput(
            branch_id=world.sam.id, day=dt.date(2020, 7, 11), hour=9, minute=0, customer_id=world.customer_sam.id,
            vehicle_id=world.vehicle_sam.id, pit_id=world.pit_sam.id))


def test_a_stale_opportunity_save_is_refused_showing_who_and_what_changed(world):
    opp = opportunity_at(world, 0)
    seen = opp.version  # the Kabeng and the admin both opened it
    with clock.frozen(FIXED_NOW), world.db.transaction(world.admin_sam.scope) as s:
        enter_followup(s, world.admin_sam, opp.id, 1, FollowUpInput(
            done_on=dt.date(2020, 7, 9), contact_status=ContactStatus.TERHUBUNG, temperature=Temperature.HOT),
            expected_version=seen)
    with world.db.session(None, system=True) as s:
        reason = s.scalars(select(LostReason.id)).first()
    with clock.frozen(FIXED_NOW), world.db.transaction(world.kabeng_sam.scope) as s, \
            pytest.raises(StaleRecord) as err:
        mark_lost(s, world.kabeng_sam, opp.id, reason, expected_version=seen)
    text = err.value.message("id")
    assert "Admin Samarinda" in text and "Yang berubah:" in text and "stage" in err.value.fields
    assert "What changed:" in err.value.message("en")
    with world.db.session(None, system=True) as s:
        lead = s.get(Lead, opp.id)
        assert (lead.stage, lead.temperature) == (Stage.FU1, Temperature.HOT)  # the first save stands


def test_a_stale_booking_save_is_refused_showing_who_and_what_changed(world):
    booking = _booking(world)
    seen = booking.version
    with clock.frozen(NOW), world.db.transaction(world.kabeng_sam.scope) as s:
        post_booking(s, world.kabeng_sam, booking.id, expected_version=seen)
    with clock.frozen(NOW), world.db.transaction(world.sa_sam.scope) as s, pytest.raises(StaleRecord) as err:
        cancel_booking(s, world.sa_sam, booking.id, "customer batal", expected_version=seen)
    assert err.value.code == "error.stale"
    assert "Kabeng Samarinda" in err.value.message("id") and err.value.fields == ["state"]
    with world.db.session(None, system=True) as s:
        assert s.get(Booking, booking.id).state == BookingState.POSTED


@pytest.fixture
def shared_world(committed_db):
    return build_world(committed_db)


@pytest.mark.parametrize("n_sessions", [4])
def test_concurrent_saves_of_one_booking_lose_no_update(shared_world, n_sessions):
    """n sessions all saw version v and save at once: exactly one wins, the others are refused."""
    world = shared_world
    booking = _booking(world)
    seen = booking.version
    outcomes: list[str] = []
    barrier = threading.Barrier(n_sessions)
    viewers = [world.kabeng_sam, world.sa_sam, world.kabeng_sam, world.sa_sam][:n_sessions]

    def save(i: int) -> None:
        barrier.wait()
        try:
            with clock.frozen(NOW), world.db.transaction(viewers[i].scope) as s:
                if i % 2:
                    cancel_booking(s, viewers[i], booking.id, f"batal {i}", expected_version=seen)
                else:
                    post_booking(s, viewers[i], booking.id, expected_version=seen)
            outcomes.append("saved")
        except DomainError as e:
            outcomes.append(e.code)

    threads = [threading.Thread(target=save, args=(i,)) for i in range(n_sessions)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(60)
    assert sorted(outcomes) == ["error.stale"] * (n_sessions - 1) + ["saved"]
    with world.db.session(None, system=True) as s:
        final = s.get(Booking, booking.id)
        changes = s.scalar(select(func.count()).select_from(AuditLog).where(
            AuditLog.object_type == "booking", AuditLog.object_id == booking.id,
            AuditLog.action != "booking.create"))
    lost = outcomes.count("saved") - (final.version - seen)  # a save that did not end up in the row
    assert lost == 0 and changes == 1
    RESULTS["lost_updates"] = RESULTS.get("lost_updates", 0) + lost
    print(f"\nconcurrency: {n_sessions} concurrent saves, 1 saved, {n_sessions - 1} refused, lost updates {lost}")


def test_concurrent_followups_of_one_opportunity_lose_no_update(shared_world):
    world = shared_world
    opp = opportunity_at(world, 0)
    seen = opp.version
    outcomes: list[str] = []
    barrier = threading.Barrier(3)

    def save(day: int) -> None:
        barrier.wait()
        try:
            with clock.frozen(FIXED_NOW), world.db.transaction(world.admin_sam.scope) as s:
                enter_followup(s, world.admin_sam, opp.id, 1, FollowUpInput(
                    done_on=dt.date(2020, 7, day), contact_status=ContactStatus.TERHUBUNG,
                    temperature=Temperature.COLD), expected_version=seen)
            outcomes.append(f"saved {day}")
        except DomainError as e:
            outcomes.append(e.code)

    threads = [threading.Thread(target=save, args=(d,)) for d in (1, 2, 3)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(60)
    saved = [o for o in outcomes if o.startswith("saved")]
    assert len(saved) == 1 and outcomes.count("error.stale") == 2
    with world.db.session(None, system=True) as s:
        lead = s.get(Lead, opp.id)
        assert lead.fu1_date == dt.date(2020, 7, int(saved[0].split()[1]))  # the saved one is what is stored
