"""All models, importable from one place (alembic and core use this)."""

from db.models.customers import Customer, Sale, Vehicle, WorkOrder
from db.models.intake import ImportJob, ImportRejection, ImportState
from db.models.mail import RecapMail
from db.models.master import KpbRule, LostReason, Occupation, Pit, Staff, UnitType
from db.models.messaging import MessageEvent, MessageTemplate, MessagingConfig, OutboxMessage
from db.models.odoo import OdooSyncRun, OdooWatermark
from db.models.org import AuditLog, AuthSession, Branch, BranchRing, Counter, Setting, User, UserBranch
from db.models.pipeline import Booking, FollowUp, Lead
from db.models.plan import JobRun, ProcessBeat, Touch
from db.models.privacy import ConsentRecord
from db.models.reports import ExportJob, ReportDaily, ReportRefresh
from db.models.usage import ArrivalCalendar, ArrivalOffset, UsageTypical, VehicleUsage

__all__ = [
    "ArrivalCalendar",
    "ArrivalOffset",
    "AuditLog",
    "AuthSession",
    "Booking",
    "Branch",
    "BranchRing",
    "ConsentRecord",
    "Counter",
    "Customer",
    "ExportJob",
    "FollowUp",
    "ImportJob",
    "ImportRejection",
    "ImportState",
    "JobRun",
    "KpbRule",
    "Lead",
    "LostReason",
    "MessageEvent",
    "MessageTemplate",
    "MessagingConfig",
    "Occupation",
    "OdooSyncRun",
    "OdooWatermark",
    "OutboxMessage",
    "Pit",
    "ProcessBeat",
    "RecapMail",
    "ReportDaily",
    "ReportRefresh",
    "Sale",
    "Setting",
    "Staff",
    "Touch",
    "UnitType",
    "UsageTypical",
    "User",
    "UserBranch",
    "Vehicle",
    "VehicleUsage",
    "WorkOrder",
]
