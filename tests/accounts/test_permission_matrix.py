"""Issue 8: the permission matrix. Every page of the app's navigation (ui.navigation.PAGES) and every HTTP
route (web.routes.routes()) is opened by every kind of caller, and core functions are called directly
with the same viewers: who may see what, who is refused, and that another branch's personal data never
shows. Pages and routes come from the app's own definitions, so a new one cannot be forgotten: a new
route fails here until it has a row in ROUTE_CALLS."""

from __future__ import annotations

import datetime as dt
import io
import json
from collections.abc import Callable
from typing import Any

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

import ui.context
from core.accounts.access import Perm, Viewer
from core.customers import customer as customers
from core.leads import detail, lead as leads, lookups
from core.platform.errors import NotFound, PermissionDenied
from core.privacy import audit_search, consent as privacy, rights as privacy_rights
from core.reports import laporan_export, laporan_sql, recap
from core.reports.laporan import ReportFilter
from tests.conftest import ROOT
from tests.helpers import new_lead
from ui.navigation import PAGES

CHECKED: dict[str, int] = {"pages": 0, "routes": 0, "core": 0}
ROLES = ["anonymous", "admin_sam", "admin_man", "kabeng_sam", "sa_sam", "ho"]
# SAM01's customer as any page might show it: a branch user of MAN01 must see none of it.
SAM_PERSONAL = ("RESTU ANDIKA", "6472020504010003", "0858-4516-4510", "+6285845164510", "KT 2146 FK")
# Pages that open one record from the URL: which SAM01 record to point them at.
DEEP_LINKS: dict[str, Callable[[Any, Any], dict[str, str]]] = {
    "pages/lead.py": lambda world, lead: {"id": str(lead.id)},
    "pages/customer.py": lambda world, lead: {"id": str(world.customer_sam.id)},
}


def _texts(at: AppTest) -> str:
    out: list[str] = []
    for element in [*at.main, *at.sidebar]:
        for attr in ("value", "label", "options", "body"):
            try:
                value = getattr(element, attr)
            except Exception:  # not every element has every attribute
                continue
            out.append(value.to_string() if isinstance(value, pd.DataFrame) else str(value))
    return " ".join(out)


def _run(world: Any, path: str, viewer: Viewer | None, query: dict[str, str] | None = None) -> AppTest:
    at = AppTest.from_file(str(ROOT / path), default_timeout=30)
    if viewer is not None:
        at.session_state["h23_viewer"] = viewer
    for key, value in (query or {}).items():
        at.query_params[key] = value
    return at.run()


@pytest.fixture
def sam_lead(world):
    new_lead(world, world.admin_man, customer=world.customer_man, vehicle=world.vehicle_man)
    return new_lead(world)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("spec", PAGES, ids=[p.url_path for p in PAGES])
def test_page_matrix(world, sam_lead, spec, role):
    ui.context._override = world.db
    try:
        viewer = None if role == "anonymous" else getattr(world, role)
        query = DEEP_LINKS[spec.path](world, sam_lead) if spec.path in DEEP_LINKS else None
        at = _run(world, spec.path, viewer, query)
    finally:
        ui.context._override = None
    CHECKED["pages"] += 1
    assert not at.exception, [e.value for e in at.exception]
    text = _texts(at)
    if viewer is None:
        assert "Silakan login" in text and not any(s in text for s in SAM_PERSONAL)
        return
    refused = any("tidak berhak" in e.value for e in at.error)
    assert refused == (not viewer.can(spec.perm)), text[:300]
    if refused or not viewer.may_see_branch(world.sam.id):
        leaked = [s for s in SAM_PERSONAL if s in text]
        assert leaked == [], f"{spec.path} shows SAM01 data to {role}: {leaked}"


def test_the_leak_check_can_see_sam_data_where_it_belongs(world, sam_lead):
    """The matrix's 'no SAM01 data' check is meaningful: the same pages show it to SAM01's admin."""
    ui.context._override = world.db
    try:
        shown = _texts(_run(world, "pages/leads.py", world.admin_sam))
        lead_page = _texts(_run(world, "pages/lead.py", world.admin_sam, {"id": str(sam_lead.id)}))
    finally:
        ui.context._override = None
    assert "RESTU ANDIKA" in shown and "RESTU ANDIKA" in lead_page


# ---------------------------------------------------------------- core functions, called directly

