"""Tell spreadsheet formats apart by their bytes, not their file names."""

from __future__ import annotations

import zipfile
from pathlib import Path

from villagectl.io.csv_reader import TEXT_SUFFIXES, classify_file
from villagectl.io.html_table import looks_like_html

ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"

SPREADSHEET_SUFFIXES = {".xlsx", ".xlsm", ".xls", ".ods", ".et", ".csv", ".tsv"}


def sniff(path: Path) -> str:
    """Return 'xlsx', 'ods', 'xls', 'html', 'csv', 'empty', 'damaged' or 'unknown'.

    'csv' is a text file (UTF-8, UTF-16 with a BOM, or GBK/GB18030) whose first
    records split into columns by comma, tab or semicolon, whatever its name.
    """
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
    with open(path, "rb") as fh:
        if looks_like_html(fh.read(4096)):
            return "html"  # a web page saved as .xls: what many 户籍 / 网格 systems export
    if classify_file(path) == "csv":
        return "csv"
    return "unknown"


def looks_like_spreadsheet(path: Path) -> bool:
    """For folder scans: a name a spreadsheet would have, not an Office lock file.

    .csv and .tsv count by name; a .txt only when its content is a table (a
    folder's 说明.txt is not).
    """
    name = path.name
    if name.startswith(("~$", ".~")):
        return False
    suffix = path.suffix.lower()
    if suffix in SPREADSHEET_SUFFIXES:
        return True
    if suffix in TEXT_SUFFIXES:
        try:
            return sniff(path) == "csv"
        except OSError:
            return False
    return False
