"""Issue 20 point 4: NUL and the other control characters are refused (or, for a customer's free text,
cleaned) at every edge, by one rule (core.platform.text_input), on both databases: forms name the field, imports
reject the row naming row, column and the value escaped, the rest of the file is stored."""

from __future__ import annotations

import datetime as dt
import io

import numpy as np
import pytest
from sqlalchemy import select

from core.bookings.booking import BookingInput, create_booking
from core.customers.customer import CustomerInput, update_customer
from core.intake import importer as intake, review
from core.leads.lead import LeadInput, save_lead
from core.masterdata.workshop import PitInput, create_pit
from core.platform import clock, text_input
from core.platform.errors import MultipleErrors, ValidationError
from db.models import Booking, Customer, Pit

REFUSED = ["\x00", "\x01", "\x08", "\x0b", "\x0c", "\x0e", "\x1b", "\x1f", "\x7f", "\x80", "\x85", "\x9f",
           "\ud800", "\udfff"]
KEPT = ["\t", "\n", "\r", " ", "\xa0", "é", "\u200b", "😀", "ب"]


@pytest.mark.parametrize("ch", REFUSED)
def test_the_rule_refuses_nul_c0_del_c1_and_lone_surrogates(ch):
    assert text_input.has_bad(f"a{ch}b")
    assert text_input.strip(f"a{ch}b") == "ab"
    assert "\\" in text_input.visible(f"a{ch}b") and not text_input.has_bad(text_input.visible(f"a{ch}b"))
    assert list(text_input.bad_rows(np.array(["ok", f"a{ch}b", "ok\t", None, 3], dtype=object))) == [1]


@pytest.mark.parametrize("ch", KEPT)
def test_the_rule_keeps_tab_newline_and_every_printable_character(ch):
    assert not text_input.has_bad(f"a{ch}b")
    assert list(text_input.bad_rows(np.array([f"a{ch}b"] * 3, dtype=object))) == []


def test_visible_writes_a_nul_as_an_escape():
    assert text_input.visible("BU\x00DI\ud800") == "BU\\x00DI\\ud800"


SALES_HEADER = "No Mesin;No Rangka;No Polisi;Nama;No KTP;No HP;Alamat;Tanggal Beli;Kode Cabang;Tipe Unit"


def test_an_import_row_with_a_nul_in_a_name_is_rejected_naming_row_and_field_and_the_others_are_stored(world):
    rows = ["JM81E1056206;;BD 2035 ID;BUDI SANTOSO;6472024501990001;081234567890;JL. PAHLAWAN 1;07/11/2020;SAM01;Beat",
            "HB61E1000001;;KT 1234 AB;SITI\x00AMINAH;;0852 1111 2222;;2020-11-08;SAM01;Scoopy",
            "HB61E1000002;;KT 1235 AB;ANI;;081200000001;JL. MERDEKA\x1b 2;08/11/2020;SAM01;Scoopy",
            "HB61E1000003;;KT 1236 AB;ANA;;081200000002;;08/11/2020;SAM\x0001;Scoopy",
            "HB61E1000004;;KT 1237 AB;ANO;;081200000003;;08/11/2020;SAM01;Scoopy"]
    data = io.BytesIO(("\n".join([SALES_HEADER, *rows]) + "\n").encode())
    df = intake.read_table(data, "sales.csv")
    with world.db.transaction(world.admin_sam.scope) as s:
        result = intake.import_frame(s, world.admin_sam, "sales", df, intake.guess_mapping(df.columns))
    assert [(r.row, r.column, r.value, r.code) for r in result.rejected] == [
        (3, "Nama", "SITI\\x00AMINAH", "text.control_char"),
        (4, "Alamat", "JL. MERDEKA\\x1b 2", "text.control_char"),
        (5, "Kode Cabang", "SAM\\x0001", "text.control_char")]
    assert "\\x00" in result.rejected[0].reason and "kontrol" in result.rejected[0].reason
    assert result.created == 2
    with world.db.session(None, system=True) as s:
        names = set(s.scalars(select(Customer.name)))
        assert {"BUDI SANTOSO", "ANO"} <= names and not any(text_input.has_bad(n) for n in names)


