"""Console output: Windows GBK consoles, error display, the one --json envelope (emit_result), Chinese help,
Chinese line breaking (CJKText) and tables that fit 80 columns (fit_table)."""

from __future__ import annotations

import datetime as dt
import io
import json
import re
import sys
from pathlib import Path
from typing import Any, Callable

import typer
from rich.cells import cell_len, chop_cells
from rich.console import Console, ConsoleOptions
from rich.measure import Measurement
from rich.table import Table
from rich.text import Lines, Text

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


# A ledger row (a dict keyed by the sheet's Chinese column names) goes to --json with these English keys
# (docs/json.md); a key not listed here and not already snake_case fails tests/test_json_envelope.py.
JSON_KEYS = {
    # 户籍
    "户号": "household_id", "户主": "name", "组别": "group", "人口": "size", "参评人数": "rated_members",
    "户类型": "household_type", "联系电话": "phone", "身份证号": "id_number", "享受村级福利": "village_benefits",
    # 积分事件, 积分流水, 兑换记录, 商品
    "事件号": "event_id", "日期": "date", "成员": "member", "编码": "rule_code", "项目": "item", "类型": "kind",
    "次数": "count", "积分": "points", "说明": "note", "状态": "status", "申报人": "declared_by",
    "初审人": "reviewed_by", "初审时间": "reviewed_at", "公示开始": "notice_start", "公示截止": "notice_end",
    "审核人": "approved_by", "审核时间": "approved_at", "流水号": "entry_id", "来源": "source", "摘要": "summary",
    "关联": "reference", "经办人": "operator", "校验": "checksum", "余额": "balance", "单号": "slip",
    "核验码": "code", "物品": "item", "名称": "item", "数量": "qty", "单位": "unit", "积分单价": "unit_points",
    "库存": "stock", "金额": "amount", "兑换前余额": "balance_before", "兑换后余额": "balance_after",
    "领取日期": "collected_date", "备注": "remark",
    # 月度得分, 年度评定, 互评, 检查记录
    "月份": "month", "年度": "year", "期间": "period", "得分": "score", "总分": "total_score", "满分": "full_marks",
    "名次": "rank", "组内名次": "group_rank", "曝光台": "exposure", "奖励": "bonus", "年度积分": "year_points",
    "星级": "stars", "牌级": "medal", "榜单": "list", "否决": "veto", "投票数": "votes", "不合格票": "unfit_votes",
    "合计": "total", "原值": "old_value", "工作表": "sheet", "行号": "row", "来源文件": "source_file",
    "文件哈希": "file_hash", "导入时间": "imported_at",
    # 干部, 考核评分, 民主评议, 履职承诺
    "编号": "cadre_id", "姓名": "name", "职务": "position", "类别": "category", "考核人": "assessor",
    "指标": "indicator", "优秀": "excellent", "称职": "competent", "基本称职": "basically_competent",
    "不称职": "unfit", "承诺内容": "commitment", "完成情况": "progress", "对象": "target",
    # counts of what a cadre import read, of the people on a commitments notice
    "考核评分": "assessment_scores", "民主评议": "democratic_votes", "负面记录": "negative_records",
    "代表履职": "representative_duties", "村干部": "cadres", "村民代表": "representatives",
    # 操作日志
    "时间": "time", "命令": "command", "参数": "arguments", "结果": "result",
}


def _plain(value: Any) -> Any:
    """English keys (JSON_KEYS), dates as ISO text, paths as text, tuples as lists: what json can say."""
    if isinstance(value, dict):
        return {JSON_KEYS.get(str(k), str(k)): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_plain(v) for v in value]
    if isinstance(value, (dt.date, dt.datetime, dt.time)):
        return value.isoformat()
    if isinstance(value, Path):
        return str(value)
    return value


def emit_json(data: Any) -> None:
    text = json.dumps(_plain(data), ensure_ascii=False, indent=2, default=str)
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


def named(mapping: dict, key: str, value: str = "points") -> list[dict]:
    """{名字: 分} as [{key: 名字, value: 分}]: json keys are field names, never data (a category, a member)."""
    return [{key: k, value: v} for k, v in (mapping or {}).items()]


