"""Head office's master data: branches, pits, staff, unit types and settings, each change audited;
the reference tables (KPB schedule, unit catalogue) the lead engine reads."""

from typing import TYPE_CHECKING

from core.platform.public import lazy_exports

if TYPE_CHECKING:  # the public names, loaded on first use (core.platform.public)
    from core.masterdata.entities import (
        TIMEZONES as TIMEZONES,
        BranchInput as BranchInput,
        KpbRuleInput as KpbRuleInput,
        LostReasonInput as LostReasonInput,
        PitInput as PitInput,
        StaffInput as StaffInput,
        UserInput as UserInput,
        create_branch as create_branch,
        create_kpb_rule as create_kpb_rule,
        create_lost_reason as create_lost_reason,
        create_pit as create_pit,
        create_staff as create_staff,
        create_user as create_user,
        list_branches as list_branches,
        list_kpb_rules as list_kpb_rules,
        list_lost_reasons as list_lost_reasons,
        list_pits as list_pits,
        list_settings as list_settings,
        list_staff as list_staff,
        list_users as list_users,
        put_setting as put_setting,
        reset_password as reset_password,
        update_branch as update_branch,
        update_kpb_rule as update_kpb_rule,
        update_lost_reason as update_lost_reason,
        update_pit as update_pit,
        update_staff as update_staff,
        update_user as update_user,
    )

__all__, __getattr__ = lazy_exports(__file__, __name__)
