"""The work-order fast path: new work orders for motorcycles we already know, inserted set-based.

A validated work-order row is plain when its number is new (in the database and in the chunk), its
engine number names a stored vehicle of a branch the viewer may change, it names no customer (work
orders from DGI never do), and every vehicle value it gives (plate, frame, unit, colour) equals the
stored one. For such a row the full path in core.intake.upsert would only insert the work order (for
the vehicle's owner): here all of a chunk's are inserted with one statement. core.intake.importer then refreshes
the last service of the vehicles served and closes the leads they serve, set-based, as for the rest.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Table
from sqlalchemy.orm import Session

from core.accounts.access import Viewer
from core.customers.job_types import kpb_number_of_job
from db.models import Vehicle, WorkOrder

_V: Table = Vehicle.__table__  # type: ignore[assignment]
_W: Table = WorkOrder.__table__  # type: ignore[assignment]
_VEHICLE_VALUES = ("plate", "frame_no", "unit_type_code", "unit_name", "colour")


def insert_new_work_orders(session: Session, viewer: Viewer, good: pd.DataFrame, *, select_in: Any,
                           insert_rows: Any) -> tuple[np.ndarray, list[int], list[dt.date]]:
    """Insert the plain rows of good (core.intake.importer's normalised values of a work-order chunk). Returns
    (the rows stored, the vehicles they serve, their service dates)."""
    n = len(good)
    done = np.zeros(n, dtype=bool)
    if n == 0:
        return done, [], []
    number = good["wo_number"]
    cand = good["name"].isna().to_numpy() & ~number.duplicated(keep=False).to_numpy()
    if not cand.any():
        return done, [], []
    known_numbers = {w for (w,) in select_in(session, [_W.c.number], _W.c.number, number[cand].unique().tolist())}
    cand &= ~number.isin(known_numbers).to_numpy()
    engines = good["engine_no"][cand].unique().tolist()
    stored = pd.DataFrame(
        select_in(session, [_V.c.engine_no, _V.c.id, _V.c.branch_id, _V.c.customer_id,
                            *(_V.c[c] for c in _VEHICLE_VALUES)], _V.c.engine_no, engines),
        columns=["engine_no", "_vid", "_vbranch", "_owner", *(f"_v_{c}" for c in _VEHICLE_VALUES)])
    if not viewer.all_branches:
        stored = stored[stored["_vbranch"].isin(list(viewer.branch_ids))]
    both = good.reset_index(drop=True).assign(_pos=np.arange(n)).merge(stored, on="engine_no", how="left")
    same = both["_vid"].notna()
    for col in _VEHICLE_VALUES:
        given = both[col].notna()
        same &= ~given | (both[col].astype(object) == both[f"_v_{col}"].astype(object))
    plain = np.zeros(n, dtype=bool)
    plain[both.loc[same.to_numpy(), "_pos"].to_numpy(dtype=int)] = True
    cand &= plain
    # A row of the same motorcycle going the full way may change its owner, which the full path gives
    # every work order of the chunk: the motorcycle's rows go one way together.
    engine = good["engine_no"].to_numpy()
    cand &= pd.Series(cand).groupby(engine, sort=False).transform("all").to_numpy(dtype=bool)
    if not cand.any():
        return done, [], []
    rows = both[cand[both["_pos"].to_numpy(dtype=int)]]
    vehicles = [int(v) for v in rows["_vid"].tolist()]
    dates = rows["service_date"].tolist()
    jobs = rows["job_type"].tolist()
    insert_rows(session, _W, ("branch_id", "number", "vehicle_id", "customer_id", "service_date", "km", "job_type",
                              "kpb_number"),
                list(zip([int(b) for b in rows["branch_id"].tolist()], rows["wo_number"].tolist(), vehicles,
                         [None if pd.isna(o) else int(o) for o in rows["_owner"].tolist()], dates,
                         [None if pd.isna(k) else int(k) for k in rows["km"].tolist()], jobs,
                         [kpb_number_of_job(j) for j in jobs], strict=True)))
    done[cand] = True
    return done, vehicles, dates
