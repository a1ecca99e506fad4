"""forms redeem / vote / cadre: blank forms to fill by hand, read back by the matching import."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from villagectl.cli.app import DateOpt, JsonOpt, LedgerArg, WaitOpt, app, parse_date, session, year_check
from villagectl.cli.console import console, emit_result, guarded

forms_app = typer.Typer(help="空白表：爱心超市兑换登记、村民互评计票、干部考核评分和民主评议计票", no_args_is_help=True)
app.add_typer(forms_app, name="forms")
ForceOpt = Annotated[bool, typer.Option("--force", help="覆盖已存在的表")]


def _done(paths: list[Path], then: str, as_json: bool) -> None:
    if as_json:
        emit_result({"files": [str(p) for p in paths]})
        return
    for p in paths:
        console().print(f"已生成 {p}")
    console().print(then)


@forms_app.command("redeem")
def forms_redeem_cmd(
    ledger: LedgerArg,
    output: Annotated[Path, typer.Option("--output", "-o", help="兑换登记表 xlsx 文件")],
    date: DateOpt = None,
    force: ForceOpt = False,
    wait: WaitOpt = 0.0,
    as_json: JsonOpt = False,
) -> None:
    """爱心超市当天的兑换登记表（标题带日期，物品可从下拉列表选），填好后用 villagectl redeem import 导入。"""

    def body() -> None:
        from villagectl.actions.blank_forms import redeem_form

        path = redeem_form(session(ledger, wait), out=output, day=parse_date(date), force=force)
        _done([path], f"填好后：villagectl redeem import {ledger} {path.name}", as_json)

    guarded(as_json, body)


@forms_app.command("vote")
def forms_vote_cmd(
    ledger: LedgerArg,
    year: Annotated[int, typer.Option("--year", help="年度，如 2026", callback=year_check)],
    output: Annotated[Path, typer.Option("--output", "-o", help="把每个组的计票表写到这个文件夹")],
    force: ForceOpt = False,
    wait: WaitOpt = 0.0,
    as_json: JsonOpt = False,
) -> None:
    """年终村民互评计票表，每组一份（已填户号、户主），填好后用 villagectl vote import 导入。"""

    def body() -> None:
        from villagectl.actions.blank_forms import vote_forms

        paths = vote_forms(session(ledger, wait), year=year, out_dir=output, force=force)
        _done(paths, f"填好后：villagectl vote import {ledger} {output} --year {year}", as_json)

    guarded(as_json, body)


@forms_app.command("cadre")
def forms_cadre_cmd(
    ledger: LedgerArg,
    year: Annotated[int, typer.Option("--year", help="年度，如 2026", callback=year_check)],
    output: Annotated[Path, typer.Option("--output", "-o", help="把考核评分表和民主评议计票表写到这个文件夹")],
    force: ForceOpt = False,
    wait: WaitOpt = 0.0,
    as_json: JsonOpt = False,
) -> None:
    """村干部、村民代表考核评分表（当年考核指标及满分）和民主评议计票表，填好后用 villagectl cadre import 导入。"""

    def body() -> None:
        from villagectl.actions.blank_forms import cadre_forms

        paths = cadre_forms(session(ledger, wait), year=year, out_dir=output, force=force)
        _done(paths, f"每位考核人填一份评分表；填好后：villagectl cadre import {ledger} {output} --year {year}", as_json)

    guarded(as_json, body)
