"""The weekly recap e-mail (core.reports.recap_mail, recap_mail_recipients) end to end: real SMTP to a local fake server
(tests/fakes/smtp.py), messages parsed back with email.parser, against the hand-counted data of
tests/recap_fixtures.py. Monday 06/07/2020 recaps W1 = Mon 29/06 - Sun 05/07.

Who gets mail: SAM01's Kepala Bengkel (Indonesian) and Kepala Cabang (English), head office. Not:
SAM01's admin (has an address, not a head), a disabled Kepala Cabang of SAM01, MAN01's Kepala Cabang
(no address: reported), BPN01 (no head at all: reported)."""

from __future__ import annotations

import datetime as dt
import io
import ssl
import subprocess
import threading
from html.parser import HTMLParser

import openpyxl
import pytest
from sqlalchemy import select, update

from core.accounts.access import Viewer
from core.accounts.auth import create_user
from core.platform import clock, mailer
from core.platform.errors import PermissionDenied, ValidationError
from core.platform.mailer import SmtpSettings, smtp_from_env
from core.reports import recap, recap_mail, recap_mail_recipients
from core.reports.recap import Period
from db.enums import Role
from db.models import Branch, RecapMail, User
from tests import recap_fixtures
from tests.conftest import build_world
from tests.fakes.smtp import FakeSmtpServer

D = dt.date
W1 = D(2020, 6, 29)
WITA = "Asia/Makassar"
MONDAY_0830_WITA = clock.at_local(D(2020, 7, 6), 8, 30, WITA)  # 07:30 WIB: head office's mail is due too
KABENG, KACAB, HO = "kabeng.sam01@dealer.test", "kacab.sam01@dealer.test", "crm@dealer.test"


@pytest.fixture
def smtp():
    with FakeSmtpServer() as fake:
        yield fake


def _cfg(fake: FakeSmtpServer, **kw) -> SmtpSettings:
    return SmtpSettings(host="127.0.0.1", port=fake.port, sender="crm-noreply@dealer.test", timeout=5, **kw)


def _people(world) -> None:
    """Addresses and languages for the world's users, plus the heads the docstring lists."""
    with world.db.transaction(None, system=True) as s:
        bpn = Branch(code="BPN01", name="BALIKPAPAN", timezone=WITA)
        s.add(bpn)
        s.flush()
        s.execute(update(User).where(User.username == "kabeng.sam01").values(email=KABENG))
        s.execute(update(User).where(User.username == "ho").values(email=HO))
        s.execute(update(User).where(User.username == "admin.sam01").values(email="admin.sam01@dealer.test"))
        create_user(s, username="kacab.sam01", full_name="Kacab Samarinda", password="", password_hash="x",
                    role=Role.KACAB, branch_ids=[world.sam.id], email=KACAB).language = "en"
        create_user(s, username="kacab.old", full_name="Kacab Lama", password="", password_hash="x",
                    role=Role.KACAB, branch_ids=[world.sam.id], email="old@dealer.test").active = False
        create_user(s, username="kacab.man01", full_name="Kacab Manado", password="", password_hash="x",
                    role=Role.KACAB, branch_ids=[world.man.id])


@pytest.fixture
def ready(world):
    leads = recap_fixtures.build(world)
    _people(world)
    return leads


def _run(world, fake, at=MONDAY_0830_WITA, worker="w1", **kw) -> list[str]:
    with clock.frozen(at):
        return recap_mail.run_weekly(world.db, worker, _cfg(fake, **kw))


def _by_recipient(fake: FakeSmtpServer) -> dict[str, object]:
    return {m.rcpt_to[0]: m.parsed() for m in fake.messages}


def _log(world) -> dict[tuple[str, str | None], RecapMail]:
    with world.db.session(None, system=True) as s:
        rows = s.execute(select(RecapMail, Branch.code, User.username)
                         .outerjoin(Branch, Branch.id == RecapMail.branch_id)
                         .outerjoin(User, User.id == RecapMail.user_id)).all()
    return {(code or "HO", user): m for m, code, user in rows}


