"""``check`` on ledgers a clerk has edited by hand."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pandas as pd

from conftest import add_households, household, invoke, invoke_json
from villagectl.ledger.workbook import Ledger


def _edit(path: Path, sheet: str, change) -> None:
    ledger = Ledger.open(path)
    frame = ledger.frame(sheet).copy()
    frame = change(frame) if callable(change) else change
    ledger.replace(sheet, frame)
    ledger.save("hand-edit")


def _problems(runner, path: Path) -> tuple[int, set[tuple[str, str, str]]]:
    result, data = invoke_json(runner, "check", path)
    return result.exit_code, {(p["sheet"], p["cell"], p["message"]) for p in data["problems"]}


def test_fresh_ledgers_of_every_preset_pass(tmp_path: Path, runner) -> None:
    for preset in ("zhongping", "base140", "wenming"):
        path = tmp_path / f"{preset}.xlsx"
        assert invoke(runner, "init", path, "--village", "村", "--preset", preset).exit_code == 0
        result = invoke(runner, "check", path)
        assert result.exit_code == 0, result.stdout
        assert "检查通过" in result.stdout


def test_items_not_adding_up_to_the_total(ledger_path: Path, runner) -> None:
    def change(f):
        f.loc[0, "分值"] = 12  # 庭院 15 → 12
        return f

    _edit(ledger_path, "规则", change)
    code, problems = _problems(runner, ledger_path)
    assert code == 1
    assert ("规则", "", "检查项满分合计 97，与参数“满分” 100 不符") in problems


def test_band_overlap_and_gap(ledger_path: Path, runner) -> None:
    def overlap(f):
        f.loc[2, "含下限"] = "是"  # (85, 90] becomes [85, 90]: 85 is in two bands
        return f

    _edit(ledger_path, "换算", overlap)
    code, problems = _problems(runner, ledger_path)
    assert code == 1
    assert ("换算", "", "档次 [80, 85] 与 [85, 90] 重叠") in problems

    def gap(f):
        f.loc[2, "含下限"] = "否"
        f.loc[1, "含上限"] = "否"  # now 85 belongs to no band
        return f

    _edit(ledger_path, "换算", gap)
    _, problems = _problems(runner, ledger_path)
    assert ("换算", "", "档次 [80, 85) 与 (85, 90] 之间有空档") in problems

    def short(f):
        return f.iloc[:3]  # nothing above 90

    _edit(ledger_path, "换算", short)
    _, problems = _problems(runner, ledger_path)
    assert ("换算", "", "满分 100 没有对应档次（最高档为 (85, 90]）") in problems


def test_bad_values_are_named_by_cell(ledger_path: Path, runner) -> None:
    def change(f):
        f.loc[1, "含上限"] = "对"
        f.loc[3, "积分"] = "五"
        return f

    _edit(ledger_path, "换算", change)
    code, problems = _problems(runner, ledger_path)
    assert code == 1
    assert ("换算", "D3", "含上限应填“是”或“否”，现为“对”") in problems
    assert ("换算", "E5", "积分“五”不是数字") in problems

    def rules(f):
        f.loc[4, "类型"] = "检查"
        f.loc[5, "编码"] = "RJ1"
        return f

    _edit(ledger_path, "规则", rules)
    _, problems = _problems(runner, ledger_path)
    assert ("规则", "E6", "类型“检查”无效，应为 检查项/基础分/加分/扣分/否决") in problems
    assert ("规则", "A7", "编码 RJ1 重复") in problems


def test_unknown_household_in_tool_sheet(ledger_path: Path, runner) -> None:
    add_households(ledger_path, [household("001", "张三")])
    ledger = Ledger.open(ledger_path)
    frame = pd.DataFrame(
        [{"月份": "2026-07", "户号": "999", "户主": "谁", "组别": "第一组", "总分": 90, "状态": "草稿"}], dtype=object
    )
    ledger.replace("月度得分", frame.reindex(columns=ledger.frame("月度得分").columns, fill_value=""))
    ledger.save("hand-edit")
    code, problems = _problems(runner, ledger_path)
    assert code == 1
    assert ("月度得分", "B2", "户号 999 不在户籍表中") in problems


def test_duplicate_household_and_bad_id_in_roster_sheet(ledger_path: Path, runner) -> None:
    add_households(ledger_path, [household("001", "张三", 身份证号="412728196503120010"), household("001", "李四")])
    code, problems = _problems(runner, ledger_path)
    assert code == 1
    assert ("户籍", "A3", "户号 001 重复（与第2行相同）") in problems
    assert any(sheet == "户籍" and cell == "H2" and "校验位错误" in msg for sheet, cell, msg in problems)


def test_missing_sheet_and_column(ledger_path: Path, runner, tmp_path: Path) -> None:
    # drop the 换算 sheet and rename a 户籍 header, as a clerk might
    import openpyxl

    wb = openpyxl.load_workbook(ledger_path)
    del wb["换算"]
    wb["户籍"]["B1"] = "户主名字"
    edited = tmp_path / "edited.xlsx"
    wb.save(edited)
    code, problems = _problems(runner, edited)
    assert code == 1
    assert ("换算", "", "缺少这个工作表") in problems
    assert ("户籍", "", "缺少列：户主") in problems
    # commands that need the sheet refuse with the same message
    result = invoke(runner, "balance", edited)
    assert result.exit_code == 1
    assert "缺少列：户主" in result.stderr


def test_not_an_xlsx_ledger(tmp_path: Path, runner) -> None:
    path = tmp_path / "台账.xlsx"
    path.write_text("hello")
    result = invoke(runner, "check", path)
    assert result.exit_code == 1
    assert "不是 xlsx 台账文件" in result.stderr
    result = invoke(runner, "check", tmp_path / "没有这个.xlsx")
    assert result.exit_code == 4
    assert "找不到台账文件" in result.stderr


def test_damaged_ledger(tmp_path: Path, ledger_path: Path, runner) -> None:
    damaged = tmp_path / "坏台账.xlsx"
    data = ledger_path.read_bytes()
    damaged.write_bytes(data[: len(data) // 2])
    result = invoke(runner, "check", damaged)
    assert result.exit_code == 1
    assert "已损坏或是空的" in result.stderr and ".villagectl/backups" in result.stderr
    assert "Traceback" not in result.stderr
    with zipfile.ZipFile(ledger_path) as zf:
        assert zf.testzip() is None


def test_check_catches_an_edited_slip_and_a_missing_journal_link(tmp_path: Path, runner) -> None:
    import datetime as dt

    from villagectl.actions.redeem import LineRequest, redeem
    from villagectl.actions.session import Session
    from villagectl.demo import build_samples

    ledger = Path(build_samples(tmp_path / "村")["ledger"])
    redeem(Session(ledger, today=dt.date(2026, 8, 3)), household="ZP010", items=[LineRequest("毛巾", 2)], print_slip=False)
    assert invoke(runner, "check", ledger).exit_code == 0
    book = Ledger.open(ledger)
    slips = book.frame("兑换记录").copy()
    slips.loc[0, "数量"] = 5  # a clerk "corrects" the quantity by hand
    book.replace("兑换记录", slips)
    events = pd.DataFrame([{"事件号": "E000001", "日期": "2026-08-01", "户号": "ZP001", "户主": "何文华", "编码": "X",
                            "项目": "见义勇为", "类型": "加分", "次数": 1, "积分": 10, "状态": "入账", "流水号": "999999"}],
                          dtype=object)
    book.replace("积分事件", events)
    book.save("hand-edit")
    code, problems = _problems(runner, ledger)
    assert code == 1
    messages = {(sheet, msg) for sheet, _cell, msg in problems}
    assert ("兑换记录", "兑换单 DH2026-000001 的内容与核验码不符：兑换记录被手工改过") in messages
    assert ("积分事件", "事件 E000001 已入账，但积分流水里没有流水号 999999") in messages


def test_a_posted_score_edited_by_hand_is_found(tmp_path) -> None:
    """The probe's clerk changed a posted 月度得分 row (积分 1 → 5) in Excel: check said 检查通过."""
    import openpyxl
    from typer.testing import CliRunner

    from villagectl.actions.check import check_ledger
    from villagectl.cli.main import app

    out = tmp_path / "demo"
    assert CliRunner().invoke(app, ["demo", "-o", str(out)]).exit_code == 0  # July scored and posted
    ledger = next(out.glob("*台账*.xlsx"))
    assert check_ledger(ledger)[1] == []
    wb = openpyxl.load_workbook(ledger)
    ws = wb["月度得分"]
    header = [c.value for c in ws[1]]
    row = next(r for r in range(2, ws.max_row + 1) if ws.cell(r, header.index("月份") + 1).value == "2026-07"
               and ws.cell(r, header.index("状态") + 1).value == "入账")
    cell = ws.cell(row, header.index("积分") + 1)
    posted, hid = cell.value, ws.cell(row, header.index("户号") + 1).value
    cell.value = posted + 4
    wb.save(ledger)
    problems = check_ledger(ledger)[1]
    assert [(p.location.cell, p.message) for p in problems] == [(cell.coordinate, (
        f"2026-07 户号 {hid} 的积分 {posted + 4} 与积分流水里入账的 {posted} 不符：入账后被手工改过；"
        f"请改回 {posted}，确要更正请用 villagectl score adjust … --after-post"))]
