"""A fake Odoo 8 for tests and the benchmark: the real XML-RPC external API over HTTP (the standard library's
xmlrpc.server), /xmlrpc/2/common authenticate and /xmlrpc/2/object execute_kw search_read with Odoo's
domains, order, limit and offset, its answers (many2one as [id, name], False for empty) and its faults:
a wrong password (authenticate answers False, execute_kw faults AccessDenied), a model the user may not
read (AccessError), a model that is not installed ("Object x doesn't exist").

Stores: `RecordStore` holds records (the seeded dealer, tests/fakes/odoo_seed.py); `SyntheticStore` makes
record i on demand (the benchmark's millions, no memory). `pause_after` holds the N-th search_read until
released, so a test can kill the client in the middle of a run."""

from __future__ import annotations

import bisect
import operator
import threading
import xmlrpc.client
from collections.abc import Callable
from socketserver import ThreadingMixIn
from typing import Any, Self
from xmlrpc.server import MultiPathXMLRPCServer, SimpleXMLRPCDispatcher, SimpleXMLRPCRequestHandler

from tests.fakes.base import ServedInThread

_OPS: dict[str, Callable[[Any, Any], bool]] = {
    "=": operator.eq, "!=": operator.ne, ">": operator.gt, ">=": operator.ge, "<": operator.lt, "<=": operator.le,
    "in": lambda a, b: a in b, "not in": lambda a, b: a not in b}


def _value(v: Any) -> Any:
    return v[0] if isinstance(v, list) and len(v) == 2 and isinstance(v[1], str) else v


def matches(record: dict[str, Any], domain: list[Any]) -> bool:
    """Odoo's prefix-notation domains: leaves (field, op, value) joined by '&' (implicit), '|' and '!'."""
    def ev(pos: int) -> tuple[bool, int]:
        item = domain[pos]
        if item == "|":
            a, pos = ev(pos + 1)
            b, pos = ev(pos)
            return a or b, pos
        if item == "&":
            a, pos = ev(pos + 1)
            b, pos = ev(pos)
            return a and b, pos
        if item == "!":
            a, pos = ev(pos + 1)
            return not a, pos
        name, op, value = item
        return _OPS[op](_value(record.get(name, False)), value), pos + 1

    pos, ok = 0, True
    while pos < len(domain):
        result, pos = ev(pos)
        ok = ok and result
    return ok


class RecordStore:
    """Records of one model, kept in (write_date, id) order."""

    def __init__(self, records: list[dict[str, Any]] | None = None) -> None:
        self.records: dict[int, dict[str, Any]] = {}
        for r in records or ():
            self.records[r["id"]] = r

    def write(self, rid: int, values: dict[str, Any], write_date: str) -> None:
        self.records[rid].update(values, write_date=write_date)

    def search(self, domain: list[Any], order: str, limit: int | None, offset: int) -> list[dict[str, Any]]:
        key = (lambda r: (r["write_date"], r["id"])) if order.startswith("write_date") else (lambda r: r["id"])
        found = sorted((r for r in self.records.values() if matches(r, domain)), key=key)
        return found[offset:offset + limit if limit else None]


class SyntheticStore:
    """n records made on demand by make(i), all with one write_date (the benchmark's import). Only the domains
    the client sends are understood: after (write_date, id), or nothing."""

    def __init__(self, n: int, make: Callable[[int], dict[str, Any]], write_date: str = "2024-01-01 00:00:00") -> None:
        self.n, self.make, self.write_date = n, make, write_date

    def search(self, domain: list[Any], order: str, limit: int | None, offset: int) -> list[dict[str, Any]]:
        start = 1
        if domain:  # the predicate is monotonic in id: find the first id it holds for
            ids = range(1, self.n + 1)
            start = 1 + bisect.bisect_left(ids, True, key=lambda i: matches({"id": i, "write_date": self.write_date},
                                                                             domain))
        first = start + offset
        last = self.n if not limit else min(self.n, first + limit - 1)
        return [self.make(i) for i in range(first, last + 1)]


