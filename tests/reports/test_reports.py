"""Laporan CRM (core.reports.laporan, core.reports.laporan_export): the wizard's filters on known data, branch
scope, NIK masking, the export permission and audit, the xlsx/CSV writers (sheet roll-over) and the chart
aggregates."""

from __future__ import annotations

import csv
import datetime as dt
import io

import openpyxl
import pytest
from openpyxl.utils.escape import unescape
from sqlalchemy import select, update

from core.pipeline.stages import mark_lost, mark_won
from core.platform import clock
from core.platform.errors import PermissionDenied, ValidationError
from core.reports import laporan, laporan_export
from core.reports.laporan import LAPORAN_COLUMNS, LAPORAN_DATE_COLUMNS, ReportFilter
from db.enums import Stage
from db.models import AuditLog, Lead, LostReason
from tests.helpers import FIXED_NOW, new_lead, opportunity_at
from tests.reports import laporan_reference as reports

D = dt.date
SUBJECT = LAPORAN_COLUMNS.index("Subject")


def _at(y, m, d, hh=3, mm=0):
    return dt.datetime(y, m, d, hh, mm, tzinfo=dt.UTC)


@pytest.fixture
def known(world):
    """Samarinda: L1 lead (01/07), L2 FU1 (05/07), L3 FU2 (created 30/06 16:30 UTC = 01/07 00:30 WITA),
    L4 won (10/07), L5 lost (12/07), L6 lead (02/08). Manado: M1 FU1 (05/07). Returns {name: number}."""
    out = {}
    with clock.frozen(_at(2020, 7, 1)):
        out["L1"] = new_lead(world, kpb=1).number
    with clock.frozen(_at(2020, 7, 5)):
        out["L2"] = opportunity_at(world, 1, kpb=2).number
        out["M1"] = opportunity_at(world, 1, world.admin_man, customer=world.customer_man,
                                   vehicle=world.vehicle_man, kpb=1).number
    with clock.frozen(_at(2020, 6, 30, 16, 30)):
        out["L3"] = opportunity_at(world, 2, kpb=3).number
    with clock.frozen(_at(2020, 7, 10)):
        won = opportunity_at(world, 1, kpb=4)
    with clock.frozen(FIXED_NOW), world.db.transaction(world.admin_sam.scope) as s:
        out["L4"] = mark_won(s, world.admin_sam, won.id).number
    with clock.frozen(_at(2020, 7, 12)):
        lost = opportunity_at(world, 1, kpb=4)
    with clock.frozen(FIXED_NOW), world.db.transaction(world.admin_sam.scope) as s:
        reason = s.scalars(select(LostReason).where(LostReason.code == "SOLD")).one()
        out["L5"] = mark_lost(s, world.admin_sam, lost.id, reason.id, note="dijual").number
    with clock.frozen(_at(2020, 8, 2)):
        out["L6"] = new_lead(world, kpb=4).number
    return out


def _numbers(world, viewer, f: ReportFilter) -> list[str]:
    with world.db.session(viewer.scope, system=viewer.all_branches) as s:
        rows = list(reports.laporan_rows(s, viewer, f, batch=2))
        assert laporan.count_rows(s, viewer, f) == len(rows)
    return sorted(r[SUBJECT] for r in rows)


def _expect(known, *names) -> list[str]:
    return sorted(known[n] for n in names)


@pytest.mark.parametrize(("f", "names"), [
    (ReportFilter(), ["L1", "L2", "L3", "L4", "L5", "L6", "M1"]),
    (ReportFilter(kind="leads"), ["L1", "L6"]),
    (ReportFilter(kind="opportunity"), ["L2", "L3", "L4", "L5", "M1"]),
    (ReportFilter(kind="opportunity", stage=Stage.FU1), ["L2", "M1"]),
    (ReportFilter(kind="opportunity", stage=Stage.FU2), ["L3"]),
    (ReportFilter(kind="opportunity", stage=Stage.FU3), []),
    (ReportFilter(kind="opportunity", stage=Stage.WON), ["L4"]),
    (ReportFilter(kind="opportunity", stage=Stage.LOST), ["L5"]),
    (ReportFilter(created_from=D(2020, 7, 1), created_to=D(2020, 7, 31)), ["L1", "L2", "L3", "L4", "L5", "M1"]),
    (ReportFilter(created_from=D(2020, 7, 1), created_to=D(2020, 7, 1)), ["L1", "L3"]),  # a day, branch-local
    (ReportFilter(created_from=D(2020, 6, 30), created_to=D(2020, 6, 30)), []),
    (ReportFilter(created_from=D(2020, 8, 1)), ["L6"]),
    (ReportFilter(kind="leads", created_from=D(2020, 7, 1), created_to=D(2020, 7, 31)), ["L1"]),
])
def test_filters_give_exactly_the_expected_leads(world, known, f, names):
    assert _numbers(world, world.ho, f) == _expect(known, *names)


