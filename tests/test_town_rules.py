"""The town's rules (scoring.town) on plain columns, without building a workbook: worked numbers."""

from __future__ import annotations

import pytest

from villagectl.errors import DataError
from villagectl import schema
from villagectl.ledger.journal import classify_columns
from villagectl.scoring.town import (
    NOT_IN_ROSTER, SOURCE_JOURNAL, SOURCE_REDEMPTIONS, SheetData, count_moved_once, refuse_same_names,
    summarize_village, total_of,
)


def sheet(name: str, **columns: list) -> SheetData:
    n = max((len(v) for v in columns.values()), default=0)
    letters = {c: chr(ord("A") + i) for i, c in enumerate(columns)}
    return SheetData(name, {c: list(v) for c, v in columns.items()}, letters, list(range(2, 2 + n)))


def journal(rows: list[tuple]) -> SheetData:
    """rows: (流水号, 日期, 户号, 类型, 积分, 关联)."""
    cols = list(zip(*rows)) if rows else [[] for _ in range(6)]
    return sheet(schema.JOURNAL.name, 流水号=cols[0], 日期=cols[1], 户号=cols[2], 类型=cols[3], 积分=cols[4],
                 关联=cols[5])


def village(name: str, roster: list[tuple], rows: list[tuple], *, events: dict[str, str] | None = None,
            shop: SheetData | None = None, annual: SheetData | None = None, per_resident: str = "20",
            yuan: str = "0.5") -> dict[str, SheetData]:
    """roster: (户号, 组别, 人口, 状态)."""
    r = list(zip(*roster))
    sheets = {
        schema.SETTINGS.name: sheet(schema.SETTINGS.name, 键=["村名", "乡镇", "每分折合元", "人均奖励经费"],
                                    值=[name, "青山镇", yuan, per_resident]),
        schema.HOUSEHOLDS.name: sheet(schema.HOUSEHOLDS.name, 户号=r[0], 组别=r[1], 人口=r[2], 状态=r[3]),
        schema.JOURNAL.name: journal(rows),
    }
    if events is not None:
        sheets[schema.EVENTS.name] = sheet(schema.EVENTS.name, 事件号=list(events), 日期=list(events.values()))
    if shop is not None:
        sheets[schema.REDEMPTIONS.name] = shop
    if annual is not None:
        sheets[schema.ANNUAL.name] = annual
    return sheets


EAST_ROSTER = [("D1", "一组", 3, "正常"), ("D2", "一组", 2, ""), ("D3", "二组", 4, "迁出"), ("D4", "二组", 5, "正常")]
EAST_JOURNAL = [
    ("000001", "2026-01-02", "D1", "期初", 10, ""),                  # balance only, no year's earnings
    ("000002", "2026-02-01", "D1", "月度积分", 8, "月度得分 2026-01 D1"),
    ("000003", "2027-01-03", "D1", "月度积分", 4, "月度得分 2026-12 D1"),  # posted in 2027, counts for 2026
    ("000004", "2026-03-01", "D1", "加分", 6, "E1"),                  # the event is of 2025: counts for 2025
    ("000005", "2026-04-01", "D1", "兑换", -7, ""),
    ("000006", "2026-05-01", "D1", "冲正", 7, "000005"),              # the redemption undone
    ("000007", "2026-05-02", "D2", "兑换", -3, ""),
    ("000008", "2026-02-01", "D3", "月度积分", 5, "月度得分 2026-01 D3"),
    ("000009", "2026-03-01", "D3", "扣分", -2, "E2"),                 # event of 2026
    ("000010", "2026-06-01", "D3", "转出", -3, "ZY-1"),               # D3 moved to 西村 with its 3 points
    ("000011", "2026-07-01", "D4", "月度积分", 9, "月度得分 2026-06 D4"),
    ("000012", "2026-08-01", "D4", "冲正", -9, "000011"),             # a 2026 month taken back
    ("000013", "2026-09-01", "X9", "连续奖励", 2, "月度得分 2026-08 X9"),  # not in 户籍
]
EVENTS = {"E1": "2025-12-30", "E2": "2026-03-01"}


def east() -> dict[str, SheetData]:
    return village("东村", EAST_ROSTER, EAST_JOURNAL, events=EVENTS)


def test_a_village_state_with_worked_numbers() -> None:
    v = summarize_village(east(), 2026, "东村.xlsx")
    assert (v.village, v.town, v.file) == ("东村", "青山镇", "东村.xlsx")
    # D3 迁出: not counted; D1 + D2 + D4 are active: 3 + 2 + 5 residents
    assert (v.households, v.residents) == (3, 10)
    # 2026 earnings: D1 8 + 4; D3 5 − 2; D4 9 − 9; X9 2 = 17 (the 2025 award and the opening do not count)
    assert v.earned == 17
    # balance: all rows: D1 10+8+4+6−7+7 = 28; D2 −3; D3 5−2−3 = 0; D4 0; X9 2
    assert v.balance == 27
    # no 兑换记录: the journal's redemptions posted in 2026 (D1's undone): 3 points, at 0.5 yuan each
    assert (v.redemption_source, v.redeemed_points, v.redeemed_yuan) == (SOURCE_JOURNAL, 3, 1.5)
    assert (v.per_resident, v.budget, v.budget_use) == (20, 200, 0.8)  # 10 residents × 20 yuan
    groups = {g.group: (g.households, g.residents, g.earned, g.balance, g.average) for g in v.groups}
    assert groups == {"一组": (2, 5, 12, 25, 6.0), "二组": (1, 5, 3, 0, 3.0), NOT_IN_ROSTER: (0, 0, 2, 2, None)}
    assert v.transfers_out == {"ZY-1": ("D3", "二组", 3)}
    assert v.rating == "未评定"
    assert any("1 个户号不在户籍表里" in w for w in v.warnings)


