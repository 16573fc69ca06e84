"""The mappings of what happened to each motorcycle: units (stock.production.lot), sales (dealer.sale.order),
work orders (dym.work.order), leads and opportunities (crm.lead as the dealer's CRM extends it) and service
bookings (dym.customer.booking)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Table, select
from sqlalchemy.orm import Session

from core.bookings.workorders import refresh_last_service
from core.intake.store import _select_in, _update_many
from core.migration import convert as c
from core.migration.spec import Field, ModelMap, Ref, Unique
from db.enums import BookingState, ContactStatus, LeadCategory, Priority, ServiceKind, Stage, Temperature
from db.models import Booking, Lead, LostReason, Sale, Vehicle, WorkOrder

_V: Table = Vehicle.__table__  # type: ignore[assignment]
_S: Table = Sale.__table__  # type: ignore[assignment]
_W: Table = WorkOrder.__table__  # type: ignore[assignment]
_L: Table = Lead.__table__  # type: ignore[assignment]
_K: Table = Booking.__table__  # type: ignore[assignment]

LOT = ModelMap(
    odoo="stock.production.lot", table=_V,
    fields=(Field("name", "engine_no", c.engine_no("name"), required=True),
            Field("chassis_no", "frame_no", c.frame_no("chassis_no")),
            Field("no_polisi", "plate", c.plate("no_polisi")),
            Field("product_id", "unit_name", c.many2one_name), Field("warna", "colour", c.text(60)),
            Field("tgl_penjualan", "purchase_date", c.odoo_date("tgl_penjualan"))),
    refs=(Ref("branch_id", "branch_id", "dym.branch", required=True), Ref("customer_id", "customer_id", "res.partner"),
          Ref("product_id", "unit_type_code", "product.product", column="code")),
    unique=(Unique(("engine_no",)),), defaults={"premium": False},
    derive=lambda row, _rec, _lk: {"engine_code": row["engine_no"][:4]})

SALE = ModelMap(
    odoo="dealer.sale.order", table=_S,
    fields=(Field("name", "number", c.text(40), required=True),
            Field("date_order", "sale_date", c.branch_day("date_order"), required=True),
            Field("finco_id", "payment", lambda v, _ctx: "credit" if not c.empty(v) else "cash"),
            Field("sales_source", "sales_source", c.text(30))),
    refs=(Ref("branch_id", "branch_id", "dym.branch", required=True),
          Ref("lot_id", "vehicle_id", "stock.production.lot", required=True),
          Ref("partner_id", "customer_id", "res.partner")),
    unique=(Unique(("number",)),))

_WO_TYPES = {"kpb": "KPB", "reg": "QS", "war": "JR", "cla": "C2"}


def _wo_derive(row: dict[str, Any], record: dict[str, Any], _lookups: dict[str, Any]) -> dict[str, Any]:
    kind = row.pop("_type")
    if kind == "KPB":
        if row.get("kpb_number") not in (1, 2, 3, 4):
            raise c.Reject(c.t("odoo.bad_value", "en", field="kpb_ke", value=record.get("kpb_ke"),
                               reason="type KPB needs kpb_ke 1-4"))
        return {"job_type": f"ASS{row['kpb_number']}"}
    return {"job_type": kind, "kpb_number": None}


def _refresh_vehicles(session: Session, rows: list[dict[str, Any]]) -> None:
    """The vehicles' latest service (the lead engine's regular windows) from the work orders written. A
    derived value, not an edit made in H23: the vehicles it touches keep counting as synced."""
    ids = sorted({r["vehicle_id"] for r in rows if r.get("_written")})
    if not ids:
        return
    clean = [vid for vid, upd, synced in _select_in(session, [_V.c.id, _V.c.updated_at, _V.c.odoo_synced_at],
                                                    _V.c.id, ids) if synced is not None and upd <= synced]
    refresh_last_service(session, ids)
    stamps = _select_in(session, [_V.c.id, _V.c.updated_at], _V.c.id, clean)
    _update_many(session, _V, [{"id": vid, "odoo_synced_at": upd} for vid, upd in stamps])


WORK_ORDER = ModelMap(
    odoo="dym.work.order", table=_W,
    fields=(Field("name", "number", c.text(40), required=True),
            Field("date", "service_date", c.branch_day("date"), required=True), Field("km", "km", c.integer),
            Field("type", "_type", c.choice("type", _WO_TYPES), required=True),
            Field("kpb_ke", "kpb_number", c.integer)),
    refs=(Ref("branch_id", "branch_id", "dym.branch", required=True),
          Ref("lot_id", "vehicle_id", "stock.production.lot", required=True),
          Ref("customer_id", "customer_id", "res.partner")),
    unique=(Unique(("number",)),), derive=_wo_derive, after=_refresh_vehicles)

_STAGES = {"new": Stage.NEW, "follow up 1": Stage.FU1, "follow up 2": Stage.FU2, "follow up 3": Stage.FU3,
           "won": Stage.WON, "lost": Stage.LOST}
_TEMPERATURE = {"hot": Temperature.HOT, "medium": Temperature.MEDIUM, "cold": Temperature.COLD}
_CONTACT = {"terhubung": ContactStatus.TERHUBUNG, "tidak_terhubung": ContactStatus.TIDAK_TERHUBUNG,
            "rejected": ContactStatus.REJECTED}
_CATEGORY = {"h1h2": LeadCategory.H1_H2, "h2h2": LeadCategory.H2_H2, "manual": LeadCategory.MANUAL}


def _lead_prepare(session: Session) -> dict[str, Any]:
    reasons = session.execute(select(LostReason.id, LostReason.code, LostReason.name_id, LostReason.name_en)).all()
    by_name = {str(n).strip().upper(): rid for rid, *names in reasons for n in names if n}
    return {"lost_reasons": by_name}


def _lead_derive(row: dict[str, Any], record: dict[str, Any], lookups: dict[str, Any]) -> dict[str, Any]:
    closed_at = row.pop("_closed")
    odoo_stage = row.pop("_stage")
    stage = Stage.LEAD if row.pop("_type") != "opportunity" else Stage(odoo_stage or Stage.NEW)
    kind = row["service_kind"]
    if kind == ServiceKind.KPB.value and row.get("kpb_number") not in (1, 2, 3, 4):
        raise c.Reject(c.t("odoo.bad_value", "en", field="kpb_ke", value=record.get("kpb_ke"),
                           reason="KPB needs kpb_ke 1-4"))
    # The lead engine's key for the same due (core.leads.leadgen): so it never opens a second lead for it.
    due_key = (f"KPB{row['kpb_number']}" if kind == ServiceKind.KPB.value
               else f"REG:{row['deadline'].isoformat()}" if row.get("deadline") else f"ODOO:{record['id']}")
    closed = stage in (Stage.WON, Stage.LOST)
    reason = row.get("lost_note")
    return {"stage": stage.value, "due_key": due_key,
            "closed_at": (closed_at or c.utc_datetime("write_date")(record.get("write_date"), c.Context()))
            if closed else None,
            "lost_reason_id": lookups["lost_reasons"].get(reason.upper()) if reason and stage == Stage.LOST else None}


LEAD = ModelMap(
    odoo="crm.lead", table=_L,
    fields=(Field("name", "number", c.text(40), required=True), Field("type", "_type", c.text(20)),
            Field("stage_id", "_stage", c.choice("stage_id", {k: v.value for k, v in _STAGES.items()})),
            Field("lead_category", "category", c.choice("lead_category", {k: v.value for k, v in _CATEGORY.items()},
                                                          default=LeadCategory.MANUAL.value)),
            Field("contact_name", "contact_name", c.text(120)), Field("phone", "phone", c.phone("phone")),
            Field("no_ktp", "nik", c.nik("no_ktp")), Field("street", "address", c.text(255)),
            Field("lot_id", "engine_no", lambda v, ctx: (c.many2one_name(v, ctx) or "").split(" - ")[-1][:12] or None),
            Field("rekomendasi_service", "service_kind", c.choice("rekomendasi_service", {
                "kpb": ServiceKind.KPB.value, "reg": ServiceKind.REG.value}, default=ServiceKind.REG.value)),
            Field("kpb_ke", "kpb_number", c.integer),
            Field("kpb_date_expired", "deadline", c.month_first_date("kpb_date_expired")),
            Field("follow_up_1", "fu1_date", c.odoo_date("follow_up_1")),
            Field("next_plan_follow_up_2", "next_plan_fu2", c.odoo_date("next_plan_follow_up_2")),
            Field("follow_up_2", "fu2_date", c.odoo_date("follow_up_2")),
            Field("next_plan_follow_up_3", "next_plan_fu3", c.odoo_date("next_plan_follow_up_3")),
            Field("follow_up_3", "fu3_date", c.odoo_date("follow_up_3")),
            Field("date_deadline", "expected_closing", c.odoo_date("date_deadline")),
            Field("opportunity_status", "temperature", c.choice("opportunity_status",
                                                                {k: v.value for k, v in _TEMPERATURE.items()})),
            Field("status_customer", "contact_status", c.choice("status_customer",
                                                               {k: v.value for k, v in _CONTACT.items()})),
            Field("lost_reason_id", "lost_note", c.many2one_name),
            Field("date_open", "converted_at", c.utc_datetime("date_open")),
            Field("date_closed", "_closed", c.utc_datetime("date_closed")),
            Field("description", "note", c.text(4000))),
    refs=(Ref("branch_id", "branch_id", "dym.branch", required=True),
          Ref("partner_id", "customer_id", "res.partner"), Ref("lot_id", "vehicle_id", "stock.production.lot"),
          Ref("user_id", "assigned_user_id", "res.users")),
    unique=(Unique(("number",)), Unique(("vehicle_id", "due_key"),
                                        only_if=lambda r: r.get("closed_at") is None
                                        and r.get("vehicle_id") is not None)),
    defaults={"division": "Workshop", "priority": Priority.NORMAL.value, "version": 1},
    prepare=_lead_prepare, derive=_lead_derive)

_BOOKING_STATES = {"draft": BookingState.DRAFT.value, "posted": BookingState.POSTED.value,
                   "done": BookingState.WORK_ORDER.value, "cancel": BookingState.CANCELLED.value}

BOOKING = ModelMap(
    odoo="dym.customer.booking", table=_K,
    fields=(Field("name", "number", c.text(40), required=True),
            Field("state", "state", c.choice("state", _BOOKING_STATES), required=True),
            Field("booking_date", "booking_at", c.utc_datetime("booking_date"), required=True),
            Field("mobile", "mobile", c.phone("mobile")),
            Field("type", "service_kind",
                  c.choice("type", {"kpb": ServiceKind.KPB.value, "reg": ServiceKind.REG.value}),
                  required=True),
            Field("kpb_ke", "kpb_number", c.integer), Field("keluhan", "complaint", c.text(4000)),
            Field("cancel_reason", "cancel_reason", c.text(255))),
    refs=(Ref("branch_id", "branch_id", "dym.branch", required=True), Ref("lead_id", "lead_id", "crm.lead"),
          Ref("customer_id", "customer_id", "res.partner"), Ref("lot_id", "vehicle_id", "stock.production.lot")),
    unique=(Unique(("number",)),), defaults={"version": 1})