def test_branch_filter_and_scope(world, known):
    man, sam = world.man.id, world.sam.id
    assert _numbers(world, world.ho, ReportFilter(branch_ids=(man,))) == _expect(known, "M1")
    assert _numbers(world, world.ho, ReportFilter(branch_ids=(sam, man), kind="leads")) == _expect(known, "L1", "L6")
    # A branch user sees their own branch, and nothing when asking for another one.
    own = _expect(known, "L1", "L2", "L3", "L4", "L5", "L6")
    assert _numbers(world, world.kabeng_sam, ReportFilter()) == own
    assert _numbers(world, world.kabeng_sam, ReportFilter(branch_ids=(man,))) == []
    assert _numbers(world, world.kabeng_sam, ReportFilter(branch_ids=(sam, man))) == own


def test_a_branch_user_cannot_export_another_branch(world, known, tmp_path):
    with world.db.session(world.kabeng_sam.scope) as s:
        n = laporan_export.export_laporan(s, world.kabeng_sam, ReportFilter(branch_ids=(world.man.id,)),
                                   tmp_path / "x.xlsx")
    assert n == 0
    ws = openpyxl.load_workbook(tmp_path / "x.xlsx", read_only=True).active
    assert [list(r) for r in ws.iter_rows(values_only=True)] == [list(LAPORAN_COLUMNS)]


def test_stage_only_with_opportunity():
    with pytest.raises(ValidationError):
        ReportFilter(kind="all", stage=Stage.FU1)
    with pytest.raises(ValidationError):
        ReportFilter(kind="opportunity", stage=Stage.NEW)
    with pytest.raises(ValidationError):
        ReportFilter(created_from=D(2020, 7, 2), created_to=D(2020, 7, 1))


def _row(world, viewer, number) -> dict:
    with world.db.session(viewer.scope, system=viewer.all_branches) as s:
        rows = [r for r in reports.laporan_rows(s, viewer, ReportFilter()) if r[SUBJECT] == number]
    assert len(rows) == 1
    return dict(zip(LAPORAN_COLUMNS, rows[0], strict=True))


def test_row_columns_and_nik_masking(world, known):
    full = _row(world, world.ho, known["L3"])
    assert full["No KTP"] == "6472020504010003"
    assert full["Creation Date"] == "01/07/2020"  # branch-local (WITA)
    assert full["Branch"] == "[SAM01] SAMARINDA"
    assert full["Customer"] == "[BPA/1912/1553856] RESTU ANDIKA PRADANA PUTRA"
    assert full["Phone"] == "+6285845164510"
    assert full["Stage"] == "Follow Up 2"
    assert full["Rekomendasi Service"] == "KPB" and full["KPB Ke"] == 3
    assert full["KPB Date Expired"] == "31/07/2020"
    assert full["Sales Date"] == "04/12/2019"
    assert full["Engine No"] == "KF41E1693525" and full["Plate"] == "KT 2146 FK"
    assert full["Follow Up 1"] == "01/07/2020" and full["Follow Up 2"] == "02/07/2020"
    assert full["Opportunity Status"] == "COLD PROSPECT" and full["Status Customer"] == "Terhubung"
    assert full["Pekerjaan"]
    masked = _row(world, world.kabeng_sam, known["L3"])  # Kepala Bengkel: no Perm.NIK_FULL
    assert masked["No KTP"] == "647202********03"
    lost = _row(world, world.ho, known["L5"])
    assert lost["Stage"] == "Lost" and lost["Lost Reason"] == "Motor sudah dijual" and lost["Lost Note"] == "dijual"


