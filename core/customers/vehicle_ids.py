"""A vehicle's identifiers: engine number (and the engine code a KPB rule is keyed by), frame number, plate."""

from __future__ import annotations

import re

from core.customers.identifier_base import is_missing, required
from core.platform.errors import ValidationError
from core.platform.i18n import register

__all__ = [
    "engine_code",
    "engine_code_candidates",
    "normalize_engine_no",
    "normalize_frame_no",
    "normalize_plate",
]

register(
    {
        "engine_no.invalid": {
            "id": "No mesin harus 12 huruf/angka diawali huruf, mis. JM81E1056206",
            "en": "engine number must be 12 letters/digits starting with a letter, e.g. JM81E1056206",
        },
        "frame_no.invalid": {
            "id": "No rangka harus 14 huruf/angka (tanpa MH1) atau 17 diawali MH1",
            "en": "frame number must be 14 letters/digits (without MH1) or 17 starting with MH1",
        },
        "plate.invalid": {
            "id": "format No Polisi salah; contoh BD 2035 ID (kode wilayah, 1-4 angka, 0-3 huruf)",
            "en": "wrong plate format; e.g. BD 2035 ID (region letters, 1-4 digits, 0-3 letters)",
        },
    }
)


_ENGINE_SEPARATORS = re.compile(r"[\s-]")
_ENGINE = re.compile(r"[A-Z][A-Z0-9]{11}")
# Dealer exports write "BD 2035 ID - JM81E1056206": plate, dash, engine number.
_PLATE_THEN_ENGINE = re.compile(r"\s*[A-Z]{1,2}\s*[0-9]{1,4}\s*[A-Z]{0,3}\s*-\s*(.*)", re.DOTALL)
_FRAME = re.compile(r"[A-Z0-9]{14}|MH1[A-Z0-9]{14}")
_PLATE = re.compile(r"\s*([A-Z]{1,2})[\s-]*([0-9]{1,4})[\s-]*([A-Z]{0,3})\s*")


def normalize_engine_no(value: object) -> str:
    """12 letters/digits, uppercase, e.g. JM81E1056206; accepts the "BD 2035 ID - JM81E1056206" form."""
    if is_missing(value):
        raise required("engine_no", value)
    upper = str(value).upper()
    engine = _ENGINE_SEPARATORS.sub("", upper)
    if not _ENGINE.fullmatch(engine):
        with_plate = _PLATE_THEN_ENGINE.fullmatch(upper)
        engine = _ENGINE_SEPARATORS.sub("", with_plate.group(1)) if with_plate else ""
        if not _ENGINE.fullmatch(engine):
            raise ValidationError("engine_no.invalid", field="engine_no", value=value)
    return engine


def engine_code(engine_no: str) -> str:
    """The base engine code: the first 4 characters (JM81E1056206 -> JM81)."""
    return normalize_engine_no(engine_no)[:4]


def engine_code_candidates(engine_no: str) -> tuple[str, str]:
    """(5-char, 4-char) engine-code prefixes, most specific first, so a KPB rule keyed by 5 chars wins."""
    engine = normalize_engine_no(engine_no)
    return engine[:5], engine[:4]


def normalize_frame_no(value: object) -> str:
    """The 17-character frame number starting with MH1; AHM exports drop the MH1, so it is added back."""
    if is_missing(value):
        raise required("frame_no", value)
    frame = _ENGINE_SEPARATORS.sub("", str(value).upper())
    # A 14-char value already starting with MH1 is a truncated full number, not a body.
    if not _FRAME.fullmatch(frame) or (len(frame) == 14 and frame.startswith("MH1")):
        raise ValidationError("frame_no.invalid", field="frame_no", value=value)
    return frame if len(frame) == 17 else "MH1" + frame


def normalize_plate(value: object) -> str:
    """Plate as "BD 2035 ID": region letters, 1-4 digits, 0-3 letters, single spaces, uppercase."""
    if is_missing(value):
        raise required("plate", value)
    match = _PLATE.fullmatch(str(value).upper())
    if not match:
        raise ValidationError("plate.invalid", field="plate", value=value)
    return " ".join(part for part in match.groups() if part)
