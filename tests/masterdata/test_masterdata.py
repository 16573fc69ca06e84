"""core.masterdata: head office maintains the master data; nobody else may; every change is audited."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from core.accounts import auth
from core.masterdata.lead_rules import (
    KpbRuleInput,
    LostReasonInput,
    create_kpb_rule,
    create_lost_reason,
    list_kpb_rules,
    list_lost_reasons,
    update_kpb_rule,
    update_lost_reason,
)
from core.masterdata.org import (
    BranchInput,
    UserInput,
    create_branch,
    create_user,
    list_branches,
    list_users,
    reset_password,
    set_user_active,
    update_branch,
    update_user,
)
from core.masterdata.settings import list_settings, put_setting, setting_label
from core.masterdata.workshop import (
    PitInput,
    StaffInput,
    create_pit,
    create_staff,
    list_pits,
    list_staff,
    update_pit,
    update_staff,
)
from core.platform import settings
from core.platform.errors import DomainError, PermissionDenied, ValidationError
from db.enums import Role, StaffKind
from db.models import AuditLog, Branch, KpbRule, LostReason, User
from tests.conftest import TEST_PASSWORD


def _tx(world, viewer):
    return world.db.transaction(viewer.scope, system=viewer.all_branches)


def _operations(world):
    """Every master-data operation, as (name, call(session, viewer))."""
    return [
        ("list_branches", lambda s, v: list_branches(s, v)),
        ("create_branch", lambda s, v: create_branch(s, v, BranchInput("BPN01", "BALIKPAPAN",
                                                                             timezone="Asia/Makassar"))),
        ("update_branch", lambda s, v: update_branch(s, v, world.sam.id, BranchInput("SAM01", "SAMARINDA 1",
                                                                                     timezone="Asia/Makassar"))),
        ("list_users", lambda s, v: list_users(s, v)),
        ("create_user", lambda s, v: create_user(s, v, UserInput("admin.sam02", "Admin 2", Role.ADMIN_CRM,
                                                                       [world.sam.id]), TEST_PASSWORD)),
        ("update_user", lambda s, v: update_user(s, v, world.admin_man.user_id, UserInput(
            "admin.man01", "Admin Manado Baru", Role.ADMIN_CRM, [world.man.id]))),
        ("set_user_active", lambda s, v: set_user_active(s, v, world.admin_man.user_id, False)),
        ("reset_password", lambda s, v: reset_password(s, v, world.admin_man.user_id, "passwordbaru1")),
        ("list_kpb_rules", lambda s, v: list_kpb_rules(s, v)),
        ("create_kpb_rule", lambda s, v: create_kpb_rule(s, v, KpbRuleInput("JM81", 1, 60, 1000, 15, 100))),
        ("update_kpb_rule", lambda s, v: update_kpb_rule(s, v, _rule(s, "*", 1).id,
                                                            KpbRuleInput("*", 1, 61, 1000, 15, 100))),
        ("list_lost_reasons", lambda s, v: list_lost_reasons(s, v)),
        ("create_lost_reason", lambda s, v: create_lost_reason(s, v, LostReasonInput(
            "PRICE", "Harga mahal", "Too expensive"))),
        ("update_lost_reason", lambda s, v: update_lost_reason(s, v, _reason(s, "SOLD").id, LostReasonInput(
            "SOLD", "Motor dijual", "Sold", sort=3))),
        ("list_pits", lambda s, v: list_pits(s, v, world.sam.id)),
        ("create_pit", lambda s, v: create_pit(s, v, PitInput(world.sam.id, "PIT 3"))),
        ("update_pit", lambda s, v: update_pit(s, v, world.pit2_sam.id, PitInput(world.sam.id, "PIT 2", False))),
        ("list_staff", lambda s, v: list_staff(s, v, world.sam.id)),
        ("create_staff", lambda s, v: create_staff(s, v, StaffInput(world.sam.id, StaffKind.MECHANIC, "19010001",
                                                                          "BUDI"))),
        ("update_staff", lambda s, v: update_staff(s, v, world.mechanic_sam.id, StaffInput(
            world.sam.id, StaffKind.MECHANIC, "18060009", "JEPRI A. SAPUTRA"))),
        ("list_settings", lambda s, v: list_settings(s, v)),
        ("put_setting", lambda s, v: put_setting(s, v, "sop.call_days_before", 2)),
    ]


def _rule(s, engine_code, number):
    return s.scalar(select(KpbRule).where(KpbRule.engine_code == engine_code, KpbRule.kpb_number == number))


def _reason(s, code):
    return s.scalar(select(LostReason).where(LostReason.code == code))


def _audits(s, action):
    return s.scalars(select(AuditLog).where(AuditLog.action == action)).all()


OPERATION_NAMES = [name for name, _ in _operations(None)]


@pytest.mark.parametrize("who", ["admin_sam", "kabeng_sam"])
@pytest.mark.parametrize("name", OPERATION_NAMES)
def test_it_refuses_branch_users(world, who, name):
    viewer = getattr(world, who)
    call = dict(_operations(world))[name]
    with _tx(world, viewer) as s, pytest.raises(PermissionDenied):
        call(s, viewer)


@pytest.mark.parametrize("name", OPERATION_NAMES)
def test_it_works_for_head_office_and_audits_every_change(world, name):
    call = dict(_operations(world))[name]
    with _tx(world, world.ho) as s:
        before = s.scalar(select(AuditLog.id).order_by(AuditLog.id.desc()).limit(1)) or 0
        call(s, world.ho)
        s.flush()
        written = s.scalars(select(AuditLog).where(AuditLog.id > before)).all()
    if name.startswith("list_"):
        assert written == []
    else:
        assert written and all(a.action.startswith("masterdata.") and a.user_id == world.ho.user_id
                               for a in written)


def test_a_new_branch_is_audited_with_its_values(world):
    with _tx(world, world.ho) as s:
        branch = create_branch(s, world.ho, BranchInput(" bpn01 ", "BALIKPAPAN", "00789", "Asia/Makassar",
                                                              "0542-123456", "JL. SUDIRMAN"))
        assert (branch.code, branch.timezone, branch.active) == ("BPN01", "Asia/Makassar", True)
        [entry] = _audits(s, "masterdata.branch.create")
        assert entry.object_id == branch.id and entry.changes["code"] == [None, "BPN01"]


def test_branch_codes_are_unique_and_time_zones_are_indonesian(world):
    with _tx(world, world.ho) as s:
        with pytest.raises(ValidationError) as err:
            create_branch(s, world.ho, BranchInput("SAM01", "LAGI", timezone="Asia/Makassar"))
        assert (err.value.code, err.value.field) == ("masterdata.duplicate", "md.code")
        with pytest.raises(ValidationError) as err:
            create_branch(s, world.ho, BranchInput("SGP01", "SINGAPORE", timezone="Asia/Singapore"))
        assert err.value.code == "masterdata.bad_timezone"
        assert "WITA" in err.value.message("id")


def test_kpb_rule_numbers_and_ranges_are_checked(world):
    with _tx(world, world.ho) as s:
        for data, field in [(KpbRuleInput("JM81", 5, 60, 1000), "md.kpb_number"),
                            (KpbRuleInput("JM81", 1, 0, 1000), "md.days"),
                            (KpbRuleInput("JM81", 1, 60, -1), "md.km"),
                            (KpbRuleInput("JM81", 1, 60, 1000, grace_days=400), "md.grace_days"),
                            (KpbRuleInput("TOOLONG", 1, 60, 1000), "md.engine_code")]:
            with pytest.raises(ValidationError) as err:
                create_kpb_rule(s, world.ho, data)
            assert err.value.field == field


def test_kpb_days_must_increase_with_the_kpb_number_of_the_same_engine_code(world):
    with _tx(world, world.ho) as s:
        create_kpb_rule(s, world.ho, KpbRuleInput("jm81", 1, 60, 1000, 15, 100))
        create_kpb_rule(s, world.ho, KpbRuleInput("JM81", 3, 240, 8000, 15, 200))
        with pytest.raises(ValidationError) as err:
            create_kpb_rule(s, world.ho, KpbRuleInput("JM81", 2, 60, 4000))
        assert err.value.code == "masterdata.kpb_days_after" and err.value.field == "md.days"
        with pytest.raises(ValidationError) as err:
            create_kpb_rule(s, world.ho, KpbRuleInput("JM81", 2, 240, 4000))
        assert err.value.code == "masterdata.kpb_days_before"
        assert "KPB 3" in err.value.message("id")
        create_kpb_rule(s, world.ho, KpbRuleInput("JM81", 2, 120, 4000))
        # Another engine code has its own schedule: the CBR250's 180 days for KPB 2 do not clash.
        create_kpb_rule(s, world.ho, KpbRuleInput("KF41", 2, 180, 6000))
        with pytest.raises(ValidationError) as err:
            create_kpb_rule(s, world.ho, KpbRuleInput("JM81", 2, 130, 4000))
        assert err.value.code == "masterdata.duplicate"


def test_updating_a_kpb_rule_keeps_the_order_with_its_neighbours(world):
    with _tx(world, world.ho) as s:
        rule = _rule(s, "*", 2)
        with pytest.raises(ValidationError):
            update_kpb_rule(s, world.ho, rule.id, KpbRuleInput("*", 2, 240, 4000, 15, 150))
        update_kpb_rule(s, world.ho, rule.id, KpbRuleInput("*", 2, 130, 4000, 15, 150))
        assert rule.days == 130
        [entry] = _audits(s, "masterdata.kpb_rule.update")
        assert entry.changes == {"days": [120, 130]}


def test_disabling_a_user_ends_their_sessions(world):
    with _tx(world, world.ho) as s:
        token = auth.start_session(s, "admin.man01")
        assert auth.viewer_for_session(s, token) is not None
        set_user_active(s, world.ho, world.admin_man.user_id, False)
        assert auth.viewer_for_session(s, token) is None
        assert "admin.man01" not in auth.authenticator_credentials(s)["usernames"]
        [entry] = _audits(s, "masterdata.user.disable")
        assert entry.object_id == world.admin_man.user_id


def test_head_office_cannot_disable_itself(world):
    with _tx(world, world.ho) as s, pytest.raises(ValidationError) as err:
        set_user_active(s, world.ho, world.ho.user_id, False)
    assert err.value.code == "masterdata.self_disable"


def test_resetting_a_password_ends_sessions_and_the_new_one_works(world):
    with _tx(world, world.ho) as s:
        token = auth.start_session(s, "admin.man01")
        reset_password(s, world.ho, world.admin_man.user_id, "passwordbaru1")
        assert auth.viewer_for_session(s, token) is None
        user = s.get(User, world.admin_man.user_id)
        assert auth.verify_password("passwordbaru1", user.password_hash)
        with pytest.raises(DomainError) as err:
            reset_password(s, world.ho, world.admin_man.user_id, "short")
        assert err.value.code == "auth.weak_password"


def test_a_new_user_gets_a_role_and_branches_and_branch_users_need_one(world):
    with _tx(world, world.ho) as s:
        user = create_user(s, world.ho, UserInput("Kacab.Sam01", "Kacab Samarinda", Role.KACAB,
                                                        [world.sam.id]), TEST_PASSWORD)
        assert user.username == "kacab.sam01"
        assert auth.viewer_for_user(s, user).branch_ids == {world.sam.id}
        with pytest.raises(DomainError) as err:
            create_user(s, world.ho, UserInput("sa.x", "SA X", Role.SA, []), TEST_PASSWORD)
        assert err.value.code == "auth.branch_required"
        with pytest.raises(ValidationError) as err:
            create_user(s, world.ho, UserInput("sa.y", "SA Y", Role.SA, [999_999]), TEST_PASSWORD)
        assert err.value.code == "masterdata.unknown_branch"


def test_moving_a_user_to_another_branch_changes_what_they_see(world):
    with _tx(world, world.ho) as s:
        update_user(s, world.ho, world.admin_sam.user_id, UserInput(
            "admin.sam01", "Admin Samarinda", Role.ADMIN_CRM, [world.sam.id, world.man.id]))
        user = s.get(User, world.admin_sam.user_id)
        assert auth.viewer_for_user(s, user).branch_ids == {world.sam.id, world.man.id}
        [entry] = _audits(s, "masterdata.user.update")
        assert entry.changes == {"branch_ids": [[world.sam.id], sorted([world.sam.id, world.man.id])]}


def test_lost_reason_codes_are_checked(world):
    with _tx(world, world.ho) as s:
        reason = create_lost_reason(s, world.ho, LostReasonInput("price", "Harga mahal", "Too expensive", sort=9))
        assert reason.code == "PRICE"
        with pytest.raises(ValidationError) as err:
            create_lost_reason(s, world.ho, LostReasonInput("PRICE", "Lagi", "Again"))
        assert err.value.code == "masterdata.duplicate"
        with pytest.raises(ValidationError) as err:
            create_lost_reason(s, world.ho, LostReasonInput("HARGA MAHAL", "x", "y"))
        assert err.value.code == "masterdata.bad_code"
        with pytest.raises(ValidationError) as err:
            create_lost_reason(s, world.ho, LostReasonInput("X1", "", "y"))
        assert err.value.field == "md.name_id"


def test_pit_names_are_unique_within_a_branch_only(world):
    with _tx(world, world.ho) as s:
        with pytest.raises(ValidationError) as err:
            create_pit(s, world.ho, PitInput(world.sam.id, "pit 1"))
        assert err.value.code == "masterdata.duplicate"
        pit = create_pit(s, world.ho, PitInput(world.man.id, "pit 1"))
        assert (pit.branch_id, pit.name) == (world.man.id, "PIT 1")
        assert [p.name for p in list_pits(s, world.ho, world.man.id)] == ["PIT 1"]


def test_staff_codes_are_unique_within_a_branch(world):
    with _tx(world, world.ho) as s:
        with pytest.raises(ValidationError):
            create_staff(s, world.ho, StaffInput(world.sam.id, StaffKind.MECHANIC, "18060009", "X"))
        sa = create_staff(s, world.ho, StaffInput(world.man.id, StaffKind.SERVICE_ADVISOR, "18060009", "y"))
        assert (sa.kind, sa.name) == (StaffKind.SERVICE_ADVISOR, "Y")


def test_settings_are_typed_and_range_checked(world):
    with _tx(world, world.ho) as s:
        assert put_setting(s, world.ho, "sop.call_days_before", "2") == 2
        assert settings.get(s, "sop.call_days_before") == 2
        row = {r.key: r for r in list_settings(s, world.ho)}["sop.call_days_before"]
        assert (row.value, row.default, row.overridden) == (2, 3, True)
        [entry] = _audits(s, "masterdata.setting.put")
        assert entry.changes == {"sop.call_days_before": [3, 2]}
        for key, value, code in [("sop.call_days_before", "dua", "masterdata.not_integer"),
                                 ("sop.call_days_before", True, "masterdata.not_integer"),
                                 ("booking.slot_minutes", 0, "masterdata.range"),
                                 ("booking.open_hour", 17, "masterdata.open_before_close"),
                                 ("no.such", 1, "masterdata.unknown_setting")]:
            with pytest.raises(ValidationError) as err:
                put_setting(s, world.ho, key, value)
            assert err.value.code == code
        assert settings.get(s, "booking.open_hour") == 8


def test_yes_no_settings_take_yes_or_no(world):
    with _tx(world, world.ho) as s:
        assert put_setting(s, world.ho, "auth.session_hours", 8) == 8
        bools = [k for k, v in settings.DEFAULTS.items() if isinstance(v, bool)]
        for key in bools:
            assert put_setting(s, world.ho, key, "tidak") is False
            assert settings.get(s, key) is False
            with pytest.raises(ValidationError) as err:
                put_setting(s, world.ho, key, "mungkin")
            assert err.value.code == "masterdata.not_boolean"


def test_error_messages_exist_in_both_languages(world):
    with _tx(world, world.ho) as s, pytest.raises(ValidationError) as err:
        create_kpb_rule(s, world.ho, KpbRuleInput("JM81", 1, 60, 0))
    assert err.value.message("id").startswith("Km: harus antara 1 dan 200000")
    assert "must be between" in err.value.message("en")


def test_a_disabled_branch_disappears_from_its_users_scope(world):
    with _tx(world, world.ho) as s:
        update_branch(s, world.ho, world.man.id, BranchInput("MAN01", "MANADO", timezone="Asia/Makassar",
                                                                   active=False))
        assert s.get(Branch, world.man.id).active is False
        user = s.get(User, world.admin_man.user_id)
        assert auth.viewer_for_user(s, user).branch_ids == frozenset()


def test_every_setting_has_a_name_in_both_languages():
    """Head office reads a name, never a key like sop.call_days_before (issue 19.4), in either language; a
    setting added to the defaults without its name fails here."""
    for key in settings.DEFAULTS:
        names = {lang: setting_label(key, lang) for lang in ("id", "en")}
        assert key not in names.values() and names["id"] != names["en"], (key, names)
    assert setting_label("sop.call_days_before", "en") == "Call, days before H"
    assert setting_label("no.such", "en") == "no.such"  # a setting without a name still shows up
