"""The served app: the Streamlit pages (app.py) plus our Starlette routes (health, webhooks, the login cookie) on one
ASGI server. run.sh serves it with `streamlit run web/asgi.py` (streamlit finds the st.App below
and runs it under uvicorn)."""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import streamlit as st

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # `streamlit run web/asgi.py` puts web/ on sys.path, not the root
    sys.path.insert(0, str(ROOT))

from streamlit import config  # noqa: E402
from streamlit.runtime.pages_manager import PagesManager  # noqa: E402

from core.platform import heartbeat  # noqa: E402
from db.engine import Database, make_engine  # noqa: E402
from web.auth_routes import auth_routes  # noqa: E402
from web.routes import routes  # noqa: E402

# app.py lists its pages with st.navigation; Streamlit would otherwise guess the legacy pages-folder mode
# until app.py's first run sets this, and every session that opened during that first run got other
# widget ids than the runs after it: their first login was silently dropped (the form came back empty),
# which every user of a freshly restarted process met. Set before any session starts.
PagesManager.uses_pages_directory = False


@asynccontextmanager
async def _beating(_app: Any) -> AsyncIterator[None]:
    """This process's row on head office's health page (core.platform.heartbeat), marked stopped when the
    server shuts down (TERM from systemd or run-stack.sh); the proxy itself checks /healthz."""
    beating = heartbeat.Beating(Database(make_engine()), "app", f"port {config.get_option('server.port')}")
    beating.start()
    try:
        yield
    finally:
        beating.stop()


app = st.App(ROOT / "app.py", routes=[*routes(), *auth_routes()], lifespan=_beating)
