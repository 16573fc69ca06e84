"""The lead engine's daily run as a worker job: once per time zone and local day."""

from __future__ import annotations

import logging

from sqlalchemy import select

from core.leads import leadgen
from core.platform import clock
from core.platform.jobs import claim, finish
from db.engine import Database
from db.models import Branch

log = logging.getLogger("h23.worker")


def run_leadgen(db: Database, worker: str) -> list[str]:
    """The daily lead engine run, once per time zone and local day."""
    ran = []
    with db.session(None, system=True) as s:
        zones = sorted(set(s.scalars(select(Branch.timezone).where(Branch.active.is_(True)))))
    for tz in zones:  # 'today' starts at each zone's own midnight (WIB, WITA, WIT)
        key = clock.today_in(tz).isoformat()
        run_id = claim(db, f"leadgen:{tz}", key, worker)
        if run_id is None:
            continue
        try:
            with db.transaction(None, system=True) as s:
                result = leadgen.run(s, timezones=[tz])
            finish(db, run_id, result.as_dict())
            ran.append(f"leadgen:{tz}:{key}")
            log.info("leadgen %s %s: %s", tz, key, result.as_dict())
        except Exception as e:  # a failed run is recorded and retried after STALE_AFTER
            finish(db, run_id, error=repr(e))
            log.exception("leadgen %s %s failed", tz, key)
    return ran
