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
# every item 0.5 below its maximum: a valid, non-trivial sheet (total 93)
DEFAULT_SCORES = {code: top - 0.5 for code, _, _, top in ITEMS}

TITLE = "中坪村第一组2026年7月人居环境检查评分表"
FOOTER = "检查人：李四  日期：2026年7月22日"
AUTO = object()  # "compute it": the 合计 a careful grid worker would type

# three groups, and head names that collide on purpose
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
    """``inspect import`` with --json: (exit code, the JSON)."""
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


def set_synonyms(ledger: Path, code: str, synonyms: str) -> None:
    """What a clerk does in 规则: add a word to an item's 同义词."""
    book = Ledger.open(ledger)
    rules = book.frame("规则").copy()
    rules.loc[rules["编码"] == code, "同义词"] = synonyms
    book.replace("规则", rules)
    book.save("test-setup")


def text_run(runner, ledger: Path, *args):
    """``inspect import`` as the clerk sees it (no --json)."""
    return invoke(runner, "inspect", "import", ledger, *args)


# --------------------------------------------------------------------------- formats and layouts


@pytest.mark.parametrize("two_level", [False, True], ids=["one-header-row", "two-level-header"])
@pytest.mark.parametrize("suffix", [".xlsx", ".xls", ".ods"])
def test_every_format_and_header_layout_imports_the_same_scores(ledger: Path, tmp_path: Path, runner, suffix,
                                                                 two_level) -> None:
    rows = [Row("ZP001", "张三", {"RJ1": 12, "TJ2": 3.5}, remark="院里堆了柴"), Row("ZP002", "李明")]
    path = save(tmp_path / f"一组{suffix}", grid(rows, two_level=two_level), names=["检查表"])
    code, data = run(runner, ledger, path)
    assert code == 0, data
    assert status(data) == {f"一组{suffix}": "已导入"}
    assert problems(data) == set()  # not even a warning: 序号, 备注, title, blank row and footer are all expected
    assert data["files"][0]["month"] == "2026-07" and data["files"][0]["groups"] == ["第一组"]
    assert scores_of(ledger, "ZP001") == DEFAULT_SCORES | {"RJ1": 12, "TJ2": 3.5}
    assert scores_of(ledger, "ZP002") == DEFAULT_SCORES
    frame = records(ledger)
    first = 5 if two_level else 4  # title, (blank), header line(s); a blank row after the first household
    assert frame["户号"].tolist() == ["ZP001", "ZP002"]
    assert frame["合计"].tolist() == [89.5, 93.0]
    assert frame["行号"].tolist() == [first, first + 2]
    assert set(frame["来源文件"]) == {f"一组{suffix}"} and set(frame["工作表"]) == {"检查表"}
    assert set(frame["组别"]) == {"第一组"} and frame["户主"].tolist() == ["张三", "李明"]


def test_header_below_notes_blank_rows_numbered_empty_rows_and_footer(ledger: Path, tmp_path: Path, runner) -> None:
    g = grid([("ZP001", "张三"), ("ZP002", "李明")], header_row=9, blank_after=(0,))
    g.rows[1][0] = "检查组：村两委、网格员"
    g.rows[3][0] = "说明：每项按标准打分，最小单位0.5分"
    width = len(g.rows[0])
    footer_at = len(g.rows) - 1
    # rows pre-numbered by the grid worker but left empty, between the data and the footer
    g.rows[footer_at:footer_at] = [[3] + [None] * (width - 1), [4] + [None] * (width - 1)]
    # anything after the footer is not data
    g.rows.append([None, "ZP003", "王芳"] + [1] * 14 + [14, None])
    path = save(tmp_path / "一组.xlsx", g)
    code, data = run(runner, ledger, path)
    assert code == 0, data
    assert problems(data) == set()
    assert records(ledger)["户号"].tolist() == ["ZP001", "ZP002"]
    assert records(ledger)["行号"].tolist() == [10, 12]


@pytest.mark.parametrize("footer", [FOOTER, "组长签字：王五", "户主签名：", "制表人：王五 2026.7.22", "合计"])
def test_a_footer_in_the_household_id_column_is_not_a_household(ledger: Path, tmp_path: Path, runner, footer) -> None:
    path = save(tmp_path / "一组.xlsx", grid(seq=False, footer=footer))  # column A is 户号
    code, data = run(runner, ledger, path)
    assert code == 0, data
    assert problems(data) == set()
    assert records(ledger)["户号"].tolist() == ["ZP001", "ZP002"]


@pytest.mark.parametrize("suffix", [".xlsx", ".xls", ".ods"])
def test_several_sheets_in_one_file_and_empty_sheets_ignored(ledger: Path, tmp_path: Path, runner, suffix) -> None:
    first = grid([("ZP001", "张三"), ("ZP002", "李明")])
    third = grid([(None, "刘洋"), (None, "周强")], id_col=False, title="中坪村第三组2026年7月人居环境检查评分表")
    path = save(tmp_path / f"7月检查{suffix}", first, Grid([]), third, names=["一组", "空白", "三组"])
    code, data = run(runner, ledger, path)
    assert code == 0, data
    assert problems(data) == set()
    assert data["files"][0]["groups"] == ["第一组", "第三组"]
    frame = records(ledger)
    assert dict(zip(frame["户号"], frame["工作表"])) == {"ZP001": "一组", "ZP002": "一组", "ZP021": "三组", "ZP023": "三组"}


# --------------------------------------------------------------------------- item columns


