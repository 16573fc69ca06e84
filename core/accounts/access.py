"""Who is acting: the viewer, named permissions granted by role, and branch checks.

Every core operation takes a Viewer. Reads go through sessions scoped to the viewer's branches
(db.scoping) and each write checks the permission and the branch here first, so a screen, the
CLI and a test get the same refusal.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from sqlalchemy.orm import Session

from core.platform.errors import PermissionDenied
from db.engine import Database
from db.enums import Role


class Perm(enum.StrEnum):
    LEAD_VIEW = "lead.view"
    LEAD_CHANGE = "lead.change"
    LEAD_ASSIGN = "lead.assign"  # distribute leads to admins
    BOOKING_VIEW = "booking.view"
    BOOKING_CHANGE = "booking.change"
    BOOKING_POST = "booking.post"  # post, create work order, cancel
    CUSTOMER_VIEW = "customer.view"
    CUSTOMER_CHANGE = "customer.change"
    NIK_FULL = "nik.full"  # see the whole KTP number
    REPORT_VIEW = "report.view"
    REPORT_EXPORT = "report.export"
    SETTINGS_MANAGE = "settings.manage"  # master data, users, rules
    AUDIT_VIEW = "audit.view"
    PRIVACY_MANAGE = "privacy.manage"  # UU PDP: consent records, export and anonymise a customer
    ALL_BRANCHES = "branch.all"


_BRANCH_STAFF = {
    Perm.LEAD_VIEW, Perm.LEAD_CHANGE, Perm.BOOKING_VIEW, Perm.BOOKING_CHANGE, Perm.CUSTOMER_VIEW,
    Perm.CUSTOMER_CHANGE, Perm.REPORT_VIEW,
}
ROLE_PERMISSIONS: dict[Role, frozenset[Perm]] = {
    Role.PIC_CRM: frozenset(Perm),
    Role.KACAB: frozenset(_BRANCH_STAFF | {Perm.LEAD_ASSIGN, Perm.BOOKING_POST, Perm.REPORT_EXPORT,
                                           Perm.NIK_FULL}),
    Role.KABENG: frozenset(_BRANCH_STAFF | {Perm.LEAD_ASSIGN, Perm.BOOKING_POST, Perm.REPORT_EXPORT}),
    # Admins complete the CDDB over the phone, so they see the whole NIK they type.
    Role.ADMIN_CRM: frozenset(_BRANCH_STAFF | {Perm.NIK_FULL}),
    Role.SA: frozenset({Perm.LEAD_VIEW, Perm.BOOKING_VIEW, Perm.BOOKING_CHANGE, Perm.BOOKING_POST,
                        Perm.CUSTOMER_VIEW}),
}


@dataclass(frozen=True)
class Viewer:
    user_id: int | None
    username: str
    full_name: str
    role: Role
    branch_ids: frozenset[int]
    lang: str = "id"
    system: bool = False  # the worker and CLI jobs

    @classmethod
    def system_viewer(cls) -> Viewer:
        return cls(None, "system", "System", Role.PIC_CRM, frozenset(), system=True)

    @property
    def permissions(self) -> frozenset[Perm]:
        return ROLE_PERMISSIONS[self.role]

    @property
    def all_branches(self) -> bool:
        return self.system or Perm.ALL_BRANCHES in self.permissions

    def can(self, perm: Perm) -> bool:
        return self.system or perm in self.permissions

    def require(self, perm: Perm) -> None:
        if not self.can(perm):
            raise PermissionDenied("error.permission", perm=perm.value)

    def may_see_branch(self, branch_id: int) -> bool:
        return self.all_branches or branch_id in self.branch_ids

    def require_branch(self, branch_id: int) -> None:
        if not self.may_see_branch(branch_id):
            raise PermissionDenied("error.branch_forbidden", branch_id=branch_id)

    @property
    def scope(self) -> frozenset[int] | None:
        """Branch ids for a scoped session; None = all branches."""
        return None if self.all_branches else self.branch_ids


def session_for(db: Database, viewer: Viewer, *, write: bool = False) -> Session:
    """A session scoped to what the viewer may see."""
    if viewer.all_branches:
        return db.session(None, system=True, write=write)
    return db.session(viewer.branch_ids, write=write)
