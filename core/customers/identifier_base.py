"""What every identifier rule shares: what counts as no value, and the error it raises.

The identifiers that arrive from forms, Excel/CSV imports and AHM's DGI API are validated and normalised
by core.customers.nik, .phone, .vehicle_ids, .dates and .job_types. Each scalar function returns the
normalised value or raises ``ValidationError(code, field, value)``.
core.customers.identifiers_series does the same for a whole import column and returns
``(normalised, error_codes)``: two Series on the input's index, ``None`` where a row has no value
or no error. They agree with the scalar functions row by row: a fast pyarrow path decides the
well-formed rows and every other row goes through the scalar function.
"""

from __future__ import annotations

import pandas as pd

from core.platform.errors import ValidationError
from core.platform.i18n import register

register({"identifier.required": {"id": "wajib diisi", "en": "is required"}})


def is_missing(value: object) -> bool:
    if isinstance(value, str):
        return not value.strip()
    return bool(pd.api.types.is_scalar(value) and pd.isna(value))


def required(field: str, value: object) -> ValidationError:
    return ValidationError("identifier.required", field=field, value=value)
