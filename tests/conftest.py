"""Shared fixtures: fresh ledgers made through the library, CLI runner."""

from __future__ import annotations

import datetime as dt
import json
import re
import zipfile
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from typer.testing import CliRunner

from villagectl.cli.console import reset_consoles
from villagectl.cli.main import app
from villagectl.ledger.create import create_ledger
from villagectl.ledger.workbook import Ledger

TODAY = dt.date(2026, 7, 1)
# The scenario tests replay the 2026 village year on fixed dates, the year end in January 2027; the
# future-date check (cli.app.parse_date) sees this day as today unless the real today is later.
# Tests of the check itself (tests/test_dates.py) are marked real_clock and use dates relative to
# the real today.
SCENARIO_TODAY = dt.date(2027, 12, 31)


@pytest.fixture(autouse=True)
def _scenario_clock(request, monkeypatch):
    if request.node.get_closest_marker("real_clock") is None:
        from villagectl import clock

        monkeypatch.setattr(clock, "today", lambda: max(dt.date.today(), SCENARIO_TODAY))


@pytest.fixture
def ledger_path(tmp_path: Path) -> Path:
    path = tmp_path / "中坪 村.xlsx"  # a space and Chinese characters on purpose
    create_ledger(path, "中坪村", "zhongping", today=TODAY)
    return path


def add_households(path: Path, rows: list[dict]) -> None:
    ledger = Ledger.open(path)
    frame = pd.DataFrame(rows, dtype=object)
    for col in ledger.frame("户籍").columns:
        if col not in frame.columns:
            frame[col] = ""
    ledger.replace("户籍", frame[list(ledger.frame("户籍").columns)])
    ledger.save("test-setup")


def household(hid: str, name: str, group: str = "第一组", size: int = 3, **extra) -> dict:
    row = {"户号": hid, "户主": name, "组别": group, "人口": size, "参评人数": size, "户类型": "普通户", "状态": "正常"}
    row.update(extra)
    return row


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def invoke(runner: CliRunner, *args: str):
    reset_consoles()
    result = runner.invoke(app, [str(a) for a in args])
    reset_consoles()
    return result


def invoke_json(runner: CliRunner, *args: str):
    result = invoke(runner, *args, "--json")
    return result, json.loads(result.stdout)


def parts(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as zf:
        return {n: zf.read(n) for n in zf.namelist()}


def sheet_part(path: Path, sheet: str) -> str:
    """The part name of a sheet, via workbook.xml and its rels."""
    p = parts(path)
    wb = p["xl/workbook.xml"].decode()
    rid = re.search(rf'<sheet [^>]*name="{re.escape(sheet)}"[^>]*r:id="(rId\d+)"', wb).group(1)
    rels = p["xl/_rels/workbook.xml.rels"].decode()
    target = re.search(rf'Id="{rid}"[^>]*Target="([^"]+)"|Target="([^"]+)"[^>]*Id="{rid}"', rels)
    t = target.group(1) or target.group(2)
    return t.lstrip("/") if t.startswith("/") else "xl/" + t


CADRE_ITEMS = ["落实上级任务要求", "班子队伍建设", "服务群众成效", "村庄建设发展", "重点任务推进"]
REP_ITEMS = ["履行代表义务", "服务保障发展", "支持配合村班子工作", "密切联系群众"]


def titled_sheet(path: Path, title: str, header: list[str], rows: list[list], footer: str = "") -> Path:
    """A one-sheet workbook as people make them: a title row, the header, the rows, a footer."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append([title])
    ws.append(header)
    for r in rows:
        ws.append(r)
    if footer:
        ws.append([])
        ws.append([footer])
    wb.save(path)
    return path
