"""Shared helpers for the benchmarks in bench/ (see bench/README.md).

Every benchmark measures the product path and, in the same run, the floor (the same work done by the
plainest possible code), then ends with ``report(...)``, which prints the mandated last line::

    <name>: <value> <unit>; floor <value> <unit>; ratio <r>

The ratio is how many times longer the product takes than the floor for the same work, so 1.0 means
"as fast as the floor". For time units (s, ms, us, min) that is value / floor; for rates ("rows/s",
"req/min"...) it is floor / value. Units of the same kind are converted before dividing, so
``report("x", 1.5, "s", 700, "ms")`` is fine.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

__all__ = ["Timer", "arg_parser", "fmt_num", "peak_rss_mb", "ratio", "report", "timed"]

# seconds per time unit
_TIME_UNITS: dict[str, float] = {
    "ns": 1e-9,
    "us": 1e-6,
    "µs": 1e-6,
    "ms": 1e-3,
    "s": 1.0,
    "min": 60.0,
    "h": 3600.0,
}


@dataclass
class Timer:
    """Wall-clock time of a ``with timed():`` block; ``seconds`` is set when the block ends."""

    label: str = ""
    seconds: float = 0.0

    @property
    def ms(self) -> float:
        return self.seconds * 1000.0


@contextmanager
def timed(label: str = "", *, verbose: bool = False) -> Iterator[Timer]:
    """Measure the wall-clock time of a block with ``time.perf_counter``.

    >>> with timed("load") as t:
    ...     pass
    >>> t.seconds >= 0
    True
    """
    timer = Timer(label)
    start = time.perf_counter()
    try:
        yield timer
    finally:
        timer.seconds = time.perf_counter() - start
        if verbose:
            print(f"  {label or 'block'}: {fmt_num(timer.seconds)} s", file=sys.stderr)


def peak_rss_mb() -> float:
    """Peak resident set size of this process so far, in MiB (Linux reports KiB, macOS bytes)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    if sys.platform == "darwin":
        return peak / (1024 * 1024)
    return peak / 1024


def fmt_num(value: float) -> str:
    """A short, readable number: 3.1, 0.042, 12.5, 48210 (no exponent notation)."""
    a = abs(value)
    if a == 0:
        return "0"
    if a >= 100:
        return f"{value:.0f}"
    if a >= 10:
        return f"{value:.1f}".removesuffix(".0")
    if a >= 1:
        return f"{value:.2f}".rstrip("0").rstrip(".")
    text = f"{value:.3g}"
    if "e" in text:  # very small: fixed notation with 3 significant digits
        text = f"{value:.{3 - int(f'{a:e}'.split('e')[1]) - 1}f}"
    return text


def _split_rate(unit: str) -> tuple[str, str] | None:
    """'rows/s' -> ('rows', 's'); None for a unit that is not a rate."""
    if "/" not in unit:
        return None
    what, per = unit.rsplit("/", 1)
    return what.strip(), per.strip()


def ratio(value: float, unit: str, floor_value: float, floor_unit: str | None = None) -> float:
    """How many times longer the product takes than the floor (1.0 = as fast as the floor)."""
    floor_unit = floor_unit or unit
    rate, floor_rate = _split_rate(unit), _split_rate(floor_unit)
    if rate is not None and floor_rate is not None:
        if rate[0] != floor_rate[0]:
            raise ValueError(f"cannot compare {unit!r} with {floor_unit!r}")
        if rate[1] in _TIME_UNITS and floor_rate[1] in _TIME_UNITS:  # both per time: to per second
            v, f = value / _TIME_UNITS[rate[1]], floor_value / _TIME_UNITS[floor_rate[1]]
        elif rate[1] == floor_rate[1]:
            v, f = value, floor_value
        else:
            raise ValueError(f"cannot compare {unit!r} with {floor_unit!r}")
        return f / v  # higher rate = faster: product takes floor/value times as long
    if (rate is None) != (floor_rate is None):
        raise ValueError(f"cannot compare {unit!r} with {floor_unit!r}")
    if unit in _TIME_UNITS and floor_unit in _TIME_UNITS:
        return (value * _TIME_UNITS[unit]) / (floor_value * _TIME_UNITS[floor_unit])
    if unit != floor_unit:
        raise ValueError(f"cannot compare {unit!r} with {floor_unit!r}")
    return value / floor_value  # same non-time unit (MiB, queries...): smaller is better


def report(name: str, value: float, unit: str, floor_value: float, floor_unit: str | None = None) -> str:
    """Print (and return) the mandated last line of a benchmark.

    >>> _ = report("leadgen", 3.1, "s", 1.4)
    leadgen: 3.1 s; floor 1.4 s; ratio 2.2
    """
    r = ratio(value, unit, floor_value, floor_unit)
    r_text = f"{r:.1f}" if r >= 0.95 else f"{r:.2f}"
    line = (
        f"{name}: {fmt_num(value)} {unit}; floor {fmt_num(floor_value)} {floor_unit or unit}; ratio {r_text}"
    )
    sys.stdout.flush()
    print(line, flush=True)
    return line


def arg_parser(description: str) -> argparse.ArgumentParser:
    """The common command line: ``--quick`` (small size, seconds) and ``--database-url``."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument(
        "--quick", action="store_true", help="run a small size in seconds (smoke run, not a result)"
    )
    parser.add_argument(
        "--database-url",
        default=os.environ.get("DATABASE_URL"),
        help="database to measure (default: $DATABASE_URL, else a fresh SQLite temp file)",
    )
    return parser