def test_the_columns_users_asked_for_assigned_admin_promised_date_lost_reason_and_note_last_contact(world, known):
    fu2 = _row(world, world.ho, known["L3"])
    assert fu2["Admin"] == "Admin Samarinda"
    assert fu2["Last Contact"] == "02/07/2020" and fu2["Last Contact Status"] == "Terhubung"  # its Follow Up 2
    assert fu2["Promised Date"] is None and fu2["Lost Reason"] is None and fu2["Lost Note"] is None
    lead = _row(world, world.ho, known["L1"])  # never contacted
    assert lead["Last Contact"] is None and lead["Last Contact Status"] is None
    with world.db.transaction(None, system=True) as s:
        s.execute(update(Lead).where(Lead.number == known["L2"])
                  .values(promised_date=D(2020, 7, 20), assigned_user_id=None))
    promised = _row(world, world.ho, known["L2"])
    assert promised["Promised Date"] == "20/07/2020" and promised["Admin"] is None


def test_export_needs_permission(world, known, tmp_path):
    with world.db.session(world.admin_sam.scope) as s, pytest.raises(PermissionDenied):
        laporan_export.export_laporan(s, world.admin_sam, ReportFilter(), tmp_path / "x.xlsx")
    with world.db.session(world.sa_sam.scope) as s, pytest.raises(PermissionDenied):
        list(reports.laporan_rows(s, world.sa_sam, ReportFilter()))
    assert not (tmp_path / "x.xlsx").exists()


def test_xlsx_export_reads_back_and_is_audited(world, known, tmp_path):
    path = tmp_path / "laporan.xlsx"
    f = ReportFilter(kind="opportunity")
    with world.db.transaction(world.kabeng_sam.scope) as s:
        n = laporan_export.export_laporan(s, world.kabeng_sam, f, path)
    assert n == 4
    wb = openpyxl.load_workbook(path, read_only=True)
    assert wb.sheetnames == ["Laporan CRM"]
    rows = list(wb["Laporan CRM"].iter_rows(values_only=True))
    assert list(rows[0]) == list(LAPORAN_COLUMNS)
    assert sorted(r[SUBJECT] for r in rows[1:]) == _expect(known, "L2", "L3", "L4", "L5")
    assert all(r[LAPORAN_COLUMNS.index("No KTP")] == "647202********03" for r in rows[1:])
    with world.db.session(None, system=True) as s:
        entry = s.scalars(select(AuditLog).where(AuditLog.action == "report.export")).one()
    assert entry.user_id == world.kabeng_sam.user_id and entry.object_type == "report"
    assert "tipe=opportunity" in entry.note and "baris=4" in entry.note and "xlsx" in entry.note


def test_csv_round_trips(world, known):
    buf = io.BytesIO()
    with world.db.transaction(None, system=True) as s:
        n = laporan_export.export_laporan(s, world.ho, ReportFilter(kind="leads"), buf, "csv")
    assert n == 2 and not buf.closed
    data = buf.getvalue()
    assert data.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[0] == list(LAPORAN_COLUMNS)
    assert sorted(r[SUBJECT] for r in rows[1:]) == _expect(known, "L1", "L6")
    with world.db.session(None, system=True) as s:
        assert "csv" in s.scalars(select(AuditLog.note).where(AuditLog.action == "report.export")).one()


def test_xlsx_continues_on_a_new_sheet(tmp_path):
    path = tmp_path / "big.xlsx"
    rows = [(f"r{i}", i) for i in range(7)]
    assert laporan_export.write_xlsx(iter(rows), path, ["A", "B"], sheet_rows=4) == 7  # 3 data rows a sheet
    wb = openpyxl.load_workbook(path, read_only=True)
    assert wb.sheetnames == ["Laporan CRM", "Laporan CRM (2)", "Laporan CRM (3)"]
    got = [list(ws.iter_rows(values_only=True)) for ws in wb.worksheets]
    assert [g[0] for g in got] == [("A", "B")] * 3
    assert [r for g in got for r in g[1:]] == rows
    assert [len(g) for g in got] == [4, 4, 2]