def emit_result(data: dict[str, Any], exit_code: int = 0, ok: bool | None = None) -> int:
    """Print one command's --json result in the envelope every command shares (docs/json.md):
    ``{"ok": …, "exit_code": N, <named fields>}`` — a list goes under a named key, e.g.
    ``emit_result({"households": rows})``. Returns the exit code so a body can ``return emit_result(…)``."""
    fields = {k: v for k, v in data.items() if k not in ("ok", "exit_code")}
    emit_json({"ok": exit_code == 0 if ok is None else bool(ok), "exit_code": int(exit_code), **fields})
    return int(exit_code)


# --- Chinese line breaking -----------------------------------------------------
# rich breaks lines at spaces only: a Chinese sentence is one "word" to it, cut with "…" or folded anywhere (a
# line starting with "，"). CJKText breaks between Chinese characters, never inside a run of ASCII (an option
# like --over-budget, a path, a 户号), never before closing punctuation nor after opening punctuation.

CLOSING = set("，。、；：！？）」』”’》〉】〕…—·%‰,.;:!?)]}")
OPENING = set("（「『“‘《〈【〔([{")


def _wide(ch: str) -> bool:
    return ord(ch) > 0x2E7F or ch in CLOSING or ch in OPENING


def _breakable(prev: str, cur: str) -> bool:
    if cur.isspace():
        return False
    if prev.isspace():
        return True
    if cur in CLOSING or prev in OPENING:
        return False
    if prev in "：:" and cur.isascii():  # "[默认：zhongping]", "例如：2026-07" stay together
        return False
    return (_wide(prev) or _wide(cur)) and not (prev.isascii() and cur.isascii())


def break_units(text: str) -> list[tuple[int, int]]:
    """(start, end) of the pieces a line may break between (each keeps the spaces after it)."""
    units: list[tuple[int, int]] = []
    start = 0
    bracket = 0  # "[默认：…]", "[必填]" are not broken
    for i in range(1, len(text)):
        bracket += {"[": 1, "]": -1}.get(text[i - 1], 0)
        if bracket <= 0 and _breakable(text[i - 1], text[i]):
            units.append((start, i))
            start = i
    if text:
        units.append((start, len(text)))
    return units


def cjk_divide(text: str, width: int) -> list[int]:
    """Offsets to break ``text`` at so that every line fits ``width`` cells (like rich's divide_line)."""
    breaks: list[int] = []
    offset = 0
    for start, end in break_units(text):
        piece = text[start:end]
        size = cell_len(piece.rstrip())
        if offset + size <= width:
            offset += cell_len(piece)
            continue
        if size > width:  # longer than a whole line: fold it
            if start and offset:
                breaks.append(start)
            chunks = chop_cells(piece, width)
            for chunk in chunks[:-1]:
                start += len(chunk)
                breaks.append(start)
            offset = cell_len(chunks[-1]) if chunks else 0
            continue
        if start and offset:
            breaks.append(start)
        offset = cell_len(piece)
    return breaks


class CJKText(Text):
    """A rich Text that wraps Chinese between characters and keeps ASCII runs whole."""

    __slots__ = ()

    @classmethod
    def of(cls, text: "Text | str", **kwargs: Any) -> "CJKText":
        if isinstance(text, str):
            return cls(text, **kwargs)
        out = cls(text.plain, style=text.style, justify=text.justify, overflow=text.overflow,
                  no_wrap=text.no_wrap, end=text.end, tab_size=text.tab_size)
        out._spans = list(text._spans)
        return out

    def wrap(self, console: Console, width: int, *, justify=None, overflow=None, tab_size: int = 8,
             no_wrap: bool | None = None) -> Lines:  # type: ignore[no-untyped-def]
        wrap_justify = justify or self.justify or "default"
        wrap_overflow = overflow or self.overflow or "fold"
        no_wrap = bool(no_wrap if no_wrap is not None else self.no_wrap) or overflow == "ignore"
        lines = Lines()
        for line in self.split(allow_blank=True):
            if "\t" in line:
                line.expand_tabs(tab_size)
            if no_wrap:
                if overflow == "ignore":
                    lines.append(line)
                    continue
                new_lines = Lines([line])
            else:
                new_lines = line.divide(cjk_divide(line.plain, width))
                for piece in new_lines:
                    if cell_len(piece.plain) > width:  # rich's rstrip_end counts characters, not cells
                        piece.rstrip()
            if wrap_justify:
                new_lines.justify(console, width, justify=wrap_justify, overflow=wrap_overflow)
            for piece in new_lines:
                piece.truncate(width, overflow=wrap_overflow)
            lines.extend(new_lines)
        return lines

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        lines = self.plain.splitlines()
        widest = max((cell_len(line) for line in lines), default=0)
        pieces = [cell_len(line[s:e].rstrip()) for line in lines for s, e in break_units(line)]
        return Measurement(max(pieces, default=widest), widest)


