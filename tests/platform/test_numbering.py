"""Lead and booking numbers per branch per month, safe under concurrent creation."""

from __future__ import annotations

import datetime as dt
import threading

from sqlalchemy import select

from core.platform import numbering
from db.models import Counter


def test_numbers_restart_each_month_and_branch(db):
    with db.transaction(None, system=True) as s:
        a = numbering.next_lead_number(s, "SAM01", dt.date(2020, 7, 9))
        b = numbering.next_lead_number(s, "SAM01", dt.date(2020, 7, 30))
        c = numbering.next_lead_number(s, "SAM01", dt.date(2020, 8, 1))
        d = numbering.next_booking_number(s, "MAN01", dt.date(2020, 7, 11))
        e = numbering.next_customer_code(s, dt.date(2020, 4, 1))
    assert (a, b, c) == ("LDS/SAM01/2007/00001", "LDS/SAM01/2007/00002", "LDS/SAM01/2008/00001")
    assert d == "BOS-W/MAN01/2007/00001"
    assert e == "BPA/2004/0000001"


def test_a_block_of_numbers_is_reserved_in_one_step(db):
    with db.transaction(None, system=True) as s:
        first = numbering.reserve(s, "LDS/SAM01/2007", 500)
        after = numbering.reserve(s, "LDS/SAM01/2007")
    assert (first, after) == (1, 501)


def test_concurrent_creation_never_hands_out_a_number_twice(committed_db):
    got: list[int] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def worker() -> None:
        try:
            for _ in range(25):
                with committed_db.transaction(None, system=True) as s:
                    n = numbering.reserve(s, "LDS/SAM01/2007")
                with lock:
                    got.append(n)
        except BaseException as e:
            errors.append(e)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert sorted(got) == list(range(1, 101))
    with committed_db.session(None, system=True) as s:
        assert s.scalar(select(Counter.value).where(Counter.key == "LDS/SAM01/2007")) == 100
