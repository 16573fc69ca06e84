"""Issue 19.3: errors in plain language, once: the offending value is quoted when there is one, and
nothing ("(None)", "('')") is appended when there is none."""

from __future__ import annotations

import datetime as dt

import pytest

import core.customers.customer  # noqa: F401  (registers "customer.required")
from core.platform.errors import MultipleErrors, ValidationError


@pytest.mark.parametrize("missing", [None, "", "   "])
def test_a_missing_value_adds_nothing_after_the_message(missing):
    assert ValidationError("customer.required", field="phone", value=missing).message("id") == "No HP: wajib diisi"


def test_a_wrong_value_is_still_named_as_typed():
    assert ValidationError("customer.required", field="phone", value="0812x").message("en").endswith("('0812x')")
    assert ValidationError("customer.required", field="day", value=dt.date(2020, 7, 31)).message("en").endswith(
        "(31/07/2020)")


def test_several_missing_fields_read_as_one_sentence_each_once():
    errors = [ValidationError("customer.required", field=f, value=None) for f in ("phone", "address")]
    assert MultipleErrors(errors).message("id") == "No HP: wajib diisi; Alamat: wajib diisi"
