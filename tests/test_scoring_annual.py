"""Year-end results and ratings: percentile cuts with ties, the 140 base, vetoes, the one-third rule."""

from __future__ import annotations

from fractions import Fraction

import pandas as pd
import pytest

from villagectl.ledger.journal import NewEntry, append_entries, empty_journal
from villagectl.rules.presets import BASE140
from villagectl.scoring.annual import (
    RatingSettings,
    base_item_scores,
    base_results,
    black_listed,
    competition_ranks,
    rate_year,
    tiered,
    year_earnings,
)


def households(n: int) -> pd.DataFrame:
    return pd.DataFrame([{"户号": f"{i:03d}", "户主": f"户{i}", "组别": "第一组" if i % 2 else "第二组", "状态": "正常"}
                         for i in range(1, n + 1)], dtype=object)


def test_competition_ranks_share_ties() -> None:
    assert competition_ranks({"a": 9, "b": 7, "c": 9, "d": 5}) == {"a": 1, "c": 1, "b": 3, "d": 4}


STAR = ("五星", "四星", "三星")


def test_ten_households_give_one_two_three_stars_per_tier() -> None:
    results = {f"{i:03d}": 100 - i for i in range(1, 11)}  # distinct results
    got = tiered(results, set(results), (10, 20, 30), STAR, whole_tie_in=True)
    assert got == {"001": "五星", "002": "四星", "003": "三星"}


@pytest.mark.parametrize("whole_tie_in, expected", [
    # the tie is taken into the 10% tier whole
    (True, {"001": "五星", "002": "五星", "003": "三星"}),
    # the tie is left out of the 10% tier whole, and lands in the next tier it fits in entirely
    (False, {"001": "四星", "002": "四星", "003": "三星"}),
])
def test_a_tie_straddling_the_cut_goes_in_or_out_whole(whole_tie_in, expected) -> None:
    # 10 households, cuts at positions 1 (10%), 2 (20%), 3 (30%);
    # 001/002 tie at positions 1–2, straddling the 10% cut; 003 is position 3
    results = {"001": 95, "002": 95, "003": 90, "004": 85, "005": 84, "006": 80, "007": 79, "008": 78, "009": 77, "010": 76}
    assert tiered(results, set(results), (10, 20, 30), STAR, whole_tie_in) == expected


@pytest.mark.parametrize("whole_tie_in, thirty_percent", [(True, {"003", "004"}), (False, set())])
def test_a_tie_across_the_thirty_percent_cut(whole_tie_in, thirty_percent) -> None:
    # 003/004 tie at positions 3–4 across the 30% cut (position 3)
    results = {"001": 99, "002": 95, "003": 90, "004": 90, "005": 84, "006": 80, "007": 79, "008": 78, "009": 77, "010": 76}
    got = tiered(results, set(results), (10, 20, 30), STAR, whole_tie_in)
    assert {h for h, v in got.items() if v == "三星"} == thirty_percent
    assert (got["001"], got["002"]) == ("五星", "四星")


def test_cut_exactly_at_the_end_of_a_tie_needs_no_rule() -> None:
    results = {f"{i:03d}": (90 if i <= 2 else 80 - i) for i in range(1, 21)}  # 20 households, tie of 2 at the top
    for whole in (True, False):
        assert tiered(results, set(results), (10,), ("五星",), whole) == {"001": "五星", "002": "五星"}


def test_below_base_gets_no_star_even_at_the_top() -> None:
    hh = households(10)
    results = {f"{i:03d}": 139 - i for i in range(1, 11)}  # everyone below 140
    results["010"] = 150
    frame = rate_year(2026, hh, results, RatingSettings(ratings="星级", stars_need_base=True, base=140), {}, {}, {})
    stars = dict(zip(frame["户号"], frame["星级"]))
    assert stars["010"] == "五星级文明户"
    assert stars["001"] == ""  # rank 2 (top 20%) but 138 < 140
    assert stars["002"] == ""


