"""event import on sheets as villages write them (probe of the other imports, items 7, 8, 9, 11, 12, 17)."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest

from conftest import add_households, household, invoke_json
from villagectl.ledger.create import create_ledger
from villagectl.ledger.workbook import Ledger


@pytest.fixture
def village(tmp_path: Path) -> Path:
    path = tmp_path / "文明村.xlsx"
    create_ledger(path, "文明村", "wenming")
    add_households(path, [household("ZP001", "何文华"), household("ZP002", "王明", "第二组"),
                          household("ZP003", "林强", "第三组"), household("ZP004", "张伟"),
                          household("ZP005", "张伟", "第三组"), household("ZP006", "马艳"),
                          household("ZP007", "吴长青", "第二组"), household("ZP008", "朱国强", "第二组")])
    return path


def sheet(path: Path, header: list, rows: list[list], title: str | None = None, name: str = "Sheet",
          merges: tuple[str, ...] = ()) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = name
    if title:
        ws.append([title])
        ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(header))
    ws.append(header)
    for row in rows:
        ws.append(row)
    for cells in merges:
        ws.merge_cells(cells)
    wb.save(path)
    return path


RUNNER = None


@pytest.fixture(autouse=True)
def _runner(runner) -> None:
    global RUNNER
    RUNNER = runner


def run(village: Path, path: Path, day: str = "2026-08-31"):
    return invoke_json(RUNNER, "event", "import", village, path, "--date", day)


def recorded(village: Path) -> list[tuple]:
    frame = Ledger.open(village).frame("积分事件")
    return [(r["户号"], r["编码"], float(r["积分"]), str(r["日期"])) for r in frame.to_dict("records")]


def notes(data) -> list[tuple[str, str]]:
    return [(p["cell"], p["message"]) for p in data["problems"] if p["severity"] == "提醒"]


def errors(data) -> list[tuple[str, str]]:
    return [(p["cell"], p["message"]) for p in data["problems"] if p["severity"] == "错误"]


def test_a_short_form_of_a_rule_name_reads_as_the_one_rule_and_says_so(village, tmp_path) -> None:
    path = sheet(tmp_path / "申报.xlsx", ["户主", "组别", "事项", "日期"], [
        ["何文华", "第一组", "志愿服务", "2026-08-03"],
        ["王明", "第二组", "无偿献血", "2026-08-04"],
        ["林强", "第三组", "红白事简办", "2026-08-05"],
        ["马艳", "第一组", "参加村民会议", "2026-08-06"],
        ["吴长青", "第二组", "参加村庄环境义务清扫", "2026-08-07"],
        ["林强", "第三组", "志愿服务", "2026-08-08"],
    ])
    result, data = run(village, path)
    assert result.exit_code == 0, data["problems"]
    assert recorded(village) == [("ZP001", "GY01", 1.0, "2026-08-03"), ("ZP002", "GY03", 3.0, "2026-08-04"),
                                 ("ZP003", "ZZ02", 3.0, "2026-08-05"), ("ZP006", "ZZ01", 1.0, "2026-08-06"),
                                 ("ZP007", "HJ02", 1.0, "2026-08-07"), ("ZP003", "GY01", 1.0, "2026-08-08")]
    assert notes(data) == [("C2", "“志愿服务”按 GY01 志愿服务（每次）记（C2 等 2 行）"), ("C3", "“无偿献血”按 GY03 无偿献血、捐资助学记"),
                           ("C4", "“红白事简办”按 ZZ02 红白事简办、移风易俗记"), ("C5", "“参加村民会议”按 ZZ01 参加村民会议、议事协商记")]


def test_two_candidates_are_an_error_naming_them_and_the_sign_tells_awards_from_deductions(village, tmp_path) -> None:
    path = sheet(tmp_path / "申报.xlsx", ["户号", "项目", "扣分", "日期"], [
        ["ZP001", "参加", "", "2026-08-03"],      # HJ02 参加村庄环境义务清扫 or ZZ01 参加村民会议
        ["ZP002", "打麻将", "", "2026-08-03"],
        ["ZP003", "家庭", 10, "2026-08-03"],      # 扣分: HM11 家庭暴力、不赡养老人, not HM01 文明家庭
        ["ZP006", "家庭", "", "2026-08-03"],      # no sign: HM01 or HM11
    ])
    result, data = run(village, path)
    assert result.exit_code == 1
    got = dict(errors(data))
    assert set(got) == {"B2", "B3", "B5"}
    assert "HJ02 参加村庄环境义务清扫" in got["B2"] and "ZZ01 参加村民会议、议事协商" in got["B2"]
    assert "请在“项目”格写完整的项目名称或编码" in got["B2"]
    assert "HM01" in got["B5"] and "HM11" in got["B5"]
    assert got["B3"].startswith("规则中没有加分/扣分/否决项“打麻将”")
    assert "请在“项目”格写“规则”表里的项目名称或编码" in got["B3"]
    for message in got.values():
        assert "--" not in message and "可用的有" not in message and "GY04" not in message
    assert ("B4", "“家庭”按 HM11 家庭暴力、不赡养老人记") in notes(data)
    assert recorded(village) == []  # all or nothing


def test_deduction_headers_points_words_and_dates_without_a_year(village, tmp_path) -> None:
    path = sheet(tmp_path / "扣分.xlsx", ["备注", "户主姓名", "时间", "扣分事由", "扣分"], [
        ["河边", "马艳", "2026.8.12", "乱倒垃圾", "扣2分"],
        ["", "王明", "8月13号", "违规搭建", "-5"],
        ["", "林强", "8月14日", "违反村规民约", "扣5分"],
    ])
    result, data = run(village, path, "2027-01-05")
    assert result.exit_code == 0, data["problems"]
    # imported on 2027-01-05, 8月13号 is last August (2027-08-13 would be after the import date)
    assert recorded(village) == [("ZP006", "HJ11", -2.0, "2026-08-12"), ("ZP002", "HJ12", -5.0, "2026-08-13"),
                                 ("ZP003", "ZZ11", -5.0, "2026-08-14")]
    assert ("C3", "C3 等 2 格的日期没有写年份；记在导入日期的 2027 年会晚于导入日期 2027-01-05，按上一年 2026 年记"
                  "（不对的话请写上年份）") in notes(data)
    assert Ledger.open(village).frame("积分事件").iloc[0]["说明"] == "河边"  # 备注 is the note, never the item


def test_the_year_comes_from_the_title(village, tmp_path) -> None:
    path = sheet(tmp_path / "登记.xlsx", ["户号", "事由", "加分", "扣分", "日期"], [
        ["ZP001", "无偿献血", 3, "", "12月5日"],
        ["ZP002", "乱堆乱放", "", 2, "12月6号"],
        ["ZP003", "帮助抗洪抢险", "+5", "", "12月7日"],
    ], title="2025年12月加减分登记")
    result, data = run(village, path, "2026-01-10")
    assert result.exit_code == 0, data["problems"]
    assert recorded(village) == [("ZP001", "GY03", 3.0, "2025-12-05"), ("ZP002", "HJ11", -2.0, "2025-12-06"),
                                 ("ZP003", "自由", 5.0, "2025-12-07")]
    assert ("E3", "E3 等 3 格的日期没有写年份，按标题里的 2025 年记") in notes(data)


def test_points_that_differ_from_the_rule(village, tmp_path) -> None:
    path = sheet(tmp_path / "申报.xlsx", ["户号", "项目", "积分", "日期"], [
        ["ZP001", "见义勇为", "+3", "2026-08-03"],                  # the rule's own name, another score: which one?
        ["ZP002", "志愿服务：修路出工8天", "+5", "2026-08-03"],     # names a rule, another score: free-form
    ])
    result, data = run(village, path)
    got = dict(errors(data))
    assert list(got) == ["C2"] and "GY02 见义勇为 的分值（10 分）不符" in got["C2"] and "改成 10 或留空" in got["C2"]
    path = sheet(tmp_path / "申报2.xlsx", ["户号", "项目", "积分", "日期"], [["ZP002", "志愿服务：修路出工8天", "+5", "2026-08-03"]])
    result, data = run(village, path)
    assert result.exit_code == 0, data["problems"]
    assert recorded(village) == [("ZP002", "自由", 5.0, "2026-08-03")]
    assert "按临时加扣分记" in notes(data)[0][1]


def test_counts_with_a_unit_and_merged_household_rows(village, tmp_path) -> None:
    path = sheet(tmp_path / "合并.xlsx", ["户号", "户主", "编码", "次数", "日期"], [
        ["ZP007", "吴长青", "GY01", "3次", "2026-08-01"],
        [None, None, "GY03", "一次", "2026-08-02"],
        ["ZP008", "朱国强", "GY01", 2, "2026-08-03"],
    ], merges=("A2:A3", "B2:B3"))
    result, data = run(village, path)
    assert result.exit_code == 0, data["problems"]
    assert recorded(village) == [("ZP007", "GY01", 3.0, "2026-08-01"), ("ZP007", "GY03", 3.0, "2026-08-02"),
                                 ("ZP008", "GY01", 2.0, "2026-08-03")]


def test_a_shared_head_name_takes_the_group_of_the_sheet_or_says_what_to_add(village, tmp_path) -> None:
    path = sheet(tmp_path / "申报.xlsx", ["户主", "事项", "日期"], [["张伟", "见义勇为", "2026-08-03"]], name="第三组")
    result, data = run(village, path)
    assert result.exit_code == 0, data["problems"]
    assert recorded(village) == [("ZP005", "GY02", 10.0, "2026-08-03")]
    path = sheet(tmp_path / "申报2.xlsx", ["户主", "事项", "日期"], [["张伟", "见义勇为", "2026-08-03"]])
    result, data = run(village, path)
    assert result.exit_code == 1
    assert errors(data) == [("A2", "户主“张伟”有 2 户同名：ZP004（第一组）、ZP005（第三组）；请在表中加一列户号或组别")]


def test_headers_read_by_the_words_they_contain_without_false_readings() -> None:
    from villagectl.importers.events import event_field

    got = {h: event_field(h) for h in ("扣分事由", "加分原因", "事项内容", "加分", "扣分（分）", "减分", "加减分", "文明积分",
                                       "备注", "情况说明", "序号", "实得总分", "充分就业", "检查评比内容及分值", "项目编码")}
    assert got == {"扣分事由": "项目", "加分原因": "项目", "事项内容": "项目", "加分": "加分", "扣分（分）": "扣分", "减分": "扣分",
                   "加减分": "积分", "文明积分": "积分", "备注": "说明", "情况说明": "说明", "序号": None, "实得总分": None,
                   "充分就业": None, "检查评比内容及分值": None, "项目编码": "编码"}


def test_an_item_that_differs_from_a_rule_name_by_a_negation_is_refused_naming_the_rule(village, tmp_path) -> None:
    path = sheet(tmp_path / "申报.xlsx", ["户号", "项目", "日期"], [
        ["ZP001", "赡养老人", "2026-08-03"],          # inside HM11 家庭暴力、不赡养老人 (−10): the opposite
        ["ZP002", "拒不参加村民会议", "2026-08-03"],  # holds ZZ01 参加村民会议 (+1): the opposite
        ["ZP003", "拒不参加志愿服务", "2026-08-03"],  # holds GY01 志愿服务 (+1)
        ["ZP006", "献血", "2026-08-03"],              # 无偿献血: 无偿 negates nothing
    ])
    result, data = run(village, path)
    assert result.exit_code == 1
    got = dict(errors(data))
    assert set(got) == {"B2", "B3", "B4"}
    assert got["B2"] == ("“赡养老人”和 HM11 家庭暴力、不赡养老人 差了“不”，意思正相反，没有按它记；"
                         "是不是 HM11 家庭暴力、不赡养老人？请在“项目”格写编码（如 HM11）或完整名称")
    assert "差了“拒不”" in got["B3"] and "是不是 ZZ01 参加村民会议、议事协商？" in got["B3"]
    assert "是不是 GY01 志愿服务（每次）？" in got["B4"]
    assert recorded(village) == []
    path = sheet(tmp_path / "申报2.xlsx", ["户号", "项目", "日期"], [["ZP006", "献血", "2026-08-03"],
                                                                  ["ZP001", "不赡养老人", "2026-08-03"]])
    result, data = run(village, path)
    assert result.exit_code == 0, data["problems"]
    assert recorded(village) == [("ZP006", "GY03", 3.0, "2026-08-03"), ("ZP001", "HM11", -10.0, "2026-08-03")]


def test_a_yearless_date_after_the_import_date_is_of_the_year_before(village, tmp_path) -> None:
    path = sheet(tmp_path / "登记.xlsx", ["户号", "项目", "日期"], [
        ["ZP001", "志愿服务（每次）", "12月28日"], ["ZP002", "志愿服务（每次）", "1月3日"]], title="中坪村加分登记（12月）")
    result, data = run(village, path, "2027-01-05")
    assert result.exit_code == 0, data["problems"]
    assert recorded(village) == [("ZP001", "GY01", 1.0, "2026-12-28"), ("ZP002", "GY01", 1.0, "2027-01-03")]
    assert notes(data) == [
        ("C4", "C4 的日期没有写年份，按导入日期（--date 或今天）的 2027 年记"),
        ("C3", "C3 的日期没有写年份；记在导入日期的 2027 年会晚于导入日期 2027-01-05，按上一年 2026 年记（不对的话请写上年份）")]


def test_reason_columns_on_each_side_and_item_headers_ending_in_an_item_word(village, tmp_path) -> None:
    path = sheet(tmp_path / "登记.xlsx", ["户号", "加分原因", "加分", "扣分原因", "扣分", "日期"], [
        ["ZP001", "帮助邻居抢收", 2, None, None, "2026-08-03"],
        ["ZP002", None, None, "酒后滋事", 3, "2026-08-03"],
        ["ZP003", None, None, "乱倒垃圾", None, "2026-08-03"],  # no points: the 扣分原因 column says 扣分
    ])
    result, data = run(village, path)
    assert result.exit_code == 0, data["problems"]
    assert recorded(village) == [("ZP001", "自由", 2.0, "2026-08-03"), ("ZP002", "自由", -3.0, "2026-08-03"),
                                 ("ZP003", "HJ11", -2.0, "2026-08-03")]
    frame = Ledger.open(village).frame("积分事件")
    assert list(frame["说明"][:2]) == ["帮助邻居抢收", "酒后滋事"]
    path = sheet(tmp_path / "错边.xlsx", ["户号", "加分原因", "加分", "扣分原因", "扣分", "日期"], [
        ["ZP001", "帮助邻居抢收", None, None, 2, "2026-08-03"],          # the reason on the other side
        ["ZP002", "修路出工", None, "酒后滋事", 3, "2026-08-03"],        # text in the 加分原因 not read
        ["ZP003", "志愿服务", None, "乱倒垃圾", None, "2026-08-03"],     # no points, both sides: which?
    ])
    result, data = run(village, path)
    assert result.exit_code == 1
    assert errors(data) == [
        ("B2", "这一行记的是扣分，原因却写在“加分原因”格；请把原因写在“扣分原因”格，或把分写到加分那一列"),
        ("B3", "这一行记的是扣分，“加分原因”格的“修路出工”没有读；加分请另起一行写上分，不是的话请清空这一格"),
        ("B4", "“加分原因”、“扣分原因”都写了，这一行又没有写分，分不清是加分还是扣分；请写上分，或只留一格")]
    from villagectl.importers.events import event_field

    got = {h: event_field(h) for h in ("扣分事由及依据", "违规行为", "扣分情况", "加分理由", "扣分具体事由", "检查评比内容及分值")}
    assert got == {"扣分事由及依据": "项目", "违规行为": "项目", "扣分情况": "项目", "加分理由": "项目", "扣分具体事由": "项目",
                   "检查评比内容及分值": None}
    path = sheet(tmp_path / "长表头.xlsx", ["户号", "扣分事由及依据", "扣分", "日期"], [["ZP006", "酒后滋事（村规第8条）", 2, "2026-08-03"]])
    result, data = run(village, path)
    assert result.exit_code == 0, data["problems"]
    assert Ledger.open(village).frame("积分事件").iloc[-1]["说明"] == "酒后滋事（村规第8条）"


def test_a_balance_column_is_never_points_and_messages_quote_the_header_as_written(village, tmp_path) -> None:
    from villagectl.importers.events import event_field

    for header in ("现有积分", "累计积分", "剩余积分", "原有积分", "积分余额"):
        assert event_field(header) is None, header
    path = sheet(tmp_path / "登记.xlsx", ["户号", "户主", "项目", "加分", "现有积分", "日期"],
                 [["ZP001", "何文华", "志愿服务（每次）", 1, 35, "2026-08-03"]])
    result, data = run(village, path)
    assert result.exit_code == 0, data["problems"]
    assert recorded(village) == [("ZP001", "GY01", 1.0, "2026-08-03")]
    path = sheet(tmp_path / "登记2.xlsx", ["户号", "违规行为", "扣分分值", "发生时间"], [
        ["ZP001", "乱倒垃圾", "两分半", "2026-08-03"], ["ZP002", "打麻将", None, "2026-08-03"],
        ["ZP003", "乱倒垃圾", 2, "八月"]])
    result, data = run(village, path)
    assert result.exit_code == 1
    got = dict(errors(data))
    assert got["C2"] == "扣分分值“两分半”不是分数（写 3、+3、-2 或 扣2分）"
    assert "请在“违规行为”格写“规则”表里的项目名称或编码" in got["B3"]
    assert got["D4"].startswith("发生时间“八月”看不懂")


def test_a_leap_day_without_a_year_that_the_year_before_lacks_is_refused_not_a_crash(village, tmp_path, monkeypatch) -> None:
    import datetime as dt

    from villagectl import clock

    monkeypatch.setattr(clock, "today", lambda: dt.date(2028, 1, 10))
    path = sheet(tmp_path / "登记.xlsx", ["户号", "项目", "日期"], [["ZP001", "志愿服务（每次）", "2月29日"]],
                 title="中坪村加分登记")
    result, data = run(village, path, "2028-01-10")  # 2028-02-29 is after the import date; 2027 has no 29 February
    assert result.exit_code == 1
    assert errors(data) == [("C3", "日期“2月29日”看不懂，请写成 2026-07-15 或 2026年7月15日")]
