"""AHM's job type codes (the KPB free services among them) as imports and the DGI API write them."""

from __future__ import annotations

import re

from core.customers.identifier_base import is_missing, required
from core.platform.errors import ValidationError
from core.platform.i18n import register

__all__ = [
    "JOB_TYPES",
    "kpb_number_of_job",
    "normalize_job_type",
]

register(
    {
        "job_type.unknown": {
            "id": "kode jenis pekerjaan tidak dikenal; pilih salah satu: {codes}",
            "en": "unknown job type code; use one of: {codes}",
        },
    }
)


JOB_TYPES: dict[str, str] = {
    "ASS1": "KPB 1: first free periodic service",
    "ASS2": "KPB 2: second free periodic service",
    "ASS3": "KPB 3: third free periodic service",
    "ASS4": "KPB 4: fourth free periodic service",
    "QS": "quick service",
    "LR": "light repair",
    "HR": "heavy repair",
    "JR": "job return (rework of an earlier job)",
    "C1": "claim (AHM code C1)",
    "C2": "claim (AHM code C2)",
    "CS": "AHM code",
    "LS": "AHM code",
    "PL": "AHM code",
    "PUD": "AHM code",
    "OR+": "AHM code",
}
_JOB_SEPARATORS = re.compile(r"[\s\-_]")
_KPB_JOB = re.compile(r"(?:KPB|ASS)([1-4])")


def normalize_job_type(value: object) -> str:
    """One of JOB_TYPES; "KPB 1", "KPB1" and "ASS 1" all become ASS1."""
    if is_missing(value):
        raise required("job_type", value)
    code = _JOB_SEPARATORS.sub("", str(value).upper())
    if kpb := _KPB_JOB.fullmatch(code):
        code = "ASS" + kpb.group(1)
    if code not in JOB_TYPES:
        raise ValidationError("job_type.unknown", field="job_type", value=value, codes=", ".join(JOB_TYPES))
    return code


def kpb_number_of_job(code: str) -> int | None:
    """The KPB number of a KPB job (ASS3 -> 3); None for any other job type."""
    kpb = _KPB_JOB.fullmatch(normalize_job_type(code))
    return int(kpb.group(1)) if kpb else None
