"""The app's pages and the permission each needs: app.py builds the menu from this list, and the
permission-matrix tests walk it, so a new page cannot be forgotten by either."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qs, urlencode, urlsplit

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
    PageSpec("pages/board.py", "Papan Opportunity", ":material/view_kanban:", Perm.LEAD_VIEW, "Kerja harian",
             "papan"),
    PageSpec("pages/customer.py", "Customer", ":material/person:", Perm.CUSTOMER_VIEW, "Kerja harian", "customer"),
    PageSpec("pages/distribution.py", "Pembagian Lead", ":material/groups:", Perm.LEAD_ASSIGN, "Kerja harian",
             "pembagian"),
    PageSpec("pages/bookings.py", "Booking Service", ":material/event:", Perm.BOOKING_VIEW, "Bengkel", "booking"),
    PageSpec("pages/settings.py", "Master Data", ":material/settings:", Perm.SETTINGS_MANAGE, "Pengaturan",
             "master-data"),
    PageSpec("pages/reports.py", "Laporan CRM", ":material/download:", Perm.REPORT_VIEW, "Laporan", "laporan"),
    PageSpec("pages/charts.py", "Grafik", ":material/bar_chart:", Perm.REPORT_VIEW, "Laporan", "grafik"),
    PageSpec("pages/recap.py", "Rekap Mingguan & PICA", ":material/fact_check:", Perm.REPORT_VIEW, "Laporan",
             "rekap"),
    PageSpec("pages/messaging.py", "Pesan Otomatis", ":material/forum:", Perm.REPORT_VIEW, "Laporan", "pesan"),
    PageSpec("pages/intake.py", "Import Data", ":material/upload:", Perm.CUSTOMER_CHANGE, "Pengaturan", "import"),
    PageSpec("pages/privacy.py", "Privasi Data", ":material/shield_person:", Perm.PRIVACY_MANAGE, "Pengaturan",
             "privasi"),
    PageSpec("pages/audit.py", "Log Audit", ":material/history:", Perm.AUDIT_VIEW, "Pengaturan", "audit"),
]


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
