"""Reference data every dealer starts with: occupations, lost reasons, the default KPB rules."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import KpbRule, LostReason, Occupation

OCCUPATIONS = [  # the CDDB list (the seed's Pekerjaan dropdown first)
    ("PNS", "Pegawai Negeri"),
    ("SWASTA", "Karyawan Swasta"),
    ("OJEK", "Ojek"),
    ("WIRASWASTA", "Wiraswasta/Pedagang"),
    ("PELAJAR", "Mahasiswa/Pelajar"),
    ("GURU", "Guru/Dosen"),
    ("TNI_POLRI", "TNI/Polri"),
    ("IRT", "Ibu Rumah Tangga"),
    ("PETANI", "Petani/Nelayan/Peternak"),
    ("PROFESIONAL", "Profesional (Dokter, Pengacara, dll)"),
    ("LAINNYA", "Lainnya"),
]

LOST_REASONS = [  # (code, Indonesian, English)
    ("ELSEWHERE", "Servis di bengkel lain", "Serviced elsewhere"),
    ("SOLD", "Motor sudah dijual", "Sold the unit"),
    ("MOVED", "Pindah domisili", "Moved away"),
    ("NO_TIME", "Tidak ada waktu", "No time"),
    ("NOT_INTERESTED", "Tidak berminat", "Not interested"),
    ("WRONG_NUMBER", "Nomor salah / tidak aktif", "Wrong or inactive number"),
    ("KPB_EXPIRED", "Masa KPB sudah habis", "KPB expired"),
    ("UNIT_GONE", "Motor hilang / rusak berat", "Unit lost or wrecked"),
]

DEFAULT_ENGINE_CODE = "*"
# Nominal days/km after purchase (fuel-injected models), plus the dealer's claim grace.
DEFAULT_KPB = [  # (kpb_number, days, km, grace_days, grace_km)
    (1, 60, 1_000, 15, 100),
    (2, 120, 4_000, 15, 150),
    (3, 240, 8_000, 15, 200),
    (4, 360, 12_000, 15, 250),
]
# Big/older models keep their own schedule, e.g. the CBR250 family: 60/180/360/540 days.
CBR250_ENGINE_CODE = "MC81"
CBR250_KPB = [(1, 60, 1_000, 15, 100), (2, 180, 6_000, 15, 150), (3, 360, 12_000, 15, 200),
              (4, 540, 18_000, 15, 250)]


def install(session: Session) -> None:
    """Insert whatever reference rows are missing; running it twice changes nothing."""
    have = set(session.scalars(select(Occupation.code)))
    for sort, (code, name) in enumerate(OCCUPATIONS):
        if code not in have:
            session.add(Occupation(code=code, name=name, sort=sort))
    have = set(session.scalars(select(LostReason.code)))
    for sort, (code, name_id, name_en) in enumerate(LOST_REASONS):
        if code not in have:
            session.add(LostReason(code=code, name_id=name_id, name_en=name_en, sort=sort))
    have_rules = set(session.execute(select(KpbRule.engine_code, KpbRule.kpb_number)).tuples())
    for engine_code, rows in ((DEFAULT_ENGINE_CODE, DEFAULT_KPB), (CBR250_ENGINE_CODE, CBR250_KPB)):
        for number, days, km, grace_days, grace_km in rows:
            if (engine_code, number) not in have_rules:
                session.add(KpbRule(engine_code=engine_code, kpb_number=number, days=days, km=km,
                                    grace_days=grace_days, grace_km=grace_km))
    session.flush()
