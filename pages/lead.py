"""Form Lead: a new lead, a saved lead (editable, convert), an opportunity (follow ups, Won, Lost),
and a Won opportunity (read-only, Create Booking Service). `?id=<lead id>` opens an existing one."""

from __future__ import annotations

import contextlib

import streamlit as st

from core import customers, leads, pipeline, prediction, privacy
from core.accounts import Perm, Viewer
from core.customers import format_phone_local
from core.leads import CustomerHit, LeadDetail, lead_detail, lookups
from core.platform import DomainError, t
from db.enums import ServiceKind, Stage
from ui import context, fmt, lead_widgets as w
from ui.words import tr

viewer = context.require(Perm.LEAD_VIEW)
lang = viewer.lang
can_change = viewer.can(Perm.LEAD_CHANGE)
SOURCES = ["CRM", "Showroom", "Leads"]


def _lead_id() -> int | None:
    raw = st.query_params.get("id")
    return int(raw) if raw and str(raw).isdigit() else None


def _cddb_expander(hit: CustomerHit, error: DomainError) -> None:
    """The seed's 'customer has no CDDB yet' warning, and completing the CDDB in place."""
    st.warning(error.message(viewer.lang))
    if not viewer.can(Perm.CUSTOMER_CHANGE):
        return
    with context.read_session(viewer) as session:
        jobs = w.labels(lookups.occupations(session))
    with st.expander(tr("ui.lead.cddb_complete", lang), expanded=True), st.form("cddb_form"):
        name = st.text_input(tr("ui.lead.name_req", lang), value=hit.name, key="cddb_name")
        nik = st.text_input(tr("ui.lead.nik_req", lang), value=hit.nik if viewer.can(Perm.NIK_FULL) else "",
                            key="cddb_nik",
                            placeholder=tr("ui.lead.nik_digits", lang))
        phone = st.text_input(tr("ui.lead.phone_req", lang), value=format_phone_local(hit.phone), key="cddb_phone")
        address = st.text_input(tr("ui.lead.address_req", lang), value=hit.address or "", key="cddb_address")
        city = st.text_input(tr("ui.lead.city_req", lang), value=hit.city_code or "", key="cddb_city")
        district = st.text_input(tr("ui.lead.district", lang), value=hit.district_code or "", key="cddb_district")
        job = st.selectbox(tr("ui.lead.occupation_req", lang), list(jobs),
                           index=w.option_index(list(jobs), hit.occupation_id),
                           format_func=jobs.__getitem__, key="cddb_occupation")
        submitted = st.form_submit_button(tr("ui.lead.save_cddb", lang), key="cddb_submit")
    if submitted:
        data = customers.CustomerInput(name=name, nik=nik or None, phone=phone, address=address, city_code=city,
                                       district_code=district or None, occupation_id=job)
        if w.write(viewer, lambda s: customers.update_customer(s, viewer, hit.id, data)):
            w.flash(tr("ui.lead.cddb_saved", lang))
            st.rerun()


def _pick_customer(detail: LeadDetail | None) -> CustomerHit | None:
    text = st.text_input(tr("ui.lead.find_customer", lang), key="lead_cust_q")
    with context.read_session(viewer) as session:
        hits = {h.id: h for h in lookups.find_customers(session, viewer, text)} if text else {}
        current = st.session_state.get("lead_customer", detail.customer_id if detail else None)
        if current is not None and current not in hits:
            with contextlib.suppress(DomainError):  # not visible any more: pick another
                hits[current] = lookups.customer_by_id(session, viewer, current)
    ids = list(hits)
    chosen = st.selectbox(tr("ui.lead.customer_req", lang), ids, index=w.option_index(ids, current),
                          format_func=lambda i: hits[i].label, placeholder=tr("ui.lead.pick_customer",
                                                                              lang), key="lead_customer")
    return hits.get(chosen) if chosen is not None else None


