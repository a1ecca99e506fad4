"""The year's reward budget (issue 12 §4): the village's own rule, warnings with figures, the year's 常住人口.

Worked numbers: the 64-household sample village has 232 people in 正常 households (ZP047 moved out, no date:
not counted); one 5-person household more makes 237 people × 人均 2 元 = 474 元 a year, 80 % = 379.20 元.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest
from conftest import invoke, invoke_json

from villagectl.ledger.budget import year_base
from villagectl.ledger.create import create_ledger
from villagectl.ledger.journal import NewEntry, append_entries
from villagectl.ledger.workbook import Ledger
from villagectl.demo import build_samples
from villagectl.values import clean_text

DAY = "2026-08-01"


@pytest.fixture(scope="session")
def _sample_ledger(tmp_path_factory) -> Path:
    return Path(build_samples(tmp_path_factory.mktemp("sample") / "村")["ledger"])


@pytest.fixture
def ledger(_sample_ledger: Path, tmp_path: Path) -> Path:
    path = tmp_path / "中坪村积分台账.xlsx"
    shutil.copyfile(_sample_ledger, path)
    return path


def set_setting(path: Path, key: str, value: str) -> None:
    ledger = Ledger.open(path)
    frame = ledger.frame("参数").copy()
    hit = frame["键"].map(clean_text) == key
    if hit.any():
        frame.loc[hit, "值"] = value
    else:
        frame = pd.concat([frame, pd.DataFrame([{"键": key, "值": value, "说明": ""}])], ignore_index=True)
    ledger.replace("参数", frame)
    ledger.save("test-setup")


def add_household(path: Path, hid: str, size: int, state: str = "正常") -> None:
    ledger = Ledger.open(path)
    frame = ledger.frame("户籍").copy()
    row = {c: "" for c in frame.columns}
    row.update({"户号": hid, "户主": f"新户{hid}", "组别": "第一组", "人口": size, "参评人数": size, "户类型": "普通户",
                "状态": state})
    ledger.replace("户籍", pd.concat([frame, pd.DataFrame([row])], ignore_index=True))
    ledger.save("test-setup")


def journal_rows(path: Path, entries: list[NewEntry], day: str) -> None:
    ledger = Ledger.open(path)
    journal, _ = append_entries(ledger.frame("积分流水"), entries, day, "测试")
    ledger.replace("积分流水", journal)
    ledger.save("test-setup")


def village_of_237(path: Path) -> None:
    add_household(path, "ZP065", 5)  # 232 + 5 = 237 people on 1 January
    journal_rows(path, [NewEntry(f"ZP{n:03d}", "加分", 200, "测试加分") for n in range(1, 11)], "2026-07-31")


def buy(runner, path: Path, household: str, *args: str):
    return invoke_json(runner, "redeem", path, "--household", household, "--date", DAY, "--no-print", *args)


def test_zhongping_preset_has_no_cap_and_warns_by_default(tmp_path: Path) -> None:
    path = tmp_path / "村.xlsx"
    create_ledger(path, "测试村", "zhongping")
    s = Ledger.open(path).settings()
    assert (s["人均奖励经费"], s["经费超出时"], s["常住人口"], s["经费预警比例"]) == ("", "提醒", "", "80")
    create_ledger(tmp_path / "文明.xlsx", "测试村", "wenming")
    assert Ledger.open(tmp_path / "文明.xlsx").settings()["人均奖励经费"] == "2"  # 篇2 is in wenming's seeds
    create_ledger(tmp_path / "基础.xlsx", "测试村", "base140")
    assert Ledger.open(tmp_path / "基础.xlsx").settings()["人均奖励经费"] == ""


def test_zhongping_default_never_blocks(runner, ledger: Path) -> None:
    village_of_237(ledger)
    for n in range(1, 11):  # 10 × 食用油 50 元 = 500 元, more than 474 would be: no cap, no warning
        result, data = buy(runner, ledger, f"ZP{n:03d}", "--item", "食用油")
        assert result.exit_code == 0, result.stdout
        assert data["budget"][0]["budget"] is None and data["budget"][0]["warning"] is None
    assert not [w for w in data["warnings"] if "经费" in w]


def test_237_people_times_2_warns_past_the_budget_with_the_default_rule(runner, ledger: Path) -> None:
    village_of_237(ledger)
    set_setting(ledger, "人均奖励经费", "2")  # 经费超出时 stays 提醒
    for n in range(1, 10):  # 9 × 50 = 450 元
        result, data = buy(runner, ledger, f"ZP{n:03d}", "--item", "食用油")
        assert result.exit_code == 0
    result, data = buy(runner, ledger, "ZP010", "--item", "食用油")  # 500 元 > 474 元: warned, not refused
    assert result.exit_code == 0, result.stdout
    status = data["budget"][0]
    assert (status["budget"], status["residents"], status["spent"], status["over_mode"]) == (474, 237, 500, "提醒")
    assert "2026 年兑换金额 500.00 元，已超出全年奖励经费 474.00 元的 105%" in status["warning"]
    assert "237 人 × 2 元，常住人口取2026-01-01 户籍在册" in status["warning"]
    assert data["slips"][0]["over_budget"] is True
    assert Ledger.open(ledger).frame("兑换记录").iloc[-1]["说明"] == "超出年度经费"


def test_474_yuan_refusing_at_the_right_redemption(runner, ledger: Path) -> None:
    village_of_237(ledger)
    set_setting(ledger, "人均奖励经费", "2")
    set_setting(ledger, "经费超出时", "拒绝")
    for n in range(1, 8):  # 7 × 50 = 350 元 = 73.8 %: below 80 %, no warning
        result, data = buy(runner, ledger, f"ZP{n:03d}", "--item", "食用油")
        assert result.exit_code == 0 and data["budget"][0]["warning"] is None, data["budget"]
    result, data = buy(runner, ledger, "ZP008", "--item", "食用油")  # 400 元 = 84 %
    assert result.exit_code == 0
    warning = data["budget"][0]["warning"]
    assert "已达 400.00 元，占全年奖励经费 474.00 元的 84%（预警比例 80%；237 人 × 2 元" in warning
    assert warning in data["warnings"]
    result, data = buy(runner, ledger, "ZP009", "--item", "慰问品", "--points", "74", "--reason", "节日慰问")
    assert result.exit_code == 0, result.stdout  # 474 元: exactly the budget
    assert "全年奖励经费 474.00 元已用完（100%）" in data["budget"][0]["warning"]
    size = ledger.read_bytes()
    result = invoke(runner, "redeem", ledger, "--household", "ZP010", "--item", "肥皂", "--date", DAY, "--no-print")
    assert result.exit_code == 1  # 3 元 more: refused, the village chose 拒绝
    message = " ".join(result.stderr.split())
    assert "超出 2026 年奖励经费：全年经费 474.00 元（237 人 × 2 元" in message
    assert "已兑换 474.00 元，本次 3.00 元" in message and "经费超出时" in message and "--over-budget" in message
    assert ledger.read_bytes() == size
    result, data = buy(runner, ledger, "ZP010", "--item", "肥皂", "--over-budget", "--reason", "重阳节敬老")
    assert result.exit_code == 0 and data["slips"][0]["over_budget"] is True
    assert Ledger.open(ledger).frame("兑换记录").iloc[-1]["说明"] == "超出年度经费：重阳节敬老"


def test_base_is_the_start_of_year_population(runner, ledger: Path) -> None:
    village_of_237(ledger)
    add_household(ledger, "ZP066", 4)  # received by transfer in on 2026-06-01: not in 2026's base
    journal_rows(ledger, [NewEntry("ZP066", "转入", 0, "转入：测试村")], "2026-06-01")
    # ZP064 left on 2026-09-01 (转出): still in 2026's base, not in 2027's
    book = Ledger.open(ledger)
    roster = book.frame("户籍")
    size64 = int(roster.loc[roster["户号"] == "ZP064", "人口"].iloc[0])
    frame = roster.copy()
    frame.loc[frame["户号"] == "ZP064", "状态"] = "迁出"
    book.replace("户籍", frame)
    book.save("test-setup")
    journal_rows(ledger, [NewEntry("ZP064", "转出", 0, "转出至测试村")], "2026-09-01")
    set_setting(ledger, "人均奖励经费", "2")

    book = Ledger.open(ledger)
    base = year_base(book.settings(), book.frame("户籍"), book.frame("积分流水"), 2026)
    assert (base.residents, base.from_setting, base.left_out) == (237, False, 1)
    assert base.source == "2026-01-01 户籍在册 64 户的人口之和，年中转入的 1 户不计"
    later = year_base(book.settings(), book.frame("户籍"), book.frame("积分流水"), 2027)
    assert later.residents == 237 + 4 - size64

    result, data = buy(runner, ledger, "ZP001", "--item", "毛巾")
    assert result.exit_code == 0
    assert (data["budget"][0]["budget"], data["budget"][0]["residents"]) == (474, 237)  # not today's roster
    assert "2026-01-01 户籍在册" in data["budget"][0]["base"]

    set_setting(ledger, "常住人口", "300")  # the village's own figure wins
    result, data = buy(runner, ledger, "ZP002", "--item", "毛巾")
    assert (data["budget"][0]["budget"], data["budget"][0]["base"]) == (600, "参数“常住人口”")

    set_setting(ledger, "常住人口", "很多")
    result = invoke(runner, "redeem", ledger, "--household", "ZP003", "--item", "毛巾", "--date", DAY, "--no-print")
    assert result.exit_code == 1 and "常住人口" in result.stderr


def test_annual_report_says_which_base(runner, ledger: Path, tmp_path: Path) -> None:
    village_of_237(ledger)
    add_household(ledger, "ZP066", 4)
    journal_rows(ledger, [NewEntry("ZP066", "转入", 0, "转入：测试村")], "2026-06-01")
    set_setting(ledger, "人均奖励经费", "2")
    result, data = invoke_json(runner, "report", "year", ledger, "--year", "2026", "-o", tmp_path / "报告.pdf")
    assert result.exit_code == 0, result.stdout
    assert (data["budget"], data["budget_residents"]) == (474, 237)
    assert data["budget_base"].startswith("2026-01-01 户籍在册")
    from pypdf import PdfReader

    text = "".join("".join((page.extract_text() or "").split()) for page in PdfReader(tmp_path / "报告.pdf").pages)
    assert "常住人口237人" in text and "常住人口取2026-01-01户籍在册" in text


def test_check_accepts_an_empty_budget_and_refuses_a_bad_rule(runner, ledger: Path) -> None:
    result, data = invoke_json(runner, "check", ledger)
    assert not [p for p in data.get("problems", []) if "人均奖励经费" in p["message"]]
    set_setting(ledger, "经费超出时", "不管")
    result, data = invoke_json(runner, "check", ledger)
    assert any("经费超出时" in p["message"] for p in data["problems"]), data
