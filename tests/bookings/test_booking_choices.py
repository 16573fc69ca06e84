"""DOMAIN.md, "Booking service": the reason to come and the relation of the person bringing the unit are
stored as codes and read in the user's language (issue 19.4); migration 0022 (booking_choice_codes) turns
the Indonesian texts stored before into their codes, and back."""

from __future__ import annotations

import dataclasses
import datetime as dt
import importlib.util

import pytest
from alembic.migration import MigrationContext
from alembic.operations import Operations
from sqlalchemy import select, update

from core.bookings import choices
from core.bookings.booking import BookingInput, create_booking
from core.platform import clock
from core.platform.errors import ValidationError
from db.migrate import MIGRATIONS
from db.models import Booking

NOW = dt.datetime(2020, 7, 10, 0, 30, tzinfo=dt.UTC)  # 10/07/2020 08:30 WITA


def _input(world, **kw):
    base = BookingInput(branch_id=world.sam.id, day=dt.date(2020, 7, 11), hour=9, minute=0,
                        customer_id=world.customer_sam.id, vehicle_id=world.vehicle_sam.id, pit_id=world.pit_sam.id)
    return dataclasses.replace(base, **kw)


def _book(world, **kw):
    with clock.frozen(NOW), world.db.transaction(world.admin_sam.scope) as s:
        booking = create_booking(s, world.admin_sam, _input(world, **kw))
        return booking.reason_to_come, booking.carrier_relation


def test_rule_booking_reason_to_come_and_carrier_relation_are_stored_as_codes(world):
    assert _book(world, reason_to_come="WA_REMINDER", carrier_relation="FAMILY") == ("WA_REMINDER", "FAMILY")


def test_a_booking_brought_by_nobody_named_is_brought_by_the_owner(world):
    assert _book(world) == (None, "SELF")


def test_the_seeds_text_in_either_language_is_taken_as_its_code(world):
    assert _book(world, reason_to_come="telp reminder", carrier_relation="Family", hour=10) == (
        "PHONE_REMINDER", "FAMILY")


def test_a_reason_not_in_the_list_is_refused_naming_the_field(world):
    with pytest.raises(ValidationError) as err:
        _book(world, reason_to_come="karena hujan")
    assert err.value.field == "reason_to_come"
    assert err.value.message("en") == "Reason for coming: is not one of the choices ('karena hujan')"


def test_reason_and_relation_read_in_the_users_language():
    assert [choices.reason_label(c, "en") for c in choices.REASONS_TO_COME] == [
        "Reminder call", "WhatsApp reminder", "SMS reminder", "Own initiative", "Service visit", "Other"]
    assert choices.reason_label("OWN_INITIATIVE", "id") == "Inisiatif sendiri"
    assert (choices.relation_label("SELF", "id"), choices.relation_label("SELF", "en")) == ("Sendiri", "The owner")
    # A stored text in neither list (an old free text) still shows, as it was written; nothing shows as "".
    assert choices.reason_label("Diantar bengkel", "en") == "Diantar bengkel"
    assert choices.relation_label(None, "en") == ""


def _migration():
    [path] = (MIGRATIONS / "versions").glob("*_booking_choice_codes.py")  # its number may change when re-chained
    spec = importlib.util.spec_from_file_location("booking_choice_codes", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _run(session, step):
    with Operations.context(MigrationContext.configure(connection=session.connection())):
        step()


def test_the_migration_turns_the_stored_indonesian_texts_into_codes_and_back(world):
    ids = []
    for hour in (9, 10, 11, 12):
        with clock.frozen(NOW), world.db.transaction(world.admin_sam.scope) as s:
            ids.append(create_booking(s, world.admin_sam, _input(world, hour=hour)).id)
    old = [("Telp Reminder", "Sendiri"), ("inisiatif Sendiri ", "Keluarga"), ("Servis kunjung", "Karyawan"),
           ("Diantar bengkel", None)]  # the two screens' spellings, stray spaces, a free text
    migration = _migration()
    with world.db.transaction(None, system=True) as s:
        for booking_id, (reason, relation) in zip(ids, old, strict=True):
            s.execute(update(Booking).where(Booking.id == booking_id)
                      .values(reason_to_come=reason, carrier_relation=relation))
        _run(s, migration.upgrade)
        stored = lambda: [tuple(r) for r in s.execute(  # noqa: E731
            select(Booking.reason_to_come, Booking.carrier_relation).where(Booking.id.in_(ids)).order_by(Booking.id))]
        assert stored() == [("PHONE_REMINDER", "SELF"), ("OWN_INITIATIVE", "FAMILY"), ("SERVICE_VISIT", "EMPLOYEE"),
                            ("Diantar bengkel", None)]
        _run(s, migration.downgrade)
        assert stored() == [("Telp Reminder", "Sendiri"), ("Inisiatif sendiri", "Keluarga"),
                            ("Servis kunjung", "Karyawan"), ("Diantar bengkel", None)]
