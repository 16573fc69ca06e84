"""What the chart pages' counts are: one SELECT per metric, grouped in SQL, whose rows (metric, day,
branch, key, n) core.reports.chart_refresh writes to `report_daily`.

Metrics (day = the branch-local day the count belongs to):
  stage      leads by creation day, key = current stage (lead, new, fu1.., won, lost)
  temp       open opportunities by creation day, key = temperature (hot, medium, cold)
  funnel     leads by creation day that were ever contacted ('contacted': a follow-up 'terhubung')
             or booked ('booked': a booking not cancelled)
  activity   the Kepala Bengkel's week: follow-ups done ('reminded'), answered ('contacted'), bookings
             made ('booked'), leads won ('came') and lost ('lost'), each on the day it happened
  touch      SOP touches by due day, key '<kind>:<channel>:done' and '<kind>:<channel>:won' (done, and
             their lead won)
  sla        SOP touches by due day: 'on_time' (done by its day), 'late', 'open' (still planned)
  retention  motorcycles by purchase month (day = the 1st), key 'sold' and 'kpb1'..'kpb4' (that KPB
             claimed at a branch of the dealer)
  entry      work orders (unit entries) by service day, key = job type
  admin      follow-ups by day, key = the admin's user id
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import String, and_, cast, exists, func, literal, select
from sqlalchemy.orm import Session

from core.reports.sql import local_day, month_start
from db.enums import BookingState, ContactStatus, Stage, TouchKind, TouchState
from db.models import Booking, Branch, FollowUp, Lead, Touch, Vehicle, WorkOrder

OPEN_OPPORTUNITY = (Stage.NEW, Stage.FU1, Stage.FU2, Stage.FU3)
SLA_KINDS = (TouchKind.MESSAGE_H7, TouchKind.CALL_H3, TouchKind.BOOKING_CONFIRM, TouchKind.FEEDBACK_H3)


def _zones(session: Session) -> list[str]:
    return sorted(set(session.scalars(select(Branch.timezone).distinct())))


def _created_since(column: Any, since: dt.date | None) -> list[Any]:
    # A day earlier in UTC covers every zone's local day; the local-day test then trims it.
    if since is None:
        return []
    return [column >= dt.datetime.combine(since - dt.timedelta(days=1), dt.time(), dt.UTC)]


def _sources(session: Session, since: dt.date | None) -> list[Any]:
    """One SELECT (metric, day, branch_id, key, n) per metric, each grouped in SQL."""
    dialect = session.get_bind().dialect.name
    zones = _zones(session)

    def day_of(ts: Any) -> Any:
        return local_day(dialect, ts, Branch.timezone, zones)

    def on_or_after(day: Any) -> list[Any]:
        return [] if since is None else [day >= since]

    lead_day = day_of(Lead.created_at)
    lead_where = [*_created_since(Lead.created_at, since), *on_or_after(lead_day)]
    out: list[Any] = []

    def grouped(metric: str, day: Any, branch: Any, key: Any, *where: Any, frm: Any, joins: tuple = ()) -> None:
        stmt = select(literal(metric).label("metric"), day.label("day"), branch.label("branch_id"),
                      key.label("key"), func.count().label("n")).select_from(frm)
        for target, on in joins:
            stmt = stmt.join(target, on)
        out.append(stmt.where(*where).group_by(day, branch, key))

    lead_joins = ((Branch, Branch.id == Lead.branch_id),)
    grouped("stage", lead_day, Lead.branch_id, cast(Lead.stage, _str()), *lead_where, frm=Lead, joins=lead_joins)
    grouped("temp", lead_day, Lead.branch_id, cast(Lead.temperature, _str()), *lead_where,
            Lead.stage.in_(OPEN_OPPORTUNITY), Lead.temperature.is_not(None), frm=Lead, joins=lead_joins)
    contacted = exists().where(FollowUp.lead_id == Lead.id, FollowUp.contact_status == ContactStatus.TERHUBUNG)
    booked = exists().where(Booking.lead_id == Lead.id, Booking.state != BookingState.CANCELLED)
    grouped("funnel", lead_day, Lead.branch_id, literal("contacted"), *lead_where, contacted, frm=Lead,
            joins=lead_joins)
    grouped("funnel", lead_day, Lead.branch_id, literal("booked"), *lead_where, booked, frm=Lead, joins=lead_joins)

    fu_where = on_or_after(FollowUp.done_on)
    grouped("activity", FollowUp.done_on, FollowUp.branch_id, literal("reminded"), *fu_where, frm=FollowUp)
    grouped("activity", FollowUp.done_on, FollowUp.branch_id, literal("contacted"), *fu_where,
            FollowUp.contact_status == ContactStatus.TERHUBUNG, frm=FollowUp)
    grouped("admin", FollowUp.done_on, FollowUp.branch_id, cast(FollowUp.user_id, _str()), *fu_where,
            FollowUp.user_id.is_not(None), frm=FollowUp)
    b_day = day_of(Booking.created_at)
    grouped("activity", b_day, Booking.branch_id, literal("booked"), *_created_since(Booking.created_at, since),
            *on_or_after(b_day), Booking.state != BookingState.CANCELLED, frm=Booking,
            joins=((Branch, Branch.id == Booking.branch_id),))
    closed_day = day_of(Lead.closed_at)
    for stage, key in ((Stage.WON, "came"), (Stage.LOST, "lost")):
        grouped("activity", closed_day, Lead.branch_id, literal(key), Lead.stage == stage,
                *_created_since(Lead.closed_at, since), *on_or_after(closed_day), frm=Lead, joins=lead_joins)

    t_where = [*on_or_after(Touch.due_on), Touch.kind.in_(SLA_KINDS)]
    kind_channel = cast(Touch.kind, _str()).concat(":").concat(cast(Touch.channel, _str()))
    grouped("touch", Touch.due_on, Touch.branch_id, kind_channel.concat(":done"), *t_where,
            Touch.state == TouchState.DONE, frm=Touch)
    grouped("touch", Touch.due_on, Touch.branch_id, kind_channel.concat(":won"), *t_where,
            Touch.state == TouchState.DONE, Lead.stage == Stage.WON, frm=Touch,
            joins=((Lead, Lead.id == Touch.lead_id),))
    done_day = day_of(Touch.done_at)
    for key, cond in (("on_time", and_(Touch.state == TouchState.DONE, done_day <= Touch.due_on)),
                      ("late", and_(Touch.state == TouchState.DONE, done_day > Touch.due_on)),
                      ("open", Touch.state == TouchState.PLANNED)):
        grouped("sla", Touch.due_on, Touch.branch_id, literal(key), *t_where, cond, frm=Touch,
                joins=((Branch, Branch.id == Touch.branch_id),))

    grouped("entry", WorkOrder.service_date, WorkOrder.branch_id, WorkOrder.job_type,
            *on_or_after(WorkOrder.service_date), frm=WorkOrder)
    return out


def _retention_sources(session: Session, since: dt.date | None) -> list[Any]:
    month = month_start(Vehicle.purchase_date)
    where = [Vehicle.purchase_date.is_not(None), *([] if since is None else [Vehicle.purchase_date >= since])]
    out = [select(literal("retention").label("metric"), month.label("day"),
                  Vehicle.branch_id.label("branch_id"), literal("sold").label("key"), func.count().label("n"))
           .where(*where).group_by(month, Vehicle.branch_id)]
    for n in range(1, 5):
        claimed = exists().where(WorkOrder.vehicle_id == Vehicle.id, WorkOrder.kpb_number == n)
        out.append(select(literal("retention"), month, Vehicle.branch_id, literal(f"kpb{n}"),
                          func.count()).where(*where, claimed).group_by(month, Vehicle.branch_id))
    return out


def _str() -> Any:
    return String(40)
