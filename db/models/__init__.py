"""All models, importable from one place (alembic and core use this)."""

from db.models.customers import Customer, Sale, Vehicle, WorkOrder
from db.models.master import KpbRule, LostReason, Occupation, Pit, Staff, UnitType
from db.models.org import AuditLog, AuthSession, Branch, BranchRing, Counter, Setting, User, UserBranch
from db.models.pipeline import Booking, FollowUp, Lead
from db.models.plan import JobRun, Touch

__all__ = [
    "AuditLog",
    "AuthSession",
    "Booking",
    "Branch",
    "BranchRing",
    "Counter",
    "Customer",
    "FollowUp",
    "JobRun",
    "KpbRule",
    "Lead",
    "LostReason",
    "Occupation",
    "Pit",
    "Sale",
    "Setting",
    "Staff",
    "Touch",
    "UnitType",
    "User",
    "UserBranch",
    "Vehicle",
    "WorkOrder",
]
