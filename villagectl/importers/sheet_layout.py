"""Where the table sits in an inspection sheet, and what each row and column is.

Pure functions over ``SheetRows``: find the item header row (anywhere in the
first rows and columns), the header block of one to three levels above it
(category cells, merged or written once and left blank to the right), the
maxima row, and what kind each row under the header is (a household, a
maxima / total / average row, a group sub-title, a repeated header, a footer).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from villagectl.importers import fields
from villagectl.importers.header_match import ItemScanner, stated_max
from villagectl.io.reader import SheetRows
from villagectl.values import NotANumber, clean_text, find_groups, to_number

HEADER_SEARCH_ROWS = 15
HEADER_SEARCH_COLUMNS = 60
ITEM_LIKE = 25.0  # a cell at least this item-like counts towards a header row
MAX_HEADER_LEVELS = 3


@dataclass
class HeaderColumn:
    index: int
    text: str  # the lowest non-empty header cell of the column
    text_row: int  # the row that text is in
    above: tuple[str, ...]  # header cells above, top first (merged / left-filled category cells)
    field: str | None  # fields.* when it is no score column by its header


@dataclass
class GridLayout:
    item_row: int  # 0-based row of the item headers
    top: int  # first header row
    columns: dict[int, HeaderColumn]
    maxima: dict[int, float] = field(default_factory=dict)  # column -> maximum from a 满分/分值 row
    max_rows: list[int] = field(default_factory=list)
    first_data_row: int = 0
    items_found: int = 0  # item-like cells in the item row

    def __post_init__(self) -> None:
        self.header_texts = {clean_text(col.text) for col in self.columns.values()}


def _nonempty(row: list) -> list[int]:
    return [c for c, v in enumerate(row[:HEADER_SEARCH_COLUMNS]) if clean_text(v)]


def _header_line(row: list, item_cols: list[int]) -> bool:
    """A row above the item headers belongs to the header block: several cells, or one cell over the
    items (a category such as '日常积分（80分）') — not a title written at the left edge."""
    cells = _nonempty(row)
    if len(cells) >= 2:
        return True
    return len(cells) == 1 and bool(item_cols) and min(item_cols) <= cells[0] <= max(item_cols) and cells[0] > 0


def merged_value(sheet: SheetRows, r: int, c: int) -> object:
    """The value shown in (r, c): a merged range shows its top-left cell everywhere."""
    value = sheet.cell(r, c)
    if clean_text(value):
        return value
    for (r1, c1), (r2, c2) in sheet.merged:
        if r1 <= r <= r2 and c1 <= c <= c2:
            return sheet.cell(r1, c1)
    return value


def find_item_row(sheet: SheetRows, scanner: ItemScanner) -> tuple[int, int] | None:
    """The row whose cells look most like item headers (at least two of them), and how many."""
    best: tuple[float, int] | None = None
    for r in range(min(HEADER_SEARCH_ROWS, len(sheet.rows))):
        row = sheet.rows[r]
        scores = [scanner.best(row[c]) for c in _nonempty(row)]
        liked = [s for s in scores if s >= ITEM_LIKE]
        if len(liked) < min(2, len(scanner.prepared)):
            continue
        key = (len(liked) + sum(liked) / 1000.0, -r, len(liked))
        if best is None or key > best:
            best = key  # a tie goes to the first such row: a header repeated lower down is not the header
    return (-best[1], best[2]) if best else None


def grid_layout(sheet: SheetRows, scanner: ItemScanner) -> GridLayout | None:
    found = find_item_row(sheet, scanner)
    if found is None:
        return None
    item_row, items_found = found
    top = item_row
    item_cols = [c for c in _nonempty(sheet.rows[item_row]) if scanner.best(sheet.rows[item_row][c]) >= ITEM_LIKE]
    while top > 0 and item_row - top < MAX_HEADER_LEVELS - 1 and _header_line(sheet.rows[top - 1], item_cols):
        top -= 1
    width = max(len(sheet.rows[r]) for r in range(top, item_row + 1))
    width = min(width, HEADER_SEARCH_COLUMNS)
    # each header row as shown: merged cells everywhere in their range; in rows above the
    # item row, a blank cell over an item header continues the category written to its left
    shown: dict[int, list[str]] = {}
    for r in range(top, item_row + 1):
        line = [clean_text(merged_value(sheet, r, c)) for c in range(width)]
        raw = [str(merged_value(sheet, r, c)) for c in range(width)]
        if r < item_row:
            last = ""
            for c in range(width):
                if line[c]:
                    last = raw[c]
                elif last and clean_text(sheet.cell(item_row, c)) and not fields.field_of(sheet.cell(item_row, c)):
                    raw[c], line[c] = last, clean_text(last)
        shown[r] = [raw[c] if line[c] else "" for c in range(width)]
    columns: dict[int, HeaderColumn] = {}
    for c in range(width):
        stack = [(r, shown[r][c]) for r in range(top, item_row + 1) if shown[r][c]]
        if not stack:
            continue
        text_row, text = stack[-1]
        above = tuple(dict.fromkeys(t for r, t in stack[:-1] if t != text))
        field_name = fields.field_of(text)
        if field_name is None and text_row < item_row:
            field_name = fields.field_of(text)  # an identity header spanning the block
        if field_name == fields.INFO and not fields.plainly_info(text) and scanner.best(text) >= 40:
            field_name = None  # '环境整治积分': an item that happens to hold an info word
        columns[c] = HeaderColumn(c, text, text_row, above, field_name)
    layout = GridLayout(item_row, top, columns, first_data_row=item_row + 1, items_found=items_found)
    _read_max_rows(sheet, layout)
    return layout


def _read_max_rows(sheet: SheetRows, layout: GridLayout) -> None:
    """A 满分 / 分值 / 标准分 row (or a label-less row of maxima) right under the header."""
    r = layout.item_row + 1
    identity = [c for c, col in layout.columns.items() if col.field in (fields.HOUSEHOLD_ID, fields.HEAD)]
    while r < len(sheet.rows) and r <= layout.item_row + 2:
        row = sheet.rows[r]
        labels = [clean_text(v) for c, v in enumerate(row) if c not in layout.columns or layout.columns[c].field]
        # '15分' / '满分15' under each item, with nothing in the 户号 / 户主 cells
        unlabelled = (r == layout.item_row + 1 and identity and not any(clean_text(sheet.cell(r, c)) for c in identity)
                      and sum(stated_max(sheet.cell(r, c)) is not None and not isinstance(sheet.cell(r, c), (int, float))
                              for c, col in layout.columns.items() if col.field is None) >= 2)
        if unlabelled or any(fields.is_max_label(t) for t in labels if t):
            for c, col in layout.columns.items():
                if col.field is None:
                    number = number_or_none(sheet.cell(r, c))
                    if number is None:
                        number = stated_max(sheet.cell(r, c))
                    if number is not None:
                        layout.maxima[c] = number
            layout.max_rows.append(r)
            layout.first_data_row = r + 1
            r += 1
            continue
        break


def number_or_none(value: object) -> float | None:
    if type(value) is float:
        return value if value == value else None
    if value == "":
        return None
    if isinstance(value, (dt.date, dt.datetime, dt.time)):
        return None
    try:
        return to_number(value)
    except NotANumber:
        return None


# --- rows ---------------------------------------------------------------------

HOUSEHOLD, EMPTY, MAXIMA, SUMMARY, SUBTITLE, REPEATED_HEADER, FOOTER, STRAY = (
    "户", "空行", "满分行", "合计行", "分组标题", "重复表头", "表尾", "无户名的分数")


@dataclass
class RowKind:
    kind: str
    groups: tuple[str, ...] = ()  # for SUBTITLE
    label: str = ""


_NOTE_LIKE = re.compile(r"[:：]|\d{4}\s*[年./-]|\d+\s*月\s*\d+\s*日|[〇零一二三四五六七八九]{4}年")


def classify_row(sheet: SheetRows, r: int, layout: GridLayout, identity_columns: list[int],
                 score_columns: list[int]) -> RowKind:
    row = sheet.rows[r]
    scored = set(score_columns)
    numbers = [c for c in score_columns if number_or_none(sheet.cell(r, c)) is not None]
    label_texts = [t for c, v in enumerate(row) if c not in scored and v != "" and (t := clean_text(v))]
    if not numbers and not label_texts and not any(clean_text(sheet.cell(r, c)) for c in score_columns):
        return RowKind(EMPTY)
    identity = [t for c in identity_columns if (t := clean_text(sheet.cell(r, c)))]
    first_label = label_texts[0] if label_texts else ""
    if any(fields.is_max_label(t) for t in label_texts):
        return RowKind(MAXIMA, label=first_label)
    if any(fields.is_summary_label(t) for t in label_texts):
        return RowKind(SUMMARY, label=next(t for t in label_texts if fields.is_summary_label(t)))
    if not numbers:
        filled = label_texts + [t for c in score_columns if (t := clean_text(sheet.cell(r, c)))]
        if len(filled) >= 3 and sum(t in layout.header_texts for t in filled) >= len(filled) * 0.6:
            return RowKind(REPEATED_HEADER)
        distinct = list(dict.fromkeys(filled))
        # a sub-title names a group and nothing else; a 户号 or a name in its cell makes it a household
        if len(distinct) <= 2 and all(find_groups(t) for t in identity):
            groups = find_groups(" ".join(distinct))
            if groups and not any(_looks_like_name_cell(t) for t in distinct):
                return RowKind(SUBTITLE, tuple(groups), distinct[0])
        if not identity:
            return RowKind(FOOTER, label=first_label)
        if any(_NOTE_LIKE.search(t) or len(t) > 12 for t in identity):
            return RowKind(FOOTER, label=identity[0])
        return RowKind(HOUSEHOLD)
    if not identity:
        # a footer date stored as a serial number ('45982') is no score: scores stay within the items' range
        if len(numbers) == 1 and (number_or_none(sheet.cell(r, numbers[0])) or 0) > 100:
            return RowKind(FOOTER, label=first_label)
        return RowKind(STRAY)
    if any(_NOTE_LIKE.search(t) for t in identity) and not any(fields.field_of(t) for t in identity):
        # '打分人：龚秀兰' in the name column next to a date in a score column
        if all(isinstance(sheet.cell(r, c), (dt.date, dt.datetime)) for c in numbers):
            return RowKind(FOOTER, label=identity[0])
    return RowKind(HOUSEHOLD)


def _looks_like_name_cell(text: str) -> bool:
    return bool(re.fullmatch(r"[\u4e00-\u9fff·]{2,5}", text)) and not re.search(r"组", text)
