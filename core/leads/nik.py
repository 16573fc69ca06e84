"""The NIK as a viewer may see it: whole with the NIK_FULL permission, else masked (the lead list, one
lead and the customer lookups all show it this way)."""

from __future__ import annotations

from core.accounts.access import Perm, Viewer
from core.customers.nik import mask_nik


def show_nik(viewer: Viewer, nik: str | None) -> str:
    if not nik:
        return ""
    return nik if viewer.can(Perm.NIK_FULL) else mask_nik(nik)
