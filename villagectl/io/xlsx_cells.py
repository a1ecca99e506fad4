"""How a value becomes a cell of a rewritten worksheet: the cell and row XML, and date cells.

Text is always written as an inline string (nothing the tool writes can become a formula);
an ISO date in a date column becomes a real date cell (a serial number with a date format,
``DateStyles`` adding the date-formatted twin of a cell's style to styles.xml when needed).
Used by ``io.xlsx_sheet`` (the worksheet rewriting) and ``io.xlsx_patch`` (the package).
"""

from __future__ import annotations

import datetime as dt
import html
import math
import re
from typing import Any, Iterable

# --- cell and row XML -----------------------------------------------------

_ATTR_RE = re.compile(r'(\w+)="([^"]*)"')


def _attrs(text: str) -> dict[str, str]:
    return dict(_ATTR_RE.findall(text))


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


def _row_xml(prefix: str, r: int, cells: Iterable[str], attrs: str = "") -> str:
    body = "".join(cells)
    tag = f"{prefix}row"
    if not body:
        return f'<{tag} r="{r}"{attrs}/>'
    return f'<{tag} r="{r}"{attrs}>{body}</{tag}>'
