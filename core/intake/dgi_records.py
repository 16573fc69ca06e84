"""DGI records mapped to the import's columns (core.intake.dgi fetches them): work orders from "pkb" answers,
sales from "bast" delivery lines joined to their "spk"; each row remembers the DGI record it came from, so a
rejection can name the endpoint, window and record. The DGI field names live here only."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd

# One frame row per work order / delivered unit; `source` says where each row came from, so a rejection
# can name the DGI record (endpoint, window, position in that answer's data list, 1-based).


@dataclass(frozen=True)
class Source:
    endpoint: str
    window: str  # the window of the answer, as the gateway was asked (dealer's wall clock)
    position: int  # 1-based position of the record in that answer's data list


@dataclass
class Frame:
    df: pd.DataFrame
    mapping: dict[str, str]  # DGI column -> our field
    sources: list[Source]
    missing: list[tuple[Source, str, str]] = field(default_factory=list)  # rows dropped before the import


_KPB_JOBS = ("ASS1", "ASS2", "ASS3", "ASS4")


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def _job_type(services: Any) -> str:
    """The work order's job: a KPB job if any service is one (it is what closes KPB leads), else the first."""
    jobs = [_text(s.get("jenisPekerjaan")) for s in services if isinstance(s, dict)] \
        if isinstance(services, list) else []
    jobs = [j for j in jobs if j]
    kpb = [j for j in jobs if j.upper().replace(" ", "") in _KPB_JOBS]
    return (kpb or jobs or [""])[0]


PKB_MAPPING = {"noWorkOrder": "wo_number", "noMesin": "engine_no", "tanggalServis": "service_date",
               "jenisPekerjaan": "job_type", "kmTerakhir": "km", "noPolisi": "plate", "noRangka": "frame_no",
               "kodeTipeUnit": "unit_type_code", "dealerId": "branch_code"}
# Work orders carry no customer fields on purpose: the person bringing the unit is often not its owner,
# and a name without NIK would fork the owner; customers come from sales (SPK).


def pkb_frame(pages: list[tuple[str, list[dict[str, Any]]]], branch_of: dict[str, str]) -> Frame:
    """Work-order rows from pkb answers [(window label, records)]; dealerId becomes our branch code."""
    rows: list[dict[str, str]] = []
    sources: list[Source] = []
    for window, records in pages:
        for i, rec in enumerate(records, start=1):
            row = {col: _text(rec.get(col)) for col in PKB_MAPPING if col not in ("jenisPekerjaan", "dealerId")}
            row["jenisPekerjaan"] = _job_type(rec.get("services"))
            dealer = _text(rec.get("dealerId"))
            row["dealerId"] = branch_of.get(dealer, dealer)
            rows.append(row)
            sources.append(Source("pkb", window, i))
    return Frame(pd.DataFrame(rows, columns=list(PKB_MAPPING), dtype=object), dict(PKB_MAPPING), sources)


SALES_MAPPING = {"noMesin": "engine_no", "noRangka": "frame_no", "namaCustomer": "name", "noKtp": "nik",
                 "noKontak": "phone", "alamat": "address", "kodeTipeUnit": "unit_type_code",
                 "kodeWarna": "colour", "tanggalPengiriman": "sale_date", "idSPK": "sale_number",
                 "dealerId": "branch_code"}


def sales_frame(pages: list[tuple[str, list[dict[str, Any]]]], spk_by_id: dict[str, dict[str, Any]],
                branch_of: dict[str, str]) -> Frame:
    """Sale rows: each delivered unit (a bast detail line) with its SPK's customer and unit type."""
    rows: list[dict[str, str]] = []
    sources: list[Source] = []
    missing: list[tuple[Source, str, str]] = []
    for window, records in pages:
        for i, rec in enumerate(records, start=1):
            details = rec.get("detail")
            for line in details if isinstance(details, list) else []:
                if not isinstance(line, dict):
                    continue
                spk_id = _text(line.get("idSPK") or line.get("idSpk"))
                spk = spk_by_id.get(spk_id)
                if spk is None:
                    missing.append((Source("bast", window, i), "idSPK", spk_id))
                    continue
                units = spk.get("unit")
                unit = units[0] if isinstance(units, list) and units and isinstance(units[0], dict) else {}
                dealer = _text(rec.get("dealerId") or spk.get("dealerId"))
                rows.append({
                    "noMesin": _text(line.get("noMesin")), "noRangka": _text(line.get("noRangka")),
                    "namaCustomer": _text(spk.get("namaCustomer")), "noKtp": _text(spk.get("noKtp")),
                    "noKontak": _text(spk.get("noKontak")), "alamat": _text(spk.get("alamat")),
                    "kodeTipeUnit": _text(unit.get("kodeTipeUnit")), "kodeWarna": _text(unit.get("kodeWarna")),
                    "tanggalPengiriman": _text(rec.get("tanggalPengiriman")), "idSPK": spk_id,
                    "dealerId": branch_of.get(dealer, dealer)})
                sources.append(Source("bast", window, i))
    return Frame(pd.DataFrame(rows, columns=list(SALES_MAPPING), dtype=object), dict(SALES_MAPPING), sources,
                 missing)


def spk_ids(bast_pages: list[tuple[str, list[dict[str, Any]]]]) -> set[str]:
    """The SPK numbers the delivered units point at."""
    out = set()
    for _, records in bast_pages:
        for rec in records:
            for line in rec.get("detail") or []:
                if isinstance(line, dict) and _text(line.get("idSPK") or line.get("idSpk")):
                    out.add(_text(line.get("idSPK") or line.get("idSpk")))
    return out


def window_label(start: dt.datetime, end: dt.datetime, tz: str) -> str:
    zone = ZoneInfo(tz)
    return f"{start.astimezone(zone):%d/%m/%Y %H:%M}-{end.astimezone(zone):%d/%m/%Y %H:%M}"
