"""The demo's motorcycles: the population decided up front (when, where, whose), then chunk by chunk
their customers (made by core.demo.customers), vehicles, sales and two years of work orders, and the
leads each vehicle's history calls for (planned by core.demo.lead_plans, written by core.demo.leads)."""

from __future__ import annotations

import random
from array import array
from collections import Counter as Tally
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from core.demo.catalogue import (
    _HISTORY_DAYS,
    _KPB_CAME,
    _OCCUPATION_WEIGHTS,
    _PHONE_PREFIXES,
    _REG_INTERVAL,
    _REG_INTERVAL_KM,
    _REG_JOBS,
    _SALES_SOURCES,
    BRANCHES,
    UNIT_TYPES,
)
from core.demo.customers import _CustomerMaker
from core.demo.lead_plans import _LeadPlanner
from core.demo.rows import _Customer, _Days, _LeadPlan, _Master, _Weighted
from core.masterdata import reference

# --- the vehicle population ----------------------------------------------------------------------

@dataclass
class _Population:
    """Decided up front (a few small arrays): when and where each vehicle was sold, and whose it is."""

    day: Sequence[int]  # purchase day ordinal, ascending
    branch: Sequence[int]
    customer: Sequence[int]  # customer index (0-based) of each vehicle
    new_customer: Sequence[int]  # 1 when the vehicle's buyer is a new customer
    has_second: set[int]  # customers who will buy a second vehicle
    customers: int


def _population(n: int, seed: int, today: int, n_branches: int) -> _Population:
    gen = np.random.default_rng(seed)
    days = array("i", np.sort(gen.integers(today - _HISTORY_DAYS, today - 2, size=n)).astype(np.int32).tobytes())
    weights = np.array([b.weight for b in BRANCHES[:n_branches]])
    branch = gen.choice(n_branches, size=n, p=weights / weights.sum()).astype(np.uint8).tobytes()
    second = (gen.random(n) < 0.074).tobytes()
    picks = array("d", gen.random(n).tobytes())
    pools: list[list[int]] = [[] for _ in range(n_branches)]
    customer = array("i", bytes(4 * n))
    new = bytearray(b"\x01" * n)
    has_second: set[int] = set()
    count = 0
    for i in range(n):
        pool = pools[branch[i]]
        if second[i] and pool:
            k = int(picks[i] * len(pool))
            c = pool[k]
            pool[k] = pool[-1]
            pool.pop()
            customer[i], new[i] = c, 0
            has_second.add(c)
        else:
            customer[i] = count
            pool.append(count)
            if len(pool) > 400:
                pool.pop(0)
            count += 1
    return _Population(days, branch, customer, new, has_second, count)


