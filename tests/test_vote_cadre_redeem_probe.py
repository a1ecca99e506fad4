"""Vote tallies, cadre sheets and shop day sheets as villages write them (the probe of the other imports):
counts with a unit, a 优秀/合格/不合格 tally, 实到人数, a partly filled form, abbreviated indicator headers,
a negative-list item with other punctuation, a bracketed unit after an item, one sheet per day."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl
import pandas as pd

from villagectl.importers import cadre, redeem_day, votes
from villagectl.importers.households_lookup import Roster
from villagectl.io.reader import read_workbook


def _book(path: Path, sheets: dict[str, list[list]], merged: dict[str, list[str]] | None = None):
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for title, rows in sheets.items():
        ws = wb.create_sheet(title)
        for r in rows:
            ws.append(r)
        for rng in (merged or {}).get(title, []):
            ws.merge_cells(rng)
    wb.save(path)
    return read_workbook(path)


ROSTER = Roster(pd.DataFrame([
    {"户号": "ZP001", "户主": "何文华", "组别": "第一组", "状态": "正常"},
    {"户号": "ZP002", "户主": "赵光明", "组别": "第一组", "状态": "正常"},
    {"户号": "ZP003", "户主": "徐卫东", "组别": "第一组", "状态": "正常"},
    {"户号": "ZP004", "户主": "张伟", "组别": "第一组", "状态": "正常"},
    {"户号": "ZP038", "户主": "张伟", "组别": "第三组", "状态": "正常"},
    {"户号": "ZP033", "户主": "林强", "组别": "第三组", "状态": "正常"},
], dtype=object))


def _votes(book, name="计票.xlsx"):
    rows, problems = votes.extract(book, votes.VoteContext(name, ROSTER, 2026))
    return {r["户号"]: (r["投票数"], r["不合格票"]) for r in rows}, problems


def test_three_level_tally_sums_the_levels(tmp_path: Path) -> None:
    book = _book(tmp_path / "v.xlsx", {"Sheet": [
        ["中坪村2026年度文明户评议计票表（第一组）"], ["序号", "户主", "优秀", "合格", "不合格", "不合格率", "备注"],
        [1, "何文华", 11, 15, 1, "4%"], [2, "赵光明", "12票", 15, 2], [3, "徐卫东", 13, 15, None]]})
    got, problems = _votes(book)
    assert got == {"ZP001": (27, 1), "ZP002": (29, 2), "ZP003": (28, 0)}
    notes = [p for p in problems if p.severity == "提醒"]
    assert len(notes) == 1 and "“优秀”“合格”“不合格”各列之和" in notes[0].message
    assert not [p for p in problems if p.severity == "错误"]


def test_two_negative_levels_are_not_guessed(tmp_path: Path) -> None:
    book = _book(tmp_path / "v.xlsx", {"Sheet": [["户主", "合格", "不合格", "不称职"], ["何文华", 11, 1, 2]]})
    got, problems = _votes(book)
    assert got == {}
    assert any(p.severity == "错误" and "不合格" in p.message for p in problems)


def test_attended_count_reads_as_votes_per_group_sheet(tmp_path: Path) -> None:
    book = _book(tmp_path / "v.xlsx", {
        "第一组": [["户主姓名", "应到人数", "实到人数", "不合格"], ["张伟", 50, 45, 2]],
        "第三组": [["户主姓名", "应到人数", "实到人数", "不合格"], ["张伟", 50, 44, 3], ["林强", 50, "四十三", "1票"]]})
    got, problems = _votes(book)
    assert got == {"ZP004": (45, 2), "ZP038": (44, 3), "ZP033": (43, 1)}
    assert [p.message for p in problems if p.severity == "提醒"] == ["“实到人数”列读作投票数"] * 2
    assert not [p for p in problems if p.severity == "错误"]


def test_two_columns_that_may_be_the_votes_are_refused(tmp_path: Path) -> None:
    book = _book(tmp_path / "v.xlsx", {"Sheet": [["户主", "实到人数", "出席人数", "不合格"], ["何文华", 30, 29, 1]]})
    got, problems = _votes(book)
    assert got == {}
    assert any(p.severity == "错误" and "“实到人数”“出席人数”都像投票数" in p.message and p.location.cell == "A1"
               for p in problems)


def test_counts_with_a_unit(tmp_path: Path) -> None:
    book = _book(tmp_path / "v.xlsx", {"Sheet": [["户主", "组别", "投票数", "不合格票"], ["何文华", "第一组", "30票", "1票"],
                                                 ["赵光明", "第一组", "30 票", "正一"]]})
    got, problems = _votes(book)
    assert got == {"ZP001": (30, 1)}
    assert [(p.location.cell, p.message) for p in problems] == [("D3", "不合格票“正一”应为不小于 0 的整数（如 30 或 30票）")]


def test_partly_filled_own_form_skips_blank_households_with_one_note(tmp_path: Path) -> None:
    rows = [["中坪村2026年度村民互评计票表（第一组）"], ["序号", "户号", "户主", "组别", "投票数", "不合格票", "备注"],
            [1, "ZP001", "何文华", "第一组", 35, 1], [2, "ZP002", "赵光明", "第一组", None, None],
            [3, "ZP003", "徐卫东", "第一组", None, None], [4, "ZP004", "张伟", "第一组", 35, None]]
    got, problems = _votes(_book(tmp_path / "v.xlsx", {"互评计票": rows}))
    assert got == {"ZP001": (35, 1)}
    notes = [p for p in problems if p.severity == "提醒"]
    assert len(notes) == 1 and notes[0].message.startswith("有 2 户还没有填票数（赵光明、徐卫东）")
    errors = [p for p in problems if p.severity == "错误"]
    assert [(p.location.cell, p.message[:11]) for p in errors] == [("F6", "这一户的不合格票没有填")]


# --- redemption day sheets ----------------------------------------------------------------------------------------

from villagectl.ledger.redemptions import catalogue_item, parse_qty  # noqa: E402


def test_quantities_in_chinese_numerals() -> None:
    assert parse_qty("两条") == (2.0, None) and parse_qty("三个") == (3.0, None) and parse_qty("十二包") == (12.0, None)
    assert parse_qty("1瓶") == (1.0, None)
    assert parse_qty("几个")[1] == "数量“几个”不是数字"


def test_bracketed_unit_matches_one_catalogue_item() -> None:
    names = ["洗洁精", "毛巾", "大米(10斤)", "大米(25斤)", "香皂"]
    assert catalogue_item("洗洁精（瓶）", names) == ("洗洁精", "（瓶）")
    assert catalogue_item("洗洁精", names) == (None, "")  # as written: nothing to say
    assert catalogue_item("大米（袋）", names) == (None, "")  # two catalogue items: never guessed
    assert catalogue_item("大米（10斤）", names) == (None, "")  # 大米(10斤) as written (NFKC)
    assert catalogue_item("电饭锅（台）", names) == (None, "")


def test_each_sheet_keeps_its_own_title_date(tmp_path: Path) -> None:
    book = _book(tmp_path / "d.xlsx", {
        "8.10": [["2026年8月10日兑换"], ["户主", "物品", "数量"], ["朱国强", "香皂", 1]],
        "8.11": [["2026年8月11日兑换"], ["户主", "物品", "数量"], ["吴长青", "牙膏", "两支"]],
        "2026.8.12": [["户主", "物品", "数量"], ["何刚", "酱油", 1]]})
    day = redeem_day.read_day_sheet(book, "d.xlsx")
    assert [(l.sheet, l.title_date) for l in day.lines] == [
        ("8.10", dt.date(2026, 8, 10)), ("8.11", dt.date(2026, 8, 11)), ("2026.8.12", dt.date(2026, 8, 12))]
    assert day.title_date == dt.date(2026, 8, 10)


def test_redeem_import_dates_per_sheet_and_bracketed_unit(tmp_path: Path) -> None:
    import shutil

    from conftest import invoke_json

    import villagectl.cli.shop_commands  # noqa: F401
    from typer.testing import CliRunner
    from villagectl.demo import build_samples
    from villagectl.ledger.workbook import Ledger

    ledger = Path(build_samples(tmp_path / "村")["ledger"])
    path = tmp_path / "每天一张.xlsx"
    _book(path, {"8.10": [["2026年8月10日兑换"], ["户主", "物品", "数量"], ["朱国强", "香皂", 1]],
                 "8.11": [["2026年8月11日兑换"], ["日期", "户主", "物品", "数量"], ["8月12号", "吴长青", "洗洁精（瓶）", "一瓶"],
                          [None, "马艳", "毛巾", "两条"]]})
    result, data = invoke_json(CliRunner(), "redeem", "import", ledger, path, "--no-print")
    assert result.exit_code == 0, data
    frame = Ledger.open(ledger).frame("兑换记录")
    got = sorted((str(d)[:10], clean(h), clean(i), float(q)) for d, h, i, q in
                 zip(frame["日期"], frame["户主"], frame["物品"], frame["数量"]))
    assert ("2026-08-10", "朱国强", "香皂", 1.0) in got
    assert ("2026-08-12", "吴长青", "洗洁精", 1.0) in got
    assert ("2026-08-11", "马艳", "毛巾", 2.0) in got
    assert any("“洗洁精（瓶）”按商品表的“洗洁精”兑换（去掉了括号里的“（瓶）”）" in w for w in data["warnings"])
    shutil.rmtree(tmp_path / "村", ignore_errors=True)


def clean(value) -> str:
    from villagectl.values import clean_text

    return clean_text(value)
