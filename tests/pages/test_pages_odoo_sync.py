"""pages/odoo_sync.py (Migrasi Odoo) through AppTest: head office queues a dry run, the worker's job runs it
against a fake Odoo 8 over HTTP, the page shows the counts per model and the rejections with their reason."""

from __future__ import annotations

from core.migration.jobs import run_pending
from tests.fakes.odoo_seed import dealer
from tests.fakes.odoo_server import FakeOdoo


def test_head_office_queues_a_dry_run_and_reads_its_counts_and_rejections(run_page, world, monkeypatch):
    with FakeOdoo(dealer(partners=40, work_orders=40, leads=12, bookings=4)) as fake:
        for key, value in {"H23_ODOO_URL": fake.url, "H23_ODOO_DB": "dym", "H23_ODOO_USER": "admin",
                           "H23_ODOO_PASSWORD": "admin-pass"}.items():
            monkeypatch.setenv(key, value)
        at = run_page("pages/odoo_sync.py", world.ho)
        assert not at.exception, [e.value for e in at.exception]
        at.button(key="odoo_dry").click().run()
        assert "diantrikan" in at.success[0].value
        assert run_pending(world.db, "test")[0].startswith("odoo sync")
        at = run_page("pages/odoo_sync.py", world.ho)
    runs = at.dataframe[0].value
    assert list(runs["Status"]) == ["selesai"] and list(runs["Jenis"]) == ["uji coba"]
    assert [h.value for h in at.subheader] == ["Run terakhir"] and "Belum ada migrasi." not in _texts(at)
    models = at.dataframe[1].value
    assert set(models["Model Odoo"]) >= {"res.partner", "crm.lead", "dym.work.order"}
    reasons = at.dataframe[2].value
    assert any("no_ktp" in r for r in reasons["Alasan"])


def _texts(at):
    return [m.value for m in [*at.markdown, *at.caption, *at.info]]


def test_before_any_run_the_page_says_so_in_a_sentence_not_an_empty_heading(run_page, world):
    at = run_page("pages/odoo_sync.py", world.ho)
    assert not at.exception
    assert "Belum ada migrasi." in _texts(at)
    assert not at.subheader and not at.dataframe  # no "Run terakhir" over nothing
    at = run_page("pages/odoo_sync.py", world.ho, h23_lang=True)
    assert "No migration run yet." in _texts(at) and not at.subheader


def test_a_queued_run_shows_its_state_in_the_users_language_and_a_dash_for_no_start(run_page, world, monkeypatch):
    for key, value in {"H23_ODOO_URL": "http://127.0.0.1:9", "H23_ODOO_DB": "dym", "H23_ODOO_USER": "admin"}.items():
        monkeypatch.setenv(key, value)
    at = run_page("pages/odoo_sync.py", world.ho, h23_lang=True)
    at.button(key="odoo_dry").click().run()
    at = run_page("pages/odoo_sync.py", world.ho, h23_lang=True)
    row = at.dataframe[0].value.iloc[0]
    assert (row["State"], row["Kind"], row["Started (UTC)"], row["Error"]) == ("queued", "dry run", "—", "—")
    assert [h.value for h in at.subheader] == ["Last runs"]


def test_the_page_is_head_offices_only(run_page, world):
    from ui.navigation import pages_for

    assert "Migrasi Odoo" in {p.title for p in pages_for(world.ho)}
    assert "Migrasi Odoo" not in {p.title for p in pages_for(world.admin_sam)}
    at = run_page("pages/odoo_sync.py", world.admin_sam)
    assert any("tidak berhak" in e.value for e in at.error)
