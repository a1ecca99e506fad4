"""Monthly scoring, seed 001 篇3, with worked numbers and every boundary."""

from __future__ import annotations

import pandas as pd
import pytest

from villagectl.rules.presets import ZHONGPING, Rule
from villagectl.scoring.monthly import MonthlySettings, history_from_results, score_month

ONE_ITEM = [Rule("A", "综合", "综合", 100, "检查项", "月", step=0.5)]
BANDS = list(ZHONGPING.bands)
SETTINGS = MonthlySettings()


def households(*ids: str, group: str = "第一组") -> pd.DataFrame:
    return pd.DataFrame(
        [{"户号": h, "户主": f"户主{h}", "组别": group, "状态": "正常"} for h in ids], dtype=object
    )


def run_months(totals_by_month: list[dict[str, float]], hh: pd.DataFrame) -> list[pd.DataFrame]:
    """Score each month in turn, feeding the results forward as the ledger would."""
    results = pd.DataFrame()
    out = []
    for i, totals in enumerate(totals_by_month, start=1):
        month = f"2026-{i:02d}"
        scores = pd.DataFrame({"户号": list(totals), "A": list(totals.values())})
        history = history_from_results(results, month)
        frame = score_month(month, scores, hh, ONE_ITEM, BANDS, SETTINGS, history)
        out.append(frame.set_index("户号"))
        results = pd.concat([results, frame], ignore_index=True)
    return out


@pytest.mark.parametrize(
    "total, points",
    [(69.5, 0), (70, 0), (79.5, 0), (80, 1), (80.5, 1), (85, 1), (85.5, 3), (90, 3), (90.5, 5), (100, 5)],
)
def test_band_points_at_every_boundary(total: float, points: float) -> None:
    [month] = run_months([{"001": total}], households("001"))
    assert month.loc["001", "积分"] == points
    assert month.loc["001", "总分"] == total


def test_below_70_notes_no_points() -> None:
    [month] = run_months([{"001": 69.5, "002": 70}], households("001", "002"))
    assert month.loc["001", "备注"].startswith("低于70分，不积分")
    assert month.loc["002", "备注"] == "" or "低于" not in month.loc["002", "备注"]


def test_six_top_months_give_two_bonuses() -> None:
    months = run_months([{"001": 95}] * 6, households("001"))
    assert [m.loc["001", "奖励"] for m in months] == [0, 0, 5, 0, 0, 5]
    assert "连续3个月最高档，奖励5分" in months[2].loc["001", "备注"]


def test_four_top_months_give_one_bonus() -> None:
    months = run_months([{"001": 95}] * 4, households("001"))
    assert [m.loc["001", "奖励"] for m in months] == [0, 0, 5, 0]


def test_a_miss_resets_the_run() -> None:
    totals = [95, 95, 88, 95, 95, 95]  # month 3 earns 3 points, not 5
    months = run_months([{"001": t} for t in totals], households("001"))
    assert [m.loc["001", "奖励"] for m in months] == [0, 0, 0, 0, 0, 5]


def test_exactly_90_is_not_top_band_for_the_streak() -> None:
    months = run_months([{"001": 90}] * 3, households("001"))
    assert [m.loc["001", "积分"] for m in months] == [3, 3, 3]
    assert [m.loc["001", "奖励"] for m in months] == [0, 0, 0]


def test_a_missing_month_breaks_the_run_and_is_not_scored_zero() -> None:
    hh = households("001", "002")
    months = run_months([{"001": 95, "002": 80}, {"002": 80}, {"001": 95, "002": 80}, {"001": 95, "002": 80},
                         {"001": 95, "002": 80}], hh)
    assert months[1].loc["001", "备注"] == "本月未检查"
    assert pd.isna(months[1].loc["001", "总分"]) and pd.isna(months[1].loc["001", "积分"])
    bonuses = [m.loc["001", "奖励"] for m in months]
    assert pd.isna(bonuses[1])
    assert bonuses[:1] + bonuses[2:] == [0, 0, 0, 5]


def test_tied_last_places_all_go_on_the_board_in_the_third_month() -> None:
    hh = households("001", "002", "003")
    totals = [{"001": 60, "002": 60, "003": 90}] * 3 + [{"001": 60, "002": 75, "003": 90}, {"001": 95, "002": 75, "003": 90}]
    months = run_months(totals, hh)
    board = [sorted(h for h in m.index if m.loc[h, "曝光台"] == "是") for m in months]
    assert board == [[], [], ["001", "002"], ["001"], []]
    assert "连续4个月全村最低" in months[3].loc["001", "备注"]


def test_last_place_run_broken_by_a_missing_month() -> None:
    hh = households("001", "002")
    months = run_months([{"001": 60, "002": 90}, {"002": 90}, {"001": 60, "002": 90}, {"001": 60, "002": 90}], hh)
    assert [m.loc["001", "曝光台"] for m in months] == ["", "", "", ""]


def test_below_70_still_counts_for_last_place() -> None:
    hh = households("001", "002")
    months = run_months([{"001": 50, "002": 90}] * 3, hh)
    assert months[2].loc["001", "曝光台"] == "是"


def test_ranks_share_ties_in_village_and_group() -> None:
    hh = pd.concat([households("001", "002", "003"), households("004", group="第二组")], ignore_index=True)
    [m] = run_months([{"001": 90, "002": 95, "003": 90, "004": 85}], hh)
    assert m["名次"].to_dict() == {"001": 2, "002": 1, "003": 2, "004": 4}
    assert m["组内名次"].to_dict() == {"001": 2, "002": 1, "003": 2, "004": 1}


def test_category_scores_from_the_zhongping_catalogue() -> None:
    rules = [r for r in ZHONGPING.rules]
    scores = {r.code: r.points for r in rules}
    scores.update({"RJ1": 12.5, "XF1": 8})
    frame = pd.DataFrame([{"户号": "001", **scores}])
    result = score_month("2026-07", frame, households("001"), rules, BANDS, SETTINGS, []).set_index("户号")
    assert result.loc["001", "人居环境"] == 47.5
    assert result.loc["001", "先锋模范"] == 18
    assert result.loc["001", "总分"] == 95.5
    assert result.loc["001", "积分"] == 5


def test_empty_month_history_and_inactive_households() -> None:
    hh = households("001", "002")
    hh.loc[1, "状态"] = "迁出"
    [m] = run_months([{"001": 88}], hh)
    assert list(m.index) == ["001"]  # a moved-out household is not listed as missing