def lead_form(detail: LeadDetail | None) -> None:
    """The editable lead (stage Lead): new, or saved and not yet converted."""
    w.reset_when_changed("lead_form_for", (detail.id, detail.version) if detail else None,
                         ("lead_", "cddb_"))
    hit = _pick_customer(detail)
    if hit is None:
        st.info(tr("ui.lead.pick_customer_first", lang))
        return
    # Contact fields start from the lead (or the chosen customer) and follow a change of customer.
    w.reset_when_changed("lead_fields_for", hit.id, ("lead_f_",))
    src = detail if detail is not None and detail.customer_id == hit.id else None
    with context.read_session(viewer) as session:
        vehicles = {v.id: v.label for v in lookups.vehicles_of(session, viewer, hit.id)}
        jobs = w.labels(lookups.occupations(session))
        branch_opts = w.labels(lookups.branches(session, viewer))
    if hit.cddb_error is not None:
        _cddb_expander(hit, hit.cddb_error)
    kinds = [ServiceKind.KPB, ServiceKind.REG]
    with st.form("lead_form"):
        left, right = st.columns(2)
        if detail is None and len(branch_opts) > 1:
            branch_id = left.selectbox(tr("ui.lead.branch_req", lang), list(branch_opts),
                                       format_func=branch_opts.__getitem__,
                                       index=w.option_index(list(branch_opts), hit.branch_id), key="lead_f_branch")
        else:
            branch_id = detail.branch_id if detail else hit.branch_id
            left.text_input(tr("ui.lead.branch_req", lang),
                            value=detail.branch_label if detail else branch_opts.get(branch_id, "-"),
                            disabled=True, key="lead_f_branch_ro")
        vehicle_id = left.selectbox(tr("ui.lead.vehicle", lang), list(vehicles), format_func=vehicles.__getitem__,
                                    index=w.option_index(list(vehicles), src.vehicle_id if src else None)
                                    if src else (0 if vehicles else None), key="lead_f_vehicle")
        phone = left.text_input(tr("ui.lead.phone_seed_req", lang),
                                value=format_phone_local(src.phone if src else hit.phone),
                                key="lead_f_phone")
        nik_value = (src.nik if src else hit.nik) or ""
        if viewer.can(Perm.NIK_FULL):
            nik = left.text_input(tr("field.nik", lang), value=nik_value, key="lead_f_nik")
        else:
            left.text_input(tr("field.nik", lang), value=nik_value, disabled=True, key="lead_f_nik_ro")
            nik = None
        address = left.text_input(tr("ui.lead.address", lang), value=(src.address if src else hit.address) or "",
                                  key="lead_f_address")
        job = left.selectbox(tr("ui.lead.occupation_req", lang), list(jobs), format_func=jobs.__getitem__,
                             placeholder=tr("ui.pick", lang),
                             index=w.option_index(list(jobs), src.occupation_id if src else hit.occupation_id),
                             key="lead_f_occupation")
        source = right.selectbox(tr("ui.lead.sales_source", lang), SOURCES, key="lead_f_source",
                                 index=w.option_index(SOURCES, detail.sales_source if detail else "CRM") or 0)
        kind = right.radio(tr("ui.lead.recommended", lang), kinds, format_func=lambda k: "KPB" if k == ServiceKind.KPB
                           else "Regular", horizontal=True, key="lead_f_kind",
                           index=kinds.index(detail.service_kind) if detail else 0)
        kpb = right.selectbox(tr("ui.kpb_number", lang), [1, 2, 3, 4], key="lead_f_kpb",
                              index=w.option_index([1, 2, 3, 4], detail.kpb_number if detail else None))
        deadline = right.date_input(tr("ui.lead.deadline", lang), value=detail.deadline if detail else None,
                                    format="DD/MM/YYYY", key="lead_f_deadline")
        note = right.text_area(tr("field.note", lang), value=(detail.note if detail else None) or "", key="lead_f_note")
        submitted = st.form_submit_button(tr("ui.save", lang), type="primary", disabled=not can_change, key="lead_save")
    if submitted:
        data = leads.LeadInput(branch_id=branch_id, customer_id=hit.id, vehicle_id=vehicle_id, phone=phone,
                               nik=nik, address=address, occupation_id=job, sales_source=source,
                               service_kind=kind, kpb_number=kpb, deadline=deadline, note=note or None)
        saved = w.write(viewer, lambda s: leads.save_lead(s, viewer, data, detail.id if detail else None,
                                                          expected_version=detail.version if detail else None))
        if saved is not None:
            w.flash(tr("ui.lead.saved", lang, number=saved.number))
            st.query_params["id"] = str(saved.id)
            st.rerun()
    if detail is not None and can_change and st.button(tr("ui.lead.convert", lang), type="primary",
                                                       key="lead_convert"):
        lead = w.write(viewer, lambda s: leads.convert_to_opportunity(s, viewer, detail.id,
                                                                      expected_version=detail.version))
        if lead is not None:
            w.flash(tr("ui.lead.converted", lang, number=detail.number))
            st.rerun()


