"""The append-only journal: balances, earned vs spent, reversals, the check chain."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import add_households, household, invoke, invoke_json
from villagectl.ledger.journal import (
    NewEntry,
    ReversalRefused,
    append_entries,
    empty_journal,
    reverse_entry,
    summarize,
    verify_journal,
)
from villagectl.ledger.workbook import Ledger


def _journal():
    j, ids = append_entries(
        empty_journal(),
        [
            NewEntry("001", "期初", 10, "原纸质存折结转"),
            NewEntry("001", "月度积分", 5, "2026-07 月度检查 91.5 分"),
            NewEntry("002", "月度积分", 3, "2026-07 月度检查 88 分"),
            NewEntry("001", "兑换", -8, "兑换 食用油×1"),
        ],
        "2026-07-28",
        "村文书",
    )
    return j, ids


def test_ids_balances_and_running_balance_column() -> None:
    j, ids = _journal()
    assert ids == ["000001", "000002", "000003", "000004"]
    assert j["余额"].tolist() == [10, 15, 3, 7]
    totals = summarize(j).set_index("household_id").to_dict("index")
    assert totals["001"] == {"balance": 7.0, "earned": 15.0, "spent": 8.0}
    assert totals["002"] == {"balance": 3.0, "earned": 3.0, "spent": 0.0}
    assert verify_journal(j) == []


def test_reversal_of_a_redemption_restores_balance_not_earned() -> None:
    j, _ = _journal()
    j, rid = reverse_entry(j, "000004", "商品退回", "2026-07-29", "村文书")
    assert rid == "000005"
    row = j.iloc[-1]
    assert (row["类型"], row["积分"], row["关联"], row["余额"]) == ("冲正", 8, "000004", 15)
    assert "兑换 食用油×1" in row["摘要"] and "商品退回" in row["摘要"]
    totals = summarize(j).set_index("household_id").to_dict("index")
    assert totals["001"] == {"balance": 15.0, "earned": 15.0, "spent": 0.0}
    assert verify_journal(j) == []


def test_false_claim_reversal_deducts_twice_and_lowers_earned() -> None:
    j, _ = _journal()
    j, _ = reverse_entry(j, "000003", "申报不实", "2026-08-01", "村文书", factor=2)
    assert j.iloc[-1]["积分"] == -6
    totals = summarize(j).set_index("household_id").to_dict("index")
    assert totals["002"] == {"balance": -3.0, "earned": -3.0, "spent": 0.0}


def test_reversal_refusals() -> None:
    j, _ = _journal()
    j, rid = reverse_entry(j, "000002", "录错", "2026-07-29", "村文书")
    with pytest.raises(ReversalRefused, match="已经冲正过"):
        reverse_entry(j, "000002", "again", "2026-07-29", "村文书")
    with pytest.raises(ReversalRefused, match="本身是冲正记录"):
        reverse_entry(j, rid, "x", "2026-07-29", "村文书")
    with pytest.raises(ReversalRefused, match="找不到流水号 999999"):
        reverse_entry(j, "999999", "x", "2026-07-29", "村文书")


def test_verify_names_the_edited_row_only() -> None:
    j, _ = _journal()
    j.loc[1, "摘要"] = "2026-07 月度检查 99 分"  # a hand edit of a posted row
    issues = verify_journal(j)
    assert [(i.row, i.column) for i in issues] == [(1, "校验")]
    assert "000002" in issues[0].message and "手工改动" in issues[0].message


def test_verify_catches_points_edit_as_balance_and_chain() -> None:
    j, _ = _journal()
    j.loc[2, "积分"] = 30
    issues = verify_journal(j)
    assert {(i.row, i.column) for i in issues} == {(2, "余额"), (2, "校验")}


def test_verify_catches_a_deleted_row() -> None:
    j, _ = _journal()
    j = j.drop(index=1).reset_index(drop=True)
    issues = verify_journal(j)
    assert (1, "校验") in {(i.row, i.column) for i in issues}


def test_check_command_names_the_edited_cell(ledger_path: Path, runner) -> None:
    add_households(ledger_path, [household("001", "张三"), household("002", "李四")])
    ledger = Ledger.open(ledger_path)
    j, _ = _journal()
    ledger.replace("积分流水", j)
    ledger.save("test")
    assert invoke(runner, "check", ledger_path).exit_code == 0

    ledger = Ledger.open(ledger_path)
    edited = ledger.frame("积分流水").copy()
    edited.loc[2, "积分"] = 30
    edited.loc[2, "余额"] = 30
    ledger.replace("积分流水", edited)
    ledger.save("hand-edit")
    result, data = invoke_json(runner, "check", ledger_path)
    assert result.exit_code == 1
    cells = {(p["sheet"], p["cell"]) for p in data["problems"]}
    assert ("积分流水", "K4") in cells  # 校验 column, Excel row 4 = third entry
    assert any("000003" in p["message"] for p in data["problems"])


def test_balance_command_table_and_json(ledger_path: Path, runner) -> None:
    add_households(ledger_path, [household("001", "张三"), household("002", "李四"), household("003", "王五")])
    ledger = Ledger.open(ledger_path)
    j, _ = _journal()
    ledger.replace("积分流水", j)
    ledger.save("test")
    result, data = invoke_json(runner, "balance", ledger_path)
    assert result.exit_code == 0
    assert data["households"] == [  # family average = earned ÷ 参评人数 (3 in each household here)
        {"household_id": "001", "name": "张三", "group": "第一组", "balance": 7.0, "earned": 15.0, "spent": 8.0,
         "family_average": 5.0, "members": []},
        {"household_id": "002", "name": "李四", "group": "第一组", "balance": 3.0, "earned": 3.0, "spent": 0.0,
         "family_average": 1.0, "members": []},
        {"household_id": "003", "name": "王五", "group": "第一组", "balance": 0.0, "earned": 0.0, "spent": 0.0,
         "family_average": 0.0, "members": []},
    ]
    result, data = invoke_json(runner, "balance", ledger_path, "--household", "002")
    assert [d["household_id"] for d in data["households"]] == ["002"]
    result = invoke(runner, "balance", ledger_path)
    assert "张三" in result.stdout and "余额合计 10 分" in result.stdout
    result = invoke(runner, "balance", ledger_path, "--household", "999")
    assert result.exit_code == 1 and "户号 999 不在户籍中" in result.stderr


def test_one_classifier_gives_kind_year_and_totals() -> None:
    """Balance, earned, spent and the year each entry counts for, worked out once (issue 15)."""
    import pandas as pd

    from villagectl.ledger.journal import account_totals, classify, monthly_reference, parse_monthly_reference

    j = empty_journal()
    j, ids = append_entries(j, [
        NewEntry("A", "期初", 20, "上年结转"),
        NewEntry("A", "月度积分", 5, "2026-12 月度检查 95 分", monthly_reference("2026-12", "A")),
        NewEntry("A", "加分", 3, "见义勇为", "E1"),
        NewEntry("A", "兑换", -8, "兑换 食用油", "S1"),
    ], "2027-01-05", "文书")
    j, [rev] = append_entries(j, [NewEntry("A", "冲正", -5, "冲正：2026-12 月度检查", ids[1])], "2027-02-01", "文书")
    events = pd.DataFrame([{"事件号": "E1", "日期": "2026-11-30"}])
    entries = {e.entry_id: e for e in classify(j, events)}
    assert [entries[i].year for i in ids] == [None, 2026, 2026, None]  # the month's year; the event's date
    assert (entries[rev].kind, entries[rev].year) == ("月度积分", 2026)  # a reversal counts as what it reverses
    t = account_totals(list(entries.values()))["A"]
    assert (t.balance, t.earned, t.spent, t.by_year) == (15, 23, 8, {2026: 3})
    assert parse_monthly_reference("月度得分 2026-07 ZP001") == ("2026-07", "ZP001")
    assert parse_monthly_reference("E1") is None
