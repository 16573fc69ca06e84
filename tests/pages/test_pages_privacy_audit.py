"""pages/privacy.py (UU PDP) and pages/audit.py (Log Audit) through AppTest, as head office."""

from __future__ import annotations

from sqlalchemy import func, select

from core.privacy import consent as privacy
from db.models import AuditLog, ConsentRecord, Customer


def _find(run_page, world, text="RESTU"):
    at = run_page("pages/privacy.py", world.ho)
    at.text_input(key="pv_q").input(text).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_privacy_page_finds_a_customer_and_logs_that_head_office_opened_it(run_page, world):
    at = _find(run_page, world)
    assert at.selectbox(key="pv_customer").value.name == "RESTU ANDIKA PRADANA PUTRA"
    at.run()  # a rerun within minutes is not logged again
    with world.db.session(None, system=True) as s:
        views = s.scalars(select(AuditLog.object_id).where(AuditLog.action == "customer.view")).all()
    assert views == [world.customer_sam.id]


def test_privacy_page_records_a_withdrawal_with_its_proof(run_page, world):
    at = _find(run_page, world)
    at.radio[0].set_value("withdraw")
    at.text_input[1].input("telepon")
    at.text_area[0].input("Customer minta tidak dihubungi lagi, 10/07")
    at.button[0].click().run()  # the form's submit
    assert not at.exception, [e.value for e in at.exception]
    with world.db.session(None, system=True) as s:
        c = s.get(Customer, world.customer_sam.id)
        assert (c.consent_contact, c.consent_message) == (False, False)
        assert s.scalar(select(func.count()).select_from(ConsentRecord)) == 2
    assert "Ditarik" in at.dataframe[0].value["Status"].tolist()


def test_privacy_page_anonymises_only_after_the_code_is_typed(run_page, world):
    at = _find(run_page, world)
    assert at.button(key="pv_anonymise").disabled
    at.text_input(key="pv_confirm").input("salah").run()
    at.button(key="pv_anonymise").click().run()
    assert any("konfirmasi" in e.value for e in at.error)
    at.text_input(key="pv_confirm").input(world.customer_sam.code).run()
    at.button(key="pv_anonymise").click().run()
    with world.db.session(None, system=True) as s:
        assert s.get(Customer, world.customer_sam.id).anonymised_at is not None


def test_privacy_page_export_prepares_a_download_and_is_audited(run_page, world):
    at = _find(run_page, world)
    at.button(key="pv_export").click().run()
    assert not at.exception, [e.value for e in at.exception]
    with world.db.session(None, system=True) as s:
        assert s.scalar(select(func.count()).select_from(AuditLog)
                        .where(AuditLog.action == "customer.data_export")) == 1


def test_audit_page_searches_by_user_record_and_action_and_pages_in_sql(run_page, world):
    with world.db.transaction(None, system=True) as s:
        for i in range(60):
            privacy.grant_consent(s, world.ho if i % 2 else None, world.customer_sam.id, purpose="message",
                                  channel="form", proof=f"F-{i}")
    at = run_page("pages/audit.py", world.ho)
    assert not at.exception, [e.value for e in at.exception]
    assert len(at.dataframe[0].value) == 50 and "halaman 1 dari 2" in at.caption[0].value
    at.button(key="au_next").click().run()
    assert len(at.dataframe[0].value) == 10
    at.text_input(key="au_user").input("ho").run()
    assert set(at.dataframe[0].value["User"]) == {"ho"} and len(at.dataframe[0].value) == 30
    at.text_input(key="au_user").input("").run()
    at.text_input(key="au_action").input("customer.consent").run()
    at.text_input(key="au_type").input("customer").run()
    at.number_input(key="au_id").set_value(world.customer_man.id).run()
    assert at.info and "Tidak ada" in at.info[0].value


def test_audit_and_privacy_pages_refuse_branch_users(run_page, world):
    for path in ("pages/audit.py", "pages/privacy.py"):
        at = run_page(path, world.admin_sam)
        assert any("tidak berhak" in e.value for e in at.error)


def test_the_privacy_and_audit_pages_are_in_head_offices_menu_only(world):
    from ui.navigation import pages_for

    for viewer, expected in ((world.ho, True), (world.admin_sam, False), (world.kabeng_sam, False),
                             (world.sa_sam, False)):
        titles = {p.title for p in pages_for(viewer)}
        assert ({"Privasi Data", "Log Audit"} <= titles) == expected
