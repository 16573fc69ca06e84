"""The application clock that tests freeze."""

from __future__ import annotations

import datetime as dt

from core.platform import clock

A = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)
B = dt.datetime(2021, 1, 1, tzinfo=dt.UTC)


def test_freezes_closed_out_of_order_leave_the_clock_running():
    """Two threads freezing at once close in any order; the clock must not stay frozen after both
    (a leak once made later tests compare frozen created_at stamps with the wall clock)."""
    first, second = clock.frozen(A), clock.frozen(B)
    first.__enter__()
    second.__enter__()
    assert clock.now() == B
    first.__exit__(None, None, None)
    assert clock.now() == B
    second.__exit__(None, None, None)
    assert abs(clock.now() - dt.datetime.now(dt.UTC)) < dt.timedelta(seconds=5)


def test_nested_freezes_restore_the_outer_time():
    with clock.frozen(A):
        with clock.frozen(B):
            assert clock.now() == B
        assert clock.now() == A
