"""Where an .xlsx keeps its first sheet, shared strings and styles, read from the workbook's own
parts: both the upload limits (before reading) and the streaming reader (while reading) need it."""

from __future__ import annotations

import datetime as dt
import posixpath
import zipfile
from xml.etree import ElementTree as ET

MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_PKG = "{http://schemas.openxmlformats.org/package/2006/relationships}"


def workbook_parts(archive: zipfile.ZipFile) -> tuple[str, str | None, str | None, dt.datetime]:
    """(first sheet, shared strings, styles, the date system's day zero) from the workbook's parts."""
    workbook = ET.fromstring(archive.read("xl/workbook.xml"))
    props = workbook.find(MAIN + "workbookPr")
    date1904 = props is not None and props.get("date1904", "0").lower() in ("1", "true")
    first = workbook.find(f"{MAIN}sheets/{MAIN}sheet")
    if first is None:
        raise ValueError("the workbook has no sheet")
    targets: dict[str, str] = {}
    kinds: dict[str, str] = {}
    for rel in ET.fromstring(archive.read("xl/_rels/workbook.xml.rels")).iter(_PKG + "Relationship"):
        target = rel.get("Target", "")
        path = target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join("xl", target))
        targets[rel.get("Id", "")] = path
        kinds[rel.get("Type", "").rsplit("/", 1)[-1]] = path
    sheet = targets[first.get(_REL + "id", "")]
    base = dt.datetime(1904, 1, 1) if date1904 else dt.datetime(1899, 12, 30)
    return sheet, kinds.get("sharedStrings"), kinds.get("styles"), base
