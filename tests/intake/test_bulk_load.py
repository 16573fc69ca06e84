"""Bulk-load mode (core.intake.bulk_load): the first import into an empty database runs without the deferred
secondary indexes and leaves every one of them built; it stores and rejects exactly what a normal import does;
a later import (the database holds rows) runs normally; an index an interrupted bulk load left out is rebuilt
by the next import."""

from __future__ import annotations

import pandas as pd
from sqlalchemy import delete, inspect, select, text

from core.intake import bulk_load, file_import, importer as intake
from db.models import Customer, Sale, Vehicle
from tests.intake.test_intake_fast_paths import HEADER, _rows, _stored


def _empty(world) -> None:
    """The world's own customers and motorcycles gone: a database nobody works in yet."""
    with world.db.transaction(None, system=True) as s:
        s.execute(delete(Vehicle))
        s.execute(delete(Customer))


def _indexes(world) -> set[str]:
    with world.db.session(None, system=True) as s:
        inspector = inspect(s.connection())
        return {ix["name"] for t in ("customer", "vehicle", "sale", "work_order") for ix in inspector.get_indexes(t)}


def _import(world, rows: list[list[str]], *, bulk: bool, seen: list[set[str]] | None = None) -> intake.ImportResult:
    df = pd.DataFrame(rows, columns=HEADER)

    def during(_done: int, _total: int) -> None:  # the indexes while the batches are stored
        if seen is not None:
            seen.append(_indexes(world))

    return file_import.import_dataframe(world.db, world.admin_sam, "sales", df, None, batch_size=97,
                                        progress=during, bulk_load=bulk)


def _rejections(result: intake.ImportResult) -> list[tuple]:
    return [(r.row, r.column, r.value, r.reason) for r in result.rejected]


def test_a_first_import_into_an_empty_database_defers_the_indexes_and_builds_them_all_after(world):
    _empty(world)
    every = _indexes(world)
    assert every >= bulk_load.DEFERRED
    seen: list[set[str]] = []
    result = _import(world, _rows(600, seed=5), bulk=True, seen=seen)
    assert result.created > 400 and seen
    assert all(not (bulk_load.DEFERRED & during) for during in seen)  # deferred while loading
    assert all(during == every - bulk_load.DEFERRED for during in seen)  # the import's own lookups stay
    assert _indexes(world) == every  # and every one is back


def test_bulk_load_stores_and_rejects_exactly_what_a_normal_import_does(world):
    rows = _rows(700, seed=11)
    _empty(world)
    bulk = _import(world, rows, bulk=True)
    bulk_stored = _stored(world, (0, 0, 0))
    with world.db.transaction(None, system=True) as s:
        for model in (Sale, Vehicle, Customer):
            s.execute(delete(model))
    normal = _import(world, rows, bulk=False)
    assert bulk.rejected and _rejections(bulk) == _rejections(normal)
    assert (bulk.created, bulk.updated, bulk.unchanged) == (normal.created, normal.updated, normal.unchanged)
    assert bulk_stored == _stored(world, (0, 0, 0))


def test_a_second_import_runs_in_normal_mode(world):
    _empty(world)
    _import(world, _rows(300, seed=2), bulk=True)
    every = _indexes(world)
    seen: list[set[str]] = []
    again = _import(world, _rows(300, seed=3), bulk=True, seen=seen)
    assert again.created > 0 and seen and all(during == every for during in seen)


def test_a_database_with_rows_is_never_bulk_loaded(world):
    seen: list[set[str]] = []
    _import(world, _rows(200, seed=4), bulk=True, seen=seen)  # the world has a customer and motorcycles
    assert seen and all(during >= bulk_load.DEFERRED for during in seen)


def test_an_index_an_interrupted_bulk_load_left_out_is_built_by_the_next_import(world):
    _import(world, _rows(100, seed=6), bulk=True)
    with world.db.transaction(None, system=True) as s:
        s.execute(text("DROP INDEX ix_vehicle_plate"))
    assert "ix_vehicle_plate" not in _indexes(world)
    _import(world, _rows(100, seed=7), bulk=True)
    assert "ix_vehicle_plate" in _indexes(world)
    with world.db.session(None, system=True) as s:
        assert s.scalar(select(Vehicle.id).where(Vehicle.plate.is_not(None)).limit(1)) is not None
