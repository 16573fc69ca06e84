"""Weekly monitoring recap and PICA (core.reports.recap) against the hand-counted data of
tests/recap_fixtures.py, on the viewer's branches only."""

from __future__ import annotations

import datetime as dt
import io

import openpyxl
import pytest

from core.platform import clock
from core.platform.errors import PermissionDenied, ValidationError
from core.reports import recap
from core.reports.recap import Period
from tests import recap_fixtures
from tests.helpers import FIXED_NOW

D = dt.date
W1, W2 = D(2020, 6, 29), D(2020, 7, 6)
BOTH_WEEKS = Period(W1, D(2020, 7, 12))


@pytest.fixture
def leads(world):
    return recap_fixtures.build(world)


def _session(world, viewer):
    return world.db.session(viewer.scope, system=viewer.all_branches)


def _recap(world, viewer, p=BOTH_WEEKS):
    with _session(world, viewer) as s:
        return [(r.branch, r.week, r.reminded, r.came_kpb, r.came_reg, r.not_came)
                for r in recap.weekly_recap(s, viewer, p)]


def test_recap_counts_each_lead_once_in_the_week_of_its_first_reminder(world, leads):
    assert _recap(world, world.ho) == [
        ("MAN01", W1, 1, 0, 0, 1),
        ("SAM01", W1, 4, 1, 1, 2),  # A came KPB, B came regular, C lost, D still followed up
        ("SAM01", W2, 2, 0, 1, 1),  # F came regular, E did not
    ]


def test_recap_of_a_week_leaves_out_leads_first_reminded_before_it(world, leads):
    # D was reminded again on 07/07 but first on 30/06: it stays in W1 only.
    assert _recap(world, world.ho, Period(W2, D(2020, 7, 12))) == [("SAM01", W2, 2, 0, 1, 1)]


def test_recap_did_not_come_gives_the_reasons(world, leads):
    with _session(world, world.ho) as s:
        reasons = recap.not_came_reasons(s, world.ho, BOTH_WEEKS)
    assert reasons == [
        ("MAN01", W1, recap.STILL_OPEN, 1),
        ("SAM01", W1, recap.STILL_OPEN, 1),
        ("SAM01", W1, "Motor sudah dijual", 1),
        ("SAM01", W2, recap.STILL_OPEN, 1),
    ]


def test_branch_user_sees_only_their_branch_in_the_recap(world, leads):
    assert _recap(world, world.admin_sam) == [("SAM01", W1, 4, 1, 1, 2), ("SAM01", W2, 2, 0, 1, 1)]
    assert _recap(world, world.admin_sam, Period(W1, D(2020, 7, 12), (world.man.id,))) == []


def _pica(world, viewer, p=BOTH_WEEKS):
    with clock.frozen(FIXED_NOW), _session(world, viewer) as s:
        return [(r.branch, r.admin, r.rejected, r.not_connected, r.not_followed)
                for r in recap.pica_summary(s, viewer, p)]


def test_pica_counts_failed_followups_by_cause_branch_and_admin(world, leads):
    assert _pica(world, world.ho) == [
        ("MAN01", "Admin Manado", 1, 0, 0),
        ("SAM01", "Admin Samarinda", 1, 2, 1),  # C rejected; D and F not reached; G's H-3 call missed
        ("SAM01", "Kabeng Samarinda", 1, 0, 0),  # E, logged by the Kepala Bengkel
    ]


def test_pica_counts_a_touch_as_not_followed_only_after_its_day(world, leads):
    # G's message of 10/07 is due today: not missed yet; its done message of 03/07 never is.
    assert _pica(world, world.ho, Period(D(2020, 7, 10), D(2020, 7, 12))) == []
    assert _pica(world, world.ho, Period(W2, D(2020, 7, 12))) == [
        ("SAM01", "Admin Samarinda", 0, 1, 1), ("SAM01", "Kabeng Samarinda", 1, 0, 0)]


def test_pica_list_behind_each_number_is_paged(world, leads):
    sam = world.admin_sam
    with clock.frozen(FIXED_NOW), _session(world, sam) as s:
        page1, total = recap.pica_items(s, sam, BOTH_WEEKS, "not_connected", branch_id=world.sam.id,
                                        user_id=sam.user_id, page=1, page_size=1)
        page2, _ = recap.pica_items(s, sam, BOTH_WEEKS, "not_connected", branch_id=world.sam.id,
                                    user_id=sam.user_id, page=2, page_size=1)
        missed, missed_total = recap.pica_items(s, sam, BOTH_WEEKS, "not_followed", branch_id=world.sam.id,
                                                user_id=sam.user_id)
    assert total == 2
    assert [i.lead_number for i in page1 + page2] == [leads["D"].number, leads["F"].number]
    assert [i.day for i in page1 + page2] == [D(2020, 6, 30), D(2020, 7, 8)]
    assert missed_total == 1 and missed[0].lead_number == leads["G"].number and missed[0].channel == "call"


def test_branch_user_gets_no_pica_list_of_another_branch(world, leads):
    with clock.frozen(FIXED_NOW), _session(world, world.admin_sam) as s:
        assert recap.pica_items(s, world.admin_sam, BOTH_WEEKS, "rejected", branch_id=world.man.id,
                                user_id=world.admin_man.user_id) == ([], 0)
        assert [r.branch for r in recap.pica_summary(s, world.admin_sam, BOTH_WEEKS)] == ["SAM01", "SAM01"]


def test_recap_needs_report_permission_and_a_valid_period(world, leads):
    with _session(world, world.sa_sam) as s, pytest.raises(PermissionDenied):
        recap.weekly_recap(s, world.sa_sam, BOTH_WEEKS)
    with pytest.raises(ValidationError):
        Period(D(2020, 7, 12), W1)


def test_recap_workbook_for_the_branch_head(world, leads):
    with clock.frozen(FIXED_NOW), _session(world, world.kabeng_sam) as s:
        data = recap.recap_xlsx(s, world.kabeng_sam, BOTH_WEEKS)
    wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True)
    assert wb.sheetnames == ["Rekap Mingguan", "Alasan tidak datang", "PICA"]
    rows = list(wb["Rekap Mingguan"].iter_rows(values_only=True))
    assert rows == [("Cabang", "Minggu", "Diingatkan", "Datang KPB", "Datang Reguler", "Tidak datang"),
                    ("SAM01", dt.datetime(2020, 6, 29), 4, 1, 1, 2), ("SAM01", dt.datetime(2020, 7, 6), 2, 0, 1, 1)]
