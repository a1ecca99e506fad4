"""Household accounts: transfer out / transfer in (within the town), passbook (存折)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from villagectl.cli.app import (
    DateOpt,
    FontOpt,
    JsonOpt,
    LazyProgress,
    LedgerArg,
    OperatorOpt,
    TemplatesOpt,
    WaitOpt,
    app,
    parse_date,
    session,
    workers_check,
    year_check,
)
from villagectl.cli.console import console, emit_result, fit_table, guarded
from villagectl.errors import UsageError
from villagectl.cli.console import shown as fmt_number  # numbers as the documents show them (2 decimals at most)

transfer_app = typer.Typer(help="积分转移：农户在本镇范围内迁出、迁入时，积分随户转移和接续", no_args_is_help=True)
app.add_typer(transfer_app, name="transfer")



@transfer_app.command("out")
def transfer_out_cmd(
    ledger: LedgerArg,
    household: Annotated[str, typer.Option("--household", help="要转出的户号")],
    to_village: Annotated[str, typer.Option("--to-village", help="转入的村（与对方台账参数“村名”一致）")],
    output: Annotated[Path | None, typer.Option("--output", "-o", help="转移单保存为这个 .json 文件或保存到这个文件夹（默认台账旁边）")] = None,
    operator: OperatorOpt = None,
    date: DateOpt = None,
    wait: WaitOpt = 0.0,
    as_json: JsonOpt = False,
) -> None:
    """转出：结清这一户的积分账户（记一笔“转出”、户籍状态改为迁出），并开具带签名的积分转移单交给转入村。"""

    def body() -> None:
        from villagectl.actions.transfer import transfer_out

        r = transfer_out(session(ledger, wait, operator, parse_date(date)), household=household, to_village=to_village,
                         output=output)
        letter, problem = getattr(r, "letter", None), getattr(r, "letter_problem", "")
        if as_json:
            emit_result({**r.as_dict(), "letter": str(letter) if letter else None, "letter_problem": problem or None})
            return
        out = console()
        _say_letter = lambda: out.print(  # noqa: E731
            f"迁转证明：{letter}（A4，打印后两村盖章，一份交农户，一份随转移单交{r.to_village}）" if letter else
            f"[yellow]迁转证明没能打印：{escape(problem)}[/]（转移单不受影响；解决后再运行同一条命令可补打）")
        if r.reissued:
            out.print(f"{r.household_id} {r.name} 已于转出时结清（流水号 {r.entry_id}），账户早已关闭；"
                      f"已重新开具同一份转移单（内容与当时的一样，余额 {fmt_number(r.balance)} 分）。", markup=False)
            out.print(f"转移单：{r.file}（编号 {r.transfer_id}）", markup=False)
            _say_letter()
            out.print(f"请把转移单交给{r.to_village}；同一份转移单对方只能转入一次。", markup=False)
            return
        out.print(f"已转出 {r.household_id} {r.name} 至{r.to_village}：余额 {fmt_number(r.balance)} 分，"
                  f"累计获得 {fmt_number(r.earned)} 分（流水号 {r.entry_id}），户籍状态已改为“迁出”。", markup=False)
        out.print(f"转移单：{r.file}（编号 {r.transfer_id}）", markup=False)
        _say_letter()
        out.print(f"请把转移单交给{r.to_village}，由对方运行：villagectl transfer in 台账.xlsx {r.file.name}", markup=False)

    guarded(as_json, body)


def _interactive() -> bool:
    """Someone at a terminal can answer a question (not a script, not cron)."""
    try:
        return sys.stdin.isatty() and sys.stdout.isatty()
    except (AttributeError, ValueError):
        return False


def _arrival_lines(r) -> list[str]:
    """What arrives with a transfer file, for the receiving clerk to check against the paper from the other village."""
    lines = [
        f"转出村：{r.from_village}（转出日期 {r.sent}，转移单 {r.transfer_id}）",
        f"农户：原户号 {r.original_id} {r.name} → 本村户号 {r.household_id}（{r.group}）",
        f"余额 {fmt_number(r.balance)} 分 = 累计获得 {fmt_number(r.earned)} 分 − 已兑换 {fmt_number(r.spent)} 分",
    ]
    for y in r.years:
        lines.append(f"  {y['year']} 年：获得 {fmt_number(y['earned'])} 分（计入评比 {fmt_number(y['rated'])} 分），"
                     f"明细 {y['entries']} 笔")
    lines.append("签名核验通过只说明文件出自本镇持有转移密钥的村、开具后没被改过；"
                 "积分是否属实，请与转出村盖章的证明或电话核对。")
    return lines


@transfer_app.command("in")
def transfer_in_cmd(
    ledger: LedgerArg,
    file: Annotated[Path, typer.Argument(help="转出村开具的积分转移单（.json）", show_default=False)],
    household_id: Annotated[str | None, typer.Option("--household-id", help="这一户在本村的户号（默认沿用原户号，被占用时必须给）")] = None,
    group: Annotated[str | None, typer.Option("--group", help="这一户在本村的组别（默认沿用原组别，本村没有该组时必须给）")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="只核验转移单、显示将会做什么，不写台账")] = False,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="不再询问，直接转入（脚本、--json 时必须给；请先用 --dry-run 核对）")] = False,
    operator: OperatorOpt = None,
    date: DateOpt = None,
    wait: WaitOpt = 0.0,
    as_json: JsonOpt = False,
) -> None:
    """转入：核验转移单的签名和账目，显示转来的余额和历年获得积分，确认后把这一户加入户籍并接续积分（计入评比）。"""

    def body() -> int | None:
        from villagectl.actions.transfer_in import transfer_in

        def run(trial: bool):
            return transfer_in(session(ledger, wait, operator, parse_date(date)), file, household_id=household_id,
                               group=group, dry_run=trial)

        out = console()
        if not dry_run and not yes:
            preview = run(True)  # every check, nothing written, no lock held while the clerk reads
            if as_json or not _interactive():
                raise UsageError(
                    f"转入前须核对转来的积分：{preview.from_village} {preview.original_id} {preview.name}，"
                    f"余额 {fmt_number(preview.balance)} 分，累计获得 {fmt_number(preview.earned)} 分。"
                    "核对无误后请加 --yes 再运行（先用 --dry-run 可看历年明细）；台账未改动"
                )
            out.print(f"转移单 {preview.transfer_id} 签名核验通过，账目相符。将转入：", markup=False)
            for line in _arrival_lines(preview):
                out.print(line, markup=False)
            if not typer.confirm("核对无误，确认转入？", default=False):
                out.print("已取消，台账未改动")
                return 0
        r = run(dry_run)
        if as_json:
            emit_result(r.as_dict())
            return None
        verb = "将转入" if r.dry_run else "已转入"
        if r.dry_run:
            out.print(f"转移单 {r.transfer_id} 签名核验通过，账目相符。", markup=False)
            for line in _arrival_lines(r):
                out.print(line, markup=False)
        out.print(f"{verb} {r.from_village} {r.original_id} {r.name} → 本村户号 {r.household_id}（{r.group}）："
                  f"余额 {fmt_number(r.balance)} 分，累计获得 {fmt_number(r.earned)} 分，记流水 {r.entries} 笔。", markup=False)
        for note in r.notes:
            out.print(f"[yellow]提醒[/] {escape(note)}")
        if r.dry_run:
            out.print("（试运行，台账未改动）")
        return None

    guarded(as_json, body)


@app.command("passbook")
def passbook_cmd(
    ledger: LedgerArg,
    household: Annotated[str | None, typer.Option("--household", help="户号")] = None,
    all_households: Annotated[bool, typer.Option("--all", help="每户打印一本存折（须用 -o 指定文件夹）")] = False,
    group: Annotated[str | None, typer.Option("--group", help="与 --all 同用：只打印这个组的存折，例如 第二组")] = None,
    year: Annotated[int | None, typer.Option("--year", help="只列这一年的流水（带上年结转），例如 2026", callback=year_check)] = None,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="存折 PDF 文件；--all 时为文件夹")] = None,
    paper: Annotated[str | None, typer.Option("--paper", help="纸张 A5 或 A4（默认取参数“存折纸张”，未设为 A5）")] = None,
    templates: TemplatesOpt = None,
    font: FontOpt = None,
    date: Annotated[str | None, typer.Option("--date", help="打印日期 YYYY-MM-DD，默认今天")] = None,
    jobs: Annotated[int | None, typer.Option("--jobs", help="--all 时同时排版的进程数（默认按 CPU 数，最多 4）",
                                                      callback=workers_check)] = None,
    as_json: JsonOpt = False,
) -> None:
    """积分存折：一户的每一笔积分、来由（扣分项、兑换单号、冲正的原流水号）和余额；加 -o 打印 PDF 存折。"""

    def body() -> None:
        from villagectl.actions.passbook import (
            passbook_for,
            print_all_passbooks,
            print_passbook,
        )

        printed = parse_date(date)
        if group is not None and not all_households:
            raise UsageError("--group 要与 --all 同用（打印一个组每户的存折）；单独一户请用 --household")
        if all_households:
            if household:
                raise UsageError("--all 和 --household 只能用一个")
            if output is None:
                raise UsageError("--all 时请用 -o 指定存放存折的文件夹，例如 -o 存折")
            bar = LazyProgress("打印存折", quiet=as_json)
            with bar as b:
                result = print_all_passbooks(ledger, output, year, paper, templates, font, printed,
                                             on_each=b.advance, on_start=b.start, workers=jobs, group=group)
            if as_json:
                emit_result(result.as_dict())
                return
            whose = result.group or ""
            console().print(f"已为{whose} {result.households} 户打印存折，保存在 {output}", markup=False)
            if result.skipped_closed:
                console().print(f"另有 {result.skipped_closed} 户已迁出或注销，未打印（需要时用 --household 单独打印）。")
            return
        if not household:
            raise UsageError("请用 --household 给出户号，或用 --all -o 文件夹 为每户打印存折")
        if output is not None:
            result = print_passbook(ledger, household, output, year, paper, templates, font, printed)
            book = result.passbook
        else:
            result, book = None, passbook_for(ledger, household, year, printed)
        if as_json:
            emit_result({**book.as_dict(), "files": [str(p) for p in result.files] if result else []})
            return
        _print_book(book)
        if result:
            console().print(f"已生成存折 {result.files[0]}", markup=False)

    guarded(as_json, body)


def _print_book(book) -> None:
    out = console()
    period = f"{book.year}年" if book.year else "全部记录"
    members = "" if book.members is None else f"，参评 {book.members} 人"
    out.print(f"[bold]{escape(book.village)}积分存折[/]　户号 {escape(book.household_id)}　户主 {escape(book.name)}"
              f"　{escape(book.group)}{members}　{period}"
              + (f"　[red]（{book.state}）[/]" if book.state in ("迁出", "注销") else ""))
    show_members = any(line.member for line in book.lines)
    table = Table()
    table.add_column("流水号", overflow="fold", no_wrap=True)
    table.add_column("日期", overflow="fold", no_wrap=True)
    if show_members:
        table.add_column("成员", overflow="fold")
    table.add_column("摘要（积分来由）", overflow="fold")
    table.add_column("积分", justify="right", no_wrap=True)
    table.add_column("余额", justify="right", no_wrap=True)
    if book.opening is not None:
        table.add_row("", f"{book.year}-01-01", *([""] if show_members else []), "上年结转", "", fmt_number(book.opening))
    for line in book.lines:
        points = fmt_number(line.points)
        points = points if points.startswith("-") or points == "0" else "+" + points
        table.add_row(escape(line.entry_id), escape(line.date), *([escape(line.member)] if show_members else []),
                      escape(line.reason),
                      f"[red]{points}[/]" if points.startswith("-") else points, fmt_number(line.balance))
    out.print(fit_table(table, drop=("成员",)))
    if not book.lines:
        out.print("暂无积分记录。")
    if book.year:
        out.print(f"本年获得 {fmt_number(book.earned)} 分，本年兑换 {fmt_number(book.spent)} 分，年末余额 {fmt_number(book.balance)} 分"
                  f"（累计获得 {fmt_number(book.earned_total)} 分）")
        if book.opening or book.opening_entries:  # how the balance adds up when it is not just this year's
            from villagectl.render.passbook import balance_sum

            out.print(balance_sum(book), markup=False)
    else:
        out.print(f"累计获得 {fmt_number(book.earned)} 分，已兑换 {fmt_number(book.spent)} 分，可用余额 {fmt_number(book.balance)} 分")
    average = "—（参评人数为 0 或未填）" if book.family_average is None else fmt_number(round(book.family_average, 2))
    out.print(f"家庭总积分 {fmt_number(book.family_total)} 分，家庭平均积分 {average}"
              + (f"（÷ 参评人数 {book.members}）" if book.family_average is not None else ""))
    if book.member_totals:
        out.print("个人积分：" + "；".join(f"{escape(m)} {fmt_number(p)} 分" for m, p in book.member_totals))
