"""The set-based fast paths of the sales import (row hash, unchanged rows, plainly new rows) store exactly
what the full row-by-row path stores, on a first import and on a re-import of a changed file; and a
row whose sale, vehicle or customer was changed in the app since is not skipped on a re-import."""

from __future__ import annotations

import random

import pandas as pd
from sqlalchemy import delete, func, select, update

from core.intake import importer as intake
from db.models import Customer, Sale, Vehicle, WorkOrder

HEADER = ["No Mesin", "No Polisi", "Nama", "No KTP", "No HP", "Alamat", "Tanggal Beli", "Kode Cabang"]


def _rows(n: int, seed: int) -> list[list[str]]:
    """Sales rows with the cases that decide a path: repeat buyers (same NIK, other mobile), buyers
    without NIK sharing a mobile (with each other or with a NIK buyer), a motorcycle sold twice in the
    file, bad cells, blank mobiles."""
    rnd = random.Random(seed)
    people: list[tuple[str, str, str, str]] = []
    out: list[list[str]] = []
    for i in range(n):
        if people and rnd.random() < 0.25:
            name, nik, phone, address = people[rnd.randrange(len(people))]
            if rnd.random() < 0.3:
                phone = f"0813{rnd.randint(1000000, 9999999)}"
            if rnd.random() < 0.3:
                address = f"JL. MAWAR {i % 17}"
        else:
            name = f"PEMBELI {rnd.choice('ABCDEFGH')}{i}"
            nik = f"647202{rnd.randint(1, 28):02d}0{rnd.randint(1, 9)}9{rnd.randint(0, 9)}{i + 1:04d}"
            shared = rnd.random() < 0.3  # a few mobiles used by many buyers
            phone = f"0812{rnd.randint(1000000, 1000040) if shared else rnd.randint(2000000, 9999999)}"
            if rnd.random() < 0.25:
                nik = ""
            if rnd.random() < 0.1:
                phone = ""
            address = f"JL. MAWAR {i % 17}"
            people.append((name, nik, phone, address))
        engine = f"JM81E{5000000 + (rnd.randrange(i) if i and rnd.random() < 0.05 else i):07d}"
        plate = f"KT {rnd.randint(1000, 9999)} A{rnd.choice('BCD')}"
        date = f"{rnd.randint(1, 28):02d}/{rnd.randint(1, 12):02d}/2021"
        if rnd.random() < 0.03:
            date = "31/02/2021"
        out.append([engine, plate, name, nik, phone, address, date, "SAM01"])
    return out


def _import(world, rows: list[list[str]], *, fast: bool) -> intake.ImportResult:
    df = pd.DataFrame(rows, columns=HEADER)
    with world.db.transaction(world.admin_sam.scope) as s:
        return intake.import_frame(s, world.admin_sam, "sales", df, intake.guess_mapping(df.columns),
                                   batch_size=97, fast=fast)


def _stored(world, after: tuple[int, int, int]) -> tuple[list, list, list]:
    """What the imports stored, by natural keys (ids, codes and timestamps differ between runs)."""
    cust_after, veh_after, _sale_after = after
    with world.db.session(None, system=True) as s:
        people = {c.id: (c.nik, c.name, c.phone) for c in s.scalars(select(Customer).where(Customer.id > cust_after))}
        customers = sorted((c.nik or "", c.name, c.phone or "", c.address or "", c.branch_id, c.province_code or "",
                            str(c.birth_date), c.gender or "")
                           for c in s.scalars(select(Customer).where(Customer.id > cust_after)))
        vehicles = {v.id: v for v in s.scalars(select(Vehicle).where(Vehicle.id > veh_after))}
        motorcycles = sorted((v.engine_no, v.engine_code, v.plate or "", str(v.purchase_date), v.branch_id,
                              str(people.get(v.customer_id))) for v in vehicles.values())
        sales = sorted((vehicles[sale.vehicle_id].engine_no, str(sale.sale_date), sale.number or "", sale.branch_id,
                        str(people.get(sale.customer_id)))
                       for sale in s.scalars(select(Sale).where(Sale.vehicle_id.in_(list(vehicles)))))
    return customers, motorcycles, sales


def _last_ids(world) -> tuple[int, int, int]:
    with world.db.session(None, system=True) as s:
        last = [int(s.scalar(select(func.coalesce(func.max(m.id), 0)))) for m in (Customer.__table__.c,
                                                                                Vehicle.__table__.c, Sale.__table__.c)]
    return last[0], last[1], last[2]


