"""Cadre documents: notice cadre (public results notice, internal sheet) and notice commitments (履职承诺)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from villagectl.cli.app import (
    FontOpt,
    JsonOpt,
    LedgerArg,
    PeriodOpt,
    TemplatesOpt,
    WaitOpt,
    YearOpt,
    notice_app,
    parse_date,
    session,
)
from villagectl.cli.console import console, emit_result, guarded
from villagectl.cli.console import shown as fmt_number  # numbers as the documents show them (2 decimals at most)

OutputOpt = Annotated[Path, typer.Option("--output", "-o", help="公示 PDF 文件")]


@notice_app.command("cadre")
def notice_cadre_cmd(
    ledger: LedgerArg,
    year: YearOpt,
    output: OutputOpt,
    period: PeriodOpt = None,
    internal: Annotated[Optional[Path], typer.Option(
        "--internal", help="另存报镇里的内部材料 PDF（含报酬、票数、标记和原因，不得张贴）")] = None,
    templates: TemplatesOpt = None,
    font: FontOpt = None,
    date: Annotated[Optional[str], typer.Option("--date", help="公示开始日期 YYYY-MM-DD，默认今天")] = None,
    wait: WaitOpt = 0.0,
    as_json: JsonOpt = False,
) -> None:
    """打印村干部和村民代表考核结果公示（A4 PDF，只有姓名、职务、得分、等次），从 --date 起进入公示期。须先运行 cadre score。"""

    def body() -> None:
        from villagectl.actions.cadre_notice import print_cadre_notice
        from villagectl.actions.cadre_rows import notice_period_name

        from villagectl.actions.session import PrintOptions

        r = print_cadre_notice(session(ledger, wait, today=parse_date(date)), year, period=period, out_pdf=output,
                               internal_pdf=internal, printing=PrintOptions(templates, font))
        if as_json:
            emit_result(r.as_dict())
            return
        out = console()
        people = "，".join(f"{k} {n} 人" for k, n in r.counts.items())
        grades = "，".join(f"{g} {n} 人" for g, n in r.grades.items())
        out.print(f"已生成公示 {r.pdf}（{people}；{grades}）")
        if r.internal_pdf:
            total = f"，考核报酬合计 {fmt_number(r.pay_total)} 元" if r.pay_total is not None else ""
            out.print(f"已生成内部材料 {r.internal_pdf}（报镇里，不得张贴；需组织处理 {r.flagged} 人{total}）")
        if r.state_before == "入账":
            out.print("这期考核结果已入账，这是补打，台账未改动。")
        else:
            out.print(f"公示期：{r.period_start.isoformat()} 至 {r.period_end.isoformat()}"
                      f"（已记入台账“期间”表：{notice_period_name(r.year, r.period)}）")

    guarded(as_json, body)


@notice_app.command("commitments")
def notice_commitments_cmd(
    ledger: LedgerArg,
    year: YearOpt,
    output: OutputOpt,
    templates: TemplatesOpt = None,
    font: FontOpt = None,
    date: Annotated[Optional[str], typer.Option("--date", help="落款日期 YYYY-MM-DD，默认今天")] = None,
    as_json: JsonOpt = False,
) -> None:
    """打印村干部和村民代表年度履职承诺公示（A4 PDF，按人列出共性、个性承诺，接受党员群众监督）。只读台账。"""

    def body() -> None:
        from villagectl.actions.cadre_commitments import print_commitments

        from villagectl.actions.session import PrintOptions

        r = print_commitments(ledger, year, out_pdf=output, issued=parse_date(date), printing=PrintOptions(templates, font))
        if as_json:
            emit_result(r.as_dict())
            return
        people = "，".join(f"{k} {n} 人" for k, n in r.counts.items())
        console().print(f"已生成履职承诺公示 {r.pdf}（{people}，共 {r.commitments} 条承诺）")

    guarded(as_json, body)
