"""Award, deduction and veto events (seeds 001 篇2/篇5, 002, 004): caps, review path, posting, revocation."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl
import pytest
from pypdf import PdfReader

from conftest import add_households, household, invoke, invoke_json
from villagectl.ledger.create import create_ledger
from villagectl.ledger.events import vetoed, window
from villagectl.ledger.journal import summarize
from villagectl.ledger.workbook import Ledger


@pytest.fixture
def wenming(tmp_path: Path) -> Path:
    path = tmp_path / "文明村.xlsx"
    create_ledger(path, "文明村", "wenming")
    add_households(path, [household("001", "张三", size=4, 参评人数=4), household("002", "李四", "第二组", 2),
                          household("003", "王五", "第二组", 3)])
    return path


def add(runner, ledger, *args) -> dict:
    result, data = invoke_json(runner, "event", "add", ledger, *args)
    assert result.exit_code == 0, result.stdout
    return data["events"][0]


def through(runner, ledger, *ids: str, notice_day="2026-05-10", approve_day="2026-05-13", post_day="2026-05-13", tmp=None):
    id_args = [a for i in ids for a in ("--id", i)]
    assert invoke(runner, "event", "review", ledger, *id_args, "--by", "网格员王").exit_code == 0
    pdf = (tmp or ledger.parent) / "事项公示.pdf"
    assert invoke(runner, "event", "notice", ledger, "-o", pdf, "--date", notice_day, *id_args).exit_code == 0
    assert invoke(runner, "event", "approve", ledger, *id_args, "--by", "李书记", "--date", approve_day).exit_code == 0
    result, data = invoke_json(runner, "event", "post", ledger, *id_args, "--date", post_day)
    assert result.exit_code == 0
    return data


def totals(ledger: Path) -> dict:
    return summarize(Ledger.open(ledger).frame("积分流水")).set_index("household_id").to_dict("index")


def test_add_uses_the_rule_points_times_count(runner, wenming) -> None:
    e = add(runner, wenming, "--household", "001", "--rule", "GY01", "--count", "3", "--member", "张小三",
            "--date", "2026-03-05", "--note", "清扫村道")
    assert (e["event_id"], e["rule_code"], e["points"], e["count"], e["member"], e["status"]) == ("E000001", "GY01", 3, 3, "张小三", "申报")
    e = add(runner, wenming, "--household", "002", "--rule", "乱倒垃圾、乱堆乱放", "--date", "2026-03-06")
    assert (e["rule_code"], e["kind"], e["points"]) == ("HJ11", "扣分", -2)
    e = add(runner, wenming, "--household", "003", "--rule", "GY04", "--date", "2026-12-20", "--note", "调解邻里纠纷")
    assert e["points"] == 50  # seed 004: an excellent mediator gets 50 points


def test_caps_per_year_count_earlier_events_but_not_rejected_ones(runner, wenming) -> None:
    add(runner, wenming, "--household", "001", "--rule", "GY01", "--count", "8", "--date", "2026-03-05")
    result = invoke(runner, "event", "add", wenming, "--household", "001", "--rule", "GY01", "--count", "3",
                    "--date", "2026-06-01")
    assert result.exit_code == 1
    assert "“志愿服务（每次）”2026年上限 10 分，已记 8 分，本次 3 分会超过上限（最多还能记 2 分）" in result.stderr
    add(runner, wenming, "--household", "001", "--rule", "GY01", "--count", "2", "--date", "2026-06-01")
    add(runner, wenming, "--household", "001", "--rule", "GY01", "--count", "3", "--date", "2027-01-02")  # a new year
    add(runner, wenming, "--household", "002", "--rule", "GY01", "--count", "10", "--date", "2026-06-01")  # per household
    assert invoke(runner, "event", "reject", wenming, "--id", "E000001", "--reason", "查无实据").exit_code == 0
    add(runner, wenming, "--household", "001", "--rule", "GY01", "--count", "8", "--date", "2026-07-01")


def test_cap_windows() -> None:
    assert window("月", dt.date(2026, 2, 14)) == (dt.date(2026, 2, 1), dt.date(2026, 2, 28))
    assert window("季", dt.date(2026, 5, 14)) == (dt.date(2026, 4, 1), dt.date(2026, 6, 30))
    assert window("季", dt.date(2026, 11, 1)) == (dt.date(2026, 10, 1), dt.date(2026, 12, 31))
    assert window("次", dt.date(2026, 11, 1)) == (dt.date(2026, 1, 1), dt.date(2026, 12, 31))


def test_free_form_points_need_a_reason_and_respect_the_cap(runner, wenming) -> None:
    result = invoke(runner, "event", "add", wenming, "--household", "001", "--points", "3")
    assert result.exit_code == 1 and "必须写明原因" in result.stderr
    result = invoke(runner, "event", "add", wenming, "--household", "001", "--points", "11", "--note", "抢险")
    assert result.exit_code == 1 and "临时加扣分每次最多 10 分" in result.stderr
    e = add(runner, wenming, "--household", "001", "--points", "-4", "--note", "占道堆放柴草")
    assert (e["rule_code"], e["kind"], e["points"]) == ("自由", "扣分", -4)


def test_review_path_order_and_notice_period(runner, wenming, tmp_path) -> None:
    add(runner, wenming, "--household", "001", "--rule", "HM02", "--date", "2026-05-01")
    result = invoke(runner, "event", "approve", wenming, "--id", "E000001", "--by", "李书记")
    assert result.exit_code == 1 and "当前状态为“申报”，要先“公示”才能“审核”" in result.stderr
    result = invoke(runner, "event", "post", wenming, "--id", "E000001")
    assert result.exit_code == 1 and "要先“审核”才能“入账”" in result.stderr
    assert invoke(runner, "event", "review", wenming, "--all", "--by", "网格员王").exit_code == 0
    pdf = tmp_path / "公示.pdf"
    result, data = invoke_json(runner, "event", "notice", wenming, "-o", pdf, "--date", "2026-05-10")
    assert data["period"] == ["2026-05-10", "2026-05-12"]
    text = "".join(p.extract_text() for p in PdfReader(pdf).pages)
    assert "文明村积分事项公示" in text and "孝老爱亲事迹经核实" in text and "张三" in text
    result = invoke(runner, "event", "approve", wenming, "--all", "--by", "李书记", "--date", "2026-05-12")
    assert result.exit_code == 1 and "公示期到 2026-05-12 才结束" in result.stderr
    assert invoke(runner, "event", "approve", wenming, "--all", "--by", "李书记", "--date", "2026-05-12", "--force").exit_code == 0
    events = Ledger.open(wenming).frame("积分事件")
    row = events.iloc[0]
    assert (row["状态"], row["初审人"], row["审核人"], row["公示开始"], row["公示截止"]) == (
        "审核", "网格员王", "李书记", "2026-05-10", "2026-05-12")
    assert totals(wenming) == {}  # nothing touches the journal before posting


def test_posting_writes_journal_rows_with_member_and_reference(runner, wenming, tmp_path) -> None:
    add(runner, wenming, "--household", "001", "--rule", "GY02", "--member", "张小三", "--date", "2026-05-01",
        "--note", "河边救起落水儿童")
    add(runner, wenming, "--household", "002", "--rule", "HJ12", "--date", "2026-05-02")
    data = through(runner, wenming, "E000001", "E000002", tmp=tmp_path)
    assert data["entries"] == ["000001", "000002"]
    journal = Ledger.open(wenming).frame("积分流水")
    first, second = journal.iloc[0], journal.iloc[1]
    assert (first["类型"], first["积分"], first["成员"], first["关联"]) == ("加分", 10, "张小三", "E000001")
    assert "见义勇为" in first["摘要"] and "河边救起落水儿童" in first["摘要"]
    assert (second["类型"], second["积分"], second["关联"]) == ("扣分", -5, "E000002")
    assert totals(wenming) == {"001": {"balance": 10.0, "earned": 10.0, "spent": 0.0},
                               "002": {"balance": -5.0, "earned": -5.0, "spent": 0.0}}
    assert Ledger.open(wenming).frame("积分事件")["流水号"].tolist() == ["000001", "000002"]
    # family and member accounts (篇5): average = earned ÷ 参评人数
    _, balances = invoke_json(runner, "balance", wenming, "--household", "001")
    balances = balances["households"]
    assert balances[0]["family_average"] == 2.5 and balances[0]["members"] == [{"member": "张小三", "points": 10.0}]
    assert invoke(runner, "check", wenming).exit_code == 0


def test_a_veto_posts_no_points_but_removes_eligibility_that_year(runner, wenming, tmp_path) -> None:
    add(runner, wenming, "--household", "003", "--rule", "FJ03", "--date", "2026-04-01", "--note", "新建猪圈占用耕地")
    data = through(runner, wenming, "E000001", tmp=tmp_path)
    assert data["entries"] == []
    events = Ledger.open(wenming).frame("积分事件")
    assert vetoed(events, 2026) == {"003": ["新增违章建筑拒不拆除"]}
    assert vetoed(events, 2027) == {}
    assert totals(wenming) == {}


def test_revoke_and_false_claim_double_deduction(runner, wenming, tmp_path) -> None:
    add(runner, wenming, "--household", "001", "--rule", "HM01", "--date", "2026-05-01")  # +10
    add(runner, wenming, "--household", "002", "--rule", "HM01", "--date", "2026-05-01")  # +10
    through(runner, wenming, "E000001", "E000002", tmp=tmp_path)
    result, data = invoke_json(runner, "event", "revoke", wenming, "--entry", "000001", "--reason", "申报材料不实",
                               "--false-claim", "--date", "2026-06-01")
    assert result.exit_code == 0 and data["entries"] == ["000003"]
    assert invoke(runner, "event", "revoke", wenming, "--entry", "000002", "--reason", "录错了户").exit_code == 0
    journal = Ledger.open(wenming).frame("积分流水")
    false_claim = journal.iloc[2]
    assert (false_claim["类型"], false_claim["积分"], false_claim["关联"]) == ("冲正", -20, "000001")
    assert "虚假申报，按 2 倍扣回" in false_claim["摘要"]
    assert totals(wenming)["001"] == {"balance": -10.0, "earned": -10.0, "spent": 0.0}
    assert totals(wenming)["002"] == {"balance": 0.0, "earned": 0.0, "spent": 0.0}
    assert Ledger.open(wenming).frame("积分事件")["状态"].tolist() == ["撤销", "撤销"]
    result = invoke(runner, "event", "revoke", wenming, "--entry", "000001", "--reason", "again")
    assert result.exit_code == 1 and "已经冲正过" in result.stderr
    result = invoke(runner, "event", "revoke", wenming, "--entry", "000003", "--reason", "x")
    assert result.exit_code == 1 and "本身是冲正记录" in result.stderr
    assert invoke(runner, "check", wenming).exit_code == 0


def test_false_claim_applies_to_awards_only(runner, wenming, tmp_path) -> None:
    add(runner, wenming, "--household", "002", "--rule", "HJ11", "--date", "2026-05-02")
    through(runner, wenming, "E000001", tmp=tmp_path)
    result = invoke(runner, "event", "revoke", wenming, "--entry", "000001", "--reason", "x", "--false-claim")
    assert result.exit_code == 1 and "不是加分记录" in result.stderr


def _event_sheet(path: Path, rows: list[list], header=("序号", "户主", "组别", "积分项目", "次数", "日期", "说明")) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "5月申报"
    ws.append(["文明村2026年5月积分申报汇总表"])
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(header))
    ws.append(list(header))
    for row in rows:
        ws.append(row)
    ws.append([])
    ws.append(["填表人：王网格员"])
    wb.save(path)
    return path


def test_import_takes_a_messy_sheet_and_refuses_a_bad_file_whole(runner, wenming, tmp_path) -> None:
    good = _event_sheet(tmp_path / "好.xlsx", [
        [1, "张三", "第一组", "志愿服务（每次）", 2, "2026-05-03", "清扫"],
        [2, "李四", "第二组", "见义勇为", 1, "2026年5月4日", ""],
        [3, "王五", "二组", "乱倒垃圾、乱堆乱放", "１", "2026.5.5", "河边倒垃圾"],
    ])
    bad = _event_sheet(tmp_path / "坏.xlsx", [
        [1, "赵六", "第一组", "志愿服务（每次）", 1, "2026-05-03", ""],
        [2, "张三", "第一组", "打麻将", 1, "2026-05-03", ""],
        [3, "张三", "第一组", "志愿服务（每次）", 6, "2026-05-03", ""],
        [4, "张三", "第一组", "志愿服务（每次）", 3, "2026-05-03", ""],
        [5, "李四", "第二组", "见义勇为", "好几次", "2026-05-03", ""],
        [6, "李四", "第二组", "见义勇为", 1, "五月初", ""],
    ])
    result, data = invoke_json(runner, "event", "import", wenming, good, bad)
    assert result.exit_code == 1
    assert data["refused_files"] == ["坏.xlsx"]
    assert [e["item"] for e in data["events"]] == ["志愿服务（每次）", "见义勇为", "乱倒垃圾、乱堆乱放"]
    assert [e["points"] for e in data["events"]] == [2, 10, -2]
    got = {(p["cell"], p["message"]) for p in data["problems"] if p["file"] == "坏.xlsx"}
    assert ("B3", "第一组中没有户主“赵六”") in got
    assert any(cell == "D4" and "规则中没有加分/扣分/否决项“打麻将”" in msg for cell, msg in got)
    assert any(cell == "D6" and "已记 8 分，本次 3 分会超过上限" in msg for cell, msg in got)  # 2 + 6 from earlier lines
    assert ("E7", "次数“好几次”不是数字") in got
    assert ("F8", "日期“五月初”看不懂，请写成 2026-07-15 或 2026年7月15日") in got
    events = Ledger.open(wenming).frame("积分事件")
    assert len(events) == 3 and set(events["状态"]) == {"申报"}
    assert events.iloc[0]["来源"] == "好.xlsx / 5月申报 / 第3行"
