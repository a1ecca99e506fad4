"""Tables of an HTML file saved as .xls: what many 户籍 / 扶贫 / 网格 systems export (Excel opens them as sheets).

Each ``<table>`` becomes a sheet of text cells, A1-anchored like calamine's rows, with ``colspan`` / ``rowspan``
as merged ranges (so a merged 组别 reads as in an xlsx). Only the standard library's HTML parser: no script runs,
no entity expands beyond the HTML ones, and the cell count is capped.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

from villagectl.errors import DataError, Location, Problem
from villagectl.io.csv_reader import decode

MAX_CELLS = 5_000_000
MAX_SPAN = 1_000  # a colspan/rowspan beyond this is a broken file, not a layout

_HTML_START = re.compile(rb"^\s*(?:<\?xml[^>]*>\s*)?(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html|table|head|meta|body)\b",
                         re.IGNORECASE | re.DOTALL)
_MARKUP_START = re.compile(rb"^\s*<[a-zA-Z!]")  # a file that starts with a tag (<style>, <div>, <title> …)
_TABLE_TAG = re.compile(rb"<table\b", re.IGNORECASE)
_IGNORED = ("style", "script", "title", "head")  # text no one sees on the page


def looks_like_html(head: bytes) -> bool:
    """The file's first bytes start an HTML document or a bare table (after a BOM, spaces or comments)."""
    for bom in (b"\xef\xbb\xbf",):
        if head.startswith(bom):
            head = head[len(bom):]
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            head = head.decode("utf-16").encode("utf-8", "replace")
        except UnicodeDecodeError:
            return False
    return bool(_HTML_START.match(head) or (_MARKUP_START.match(head) and _TABLE_TAG.search(head)))


class _Tables(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tables: list[tuple[list[list[str]], list[tuple[tuple[int, int], tuple[int, int]]]]] = []
        self._open: dict | None = None  # the table being read
        self._nested = 0  # tables inside one of its cells: their text is that cell's
        self._cells = 0
        self._ignored = 0  # inside <style>, <script>, <title>
        self._before: list[str] = []  # text since the last table: a heading over the next one is its title
        self._caption: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _IGNORED:
            self._ignored += 1
            return
        if tag == "table":
            if self._open is not None and self._open["cell"] is not None:
                self._nested += 1
                return
            title = " ".join(" ".join(self._before).split())
            self._before = []
            self._open = {"grid": {}, "taken": set(), "merged": [], "row": -1, "col": 0, "cell": None,
                          "title": title if len(title) <= 200 else ""}
            return
        t = self._open
        if t is None:
            if tag in ("br", "p", "div", "h1", "h2", "h3", "h4", "tr"):
                self._before.append(" ")
            return
        if tag == "caption":
            self._caption = []
            return
        if self._nested:
            if t["cell"] is not None and tag in ("td", "th", "tr", "br"):
                t["cell"]["text"].append(" ")
            return
        if tag == "tr":
            t["row"] += 1
            t["col"] = 0
        elif tag in ("td", "th"):
            if t["row"] < 0:
                t["row"] = 0
            self._end_cell(t)
            spans = {k: _span(v) for k, v in attrs if k in ("colspan", "rowspan")}
            t["cell"] = {"text": [], "cols": spans.get("colspan", 1), "rows": spans.get("rowspan", 1)}
        elif tag == "br" and t["cell"] is not None:
            t["cell"]["text"].append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _IGNORED:
            self._ignored = max(0, self._ignored - 1)
            return
        t = self._open
        if t is None:
            return
        if tag == "caption" and self._caption is not None:
            caption = " ".join(" ".join(self._caption).split())
            t["title"] = caption or t["title"]
            self._caption = None
        elif self._nested:
            if tag == "table":
                self._nested -= 1
        elif tag in ("td", "th"):
            self._end_cell(t)
        elif tag == "table":
            self._end_cell(t)
            self._open = None
            self.tables.append(_rows_of(t))

    def handle_data(self, data: str) -> None:
        if self._ignored:
            return
        t = self._open
        if t is None:
            self._before.append(data)
        elif self._caption is not None:
            self._caption.append(data)
        elif t["cell"] is not None:
            t["cell"]["text"].append(data)

    def _end_cell(self, t: dict) -> None:
        cell = t["cell"]
        if cell is None:
            return
        t["cell"] = None
        r, c = t["row"], t["col"]
        while (r, c) in t["taken"]:
            c += 1
        rows, cols = cell["rows"], cell["cols"]
        self._cells += rows * cols
        if self._cells > MAX_CELLS:
            raise _TooBig
        for rr in range(r, r + rows):
            for cc in range(c, c + cols):
                t["taken"].add((rr, cc))
        text = " ".join(part.strip() for part in "".join(cell["text"]).split("\n")).strip()
        t["grid"][(r, c)] = text.replace("\xa0", " ").strip()
        if rows > 1 or cols > 1:
            t["merged"].append(((r, c), (r + rows - 1, c + cols - 1)))
        t["col"] = c + cols


class _TooBig(Exception):
    pass


def _span(value: str | None) -> int:
    try:
        return max(1, min(MAX_SPAN, int(str(value).strip() or 1)))
    except ValueError:
        return 1


def _rows_of(t: dict) -> tuple[list[list[str]], list]:
    """The grid, with the table's caption (or the heading just above it) as a first row, as Excel shows it."""
    if not t["taken"]:
        return [], []
    height = max(r for r, _ in t["taken"]) + 1
    width = max(c for _, c in t["taken"]) + 1
    rows = [[t["grid"].get((r, c), "") for c in range(width)] for r in range(height)]
    merged = t["merged"]
    if t["title"]:
        rows.insert(0, [t["title"]] + [""] * (width - 1))
        merged = [((r0 + 1, c0), (r1 + 1, c1)) for (r0, c0), (r1, c1) in merged]
    return rows, merged


def read_html_tables(path: Path) -> list[tuple[list[list[str]], list]]:
    """Every table of the file with cells in it, as (rows, merged ranges); DataError when it cannot be read."""
    data = Path(path).read_bytes()
    decoded = decode(data)
    if decoded is None:
        message = "这个网页格式的表格（另存为 .xls 的网页）编码认不出，请用 Excel 打开后另存为 .xlsx 再发"
        raise DataError(message, [Problem(Location(file=Path(path).name), message)])
    parser = _Tables()
    try:
        parser.feed(decoded[1])
        parser.close()
    except _TooBig:
        message = f"表格太大（超过 {MAX_CELLS:,} 个单元格），不像检查表或名册；请只发需要的表"
        raise DataError(message, [Problem(Location(file=Path(path).name), message)]) from None
    return [(rows, merged) for rows, merged in parser.tables if any(any(v for v in row) for row in rows)]
