"""Year end: score year, post year, vote import."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.table import Table

from villagectl.cli.app import (
    DateOpt,
    JsonOpt,
    LedgerArg,
    WaitOpt,
    YearOpt,
    app,
    cell_text,
    FUTURE_POSTING,
    parse_date,
    post_app,
    score_app,
    session,
)
from villagectl.cli.console import console, emit_result, fit_table, guarded, print_problems

vote_app = typer.Typer(help="年终村民互评（红黑榜）", no_args_is_help=True)
app.add_typer(vote_app, name="vote")


@score_app.command("year")
def score_year_cmd(
    ledger: LedgerArg,
    year: YearOpt,
    export: Annotated[Optional[Path], typer.Option("--export", help="把年度结果导出成一张 Excel 表")] = None,
    wait: WaitOpt = 0.0,
    as_json: JsonOpt = False,
) -> None:
    """年度评定：年度积分、名次、星级/牌级、红黑榜，写入“年度评定”（锁定前可重算）。"""

    def body() -> None:
        from villagectl.actions.score_year import score_year

        r = score_year(session(ledger, wait), year, export=export)
        rows = r.households()
        if as_json:
            emit_result({"households": rows, "unfinished": r.unfinished})
            return
        table = Table(title=f"{year} 年度评定")
        cols = ("名次", "组别", "户号", "户主", "年度积分", "星级", "牌级", "榜单", "备注")
        for c in cols:
            table.add_column(c, overflow="fold", justify="right" if c in ("名次", "年度积分") else "left")
        for row in r.frame.to_dict("records"):
            table.add_row(*[cell_text(row[c]) for c in cols])
        console().print(fit_table(table, drop=("备注", "榜单")))
        stars = sum(1 for x in rows if x["star"])
        medals = sum(1 for x in rows if x["medal"])
        red = sum(1 for x in rows if x["list"] == "红榜")
        black = sum(1 for x in rows if x["list"] == "黑榜")
        console().print(f"{year} 年：{len(rows)} 户，星级 {stars} 户，牌级 {medals} 户，红榜 {red} 户，黑榜 {black} 户，"
                        f"一票否决不参评 {len(r.vetoed)} 户")
        if r.unfinished:
            console().print(f"[yellow]{year} 年还有没入账的：{'、'.join(r.unfinished)}；年度积分只算已入账的积分，"
                            "这些入账后请重新运行 villagectl score year。[/]")
        if not r.changed:
            console().print("结果与台账中已有的相同，台账没有改动。")
        if r.notice_invalidated:
            console().print("[yellow]年度评定结果有变化，已打印的年度公示作废，请重新打印（villagectl notice year）。[/]")
        if r.export:
            console().print(f"已导出 {r.export}")

    guarded(as_json, body)


@post_app.command("year")
def post_year_cmd(
    ledger: LedgerArg,
    year: YearOpt,
    force: Annotated[bool, typer.Option("--force", help="公示期未满或未公示也锁定（须写 --reason）")] = False,
    reason: Annotated[str, typer.Option("--reason", help="提前锁定的原因")] = "",
    date: DateOpt = None,
    wait: WaitOpt = 0.0,
    as_json: JsonOpt = False,
) -> None:
    """公示期满后锁定年度评定；锁定后不能重算、不能再导入互评结果。"""

    def body() -> None:
        from villagectl.actions.score_year import post_year

        n = post_year(session(ledger, wait, today=parse_date(date, FUTURE_POSTING)), year, force=force, reason=reason)
        if as_json:
            emit_result({"year": year, "locked": n})
        else:
            console().print(f"{year} 年度评定已锁定（{n} 户）。" if n else f"{year} 年度评定早已锁定，没有改动。")

    guarded(as_json, body)


@vote_app.command("import")
def vote_import_cmd(
    ledger: LedgerArg,
    paths: Annotated[list[Path], typer.Argument(help="计票表文件或文件夹", show_default=False)],
    year: YearOpt,
    wait: WaitOpt = 0.0,
    as_json: JsonOpt = False,
) -> None:
    """导入年终互评计票结果（每户：投票数、不合格票）；不合格票达到 1/3 的户列入黑榜。"""

    def body() -> None:
        from villagectl.actions.score_year import import_votes

        n, problems = import_votes(session(ledger, wait), paths, year)
        if as_json:
            emit_result({"year": year, "households": n, "problems": [p.as_dict() for p in problems]})
            return
        print_problems(problems)
        console().print(f"已导入 {year} 年互评结果 {n} 户。请运行 villagectl score year {ledger} --year {year} 更新红黑榜。")

    guarded(as_json, body)