def test_item_headers_with_max_suffixes_line_breaks_spaces_and_synonyms(ledger: Path, tmp_path: Path, runner) -> None:
    labels = {
        "RJ1": "庭\n院 （15分）",  # full-width brackets, a line break and a space
        "RJ2": "客 厅\n(10分)",
        "RJ3": "厨房15",  # a maximum glued on, and a wrong one: a warning
        "RJ4": "卧室（满分10分）",
        "RJ5": "卫生间",  # preset synonym
        "XF1": "带头作用(10分)",  # preset synonym with a suffix
        "XS2": "学生\n读书",  # preset synonym across two lines
        "CY1": "创业就业勤劳务实",  # category + item
    }
    path = save(tmp_path / "一组.xlsx", grid(labels=labels))
    code, data = run(runner, ledger, path)
    assert code == 0, data
    assert problems(data) == {("一组.xlsx", "Sheet1", "F3", "表头写厨房满分 15，规则中满分为 10")}
    assert scores_of(ledger, "ZP001") == DEFAULT_SCORES


def test_item_codes_as_headers(ledger: Path, tmp_path: Path, runner) -> None:
    labels = {code: code for code in CODES} | {"RJ2": "RJ2（10分）", "XF2": " XF2 "}
    path = save(tmp_path / "一组.xlsx", grid(labels=labels, two_level=True))
    code, data = run(runner, ledger, path)
    assert code == 0, data
    assert problems(data) == set()
    assert scores_of(ledger, "ZP002") == DEFAULT_SCORES


def test_a_village_synonym_listed_in_the_rules_sheet(ledger: Path, tmp_path: Path, runner) -> None:
    g = grid(labels={"RJ1": "院坝卫生（15分）"})
    path = save(tmp_path / "一组.xlsx", g)
    code, data = run(runner, ledger, path, "--dry-run")
    assert code == 0, data
    # the only 15-point item, sharing 院 with 庭院: taken, but shown as a guess
    (reading,) = data["files"][0]["mapping"]
    assert (reading["cell"], reading["code"], reading["certainty"]) == ("D3", "RJ1", "推测")
    assert "院" in reading["reason"] and "满分 15" in reading["reason"]
    # the clerk confirms it as a synonym (one per line): from then on it is exact
    set_synonyms(ledger, "RJ1", "庭院卫生\n院落\n院子\n院坝卫生")
    code, data = run(runner, ledger, path)
    assert code == 0, data
    assert problems(data) == set()
    assert data["files"][0]["mapping"] == []
    assert scores_of(ledger, "ZP001")["RJ1"] == 14.5


def test_an_empty_unknown_column_is_skipped_with_a_note(ledger: Path, tmp_path: Path, runner) -> None:
    g = grid(extra=("卫生评比",))
    path = save(tmp_path / "一组.xlsx", g)
    code, data = run(runner, ledger, path)
    assert code == 0, data
    assert status(data) == {"一组.xlsx": "已导入"}
    assert g.find("卫生评比") == "R3"
    notes = {(n["cell"], n["message"]) for n in data["files"][0]["notes"]}
    assert ("R3", "列“卫生评比”不是检查项，已忽略") in notes


def test_an_unknown_column_holding_scores_is_refused(ledger: Path, tmp_path: Path, runner) -> None:
    g = grid(extra=("卫生评比",))
    for row in g.rows[3:5]:
        row[g.rows[2].index("卫生评比")] = 4.5
    path = save(tmp_path / "一组.xlsx", g)
    before = ledger.read_bytes()
    code, data = run(runner, ledger, path)
    assert code == 1
    assert status(data) == {"一组.xlsx": "拒绝"}
    assert problems(data, "错误") == {
        ("一组.xlsx", "Sheet1", "R3",
         "列“卫生评比”对应不上规则中的检查项；如果它是某个检查项的别称，"
         "请在“规则”表该项的“同义词”里另起一行加上它（或在“表头对照”表登记它的编码）"),
    }
    assert ledger.read_bytes() == before


@pytest.mark.parametrize("two_level, header_cell", [(False, "第3行（表头）"), (True, "第4行（表头）")])
def test_a_missing_item_column(ledger: Path, tmp_path: Path, runner, two_level, header_cell) -> None:
    path = save(tmp_path / "一组.xlsx", grid(drop=("RJ5", "TJ2"), two_level=two_level, total=False))
    code, data = run(runner, ledger, path)
    assert code == 1
    assert problems(data) == {
        ("一组.xlsx", "Sheet1", header_cell, "缺少检查项“厕所”（RJ5）的列"),
        ("一组.xlsx", "Sheet1", header_cell, "缺少检查项“邻里和睦”（TJ2）的列"),
    }
    assert records(ledger).empty


def test_a_header_stating_another_maximum_is_a_warning(ledger: Path, tmp_path: Path, runner) -> None:
    path = save(tmp_path / "一组.xlsx", grid(labels={"RJ2": "客厅（20分）"}))
    code, data = run(runner, ledger, path)
    assert code == 0, data
    assert problems(data) == {("一组.xlsx", "Sheet1", "E3", "表头写客厅满分 20，规则中满分为 10")}
    assert [p["severity"] for p in data["files"][0]["problems"]] == ["警告"]


# --------------------------------------------------------------------------- households


def test_household_ids_are_trimmed_and_normalised(ledger: Path, tmp_path: Path, runner) -> None:
    path = save(tmp_path / "一组.xlsx", grid([(" ZP001 ", "张三"), ("ＺＰ００２", "李明")]))
    code, data = run(runner, ledger, path)
    assert code == 0, data
    assert problems(data) == set()
    assert records(ledger)["户号"].tolist() == ["ZP001", "ZP002"]


def test_unknown_household_id_and_a_head_differing_from_the_roster(ledger: Path, tmp_path: Path, runner) -> None:
    path = save(tmp_path / "一组.xlsx", grid([("ZP999", "某某"), ("ZP002", "李四")]))
    code, data = run(runner, ledger, path)
    assert code == 1
    assert problems(data, "错误") == {("一组.xlsx", "Sheet1", "B4", "户号 ZP999 不在户籍表中")}
    assert problems(data, "警告") == {
        ("一组.xlsx", "Sheet1", "C6", "户主“李四”与户籍中户号 ZP002 的户主“李明”不一致，按户号计分")}


