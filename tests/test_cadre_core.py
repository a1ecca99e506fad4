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


# --- scoring/cadre_assessment.py: the ledger's 干部 and 考核 tables to graded rows, without a workbook ---

def _assessment_tables():
    from villagectl.scoring.cadre_assessment import in_period, year_indicators

    cadres = pd.DataFrame([
        {"编号": "C01", "姓名": "张书记", "职务": "书记", "类别": "村干部", "状态": "在职"},
        {"编号": "C02", "姓名": "李主任", "职务": "主任", "类别": "村干部", "状态": "离任"},
    ], dtype=object)
    indicators = pd.DataFrame([
        {"年度": "", "对象": "村干部", "类型": "指标", "编码": "Z1", "指标": "旧指标", "满分": "100"},
        {"年度": "2026", "对象": "村干部", "类型": "指标", "编码": "A1", "指标": "党建", "满分": "60"},
        {"年度": "2026", "对象": "村干部", "类型": "指标", "编码": "A2", "指标": "民生", "满分": "40"},
        {"年度": "2026", "对象": "村干部", "类型": "负面扣分", "编码": "N1", "指标": "迟到", "满分": "2"},
    ], dtype=object)
    scores = pd.DataFrame([
        {"年度": "2026", "期间": "", "编号": "C01", "考核人": "甲", "编码": "A1", "得分": "50"},
        {"年度": "2026", "期间": "", "编号": "C01", "考核人": "乙", "编码": "A1", "得分": "56"},
        {"年度": "2026", "期间": "", "编号": "C01", "考核人": "甲", "编码": "A2", "得分": "40"},
        {"年度": "2026", "期间": "上半年", "编号": "C01", "考核人": "甲", "编码": "A2", "得分": "1"},
    ], dtype=object)
    votes = pd.DataFrame([{"年度": "2026", "期间": "", "编号": "C01", "优秀": "3", "称职": "1", "基本称职": "0",
                           "不称职": "0"}], dtype=object)
    negatives = pd.DataFrame([{"年度": "2026", "期间": "", "编号": "C01", "编码": "N1", "次数": "2", "事项": "迟到"}],
                             dtype=object)
    year = year_indicators(indicators, 2026)
    assert list(year["编码"]) == ["A1", "A2", "N1"]  # the year's rows replace the unmarked ones
    assert list(year_indicators(indicators, 2025)["编码"]) == ["Z1"]
    return cadres, year, *(in_period(t, 2026, "全年") for t in (scores, votes, negatives))


def test_a_cadre_in_office_is_scored_from_marks_deductions_and_votes() -> None:
    from villagectl.scoring.cadre import CadreSettings
    from villagectl.scoring.cadre_assessment import assess_cadres

    cadres, indicators, scores, votes, negatives = _assessment_tables()
    assert len(scores) == 3  # the 上半年 mark is not the year's
    rows, problems = assess_cadres(cadres, indicators, scores, votes, negatives, CadreSettings(), 2026, "全年")
    assert problems == []
    assert list(rows["编号"]) == ["C01"]  # 离任 is not assessed
    r = rows.iloc[0]
    # card 53 + 40 = 93, minus 2 × 2 = 89; votes (3×100 + 80) / 4 = 95; 89 × 0.7 + 95 × 0.3 = 90.8
    assert (r["指标得分"], r["负面扣分"], r["民主评议"], r["综合得分"]) == (93.0, 4.0, 95.0, 90.8)
    assert (r["投票数"], r["不称职票"], r["状态"], r["期间"]) == (4, 0, "草稿", "全年")


def test_a_cadre_without_marks_or_votes_is_named_and_no_rows_come_out() -> None:
    from villagectl.scoring.cadre import CadreSettings
    from villagectl.scoring.cadre_assessment import assess_cadres

    cadres, indicators, scores, votes, negatives = _assessment_tables()
    rows, problems = assess_cadres(cadres, indicators, scores[scores["编码"] == "A1"], votes.iloc[0:0], negatives,
                                   CadreSettings(), 2026, "全年")
    assert rows.empty
    assert [p.message for p in problems] == ["张书记（C01）缺少考核评分：民生", "张书记（C01）缺少民主评议票数"]
