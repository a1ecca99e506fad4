"""``inspect import``: grid workers' inspection sheets as they really come in.

Every sheet is made by ``grid()`` (one layout with switches) and written by
``save()`` as .xlsx (openpyxl), .xls (xlwt) or .ods (pandas/odf), so each
test states only what differs from a plain, correct sheet.
"""

from __future__ import annotations

import datetime as dt
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
import xlwt

from conftest import add_households, household, invoke, invoke_json
from villagectl.ledger.workbook import Ledger
from villagectl.values import NotANumber, to_number

# (code, category, item, maximum) — the zhongping preset's inspection items
ITEMS = [
    ("RJ1", "人居环境", "庭院", 15), ("RJ2", "人居环境", "客厅", 10), ("RJ3", "人居环境", "厨房", 10),
    ("RJ4", "人居环境", "卧室", 10), ("RJ5", "人居环境", "厕所", 5),
    ("XF1", "先锋模范", "带头参与", 10), ("XF2", "先锋模范", "传递正能量", 5), ("XF3", "先锋模范", "遵纪守法", 5),
    ("XS1", "学生就学", "支持入学", 5), ("XS2", "学生就学", "积极读书", 5),
    ("CY1", "创业就业", "勤劳务实", 5), ("CY2", "创业就业", "就业创业", 5),
    ("TJ1", "团结友爱", "孝老爱亲", 5), ("TJ2", "团结友爱", "邻里和睦", 5),
]
CODES = [code for code, *_ in ITEMS]
COLUMN = {code: f"{code} {item}" for code, _, item, _ in ITEMS}  # 检查记录 column names
MAXIMUM = {code: top for code, _, _, top in ITEMS}
# every item 0.5 below its maximum: a valid, non-trivial sheet (total 93)
DEFAULT_SCORES = {code: top - 0.5 for code, _, _, top in ITEMS}

TITLE = "中坪村第一组2026年7月人居环境检查评分表"
FOOTER = "检查人：李四  日期：2026年7月22日"
AUTO = object()  # "compute it": the 合计 a careful grid worker would type

# first-level groups and the names that collide on purpose
HOUSEHOLDS = [
    household("ZP001", "张三", "第一组"),
    household("ZP002", "李明", "第一组"),
    household("ZP003", "王芳", "第一组"),
    household("ZP004", "王芳", "第一组"),  # same name in the same group: ambiguous by name
    household("ZP011", "赵六", "第二组"),
    household("ZP012", "刘洋", "第二组"),  # 刘洋 also heads ZP021 in 第三组
    household("ZP013", "陈静", "第二组"),
    household("ZP021", "刘洋", "第三组"),
    household("ZP022", "孙丽", "第三组"),
    household("ZP023", "周强", "第三组"),
]
GROUP1 = [("ZP001", "张三"), ("ZP002", "李明")]


@dataclass
class Row:
    """One household line of a sheet; ``scores`` overrides DEFAULT_SCORES item by item."""

    hid: str | None
    name: str | None = None
    scores: dict = field(default_factory=dict)
    total: object = AUTO  # AUTO: the sum; None: left blank; anything else: typed as is
    remark: str = ""
    group: str | None = None


@dataclass
class Grid:
    """A sheet as a list of rows (None = empty cell) plus merged ranges (1-based r1, c1, r2, c2)."""

    rows: list[list]
    merges: list[tuple[int, int, int, int]] = field(default_factory=list)

    def find(self, value) -> str:
        """The cell reference (like 'D4') of the first cell holding ``value``."""
        for r, row in enumerate(self.rows):
            for c, v in enumerate(row):
                if v == value:
                    return f"{openpyxl.utils.get_column_letter(c + 1)}{r + 1}"
        raise KeyError(value)


def rows_of(pairs) -> list[Row]:
    return [p if isinstance(p, Row) else Row(*p) for p in pairs]


