"""The Odoo 8 external API over XML-RPC (the standard library's xmlrpc.client): /xmlrpc/2/common to log in,
/xmlrpc/2/object execute_kw search_read to read a model page by page, in (write_date, id) order from a
watermark, so a run can stop anywhere and the next one carries on from the last page committed."""

from __future__ import annotations

import http.client
import xmlrpc.client
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

PAGE_SIZE = 2_000
TIMEOUT_S = 120.0


class OdooError(RuntimeError):
    """The Odoo server refused or failed: the message says what, in words an operator can act on."""

    def __init__(self, message: str, *, kind: str = "error") -> None:
        super().__init__(message)
        self.kind = kind  # login, access, missing_model, network, error


@dataclass(frozen=True)
class Watermark:
    """The last record read of a model, in the order pages are read: write_date, then id."""

    write_date: str | None = None
    last_id: int = 0

    def domain(self) -> list[Any]:
        """Odoo's domain for 'after this record': later write_date, or the same write_date and a later id."""
        if self.write_date is None:
            return [("id", ">", self.last_id)] if self.last_id else []
        return ["|", ("write_date", ">", self.write_date),
                "&", ("write_date", "=", self.write_date), ("id", ">", self.last_id)]


class _Transport(xmlrpc.client.Transport):
    """Keep-alive HTTP with a timeout: one connection for every page."""

    def __init__(self, timeout: float) -> None:
        super().__init__()
        self._timeout = timeout

    def make_connection(self, host: Any) -> http.client.HTTPConnection:
        conn = super().make_connection(host)
        conn.timeout = self._timeout
        return conn


class _SafeTransport(xmlrpc.client.SafeTransport):
    def __init__(self, timeout: float) -> None:
        super().__init__()
        self._timeout = timeout

    def make_connection(self, host: Any) -> http.client.HTTPSConnection:
        conn = super().make_connection(host)
        conn.timeout = self._timeout
        return conn


def _fault_error(fault: xmlrpc.client.Fault, model: str) -> OdooError:
    """Odoo 8's faults: code 3 access denied (login), 4 access error (rights), else the server's text;
    a model that is not installed answers "Object <model> doesn't exist"."""
    text = str(fault.faultString or "")
    code = str(fault.faultCode)
    if code == "3" or "AccessDenied" in text:
        return OdooError("Odoo refused the login (wrong user or password)", kind="login")
    if code == "4" or "AccessError" in text:
        return OdooError(f"the Odoo user may not read {model}: {text.splitlines()[-1] if text else code}",
                         kind="access")
    if "doesn't exist" in text or "does not exist" in text:
        return OdooError(f"the model {model} is not on this Odoo server", kind="missing_model")
    return OdooError(f"Odoo failed on {model}: {text.strip().splitlines()[-1] if text.strip() else code}")


class OdooClient:
    """A logged-in connection to one Odoo database."""

    def __init__(self, url: str, database: str, login: str, password: str, *, timeout: float = TIMEOUT_S) -> None:
        self.url = url.rstrip("/")
        self.database = database
        self.login = login
        self._password = password
        self._timeout = timeout
        transport = (_SafeTransport if self.url.startswith("https") else _Transport)(timeout)
        common = xmlrpc.client.ServerProxy(f"{self.url}/xmlrpc/2/common", transport=transport, allow_none=True)
        self._object = xmlrpc.client.ServerProxy(f"{self.url}/xmlrpc/2/object", transport=transport,
                                                 allow_none=True)
        try:
            uid = common.authenticate(database, login, password, {})
        except xmlrpc.client.Fault as fault:
            raise _fault_error(fault, "res.users") from None
        except (TimeoutError, OSError, xmlrpc.client.ProtocolError) as exc:
            raise OdooError(f"cannot reach Odoo at {self.url}: {exc}", kind="network") from None
        if not uid:
            raise OdooError(f"Odoo refused the login of {login!r} on database {database!r} (wrong user or password)",
                            kind="login")
        self.uid = int(uid)  # type: ignore[arg-type]  # Odoo answers an int (or False, handled above)

    def call(self, model: str, method: str, args: list[Any], kwargs: dict[str, Any] | None = None) -> Any:
        try:
            return self._object.execute_kw(self.database, self.uid, self._password, model, method, args,
                                           kwargs or {})
        except xmlrpc.client.Fault as fault:
            raise _fault_error(fault, model) from None
        except (TimeoutError, OSError, xmlrpc.client.ProtocolError) as exc:
            raise OdooError(f"lost the connection to Odoo at {self.url}: {exc}", kind="network") from None

    def search_read(self, model: str, domain: list[Any], fields: list[str], *, limit: int,
                    order: str = "write_date asc, id asc") -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = self.call(model, "search_read", [domain],
                                               {"fields": fields, "limit": limit, "order": order})
        return rows

    def pages(self, model: str, fields: list[str], since: Watermark, *,
              page_size: int = PAGE_SIZE) -> Iterator[tuple[list[dict[str, Any]], Watermark]]:
        """Each page of records after `since`, with the watermark that page ends at. Keyset paging (never
        offset): a record written in Odoo while we read moves behind the watermark and comes next run.

        The next page is asked for as soon as a page has arrived, on a second connection, so Odoo prepares
        it while we write this one (the time of a run is then the slower of the two, not their sum)."""
        wanted = sorted({*fields, "id", "write_date"})
        ahead = OdooClient.__new__(OdooClient)  # the same login on its own connection (one per thread)
        ahead.__dict__.update(self.__dict__)
        ahead._object = xmlrpc.client.ServerProxy(f"{self.url}/xmlrpc/2/object", allow_none=True,
                                                  transport=(_SafeTransport if self.url.startswith("https")
                                                             else _Transport)(self._timeout))
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="odoo-prefetch") as pool:
            pending: Future[list[dict[str, Any]]] | None = pool.submit(
                ahead.search_read, model, since.domain(), wanted, limit=page_size)
            while pending is not None:
                rows = pending.result()
                if not rows:
                    return
                last = rows[-1]
                mark = Watermark(last.get("write_date") or None, int(last["id"]))
                pending = (pool.submit(ahead.search_read, model, mark.domain(), wanted, limit=page_size)
                           if len(rows) == page_size else None)
                yield rows, mark
