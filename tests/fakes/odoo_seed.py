"""The dealer's Odoo 8 as the fake serves it: the model and field names of the Daya Motor customisation
(dym.branch, res.partner with the CDDB fields, stock.production.lot, dealer.sale.order, dym.work.order,
crm.lead, dym.customer.booking), record makers shared by the seeded dealer (a few thousand records with
the nasty ones) and the benchmark's synthetic millions."""

from __future__ import annotations

import datetime as dt
from typing import Any

from tests.fakes.odoo_server import RecordStore, SyntheticStore

WD = "2024-01-01 00:00:00"
BRANCHES = [(1, "SAM01", "SAMARINDA", "Kalimantan Timur"), (2, "IND01", "INDRAMAYU", "Jawa Barat"),
            (3, "JAY01", "JAYAPURA", "Papua")]
PRODUCTS = [(1, "X1H02N35S2", "A/T PLUS (BL-BLUE)"), (2, "Y1G02N02L0", "BEAT SPORTY CBS"),
            (3, "H1B02N41L0", "SCOOPY STYLISH"), (4, "D1B02N12L2", "SUPRA X 125 FI")]


def m2o(rid: int | None, name: str) -> Any:
    return [rid, name] if rid else False


def nik_of(i: int) -> str:
    return f"6471{(i // 9999) % 90 + 10:02d}{i % 28 + 1:02d}{i % 12 + 1:02d}{80 + i % 20:02d}{i % 9999 + 1:04d}"


def engine_of(i: int) -> str:
    return f"JFK1E{i:07d}"


def plate_of(i: int) -> str:
    return f"KT {i % 9999 + 1} {'ABCDEFGH'[i % 8]}{'KLMN'[i % 4]}"


def branch(i: int) -> list[Any]:
    b = BRANCHES[(i - 1) % len(BRANCHES)]
    return [b[0], f"[{b[1]}] {b[2]}"]


def partner(i: int, wd: str = WD) -> dict[str, Any]:
    return {"id": i, "write_date": wd, "name": f"CUSTOMER {i}", "default_code": f"BPA/2004/{i:07d}",
            "no_ktp": nik_of(i), "mobile": f"0812{i:08d}", "phone": False, "street": f"JL. MERDEKA {i}",
            "zip": "75111", "birthday": False, "jenis_kelamin": "L" if i % 2 else "P",
            "sms_broadcast": "Y" if i % 3 else "N", "branch_id": branch(i), "customer": True}


def lot(i: int, wd: str = WD, owner: int | None = None) -> dict[str, Any]:
    p = PRODUCTS[i % len(PRODUCTS)]
    return {"id": i, "write_date": wd, "name": engine_of(i), "chassis_no": f"MH1JFK1{i:010d}",
            "no_polisi": plate_of(i), "product_id": [p[0], f"[{p[1]}] {p[2]}"], "warna": "BLUE",
            "tgl_penjualan": (dt.date(2023, 1, 1) + dt.timedelta(days=i % 365)).isoformat(),
            "customer_id": m2o(owner if owner is not None else i, f"CUSTOMER {owner or i}"), "branch_id": branch(i)}


def sale(i: int, wd: str = WD) -> dict[str, Any]:
    day = dt.date(2023, 1, 1) + dt.timedelta(days=i % 365)
    return {"id": i, "write_date": wd, "name": f"DSM/{branch(i)[1][1:6]}/2301/{i:05d}",
            "date_order": f"{day.isoformat()} 03:00:00", "finco_id": m2o(9, "FIF") if i % 2 else False,
            "sales_source": "Showroom", "branch_id": branch(i), "lot_id": m2o(i, engine_of(i)),
            "partner_id": m2o(i, f"CUSTOMER {i}")}