NAMES_ONLY = [Row(None, "刘洋"), Row(None, "孙\u3000丽")]  # 刘洋 heads a household in 第二组 and in 第三组


@pytest.mark.parametrize(
    "file_name, kwargs, args",
    [
        ("a.xlsx", {"title": "中坪村第三组2026年7月人居环境检查评分表"}, ()),
        ("a.xlsx", {"title": "中坪村第3组2026年7月人居环境检查评分表"}, ()),
        ("三组2026年7月.xlsx", {"title": "人居环境检查评分表"}, ()),
        ("第三组.xls", {"title": "2026年7月人居环境检查评分表"}, ()),
        ("a.xlsx", {"title": "2026年7月人居环境检查评分表"}, ("--group", "第三组")),
        ("a.ods", {"title": "2026年7月人居环境检查评分表"}, ("--group", "3")),
        ("a.xlsx", {"title": "2026年7月人居环境检查评分表", "group_col": True}, ()),
    ],
    ids=["title", "title-digits", "file-name", "file-name-xls", "option", "option-digit", "column"],
)
def test_names_only_sheet_finds_the_group(ledger: Path, tmp_path: Path, runner, file_name, kwargs, args) -> None:
    rows = [Row(r.hid, r.name, group=g) for r, g in zip(NAMES_ONLY, ["第三组", "3组"])]
    path = save(tmp_path / file_name, grid(rows, id_col=False, **kwargs))
    code, data = run(runner, ledger, path, *args)
    assert code == 0, data
    assert problems(data) == set()
    assert records(ledger)["户号"].tolist() == ["ZP021", "ZP022"]
    assert data["files"][0]["groups"] == ["第三组"]


def test_a_name_in_two_groups_without_any_group_is_an_error(ledger: Path, tmp_path: Path, runner) -> None:
    path = save(tmp_path / "a.xlsx", grid(NAMES_ONLY, id_col=False, title="2026年7月人居环境检查评分表"))
    code, data = run(runner, ledger, path)
    assert code == 1
    assert problems(data) == {(
        "a.xlsx", "Sheet1", "B4",
        "户主“刘洋”有 2 户同名：ZP012（第二组）、ZP021（第三组）；请在表中加一列户号，或用 --group 指明组别",
    )}
    assert records(ledger).empty  # 孙丽 was fine, but the file is not imported at all


def test_unknown_names_list_the_households_of_that_name(ledger: Path, tmp_path: Path, runner) -> None:
    rows = [(None, "张三"), (None, "刘洋"), (None, "钱七")]
    path = save(tmp_path / "a.xlsx", grid(rows, id_col=False, blank_after=()))
    code, data = run(runner, ledger, path)
    assert code == 1
    assert problems(data) == {
        ("a.xlsx", "Sheet1", "B5", "第一组中没有户主“刘洋”（其他组有同名户主：第二组 ZP012、第三组 ZP021）"),
        ("a.xlsx", "Sheet1", "B6", "第一组中没有户主“钱七”"),
    }


def test_the_same_name_twice_in_one_group_is_ambiguous(ledger: Path, tmp_path: Path, runner) -> None:
    path = save(tmp_path / "a.xlsx", grid([(None, "张三"), (None, "王芳")], id_col=False))
    code, data = run(runner, ledger, path)
    assert code == 1
    assert problems(data) == {(
        "a.xlsx", "Sheet1", "B6",
        "户主“王芳”有 2 户同名：ZP003（第一组）、ZP004（第一组）；请在表中加一列户号",
    )}
    # with the 户号 the same sheet is fine
    path = save(tmp_path / "b.xlsx", grid([("ZP001", "张三"), ("ZP004", "王芳")]))
    code, data = run(runner, ledger, path)
    assert code == 0, data
    assert records(ledger)["户号"].tolist() == ["ZP001", "ZP004"]


# --------------------------------------------------------------------------- values


@pytest.mark.parametrize("suffix", [".xls", ".xlsx", ".ods"])
def test_numbers_typed_as_text_and_in_full_width(ledger: Path, tmp_path: Path, runner, suffix) -> None:
    typed = {"RJ1": "１５", "RJ2": "９．５", "RJ3": "8", "RJ4": " 7.5 ", "RJ5": "5分"}
    rows = [
        Row("ZP001", "张三", {c: str(v) for c, v in DEFAULT_SCORES.items()} | typed, total="９０．５"),
        Row("ZP002", "李明", {c: str(v) for c, v in DEFAULT_SCORES.items()}, total="93"),
    ]
    path = save(tmp_path / f"一组{suffix}", grid(rows))
    code, data = run(runner, ledger, path)
    assert code == 0, data
    assert problems(data) == set()
    assert scores_of(ledger, "ZP001") == DEFAULT_SCORES | {"RJ1": 15, "RJ2": 9.5, "RJ3": 8, "RJ4": 7.5, "RJ5": 5}
    assert records(ledger)["合计"].tolist() == [90.5, 93.0]


def test_formulas_without_stored_results_are_computed(ledger: Path, tmp_path: Path, runner) -> None:
    rows = [Row("ZP001", "张三", {"RJ1": "=10-0.5", "RJ2": "=D4-5", "RJ3": "=SUM(1,2)", "RJ4": "=4*2"},
                total="=SUM(D4:Q4)")]
    path = save(tmp_path / "一组.xlsx", grid(rows))  # openpyxl stores formulas without results
    code, data = run(runner, ledger, path)
    assert code == 0, data
    assert problems(data) == set()
    assert scores_of(ledger, "ZP001") == DEFAULT_SCORES | {"RJ1": 9.5, "RJ2": 4.5, "RJ3": 3, "RJ4": 8}
    assert records(ledger)["合计"].tolist() == [75.0]