def test_earned_by_year() -> None:
    by_year = {y: summarize_village(east(), y).earned for y in (2025, 2026, 2027)}
    assert by_year == {2025: 6, 2026: 17, 2027: 0}
    v2027 = summarize_village(east(), 2027)
    assert v2027.warnings[-1] == "积分流水里没有 2027 年获得的积分"
    assert v2027.redeemed_points == 0 and v2027.balance == 27  # the balance is all years'


def test_the_classifier_gives_the_years() -> None:
    cols = list(zip(*EAST_JOURNAL))
    entries = classify_columns(cols[0], cols[2], None, cols[3], cols[4], cols[1], cols[5], EVENTS)
    assert [(e.entry_id, e.kind, e.year) for e in entries if e.type == "冲正"] == [
        ("000006", "兑换", None), ("000012", "月度积分", 2026)]
    assert {e.entry_id: e.year for e in entries}["000003"] == 2026
    assert {e.entry_id: e.year for e in entries}["000004"] == 2025


def west(received: bool = True) -> dict[str, SheetData]:
    rows = [("000001", "2026-02-01", "W1", "月度积分", 7, "月度得分 2026-01 W1")]
    if received:
        rows.append(("000002", "2026-06-02", "W2", "转入", 3, "ZY-1"))  # D3's history came with it
    return village("西村", [("W1", "一组", 2, "正常"), ("W2", "二组", 4, "正常")], rows)


def test_a_transferred_household_counts_in_one_village() -> None:
    villages = [summarize_village(east(), 2026, "东村.xlsx"), summarize_village(west(), 2026, "西村.xlsx")]
    count_moved_once(villages)
    e, w = villages
    # D3's 3 points of 2026 leave 东村 and its 二组; 西村 counts them as W2's 转入
    assert (e.earned, w.earned) == (14, 10)
    assert {g.group: g.earned for g in e.groups}["二组"] == 0
    assert e.moved_away == ["D3（转往西村）"]
    assert e.warnings[-1] == "年内转往汇总内其他村的 1 户只计入转入的村（积分已随户转走）：D3（转往西村）"
    t = total_of(villages)
    assert (t.villages, t.households, t.residents, t.earned) == (2, 5, 16, 24)


def test_a_transfer_to_a_village_outside_the_rollup_stays() -> None:
    villages = [summarize_village(east(), 2026), summarize_village(west(received=False), 2026)]
    count_moved_once(villages)
    assert villages[0].earned == 17 and villages[0].moved_away == []


def test_two_ledgers_of_one_village_are_refused() -> None:
    kept, refused = refuse_same_names([summarize_village(east(), 2026, "a/东村.xlsx"),
                                       summarize_village(east(), 2026, "b/东村.xlsx"),
                                       summarize_village(west(), 2026, "西村.xlsx")])
    assert [v.village for v in kept] == ["西村"]
    assert [r.file for r in refused] == ["a/东村.xlsx", "b/东村.xlsx"]
    assert "村名“东村”与 b/东村.xlsx 相同" in refused[0].reason


def test_the_shop_register_and_the_year_rating() -> None:
    shop = sheet(schema.REDEMPTIONS.name, 日期=["2026-04-01", "2026-05-02", "2025-12-01", "2026-06-01"],
                 积分=[7, 3, 50, 4], 金额=["", 2, 25, 2], 状态=["", "", "", "作废"])
    annual = sheet(schema.ANNUAL.name, 年度=[2026, 2026, 2026, 2025], 星级=["五星", "三星", "", "五星"],
                   牌级=["金牌", "", "铜牌", "金牌"], 榜单=["红榜", "", "黑榜", "红榜"], 状态=["公示", "公示", "草稿", "入账"])
    v = summarize_village(village("东村", EAST_ROSTER, EAST_JOURNAL, events=EVENTS, shop=shop, annual=annual), 2026)
    # 2026 rows, 作废 left out: 7 points (blank 金额: 7 × 0.5) + 3 points (2 yuan)
    assert (v.redemption_source, v.redeemed_points, v.redeemed_yuan) == (SOURCE_REDEMPTIONS, 10, 5.5)
    assert "兑换记录的兑换积分（10）与积分流水的兑换积分（3）不一致" in " ".join(v.warnings)
    assert (v.stars, v.medals, v.red, v.black, v.rating) == ((1, 0, 1), (1, 0, 1), 1, 1, "公示")


def test_a_cell_that_is_no_number_is_named() -> None:
    rows = [("000001", "2026-02-01", "D1", "月度积分", "八分", "月度得分 2026-01 D1")]
    with pytest.raises(DataError) as caught:
        summarize_village(village("东村", EAST_ROSTER, rows), 2026)
    assert caught.value.message == "“积分流水”E2 的积分“八分”不是数字，请在台账中改正"
