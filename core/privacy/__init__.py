"""Personal data: consent, data-subject rights (export, anonymise) and the audit trail with its
search."""

from typing import TYPE_CHECKING

from core.platform.public import lazy_exports

if TYPE_CHECKING:  # the public names, loaded on first use (core.platform.public)
    from core.privacy import rights as rights
    from core.privacy.audit_search import AuditFilter as AuditFilter, search_audit as search_audit
    from core.privacy.consent import (
        consent_history as consent_history,
        grant_consent as grant_consent,
        record_lead_nik_view as record_lead_nik_view,
        record_personal_view as record_personal_view,
        withdraw_consent as withdraw_consent,
    )

__all__, __getattr__ = lazy_exports(__file__, __name__)
