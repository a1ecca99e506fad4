"""Inspection sheets from villages we had not seen (a probe of 78 new sheets, December 2026): the month a title
names, a quarter's sheet, a month on a line of the header block, a column about the household, a blank form sent
back, two columns for one item."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest

from conftest import invoke_json
from test_inspect_import import GROUP1, Row, grid, ledger, records, save, scores_of  # noqa: F401  (ledger: fixture)
from villagectl.demo import build_base140_samples
from villagectl.ledger.workbook import Ledger
from villagectl.values import find_period_month, find_quarter, find_year


def imported(runner, ledger: Path, *files: Path, args: tuple = ()):
    result, data = invoke_json(runner, "inspect", "import", ledger, *files, *args)
    return result.exit_code, data


def errors(data) -> list[tuple[str, str]]:
    return [(p["cell"], p["message"]) for f in data["files"] for p in f["problems"] if p["severity"] == "错误"]


# --- the month a title names ------------------------------------------------------------------------------------

@pytest.mark.parametrize("title, month", [
    ("中坪村2026年3组8月份检查评分表", "2026-08"),  # 3组 is a group, not March
    ("2026年1组8月", "2026-08"),
    ("第三组2026年八月份检查评分表", "2026-08"),
    ("中坪村一组二〇二六年八月份检查评分", "2026-08"),
    ("检查时间：2026年8月22日", "2026-08"),
    ("四组2026.08", "2026-08"),
    ("2026_08 二组", "2026-08"),
    ("2026年12月份", "2026-12"),
    ("二组 2027年2季度日常积分", None),  # a quarter is no month
    ("补查时间：2026年2月3日（1月补查）", "2026-01"),
])
def test_the_month_a_title_names(title, month) -> None:
    assert find_period_month(title, find_year(title)) == month


@pytest.mark.parametrize("title, quarter", [
    ("二组 2027年2季度日常积分", (2027, 2)), ("桃源村第三组2027年第一季度日常积分", (2027, 1)),
    ("2026Q3 评分", (2026, 3)), ("二〇二六年第四季度", (2026, 4)), ("2026年8月", None),
])
def test_the_quarter_a_title_names(title, quarter) -> None:
    assert find_quarter(title) == quarter


def test_a_year_then_a_group_then_the_month_is_that_month(ledger: Path, tmp_path: Path, runner) -> None:
    sheet = save(tmp_path / "一组检查.xlsx", grid(title="中坪村2026年1组7月份检查评分表"))
    code, data = imported(runner, ledger, sheet)
    assert code == 0 and data["files"][0]["month"] == "2026-07"
    assert scores_of(ledger, "ZP001")["RJ1"] == 14.5


def test_the_month_on_a_line_of_the_header_block(ledger: Path, tmp_path: Path, runner) -> None:
    g = grid(title=None, header_row=3)
    g.rows[1][0], g.rows[1][3] = "网格员：赵丽", "检查时间：2026年7月"  # two cells: read as part of the header block
    code, data = imported(runner, ledger, save(tmp_path / "一组检查表.xlsx", g))
    assert code == 0 and data["files"][0]["month"] == "2026-07"


# --- a quarter's sheet (base-140) ---------------------------------------------------------------------------------

@pytest.fixture
def village(tmp_path: Path) -> Path:
    return build_base140_samples(tmp_path / "桃源村")


def quarter_sheet(path: Path, ledger: Path, title: str, scores=(36, 38)) -> tuple[Path, list[str]]:
    households = Ledger.open(ledger).frame("户籍")
    group = households[households["组别"] == "第二组"]
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append([title])
    ws.append(["户号", "户主", "环境整治（40分）", "文明新风（40分）"])
    for hid, name in zip(group["户号"], group["户主"]):
        ws.append([hid, name, *scores])
    wb.save(path)
    return path, list(group["户号"])


@pytest.mark.parametrize("title, month", [
    ("二组 2026年2季度日常积分", "2026-06"), ("桃源村第二组2026年第一季度日常积分", "2026-03"),
])
def test_a_quarter_sheet_is_kept_under_the_quarters_last_month(village: Path, tmp_path: Path, runner, title, month) -> None:
    path, ids = quarter_sheet(tmp_path / "二组季度.xlsx", village, title)
    code, data = imported(runner, village, path)
    assert code == 0, errors(data)
    assert data["files"][0]["month"] == month
    notes = [p["message"] for p in data["files"][0]["notes"]]
    assert any(f"按 {month} 导入（季度的得分记在季度的最后一个月）" in m for m in notes)
    frame = records(village)
    rows = frame[(frame["月份"] == month) & frame["户号"].isin(ids)]
    assert len(rows) == len(ids) and set(rows["HJ 环境整治"].astype(float)) == {36.0}


def test_a_quarter_sheet_in_a_monthly_village_needs_its_month(ledger: Path, tmp_path: Path, runner) -> None:
    code, data = imported(runner, ledger, save(tmp_path / "一组.xlsx", grid(title="中坪村第一组2026年第三季度检查评分表")))
    assert code == 1
    assert ("", "标题和文件名里都找不到月份，请用 --month 指定（如 --month 2026-07）") in errors(data)


# --- columns that are not items, and two columns for one item ------------------------------------------------------

def test_a_column_about_the_household_is_never_an_item(ledger: Path, tmp_path: Path, runner) -> None:
    g = grid(extra=("家庭人口", "在家人数"))
    for row in g.rows:
        if row[1] in ("ZP001", "ZP002"):
            at = g.rows[2].index("家庭人口")
            row[at], row[at + 1] = 3, 2  # small numbers, inside the items' range
    code, data = imported(runner, ledger, save(tmp_path / "一组.xlsx", g))
    assert code == 0, errors(data)
    assert scores_of(ledger, "ZP002")["TJ2"] == 4.5


def test_two_columns_for_one_item_are_named_as_such(ledger: Path, tmp_path: Path, runner) -> None:
    g = grid(extra=("院子卫生",))
    at = g.rows[2].index("院子卫生")
    for row in g.rows[3:]:
        if row[1] in ("ZP001", "ZP002"):
            row[at] = 12
    code, data = imported(runner, ledger, save(tmp_path / "一组.xlsx", g))
    assert code == 1
    (cell, message), = errors(data)
    assert message.startswith("列“院子卫生”和 D 列“庭院(15分)”看上去都是检查项“庭院”；一个检查项只能有一列")


# --- a blank form sent back ----------------------------------------------------------------------------------------

def test_a_blank_form_sent_back_is_not_imported(ledger: Path, tmp_path: Path, runner) -> None:
    blank = grid(rows=[Row("ZP001", "张三", scores={c: None for c in ("RJ1", "RJ2", "RJ3", "RJ4", "RJ5", "XF1", "XF2",
                                                                   "XF3", "XS1", "XS2", "CY1", "CY2", "TJ1", "TJ2")},
                           total=None),
                       Row("ZP002", "李明", scores={c: None for c in ("RJ1", "RJ2", "RJ3", "RJ4", "RJ5", "XF1", "XF2",
                                                                   "XF3", "XS1", "XS2", "CY1", "CY2", "TJ1", "TJ2")},
                           total=None)])
    before = len(records(ledger))
    code, data = imported(runner, ledger, save(tmp_path / "一组空白.xlsx", blank))
    assert code == 1 and data["files"][0]["status"] != "已导入"
    assert errors(data) == [("", "表里列出的 2 户一个分数也没有填（是不是交了空白表？），这份表没有导入；"
                                 "填好分数后再导入。这些户这个月确实没有检查的，不用交表")]
    assert len(records(ledger)) == before
    assert GROUP1  # the plain sheet's households, for the reader


# --- a 户号 written with a mark ----------------------------------------------------------------------------------

def test_a_household_id_with_a_hyphen_is_the_household_its_head_confirms(ledger: Path, tmp_path: Path, runner) -> None:
    code, data = imported(runner, ledger, save(tmp_path / "一组.xlsx", grid(rows=[("ZP-001", "张三"), ("ZP.002", "李明")])))
    assert code == 0, errors(data)
    assert [n["message"] for n in data["files"][0]["notes"] if "写法多了或少了" in n["message"]] == [
        "户号 ZP-001 按户籍中的 ZP001（张三）计分（写法多了或少了连字符、点之类的符号，户主相同）",
        "户号 ZP.002 按户籍中的 ZP002（李明）计分（写法多了或少了连字符、点之类的符号，户主相同）"]
    assert scores_of(ledger, "ZP002")["RJ1"] == 14.5


def test_a_household_id_with_a_hyphen_and_another_head_is_still_refused(ledger: Path, tmp_path: Path, runner) -> None:
    code, data = imported(runner, ledger, save(tmp_path / "一组.xlsx", grid(rows=[("ZP-001", "李明"), ("ZP002", "李明")])))
    assert code == 1
    assert any(cell.startswith("B") and message.startswith("户号 ZP-001 不在户籍表中") for cell, message in errors(data))


def test_a_score_typed_with_a_decimal_comma_is_named_at_its_cell(ledger: Path, tmp_path: Path, runner) -> None:
    g = grid(rows=[Row("ZP001", "张三", scores={"RJ1": "11,5", "RJ2": "8,5"}, total=None), ("ZP002", "李明")])
    code, data = imported(runner, ledger, save(tmp_path / "一组.xlsx", g))
    assert code == 1
    got = errors(data)
    assert ("D4", "庭院 得分“11,5”不是数字（小数点请写成“.”，如 11.5）") in got  # never 115 over the maximum
    assert ("E4", "客厅 得分“8,5”不是数字（小数点请写成“.”，如 8.5）") in got


def test_a_sheet_with_households_across_is_named_as_such(ledger: Path, tmp_path: Path, runner) -> None:
    from test_inspect_import import ITEMS, Grid

    rows = [["中坪村第一组2026年7月检查评分表", None, None, None], ["检查项目", "满分", "张三", "李明"]]
    rows += [[item, top, top - 1, top - 0.5] for _, _, item, top in ITEMS]
    code, data = imported(runner, ledger, save(tmp_path / "一组竖排.xlsx", Grid(rows)))
    assert code == 1
    assert errors(data) == [("第2行", "这张表检查项竖排、各户横排（每户占一列），不是单户检查表；请在 Excel/WPS 里转置成每户一行"
                                      "（全选 → 复制 → 在新工作表“选择性粘贴”勾选“转置”）后再导入")]


def test_an_item_column_of_marks_says_what_to_write(village: Path, tmp_path: Path, runner) -> None:
    path, ids = quarter_sheet(tmp_path / "二组季度.xlsx", village, "二组 2026年第二季度日常积分", scores=("合格", "不合格"))
    code, data = imported(runner, village, path)
    assert code == 1
    assert errors(data) == [
        ("C2", "列“环境整治（40分）”是检查项“环境整治”，但格子里写的是文字（如“合格”），不是分数；请写各户的得分（满分 40）"),
        ("D2", "列“文明新风（40分）”是检查项“文明新风”，但格子里写的是文字（如“不合格”），不是分数；请写各户的得分（满分 40）")]


def test_a_note_column_about_an_item_beside_its_scores_is_ignored(ledger: Path, tmp_path: Path, runner) -> None:
    g = grid(extra=("庭院整改情况",))
    at = g.rows[2].index("庭院整改情况")
    for row in g.rows[3:]:
        if row[1] in ("ZP001", "ZP002"):
            row[at] = "柴草已清理"
    code, data = imported(runner, ledger, save(tmp_path / "一组.xlsx", g))
    assert code == 0, errors(data)
    assert scores_of(ledger, "ZP001")["RJ1"] == 14.5