def test_a_formula_that_cannot_be_computed_is_an_error(ledger: Path, tmp_path: Path, runner) -> None:
    path = save(tmp_path / "一组.xlsx", grid([Row("ZP001", "张三", {"XF1": "=VLOOKUP(1,A1:B2,2)"})]))
    code, data = run(runner, ledger, path)
    assert code == 1
    assert problems(data) == {(
        "一组.xlsx", "Sheet1", "I4",
        "带头参与 是公式（=VLOOKUP(1,A1:B2,2)）但文件里没有保存计算结果；请在 Excel/WPS 中打开、保存后再发来",
    )}


def test_total_column_is_never_input_and_a_wrong_typed_total_is_a_warning(ledger: Path, tmp_path: Path,
                                                                         runner) -> None:
    rows = [
        Row("ZP001", "张三", total=95),  # disagrees
        Row("ZP002", "李明", {"RJ1": 10}, total="=SUM(D6:Q6)"),  # a formula without result: nothing typed
        Row("ZP003", "王芳", {"RJ2": 0}, total=None),  # left blank
    ]
    path = save(tmp_path / "一组.xlsx", grid(rows, blank_after=(0,)))
    code, data = run(runner, ledger, path)
    assert code == 0, data
    assert problems(data) == {("一组.xlsx", "Sheet1", "R4", "合计 95 与各项之和 93 不符，按 93 计算")}
    assert [p["severity"] for p in data["files"][0]["problems"]] == ["警告"]
    assert records(ledger)["合计"].tolist() == [93.0, 88.5, 83.5]


def test_every_score_problem_of_a_file_in_one_run(ledger: Path, tmp_path: Path, runner) -> None:
    rows = [
        Row("ZP001", "张三", {"RJ1": 16, "RJ2": -1, "RJ3": "好", "RJ4": 7.3, "RJ5": "5.5"}),
        Row("ZP002", "李明", {"XF3": None}),
        Row("ZP003", "王芳", {c: None for c in CODES}, total=None),
    ]
    good = save(tmp_path / "二组.xlsx", grid([("ZP011", "赵六")], title="中坪村第二组2026年7月人居环境检查评分表"))
    bad = save(tmp_path / "一组.xlsx", grid(rows))
    code, data = run(runner, ledger, bad, good)
    assert code == 1
    assert status(data) == {"一组.xlsx": "拒绝", "二组.xlsx": "已导入"}
    assert problems(data) == {
        ("一组.xlsx", "Sheet1", "D4", "庭院 得分 16 超过满分 15"),
        ("一组.xlsx", "Sheet1", "E4", "客厅 得分 -1 不能小于 0"),
        ("一组.xlsx", "Sheet1", "F4", "厨房 得分“好”不是数字"),
        ("一组.xlsx", "Sheet1", "G4", "卧室 得分 7.3 不符合打分步长 0.5"),
        ("一组.xlsx", "Sheet1", "H4", "厕所 得分 5.5 超过满分 5"),
        ("一组.xlsx", "Sheet1", "K6", "遵纪守法 没有打分"),
        ("一组.xlsx", "Sheet1", "B7", "王芳（ZP003）没有打分，按本月未检查处理"),
    }
    assert records(ledger)["户号"].tolist() == ["ZP011"]  # the good file is written, the bad one not at all
    result = text_run(runner, ledger, bad)
    assert result.exit_code == 1
    assert "一组.xlsx / Sheet1 / D4: 庭院 得分 16 超过满分 15" in result.stderr
    assert "一组.xlsx / Sheet1 / F4: 厨房 得分“好”不是数字" in result.stderr
    assert "1 个文件未导入" in result.stdout


def test_a_household_left_blank_is_skipped_with_a_warning(ledger: Path, tmp_path: Path, runner) -> None:
    rows = [Row("ZP001", "张三"), Row("ZP002", "李明", {c: None for c in CODES}, total=None)]
    path = save(tmp_path / "一组.xlsx", grid(rows))
    code, data = run(runner, ledger, path)
    assert code == 0, data
    assert problems(data) == {("一组.xlsx", "Sheet1", "B6", "李明（ZP002）没有打分，按本月未检查处理")}
    # recorded as listed but not inspected: no score, no total (never a 0), so the month knows it was not forgotten
    frame = records(ledger)
    assert frame["户号"].tolist() == ["ZP001", "ZP002"]
    blank = frame[frame["户号"] == "ZP002"].iloc[0]
    assert all(str(blank[c]).strip() in ("", "None", "nan") for c in frame.columns if c.split(" ")[0] in CODES)
    assert str(blank["合计"]).strip() in ("", "None", "nan")
    # a 补查 sheet for the household later that month is its inspection, not a conflict
    later = save(tmp_path / "补查.xlsx", grid([Row("ZP002", "李明")], title="中坪村第一组2026年7月补查表"))
    code, data = run(runner, ledger, later)
    assert code == 0, data
    assert scores_of(ledger, "ZP002") == DEFAULT_SCORES
    assert records(ledger)["户号"].tolist() == ["ZP001", "ZP002"]


