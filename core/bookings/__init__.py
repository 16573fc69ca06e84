"""The workshop side: service bookings and their queries, and work orders, whose arrival closes
the lead."""

from typing import TYPE_CHECKING

from core.platform.public import lazy_exports

if TYPE_CHECKING:  # the public names, loaded on first use (core.platform.public)
    from core.bookings import queries as queries
    from core.bookings.booking import (
        BookingInput as BookingInput,
        bookings_of_day as bookings_of_day,
        cancel_booking as cancel_booking,
        create_booking as create_booking,
        create_work_order as create_work_order,
        free_pits as free_pits,
        post_booking as post_booking,
    )
    from core.bookings.choices import (
        CARRIER_RELATIONS as CARRIER_RELATIONS,
        DEFAULT_RELATION as DEFAULT_RELATION,
        REASONS_TO_COME as REASONS_TO_COME,
        reason_label as reason_label,
        relation_label as relation_label,
    )
    from core.bookings.lead_bookings import reschedule_booking as reschedule_booking
    from core.bookings.next_slot import MINUTES as MINUTES, SlotPlan as SlotPlan, next_free_slot as next_free_slot

__all__, __getattr__ = lazy_exports(__file__, __name__)
