"""Time: aware datetimes, and 'today' in a branch's own time zone (WIB, WITA, WIT).

Tests freeze time with `frozen(...)` instead of patching datetime."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from zoneinfo import ZoneInfo

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
