"""The export's reader thread (core.platform.prefetch): rows come back complete and in order, at most a few
batches ahead of the writer, and an error or an early stop on either side ends the thread and closes
the query."""

from __future__ import annotations

import csv
import io
import threading
import time

import pytest
from sqlalchemy import update

from core.platform import clock
from core.platform.prefetch import prefetched
from core.reports import laporan as reports, laporan_export
from core.reports.laporan import LAPORAN_COLUMNS, ReportFilter
from core.reports.laporan_sql import csv_blocks
from db.models import Lead
from tests.conftest import build_world
from tests.helpers import FIXED_NOW, new_lead, opportunity_at


def _threads(prefix: str) -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith(prefix)]


class _Source:
    """A generator that counts what it produced and whether it was closed."""

    def __init__(self, n: int, fail_at: int | None = None) -> None:
        self.n, self.fail_at, self.produced, self.closed = n, fail_at, 0, False

    def __iter__(self):
        try:
            for i in range(self.n):
                if i == self.fail_at:
                    raise RuntimeError(f"query failed at {i}")
                self.produced += 1
                yield i
        finally:
            self.closed = True


def test_prefetched_yields_everything_in_order_and_stays_a_bounded_distance_ahead():
    source = _Source(50)
    ahead = []
    got = []
    for item in prefetched(source, depth=2, name="t-order"):
        time.sleep(0.002)  # a slow writer: the producer must wait for it, not run to the end
        ahead.append(source.produced - len(got))
        got.append(item)
    assert got == list(range(50))
    assert max(ahead) <= 4  # the item taken, 2 queued, 1 waiting to be queued
    assert source.closed and _threads("t-order") == []


def test_prefetched_raises_the_sources_error_after_the_rows_before_it():
    source = _Source(50, fail_at=7)
    got = []
    with pytest.raises(RuntimeError, match="query failed at 7"):
        for item in prefetched(source, depth=3, name="t-error"):
            got.append(item)
    assert got == list(range(7)) and source.closed and _threads("t-error") == []


def test_stopping_early_stops_the_producer_and_closes_the_source():
    source = _Source(10_000)
    rows = prefetched(source, depth=2, name="t-stop")
    assert [next(rows), next(rows)] == [0, 1]
    rows.close()  # the writer failed or the export was abandoned
    assert source.closed and _threads("t-stop") == []
    assert source.produced <= 5


def test_csv_blocks_fetched_by_a_thread_on_a_real_engine(committed_db, monkeypatch, tmp_path):
    """On the real engine (committed data, the session's own pooled connection used by the reader
    thread): csv.writer's bytes, in order, whatever the batch size; a branch user gets only their
    branch. The texts cover each way a block is made: plain rows (separators become commas), a note
    csv.writer must quote, and a note holding the separator the database joins the fields with (that
    row is fetched again field by field)."""
    monkeypatch.setenv("H23_DATA_DIR", str(tmp_path))
    world = build_world(committed_db)
    with clock.frozen(FIXED_NOW):
        for kpb in (1, 3, 4):
            new_lead(world, kpb=kpb)
        opportunity_at(world, 2, kpb=2)
        opportunity_at(world, 1, world.admin_man, customer=world.customer_man, vehicle=world.vehicle_man, kpb=1)
    with committed_db.transaction(None, system=True) as s:
        s.execute(update(Lead).where(Lead.kpb_number == 3).values(note='a, "b"\r\nc'))
        s.execute(update(Lead).where(Lead.kpb_number == 4).values(note="tab\x1fseparated"))
    for viewer, count in ((world.ho, 5), (world.kabeng_sam, 4)):
        for batch in (1, 2, 100):
            with committed_db.session(viewer.scope, system=viewer.all_branches) as s:
                conditions = reports._conditions(s, viewer, ReportFilter())
                blocks = list(csv_blocks(s, viewer, conditions, batch=batch))
                expected = io.StringIO()
                csv.writer(expected).writerows(r for part in laporan_export.csv_batches(s, viewer, ReportFilter())
                                               for r in part)
            text = "".join(b.text for b in blocks)
            assert sum(b.rows for b in blocks) == count and len(blocks) == -(-count // batch)
            assert text == expected.getvalue() and _threads("laporan-csv") == []
            notes = [r[LAPORAN_COLUMNS.index("Note")] for r in csv.reader(io.StringIO(text))]
            assert 'a, "b"\r\nc' in notes and "tab\x1fseparated" in notes
            assert {r[LAPORAN_COLUMNS.index("Branch")] for r in csv.reader(io.StringIO(text))} == (
                {"[SAM01] SAMARINDA", "[MAN01] MANADO"} if viewer is world.ho else {"[SAM01] SAMARINDA"})
