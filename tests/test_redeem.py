"""The village shop: redeem, redeem import, redeem cancel — balances, stock, budget, all-or-nothing."""

from __future__ import annotations

import shutil
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from conftest import invoke, invoke_json
from pypdf import PdfReader

import villagectl.cli.shop_commands  # noqa: F401  (registers the commands until cli/main.py imports it)
from villagectl.actions.redeem import LineRequest, parse_qty, redeem
from villagectl.actions.session import Session
from villagectl.cli.shop_commands import pair_lines
from villagectl.errors import DataError, UsageError
from villagectl.ledger.journal import (
    NewEntry,
    append_entries,
    summarize,
    verify_journal,
)
from villagectl.ledger.workbook import Ledger
from villagectl.demo import build_samples
from villagectl.values import clean_text

DAY = "2026-08-01"


# --- fixtures and helpers ----------------------------------------------------------


@pytest.fixture(scope="session")
def _sample_ledger(tmp_path_factory) -> Path:
    made = build_samples(tmp_path_factory.mktemp("sample") / "村")
    return Path(made["ledger"])


@pytest.fixture
def ledger(_sample_ledger: Path, tmp_path: Path) -> Path:
    """A fresh copy of the 64-household sample village (商品, opening balances in 积分流水)."""
    path = tmp_path / "中坪村积分台账.xlsx"
    shutil.copyfile(_sample_ledger, path)
    return path


def balances(path: Path) -> dict[str, dict]:
    frame = summarize(Ledger.open(path).frame("积分流水"))
    return {r.household_id: {"balance": r.balance, "earned": r.earned, "spent": r.spent} for r in frame.itertuples()}


def stock(path: Path) -> dict[str, float]:
    frame = Ledger.open(path).frame("商品")
    return {clean_text(r["名称"]): r["库存"] for _, r in frame.iterrows()}


def give_points(path: Path, household_id: str, points: float) -> None:
    """Posted points for a household (an 加分 journal row made through the library)."""
    ledger = Ledger.open(path)
    journal, _ = append_entries(ledger.frame("积分流水"), [NewEntry(household_id, "加分", points, "测试加分")], "2026-07-31", "测试")
    ledger.replace("积分流水", journal)
    ledger.save("test-setup")


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


def set_stock(path: Path, item: str, value) -> None:
    ledger = Ledger.open(path)
    frame = ledger.frame("商品").copy()
    frame.loc[frame["名称"].map(clean_text) == item, "库存"] = value
    ledger.replace("商品", frame)
    ledger.save("test-setup")


def residents(path: Path) -> int:
    frame = Ledger.open(path).frame("户籍")
    return int(sum(r["人口"] for _, r in frame.iterrows() if clean_text(r["状态"]) == "正常"))


