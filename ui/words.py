"""Page labels in Bahasa Indonesia and English (registered once in core.platform.i18n, read with `tr`)."""

from __future__ import annotations

from typing import Any

from core.platform import register, t

register({
    "ui.lang_switch": {"id": "English", "en": "English"},
    "ui.logout": {"id": "Keluar", "en": "Log out"},
    "role.pic_crm": {"id": "PIC CRM (kantor pusat)", "en": "CRM PIC (head office)"},
    "role.kacab": {"id": "Kepala Cabang", "en": "Branch head"},
    "role.kabeng": {"id": "Kepala Bengkel", "en": "Workshop head"},
    "role.admin_crm": {"id": "Admin CRM", "en": "CRM admin"},
    "role.sa": {"id": "Service Advisor", "en": "Service advisor"},
    "ui.branch": {"id": "Cabang", "en": "Branch"},
    "ui.all_branches": {"id": "Semua cabang", "en": "All branches"},
    "ui.today.title": {"id": "Hari ini", "en": "Today"},
    "ui.today.mine": {"id": "Hanya lead saya", "en": "Only my leads"},
    "ui.today.reload": {"id": "Muat ulang daftar", "en": "Reload the list"},
    "ui.today.nothing": {"id": "Tidak ada tugas hari ini.", "en": "Nothing to do today."},
    "ui.today.none": {"id": "Tidak ada tugas.", "en": "No tasks."},
    "ui.today.late": {"id": "{n} terlambat", "en": "{n} late"},
    "ui.prev": {"id": "Sebelumnya", "en": "Previous"},
    "ui.next": {"id": "Berikutnya", "en": "Next"},
    "ui.page_of": {"id": "Halaman {page} dari {pages}", "en": "Page {page} of {pages}"},
    "ui.leads.title": {"id": "Leads & Opportunity", "en": "Leads & Opportunities"},
    "ui.leads.search": {"id": "Cari (nama, no HP, no polisi, no mesin, nomor lead)",
                        "en": "Search (name, mobile, plate, engine no, lead number)"},
    "ui.leads.rows": {"id": "{n} data · klik baris untuk membuka", "en": "{n} records · click a row to open it"},
    "ui.leads.new": {"id": "Buat Lead baru", "en": "New lead"},
    "ui.leads.assigned": {"id": "Admin", "en": "Admin"},
    "ui.leads.mine": {"id": "Milik saya", "en": "Mine"},
    "ui.leads.unassigned": {"id": "Belum dibagi", "en": "Unassigned"},
    "ui.board.title": {"id": "Papan Opportunity", "en": "Opportunity board"},
    "ui.board.more": {"id": "+{n} lainnya di daftar", "en": "+{n} more in the list"},
    "ui.board.empty": {"id": "Kosong", "en": "Empty"},
    "ui.customer.title": {"id": "Customer & Kendaraan", "en": "Customer & vehicles"},
    "ui.customer.pick": {"id": "Buka dari Form Lead atau daftar Leads.", "en": "Open from a lead or the lead list."},
    "ui.customer.vehicles": {"id": "Kendaraan", "en": "Vehicles"},
    "ui.customer.timeline": {"id": "Riwayat", "en": "Timeline"},
    "ui.customer.cddb_missing": {"id": "CDDB belum lengkap: {fields}", "en": "CDDB incomplete: {fields}"},
    "ui.customer.cddb_ok": {"id": "CDDB lengkap", "en": "CDDB complete"},
    "ui.customer.consent": {"id": "Izin dihubungi / dikirimi pesan", "en": "May contact / may message"},
    "ui.customer.open_leads": {"id": "Lead terbuka", "en": "Open leads"},
    "ui.customer.open": {"id": "Lihat customer", "en": "View customer"},
    "ui.dist.title": {"id": "Pembagian Lead", "en": "Lead distribution"},
    "ui.dist.unassigned": {"id": "Lead terbuka belum dibagi", "en": "Open leads not yet assigned"},
    "ui.dist.admins": {"id": "Admin penerima", "en": "Admins receiving"},
    "ui.dist.round_robin": {"id": "Bagi rata (bergiliran)", "en": "Share out in turn"},
    "ui.dist.given": {"id": "{n} lead dibagikan.", "en": "{n} leads shared out."},
    "ui.dist.reassign": {"id": "Pindahkan lead terpilih", "en": "Move the chosen leads"},
    "ui.dist.to": {"id": "Ke admin", "en": "To admin"},
    "ui.dist.moved": {"id": "{n} lead dipindahkan.", "en": "{n} leads moved."},
    "ui.dist.progress": {"id": "Progres admin hari ini", "en": "Admins' progress today"},
    "ui.dist.select_hint": {"id": "Pilih baris di tabel, lalu pilih admin.",
                            "en": "Select rows in the table, then pick an admin."},
    "ui.home.title": {"id": "Beranda", "en": "Home"},
    "ui.home.welcome": {"id": "Selamat datang, {name}.", "en": "Welcome, {name}."},
    "ui.health.title": {"id": "Kesehatan Sistem", "en": "System health"},
    "ui.health.caption": {"id": "Setiap proses aplikasi dan worker melapor tiap {every} detik; tanpa laporan "
                                "{late} detik berarti proses tidak menjawab.",
                          "en": "Every app process and worker reports every {every} seconds; no report for "
                                "{late} seconds means the process is not answering."},
    "ui.health.none": {"id": "Belum ada proses yang melapor.", "en": "No process has reported yet."},
    "ui.health.summary": {"id": "{alive} hidup · {late} tidak menjawab · {stopped} berhenti",
                          "en": "{alive} alive · {late} not answering · {stopped} stopped"},
    "ui.health.kind": {"id": "Jenis", "en": "Kind"},
    "ui.health.host": {"id": "Mesin", "en": "Machine"},
    "ui.health.detail": {"id": "Keterangan", "en": "Detail"},
    "ui.health.started": {"id": "Mulai", "en": "Started"},
    "ui.health.beat": {"id": "Laporan terakhir", "en": "Last report"},
    "ui.health.state": {"id": "Status", "en": "State"},
    "ui.health.kind.app": {"id": "Aplikasi", "en": "App"},
    "ui.health.kind.worker": {"id": "Worker", "en": "Worker"},
    "ui.health.state.alive": {"id": "Hidup", "en": "Alive"},
    "ui.health.state.late": {"id": "Tidak menjawab", "en": "Not answering"},
    "ui.health.state.stopped": {"id": "Berhenti", "en": "Stopped"},
    "ui.health.reload": {"id": "Muat ulang", "en": "Reload"},
})


def tr(code: str, lang: str, **params: Any) -> str:
    return t(code, lang, **params)

from ui import (  # noqa: E402  (registered with these)
    words_office as words_office,
    words_pages as words_pages,
    words_settings as words_settings,
)
