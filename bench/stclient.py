"""A headless Streamlit client: Streamlit's own websocket protocol (/_stcore/stream, protobuf BackMsg and
ForwardMsg from the installed streamlit.proto), so one process can be 200 users where 200 chromiums
could not (bench/scale.py).

It does what the browser's frontend does and nothing more: an HTTP GET of the page first (so a
proxy's sticky cookie is set, as for a browser), the websocket with the cookies, then `rerun_script`
messages carrying the widget states, with `fragment_id` when the widget sits in a fragment. It keeps
the element tree by delta path (a new element or block at a path replaces what was under it), so a
widget is found by its key (Streamlit ends a keyed widget's id with "-<key>") or by its label.
One interaction is one rerun: sent, then waited for until the script run that answers it finishes.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import httpx
import websockets
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.WidgetStates_pb2 import WidgetState

EARLY_FOR_RERUN = ForwardMsg.ScriptFinishedStatus.Value("FINISHED_EARLY_FOR_RERUN")
_WIDGETS = ("button", "button_group", "text_input", "checkbox", "selectbox", "date_input", "text_area",
            "number_input", "radio", "multiselect")


class Disconnected(Exception):
    """The websocket closed (the app process behind it died, or the proxy dropped it)."""


@dataclass
class Widget:
    kind: str
    id: str
    label: str
    fragment_id: str
    proto: Any


@dataclass
class Tree:
    """The app as the browser would show it: delta path -> (element kind, element proto, fragment)."""

    nodes: dict[tuple[int, ...], tuple[str, Any, str]] = field(default_factory=dict)

    def put(self, path: tuple[int, ...], kind: str, proto: Any, fragment_id: str) -> None:
        n = len(path)
        for stale in [p for p in self.nodes if len(p) > n and p[:n] == path]:
            del self.nodes[stale]
        self.nodes[path] = (kind, proto, fragment_id)

    def widgets(self) -> list[Widget]:
        out = []
        for _path, (kind, proto, frag) in sorted(self.nodes.items()):
            if kind in _WIDGETS:
                out.append(Widget(kind, proto.id, getattr(proto, "label", ""), frag, proto))
        return out

    def texts(self, kind: str) -> list[str]:
        """The bodies of every element of a kind ("alert", "html", "markdown", "exception")."""
        out = []
        for _path, (k, proto, _frag) in sorted(self.nodes.items()):
            if k == kind:
                out.append(getattr(proto, "body", "") or getattr(proto, "message", ""))
        return out


class StreamlitClient:
    """One browser tab: its cookies, its websocket, its widget states and the tree it shows."""

    def __init__(self, base: str, http: httpx.AsyncClient) -> None:
        self.base = base.rstrip("/")
        self.http = http  # owns the cookie jar (the proxy's sticky cookie, the re-login cookie)
        self.ws: Any = None
        self.session_id = ""
        self.tree = Tree()
        self.states: dict[str, WidgetState] = {}
        self.pages: dict[str, str] = {}  # url path -> page script hash
        self.page_hash = ""
        self._finished: asyncio.Queue[int] = asyncio.Queue()
        self._reader: asyncio.Task[None] | None = None
        self.run_error = ""

    # --- connection ---------------------------------------------------------------------------------

    async def connect(self, query: str = "") -> None:
        """Open the page as a browser does: GET it (cookies), open the stream, run the script."""
        await self.close()
        r = await self.http.get(self.base + "/")
        r.raise_for_status()
        url = urlsplit(self.base)
        ws_url = f"{'wss' if url.scheme == 'https' else 'ws'}://{url.netloc}/_stcore/stream"
        cookies = "; ".join(f"{c.name}={c.value}" for c in self.http.cookies.jar)
        protocols = ["streamlit", "", self.session_id] if self.session_id else ["streamlit"]
        self.ws = await websockets.connect(
            ws_url, subprotocols=protocols,  # type: ignore[arg-type]
            additional_headers={"Origin": self.base, **({"Cookie": cookies} if cookies else {})},
            max_size=None, open_timeout=30, ping_interval=None)
        self.tree = Tree()
        self.states.clear()
        self._finished = asyncio.Queue()
        self._reader = asyncio.create_task(self._read())
        await self.rerun(query=query)

    async def close(self) -> None:
        if self._reader is not None:
            self._reader.cancel()
            self._reader = None
        if self.ws is not None:
            ws, self.ws = self.ws, None
            with contextlib.suppress(Exception):  # closing a dead socket
                await ws.close()

    async def _read(self) -> None:
        try:
            async for data in self.ws:
                msg = ForwardMsg()
                msg.ParseFromString(data)
                self._handle(msg)
        except websockets.ConnectionClosed:
            pass
        finally:
            self._finished.put_nowait(-1)  # wakes a waiting interaction: the socket is gone

    def _handle(self, msg: ForwardMsg) -> None:
        kind = msg.WhichOneof("type")
        if kind == "new_session":
            self.session_id = msg.new_session.initialize.session_id or self.session_id
            self.page_hash = msg.new_session.page_script_hash
        elif kind == "navigation":
            self.pages = {p.url_pathname: p.page_script_hash for p in msg.navigation.app_pages}
            self.page_hash = msg.navigation.page_script_hash or self.page_hash
        elif kind == "delta":
            path = tuple(msg.metadata.delta_path)
            delta = msg.delta
            which = delta.WhichOneof("type")
            if which == "new_element":
                el = delta.new_element
                el_kind = el.WhichOneof("type") or ""
                self.tree.put(path, el_kind, getattr(el, el_kind) if el_kind else None, delta.fragment_id)
                if el_kind == "exception":
                    self.run_error = el.exception.message or el.exception.type
            elif which == "add_block":
                self.tree.put(path, "block", delta.add_block, delta.fragment_id)
        elif kind == "script_finished":
            self._finished.put_nowait(msg.script_finished)
        elif kind == "page_not_found":
            self.run_error = f"page not found: {msg.page_not_found.page_name}"

    # --- interactions -------------------------------------------------------------------------------

    async def rerun(self, *, fragment_id: str = "", query: str = "", page_hash: str | None = None,
                    timeout: float = 60.0) -> None:
        """Send the widget states and wait until the run they cause has finished (a run that ended early
        for another rerun, e.g. st.rerun or switch_page, is followed to its end)."""
        if self.ws is None:
            raise Disconnected("not connected")
        if page_hash is not None:
            self.page_hash = page_hash
        back = BackMsg()
        cs = back.rerun_script
        cs.query_string = query
        cs.page_script_hash = self.page_hash
        cs.fragment_id = fragment_id
        cs.widget_states.widgets.extend(self.states.values())
        cs.context_info.timezone = "Asia/Makassar"
        cs.context_info.locale = "id-ID"
        cs.context_info.url = self.base + "/"
        if not fragment_id:
            self.tree = Tree()  # a full run sends the whole page again; what it does not send is gone
        while not self._finished.empty():
            self._finished.get_nowait()
        self.run_error = ""
        try:
            await self.ws.send(back.SerializeToString())
        except websockets.ConnectionClosed as e:
            raise Disconnected(str(e)) from e
        # A trigger (a button press) is one run's event: the browser does not send it again.
        for wid in [w for w, s in self.states.items() if s.WhichOneof("value") == "trigger_value"]:
            del self.states[wid]
        async with asyncio.timeout(timeout):
            while True:
                status = await self._finished.get()
                if status == -1:
                    raise Disconnected("the websocket closed during the run")
                if status != EARLY_FOR_RERUN:
                    return

    def widget(self, *, key: str | None = None, label: str | None = None, kind: str | None = None) -> Widget:
        for w in self.tree.widgets():
            if ((key is None or w.id.endswith("-" + key)) and (label is None or w.label == label)
                    and (kind is None or w.kind == kind)):
                return w
        raise LookupError(f"no widget key={key!r} label={label!r} on the page")

    def widgets_with_key(self, pattern: str) -> list[Widget]:
        rx = re.compile(r"-" + pattern + r"$")
        return [w for w in self.tree.widgets() if rx.search(w.id)]

    def set_text(self, w: Widget, value: str) -> None:
        self.states[w.id] = WidgetState(id=w.id, string_value=value)

    def set_choice(self, w: Widget, option: str) -> None:
        """A segmented control / pills choice: the wire value is the formatted option."""
        state = WidgetState(id=w.id)
        state.string_array_value.data.append(option)
        self.states[w.id] = state

    def press(self, w: Widget) -> None:
        self.states[w.id] = WidgetState(id=w.id, trigger_value=True)

    async def click(self, w: Widget, timeout: float = 60.0) -> None:
        self.press(w)
        await self.rerun(fragment_id=w.fragment_id, timeout=timeout)

    async def choose(self, w: Widget, option: str, timeout: float = 60.0) -> None:
        self.set_choice(w, option)
        await self.rerun(fragment_id=w.fragment_id, timeout=timeout)

    def alerts(self, fragment_id: str | None = None) -> list[str]:
        """The alerts shown now; with fragment_id, only those drawn by that fragment (one Hari ini row)."""
        return [p.body for _path, (k, p, f) in sorted(self.tree.nodes.items())
                if k == "alert" and (fragment_id is None or f == fragment_id)]

    def errors(self, fragment_id: str | None = None) -> list[str]:
        """Error alerts (of one fragment, with fragment_id) and the last run's exception."""
        bad = [p.body for _path, (k, p, f) in sorted(self.tree.nodes.items())
               if k == "alert" and p.format == p.ERROR and (fragment_id is None or f == fragment_id)]
        return bad + ([self.run_error] if self.run_error else [])