def work_order(i: int, vehicles: int, wd: str = WD) -> dict[str, Any]:
    v = (i - 1) % vehicles + 1
    kpb = (i - 1) // vehicles + 1
    when = dt.datetime(2023, 3, 1, 2, 0) + dt.timedelta(days=(i * 7) % 300)
    return {"id": i, "write_date": wd, "name": f"BOS-W/{branch(v)[1][1:6]}/2303/{i:06d}",
            "date": when.strftime("%Y-%m-%d %H:%M:%S"), "km": 1000 * kpb, "type": "KPB" if kpb <= 4 else "REG",
            "kpb_ke": str(kpb) if kpb <= 4 else False, "branch_id": branch(v), "lot_id": m2o(v, engine_of(v)),
            "customer_id": m2o(v, f"CUSTOMER {v}"), "state": "done"}


STAGES = ["New", "Follow Up 1", "Follow Up 2", "Follow Up 3", "Won", "Lost"]


def lead(i: int, vehicles: int, wd: str = WD) -> dict[str, Any]:
    v = (i - 1) % vehicles + 1
    stage = STAGES[i % len(STAGES)]
    kind = "lead" if i % 7 == 0 else "opportunity"
    fu = stage.startswith("Follow") or stage in ("Won", "Lost")
    return {"id": i, "write_date": wd, "name": f"LDS/{branch(v)[1][1:6]}/2007/{i:05d}", "type": kind,
            "stage_id": [STAGES.index(stage) + 1, stage], "lead_category": "H1H2", "contact_name": f"CUSTOMER {v}",
            "phone": f"0812{v:08d}", "no_ktp": nik_of(v), "street": f"JL. MERDEKA {v}",
            "lot_id": m2o(v, f"{plate_of(v)} - {engine_of(v)}"), "partner_id": m2o(v, f"CUSTOMER {v}"),
            "rekomendasi_service": "KPB", "kpb_ke": "3", "kpb_date_expired": "07/31/2020",
            "follow_up_1": "2020-07-20" if fu else False, "next_plan_follow_up_2": "2020-07-23" if fu else False,
            "follow_up_2": False, "next_plan_follow_up_3": False, "follow_up_3": False, "date_deadline": False,
            "opportunity_status": ["hot", "medium", "cold"][i % 3] if fu else False,
            "status_customer": "terhubung" if fu else False,
            "lost_reason_id": [2, "Sudah service di bengkel lain"] if stage == "Lost" else False,
            "date_open": "2020-07-09 06:43:34" if kind == "opportunity" else False,
            "date_closed": "2020-07-30 10:00:00" if stage in ("Won", "Lost") else False,
            "description": False, "branch_id": branch(v), "user_id": False}


def booking(i: int, vehicles: int, wd: str = WD) -> dict[str, Any]:
    v = (i - 1) % vehicles + 1
    return {"id": i, "write_date": wd, "name": f"BOS-B/{branch(v)[1][1:6]}/2008/{i:05d}",
            "state": ["draft", "posted", "done", "cancel"][i % 4], "booking_date": "2020-08-03 01:30:00",
            "mobile": f"0812{v:08d}", "type": "KPB", "kpb_ke": "3", "keluhan": "Servis KPB 3",
            "cancel_reason": "Tidak jadi" if i % 4 == 3 else False, "branch_id": branch(v), "lead_id": False,
            "customer_id": m2o(v, f"CUSTOMER {v}"), "lot_id": m2o(v, engine_of(v))}


def masters() -> dict[str, RecordStore]:
    return {
        "dym.branch": RecordStore([{"id": b, "write_date": WD, "code": code, "name": name, "ahass_code": f"0{b}123",
                                    "phone": False, "street": False, "state_id": [b, prov], "active": True}
                                   for b, code, name, prov in BRANCHES]),
        "res.users": RecordStore([{"id": u, "write_date": WD, "login": f"crm.{u}", "name": f"ADMIN CRM {u}",
                                   "email": False, "active": True, "branch_ids": [1 + u % 3] if u % 2 else [1, 2]}
                                  for u in range(1, 7)]),
        "product.product": RecordStore([{"id": p, "write_date": WD, "default_code": code, "name": name}
                                        for p, code, name in PRODUCTS]),
    }


