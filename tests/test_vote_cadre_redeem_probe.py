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


# --- cadre assessment sheets --------------------------------------------------------------------------------------

CADRES = pd.DataFrame([
    {"编号": "GB01", "姓名": "王建国", "职务": "党支部书记", "类别": "村干部", "状态": "在职"},
    {"编号": "GB02", "姓名": "刘振华", "职务": "村委会主任", "类别": "村干部", "状态": "在职"},
    {"编号": "GB03", "姓名": "孙丽", "职务": "村委会副主任", "类别": "村干部", "状态": "在职"},
    {"编号": "GB06", "姓名": "李四", "职务": "村民代表（第一组）", "类别": "村民代表", "状态": "在职"},
], dtype=object)
INDICATORS = pd.DataFrame([
    {"编码": c, "对象": who, "指标": name, "满分": points, "类型": kind, "说明": None}
    for c, who, name, points, kind in [
        ("GB1", "村干部", "落实上级任务要求", 25, "指标"), ("GB2", "村干部", "班子队伍建设", 15, "指标"),
        ("GB3", "村干部", "服务群众成效", 25, "指标"), ("GB4", "村干部", "村庄建设发展", 20, "指标"),
        ("GB5", "村干部", "重点任务推进", 15, "指标"),
        ("DB1", "村民代表", "履行代表义务", 30, "指标"), ("DB2", "村民代表", "服务保障发展", 25, "指标"),
        ("DB3", "村民代表", "支持配合村班子工作", 25, "指标"), ("DB4", "村民代表", "密切联系群众", 20, "指标"),
        ("FM3", "村干部", "坐值班制度执行不严格", 2, "负面扣分"), ("FM5", "村干部", "独断专行拉帮派", 10, "负面扣分"),
        ("FM8", "村干部", "优亲厚友", 5, "负面扣分")]], dtype=object)


def _cadre(book, name="考核.xlsx"):
    parts, problems = cadre.read_cadre_file(book, name, CADRES, INDICATORS, 2026, None, dt.date(2026, 12, 1))
    return {p.kind: p.rows for p in parts}, problems


def test_abbreviated_indicator_headers_are_matched_by_evidence(tmp_path: Path) -> None:
    book = _book(tmp_path / "c.xlsx", {"Sheet": [
        ["村干部年度考核打分表    考核人：王组长"], ["姓名", "职务", "任务落实", "班子建设", "服务群众", "村庄发展", "重点工作"],
        ["王建国", "书记", 24, 14, 23, 19, 13], ["刘振华", "主任", 22, 12, 21, 17, 11]]})
    parts, problems = _cadre(book)
    got = {(r["编号"], r["编码"]): r["得分"] for r in parts["考核评分"]}
    assert got == {("GB01", "GB1"): 24, ("GB01", "GB2"): 14, ("GB01", "GB3"): 23, ("GB01", "GB4"): 19, ("GB01", "GB5"): 13,
                   ("GB02", "GB1"): 22, ("GB02", "GB2"): 12, ("GB02", "GB3"): 21, ("GB02", "GB4"): 17, ("GB02", "GB5"): 11}
    assert {r["考核人"] for r in parts["考核评分"]} == {"王组长"}
    notes = [p for p in problems if p.severity == "提醒"]
    assert len(notes) == 1 and "“任务落实”读作“落实上级任务要求”（推测）" in notes[0].message
    assert not [p for p in problems if p.severity == "错误"]


def test_representative_header_as_the_name_and_a_missing_indicator_is_said(tmp_path: Path) -> None:
    book = _book(tmp_path / "c.xlsx", {"Sheet": [
        ["村民代表考核评分表（上半年）"], ["代表", "履行代表义务(30)", "服务保障发展(25)", "密切联系群众(20)", "考核人"],
        ["李四", 28, 22, 18, "刘振华"]]})
    parts, problems = _cadre(book)
    assert {(r["编号"], r["编码"], r["期间"]): r["得分"] for r in parts["考核评分"]} == {
        ("GB06", "DB1", "上半年"): 28, ("GB06", "DB2", "上半年"): 22, ("GB06", "DB4", "上半年"): 18}
    assert [p.message[:19] for p in problems if p.severity == "警告"] == ["没有找到指标“支持配合村班子工作”的列"]


def test_a_header_two_indicators_share_is_refused_and_an_unknown_score_column_too(tmp_path: Path) -> None:
    book = _book(tmp_path / "c.xlsx", {"Sheet": [
        ["考核人：张镇长"], ["姓名", "落实上级任务要求", "建设", "其他加分"], ["王建国", 24, 14, 3]]})
    parts, problems = _cadre(book)
    errors = {p.location.cell: p.message for p in problems if p.severity == "错误"}
    assert errors["C2"].startswith("表头“建设”分不清是“")
    assert errors["D2"].startswith("表头“其他加分”对不上任何考核指标")


