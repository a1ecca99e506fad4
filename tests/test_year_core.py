"""The year documents' pure core without a workbook: scoring/year_notice.py and scoring/year_report.py."""

from __future__ import annotations

import pandas as pd

from villagectl.ledger.periods import rows_state
from villagectl.scoring.year_notice import certificate_rows, listing
from villagectl.scoring.year_report import month_averages, spending, year_rows, year_totals


def _annual(*rows: dict) -> pd.DataFrame:
    base = {"年度": "2026", "户号": "", "户主": "", "组别": "", "年度积分": "", "名次": "", "星级": "", "牌级": "",
            "榜单": "", "否决": "", "曝光台": "", "状态": "草稿"}
    return pd.DataFrame([{**base, **r} for r in rows], dtype=object)


ANNUAL = _annual(
    {"户号": "A2", "户主": "李四", "组别": "第一组", "年度积分": "８０", "名次": "2", "星级": "四星级文明户", "榜单": "红榜"},
    {"户号": "A1", "户主": "张三", "组别": "第一组", "年度积分": "90", "名次": "1", "星级": "五星级文明户", "牌级": "金牌户"},
    {"户号": "B1", "户主": "王五", "组别": "第二组", "年度积分": "10", "名次": "3", "榜单": "黑榜", "否决": "是", "曝光台": "2"},
    {"年度": "2025", "户号": "B2", "户主": "赵六", "组别": "第二组", "年度积分": "50", "名次": "1", "星级": "五星级文明户"},
)


def test_listing_reads_titles_boards_and_exposure_as_typed() -> None:
    x = listing({"户号": " a1 ", "户主": "张　三", "组别": "第一组", "年度积分": "８０", "名次": "2", "星级": "五星级文明户",
                 "牌级": "不是牌级", "榜单": "黑榜", "曝光台": "-1"})
    assert (x.household_id, x.name, x.result, x.rank) == ("a1", "张　三", 80.0, 2)
    assert (x.star, x.medal, x.board, x.exposure_months) == ("五星级文明户", "", "黑榜", 0)


def test_certificates_by_rank_stars_first_medals_only_without_star_rating() -> None:
    rows = year_rows(ANNUAL, 2026).to_dict("records")
    assert [(x.household_id, t) for x, t in certificate_rows(rows, rates_stars=True)] == [
        ("A1", "五星级文明户"), ("A2", "四星级文明户")]
    medals_only = [{**r, "星级": ""} for r in rows]
    assert [(x.household_id, t) for x, t in certificate_rows(medals_only, rates_stars=False)] == [("A1", "金牌户")]
    assert certificate_rows(medals_only, rates_stars=True) == []


def test_year_totals_per_group_with_population_of_active_households() -> None:
    households = pd.DataFrame([
        {"户号": "A1", "组别": "第一组", "人口": "3", "状态": "正常"},
        {"户号": "A2", "组别": "第一组", "人口": "2", "状态": ""},
        {"户号": "B1", "组别": "第二组", "人口": "4", "状态": "迁出"},
        {"户号": "C1", "组别": "第三组", "人口": "1", "状态": "正常"},
    ], dtype=object)
    t = year_totals(year_rows(ANNUAL, 2026), households)
    assert (t.active_households, t.population, t.results) == (3, 6, [80.0, 90.0, 10.0])
    assert (t.stars, t.medals, t.red, t.black, t.vetoed, t.exposure) == (2, 1, 1, 1, 1, 1)
    one, two, three = t.groups
    assert (one.group, one.households, one.population, one.total, one.average, one.best, one.lowest) == (
        "第一组", 2, 5, 170.0, 85.0, 90.0, 80.0)
    assert (two.population, two.black, two.exposure) == (0, 1, 1)
    assert (three.group, three.households, three.population, three.average) == ("第三组", 0, 1, None)


def test_month_averages_and_spending_of_the_year_only() -> None:
    monthly = pd.DataFrame([
        {"月份": "2026-01", "组别": "第一组", "总分": "90"}, {"月份": "2026-01", "组别": "", "总分": "70"},
        {"月份": "2026-03", "组别": "第一组", "总分": ""}, {"月份": "2025-01", "组别": "第一组", "总分": "10"},
    ], dtype=object)
    months = month_averages(monthly, 2026)
    assert (months[0].village, months[0].scored, months[0].groups) == (80.0, 2, {"第一组": 90.0, "（未分组）": 70.0})
    assert (months[2].village, months[2].scored) == (None, 0)
    redemptions = pd.DataFrame([
        {"日期": "2026-02-03", "单号": "DH2026-000001", "金额": "5", "积分": "50", "状态": ""},
        {"日期": "2026-02-03", "单号": "DH2026-000001", "金额": "2.5", "积分": "25", "状态": ""},
        {"日期": "2026-04-01", "单号": "DH2026-000002", "金额": "9", "积分": "90", "状态": "作废"},
        {"日期": "2025-12-31", "单号": "DH2025-000009", "金额": "1", "积分": "10", "状态": ""},
    ], dtype=object)
    s = spending(redemptions, 2026)
    assert (s.per_month[1], sum(s.per_month), s.slips, s.points) == (7.5, 7.5, 1, 75.0)


def test_rows_state_posted_over_notice_over_draft() -> None:
    assert rows_state(pd.DataFrame({"状态": ["草稿", "公示"]})) == "公示"
    assert rows_state(pd.DataFrame({"状态": ["公示", "入账"]})) == "入账"
    assert rows_state(pd.DataFrame()) == "草稿"
