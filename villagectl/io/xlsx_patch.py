"""Lossless write-back: replace only the worksheet parts a command changed.

Every other part of the package (styles, shared strings, drawings, images,
comments, charts, the clerk's own sheets, formulas and their stored results)
is copied unchanged (DESIGN §6). Inside a replaced sheet, only the rows of
``<sheetData>`` from the header down are regenerated; the sheet's views,
frozen panes, column widths, validation, conditional formats, print setup
and extensions are kept as they were. New cells reuse the styles the sheet
already had in its header and first data row. Text is always written as an
inline string, so nothing the tool writes can become a formula.
"""

from __future__ import annotations

import datetime as dt
import html
import math
import posixpath
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

from villagectl.io.ooxml import CALCCHAIN_TYPE, NS_MAIN, PackageError, NS_REL, WORKSHEET_TYPE, Package as _Package, read_package as _read_package, resolve as _resolve
from villagectl.io.preflight import col_letters, col_number

WORKSHEET_CT = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"


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


# --- cell and row XML -----------------------------------------------------

_ILLEGAL_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_NEEDS_WORK = re.compile("[&<>\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _xml_text(text: str) -> str:
    if not _NEEDS_WORK.search(text):  # the common case, on the hot path of big sheets
        return text
    return html.escape(_ILLEGAL_XML.sub("", text), quote=False)


def _number(value: float | int) -> str | None:
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            return None
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return repr(value)
    return str(value)


def cell_xml(ref: str, value: Any, style: str | None, as_text: bool) -> str:
    s_attr = f' s="{style}"' if style else ""
    kind = type(value)
    if kind is str and value:
        return f'<c r="{ref}"{s_attr} t="inlineStr"><is><t xml:space="preserve">{_xml_text(value)}</t></is></c>'
    if kind is float and not as_text and value == value and abs(value) != math.inf:
        num = str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
        return f'<c r="{ref}"{s_attr}><v>{num}</v></c>'
    if value is None or (isinstance(value, float) and math.isnan(value)) or value == "":
        return f'<c r="{ref}"{s_attr}/>' if style else ""
    if isinstance(value, bool):
        return f'<c r="{ref}"{s_attr} t="b"><v>{int(value)}</v></c>'
    if isinstance(value, (int, float)) and not as_text:
        num = _number(value)
        if num is not None:
            return f'<c r="{ref}"{s_attr}><v>{num}</v></c>'
    if isinstance(value, (dt.datetime, dt.date)):
        value = value.isoformat()
    elif isinstance(value, (int, float)):
        value = _number(value) or ""
    text = _xml_text(str(value))
    return f'<c r="{ref}"{s_attr} t="inlineStr"><is><t xml:space="preserve">{text}</t></is></c>'


# --- dates ---------------------------------------------------------------------

DATE_FORMAT = "yyyy-mm-dd"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm:ss"
_ISO_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
_ISO_DATETIME = re.compile(r"(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})")  # as the tool stamps (seconds)
_EPOCH = dt.datetime(1899, 12, 30)
_EPOCH_1904 = dt.datetime(1904, 1, 1)


def date_serial(value: Any, kind: str, date1904: bool = False) -> str | None:
    """An ISO date (or date and time) as the number Excel stores; None when the value is not one.

    Only whole ISO values are converted ('2026-07-28', '2026-07-28 09:30:00'), so what reads
    back (calamine gives the date, the reader turns it into the same ISO text) is what was written.
    """
    if isinstance(value, dt.datetime) and kind == "datetime":
        moment = value.replace(tzinfo=None, microsecond=0)
    elif isinstance(value, dt.date) and not isinstance(value, dt.datetime) and kind == "date":
        moment = dt.datetime(value.year, value.month, value.day)
    elif isinstance(value, str):
        text = value.strip()
        # a date column takes dates, a date-and-time column full stamps: each reads back as it was written
        m = _ISO_DATETIME.fullmatch(text) if kind == "datetime" else _ISO_DATE.fullmatch(text)
        if m is None:
            return None
        try:
            parts = [int(g) if g else 0 for g in m.groups()]
            moment = dt.datetime(*parts)
        except ValueError:
            return None
    else:
        return None
    if moment < dt.datetime(1900, 3, 1) or (date1904 and moment.year < 1904):
        return None  # before March 1900 Excel's serials are off by a day (its 1900-02-29): keep such a date as text
    delta = moment - (_EPOCH_1904 if date1904 else _EPOCH)
    if delta.seconds == 0:
        return str(delta.days)
    return repr(round(delta.days + delta.seconds / 86400, 10))


_NUMFMT_RE = re.compile(r'<(?:\w+:)?numFmt\b[^>]*?numFmtId="(\d+)"[^>]*?formatCode="([^"]*)"[^>]*/>')
_XF_RE = re.compile(r"<(?:\w+:)?xf\b[^>]*?(?:/>|>.*?</(?:\w+:)?xf>)", re.S)
_BUILTIN_DATES = set(range(14, 18)) | {22, 45, 46, 47}  # 18–21 are times of day only; 22 has both
_BUILTIN_TIMES = set(range(18, 23)) | {45, 46, 47}


def _format_kind(code: str) -> tuple[bool, bool]:
    """(shows a date, shows a time) for a number format code."""
    bare = re.sub(r'"[^"]*"|\[[^\]]*\]|\\.', "", html.unescape(code)).lower()
    return any(ch in bare for ch in "yd") or "m" in bare and "h" not in bare and "s" not in bare, "h" in bare or "s" in bare


class DateStyles:
    """The workbook's cell styles (xl/styles.xml cellXfs), with date-formatted twins added on demand.

    A date cell keeps the look of its column (font, border, alignment, fill): its style is the
    column's style with the number format swapped for a date format. A style that already shows
    a date (and a time, for date-and-time columns) is used as it is; twins are made once and reused.
    """

    def __init__(self, xml: str):
        self.xml = xml
        self.changed = False
        self.formats = {int(i): html.unescape(c) for i, c in _NUMFMT_RE.findall(xml)}
        m = re.search(r"<((?:\w+:)?)cellXfs\b[^>]*>(.*?)</(?:\w+:)?cellXfs>", xml, re.S)
        self.prefix = m.group(1) if m else ""
        self.xfs = _XF_RE.findall(m.group(2)) if m else []
        self._twins: dict[tuple[str, str], str] = {}

    def _num_fmt(self, index: int) -> int:
        if 0 <= index < len(self.xfs):
            a = _attrs(re.match(r"<[^>]*>", self.xfs[index]).group(0))
            try:
                return int(a.get("numFmtId", "0"))
            except ValueError:
                return 0
        return 0

    def _shows(self, fmt_id: int) -> tuple[bool, bool]:
        if fmt_id in self.formats:
            return _format_kind(self.formats[fmt_id])
        return fmt_id in _BUILTIN_DATES, fmt_id in _BUILTIN_TIMES

    def _format_id(self, code: str) -> int:
        for i, c in self.formats.items():
            if c == code:
                return i
        new = max([163, *self.formats]) + 1
        self.formats[new] = code
        entry = f'<{self.prefix}numFmt numFmtId="{new}" formatCode="{html.escape(code)}"/>'
        numfmts = re.search(r"<((?:\w+:)?)numFmts\b([^>]*?)(?:/>|>(.*?)</(?:\w+:)?numFmts>)", self.xml, re.S)
        if numfmts:
            inner = (numfmts.group(3) or "") + entry  # an empty <numFmts count="0"/> too
            tag = f"<{numfmts.group(1)}numFmts count=\"{len(_NUMFMT_RE.findall(inner))}\">{inner}</{numfmts.group(1)}numFmts>"
            self.xml = self.xml[: numfmts.start()] + tag + self.xml[numfmts.end():]
        else:
            root = re.search(r"<(?:\w+:)?styleSheet\b[^>]*>", self.xml)
            at = root.end() if root else 0
            self.xml = self.xml[:at] + f'<{self.prefix}numFmts count="1">{entry}</{self.prefix}numFmts>' + self.xml[at:]
        self.changed = True
        return new

    def style_for(self, style: str | None, kind: str) -> str | None:
        """The style index for a date (kind 'date') or date-and-time ('datetime') cell."""
        key = (style or "0", kind)
        if key in self._twins:
            return self._twins[key]
        try:
            index = int(style or 0)
        except ValueError:
            index = 0
        if not self.xfs:
            return style
        index = index if index < len(self.xfs) else 0
        has_date, has_time = self._shows(self._num_fmt(index))
        if has_date and (has_time or kind == "date"):
            self._twins[key] = str(index) if style or index else style
            return self._twins[key]
        fmt = self._format_id(DATETIME_FORMAT if kind == "datetime" else DATE_FORMAT)
        base = self.xfs[index]
        head = re.match(r"<[^>]*?(/?)>", base)
        opening = head.group(0)
        tag = re.sub(r'\s*\b(numFmtId|applyNumberFormat|quotePrefix)="[^"]*"', "", opening)
        tag = re.sub(r"^<((?:\w+:)?xf)\b", rf'<\1 numFmtId="{fmt}" applyNumberFormat="1"', tag, count=1)
        twin = tag + base[len(opening):]
        if twin in self.xfs:
            found = str(self.xfs.index(twin))
        else:
            self.xfs.append(twin)
            found = str(len(self.xfs) - 1)
            self._write_xfs()
        self._twins[key] = found
        return found

    def _write_xfs(self) -> None:
        m = re.search(r"<((?:\w+:)?)cellXfs\b[^>]*>(.*?)</(?:\w+:)?cellXfs>", self.xml, re.S)
        body = "".join(self.xfs)
        tag = f'<{m.group(1)}cellXfs count="{len(self.xfs)}">{body}</{m.group(1)}cellXfs>'
        self.xml = self.xml[: m.start()] + tag + self.xml[m.end():]
        self.changed = True


def date_cell_xml(ref: str, value: Any, style: str | None, kind: str, styles: DateStyles | None,
                  date1904: bool = False) -> str | None:
    """A date cell for an ISO value in a date column; None when the value is not a date (write it as text)."""
    if styles is None:
        return None
    serial = date_serial(value, kind, date1904)
    if serial is None:
        return None
    s = styles.style_for(style, kind)
    s_attr = f' s="{s}"' if s else ""
    return f'<c r="{ref}"{s_attr}><v>{serial}</v></c>'


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


def _row_xml(prefix: str, r: int, cells: Iterable[str], attrs: str = "") -> str:
    body = "".join(cells)
    tag = f"{prefix}row"
    if not body:
        return f'<{tag} r="{r}"{attrs}/>'
    return f'<{tag} r="{r}"{attrs}>{body}</{tag}>'


# --- worksheet rewriting --------------------------------------------------

_ROOT_RE = re.compile(r"<(\w+:)?worksheet\b")
_ROW_RE = re.compile(r"<(?:\w+:)?row\b([^>]*?)(?:/>|>(.*?)</(?:\w+:)?row>)", re.S)
_CELL_RE = re.compile(r"<(?:\w+:)?c\b([^>]*?)(?:/>|>)")
_ATTR_RE = re.compile(r'(\w+)="([^"]*)"')
_COL_RE = re.compile(r"<(?:\w+:)?col\b([^>]*?)/?>")
_REF_RE = re.compile(r"([A-Z]+)(\d+)")
_FORMULA_RE = re.compile(r"<(?:\w+:)?f[\s>/]")
_CELL_XML_RE = re.compile(r"<(?:\w+:)?c\b([^>]*?)(?:/>|>.*?</(?:\w+:)?c>)", re.S)


def _attrs(text: str) -> dict[str, str]:
    return dict(_ATTR_RE.findall(text))


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


# --- package-level edits ----------------------------------------------------


def _add_sheet(files: dict[str, bytes], pkg: _Package, name: str, xml: str) -> None:
    existing = set(files)
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
                _add_sheet(files, pkg, update.name, new_sheet_xml(update))
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
