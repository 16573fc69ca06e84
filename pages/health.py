"""Kesehatan Sistem, head office: every app process and worker of the stack with its last heartbeat
(core.platform.heartbeat), so a process that died or hung is seen on one page. Read-only."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from core.accounts import Perm
from core.leads import lookups
from core.platform import heartbeat
from ui import context, fmt
from ui.words import tr

viewer = context.require(Perm.SETTINGS_MANAGE)
lang = viewer.lang
st.title(tr("ui.health.title", lang))
st.caption(tr("ui.health.caption", lang, every=f"{heartbeat.EVERY:g}",
              late=f"{heartbeat.LATE_AFTER.total_seconds():g}"))
st.button(tr("ui.health.reload", lang), icon=":material/refresh:", key="health_reload")

with context.read_session(viewer) as session:
    rows = heartbeat.processes(session)
    tz = lookups.timezone(session, viewer)  # the stack is one for the group: head office's clock
if not rows:
    st.info(tr("ui.health.none", lang))
    st.stop()
counts = {state: sum(r.state == state for r in rows) for state in ("alive", "late", "stopped")}
(st.error if counts["late"] else st.success)(tr("ui.health.summary", lang, **counts))
st.dataframe(pd.DataFrame({
    tr("ui.health.state", lang): [tr(f"ui.health.state.{r.state}", lang) for r in rows],
    tr("ui.health.kind", lang): [tr(f"ui.health.kind.{r.kind}", lang) for r in rows],
    tr("ui.health.host", lang): [r.host for r in rows],
    "PID": [r.pid for r in rows],
    tr("ui.health.detail", lang): [r.detail or "" for r in rows],
    tr("ui.health.started", lang): [fmt.datetime_id(r.started_at, tz) for r in rows],
    tr("ui.health.beat", lang): [fmt.datetime_id(r.beat_at, tz) for r in rows],
}), hide_index=True, width="stretch")
