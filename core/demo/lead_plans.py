"""The demo's lead plans: for each vehicle, at most one lead, its latest due service (KPB or regular)
whose lead window touches today, with the outcome its history gives. A part of core.demo.generator's
_Generator; core.demo.leads writes the plans."""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from core.demo.catalogue import _LEAD_OPEN_DAYS, _REG_INTERVAL
from core.demo.rows import _Customer, _LeadPlan, _Master
from db.enums import LeadCategory, ServiceKind


class _LeadPlanner:
    """The generator's lead plans; the state it reads is set up by _Generator.__init__."""

    m: _Master
    rnd: random.Random
    today: int
    kpb_days: dict[str, list[int]]
    leads: list[_LeadPlan]

    def _maybe_lead(self, b: int, vid: int, day: int, ec: str, cust: _Customer,
                    history: list[tuple[int, str, int | None, list[Any]]], future: dict[int, int],
                    interval: tuple[int, int] | None, source: str, sale_no: str) -> None:
        """At most one lead per vehicle: its latest due service whose lead window touches today."""
        r, today = self.rnd, self.today
        kdays = self.kpb_days[ec]
        done = {kpb: (when, row) for when, _job, kpb, row in history if kpb}
        options: list[_LeadPlan] = []

        def last_before(d: int) -> tuple[int, str] | None:
            prior = [(w, j) for w, j, _k, _row in history if w < d]
            return prior[-1] if prior else None

        for n in range(1, 5):
            deadline = day + kdays[n - 1]
            created = deadline - _LEAD_OPEN_DAYS
            if created > today or deadline < today - 100 or created <= day:
                continue
            plan = _LeadPlan(b, vid, cust, LeadCategory.H1_H2, ServiceKind.KPB, n, f"KPB{n}", deadline, created,
                             "open", None, None, None, last_before(created), source, sale_no)
            if n in done:
                came, row = done[n]
                if came < created:
                    continue  # came before the lead engine would have listed it
                plan.came, plan.wo, plan.wo_branch = came, row, self._branch_index(row[1])
                plan.outcome = "won_service"
            elif n in future:
                plan.came, plan.outcome = future[n], "open"
            elif deadline < today:
                plan.outcome = "lost"
            options.append(plan)
        if interval is not None and history:
            # Regular service: after KPB 4 from the sales data (H1->H2), else "not back for 60 days" (H2->H2).
            for k, (when, _job, _kpb, row) in enumerate(history):
                after_kpb4 = 4 in done and done[4][0] <= when
                category = LeadCategory.H1_H2 if after_kpb4 else LeadCategory.H2_H2
                deadline = when + _REG_INTERVAL + (0 if after_kpb4 else 30)
                created = deadline - (_LEAD_OPEN_DAYS if after_kpb4 else 30)
                if created > today or deadline < today - 100:
                    continue
                nxt = next(((w, rw) for w, j, kp, rw in history[k + 1:] if kp is None), None)
                plan = _LeadPlan(b, vid, cust, category, ServiceKind.REG, None, f"REG:{dt.date.fromordinal(deadline)}",
                                 deadline, created, "open", None, None, None, (when, _job),
                                 source if after_kpb4 else "CRM", sale_no if after_kpb4 else row)
                if nxt is not None:
                    if nxt[0] < created:
                        continue
                    plan.came, plan.wo, plan.wo_branch = nxt[0], nxt[1], self._branch_index(nxt[1][1])
                    plan.outcome = "won_service"
                elif deadline < today - 10:
                    plan.outcome = "lost"
                options.append(plan)
        if not options:
            return
        plan = max(options, key=lambda p: p.created)
        # Open leads are what admins work on: keep more of them than of the closed history.
        keep = 1.0 if plan.outcome == "open" else 0.35
        if r.random() >= keep:
            return
        if plan.outcome == "won_service" and cust.cddb_complete and plan.wo_branch == b and r.random() < 0.35:
            plan.outcome = "won_booking"  # won on the phone, booked, and the unit came on the booking
        elif plan.outcome == "open" and plan.came is not None and cust.cddb_complete and r.random() < 0.3:
            plan.outcome = "won_future"  # won on the phone, booked for the day it will come
        self.leads.append(plan)

    def _branch_index(self, branch_id: int) -> int:
        return next(k for k, info in enumerate(self.m.branches) if info.id == branch_id)
