"""The mappings of the dealer's master data: branches (dym.branch), users and their branches (res.users),
unit types (product.product) and customers with their CDDB (res.partner as dym_res_partner_cddb extends it)."""

from __future__ import annotations

import secrets
from typing import Any

import bcrypt
from sqlalchemy import Table, delete, insert
from sqlalchemy.orm import Session

from core.intake.store import _nik_facts
from core.migration import convert as c
from core.migration.spec import Field, ModelMap, Ref, Unique
from core.platform import clock
from core.platform.numbering import format_number, reserve, yymm
from db.enums import Role
from db.models import Branch, Customer, UnitType, User, UserBranch

_B: Table = Branch.__table__  # type: ignore[assignment]
_U: Table = User.__table__  # type: ignore[assignment]
_T: Table = UnitType.__table__  # type: ignore[assignment]
_C: Table = Customer.__table__  # type: ignore[assignment]

# Odoo keeps no time zone on a branch: it follows from the province (WIB, WITA, WIT).
_WITA = ("BALI", "NUSA TENGGARA", "KALIMANTAN SELATAN", "KALIMANTAN TIMUR", "KALIMANTAN UTARA", "SULAWESI")
_WIT = ("MALUKU", "PAPUA")


def _branch_derive(row: dict[str, Any], record: dict[str, Any], _lookups: dict[str, Any]) -> dict[str, Any]:
    province = (row.get("province") or "").upper()
    tz = (clock.WIT if any(p in province for p in _WIT)
          else clock.WITA if any(p in province for p in _WITA) else clock.WIB)
    return {"timezone": tz}


BRANCH = ModelMap(
    odoo="dym.branch", table=_B, branch_field=None,
    fields=(Field("code", "code", c.upper_text(20), required=True), Field("name", "name", c.text(120), required=True),
            Field("ahass_code", "ahass_code", c.text(20)), Field("phone", "phone", c.text(20)),
            Field("street", "address", c.text(255)), Field("state_id", "province", c.many2one_name),
            Field("active", "active", c.boolean)),
    unique=(Unique(("code",)),), derive=_branch_derive)


def _user_prepare(_session: Session) -> dict[str, Any]:
    # Migrated users get a password nobody knows: head office sets one before they log in.
    return {"locked_hash": bcrypt.hashpw(secrets.token_bytes(24), bcrypt.gensalt(rounds=10)).decode()}


def _user_derive(row: dict[str, Any], record: dict[str, Any], lookups: dict[str, Any]) -> dict[str, Any]:
    return {"password_hash": lookups["locked_hash"]}


def _user_branches(session: Session, rows: list[dict[str, Any]]) -> None:
    """The user's branches are Odoo's branch_ids, set whole for the users this page wrote."""
    written = [r for r in rows if r.get("_written")]
    if not written:
        return
    session.execute(delete(UserBranch).where(UserBranch.user_id.in_([r["id"] for r in written])))
    links = [{"user_id": r["id"], "branch_id": b} for r in written for b in sorted(set(r.get("_branch_ids") or ()))]
    if links:
        session.execute(insert(UserBranch), links)


USER = ModelMap(
    odoo="res.users", table=_U, branch_field=None,
    fields=(Field("login", "username", c.text(60), required=True),
            Field("name", "full_name", c.text(120), required=True),
            Field("email", "email", c.text(120)), Field("active", "active", c.boolean)),
    refs=(Ref("branch_ids", "_branch_ids", "dym.branch", many=True),),
    unique=(Unique(("username",)),),
    defaults={"role": Role.ADMIN_CRM.value, "language": "id", "failed_logins": 0},
    insert_only=("password_hash", "role", "language", "failed_logins"),
    prepare=_user_prepare, derive=_user_derive, after=_user_branches)


PRODUCT = ModelMap(
    odoo="product.product", table=_T, branch_field=None, synced=False,
    fields=(Field("default_code", "code", c.upper_text(30), required=True),
            Field("name", "name", c.text(120), required=True)),
    unique=(Unique(("code",)),), defaults={"premium": False})


def _partner_derive(row: dict[str, Any], record: dict[str, Any], lookups: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if row.get("nik"):
        facts = _nik_facts(row["nik"])
        out = {"province_code": facts["province_code"], "city_code": facts["city_code"]}
        out["birth_date"] = row.get("birth_date") or facts["birth_date"]
        out["gender"] = row.get("gender") or facts["gender"]
    if row.get("consent_message"):
        out["consent_source"] = "Odoo CDDB: SMS broadcast Y"
    return out


def _number_new_customers(session: Session, rows: list[dict[str, Any]]) -> None:
    """A BPA code for each new Odoo partner that has none of its own (every other keeps the dealer's)."""
    bare = [r for r in rows if not r.get("code")]
    if not bare:
        return
    series = f"BPA/{yymm(clock.today_in(clock.HEAD_OFFICE))}"
    first = reserve(session, series, len(bare))
    for i, row in enumerate(bare):
        row["code"] = format_number(series, first + i)


PARTNER = ModelMap(
    odoo="res.partner", table=_C,
    fields=(Field("name", "name", c.text(120), required=True), Field("default_code", "code", c.text(30)),
            Field("no_ktp", "nik", c.nik("no_ktp")), Field("mobile", "phone", c.phone("mobile")),
            Field("phone", "phone2", c.phone("phone")), Field("street", "address", c.text(255)),
            Field("zip", "postal_code", c.text(5)), Field("birthday", "birth_date", c.odoo_date("birthday")),
            Field("jenis_kelamin", "gender", c.choice("jenis_kelamin", {"l": "M", "m": "M", "p": "F", "f": "F"})),
            Field("sms_broadcast", "consent_message", c.choice("sms_broadcast", {"y": True, "n": False},
                                                                default=False))),
    refs=(Ref("branch_id", "branch_id", "dym.branch", required=True),),
    unique=(Unique(("nik",)), Unique(("code",))),
    defaults={"consent_contact": False, "province_code": None, "city_code": None, "consent_source": None},
    derive=_partner_derive, before_insert=_number_new_customers, never_blank=("code",))
