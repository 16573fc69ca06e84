"""Labels of the report pages added by issue 19 (the PICA week picker, the charts' axes), in Bahasa
Indonesia and English. Registered here, in a module imported once, never in a page (pages rerun)."""

from __future__ import annotations

from typing import Any

from core.platform import register, t

register({
    "ui.recap.pica_week": {"id": "Minggu PICA", "en": "PICA week"},
    "ui.recap.week_of": {"id": "{start} - {end}", "en": "{start} - {end}"},
    "ui.recap.whole_period": {"id": "Seluruh periode di atas", "en": "The whole period above"},
})


def rw(code: str, lang: str, **params: Any) -> str:
    return t(f"ui.{code}", lang, **params)