def grid(
    rows=GROUP1,
    *,
    title: str | None = TITLE,
    header_row: int = 3,  # 1-based row of the (first) header line
    two_level: bool = False,
    seq: bool = True,  # a 序号 column first
    id_col: bool = True,
    name_col: bool = True,
    group_col: bool = False,
    total: bool = True,
    remark: bool = True,  # a 备注 column last
    labels: dict | None = None,  # code -> header text (default: "庭院(15分)")
    drop: tuple = (),  # item codes left out of the sheet
    extra: tuple = (),  # extra header texts (unknown columns), empty in every row
    blank_after: tuple = (0,),  # indexes of data rows followed by a blank row
    footer: str | None = FOOTER,
) -> Grid:
    rows = rows_of(rows)
    items = [it for it in ITEMS if it[0] not in drop]
    labels = {code: f"{item}({top}分)" for code, _, item, top in ITEMS} | (labels or {})
    lead = (["序号"] if seq else []) + (["户号"] if id_col else []) + (["户主"] if name_col else []) + (
        ["组别"] if group_col else [])
    tail = list(extra) + (["合计"] if total else []) + (["备注"] if remark else [])
    width = len(lead) + len(items) + len(tail)
    out: list[list] = [[None] * width for _ in range(header_row - 1)]
    merges: list[tuple[int, int, int, int]] = []
    if title is not None:
        out[0][0] = title
        merges.append((1, 1, 1, width))
    item_labels = [labels[code] for code, *_ in items]
    if two_level:
        top_line = lead + [None] * len(items) + tail
        c = len(lead)
        for k, (code, cat, _item, _top) in enumerate(items):
            if k == 0 or items[k - 1][1] != cat:
                n = sum(1 for it in items if it[1] == cat)
                top_line[c + k] = f"{cat}（{sum(it[3] for it in items if it[1] == cat)}分）"
                if n > 1:
                    merges.append((header_row, c + k + 1, header_row, c + k + n))
        for k in list(range(len(lead))) + list(range(len(lead) + len(items), width)):
            merges.append((header_row, k + 1, header_row + 1, k + 1))
        out.append(top_line)
        out.append([None] * len(lead) + item_labels + [None] * len(tail))
    else:
        out.append(lead + item_labels + tail)
    for n, row in enumerate(rows):
        scores = DEFAULT_SCORES | row.scores
        values = [scores.get(code) for code, *_ in items]
        line = ([n + 1] if seq else []) + ([row.hid] if id_col else []) + ([row.name] if name_col else []) + (
            [row.group] if group_col else [])
        line += values + [None] * len(extra)
        if total:
            line.append(sum(_num(v) for v in values) if row.total is AUTO else row.total)
        if remark:
            line.append(row.remark or None)
        out.append(line)
        if n in blank_after:
            out.append([None] * width)
    if footer is not None:
        out.append([None] * width)
        out.append([footer] + [None] * (width - 1))
    return Grid(out, merges)


def _num(value) -> float:
    """What a grid worker's own SUM would make of a cell (text that is no number counts 0)."""
    try:
        return to_number(value) or 0.0
    except NotANumber:
        return 0.0


def save(path: Path, *sheets, names: list[str] | None = None) -> Path:
    """Write the grids as the sheets of one workbook; the format follows the suffix."""
    names = names or [f"Sheet{i + 1}" for i in range(len(sheets))]
    if path.suffix == ".xlsx":
        wb = openpyxl.Workbook()
        wb.remove(wb.active)
        for name, g in zip(names, sheets):
            ws = wb.create_sheet(name)
            for r, row in enumerate(g.rows, start=1):
                for c, v in enumerate(row, start=1):
                    if v is not None:
                        ws.cell(r, c, v)
            for r1, c1, r2, c2 in g.merges:
                ws.merge_cells(start_row=r1, start_column=c1, end_row=r2, end_column=c2)
        wb.save(path)
    elif path.suffix == ".xls":
        book = xlwt.Workbook(encoding="utf-8")
        for name, g in zip(names, sheets):
            ws = book.add_sheet(name, cell_overwrite_ok=True)
            for r, row in enumerate(g.rows):
                for c, v in enumerate(row):
                    if v is not None:
                        ws.write(r, c, v)
            for r1, c1, r2, c2 in g.merges:
                ws.merge(r1 - 1, r2 - 1, c1 - 1, c2 - 1)
        book.save(str(path))
    elif path.suffix == ".ods":
        with pd.ExcelWriter(path, engine="odf") as writer:
            for name, g in zip(names, sheets):
                pd.DataFrame(g.rows, dtype=object).to_excel(writer, sheet_name=name, header=False, index=False)
    else:
        raise ValueError(path)
    return path


@pytest.fixture
def ledger(ledger_path: Path) -> Path:
    add_households(ledger_path, HOUSEHOLDS)
    return ledger_path


def run(runner, ledger: Path, *args):
    """``inspect import`` with --json: (exit code, data, problems as (cell, message) per file name)."""
    result, data = invoke_json(runner, "inspect", "import", ledger, *args)
    return result.exit_code, data


def problems(data, severity: str | None = None) -> set[tuple[str, str, str, str]]:
    """{(file, sheet, cell, message)} over every file."""
    return {
        (p["file"], p["sheet"], p["cell"], p["message"])
        for f in data["files"]
        for p in f["problems"]
        if severity is None or p["severity"] == severity
    }


def status(data) -> dict[str, str]:
    return {f["file"]: f["status"] for f in data["files"]}


def records(ledger: Path) -> pd.DataFrame:
    return Ledger.open(ledger).frame("检查记录")


def scores_of(ledger: Path, hid: str, month: str = "2026-07") -> dict[str, float]:
    frame = records(ledger)
    row = frame[(frame["户号"] == hid) & (frame["月份"] == month)]
    assert len(row) == 1, row
    return {code: float(row.iloc[0][COLUMN[code]]) for code in CODES}


# --------------------------------------------------------------------------- smoke


def test_plain_sheet_imports(ledger: Path, tmp_path: Path, runner) -> None:
    path = save(tmp_path / "一组.xlsx", grid())
    code, data = run(runner, ledger, path)
    assert code == 0, data
    assert status(data) == {"一组.xlsx": "已导入"}
    assert problems(data) == set()
    assert scores_of(ledger, "ZP001") == DEFAULT_SCORES
