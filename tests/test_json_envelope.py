"""Every command's --json output has one envelope (issue 14 §6, docs/json.md).

``{"ok": true|false, "exit_code": N, ...}`` with the data under named keys, keys in English snake_case
everywhere (nested too), dates as ISO text. One scripted run over the sample village calls every command
with --json; a command added later without a run here fails test_every_command_is_run.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from conftest import SCENARIO_TODAY, add_households, household, invoke
from test_cadre import _materials
from test_cadre_documents import COMMITMENTS, _commitments
from test_events import _event_sheet
from test_redeem import day_sheet
from test_transfer import KEY, set_setting
from test_year_cycle import _votes
from villagectl.cli.main import app
from villagectl.ledger.create import create_ledger
from villagectl.ledger.workbook import Ledger
from villagectl.demo import build_samples

import openpyxl
import pandas as pd

SNAKE = re.compile(r"^[a-z][a-z0-9]*(_[a-z0-9]+)*$")
ISO_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
OTHER_DAY = re.compile(r"^\d{4}(年|/|\.)\d{1,2}(月|/|\.)\d{1,2}日?$")


def _commands(group: typer.Typer, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    out = [prefix + (c.name or c.callback.__name__,) for c in group.registered_commands]
    for sub in group.registered_groups:
        out += _commands(sub.typer_instance, prefix + (sub.name,))
    return out


COMMANDS = [" ".join(c) for c in _commands(app)] + ["redeem"]  # redeem 台账 … is the direct form


def bad_keys(value, where: str = "") -> list[str]:
    """Every key (at any depth) that is not ASCII snake_case, and every date not written as ISO."""
    found = []
    if isinstance(value, dict):
        for k, v in value.items():
            if not isinstance(k, str) or not SNAKE.match(k):
                found.append(f"{where}.{k}")
            found += bad_keys(v, f"{where}.{k}")
    elif isinstance(value, list):
        for i, v in enumerate(value):
            found += bad_keys(v, f"{where}[{i}]")
    elif isinstance(value, str) and OTHER_DAY.match(value):
        found.append(f"{where} = {value} (not ISO)")
    return found


class Run:
    def __init__(self, root: Path) -> None:
        self.runner = CliRunner()
        self.root = root
        self.outputs: dict[str, list[tuple[int, dict]]] = {}

    def __call__(self, *args, expect: int | None = 0) -> dict:
        words = [str(a) for a in args]
        name = " ".join(w for w in words[:2] if not w.startswith("-") and "/" not in w and not w.endswith(".xlsx"))
        name = name if name in COMMANDS else words[0]
        result = invoke(self.runner, *words, "--json")
        assert result.stdout.strip(), (words, result.stderr)
        data = json.loads(result.stdout)
        if expect is not None:
            assert result.exit_code == expect, (words, data)
        self.outputs.setdefault(name, []).append((result.exit_code, data))
        return data


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    from villagectl import clock

    with pytest.MonkeyPatch.context() as patch:  # the scenario's dates (conftest's clock is per test)
        patch.setattr(clock, "today", lambda: max(dt.date.today(), SCENARIO_TODAY))
        yield _scenario(tmp_path_factory.mktemp("json"))


def _scenario(root: Path) -> Run:
    r = Run(root)
    made = build_samples(root / "中坪村")
    other = build_samples(root / "东坪村", village="东坪村")
    ledger, east = Path(made["ledger"]), Path(other["ledger"])
    for path in (ledger, east):
        set_setting(path, "镇转移密钥", KEY)

    r("init", root / "新村.xlsx", "--village", "新村", "--date", "2026-07-01")
    r("check", ledger)
    r("households", "import", ledger, made["roster"], "--dry-run")
    r("inspect", "import", ledger, *made["inspections"])
    r("inspect", "forms", ledger, "--month", "2026-08", "-o", root / "空白表")
    r("forms", "redeem", ledger, "-o", root / "兑换登记表.xlsx", "--date", "2026-08-01")
    r("forms", "vote", ledger, "--year", "2026", "-o", root / "计票表")
    r("score", "month", ledger, "--month", "2026-07")
    r("score", "adjust", ledger, "--month", "2026-07", "--household", "ZP001", "--item", "RJ1", "--score", "10",
      "--reason", "复查后更正")
    r("notice", "month", ledger, "--month", "2026-07", "-o", root / "公示.pdf", "--date", "2026-07-26")
    r("post", "month", ledger, "--month", "2026-07", "--date", "2026-07-29")
    from villagectl.demo import build_base140_samples, fill_base140_form

    b140 = build_base140_samples(root / "桃源村")  # the base-140 scheme's quarter
    quarter = [Path(p) for p in r("inspect", "forms", b140, "--quarter", "2026Q1", "-o", root / "季度表")["files"]]
    for f in quarter:
        fill_base140_form(f, 1)
    r("inspect", "import", b140, *quarter)
    r("notice", "quarter", b140, "--quarter", "2026Q1", "-o", root / "季度公示.pdf", "--date", "2026-03-26")
    r("post", "quarter", b140, "--quarter", "2026Q1", "--date", "2026-03-29")
    r("balance", ledger)
    r("passbook", ledger, "--household", "ZP010")
    r("templates", "export", root / "模板")

    sale = r("redeem", ledger, "--household", "ZP010", "--item", "食用油", "--date", "2026-08-01", "--no-print")
    code = sale["slips"][0]["code"]
    r("slip", "verify", ledger, code)
    r("slip", "print", ledger, code, "-o", root / "补打.pdf")
    r("slip", "use", ledger, code, "--date", "2026-08-01")
    r("redeem", "import", ledger, day_sheet(root / "兑换.xlsx", [[1, "ZP011", "", "毛巾", 1, "", ""]]), "--no-print")
    second = r("redeem", ledger, "--household", "ZP012", "--item", "毛巾", "--date", "2026-08-01", "--no-print")
    r("redeem", "cancel", ledger, "--slip", second["slips"][0]["slip"], "--reason", "物品录错", "--date", "2026-08-02")

    moved = r("transfer", "out", ledger, "--household", "ZP063", "--to-village", "东坪村", "--date", "2026-08-15",
              "-o", root)
    r("transfer", "in", east, moved["file"], "--household-id", "DP101", "--yes", "--date", "2026-08-20")

    r("score", "year", ledger, "--year", "2026")
    r("vote", "import", ledger, _votes(root / "计票.xlsx", [["ZP001", "", 50, 30]]), "--year", "2026")
    r("notice", "year", ledger, "--year", "2026", "-o", root / "年度公示.pdf", "--date", "2026-12-28")
    r("post", "year", ledger, "--year", "2026", "--date", "2026-12-31", "--force", "--reason", "测试")
    r("report", "year", ledger, "--year", "2026", "-o", root / "报告.pdf")

    cadres = root / "干部"
    cadres.mkdir()
    village = root / "干部村.xlsx"
    create_ledger(village, "中坪村", "zhongping")
    book = Ledger.open(village)
    book.replace("干部", pd.DataFrame([
        {"编号": "GB01", "姓名": "王书记", "职务": "书记", "类别": "村干部", "状态": "在职"},
        {"编号": "GB02", "姓名": "李主任", "职务": "主任", "类别": "村干部", "状态": "在职"},
        {"编号": "GB03", "姓名": "张会计", "职务": "会计", "类别": "村干部", "状态": "在职"},
        {"编号": "DB01", "姓名": "赵代表", "职务": "村民代表", "类别": "村民代表", "状态": "在职"},
    ], dtype=object))
    book.save("test")
    r("forms", "cadre", village, "--year", "2026", "-o", root / "考核空白表")
    r("cadre", "import", village, *_materials(cadres), "--year", "2026")
    r("cadre", "score", village, "--year", "2026", "--pay-sheet", root / "报酬.xlsx")
    r("notice", "cadre", village, "--year", "2026", "-o", root / "干部公示.pdf", "--date", "2027-01-10")
    _commitments(village, COMMITMENTS)
    r("notice", "commitments", village, "--year", "2026", "-o", root / "承诺.pdf", "--date", "2026-01-08")

    wenming = root / "文明村.xlsx"
    create_ledger(wenming, "文明村", "wenming")
    add_households(wenming, [household("001", "张三", size=4, 参评人数=4), household("002", "李四", "第二组", 2),
                             household("003", "王五", "第二组", 3)])
    first = r("event", "add", wenming, "--household", "001", "--rule", "GY01", "--count", "2", "--date", "2026-05-03")
    e1 = first["events"][0]["event_id"]
    e2 = r("event", "add", wenming, "--household", "002", "--rule", "HJ11", "--date", "2026-05-04")["events"][0]["event_id"]
    r("event", "import", wenming, _event_sheet(root / "事件.xlsx", [[1, "王五", "第二组", "志愿服务（每次）", 1, "2026-05-05", ""]]))
    r("event", "review", wenming, "--id", e1, "--by", "网格员王", "--date", "2026-05-06")
    r("event", "notice", wenming, "--id", e1, "-o", root / "事项公示.pdf", "--date", "2026-05-10")
    r("event", "approve", wenming, "--id", e1, "--by", "李书记", "--date", "2026-05-13")
    posted = r("event", "post", wenming, "--id", e1, "--date", "2026-05-13")
    r("event", "reject", wenming, "--id", e2, "--reason", "查无此事", "--by", "李书记", "--date", "2026-05-13")
    r("event", "revoke", wenming, "--entry", posted["entries"][0], "--reason", "录错了户", "--date", "2026-05-14")
    r("event", "list", wenming)

    base = root / "桃溪村.xlsx"  # the base-140 scheme's quarter
    create_ledger(base, "桃溪村", "base140")
    add_households(base, [household("101", "陈世荣", "第一组")])
    book = openpyxl.Workbook()
    book.active.append(["桃溪村2026年3月评分"])
    book.active.append(["户号", "户主", "环境整治", "文明新风"])
    book.active.append(["101", "陈世荣", 38, 36.5])
    book.save(root / "一季度.xlsx")
    r("inspect", "import", base, root / "一季度.xlsx", "--month", "2026-03")
    r("notice", "quarter", base, "--quarter", "2026Q1", "-o", root / "季度公示.pdf", "--date", "2026-04-02")
    r("post", "quarter", base, "--quarter", "2026Q1", "--date", "2026-04-10")

    inbox = root / "收件箱"
    inbox.mkdir()
    fresh = build_samples(root / "无人值守")
    for sheet in fresh["inspections"]:
        shutil.copy(sheet, inbox)
    r("run", fresh["ledger"], "--inbox", inbox, "--date", "2026-07-26")

    r("rollup", ledger, east, "-o", root / "汇总.xlsx", "--year", "2026")
    r("backups", ledger)
    r("diff", ledger)
    r("restore", ledger, "1")
    r("demo", "-o", root / "演示")
    r("check", root / "没有这本.xlsx", expect=4)  # an error has the same envelope
    return r


def test_every_command_is_run(run: Run) -> None:
    assert sorted(set(COMMANDS) - set(run.outputs)) == []


@pytest.mark.parametrize("command", COMMANDS)
def test_envelope_and_snake_case_keys(run: Run, command: str) -> None:
    for exit_code, data in run.outputs.get(command, []):
        assert isinstance(data, dict), data
        assert list(data)[:2] == ["ok", "exit_code"], data
        assert data["exit_code"] == exit_code
        assert data["ok"] is (exit_code == 0) or (command == "run" and exit_code == 5)
        assert len(data) > 2  # the data is there, under named keys
        bad = bad_keys(data)
        assert bad == [], (sorted({re.sub(r"\[\d+\]", "[]", b) for b in bad}), json.dumps(data, ensure_ascii=False)[:1000])


def test_errors_share_the_envelope(run: Run) -> None:
    [(code, data)] = [o for o in run.outputs["check"] if o[0] != 0]
    assert code == 4 and data["ok"] is False and data["exit_code"] == 4 and "找不到台账文件" in data["error"]


def test_lists_are_under_a_named_key(run: Run) -> None:
    [(_, month)] = run.outputs["score month"]
    assert isinstance(month["households"], list) and len(month["households"]) == 63
    assert {"household_id", "name", "group"} <= set(month["households"][0])
    [(_, balance)] = run.outputs["balance"]
    assert isinstance(balance["households"], list) and balance["households"][0]["household_id"].startswith("ZP")
    [(_, events)] = run.outputs["event list"]
    assert [e["household_id"] for e in events["events"]][:2] == ["001", "002"]
    [(_, cadres)] = run.outputs["cadre score"]
    assert {p["cadre_id"] for p in cadres["people"]} == {"GB01", "GB02", "GB03", "DB01"}
    [(_, year)] = run.outputs["score year"]
    assert isinstance(year["households"], list)


def test_dates_are_iso(run: Run) -> None:
    [(_, notice)] = run.outputs["notice month"]
    assert ISO_DAY.match(notice["period_start"]) and ISO_DAY.match(notice["period_end"])
    for _, data in run.outputs["event list"]:
        for e in data["events"]:
            assert all(ISO_DAY.match(v) for k, v in e.items() if k.endswith("date") and v)
    assert dt.date.fromisoformat(run.outputs["redeem"][0][1]["slips"][0]["date"])


@pytest.mark.parametrize("args,message", [
    (("balance",), "缺少参数 '台账'。"),
    (("check", "x.xlsx", "--nonsense"), "没有这个选项"),
    (("households", "import", "x.xlsx", "y.xlsx", "--wait", "nan"), "等待秒数写的是 nan"),
])
def test_usage_errors_found_by_the_framework_answer_json_too(args, message) -> None:
    result = invoke(CliRunner(), *args, "--json")
    assert result.exit_code == 2
    data = json.loads(result.stdout)
    assert (data["ok"], data["exit_code"]) == (False, 2) and message in data["error"]
    assert message in result.stderr  # the clerk's message stays on stderr


def test_without_json_a_usage_error_prints_no_json() -> None:
    result = invoke(CliRunner(), "balance")
    assert result.exit_code == 2 and result.stdout.strip() == "" and "缺少参数 '台账'。" in result.stderr


@pytest.mark.parametrize("failure,code", [(KeyboardInterrupt, 130), (RuntimeError, 70)])
def test_an_interrupted_or_crashed_command_still_answers_in_the_envelope(ledger_path: Path, monkeypatch, failure, code) -> None:
    from villagectl import crashlog
    from villagectl.actions import check

    def boom(*_a, **_k):
        raise failure("boom")

    monkeypatch.setattr(check, "check_ledger", boom)
    monkeypatch.setattr(crashlog, "record_crash", lambda exc: None)
    result = invoke(CliRunner(), "check", ledger_path, "--json")
    assert result.exit_code == code
    data = json.loads(result.stdout)
    assert (data["ok"], data["exit_code"], data["problems"]) == (False, code, []) and data["error"]