CORE_CALLS: dict[str, tuple[Perm, Callable[[Any, Viewer, Any, Any], object]]] = {
    "customers.get_customer": (Perm.CUSTOMER_VIEW, lambda s, v, w, lead: customers.get_customer(
        s, v, w.customer_sam.id)),
    "lookups.customer_by_id": (Perm.CUSTOMER_VIEW, lambda s, v, w, lead: lookups.customer_by_id(
        s, v, w.customer_sam.id)),
    "lookups.vehicles_of": (Perm.CUSTOMER_VIEW, lambda s, v, w, lead: lookups.vehicles_of(s, v, w.customer_sam.id)),
    "detail.lead_detail": (Perm.LEAD_VIEW, lambda s, v, w, lead: detail.lead_detail(s, v, lead.id)),
    "leads.get_lead": (Perm.LEAD_VIEW, lambda s, v, w, lead: leads.get_lead(s, v, lead.id)),
    "customers.update_customer": (Perm.CUSTOMER_CHANGE, lambda s, v, w, lead: customers.update_customer(
        s, v, w.customer_sam.id, customers.CustomerInput(address="JL. BARU 1"))),
    "privacy.consent_history": (Perm.CUSTOMER_VIEW, lambda s, v, w, lead: privacy.consent_history(
        s, v, w.customer_sam.id)),
    "privacy.grant_consent": (Perm.CUSTOMER_CHANGE, lambda s, v, w, lead: privacy.grant_consent(
        s, v, w.customer_sam.id, purpose="message", channel="telepon", proof="ya")),
    "privacy_rights.export_customer": (Perm.PRIVACY_MANAGE, lambda s, v, w, lead: privacy_rights.export_customer(
        s, v, w.customer_sam.id)),
    "privacy_rights.anonymise_customer": (Perm.PRIVACY_MANAGE, lambda s, v, w, lead:
                                          privacy_rights.anonymise_customer(s, v, w.customer_sam.id,
                                                                            confirm_code=w.customer_sam.code)),
    "audit_search.search_audit": (Perm.AUDIT_VIEW, lambda s, v, w, lead: audit_search.search_audit(
        s, v, audit_search.AuditFilter())),
}


@pytest.mark.parametrize("role", [r for r in ROLES if r != "anonymous"])
@pytest.mark.parametrize("name", list(CORE_CALLS))
def test_core_matrix(world, sam_lead, name, role):
    """The same refusals as the pages: missing permission -> PermissionDenied; another branch's row ->
    NotFound (or PermissionDenied); own branch and head office -> allowed."""
    viewer: Viewer = getattr(world, role)
    perm, call = CORE_CALLS[name]
    CHECKED["core"] += 1
    with world.db.transaction(viewer.scope, system=viewer.all_branches) as s:
        if not viewer.can(perm):
            with pytest.raises(PermissionDenied):
                call(s, viewer, world, sam_lead)
        elif perm != Perm.AUDIT_VIEW and not viewer.may_see_branch(world.sam.id):
            with pytest.raises((NotFound, PermissionDenied)):
                call(s, viewer, world, sam_lead)
        else:
            call(s, viewer, world, sam_lead)


# ---------------------------------------------------------------- exports and raw-SQL reads, as a branch user

def _xlsx_text(data: bytes) -> str:
    from openpyxl import load_workbook

    wb = load_workbook(io.BytesIO(data), read_only=True)
    return " ".join(str(c) for ws in wb.worksheets for row in ws.iter_rows(values_only=True) for c in row)


def _export(fmt: str) -> Callable[[Any, Viewer, Any], str]:
    def run(s: Any, v: Viewer, w: Any) -> str:
        buf = io.BytesIO()
        laporan_export.export_laporan(s, v, ReportFilter(), buf, fmt)  # type: ignore[arg-type]
        return _xlsx_text(buf.getvalue()) if fmt == "xlsx" else buf.getvalue().decode("utf-8-sig")
    return run


def _copy_csv(s: Any, v: Viewer, w: Any) -> str:
    if s.get_bind().dialect.name != "postgresql":
        pytest.skip("COPY is PostgreSQL's")
    buf = io.BytesIO()
    laporan_sql.copy_csv_pg(s, v, [], buf)  # no branch condition from the caller: the helper adds it
    return buf.getvalue().decode()


# Each returns what the export or read hands the user, as text. Raw reads get no branch condition from their
# caller here (a forgotten filter): core.platform.scoped_sql must add the viewer's branches itself.
READS: dict[str, Callable[[Any, Viewer, Any], str]] = {
    "laporan_export.export_laporan xlsx": _export("xlsx"),
    "laporan_export.export_laporan csv": _export("csv"),
    "laporan_sql.laporan_sql_rows": lambda s, v, w: " ".join(
        str(c) for batch in laporan_sql.laporan_sql_rows(s, v, []) for row in batch for c in row),
    "laporan_sql.csv_blocks": lambda s, v, w: "".join(b.text for b in laporan_sql.csv_blocks(s, v, [])),
    "laporan_sql.copy_csv_pg": _copy_csv,
    "recap.recap_xlsx": lambda s, v, w: _xlsx_text(recap.recap_xlsx(
        s, v, recap.Period(dt.date(2020, 6, 29), dt.date.today()))),
}