def test_the_quarter_and_the_year_end_review_of_one_month_are_both_kept(tmp_path: Path, runner) -> None:
    from conftest import add_households, household
    from villagectl.ledger.create import create_ledger

    ledger = tmp_path / "桃溪村.xlsx"
    create_ledger(ledger, "桃溪村", "base140")
    add_households(ledger, [household("101", "陈世荣", "第一组")])
    quarter = tmp_path / "四季度.xlsx"
    review = tmp_path / "年度评议.xlsx"
    for path, header, values in ((quarter, ["户号", "户主", "环境整治", "文明新风"], [38, 36.5]),
                                 (review, ["户号", "户主", "党的建设", "民生保障", "遵纪守法"], [20, 18, 19])):
        wb = openpyxl.Workbook()
        wb.active.append(["桃溪村2025年12月评分"])
        wb.active.append(header)
        wb.active.append(["101", "陈世荣", *values])
        wb.save(path)
    for path in (quarter, review):
        code, data = run(runner, ledger, path, "--month", "2025-12")
        assert code == 0, data
    row = records(ledger).iloc[0]
    got = {c.split(" ")[0]: float(row[c]) for c in records(ledger).columns if c.split(" ")[0] in ("HJ", "WM", "DJ", "MS", "ZF")}
    assert got == {"HJ": 38.0, "WM": 36.5, "DJ": 20.0, "MS": 18.0, "ZF": 19.0}


# --------------------------------------------------------------------------- duplicates


def test_the_same_household_twice_in_a_file(ledger: Path, tmp_path: Path, runner) -> None:
    same_sheet = grid([("ZP001", "张三"), ("ZP002", "李明"), ("ZP001", "张三")], blank_after=())
    path = save(tmp_path / "一组.xlsx", same_sheet, grid([(None, "李明")], id_col=False), names=["甲", "乙"])
    code, data = run(runner, ledger, path)
    assert code == 1
    assert problems(data) == {
        ("一组.xlsx", "甲", "B6", "张三（ZP001）在本文件中出现两次（另一处在 B4）"),
        ("一组.xlsx", "乙", "B4", "李明（ZP002）在本文件中出现两次（另一处在 甲 / B5）"),
    }
    assert records(ledger).empty


def test_the_same_household_in_two_files_for_the_same_month(ledger: Path, tmp_path: Path, runner) -> None:
    a = save(tmp_path / "一组a.xlsx", grid([("ZP001", "张三")]))
    b = save(tmp_path / "一组b.xlsx", grid([("ZP002", "李明"), Row("ZP001", "张三", {"RJ1": 10})]))
    c = save(tmp_path / "一组8月.xlsx", grid([("ZP001", "张三")], title="中坪村第一组2026年8月人居环境检查评分表"))
    code, data = run(runner, ledger, a, b, c)
    assert code == 1
    assert status(data) == {"一组a.xlsx": "已导入", "一组b.xlsx": "拒绝", "一组8月.xlsx": "已导入"}
    assert problems(data) == {
        ("一组b.xlsx", "Sheet1", "B6", "张三（ZP001）2026-07 的得分在 一组a.xlsx / Sheet1 / B4 中也有")}
    frame = records(ledger)
    assert list(zip(frame["月份"], frame["户号"], frame["来源文件"])) == [
        ("2026-07", "ZP001", "一组a.xlsx"), ("2026-08", "ZP001", "一组8月.xlsx")]


# --------------------------------------------------------------------------- month


@pytest.mark.parametrize(
    "file_name, title, args, message",
    [
        ("一组.xlsx", TITLE, ("--month", "2026-08"),
         "Sheet1 的标题写的是 2026-07，与 --month 2026-08 不符；请核对是不是发错了月份"),
        ("一组2026年8月.xlsx", TITLE, (), "月份不一致（Sheet1 的标题 2026-07、文件名 2026-08），请用 --month 指定"),
        ("一组8月.xlsx", TITLE, (), "月份不一致（Sheet1 的标题 2026-07、文件名 2026-08），请用 --month 指定"),
        ("一组.xlsx", "中坪村第一组人居环境检查评分表", (), "标题和文件名里都找不到月份，请用 --month 指定（如 --month 2026-07）"),
    ],
    ids=["option-vs-title", "title-vs-file-name", "title-vs-file-name-without-year", "no-month"],
)
def test_month_problems(ledger: Path, tmp_path: Path, runner, file_name, title, args, message) -> None:
    path = save(tmp_path / file_name, grid(title=title))
    before = ledger.read_bytes()
    code, data = run(runner, ledger, path, *args)
    assert code == 1
    assert problems(data) == {(file_name, "", "", message)}
    assert ledger.read_bytes() == before


@pytest.mark.parametrize(
    "file_name, title, args, month",
    [
        ("一组.xlsx", "中坪村第一组2026年7月人居环境检查评分表", (), "2026-07"),
        ("一组 2026-09.xlsx", "中坪村第一组检查评分表", (), "2026-09"),
        ("一组九月.xlsx", "中坪村第一组检查评分表", ("--date", "2026-09-30"), "2026-09"),
        ("一组.xlsx", "中坪村第一组检查评分表", ("--month", "2026-10"), "2026-10"),
        ("一组.xlsx", "中坪村第一组10月检查评分表", ("--month", "2026-10"), "2026-10"),
        ("一组２０２６年１１月.xlsx", None, (), "2026-11"),
    ],
    ids=["title", "file-name", "file-name-chinese-month", "option", "option-and-title", "file-name-full-width"],
)
def test_month_from_title_file_name_or_option(ledger: Path, tmp_path: Path, runner, file_name, title, args,
                                              month) -> None:
    path = save(tmp_path / file_name, grid(title=title))
    code, data = run(runner, ledger, path, *args)
    assert code == 0, data
    assert problems(data) == set()
    assert set(records(ledger)["月份"]) == {month}


def test_december_sheets_imported_in_january(ledger: Path, tmp_path: Path, runner) -> None:
    """A month written without its year takes the year written in the sheet, or that of --month."""
    a = save(tmp_path / "一组12月.xlsx", grid(title="中坪村第一组2026年12月人居环境检查评分表", footer=None))
    b = save(tmp_path / "二组12月.xlsx",
             grid([("ZP011", "赵六")], title="中坪村第二组12月人居环境检查评分表", footer=None))
    code, data = run(runner, ledger, a, "--date", "2027-01-05")
    assert code == 0, data
    code, data = run(runner, ledger, b, "--date", "2027-01-05", "--month", "2026-12")
    assert code == 0, data
    assert set(records(ledger)["月份"]) == {"2026-12"}


