"""Tell spreadsheet formats apart by their bytes, not their file names."""

from __future__ import annotations

import zipfile
from pathlib import Path

ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"

SPREADSHEET_SUFFIXES = {".xlsx", ".xlsm", ".xls", ".ods", ".et"}


def sniff(path: Path) -> str:
    """Return 'xlsx', 'ods', 'xls', 'empty' or 'unknown'."""
    with open(path, "rb") as fh:
        head = fh.read(8)
    if not head:
        return "empty"
    if head.startswith(OLE_MAGIC):
        return "xls"
    if head.startswith(ZIP_MAGIC):
        try:
            with zipfile.ZipFile(path) as zf:
                names = set(zf.namelist())
                if "xl/workbook.xml" in names or "xl/workbook.bin" in names:
                    return "xlsx"
                if "content.xml" in names:
                    return "ods"
        except (zipfile.BadZipFile, OSError, ValueError):
            return "damaged"
        return "unknown"
    return "unknown"


def looks_like_spreadsheet(path: Path) -> bool:
    """For folder scans: a name a spreadsheet would have, not an Office lock file."""
    name = path.name
    if name.startswith(("~$", ".~")):
        return False
    return path.suffix.lower() in SPREADSHEET_SUFFIXES
