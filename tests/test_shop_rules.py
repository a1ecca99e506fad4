"""The shop's rules (ledger/shop.py, ledger/redemptions.py, ledger/slips.py) on plain frames: no workbook is built.

Worked numbers: 毛巾 5 分 with 3 in stock, 食用油 60 分; 张三 (H001) has 41 posted points, 李四 (H002) 100.
With 人均奖励经费 2 元 and 5 + 5 people active on 1 January the year's budget is 20 元 (1 分 = 1 元).
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from villagectl.errors import DataError
from villagectl import schema
from villagectl.ledger.journal import NewEntry, append_entries, current_balances, empty_journal
from villagectl.ledger.redemptions import LineRequest, RedemptionRequest, finish_plans, parse_qty, post_plans
from villagectl.ledger.shop import ShopBook, ShopState
from villagectl.ledger.slips import (
    FORGED,
    GENUINE,
    TAMPERED,
    UNKNOWN,
    canonical_content,
    make_code,
    normalize_code,
    same_code,
    slip_records,
    verify,
)

DAY = dt.date(2026, 8, 1)
SECRET = "0123456789abcdef0123456789abcdef"


def households() -> pd.DataFrame:
    return pd.DataFrame([
        {"户号": "H001", "户主": "张三", "组别": "一组", "人口": 5, "状态": "正常"},
        {"户号": "H002", "户主": "李四", "组别": "一组", "人口": 5, "状态": "正常"},
        {"户号": "H003", "户主": "王五", "组别": "二组", "人口": 3, "状态": "迁出"},
    ], dtype=object)


def shop() -> pd.DataFrame:
    return pd.DataFrame([
        {"名称": "毛巾", "单位": "条", "积分单价": 5, "库存": 3},
        {"名称": "食用油", "单位": "桶", "积分单价": 60, "库存": 10},
        {"名称": "肥皂", "单位": "块", "积分单价": "", "库存": 4},
    ], dtype=object)


def journal() -> pd.DataFrame:
    frame, _ = append_entries(empty_journal(), [
        NewEntry("H001", schema.ENTRY_MONTHLY, 41, "2026-07 月度积分", "月度得分 2026-07 H001"),
        NewEntry("H002", schema.ENTRY_MONTHLY, 100, "2026-07 月度积分", "月度得分 2026-07 H002"),
    ], "2026-07-31", "村文书")
    return frame


def state(**settings: str) -> ShopState:
    return ShopState(ShopBook.of(settings=settings, households=households(), shop=shop(), journal=journal()))


def plan(st: ShopState, household: str, *lines: tuple[str, object], over_budget: bool = False):
    problems: list = []
    result = st.plan(RedemptionRequest(household, DAY, [LineRequest(item, qty) for item, qty in lines]), problems,
                     over_budget)
    return result, [p.message for p in problems]


# --- stock --------------------------------------------------------------------------------------------------------


def test_stock_counts_down_across_redemptions_and_refuses_what_is_not_there() -> None:
    st = state()
    first, problems = plan(st, "H002", ("毛巾", 2))
    assert problems == [] and first.points == 10 and first.number == "DH2026-000001"
    assert st.stock["毛巾"] == 1
    second, problems = plan(st, "H002", ("毛巾", 2))
    assert second is None
    assert problems == ["“毛巾”库存只剩 1条（本次前面已兑换 2条），不够兑换 2条"]
    third, problems = plan(st, "H002", ("毛巾", 1), ("毛巾", 1))  # the same item twice in one redemption
    assert third is None and problems == ["“毛巾”没有库存了（本次前面已兑换 3条），不能兑换"]


def test_the_same_item_twice_becomes_one_line() -> None:
    st = state()
    p, problems = plan(st, "H002", ("毛巾", 1), ("毛巾", 2))
    assert problems == [] and [(l.item, l.qty, l.points) for l in p.lines] == [("毛巾", 3, 15)]
    assert st.stock["毛巾"] == 0


def test_an_item_without_a_price_and_an_unknown_item_are_named() -> None:
    st = state()
    _, problems = plan(st, "H002", ("肥皂", 1))
    assert problems == ["“肥皂”的积分单价没有填写，请在商品表改正"]
    _, problems = plan(st, "H002", ("毛 巾子", 1))
    assert problems[0].startswith("商品表里没有“毛 巾子”；是不是“毛巾”")


def test_quantities() -> None:
    assert parse_qty(None) == (1.0, None)
    assert parse_qty("2桶") == (2.0, None)
    assert parse_qty("２") == (2.0, None)
    assert parse_qty(0)[1] == "数量 0 应大于 0"
    assert parse_qty(1.005)[1] == "数量 1.005 最多两位小数"


# --- balance ------------------------------------------------------------------------------------------------------


def test_balance_is_the_journal_sum_and_refuses_past_it() -> None:
    st = state()
    assert st.balance("H001") == 41 == current_balances(journal())["H001"]
    p, problems = plan(st, "H001", ("食用油", 1))
    assert p is None and problems == ["张三（H001）积分余额 41 分，本次兑换需要 60 分，余额不足，不能兑换"]
    p, problems = plan(st, "H001", ("毛巾", 3))
    assert problems == [] and (p.balance_before, p.balance_after) == (41, 26)
    assert st.balance("H001") == 26


def test_only_an_active_household_redeems() -> None:
    st = state()
    assert plan(st, "H003", ("毛巾", 1))[1] == ["王五（H003）户籍状态为“迁出”，不能兑换"]
    assert plan(st, "H999", ("毛巾", 1))[1] == ["户号 H999 不在户籍中"]


# --- budget: 20 元 for the year, warn at 80 %, 100 %, past it; 拒绝 refuses ------------------------------------------------


def test_budget_warns_at_80_and_100_percent_and_past_it() -> None:
    st = state(人均奖励经费="2")
    assert st.budget(2026) == 20
    plan(st, "H002", ("毛巾", 3))  # 15 元: 75 %
    assert st.budget_status(2026).warning is None
    st.stock["毛巾"] = 10
    plan(st, "H002", ("毛巾", 0.2))  # 16 元: 80 %
    status = st.budget_status(2026)
    assert status.ratio == 0.8
    assert status.warning == ("2026 年兑换金额已达 16.00 元，占全年奖励经费 20.00 元的 80%（预警比例 80%；"
                              "10 人 × 2 元，常住人口取2026-01-01 户籍在册 2 户的人口之和），请注意控制")
    plan(st, "H002", ("毛巾", 0.8))  # 20 元
    assert "全年奖励经费 20.00 元已用完（100%）" in st.budget_status(2026).warning
    p, problems = plan(st, "H002", ("毛巾", 1))  # 25 元: 提醒 (the default) lets it through
    assert problems == [] and p.over_budget and p.note == "超出年度经费"
    assert st.budget_status(2026).warning.startswith("2026 年兑换金额 25.00 元，已超出全年奖励经费 20.00 元的 125%")


def test_budget_refuses_past_100_percent_when_the_rule_says_so() -> None:
    st = state(人均奖励经费="2", 经费超出时="拒绝", 经费预警比例="50")
    p, problems = plan(st, "H002", ("毛巾", 3))
    assert problems == [] and "预警比例 50%" in st.budget_status(2026).warning
    p, problems = plan(st, "H002", ("食用油", 1))
    assert p is None
    assert problems == ["超出 2026 年奖励经费：全年经费 20.00 元（10 人 × 2 元，常住人口取2026-01-01 户籍在册 2 户的人口之和），"
                        "已兑换 15.00 元，本次 60.00 元，参数“经费超出时”为“拒绝”；确需兑换请加 --over-budget --reason \"原因\""]
    p, problems = plan(st, "H002", ("食用油", 1), over_budget=True)
    assert problems == [] and p.over_budget


def test_the_budget_is_rounded_to_the_fen_once() -> None:
    from villagectl.ledger.budget import year_budget

    assert state(人均奖励经费="0.3333").budget(2026) == 3.33 == year_budget(10, 0.3333)
    assert year_budget(10, None) is None


def test_no_budget_without_a_per_resident_amount_and_a_bad_setting_is_named() -> None:
    st = state()
    assert st.budget(2026) is None and st.budget_status(2026).warning is None
    with pytest.raises(DataError) as err:  # read as rules/settings.py reads 参数 for every command
        state(人均奖励经费="两元")
    assert err.value.message.startswith("参数“人均奖励经费”的值“两元”不是数字，请在“参数”表改正")
    assert [(str(p.location), p.message) for p in err.value.problems] == [
        ("台账.xlsx / 参数 / B2", "参数“人均奖励经费”的值“两元”不是数字")]
    with pytest.raises(DataError) as err:
        state(经费超出时="不管")
    assert err.value.message.startswith("参数“经费超出时”的值“不管”无效，应为 提醒 或 拒绝")
    with pytest.raises(DataError) as err:  # points must be worth something: 0 yuan per point is refused
        state(每分折合元="0")
    assert err.value.message.startswith("参数“每分折合元”的值“0”应大于 0，请在“参数”表改正")
    assert [(str(p.location), p.message) for p in err.value.problems] == [("台账.xlsx / 参数 / B2", "参数“每分折合元”的值“0”应大于 0")]
    assert state(每分折合元="0.5").yuan_per_point == 0.5


# --- slip codes: one that verifies, one that does not ----------------------------------------------------------------


def test_code_is_an_hmac_of_the_content() -> None:
    content = canonical_content("DH2026-000001", "2026-08-01", "H002", [("毛巾", 2, 10)], 10)
    code = make_code(SECRET, content)
    assert code == make_code(SECRET, canonical_content("DH2026-000001", "2026-08-01", "H002", [("毛巾", 2.0, 10.0)], 10))
    assert normalize_code(code.lower().replace("-", " ")) == code
    assert not same_code(code, make_code(SECRET, content.replace("10", "100")))
    assert not same_code(code, make_code("another secret of 32 characters!", content))


def posted_slip() -> tuple[ShopState, str]:
    st = state()
    p, problems = plan(st, "H002", ("毛巾", 2), ("食用油", 1))
    assert problems == []
    finish_plans(st, [p], SECRET)
    changed = post_plans(st, [p], "村文书")
    assert changed == [schema.JOURNAL.name, schema.REDEMPTIONS.name, schema.SHOP.name]
    assert st.journal.iloc[-1]["摘要"] == "兑换 毛巾×2、食用油×1" and st.journal.iloc[-1]["积分"] == -70
    assert current_balances(st.journal)["H002"] == 30
    assert list(st.shop["库存"]) == [1, 9, 4]
    return st, p.code


def test_a_posted_slip_verifies_and_an_altered_one_does_not() -> None:
    st, code = posted_slip()
    records = slip_records(st.redemptions)
    assert verify(records, st.journal, SECRET, code).verdict == GENUINE
    assert verify(records, st.journal, SECRET, "7KQ2M-XW9CD").verdict == UNKNOWN
    payload = f"VCS1:DH2026-000001:2026-08-01:H002:70:{code.replace('-', '')}"
    assert verify(records, st.journal, SECRET, payload).verdict == GENUINE
    forged = verify(records, st.journal, SECRET, payload.replace(":70:", ":700:"))
    assert forged.verdict == FORGED and "二维码里的单号、日期、户号或积分与核验码不符（被改动过）" in forged.reasons
    edited = st.redemptions.copy()
    edited.loc[edited.index[0], "积分"] = 1  # 毛巾×2 for 1 point instead of 10
    result = verify(slip_records(edited), st.journal, SECRET, code)
    assert result.verdict == TAMPERED
    assert result.reasons == ["兑换单 DH2026-000001 在“兑换记录”中的内容与核验码不符：记录被手工改过"]
