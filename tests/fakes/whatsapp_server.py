"""A local fake of the message providers, spoken to over real HTTP on 127.0.0.1: the WhatsApp Cloud
API send endpoint (/<version>/<phone number id>/messages) and Twilio's Messages.json (see
sms_server.py). It keeps every message it accepted (so tests count what a customer would get),
can be told to fail, delay, or report statuses, and posts those status webhooks, signed, to a URL.

In a test:    with FakeProvider() as fake: ... fake.url, fake.messages, fake.configure(...)
As a process: python -m tests.fakes.whatsapp_server [--port N]   (prints "port N", serves until killed)
Control over HTTP: POST /_fake/config (JSON of configure()'s arguments), GET /_fake/messages,
POST /_fake/reset.

An asyncio server with HTTP/1.1 keep-alive: fast enough (thousands of requests a second) that the
outbox benchmark measures our code, not the fake."""

from __future__ import annotations

import argparse
import asyncio
import base64
import hashlib
import hmac
import itertools
import json
import queue
import threading
import time
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import urllib3


class FakeProvider:
    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self.host, self.port = host, port
        self.lock = threading.Lock()
        self.messages: list[dict[str, Any]] = []
        self.requests = 0
        self._ids = itertools.count(1)
        self.reset()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._hooks: queue.Queue[tuple[str, bytes, dict[str, str]] | None] = queue.Queue()
        self._hook_thread: threading.Thread | None = None
        self._http = urllib3.PoolManager(retries=False, timeout=10)

    # --- behaviour -----------------------------------------------------------------------------
    def reset(self) -> None:
        with self.lock:
            self.messages.clear()
            self.requests = 0
            self.fail_next: list[tuple[int, str]] = []  # (http status, error code) for the next sends
            self.fail_numbers: dict[str, str] = {}  # digits -> error code, every time (permanent)
            self.delay = 0.0  # seconds before answering each send
            self.statuses: list[str] = []  # reported by webhook for each accepted message, in order
            self.status_errors: dict[str, str] = {}  # digits -> error code reported with a "failed" status
            self.webhook_url = ""
            self.app_secret = ""
            self.sms_auth_token = ""

    def configure(self, **kw: Any) -> None:
        with self.lock:
            for k, v in kw.items():
                if k == "fail_next":
                    v = [tuple(x) for x in v]
                setattr(self, k, v)

    def count_by_key(self) -> dict[str, int]:
        out: dict[str, int] = {}
        with self.lock:
            for m in self.messages:
                out[m["key"]] = out.get(m["key"], 0) + 1
        return out

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    # --- HTTP ----------------------------------------------------------------------------------
    async def _route(self, method: str, target: str, headers: dict[str, str], body: bytes) -> tuple[int, Any]:
        path = urlsplit(target).path
        if path == "/_fake/messages":
            with self.lock:
                return 200, {"messages": list(self.messages), "requests": self.requests}
        if path == "/_fake/config" and method == "POST":
            self.configure(**json.loads(body or b"{}"))
            return 200, {"ok": True}
        if path == "/_fake/reset":
            self.reset()
            return 200, {"ok": True}
        if method == "POST" and (path.endswith("/messages") or path.endswith("/marketing_messages")):
            return await self._whatsapp(path, headers, body)
        if method == "POST" and path.endswith("/Messages.json"):
            return await self._twilio(headers, body)
        return 404, {"error": {"message": "not found", "code": 404}}

    def _failure(self, digits: str) -> tuple[int, str] | None:
        with self.lock:
            self.requests += 1
            if self.fail_next:
                return self.fail_next.pop(0)
            if digits in self.fail_numbers:
                return 400, self.fail_numbers[digits]
        return None

    async def _whatsapp(self, path: str, headers: dict[str, str], body: bytes) -> tuple[int, Any]:
        if not headers.get("authorization", "").startswith("Bearer "):
            return 401, {"error": {"message": "no token", "code": 190}}
        if self.delay:
            await asyncio.sleep(self.delay)
        data = json.loads(body)
        digits = str(data.get("to", ""))
        failure = self._failure(digits)
        if failure is not None:
            return failure[0], {"error": {"message": f"fake failure {failure[1]}", "code": int(failure[1])}}
        wamid = f"wamid.FAKE{next(self._ids)}"
        template = data.get("template") or {}
        params = [p.get("text") for c in template.get("components") or [] for p in c.get("parameters") or []]
        msg = {"id": wamid, "channel": "whatsapp", "to": digits, "key": data.get("biz_opaque_callback_data"),
               "template": template.get("name"), "language": (template.get("language") or {}).get("code"),
               "params": params, "endpoint": path.rsplit("/", 1)[-1], "phone_number_id": path.split("/")[-2]}
        with self.lock:
            self.messages.append(msg)
            statuses, url = list(self.statuses), self.webhook_url
        for status in statuses if url else []:
            self._queue_whatsapp_status(msg, status)
        return 200, {"messaging_product": "whatsapp", "contacts": [{"input": digits, "wa_id": digits}],
                     "messages": [{"id": wamid}]}

    async def _twilio(self, headers: dict[str, str], body: bytes) -> tuple[int, Any]:
        if not headers.get("authorization", "").startswith("Basic "):
            return 401, {"code": 20003, "message": "Authenticate"}
        if self.delay:
            await asyncio.sleep(self.delay)
        form = dict(parse_qsl(body.decode()))
        digits = form.get("To", "").lstrip("+")
        failure = self._failure(digits)
        if failure is not None:
            return failure[0], {"code": int(failure[1]), "message": f"fake failure {failure[1]}", "status": failure[0]}
        sid = f"SMFAKE{next(self._ids)}"
        callback = form.get("StatusCallback", "")
        key = dict(parse_qsl(urlsplit(callback).query)).get("key") if callback else None
        msg = {"id": sid, "channel": "sms", "to": digits, "key": key, "body": form.get("Body"),
               "from": form.get("From"), "callback": callback}
        with self.lock:
            self.messages.append(msg)
            statuses = list(self.statuses)
        for status in statuses if callback else []:
            self._queue_twilio_status(msg, callback, status)
        return 201, {"sid": sid, "status": "queued", "to": form.get("To")}

    # --- status webhooks -----------------------------------------------------------------------
    def report(self, msg: dict[str, Any], status: str, error_code: str | None = None) -> None:
        """Send one status for an accepted message now (tests drive out-of-order sequences with it)."""
        if msg["channel"] == "whatsapp":
            self._queue_whatsapp_status(msg, status, error_code)
        else:
            self._queue_twilio_status(msg, msg["callback"], status, error_code)

    def _queue_whatsapp_status(self, msg: dict[str, Any], status: str, error_code: str | None = None) -> None:
        entry: dict[str, Any] = {"id": msg["id"], "status": status, "timestamp": str(int(time.time())),
                                 "recipient_id": msg["to"], "biz_opaque_callback_data": msg["key"]}
        code = error_code or (self.status_errors.get(msg["to"]) if status == "failed" else None)
        if status == "failed":
            entry["errors"] = [{"code": int(code or 131026), "title": "fake failure"}]
        body = json.dumps({"object": "whatsapp_business_account", "entry": [{"id": "WABA", "changes": [
            {"field": "messages", "value": {"messaging_product": "whatsapp",
                                            "metadata": {"phone_number_id": msg.get("phone_number_id")},
                                            "statuses": [entry]}}]}]}).encode()
        sig = "sha256=" + hmac.new(self.app_secret.encode(), body, hashlib.sha256).hexdigest()
        self._post(self.webhook_url, body, {"Content-Type": "application/json", "X-Hub-Signature-256": sig})

    def inbound(self, from_digits: str, text: str, message_id: str | None = None) -> None:
        """A customer writes to the business: the messages webhook Meta would send."""
        body = json.dumps({"object": "whatsapp_business_account", "entry": [{"id": "WABA", "changes": [
            {"field": "messages", "value": {"messaging_product": "whatsapp", "messages": [{
                "from": from_digits, "id": message_id or f"wamid.IN{next(self._ids)}",
                "timestamp": str(int(time.time())), "type": "text", "text": {"body": text}}]}}]}]}).encode()
        sig = "sha256=" + hmac.new(self.app_secret.encode(), body, hashlib.sha256).hexdigest()
        self._post(self.webhook_url, body, {"Content-Type": "application/json", "X-Hub-Signature-256": sig})

    def _queue_twilio_status(self, msg: dict[str, Any], url: str, status: str, error_code: str | None = None) -> None:
        twilio = {"sent": "sent", "delivered": "delivered", "read": "read", "failed": "undelivered"}[status]
        params = {"MessageSid": msg["id"], "MessageStatus": twilio, "To": "+" + msg["to"]}
        if status == "failed":
            params["ErrorCode"] = error_code or "30003"
        data = url + "".join(k + params[k] for k in sorted(params))
        sig = base64.b64encode(hmac.new(self.sms_auth_token.encode(), data.encode(), hashlib.sha1).digest()).decode()
        self._post(url, urlencode(params).encode(),
                   {"Content-Type": "application/x-www-form-urlencoded", "X-Twilio-Signature": sig})

    def _post(self, url: str, body: bytes, headers: dict[str, str]) -> None:
        self._hooks.put((url, body, headers))

    def _deliver_hooks(self) -> None:
        while True:
            item = self._hooks.get()
            if item is None:
                return
            url, body, headers = item
            try:
                self._http.request("POST", url, body=body, headers=headers)
            except urllib3.exceptions.HTTPError:
                pass  # like Meta, a webhook the receiver missed is simply lost here
            finally:
                self._hooks.task_done()

    def wait_webhooks(self, timeout: float = 10) -> None:
        deadline = time.monotonic() + timeout
        while self._hooks.unfinished_tasks and time.monotonic() < deadline:
            time.sleep(0.01)

    # --- server --------------------------------------------------------------------------------
    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                line = await reader.readline()
                if not line:
                    break
                method, target, _ = line.decode("latin-1").split(" ", 2)
                headers: dict[str, str] = {}
                while True:
                    h = await reader.readline()
                    if h in (b"\r\n", b"\n", b""):
                        break
                    k, _, v = h.decode("latin-1").partition(":")
                    headers[k.strip().lower()] = v.strip()
                n = int(headers.get("content-length") or 0)
                body = await reader.readexactly(n) if n else b""
                status, payload = await self._route(method, target, headers, body)
                data = json.dumps(payload).encode()
                writer.write(f"HTTP/1.1 {status} X\r\nContent-Type: application/json\r\n"
                             f"Content-Length: {len(data)}\r\n\r\n".encode() + data)
                await writer.drain()
                if headers.get("connection", "").lower() == "close":
                    break
        except (ConnectionError, asyncio.IncompleteReadError, ValueError):
            pass
        finally:
            writer.close()

    def start(self) -> FakeProvider:
        ready = threading.Event()

        def serve() -> None:
            loop = asyncio.new_event_loop()
            self._loop = loop
            server = loop.run_until_complete(asyncio.start_server(self._handle, self.host, self.port, backlog=512))
            self.port = server.sockets[0].getsockname()[1]
            ready.set()
            loop.run_forever()
            server.close()
            loop.run_until_complete(server.wait_closed())
            loop.close()

        self._thread = threading.Thread(target=serve, daemon=True, name="fake-provider")
        self._thread.start()
        self._hook_thread = threading.Thread(target=self._deliver_hooks, daemon=True, name="fake-webhooks")
        self._hook_thread.start()
        ready.wait(10)
        return self

    def stop(self) -> None:
        self._hooks.put(None)
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
        if self._thread is not None:
            self._thread.join(5)

    def __enter__(self) -> FakeProvider:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    fake = FakeProvider(port=args.port).start()
    print(f"port {fake.port}", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        fake.stop()


if __name__ == "__main__":
    main()
