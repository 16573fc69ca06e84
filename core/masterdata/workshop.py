"""A branch's workshop resources head office maintains: its pits and its staff (mechanics and service
advisors)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from core.accounts.access import Viewer
from core.masterdata.crud import Entity, code_field, known_branch, text_field, unique
from db.enums import StaffKind
from db.models import Pit, Staff


@dataclass
class PitInput:
    branch_id: int
    name: str
    active: bool = True


@dataclass
class StaffInput:
    branch_id: int
    kind: StaffKind
    code: str
    name: str
    active: bool = True


def _pit_values(session: Session, data: PitInput, own_id: int | None) -> dict[str, Any]:
    branch_id = known_branch(session, data.branch_id)
    name = (text_field(data.name, "name", 40) or "").upper()
    unique(session, Pit.name, name, "name", own_id, Pit.branch_id == branch_id)
    return {"branch_id": branch_id, "name": name, "active": bool(data.active)}


def _staff_values(session: Session, data: StaffInput, own_id: int | None) -> dict[str, Any]:
    branch_id = known_branch(session, data.branch_id)
    code = code_field(data.code, "code", 20)
    unique(session, Staff.code, code, "code", own_id, Staff.branch_id == branch_id)
    return {"branch_id": branch_id, "kind": StaffKind(data.kind), "code": code,
            "name": (text_field(data.name, "name", 120) or "").upper(), "active": bool(data.active)}


_PITS = Entity(Pit, "masterdata.pit", "pit", _pit_values, (Pit.branch_id, Pit.name))
_STAFF = Entity(Staff, "masterdata.staff", "staff", _staff_values, (Staff.branch_id, Staff.kind, Staff.name))


def list_pits(session: Session, viewer: Viewer, branch_id: int | None = None) -> list[Pit]:
    return _PITS.rows(session, viewer, *([] if branch_id is None else [Pit.branch_id == branch_id]))


def create_pit(session: Session, viewer: Viewer, data: PitInput) -> Pit:
    return _PITS.create(session, viewer, data)


def update_pit(session: Session, viewer: Viewer, pit_id: int, data: PitInput) -> Pit:
    return _PITS.update(session, viewer, pit_id, data)


def list_staff(session: Session, viewer: Viewer, branch_id: int | None = None) -> list[Staff]:
    return _STAFF.rows(session, viewer, *([] if branch_id is None else [Staff.branch_id == branch_id]))


def create_staff(session: Session, viewer: Viewer, data: StaffInput) -> Staff:
    return _STAFF.create(session, viewer, data)


def update_staff(session: Session, viewer: Viewer, staff_id: int, data: StaffInput) -> Staff:
    return _STAFF.update(session, viewer, staff_id, data)
