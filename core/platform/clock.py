"""Time: aware datetimes, and 'today' in a branch's own time zone (WIB, WITA, WIT).

Tests freeze time with `frozen(...)` instead of patching datetime."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from zoneinfo import ZoneInfo

# The three zones of Indonesia. Each branch has its own (Branch.timezone); head office keeps Jakarta's clock,
# for views over every branch and the group-wide series (07:00 WIB is 08:00 WITA and 09:00 WIT).
WIB, WITA, WIT = "Asia/Jakarta", "Asia/Makassar", "Asia/Jayapura"
ZONE_LABELS = {WIB: "WIB", WITA: "WITA", WIT: "WIT"}
HEAD_OFFICE = WIB

_frozen: dt.datetime | None = None
# Active freezes, innermost last. Freezes opened in several threads may close out of order; each
# close removes its own entry, so the clock never stays frozen after the last one ends.
_freezes: list[tuple[object, dt.datetime]] = []


def now() -> dt.datetime:
    return _frozen if _frozen is not None else dt.datetime.now(dt.UTC)


def today_in(tz: str) -> dt.date:
    return now().astimezone(ZoneInfo(tz)).date()


def local(at: dt.datetime, tz: str) -> dt.datetime:
    return at.astimezone(ZoneInfo(tz))


def zone_label(tz: str) -> str:
    """WIB / WITA / WIT, or the zone's own name for any other."""
    return ZONE_LABELS.get(tz, tz)


def stamp(at: dt.datetime, tz: str) -> str:
    """A timestamp as a user reads it: dd/mm/yyyy HH:MM and the zone's label, in that zone."""
    return f"{local(at, tz):%d/%m/%Y %H:%M} {zone_label(tz)}"


def at_local(day: dt.date, hour: int, minute: int, tz: str) -> dt.datetime:
    """The aware instant of a wall-clock time in a branch's zone."""
    return dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=ZoneInfo(tz))


@contextmanager
def frozen(at: dt.datetime) -> Iterator[None]:
    global _frozen
    if at.tzinfo is None:
        raise ValueError("freeze with an aware datetime")
    token = object()
    _freezes.append((token, at))
    _frozen = at
    try:
        yield
    finally:
        _freezes[:] = [f for f in _freezes if f[0] is not token]
        _frozen = _freezes[-1][1] if _freezes else None
