"""Year-end documents: notice year (annual public notice, certificates) and report year (for the town office)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from villagectl.cli.app import (
    DateOpt,
    FontOpt,
    JsonOpt,
    LedgerArg,
    TemplatesOpt,
    WaitOpt,
    YearOpt,
    app,
    notice_app,
    parse_date,
    session,
)
from villagectl.cli.console import console, emit_result, guarded
from villagectl.cli.console import shown as fmt_number  # numbers as the documents show them (2 decimals at most)

report_app = typer.Typer(help="报表：年度工作报告（报乡镇）", no_args_is_help=True)
app.add_typer(report_app, name="report")


@notice_app.command("year")
def notice_year_cmd(
    ledger: LedgerArg,
    year: YearOpt,
    output: Annotated[Path, typer.Option("--output", "-o", help="公示 PDF 文件")],
    certificates: Annotated[bool, typer.Option("--certificates", help="同时打印奖状：每个星级文明户一页（A4 横版），另存为“公示文件名_奖状.pdf”")] = False,
    group: Annotated[Optional[str], typer.Option("--group", help="只打印这个组的公示（本组N户，名次仍是全村名次），例如 第二组")] = None,
    mask_names: Annotated[Optional[bool], typer.Option("--mask-names/--full-names", help="户主姓名打码（张*明）/ 显示全名（默认取参数“公示隐藏名字”；奖状总是全名）")] = None,
    templates: TemplatesOpt = None,
    font: FontOpt = None,
    date: DateOpt = None,
    wait: WaitOpt = 0.0,
    as_json: JsonOpt = False,
) -> None:
    """打印年度文明户评定结果公示（A4 PDF）：星级文明户、金银铜牌户、红榜；黑榜另起一页。从 --date 起进入公示期。"""

    def body() -> None:
        from villagectl.actions.year_notice import period_name, print_year_notice

        from villagectl.actions.session import PrintOptions

        r = print_year_notice(session(ledger, wait, today=parse_date(date)), year, out_pdf=output,
                              certificates=certificates, mask=mask_names, printing=PrintOptions(templates, font),
                              group=group)
        if as_json:
            emit_result(r.as_dict())
            return
        out = console()
        whose = f"{r.group}" if r.group else ""
        out.print(f"已生成{whose}公示 {r.pdf}（参评 {r.households} 户：星级 {r.stars} 户，牌级 {r.medals} 户，"
                  f"红榜 {r.red} 户，黑榜 {r.black} 户，曝光台 {r.exposure} 户）")
        if r.certificates_pdf:
            out.print(f"已生成奖状 {r.certificates_pdf}（{r.certificates} 页，每户一页，A4 横版）")
        if r.state_before == "入账":
            out.print(f"{year} 年度评定已锁定，这是补打，台账未改动。")
        else:
            out.print(f"公示期：{r.period_start.isoformat()} 至 {r.period_end.isoformat()}（已记入台账“期间”表：{period_name(year)}）；"
                      f"期满无异议后运行 villagectl post year {ledger} --year {year}")

    guarded(as_json, body)


@report_app.command("year")
def report_year_cmd(
    ledger: LedgerArg,
    year: YearOpt,
    output: Annotated[Path, typer.Option("--output", "-o", help="报告 PDF 文件")],
    templates: TemplatesOpt = None,
    font: FontOpt = None,
    date: Annotated[Optional[str], typer.Option("--date", help="报告日期 YYYY-MM-DD，默认今天")] = None,
    as_json: JsonOpt = False,
) -> None:
    """打印年度工作报告（A4 PDF，报乡镇）：各组情况、年度积分分布、月度得分走势、兑换与经费、先进组与后进组。只读台账。"""

    def body() -> None:
        from villagectl.actions.year_report import print_year_report

        from villagectl.actions.session import PrintOptions

        r = print_year_report(ledger, year, out_pdf=output, issued=parse_date(date), printing=PrintOptions(templates, font))
        if as_json:
            emit_result(r.as_dict())
            return
        out = console()
        pages = f"，共 {r.pages} 页" if r.pages else ""
        out.print(f"已生成年度报告 {r.pdf}（{r.groups} 个组、{r.households} 户{pages}）")
        budget = (f"，全年预算 {fmt_number(r.budget)} 元（常住人口 {r.budget_residents} 人，取{r.budget_base}）"
                  if r.budget is not None else "（未设置人均奖励经费，不设经费上限）")
        out.print(f"爱心超市全年兑换 {fmt_number(round(r.spent, 2))} 元{budget}")
        if r.provisional:
            out.print(f"[yellow]{year} 年还没有运行 villagectl score year，报告中的年度结果是按台账当前数据试算的。[/]")

    guarded(as_json, body)