def test_unrecognised_sheet_names_the_headers_and_the_indicators(tmp_path: Path) -> None:
    book = _book(tmp_path / "c.xlsx", {"Sheet": [["花名"], ["花名", "甲项", "乙项"], ["王建国", 1, 2]]})
    parts, problems = _cadre(book)
    assert parts == {}
    skipped = [p.message for p in problems if p.severity == "警告"][0]
    assert "第2行的表头“花名”“甲项”“乙项”看不懂" in skipped and "落实上级任务要求、班子队伍建设" in skipped


def test_negative_item_with_other_punctuation_and_votes_with_a_unit(tmp_path: Path) -> None:
    book = _book(tmp_path / "c.xlsx", {
        "负面": [["村干部负面清单扣分登记表"], ["姓名", "负面行为", "日期", "次数"],
                 ["孙丽", "独断专行、拉帮派", "2026-05-06", 1], ["王建国", "坐值班 制度执行不严格", "2026-03-02", "2次"],
                 ["刘振华", "优亲厚友。", "2026-03-03", "一次"]],
        "评议": [["编号", "姓名", "优秀（票）", "称职（票）", "基本称职（票）", "不称职（票）"], ["GB01", "王建国", "20票", "8票", "1票", "0"]]})
    parts, problems = _cadre(book)
    assert [(r["编号"], r["编码"], r["事项"], r["次数"]) for r in parts["负面记录"]] == [
        ("GB03", "FM5", "独断专行拉帮派", 1), ("GB01", "FM3", "坐值班制度执行不严格", 2), ("GB02", "FM8", "优亲厚友", 1)]
    assert [(r["优秀"], r["称职"], r["基本称职"], r["不称职"]) for r in parts["民主评议"]] == [(20, 8, 1, 0)]
    assert not [p for p in problems if p.severity == "错误"]


def test_a_record_sheet_is_not_taken_for_scores_on_a_guess(tmp_path: Path) -> None:
    book = _book(tmp_path / "c.xlsx", {"Sheet": [
        ["村民代表履职情况登记"], ["代表姓名", "履职事项", "日期", "服务次数"], ["李四", "走访群众", "2026-04-02", 3]]})
    parts, problems = _cadre(book)
    assert "考核评分" not in parts
    assert [(r["编号"], r["事项"]) for r in parts["代表履职"]] == [("GB06", "走访群众")]


# --- review fixes: a bracketed spec is part of the item; summary columns on a score sheet ---------------------------

from villagectl.ledger.redemptions import other_specs  # noqa: E402


def test_a_typed_spec_never_becomes_another_spec_of_the_catalogue() -> None:
    names = ["大米（5斤）", "洗洁精", "毛巾", "食用油(1.8L)"]
    assert catalogue_item("大米（10斤）", names) == (None, "")  # was 大米（5斤）: the bag size swapped
    assert other_specs("大米（10斤）", names) == ["大米（5斤）"]
    assert catalogue_item("食用油（5L）", names) == (None, "") and other_specs("食用油（5L）", names) == ["食用油(1.8L)"]
    assert other_specs("大米（5斤）", names) == [] and other_specs("大米(5斤)", names) == []  # as written (NFKC)
    assert other_specs("洗洁精（瓶）", names) == [] and catalogue_item("洗洁精（瓶）", names) == ("洗洁精", "（瓶）")
    # the plain name is sold and a bracketed spec too: 大米（10斤） is neither, never guessed
    both = ["大米", "大米（5斤）"]
    assert catalogue_item("大米（10斤）", both) == (None, "") and other_specs("大米（10斤）", both) == ["大米（5斤）"]
    assert catalogue_item("大米（袋）", ["大米"]) == ("大米", "（袋）")


