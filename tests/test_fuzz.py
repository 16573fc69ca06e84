"""Issue 8: property-based fuzzing (hypothesis) of every parser and validator, the import of a random
row, and the webhook routes. No crash, no server error; every bad input is a ValidationError naming its
code, field and value (or, over HTTP, a 4xx). Sized to run in well under a minute; the examples run and
the bad inputs tried are counted and printed (run with -s) for the closing note."""

from __future__ import annotations

import datetime as dt
import json
import os
from collections import Counter
from collections.abc import Callable
from typing import Any

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from core.customers import identifiers_series as series
from core.customers.dates import parse_date
from core.customers.job_types import normalize_job_type
from core.customers.nik import NIK_PROVINCES, nik_gender, normalize_nik
from core.customers.phone import normalize_phone
from core.customers.vehicle_ids import normalize_engine_no, normalize_frame_no, normalize_plate
from core.intake import importer as intake
from core.platform.errors import ValidationError
from core.platform.i18n import MESSAGES

COUNTS: Counter[str] = Counter()
# H23_FUZZ_SCALE=10 runs ten times the examples (a deeper run before a release); CI runs 1.
SCALE = max(1, int(os.environ.get("H23_FUZZ_SCALE", "1")))
FAST = settings(max_examples=200 * SCALE, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# validator -> the field its errors must name
VALIDATORS: dict[str, tuple[Callable[[Any], Any], str]] = {
    "nik": (normalize_nik, "nik"),
    "phone": (normalize_phone, "phone"),
    "engine_no": (normalize_engine_no, "engine_no"),
    "frame_no": (normalize_frame_no, "frame_no"),
    "plate": (normalize_plate, "plate"),
    "date": (parse_date, "date"),
    "job_type": (normalize_job_type, "job_type"),
}
SERIES: dict[str, Callable[[pd.Series], tuple[pd.Series, pd.Series]]] = {
    "nik": series.normalize_nik_series, "phone": series.normalize_phone_series,
    "engine_no": series.normalize_engine_no_series, "frame_no": series.normalize_frame_no_series,
    "plate": series.normalize_plate_series, "date": series.parse_date_series,
}

# What dealer files hold: text of every kind, digit soup, numbers (a cell read as float), dates.
anything = st.one_of(
    st.text(max_size=40),
    st.text(alphabet="0123456789 +-./()eE:TABKLMDHJ", max_size=24),
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True, allow_infinity=True),
    st.dates(), st.datetimes(), st.binary(max_size=10), st.lists(st.integers(), max_size=3),
)


def _check(name: str, value: Any) -> Any:
    func, field = VALIDATORS[name]
    COUNTS["examples"] += 1
    try:
        return func(value)
    except ValidationError as error:
        COUNTS["bad inputs"] += 1
        assert error.code in MESSAGES, error.code
        assert error.field == field and (error.value is value or error.value == value)
        assert error.message("id") and error.message("en")
        return None


@pytest.mark.parametrize("name", list(VALIDATORS))
@FAST
@given(value=anything)
def test_validators_accept_or_name_code_field_and_value(name, value):
    result = _check(name, value)
    if result is not None and name not in ("date",):
        assert _check(name, result) == result  # normalising twice changes nothing