def test_a_veto_removes_the_rating_but_keeps_the_rank() -> None:
    hh = households(10)
    results = {f"{i:03d}": 100 - i for i in range(1, 11)}
    veto = {"001": ["违法犯罪受到刑事处罚"]}
    frame = rate_year(2026, hh, results, RatingSettings(ratings="星级和牌级", whole_village_base=False), veto, {}, {})
    row = frame.set_index("户号").loc["001"]
    assert (row["名次"], row["星级"], row["牌级"], row["否决"]) == (1, "", "", "是")
    assert "一票否决，不参加评定：违法犯罪受到刑事处罚" in row["备注"]
    # 评定基数 参评户: 9 eligible, 10% of 9 → position 0.9: nobody; 20% → 1.8: the best
    stars = dict(zip(frame["户号"], frame["星级"]))
    assert stars["002"] == "四星级文明户"
    # 评定基数 全村 (the default, 篇4 "居全村前10%"): N = 10 with the vetoed household counted but never awarded,
    # 10% → position 1.0: the best of the others; 20% → 2.0; 30% → 3.0
    frame = rate_year(2026, hh, results, RatingSettings(ratings="星级和牌级"), veto, {}, {})
    stars = dict(zip(frame["户号"], frame["星级"]))
    assert (stars["001"], stars["002"], stars["003"], stars["004"], stars["005"]) == (
        "", "五星级文明户", "四星级文明户", "三星级文明户", "")


@pytest.mark.parametrize("cast, unfit, black", [(30, 10, True), (30, 9, False), (31, 10, False), (3, 1, True), (0, 0, False)])
def test_one_third_unfit_votes_is_the_black_list_boundary(cast, unfit, black) -> None:
    assert (("001" in black_listed({"001": (cast, unfit)}, Fraction(1, 3))) is black)


def test_black_list_loses_village_benefits_and_cannot_be_on_the_red_list() -> None:
    hh = households(10)
    results = {f"{i:03d}": 100 - i for i in range(1, 11)}
    votes = {"001": (30, 10), "002": (30, 9)}
    frame = rate_year(2026, hh, results, RatingSettings(red_share=20, whole_village_base=False), {}, votes, {"007": 3})
    rows = frame.set_index("户号")
    assert (rows.loc["001", "榜单"], rows.loc["001", "享受村级福利"]) == ("黑榜", "否")
    assert (rows.loc["002", "榜单"], rows.loc["002", "享受村级福利"]) == ("红榜", "是")
    assert rows.loc["003", "榜单"] == ""  # 参评户: 20% of the 9 not black-listed → positions ≤ 1.8
    # 全村: 20% of 10 → positions ≤ 2.0, so the second of the others is on the red list too
    rows = rate_year(2026, hh, results, RatingSettings(red_share=20), {}, votes, {"007": 3}).set_index("户号")
    assert (rows.loc["002", "榜单"], rows.loc["003", "榜单"], rows.loc["004", "榜单"]) == ("红榜", "红榜", "")
    assert rows.loc["007", "曝光台"] == 3 and "全年上曝光台 3 个月" in rows.loc["007", "备注"]


def test_medals_by_fixed_lines() -> None:
    hh = households(4)
    results = {"001": 60, "002": 45, "003": 30, "004": 10}
    s = RatingSettings(ratings="牌级", medal_mode="分数线", medal_lines=(50, 40, 30))
    frame = rate_year(2026, hh, results, s, {}, {}, {})
    assert dict(zip(frame["户号"], frame["牌级"])) == {"001": "金牌户", "002": "银牌户", "003": "铜牌户", "004": ""}


def test_year_earnings_count_the_months_year_and_ignore_redemptions_and_openings() -> None:
    journal, _ = append_entries(empty_journal(), [
        NewEntry("001", "期初", 30, "结转"),
        NewEntry("001", "月度积分", 5, "2025-12 月度检查", "月度得分 2025-12 001"),  # posted in Jan 2026
        NewEntry("001", "月度积分", 3, "2026-01 月度检查", "月度得分 2026-01 001"),
        NewEntry("001", "连续奖励", 5, "2026-01 连续奖励", "月度得分 2026-01 001"),
        NewEntry("001", "兑换", -20, "兑换 食用油"),
        NewEntry("001", "加分", 10, "见义勇为", "E000001"),
    ], "2026-01-05", "村文书")
    events = pd.DataFrame([{"事件号": "E000001", "日期": "2025-12-30"}])
    assert year_earnings(journal, events, 2026) == {"001": 8.0}
    assert year_earnings(journal, events, 2025) == {"001": 15.0}


def test_a_reversal_counts_against_the_year_of_what_it_reverses() -> None:
    journal, _ = append_entries(empty_journal(), [NewEntry("001", "月度积分", 5, "x", "月度得分 2026-11 001")],
                                "2026-11-30", "村文书")
    journal, _ = append_entries(journal, [NewEntry("001", "冲正", -5, "冲正", "000001")], "2027-01-10", "村文书")
    assert year_earnings(journal, pd.DataFrame(), 2026) == {"001": 0.0}  # +5 and its reversal, both 2026
    assert year_earnings(journal, pd.DataFrame(), 2027) == {}


