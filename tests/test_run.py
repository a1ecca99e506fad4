"""Cron mode: inbox → import → archive/refused → score → notice, exit codes, logs, locks."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from conftest import invoke, invoke_json
from villagectl.io.safe_write import ledger_lock
from villagectl.ledger.workbook import Ledger
from villagectl.demo import build_samples


@pytest.fixture
def setup(tmp_path: Path):
    made = build_samples(tmp_path / "村")
    inbox = tmp_path / "收件箱"
    inbox.mkdir()
    for p in made["inspections"]:
        shutil.copy(p, inbox)
    return Path(made["ledger"]), inbox


def test_a_run_imports_archives_refuses_scores_and_prints(setup, runner, tmp_path: Path) -> None:
    ledger, inbox = setup
    (inbox / "发错了.xlsx").write_bytes(b"not a workbook")
    log = tmp_path / "run.log"
    result = invoke(runner, "run", ledger, "--inbox", inbox, "--log", log, "--date", "2026-07-26")
    assert result.exit_code == 6  # done, with refused files
    assert result.stdout == ""  # quiet apart from the refusal on stderr
    assert "发错了.xlsx" in result.stderr
    assert sorted(p.name for p in (inbox / "已导入").iterdir()) == sorted(
        ["中坪村第一组7月检查评分表.xlsx", "第三组7月检查打分表.xls", "第二组2026年7月评分.xlsx", "第四组7月积分评比.ods"])
    assert sorted(p.name for p in (inbox / "refused").iterdir()) == ["发错了.xlsx", "发错了.xlsx.问题.xlsx"]
    assert [p for p in inbox.iterdir() if p.is_file()] == []
    assert (ledger.parent / "公示" / "2026-07积分公示.pdf").exists()
    frame = Ledger.open(ledger).frame("期间")
    assert frame.iloc[-1][["期间", "状态", "公示开始"]].tolist() == ["2026-07", "公示", "2026-07-26"]
    text = log.read_text(encoding="utf-8")
    assert "已导入 中坪村第一组7月检查评分表.xlsx" in text and "未导入 发错了.xlsx" in text

    # nothing new: exit 5, nothing changes
    before = ledger.read_bytes()
    result, data = invoke_json(runner, "run", ledger, "--inbox", inbox, "--date", "2026-07-27")
    assert result.exit_code == 5 and data["imported"] == []
    assert ledger.read_bytes() == before


def test_all_good_is_exit_0_and_verbose_tells_the_story(setup, runner) -> None:
    ledger, inbox = setup
    result = invoke(runner, "run", ledger, "--inbox", inbox, "--date", "2026-07-26", "-v")
    assert result.exit_code == 0
    assert "已计分并打印公示" in result.stderr


def test_a_locked_ledger_waits_then_gives_up_changing_nothing(setup, runner) -> None:
    ledger, inbox = setup
    before = ledger.read_bytes()
    with ledger_lock(ledger):
        result = invoke(runner, "run", ledger, "--inbox", inbox, "--wait", "0.3")
    assert result.exit_code == 3
    assert ledger.read_bytes() == before
    assert len([p for p in inbox.iterdir() if p.is_file()]) == 4  # nothing moved


def test_missing_inbox(setup, runner, tmp_path: Path) -> None:
    ledger, _ = setup
    result = invoke(runner, "run", ledger, "--inbox", tmp_path / "没有")
    assert result.exit_code == 4 and "收件箱文件夹不存在" in result.stderr


def test_a_month_with_a_group_missing_waits_for_its_sheet(setup, runner, tmp_path: Path) -> None:
    ledger, inbox = setup
    group4 = next(p for p in inbox.iterdir() if "第四组" in p.name)
    held_back = shutil.move(group4, tmp_path / group4.name)
    result = invoke(runner, "run", ledger, "--inbox", inbox, "--date", "2026-07-26")
    assert result.exit_code == 6
    assert "2026-07 还不完整，没有打印公示：第四组" in result.stderr
    assert not (ledger.parent / "公示" / "2026-07积分公示.pdf").exists()
    periods = Ledger.open(ledger).frame("期间")
    assert periods.iloc[-1][["期间", "状态"]].tolist() == ["2026-07", "草稿"]
    # the sheet arrives: the next run finishes the job
    shutil.move(held_back, inbox / group4.name)
    result = invoke(runner, "run", ledger, "--inbox", inbox, "--date", "2026-07-27")
    assert result.exit_code == 0, result.stderr
    assert (ledger.parent / "公示" / "2026-07积分公示.pdf").exists()
    periods = Ledger.open(ledger).frame("期间")
    assert periods.iloc[-1][["期间", "状态", "公示开始"]].tolist() == ["2026-07", "公示", "2026-07-27"]


def test_a_late_sheet_for_a_posted_month_gets_its_own_notice(setup, runner, tmp_path: Path) -> None:
    ledger, inbox = setup
    group4 = next(p for p in inbox.iterdir() if "第四组" in p.name)
    held_back = shutil.move(group4, tmp_path / group4.name)
    assert invoke(runner, "run", ledger, "--inbox", inbox, "--date", "2026-07-26").exit_code == 6
    assert invoke(runner, "notice", "month", ledger, "--month", "2026-07", "-o", tmp_path / "部分.pdf",
                  "--date", "2026-07-26", "--partial").exit_code == 0
    assert invoke(runner, "post", "month", ledger, "--month", "2026-07", "--date", "2026-07-30",
                  "--allow-missing", "--reason", "第四组的表退回重填").exit_code == 0
    shutil.move(held_back, inbox / group4.name)  # the corrected sheet, after the month was posted
    result = invoke(runner, "run", ledger, "--inbox", inbox, "--date", "2026-08-03")
    assert result.exit_code == 0, result.stderr
    assert (ledger.parent / "公示" / "2026-07补录公示.pdf").exists()
    periods = Ledger.open(ledger).frame("期间")
    assert periods.iloc[-1][["期间", "状态", "公示开始"]].tolist() == ["2026-07 补录1", "公示", "2026-08-03"]
    assert invoke(runner, "post", "month", ledger, "--month", "2026-07", "--date", "2026-08-06").exit_code == 0
    assert Ledger.open(ledger).frame("期间").iloc[-1]["状态"] == "入账"
