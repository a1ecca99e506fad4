"""Issue 11, items 12, 13, 17, 18, 19: outputs only after the ledger write, pending slips, merged 组别,
redemption sheets taken twice, a roster import that keeps the clerk's work."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from conftest import invoke
from villagectl.errors import ExitCode
from villagectl.io.staged import SUFFIX, StagedOutputs, remove_stale_pending
from villagectl.ledger.journal import NewEntry, append_entries
from villagectl.ledger.workbook import Ledger
from villagectl.demo import build_samples

MONTH = "2026-07"
SAMPLES: dict[str, bytes] = {}


@pytest.fixture
def village(tmp_path: Path, tmp_path_factory) -> dict:
    """The sample village (fresh copy per test): its ledger and the inspection sheets of 2026-07."""
    if "made" not in SAMPLES:
        made = build_samples(tmp_path_factory.mktemp("sample") / "村")
        SAMPLES["made"] = made
    made = SAMPLES["made"]
    folder = tmp_path / "村委会"
    shutil.copytree(Path(made["ledger"]).parent, folder)
    return {
        "ledger": folder / Path(made["ledger"]).name,
        "sheets": [folder / Path(p).relative_to(Path(made["ledger"]).parent) for p in made["inspections"]],
        "roster": folder / Path(made["roster"]).relative_to(Path(made["ledger"]).parent),
    }


def _scored(runner, village: dict) -> Path:
    ledger = village["ledger"]
    result = invoke(runner, "inspect", "import", ledger, *village["sheets"])
    assert result.exit_code == 0, result.stdout + result.stderr
    result = invoke(runner, "score", "month", ledger, "--month", MONTH)
    assert result.exit_code == 0, result.stderr
    return ledger


def _give_points(path: Path, household_id: str, points: float) -> None:
    ledger = Ledger.open(path)
    journal, _ = append_entries(ledger.frame("积分流水"), [NewEntry(household_id, "加分", points, "测试加分")],
                                "2026-07-31", "测试")
    ledger.replace("积分流水", journal)
    ledger.save("test-setup")


def _files(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.is_file())


# --------------------------------------------------------------------------
# 18. an output appears only after the ledger write succeeded
# --------------------------------------------------------------------------


def test_notice_month_refused_by_an_open_ledger_leaves_no_pdf(runner, village: dict, tmp_path: Path) -> None:
    """The audit: Excel's owner file present → exit 3, but the notice PDF was there with an unrecorded period."""
    ledger = _scored(runner, village)
    before = ledger.read_bytes()
    out = tmp_path / "公示"
    out.mkdir()
    owner = ledger.with_name("~$" + ledger.name)
    owner.write_bytes(b"")
    result = invoke(runner, "notice", "month", ledger, "--month", MONTH, "-o", out / "公示.pdf", "--date", "2026-07-26")
    assert result.exit_code == ExitCode.LOCKED, result.output
    assert ledger.read_bytes() == before
    assert _files(out) == []  # neither the notice nor a pending file
    owner.unlink()
    result = invoke(runner, "notice", "month", ledger, "--month", MONTH, "-o", out / "公示.pdf", "--date", "2026-07-26")
    assert result.exit_code == 0, result.output
    assert _files(out) == ["公示.pdf"]


def test_a_failing_save_discards_every_staged_output(tmp_path: Path) -> None:
    final = tmp_path / "公示.pdf"
    with pytest.raises(RuntimeError):
        with StagedOutputs() as outs:
            outs.path(final).write_bytes(b"%PDF-1.7 fake")
            raise RuntimeError("ledger.save refused")
    assert _files(tmp_path) == []
    with StagedOutputs() as outs:
        pending = outs.path(final)
        pending.write_bytes(b"%PDF-1.7 fake")
        assert not final.exists() and pending.name.startswith(".") and not pending.name.endswith(".pdf")
        outs.publish()
    assert _files(tmp_path) == ["公示.pdf"]


# --------------------------------------------------------------------------
# 19. the pending slip PDF left by a kill
# --------------------------------------------------------------------------

KILLED_REDEEM = textwrap.dedent("""
    import os, signal, sys
    from villagectl.ledger.workbook import Ledger
    def killed(self, *a, **k):
        os.kill(os.getpid(), signal.SIGKILL)
    Ledger.save = killed
    from villagectl.cli.main import app
    sys.argv = ["villagectl"] + sys.argv[1:]
    app()
""")