def test_a_worked_140_base_example() -> None:
    rules = [r for r in BASE140.rules]
    inspections = pd.DataFrame([
        # quarterly items scored in four quarters; annual items once
        {"月份": "2026-03", "户号": "001", "HJ 环境整治": 36, "WM 文明新风": 40, "DJ 党的建设": None, "MS 民生保障": None, "ZF 遵纪守法": None},
        {"月份": "2026-06", "户号": "001", "HJ 环境整治": 38, "WM 文明新风": 38, "DJ 党的建设": None, "MS 民生保障": None, "ZF 遵纪守法": None},
        {"月份": "2026-09", "户号": "001", "HJ 环境整治": 40, "WM 文明新风": 40, "DJ 党的建设": None, "MS 民生保障": None, "ZF 遵纪守法": None},
        {"月份": "2026-12", "户号": "001", "HJ 环境整治": 34, "WM 文明新风": 38, "DJ 党的建设": 20, "MS 民生保障": 18, "ZF 遵纪守法": 20},
    ])
    avg = base_item_scores(inspections, rules, 2026, "平均")
    assert avg["001"] == {"HJ": 37.0, "WM": 39.0, "DJ": 20.0, "MS": 18.0, "ZF": 20.0}
    # 37 + 39 + 20 + 18 + 20 = 134; +10 见义勇为, −5 违规搭建 → 139; household 002 never inspected: 140 + 3
    results = base_results(["001", "002"], rules, avg, {"001": 5.0, "002": 3.0})
    assert results == {"001": 139.0, "002": 143.0}
    latest = base_item_scores(inspections, rules, 2026, "最新")
    assert latest["001"]["HJ"] == 34.0 and latest["001"]["WM"] == 38.0


@pytest.mark.parametrize("base, whole_tie_in, expected", [
    # 49 households, 2 of them 0 points; the top 5 have 99, 98, 97, 96, 96 (a tie at positions 4–5)
    ("全村", True, {"001": "金牌户", "002": "金牌户", "003": "金牌户", "004": "金牌户", "005": "金牌户"}),
    ("全村", False, {"001": "金牌户", "002": "金牌户", "003": "金牌户"}),
    ("参评户", True, {"001": "金牌户", "002": "金牌户", "003": "金牌户", "004": "金牌户", "005": "金牌户"}),
    ("参评户", False, {"001": "金牌户", "002": "金牌户", "003": "金牌户"}),
])
def test_a_fractional_cut_with_a_tie_and_zero_point_households(base, whole_tie_in, expected) -> None:
    hh = households(49)
    results = {f"{i:03d}": float(100 - i) for i in range(1, 48)}
    results["005"] = 96.0  # ties with 004
    results["048"] = results["049"] = 0.0
    s = RatingSettings(ratings="牌级", medal_cuts=(10, 20, 30), whole_tie_in=whole_tie_in,
                       whole_village_base=base == "全村")
    frame = rate_year(2026, hh, results, s, {}, {}, {})
    gold = {h: m for h, m in zip(frame["户号"], frame["牌级"]) if m == "金牌户"}
    # 全村: 10% of 49 = 4.9; 参评户: 10% of 47 = 4.7 — positions up to the cut, the tie at 4–5 straddles it
    assert gold == expected
    assert dict(zip(frame["户号"], frame["牌级"]))["048"] == ""  # zero points: counted, never awarded


def test_a_tie_straddling_the_cut_follows_the_tie_rule_on_either_base() -> None:
    # 60 households, 2 with nothing: 10% of 60 = 6.0, of 58 = 5.8; four tied at positions 5–8
    hh = households(60)
    results = {f"{i:03d}": float(200 - i if i < 5 else 150 if i <= 8 else 140 - i) for i in range(1, 59)}
    results["059"] = results["060"] = 0.0
    whole = rate_year(2026, hh, results, RatingSettings(ratings="牌级", whole_tie_in=False), {}, {}, {})
    eligible = rate_year(2026, hh, results, RatingSettings(ratings="牌级", whole_tie_in=False, whole_village_base=False),
                         {}, {}, {})
    gold = lambda f: sorted(h for h, m in zip(f["户号"], f["牌级"]) if m == "金牌户")  # noqa: E731
    assert gold(whole) == gold(eligible) == ["001", "002", "003", "004"]  # 整体不计入: the tie (5–8) is out either way
    whole_in = rate_year(2026, hh, results, RatingSettings(ratings="牌级"), {}, {}, {})
    assert gold(whole_in) == ["001", "002", "003", "004", "005", "006", "007", "008"]  # 整体计入: position 5 ≤ 6.0