def test_redeem_import_refuses_another_spec_naming_the_catalogues(tmp_path: Path) -> None:
    from conftest import invoke_json

    import villagectl.cli.shop_commands  # noqa: F401
    from typer.testing import CliRunner
    from villagectl.demo import build_samples
    from villagectl.ledger.workbook import Ledger

    ledger = Path(build_samples(tmp_path / "村")["ledger"])
    wb = openpyxl.load_workbook(ledger)
    ws = wb["商品"]
    for row in ws.iter_rows(min_row=2):
        if row[0].value == "大米":
            row[0].value = "大米（5斤）"
    wb.save(ledger)
    before = len(Ledger.open(ledger).frame("兑换记录"))
    path = tmp_path / "兑换.xlsx"
    _book(path, {"8.10": [["2026年8月10日兑换"], ["户主", "物品", "数量"], ["朱国强", "大米（10斤）", 1],
                          ["马艳", "毛巾", 1]]})
    result, data = invoke_json(CliRunner(), "redeem", "import", ledger, path, "--no-print")
    assert result.exit_code != 0, data
    assert len(Ledger.open(ledger).frame("兑换记录")) == before
    assert [(p["sheet"], p["cell"], p["severity"], p["message"]) for p in data["problems"]] == [
        ("8.10", "B3", "错误", "商品表里没有“大米（10斤）”，商品表里有 大米（5斤）（括号里的规格不同，不是同一种商品）；"
                              "请把物品改成商品表里的名称，如“大米（5斤）”，确是这个规格的话先在商品表里加上“大米（10斤）”")]


def test_summary_columns_of_a_score_sheet_are_skipped_with_a_note(tmp_path: Path) -> None:
    book = _book(tmp_path / "c.xlsx", {"Sheet": [
        ["村干部年度考核打分表  考核人：王组长"],
        ["姓名", "落实上级任务要求", "班子队伍建设", "服务群众成效", "村庄建设发展", "重点任务推进", "总分", "平均分", "得分率", "名次"],
        ["王建国", 24, 14, 23, 19, 13, 93, 18.6, "93%", 1], ["刘振华", 22, 12, 21, 17, 11, 83, 16.6, "83%", 2]]})
    parts, problems = _cadre(book)
    assert len(parts["考核评分"]) == 10
    assert {r["编码"] for r in parts["考核评分"]} == {"GB1", "GB2", "GB3", "GB4", "GB5"}
    assert [(p.severity, p.location.cell, p.message) for p in problems] == [
        ("提醒", "G2", "“总分”“平均分”“得分率”“名次”是汇总的列（由各指标得分算出或排出），没有导入；导入的是各指标的得分")]


def test_an_unknown_column_names_only_the_indicators_of_the_sheets_object(tmp_path: Path) -> None:
    book = _book(tmp_path / "c.xlsx", {"Sheet": [
        ["村民代表考核评分表  考核人：刘振华"],
        ["代表", "履行代表义务", "服务保障发展", "支持配合村班子工作", "密切联系群众", "甲项", "均分"],
        ["李四", 28, 22, 20, 18, 5, 22]]})
    parts, problems = _cadre(book)
    assert len(parts["考核评分"]) == 4
    errors = [(p.location.cell, p.message) for p in problems if p.severity == "错误"]
    assert errors == [("F2", "表头“甲项”对不上任何考核指标，这一列的分数没有导入；"
                             "指标有：履行代表义务、服务保障发展、支持配合村班子工作、密切联系群众。请把表头改成其中一项，或删去这一列")]
    assert [(p.location.cell, p.message[:7]) for p in problems if p.severity == "提醒"] == [("G2", "“均分”是汇总")]


def test_an_abstention_column_of_a_cadre_tally_is_said_to_be_left_out(tmp_path: Path) -> None:
    book = _book(tmp_path / "c.xlsx", {"评议": [
        ["序号", "编号", "姓名", "职务", "优秀", "称职", "基本称职", "不称职", "弃权", "不称职率", "备注"],
        [1, "GB01", "王建国", "书记", 20, 8, 1, 0, 3, "0%", "无"]]})
    parts, problems = _cadre(book)
    assert [(r["优秀"], r["称职"], r["基本称职"], r["不称职"]) for r in parts["民主评议"]] == [(20, 8, 1, 0)]
    assert [(p.severity, p.location.cell, p.message) for p in problems] == [
        ("提醒", "I1", "“弃权”列没有计入：投票数是优秀、称职、基本称职、不称职四档票数之和，不称职票占的比例也按这个投票数算")]


def test_an_abstention_column_beside_summed_levels_is_said_to_be_left_out(tmp_path: Path) -> None:
    book = _book(tmp_path / "v.xlsx", {"Sheet": [
        ["户主", "优秀", "合格", "不合格", "弃权"], ["何文华", 20, 10, 2, 3], ["赵光明", 20, 12, 1, 0]]})
    got, problems = _votes(book)
    assert got == {"ZP001": (32, 2), "ZP002": (33, 1)}  # 弃权 not in 投票数, as before — but said
    warnings = [(p.location.cell, p.message) for p in problems if p.severity == "警告"]
    assert warnings == [("E1", "“弃权”没有计入投票数；如果本村算作投了票，请加一列“投票数”写上总票数再导入")]
