"""Display helpers: dd/mm/yyyy dates, Rupiah, errors in the user's language."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import streamlit as st

from core.platform import DomainError, t


def date_id(value: dt.date | dt.datetime | None) -> str:
    return value.strftime("%d/%m/%Y") if value else "-"


def datetime_id(value: dt.datetime | None, tz: str | None = None) -> str:
    if value is None:
        return "-"
    if tz:
        from zoneinfo import ZoneInfo
        value = value.astimezone(ZoneInfo(tz))
    return value.strftime("%d/%m/%Y %H:%M")


def rupiah(amount: float | Decimal | None) -> str:
    if amount is None:
        return "-"
    return "Rp " + f"{amount:,.0f}".replace(",", ".")


def show_error(error: DomainError, lang: str = "id") -> None:
    st.error(error.message(lang))


def label(code: str, lang: str = "id") -> str:
    return t(code, lang)