def _forget(world, after: tuple[int, int, int]) -> None:
    with world.db.transaction(None, system=True) as s:
        s.execute(delete(Sale).where(Sale.id > after[2]))
        s.execute(delete(Vehicle).where(Vehicle.id > after[1]))
        s.execute(delete(Customer).where(Customer.id > after[0]))


def test_the_fast_paths_store_exactly_what_the_row_by_row_path_stores(world):
    first = _rows(600, seed=7)
    second = [list(r) for r in first[::2]] + _rows(60, seed=8)[:30]
    for r in second[::5]:
        r[4] = f"0815{random.Random(r[0]).randint(1000000, 9999999)}"  # new mobiles
    for r in second[1::7]:
        r[1] = "KT 1 ZZ"  # new plates
    before = _last_ids(world)
    outcomes = {}
    for fast in (False, True):
        counts = []
        for rows in (first, second, second):
            result = _import(world, rows, fast=fast)
            counts.append((result.created, result.updated, result.unchanged,
                           [(r.row, r.code) for r in result.rejected]))
            if rows is first:
                stored_first = _stored(world, before)
        outcomes[fast] = (stored_first, _stored(world, before), counts)
        _forget(world, before)
    slow, quick = outcomes[False], outcomes[True]
    assert quick[0] == slow[0] and quick[1] == slow[1]
    assert len(slow[0][2]) > 500  # the file did store its sales
    # Rejections and what is created agree; the fast path may count as unchanged what the row-by-row
    # path counts as updated (a row restoring a value another row of the chunk moved).
    for (q_created, q_updated, q_unchanged, q_rej), (s_created, s_updated, s_unchanged, s_rej) in zip(
            quick[2], slow[2], strict=True):
        assert (q_created, q_updated + q_unchanged, q_rej) == (s_created, s_updated + s_unchanged, s_rej)
    assert quick[2][2][0] == 0 and quick[2][2][2] >= slow[2][2][2]  # the same file again: nothing new


def test_a_reimport_does_not_skip_a_row_whose_records_changed_in_the_app_since(world):
    rows = _rows(40, seed=3)
    rows = [r for r in rows if r[3] and r[4] and r[6] != "31/02/2021"][:6]
    rows = [r for i, r in enumerate(rows) if r[3] not in {x[3] for x in rows[:i]}]
    first = _import(world, rows, fast=True)
    assert first.created == len(rows)
    engine, nik = rows[0][0], rows[1][3]
    with world.db.transaction(None, system=True) as s:  # the app corrects a plate and a mobile
        s.execute(update(Vehicle).where(Vehicle.engine_no == engine).values(plate="KT 9 ZZ"))
        s.execute(update(Customer).where(Customer.nik == nik).values(phone="+6281300000000"))
    again = _import(world, rows, fast=True)
    assert (again.created, again.updated, again.unchanged) == (0, 2, len(rows) - 2)
    with world.db.session(None, system=True) as s:
        assert s.scalar(select(Vehicle.plate).where(Vehicle.engine_no == engine)) == rows[0][1]
        assert s.scalar(select(Customer.phone).where(Customer.nik == nik)) == "+62" + rows[1][4][1:]
        assert s.scalar(select(func.count()).select_from(Sale).where(Sale.row_hash.is_not(None))) >= len(rows)


WO_HEADER = ["noPKB", "noMesin", "tanggalServis", "jenisPekerjaan", "km", "noPolisi", "Nama", "kodeCabang"]


def _work_orders(engines: list[str], n: int, seed: int) -> list[list[str]]:
    """Work orders for known motorcycles (mostly), with the cases that decide a path: an unknown engine,
    a new plate, a customer name, a number twice in the file, bad cells."""
    rnd = random.Random(seed)
    out = []
    for i in range(n):
        engine = engines[rnd.randrange(len(engines))] if rnd.random() < 0.9 else f"KF41E{7000000 + i:07d}"
        number = f"PKB/SAM01/2021/{rnd.randrange(n) if rnd.random() < 0.05 else 10000 + i:05d}"
        plate = "KT 5 WO" if rnd.random() < 0.05 else ""
        name = f"PEMBAWA {i}" if rnd.random() < 0.05 else ""
        job = rnd.choice(["ASS1", "ASS2", "KPB 3", "ASS4", "CS", "LR", "XX"])
        date = f"{rnd.randint(1, 28):02d}/{rnd.randint(1, 12):02d}/2022"
        out.append([number, engine, date, job, str(rnd.randint(500, 30000)), plate, name, "SAM01"])
    return out


