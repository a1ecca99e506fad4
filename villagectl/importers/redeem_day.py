"""The shop's day sheet (兑换登记表) as shops keep it → lines with their cells (no ledger involved).

A merged title ("中坪村爱心超市8月1日兑换登记"), the header on any of the first
10 rows, their own header wording, blank rows, a 序号 column, a signature/合计
footer; household cells merged over the rows of one visit. Columns (any order;
other wordings in ``DAY_FIELDS``):

    日期 · 户号 or 户主 (+ 组别) · 物品 · 数量 · 积分 (optional) · 备注

``actions/redeem_import.py`` turns the lines into redemptions.

Importer protocol (importers/fields.py): ``FIELDS``, ``identify(book)``, ``extract(book, ctx)`` with
``ctx`` a ``DayContext``; ``read_day_sheet`` (the lines and the title's date) is the call
``redeem import`` makes.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from villagectl.errors import Location, Problem
from villagectl.importers.fields import GROUP_FIELD, HEAD_FIELD, HOUSEHOLD_ID_FIELD, FieldSpec
from villagectl.importers.table import locate_table, tables_score
from villagectl.io.reader import SheetRows, WorkbookRows, cell_ref
from villagectl.values import clean_name, clean_text

DAY_FIELDS = [
    FieldSpec("日期", ("兑换日期", "兑换时间", "日期时间", "时间")),
    HOUSEHOLD_ID_FIELD,
    HEAD_FIELD,
    GROUP_FIELD,
    FieldSpec("物品", ("商品", "商品名称", "物品名称", "兑换物品", "兑换商品", "品名", "名称"), required=True),
    FieldSpec("数量", ("件数", "兑换数量", "个数", "数目")),
    FieldSpec("积分", ("兑换积分", "所用积分", "使用积分", "扣减积分", "消耗积分", "积分数", "扣除积分", "合计积分")),
    FieldSpec("备注", ("说明", "原因")),
]
FIELDS = DAY_FIELDS

_DATE_IN_TEXT = re.compile(r"(20\d{2})\s*[年\-/.]\s*(\d{1,2})\s*[月\-/.]\s*(\d{1,2})\s*日?")


def date_in_text(text: str) -> dt.date | None:
    m = _DATE_IN_TEXT.search(clean_name(text))
    if not m:
        return None
    try:
        return dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except ValueError:
        return None


@dataclass
class DayLine:
    sheet: str
    row: int  # 0-based
    values: dict[str, object]
    cells: dict[str, str]
    title_date: dt.date | None = None  # the date in the title of this line's sheet (one sheet per day)


@dataclass
class DaySheet:
    lines: list[DayLine] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    title_date: dt.date | None = None  # the first sheet's title date; each line carries its own sheet's


def _merged_value(sheet: SheetRows, r: int, c: int) -> object:
    """A cell's value, or the value of the merged range it lies in (stored in the top-left cell)."""
    value = sheet.cell(r, c)
    if clean_text(value):
        return value
    for (r1, c1), (r2, c2) in sheet.merged:
        if r1 <= r <= r2 and c1 <= c <= c2 and (r, c) != (r1, c1):
            return sheet.cell(r1, c1)
    return value


@dataclass(frozen=True)
class DayContext:
    display_name: str  # the file as the shop knows it


def _usable(table) -> bool:
    return bool({"户号", "户主"} & set(table.columns))


def identify(book: WorkbookRows) -> int:
    """The day-sheet columns a sheet's header names (0: no sheet has 物品 and 户号/户主)."""
    return tables_score(book, DAY_FIELDS, _usable)


def extract(book: WorkbookRows, ctx: DayContext) -> tuple[list[DayLine], list[Problem]]:
    day = read_day_sheet(book, ctx.display_name)
    return day.lines, day.problems


def read_day_sheet(book: WorkbookRows, display_name: str) -> DaySheet:
    out = DaySheet()
    found = False
    for sheet in book.sheets:
        if not any(clean_text(v) for row in sheet.rows for v in row):
            continue
        table = locate_table(sheet, DAY_FIELDS)
        if table is None or not _usable(table):
            out.problems.append(Problem(Location(display_name, sheet.name),
                                        "前10行里找不到表头（要有“物品”列和“户号”或“户主”列），这个工作表已跳过", "警告"))
            continue
        found = True
        sheet_date = None
        for r in range(table.header_row):
            for value in sheet.rows[r]:
                if sheet_date is None and isinstance(value, str):
                    sheet_date = date_in_text(value)
        if sheet_date is None:
            sheet_date = date_in_text(sheet.name)  # a sheet named 2026.8.10
        if out.title_date is None:
            out.title_date = sheet_date
        # blank rows were dropped by locate_table; rows whose only content is merged-in are kept
        for r in table.data_rows:
            values = {name: _merged_value(sheet, r, c) for name, c in table.columns.items()}
            if not clean_text(sheet.cell(r, table.columns["物品"])) and not clean_text(values.get("积分", "")):
                # a row with no item: a stray note, or a household cell merged over an empty row
                if any(clean_text(sheet.cell(r, c)) for c in table.columns.values()):
                    out.problems.append(Problem(Location(display_name, sheet.name, cell_ref(r, table.columns["物品"])),
                                                "这一行没有填物品"))
                continue
            cells = {name: cell_ref(r, c) for name, c in table.columns.items()}
            out.lines.append(DayLine(sheet.name, r, values, cells, sheet_date))
    if not found:
        out.problems.append(Problem(Location(display_name), "没有找到兑换登记表格：前10行要有“物品”和“户号”（或“户主”）等列标题"))
    return out
