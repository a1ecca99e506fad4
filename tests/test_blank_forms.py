"""forms redeem / vote / cadre: each blank form, filled by hand, imports back with no questions asked (issue 14 §7)."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from conftest import invoke, invoke_json
from villagectl.ledger.create import create_ledger
from villagectl.ledger.workbook import Ledger
from villagectl.values import clean_text


@pytest.fixture(scope="module")
def demo_ledger(tmp_path_factory) -> Path:
    """The demo's village: July posted, so households have points to spend."""
    from typer.testing import CliRunner

    from villagectl.cli.main import app

    out = tmp_path_factory.mktemp("demo")
    result = CliRunner().invoke(app, ["demo", "-o", str(out)])
    assert result.exit_code == 0, result.output
    return next(out.glob("*台账*.xlsx"))


def rows_of(ws, first: int = 3) -> list[int]:
    r, out = first, []
    while ws.cell(r, 2).value not in (None, "") or ws.cell(r, 1).value not in (None, ""):
        out.append(r)
        r += 1
    return out


def test_the_redeem_register_imports_back(demo_ledger: Path, runner, tmp_path: Path) -> None:
    ledger = tmp_path / demo_ledger.name
    ledger.write_bytes(demo_ledger.read_bytes())
    form = tmp_path / "兑换登记表.xlsx"
    result = invoke(runner, "forms", "redeem", ledger, "-o", form, "--date", "2026-08-03")
    assert result.exit_code == 0, result.stderr
    wb = openpyxl.load_workbook(form)
    ws = wb.active
    assert "2026年8月3日兑换登记表" in ws.cell(1, 1).value
    header = [ws.cell(2, c).value for c in range(1, 10)]
    assert header[:8] == ["序号", "日期", "户号", "户主", "组别", "物品", "数量", "积分"]
    balances = {b["household_id"]: b["balance"] for b in invoke_json(runner, "balance", ledger)[1]["households"]}
    rich = sorted((h for h, v in balances.items() if v >= 10), key=lambda h: -balances[h])[:2]
    shop = Ledger.open(ledger).frame("商品")
    item = str(shop.iloc[0]["名称"])
    price = float(shop.iloc[0]["积分单价"])
    for r, hid in zip((3, 4), rich):
        ws.cell(r, 3, hid)
        ws.cell(r, 6, item)
        ws.cell(r, 7, 1)
    wb.save(form)
    result, data = invoke_json(runner, "redeem", "import", ledger, form)
    assert result.exit_code == 0, data
    after = {b["household_id"]: b["balance"] for b in invoke_json(runner, "balance", ledger)[1]["households"]}
    assert [round(balances[h] - after[h], 4) for h in rich] == [price, price]
    records = Ledger.open(ledger).frame("兑换记录")
    assert set(records["日期"].map(lambda v: clean_text(v)[:10])) == {"2026-08-03"}  # the title's date


def test_the_vote_tally_imports_back(demo_ledger: Path, runner, tmp_path: Path) -> None:
    ledger = tmp_path / demo_ledger.name
    ledger.write_bytes(demo_ledger.read_bytes())
    out = tmp_path / "计票"
    result, data = invoke_json(runner, "forms", "vote", ledger, "--year", "2026", "-o", out)
    assert result.exit_code == 0, data
    forms = [Path(p) for p in data["files"]]
    assert len(forms) == 4  # one per group
    filled: dict[str, tuple[int, int]] = {}
    for path in forms:
        wb = openpyxl.load_workbook(path)
        ws = wb.active
        assert [ws.cell(2, c).value for c in (2, 3, 5, 6)] == ["户号", "户主", "投票数", "不合格票"]
        for k, r in enumerate(r for r in rows_of(ws) if ws.cell(r, 2).value):
            unfit = 12 if k == 0 else 1
            ws.cell(r, 5, 30)
            ws.cell(r, 6, unfit)
            filled[ws.cell(r, 2).value] = (30, unfit)
        wb.save(path)
    result, data = invoke_json(runner, "vote", "import", ledger, out, "--year", "2026")
    assert result.exit_code == 0, data
    votes = Ledger.open(ledger).frame("互评")
    got = {clean_text(h): (int(c), int(u)) for h, c, u in zip(votes["户号"], votes["投票数"], votes["不合格票"])}
    assert got == filled


def test_the_cadre_scorecards_and_tally_import_back(runner, tmp_path: Path) -> None:
    ledger = tmp_path / "村.xlsx"
    create_ledger(ledger, "中坪村", "zhongping")
    book = Ledger.open(ledger)
    book.replace("干部", pd.DataFrame([
        {"编号": "GB01", "姓名": "王书记", "职务": "书记", "类别": "村干部", "状态": "在职"},
        {"编号": "GB02", "姓名": "李主任", "职务": "主任", "类别": "村干部", "状态": "在职"},
        {"编号": "DB01", "姓名": "赵代表", "职务": "村民代表（第一组）", "类别": "村民代表", "状态": "在职"},
    ], dtype=object))
    book.save("test")
    indicators = Ledger.open(ledger).frame("考核指标")
    maxima = {str(n): float(m) for n, m, t in zip(indicators["指标"], indicators["满分"], indicators["类型"]) if t == "指标"}
    out = tmp_path / "考核"
    result, data = invoke_json(runner, "forms", "cadre", ledger, "--year", "2026", "-o", out)
    assert result.exit_code == 0, data
    names = sorted(Path(p).name for p in data["files"])
    assert names == ["中坪村2026年度村干部考核评分表.xlsx", "中坪村2026年度村民代表考核评分表.xlsx",
                     "中坪村2026年度民主评议计票表.xlsx"]
    for path in map(Path, data["files"]):
        wb = openpyxl.load_workbook(path)
        ws = wb.active
        header = [ws.cell(2, c).value for c in range(1, ws.max_column + 1)]
        for r in rows_of(ws):
            if "优秀" in header:  # the tally: 30 votes each
                for c, n in zip(range(4, 8), (20, 8, 2, 0)):
                    ws.cell(r, c, n)
            else:  # full marks less 1 on each indicator (the maximum is in the title and the cell check)
                assert "各项满分" in ws.cell(1, 1).value
                for c, label in enumerate(header[2:], start=3):
                    ws.cell(r, c, maxima[label] - 1)
        last = max(rows_of(ws)) + 2
        ws.cell(last, 1, "考核人：镇考核组甲    日期：2026年12月20日" if "优秀" not in header else
                "计票人：张三    监票人：李四")
        wb.save(path)
    result, data = invoke_json(runner, "cadre", "import", ledger, out, "--year", "2026")
    assert result.exit_code == 0, data
    assert data["counts"]["assessment_scores"] == 2 * 5 + 1 * 4 and data["counts"]["democratic_votes"] == 3
    result, people = invoke_json(runner, "cadre", "score", ledger, "--year", "2026")
    assert result.exit_code == 0
    by = {p["cadre_id"]: p for p in people["people"]}
    assert by["GB01"]["scorecard"] == 100 - 5 and by["DB01"]["scorecard"] == 100 - 4


def test_inspect_forms_for_a_group_the_village_does_not_have_lists_its_groups(demo_ledger: Path, runner, tmp_path: Path) -> None:
    result = invoke(runner, "inspect", "forms", demo_ledger, "--month", "2026-08", "--group", "第九组", "-o", tmp_path / "表")
    assert result.exit_code == 2
    assert "--group 第九组：户籍中没有这个组的在册农户，在册农户的组是 第一组、第二组、第三组、第四组" in result.output
    assert not (tmp_path / "表").exists() or not any((tmp_path / "表").iterdir())
