"""What a clerk sees on an 80-column terminal (issue 14 §4): help in Chinese, nothing cut off, tables that read."""

from __future__ import annotations

import re

import pytest
import typer
from rich.console import Console
from rich.text import Text
from typer.testing import CliRunner

from villagectl.cli.console import CJKText, cjk_divide, reset_consoles
from villagectl.cli.main import app

BORDER = "│╭╮╰╯─┃━┏┓┗┛┡┩└┘├┤┼┬┴╇╈═╞╡╪"


def _commands(group: typer.Typer, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    out = [prefix + (c.name or c.callback.__name__,) for c in group.registered_commands]
    for sub in group.registered_groups:
        out += _commands(sub.typer_instance, prefix + (sub.name,))
    return out


COMMANDS = _commands(app)
GROUPS = [(g.name,) for g in app.registered_groups]


def run80(*args: str):
    reset_consoles()
    result = CliRunner().invoke(app, [str(a) for a in args], env={"COLUMNS": "80"}, prog_name="villagectl")
    reset_consoles()
    return result


def compact(text: str) -> str:
    """The text without borders and spaces: what reads the same however it is wrapped."""
    return re.sub(rf"[\s{BORDER}]", "", text)


@pytest.mark.parametrize("command", [()] + GROUPS + COMMANDS, ids=["villagectl"] + [" ".join(c) for c in GROUPS + COMMANDS])
def test_help_reads_in_chinese_and_is_not_cut_at_80_columns(command) -> None:
    result = run80(*command, "--help")
    assert result.exit_code == 0, result.output
    text = result.stdout
    for english in ("<bool>", "<str>", "<int>", "<float>", "<path>", "<list", "[OPTIONS]", "COMMAND [ARGS]", "{"):
        assert english not in text, (english, text)
    assert all(len(line) <= 80 for line in text.splitlines())
    assert "… │" not in text and "…│" not in text  # a cell cut short
    for line in text.splitlines():  # no line of a panel starts with a closing punctuation mark
        assert not re.match(r"│\s+[，。、；：）]", line), line
    cmd = typer.main.get_command(app)
    for name in command:
        cmd = cmd.commands[name]
    if command:
        whole = compact(text)
        for param in cmd.params:
            if param.help and not getattr(param, "hidden", False):
                assert compact(Text.from_markup(param.help).plain) in whole, (param.name, text)


def test_usage_names_the_arguments_in_chinese() -> None:
    text = run80("households", "import", "--help").stdout
    assert "用法：villagectl households import [选项] 台账 名册…" in text
    assert "台账文件（.xlsx）" in text
    assert "缺少参数 '台账'" in run80("balance").stderr


def test_redeem_help_shows_the_direct_form_options() -> None:
    text = run80("redeem", "--help").stdout
    assert "用法：villagectl redeem [选项] 台账" in text
    for option in ("--household", "--item", "--qty", "--points", "--over-budget", "--dry-run"):
        assert option in text
    assert "import" in text and "cancel" in text  # the subcommands are still listed
    assert "台账.xlsx --help" not in text


def test_chinese_breaks_between_characters_and_keeps_ascii_runs_whole() -> None:
    console = Console(width=80)
    text = "超出经费（--over-budget）或再次导入（--again）时必填，写明原因"
    for width in range(18, 40):
        lines = [line.plain for line in CJKText(text).wrap(console, width)]
        assert "".join(lines) == text
        assert all(len(line) and line[0] not in "，。、；：）" for line in lines)
        assert all(line[-1] != "（" for line in lines)
        assert any("--over-budget" in line for line in lines) and any("--again" in line for line in lines)
    assert cjk_divide("最多 4；1 为不开子进程", 9)  # a break is found inside Chinese text
    lines = [line.plain for line in CJKText("预设方案：zhongping / base140 [默认：zhongping]").wrap(console, 30)]
    assert lines[-1] == "[默认：zhongping]"
