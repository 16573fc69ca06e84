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
    with st.expander("Lengkapi CDDB customer", expanded=True), st.form("cddb_form"):
        name = st.text_input("Nama *", value=hit.name, key="cddb_name")
        nik = st.text_input("No KTP *", value=hit.nik if viewer.can(Perm.NIK_FULL) else "", key="cddb_nik",
                            placeholder="16 digit")
        phone = st.text_input("No HP *", value=format_phone_local(hit.phone), key="cddb_phone")
        address = st.text_input("Alamat *", value=hit.address or "", key="cddb_address")
        city = st.text_input("Kode Kota/Kabupaten *", value=hit.city_code or "", key="cddb_city")
        district = st.text_input("Kode Kecamatan", value=hit.district_code or "", key="cddb_district")
        job = st.selectbox("Pekerjaan *", list(jobs), index=w.option_index(list(jobs), hit.occupation_id),
                           format_func=jobs.__getitem__, key="cddb_occupation")
        submitted = st.form_submit_button("Simpan CDDB", key="cddb_submit")
    if submitted:
        data = customers.CustomerInput(name=name, nik=nik or None, phone=phone, address=address, city_code=city,
                                       district_code=district or None, occupation_id=job)
        if w.write(viewer, lambda s: customers.update_customer(s, viewer, hit.id, data)):
            w.flash("CDDB customer tersimpan. Silakan simpan lead kembali.")
            st.rerun()


def _pick_customer(detail: LeadDetail | None) -> CustomerHit | None:
    text = st.text_input("Cari customer (nama / no HP / No KTP / kode)", key="lead_cust_q")
    with context.read_session(viewer) as session:
        hits = {h.id: h for h in lookups.find_customers(session, viewer, text)} if text else {}
        current = st.session_state.get("lead_customer", detail.customer_id if detail else None)
        if current is not None and current not in hits:
            with contextlib.suppress(DomainError):  # not visible any more: pick another
                hits[current] = lookups.customer_by_id(session, viewer, current)
    ids = list(hits)
    chosen = st.selectbox("Customer *", ids, index=w.option_index(ids, current),
                          format_func=lambda i: hits[i].label, placeholder="Pilih customer", key="lead_customer")
    return hits.get(chosen) if chosen is not None else None


def lead_form(detail: LeadDetail | None) -> None:
    """The editable lead (stage Lead): new, or saved and not yet converted."""
    w.reset_when_changed("lead_form_for", (detail.id, detail.version) if detail else None,
                         ("lead_", "cddb_"))
    hit = _pick_customer(detail)
    if hit is None:
        st.info("Pilih customer terlebih dahulu.")
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
            branch_id = left.selectbox("Branch *", list(branch_opts), format_func=branch_opts.__getitem__,
                                       index=w.option_index(list(branch_opts), hit.branch_id), key="lead_f_branch")
        else:
            branch_id = detail.branch_id if detail else hit.branch_id
            left.text_input("Branch *", value=detail.branch_label if detail else branch_opts.get(branch_id, "-"),
                            disabled=True, key="lead_f_branch_ro")
        vehicle_id = left.selectbox("No Mesin / No Polisi", list(vehicles), format_func=vehicles.__getitem__,
                                    index=w.option_index(list(vehicles), src.vehicle_id if src else None)
                                    if src else (0 if vehicles else None), key="lead_f_vehicle")
        phone = left.text_input("Phone *", value=format_phone_local(src.phone if src else hit.phone),
                                key="lead_f_phone")
        nik_value = (src.nik if src else hit.nik) or ""
        if viewer.can(Perm.NIK_FULL):
            nik = left.text_input("No KTP", value=nik_value, key="lead_f_nik")
        else:
            left.text_input("No KTP", value=nik_value, disabled=True, key="lead_f_nik_ro")
            nik = None
        address = left.text_input("Address", value=(src.address if src else hit.address) or "", key="lead_f_address")
        job = left.selectbox("Pekerjaan *", list(jobs), format_func=jobs.__getitem__, placeholder="Pilih",
                             index=w.option_index(list(jobs), src.occupation_id if src else hit.occupation_id),
                             key="lead_f_occupation")
        source = right.selectbox("Sales Source", SOURCES, key="lead_f_source",
                                 index=w.option_index(SOURCES, detail.sales_source if detail else "CRM") or 0)
        kind = right.radio("Rekomendasi Service", kinds, format_func=lambda k: "KPB" if k == ServiceKind.KPB
                           else "Regular", horizontal=True, key="lead_f_kind",
                           index=kinds.index(detail.service_kind) if detail else 0)
        kpb = right.selectbox("KPB Ke", [1, 2, 3, 4], key="lead_f_kpb",
                              index=w.option_index([1, 2, 3, 4], detail.kpb_number if detail else None))
        deadline = right.date_input("KPB Date Expired / rencana servis", value=detail.deadline if detail else None,
                                    format="DD/MM/YYYY", key="lead_f_deadline")
        note = right.text_area("Note", value=(detail.note if detail else None) or "", key="lead_f_note")
        submitted = st.form_submit_button("Simpan", type="primary", disabled=not can_change, key="lead_save")
    if submitted:
        data = leads.LeadInput(branch_id=branch_id, customer_id=hit.id, vehicle_id=vehicle_id, phone=phone,
                               nik=nik, address=address, occupation_id=job, sales_source=source,
                               service_kind=kind, kpb_number=kpb, deadline=deadline, note=note or None)
        saved = w.write(viewer, lambda s: leads.save_lead(s, viewer, data, detail.id if detail else None,
                                                          expected_version=detail.version if detail else None))
        if saved is not None:
            w.flash(f"Lead {saved.number} tersimpan.")
            st.query_params["id"] = str(saved.id)
            st.rerun()
    if detail is not None and can_change and st.button("Convert to Opportunity", type="primary",
                                                       key="lead_convert"):
        lead = w.write(viewer, lambda s: leads.convert_to_opportunity(s, viewer, detail.id,
                                                                      expected_version=detail.version))
        if lead is not None:
            w.flash(f"{detail.number} menjadi opportunity (New).")
            st.rerun()