def test_the_base_decides_the_household_at_the_cut() -> None:
    # 60 households, 2 with nothing: 全村 10% of 60 = 6.0 → the 6th is gold; 参评户 10% of 58 = 5.8 → it is not
    hh = households(60)
    results = {f"{i:03d}": float(100 - i) for i in range(1, 59)}
    results["059"] = results["060"] = 0.0
    gold = lambda f: sorted(h for h, m in zip(f["户号"], f["牌级"]) if m == "金牌户")  # noqa: E731
    whole = rate_year(2026, hh, results, RatingSettings(ratings="牌级"), {}, {}, {})
    eligible = rate_year(2026, hh, results, RatingSettings(ratings="牌级", whole_village_base=False), {}, {}, {})
    assert gold(whole) == ["001", "002", "003", "004", "005", "006"]
    assert gold(eligible) == ["001", "002", "003", "004", "005"]
    assert RatingSettings.from_settings({"评定基数": "参评户"}).whole_village_base is False
    assert RatingSettings.from_settings({}).whole_village_base is True


def test_the_year_counts_its_households_as_they_were() -> None:
    """Issue: people who move. 001 left in 2027 (still there all 2026): awarded for 2026 though 户籍 says 迁出;
    002 left in June 2026: counted in 全村N, never awarded; 011 left in 2025: not in 2026 at all."""
    from villagectl.ledger.households import year_presence

    hh = households(11)
    hh.loc[hh["户号"].isin(["001", "002", "011"]), "状态"] = "迁出"
    journal, _ = append_entries(empty_journal(), [NewEntry("011", "转出", -3, "转出至东村", "T1")], "2025-11-02", "文书")
    journal, _ = append_entries(journal, [NewEntry("002", "转出", -9, "转出至西村", "T2")], "2026-06-15", "文书")
    journal, _ = append_entries(journal, [NewEntry("001", "转出", -40, "转出至南村", "T3")], "2027-03-01", "文书")
    presence = year_presence(hh, journal, pd.DataFrame(columns=["户号", "月份", "总分"]), 2026)
    assert sorted(presence.during) == [f"{i:03d}" for i in range(1, 11)]
    assert "002" not in presence.at_end and "001" in presence.at_end
    results = {f"{i:03d}": 100 - i for i in range(1, 11)}  # 001 best, 002 second
    frame = rate_year(2026, hh, results, RatingSettings(ratings="星级"), {}, {}, {}, presence).set_index("户号")
    # N = 10 (002 counted, 011 not): 10% → position 1.0, 20% → 2.0, 30% → 3.0 among those who can be awarded
    assert [frame.loc[h, "星级"] for h in ("001", "002", "003", "004", "005")] == [
        "五星级文明户", "", "四星级文明户", "三星级文明户", ""]
    assert "011" not in frame.index
    # without the year's presence (today's 户籍), 001 would lose a star it earned in 2026
    today = rate_year(2026, hh, results, RatingSettings(ratings="星级"), {}, {}, {}).set_index("户号")
    assert today.loc["001", "星级"] == ""


def test_the_year_dates_a_month_by_its_month_and_an_arrival_by_its_transfer() -> None:
    """A December scored and posted in January, then gone: in December's year only; one transferred in later: not in it."""
    from villagectl.ledger.households import year_presence
    from villagectl.ledger.journal import monthly_reference

    hh = households(3)
    hh.loc[hh["户号"] == "002", "状态"] = "迁出"
    journal, _ = append_entries(empty_journal(), [NewEntry("002", "月度积分", 5, "2026-12 月度检查", monthly_reference("2026-12", "002"))],
                                "2027-01-05", "文书")
    journal, _ = append_entries(journal, [NewEntry("003", "转入", 12, "自东村转入", "T9")], "2027-03-01", "文书")
    empty = pd.DataFrame(columns=["户号", "月份", "总分"])
    in_2026, in_2027 = year_presence(hh, journal, empty, 2026), year_presence(hh, journal, empty, 2027)
    assert "002" in in_2026.during and "002" not in in_2026.at_end  # left during 2026 (its last month)
    assert "002" not in in_2027.during
    assert "003" not in in_2026.during and "003" in in_2027.during and "003" in in_2027.at_end
