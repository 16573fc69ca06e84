"""Papan Opportunity: one column per opportunity stage with its count and the first cards (soonest
deadline first; Won and Lost latest first); a card opens the lead form."""

from __future__ import annotations

import streamlit as st

from core.accounts import Perm
from core.pipeline import board
from db.enums import Stage
from ui import context, fmt, lead_widgets as w
from ui.words import tr

TOP = 8
TEMP_BADGE = {"hot": ":red-badge[HOT]", "medium": ":orange-badge[MEDIUM]", "cold": ":blue-badge[COLD]"}

viewer = context.require(Perm.LEAD_VIEW)
lang = viewer.lang
st.title(tr("ui.board.title", lang))
_, chosen = context.branch_choice(viewer)
with context.read_session(viewer) as session:
    columns = board.board(session, viewer, chosen, top=TOP)

for col, column in zip(st.columns(len(columns)), columns, strict=True):
    with col:
        st.markdown(f"**{w.STAGE_LABEL[column.stage]}** :gray-badge[{column.count:,}]".replace(",", "."))
        if not column.cards:
            st.caption(tr("ui.board.empty", lang))
        for card in column.cards:
            with st.container(border=True):
                # The customer's name opens the lead (a lead number is too long for a narrow column).
                w.link("pages/lead.py", card.contact_name or card.number, query_params={"id": str(card.lead_id)})
                if card.temperature:
                    st.markdown(TEMP_BADGE.get(card.temperature.value, ""))
                parts = [card.number, card.plate, f"KPB {card.kpb_number}" if card.kpb_number else None,
                         fmt.date_id(card.deadline) if card.deadline and column.stage not in (Stage.WON, Stage.LOST)
                         else None, card.branch_code if chosen is None or len(chosen) > 1 else None]
                st.caption(" · ".join(p for p in parts if p))
        if column.count > len(column.cards):
            w.link("pages/leads.py", tr("ui.board.more", lang, n=f"{column.count - len(column.cards):,}"
                                        .replace(",", ".")), query_params={"stage": column.stage.value})
