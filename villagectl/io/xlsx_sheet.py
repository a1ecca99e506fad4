"""One worksheet's new content (``SheetUpdate``) and the rewriting of its XML.

Only the rows of ``<sheetData>`` from the header down are regenerated; the sheet's views,
frozen panes, column widths, validation, conditional formats, print setup and extensions are
kept as they were, and a row read from the sheet keeps the XML of every cell whose value did
not change. New cells reuse the styles the sheet already had in its header and first data row.
``io.xlsx_patch`` puts the rewritten sheets back into the package.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any

from villagectl.io.ooxml import NS_MAIN, NS_REL, PackageError
from villagectl.io.preflight import col_letters, col_number
from villagectl.io.xlsx_cells import _attrs, _row_xml, cell_xml, date_cell_xml, date_serial


class PatchError(PackageError):
    """The package is not an xlsx this module can patch (the caller explains)."""


@dataclass
class SheetUpdate:
    """New content for one sheet: the header row and the data rows below it."""

    name: str
    header: list[str]
    rows: list[list[Any]]
    header_row: int = 1  # 1-based; rows above it (titles) are kept verbatim
    text_columns: set[int] = field(default_factory=set)  # 0-based columns always written as text
    column_widths: dict[int, float] = field(default_factory=dict)  # for a sheet created from scratch
    # where each row was read from (1-based Excel row, None for a new row) and the values it held then;
    # given, a row keeps its place and the XML of every cell whose value did not change (see rewrite_sheet_xml)
    sources: list[int | None] | None = None
    originals: list[list[Any] | None] | None = None
    source_rows: set[int] = field(default_factory=set)  # every row read as data (the others are kept as they are)
    # 0-based column → "date" / "datetime": an ISO value ('2026-07-28', '2026-07-28 09:30:00') is written as a
    # real date cell (a serial number with a date format), so Excel filters and sorts it; other text stays text
    date_columns: dict[int, str] = field(default_factory=dict)
    date_style: Any = None  # set by patch_workbook: (style, kind) → the style index of a date-formatted twin
    # the tool's own sheets: give the header an autofilter and freeze it when the sheet has neither yet
    filter_and_freeze: bool = False


def _writer(update: "SheetUpdate", as_text: list[bool]):
    """cell(c, ref, value, style) → the cell's XML, dates as date cells in the update's date columns."""
    dates = update.date_columns
    styles = update.date_style

    def cell(c: int, ref: str, value: Any, style: str | None) -> str:
        if dates and c in dates and styles is not None:
            made = date_cell_xml(ref, value, style, dates[c], styles[0], styles[1])
            if made is not None:
                return made
        return cell_xml(ref, value, style, as_text[c])

    return cell


# --- worksheet rewriting --------------------------------------------------

_ROOT_RE = re.compile(r"<(\w+:)?worksheet\b")
_ROW_RE = re.compile(r"<(?:\w+:)?row\b([^>]*?)(?:/>|>(.*?)</(?:\w+:)?row>)", re.S)
_CELL_RE = re.compile(r"<(?:\w+:)?c\b([^>]*?)(?:/>|>)")
_COL_RE = re.compile(r"<(?:\w+:)?col\b([^>]*?)/?>")
_REF_RE = re.compile(r"([A-Z]+)(\d+)")
_FORMULA_RE = re.compile(r"<(?:\w+:)?f[\s>/]")
_CELL_XML_RE = re.compile(r"<(?:\w+:)?c\b([^>]*?)(?:/>|>.*?</(?:\w+:)?c>)", re.S)


def _row_number(attrs: dict[str, str], fallback: int) -> int:
    try:
        return int(attrs.get("r", fallback))
    except ValueError:
        return fallback


def _cell_styles(row_body: str) -> dict[int, str]:
    styles: dict[int, str] = {}
    for match in _CELL_RE.finditer(row_body or ""):
        a = _attrs(match.group(1))
        ref = _REF_RE.match(a.get("r", ""))
        if ref and "s" in a:
            styles[col_number(ref.group(1)) - 1] = a["s"]
    return styles


def _column_styles(xml: str) -> dict[int, str]:
    styles: dict[int, str] = {}
    for match in _COL_RE.finditer(xml):
        a = _attrs(match.group(1))
        if "style" not in a:
            continue
        try:
            lo, hi = int(a["min"]), int(a["max"])
        except (KeyError, ValueError):
            continue
        for c in range(lo, min(hi, 200) + 1):
            styles[c - 1] = a["style"]
    return styles


def rewrite_sheet_xml(xml: str, update: SheetUpdate) -> tuple[str, bool]:
    """Return the sheet XML with new header/data rows, and whether formulas were dropped."""
    root = _ROOT_RE.search(xml)
    prefix = root.group(1) or "" if root else ""
    open_re = re.compile(rf"<{re.escape(prefix)}sheetData\b[^>]*?(/>|>)")
    m_open = open_re.search(xml)
    if not m_open:
        raise PatchError("no sheetData")
    if m_open.group(1) == "/>":
        start, end, inner = m_open.start(), m_open.end(), ""
    else:
        close = f"</{prefix}sheetData>"
        end_at = xml.find(close, m_open.end())
        if end_at < 0:
            raise PatchError("unterminated sheetData")
        start, end = m_open.start(), end_at + len(close)
        inner = xml[m_open.end() : end_at]

    kept: list[str] = []
    header_attrs, header_styles, data_styles = "", {}, {}
    had_formula = False
    old_rows: dict[int, tuple[str, str, str]] = {}  # data area: r -> (attributes, body, the row's XML)
    last_r = 0
    for i, match in enumerate(_ROW_RE.finditer(inner), start=1):
        attrs_text, body = match.group(1), match.group(2) or ""
        r = _row_number(_attrs(attrs_text), max(i, last_r + 1))
        last_r = r
        if r > update.header_row:
            old_rows[r] = (attrs_text, body, match.group(0))
        if r < update.header_row:
            kept.append(match.group(0))
        elif r == update.header_row:
            header_styles = _cell_styles(body)
            header_attrs = re.sub(r'\s*\b(r|spans)="[^"]*"', "", attrs_text)
            header_attrs = (" " + header_attrs.strip()) if header_attrs.strip() else ""
        else:
            if not data_styles and r == update.header_row + 1:
                data_styles = _cell_styles(body)
            if not had_formula and _FORMULA_RE.search(body):
                had_formula = True
    col_styles = _column_styles(xml[:start])
    width = max([len(update.header)] + [len(r) for r in update.rows] or [1])

    parts: list[str] = kept[:]
    hr = update.header_row
    parts.append(
        _row_xml(
            prefix,
            hr,
            (
                cell_xml(f"{col_letters(c + 1)}{hr}", name, header_styles.get(c), True)
                for c, name in enumerate(update.header)
            ),
            header_attrs,
        )
    )
    styles = [data_styles.get(c) or col_styles.get(c) for c in range(width)]
    text_cols = update.text_columns
    letters = [col_letters(c + 1) for c in range(width)]
    as_text = [c in text_cols for c in range(width)]
    write = _writer(update, as_text)
    if update.sources is not None and update.originals is not None:
        body_rows, last_row = _kept_layout_rows(prefix, update, old_rows, styles, letters, write, width)
        parts.extend(body_rows)
    else:
        for i, row in enumerate(update.rows):
            r = str(hr + 1 + i)
            cells = [write(c, letters[c] + r, value, styles[c]) for c, value in enumerate(row)]
            parts.append(_row_xml(prefix, hr + 1 + i, cells))
        last_row = hr + len(update.rows)
    new_sheet_data = f"<{prefix}sheetData>" + "".join(parts) + f"</{prefix}sheetData>"

    last_ref = f"{col_letters(width)}{last_row}"
    head = xml[:start]
    tail = xml[end:]
    if update.filter_and_freeze:
        head, tail = _filter_and_freeze(head, tail, prefix, hr, last_ref)
    head = re.sub(
        rf'(<{re.escape(prefix)}dimension\s+ref=")[^"]*(")', rf"\g<1>A1:{last_ref}\g<2>", head, count=1
    )
    tail = re.sub(
        rf'(<{re.escape(prefix)}autoFilter\s+ref=")[^"]*(")',
        rf"\g<1>A{hr}:{last_ref}\g<2>",
        tail,
        count=1,
    )
    return head + new_sheet_data + tail, had_formula


_AFTER_SHEETDATA = re.compile(
    r"\A(?:\s*<(?:\w+:)?(sheetCalcPr|sheetProtection|protectedRanges|scenarios)\b(?:[^>]*/>|.*?</(?:\w+:)?\1>))*",
    re.S)


def _filter_and_freeze(head: str, tail: str, prefix: str, hr: int, last_ref: str) -> tuple[str, str]:
    """An autofilter on the header row and the rows above the data frozen, where the sheet has none yet.

    The autoFilter element goes where the schema wants it (after sheetData and any sheetCalcPr,
    sheetProtection, protectedRanges, scenarios); the pane is the sheet view's first child. A sheet
    that already has a filter or a pane (the clerk's own choice) is left as it is.
    """
    if not re.search(rf"<{re.escape(prefix)}autoFilter\b", tail):
        at = _AFTER_SHEETDATA.match(tail).end()
        tail = tail[:at] + f'<{prefix}autoFilter ref="A{hr}:{last_ref}"/>' + tail[at:]
    if not re.search(rf"<{re.escape(prefix)}pane\b", head):
        pane = (f'<{prefix}pane ySplit="{hr}" topLeftCell="A{hr + 1}" activePane="bottomLeft" state="frozen"/>'
                f'<{prefix}selection pane="bottomLeft"/>')
        view = re.search(rf"<{re.escape(prefix)}sheetView\b([^>]*?)(/?)>", head)
        if view and view.group(2):  # <sheetView …/>
            head = head[: view.start()] + f"<{prefix}sheetView{view.group(1)}>{pane}</{prefix}sheetView>" + head[view.end():]
        elif view:
            body = head[view.end():]
            head = head[: view.end()] + pane + re.sub(rf"<{re.escape(prefix)}selection\b[^>]*/>", "", body, count=1) \
                if re.match(rf"\s*<{re.escape(prefix)}selection\b", body) else head[: view.end()] + pane + body
    return head, tail


def _empty(value: Any) -> bool:
    return value is None or value == "" or (isinstance(value, float) and math.isnan(value))


def _same_value(a: Any, b: Any) -> bool:
    if _empty(a) or _empty(b):
        return _empty(a) and _empty(b)
    if isinstance(a, bool) != isinstance(b, bool) or isinstance(a, str) != isinstance(b, str):
        return False
    try:
        return bool(a == b)
    except Exception:  # noqa: BLE001 - values that do not compare are different
        return False


def _cells_by_column(body: str) -> dict[int, str] | None:
    """0-based column → the cell's XML; None when a cell has no usable reference (rewrite the row)."""
    out: dict[int, str] = {}
    for m in _CELL_XML_RE.finditer(body):
        ref = _REF_RE.match(_attrs(m.group(1)).get("r", ""))
        if not ref:
            return None
        out[col_number(ref.group(1)) - 1] = m.group(0)
    return out


def _kept_layout_rows(prefix: str, update: SheetUpdate, old_rows: dict[int, tuple[str, str, str]],
                      styles: list, letters: list[str], write, width: int) -> tuple[list[str], int]:
    """The data rows when the caller said where each row came from.

    * A row read from Excel row *r* is written at *r* again while the rows stay in
      order; rows the loader did not read as data (blank rows, an empty grouped
      row) are kept as they were, so nothing below them shifts.
    * An unchanged row keeps its XML; a changed row keeps its attributes and
      the XML of every unchanged cell, and a changed cell keeps its style.
    * A formula cell is never kept (its value is written, as before).
    * New rows (and every row after one that is out of order) follow the last
      row, skipping rows that are kept.
    """
    hr = update.header_row
    sources, originals = update.sources or [], update.originals or []
    placed: dict[int, str] = {}
    used_sources: set[int] = set()
    cursor = hr
    sequential = False
    # rows kept where they are: not read as data, but with something of the clerk's (a value in a column
    # the tool does not read, an outline level, hidden); other blank rows may take a new row
    others = {r for r in old_rows if r not in update.source_rows}
    keep = {r for r in others if _significant(*old_rows[r][:2])}
    for i, row in enumerate(update.rows):
        src = sources[i] if i < len(sources) else None
        orig = originals[i] if i < len(originals) else None
        if not sequential and src is not None and src > cursor and src not in used_sources and src in old_rows:
            target = src
        else:
            sequential = True  # from here on rows follow the last one (a new row, or rows out of order)
            target = cursor + 1
            while target in keep:
                target += 1
            src, orig = (src, orig) if src == target else (None, None)
        cursor = target
        if src is not None:
            used_sources.add(src)
        placed[target] = _row_for(prefix, target, row, orig, old_rows.get(target) if src is not None else None,
                                  styles, letters, write, width, update.date_columns if update.date_style else {})
    for r in others:
        if r not in placed:
            placed[r] = old_rows[r][2]
    last = max([hr, *placed]) if placed else hr
    return [placed[r] for r in sorted(placed)], last


_VALUE_RE = re.compile(r"<(?:\w+:)?(?:v|is|f)[\s>/]")


def _significant(attrs_text: str, body: str) -> bool:
    """A row not read as data that must keep its place: it holds a value, or is outlined or hidden."""
    if _VALUE_RE.search(body or ""):
        return True
    a = _attrs(attrs_text)
    return a.get("outlineLevel", "0") not in ("", "0") or a.get("hidden", "0") in ("1", "true")


_TEXT_CELL = re.compile(r'\bt="(?:inlineStr|s|str)"')


def _row_for(prefix: str, r: int, row: list[Any], orig: list[Any] | None, old: tuple[str, str, str] | None,
             styles: list, letters: list[str], write, width: int, dates: dict[int, str] | None = None) -> str:
    rs = str(r)
    if old is None or orig is None:
        return _row_xml(prefix, r, (write(c, letters[c] + rs, v, styles[c]) for c, v in enumerate(row)))
    attrs_text, body, whole = old
    old_cells = _cells_by_column(body)
    if old_cells is None:
        return _row_xml(prefix, r, (write(c, letters[c] + rs, v, styles[c]) for c, v in enumerate(row)))
    same = [c < len(orig) and _same_value(v, orig[c]) for c, v in enumerate(row)]
    for c, kind in (dates or {}).items():  # a date the tool once wrote as text becomes a date cell
        if c < len(row) and same[c] and c in old_cells and _TEXT_CELL.search(old_cells[c].split(">", 1)[0]) \
                and date_serial(row[c], kind) is not None:
            same[c] = False
    formula = {c for c, xml in old_cells.items() if _FORMULA_RE.search(xml)}
    if all(same) and not formula:
        return whole
    cells: dict[int, str] = {c: xml for c, xml in old_cells.items() if c >= width and c not in formula}
    for c, v in enumerate(row):
        xml = old_cells.get(c)
        if same[c] and xml is not None and c not in formula:
            cells[c] = xml
            continue
        style = styles[c]
        if xml is not None:
            style = _attrs(_CELL_RE.match(xml).group(1)).get("s", style)
        new = write(c, letters[c] + rs, v, style)
        if new:
            cells[c] = new
    attrs = re.sub(r'\s*\b(r|spans)="[^"]*"', "", attrs_text)
    attrs = (" " + attrs.strip()) if attrs.strip() else ""
    return _row_xml(prefix, r, (cells[c] for c in sorted(cells)), attrs)


def new_sheet_xml(update: SheetUpdate) -> str:
    cols = ""
    if update.column_widths:
        cols = "<cols>" + "".join(
            f'<col min="{c + 1}" max="{c + 1}" width="{w}" customWidth="1"/>'
            for c, w in sorted(update.column_widths.items())
        ) + "</cols>"
    skeleton = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<worksheet xmlns="{NS_MAIN}" xmlns:r="{NS_REL}">'
        '<dimension ref="A1"/>'
        '<sheetViews><sheetView workbookViewId="0">'
        f'<pane ySplit="{update.header_row}" topLeftCell="A{update.header_row + 1}" '
        'activePane="bottomLeft" state="frozen"/></sheetView></sheetViews>'
        f'<sheetFormatPr defaultRowHeight="15"/>{cols}<sheetData/>'
        '<pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" footer="0.3"/>'
        "</worksheet>"
    )
    xml, _ = rewrite_sheet_xml(skeleton, update)
    return xml
