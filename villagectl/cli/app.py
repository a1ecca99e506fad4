"""The typer application, its command groups, and what every command shares."""

from __future__ import annotations

import datetime as dt
import math
import shlex
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from villagectl import __version__, clock
from villagectl.cli.console import (
    console,
    install_chinese,
)
from villagectl.errors import UsageError
from villagectl.values import fmt_number

install_chinese()

app = typer.Typer(
    help="乡村治理积分制工具：在村里的 Excel 台账上导入、计分、公示、入账、兑换。\n\n"
    "每个命令都可加 --help 查看说明；加 --json 输出机器可读结果。",
    no_args_is_help=True,
    add_completion=False,
    context_settings={"help_option_names": ["-h", "--help"]},
    rich_markup_mode="rich",
)
households_app = typer.Typer(help="户籍（农户名册）相关命令", no_args_is_help=True)
app.add_typer(households_app, name="households")
inspect_app = typer.Typer(help="网格员检查表：批量导入、生成空白表", no_args_is_help=True)
app.add_typer(inspect_app, name="inspect")
score_app = typer.Typer(help="计分：月度得分、公示期间的调整", no_args_is_help=True)
app.add_typer(score_app, name="score")
post_app = typer.Typer(help="入账：公示期满后把积分记入积分流水", no_args_is_help=True)
app.add_typer(post_app, name="post")
notice_app = typer.Typer(help="打印公示", no_args_is_help=True)
app.add_typer(notice_app, name="notice")
templates_app = typer.Typer(help="打印模板", no_args_is_help=True)
app.add_typer(templates_app, name="templates")
TemplatesOpt = Annotated[Optional[Path], typer.Option("--templates", help="用这个文件夹里的模板（templates export 导出后修改）")]
FontOpt = Annotated[Optional[Path], typer.Option("--font", help="中文字体文件，如 C:/Windows/Fonts/msyh.ttc（默认用自带的思源黑体）")]



# --- numbers on the command line ----------------------------------------------
# Every int/float option passes ``number_check`` (tests/test_hostile_inputs.py walks every command to make
# sure): nan, inf, 1e400 and absurd magnitudes are usage errors (exit 2) with a Chinese message, never a
# traceback (exit 70) or a silent default ("nan" read as 1). The commands check what the numbers mean.

BIG = 1_000_000  # far above any count, quantity or points a village writes by hand


def number_check(what: str, low: float | None = -BIG, high: float | None = BIG):
    """A typer callback checking the value (or each value of a repeated option) of a numeric option."""

    def check(value):
        for v in value if isinstance(value, (list, tuple)) else [value]:
            if v is None or isinstance(v, bool):
                continue
            if isinstance(v, float) and math.isnan(v):
                raise typer.BadParameter(f"{what}写的是 nan，不是数字；请写具体的数，例如 2")
            if isinstance(v, float) and math.isinf(v):
                raise typer.BadParameter(f"{what}太大，超出了能计算的范围；请写具体的数，例如 2")
            if (low is not None and v < low) or (high is not None and v > high):
                shown = fmt_number(v) if abs(v) < 1e12 else ("太大" if v > 0 else "太小")
                raise typer.BadParameter(f"{what} {shown}：应在 {fmt_number(low)} 到 {fmt_number(high)} 之间")
        return value

    check.checks_numbers = True  # type: ignore[attr-defined]
    return check


YEARS = (1900, 2999)
year_check = number_check("年度", *YEARS)
wait_check = number_check("等待秒数", 0, 86_400)
workers_check = number_check("进程数", 1, 64)

LedgerArg = Annotated[Path, typer.Argument(help="台账文件（.xlsx）", show_default=False)]
JsonOpt = Annotated[bool, typer.Option("--json", help="输出 JSON（供脚本使用）")]
DateOpt = Annotated[Optional[str], typer.Option("--date", help="业务日期 YYYY-MM-DD，默认今天")]
WaitOpt = Annotated[float, typer.Option("--wait", help="台账正被另一个 villagectl 运行占用时最多等待的秒数（Excel/WPS 打开着台账时不等，直接请你关闭）", callback=wait_check)]
MonthOpt = Annotated[Optional[str], typer.Option("--month", help="月份 YYYY-MM，例如 2026-07")]
YearOpt = Annotated[int, typer.Option("--year", help="年度，例如 2026", callback=year_check)]
PeriodOpt = Annotated[Optional[str], typer.Option("--period", help="H1（上半年）或 H2（下半年）；不写为全年")]
OperatorOpt = Annotated[Optional[str], typer.Option("--operator", help="经办人（默认取参数“经办人”）")]


