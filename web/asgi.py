"""The served app: the Streamlit pages (app.py) plus our Starlette routes (health, webhooks, the login cookie) on one
ASGI server. run.sh serves it with `streamlit run web/asgi.py` (streamlit finds the st.App below
and runs it under uvicorn)."""

from __future__ import annotations

import sys
from pathlib import Path

import streamlit as st

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # `streamlit run web/asgi.py` puts web/ on sys.path, not the root
    sys.path.insert(0, str(ROOT))

from web.auth_routes import auth_routes  # noqa: E402
from web.routes import routes  # noqa: E402

app = st.App(ROOT / "app.py", routes=[*routes(), *auth_routes()])
