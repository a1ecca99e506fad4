"""The cadre documents' pure core without a workbook: ledger/cadre_results.py and ledger/commitments.py."""

from __future__ import annotations

import pandas as pd

from villagectl.errors import Location
from villagectl.ledger.cadre_results import by_kind, flagged_count, flags_of, pay_total, period_rows
from villagectl.ledger.commitments import match_commitments, year_commitments

RESULTS = pd.DataFrame([
    {"年度": "2026", "期间": "", "类别": "村民代表", "姓名": "甲", "标记": "", "考核报酬": "100.25"},
    {"年度": "2026", "期间": "全年", "类别": "", "姓名": "乙", "标记": "退出", "考核报酬": ""},
    {"年度": "2026", "期间": "全年", "类别": "村干部", "姓名": "丙", "标记": "组织调整,退出", "考核报酬": "2000"},
    {"年度": "2026", "期间": "上半年", "类别": "村干部", "姓名": "丁", "标记": "", "考核报酬": "1"},
    {"年度": "2025", "期间": "", "类别": "村干部", "姓名": "戊", "标记": "", "考核报酬": "1"},
], dtype=object)


def test_period_rows_sections_flags_and_pay() -> None:
    rows = period_rows(RESULTS, 2026, "全年")
    assert list(rows["姓名"]) == ["甲", "乙", "丙"]
    assert [(k, [r["姓名"] for r in rs]) for k, rs in by_kind(rows.to_dict("records"))] == [
        ("村干部", ["丙"]), ("村民代表", ["甲"]), ("其他", ["乙"])]
    assert flags_of("组织调整,退出") == ["组织调整", "退出"]
    assert (flagged_count(rows), pay_total(rows)) == (2, 2100.25)
    assert list(period_rows(RESULTS, 2026, "上半年")["姓名"]) == ["丁"]


CADRES = [
    {"编号": "R1", "姓名": "王五", "职务": "村民代表", "类别": "村民代表"},
    {"编号": "C1", "姓名": "张三", "职务": "党支部书记", "类别": "村干部"},
    {"编号": "C2", "姓名": "李四", "职务": "委员", "类别": "村干部"},
    {"编号": "C3", "姓名": "李四", "职务": "委员", "类别": "村干部"},
]


def _at(n: int) -> Location:
    return Location("村.xlsx", "履职承诺", f"第 {n} 行")


def test_commitments_matched_by_id_or_name_and_ordered_by_kind() -> None:
    sheet = pd.DataFrame([
        {"年度": "2026", "编号": "", "姓名": "王五", "类型": "共性", "承诺内容": "按时参会"},
        {"年度": "2026", "编号": "C1", "姓名": "", "类型": "个性", "承诺内容": "修好村道，"},
        {"年度": "2026", "编号": "C1", "姓名": "张三", "类型": "共性", "承诺内容": "廉洁"},
        {"年度": "2026", "编号": "", "姓名": "", "类型": "共性", "承诺内容": " "},
        {"年度": "2025", "编号": "C1", "姓名": "张三", "类型": "共性", "承诺内容": "去年的"},
    ], dtype=object)
    mine = year_commitments(sheet, 2026)
    assert list(mine.index) == [0, 1, 2]
    people, problems = match_commitments([(_at(i + 2), r) for i, r in mine.iterrows()], CADRES)
    assert problems == []
    assert [(p.person_id, p.kind, p.common, p.personal) for p in people] == [
        ("C1", "村干部", ["廉洁"], ["修好村道，"]), ("R1", "村民代表", ["按时参会"], [])]


def test_commitment_problems_name_the_row() -> None:
    rows = [(_at(2), {"编号": "X9", "姓名": "", "类型": "共性", "承诺内容": "a"}),
            (_at(3), {"编号": "C1", "姓名": "李四", "类型": "共性", "承诺内容": "b"}),
            (_at(4), {"编号": "", "姓名": "李四", "类型": "共性", "承诺内容": "c"}),
            (_at(5), {"编号": "C2", "姓名": "", "类型": "其它", "承诺内容": "d"})]
    people, problems = match_commitments(rows, CADRES)
    assert people == []
    assert [p.message for p in problems] == [
            "编号“X9”不在“干部”表中",
            "编号 C1 在“干部”表中是“张三”，这里写的是“李四”",
            "“干部”表中有不止一个叫“李四”的人，请填写编号",
            "类型“其它”无效，应为 共性 或 个性"]
    assert [p.location for p in problems] == [_at(2), _at(3), _at(4), _at(5)]
