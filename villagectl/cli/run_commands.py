"""``run``: one command for a cron line (town office)."""

from __future__ import annotations

import logging
import logging.handlers
from pathlib import Path
from typing import Annotated, Optional

import typer

from villagectl.cli.app import (
    DateOpt,
    JsonOpt,
    LedgerArg,
    MonthOpt,
    WaitOpt,
    app,
    parse_date,
    parse_month,
)
from villagectl.cli.console import emit_result, err_console, guarded


def _setup_logging(log_file: Path | None, verbose: bool) -> None:
    logger = logging.getLogger("villagectl")
    logger.setLevel(logging.INFO)
    for handler in list(logger.handlers):
        logger.removeHandler(handler)
    fmt = logging.Formatter("%(asctime)s %(levelname)s %(message)s")
    if log_file:
        handler = logging.handlers.RotatingFileHandler(log_file, maxBytes=1_000_000, backupCount=5, encoding="utf-8")
        handler.setFormatter(fmt)
        logger.addHandler(handler)
    console_handler = logging.StreamHandler()
    console_handler.setLevel(logging.INFO if verbose else logging.WARNING)
    console_handler.setFormatter(logging.Formatter("%(message)s"))
    logger.addHandler(console_handler)


@app.command("run")
def run_cmd(
    ledger: LedgerArg,
    inbox: Annotated[Path, typer.Option("--inbox", help="收件箱：网格员交来的检查表放在这里")],
    archive: Annotated[Optional[Path], typer.Option("--archive", help="导入成功的文件移到这里（默认 收件箱/已导入）")] = None,
    month: MonthOpt = None,
    notice_dir: Annotated[Optional[Path], typer.Option("--notice-dir", help="公示 PDF 放在这里（默认台账旁的“公示”文件夹）")] = None,
    log_file: Annotated[Optional[Path], typer.Option("--log", help="写日志到这个文件（自动轮换，保留 5 份）")] = None,
    verbose: Annotated[bool, typer.Option("-v", "--verbose", help="成功时也打印经过")] = False,
    date: DateOpt = None,
    wait: WaitOpt = 0.0,
    as_json: JsonOpt = False,
) -> None:
    """无人值守：导入收件箱里的新检查表，成功的移到存档、有问题的移到 refused/（附问题清单），计分并打印公示。供定时任务调用。"""

    def body() -> int:
        from villagectl.actions.run_inbox import run_inbox
        from villagectl.io.outputs import guard_output

        if log_file is not None:  # the log is appended to: never to the ledger or a backup
            guard_output(log_file, ledger, "--log")
        _setup_logging(log_file, verbose)

        r = run_inbox(ledger, inbox, archive, parse_month(month), parse_date(date), notice_dir, wait)
        if as_json:
            emit_result(r.as_dict(), r.exit_code, ok=r.exit_code in (0, 5))
        else:
            if r.refused:
                err_console().print(f"{len(r.refused)} 个文件未导入，已移到 {inbox / 'refused'}：{'、'.join(r.refused)}")
            for m, who in r.incomplete.items():
                err_console().print(f"{m} 还不完整，没有打印公示：{who}。收到他们的检查表后，下次运行会计分并打印公示")
        return r.exit_code

    guarded(as_json, body)
