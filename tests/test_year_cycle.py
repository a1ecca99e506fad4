"""score year / vote import / post year from the command line, on the sample village."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest

from conftest import invoke, invoke_json
from villagectl.ledger.journal import NewEntry, append_entries
from villagectl.ledger.workbook import Ledger
from villagectl.demo import build_samples


@pytest.fixture
def village(tmp_path: Path) -> Path:
    made = build_samples(tmp_path / "村")
    ledger = Path(made["ledger"])
    assert invoke(runner_(), "inspect", "import", ledger, *made["inspections"]).exit_code == 0
    assert invoke(runner_(), "score", "month", ledger, "--month", "2026-07").exit_code == 0
    assert invoke(runner_(), "post", "month", ledger, "--month", "2026-07", "--force", "--reason", "测试",
                  "--date", "2026-07-29").exit_code == 0
    return ledger


def runner_():
    from typer.testing import CliRunner

    return CliRunner()


def _votes(path: Path, rows: list[list]) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["中坪村2026年度村民互评计票表"])
    ws.append(["户号", "户主", "参评票数", "不合格票数"])
    for r in rows:
        ws.append(r)
    ws.append(["计票人：张三  监票人：李四"])
    wb.save(path)
    return path


def test_year_results_are_the_years_earned_points(village: Path, runner) -> None:
    _, monthly = invoke_json(runner, "score", "month", village, "--month", "2026-07")
    expected = {h["household_id"]: h["points"] + h["bonus"] for h in monthly["households"] if not h["missing"]}
    result, rows = invoke_json(runner, "score", "year", village, "--year", "2026")
    assert result.exit_code == 0
    rows = rows["households"]
    got = {r["household_id"]: r["result"] for r in rows}
    assert {h: got[h] for h in expected} == expected  # opening balances are not a year's earnings
    top = max(expected.values())
    assert all(r["rank"] == 1 for r in rows if r["result"] == top)
    assert all(r["medal"] is None for r in rows if r["result"] == 0)


def test_redemptions_do_not_change_ratings(village: Path, runner) -> None:
    _, before = invoke_json(runner, "score", "year", village, "--year", "2026")
    ledger = Ledger.open(village)
    richest = max(before["households"], key=lambda r: r["result"])["household_id"]
    journal, _ = append_entries(ledger.frame("积分流水"), [NewEntry(richest, "兑换", -5, "兑换 毛巾×1", "DH2026-000001")],
                                "2026-08-02", "村文书")
    ledger.replace("积分流水", journal)
    ledger.save("test")
    _, after = invoke_json(runner, "score", "year", village, "--year", "2026")
    assert after == before


def test_vote_import_black_list_boundary_and_lock(village: Path, runner, tmp_path: Path) -> None:
    sheet = _votes(tmp_path / "计票.xlsx", [["ZP001", "何文华", 30, 10], ["ZP002", "赵光明", 30, 9], ["ZP003", "徐卫东", 31, 10]])
    result, data = invoke_json(runner, "vote", "import", village, sheet, "--year", "2026")
    assert result.exit_code == 0 and data["households"] == 3
    _, rows = invoke_json(runner, "score", "year", village, "--year", "2026")
    by_id = {r["household_id"]: r for r in rows["households"]}
    assert (by_id["ZP001"]["list"], by_id["ZP001"]["village_benefits"]) == ("黑榜", False)  # exactly one third
    assert by_id["ZP002"]["list"] != "黑榜" and by_id["ZP002"]["village_benefits"] is True  # just under
    assert by_id["ZP003"]["list"] != "黑榜"  # 10/31 < 1/3
    frame = Ledger.open(village).frame("年度评定")
    assert frame.set_index("户号").loc["ZP001", "享受村级福利"] == "否"
    # locking: only after the year's notice period
    result = invoke(runner, "post", "year", village, "--year", "2026")
    assert result.exit_code == 1 and "还没有公示" in result.stderr
    import villagectl.cli.year_doc_commands  # noqa: F401
    assert invoke(runner, "notice", "year", village, "--year", "2026", "-o", tmp_path / "年度公示.pdf",
                  "--date", "2027-01-05").exit_code == 0
    result = invoke(runner, "post", "year", village, "--year", "2026", "--date", "2027-01-07")
    assert result.exit_code == 1 and "公示期到 2027-01-07 才结束" in result.stderr
    result = invoke(runner, "post", "year", village, "--year", "2026", "--date", "2027-01-08")
    assert result.exit_code == 0 and "已锁定" in result.stdout
    period = Ledger.open(village).frame("期间").set_index("期间").loc["2026年度"]
    assert (period["状态"], period["入账日期"]) == ("入账", "2027-01-08")
    before = village.read_bytes()
    assert "早已锁定" in invoke(runner, "post", "year", village, "--year", "2026", "--date", "2027-01-09").stdout
    result = invoke(runner, "vote", "import", village, sheet, "--year", "2026")
    assert result.exit_code == 1 and "已锁定" in result.stderr
    assert invoke(runner, "score", "year", village, "--year", "2026").exit_code == 0
    assert village.read_bytes() == before


def test_vote_import_errors_name_cells(village: Path, runner, tmp_path: Path) -> None:
    sheet = _votes(tmp_path / "计票.xlsx", [["ZP001", "何文华", 30, 31], ["ZP999", "无此人", 30, 1], ["ZP002", "赵光明", "好几", 1]])
    result, data = invoke_json(runner, "vote", "import", village, sheet, "--year", "2026")
    assert result.exit_code == 1
    got = {(p["cell"], p["message"]) for p in data["problems"]}
    assert ("D3", "不合格票 31 超过投票数 30") in got
    assert ("A4", "户号 ZP999 不在户籍表中") in got
    assert ("C5", "参评票数“好几”应为不小于 0 的整数（如 30 或 30票）") in got


def test_export_is_one_tidy_sheet(village: Path, runner, tmp_path: Path) -> None:
    out = tmp_path / "年度结果.xlsx"
    result = invoke(runner, "score", "year", village, "--year", "2026", "--export", out)
    assert result.exit_code == 0
    ws = openpyxl.load_workbook(out).active
    assert ws["A1"].value == "中坪村2026年度评定结果"  # the title row, for the town office
    header = [c.value for c in ws[2]]
    assert header[:6] == ["年度", "户号", "户主", "组别", "年度积分", "名次"]
    rows = len(Ledger.open(village).frame("年度评定"))
    assert ws.cell(2 + rows, 1).value == 2026 and ws.cell(3 + rows, 1).value is None
    assert ws.cell(4 + rows, 1).value == "制表人："  # the signature line under the table
    assert ws.cell(2 + rows, 1).border.left.style == "thin" and ws.auto_filter.ref.startswith("A2:")


def test_rescoring_unchanged_year_writes_nothing(village: Path, runner) -> None:
    invoke(runner, "score", "year", village, "--year", "2026")
    before = village.read_bytes()
    result = invoke(runner, "score", "year", village, "--year", "2026")
    assert "没有改动" in result.stdout
    assert village.read_bytes() == before
