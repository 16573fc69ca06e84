"""The app's pages and the permission each needs: app.py builds the menu from this list, and the
permission-matrix tests walk it, so a new page cannot be forgotten by either."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qs, urlencode, urlsplit

from core.accounts import Perm, Viewer


@dataclass(frozen=True)
class PageSpec:
    path: str  # file under pages/
    title: str  # in the menu, Bahasa Indonesia
    title_en: str
    icon: str
    perm: Perm
    section: str
    url_path: str
    default: bool = False


DAILY, WORKSHOP, REPORTS, SETTINGS = "Kerja harian", "Bengkel", "Laporan", "Pengaturan"
SECTIONS_EN = {DAILY: "Daily work", WORKSHOP: "Workshop", REPORTS: "Reports", SETTINGS: "Settings"}
# The whole menu, always: collapsed, Streamlit shows the first ten pages and "View N more", which hid
# the reports (Laporan CRM, Grafik, Rekap) from head office and the branch heads who come for them.
MENU_EXPANDED = True

PAGES: list[PageSpec] = [
    PageSpec("pages/today.py", "Hari ini", "Today", ":material/today:", Perm.LEAD_VIEW, DAILY, "hari-ini",
             default=True),
    PageSpec("pages/home.py", "Beranda", "Home", ":material/home:", Perm.LEAD_VIEW, DAILY, "beranda"),
    PageSpec("pages/leads.py", "Leads & Opportunity", "Leads & Opportunities", ":material/list:", Perm.LEAD_VIEW,
             DAILY, "leads"),
    PageSpec("pages/lead.py", "Form Lead", "Lead form", ":material/edit_note:", Perm.LEAD_VIEW, DAILY, "lead"),
    PageSpec("pages/board.py", "Papan Opportunity", "Opportunity board", ":material/view_kanban:", Perm.LEAD_VIEW,
             DAILY, "papan"),
    PageSpec("pages/customer.py", "Customer", "Customer", ":material/person:", Perm.CUSTOMER_VIEW, DAILY,
             "customer"),
    PageSpec("pages/distribution.py", "Pembagian Lead", "Lead distribution", ":material/groups:", Perm.LEAD_ASSIGN,
             DAILY, "pembagian"),
    PageSpec("pages/bookings.py", "Booking Service", "Service bookings", ":material/event:", Perm.BOOKING_VIEW,
             WORKSHOP, "booking"),
    PageSpec("pages/reports.py", "Laporan CRM", "CRM report", ":material/download:", Perm.REPORT_VIEW, REPORTS,
             "laporan"),
    PageSpec("pages/charts.py", "Grafik", "Charts", ":material/bar_chart:", Perm.REPORT_VIEW, REPORTS, "grafik"),
    PageSpec("pages/recap.py", "Rekap Mingguan & PICA", "Weekly recap & PICA", ":material/fact_check:",
             Perm.REPORT_VIEW, REPORTS, "rekap"),
    PageSpec("pages/messaging.py", "Pesan Otomatis", "Automatic messages", ":material/forum:", Perm.REPORT_VIEW,
             REPORTS, "pesan"),
    PageSpec("pages/settings.py", "Master Data", "Master data", ":material/settings:", Perm.SETTINGS_MANAGE,
             SETTINGS, "master-data"),
    PageSpec("pages/intake.py", "Import Data", "Data import", ":material/upload:", Perm.CUSTOMER_CHANGE, SETTINGS,
             "import"),
    PageSpec("pages/privacy.py", "Privasi Data", "Data privacy", ":material/shield_person:", Perm.PRIVACY_MANAGE,
             SETTINGS, "privasi"),
    PageSpec("pages/odoo_sync.py", "Migrasi Odoo", "Odoo migration", ":material/sync_alt:", Perm.SETTINGS_MANAGE,
             SETTINGS, "migrasi-odoo"),
    PageSpec("pages/health.py", "Kesehatan Sistem", "System health", ":material/monitor_heart:",
             Perm.SETTINGS_MANAGE, SETTINGS, "kesehatan"),
    PageSpec("pages/audit.py", "Log Audit", "Audit log", ":material/history:", Perm.AUDIT_VIEW, SETTINGS, "audit"),
]


def title_of(spec: PageSpec, lang: str) -> str:
    return spec.title_en if lang == "en" else spec.title


def section_of(spec: PageSpec, lang: str) -> str:
    return SECTIONS_EN[spec.section] if lang == "en" else spec.section


def pages_for(viewer: Viewer) -> list[PageSpec]:
    return [p for p in PAGES if viewer.can(p.perm)]


@dataclass(frozen=True)
class DeepLink:
    page: str
    query: dict[str, list[str]]


def with_query(url: str | None, query: dict[str, str]) -> str | None:
    """url with query added when it has none of its own (Streamlit reports the two apart)."""
    if not url or not query or urlsplit(url).query:
        return url
    return f"{url}?{urlencode(query)}"


def deep_link(url: str | None, allowed: list[PageSpec]) -> DeepLink | None:
    """The page (among those the user may open) and query a URL points to; None for the app's root
    or a page the user may not open."""
    if not url:
        return None
    parts = urlsplit(url)
    path = parts.path.rstrip("/").rsplit("/", 1)[-1]
    if not path:
        return None
    for spec in allowed:
        if spec.url_path == path:
            return DeepLink(spec.path, parse_qs(parts.query))
    return None
