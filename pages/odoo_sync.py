"""Migrasi Odoo, head office: queue a dry run or a real sync from the dealer's Odoo 8 (run by the worker)
and read the last runs' counts per model and their rejections with the Odoo id and reason."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from core.accounts import Perm
from core.migration import queue_run, recent_runs, server_config
from core.platform import t
from ui import context

viewer = context.require(Perm.SETTINGS_MANAGE)
config = server_config()
lang = context.language(viewer)
db = context.database()
st.title(t("odoo.page_title", lang))
st.caption(t("odoo.page_intro", lang))

if config is None:
    st.info(t("odoo.not_configured", lang))
else:
    st.write(f"{t('odoo.server', lang)}: `{config.url}` · `{config.database}` · `{config.login}`")
    if not config.has_password:
        st.warning(t("odoo.no_password", lang))
    c1, c2 = st.columns(2)
    for column, dry, key in ((c1, True, "odoo_dry"), (c2, False, "odoo_real")):
        if column.button(t("odoo.dry_run" if dry else "odoo.real_run", lang), key=key, type="secondary" if dry
                         else "primary"):
            st.success(t("odoo.queued", lang, id=queue_run(db, dry_run=dry, user_id=viewer.user_id)))


def _state(state: str) -> str:
    return t(f"odoo.state.{state}", lang)


runs = recent_runs(db)
if not runs:  # a sentence, not a heading over nothing
    st.write(t("odoo.no_runs", lang))
else:
    st.subheader(t("odoo.last_runs", lang))
    st.dataframe(pd.DataFrame([{
        t("odoo.col_run", lang): r["id"], t("odoo.col_kind", lang): t("odoo.kind_dry" if r["dry_run"] else
                                                                      "odoo.kind_real", lang),
        t("odoo.col_state", lang): _state(r["state"]),
        t("odoo.col_started", lang): r["started_at"].strftime("%d/%m/%Y %H:%M") if r["started_at"] else "—",
        t("odoo.col_rejected", lang): r["rejected_total"], t("odoo.col_error", lang): r["error"] or "—",
    } for r in runs]), hide_index=True, width="stretch")
    for r in runs[:3]:
        models = (r["counts"] or {}).get("models", {})
        with st.expander(f"{t('odoo.col_run', lang)} {r['id']} · {_state(r['state'])}", expanded=r is runs[0]):
            if models:
                st.dataframe(pd.DataFrame([{
                    t("odoo.col_model", lang): m, **{t(f"odoo.col_{k}", lang): v for k, v in c.items()}}
                    for m, c in models.items()]), hide_index=True, width="stretch")
            for model, error in ((r["counts"] or {}).get("errors") or {}).items():
                st.error(f"{model}: {error}")
            if r["rejections"]:
                st.caption(t("odoo.rejections", lang))
                st.dataframe(pd.DataFrame([{
                    t("odoo.col_model", lang): x["model"], t("odoo.col_id", lang): x["odoo_id"],
                    t("odoo.col_reason", lang): x["reason"]} for x in r["rejections"]]), hide_index=True,
                    width="stretch")
