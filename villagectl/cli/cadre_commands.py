"""Cadres and villager representatives: import assessment sheets, score, grades and pay."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.table import Table

from villagectl.cli.app import (
    DateOpt,
    JsonOpt,
    LedgerArg,
    PeriodOpt,
    WaitOpt,
    YearOpt,
    app,
    cell_text,
    parse_date,
    session,
)
from villagectl.cli.console import console, emit_result, fit_table, guarded, print_problems

cadre_app = typer.Typer(help="村干部、村民代表考核：导入评分和评议、计算等次和考核报酬", no_args_is_help=True)
app.add_typer(cadre_app, name="cadre")


@cadre_app.command("import")
def cadre_import_cmd(
    ledger: LedgerArg,
    paths: Annotated[list[Path], typer.Argument(help="考核评分表、民主评议计票表、负面记录表、代表履职记录表", show_default=False)],
    year: YearOpt,
    period: PeriodOpt = None,
    date: DateOpt = None,
    wait: WaitOpt = 0.0,
    as_json: JsonOpt = False,
) -> None:
    """导入考核材料：自动识别评分表（考核人×指标）、计票表（优秀/称职/基本称职/不称职）、负面记录、代表履职记录。"""

    def body() -> int:
        from villagectl.actions.cadre_import import import_cadre_files

        r = import_cadre_files(session(ledger, wait, today=parse_date(date)), paths, year, period=period)
        if as_json:
            return emit_result({"counts": r.counts, "refused_files": r.refused,
                                "problems": [p.as_dict() for p in r.problems]}, 1 if r.refused else 0)
        print_problems(r.problems)
        for kind, n in r.counts.items():
            console().print(f"{kind}：{n} 行")
        if r.refused:
            console().print(f"[red]{len(r.refused)} 个文件未导入[/]：{'、'.join(r.refused)}")
            return 1
        return 0

    guarded(as_json, body)


@cadre_app.command("score")
def cadre_score_cmd(
    ledger: LedgerArg,
    year: YearOpt,
    period: PeriodOpt = None,
    pay_sheet: Annotated[Optional[Path], typer.Option("--pay-sheet", help="把村干部考核报酬表写到这个 xlsx（报镇里）")] = None,
    wait: WaitOpt = 0.0,
    as_json: JsonOpt = False,
) -> None:
    """计算考核结果：指标得分 × 70% + 民主评议 × 30%，负面清单扣分和一票否决，等次（优秀限额）、标记和考核报酬。"""

    def body() -> None:
        from villagectl.actions.cadre import grades_summary, score_cadres

        r = score_cadres(session(ledger, wait), year, period=period, pay_sheet=pay_sheet)
        if as_json:
            emit_result({"people": r.people()})
            return
        table = Table(title=f"{r.year}年{'' if r.period == '全年' else r.period}考核结果")
        cols = ("类别", "编号", "姓名", "职务", "指标得分", "负面扣分", "民主评议", "综合得分", "等次", "标记", "考核报酬")
        numbers = ("指标得分", "负面扣分", "民主评议", "综合得分", "考核报酬")
        for c in cols:
            table.add_column(c, overflow="fold", justify="right" if c in numbers else "left")
        for _, row in r.frame.iterrows():
            table.add_row(*[cell_text(row[c]) for c in cols])
        console().print(fit_table(table, drop=("职务", "负面扣分", "类别", "标记")))
        console().print(grades_summary(r))
        if not r.changed:
            console().print("结果与台账中已有的相同，台账没有改动。")
        if r.notice_invalidated:
            console().print("[yellow]考核结果有变化，已打印的考核公示作废，请重新打印（villagectl notice cadre）。[/]")
        if r.pay_sheet:
            console().print(f"考核报酬表：{r.pay_sheet}")

    guarded(as_json, body)