# --------------------------------------------------------------------------- files


def test_bad_files_are_refused_and_good_files_still_imported(ledger: Path, tmp_path: Path, runner) -> None:
    (tmp_path / "空.xlsx").write_bytes(b"")
    (tmp_path / "坏.xlsx").write_bytes(b"PK\x03\x04garbage-truncated")
    (tmp_path / "照片.xls").write_bytes("这不是表格".encode())
    no_table = tmp_path / "无表.xlsx"
    wb = openpyxl.Workbook()
    wb.active.append(["2026年7月 随便写点"])
    wb.save(no_table)
    good = save(tmp_path / "一组.xlsx", grid())
    code, data = run(runner, ledger, tmp_path / "空.xlsx", tmp_path / "坏.xlsx", tmp_path / "照片.xls", no_table, good)
    assert code == 1
    assert data["written"] is True
    assert status(data) == {"空.xlsx": "拒绝", "坏.xlsx": "拒绝", "照片.xls": "拒绝", "无表.xlsx": "拒绝",
                            "一组.xlsx": "已导入"}
    assert problems(data) == {
        ("空.xlsx", "", "", "文件是空的（0 字节），请让填表人重新发送"),
        ("坏.xlsx", "", "", "文件已损坏，无法打开（可能没有传完整），请让填表人重新发送"),
        ("照片.xls", "", "", "不是电子表格文件（不是 xlsx、xls 或 ods），请检查是否发错了文件"),
        ("无表.xlsx", "", "", "文件里没有找到检查表（表头要有“户号”或“户主”列和检查项列）"),
    }
    assert records(ledger)["户号"].tolist() == ["ZP001", "ZP002"]
    result = text_run(runner, ledger, tmp_path / "空.xlsx")
    assert result.exit_code == 1
    assert "空.xlsx: 文件是空的（0 字节），请让填表人重新发送" in result.stderr
    assert "Traceback" not in result.stdout + result.stderr


def test_dry_run_writes_nothing(ledger: Path, tmp_path: Path, runner) -> None:
    path = save(tmp_path / "一组.xlsx", grid())
    before = ledger.read_bytes()
    code, data = run(runner, ledger, path, "--dry-run")
    assert code == 0, data
    assert data["dry_run"] is True and data["written"] is False
    assert data["files"][0]["households"] == 2 and data["files"][0]["new"] == 2
    result = text_run(runner, ledger, path, "--dry-run")
    assert result.exit_code == 0
    assert "将导入" in result.stdout and "（试运行，台账未改动）" in result.stdout
    assert ledger.read_bytes() == before


def test_report_workbook_lists_every_problem(ledger: Path, tmp_path: Path, runner) -> None:
    bad = save(tmp_path / "一组.xlsx", grid([Row("ZP001", "张三", {"RJ1": 16}), Row("ZP002", "李明", {"RJ2": "九"})]))
    warned = save(tmp_path / "二组.xlsx", grid([Row("ZP011", "赵六", total=1)],
                                               title="中坪村第二组2026年7月人居环境检查评分表"))
    (tmp_path / "空.xlsx").write_bytes(b"")
    report = tmp_path / "问题清单.xlsx"
    code, data = run(runner, ledger, bad, warned, tmp_path / "空.xlsx", "--report", report)
    assert code == 1
    assert data["report"] == str(report)
    wb = openpyxl.load_workbook(report)
    rows = list(wb["问题清单"].iter_rows(values_only=True))
    assert rows[1] == ("文件", "工作表", "单元格", "问题", "类别")
    assert rows[2:] == [
        ("一组.xlsx", "Sheet1", "D4", "庭院 得分 16 超过满分 15", "错误"),
        ("一组.xlsx", "Sheet1", "E6", "客厅 得分“九”不是数字", "错误"),
        ("二组.xlsx", "Sheet1", "R4", "合计 1 与各项之和 93 不符，按 93 计算", "警告"),
        ("空.xlsx", None, None, "文件是空的（0 字节），请让填表人重新发送", "错误"),
    ]
    summary = list(wb["文件汇总"].iter_rows(values_only=True))
    assert summary[1:] == [
        ("一组.xlsx", "2026-07", None, 0, "拒绝", 2),
        ("二组.xlsx", "2026-07", "第二组", 1, "已导入", 0),
        ("空.xlsx", None, None, 0, "拒绝", 1),
    ]


def test_report_workbook_shows_how_the_headers_were_read(ledger: Path, tmp_path: Path, runner) -> None:
    path = save(tmp_path / "一组.xlsx", grid(labels={"TJ1": "孝敬老人"}, extra=("存在问题",)))
    report = tmp_path / "读法.xlsx"
    code, data = run(runner, ledger, path, "--dry-run", "--report", report)
    assert code == 0, data
    rows = list(openpyxl.load_workbook(report)["表头读法"].iter_rows(values_only=True))
    assert rows[0] == ("文件", "工作表", "单元格", "表头", "认作", "确定程度", "依据")
    read = [r for r in rows[1:] if r[5] != "读表说明"]
    assert [(r[3], r[4], r[5]) for r in read] == [("孝敬老人", "孝老爱亲（TJ1）", "推测")]
    assert any(r[5] == "读表说明" and "存在问题" in r[6] for r in rows[1:])


# --------------------------------------------------------------------------- importing again


