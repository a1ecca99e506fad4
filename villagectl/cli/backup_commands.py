"""Undo and history: ``backups``, ``diff``, ``restore`` (library: villagectl/actions/backup_list.py, backups.py)."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from villagectl.cli.app import JsonOpt, LedgerArg, WaitOpt, app, session
from villagectl.cli.console import console, emit_result, guarded

BackupArg = Annotated[
    Optional[str],
    typer.Argument(help="备份：villagectl backups 列出的序号（1 = 最新）、备份文件名或路径；不写为最新的一份",
                   show_default=False),
]


def _size(n: int) -> str:
    return f"{n / 1024 / 1024:.1f} MB" if n >= 1024 * 1024 else f"{max(n, 0) / 1024:.0f} KB"


@app.command("backups")
def backups_cmd(ledger: LedgerArg, as_json: JsonOpt = False) -> None:
    """列出这本台账的备份：时间、大小、能否打开，以及每份备份之后做了什么（操作日志里的命令和结果）。"""

    def body() -> None:
        from villagectl.actions.backup_list import list_backups

        infos = list_backups(ledger)
        if as_json:
            emit_result({"ledger": str(ledger), "backups": [i.as_dict() for i in infos]})
            return
        if not infos:
            console().print(f"台账 {ledger.name} 还没有备份（每次写入台账前会自动备份）")
            return
        out = console()
        out.print(f"{ledger.name} 的备份（新的在前）：")
        for i in infos:
            when = i.taken.isoformat(sep=" ", timespec="seconds") if i.taken else "时间不明"
            opens = "能打开" if i.opens else "[red]打不开[/]"
            out.print(f"{i.number:>3}. {when}  {_size(i.size)}  {opens}")
            out.print(f"     {i.name}", markup=False)  # a file name on a line of its own: never split by the terminal
            out.print(f"     之后：{i.note}", markup=False)
        console().print(f"共 {len(infos)} 份。看某份备份之后改了什么：villagectl diff 台账 序号；"
                        "恢复：villagectl restore 台账 序号")

    guarded(as_json, body)


@app.command("diff")
def diff_cmd(ledger: LedgerArg, backup: BackupArg = None, as_json: JsonOpt = False) -> None:
    """台账自某份备份（默认最新的一份）以来改了什么：逐个工作表列出新增的行、改动的格（原值 → 新值）、删除的行；积分流水列出新增的流水。"""

    def body() -> None:
        from villagectl.actions.backups import diff_since

        chosen, diff = diff_since(ledger, backup)
        if as_json:
            emit_result({"backup": str(chosen), **diff.as_dict()})
            return
        console().print(f"自备份 {chosen.name} 以来 {ledger.name} 的改动：")
        for line in diff.lines():
            console().print(line, markup=False)

    guarded(as_json, body)


@app.command("restore")
def restore_cmd(
    ledger: LedgerArg,
    backup: Annotated[str, typer.Argument(help="要恢复的备份：villagectl backups 列出的序号（1 = 最新）、备份文件名或路径",
                                          show_default=False)],
    wait: WaitOpt = 0.0,
    as_json: JsonOpt = False,
) -> None:
    """把台账恢复成某份备份（先备份现在的台账，可以再恢复回来），并列出这次恢复撤销的改动。"""

    def body() -> None:
        from villagectl.actions.backups import restore_backup

        result = restore_backup(session(ledger, wait), ref=backup)
        if as_json:
            emit_result(result.as_dict())
            return
        out = console()
        if not result.restored:
            out.print(f"台账 {ledger.name} 与备份 {result.backup.name} 内容相同，无需恢复，台账未改动")
            return
        if result.damaged:
            out.print(f"台账 {ledger.name} 打不开（已损坏），无法列出改动；已把它原样另存为 {result.previous}，"
                      f"再恢复为备份 {result.backup.name}", markup=False)
            return
        out.print(f"已把 {ledger.name} 恢复为备份 {result.backup.name}。撤销的改动：")
        for line in result.diff.lines():
            out.print(line, markup=False)
        if result.previous is not None:
            out.print(f"恢复前的台账已备份为 {result.previous.name}；如要反悔：villagectl restore {ledger} {result.previous.name}",
                      markup=False)

    guarded(as_json, body)
