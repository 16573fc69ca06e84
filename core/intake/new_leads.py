"""After an import or a DGI pull: the lead engine for the vehicles it wrote, at once, so the admin
who imported the day's sales sees their new KPB leads in minutes, not after tomorrow's daily run."""

from __future__ import annotations

import datetime as dt
import logging

from core.leads.leadgen import LeadgenResult, run
from db.engine import Database

log = logging.getLogger("h23.intake")


def open_leads_for_import(db: Database, since: dt.datetime) -> LeadgenResult | None:
    """Open the leads (and plan the touches) of the vehicles written since `since`: set-based, scoped to
    those vehicles, in its own transaction after the import's own commits. A failure leaves the import
    as it is (logged); the daily run opens the same leads later."""
    try:
        with db.transaction(None, system=True) as session:
            result = run(session, touched_since=since)
    except Exception:
        log.exception("leads for the vehicles imported since %s: not opened now (the daily run will)", since)
        return None
    if result.kpb_leads or result.regular_leads:
        log.info("leads opened after an import: %s", result.as_dict())
    return result
