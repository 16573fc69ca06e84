"""One simulated admin for bench/scale.py: logs in through the proxy, then works Hari ini like a person
(a saved outcome every `pace` seconds: read, tap the customer's status, tap Simpan) and every third
outcome opens that lead's Form Lead and comes back. When the app process behind it dies, it does what
the browser does: reconnects (the proxy sends it to a live process) and must be let back in by the
re-login cookie; landing on the login form instead is a lost session.

Every interaction is timed from sending the tap until the run that answers it has finished."""

from __future__ import annotations

import asyncio
import contextlib
import random
import re
import time
from dataclasses import dataclass, field

import httpx

from bench.stclient import Disconnected, StreamlitClient

PASSWORD = "demo1234"
TICKET = re.compile(r"body: '([A-Za-z0-9_-]{20,})'")
STATUS_KEY = r"today_status_(\d+)"


@dataclass
class Record:
    name: str
    seconds: float
    at: float
    ok: bool
    error: str = ""


@dataclass
class Person:
    base: str
    username: str
    branch: str
    slot: int  # this person takes the touches whose id % of == slot (two admins never take the same)
    of: int
    pace: float
    leads: dict[int, int]  # touch id -> lead id (which lead a row opens); -1: leave this touch alone
    seed: int
    floor: bool = False  # against bench/floor_app.py: no login, the same two taps
    records: list[Record] = field(default_factory=list)
    saved: list[int] = field(default_factory=list)
    interrupted: list[int] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    reconnects: int = 0
    lost_sessions: int = 0
    stop: asyncio.Event = field(default_factory=asyncio.Event)

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)
        self.tried: set[int] = set()

    async def _timed(self, name: str, action: object) -> float:
        started = time.perf_counter()
        try:
            await action  # type: ignore[misc]
        except Disconnected:
            raise
        except Exception as e:
            self.records.append(Record(name, time.perf_counter() - started, time.monotonic(), False,
                                       f"{type(e).__name__}: {e}"))
            raise
        seconds = time.perf_counter() - started
        self.records.append(Record(name, seconds, time.monotonic(), True))
        return seconds

    def _fail(self, name: str, error: str) -> None:
        self.records.append(Record(name, 0.0, time.monotonic(), False, error))

    async def _think(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.stop.wait(), timeout=max(0.0, seconds))

    async def run(self) -> None:
        async with httpx.AsyncClient(timeout=60) as http:
            c = StreamlitClient(self.base, http)
            started = False
            try:
                while not self.stop.is_set():
                    try:
                        if not started:
                            await self._start(c)
                            started = True
                        await self._cycle(c)
                    except (Disconnected, OSError, httpx.HTTPError):
                        if started:
                            await self._come_back(c)
                        else:  # cut off while logging in (its process died): open the page again
                            await self._think(1.0)
                    except Exception:  # recorded by _timed; carry on like a person would
                        await self._think(1.0)
            finally:
                await c.close()

    async def _start(self, c: StreamlitClient) -> None:
        query = f"cabang={self.branch}&rows=30" if self.floor else ""
        await self._timed("open", c.connect(query=query))
        if not self.floor:
            await self._login(c)

    async def _login(self, c: StreamlitClient) -> None:
        c.set_text(c.widget(label="Username"), self.username)
        c.set_text(c.widget(label="Password"), PASSWORD)
        await self._timed("login", c.click(c.widget(label="Masuk")))
        if c.errors():
            self._fail("login", "; ".join(c.errors()))
            raise RuntimeError("login refused")
        ticket = TICKET.search(" ".join(c.tree.texts("html")))
        if ticket is None:  # the page offers the ticket on every run until redeemed
            await c.rerun()
            ticket = TICKET.search(" ".join(c.tree.texts("html")))
        if ticket is None:
            self._fail("cookie", "the page offered no re-login ticket")
            return
        r = await c.http.post(self.base + "/auth/cookie", content=ticket.group(1),
                              headers={"Content-Type": "text/plain"})
        if r.status_code != 204:
            self._fail("cookie", f"POST /auth/cookie answered {r.status_code}")

    def _next_row(self, c: StreamlitClient) -> tuple[int, str] | None:
        for w in c.widgets_with_key(r"status_(\d+)" if self.floor else STATUS_KEY):
            touch_id = int(w.id.rsplit("_", 1)[1])
            # Only touches known when the run began (the worker plans more meanwhile), and not those to avoid.
            if touch_id % self.of == self.slot and touch_id not in self.tried and self.leads.get(touch_id, -1) != -1:
                return touch_id, w.id
        return None

    async def _cycle(self, c: StreamlitClient) -> None:
        await self._think(self.pace * self.rng.uniform(0.75, 0.9))
        if self.stop.is_set():
            return
        row = self._next_row(c)
        if row is None and not self.floor:
            await self._timed("reload", c.click(c.widget(key="today_reload")))
            row = self._next_row(c)
        if row is None:
            return
        touch_id, _ = row
        self.tried.add(touch_id)
        prefix = "" if self.floor else "today_"
        status = c.widget(key=f"{prefix}status_{touch_id}")
        await self._timed("status", c.choose(status, status.proto.options[0].content))
        await self._think(self.pace * self.rng.uniform(0.03, 0.07))
        save = c.widget(key=f"{prefix}save_{touch_id}")
        try:
            await self._timed("save", c.click(save))
        except Disconnected:
            self.interrupted.append(touch_id)  # sent, answer lost with the process: checked in the database
            raise
        # The row's own line: other rows saved earlier still show theirs.
        if save.fragment_id and any(a.startswith("Tercatat") for a in c.alerts(save.fragment_id)):
            self.saved.append(touch_id)
        elif c.errors(save.fragment_id) and not c.run_error:
            # A rule said no, as it would to a person (the demo dealer has customers whose CDDB lacks an
            # occupation: converting their lead is refused until it is completed). Not a failure of the stack.
            self.refused.append(f"{touch_id}: {'; '.join(c.errors(save.fragment_id))[:120]}")
        else:
            shown = c.errors(save.fragment_id) or c.alerts(save.fragment_id) or c.errors()
            self._fail("save", "no 'Tercatat' after Simpan: " + "; ".join(shown)[:200])
        if not self.floor and len(self.saved) % 3 == 0:
            await self._lead_form(c, self.leads[touch_id])

    async def _lead_form(self, c: StreamlitClient, lead_id: int) -> None:
        c.states.clear()  # the browser drops the widget states of the page it leaves
        await self._timed("lead_form", c.rerun(page_hash=c.pages["lead"], query=f"id={lead_id}"))
        if c.run_error:  # an exception; the form's own notices (e.g. "CDDB not complete") are its content
            self._fail("lead_form", c.run_error[:200])
        await self._think(self.pace * self.rng.uniform(0.05, 0.12))
        c.states.clear()
        await self._timed("hari_ini", c.rerun(page_hash=c.pages[""], query=""))

    async def _come_back(self, c: StreamlitClient) -> None:
        """The browser's reconnect after its app process died: retry until a live process answers; the
        re-login cookie must let the user in (a login form instead is a lost session, logged in again)."""
        self.reconnects += 1
        started = time.perf_counter()
        deadline = time.monotonic() + 90
        while not self.stop.is_set():
            try:
                await c.connect(query=f"cabang={self.branch}&rows=30" if self.floor else "")
            except Exception:  # refused while the proxy still routes to the dead process
                if time.monotonic() > deadline:
                    self._fail("reconnect", "no live app process within 90 s")
                    return
                await self._think(1.0)
                continue
            if self.floor:
                break
            try:
                c.widget(label="Username")
            except LookupError:
                break  # back in Hari ini: the re-login cookie let this user in
            self.lost_sessions += 1
            self._fail("relogin", "the reconnected page asked for the password again (session lost)")
            try:
                await self._login(c)
                break
            except Exception:  # cut off again: retry
                await self._think(1.0)
        self.records.append(Record("reconnect", time.perf_counter() - started, time.monotonic(), True))
