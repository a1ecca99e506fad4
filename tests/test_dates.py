"""Dates in the future (issue 12 §5), through the CLI with the real today.

Every date here is relative to dt.date.today(): the check sees the real clock (marker real_clock; the other tests
replay fixed 2026 scenarios with the clock pinned, tests/conftest.py).
"""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import pytest
from conftest import add_households, household, invoke, invoke_json

from villagectl.ledger.create import create_ledger
from villagectl.ledger.workbook import Ledger
from villagectl.values import clean_text

pytestmark = pytest.mark.real_clock

TODAY = dt.date.today()
TOMORROW = TODAY + dt.timedelta(days=1)
LATER = TODAY + dt.timedelta(days=40)


def day(d: dt.date) -> str:
    return d.isoformat()


def said(result) -> str:
    return " ".join((result.stderr + result.stdout).split())


@pytest.fixture
def wenming(tmp_path: Path) -> Path:
    path = tmp_path / "文明村.xlsx"
    create_ledger(path, "文明村", "wenming", today=TODAY - dt.timedelta(days=30))
    add_households(path, [household("001", "张三", size=4), household("002", "李四", "第二组", 2)])
    return path


def last_log(path: Path) -> dict:
    log = Ledger.open(path).frame("操作日志")
    return {k: clean_text(v) for k, v in log.iloc[-1].items()}


def test_a_future_date_is_refused_naming_the_option_and_both_dates(runner, wenming: Path) -> None:
    before = wenming.read_bytes()
    result = invoke(runner, "event", "add", wenming, "--household", "001", "--rule", "GY01", "--date", day(TOMORROW))
    assert result.exit_code == 2
    text = said(result)
    assert f"--date {day(TOMORROW)} 晚于今天 {day(TODAY)}" in text and "不能用将来的日期" in text
    assert "--force" not in text  # event add has no --force: refused outright
    assert wenming.read_bytes() == before
    # today and earlier are fine
    result, data = invoke_json(runner, "event", "add", wenming, "--household", "001", "--rule", "GY01", "--date", day(TODAY))
    assert result.exit_code == 0, result.stdout


def test_redeem_and_init_refuse_outright(runner, tmp_path: Path, wenming: Path) -> None:
    result = invoke(runner, "redeem", wenming, "--household", "001", "--item", "毛巾", "--date", day(LATER))
    assert result.exit_code == 2 and f"{day(LATER)} 晚于今天 {day(TODAY)}" in said(result)
    fresh = tmp_path / "新村.xlsx"
    # init's --force overwrites a file: it does not let a future date through
    result = invoke(runner, "init", fresh, "--village", "新村", "--date", day(TOMORROW), "--force")
    assert result.exit_code == 2 and "晚于今天" in said(result) and not fresh.exists()


def test_force_lets_a_future_date_through_and_the_log_records_it(runner, wenming: Path, tmp_path: Path,
                                                                  monkeypatch) -> None:
    e, data = invoke_json(runner, "event", "add", wenming, "--household", "001", "--rule", "GY01", "--date",
                          day(TODAY - dt.timedelta(days=10)))
    eid = data["events"][0]["event_id"]
    assert invoke(runner, "event", "review", wenming, "--id", eid, "--by", "网格员王").exit_code == 0
    assert invoke(runner, "event", "notice", wenming, "-o", tmp_path / "公示.pdf", "--id", eid,
                  "--date", day(TODAY - dt.timedelta(days=1))).exit_code == 0
    result = invoke(runner, "event", "approve", wenming, "--id", eid, "--by", "李书记", "--date", day(LATER))
    assert result.exit_code == 2
    assert f"--date {day(LATER)} 晚于今天 {day(TODAY)}" in said(result) and "--force" in said(result)
    args = ["event", "approve", str(wenming), "--id", eid, "--by", "李书记", "--date", day(LATER), "--force"]
    monkeypatch.setattr(sys, "argv", ["villagectl", *args])  # what 操作日志 records as the arguments
    result = invoke(runner, *args)
    assert result.exit_code == 0, said(result)
    log = last_log(wenming)
    assert "--force" in log["参数"] and day(LATER) in log["参数"]
    # posting has no --force: a future date is refused
    result = invoke(runner, "event", "post", wenming, "--id", eid, "--date", day(LATER))
    assert result.exit_code == 2 and "晚于今天" in said(result)


@pytest.mark.parametrize("command", [["post", "month", "--month", "2026-01"], ["post", "year", "--year", "2026"]])
def test_posting_with_a_future_date_is_refused_even_with_force(runner, wenming: Path, command: list[str]) -> None:
    before = wenming.read_bytes()
    verb, what, *rest = command
    result = invoke(runner, verb, what, wenming, *rest, "--date", day(LATER), "--force", "--reason", "赶进度")
    assert result.exit_code == 2
    text = said(result)
    assert f"--date {day(LATER)} 晚于今天 {day(TODAY)}" in text and "公示期不能在将来结束" in text
    assert wenming.read_bytes() == before
