"""Reading the structure of an xlsx package: which part holds which sheet."""

from __future__ import annotations

import posixpath
import zipfile
from dataclasses import dataclass

from defusedxml import ElementTree as SafeET

NS_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
NS_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
NS_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
WORKSHEET_TYPE = NS_REL + "/worksheet"
CALCCHAIN_TYPE = NS_REL + "/calcChain"


class PackageError(Exception):
    """Not an xlsx package this code understands."""


@dataclass
class Package:
    workbook_part: str
    sheet_parts: dict[str, str]  # sheet name -> part name
    rels_part: str


def rels_path(part: str) -> str:
    folder, name = posixpath.split(part)
    return posixpath.join(folder, "_rels", name + ".rels")


def resolve(base_part: str, target: str) -> str:
    if target.startswith("/"):
        return target.lstrip("/")
    return posixpath.normpath(posixpath.join(posixpath.dirname(base_part), target))


def read_package(zf: zipfile.ZipFile) -> Package:
    names = set(zf.namelist())
    workbook_part = "xl/workbook.xml"
    if "_rels/.rels" in names:
        root = SafeET.fromstring(zf.read("_rels/.rels"))
        for rel in root.findall(f"{{{NS_PKG_REL}}}Relationship"):
            if rel.get("Type", "").endswith("/officeDocument"):
                workbook_part = resolve("", rel.get("Target", workbook_part))
    if workbook_part not in names:
        raise PackageError("no workbook part")
    rels_part = rels_path(workbook_part)
    targets: dict[str, str] = {}
    if rels_part in names:
        rels = SafeET.fromstring(zf.read(rels_part))
        for rel in rels.findall(f"{{{NS_PKG_REL}}}Relationship"):
            targets[rel.get("Id", "")] = resolve(workbook_part, rel.get("Target", ""))
    wb = SafeET.fromstring(zf.read(workbook_part))
    sheet_parts: dict[str, str] = {}
    sheets = wb.find(f"{{{NS_MAIN}}}sheets")
    for sheet in sheets if sheets is not None else []:
        rid = sheet.get(f"{{{NS_REL}}}id", "")
        if rid in targets:
            sheet_parts[sheet.get("name", "")] = targets[rid]
    return Package(workbook_part, sheet_parts, rels_part)


