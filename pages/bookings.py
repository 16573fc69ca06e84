"""Booking Service: the day's bookings of a branch, their actions (post, work order, cancel) and
the walk-in booking form. Rules live in core.bookings.booking; this page reads widgets and renders."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pandas as pd
import streamlit as st

from core import bookings
from core.accounts import Perm
from core.bookings import queries as booking_queries
from core.platform import DomainError, clock
from db.enums import BookingState, ServiceKind
from ui import context, fmt
from ui.booking_words import bw
from ui.words import tr

viewer = context.require(Perm.BOOKING_VIEW)
lang = viewer.lang

STATE_LABELS = {BookingState.DRAFT: "Draft", BookingState.POSTED: "Posted",
                BookingState.WORK_ORDER: "Work Order", BookingState.CANCELLED: tr("ui.cancelled", lang)}

st.title(tr("ui.bk.title", lang))

flash = st.session_state.pop("bk_flash", None)
if flash:
    st.success(flash)

with context.read_session(viewer) as s:
    branches = [(b.id, b.label, b.timezone) for b in booking_queries.branches_for(s, viewer)]
if not branches:
    st.info(tr("ui.no_branch", lang))
    st.stop()
by_id = {b[0]: b for b in branches}

left, right = st.columns([3, 1])
_, sidebar_branches = context.branch_choice(viewer)  # head office: the branch picked in the sidebar first
first = list(by_id).index(sidebar_branches[0]) if sidebar_branches and sidebar_branches[0] in by_id else 0
branch_id = left.selectbox(tr("ui.branch", lang), list(by_id), index=first, format_func=lambda i: by_id[i][1],
                           key="bk_branch")
tz = by_id[branch_id][2]
day = right.date_input(tr("field.date", lang), value=clock.today_in(tz), key=f"bk_day_{branch_id}", format="DD/MM/YYYY")


def _service(kind: ServiceKind, kpb: int | None) -> str:
    return f"KPB {kpb}" if kind == ServiceKind.KPB else kind.value


@dataclass(frozen=True)
class Row:
    id: int
    version: int
    state: BookingState
    number: str
    customer: str
    shown: dict[str, str]


with context.read_session(viewer) as s:
    rows = [Row(b.id, b.version, b.state, b.number, b.customer.name if b.customer else "-", {
        tr("ui.bk.hour", lang): clock.local(b.booking_at, tz).strftime("%H:%M"), tr("ui.bk.number", lang): b.number,
        "Customer": b.customer.name if b.customer else "-", tr("field.plate",
                                                               lang): (b.vehicle.plate or "-") if b.vehicle else "-",
        tr("ui.bk.service", lang): _service(b.service_kind, b.kpb_number), "Pit": b.pit.name if b.pit else "-",
        tr("field.mechanic",
           lang): b.mechanic.name if b.mechanic else "-", "SA": b.service_advisor.name if b.service_advisor else "-",
        tr("ui.status", lang): STATE_LABELS[b.state],
    }) for b in bookings.bookings_of_day(s, viewer, branch_id, day)]

st.subheader(tr("ui.bk.day", lang, day=fmt.date_id(day)))
if rows:
    st.dataframe(pd.DataFrame([r.shown for r in rows]), hide_index=True)
else:
    st.caption(tr("ui.bk.none", lang))


def _act(action: str, call: Callable[[Any], Any]) -> None:
    context.save_and_rerun(viewer, call, "bk_flash", action)


live = {r.id: r for r in rows if r.state in (BookingState.DRAFT, BookingState.POSTED)}
if live and viewer.can(Perm.BOOKING_POST):
    st.subheader(tr("ui.bk.actions", lang))
    chosen = st.selectbox("Booking", list(live), key="bk_selected",
                          format_func=lambda i: f"{live[i].number} · {live[i].customer} · "
                                                f"{STATE_LABELS[live[i].state]}")
    row = live[chosen]
    c1, c2, c3 = st.columns(3)
    if row.state == BookingState.DRAFT and c1.button("Post", key="bk_post", type="primary"):
        _act(tr("ui.bk.posted", lang, number=row.number),
             lambda s: bookings.post_booking(s, viewer, row.id, expected_version=row.version))
    if row.state == BookingState.POSTED:
        km = c2.number_input(tr("ui.bk.km", lang), min_value=0, max_value=500_000, step=100, value=None, key="bk_km")
        if c2.button(tr("ui.bk.make_wo", lang), key="bk_wo", type="primary"):
            try:  # the flash names the work order made (its number is what the mechanic asks for)
                with context.write_session(viewer) as s:
                    wo = bookings.create_work_order(s, viewer, row.id, km=int(km) if km is not None else None,
                                                    expected_version=row.version)
                    made = bw("work_order_made", viewer.lang, wo=wo.number, booking=row.number, job=wo.job_type)
            except DomainError as e:
                fmt.show_error(e, viewer.lang)
            else:
                st.session_state["bk_flash"] = made
                st.rerun()
    reason = c3.text_input(tr("ui.bk.cancel_reason", lang), key="bk_cancel_reason")
    if c3.button(tr("ui.bk.cancel", lang), key="bk_cancel"):
        _act(tr("ui.bk.cancelled", lang, number=row.number),
             lambda s: bookings.cancel_booking(s, viewer, row.id, reason.strip() or None,
                                               expected_version=row.version))

if viewer.can(Perm.BOOKING_CHANGE):
    st.subheader(tr("ui.bk.new", lang))
    text = st.text_input(tr("ui.bk.search", lang), key="bk_search")
    with context.read_session(viewer) as s:
        hits = booking_queries.find_customers_for_booking(s, viewer, branch_id, text) if text else []
        res = booking_queries.branch_resources(s, viewer, branch_id)
        plan = bookings.next_free_slot(s, viewer, branch_id, after=max(clock.now(), clock.at_local(day, 0, 0, tz)))
    if text and not hits:
        st.caption(tr("ui.bk.not_found", lang))
    if hits:
        by_hit = {h.id: h for h in hits}
        customer_id = st.selectbox("Customer", list(by_hit), format_func=lambda i: by_hit[i].label, key="bk_customer")
        hit = by_hit[customer_id]
        pits, mechs, sas = dict(res.pits), dict(res.mechanics), dict(res.advisors)
        with st.form(f"bk_new_{branch_id}_{customer_id}"):
            vehicles = dict(hit.vehicles)
            a, b, c = st.columns(3)
            vehicle_id = a.selectbox(tr("ui.bk.motorcycle", lang), [None, *vehicles],
                                     format_func=lambda i: vehicles.get(i, "-"))
            kind = b.selectbox(tr("ui.bk.kind", lang), list(ServiceKind),
                               format_func=lambda k: k.value) or ServiceKind.REG
            kpb = c.selectbox(tr("ui.kpb_number", lang), [1, 2, 3, 4], help=tr("ui.bk.kpb_help", lang))
            a, b, c = st.columns(3)
            on = a.date_input(tr("ui.bk.date", lang), value=plan.day, format="DD/MM/YYYY")  # the next free slot
            hour = b.selectbox(tr("ui.bk.hour", lang), plan.hours, format_func=lambda h: f"{h:02d}",
                               index=plan.hours.index(plan.hour) if plan.hour in plan.hours else 0)
            minute = c.selectbox(tr("ui.bk.minute", lang), bookings.MINUTES, format_func=lambda m: f"{m:02d}",
                                 index=bookings.MINUTES.index(plan.minute) if plan.minute in bookings.MINUTES else 0)
            a, b, c = st.columns(3)
            pit_id = a.selectbox("Pit", list(pits), format_func=lambda i: pits[i])
            mechanic_id = b.selectbox(tr("field.mechanic", lang), [None, *mechs],
                                      format_func=lambda i: mechs.get(i, "-"))
            sa_id = c.selectbox("Service Advisor", [None, *sas], format_func=lambda i: sas.get(i, "-"))
            a, b = st.columns(2)
            reason_to_come = a.selectbox(tr("ui.bk.reason", lang), list(bookings.REASONS_TO_COME),  # codes
                                         format_func=lambda c: bookings.reason_label(c, lang))
            relation = b.selectbox(tr("ui.bk.relation", lang), list(bookings.CARRIER_RELATIONS),
                                   format_func=lambda c: bookings.relation_label(c, lang))
            complaint = st.text_area(tr("ui.bk.complaint", lang))
            if st.form_submit_button(tr("ui.bk.save", lang), type="primary"):
                data = bookings.BookingInput(
                    branch_id=branch_id, day=on if isinstance(on, dt.date) else None, hour=hour, minute=minute,
                    service_kind=kind, kpb_number=kpb if kind == ServiceKind.KPB else None,
                    customer_id=hit.id, vehicle_id=vehicle_id, mobile=hit.phone, reason_to_come=reason_to_come,
                    complaint=complaint.strip() or None, carrier_relation=relation, pit_id=pit_id,
                    mechanic_id=mechanic_id, service_advisor_id=sa_id)
                _act(tr("ui.bk.saved", lang), lambda s: bookings.create_booking(s, viewer, data))
