"""A base-140 quarter's results without a workbook (scoring/quarter.py): the latest scored month wins, a
blank row is "not inspected", the reviewers per group, and the posted quarter's score check."""

from __future__ import annotations

from types import SimpleNamespace

import pandas as pd
import pytest

from villagectl.errors import DataError
from villagectl.scoring.quarter import blank_rule, frame_of, posted_changes, quarter_results_of, quarterly_rules

RULES = [SimpleNamespace(code="B1", item="环境整治", points=30.0, period="季"),
         SimpleNamespace(code="B2", item="文明新风", points=20.0, period="季"),
         SimpleNamespace(code="B3", item="遵纪守法", points=10.0, period="年")]
HOUSEHOLDS = pd.DataFrame([
    {"户号": "TY001", "户主": "张三", "组别": "2组", "状态": "正常"},
    {"户号": "TY002", "户主": "李四", "组别": "1组", "状态": "正常"},
    {"户号": "TY003", "户主": "王五", "组别": "1组", "状态": "正常"},
    {"户号": "TY004", "户主": "赵六", "组别": "1组", "状态": "迁出"},
], dtype=object)


def _row(month: str, hid: str, b1: object, b2: object, group: str = "", members: str = "") -> dict:
    return {"月份": month, "户号": hid, "B1 环境整治": b1, "B2 文明新风": b2, "评议组": group, "评议人": members}


def test_the_latest_scored_month_wins_and_a_blank_row_is_not_inspected() -> None:
    inspections = pd.DataFrame([
        _row("2026-03", "TY001", "28", "18", "1组", "甲、乙"),
        _row("2026-01", "TY001", "", ""),  # earlier and blank: the March 补查 counts
        _row("2026-02", "TY002", "", ""),
        _row("2026-03", "TY004", "25", "15", "2组", "丙"),  # moved out but scored this quarter
        _row("2026-04", "TY003", "30", "20"),  # another quarter
    ], dtype=object)
    results = quarter_results_of(quarterly_rules(RULES), 2026, 1, inspections, HOUSEHOLDS)
    assert [r.code for r in results.rules] == ["B1", "B2"]
    assert [(h.household_id, h.scores, h.month, h.listed) for h in results.households] == [
        ("TY002", {}, "", True), ("TY003", {}, "", False), ("TY004", {"B1": 25.0, "B2": 15.0}, "2026-03", True),
        ("TY001", {"B1": 28.0, "B2": 18.0}, "2026-03", True)]
    assert results.unlisted_by_group() == {"1组": 1}
    assert results.reviews == [("1组", "2组", "丙"), ("2组", "1组", "甲、乙")]
    assert list(frame_of(results)["备注"]) == ["本季度未检查", "不在任何评分表上", "", ""]
    assert blank_rule({"季度合并方式": "最新"}, results.rules) == (
        "年终各项按最近一次检查的得分计入年度积分，全年未检查的按基础分（环境整治30分、文明新风20分）计。")


def test_no_quarterly_rule_or_no_sheet_of_the_quarter_is_refused() -> None:
    with pytest.raises(DataError, match="没有按季度检查的项目"):
        quarter_results_of([], 2026, 1, pd.DataFrame(), HOUSEHOLDS)
    inspections = pd.DataFrame([_row("2026-04", "TY001", "30", "20")], dtype=object)
    with pytest.raises(DataError, match=r"2026年第一季度（2026-01 至 2026-03）还没有导入"):
        quarter_results_of(quarterly_rules(RULES), 2026, 1, inspections, HOUSEHOLDS)


def test_a_posted_quarter_takes_a_first_score_but_not_a_changed_one() -> None:
    inspections = pd.DataFrame([_row("2026-03", "TY001", "28", "18"), _row("2026-03", "TY002", "", "")],
                               dtype=object)
    results = quarter_results_of(quarterly_rules(RULES), 2026, 1, inspections, HOUSEHOLDS)
    sheet = [SimpleNamespace(household_id=hid, name=name, sheet="1组", id_cell=cell, scores=scores)
             for hid, name, cell, scores in (("TY001", "张三", "A3", {"B1": 28.0, "B2": 18.0, "B3": 9.0}),
                                             ("TY002", "李四", "A4", {"B1": 26.0}),
                                             ("TY001", "张三", "A5", {"B1": 27.0}),
                                             ("TY003", "王五", "A6", {"B3": 8.0}))]
    problems = posted_changes(results, sheet, "季度表.xlsx")
    # TY001's unchanged row and TY003's annual-only row pass
    assert [(str(p.location), p.severity) for p in problems] == [
        ("季度表.xlsx / 1组 / A4", "提醒"), ("季度表.xlsx / 1组 / A5", "错误")]
    assert problems[0].message.startswith("2026年第一季度已入账：李四（TY002）本季度原来没有得分，按补查导入")
    assert problems[1].message == "2026年第一季度已入账，张三（TY001）本季度的得分（环境整治 28、文明新风 18）不能再改"