def lead_facts(d: LeadDetail) -> None:
    """Everything recorded before the current stage, read-only; and the vehicle's predicted next service."""
    with context.read_session(viewer) as session:
        predicted = prediction.next_service_text(session, d.vehicle_id, viewer.lang)
    w.fields([
        ("Branch", d.branch_label), ("Customer", d.customer_label), ("Address", d.address),
        ("No KTP", d.nik), ("Phone", format_phone_local(d.phone)), ("Pekerjaan", d.occupation_name),
        ("Sales Source", d.sales_source), ("Type Last Service", d.last_service_type),
        ("Date Last Service", d.last_service_date),
        ("Rekomendasi Service", "KPB" if d.service_kind == ServiceKind.KPB else "Regular"),
        ("KPB Ke", d.kpb_number), ("KPB Date Expired", d.deadline), ("Sales Date", d.sales_date),
        ("Type Unit", d.unit_type), ("Product", d.product), ("Engine No", d.vehicle_label),
        ("Priority", "High" if d.priority.value == "high" else "Normal"), ("Source Document", d.source_document),
        (t("prediction.next_service", viewer.lang), predicted),
    ])


def opportunity_facts(d: LeadDetail) -> None:
    w.fields([
        ("Follow Up 1", d.fu1_date), ("Next Plan Follow Up 2", d.next_plan_fu2), ("Follow Up 2", d.fu2_date),
        ("Next Plan Follow Up 3", d.next_plan_fu3), ("Follow Up 3", d.fu3_date),
        ("Opportunity Status", w.TEMPERATURE_LABEL.get(d.temperature) if d.temperature else None),
        ("Status Customer", w.CONTACT_LABEL.get(d.contact_status) if d.contact_status else None),
        ("Tanggal janji datang", d.promised_date), ("Note", d.note),
        *([("Alasan Lost", d.lost_reason), ("Catatan Lost", d.lost_note)] if d.stage == Stage.LOST else []),
    ], columns=3)


def opportunity(d: LeadDetail) -> None:
    if not d.is_closed and can_change:
        won, lost, _ = st.columns([1, 1, 4])
        if won.button("Mark as Won", key="opp_won"):
            lead = w.write(viewer, lambda s: pipeline.mark_won(s, viewer, d.id, expected_version=d.version))
            if lead is not None:
                w.flash(f"{d.number} ditandai Won.")
                st.rerun()
        lost.button("Mark as Lost", key="opp_lost", on_click=w.open_dialog, args=("lost", d.id))
    if d.stage == Stage.WON and viewer.can(Perm.BOOKING_CHANGE):
        st.button("Create Booking Service", type="primary", key="opp_booking", on_click=w.open_dialog,
                  args=("booking", d.id))
    w.stage_bar(d.stage)
    opportunity_facts(d)
    if not d.is_closed and can_change:
        w.reset_when_changed("fu_form_for", (d.id, d.version), ("fu_", "fucur_"))
        w.current_followup_form(viewer, d)
        w.next_followup_form(viewer, d)
    w.history(d)
    with st.expander("Data lead", expanded=d.is_closed):
        lead_facts(d)
    if w.dialog_open("lost", d.id) and not d.is_closed:
        w.lost_dialog(viewer, d)
    if w.dialog_open("booking", d.id) and d.stage == Stage.WON:
        w.booking_dialog(viewer, d)


def main(v: Viewer) -> None:
    lead_id = _lead_id()
    w.show_flash()
    if lead_id is None:
        st.title("Form Lead")
        st.caption("Lead baru. Field bertanda * wajib diisi.")
        lead_form(None)
        return
    try:
        with context.read_session(v) as session:
            detail = lead_detail(session, v, lead_id)
    except DomainError as e:
        st.title("Form Lead")
        fmt.show_error(e, v.lang)
        return
    if detail.nik and v.can(Perm.NIK_FULL) and st.session_state.get("lead_nik_logged") != lead_id:
        with context.write_session(v) as session:  # UU PDP: who saw the whole KTP number
            privacy.record_lead_nik_view(session, v, lead_id)
        st.session_state["lead_nik_logged"] = lead_id
    st.title(detail.number)
    detail = w.as_first_seen(detail)
    st.caption(f"{detail.branch_label} · {detail.contact_name or '-'} · dibuat "
               f"{fmt.datetime_id(detail.created_at, detail.branch_timezone)}")
    if detail.customer_id is not None and v.can(Perm.CUSTOMER_VIEW):
        w.link("pages/customer.py", tr("ui.customer.open", v.lang), icon=":material/person:",
               query_params={"id": str(detail.customer_id)})
    if detail.stage == Stage.LEAD:
        w.stage_bar(detail.stage)
        lead_form(detail)
        lead_facts(detail)
    else:
        opportunity(detail)


main(viewer)