class _Tables(HTMLParser):
    """The HTML part's tables as lists of rows of cell texts."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: list[list[list[str]]] = []
        self._cell: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self.tables.append([])
        elif tag == "tr":
            self.tables[-1].append([])
        elif tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self.tables[-1][-1].append("".join(self._cell).strip())
            self._cell = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def _html_tables(msg) -> list[list[list[str]]]:
    parser = _Tables()
    parser.feed(msg.get_body(("html",)).get_content())
    return parser.tables


def _attachment(msg) -> openpyxl.Workbook:
    (part,) = list(msg.iter_attachments())
    return openpyxl.load_workbook(io.BytesIO(part.get_content()), read_only=True)


# --- who gets what -----------------------------------------------------------------------------------


def test_each_branch_head_and_head_office_get_one_mail_and_the_others_are_reported(world, ready, smtp):
    ran = _run(world, smtp)
    assert ran and "sent 3" in ran[0]
    assert sorted(m.rcpt_to[0] for m in smtp.messages) == sorted([KABENG, KACAB, HO])
    assert all(m.mail_from == "crm-noreply@dealer.test" for m in smtp.messages)
    log = _log(world)
    assert {k: m.state for k, m in log.items()} == {
        ("SAM01", "kabeng.sam01"): "sent", ("SAM01", "kacab.sam01"): "sent", ("HO", "ho"): "sent",
        ("MAN01", "kacab.man01"): "no_email", ("BPN01", None): "no_head"}
    assert {m.week for m in log.values()} == {W1}
    mails = _by_recipient(smtp)
    assert mails[KABENG]["To"] == "Kabeng Samarinda <kabeng.sam01@dealer.test>"
    assert mails[KABENG]["Subject"] == "Rekap mingguan follow up SAM01, 29/06/2020 - 05/07/2020"
    assert mails[HO]["Subject"] == "Rekap mingguan follow up semua cabang, 29/06/2020 - 05/07/2020"


def test_the_branch_mail_shows_the_weeks_recap_reasons_and_pica(world, ready, smtp):
    _run(world, smtp)
    mail = _by_recipient(smtp)[KABENG]
    recap_t, reasons_t, pica_t = _html_tables(mail)
    # Hand-counted (tests/recap_fixtures.py): A came KPB, B came regular, C lost (sold), D still followed up.
    assert recap_t == [["Cabang", "Diingatkan", "Datang KPB", "Datang Reguler", "Tidak datang"],
                       ["SAM01", "4", "1", "1", "2"]]
    assert reasons_t[1:] == [["SAM01", "Masih di-follow up", "1"], ["SAM01", "Motor sudah dijual", "1"]]
    assert pica_t == [["Cabang", "Admin", "Rejected", "Tidak Terhubung", "Cabang tidak follow up", "Total"],
                      ["SAM01", "Admin Samarinda", "1", "1", "0", "2"]]
    # ...and they are core.reports.recap's numbers for the week, the ones the page shows.
    with world.db.session(None, system=True) as s:
        (row,) = recap.weekly_recap(s, Viewer.system_viewer(), Period(W1, D(2020, 7, 5), (world.sam.id,)))
    assert recap_t[1][1:] == [str(n) for n in (row.reminded, row.came_kpb, row.came_reg, row.not_came)]
    text = mail.get_body(("plain",)).get_content()
    assert "Yth. Kabeng Samarinda," in text
    assert any(line.split() == ["SAM01", "4", "1", "1", "2"] for line in text.splitlines())
    assert any(line.split() == ["SAM01", "Admin", "Samarinda", "1", "1", "0", "2"] for line in text.splitlines())
    part = next(mail.iter_attachments())
    assert part.get_filename() == "rekap-mingguan-SAM01-20200629.xlsx"
    sheet = _attachment(mail)["Rekap Mingguan"]
    assert [list(r) for r in sheet.iter_rows(values_only=True)][1] == ["SAM01", dt.datetime(2020, 6, 29), 4, 1, 1, 2]


def test_head_office_gets_every_branch_with_totals(world, ready, smtp):
    _run(world, smtp)
    recap_t, reasons_t, pica_t = _html_tables(_by_recipient(smtp)[HO])
    assert recap_t[1:] == [["BPN01", "0", "0", "0", "0"], ["MAN01", "1", "0", "0", "1"],
                           ["SAM01", "4", "1", "1", "2"], ["Total", "5", "1", "1", "3"]]
    assert ["MAN01", "Masih di-follow up", "1"] in reasons_t
    assert pica_t == [["Cabang", "Rejected", "Tidak Terhubung", "Cabang tidak follow up", "Total"],
                      ["MAN01", "1", "0", "0", "1"], ["SAM01", "1", "1", "0", "2"]]
    sheet = _attachment(_by_recipient(smtp)[HO])["Rekap Mingguan"]
    assert [r[0] for r in sheet.iter_rows(min_row=2, values_only=True)] == ["MAN01", "SAM01"]


def test_the_mail_is_in_the_recipients_language(world, ready, smtp):
    _run(world, smtp)
    english = _by_recipient(smtp)[KACAB]
    assert english["Subject"] == "Weekly follow-up recap SAM01, 29/06/2020 - 05/07/2020"
    recap_t, reasons_t, pica_t = _html_tables(english)
    assert recap_t[0] == ["Branch", "Reminded", "Came for KPB", "Came for regular service", "Did not come"]
    assert reasons_t[1:] == [["SAM01", "Still being followed up", "1"], ["SAM01", "Sold the unit", "1"]]
    assert pica_t[0][3] == "Not reached"
    assert english.get_body(("plain",)).get_content().startswith("Dear Kacab Samarinda,")
    assert _by_recipient(smtp)[KABENG].get_body(("plain",)).get_content().startswith("Yth.")


# --- when, and exactly once ----------------------------------------------------------------------------


def test_nothing_goes_before_monday_0700_local_and_head_office_waits_for_0700_wib(world, ready, smtp):
    assert _run(world, smtp, at=clock.at_local(D(2020, 7, 6), 6, 59, WITA)) == []
    assert smtp.messages == [] and _log(world) == {}
    _run(world, smtp, at=clock.at_local(D(2020, 7, 6), 7, 30, WITA))  # 06:30 WIB
    assert sorted(m.rcpt_to[0] for m in smtp.messages) == sorted([KABENG, KACAB])
    _run(world, smtp, at=clock.at_local(D(2020, 7, 6), 7, 0, "Asia/Jakarta"))
    assert sorted(m.rcpt_to[0] for m in smtp.messages) == sorted([KABENG, KACAB, HO])


def test_exactly_once_per_week_across_runs_and_workers(world, ready, smtp):
    _run(world, smtp, worker="w1")
    _run(world, smtp, worker="w2")
    assert _run(world, smtp, at=clock.at_local(D(2020, 7, 9), 15, 0, WITA), worker="w2") == []
    assert len(smtp.messages) == 3
    _run(world, smtp, at=clock.at_local(D(2020, 7, 13), 7, 5, WITA))  # the next Monday: the next week
    assert len(smtp.messages) == 5  # SAM01's two heads; head office waits for 07:00 WIB
    assert {m.week for m in _log(world).values()} == {W1, D(2020, 7, 6)}


def test_a_worker_that_died_between_claim_and_send_is_taken_over_once(world, ready, smtp):
    with clock.frozen(MONDAY_0830_WITA):
        recap_mail_recipients.enqueue(world.db, clock.now())
        dead = recap_mail.claim(world.db, "dead-worker", clock.now())
    assert len(dead) == 3
    assert _run(world, smtp, worker="w2") == [] and smtp.messages == []  # the lease still holds them
    later = MONDAY_0830_WITA + recap_mail.LEASE + dt.timedelta(minutes=1)
    _run(world, smtp, at=later, worker="w2")
    assert sorted(m.rcpt_to[0] for m in smtp.messages) == sorted([KABENG, KACAB, HO])
    # The dead worker coming back cannot overwrite what the live one recorded.
    from core.platform.mailer import Delivery
    recap_mail.record(world.db, "dead-worker", dead[0], Delivery(False, error="late"), later)
    assert {m.state for m in _log(world).values() if m.email} == {"sent"}
    _run(world, smtp, at=later + dt.timedelta(hours=1), worker="w3")
    assert len(smtp.messages) == 3


# --- failures --------------------------------------------------------------------------------------------


def test_smtp_down_is_retried_later_and_shown_to_pic_crm(world, ready, smtp):
    smtp.fail_next("connect", 421)
    ran = _run(world, smtp)
    assert "retry 3" in ran[0] and smtp.messages == []
    with world.db.session(None, system=True) as s, clock.frozen(MONDAY_0830_WITA):
        shown = recap_mail.status(s, world.ho, env={"H23_SMTP_HOST": "127.0.0.1"})
    waiting = [r for r in shown.rows if r.state == "retry"]
    assert len(waiting) == 3 and all("421" in (r.error or "") for r in waiting)
    assert {r.next_attempt_at for r in waiting} == {MONDAY_0830_WITA + recap_mail.RETRY_AFTER}
    assert _run(world, smtp, at=MONDAY_0830_WITA + dt.timedelta(minutes=2)) == []  # not yet
    _run(world, smtp, at=MONDAY_0830_WITA + dt.timedelta(minutes=6))
    assert len(smtp.messages) == 3
    assert {(m.state, m.attempts, m.error) for m in _log(world).values() if m.email} == {("sent", 2, None)}


def test_a_refused_recipient_retries_alone_and_a_permanent_refusal_fails(world, ready, smtp):
    smtp.fail_next("rcpt", 451)  # the first mail (SAM01's first head, in id order): for now
    smtp.fail_next("data", 554)  # the second: for good
    _run(world, smtp)
    states = sorted(m.state for m in _log(world).values() if m.email)
    assert states == ["failed", "retry", "sent"] and len(smtp.messages) == 1
    failed = next(m for m in _log(world).values() if m.state == "failed")
    assert failed.error.startswith("554")
    _run(world, smtp, at=MONDAY_0830_WITA + dt.timedelta(minutes=6))
    assert sorted(m.state for m in _log(world).values() if m.email) == ["failed", "sent", "sent"]
    assert len(smtp.messages) == 2


def test_a_server_unreachable_until_out_of_attempts_fails(world, ready):
    with FakeSmtpServer() as gone:
        port = gone.port  # nothing listens there any more
    at = MONDAY_0830_WITA
    cfg = SmtpSettings(host="127.0.0.1", port=port, timeout=2)
    for _ in range(recap_mail.MAX_ATTEMPTS):
        with clock.frozen(at):
            recap_mail.run_weekly(world.db, "w1", cfg)
        at += recap_mail.RETRY_MAX
    states = {m.state for m in _log(world).values() if m.email}
    assert states == {"failed"}
    assert all("ConnectionRefused" in (m.error or "") for m in _log(world).values() if m.email)


def test_a_head_given_an_address_later_in_the_week_gets_the_mail(world, ready, smtp):
    _run(world, smtp)
    with world.db.transaction(None, system=True) as s:
        s.execute(update(User).where(User.username == "kacab.man01").values(email="kacab.man01@dealer.test"))
    _run(world, smtp, at=MONDAY_0830_WITA + dt.timedelta(hours=3))
    mail = _by_recipient(smtp)["kacab.man01@dealer.test"]
    assert _html_tables(mail)[0][1] == ["MAN01", "1", "0", "0", "1"]
    assert len(smtp.messages) == 4


def test_login_and_starttls_settings_come_from_the_environment(world, ready, smtp):
    cfg = smtp_from_env({"H23_SMTP_HOST": "127.0.0.1", "H23_SMTP_PORT": str(smtp.port), "H23_SMTP_USER": "crm",
                         "H23_SMTP_PASSWORD": "s3cret", "H23_SMTP_FROM": "crm@dealer.test"})
    assert cfg.ready and not cfg.starttls and cfg.from_address == "crm@dealer.test"
    with clock.frozen(MONDAY_0830_WITA):
        recap_mail.run_weekly(world.db, "w1", cfg)
    assert smtp.logins == [("crm", "s3cret")] and len(smtp.messages) == 3
    assert smtp_from_env({"H23_SMTP_HOST": "mail", "H23_SMTP_STARTTLS": "1"}).port == 587
    assert smtp_from_env({"H23_SMTP_HOST": "mail"}).port == 25
    with pytest.raises(ValidationError):
        smtp_from_env({"H23_SMTP_HOST": "mail", "H23_SMTP_PORT": "smtp"})


def test_no_smtp_host_means_no_mail_and_no_queue(world, ready, smtp):
    with clock.frozen(MONDAY_0830_WITA):
        assert recap_mail.run_weekly(world.db, "w1", SmtpSettings()) == []
        assert recap_mail.run_weekly(world.db, "w1", smtp_from_env({})) == []
    assert _log(world) == {} and smtp.connections == 0
    with world.db.session(None, system=True) as s, clock.frozen(MONDAY_0830_WITA):
        shown = recap_mail.status(s, world.ho, env={})
    assert not shown.enabled and "H23_SMTP_HOST" in (shown.problem or "") and not shown.may_send_now


def test_send_now_is_for_pic_crm_and_never_sends_twice(world, ready, smtp):
    monday_early = clock.at_local(D(2020, 7, 6), 5, 0, WITA)  # before the schedule
    with clock.frozen(monday_early):
        with pytest.raises(PermissionDenied):
            recap_mail.send_now(world.db, world.kabeng_sam, "page", _cfg(smtp))
        report = recap_mail.send_now(world.db, world.ho, "page", _cfg(smtp))
    assert report.sent == 3 and {m.week for m in _log(world).values()} == {W1}
    _run(world, smtp)  # the scheduled run at 08:30 finds everyone served
    with clock.frozen(MONDAY_0830_WITA):
        assert recap_mail.send_now(world.db, world.ho, "page", _cfg(smtp)).sent == 0
    assert len(smtp.messages) == 3


def test_send_now_tries_failed_mails_again(world, ready, smtp):
    smtp.fail_next("data", 554, times=3)
    _run(world, smtp)
    assert {m.state for m in _log(world).values() if m.email} == {"failed"}
    with clock.frozen(MONDAY_0830_WITA + dt.timedelta(minutes=1)):
        assert recap_mail.send_now(world.db, world.ho, "page", _cfg(smtp)).sent == 3


def test_branch_heads_see_only_their_branches_sends(world, ready, smtp):
    _run(world, smtp)
    with world.db.session(None, system=True) as s, clock.frozen(MONDAY_0830_WITA):
        mine = recap_mail.status(s, world.kabeng_sam, env={"H23_SMTP_HOST": "127.0.0.1"})
        everything = recap_mail.status(s, world.ho, env={"H23_SMTP_HOST": "127.0.0.1"})
        with pytest.raises(PermissionDenied):
            recap_mail.status(s, world.admin_sam, env={})
    assert {r.scope for r in mine.rows} == {"SAM01"} and not mine.may_send_now
    assert {r.scope for r in everything.rows} == {"SAM01", "MAN01", "BPN01", "HO"} and everything.may_send_now
    assert mine.timezone == WITA and mine.next_at == clock.at_local(D(2020, 7, 13), 7, 0, WITA)
    assert everything.next_at == clock.at_local(D(2020, 7, 13), 7, 0, "Asia/Jakarta")


def test_two_workers_at_once_send_each_mail_once(committed_db):
    world = build_world(committed_db)
    recap_fixtures.build(world)
    _people(world)
    with FakeSmtpServer() as fake, clock.frozen(MONDAY_0830_WITA):
        errors: list[BaseException] = []

        def work(name: str) -> None:
            try:
                recap_mail.run_weekly(committed_db, name, _cfg(fake))
            except BaseException as e:  # surfaced in the main thread below
                errors.append(e)

        threads = [threading.Thread(target=work, args=(f"w{i}",)) for i in range(3)]
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        assert errors == []
        assert sorted(m.rcpt_to[0] for m in fake.messages) == sorted([KABENG, KACAB, HO])


# --- the page ----------------------------------------------------------------------------------------------


@pytest.fixture
def smtp_env(smtp, monkeypatch):
    monkeypatch.setenv("H23_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("H23_SMTP_PORT", str(smtp.port))
    monkeypatch.setenv("H23_SMTP_FROM", "crm-noreply@dealer.test")
    return smtp


def _page(run_page, viewer):
    with clock.frozen(MONDAY_0830_WITA):
        return run_page("pages/recap.py", viewer)


def _mail_log(at):
    return next(d.value for d in at.dataframe if "Kepada" in d.value.columns)


def test_page_pic_crm_sends_now_and_sees_the_log(world, ready, smtp_env, run_page):
    at = _page(run_page, world.ho)
    assert not at.exception, [e.value for e in at.exception]
    assert any("Aktif" in s.value for s in at.success)
    assert any("13/07/2020 07:00 WIB" in c.value for c in at.caption)
    with clock.frozen(MONDAY_0830_WITA):
        at.button(key="rc_mail_send").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert len(smtp_env.messages) == 3
    log = _mail_log(at)
    assert sorted(log["Kepada"]) == sorted(["Head Office", "Kabeng Samarinda", "Kacab Samarinda", "Kacab Manado", "-"])
    assert set(log["Status"]) == {"Terkirim", "Tanpa alamat e-mail", "Tidak ada kepala cabang"}
    assert any("Terkirim 3" in s.value for s in at.success)


def test_page_shows_a_failed_send_with_its_error(world, ready, smtp_env, run_page):
    smtp_env.fail_next("connect", 421)
    _run(world, smtp_env)
    log = _mail_log(_page(run_page, world.ho))
    failing = log[log["Status"] == "Gagal, dicoba lagi"]
    assert len(failing) == 3 and all("421" in n for n in failing["Keterangan"])


def test_page_kabeng_sees_the_state_without_the_button(world, ready, smtp_env, run_page):
    _run(world, smtp_env)
    at = _page(run_page, world.kabeng_sam)
    assert not at.exception
    assert set(_mail_log(at)["Cabang"]) == {"SAM01"}
    assert not [b for b in at.button if b.key == "rc_mail_send"]


def test_page_admin_crm_has_no_mail_box(world, ready, smtp_env, run_page):
    at = _page(run_page, world.admin_sam)
    assert not at.exception
    assert not [b for b in at.button if b.key == "rc_mail_send"]
    assert not [h for h in at.subheader if "E-mail" in h.value]


def test_page_says_the_mail_is_off_without_smtp(world, ready, run_page, monkeypatch):
    monkeypatch.delenv("H23_SMTP_HOST", raising=False)
    at = _page(run_page, world.ho)
    assert any("H23_SMTP_HOST" in i.value for i in at.info)
    assert not [b for b in at.button if b.key == "rc_mail_send"]


@pytest.fixture
def tls_cert(tmp_path):
    """A self-signed certificate for 127.0.0.1 (Debian's openssl), as a company relay's own CA would be."""
    cert, key = tmp_path / "relay.pem", tmp_path / "relay.key"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out",
                    str(cert), "-days", "2", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
                   check=True, capture_output=True)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    return cert, context


def test_starttls_encrypts_before_the_login_and_checks_the_servers_certificate(world, ready, tls_cert):
    """With H23_SMTP_STARTTLS=1 the connection is encrypted before the password is sent (the server
    refuses AUTH in the clear) and the server's certificate is checked: trusted through
    H23_SMTP_CAFILE it sends; with only the system's CAs the connection is refused before any login."""
    cert, context = tls_cert
    with FakeSmtpServer(tls=context) as server:
        env = {"H23_SMTP_HOST": "127.0.0.1", "H23_SMTP_PORT": str(server.port), "H23_SMTP_USER": "crm",
               "H23_SMTP_PASSWORD": "s3cret", "H23_SMTP_FROM": "crm@dealer.test", "H23_SMTP_STARTTLS": "1"}
        untrusted = smtp_from_env(env)
        with pytest.raises(ssl.SSLCertVerificationError):
            mailer.connect(untrusted)
        assert server.logins == [] and server.encrypted_sessions == 0
        trusted = smtp_from_env({**env, "H23_SMTP_CAFILE": str(cert)})
        assert trusted.starttls and trusted.cafile == str(cert)
        with clock.frozen(MONDAY_0830_WITA):
            recap_mail.run_weekly(world.db, "w1", trusted)
        assert server.logins == [("crm", "s3cret")] and server.encrypted_sessions >= 1
        assert len(server.messages) == 3


def test_a_branch_head_is_told_to_ask_head_office_never_a_setting_name(world, ready):
    """Issue 19.3: the e-mail box says what to do, not which environment variable is empty."""
    with world.db.session(None, system=True) as s, clock.frozen(MONDAY_0830_WITA):
        unset = recap_mail.status(s, world.kabeng_sam, env={})
        bad_port = recap_mail.status(s, world.kabeng_sam, env={"H23_SMTP_HOST": "mail", "H23_SMTP_PORT": "smtp"})
    for shown in (unset, bad_port):
        assert shown.problem == "E-mail rekap mingguan belum diatur; hubungi kantor pusat.", shown.problem
        assert not shown.enabled