class _Generator(_CustomerMaker, _LeadPlanner):
    def __init__(self, master: _Master, pop: _Population, seed: int, today: int, dialect: str,
                 lead_rate: float) -> None:
        self.m = master
        self.pop = pop
        self.rnd = random.Random(seed)
        rand = self.rnd.random
        # random.randint/choice cost ~1 us each; these are a few times faster and as deterministic.
        self.randint = lambda a, b: a + int(rand() * (b - a + 1))
        self.choice = lambda seq: seq[int(rand() * len(seq))]
        self.today = today
        self.days = _Days(dialect)
        self.lead_rate = lead_rate
        self.unit = _Weighted(UNIT_TYPES, [u[5] for u in UNIT_TYPES])
        self.phone_prefix = _Weighted([p for p, _ in _PHONE_PREFIXES], [w for _, w in _PHONE_PREFIXES])
        occ = [(master.occupations.get(c), wm, wf) for c, wm, wf in _OCCUPATION_WEIGHTS]
        self.occ_m = _Weighted([o for o, _, _ in occ], [w for _, w, _ in occ])
        self.occ_f = _Weighted([o for o, _, _ in occ], [w for _, _, w in occ])
        self.sales_source = _Weighted([s for s, _ in _SALES_SOURCES], [w for _, w in _SALES_SOURCES])
        self.ojek = master.occupations.get("OJEK")
        self.reg_job = _Weighted([j for j, _ in _REG_JOBS], [w for _, w in _REG_JOBS])
        self.religion = [_Weighted((0, 1, 2), b.seed.religions) for b in master.branches]
        rules = {"*": [d for _, d, *_ in reference.DEFAULT_KPB],
                 reference.CBR250_ENGINE_CODE: [d for _, d, *_ in reference.CBR250_KPB]}
        self.kpb_days = {u[2]: rules.get(u[2], rules["*"]) for u in UNIT_TYPES}
        self.kpb_km = {u[2]: [r[2] for r in (reference.CBR250_KPB if u[2] == reference.CBR250_ENGINE_CODE
                                              else reference.DEFAULT_KPB)] for u in UNIT_TYPES}
        # Engine and frame numbers run per engine code from a plausible production number.
        self.engine_seq = {u[2]: self.rnd.randint(1_000_000, 1_400_000) for u in UNIT_TYPES}
        self.frame_seq = {u[2]: self.rnd.randint(100_000, 900_000) for u in UNIT_TYPES}
        # NIK sequence numbers: per district + birth date + gender, as the civil registry counts them.
        self.district_index: dict[str, int] = {}
        for b in master.branches:
            for d in b.districts:
                self.district_index.setdefault(d, len(self.district_index))
        self.birth_min = today - 70 * 366
        self.nik_span = 70 * 366
        self.nik_seq = bytearray(len(self.district_index) * 2 * self.nik_span)
        self.pending: dict[int, _Customer] = {}  # customers whose second vehicle is still to come
        self.sale_seq: Tally[tuple[int, str]] = Tally()
        self.bpa_next: dict[str, int] = {}
        self.leads: list[_LeadPlan] = []
        self.counts = Tally[str]()

    # -- one chunk of vehicles --

    def chunk(self, start: int, stop: int, ids: dict[str, int]) -> dict[str, list[tuple[Any, ...]]]:
        r, pop, days, today = self.rnd, self.pop, self.days, self.today
        ri, ch = self.randint, self.choice
        customers: list[tuple[Any, ...]] = []
        vehicles: list[tuple[Any, ...]] = []
        sales: list[tuple[Any, ...]] = []
        wos: list[list[Any]] = []
        branches = self.m.branches
        nb = len(branches)
        for i in range(start, stop):
            b, day = pop.branch[i], pop.day[i]
            info = branches[b]
            cidx = pop.customer[i]
            cid = ids["customer"] + cidx + 1
            if pop.new_customer[i]:
                row, cust = self.customer_row(cid, b, day)
                customers.append(row)
                if cidx in pop.has_second:
                    self.pending[cidx] = cust
            else:
                cust = self.pending.pop(cidx)
            vid = ids["vehicle"] + i + 1
            code, uname, ec, _seg, premium, _w, colours = self.unit.pick(r.random())
            month = days.yymm(day)
            self.engine_seq[ec] += ri(1, 6)
            self.frame_seq[ec] += ri(1, 6)
            year_letter = "LMNPRSTVWXY"[max(0, min(10, int(month[:2]) - 20))]
            letters = "".join(ch("ABCDEFGHJKLMNPRSTUVWXYZ") for _ in range(2 if r.random() < 0.55 else 3))
            created = days.ts(day, ri(9, 16) - info.utc_offset, ri(0, 59))
            vehicles.append((vid, info.id, cid, f"{ec}E{self.engine_seq[ec]:07d}", ec,
                             f"MH1{ec}1{year_letter}K{self.frame_seq[ec]:07d}",
                             f"{info.seed.plate} {ri(1000, 9999)} {letters}", code, uname,
                             ch(colours), days.date(day), premium, created, created))
            self.sale_seq[(b, month)] += 1
            source = self.sales_source.pick(r.random())
            sale_no = f"SPK/{info.seed.code}/{month}/{self.sale_seq[(b, month)]:05d}"
            sales.append((ids["sale"] + i + 1, info.id, sale_no, vid, cid, days.date(day), source,
                          "cash" if r.random() < 0.27 else "credit", created, created))
            # The unit's service history: the KPB services it came for, then regular service.
            kdays, kkm = self.kpb_days[ec], self.kpb_km[ec]
            rate = self._usage_rate(cust, b)  # this vehicle's own km per day
            history: list[tuple[int, str, int | None, list[Any]]] = []
            future: dict[int, int] = {}  # KPB n it will still come for (day)
            prev, odo = day, 0.0
            for n in range(1, 5):
                # Due at its km or its days, whichever first; those who come, come in the days before.
                deadline = min(day + kdays[n - 1], day + int(kkm[n - 1] / rate))
                lo = max(prev + 10, day + 7)
                came = r.random() < _KPB_CAME[n - 1]
                if not came or lo > deadline:
                    continue
                when = ri(max(lo, deadline - 12), deadline)
                if when > today:
                    future[n] = when
                    break
                odo += (when - prev) * rate * (0.9 + 0.2 * r.random())
                history.append((when, f"ASS{n}", n, self._wo(vid, cid, b, nb, when, self._odometer(odo), f"ASS{n}",
                                                              n, wos)))
                prev = when
            kind = r.random()
            regular = kind < 0.24
            if regular and not future:
                when = prev + self._regular_gap(rate, kind)
                while when <= today:
                    job = self.reg_job.pick(r.random())
                    odo += (when - prev) * rate * (0.9 + 0.2 * r.random())
                    history.append((when, job, None, self._wo(vid, cid, b, nb, when, self._odometer(odo), job, None,
                                                              wos)))
                    prev, when = when, when + self._regular_gap(rate, kind)
            interval = (60, 120) if regular else None  # the lead planner only asks whether it comes back
            if r.random() < self.lead_rate * 3:
                self._maybe_lead(b, vid, day, ec, cust, history, future, interval, source, sale_no)
        self.counts["customers"] += len(customers)
        self.counts["vehicles"] += len(vehicles)
        self.counts["work_orders"] += len(wos)
        return {"customer": customers, "vehicle": vehicles, "sale": sales, "work_order": wos}  # type: ignore[dict-item]

    def _usage_rate(self, cust: _Customer, b: int) -> float:
        """A vehicle's own km per day: log-normal around a commuter's 22 km, an ojek's three times that, a
        little more in the sprawling branches; drawn per vehicle so the prediction has something to learn."""
        median = 22.0 * (3.0 if cust.occupation_id == self.ojek else 1.0) * (0.9 + 0.04 * (b % 6))
        return max(3.0, min(250.0, self.rnd.lognormvariate(0.0, 0.5) * median))

    def _regular_gap(self, rate: float, kind: float) -> int:
        """Days to the next regular service: the disciplined come near the interval's km or days, whichever
        first; the rest when they get round to it."""
        if kind < 0.09:
            due = min(_REG_INTERVAL, int(_REG_INTERVAL_KM / rate))
            return max(7, due - self.randint(0, 8))
        return self.randint(150, 270)

    def _odometer(self, km: float) -> int:
        """The reading the work order carries: now and then a typo (a digit too many) as in dealer data."""
        reading = int(km) + 150
        return reading * 10 if self.rnd.random() < 0.01 else reading

    def _wo(self, vid: int, cid: int, b: int, nb: int, when: int, km: int, job: str, kpb: int | None,
            out: list[list[Any]]) -> list[Any]:
        r = self.rnd
        ri, ch = self.randint, self.choice
        wb = b if nb == 1 or r.random() >= 0.05 else ch([k for k in range(nb) if k != b])
        info = self.m.branches[wb]
        amount = 0 if job in ("ASS1", "JR", "C1", "C2") else \
            ri(45, 65) * 1000 if kpb else {"QS": ri(60, 130), "LR": ri(100, 350),
                                                   "HR": ri(400, 1500)}.get(job, 80) * 1000
        created = self.days.ts(when, ri(8, 15) - info.utc_offset, ri(0, 59))
        row = [None, info.id, None, vid, cid, self.days.date(when), max(km, 50), job, kpb,
               ch(info.pits), ch(info.mechanics), ch(info.advisors), amount, created, created]
        row.append(f"WO/{info.seed.code}/{self.days.yymm(when)}")  # numbering series, dropped before writing
        out.append(row)
        return row