@pytest.mark.parametrize("name", list(SERIES))
@settings(max_examples=40 * SCALE, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(values=st.lists(anything, max_size=20))
def test_column_validators_never_crash_and_flag_every_bad_cell(name, values):
    COUNTS["examples"] += 1
    column = pd.Series(values, dtype=object)
    good, errors = SERIES[name](column)
    assert len(good) == len(errors) == len(column)
    for ok, err in zip(good, errors, strict=True):
        if err is not None and not (isinstance(err, float) and pd.isna(err)):
            COUNTS["bad inputs"] += 1
            assert ok is None or pd.isna(ok)
            assert err in MESSAGES or err == "identifier.required", err


province = st.sampled_from(sorted(NIK_PROVINCES))


@FAST
@given(province=province, city=st.integers(1, 99), district=st.integers(1, 99),
       born=st.dates(dt.date(1931, 1, 1), dt.date(2020, 12, 31)), female=st.booleans(),
       seq=st.integers(1, 9999), sep=st.sampled_from(["", " ", "."]))
def test_every_well_formed_nik_is_accepted(province, city, district, born, female, seq, sep):
    day = born.day + (40 if female else 0)
    nik = f"{province:02d}{city:02d}{district:02d}{day:02d}{born.month:02d}{born.year % 100:02d}{seq:04d}"
    written = sep.join([nik[:6], nik[6:12], nik[12:]])
    assert _check("nik", written) == nik
    assert nik_gender(nik) == ("F" if female else "M")


@FAST
@given(second=st.sampled_from("1235789"), rest=st.text(alphabet="0123456789", min_size=7, max_size=10),
       prefix=st.sampled_from(["0", "+62", "62", "+62 "]), sep=st.sampled_from(["", " ", "-"]))
def test_every_indonesian_mobile_is_stored_as_e164(second, rest, prefix, sep):
    local = f"8{second}{rest}"
    written = prefix + sep.join([local[:3], local[3:7], local[7:]])
    assert _check("phone", written) == f"+62{local}"


@FAST
@given(region=st.text(alphabet="ABDEFGHKLMNPRSTWZ", min_size=1, max_size=2),
       number=st.integers(1, 9999), suffix=st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ", max_size=3),
       sep=st.sampled_from([" ", "", "-"]))
def test_every_plate_in_the_national_format_is_accepted(region, number, suffix, sep):
    plate = _check("plate", f"{region.lower()}{sep}{number}{sep}{suffix}")
    assert plate == " ".join(p for p in (region, str(number), suffix) if p)


@FAST
@given(day=st.dates(dt.date(1990, 1, 1), dt.date(2035, 12, 31)),
       fmt=st.sampled_from(["%d/%m/%Y", "%Y-%m-%d", "%d-%m-%Y"]))
def test_dates_in_the_dealer_formats_round_trip(day, fmt):
    assert _check("date", day.strftime(fmt)) == day


# ---------------------------------------------------------------- the import of one random row

SALES_COLUMNS = ["No Mesin", "No Rangka", "No Polisi", "Nama", "No KTP", "No HP", "Alamat", "Tanggal Beli",
                 "Kode Cabang", "Tipe Unit"]
cell = st.one_of(
    st.text(max_size=20), st.none(), st.integers(-5, 10**17), st.floats(allow_nan=True),
    st.sampled_from(["JM81E1056206", "MH1JM811LK0123456", "KT 2146 FK", "6472020504010003", "081234567890",
                     "07/11/2020", "SAM01", "MAN01", "XXX01", "31/02/2020", "", "  "]),
)


@settings(max_examples=40 * SCALE, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(row=st.fixed_dictionaries({c: cell for c in SALES_COLUMNS}))
def test_a_random_import_row_is_stored_or_rejected_naming_row_column_and_value(world, row):
    COUNTS["examples"] += 1
    df = pd.DataFrame([row], columns=SALES_COLUMNS, dtype=object)
    with world.db.transaction(world.admin_sam.scope) as s:
        result = intake.import_frame(s, world.admin_sam, "sales", df, intake.guess_mapping(df.columns))
    assert result.created + result.updated + result.unchanged + result.rejected_rows == 1
    for rejection in result.rejected:
        COUNTS["bad inputs"] += 1
        assert rejection.row == 2 and rejection.column in SALES_COLUMNS
        assert rejection.code and rejection.reason and not rejection.reason.startswith(rejection.code)


# ---------------------------------------------------------------- webhook routes

routes_module = pytest.importorskip("web.routes")
SECRET, SMS_TOKEN = "fuzz-app-secret", "fuzz-sms-token"


@pytest.fixture
def client(db):
    """The routes on the test database (each test rolled back), with known provider secrets."""
    from starlette.applications import Starlette
    from starlette.testclient import TestClient

    from core.messaging.config import ProviderCredentials, SmsCredentials, WhatsAppCredentials

    creds = ProviderCredentials(WhatsAppCredentials(app_secret=SECRET, verify_token="v"),
                                SmsCredentials(preset="generic", webhook_token=SMS_TOKEN))
    app = Starlette(routes=routes_module.routes(db=db, creds=creds))
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


json_value = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=10)),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
        st.sampled_from(["entry", "changes", "value", "statuses", "messages", "id", "status", "timestamp",
                         "recipient_id", "from", "text", "body", "field", "errors", "code", "object", "x"]),
        inner, max_size=5),
    max_leaves=25)
