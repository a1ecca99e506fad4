"""Finding the table in a sheet as people really make them.

Merged title rows, the header on any of the first rows, header wording of
their own, blank rows in the middle, pre-numbered empty rows, and a footer
("制表人：…", "合计") after the data.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from villagectl.importers.fields import GROUP, HEAD, HOUSEHOLD_ID, FieldSpec, field_of  # FieldSpec re-exported
from villagectl.io.reader import SheetRows
from villagectl.values import NotANumber, clean_name, clean_text, header_key, to_count, to_date

HEADER_SEARCH_ROWS = 10
FOOTER_RE = re.compile(
    r"^(制表|填表|审核|审批|检查人|检查组|检查时间|评分人|打分人|负责人|网格员[:：]|统计|日期|时间[:：]|签字|签名|说明|注[:：]|注意|备注[:：]|"
    r"合计|总计|小计|村委会|村民委员会|盖章|经办|"
    r"[\u4e00-\u9fff]{1,6}(?:签字|签名|签章)[:：]|"  # 组长签字：… / 户主签名：…
    r"[\u4e00-\u9fff]{1,5}(?:人|员|单位|部门)[:：])"  # 计票人：… / 监票员：… / 填报单位：…
)


@dataclass
class LocatedTable:
    sheet: SheetRows
    header_row: int  # 0-based
    columns: dict[str, int]  # field -> 0-based column
    other_headers: dict[int, str] = field(default_factory=dict)  # unmatched header cells
    data_rows: list[int] = field(default_factory=list)  # 0-based rows holding data
    _merged_cache: dict | None = field(default=None, repr=False, compare=False)

    def value(self, r: int, name: str) -> object:
        """The cell of field ``name`` in row ``r``; a blank cell under the top of a range merged down the rows
        (a 组别 or a household written once over its rows) reads as the range's value."""
        c = self.columns.get(name)
        if c is None:
            return ""
        value = self.sheet.cell(r, c)
        if value == "" and self.sheet.merged:
            top = self._merged_down().get((r, c))
            if top is not None:
                return self.sheet.cell(*top)
        return value

    def _merged_down(self) -> dict[tuple[int, int], tuple[int, int]]:
        """(row, column) → the top-left cell of the range merged over more than one row that covers it."""
        cached = self._merged_cache
        if cached is None:
            cached = {}
            for (r0, c0), (r1, c1) in self.sheet.merged:
                if r1 <= r0 or (r1 - r0 + 1) * (c1 - c0 + 1) > 100_000:  # across one row: a title or a note
                    continue
                for rr in range(r0, r1 + 1):
                    for cc in range(c0, c1 + 1):
                        if (rr, cc) != (r0, c0):
                            cached[(rr, cc)] = (r0, c0)
            self._merged_cache = cached
        return cached

    def count(self, r: int, name: str = "次数") -> tuple[float | None, str]:
        """A 次数 cell (3, 3次, 三): blank is once; (None, the message) when it is not a number."""
        try:
            count = to_count(self.value(r, name))
        except NotANumber:
            return None, f"{name}“{clean_text(self.value(r, name))}”不是数字"
        return (1.0 if count is None else count), ""

    def day(self, r: int, default: dt.date, name: str = "日期", year: int | None = None) -> tuple[dt.date | None, str]:
        """A 日期 cell (a date cell or text such as 2026年7月15日; 7月15日 when ``year`` is known, from the title
        or the date the import is for): blank is ``default``; (None, the message) when it cannot be read."""
        try:
            return (to_date(self.value(r, name), year) or default), ""
        except ValueError:
            return None, f"{name}“{clean_text(self.value(r, name))}”看不懂，请写成 2026-07-15 或 2026年7月15日"


def match_field(text: object, fields: list[FieldSpec]) -> str | None:
    key = header_key(text)
    if not key:
        return None
    for f in fields:
        if key == header_key(f.name) or key in {header_key(s) for s in f.synonyms}:
            return f.name
    # the household key, head and group in any wording, the same for every importer
    meaning = field_of(text)
    if meaning in (HOUSEHOLD_ID, HEAD, GROUP):
        for f in fields:
            if f.name == meaning:
                return f.name
    return None


def locate_table(sheet: SheetRows, fields: list[FieldSpec], search_rows: int = HEADER_SEARCH_ROWS) -> LocatedTable | None:
    """The first row among the first ``search_rows`` that names the required fields (best match wins)."""
    required = {f.name for f in fields if f.required}
    best: tuple[int, int, dict[str, int]] | None = None
    for r, row in enumerate(sheet.rows[:search_rows]):
        found: dict[str, int] = {}
        for c, value in enumerate(row):
            name = match_field(value, fields)
            if name and name not in found:
                found[name] = c
        if not required <= set(found):
            continue
        if best is None or len(found) > best[1]:
            best = (r, len(found), found)
    if best is None:
        return None
    r, _, columns = best
    used = set(columns.values())
    others = {
        c: clean_text(v) for c, v in enumerate(sheet.rows[r]) if c not in used and clean_text(v)
    }
    table = LocatedTable(sheet, r, columns, others)
    table.data_rows = data_rows(sheet, r, list(columns.values()))
    return table


def is_footer(row: list) -> bool:
    for value in row:
        text = clean_name(value)
        if text:
            return bool(FOOTER_RE.match(text))
    return False


def data_rows(sheet: SheetRows, header_row: int, columns: list[int]) -> list[int]:
    """Rows after the header with data in the mapped columns, up to a footer."""
    out: list[int] = []
    for r in range(header_row + 1, len(sheet.rows)):
        row = sheet.rows[r]
        if is_footer(row):
            break
        if any(clean_text(row[c]) for c in columns if c < len(row)):
            out.append(r)
    return out


def tables_score(book, fields: list[FieldSpec], usable=lambda table: True) -> int:
    """``identify()`` of a table importer: the most of its columns one sheet's table names (0: no sheet has one)."""
    best = 0
    for sheet in book.sheets:
        table = locate_table(sheet, fields)
        if table is not None and usable(table):
            best = max(best, len(table.columns))
    return best
