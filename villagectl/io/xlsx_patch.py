"""Lossless write-back: replace only the worksheet parts a command changed.

Every other part of the package (styles, shared strings, drawings, images,
comments, charts, the clerk's own sheets, formulas and their stored results)
is copied unchanged (DESIGN §6). Inside a replaced sheet, only the rows of
``<sheetData>`` from the header down are regenerated; the sheet's views,
frozen panes, column widths, validation, conditional formats, print setup
and extensions are kept as they were. New cells reuse the styles the sheet
already had in its header and first data row. Text is always written as an
inline string, so nothing the tool writes can become a formula.

This module puts the package together (sheets added, the calc chain dropped, a full
recalculation asked for); a worksheet's rewriting is ``io.xlsx_sheet``, its cells
``io.xlsx_cells``.
"""

from __future__ import annotations

import html
import posixpath
import re
import zipfile
from pathlib import Path

from villagectl.io.ooxml import CALCCHAIN_TYPE, NS_REL, WORKSHEET_TYPE
from villagectl.io.ooxml import Package as _Package
from villagectl.io.ooxml import read_package as _read_package
from villagectl.io.ooxml import resolve as _resolve
# the cells and the worksheet rewriting live in io.xlsx_cells / io.xlsx_sheet; these names are imported from here too
from villagectl.io.xlsx_cells import DateStyles, cell_xml, date_cell_xml, date_serial  # noqa: F401
from villagectl.io.xlsx_sheet import PatchError, SheetUpdate, new_sheet_xml, rewrite_sheet_xml  # noqa: F401

WORKSHEET_CT = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"


# --- package-level edits ----------------------------------------------------


def _add_sheet(files: dict[str, bytes], pkg: _Package, name: str, xml: str, taken: set[str]) -> None:
    """``taken``: every part the package holds (not only those read into ``files``): a new sheet never reuses one."""
    existing = set(files) | taken | set(pkg.sheet_parts.values())
    n = 1
    while f"xl/worksheets/sheet{n}.xml" in existing:
        n += 1
    part = f"xl/worksheets/sheet{n}.xml"
    files[part] = xml.encode("utf-8")

    rels = files[pkg.rels_part].decode("utf-8")
    ids = {int(x) for x in re.findall(r'Id="rId(\d+)"', rels)}
    rid = f"rId{max(ids, default=0) + 1}"
    target = posixpath.relpath(part, posixpath.dirname(pkg.workbook_part))
    rel = f'<Relationship Id="{rid}" Type="{WORKSHEET_TYPE}" Target="{target}"/>'
    files[pkg.rels_part] = rels.replace("</Relationships>", rel + "</Relationships>").encode("utf-8")

    wb = files[pkg.workbook_part].decode("utf-8")
    r_prefix = re.search(rf'xmlns:(\w+)="{re.escape(NS_REL)}"', wb)
    rp = r_prefix.group(1) if r_prefix else "r"
    if not r_prefix:
        wb = re.sub(r"(<(?:\w+:)?workbook\b)", rf'\1 xmlns:r="{NS_REL}"', wb, count=1)
    sheet_ids = [int(x) for x in re.findall(r'sheetId="(\d+)"', wb)]
    m_prefix = re.search(r"<(\w+:)?sheets\b", wb)
    p = (m_prefix.group(1) or "") if m_prefix else ""
    entry = f'<{p}sheet name="{html.escape(name)}" sheetId="{max(sheet_ids, default=0) + 1}" {rp}:id="{rid}"/>'
    wb = wb.replace(f"</{p}sheets>", entry + f"</{p}sheets>", 1)
    files[pkg.workbook_part] = wb.encode("utf-8")

    ct = files["[Content_Types].xml"].decode("utf-8")
    override = f'<Override PartName="/{part}" ContentType="{WORKSHEET_CT}"/>'
    files["[Content_Types].xml"] = ct.replace("</Types>", override + "</Types>").encode("utf-8")
    pkg.sheet_parts[name] = part


def _drop_calc_chain(files: dict[str, bytes], pkg: _Package) -> set[str]:
    """A stale calcChain makes Excel 'repair' the file. Returns the parts to leave out."""
    removed: set[str] = set()
    rels = files[pkg.rels_part].decode("utf-8")
    for match in re.finditer(r"<Relationship\b[^>]*/>", rels):
        if CALCCHAIN_TYPE in match.group(0):
            target = re.search(r'Target="([^"]+)"', match.group(0))
            if target:
                removed.add(_resolve(pkg.workbook_part, target.group(1)))
            rels = rels.replace(match.group(0), "")
    files[pkg.rels_part] = rels.encode("utf-8")
    ct = files["[Content_Types].xml"].decode("utf-8")
    ct = re.sub(r'<Override PartName="/[^"]*calcChain[^"]*"[^>]*/>', "", ct)
    files["[Content_Types].xml"] = ct.encode("utf-8")
    return removed


