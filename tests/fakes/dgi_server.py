"""A fake AHM DGI gateway: POST {prefix}/{pkb,spk,bast}/read with the DGI headers checked exactly.

401 when DGI-API-Key is unknown, when X-Request-Time is more than `max_skew` seconds from the server's
clock, or when DGI-API-Token is not sha256(key + secret + X-Request-Time); 400 (status 0) when the
window is longer than `max_days` or its times are not "yyyy-MM-dd HH:mm:ss". It answers the seeded
records of the asked dealer whose `createdTime` ("dd/MM/yyyy HH:mm:ss") lies in [fromTime, toTime].
Faults (500s, hangs, bodies that are not JSON) come from tests/fakes/base.py."""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import time
from typing import Any

from tests.fakes.base import FakeHttpServer, FakeRequest, FakeResponse, Handler

TIME_FORMAT = "%Y-%m-%d %H:%M:%S"
RECORD_TIME = "%d/%m/%Y %H:%M:%S"


@functools.lru_cache(maxsize=100_000)
def _record_time(text: str) -> dt.datetime:
    return dt.datetime.strptime(text, RECORD_TIME)


class DgiFake(FakeHttpServer):
    def __init__(self, api_key: str, secret: str, *, prefix: str = "/dgi-api/v1", max_days: int = 7,
                 max_skew: int = 10) -> None:
        super().__init__()
        self.api_key, self.secret, self.prefix = api_key, secret, prefix
        self.max_days, self.max_skew = max_days, max_skew
        self.empty_as_status0 = False  # answer an empty window as some gateways do: status 0, "Tidak Ada Data"
        self.records: dict[str, list[dict[str, Any]]] = {"pkb": [], "spk": [], "bast": []}
        for endpoint in self.records:
            self.routes[("POST", f"{prefix}/{endpoint}/read")] = self._reader(endpoint)

    @property
    def base_url(self) -> str:
        return self.url + self.prefix

    def reads(self, endpoint: str) -> list[dict[str, Any]]:
        """The bodies of the accepted-or-not read calls of one endpoint, in order."""
        return [r.json() for r in self.requests if r.path == f"{self.prefix}/{endpoint}/read"]

    def _reader(self, endpoint: str) -> Handler:
        return lambda req: self._read(endpoint, req)

    def _refuse(self, status: int, message: str) -> FakeResponse:
        return FakeResponse(status, {"status": 0, "message": message, "data": None})

    def _read(self, endpoint: str, req: FakeRequest) -> FakeResponse:
        key, stamp, given = (req.headers.get(h, "") for h in ("dgi-api-key", "x-request-time", "dgi-api-token"))
        if key != self.api_key:
            return self._refuse(401, "API Key tidak dikenal")
        if not stamp.isdigit() or abs(time.time() - int(stamp)) > self.max_skew:
            return self._refuse(401, "Unix Timestamp Diluar Validasi Detik")
        if given != hashlib.sha256(f"{key}{self.secret}{stamp}".encode()).hexdigest():
            return self._refuse(401, "Token Tidak Valid")
        body = req.json() or {}
        try:
            start = dt.datetime.strptime(body["fromTime"], TIME_FORMAT)
            end = dt.datetime.strptime(body["toTime"], TIME_FORMAT)
        except (KeyError, TypeError, ValueError):
            return self._refuse(400, "fromTime/toTime wajib, format yyyy-MM-dd HH:mm:ss")
        if end - start > dt.timedelta(days=self.max_days) or end < start:
            return self._refuse(400, f"Melebihi Rentang Waktu Pengambilan Data, Max. {self.max_days} hari")
        data = [r for r in self.records[endpoint]
                if r.get("dealerId") == body.get("dealerId")
                and start <= _record_time(r["createdTime"]) <= end]
        if not data and self.empty_as_status0:
            return FakeResponse(200, {"status": 0, "message": "Tidak Ada Data Pada Periode ini", "data": None})
        return FakeResponse(200, {"status": 1, "message": None, "data": data})
