"""The demo's customers (CDDB rows): names by the branch's religions, NIKs numbered as the civil
registry does, phones, addresses and consent. A part of core.demo.generator's _Generator."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable, Sequence
from typing import Any

from core.demo.catalogue import (
    _BALI_F,
    _BALI_M,
    _BALI_NAME,
    _CHRISTIAN_F,
    _CHRISTIAN_LAST,
    _CHRISTIAN_M,
    _MUSLIM_F,
    _MUSLIM_LAST,
    _MUSLIM_LAST_F,
    _MUSLIM_M,
    _STREETS,
)
from core.demo.rows import _Customer, _Days, _Master, _Weighted
from core.platform.numbering import format_number


class _CustomerMaker:
    """The generator's customer rows; the state it reads is set up by _Generator.__init__."""

    m: _Master
    rnd: random.Random
    randint: Callable[[int, int], int]
    choice: Callable[[Sequence[Any]], Any]
    days: _Days
    phone_prefix: _Weighted
    occ_m: _Weighted
    occ_f: _Weighted
    religion: list[_Weighted]
    district_index: dict[str, int]
    birth_min: int
    nik_span: int
    nik_seq: bytearray
    bpa_next: dict[str, int]

    def _name(self, b: int, female: bool) -> str:
        r, ch = self.rnd, self.choice
        religion = self.religion[b].pick(r.random())
        if religion == 2:
            first = ch(_BALI_F if female else _BALI_M)
            return f"{first} {ch(_BALI_NAME)}"
        if religion == 1:
            first = ch(_CHRISTIAN_F if female else _CHRISTIAN_M)
            return f"{first} {ch(_CHRISTIAN_LAST)}"
        first = ch(_MUSLIM_F if female else _MUSLIM_M)
        u = r.random()
        if u < 0.15:
            return first if first not in ("MUHAMMAD", "AHMAD", "SITI", "NUR") else f"{first} {ch(_MUSLIM_M)}"
        last = ch(_MUSLIM_LAST_F if female and u < 0.6 else _MUSLIM_LAST)
        if u > 0.8:
            middle = ch(_MUSLIM_F if female else _MUSLIM_M)
            if middle != first:
                return f"{first} {middle} {last}"
        return f"{first} {last}"

    def customer_row(self, cid: int, b: int, day: int) -> tuple[tuple[Any, ...], _Customer]:
        r, info, days = self.rnd, self.m.branches[b], self.days
        ri, ch = self.randint, self.choice
        female = r.random() < 0.36
        name = self._name(b, female)
        age_days = int(r.triangular(17, 62, 26) * 365.25) + ri(0, 364)
        birth = day - age_days
        bd = dt.date.fromordinal(birth)
        d_index = info.district_pick.pick(r.random())
        district = info.districts[d_index]
        slot = (self.district_index[district] * 2 + female) * self.nik_span + (birth - self.birth_min)
        self.nik_seq[slot] += 1
        nik: str | None = (f"{info.seed.province_code}{district[2:]}{bd.day + 40 * female:02d}{bd.month:02d}"
                           f"{bd.year % 100:02d}{self.nik_seq[slot]:04d}")
        u = r.random()
        occupation = (self.occ_f if female else self.occ_m).pick(r.random())
        if u < 0.06:
            nik = None  # incomplete CDDB: the "no CDDB yet" path
        elif u < 0.11:
            occupation = None
        phone = None if r.random() < 0.02 else f"+62{self.phone_prefix.pick(r.random())}{ri(1_000_000, 99_999_999)}"
        phone2 = f"+62{self.phone_prefix.pick(r.random())}{ri(10_000_000, 99_999_999)}" \
            if r.random() < 0.1 else None
        address = f"JL. {ch(_STREETS)} NO. {ri(1, 199)}"
        if r.random() < 0.6:
            address += f" RT. {ri(1, 15):03d} RW. {ri(1, 9):03d}"
        consent = r.random() < 0.93
        series = f"BPA/{days.yymm(day)}"
        number = self.bpa_next[series]
        self.bpa_next[series] = number + 1
        minute = ri(0, 59)
        created = days.ts(day, ri(9, 16) - info.utc_offset, minute)
        row = (cid, info.id, format_number(series, number), name, nik, phone, phone2, address,
               info.seed.province_code, district[:4], district, f"{district}{1000 + ri(1, 12)}",
               f"{info.seed.postal}{ri(11, 99)}", occupation, days.date(birth), "F" if female else "M",
               consent, consent and r.random() < 0.92, created if consent else None,
               "Form SPK" if consent else None, created, created)
        return row, _Customer(cid, name, nik, phone, address, occupation)