# How a --date later than today is treated (issue 12 §5); parse_date is the one place that checks it.
# A command with --force passes force=its value: the future date goes through with --force (and arguments_text()
# records --date and --force in 操作日志); a command without --force passes nothing and is refused outright.
FUTURE_WITH_FORCE = "force"
FUTURE_NEVER = "never"  # refused outright although the command has --force (it means another thing there)
FUTURE_POSTING = "posting"  # refused outright, --force or not: a notice period cannot end in the future at posting


def parse_date(text: str | None, future: str = FUTURE_WITH_FORCE, option: str = "--date",
               force: bool | None = None) -> dt.date:
    """A YYYY-MM-DD option, default today; a date after today is refused (see FUTURE_*)."""
    if not text:
        return dt.date.today()
    try:
        day = dt.date.fromisoformat(text.strip())
    except ValueError:
        raise UsageError(f"日期“{text}”格式不对，应为 YYYY-MM-DD，例如 2026-07-25") from None
    refuse_future(day, future, option, force)
    return day


def refuse_future(day: dt.date, future: str = FUTURE_WITH_FORCE, option: str = "--date",
                  force: bool | None = None) -> None:
    today = clock.today()
    if day <= today:
        return
    has_force = future == FUTURE_WITH_FORCE and force is not None
    if has_force and force:
        return  # accepted; arguments_text() records --date and --force in 操作日志
    said = f"{option} {day.isoformat()} 晚于今天 {today.isoformat()}"
    if future == FUTURE_POSTING:
        raise UsageError(f"{said}：入账不能用将来的日期（公示期不能在将来结束），加 --force 也不行",
                         hint=f"用今天或以前的日期，或不写 {option}（默认今天）")
    if has_force:
        raise UsageError(f"{said}：不能用将来的日期", hint=f"确属需要时加 --force（{option} 和 --force 记入操作日志）")
    raise UsageError(f"{said}：不能用将来的日期", hint=f"用今天或以前的日期，或不写 {option}（默认今天）")


def arguments_text() -> str:
    return shlex.join(sys.argv[2:]) if len(sys.argv) > 2 else ""


def session(ledger: Path, wait: float = 0.0, operator: str | None = None, today=None):
    """The actions' Session for this command line (its arguments go into 操作日志)."""
    from villagectl.actions.session import Session

    return Session(ledger, wait_s=wait, operator=operator, arguments=arguments_text(), today=today)


def _version(value: bool) -> None:
    if value:
        console().print(f"villagectl {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="显示版本号")
    ] = False,
) -> None:
    """乡村治理积分制工具。"""


def parse_month(text: str | None) -> str | None:
    if not text:
        return None
    from villagectl.values import parse_month_option

    try:
        return parse_month_option(text)
    except ValueError:
        raise UsageError(f"月份“{text}”格式不对，应为 YYYY-MM，例如 2026-07") from None


def progress_over(total: int, label: str):
    """A progress bar on the terminal (nothing when output is piped or --json)."""
    from contextlib import nullcontext

    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
    )

    from villagectl.cli.console import err_console

    if not err_console().is_terminal:
        return nullcontext(lambda *_: None)

    class _Bar:
        def __enter__(self):
            self.progress = Progress(TextColumn(label), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                                     console=err_console(), transient=True)
            self.progress.start()
            self.task = self.progress.add_task(label, total=total)
            return lambda *_: self.progress.advance(self.task)

        def __exit__(self, *exc):
            self.progress.stop()

    return _Bar()


class LazyProgress:
    """A progress bar whose total is known only once the work is counted (silent when ``quiet``)."""

    def __init__(self, label: str, quiet: bool = False) -> None:
        self.label, self.quiet = label, quiet
        self._ctx = None
        self._advance = None

    def __enter__(self) -> "LazyProgress":
        return self

    def start(self, total: int) -> None:
        if self.quiet or self._ctx is not None:
            return
        self._ctx = progress_over(total, self.label)
        self._advance = self._ctx.__enter__()

    def advance(self, *_args) -> None:
        if self._advance is not None:
            self._advance()

    def __exit__(self, *exc) -> None:
        if self._ctx is not None:
            self._ctx.__exit__(*exc)
            self._ctx = self._advance = None


def nullbar():
    from contextlib import nullcontext

    return nullcontext(lambda *_: None)


def cell_text(value) -> str:
    import math

    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, (int, float)):
        from villagectl.cli.console import shown

        return shown(value)  # at most 2 decimals, as on the documents
    return str(value)


