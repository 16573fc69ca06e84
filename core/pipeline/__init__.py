"""A lead's way through Follow Up 1/2/3 to Won or Lost: stages and their rules, the follow-up log
and the opportunity board."""

from typing import TYPE_CHECKING

from core.platform.public import lazy_exports

if TYPE_CHECKING:  # the public names, loaded on first use (core.platform.public)
    from core.pipeline import board as board, followup_log as followup_log
    from core.pipeline.followup_log import (
        FOLLOWUP_KINDS as FOLLOWUP_KINDS,
        OutcomeInput as OutcomeInput,
        OutcomeResult as OutcomeResult,
    )
    from core.pipeline.stages import (
        CONTACT_LABEL as CONTACT_LABEL,
        STAGE_LABEL as STAGE_LABEL,
        TEMPERATURE_LABEL as TEMPERATURE_LABEL,
        FollowUpInput as FollowUpInput,
        edit_current_followup as edit_current_followup,
        enter_followup as enter_followup,
        mark_lost as mark_lost,
        mark_won as mark_won,
    )

__all__, __getattr__ = lazy_exports(__file__, __name__)