class _GreedyText(CJKText):
    """Help beside an option: takes the width the other columns leave (as typer's Columns did)."""

    __slots__ = ()

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        low, _high = super().__rich_measure__(console, options)
        return Measurement(low, max(low, options.max_width))


# --- tables at 80 columns ---------------------------------------------------------
# Identifiers, names, dates, file names and numbers are never folded into two lines (issue 14 §4): their
# columns are no_wrap; Chinese text wraps between characters (CJKText); a table still too wide for the
# terminal leaves out its empty columns, then the columns a command names as least useful, and as a last
# resort is printed one block per row.

WHOLE = frozenset((
    "户号", "户主", "组别", "日期", "月份", "年度", "期间", "事件号", "流水号", "单号", "核验码", "编号", "姓名",
    "文件", "名次", "时间", "序号", "状态", "类别", "类型", "职务", "等次", "星级", "牌级", "榜单", "单元格", "认作",
))


def shown(value: Any) -> str:
    """A number as the documents show it: at most 2 decimals (95.3333 → 95.33, 5.0 → 5)."""
    from villagectl.values import fmt_number

    if value is None or isinstance(value, bool) or not isinstance(value, (int, float)):
        return "" if value is None else str(value)
    if isinstance(value, float) and value != value:  # nan
        return ""
    return fmt_number(round(float(value), 2) + 0.0 if isinstance(value, float) else value)


def _cell_plain(cell: Any) -> str:
    return cell.plain if isinstance(cell, Text) else str(cell) if cell is not None else ""


def _needed_width(table: Table, out: Console, cache: dict[int, int] | None = None) -> int:
    """The narrowest the table can be with its whole columns unbroken and the others wrapped."""
    options = out.options.update(max_width=100_000)
    cache = {} if cache is None else cache
    total = table._extra_width
    for column in table.columns:
        if id(column) not in cache:
            measured = _measure_column(table, out, options, column)
            cache[id(column)] = measured.maximum if column.no_wrap else measured.minimum
        total += cache[id(column)]
    return total


def _measure_column(table: Table, out: Console, options: ConsoleOptions, column: Any) -> Measurement:
    """``Table._measure_column`` with each distinct cell measured once (3,000 households: 21,000 cells,
    most of them repeats): a text's measurement depends only on its class and its characters."""
    from rich.padding import Padding

    if options.max_width < 1 or column.width is not None:
        return table._measure_column(out, options, column)
    memo: dict[tuple, Measurement] = {}
    lows: list[int] = []
    highs: list[int] = []
    for cell in table._get_cells(out, column._index, column):
        pad = cell.renderable
        inner = pad.renderable if isinstance(pad, Padding) else None
        if type(inner) is str:
            key: tuple | None = (str, inner, pad.left, pad.right)
        elif isinstance(inner, Text):
            key = (type(inner), inner.plain, pad.left, pad.right)
        else:
            key = None
        measured = memo.get(key) if key is not None else None
        if measured is None:
            measured = Measurement.get(out, options, pad)
            if key is not None:
                memo[key] = measured
        lows.append(measured.minimum)
        highs.append(measured.maximum)
    padding_width = table._get_padding_width(column._index)
    measurement = Measurement(max(lows) if lows else 1, max(highs) if highs else options.max_width).with_maximum(
        options.max_width)
    return measurement.clamp(
        None if column.min_width is None else column.min_width + padding_width,
        None if column.max_width is None else column.max_width + padding_width,
    )


def _drop_column(table: Table, header: str) -> bool:
    for column in table.columns:
        if _cell_plain(column.header) == header:
            table.columns.remove(column)
            for i, c in enumerate(table.columns):
                c._index = i
            return True
    return False


def _vertical(table: Table) -> Any:
    from rich.console import Group

    blocks: list[Any] = []
    if table.title:
        blocks.append(Text.from_markup(str(table.title)) if isinstance(table.title, str) else table.title)
    headers = [_cell_plain(c.header) for c in table.columns]
    for i in range(table.row_count):
        grid = Table.grid(padding=(0, 1))
        grid.add_column(no_wrap=True, style="bold")
        grid.add_column(overflow="fold")
        for header, column in zip(headers, table.columns):
            cell = column._cells[i] if i < len(column._cells) else ""
            if _cell_plain(cell):
                grid.add_row(header, cell)
        blocks.append(grid)
        blocks.append(Text(""))
    return Group(*blocks)