def test_importing_the_same_content_again_changes_nothing(ledger: Path, tmp_path: Path, runner) -> None:
    original = save(tmp_path / "一组.xlsx", grid([Row("ZP001", "张三", {"RJ1": "=10+2"}), Row("ZP002", "李明")]))
    code, data = run(runner, ledger, original)
    assert code == 0, data
    before = ledger.read_bytes()
    copy = tmp_path / "一组（副本）.xlsx"
    shutil.copy(original, copy)
    resaved = tmp_path / "一组重存.xlsx"
    openpyxl.load_workbook(original).save(resaved)
    as_xls = save(tmp_path / "一组.xls", grid([Row("ZP001", "张三", {"RJ1": 12}), Row("ZP002", "李明")]))
    for path in (original, copy, resaved, as_xls):
        code, data = run(runner, ledger, path)
        assert code == 0, data
        assert status(data) == {path.name: "未变"}
        assert data["written"] is False
        result = text_run(runner, ledger, path)
        assert result.exit_code == 0
        assert "内容与已导入的相同，台账没有改动。" in result.stdout
        assert ledger.read_bytes() == before


def test_changed_scores_for_a_month_need_replace(ledger: Path, tmp_path: Path, runner) -> None:
    first = save(tmp_path / "一组.xlsx", grid())
    assert run(runner, ledger, first)[0] == 0
    second = save(tmp_path / "一组改.xlsx", grid([Row("ZP001", "张三", {"RJ1": 12}), Row("ZP002", "李明")]))
    before = ledger.read_bytes()
    code, data = run(runner, ledger, second)
    assert code == 1
    assert problems(data) == {
        ("一组改.xlsx", "Sheet1", "B4", "张三（ZP001）2026-07 已由 一组.xlsx 导入、得分不同；要替换请加 --replace")}
    assert ledger.read_bytes() == before
    code, data = run(runner, ledger, second, "--replace")
    assert code == 0, data
    assert (data["files"][0]["new"], data["files"][0]["replaced"]) == (0, 1)
    assert scores_of(ledger, "ZP001") == DEFAULT_SCORES | {"RJ1": 12}
    frame = records(ledger)
    assert len(frame) == 2
    assert dict(zip(frame["户号"], frame["来源文件"])) == {"ZP001": "一组改.xlsx", "ZP002": "一组.xlsx"}
    assert dict(zip(frame["户号"], frame["合计"])) == {"ZP001": 90.5, "ZP002": 93.0}


def test_replacing_a_scored_month_asks_to_score_it_again(ledger: Path, tmp_path: Path, runner) -> None:
    assert run(runner, ledger, save(tmp_path / "一组.xlsx", grid()))[0] == 0
    assert invoke(runner, "score", "month", ledger, "--month", "2026-07").exit_code == 0  # 草稿, not posted
    changed = save(tmp_path / "一组改.xlsx", grid([Row("ZP002", "李明", {"RJ3": 6})]))
    code, data = run(runner, ledger, changed, "--replace")
    assert code == 0, data
    assert data["months_to_rescore"] == ["2026-07"]
    assert scores_of(ledger, "ZP002")["RJ3"] == 6
    assert scores_of(ledger, "ZP001") == DEFAULT_SCORES


def test_a_posted_month_refuses_changed_scores(ledger: Path, tmp_path: Path, runner) -> None:
    from villagectl.actions.post_month import post_month

    path = save(tmp_path / "一组.xlsx", grid())
    assert run(runner, ledger, path)[0] == 0
    assert invoke(runner, "score", "month", ledger, "--month", "2026-07").exit_code == 0
    from villagectl.actions.session import Session

    post_month(Session(ledger, today=dt.date(2026, 8, 1)), "2026-07", force=True, reason="测试", allow_missing=True)
    before = ledger.read_bytes()
    changed = save(tmp_path / "一组改.xlsx", grid([Row("ZP001", "张三", {"RJ1": 12})]))
    code, data = run(runner, ledger, changed, "--replace")
    assert code == 1
    # a posted month takes only households without a score (补录, tests/test_supplement.py); a changed score
    # is a correction, with its own notice
    assert problems(data) == {("一组改.xlsx", "Sheet1", "B4", "张三（ZP001）2026-07 已入账，得分由 一组.xlsx 导入、与本表不同；"
                               "入账后的得分不能用检查表替换，要更正请用 villagectl score adjust --month 2026-07 "
                               "--household ZP001 --after-post")}
    assert ledger.read_bytes() == before
    assert scores_of(ledger, "ZP001") == DEFAULT_SCORES


# --------------------------------------------------------------------------- round trip with the forms


def test_generated_forms_filled_in_import_without_any_problem(ledger: Path, tmp_path: Path, runner) -> None:
    out = tmp_path / "检查表"
    result = invoke(runner, "inspect", "forms", ledger, "--month", "2026-08", "-o", out)
    assert result.exit_code == 0, result.stderr
    forms = sorted(out.glob("*.xlsx"))
    assert len(forms) == 3
    expected: dict[str, dict[str, float]] = {}
    for path in forms:
        wb = openpyxl.load_workbook(path)
        ws = wb.worksheets[0]
        r = 4
        while ws.cell(r, 2).value:
            hid = ws.cell(r, 2).value
            scores = {code: top - 0.5 * ((r + k) % 3) for k, (code, _, _, top) in enumerate(ITEMS)}
            for k, code in enumerate(CODES):
                ws.cell(r, 4 + k, scores[code])
            ws.cell(r, 19, "已整改" if r == 4 else None)
            expected[hid] = scores
            r += 1
        ws.cell(r + 1, 1, "检查人：李四    户主确认：张三    日期：2026年8月22日")
        wb.save(path)
    code, data = run(runner, ledger, out)
    assert code == 0, data
    assert problems(data) == set()  # no errors and no warnings
    assert sorted(status(data).values()) == ["已导入"] * 3
    assert len(expected) == len(HOUSEHOLDS)
    for hid, scores in expected.items():
        assert scores_of(ledger, hid, "2026-08") == scores


