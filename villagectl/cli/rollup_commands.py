"""``rollup``: the town office's summary across many village ledgers (read only)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer
from rich import box
from rich.cells import cell_len
from rich.markup import escape
from rich.table import Table

from villagectl.cli.app import FontOpt, JsonOpt, LazyProgress, TemplatesOpt, app, workers_check, year_check
from villagectl.cli.console import console, emit_result, err_console, guarded
from villagectl.errors import ExitCode


@app.command("rollup")
def rollup_cmd(
    paths: Annotated[list[Path], typer.Argument(help="村台账文件，或放台账的文件夹（含子文件夹；跳过 ~$ 临时文件和 .villagectl 备份）",
                                                show_default=False)],
    output: Annotated[Path, typer.Option("--output", "-o", help="汇总结果 Excel 文件（.xlsx），已存在时覆盖（不能是台账）",
                                         show_default=False)],
    year: Annotated[Optional[int], typer.Option("--year", help="年度，例如 2026（默认今年）", callback=year_check)] = None,
    pdf: Annotated[Optional[Path], typer.Option("--pdf", help="同时打印 A4 横版汇总表 PDF")] = None,
    workers: Annotated[Optional[int], typer.Option("--workers", help="同时读取台账的进程数（默认 CPU 核数，最多 4；1 为不开子进程）",
                                                          callback=workers_check)] = None,
    title: Annotated[Optional[str], typer.Option("--title", help="PDF 标题（默认“<乡镇><年度>年度各村乡村治理积分汇总”）")] = None,
    town: Annotated[Optional[str], typer.Option("--town", help="乡镇名，印在标题和落款上（默认取各台账参数“乡镇”）")] = None,
    templates: TemplatesOpt = None,
    font: FontOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """全镇汇总：读取各村台账（只读，不改动），按村、按组汇总户数、人口、年度积分、余额、兑换、经费、星级牌级和红黑榜。

    有台账无法读取时照样汇总其余的，列在“问题”工作表里，退出码为 1。
    """

    def body() -> int:
        from villagectl.actions.rollup import rollup

        bar = LazyProgress("读取台账", quiet=as_json)
        with bar as b:
            result = rollup(paths, output, year, pdf, workers, on_file=b.advance, on_start=b.start,
                            font=font, templates_dir=templates, title=title or "", town=town or "")
        code = int(ExitCode.OK) if result.ok else int(ExitCode.DATA)
        if as_json:
            return emit_result(result.as_dict(), code)
        _print_result(result)
        return code

    guarded(as_json, body)


def _num(value) -> str:
    from villagectl.render.rollup import points_text

    return points_text(value)


def _print_result(result) -> None:
    from villagectl.render.rollup import money_text, percent_text

    out = console()
    table = Table(title=f"{result.year} 年度各村汇总（星级、牌级、分组等详见汇总表）", box=box.SIMPLE_HEAD, padding=(0, 1))
    cols = ("村名", "户数", "人口", "年度积分", "积分余额", "兑换金额", "经费使用", "红榜", "黑榜")

    def cells(v) -> list[str]:
        return [str(v.households), str(v.residents), _num(v.earned), _num(v.balance), money_text(v.redeemed_yuan),
                percent_text(v.budget_use), str(v.red), str(v.black)]

    rows = [[v.village, *cells(v)] for v in result.villages]
    total = ["合计", *cells(result.totals)]
    for i, c in enumerate(cols):
        width = max(cell_len(r[i]) for r in rows + [total])
        if i == 0:
            table.add_column(c, overflow="fold", min_width=min(width, 16))
        else:  # numbers never fold; the header may
            table.add_column(c, overflow="fold", justify="right", min_width=width)
    for r in rows:
        table.add_row(*r)
    table.add_section()
    table.add_row(*total, style="bold")
    out.print(table)
    err = err_console()
    for f, message in result.warnings:
        err.print(f"[yellow]警告[/] {escape(f)}: {escape(message)}", markup=True, highlight=False)
    for s in result.skipped:
        err.print(f"[red]未汇总[/] {escape(s.file)}: {escape(s.reason)}", markup=True, highlight=False)
    out.print(f"共 {result.files} 个文件：已汇总 {len(result.villages)} 个村，"
              f"{'未汇总 ' + str(len(result.skipped)) + ' 个（见上，及汇总表“问题”工作表）' if result.skipped else '全部读取成功'}。",
              markup=False)
    out.print(f"汇总表已保存为 {result.output}", markup=False)
    if result.pdf:
        out.print(f"汇总 PDF 已保存为 {result.pdf}", markup=False)