def test_the_rejection_workbook_lists_a_nul_escaped_instead_of_failing(world, tmp_path):
    from openpyxl import load_workbook

    rows = ["HB61E1000001;;KT 1234 AB;SITI\x00AMINAH;;0852 1111 2222;;2020-11-08;SAM01;Scoopy",
            "HB61E1000002;;KT 1235 AB;AN\x0bI;;081200000001;;08/11/2020;SAM01;Scoopy"]
    df = intake.read_table(io.BytesIO(("\n".join([SALES_HEADER, *rows]) + "\n").encode()), "sales.csv")
    with world.db.transaction(world.admin_sam.scope) as s:
        result = intake.import_frame(s, world.admin_sam, "sales", df, intake.guess_mapping(df.columns))
    for frame in (df, None):  # the whole rows, and the one-line-per-rejection list
        path = tmp_path / f"ditolak-{frame is None}.xlsx"
        review.rejections_xlsx(result.rejected, path, frame)
        cells = [str(c) for row in load_workbook(path).active.iter_rows(values_only=True) for c in row if c]
        assert any("SITI\\x00AMINAH" in c for c in cells) and any("AN\\x0bI" in c for c in cells)


def test_a_customer_form_with_a_nul_is_refused_naming_the_field(world):
    with pytest.raises(ValidationError) as caught, world.db.transaction(world.admin_sam.scope) as s:
        update_customer(s, world.admin_sam, world.customer_sam.id, CustomerInput(address="JL. A\x00B"))
    assert (caught.value.code, caught.value.field, caught.value.value) == ("text.control_char", "address",
                                                                            "JL. A\x00B")
    assert "\\x00" in caught.value.message("id") and "Alamat" in caught.value.message("id")
    with world.db.session(None, system=True) as s:
        assert s.get(Customer, world.customer_sam.id).address != "JL. A\x00B"


def test_a_lead_form_with_control_characters_names_every_field(world):
    with pytest.raises(MultipleErrors) as caught, world.db.transaction(world.admin_sam.scope) as s:
        save_lead(s, world.admin_sam, LeadInput(
            branch_id=world.sam.id, customer_id=world.customer_sam.id, vehicle_id=world.vehicle_sam.id,
            phone=world.customer_sam.phone, occupation_id=world.customer_sam.occupation_id,
            note="catatan\x00", sales_source="CRM\ud800"))
    assert sorted(e.field for e in caught.value.errors) == ["note", "sales_source"]


def test_a_booking_dialog_with_a_nul_in_the_complaint_is_refused(world):
    data = BookingInput(branch_id=world.sam.id, day=dt.date(2020, 7, 11), hour=9, minute=0,
                        customer_id=world.customer_sam.id, vehicle_id=world.vehicle_sam.id, pit_id=world.pit_sam.id,
                        mechanic_id=world.mechanic_sam.id, service_advisor_id=world.advisor_sam.id,
                        reason_to_come="PHONE_REMINDER", complaint="rem\x00 kurang pakem")
    with pytest.raises(ValidationError) as caught, clock.frozen(dt.datetime(2020, 7, 10, 3, tzinfo=dt.UTC)), \
            world.db.transaction(world.admin_sam.scope) as s:
        create_booking(s, world.admin_sam, data)
    assert caught.value.field == "complaint"
    with world.db.session(None, system=True) as s:
        assert not s.scalars(select(Booking)).all()


def test_master_data_with_a_nul_is_refused_naming_the_field(world):
    with pytest.raises(ValidationError) as caught, world.db.transaction(None, system=True) as s:
        create_pit(s, world.ho, PitInput(branch_id=world.sam.id, name="PIT\x00 9"))
    assert caught.value.field == "md.name"
    with world.db.session(None, system=True) as s:
        assert "PIT\x00 9" not in set(s.scalars(select(Pit.name)))


def test_a_search_with_a_nul_finds_as_without_it_instead_of_failing(world):
    from core.leads.queries import LeadFilter, list_leads
    from tests.helpers import new_lead

    new_lead(world)
    with world.db.session(world.admin_sam.scope) as s:
        plain = list_leads(s, world.admin_sam, LeadFilter(text="RESTU"))
        with_nul = list_leads(s, world.admin_sam, LeadFilter(text="RES\x00TU"))
    assert with_nul.total == plain.total >= 1