def test_a_household_added_after_printing_goes_on_a_spare_row(ledger: Path, tmp_path: Path, runner) -> None:
    """Forms have spare rows (户号/户主 open) and allow inserting rows; a page footer for the signature (issue 14 §7)."""
    out = tmp_path / "检查表"
    assert invoke(runner, "inspect", "forms", ledger, "--month", "2026-08", "-o", out).exit_code == 0
    path = next(p for p in sorted(out.glob("*.xlsx")) if "第一组" in p.name)
    wb = openpyxl.load_workbook(path)
    ws = wb.worksheets[0]
    assert ws.protection.sheet and not ws.protection.insertRows  # protected, but rows may be inserted
    assert "签字" in ws.oddFooter.left.text  # on every printed page
    r = 4
    while ws.cell(r, 2).value:
        for k in range(len(CODES)):
            ws.cell(r, 4 + k, DEFAULT_SCORES[CODES[k]])
        r += 1
    assert not ws.cell(r, 2).protection.locked and not ws.cell(r, 3).protection.locked  # a spare row
    ws.cell(r, 2, "ZP005")
    ws.cell(r, 3, "孙七")
    for k in range(len(CODES)):
        ws.cell(r, 4 + k, DEFAULT_SCORES[CODES[k]])
    wb.save(path)
    add_households(ledger, HOUSEHOLDS + [household("ZP005", "孙七", "第一组")])  # 分户 after the forms were printed
    code, data = run(runner, ledger, path)
    assert code == 0, data
    assert scores_of(ledger, "ZP005", "2026-08") == DEFAULT_SCORES


# --- the matcher's memory, dashes, hidden columns ---------------------------------------------


def set_setting(ledger: Path, key: str, value: str) -> None:
    book = Ledger.open(ledger)
    settings = book.frame("参数").copy()
    settings.loc[settings["键"] == key, "值"] = value
    book.replace("参数", settings)
    book.save("test-setup")


def test_headers_read_by_evidence_are_remembered_in_the_header_map(ledger: Path, tmp_path: Path, runner) -> None:
    labels = {"TJ1": "孝敬老人", "CY2": "外出务工就业", "XF3": "遵规守法"}
    path = save(tmp_path / "一组.xlsx", grid(labels=labels))
    code, data = run(runner, ledger, path)
    assert code == 0, data
    mapping = {m["header"]: m["code"] for m in data["files"][0]["mapping"]}
    assert mapping == {"孝敬老人": "TJ1", "外出务工就业": "CY2", "遵规守法": "XF3"}
    learned = Ledger.open(ledger).frame("表头对照")
    assert dict(zip(learned["表头文字"], learned["编码"])) == mapping
    assert set(learned["次数"].astype(int)) == {1}
    # next time the remembered headers are exact: nothing left to explain
    other = save(tmp_path / "一组8月.xlsx", grid(labels=labels, title="中坪村第一组2026年8月检查评分表"))
    code, data = run(runner, ledger, other)
    assert code == 0, data
    assert data["files"][0]["mapping"] == []


def test_a_corrected_header_map_row_wins(ledger: Path, tmp_path: Path, runner) -> None:
    # the clerk says: in this village 院坝卫生 is the courtyard
    book = Ledger.open(ledger)
    book.replace("表头对照", pd.DataFrame([{"表头文字": "院坝卫生（15分）", "编码": "RJ1", "项目": "庭院",
                                            "首次见于": "手填", "次数": 1}], dtype=object))
    book.save("test-setup")
    path = save(tmp_path / "一组.xlsx", grid(labels={"RJ1": "院坝卫生（15分）"}))
    code, data = run(runner, ledger, path)
    assert code == 0, data
    assert scores_of(ledger, "ZP001")["RJ1"] == 14.5


def test_check_reports_a_header_map_row_with_an_unknown_code(ledger: Path, runner) -> None:
    book = Ledger.open(ledger)
    book.replace("表头对照", pd.DataFrame([{"表头文字": "院坝", "编码": "RJ9", "项目": "", "首次见于": "", "次数": 1}],
                                          dtype=object))
    book.save("test-setup")
    result, data = invoke_json(runner, "check", ledger)
    assert result.exit_code == 1
    messages = [(p["sheet"], p["cell"], p["message"]) for p in data["problems"]]
    assert ("表头对照", "B2", "编码“RJ9”不是“规则”表里的检查项；请改成正确的编码，或删掉这一行（导入时会重新认）") in messages


@pytest.mark.parametrize("dash_is_zero", [False, True])
def test_a_dash_is_zero_only_where_the_village_says_so(ledger: Path, tmp_path: Path, runner, dash_is_zero) -> None:
    g = grid()
    g.rows[3][g.rows[2].index("厕所(5分)") if "厕所(5分)" in g.rows[2] else 7] = "—"
    path = save(tmp_path / "一组.xlsx", g)
    if dash_is_zero:
        set_setting(ledger, "短横记零分", "是")
    code, data = run(runner, ledger, path)
    if dash_is_zero:
        assert code == 0, data
        assert 0.0 in scores_of(ledger, "ZP001").values()
    else:
        assert code == 1
        (p,) = [p for p in data["files"][0]["problems"] if p["severity"] == "错误"]
        assert p["cell"].endswith("4") and "不是数字" in p["message"] and "短横记零分" in p["message"]


def test_a_hidden_column_of_id_numbers_is_skipped_with_a_note(ledger: Path, tmp_path: Path, runner) -> None:
    g = grid(extra=("身份证号",))
    col = g.rows[2].index("身份证号")
    for row in g.rows[3:5]:
        row[col] = "41010219800101123X"
    path = save(tmp_path / "一组.xlsx", g)
    wb = openpyxl.load_workbook(path)
    wb.active.column_dimensions[openpyxl.utils.get_column_letter(col + 1)].hidden = True
    wb.save(path)
    code, data = run(runner, ledger, path)
    assert code == 0, data
    assert any("身份证号" in n["message"] for n in data["files"][0]["notes"])