def test_chart_aggregates(world, known):
    f = ReportFilter()
    with world.db.session(None, system=True) as s:
        assert laporan.prospect_status_by_branch(s, world.ho, f) == [("MAN01", 0, 0, 1), ("SAM01", 0, 0, 2)]
        assert laporan.won_lost_by_branch(s, world.ho, f) == [("MAN01", 0, 0, 1), ("SAM01", 1, 1, 2)]
        july = ReportFilter(created_from=D(2020, 7, 5), created_to=D(2020, 7, 5))
        assert laporan.won_lost_by_branch(s, world.ho, july) == [("MAN01", 0, 0, 1), ("SAM01", 0, 0, 1)]
    with world.db.session(world.kabeng_sam.scope) as s:
        assert laporan.won_lost_by_branch(s, world.kabeng_sam, f) == [("SAM01", 1, 1, 2)]
        assert laporan.prospect_status_by_branch(s, world.kabeng_sam, ReportFilter(branch_ids=(world.man.id,))) == []


@pytest.mark.parametrize("role", ["ho", "kabeng_sam"])  # full NIK / masked NIK
def test_csv_rows_formatted_in_sql_match_the_report_rows(world, known, role):
    viewer = getattr(world, role)
    with world.db.session(viewer.scope, system=viewer.all_branches) as s:
        expected = [tuple("" if v is None else str(v) for v in r)
                    for r in reports.laporan_rows(s, viewer, ReportFilter())]
        got = [tuple("" if v is None else str(v) for v in r)
               for part in laporan_export.csv_batches(s, viewer, ReportFilter(), batch=3) for r in part]
    assert got == expected and len(got) == (7 if role == "ho" else 6)


def test_an_export_scans_with_a_small_page_cache_and_gives_the_connection_its_own_back(world, known):
    """SQLite: while an export reads the leads its connection's page cache is EXPORT_CACHE_MB (a scan
    reads each page once; the default cache would only hold pages it never reads again), and afterwards
    the connection has its own cache size again (whatever it was: an import may have raised it), for
    whoever uses it next. PostgreSQL: nothing to set."""
    seen = []

    def progress(_rows):
        seen.append(s.connection().exec_driver_sql("PRAGMA cache_size").scalar() if sqlite else None)

    with world.db.session(world.ho.scope, system=True) as s:
        sqlite = s.get_bind().dialect.name == "sqlite"
        before = s.connection().exec_driver_sql("PRAGMA cache_size").scalar() if sqlite else None
        laporan_export.write_xlsx_fast(s, world.ho, ReportFilter(), io.BytesIO(), progress)
        laporan_export.write_csv_fast(s, world.ho, ReportFilter(), io.BytesIO())
        after = s.connection().exec_driver_sql("PRAGMA cache_size").scalar() if sqlite else None
    assert after == before and seen
    if sqlite:
        assert set(seen) == {-laporan_export.EXPORT_CACHE_MB * 1024} != {before}


@pytest.mark.parametrize("role", ["ho", "kabeng_sam"])
def test_csv_export_holds_the_report_rows_on_each_database(world, known, role):
    """SQLite: SQL-formatted rows through csv.writer; PostgreSQL: the server's own COPY ... CSV."""
    viewer = getattr(world, role)
    f = ReportFilter(created_from=D(2020, 7, 1))
    buf = io.BytesIO()
    with world.db.session(viewer.scope, system=viewer.all_branches) as s:
        expected = [["" if v is None else str(v) for v in r] for r in reports.laporan_rows(s, viewer, f)]
        n = laporan_export.write_csv_fast(s, viewer, f, buf)
    data = buf.getvalue().decode("utf-8")
    assert data.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(data[1:])))
    assert rows[0] == list(LAPORAN_COLUMNS) and rows[1:] == expected and n == len(expected) > 0


TRICKY = {"contact_name": 'BUDI, S.KOM "ACONG"', "note": 'janji, "besok"\ndatang\r\nlagi', "plate": "=1+1"}


def _make_tricky(world, known) -> None:
    """Texts csv.writer must quote (comma, quotes, LF, CRLF) and one Excel must not read as a formula."""
    with world.db.transaction(None, system=True) as s:
        s.execute(update(Lead).where(Lead.number == known["L2"]).values(**TRICKY))
        s.execute(update(Lead).where(Lead.number == known["L4"]).values(note=""))