def lead_facts(d: LeadDetail) -> None:
    """Everything recorded before the current stage, read-only; and the vehicle's predicted next service."""
    with context.read_session(viewer) as session:
        predicted = prediction.next_service_text(session, d.vehicle_id, viewer.lang)
    w.fields([
        (tr("ui.col.branch", lang), d.branch_label), ("Customer", d.customer_label), (tr("ui.lead.address", lang),
                                                                                      d.address),
        (tr("field.nik", lang), d.nik), (tr("ui.col.phone", lang),
                                         format_phone_local(d.phone)), (tr("field.occupation", lang),
                                                                        d.occupation_name),
        (tr("ui.lead.sales_source", lang), d.sales_source), (tr("ui.lead.last_type", lang), d.last_service_type),
        (tr("ui.lead.last_date", lang), d.last_service_date),
        (tr("ui.lead.recommended", lang), "KPB" if d.service_kind == ServiceKind.KPB else "Regular"),
        (tr("ui.kpb_number", lang), d.kpb_number), (tr("ui.col.kpb_expiry", lang),
                                                    d.deadline), (tr("ui.lead.sales_date", lang), d.sales_date),
        (tr("ui.lead.unit_type", lang), d.unit_type), (tr("ui.lead.product", lang),
                                                       d.product), (tr("ui.lead.engine_no", lang), d.vehicle_label),
        (tr("ui.lead.priority", lang),
         tr("ui.lead.high", lang) if d.priority.value == "high" else tr("ui.lead.normal", lang)), ("Source Document",
                                                                                                   d.source_document),
        (t("prediction.next_service", viewer.lang), predicted),
    ])


def opportunity_facts(d: LeadDetail) -> None:
    w.fields([
        ("Follow Up 1", d.fu1_date), (tr("field.next_plan_fu2", lang), d.next_plan_fu2), ("Follow Up 2", d.fu2_date),
        (tr("field.next_plan_fu3", lang), d.next_plan_fu3), ("Follow Up 3", d.fu3_date),
        (tr("field.temperature", lang), w.TEMPERATURE_LABEL.get(d.temperature) if d.temperature else None),
        (tr("field.contact_status", lang), w.CONTACT_LABEL.get(d.contact_status) if d.contact_status else None),
        (tr("field.promised_date", lang), d.promised_date), (tr("field.note", lang), d.note),
        *([(tr("field.lost_reason", lang), d.lost_reason),
           (tr("field.lost_note", lang), d.lost_note)] if d.stage == Stage.LOST else []),
    ], columns=3)


def opportunity(d: LeadDetail) -> None:
    if not d.is_closed and can_change:
        won, lost, _ = st.columns([1, 1, 4])
        if won.button(tr("ui.lead.mark_won", lang), key="opp_won"):
            lead = w.write(viewer, lambda s: pipeline.mark_won(s, viewer, d.id, expected_version=d.version))
            if lead is not None:
                w.flash(tr("ui.lead.marked_won", lang, number=d.number))
                st.rerun()
        lost.button(tr("ui.lead.mark_lost", lang), key="opp_lost", on_click=w.open_dialog, args=("lost", d.id))
    if d.stage == Stage.WON and viewer.can(Perm.BOOKING_CHANGE):
        st.button(tr("ui.lead.create_booking", lang), type="primary", key="opp_booking", on_click=w.open_dialog,
                  args=("booking", d.id))
    w.stage_bar(d.stage, lang)
    opportunity_facts(d)
    if not d.is_closed and can_change:
        w.reset_when_changed("fu_form_for", (d.id, d.version), ("fu_", "fucur_"))
        w.current_followup_form(viewer, d)
        w.next_followup_form(viewer, d)
    w.history(d, lang)
    with st.expander(tr("ui.lead.data", lang), expanded=d.is_closed):
        lead_facts(d)
    if w.dialog_open("lost", d.id) and not d.is_closed:
        w.lost_dialog(viewer, d)
    if w.dialog_open("booking", d.id) and d.stage == Stage.WON:
        w.booking_dialog(viewer, d)


def main(v: Viewer) -> None:
    lead_id = _lead_id()
    w.show_flash()
    if lead_id is None:
        st.title(tr("ui.lead.title", lang))
        st.caption(tr("ui.lead.new_caption", lang))
        lead_form(None)
        return
    try:
        with context.read_session(v) as session:
            detail = lead_detail(session, v, lead_id)
    except DomainError as e:
        st.title(tr("ui.lead.title", lang))
        fmt.show_error(e, v.lang)
        return
    if detail.nik and v.can(Perm.NIK_FULL) and st.session_state.get("lead_nik_logged") != lead_id:
        with context.write_session(v) as session:  # UU PDP: who saw the whole KTP number
            privacy.record_lead_nik_view(session, v, lead_id)
        st.session_state["lead_nik_logged"] = lead_id
    st.title(detail.number)
    detail = w.as_first_seen(detail, lang)
    st.caption(tr("ui.lead.created_caption", lang, branch=detail.branch_label, name=detail.contact_name or "-",
                  at=fmt.datetime_id(detail.created_at, detail.branch_timezone)))
    if detail.customer_id is not None and v.can(Perm.CUSTOMER_VIEW):
        w.link("pages/customer.py", tr("ui.customer.open", v.lang), icon=":material/person:",
               query_params={"id": str(detail.customer_id)})
    if detail.stage == Stage.LEAD:
        w.stage_bar(detail.stage, lang)
        lead_form(detail)
        lead_facts(detail)
    else:
        opportunity(detail)


main(viewer)