@pytest.mark.parametrize("name", list(READS))
def test_exports_and_raw_reads_return_no_other_branchs_row(world, sam_lead, name):
    viewer = world.kabeng_sam  # sam_lead made a Manado lead too  # a branch user who may export: SAM01 only
    with world.db.session(viewer.scope) as s:
        shown = READS[name](s, viewer, world)
    CHECKED["core"] += 1
    assert "SULTJE" not in shown and "MAN01" not in shown  # Manado's customer and branch
    if name != "recap.recap_xlsx":  # the recap counts; the others list the leads
        assert "RESTU ANDIKA" in shown  # the check can see a row where it belongs


# ---------------------------------------------------------------- HTTP routes

routes_module = pytest.importorskip("web.routes")
SECRET, VERIFY, SMS_TOKEN = "app-secret-for-tests", "verify-token-for-tests", "sms-token-for-tests"


def _creds():
    from core.messaging.config import ProviderCredentials, SmsCredentials, WhatsAppCredentials

    return ProviderCredentials(WhatsAppCredentials(app_secret=SECRET, verify_token=VERIFY),
                               SmsCredentials(preset="generic", webhook_token=SMS_TOKEN))


def _wa_body() -> bytes:
    return json.dumps({"object": "whatsapp_business_account", "entry": []}).encode()


# (method, path) -> {caller: (request kwargs, allowed status codes)}. Callers: anonymous (no credentials),
# forged (credentials that do not match), provider (the real signature / token).
ROUTE_CALLS: dict[tuple[str, str], dict[str, tuple[dict[str, Any], set[int]]]] = {
    ("GET", "/healthz"): {
        "anonymous": ({}, {200}), "forged": ({"headers": {"x-hub-signature-256": "sha256=00"}}, {200}),
        "provider": ({}, {200}),
    },
    ("GET", "/webhooks/whatsapp"): {
        "anonymous": ({"params": {"hub.mode": "subscribe", "hub.challenge": "42"}}, {401, 403}),
        "forged": ({"params": {"hub.mode": "subscribe", "hub.challenge": "42", "hub.verify_token": "x"}}, {401, 403}),
        "provider": ({"params": {"hub.mode": "subscribe", "hub.challenge": "42", "hub.verify_token": VERIFY}}, {200}),
    },
    ("POST", "/webhooks/whatsapp"): {
        "anonymous": ({"content": _wa_body()}, {401, 403}),
        "forged": ({"content": _wa_body(), "headers": {"x-hub-signature-256": "sha256=" + "0" * 64}}, {401, 403}),
        "provider": ({"content": _wa_body(), "headers": {"x-hub-signature-256": "SIGN"}}, {200}),
    },
    ("POST", "/webhooks/sms"): {
        "anonymous": ({"data": {"id": "m1", "status": "delivered"}}, {401, 403}),
        "forged": ({"data": {"id": "m1", "status": "delivered"}, "params": {"token": "wrong"}}, {401, 403}),
        "provider": ({"data": {"id": "m1", "status": "delivered"}, "params": {"token": SMS_TOKEN}}, {200}),
    },
}


def _route_keys() -> list[tuple[str, str]]:
    keys = []
    for route in routes_module.routes(db=None, creds=_creds()):
        for method in sorted(route.methods or {"GET"}):
            if method != "HEAD":
                keys.append((method, route.path))
    return keys


def test_every_route_has_a_row_in_the_matrix():
    assert sorted(set(_route_keys()) - set(ROUTE_CALLS)) == []


@pytest.fixture
def client(world):
    from starlette.applications import Starlette
    from starlette.testclient import TestClient

    app = Starlette(routes=routes_module.routes(db=world.db, creds=_creds()))
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


@pytest.mark.parametrize("caller", ["anonymous", "forged", "provider"])
@pytest.mark.parametrize("key", list(ROUTE_CALLS), ids=[f"{m} {p}" for m, p in ROUTE_CALLS])
def test_route_matrix(client, key, caller):
    from core.messaging.providers import whatsapp

    method, path = key
    kwargs, allowed = ROUTE_CALLS[key][caller]
    kwargs = {k: dict(v) if isinstance(v, dict) else v for k, v in kwargs.items()}
    if kwargs.get("headers", {}).get("x-hub-signature-256") == "SIGN":
        kwargs["headers"]["x-hub-signature-256"] = whatsapp.sign(SECRET, kwargs["content"])
    response = client.request(method, path, **kwargs)
    CHECKED["routes"] += 1
    assert response.status_code in allowed, (response.status_code, response.text[:200])


def test_zz_report_the_matrix_size(world):
    """Printed for the closing note (run with -s): pages x roles, routes x callers, core calls x roles. The
    counts depend on which tests ran before (random order); the matrix's own size does not."""
    assert PAGES and ROUTE_CALLS and CORE_CALLS and READS
    print(f"\npermission matrix: {CHECKED['pages']} page x role, {CHECKED['routes']} route x caller, "
          f"{CHECKED['core']} core call x role checks ({len(PAGES)} pages, {len(ROUTE_CALLS)} routes, "
          f"{len(CORE_CALLS)} core calls) at {dt.datetime.now(dt.UTC):%H:%M} UTC")