def dealer(partners: int = 800, work_orders: int = 1200, leads: int = 400, bookings: int = 100) -> dict[str, Any]:
    """The seeded dealer: every record good except the nasty ones listed in NASTY, each with its fate."""
    stores: dict[str, Any] = masters()
    stores["res.partner"] = RecordStore([partner(i) for i in range(1, partners + 1)])
    stores["stock.production.lot"] = RecordStore([lot(i) for i in range(1, partners + 1)])
    stores["dealer.sale.order"] = RecordStore([sale(i) for i in range(1, partners * 3 // 4 + 1)])
    stores["dym.work.order"] = RecordStore([work_order(i, partners) for i in range(1, work_orders + 1)])
    stores["crm.lead"] = RecordStore([lead(i, partners) for i in range(1, leads + 1)])
    stores["dym.customer.booking"] = RecordStore([booking(i, partners) for i in range(1, bookings + 1)])
    p, lots, wo, ld = (stores[m].records for m in ("res.partner", "stock.production.lot", "dym.work.order",
                                                   "crm.lead"))
    for i in range(10, partners, 10):  # partners without NIK: they come over, matched by Odoo id
        p[i]["no_ktp"] = False
    for i in range(11, partners, 50):  # duplicate phones: two customers share a number (a family)
        p[i + 1]["mobile"] = p[i]["mobile"]
    p[5]["no_ktp"] = "12345"  # rejected: not a NIK
    p[7]["no_ktp"] = p[3]["no_ktp"]  # rejected: another partner's NIK
    p[9]["name"] = False  # rejected: a partner without a name
    lots[7]["customer_id"] = False  # its owner was rejected: the unit comes over without one
    for rid in (7, 5, 9):
        for other in (lots, stores["dealer.sale.order"].records, wo, stores["dym.customer.booking"].records):
            for r in other.values():
                if isinstance(r.get("customer_id"), list) and r["customer_id"][0] == rid:
                    r["customer_id"] = False
                if isinstance(r.get("partner_id"), list) and r["partner_id"][0] == rid:
                    r["partner_id"] = False
    ld[3]["lot_id"] = [999_999, "XX 1 X - JFK1E9999999"]  # rejected: its vehicle is not in Odoo's export
    # Dates near midnight UTC: 17:30 UTC is the next day in WIB, WITA and WIT alike; 15:59 is still the same
    # day in WIB (22:59) and WITA (23:59) but the next in WIT (00:59).
    wo[1]["date"] = "2023-03-01 17:30:00"  # SAM01 (WITA): 2 March
    wo[2]["date"] = "2023-03-01 15:59:00"  # IND01 (WIB): 1 March
    wo[3]["date"] = "2023-03-01 15:59:00"  # JAY01 (WIT): 2 March
    wo[4]["kpb_ke"] = False  # rejected: KPB without its number
    return stores


# What the seeded dealer's nasty records become: (model, Odoo id) -> the words the reason must contain.
NASTY = {("res.partner", 5): "no_ktp", ("res.partner", 7): "also id 3",
         ("res.partner", 9): "name is empty", ("crm.lead", 3): "stock.production.lot id 999999",
         ("dym.work.order", 4): "kpb_ke"}


def synthetic(partners: int, vehicles: int, work_orders: int, leads: int) -> dict[str, Any]:
    stores: dict[str, Any] = masters()
    stores["res.partner"] = SyntheticStore(partners, partner)
    stores["stock.production.lot"] = SyntheticStore(vehicles, lambda i: lot(i, owner=(i - 1) % partners + 1))
    stores["dealer.sale.order"] = RecordStore([])
    stores["dym.work.order"] = SyntheticStore(work_orders, lambda i: work_order(i, vehicles))
    stores["crm.lead"] = SyntheticStore(leads, lambda i: lead(i, vehicles))
    stores["dym.customer.booking"] = RecordStore([])
    return stores
