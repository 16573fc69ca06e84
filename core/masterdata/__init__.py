"""Head office's master data: branches, pits, staff, unit types and settings, each change audited;
the reference tables (KPB schedule, unit catalogue) the lead engine reads."""

from typing import TYPE_CHECKING

from core.platform.public import lazy_exports

if TYPE_CHECKING:  # the public names, loaded on first use (core.platform.public)
    from core.masterdata.lead_rules import (
        KpbRuleInput as KpbRuleInput,
        LostReasonInput as LostReasonInput,
        create_kpb_rule as create_kpb_rule,
        create_lost_reason as create_lost_reason,
        list_kpb_rules as list_kpb_rules,
        list_lost_reasons as list_lost_reasons,
        update_kpb_rule as update_kpb_rule,
        update_lost_reason as update_lost_reason,
    )
    from core.masterdata.org import (
        TIMEZONES as TIMEZONES,
        BranchInput as BranchInput,
        UserInput as UserInput,
        create_branch as create_branch,
        create_user as create_user,
        list_branches as list_branches,
        list_users as list_users,
        reset_password as reset_password,
        update_branch as update_branch,
        update_user as update_user,
    )
    from core.masterdata.settings import (
        list_settings as list_settings,
        put_setting as put_setting,
        setting_label as setting_label,
    )
    from core.masterdata.workshop import (
        PitInput as PitInput,
        StaffInput as StaffInput,
        create_pit as create_pit,
        create_staff as create_staff,
        list_pits as list_pits,
        list_staff as list_staff,
        update_pit as update_pit,
        update_staff as update_staff,
    )

__all__, __getattr__ = lazy_exports(__file__, __name__)
