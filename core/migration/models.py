"""Every Odoo model the sync brings over, in the order their references need (a work order after its unit)."""

from __future__ import annotations

from core.migration.maps_master import BRANCH, PARTNER, PRODUCT, USER
from core.migration.maps_service import BOOKING, LEAD, LOT, SALE, WORK_ORDER
from core.migration.spec import ModelMap

MODELS: tuple[ModelMap, ...] = (BRANCH, USER, PRODUCT, PARTNER, LOT, SALE, WORK_ORDER, LEAD, BOOKING)
BY_NAME = {m.odoo: m for m in MODELS}
