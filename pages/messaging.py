"""Pesan Otomatis: per-branch figures (sent, delivered, read, failed, cost) for admins and heads; for
head office also each branch's channels, sending hours, frequency cap and message templates with a
preview. Rules live in core.messaging."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from core.accounts import Perm
from core.leads import lookups
from core.messaging import config as mcfg, preview_vars, stats, templates
from core.platform import DomainError, clock
from db.enums import TouchKind
from ui import context, fmt
from ui.today_widgets import kind_label
from ui.words import tr

FLASH = "messaging_flash"

viewer = context.require(Perm.REPORT_VIEW)
lang = viewer.lang
st.title(tr("ui.msg.title", lang))
if st.session_state.get(FLASH):
    st.success(st.session_state.pop(FLASH), icon=":material/check_circle:")

options, chosen = context.branch_choice(viewer)
if not options:
    st.info(tr("ui.no_branch", lang))
    st.stop()

# --- Figures per branch ------------------------------------------------------------------------------
st.subheader(tr("ui.msg.summary", lang))
with context.read_session(viewer) as session:
    today = clock.today_in(lookups.timezone(session, viewer, chosen or ()))
period = st.date_input(tr("ui.msg.period", lang), value=(today - dt.timedelta(days=29), today), format="DD/MM/YYYY",
                       key="msg_period")
since, until = (period[0], period[-1]) if isinstance(period, tuple) and period else (today, today)
with context.read_session(viewer) as session:
    figures = stats.branch_stats(session, viewer, since, until, chosen)
if figures:
    st.dataframe(pd.DataFrame([{
        tr("ui.branch", lang): f"[{f.code}] {f.name}", tr("ui.msg.queued", lang): f.queued,
        tr("ui.msg.sent", lang): f.sent, tr("ui.msg.delivered", lang): f.delivered, tr("ui.msg.read", lang): f.read,
        tr("ui.msg.failed", lang): f.failed, tr("ui.msg.cost", lang): fmt.rupiah(f.cost)} for f in figures]),
        hide_index=True, width="stretch")
else:
    st.caption(tr("ui.msg.none", lang, since=fmt.date_id(since), until=fmt.date_id(until)))

if not viewer.can(Perm.SETTINGS_MANAGE):
    st.stop()

# --- Head office: a branch's settings ----------------------------------------------------------------
st.divider()
st.subheader(tr("ui.msg.branch_settings", lang))
creds = mcfg.credentials_from_env()
st.caption(tr("ui.msg.wa_ready" if creds.whatsapp_ready else "ui.msg.wa_off", lang)
           + " · " + tr("ui.msg.sms_ready" if creds.sms_ready else "ui.msg.sms_off", lang))
by_id = {o.id: o for o in options}
branch_id = st.selectbox(tr("ui.branch", lang), list(by_id), format_func=lambda i: by_id[i].label, key="msg_branch",
                         index=list(by_id).index(chosen[0]) if chosen and chosen[0] in by_id else 0)
with context.read_session(viewer) as session:
    current = mcfg.branch_messaging(session, branch_id)
    tpl = templates.branch_templates(session, branch_id)
    sample = preview_vars(session, viewer, branch_id)  # this branch, one of its current customers

with st.form(f"msg_settings_{branch_id}"):
    st.markdown(tr("ui.msg.channels", lang))
    channels = {}
    for col, kind in zip(st.columns(len(mcfg.AUTO_KINDS)), mcfg.AUTO_KINDS, strict=True):
        channels[kind.value] = col.selectbox(kind_label(kind, lang), mcfg.CHANNELS,
                                             index=mcfg.CHANNELS.index(current.channel_for(kind)),
                                             format_func=lambda c: tr(f"ui.msg.channel.{c}", lang),
                                             key=f"msg_ch_{branch_id}_{kind.value}")
    c1, c2, c3, c4 = st.columns(4)
    start = c1.text_input(tr("ui.msg.start", lang), current.send_start, help=tr("ui.msg.start_help", lang),
                          key=f"msg_start_{branch_id}")
    end = c2.text_input(tr("ui.msg.end", lang), current.send_end, key=f"msg_end_{branch_id}",
                        help=tr("ui.msg.end_help", lang))
    cap = c3.number_input(tr("ui.msg.cap", lang), 1, 20, current.cap_messages, key=f"msg_cap_{branch_id}")
    cap_days = c4.number_input(tr("ui.msg.cap_days", lang), 1, 60, current.cap_days, key=f"msg_capdays_{branch_id}")
    c5, c6, c7, c8 = st.columns(4)
    pnid = c5.text_input(tr("ui.msg.pnid", lang), current.wa_phone_number_id or "", key=f"msg_pnid_{branch_id}")
    booking = c6.text_input(tr("ui.msg.booking", lang), current.booking_link or "",
                            help=tr("ui.msg.booking_help", lang),
                        key=f"msg_booking_{branch_id}")
    cost_wa = c7.number_input(tr("ui.msg.cost_wa", lang), 0, 100_000, current.cost_whatsapp,
                              key=f"msg_costwa_{branch_id}")
    cost_sms = c8.number_input(tr("ui.msg.cost_sms", lang), 0, 100_000, current.cost_sms,
                               key=f"msg_costsms_{branch_id}")
    if st.form_submit_button(tr("ui.msg.save_settings", lang), type="primary"):
        context.save_and_rerun(viewer, lambda s: mcfg.save_branch_messaging(
            s, viewer, branch_id, channels=channels, send_start=start.strip(), send_end=end.strip(),
            cap_messages=int(cap), cap_days=int(cap_days), wa_phone_number_id=pnid, booking_link=booking,
            cost_whatsapp=int(cost_wa), cost_sms=int(cost_sms)), FLASH, tr("ui.msg.settings_saved", lang))

# --- Head office: templates with a preview --------------------------------------------------------------
st.subheader(tr("ui.msg.templates", lang))
st.caption(tr("ui.msg.variables", lang) + " "
           + ", ".join(f"`{{{k}}}` {tr(f'ui.msg.var.{k}', lang)}" for k in templates.VARIABLES))
kind = st.selectbox(tr("ui.msg.kind", lang), list(TouchKind), format_func=lambda k: kind_label(k, lang),
                    key="msg_tpl_kind")
t = tpl[kind]
body = st.text_area(tr("ui.msg.body", lang), t.body, height=140, key=f"msg_body_{branch_id}_{kind.value}")
c1, c2 = st.columns(2)
wa_name = c1.text_input(tr("ui.msg.wa_name", lang), t.wa_template or "",
                        key=f"msg_wa_{branch_id}_{kind.value}")
category = c2.selectbox(tr("ui.msg.category", lang), ["utility", "marketing"],
                        index=0 if t.wa_category == "utility" else 1,
                        key=f"msg_cat_{branch_id}_{kind.value}")
try:
    preview = templates.render(templates.validate(body), sample)
except DomainError as e:  # a typo in a variable: say which, keep the text
    fmt.show_error(e, viewer.lang)
else:
    st.info(preview, icon=":material/visibility:")
    st.caption(tr("ui.msg.wa_params", lang, n=len(templates.variables_in(body))) + " ({{1}}..)")
if st.button(tr("ui.msg.save_template", lang), key=f"msg_tpl_save_{branch_id}_{kind.value}"):
    context.save_and_rerun(viewer, lambda s: templates.save_template(s, viewer, branch_id, kind, body, wa_name,
                                                                     category), FLASH, tr("ui.msg.template_saved",
                                                                                          lang))
