"""The app's pages and the permission each needs: app.py builds the menu from this list, and the
permission-matrix tests walk it, so a new page cannot be forgotten by either."""

from __future__ import annotations

from dataclasses import dataclass

from core.access import Perm, Viewer


@dataclass(frozen=True)
class PageSpec:
    path: str  # file under pages/
    title: str
    icon: str
    perm: Perm
    section: str
    url_path: str
    default: bool = False


PAGES: list[PageSpec] = [
    PageSpec("pages/today.py", "Hari ini", ":material/today:", Perm.LEAD_VIEW, "Kerja harian", "hari-ini",
             default=True),
    PageSpec("pages/home.py", "Beranda", ":material/home:", Perm.LEAD_VIEW, "Kerja harian", "beranda", default=False),
    PageSpec("pages/leads.py", "Leads & Opportunity", ":material/list:", Perm.LEAD_VIEW, "Kerja harian", "leads"),
    PageSpec("pages/lead.py", "Form Lead", ":material/edit_note:", Perm.LEAD_VIEW, "Kerja harian", "lead"),
    PageSpec("pages/bookings.py", "Booking Service", ":material/event:", Perm.BOOKING_VIEW, "Bengkel", "booking"),
    PageSpec("pages/settings.py", "Master Data", ":material/settings:", Perm.SETTINGS_MANAGE, "Pengaturan",
             "master-data"),
    PageSpec("pages/reports.py", "Laporan CRM", ":material/download:", Perm.REPORT_VIEW, "Laporan", "laporan"),
]


def pages_for(viewer: Viewer) -> list[PageSpec]:
    return [p for p in PAGES if viewer.can(p.perm)]