WEBHOOK = settings(max_examples=80 * SCALE, deadline=None,
                   suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])


def _status(response: Any) -> int:
    COUNTS["examples"] += 1
    assert response.status_code < 500, (response.status_code, response.text[:200])
    if response.status_code >= 400:
        COUNTS["bad inputs"] += 1
    return response.status_code


@WEBHOOK
@given(body=st.binary(max_size=200), signature=st.one_of(st.none(), st.text(max_size=80)))
def test_whatsapp_webhook_refuses_anything_unsigned(client, body, signature):
    headers = {} if signature is None else {"x-hub-signature-256": signature.encode("ascii", "ignore").decode()}
    assert _status(client.post("/webhooks/whatsapp", content=body, headers=headers)) in (400, 401, 403)


@WEBHOOK
@given(signature=st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=255), max_size=80))
def test_whatsapp_webhook_refuses_any_signature_header_without_error(client, signature):
    # Headers travel as latin-1: non-ASCII signatures must be refused, not crash the comparison.
    header = ("sha256=" + signature).encode("latin-1")
    assert _status(client.post("/webhooks/whatsapp", content=b"{}",
                               headers=[(b"x-hub-signature-256", header)])) in (401, 403)


@WEBHOOK
@given(params=st.dictionaries(st.sampled_from(["hub.mode", "hub.verify_token", "hub.challenge", "x"]),
                              st.text(max_size=20), max_size=4))
def test_whatsapp_verify_handshake_only_answers_the_right_token(client, params):
    status = _status(client.get("/webhooks/whatsapp", params=params))
    ok = params.get("hub.mode") == "subscribe" and params.get("hub.verify_token") == "v"
    assert status == (200 if ok else 403)


@WEBHOOK
@given(payload=json_value | st.binary(max_size=100))
def test_whatsapp_webhook_with_a_valid_signature_never_errors_on_a_strange_payload(client, payload):
    from core.messaging.providers import whatsapp

    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    response = client.post("/webhooks/whatsapp", content=body,
                           headers={"x-hub-signature-256": whatsapp.sign(SECRET, body)})
    _status(response)


@WEBHOOK
@given(form=st.dictionaries(st.sampled_from(["id", "status", "error", "MessageSid", "x"]), st.text(max_size=12),
                            max_size=4),
       token=st.one_of(st.none(), st.text(max_size=20)))
def test_sms_report_refuses_a_wrong_token_and_never_errors(client, form, token):
    params = {} if token is None else {"token": token}
    status = _status(client.post("/webhooks/sms", data=form, params=params))
    if token != SMS_TOKEN:
        assert status in (401, 403)


def test_zz_report_the_fuzz_counts():
    """Printed for the closing note (run with -s). In file order it runs last and counts every fuzz test's
    examples; in random order only those that ran before it, so it checks the fuzz tests exist, not the count."""
    fuzzed = [name for name, f in globals().items() if name.startswith("test_") and hasattr(f, "hypothesis")]
    print(f"\nfuzz: {COUNTS['examples']} examples run, {COUNTS['bad inputs']} bad inputs refused cleanly "
          f"({len(fuzzed)} fuzz tests)")
    assert fuzzed
