"""What the user sees of an import around the run: the preview of the first rows as they will be stored
(with the reasons a row is rejected), and the workbook of the rejected rows to fix and import again."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import IO

import numpy as np
import pandas as pd
from sqlalchemy.orm import Session

from core.accounts.access import Viewer
from core.intake.check import Rejection, _check
from core.intake.read import FIELDS, KIND_FIELDS, iter_table
from core.platform.cell_safety import xlsx_row


def preview(session: Session, viewer: Viewer, kind: str, df: pd.DataFrame, mapping: dict[str, str], *,
            branch_id: int | None = None, rows: int = 10, month_first: bool = False) -> pd.DataFrame:
    """The first rows as they will be stored (normalised values), with the reasons a row is rejected."""
    head = df.head(rows)
    checked = _check(session, viewer, kind, head, mapping, branch_id, month_first=month_first)
    shown = [f for f in KIND_FIELDS[kind] if f in checked.header_of]
    out = checked.values[shown].copy()
    out.columns = [FIELDS[f] for f in shown]
    reasons: dict[int, list[str]] = defaultdict(list)
    for rej in checked.rejections:
        reasons[rej.row].append(f"{rej.column}: {rej.reason}")
    out.insert(0, "Baris", np.arange(len(out)) + 2)
    out["Kesalahan"] = ["; ".join(reasons.get(i + 2, [])) for i in range(len(out))]
    return out


def rejections_xlsx(rejections: list[Rejection], path: str | Path | IO[bytes],
                    frame: pd.DataFrame | None = None, *, source: str | Path | None = None) -> None:
    """The rejected rows with their reasons as an xlsx to fix and import again (openpyxl write-only).

    With the original frame (or the source file, read chunk by chunk), each rejected row is written
    whole with a 'Kesalahan' column; without either, one line per rejection (row, column, value, reason)."""
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("Ditolak")
    # Every text a string cell (core.platform.cell_safety): the user's own "=..." is kept, never run as a formula.
    if source is not None and not Path(str(source)).exists():
        source = None  # the stored upload was deleted after its keeping time: list the reasons only
    if frame is not None or source is not None:
        by_row: dict[int, list[str]] = defaultdict(list)
        for rej in rejections:
            by_row[rej.row].append(f"{rej.column}: {rej.reason}")
        chunks = [frame.reset_index(drop=True)] if frame is not None else iter_table(Path(str(source)))
        header_written = False
        for chunk in chunks:
            if not header_written:
                ws.append(xlsx_row(ws, ["Baris", *map(str, chunk.columns), "Kesalahan"]))
                header_written = True
            wanted = [row for row in range(int(chunk.index[0]) + 2, int(chunk.index[0]) + 2 + len(chunk))
                      if row in by_row] if len(chunk) else []
            for row in wanted:
                cells = chunk.loc[row - 2].tolist()
                ws.append(xlsx_row(ws, [row, *(str(c) for c in cells), "; ".join(by_row[row])]))
    else:
        ws.append(["Baris", "Kolom", "Nilai", "Alasan"])
        for rej in rejections:
            ws.append(xlsx_row(ws, [rej.row, rej.column, rej.value, rej.reason]))
    wb.save(path)