def fit_table(table: Table, drop: tuple[str, ...] = (), width: int | None = None) -> Any:
    """The table made to fit ``width`` (the terminal's) without breaking an identifier (see WHOLE)."""
    out = console()
    width = width or out.width
    for column in table.columns:
        header = _cell_plain(column.header)
        if header in WHOLE or column.justify == "right":
            column.no_wrap = True
        else:
            # text given as a str wraps the Chinese way; a Text cell keeps its own breaking (a location "文件 / 表")
            column._cells = [CJKText.of(Text.from_markup(c)) if isinstance(c, str) else c for c in column._cells]
    if table.row_count:
        for column in list(table.columns):
            if all(not _cell_plain(c).strip() for c in column._cells):
                _drop_column(table, _cell_plain(column.header))
    measured: dict[int, int] = {}  # each column measured once (a village's whole roll)
    for header in drop:
        if _needed_width(table, out, measured) <= width:
            break
        _drop_column(table, header)
    if _needed_width(table, out, measured) <= width:
        return table
    return _vertical(table)


def problems_table(problems: list[Problem], title: str = "") -> Any:
    table = Table(title=title or None, show_lines=False, expand=False)
    table.add_column("位置", overflow="fold", style="cyan")
    table.add_column("问题", overflow="fold")
    for p in problems:
        style = "yellow" if p.severity != "错误" else ""
        message = CJKText(p.message, style=style)  # the message as written: no markup read into it
        table.add_row(Text(str(p.location) or "—"), message)
    return fit_table(table)


def print_problems(problems: list[Problem], limit: int = 200) -> None:
    out = err_console()
    colours = {"错误": "red", "警告": "yellow"}
    for p in problems[:limit]:
        mark = p.severity if p.severity in ("错误", "警告", "提醒") else "警告"
        out.print(f"[{colours.get(mark, 'cyan')}]{mark}[/] {p}", markup=True)
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
        if as_json:
            emit_json({"ok": False, "exit_code": 130, "error": "已中断；台账未改动", "problems": []})
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
            emit_json({"ok": False, "exit_code": int(ExitCode.INTERNAL), "error": msg, "problems": []})
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
    return re.sub(r"(?<=['\u4e00-\u9fff])\.(\s*)$", r"。\1", text)  # "缺少参数 '台账'." ends the Chinese way


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
    _install_chinese_help()


# What the usage line and the 参数 panel call each argument (typer shows the Python name: {ledger}).
ARGUMENT_NAMES = {
    "ledger": "台账", "file": "文件", "paths": "文件", "rosters": "名册", "folder": "文件夹",
    "backup": "备份", "code": "核验码", "refs": "单号",
}
# Value kinds shown beside an option instead of typer's <str>, <bool>, <list[Path]>.
TYPE_NAMES = {"str": "文字", "int": "整数", "float": "数字", "path": "路径", "Path": "路径", "bool": ""}
SELF_EXPLAINED = {"date", "month", "quarter", "year"}  # their help gives the form (YYYY-MM-DD, 2026-07, 2026Q1, 2026)
USAGE_WORDS = (("[OPTIONS]", "[选项]"), ("COMMAND [ARGS]...", "命令 [参数]…"))


def type_label(param: Any, ctx: Any) -> str | None:
    """The Chinese kind of value an option or argument takes ("" for a flag)."""
    if getattr(param, "metavar", None):
        return param.metavar
    if getattr(param, "is_flag", False):
        return None
    if getattr(param, "name", None) in SELF_EXPLAINED:
        return None
    raw = param.display_type(ctx).strip("<>")
    # an argument taking several values is already shown as "文件..." by typer
    repeated = (raw.startswith("list[") or param.nargs != 1) and getattr(param, "param_type_name", "") == "option"
    inner = raw[5:-1] if raw.startswith("list[") else raw
    if "|" in inner:  # a choice: the values themselves
        label = inner
    else:
        label = TYPE_NAMES.get(inner, inner)
    if not label:
        return None
    return label + ("…" if repeated else "")


