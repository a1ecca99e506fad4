"""The base-140 scheme's quarters (seed 001 篇4): notice quarter, post quarter."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from villagectl.cli.app import (
    FUTURE_POSTING,
    DateOpt,
    FontOpt,
    JsonOpt,
    LedgerArg,
    OperatorOpt,
    TemplatesOpt,
    WaitOpt,
    notice_app,
    parse_date,
    post_app,
    session,
)
from villagectl.cli.console import console, emit_result, guarded
from villagectl.errors import UsageError

QuarterOpt = Annotated[str, typer.Option("--quarter", help="季度，如 2026Q1（也可写 2026年第一季度）")]


def parse_quarter_option(text: str) -> tuple[int, int]:
    from villagectl.ledger.quarters import parse_quarter

    try:
        return parse_quarter(text)
    except ValueError:
        raise UsageError(f"季度“{text}”格式不对，应为 YYYYQn，例如 2026Q1") from None


@notice_app.command("quarter")
def notice_quarter_cmd(
    ledger: LedgerArg,
    quarter: QuarterOpt,
    output: Annotated[Path, typer.Option("--output", "-o", help="公示 PDF 文件")],
    mask_names: Annotated[Optional[bool], typer.Option("--mask-names/--full-names", help="户主姓名打码（张*明）/ 显示全名（默认取参数“公示隐藏名字”）")] = None,
    partial: Annotated[bool, typer.Option("--partial", help="有的户不在任何评分表上时也打印，标明“部分公示”")] = False,
    templates: TemplatesOpt = None,
    font: FontOpt = None,
    date: DateOpt = None,
    wait: WaitOpt = 0.0,
    as_json: JsonOpt = False,
) -> None:
    """打印季度日常积分公示（基础分方案：环境整治、文明新风每季度评议一次；A4 PDF），从 --date 起公示（参数“公示天数”，默认3天）。"""

    def body() -> None:
        from villagectl.actions.notice_quarter import print_quarter_notice

        year, q = parse_quarter_option(quarter)
        from villagectl.actions.session import PrintOptions

        r = print_quarter_notice(session(ledger, wait, today=parse_date(date)), year, q, out_pdf=output,
                                 mask=mask_names, printing=PrintOptions(templates, font), partial=partial)
        if as_json:
            emit_result(r.as_dict())
            return
        out = console()
        out.print(f"已生成公示 {r.pdf}（{r.households} 户，其中 {r.inspected} 户本季度已评议）")
        if r.state_before == "入账":
            out.print(f"{r.period}已入账，这是补打，台账未改动。")
        else:
            out.print(f"公示期：{r.period_start.isoformat()} 至 {r.period_end.isoformat()}；期满后运行 "
                      f"villagectl post quarter {ledger} --quarter {year}Q{q}")

    guarded(as_json, body)


@post_app.command("quarter")
def post_quarter_cmd(
    ledger: LedgerArg,
    quarter: QuarterOpt,
    force: Annotated[bool, typer.Option("--force", help="公示期未满或未公示也入账（须写 --reason）")] = False,
    reason: Annotated[str, typer.Option("--reason", help="提前入账的原因")] = "",
    operator: OperatorOpt = None,
    date: DateOpt = None,
    wait: WaitOpt = 0.0,
    as_json: JsonOpt = False,
) -> None:
    """公示期满后把季度结果记为入账（不记积分：基础分方案的积分在年终 score year 时计算，post year 锁定）。"""

    def body() -> None:
        from villagectl.actions.notice_quarter import post_quarter

        year, q = parse_quarter_option(quarter)
        r = post_quarter(session(ledger, wait, operator, parse_date(date, FUTURE_POSTING)), year, q, force=force,
                         reason=reason)
        if as_json:
            emit_result(r.as_dict())
            return
        if r.already:
            console().print(f"{r.period}已经入账过，台账没有改动。")
            return
        console().print(f"{r.period}已入账：{r.households} 户本季度已评议；季度得分不记积分，年终 score year 时计入年度积分。")

    guarded(as_json, body)
