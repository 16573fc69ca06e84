"""Manual: no machine sends; the worklist shows a wa.me link with the text already written."""

from __future__ import annotations

from urllib.parse import quote

from core.customers.phone import wa_me_digits


def wa_me_link(phone_e164: str, text: str) -> str:
    """https://wa.me/<digits of the E.164 number, no "+">?text=<URL-encoded text>."""
    return f"https://wa.me/{wa_me_digits(phone_e164)}?text={quote(text, safe='')}"