def _install_chinese_help() -> None:
    from typer import core as typer_core
    from typer import rich_utils
    from typer._click import core as click_core

    def argument_name(self) -> str:  # type: ignore[no-untyped-def]
        return self.metavar or ARGUMENT_NAMES.get(self.name, self.name)

    def rich_display_name(self) -> str:  # type: ignore[no-untyped-def]
        return argument_name(self) + ("…" if self.metavar is None and self.nargs != 1 else "")

    def usage_display_name(self) -> str:  # type: ignore[no-untyped-def]
        name = argument_name(self)
        name = name if self.required else f"[{name}]"
        return name + ("…" if self.nargs != 1 else "")

    typer_core.TyperArgument.display_name_raw = property(argument_name)  # type: ignore[assignment]
    typer_core.TyperArgument._rich_display_name = rich_display_name
    typer_core.TyperArgument._usage_display_name = usage_display_name
    typer_core.TyperArgument.display_type_rich = type_label  # type: ignore[assignment]
    typer_core.TyperOption.display_type_rich = type_label  # type: ignore[assignment]

    original_pieces = click_core.Command.collect_usage_pieces

    def collect_usage_pieces(self, ctx):  # type: ignore[no-untyped-def]
        pieces = original_pieces(self, ctx)
        for en, zh in USAGE_WORDS:
            pieces = [zh if p == en else p for p in pieces]
        return pieces

    click_core.Command.collect_usage_pieces = collect_usage_pieces
    group_pieces = typer_core.TyperGroup.collect_usage_pieces

    def group_usage_pieces(self, ctx):  # type: ignore[no-untyped-def]
        pieces = group_pieces(self, ctx)
        for en, zh in USAGE_WORDS:
            pieces = [zh if p == en else p for p in pieces]
        return pieces

    typer_core.TyperGroup.collect_usage_pieces = group_usage_pieces

    original_text = rich_utils._make_rich_text

    def make_rich_text(*args, **kwargs):  # type: ignore[no-untyped-def]
        text = original_text(*args, **kwargs)
        return CJKText.of(text) if isinstance(text, Text) else text

    rich_utils._make_rich_text = make_rich_text
    original_param_help = rich_utils._get_parameter_help

    def parameter_help(*args, **kwargs):  # type: ignore[no-untyped-def]
        # typer puts the help, [默认：…] and [必填] in rich Columns, which cut a long line with "…"
        columns = original_param_help(*args, **kwargs)
        out = _GreedyText()
        for item in getattr(columns, "renderables", []):
            if not isinstance(item, Text):
                return columns
            if out.plain:
                out.append(" ")
            out.append_text(item)
        return out

    rich_utils._get_parameter_help = parameter_help
    original_default = typer_core._get_default_string

    def default_string(*args, **kwargs):  # type: ignore[no-untyped-def]
        text = original_default(*args, **kwargs)
        return re.sub(r"^(-?\d+)\.0$", r"\1", text) if isinstance(text, str) else text  # [默认：0], not 0.0

    typer_core._get_default_string = default_string
    _install_json_usage_errors()


_RAW_ARGS: list[list[str]] = []  # the arguments of the command line being run (innermost last)


def _install_json_usage_errors() -> None:
    """A usage error the framework finds itself (a missing argument, an unknown option) also answers --json with
    the envelope on stdout — ``{"ok": false, "exit_code": 2, "error": …}`` — besides the message on stderr."""
    from typer import core as typer_core
    from typer import rich_utils

    original_main = typer_core._main
    if getattr(original_main, "_villagectl", False):
        return

    def main(self, *, args=None, **kwargs):  # type: ignore[no-untyped-def]
        _RAW_ARGS.append(list(sys.argv[1:] if args is None else args))
        try:
            return original_main(self, args=args, **kwargs)
        finally:
            _RAW_ARGS.pop()

    main._villagectl = True  # type: ignore[attr-defined]
    typer_core._main = main
    original_error = rich_utils.rich_format_error

    def format_error(exc):  # type: ignore[no-untyped-def]
        original_error(exc)
        args = _RAW_ARGS[-1] if _RAW_ARGS else []
        args = args[: args.index("--")] if "--" in args else args
        if "--json" in args and exc.__class__.__name__ != "NoArgsIsHelpError":
            emit_json({"ok": False, "exit_code": int(getattr(exc, "exit_code", 2)),
                       "error": translate(exc.format_message()), "problems": []})

    rich_utils.rich_format_error = format_error