@pytest.mark.parametrize("role", ["ho", "kabeng_sam"])
def test_csv_export_is_byte_for_byte_what_csv_writer_makes(world, known, role):
    """SQLite builds each CSV line in SQL: the bytes must be csv.writer's (quoting, doubled quotes, line
    breaks inside a field, CRLF line ends). PostgreSQL's COPY ends lines with LF: same fields."""
    _make_tricky(world, known)
    viewer = getattr(world, role)
    expected, buf = io.StringIO(), io.BytesIO()
    with world.db.session(viewer.scope, system=viewer.all_branches) as s:
        writer = csv.writer(expected)
        writer.writerow(LAPORAN_COLUMNS)
        for part in laporan_export.csv_batches(s, viewer, ReportFilter()):
            writer.writerows(part)
        n = laporan_export.write_csv_fast(s, viewer, ReportFilter(), buf)
        dialect = s.get_bind().dialect.name
    got = buf.getvalue().decode("utf-8")
    assert got.startswith("\ufeff") and n == (7 if role == "ho" else 6)
    if dialect == "sqlite":
        assert got[1:] == expected.getvalue()
    else:
        assert list(csv.reader(io.StringIO(got[1:]))) == list(csv.reader(io.StringIO(expected.getvalue())))
    rows = list(csv.reader(io.StringIO(got[1:])))
    tricky = next(r for r in rows if r[SUBJECT] == known["L2"])
    assert tricky[LAPORAN_COLUMNS.index("Note")] == TRICKY["note"]
    assert tricky[LAPORAN_COLUMNS.index("Customer")].endswith(TRICKY["contact_name"])


def _as_xlsx(row) -> tuple:
    """A report row as openpyxl reads the xlsx back: dates as datetimes, empty cells None."""
    return tuple(dt.datetime.strptime(v, "%d/%m/%Y") if v and name in LAPORAN_DATE_COLUMNS else (v if v != "" else None)
                 for name, v in zip(LAPORAN_COLUMNS, row, strict=True))


@pytest.mark.parametrize("role", ["ho", "kabeng_sam"])
def test_xlsx_export_holds_exactly_the_report_rows_values(world, known, role, tmp_path):
    _make_tricky(world, known)
    viewer = getattr(world, role)
    path = tmp_path / "laporan.xlsx"
    with world.db.session(viewer.scope, system=viewer.all_branches) as s:
        expected = [_as_xlsx(r) for r in reports.laporan_rows(s, viewer, ReportFilter())]
        n = laporan_export.write_xlsx_fast(s, viewer, ReportFilter(), path)
    # A CR (and any control character) is stored as OOXML's escape _x000D_, which Excel shows as the
    # character; openpyxl decodes these escapes in shared strings but not in inline ones: decode here.
    rows = [tuple(unescape(v) if isinstance(v, str) else v for v in r)
            for r in openpyxl.load_workbook(path, read_only=True)["Laporan CRM"].iter_rows(values_only=True)]
    assert rows[0] == LAPORAN_COLUMNS and rows[1:] == expected and n == len(expected) == (7 if role == "ho" else 6)
    tricky = next(r for r in rows if r[SUBJECT] == known["L2"])
    assert tricky[LAPORAN_COLUMNS.index("Plate")] == "=1+1"  # a text, not a formula
    assert isinstance(tricky[LAPORAN_COLUMNS.index("KPB Ke")], int)
    wb = openpyxl.load_workbook(path)
    plate = wb["Laporan CRM"].cell(row=1 + expected.index(tricky), column=1 + LAPORAN_COLUMNS.index("Plate"))
    assert plate.data_type == "s"


def test_xlsx_export_of_a_filter_with_no_rows_has_only_the_header(world, known, tmp_path):
    path = tmp_path / "empty.xlsx"
    with world.db.session(None, system=True) as s:
        assert laporan_export.write_xlsx_fast(s, world.ho, ReportFilter(created_from=D(2030, 1, 1)), path) == 0
    ws = openpyxl.load_workbook(path, read_only=True)["Laporan CRM"]
    assert list(ws.iter_rows(values_only=True)) == [LAPORAN_COLUMNS]


def test_xlsx_failing_rows_leave_no_file_and_no_temporary_files(tmp_path):
    def rows():
        yield ("a", 1)
        raise RuntimeError("the query failed")

    with pytest.raises(RuntimeError, match="the query failed"):
        laporan_export.write_xlsx(rows(), tmp_path / "x.xlsx", ["A", "B"])
    assert list(tmp_path.iterdir()) == []
