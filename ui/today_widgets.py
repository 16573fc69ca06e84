"""One row of "Hari ini": who, which unit, by when, a tap to WhatsApp or call, and the outcome form.
The row is a fragment: saving one outcome reruns only that row, not the whole page."""

from __future__ import annotations

import streamlit as st

from core.accounts import Perm, Viewer
from core.customers import format_phone_local
from core.leads import Option, WorkItem
from core.messaging import templates
from core.pipeline import FOLLOWUP_KINDS, OutcomeInput, OutcomeResult, followup_log
from core.platform import DomainError
from db.enums import ContactStatus, Temperature, TouchKind
from ui import context, fmt, lead_widgets as w
from ui.words import tr

KIND_LABEL = {TouchKind.MESSAGE_H7: "WhatsApp H-7", TouchKind.CALL_H3: "Telepon H-3",
              TouchKind.BOOKING_CONFIRM: "Konfirmasi booking", TouchKind.FEEDBACK_H3: "Feedback H+3",
              TouchKind.VISIT: "Kunjungan"}
TEMPERATURE_SHORT = {Temperature.HOT: "HOT", Temperature.MEDIUM: "MEDIUM", Temperature.COLD: "COLD"}
DONE_KEY = "today_done_{}"


def kind_label(kind: TouchKind, lang: str) -> str:
    return tr(f"ui.kind.{kind.value}", lang)


def done_message(result: OutcomeResult, lang: str = "id") -> str:
    if result.followup_number is None:
        return tr("ui.today.done_plain", lang)
    text = tr("ui.today.done_fu", lang, n=result.followup_number)
    return text + (" · Lost" if result.lost else "")


def _header(item: WorkItem, lang: str) -> None:
    title = f"**{item.customer_name or '-'}**"
    if item.overdue:
        title += " :red-badge[" + tr("ui.today.late_since", lang, day=fmt.date_id(item.due_on)) + "]"
    st.markdown(title)
    parts = [item.unit_name, item.plate, f"KPB {item.kpb_number}" if item.kpb_number else None,
             tr("ui.today.deadline", lang, day=fmt.date_id(item.deadline)) if item.deadline else None]
    st.caption(" · ".join(p for p in parts if p) or "-")
    st.caption(" · ".join(p for p in (format_phone_local(item.phone), item.lead_number) if p))
    if item.auto_message:
        st.caption(f":material/send: {item.auto_message}")
    if item.last_reply:
        st.caption(":material/reply: " + tr("ui.today.reply", lang, text=item.last_reply))


@st.cache_data(ttl=60, max_entries=200, show_spinner=False)
def _branch_texts(branch_code: str) -> templates.BranchTexts | None:
    """The branch's message templates (head office's settings, not personal data), a minute old at most."""
    with context.database().session(None, system=True) as session:
        return templates.branch_texts(session, branch_code)


def _contact_button(item: WorkItem, branch_name: str, lang: str) -> None:
    if not item.phone:
        st.caption(tr("ui.today.no_phone", lang))
    elif item.kind == TouchKind.MESSAGE_H7:
        texts = _branch_texts(item.branch_code)
        text = followup_log.message_text(item.kind, item, branch_name, texts.bodies.get(item.kind) if texts else None,
                                         branch_phone=texts.branch_phone if texts else None,
                                         booking=texts.booking if texts else None)
        st.link_button("WhatsApp", followup_log.wa_link(item.phone, text), icon=":material/chat:",
                       type="primary", key=f"today_wa_{item.touch_id}")
    else:
        st.link_button(tr("ui.channel.call", lang), followup_log.tel_link(item.phone), icon=":material/call:",
                       type="primary",
                       key=f"today_tel_{item.touch_id}")


def _outcome(item: WorkItem, reasons: list[Option], lang: str) -> OutcomeInput:
    k = item.touch_id
    if item.lead_id is None or item.kind not in FOLLOWUP_KINDS:
        return OutcomeInput(note=st.text_input(tr("ui.col.note", lang), key=f"today_note_{k}") or None)
    status = st.segmented_control(tr("field.contact_status", lang), list(ContactStatus),
                                  format_func=w.CONTACT_LABEL.__getitem__, key=f"today_status_{k}")
    data = OutcomeInput(contact_status=status)
    # The details are drawn only when asked for: a list of rows each with five idle widgets is slow.
    if not st.toggle(tr("ui.today.details", lang), key=f"today_more_{k}"):
        return data
    with st.container():
        temps = list(Temperature)
        data.temperature = st.segmented_control(tr("field.temperature", lang), temps, key=f"today_temp_{k}",
                                                format_func=TEMPERATURE_SHORT.__getitem__)
        data.promised_date = st.date_input(tr("ui.lead.promised", lang), value=None, format="DD/MM/YYYY",
                                           key=f"today_promise_{k}")
        data.will_not_come = st.checkbox(tr("ui.today.will_not_come", lang), key=f"today_nocome_{k}")
        if data.will_not_come:
            names = w.labels(reasons)
            data.lost_reason_id = st.selectbox(tr("ui.today.why_not", lang) + " *", list(names), index=None,
                                               format_func=names.__getitem__,
                                               placeholder=tr("ui.lead.pick_reason", lang),
                                               key=f"today_reason_{k}")
        data.note = st.text_input(tr("ui.col.note", lang), key=f"today_note_{k}") or None
    return data


@st.fragment
def touch_row(viewer: Viewer, item: WorkItem, branch_name: str, reasons: list[Option]) -> None:
    """One touch: details, the tap to contact, then the outcome in at most two more taps."""
    done_key = DONE_KEY.format(item.touch_id)
    with st.container(border=True):
        _header(item, viewer.lang)
        if done_key in st.session_state:
            st.success(st.session_state[done_key], icon=":material/check_circle:")
            return
        _contact_button(item, branch_name, viewer.lang)
        if not viewer.can(Perm.LEAD_CHANGE):
            return
        slot = st.empty()  # the form, replaced by "Tercatat" once saved (no rerun needed)
        with slot.container():
            data = _outcome(item, reasons, viewer.lang)
            if not st.button(tr("ui.save", viewer.lang), key=f"today_save_{item.touch_id}"):
                return
            try:
                with context.write_session(viewer) as session:
                    result = followup_log.log_outcome(session, viewer, item.touch_id, data)
            except DomainError as e:
                fmt.show_error(e, viewer.lang)
                if e.code == "customer.no_cddb" and item.lead_id is not None:
                    w.link("pages/lead.py", tr("ui.today.complete_cddb", viewer.lang), icon=":material/edit_note:",
                           query_params={"id": str(item.lead_id)})
                return
        st.session_state[done_key] = done_message(result, viewer.lang)
        slot.success(st.session_state[done_key], icon=":material/check_circle:")
