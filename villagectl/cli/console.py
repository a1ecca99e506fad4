"""Console output that survives Windows GBK consoles, error display, JSON, Chinese help."""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path
from typing import Any, Callable

import typer
from rich.console import Console
from rich.table import Table

from villagectl.errors import ExitCode, FileAccessError, Problem, VillageError, os_error_reason

_console: Console | None = None
_err_console: Console | None = None


def _reconfigure(stream: Any) -> None:
    # A GBK console cannot encode every character: replace instead of crashing.
    if isinstance(stream, io.TextIOWrapper):
        try:
            stream.reconfigure(errors="replace")
        except (ValueError, AttributeError):
            pass


def setup_streams() -> None:
    _reconfigure(sys.stdout)
    _reconfigure(sys.stderr)


def console() -> Console:
    global _console
    if _console is None:
        _console = Console(highlight=False, soft_wrap=True)  # messages are not cut into lines; tables still fit
    return _console


def err_console() -> Console:
    global _err_console
    if _err_console is None:
        _err_console = Console(stderr=True, highlight=False, soft_wrap=True)
    return _err_console


def reset_consoles() -> None:
    """Tests swap stdout; forget consoles bound to the old streams."""
    global _console, _err_console
    _console = None
    _err_console = None


def emit_json(data: Any) -> None:
    text = json.dumps(data, ensure_ascii=False, indent=2, default=str)
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


def problems_table(problems: list[Problem], title: str = "") -> Table:
    table = Table(title=title or None, show_lines=False, expand=False)
    table.add_column("位置", overflow="fold", style="cyan")
    table.add_column("问题", overflow="fold")
    for p in problems:
        style = "yellow" if p.severity != "错误" else ""
        table.add_row(str(p.location) or "—", f"[{style}]{p.message}[/]" if style else p.message)
    return table


def print_problems(problems: list[Problem], limit: int = 200) -> None:
    out = err_console()
    for p in problems[:limit]:
        mark = "警告" if p.severity != "错误" else "错误"
        out.print(f"[{'yellow' if mark == '警告' else 'red'}]{mark}[/] {p}", markup=True)
    if len(problems) > limit:
        out.print(f"……另有 {len(problems) - limit} 处问题未显示（用 --json 查看全部）")


def show_error(exc: VillageError, as_json: bool) -> None:
    if as_json:
        emit_json(
            {
                "ok": False,
                "exit_code": int(exc.exit_code),
                "error": exc.message,
                "problems": [p.as_dict() for p in exc.problems],
            }
        )
        return
    print_problems(exc.problems)
    err_console().print(f"[bold red]未完成：[/]{exc.message}")
    if exc.hint:
        err_console().print(exc.hint)


def _crash_log(exc: BaseException) -> Path | None:
    from villagectl.crashlog import record_crash

    return record_crash(exc)


def file_access_error(exc: OSError) -> FileAccessError:
    """An OSError no command turned into a message: say which file and why, in Chinese (exit 4)."""
    reason = os_error_reason(exc)
    where = exc.filename if exc.filename is not None else ""
    text = f"文件读写失败：{where}（{reason}）" if where else f"文件读写失败（{reason}）"
    return FileAccessError(
        text, hint="请检查文件夹是否存在、可以写入，磁盘是否已满；文件名太长时请换一个短一些的名字或文件夹")


def guarded(as_json: bool, body: Callable[[], int | None]) -> None:
    """Run a command body; turn every failure into a Chinese message and an exit code."""
    try:
        code = body() or 0
    except VillageError as exc:
        show_error(exc, as_json)
        raise typer.Exit(int(exc.exit_code)) from None
    except KeyboardInterrupt:
        err_console().print("已中断；台账未改动")
        raise typer.Exit(130) from None
    except typer.Exit:
        raise
    except OSError as exc:  # a folder that is read-only or missing, a full disk, a name too long: exit 4
        error = file_access_error(exc)
        show_error(error, as_json)
        raise typer.Exit(int(error.exit_code)) from None
    except Exception as exc:  # a bug: never show a traceback to the clerk
        log = _crash_log(exc)
        msg = "程序内部错误，台账未改动。请把这条信息和台账文件发给技术支持"
        if log:
            msg += f"（详细记录在 {log}）"
        if as_json:
            emit_json({"ok": False, "exit_code": int(ExitCode.INTERNAL), "error": msg})
        else:
            err_console().print(f"[bold red]{msg}[/]")
        raise typer.Exit(int(ExitCode.INTERNAL)) from None
    raise typer.Exit(code)


# --- Chinese for the framework's own words ------------------------------------
# typer vendors click with English messages; translate the ones a clerk meets.

ZH_PHRASES = (
    ("Missing argument", "缺少参数"),
    ("Missing option", "缺少选项"),
    ("Missing parameter:", "缺少参数："),
    ("No such option:", "没有这个选项："),
    ("Possible options:", "可能的选项："),
    ("Did you mean", "是否想用"),
    ("No such command", "没有这个命令"),
    ("Invalid value for", "取值无效："),
    ("Invalid value:", "取值无效："),
    ("Got unexpected extra arguments", "多出了参数"),
    ("Got unexpected extra argument", "多出了参数"),
    ("Got unexpected extra argument(s)", "多出了参数"),
    ("requires an argument.", "需要一个值。"),
    ("is not a valid float.", "不是有效的数字。"),
    ("is not a valid integer.", "不是有效的整数。"),
    ("is not one of", "不是可选值之一："),
    ("does not exist.", "不存在。"),
    ("Missing command.", "缺少命令。"),
)


def translate(text: str) -> str:
    for en, zh in ZH_PHRASES:
        text = text.replace(en, zh)
    return text


def _wrap_format_message(cls: type) -> None:
    original = cls.__dict__.get("format_message")
    if original is None or getattr(original, "_zh", False):
        return

    def format_message(self) -> str:  # type: ignore[no-untyped-def]
        return translate(original(self))

    format_message._zh = True  # type: ignore[attr-defined]
    cls.format_message = format_message


def install_chinese() -> None:
    from typer import rich_utils
    from typer._click import exceptions, formatting

    rich_utils.ARGUMENTS_PANEL_TITLE = "参数"
    rich_utils.OPTIONS_PANEL_TITLE = "选项"
    rich_utils.COMMANDS_PANEL_TITLE = "命令"
    rich_utils.ERRORS_PANEL_TITLE = "错误"
    rich_utils.ABORTED_TEXT = "已中止。"
    rich_utils.DEFAULT_STRING = "[默认：{}]"
    rich_utils.REQUIRED_LONG_STRING = "[必填]"
    rich_utils.RICH_HELP = "运行 [blue]'{command_path} {help_option}'[/] 查看帮助。"
    for obj in vars(exceptions).values():
        if isinstance(obj, type) and issubclass(obj, Exception):
            _wrap_format_message(obj)
    original_usage = formatting.HelpFormatter.write_usage

    def write_usage(self, prog, args="", prefix=None):  # type: ignore[no-untyped-def]
        return original_usage(self, prog, args, "用法：" if prefix is None else prefix)

    formatting.HelpFormatter.write_usage = write_usage

    from typer._click import core

    original_help_option = core.Command.get_help_option

    def get_help_option(self, ctx):  # type: ignore[no-untyped-def]
        option = original_help_option(self, ctx)
        if option is not None:
            option.help = "显示本帮助并退出"
        return option

    core.Command.get_help_option = get_help_option