def _stored_work_orders(world, after: tuple[int, int, int]) -> tuple[list, list]:
    with world.db.session(None, system=True) as s:
        people = {c.id: (c.nik, c.name) for c in s.scalars(select(Customer).where(Customer.id > after[0]))}
        vehicles = {v.id: v for v in s.scalars(select(Vehicle).where(Vehicle.id > after[1]))}
        orders = sorted((w.number, vehicles[w.vehicle_id].engine_no, str(people.get(w.customer_id)),
                         str(w.service_date), w.km or 0, w.job_type, w.kpb_number or 0, w.branch_id)
                        for w in s.scalars(select(WorkOrder).where(WorkOrder.vehicle_id.in_(list(vehicles)))))
        motorcycles = sorted((v.engine_no, v.plate or "", str(people.get(v.customer_id)), str(v.last_service_date))
                             for v in vehicles.values())
    return orders, motorcycles


def test_work_orders_of_known_motorcycles_are_stored_as_the_row_by_row_path_stores_them(world):
    sales = _rows(300, seed=5)
    engines = sorted({r[0] for r in sales})
    first, second = _work_orders(engines, 400, seed=1), _work_orders(engines, 200, seed=2)
    before = _last_ids(world)
    outcomes = {}
    for fast in (False, True):
        _import(world, sales, fast=True)
        counts, stored = [], []
        for rows in (first, second, first):
            df = pd.DataFrame(rows, columns=WO_HEADER)
            with world.db.transaction(world.admin_sam.scope) as s:
                result = intake.import_frame(s, world.admin_sam, "work_orders", df, intake.guess_mapping(df.columns),
                                             batch_size=89, fast=fast)
            counts.append((result.created, result.updated + result.unchanged,
                           [(r.row, r.code) for r in result.rejected]))
            stored.append(_stored_work_orders(world, before))
        outcomes[fast] = (counts, stored)
        with world.db.transaction(None, system=True) as s:
            s.execute(delete(WorkOrder).where(WorkOrder.vehicle_id.in_(
                select(Vehicle.id).where(Vehicle.id > before[1]))))
        _forget(world, before)
    assert outcomes[True] == outcomes[False]
    assert outcomes[True][0][0][0] > 300  # most work orders were new and stored


def test_a_buyers_second_motorcycle_in_one_chunk_keeps_its_hash_until_the_buyer_is_changed(world):
    """Rows of one buyer that agree on every customer value leave their hashes (a re-import skips them);
    rows of one NIK or one mobile that disagree leave none (the last row's values win when stored)."""
    people = [("SITI AMINAH", "6472024501990001", "081234560001", "JL. A 1", "01/03/2021"),
              ("SITI AMINAH", "6472024501990001", "081234560001", "JL. A 1", "05/03/2021"),
              ("RUDI HARTONO", "6472021001990002", "081234560002", "JL. B 2", "01/03/2021"),
              ("RUDI HARTONO", "6472021001990002", "081234560002", "JL. B 3", "02/03/2021"),
              ("AGUS", "6472021001990003", "081234560005", "JL. C 1", "01/03/2021"),
              ("DEWI", "6472024101990004", "081234560005", "JL. C 1", "01/03/2021")]
    rows = [[f"JM81E700000{i}", f"KT {i} AA", name, nik, phone, address, day, "SAM01"]
            for i, (name, nik, phone, address, day) in enumerate(people, start=1)]

    def hashed() -> dict[str, bool]:
        with world.db.session(None, system=True) as s:
            return dict(s.execute(select(Vehicle.engine_no, Sale.row_hash.is_not(None))
                                  .join(Sale, Sale.vehicle_id == Vehicle.id)
                                  .where(Vehicle.engine_no.like("JM81E70000%"))).all())

    assert _import(world, rows, fast=True).created == 6
    assert hashed() == {"JM81E7000001": True, "JM81E7000002": True,  # one buyer, two motorcycles, agreeing
                        "JM81E7000003": False, "JM81E7000004": False,  # one NIK, two addresses
                        "JM81E7000005": False, "JM81E7000006": False}  # one mobile, two people
    again = _import(world, rows, fast=True)
    # Rudi's rows went the full way again: each one moves his address (as the row-by-row path counts them).
    assert (again.created, again.updated, again.unchanged) == (0, 2, 4)
    with world.db.transaction(None, system=True) as s:  # the app corrects Siti's address
        s.execute(update(Customer).where(Customer.nik == "6472024501990001").values(address="JL. BARU 9"))
    third = _import(world, rows, fast=True)
    assert (third.created, third.updated + third.unchanged) == (0, 6) and third.updated >= 1
    with world.db.session(None, system=True) as s:
        assert s.scalar(select(Customer.address).where(Customer.nik == "6472024501990001")) == "JL. A 1"
    assert hashed()["JM81E7000001"] and hashed()["JM81E7000002"]  # the file's values again: hashes back