def day_sheet(path: Path, rows: list[list], header=("序号", "户号", "户主", "物品", "数量", "积分", "备注"),
              title: str = "中坪村爱心超市2026年8月1日兑换登记表") -> Path:
    """A shop's day sheet as a clerk makes it: merged title, a blank row, the header on row 3, a footer."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "兑换登记"
    ws.append([title])
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(header))
    ws.append([])
    ws.append(list(header))
    for row in rows:
        ws.append(row)
    ws.append([])
    ws.append(["制表人：李秀兰", None, None, "审核：王建国"])
    wb.save(path)
    return path


# --- one redemption --------------------------------------------------------------------


def test_redeem_lowers_the_balance_not_the_earned_points(runner, ledger: Path) -> None:
    before = balances(ledger)["ZP010"]
    assert before == {"balance": 61.0, "earned": 61.0, "spent": 0.0}
    result, data = invoke_json(runner, "redeem", ledger, "--household", "ZP010", "--item", "食用油",
                               "--item", "毛巾", "--qty", "2", "--date", DAY, "--no-print")
    assert result.exit_code == 0, result.stdout
    slip = data["slips"][0]
    assert slip["slip"] == "DH2026-000001"
    assert (slip["points"], slip["yuan"], slip["balance_before"], slip["balance_after"]) == (60, 60, 61, 1)
    assert [(l["item"], l["qty"], l["points"]) for l in slip["lines"]] == [("食用油", 1, 50), ("毛巾", 2, 10)]

    after = balances(ledger)["ZP010"]
    assert after == {"balance": 1.0, "earned": 61.0, "spent": 60.0}  # ratings use earned points: not lowered
    book = Ledger.open(ledger)
    journal = book.frame("积分流水")
    row = journal.iloc[-1]
    assert (row["类型"], row["积分"], row["余额"], row["摘要"], row["关联"]) == ("兑换", -60, 1, "兑换 食用油×1、毛巾×2", "DH2026-000001")
    assert verify_journal(journal) == []
    records = book.frame("兑换记录")
    assert list(records["物品"]) == ["食用油", "毛巾"]
    assert list(records["积分"]) == [50, 10] and list(records["金额"]) == [50, 10]
    assert set(records["单号"]) == {"DH2026-000001"} and set(records["户主"]) == {"张金山"}
    assert set(records["兑换前余额"]) == {61} and set(records["兑换后余额"]) == {1}
    assert set(records["流水号"]) == {clean_text(row["流水号"])} and set(records["状态"]) == {"未领取"}
    assert set(records["核验码"]) == {slip["code"]}
    left = stock(ledger)
    assert (left["食用油"], left["毛巾"], left["大米"]) == (19, 78, 25)
    assert invoke(runner, "check", ledger).exit_code == 0


def test_each_qty_belongs_to_the_item_before_it(runner, ledger: Path) -> None:
    result, data = invoke_json(runner, "redeem", ledger, "--household", "ZP010", "--item", "毛巾", "--qty", "3",
                               "--item", "香皂", "--item", "牙膏", "--qty", "2", "--date", DAY, "--no-print")
    assert result.exit_code == 0, result.stdout
    assert [(l["item"], l["qty"]) for l in data["slips"][0]["lines"]] == [("毛巾", 3), ("香皂", 1), ("牙膏", 2)]
    assert data["points"] == 3 * 5 + 4 + 2 * 6


def test_pair_lines_without_raw_order_pairs_by_position() -> None:
    assert pair_lines(None, ["a", "b"], [2, 3], []) == [("a", 2, None), ("b", 3, None)]
    assert pair_lines(["--item", "a", "--qty", "2", "--item", "b"], ["a", "b"], [2], []) == [("a", 2, None), ("b", None, None)]
    with pytest.raises(UsageError):
        pair_lines(["--qty", "2", "--item", "a"], ["a"], [2], [])
    with pytest.raises(UsageError):
        pair_lines(["--item", "a", "--qty", "2", "--qty", "3"], ["a"], [2, 3], [])


def test_over_balance_is_refused_whole_with_the_balance_in_the_message(runner, ledger: Path) -> None:
    assert balances(ledger)["ZP015"]["balance"] == 5
    size = ledger.read_bytes()
    result = invoke(runner, "redeem", ledger, "--household", "ZP015", "--item", "香皂", "--item", "食用油", "--date", DAY)
    assert result.exit_code == 1
    assert "积分余额 5 分" in result.stderr and "需要 54 分" in result.stderr and "台账未改动" in result.stderr
    assert ledger.read_bytes() == size
    assert not (ledger.parent / "兑换单").exists()  # no slip for a refused redemption
    _, data = invoke_json(runner, "redeem", ledger, "--household", "ZP015", "--item", "食用油", "--date", DAY)
    assert data["ok"] is False and data["exit_code"] == 1 and "余额 5 分" in data["error"]
    # a household with no journal rows has a balance of 0
    result = invoke(runner, "redeem", ledger, "--household", "ZP001", "--item", "肥皂", "--date", DAY)
    assert result.exit_code == 1 and "积分余额 0 分" in result.stderr
    assert ledger.read_bytes() == size


def test_out_of_stock_and_quantity_above_stock(runner, ledger: Path) -> None:
    give_points(ledger, "ZP001", 5000)
    set_setting(ledger, "人均奖励经费", "100")
    set_stock(ledger, "大米", 0)
    size = ledger.read_bytes()
    result = invoke(runner, "redeem", ledger, "--household", "ZP001", "--item", "大米", "--date", DAY)
    assert result.exit_code == 1 and "“大米”没有库存了" in result.stderr
    result = invoke(runner, "redeem", ledger, "--household", "ZP001", "--item", "食用油", "--qty", "21", "--date", DAY)
    assert result.exit_code == 1 and "“食用油”库存只剩 20桶，不够兑换 21桶" in result.stderr
    # the same item twice in one redemption counts together
    result = invoke(runner, "redeem", ledger, "--household", "ZP001", "--item", "食用油", "--qty", "15",
                    "--item", "食用油", "--qty", "6", "--date", DAY)
    assert result.exit_code == 1 and "库存只剩 5桶（本次前面已兑换 15桶）" in result.stderr
    assert ledger.read_bytes() == size
    result, _ = invoke_json(runner, "redeem", ledger, "--household", "ZP001", "--item", "食用油", "--qty", "20",
                               "--date", DAY, "--no-print")
    assert result.exit_code == 0 and stock(ledger)["食用油"] == 0
    assert invoke(runner, "redeem", ledger, "--household", "ZP001", "--item", "食用油", "--date", DAY).exit_code == 1


def test_unknown_item_bad_quantity_and_unknown_household(runner, ledger: Path) -> None:
    size = ledger.read_bytes()
    result = invoke(runner, "redeem", ledger, "--household", "ZP010", "--item", "电视机", "--date", DAY)
    assert result.exit_code == 1 and "商品表里没有“电视机”" in result.stderr
    result = invoke(runner, "redeem", ledger, "--household", "ZP010", "--item", "毛", "--date", DAY)
    assert result.exit_code == 1 and "是不是“毛巾”" in result.stderr
    result = invoke(runner, "redeem", ledger, "--household", "ZP010", "--item", "毛巾", "--qty", "0", "--date", DAY)
    assert result.exit_code == 1 and "数量 0 应大于 0" in result.stderr
    result = invoke(runner, "redeem", ledger, "--household", "ZP999", "--item", "毛巾", "--date", DAY)
    assert result.exit_code == 1 and "户号 ZP999 不在户籍中" in result.stderr
    result = invoke(runner, "redeem", ledger, "--household", "ZP047", "--item", "毛巾", "--date", DAY)
    assert result.exit_code == 1 and "户籍状态为“迁出”" in result.stderr
    assert ledger.read_bytes() == size


def test_item_outside_the_catalogue_needs_points_and_a_reason(runner, ledger: Path) -> None:
    size = ledger.read_bytes()
    result = invoke(runner, "redeem", ledger, "--household", "ZP010", "--item", "理发", "--points", "10", "--date", DAY)
    assert result.exit_code == 2 and "--reason" in result.stderr
    result = invoke(runner, "redeem", ledger, "--household", "ZP010", "--item", "毛巾", "--points", "1",
                    "--reason", "便宜点", "--date", DAY)
    assert result.exit_code == 1 and "不要再给 --points" in result.stderr
    assert ledger.read_bytes() == size
    result, data = invoke_json(runner, "redeem", ledger, "--household", "ZP010", "--item", "理发", "--points", "10",
                               "--qty", "2", "--item", "毛巾", "--reason", "村委会组织义剪", "--date", DAY, "--no-print")
    assert result.exit_code == 0, result.stdout
    assert [(l["item"], l["qty"], l["points"], l["in_catalogue"]) for l in data["slips"][0]["lines"]] == [
        ("理发", 2, 20, False), ("毛巾", 1, 5, True)]
    records = Ledger.open(ledger).frame("兑换记录")
    assert records.iloc[0]["说明"] == "目录外：村委会组织义剪"
    assert balances(ledger)["ZP010"]["balance"] == 61 - 25


def test_dry_run_changes_nothing(runner, ledger: Path) -> None:
    size = ledger.read_bytes()
    result, data = invoke_json(runner, "redeem", ledger, "--household", "ZP010", "--item", "毛巾", "--date", DAY, "--dry-run")
    assert result.exit_code == 0 and data["dry_run"] is True and data["slips"][0]["balance_after"] == 56
    assert ledger.read_bytes() == size and not (ledger.parent / "兑换单").exists()


# --- the year's budget -----------------------------------------------------------------


def test_budget_warning_refusal_and_over_budget(runner, ledger: Path) -> None:
    people = residents(ledger)
    assert people == 232  # ZP047 moved out: not counted
    set_setting(ledger, "人均奖励经费", "0.25")  # 232 × 0.25 = 58 yuan; warning at 80% = 46.4
    set_setting(ledger, "经费超出时", "拒绝")  # the default 提醒 only warns (tests/test_budget.py)
    result, data = invoke_json(runner, "redeem", ledger, "--household", "ZP010", "--item", "食用油", "--date", DAY, "--no-print")
    assert result.exit_code == 0
    budget = data["budget"][0]
    assert (budget["budget"], budget["spent"], budget["residents"]) == (58, 50, 232)
    assert "占全年奖励经费 58.00 元的 86%" in budget["warning"] and budget["warning"] in data["warnings"]

    size = ledger.read_bytes()
    result = invoke(runner, "redeem", ledger, "--household", "ZP006", "--item", "毛巾", "--qty", "2", "--date", DAY)
    assert result.exit_code == 1
    assert "超出 2026 年奖励经费" in result.stderr and "已兑换 50.00 元，本次 10.00 元" in result.stderr
    assert ledger.read_bytes() == size
    result = invoke(runner, "redeem", ledger, "--household", "ZP006", "--item", "毛巾", "--qty", "2", "--date", DAY,
                    "--over-budget")
    assert result.exit_code == 2 and ledger.read_bytes() == size

    result, data = invoke_json(runner, "redeem", ledger, "--household", "ZP006", "--item", "毛巾", "--qty", "2",
                               "--date", DAY, "--over-budget", "--reason", "重阳节敬老", "--no-print")
    assert result.exit_code == 0 and data["slips"][0]["over_budget"] is True
    assert "已超出全年奖励经费 58.00 元" in data["budget"][0]["warning"]
    book = Ledger.open(ledger)
    records = book.frame("兑换记录")
    assert records.iloc[-1]["说明"] == "超出年度经费：重阳节敬老"
    assert "重阳节敬老" in book.frame("操作日志").iloc[-1]["结果"]
    # another year has its own budget
    result = invoke(runner, "redeem", ledger, "--household", "ZP006", "--item", "毛巾", "--date", "2027-01-05", "--no-print")
    assert result.exit_code == 0, result.stderr


def test_cancelled_redemptions_do_not_count_against_the_budget(runner, ledger: Path) -> None:
    set_setting(ledger, "人均奖励经费", "0.25")  # 58 yuan
    set_setting(ledger, "经费超出时", "拒绝")
    _, data = invoke_json(runner, "redeem", ledger, "--household", "ZP010", "--item", "食用油", "--date", DAY, "--no-print")
    assert invoke(runner, "redeem", ledger, "--household", "ZP006", "--item", "毛巾", "--qty", "2", "--date", DAY).exit_code == 1
    assert invoke(runner, "redeem", "cancel", ledger, "--slip", data["slips"][0]["slip"], "--reason", "录错").exit_code == 0
    assert invoke(runner, "redeem", ledger, "--household", "ZP006", "--item", "毛巾", "--qty", "2", "--date", DAY,
                  "--no-print").exit_code == 0


# --- cancel ----------------------------------------------------------------------------------


def test_cancel_restores_balance_and_stock_and_marks_rows_void(runner, ledger: Path) -> None:
    _, data = invoke_json(runner, "redeem", ledger, "--household", "ZP010", "--item", "食用油", "--item", "毛巾",
                          "--qty", "2", "--date", DAY, "--no-print")
    number, entry = data["slips"][0]["slip"], data["slips"][0]["entry_id"]
    assert (stock(ledger)["食用油"], stock(ledger)["毛巾"]) == (19, 78)
    result, cancelled = invoke_json(runner, "redeem", "cancel", ledger, "--slip", number, "--reason", "物品拿错",
                                    "--date", "2026-08-02")
    assert result.exit_code == 0, result.stdout
    assert cancelled["balance_after"] == 61 and cancelled["points"] == 60
    assert {(r["item"], r["qty"]) for r in cancelled["restored"]} == {("食用油", 1), ("毛巾", 2)}
    assert (stock(ledger)["食用油"], stock(ledger)["毛巾"]) == (20, 80)
    assert balances(ledger)["ZP010"] == {"balance": 61.0, "earned": 61.0, "spent": 0.0}
    book = Ledger.open(ledger)
    journal = book.frame("积分流水")
    last = journal.iloc[-1]
    assert (last["类型"], last["积分"], last["关联"], last["日期"]) == ("冲正", 60, entry, "2026-08-02")
    assert "物品拿错" in last["摘要"]
    records = book.frame("兑换记录")
    assert len(records) == 2 and set(records["状态"]) == {"作废"}  # marked, never deleted
    assert all("作废：物品拿错" in v for v in records["说明"])
    assert verify_journal(journal) == []

    size = ledger.read_bytes()
    result = invoke(runner, "redeem", "cancel", ledger, "--slip", number, "--reason", "再来一次")
    assert result.exit_code == 1 and "已经作废过" in result.stderr
    assert ledger.read_bytes() == size
    assert invoke(runner, "redeem", "cancel", ledger, "--slip", "DH2026-999999", "--reason", "x").exit_code == 1
    assert invoke(runner, "redeem", "cancel", ledger, "--slip", number).exit_code == 2  # --reason is required
    assert invoke(runner, "check", ledger).exit_code == 0


def test_cancelling_a_collected_slip_needs_returned(runner, ledger: Path) -> None:
    _, data = invoke_json(runner, "redeem", ledger, "--household", "ZP010", "--item", "毛巾", "--date", DAY, "--no-print")
    code = data["slips"][0]["code"]
    assert invoke(runner, "slip", "use", ledger, code, "--date", "2026-08-02").exit_code == 0
    result = invoke(runner, "redeem", "cancel", ledger, "--slip", code, "--reason", "退货")
    assert result.exit_code == 1 and "已于 2026-08-02 领取" in result.stderr and "--returned" in result.stderr
    assert invoke(runner, "redeem", "cancel", ledger, "--slip", code, "--reason", "退货", "--returned").exit_code == 0
    assert stock(ledger)["毛巾"] == 80


# --- redeem import ---------------------------------------------------------------------------


def test_import_a_day_sheet(runner, ledger: Path, tmp_path: Path) -> None:
    sheet = day_sheet(tmp_path / "8月1日兑换.xlsx", [
        [1, "ZP002", "赵光明", "毛巾", 2, 10, ""],
        [2, "ZP002", "赵光明", "香皂", "1块", None, ""],  # same household and day: the same slip
        [],
        [3, None, "马艳", "洗衣粉", 1, 10, ""],  # found by name
        [4, "ZP010", None, "食用油", 1, 50, ""],
        [5, "ZP010", None, "毛巾", None, None, ""],  # blank quantity: 1
    ])
    before = balances(ledger)
    result, data = invoke_json(runner, "redeem", "import", ledger, sheet)
    assert result.exit_code == 0, result.stdout
    assert [(s["slip"], s["household_id"], s["points"], s["date"]) for s in data["slips"]] == [
        ("DH2026-000001", "ZP002", 14, DAY), ("DH2026-000002", "ZP006", 10, DAY), ("DH2026-000003", "ZP010", 55, DAY)]
    after = balances(ledger)
    for hid, spent in (("ZP002", 14), ("ZP006", 10), ("ZP010", 55)):
        assert after[hid]["balance"] == before[hid]["balance"] - spent
        assert after[hid]["earned"] == before[hid]["earned"]
    left = stock(ledger)
    assert (left["毛巾"], left["香皂"], left["洗衣粉"], left["食用油"]) == (77, 99, 59, 19)
    records = Ledger.open(ledger).frame("兑换记录")
    assert records.iloc[0]["来源"] == "8月1日兑换.xlsx / 兑换登记 / 第4行"
    pdf = Path(data["pdf"])
    assert pdf.name == "DH2026-000001至DH2026-000003.pdf" and len(PdfReader(pdf).pages) == 1
    log = Ledger.open(ledger).frame("操作日志").iloc[-1]
    assert log["命令"] == "redeem import" and "8月1日兑换.xlsx" in log["输入文件"]

    # the same file (or a copy) again: refused, nothing changes
    size = ledger.read_bytes()
    result = invoke(runner, "redeem", "import", ledger, sheet)
    assert result.exit_code == 1 and "已于" in result.stderr and "导入过" in result.stderr
    copy = tmp_path / "副本.xlsx"
    shutil.copyfile(sheet, copy)
    result = invoke(runner, "redeem", "import", ledger, copy)
    assert result.exit_code == 1 and "与 8月1日兑换.xlsx 内容相同" in result.stderr
    assert ledger.read_bytes() == size


def test_import_is_all_or_nothing_with_the_exact_cells(runner, ledger: Path, tmp_path: Path) -> None:
    give_points(ledger, "ZP001", 100)
    set_stock(ledger, "大米", 2)
    sheet = day_sheet(tmp_path / "兑换.xlsx", [
        [1, "ZP010", "", "毛巾", 1, 5, ""],  # row 4: fine
        [2, "ZP999", "", "毛巾", 1, 5, ""],  # row 5: unknown household → B5
        [3, "ZP010", "", "电视机", 1, None, ""],  # row 6: unknown item → D6
        [4, "ZP010", "", "香皂", "好几块", None, ""],  # row 7: bad quantity → E7
        [5, "ZP006", "", "食用油", 1, 50, ""],  # row 8: 马艳 has 50: fine
        [6, "ZP002", "", "毛巾", 1, 5, ""],  # row 9: fine
        [7, "ZP006", "", "毛巾", 1, 5, ""],  # row 10: 马艳 again: over the balance counting row 8 → F10
        [8, "ZP001", "", "大米", 2, 80, ""],  # row 11: takes the last 2 bags
        [9, "ZP010", "", "大米", 1, 40, ""],  # row 12: out of stock counting row 11 → E12
        [10, "ZP010", "", "牙膏", 1, 7, ""],  # row 13: points do not match the price → F13
        [11, "", "李不在", "毛巾", 1, 5, ""],  # row 14: no such head of household → C14
        [12, "ZP012", "", "毛巾", 4, 20, ""],  # row 15: 吴长青 has 23 …
        [13, "ZP012", "", "香皂", 1, 4, ""],  # row 16: … one visit of 24 points: F16
    ])
    size = ledger.read_bytes()
    result, data = invoke_json(runner, "redeem", "import", ledger, sheet)
    assert result.exit_code == 1 and data["ok"] is False
    errors = {p["cell"]: p["message"] for p in data["problems"] if p["severity"] == "错误"}
    assert set(errors) == {"B5", "D6", "E7", "F10", "E12", "F13", "C14", "F16"}
    assert all(p["file"] == "兑换.xlsx" and p["sheet"] == "兑换登记" for p in data["problems"])
    assert "户号 ZP999 不在户籍中" in errors["B5"]
    assert "商品表里没有“电视机”" in errors["D6"]
    assert "数量“好几块”不是数字" in errors["E7"]
    assert "马艳（ZP006）积分余额 0 分（本文件前面的行已兑换 50 分），本次兑换需要 5 分" in errors["F10"]
    assert "“大米”没有库存了" in errors["E12"]
    assert "积分单价 6 × 1 = 6" in errors["F13"]
    assert "户籍里没有户主“李不在”" in errors["C14"]
    assert "吴长青（ZP012）积分余额 23 分，本次兑换需要 24 分" in errors["F16"]
    assert "整个文件没有导入" in data["error"]
    assert ledger.read_bytes() == size
    assert not (ledger.parent / "兑换单").exists()


def test_import_tolerates_other_header_words_merged_cells_and_a_date_column(runner, ledger: Path, tmp_path: Path) -> None:
    path = tmp_path / "兑换台账.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Sheet1"
    ws.append(["爱心超市积分兑换登记"])
    ws.merge_cells("A1:F1")
    ws.append(["兑换日期", "户主姓名", "组别", "兑换商品", "兑换数量", "备注"])
    ws.append(["2026/8/3", "张伟", "第一组", "毛巾", "１", ""])  # 张伟 lives in two groups: the group decides
    ws.append([None, None, None, "肥皂", 2, ""])  # date and household merged over two rows
    ws.merge_cells("A3:A4")
    ws.merge_cells("B3:B4")
    ws.merge_cells("C3:C4")
    ws.append(["2026年8月4日", "赵建国", "", "化肥", 1, ""])  # not in the catalogue and no points
    ws.append(["合计", None, None, None, 4])
    wb.save(path)
    give_points(ledger, "ZP004", 20)
    result, data = invoke_json(runner, "redeem", "import", ledger, path, "--no-print")
    assert result.exit_code == 1
    assert [(p["cell"], p["message"][:12]) for p in data["problems"]] == [("D5", "商品表里没有“化肥”；是不是"[:12])]
    ws.delete_rows(5)
    wb.save(path)
    result, data = invoke_json(runner, "redeem", "import", ledger, path, "--no-print")
    assert result.exit_code == 0, data
    assert [(s["household_id"], s["date"], s["points"]) for s in data["slips"]] == [("ZP004", "2026-08-03", 11)]


def test_import_over_the_budget_needs_over_budget(runner, ledger: Path, tmp_path: Path) -> None:
    set_setting(ledger, "人均奖励经费", "0.25")  # 58 yuan
    set_setting(ledger, "经费超出时", "拒绝")
    sheet = day_sheet(tmp_path / "兑换.xlsx", [[1, "ZP010", "", "食用油", 1, 50, ""], [2, "ZP006", "", "毛巾", 2, 10, ""]])
    size = ledger.read_bytes()
    result, data = invoke_json(runner, "redeem", "import", ledger, sheet)
    assert result.exit_code == 1 and [p["cell"] for p in data["problems"]] == ["F5"]
    assert "超出 2026 年奖励经费" in data["problems"][0]["message"]
    assert ledger.read_bytes() == size
    result, data = invoke_json(runner, "redeem", "import", ledger, sheet, "--over-budget", "--reason", "中秋慰问", "--no-print")
    assert result.exit_code == 0
    assert [s["over_budget"] for s in data["slips"]] == [False, True]
    records = Ledger.open(ledger).frame("兑换记录")
    assert list(records["说明"]) == ["", "超出年度经费：中秋慰问"]


def test_parse_qty() -> None:
    assert parse_qty(None) == (1.0, None) and parse_qty("") == (1.0, None)
    assert parse_qty(3.0) == (3.0, None) and parse_qty("２") == (2.0, None) and parse_qty("2桶") == (2.0, None)
    assert parse_qty("两") == (2.0, None) and parse_qty("几个")[1] == "数量“几个”不是数字"
    assert parse_qty(-1)[1] == "数量 -1 应大于 0"
    assert parse_qty(1.005)[1] is not None


def test_library_call_without_the_cli(ledger: Path) -> None:
    import datetime as dt

    result = redeem(Session(ledger, today=dt.date(2026, 8, 1)), household="ZP010", items=[LineRequest("毛巾", 4)],
                    print_slip=False)
    assert result.plans[0].points == 20 and result.pdf is None
    with pytest.raises(DataError) as err:
        redeem(Session(ledger, today=dt.date(2026, 8, 1)), household="ZP010", items=[LineRequest("食用油")],
               print_slip=False)
    assert "积分余额 41 分" in err.value.message
