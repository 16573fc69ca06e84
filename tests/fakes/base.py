"""A generic fake HTTP server for tests: real HTTP on 127.0.0.1 (a free port), in a thread.

`FakeHttpServer` routes (method, path) -> handler, logs every request, and injects faults on the next
calls (an HTTP error, a hang longer than the client's timeout, a body that is not JSON). A fake for one
system (e.g. tests/fakes/dgi_server.py) adds its routes and rules."""

from __future__ import annotations

import abc
import json
import socketserver
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self


class ServedInThread(abc.ABC):
    """A socketserver on 127.0.0.1 served by a daemon thread until stop() or the end of a with-block."""

    _server: socketserver.TCPServer | None = None

    @abc.abstractmethod
    def start(self) -> Self:
        """Build the server and hand it to _serve; returns self."""

    def _serve(self, server: socketserver.TCPServer, name: str) -> None:
        assert isinstance(server, socketserver.ThreadingMixIn)
        server.daemon_threads = True  # a hung client never keeps the test process alive
        self._server = server
        threading.Thread(target=server.serve_forever, args=(0.05,), name=name, daemon=True).start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


@dataclass
class FakeRequest:
    method: str
    path: str
    headers: dict[str, str]  # lower-case names
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body or b"null")


@dataclass
class FakeResponse:
    status: int = 200
    body: Any = None  # bytes/str are sent as they are, anything else as JSON
    headers: dict[str, str] = field(default_factory=dict)

    def encoded(self) -> tuple[bytes, str]:
        if isinstance(self.body, bytes):
            return self.body, "application/octet-stream"
        if isinstance(self.body, str):
            return self.body.encode(), "text/plain; charset=utf-8"
        return json.dumps(self.body).encode(), "application/json"


Handler = Callable[[FakeRequest], FakeResponse]


@dataclass
class _Fault:
    kind: str  # "status" | "hang" | "garbage"
    status: int = 500
    seconds: float = 0.0


class FakeHttpServer(ServedInThread):
    """A threaded HTTP server on 127.0.0.1:<free port>; use as a context manager."""

    def __init__(self) -> None:
        self.routes: dict[tuple[str, str], Handler] = {}
        self.requests: list[FakeRequest] = []
        self._faults: list[_Fault] = []
        self._lock = threading.Lock()

    # -- faults for the next calls (in order) --------------------------------------------------
    def fail_next(self, times: int = 1, status: int = 500) -> None:
        with self._lock:
            self._faults += [_Fault("status", status=status)] * times

    def hang_next(self, seconds: float, times: int = 1) -> None:
        with self._lock:
            self._faults += [_Fault("hang", seconds=seconds)] * times

    def garble_next(self, times: int = 1) -> None:
        with self._lock:
            self._faults += [_Fault("garbage")] * times

    # -- life ----------------------------------------------------------------------------------
    @property
    def url(self) -> str:
        assert self._server is not None, "server not started"
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> FakeHttpServer:
        fake = self

        class _Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as real gateways do

            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                req = FakeRequest(self.command, self.path, {k.lower(): v for k, v in self.headers.items()},
                                  self.rfile.read(length) if length else b"")
                resp = fake._dispatch(req)
                body, ctype = resp.encoded()
                try:
                    self.send_response(resp.status)
                    self.send_header("Content-Type", resp.headers.get("Content-Type", ctype))
                    self.send_header("Content-Length", str(len(body)))
                    for k, v in resp.headers.items():
                        if k != "Content-Type":
                            self.send_header(k, v)
                    self.end_headers()
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):  # the client gave up (a timeout test)
                    self.close_connection = True

            do_GET = do_POST = do_PUT = do_DELETE = _serve

            def log_message(self, format: str, *args: Any) -> None:  # keep test output quiet
                pass

        self._serve(ThreadingHTTPServer(("127.0.0.1", 0), _Handler), "fake-http")
        return self

    # -- dispatch ------------------------------------------------------------------------------
    def _dispatch(self, req: FakeRequest) -> FakeResponse:
        with self._lock:
            self.requests.append(req)
            fault = self._faults.pop(0) if self._faults else None
        if fault is not None:
            if fault.kind == "status":
                return FakeResponse(fault.status, {"status": 0, "message": "injected failure", "data": None})
            if fault.kind == "garbage":
                return FakeResponse(200, b"<html>Bad Gateway</html>", {"Content-Type": "application/json"})
            time.sleep(fault.seconds)
        handler = self.routes.get((req.method, req.path.split("?")[0]))
        if handler is None:
            return FakeResponse(404, {"status": 0, "message": "not found", "data": None})
        return handler(req)
