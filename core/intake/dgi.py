"""A client for AHM's DGI (Dealer Gateway Interface); its JSON is mapped to our import columns by
core.intake.dgi_records.

AHM does not publish the DGI specification; the shape below follows what the dealer systems that talk
to it show publicly (and the issue text):
- POST {base_url}/{endpoint}/read with a JSON body {fromTime, toTime, dealerId}; times as
  "yyyy-MM-dd HH:mm:ss" in the dealer's local time; AHM's endpoints refuse windows longer than a few
  days (7 here, a setting), so a longer window is asked for in pieces;
- headers X-Request-Time (epoch seconds, checked against the server clock), DGI-API-Key and
  DGI-API-Token = sha256 hex of api key + secret + X-Request-Time (no separators);
- the answer is {"status": 1, "message": null, "data": [...]} (status 0 and a message when refused);
  dates in the records are "dd/MM/yyyy" (with " HH:mm:ss" for stamps);
- "pkb" (work orders) records carry the unit (noMesin, noRangka, noPolisi, kodeTipeUnit, kmTerakhir)
  and a nested "services" list whose jenisPekerjaan is the AHM job code (ASS1..4, QS, LR...);
- "spk" (sales orders) carry the customer (namaCustomer, noKtp, noKontak, alamat) and a nested "unit"
  list (kodeTipeUnit, kodeWarna) but no engine number: that is known only at delivery, so a sale is a
  "bast" (delivery) detail line (noMesin, noRangka, idSPK) joined to its SPK.
Field names live in the two *_frame functions only (core.intake.dgi_records), so a dealer whose gateway
differs is fixed there.
Record values are passed on as sent: a value with a control character (core.platform.text_input) is rejected by the
import like a file's cell, naming the endpoint, window, record and DGI field, and the rest is imported.

Config per dealer comes from the environment (H23_DGI_DEALERS: a JSON list, or H23_DGI_CONFIG: the
path of a JSON file with that list); each entry: name, base_url, api_key, secret (or secret_env: the
name of the variable that holds it), dealer_id, and optionally branches {dealerId: our branch code}
(default: the branch whose AHASS code is the record's dealerId), timezone, timeout, retries, backoff.
The secret is never logged nor shown (repr=False; errors name the dealer, endpoint and HTTP status)."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import os
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import requests

from core.platform import clock
from core.platform.errors import DomainError
from core.platform.i18n import register
from core.platform.text_input import visible

log = logging.getLogger("h23.dgi")

register({
    "dgi.auth_failed": {
        "id": "DGI dealer {dealer} menolak kunci API (HTTP {status}): periksa api key, secret dan jam server",
        "en": "DGI dealer {dealer} refused the API key (HTTP {status}): check the api key, secret and server clock",
    },
    "dgi.refused": {
        "id": "DGI dealer {dealer} menolak permintaan {endpoint} (HTTP {status}): {message}",
        "en": "DGI dealer {dealer} refused the {endpoint} request (HTTP {status}): {message}",
    },
    "dgi.unavailable": {
        "id": "DGI dealer {dealer} tidak dapat dihubungi untuk {endpoint} setelah {attempts} percobaan: {reason}",
        "en": "DGI dealer {dealer} could not be reached for {endpoint} after {attempts} attempts: {reason}",
    },
    "dgi.bad_json": {
        "id": "DGI dealer {dealer} mengirim jawaban {endpoint} yang bukan JSON yang diharapkan: {detail}",
        "en": "DGI dealer {dealer} sent a {endpoint} answer that is not the expected JSON: {detail}",
    },
    "dgi.bad_config": {
        "id": "konfigurasi DGI tidak valid: {detail}",
        "en": "invalid DGI configuration: {detail}",
    },
    "dgi.spk_missing": {
        "id": "SPK unit ini tidak ditemukan di DGI (dicari {days} hari ke belakang)",
        "en": "this unit's SPK was not found in DGI (looked {days} days back)",
    },
})

TIME_FORMAT = "%Y-%m-%d %H:%M:%S"
_NO_DATA = re.compile(r"tidak ada data|data tidak ditemukan|no data", re.IGNORECASE)
ENDPOINTS = ("pkb", "spk", "bast")


class DgiError(DomainError):
    """The DGI pull of one dealer failed; the message names the dealer (never the secret)."""


@dataclass(frozen=True)
class DgiDealer:
    name: str  # ours, for logs, job keys and messages (e.g. the AHASS code)
    base_url: str  # e.g. https://gateway.example/dgi-api/v1
    api_key: str
    secret: str = field(repr=False)
    dealer_id: str  # AHM dealer code sent as dealerId
    branches: dict[str, str] = field(default_factory=dict)  # DGI dealerId -> our branch code
    timezone: str = clock.WIB  # fromTime/toTime are the gateway's wall clock
    timeout: float = 30.0
    retries: int = 3  # extra attempts after a 5xx, a timeout or a dropped connection
    backoff: float = 1.0  # seconds before the first retry; doubles each time


def load_dealers(environ: dict[str, str] | None = None) -> list[DgiDealer]:
    """The configured DGI dealers; [] when DGI is not configured (the pull is then off)."""
    env = os.environ if environ is None else environ
    raw = env.get("H23_DGI_DEALERS", "").strip()
    path = env.get("H23_DGI_CONFIG", "").strip()
    if not raw and path:
        raw = Path(path).read_text(encoding="utf-8")
    if not raw:
        return []
    try:
        entries = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise DgiError("dgi.bad_config", detail=f"not JSON ({exc.msg})") from None
    if not isinstance(entries, list):
        raise DgiError("dgi.bad_config", detail="expected a list of dealers")
    dealers = []
    for entry in entries:
        if not isinstance(entry, dict):
            raise DgiError("dgi.bad_config", detail="each dealer is an object")
        secret = entry.get("secret") or env.get(str(entry.get("secret_env", "")), "")
        missing = [k for k in ("name", "base_url", "api_key", "dealer_id") if not entry.get(k)]
        if missing or not secret:
            raise DgiError("dgi.bad_config", detail=f"dealer {entry.get('name', '?')}: missing "
                           + ", ".join(missing + ([] if secret else ["secret"])))
        dealers.append(DgiDealer(
            name=str(entry["name"]), base_url=str(entry["base_url"]).rstrip("/"), api_key=str(entry["api_key"]),
            secret=str(secret), dealer_id=str(entry["dealer_id"]),
            branches={str(k): str(v) for k, v in (entry.get("branches") or {}).items()},
            timezone=str(entry.get("timezone", clock.WIB)), timeout=float(entry.get("timeout", 30.0)),
            retries=int(entry.get("retries", 3)), backoff=float(entry.get("backoff", 1.0))))
    return dealers


def token(api_key: str, secret: str, request_time: int | str) -> str:
    """DGI-API-Token: sha256 hex of the key, the secret and X-Request-Time, concatenated."""
    return hashlib.sha256(f"{api_key}{secret}{request_time}".encode()).hexdigest()


def windows(start: dt.datetime, end: dt.datetime, max_days: int) -> Iterator[tuple[dt.datetime, dt.datetime]]:
    """[start, end) in consecutive pieces of at most max_days."""
    step = dt.timedelta(days=max(max_days, 1))
    while start < end:
        yield start, min(start + step, end)
        start = start + step


class DgiClient:
    """Reads one dealer's DGI endpoints over HTTP, with retries on 5xx, timeouts and dropped connections."""

    def __init__(self, dealer: DgiDealer, http: requests.Session | None = None) -> None:
        self.dealer = dealer
        self.http = http or requests.Session()
        self.calls = 0

    def headers(self, request_time: int) -> dict[str, str]:
        return {"Content-Type": "application/json", "Accept": "application/json",
                "X-Request-Time": str(request_time), "DGI-API-Key": self.dealer.api_key,
                "DGI-API-Token": token(self.dealer.api_key, self.dealer.secret, request_time)}

    def _body(self, start: dt.datetime, end: dt.datetime, extra: dict[str, Any]) -> dict[str, Any]:
        tz = ZoneInfo(self.dealer.timezone)
        return {"fromTime": start.astimezone(tz).strftime(TIME_FORMAT),
                "toTime": end.astimezone(tz).strftime(TIME_FORMAT), "dealerId": self.dealer.dealer_id, **extra}

    def read(self, endpoint: str, start: dt.datetime, end: dt.datetime, **extra: Any) -> list[dict[str, Any]]:
        """The records of one endpoint ("pkb", "spk", "bast") for one window (aware datetimes)."""
        url = f"{self.dealer.base_url}/{endpoint}/read"
        body = self._body(start, end, extra)
        who = {"dealer": self.dealer.name, "endpoint": endpoint}
        attempts = max(self.dealer.retries, 0) + 1
        reason = ""
        for attempt in range(attempts):
            if attempt:
                time.sleep(self.dealer.backoff * 2 ** (attempt - 1))
            self.calls += 1
            try:
                # A fresh X-Request-Time (and token) per attempt: the gateway refuses stale ones.
                resp = self.http.post(url, json=body, headers=self.headers(int(time.time())),
                                      timeout=self.dealer.timeout)
            except (requests.Timeout, requests.ConnectionError) as exc:
                reason = type(exc).__name__
                log.warning("DGI %s %s attempt %d/%d: %s", self.dealer.name, endpoint, attempt + 1, attempts, reason)
                continue
            if resp.status_code >= 500:
                reason = f"HTTP {resp.status_code}"
                log.warning("DGI %s %s attempt %d/%d: %s", self.dealer.name, endpoint, attempt + 1, attempts, reason)
                continue
            if resp.status_code in (401, 403):
                raise DgiError("dgi.auth_failed", dealer=self.dealer.name, status=resp.status_code)
            payload = self._json(resp, who)
            if resp.status_code < 400 and not payload.get("data") and _NO_DATA.search(_message(payload)):
                return []  # some gateways answer an empty window with status 0 and "Tidak Ada Data ..."
            if resp.status_code >= 400 or payload.get("status") not in (1, "1", True):
                raise DgiError("dgi.refused", status=resp.status_code, message=_message(payload), **who)
            data = payload.get("data")
            if data is None:
                return []
            if not isinstance(data, list) or not all(isinstance(r, dict) for r in data):
                raise DgiError("dgi.bad_json", detail="data is not a list of records", **who)
            return data
        raise DgiError("dgi.unavailable", attempts=attempts, reason=reason, **who)

    def _json(self, resp: requests.Response, who: dict[str, str]) -> dict[str, Any]:
        try:
            payload = resp.json()
        except (ValueError, RecursionError):  # RecursionError: JSON nested thousands deep
            raise DgiError("dgi.bad_json", detail=f"HTTP {resp.status_code}, {resp.text[:60]!r}", **who) from None
        if not isinstance(payload, dict):
            raise DgiError("dgi.bad_json", detail="not an object", **who)
        return payload


def _message(payload: dict[str, Any]) -> str:
    message = payload.get("message")
    if isinstance(message, dict):  # some gateways wrap it: {"confirmation": "..."}
        message = "; ".join(str(v) for v in message.values())
    return visible(str(message or "-")[:200])  # no raw control character in the job record (text_input)
