"""What the user sees of an import around the run: the preview of the first rows as they will be stored
(with the reasons a row is rejected), and the workbook of the rejected rows to fix and import again."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import IO, Any

import numpy as np
import pandas as pd
from sqlalchemy.orm import Session

from core.accounts.access import Viewer
from core.intake.check import Rejection, _check
from core.intake.read import FIELDS, KIND_FIELDS, iter_table
from core.platform import xlsx_layout
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
    # Every text a string cell (core.platform.cell_safety): the user's own "=..." is kept, never run as a formula.
    # The sheet opens as core.platform.xlsx_layout describes; the user's values stay the texts they uploaded.
    if source is not None and not Path(str(source)).exists():
        source = None  # the stored upload was deleted after its keeping time: list the reasons only
    if frame is not None or source is not None:
        by_row: dict[int, list[str]] = defaultdict(list)
        for rej in rejections:
            by_row[rej.row].append(f"{rej.column}: {rej.reason}")
        chunks = [frame.reset_index(drop=True)] if frame is not None else iter_table(Path(str(source)))
        ws, headers, written = None, [ROW, ERRORS], 0
        for chunk in chunks:
            wanted = [row for row in range(int(chunk.index[0]) + 2, int(chunk.index[0]) + 2 + len(chunk))
                      if row in by_row] if len(chunk) else []
            rows = [[row, *(str(c) for c in chunk.loc[row - 2].tolist()), "; ".join(by_row[row])] for row in wanted]
            if ws is None:  # the widths from the first chunk's rejected rows
                headers = [ROW, *map(str, chunk.columns), ERRORS]
                ws = _sheet(wb, headers, rows)
            for values in rows:
                ws.append(xlsx_row(ws, values))
            written += len(rows)
        if ws is None:
            ws = _sheet(wb, headers, [])
        xlsx_layout.openpyxl_finish(ws, len(headers), written)
    else:
        headers = [ROW, "Kolom", "Nilai", "Alasan"]
        listed = [[rej.row, rej.column, rej.value, rej.reason] for rej in rejections]
        ws = _sheet(wb, headers, listed)
        for values in listed:
            ws.append(xlsx_row(ws, values))
        xlsx_layout.openpyxl_finish(ws, len(headers), len(listed))
    wb.save(path)


ROW, ERRORS = "Baris", "Kesalahan"


def _sheet(wb: Any, headers: list[str], sample: list[list[Any]]) -> Any:
    return xlsx_layout.openpyxl_sheet(wb, "Ditolak", headers, xlsx_layout.fit_widths(headers, sample))
