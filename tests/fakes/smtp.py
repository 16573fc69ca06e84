"""A fake SMTP server for tests: real TCP on 127.0.0.1 (a free port), a small hand-written SMTP
responder per connection in a thread (EHLO/HELO, AUTH PLAIN, MAIL, RCPT, DATA, RSET, NOOP, QUIT, and
STARTTLS when given a TLS context: then, like a submission server, it refuses AUTH before STARTTLS).

It keeps every message it accepted as raw bytes (tests parse them with email.parser), and injects
failures on the next commands of a stage: `fail_next("connect", 421)` greets with 421 and hangs up,
`fail_next("rcpt", 451)` refuses the next recipient for now, `fail_next("data", 554)` refuses a
message for good. A 421 reply at any stage closes the connection, as a real server does."""

from __future__ import annotations

import base64
import contextlib
import socketserver
import ssl
import threading
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from typing import cast

from tests.fakes.base import ServedInThread

STAGES = ("connect", "mail", "rcpt", "data")


@dataclass
class Received:
    mail_from: str
    rcpt_to: list[str]
    data: bytes

    def parsed(self) -> EmailMessage:
        return cast(EmailMessage, BytesParser(policy=policy.default).parsebytes(self.data))


@dataclass
class FakeSmtpServer(ServedInThread):
    messages: list[Received] = field(default_factory=list)
    logins: list[tuple[str, str]] = field(default_factory=list)
    connections: int = 0
    tls: ssl.SSLContext | None = None  # offer STARTTLS with this server context
    encrypted_sessions: int = 0  # connections that switched to TLS
    _faults: dict[str, list[int]] = field(default_factory=lambda: {s: [] for s in STAGES})
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def fail_next(self, stage: str, code: int, times: int = 1) -> None:
        assert stage in STAGES, stage
        with self._lock:
            self._faults[stage] += [code] * times

    def _fault(self, stage: str) -> int | None:
        with self._lock:
            return self._faults[stage].pop(0) if self._faults[stage] else None

    @property
    def port(self) -> int:
        assert self._server is not None, "server not started"
        return int(self._server.server_address[1])

    def start(self) -> FakeSmtpServer:
        fake = self

        class _Handler(socketserver.StreamRequestHandler):
            def reply(self, line: str) -> None:
                self.wfile.write(line.encode() + b"\r\n")
                self.wfile.flush()

            def handle(self) -> None:
                with fake._lock:
                    fake.connections += 1
                code = fake._fault("connect")
                if code is not None:
                    self.reply(f"{code} fake.local service not available, closing")
                    return
                self.reply("220 fake.local ESMTP ready")
                with contextlib.suppress(ConnectionError, OSError):  # the client hung up
                    self.session()

            def start_tls(self) -> None:
                assert fake.tls is not None
                self.reply("220 2.0.0 ready to start TLS")
                self.connection = fake.tls.wrap_socket(self.connection, server_side=True)
                self.rfile = self.connection.makefile("rb")
                self.wfile = self.connection.makefile("wb")
                with fake._lock:
                    fake.encrypted_sessions += 1

            def session(self) -> None:
                mail_from, rcpt_to = "", list[str]()
                encrypted = False
                while line := self.rfile.readline():
                    command = line.decode("utf-8", "replace").rstrip("\r\n")
                    verb = command.split(" ", 1)[0].upper()
                    arg = command[len(verb):].strip()
                    if verb == "EHLO":
                        self.reply("250-fake.local hello")
                        if fake.tls is not None and not encrypted:
                            self.reply("250-STARTTLS")
                        self.reply("250-AUTH PLAIN")
                        self.reply("250 8BITMIME")
                    elif verb == "HELO":
                        self.reply("250 fake.local")
                    elif verb == "STARTTLS" and fake.tls is not None and not encrypted:
                        self.start_tls()
                        encrypted, mail_from, rcpt_to = True, "", []  # RFC 3207: the session starts over
                    elif verb == "AUTH" and fake.tls is not None and not encrypted:
                        self.reply("530 5.7.0 must issue a STARTTLS command first")
                    elif verb == "AUTH":
                        _mech, _, token = arg.partition(" ")
                        _zid, user, password = base64.b64decode(token).decode().split("\0")
                        with fake._lock:
                            fake.logins.append((user, password))
                        self.reply("235 2.7.0 authenticated")
                    elif verb in ("MAIL", "RCPT"):
                        code = fake._fault(verb.lower())
                        if code is not None:
                            self.reply(f"{code} try again later" if code < 500 else f"{code} refused")
                            if code == 421:
                                return
                            continue
                        address = arg.split(":", 1)[1].split(">")[0].strip(" <")
                        if verb == "MAIL":
                            mail_from, rcpt_to = address, []
                        else:
                            rcpt_to.append(address)
                        self.reply("250 2.1.0 ok")
                    elif verb == "DATA":
                        self.reply("354 end data with <CR><LF>.<CR><LF>")
                        data = self.read_data()
                        code = fake._fault("data")
                        if code is not None:
                            self.reply(f"{code} message not accepted")
                            if code == 421:
                                return
                            continue
                        with fake._lock:
                            fake.messages.append(Received(mail_from, list(rcpt_to), data))
                        self.reply("250 2.0.0 queued")
                    elif verb in ("RSET", "NOOP"):
                        self.reply("250 2.0.0 ok")
                    elif verb == "QUIT":
                        self.reply("221 2.0.0 bye")
                        return
                    else:
                        self.reply("502 5.5.2 command not implemented")

            def read_data(self) -> bytes:
                lines = []
                while (line := self.rfile.readline()) not in (b".\r\n", b""):
                    lines.append(line[1:] if line.startswith(b"..") else line)  # undo dot-stuffing
                return b"".join(lines)

        self._serve(socketserver.ThreadingTCPServer(("127.0.0.1", 0), _Handler), "fake-smtp")
        return self