def _force_full_calc(files: dict[str, bytes], pkg: _Package) -> None:
    """Formulas may depend on the rewritten cells: have Excel/WPS recompute on open."""
    wb = files[pkg.workbook_part].decode("utf-8")
    calc = re.search(r"<(?:\w+:)?calcPr\b[^>]*>", wb)
    if calc:
        tag = calc.group(0)
        if re.search(r'fullCalcOnLoad="(1|true)"', tag):
            return
        new_tag = re.sub(r'\s*fullCalcOnLoad="[^"]*"', "", tag)
        new_tag = re.sub(r"<((?:\w+:)?calcPr)\b", r'<\1 fullCalcOnLoad="1"', new_tag, count=1)
        wb = wb.replace(tag, new_tag, 1)
    else:
        m = re.search(r"</(\w+:)?workbook>", wb)
        p = (m.group(1) or "") if m else ""
        # calcPr follows sheets/definedNames and precedes extLst
        ext = re.search(rf"<{re.escape(p)}extLst\b", wb)
        at = ext.start() if ext else (m.start() if m else len(wb))
        wb = wb[:at] + f'<{p}calcPr fullCalcOnLoad="1"/>' + wb[at:]
    files[pkg.workbook_part] = wb.encode("utf-8")


_ANY_FORMULA = re.compile(rb"<(?:\w+:)?f[\s>/]")
STYLES_TYPE = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles"


def _date_styles(zf: zipfile.ZipFile, pkg: _Package, files: dict[str, bytes], updates: list[SheetUpdate]):
    """(DateStyles, date1904, styles part) when some update has date columns and the package has styles."""
    if not any(u.date_columns for u in updates):
        return None
    rels = files.get(pkg.rels_part, b"").decode("utf-8")
    part = None
    for match in re.finditer(r"<Relationship\b[^>]*/>", rels):
        if STYLES_TYPE in match.group(0):
            target = re.search(r'Target="([^"]+)"', match.group(0))
            if target:
                part = _resolve(pkg.workbook_part, target.group(1))
    if part is None or part not in zf.namelist():
        return None
    styles = DateStyles(zf.read(part).decode("utf-8"))
    if not styles.xfs:
        return None
    date1904 = bool(re.search(r'<(?:\w+:)?workbookPr\b[^>]*date1904="(1|true)"', files[pkg.workbook_part].decode("utf-8")))
    pair = (styles, date1904)
    for u in updates:
        if u.date_columns:
            u.date_style = pair
    return styles, date1904, part


def patch_workbook(src: Path, dst: Path, updates: list[SheetUpdate]) -> None:
    """Write ``dst``: ``src`` with the given sheets' data replaced (or added)."""
    with zipfile.ZipFile(src) as zf:
        infos = zf.infolist()
        pkg = _read_package(zf)
        changed: dict[str, bytes] = {}
        needed = {"[Content_Types].xml", pkg.workbook_part, pkg.rels_part}
        base = {n: zf.read(n) for n in needed if n in zf.namelist()}
        files = dict(base)
        drop_calc = False
        date_styles = _date_styles(zf, pkg, files, updates)
        for update in updates:
            part = pkg.sheet_parts.get(update.name)
            if part is None:
                _add_sheet(files, pkg, update.name, new_sheet_xml(update), set(zf.namelist()))
                continue
            xml = zf.read(part).decode("utf-8")
            new_xml, had_formula = rewrite_sheet_xml(xml, update)
            changed[part] = new_xml.encode("utf-8")
            drop_calc = drop_calc or had_formula
        if date_styles is not None and date_styles[0].changed:
            changed[date_styles[2]] = date_styles[0].xml.encode("utf-8")
        removed = _drop_calc_chain(files, pkg) if drop_calc else set()
        replaced = {pkg.sheet_parts[u.name] for u in updates}
        formulas_elsewhere = any(
            _ANY_FORMULA.search(zf.read(part))
            for name, part in pkg.sheet_parts.items()
            if part not in replaced and part in zf.namelist()
        )
        if drop_calc or formulas_elsewhere:
            _force_full_calc(files, pkg)
        for name, data in files.items():
            if name not in base or base[name] != data:
                changed[name] = data

        with zipfile.ZipFile(dst, "w", compression=zipfile.ZIP_DEFLATED) as out:
            written = set()
            for info in infos:
                if info.filename in removed:
                    continue
                data = changed.get(info.filename)
                if data is None:
                    data = zf.read(info.filename)
                zi = zipfile.ZipInfo(info.filename, date_time=info.date_time)
                zi.compress_type = info.compress_type
                zi.external_attr = info.external_attr
                out.writestr(zi, data)
                written.add(info.filename)
            for name, data in changed.items():
                if name not in written and name not in removed:
                    zi = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
                    zi.compress_type = zipfile.ZIP_DEFLATED
                    out.writestr(zi, data)