@pytest.mark.skipif(sys.platform.startswith("win"), reason="SIGKILL")
def test_a_kill_during_redeem_leaves_no_slip_and_the_next_run_cleans_up(runner, village: dict) -> None:
    ledger = village["ledger"]
    _give_points(ledger, "ZP001", 100)
    slips = ledger.parent / "兑换单"
    args = [str(ledger), "--household", "ZP001", "--item", "毛巾", "--date", "2026-08-01"]
    proc = subprocess.run([sys.executable, "-c", KILLED_REDEEM, "redeem", *args], capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == -9, proc.stderr
    left = _files(slips)
    assert left, "the kill came after the slip was rendered: a pending file is expected"
    assert not [n for n in left if n.lower().endswith(".pdf")], left  # nothing that looks like a valid slip
    assert all(n.startswith(".") and n.endswith(SUFFIX) for n in left), left

    result = invoke(runner, "redeem", *args)
    assert result.exit_code == 0, result.output
    assert [n for n in _files(slips) if not n.lower().endswith(".pdf")] == []  # the killed run's file is gone
    assert len([n for n in _files(slips) if n.lower().endswith(".pdf")]) == 1


def test_stale_pending_files_of_a_live_process_are_kept(tmp_path: Path) -> None:
    mine_elsewhere = tmp_path / f".公示.pdf.1{SUFFIX}"  # pid 1 lives (init)
    dead = tmp_path / f".公示.pdf.999999999{SUFFIX}"
    old_style = tmp_path / ".villagectl-pending-999999999-DH2026-0001.pdf"
    for p in (mine_elsewhere, dead, old_style):
        p.write_bytes(b"x")
    removed = remove_stale_pending(tmp_path)
    assert sorted(p.name for p in removed) == sorted([dead.name, old_style.name])
    assert mine_elsewhere.exists()


# --------------------------------------------------------------------------
# 13. merged 组别 cells in 户籍
# --------------------------------------------------------------------------


def _merge_groups(path: Path) -> None:
    """The clerk's layout: one 组别 cell merged over each group's rows (only the top-left keeps the value)."""
    import openpyxl

    wb = openpyxl.load_workbook(path)
    ws = wb["户籍"]
    header = [c.value for c in ws[1]]
    col = header.index("组别") + 1
    rows = [r for r in range(2, ws.max_row + 1) if ws.cell(r, 1).value]
    runs: list[list[int]] = []
    for r in rows:
        if runs and ws.cell(runs[-1][0], col).value == ws.cell(r, col).value:
            runs[-1].append(r)
        else:
            runs.append([r])
    for run in runs:
        for r in run[1:]:
            ws.cell(r, col).value = None
        if len(run) > 1:
            ws.merge_cells(start_row=run[0], start_column=col, end_row=run[-1], end_column=col)
    wb.save(path)


def test_merged_group_cells_give_every_household_its_group(ledger_path: Path, runner, tmp_path: Path) -> None:
    from conftest import add_households, household

    add_households(ledger_path, [household("ZP001", "张一", "第一组"), household("ZP002", "张二", "第一组"),
                                 household("ZP003", "张三", "第一组"), household("ZP004", "李四", "第二组"),
                                 household("ZP005", "李五", "第二组")])
    _merge_groups(ledger_path)
    groups = Ledger.open(ledger_path).frame("户籍")["组别"].tolist()
    assert groups == ["第一组", "第一组", "第一组", "第二组", "第二组"]
    out = tmp_path / "表"
    result = invoke(runner, "inspect", "forms", ledger_path, "--month", "2026-08", "-o", out)
    assert result.exit_code == 0, result.output
    names = sorted(p.name for p in out.iterdir())
    assert len(names) == 2 and all(("第一组" in n) or ("第二组" in n) for n in names), names


def test_inspect_forms_refuses_households_without_a_group(ledger_path: Path, runner, tmp_path: Path) -> None:
    from conftest import add_households, household

    add_households(ledger_path, [household("ZP001", "张一", "第一组"), household("ZP002", "张二", "")])
    out = tmp_path / "表"
    result = invoke(runner, "inspect", "forms", ledger_path, "--month", "2026-08", "-o", out)
    assert result.exit_code == ExitCode.DATA, result.output
    assert "ZP002" in result.stderr and "组别" in result.stderr
    assert not out.exists() or list(out.iterdir()) == []


# --------------------------------------------------------------------------
# 17. the same day's redemption sheet taken twice under another name
# --------------------------------------------------------------------------


def _day_sheet(path: Path, rows: list[list], footer: list[list] = ()) -> Path:
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "兑换登记"
    ws.append(["中坪村爱心超市2026年8月1日兑换登记表"])
    ws.merge_cells("A1:G1")
    ws.append([])
    ws.append(["序号", "户号", "户主", "物品", "数量", "积分", "备注"])
    for row in rows:
        ws.append(row)
    for row in footer:
        ws.append(row)
    wb.save(path)
    return path


def _redemption_rows(path: Path) -> int:
    return len(Ledger.open(path).frame("兑换记录"))


def test_a_resent_day_sheet_with_a_footer_is_a_duplicate(runner, village: dict, tmp_path: Path) -> None:
    """The audit: 兑换登记表(1).xlsx (a footer added) was taken again: the same visits spent twice."""
    ledger = village["ledger"]
    _give_points(ledger, "ZP002", 100)
    _give_points(ledger, "ZP010", 100)
    rows = [[1, "ZP002", "", "毛巾", 2, 10, ""], [2, "ZP010", "", "香皂", 1, None, ""]]
    first = _day_sheet(tmp_path / "兑换登记表.xlsx", rows)
    result = invoke(runner, "redeem", "import", ledger, first, "--no-print")
    assert result.exit_code == 0, result.output
    taken = _redemption_rows(ledger)
    before = ledger.read_bytes()

    again = _day_sheet(tmp_path / "兑换登记表(1).xlsx", rows, footer=[[], ["制表人：李秀兰", None, None, "审核：王建国"]])
    result = invoke(runner, "redeem", "import", ledger, again, "--no-print")
    assert result.exit_code == ExitCode.DATA, result.output
    assert "疑似重复" in result.stderr and "DH2026-000001" in result.stderr and "DH2026-000002" in result.stderr
    assert "--again" in result.stderr
    assert ledger.read_bytes() == before

    result = invoke(runner, "redeem", "import", ledger, again, "--no-print", "--again")
    assert result.exit_code == ExitCode.USAGE, result.output  # --again needs a reason
    assert ledger.read_bytes() == before

    result = invoke(runner, "redeem", "import", ledger, again, "--no-print", "--again", "--reason", "当天下午又来兑换了一次")
    assert result.exit_code == 0, result.output
    assert _redemption_rows(ledger) == 2 * taken
    log = Ledger.open(ledger).frame("操作日志").iloc[-1]
    assert "当天下午又来兑换了一次" in log["结果"]


def test_a_different_quantity_is_no_duplicate(runner, village: dict, tmp_path: Path) -> None:
    ledger = village["ledger"]
    _give_points(ledger, "ZP002", 100)
    result = invoke(runner, "redeem", "import", ledger, _day_sheet(tmp_path / "a.xlsx", [[1, "ZP002", "", "毛巾", 2, 10, ""]]),
                    "--no-print")
    assert result.exit_code == 0, result.output
    result = invoke(runner, "redeem", "import", ledger, _day_sheet(tmp_path / "b.xlsx", [[1, "ZP002", "", "毛巾", 1, 5, ""]]),
                    "--no-print")
    assert result.exit_code == 0, result.output


# --------------------------------------------------------------------------
# 12. a roster import keeps the clerk's work in 户籍
# --------------------------------------------------------------------------


def _clerks_roster_sheet(path: Path) -> dict:
    """户籍 as a clerk keeps it: a grouped empty row between two households, a hyperlink, a typed date."""
    import datetime as dt

    import openpyxl

    wb = openpyxl.load_workbook(path)
    ws = wb["户籍"]
    header = [c.value for c in ws[1]]
    last = ws.max_column
    ws.move_range(f"A4:{openpyxl.utils.get_column_letter(last)}6", rows=1)  # rows 4.. → 5..; row 4 empty
    ws.row_dimensions[4].outlineLevel = 1
    ws.row_dimensions[5].outlineLevel = 1
    ws.sheet_properties.outlinePr.summaryBelow = False
    name_col = header.index("户主") + 1
    link = ws.cell(7, name_col)
    link.hyperlink = "https://example.org/zp005"
    date_col = last + 1
    ws.cell(1, date_col).value = "入户日期"
    typed = ws.cell(2, date_col)
    typed.value = dt.datetime(2026, 3, 5)
    typed.number_format = "yyyy\"年\"m\"月\"d\"日\""
    wb.save(path)
    return {"name_col": name_col, "date_col": date_col, "id_col": header.index("户号") + 1}


def test_a_roster_import_keeps_rows_links_dates_and_outline(ledger_path: Path, runner, tmp_path: Path) -> None:
    """The audit: the empty grouped row was dropped, the rows below moved up under the hyperlink,
    a typed date became text and the outline was lost."""
    import datetime as dt

    import openpyxl

    from conftest import add_households, household

    add_households(ledger_path, [household(f"ZP00{i}", n, "第一组" if i < 3 else "第二组")
                                 for i, n in enumerate(["张一", "张二", "李三", "李四", "王五"], start=1)])
    cols = _clerks_roster_sheet(ledger_path)
    roster = tmp_path / "名册.xlsx"
    wb = openpyxl.Workbook()
    wb.active.append(["户号", "户主", "组别", "联系电话"])
    wb.active.append(["ZP001", "张一", "第一组", "13800000001"])  # a change to a household above the empty row
    wb.active.append(["ZP006", "赵六", "第二组", ""])  # a new household
    wb.save(roster)
    result = invoke(runner, "households", "import", ledger_path, roster)
    assert result.exit_code == 0, result.output

    ws = openpyxl.load_workbook(ledger_path)["户籍"]
    ids = [ws.cell(r, cols["id_col"]).value for r in range(2, 9)]
    assert ids == ["ZP001", "ZP002", None, "ZP003", "ZP004", "ZP005", "ZP006"]
    assert ws.row_dimensions[4].outlineLevel == 1 and ws.row_dimensions[5].outlineLevel == 1
    link = ws.cell(7, cols["name_col"])
    assert link.value == "王五" and link.hyperlink is not None and link.hyperlink.target == "https://example.org/zp005"
    typed = ws.cell(2, cols["date_col"])
    assert typed.value == dt.datetime(2026, 3, 5) and "年" in typed.number_format
    frame = Ledger.open(ledger_path).frame("户籍")
    assert frame.loc[frame["户号"] == "ZP001", "联系电话"].iloc[0] == "13800000001"
    assert invoke(runner, "check", ledger_path).exit_code == 0


def test_an_unchanged_row_keeps_its_xml(ledger_path: Path) -> None:
    """Rows the write did not change are byte for byte what they were (styles, types, attributes)."""
    import re

    from conftest import add_households, household, parts, sheet_part

    import openpyxl

    add_households(ledger_path, [household("ZP001", "张一"), household("ZP002", "张二")])
    wb = openpyxl.load_workbook(ledger_path)  # the clerk saves it in a spreadsheet program: shared strings
    wb["户籍"].row_dimensions[3].height = 30  # and makes a row taller
    wb.save(ledger_path)
    part = sheet_part(ledger_path, "户籍")
    rows_before = re.findall(r'<row r="[23]".*?</row>', parts(ledger_path)[part].decode())
    assert len(rows_before) == 2 and 'ht="30"' in rows_before[1]
    add_households(ledger_path, [household("ZP001", "张一"), household("ZP002", "张二"), household("ZP003", "张三")])
    rows_after = re.findall(r'<row r="[23]".*?</row>', parts(ledger_path)[part].decode())
    assert rows_before == rows_after


def test_a_note_below_the_households_stays_and_the_write_still_verifies(ledger_path: Path) -> None:
    """A row the loader does not read (a note in a column without a header) is kept where it is."""
    import openpyxl

    from conftest import add_households, household

    add_households(ledger_path, [household("ZP001", "张一"), household("ZP002", "张二")])
    wb = openpyxl.load_workbook(ledger_path)
    ws = wb["户籍"]
    far = ws.max_column + 2
    ws.cell(5, far).value = "注：第二组名单待核"
    wb.save(ledger_path)
    add_households(ledger_path, [household("ZP001", "张一"), household("ZP002", "张二"), household("ZP003", "张三")])
    ws = openpyxl.load_workbook(ledger_path)["户籍"]
    assert ws.cell(5, far).value == "注：第二组名单待核"
    assert [ws.cell(r, 1).value for r in range(2, 5)] == ["ZP001", "ZP002", "ZP003"]
