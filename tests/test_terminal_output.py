"""What a clerk sees on an 80-column terminal (issue 14 §4): help in Chinese, nothing cut off, tables that read."""

from __future__ import annotations

import re
from pathlib import Path

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


def test_defaults_read_as_written() -> None:
    text = run80("redeem", "import", "--help").stdout
    assert "[默认：0]" in text and "0.0" not in text


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


# --- tables at 80 columns ----------------------------------------------------------------------------

LONG = {"ZP001": "欧阳诸葛慕容雪", "ZP002": "司马长风明月"}  # names that push a table past 80 columns
DECIMALS = re.compile(r"(?<![\d.])\d+\.\d{3,}(?![\d.])")


def whole_on_one_line(text: str, values) -> list[str]:
    """The values that do not appear whole on some line of the output (folded or cut)."""
    lines = text.splitlines()
    return [v for v in values if v and not any(v in line for line in lines)]


def wide(text: str) -> list[str]:
    from rich.cells import cell_len

    return [line for line in text.splitlines() if cell_len(line) > 80 and re.search("[│┃┏┗┡└┌]", line)]


@pytest.fixture(scope="module")
def village(tmp_path_factory):
    import datetime as dt

    from conftest import SCENARIO_TODAY
    from villagectl import clock
    from villagectl.ledger.journal import NewEntry, append_entries
    from villagectl.ledger.workbook import Ledger
    from villagectl.demo import build_samples

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(clock, "today", lambda: max(dt.date.today(), SCENARIO_TODAY))
        made = build_samples(tmp_path_factory.mktemp("tables") / "村")
        ledger = Path(made["ledger"])
        book = Ledger.open(ledger)
        frame = book.frame("户籍").copy()
        for hid, name in LONG.items():
            frame.loc[frame["户号"] == hid, "户主"] = name
        frame.loc[frame["户号"] == "ZP003", "参评人数"] = 3  # 10 points over 3 members: 3.3333 a head
        book.replace("户籍", frame)
        journal, _ = append_entries(book.frame("积分流水"), [
            NewEntry("ZP003", "加分", 10.0, "见义勇为", member="徐小明明"),
            NewEntry("ZP001", "加分", 1.0 / 3, "测试三分之一分", member="欧阳诸葛小雪")], "2026-06-30", "测试")
        book.replace("积分流水", journal)
        book.save("test-setup")
        imported = run80("inspect", "import", ledger, *made["inspections"])
        assert imported.exit_code == 0, imported.stderr
        assert run80("score", "month", ledger, "--month", "2026-07").exit_code == 0
        assert run80("score", "year", ledger, "--year", "2026").exit_code == 0
        yield {"ledger": ledger, "import": imported.stdout, "files": [Path(p).name for p in made["inspections"]]}


def _frame(ledger: Path, sheet: str):
    from villagectl.ledger.workbook import Ledger

    return Ledger.open(ledger).frame(sheet)


def test_score_month_and_year_tables_keep_ids_and_names_whole(village) -> None:
    ledger = village["ledger"]
    for args in (("score", "month", ledger, "--month", "2026-07"), ("score", "year", ledger, "--year", "2026")):
        text = run80(*args).stdout
        assert wide(text) == []
        households = _frame(ledger, "户籍")
        active = households[households["状态"] == "正常"]
        assert whole_on_one_line(text, [*active["户号"], *LONG.values(), "第一组", "第四组"]) == []
        assert DECIMALS.findall(text) == []


def test_balance_rounds_to_two_decimals_and_keeps_names_whole(village) -> None:
    text = run80("balance", village["ledger"]).stdout
    assert wide(text) == []
    assert whole_on_one_line(text, [*LONG.values(), "ZP001", "ZP063"]) == []
    assert DECIMALS.findall(text) == []
    assert "3.33" in text  # ZP003: 10 points over 3 members


def test_inspect_import_summary_keeps_file_names_whole(village) -> None:
    text = village["import"]
    assert wide(text) == []
    assert whole_on_one_line(text, village["files"] + ["2026-07"]) == []
    assert DECIMALS.findall(text) == []


def test_check_table_keeps_locations_readable(tmp_path: Path, ledger_path: Path) -> None:
    from conftest import add_households, household
    from villagectl.ledger.journal import NewEntry, append_entries
    from villagectl.ledger.workbook import Ledger

    add_households(ledger_path, [household("001", "欧阳诸葛慕容雪")])
    book = Ledger.open(ledger_path)
    journal, _ = append_entries(book.frame("积分流水"), [NewEntry(f"ZP{n:03}", "加分", 1.0, "录错户号") for n in range(3)],
                                "2026-06-30", "测试")
    book.replace("积分流水", journal)
    book.save("test-setup")
    result = run80("check", ledger_path)
    assert result.exit_code == 1, result.stdout
    text = result.stdout
    assert wide(text) == []
    assert "积分流水" in text and whole_on_one_line(text, ["ZP000", "ZP001", "ZP002"]) == []
    assert not re.search(r"│\s+[，。、；：）]", text)  # no line of a message starts with a closing mark


def test_event_list_keeps_ids_dates_and_names_whole(tmp_path: Path) -> None:
    from conftest import add_households, household
    from villagectl.ledger.create import create_ledger

    ledger = tmp_path / "文明村.xlsx"
    create_ledger(ledger, "文明村", "wenming")
    add_households(ledger, [household("001", "欧阳诸葛慕容雪"), household("002", "司马长风明月", "第二组")])
    for hid, rule in (("001", "GY01"), ("002", "HJ11"), ("001", "FZ02")):
        assert run80("event", "add", ledger, "--household", hid, "--rule", rule, "--member", "欧阳诸葛小雪",
                     "--date", "2026-05-03").exit_code == 0
    text = run80("event", "list", ledger).stdout
    assert wide(text) == []
    assert whole_on_one_line(text, ["E000001", "E000003", "2026-05-03", *LONG.values()]) == []
    assert DECIMALS.findall(text) == []


def test_backups_put_the_file_name_on_its_own_line(village) -> None:
    text = run80("backups", village["ledger"]).stdout
    names = re.findall(r"\S+\.bak\.xlsx", text)
    assert names and all(line.strip() == name for line, name in
                         ((next(l for l in text.splitlines() if n in l), n) for n in names))


def test_a_table_too_wide_for_the_terminal_is_printed_a_row_at_a_time() -> None:
    from rich.console import Console
    from rich.table import Table

    from villagectl.cli.console import fit_table

    table = Table(title="很宽的表")
    for header in ("户号", "户主", "文件", "日期", "单号"):
        table.add_column(header)
    table.add_row("ZP001", "欧阳诸葛慕容雪", "中坪村第一组2026年7月检查评分表（补查）.xlsx", "2026-07-26", "DH2026-000001")
    out = Console(width=60, record=True)
    out.print(fit_table(table, width=60))
    text = out.export_text()
    assert whole_on_one_line(text, ["ZP001", "欧阳诸葛慕容雪", "中坪村第一组2026年7月检查评分表（补查）.xlsx", "2026-07-26"]) == []
    assert "户号 ZP001" in text  # one block per row: 列名 值
