"""The Pesan Otomatis screen: head office sets a branch's channels, hours and templates (with a
preview); admins see their own branch's figures only."""

from __future__ import annotations

from sqlalchemy import select

from core.messaging import config as mcfg
from core.messaging.outbox import insert_ignoring_duplicates
from core.platform import clock
from db.models import MessageTemplate, MessagingConfig


def _outbox(world, branch, state, n, cost=450):
    now = clock.now()
    with world.db.transaction(None, system=True) as s:
        insert_ignoring_duplicates(s, [{
            "branch_id": branch.id, "idem_key": f"{branch.code}{state}{i}", "customer_id": None, "kind": "message_h7",
            "channel": "whatsapp", "to_phone": "+6285845164510", "body": "x", "state": state, "attempts": 1,
            "next_attempt_at": now, "cost": cost if state != "failed" else 0, "created_at": now,
            "sent_at": now if state in ("sent", "delivered", "read") else None,
            "delivered_at": now if state in ("delivered", "read") else None,
            "read_at": now if state == "read" else None} for i in range(n)])


def test_admins_see_sent_delivered_read_failed_and_cost_of_their_own_branch_only(world, run_page):
    _outbox(world, world.sam, "read", 2)
    _outbox(world, world.sam, "delivered", 1)
    _outbox(world, world.sam, "failed", 1)
    _outbox(world, world.man, "sent", 5)
    at = run_page("pages/messaging.py", world.admin_sam)
    assert not at.exception
    table = at.dataframe[0].value
    assert table.to_dict("records") == [{"Cabang": "[SAM01] SAMARINDA", "Antre": 0, "Terkirim": 3, "Sampai": 3,
                                         "Dibaca": 2, "Gagal": 1, "Perkiraan biaya": "Rp 1.350"}]
    assert not [b for b in at.button if b.label == "Simpan template"]  # settings are head office's


def test_head_office_sets_a_branchs_channels_hours_and_cap(world, run_page):
    at = run_page("pages/messaging.py", world.ho)
    assert not at.exception
    at.selectbox(key="msg_branch").set_value(world.man.id).run()
    at.selectbox(key=f"msg_ch_{world.man.id}_message_h7").set_value(mcfg.WHATSAPP)
    at.text_input(key=f"msg_start_{world.man.id}").set_value("09:00")
    at.text_input(key=f"msg_end_{world.man.id}").set_value("17:30")
    at.button[0].click().run()
    assert not at.exception, at.exception
    with world.db.session(None, system=True) as s:
        row = s.scalars(select(MessagingConfig).where(MessagingConfig.branch_id == world.man.id)).one()
        assert (row.channels["message_h7"], row.send_start, row.send_end) == ("whatsapp", "09:00", "17:30")
    assert any("disimpan" in m.value for m in at.success)


def test_head_office_edits_a_template_and_sees_the_preview(world, run_page):
    at = run_page("pages/messaging.py", world.ho)
    at.selectbox(key="msg_branch").set_value(world.sam.id).run()
    body_key = f"msg_body_{world.sam.id}_message_h7"
    at.text_area(key=body_key).set_value("Halo {nama}, KPB {kpb} {plat} s/d {deadline}. {booking}").run()
    assert "Halo RESTU ANDIKA, KPB 3 KT 2146 FK s/d 31/07/2020. -" in [i.value for i in at.info]  # no lead yet
    at.text_area(key=body_key).set_value("Halo {nama_customer}").run()
    assert any("nama_customer" in e.value for e in at.error)
    at.text_area(key=body_key).set_value("Halo {nama}, servis {unit} sebelum {deadline}.").run()
    at.text_input(key=f"msg_wa_{world.sam.id}_message_h7").set_value("kpb_h7_v2")
    at.button(key=f"msg_tpl_save_{world.sam.id}_message_h7").click().run()
    assert not at.exception
    with world.db.session(None, system=True) as s:
        row = s.scalars(select(MessageTemplate).where(MessageTemplate.branch_id == world.sam.id)).one()
        assert (row.body, row.wa_template) == ("Halo {nama}, servis {unit} sebelum {deadline}.", "kpb_h7_v2")


def test_the_preview_speaks_for_the_selected_branch_and_one_of_its_current_customers(world, run_page):
    """Issue 19.9: not a fixed sample from another branch."""
    import datetime as dt

    from tests.helpers import new_lead

    soon = clock.today_in("Asia/Makassar") + dt.timedelta(days=10)
    new_lead(world, world.admin_man, customer=world.customer_man, vehicle=world.vehicle_man, deadline=soon, kpb=2)
    with world.db.transaction(None, system=True) as s:
        s.add(MessagingConfig(branch_id=world.man.id, booking_link="https://wa.me/6243112345"))
    at = run_page("pages/messaging.py", world.ho)
    at.selectbox(key="msg_branch").set_value(world.man.id).run()
    body_key = f"msg_body_{world.man.id}_message_h7"
    at.text_area(key=body_key).set_value("Halo {nama}, {unit} {plat} KPB {kpb} s/d {deadline} di {cabang}. {booking}")
    at.run()
    assert f"Halo SULTJE ADOLONG, Beat Sporty CBS DB 4042 BW KPB 2 s/d {soon:%d/%m/%Y} di MANADO. " \
           "https://wa.me/6243112345" in [i.value for i in at.info]