class _Handler(SimpleXMLRPCRequestHandler):
    rpc_paths = ("/xmlrpc/2/common", "/xmlrpc/2/object")
    protocol_version = "HTTP/1.1"  # keep-alive, as Odoo's werkzeug serves it

    def log_message(self, *args: Any) -> None:  # quiet
        pass


class _Server(ThreadingMixIn, MultiPathXMLRPCServer):
    pass


class FakeOdoo(ServedInThread):
    def __init__(self, stores: dict[str, Any], *, database: str = "dym", users: dict[str, str] | None = None,
                 denied: set[str] | None = None) -> None:
        self.stores = stores
        self.database = database
        self.users = users or {"admin": "admin-pass"}
        self.denied = denied or set()
        self.calls: list[tuple[str, str]] = []
        self.pause_after: int | None = None  # hold the N-th search_read
        self.paused = threading.Event()
        self.release = threading.Event()
        self._lock = threading.Lock()
        self.url = ""

    def _uid(self, login: str) -> int:
        return 1 + sorted(self.users).index(login)

    def authenticate(self, db: str, login: str, password: str, _env: dict[str, Any]) -> int | bool:
        if db != self.database:
            raise xmlrpc.client.Fault(1, f'FATAL:  database "{db}" does not exist')
        return self._uid(login) if self.users.get(login) == password else False

    def version(self) -> dict[str, Any]:
        return {"server_version": "8.0", "server_version_info": [8, 0, 0, "final", 0], "protocol_version": 1}

    def execute_kw(self, db: str, uid: int, password: str, model: str, method: str, args: list[Any],
                   kwargs: dict[str, Any] | None = None) -> Any:
        logins = sorted(self.users)
        if db != self.database or not (1 <= uid <= len(logins)) or self.users[logins[uid - 1]] != password:
            raise xmlrpc.client.Fault(3, "Access denied")
        if model not in self.stores:
            raise xmlrpc.client.Fault(1, "Traceback (most recent call last):\n  ...\nexcept_orm: "
                                         f"('Object Error', \"Object {model} doesn't exist\")")
        if model in self.denied:
            raise xmlrpc.client.Fault(4, "AccessError\nSorry, you are not allowed to access this document. "
                                         f"Only users with the following access level are currently allowed to do "
                                         f"that:\n- CRM/Manager\n\n(Document model: {model})")
        if method != "search_read":
            raise xmlrpc.client.Fault(1, f"method {method} is not in this fake")
        kwargs = kwargs or {}
        with self._lock:
            self.calls.append((model, method))
            count = len(self.calls)
        if self.pause_after is not None and count >= self.pause_after:
            self.paused.set()
            self.release.wait(timeout=120)
        domain = args[0] if args else kwargs.get("domain", [])
        rows = self.stores[model].search(domain, kwargs.get("order", "id"), kwargs.get("limit"),
                                         kwargs.get("offset", 0))
        fields = kwargs.get("fields")
        if not fields:
            return rows
        return [{f: r.get(f, False) for f in ("id", *fields)} for r in rows]

    def start(self) -> Self:
        server = _Server(("127.0.0.1", 0), requestHandler=_Handler, allow_none=True, logRequests=False)
        common = SimpleXMLRPCDispatcher(allow_none=True)
        common.register_function(self.authenticate, "authenticate")
        common.register_function(self.version, "version")
        obj = SimpleXMLRPCDispatcher(allow_none=True)
        obj.register_function(self.execute_kw, "execute_kw")
        server.add_dispatcher("/xmlrpc/2/common", common)
        server.add_dispatcher("/xmlrpc/2/object", obj)
        self.url = f"http://127.0.0.1:{server.server_address[1]}"
        self._serve(server, "fake-odoo")
        return self

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.release.set()
        self.stop()
