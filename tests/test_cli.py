"""The command line as a whole: Chinese help, docs for every command, consoles, exit codes."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import typer

from conftest import add_households, household, invoke
from villagectl.cli.main import app

ROOT = Path(__file__).resolve().parent.parent
CJK = re.compile(r"[\u4e00-\u9fff]")


def _commands(group: typer.Typer, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    out = [prefix + (c.name or c.callback.__name__,) for c in group.registered_commands]
    for sub in group.registered_groups:
        out += _commands(sub.typer_instance, prefix + (sub.name,))
    return out


COMMANDS = _commands(app)


def test_command_list_is_what_we_document() -> None:
    assert set(COMMANDS) >= {("init",), ("check",), ("balance",), ("demo",), ("households", "import")}


@pytest.mark.parametrize("command", COMMANDS, ids=[" ".join(c) for c in COMMANDS])
def test_every_command_has_chinese_help_and_docs(runner, command) -> None:
    result = invoke(runner, *command, "--help")
    assert result.exit_code == 0
    text = result.stdout
    assert CJK.search(text)
    for english in ("Show this message", "Usage:", "Options", "Arguments"):
        assert english not in text
    assert "显示本帮助并退出" in text and "用法" in text
    docs = (ROOT / "docs" / "commands.md").read_text(encoding="utf-8")
    assert f"## villagectl {' '.join(command)}" in docs
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert f"villagectl {' '.join(command)}" in readme


def test_usage_errors_are_chinese_and_exit_2(runner) -> None:
    result = invoke(runner, "balance")
    assert result.exit_code == 2
    assert "缺少参数" in result.stderr
    result = invoke(runner, "check", "x.xlsx", "--nonsense")
    assert result.exit_code == 2
    assert "没有这个选项" in result.stderr


def test_json_error_shape(runner, tmp_path: Path) -> None:
    result = invoke(runner, "check", tmp_path / "没有.xlsx", "--json")
    assert result.exit_code == 4
    import json

    data = json.loads(result.stdout)
    assert data["ok"] is False and data["exit_code"] == 4 and "找不到台账文件" in data["error"]


def test_output_survives_a_gbk_console(ledger_path: Path) -> None:
    add_households(ledger_path, [household("001", "王𠀀")])  # a name character GBK cannot encode
    env = dict(os.environ, PYTHONIOENCODING="gbk", COLUMNS="120")
    env.pop("PYTHONUTF8", None)
    proc = subprocess.run(
        [sys.executable, "-m", "villagectl", "balance", str(ledger_path)], capture_output=True, env=env
    )
    assert proc.returncode == 0, proc.stderr.decode("gbk", "replace")
    out = proc.stdout.decode("gbk")
    assert "王?" in out and "积分余额" in out


def test_internal_error_is_not_a_traceback(runner, ledger_path: Path, monkeypatch) -> None:
    import villagectl.actions.balance as balance

    def boom(*a, **k):
        raise RuntimeError("bug")

    monkeypatch.setattr(balance, "balances_for", boom)
    monkeypatch.setenv("HOME", str(ledger_path.parent))
    result = invoke(runner, "balance", ledger_path)
    assert result.exit_code == 70
    assert "程序内部错误，台账未改动" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert (ledger_path.parent / ".villagectl" / "crash.log").read_text(encoding="utf-8").count("RuntimeError: bug") == 1
