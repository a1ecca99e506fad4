"""The village shop: redeem (one redemption), redeem import, redeem cancel; slip verify / use / print.

``villagectl redeem 台账.xlsx --household … --item …`` is the direct form of the
``redeem`` group: when the word after ``redeem`` is not one of its
subcommands (import, cancel), the arguments go to the direct command. The
direct command also sees the raw order of ``--item``/``--qty``/``--points``
so that each ``--qty`` and ``--points`` belongs to the ``--item`` before it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.table import Table
from typer.core import TyperCommand, TyperGroup

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
    nullbar,
    number_check,
    parse_date,
    progress_over,
    session,
)
from villagectl.cli.console import console, emit_result, err_console, fit_table, guarded
from villagectl.errors import UsageError
from villagectl.cli.console import shown as fmt_number  # numbers as the documents show them (2 decimals at most)

DIRECT = ""  # the hidden name under which ``redeem`` runs its direct form
RAW_ARGS = "villagectl.raw_args"

ITEM_FLAGS = ("--item", "-i")
QTY_FLAGS = ("--qty", "-q")
POINTS_FLAGS = ("--points",)


class _DirectContext(typer.Context):
    @property
    def command_path(self) -> str:  # "villagectl redeem", not "villagectl redeem " + the hidden name
        if self.parent is not None and not self.info_name:
            return self.parent.command_path
        return super().command_path


class _RawArgsCommand(TyperCommand):
    """Keeps the raw arguments: the order of repeated options matters for pairing."""

    context_class = _DirectContext

    def parse_args(self, ctx, args):
        ctx.meta[RAW_ARGS] = list(args)
        return super().parse_args(ctx, args)


class _RedeemGroup(TyperGroup):
    """``redeem import|cancel …`` as usual; anything else is the direct form ``redeem 台账.xlsx …``."""

    def parse_args(self, ctx, args):
        if args and args[0] not in self.commands and not args[0].startswith("-"):
            args = [DIRECT, *args]
        return super().parse_args(ctx, args)

    def get_command(self, ctx, cmd_name):
        if cmd_name == DIRECT:
            return _direct_command()
        return super().get_command(ctx, cmd_name)

    def format_help(self, ctx, formatter):
        """``redeem --help``: the direct form's usage and options, then the subcommands."""
        from typer import rich_utils

        direct = _direct_command()
        direct_ctx = _DirectContext(direct, info_name="", parent=ctx)
        rich_utils.rich_format_help(obj=direct, ctx=direct_ctx, markup_mode=self.rich_markup_mode)
        commands = [c for c in (self.get_command(ctx, n) for n in self.list_commands(ctx)) if c and not c.hidden]
        rich_utils._print_commands_panel(
            name="批量导入和作废", commands=commands, markup_mode=self.rich_markup_mode,
            console=rich_utils._get_rich_console(), cmd_len=max(len(c.name or "") for c in commands))


redeem_app = typer.Typer(
    cls=_RedeemGroup,
    help="爱心超市兑换：用已入账的积分兑换物品，打印兑换单。\n\n"
    "兑换一次：villagectl redeem 台账.xlsx --household 户号 --item 物品 [--qty 数量] [--item …]；"
    "批量导入和作废用子命令 redeem import、redeem cancel。",
    no_args_is_help=True,
)
app.add_typer(redeem_app, name="redeem")
slip_app = typer.Typer(help="兑换单：核验真伪、登记领取、补打", no_args_is_help=True)
app.add_typer(slip_app, name="slip")
_direct_app = typer.Typer(add_completion=False, context_settings={"help_option_names": ["-h", "--help"]})
_direct_cache: list = []


def _direct_command():
    if not _direct_cache:
        _direct_cache.append(typer.main.get_command(_direct_app))
    return _direct_cache[0]


OutputOpt = Annotated[
    Optional[Path], typer.Option("--output", "-o", help="兑换单 PDF 文件（默认：台账旁“兑换单”文件夹里以单号命名）")
]
NoPrintOpt = Annotated[bool, typer.Option("--no-print", help="不生成兑换单 PDF（以后可用 slip print 补打）")]
DryRunOpt = Annotated[bool, typer.Option("--dry-run", help="只检查、显示将会怎样，不写台账、不打印")]
OverBudgetOpt = Annotated[bool, typer.Option("--over-budget", help="超出全年奖励经费也兑换（须写 --reason）")]


# --------------------------------------------------------------------------
# pairing --item with its --qty and --points
# --------------------------------------------------------------------------


def pair_lines(raw: list[str] | None, items: list[str], qtys: list[float], points: list[float]) -> list[tuple[str, float | None, float | None]]:
    """[(item, qty or None, points or None)]: each --qty/--points belongs to the --item before it."""
    kinds: list[str] = []
    for token in raw or []:
        if token == "--":
            break
        flag = token.split("=", 1)[0] if token.startswith("--") else token
        if flag in ITEM_FLAGS:
            kinds.append("item")
        elif flag in QTY_FLAGS:
            kinds.append("qty")
        elif flag in POINTS_FLAGS:
            kinds.append("points")
    counted = (kinds.count("item"), kinds.count("qty"), kinds.count("points"))
    if counted != (len(items), len(qtys), len(points)):  # no raw order (called from a script): pair by position
        if (qtys and len(qtys) != len(items)) or (points and len(points) != len(items)):
            raise UsageError("每个 --qty、--points 要紧跟在它所属的 --item 后面")
        return [(item, qtys[i] if qtys else None, points[i] if points else None) for i, item in enumerate(items)]
    lines: list[list] = []
    qi = pi = ii = 0
    for kind in kinds:
        if kind == "item":
            lines.append([items[ii], None, None])
            ii += 1
            continue
        if not lines:
            raise UsageError(f"--{'qty' if kind == 'qty' else 'points'} 要写在它所属的 --item 后面")
        slot = 1 if kind == "qty" else 2
        if lines[-1][slot] is not None:
            raise UsageError(f"物品“{lines[-1][0]}”后面写了两个 --{'qty' if kind == 'qty' else 'points'}")
        if kind == "qty":
            lines[-1][1] = qtys[qi]
            qi += 1
        else:
            lines[-1][2] = points[pi]
            pi += 1
    return [tuple(line) for line in lines]  # type: ignore[misc]


# --------------------------------------------------------------------------
# redeem (direct form)
# --------------------------------------------------------------------------


@_direct_app.command(cls=_RawArgsCommand)
def redeem_cmd(
    ctx: typer.Context,
    ledger: LedgerArg,
    household: Annotated[str, typer.Option("--household", help="户号")],
    item: Annotated[list[str], typer.Option("--item", "-i", help="物品名称（与“商品”表一致）；可写多次，一次兑换几种物品")],
    qty: Annotated[Optional[list[float]], typer.Option("--qty", "-q", help="数量，写在它所属的 --item 后面（默认 1）",
                                                              callback=number_check("数量"))] = None,
    points: Annotated[
        Optional[list[float]],
        typer.Option("--points", help="不在“商品”表里的物品：每件的积分，写在它所属的 --item 后面（须写 --reason）",
                     callback=number_check("积分")),
    ] = None,
    reason: Annotated[str, typer.Option("--reason", help="原因：目录外物品（--points）或超出经费（--over-budget）时必填")] = "",
    over_budget: OverBudgetOpt = False,
    operator: OperatorOpt = None,
    output: OutputOpt = None,
    no_print: NoPrintOpt = False,
    dry_run: DryRunOpt = False,
    templates: TemplatesOpt = None,
    font: FontOpt = None,
    date: DateOpt = None,
    wait: WaitOpt = 0.0,
    as_json: JsonOpt = False,
) -> None:
    """兑换一次：检查余额、库存和年度经费，扣积分（记入积分流水）、减库存，打印兑换单（含存根）。"""

    def body() -> None:
        from villagectl.actions.redeem import LineRequest, redeem
        from villagectl.actions.session import PrintOptions

        pairs = pair_lines(ctx.meta.get(RAW_ARGS), list(item), list(qty or []), list(points or []))
        lines = [LineRequest(name, q, p, reason=reason) for name, q, p in pairs]
        result = redeem(session(ledger, wait, operator, parse_date(date)), household=household, items=lines,
                        reason=reason, over_budget=over_budget, out_pdf=output, print_slip=not no_print,
                        dry_run=dry_run, printing=PrintOptions(templates, font))
        if as_json:
            emit_result(result.as_dict())
            return
        plan = result.plans[0]
        out = console()
        verb = "将兑换" if dry_run else "已兑换"
        out.print(f"{verb}：[bold]{plan.number}[/]  {plan.date.isoformat()}  {plan.name}（{plan.household_id}）")
        out.print(fit_table(_lines_table(plan), drop=("积分单价",)))
        out.print(f"合计 {fmt_number(plan.points)} 分（{plan.yuan:.2f} 元）；余额 {fmt_number(plan.balance_before)} → "
                  f"{fmt_number(plan.balance_after)} 分；核验码 {plan.code}")
        for w in result.warnings:
            err_console().print(f"[yellow]提醒[/] {w}")
        if dry_run:
            out.print("（试运行，台账未改动，没有打印）")
        elif result.pdf:
            out.print(f"兑换单：{result.pdf}")
        else:
            out.print(f"没有打印兑换单；需要时：villagectl slip print {ledger} {plan.number}")

    guarded(as_json, body)


def _lines_table(plan) -> Table:
    table = Table(show_header=True, box=None, pad_edge=False)
    for col, justify in (("物品", "left"), ("数量", "right"), ("积分单价", "right"), ("积分", "right"), ("金额（元）", "right")):
        table.add_column(col, justify=justify, overflow="fold")
    for line in plan.lines:
        table.add_row(line.item, f"{fmt_number(line.qty)}{line.unit}", fmt_number(line.unit_points),
                      fmt_number(line.points), f"{line.yuan:.2f}")
    return table


# --------------------------------------------------------------------------
# redeem import / cancel
# --------------------------------------------------------------------------


@redeem_app.command("import")
def redeem_import_cmd(
    ledger: LedgerArg,
    file: Annotated[Path, typer.Argument(help="爱心超市的兑换登记表（xlsx、xls、ods）", show_default=False)],
    reason: Annotated[str, typer.Option("--reason", help="超出经费（--over-budget）或再次导入（--again）的原因；也作目录外物品没写备注时的原因")] = "",
    over_budget: OverBudgetOpt = False,
    operator: OperatorOpt = None,
    output: Annotated[
        Optional[Path], typer.Option("--output", "-o", help="兑换单 PDF 文件（默认：台账旁“兑换单”文件夹，以单号范围命名）")
    ] = None,
    no_print: NoPrintOpt = False,
    dry_run: DryRunOpt = False,
    templates: TemplatesOpt = None,
    font: FontOpt = None,
    date: Annotated[Optional[str], typer.Option("--date", help="表里没有日期列时的兑换日期 YYYY-MM-DD（默认取标题里的日期或今天）")] = None,
    again: Annotated[bool, typer.Option("--again", help="兑换记录里已有同一户、同一天、同样物品和数量的兑换（或同一文件已导入过）时仍然导入；须同时用 --reason 写明原因")] = False,
    wait: WaitOpt = 0.0,
    as_json: JsonOpt = False,
) -> None:
    """导入爱心超市一天的兑换登记表：逐行检查，全部无误才记账（有一处错误整个文件不导入），所有兑换单打印在一个 PDF 里（每页 4 张）。"""

    def body() -> None:
        from villagectl.actions.redeem_import import import_redemptions
        from villagectl.actions.session import PrintOptions

        day = parse_date(date) if date else None
        with LazyProgress("准备兑换单", quiet=as_json) as bar:
            result = import_redemptions(session(ledger, wait, operator), file, day=day, reason=reason,
                                        over_budget=over_budget, out_pdf=output, print_slips=not no_print,
                                        dry_run=dry_run, printing=PrintOptions(templates, font),
                                        on_slip=bar.advance, on_start=bar.start, again=again)
        if as_json:
            emit_result({"file": str(file), **result.as_dict()})
            return
        out = console()
        table = Table(title=f"{file.name}：{len(result.plans)} 张兑换单")
        for col, justify in (("单号", "left"), ("日期", "left"), ("户号", "left"), ("户主", "left"), ("物品", "left"),
                             ("积分", "right"), ("余额", "right")):
            table.add_column(col, justify=justify, overflow="fold")
        shown = result.plans if len(result.plans) <= 30 else result.plans[:30]
        for p in shown:
            table.add_row(p.number, p.date.isoformat(), p.household_id, p.name, p.summary.removeprefix("兑换 "),
                          fmt_number(p.points), f"{fmt_number(p.balance_before)}→{fmt_number(p.balance_after)}")
        out.print(fit_table(table, drop=("日期",)))
        if len(result.plans) > len(shown):
            out.print(f"……另有 {len(result.plans) - len(shown)} 张（用 --json 查看全部）")
        out.print(f"共 {len(result.plans)} 张，{fmt_number(result.points)} 分（{result.yuan:.2f} 元）")
        for w in result.warnings:
            err_console().print(f"[yellow]提醒[/] {w}")
        if dry_run:
            out.print("（试运行，台账未改动，没有打印）")
        elif result.pdf:
            out.print(f"兑换单：{result.pdf}（{-(-len(result.plans) // 4)} 页，每页 4 张）")

    guarded(as_json, body)


@redeem_app.command("cancel")
def redeem_cancel_cmd(
    ledger: LedgerArg,
    slip: Annotated[str, typer.Option("--slip", help="要作废的单号（如 DH2026-000123）或核验码")],
    reason: Annotated[str, typer.Option("--reason", help="作废原因，例如：物品录错")],
    returned: Annotated[bool, typer.Option("--returned", help="物品已领取、现已退回时加上")] = False,
    operator: OperatorOpt = None,
    date: DateOpt = None,
    wait: WaitOpt = 0.0,
    as_json: JsonOpt = False,
) -> None:
    """作废一张兑换单：冲正它的积分流水（退回积分）、库存加回、兑换记录标为“作废”（不删除）。"""

    def body() -> None:
        from villagectl.actions.redeem_cancel import cancel_redemption

        r = cancel_redemption(session(ledger, wait, operator, parse_date(date)), ref=slip, reason=reason,
                              returned=returned)
        if as_json:
            emit_result(r.as_dict())
            return
        out = console()
        out.print(f"已作废兑换单 {r.slip}（{r.name}，{r.household_id}）：退回 {fmt_number(r.points)} 分，"
                  f"冲正流水 {r.reversal_entry}，现余额 {fmt_number(r.balance_after)} 分")
        if r.restored:
            out.print("库存已加回：" + "、".join(f"{i} {fmt_number(q)}{u}" for i, q, u in r.restored))
        for w in r.warnings:
            err_console().print(f"[yellow]提醒[/] {w}")

    guarded(as_json, body)


# --------------------------------------------------------------------------
# slip verify / use / print
# --------------------------------------------------------------------------


CodeArg = Annotated[str, typer.Argument(help="核验码（如 7KQ2M-XW9CD），或扫描二维码得到的整行文字", show_default=False)]


@slip_app.command("verify")
def slip_verify_cmd(
    ledger: LedgerArg,
    code: CodeArg,
    slip: Annotated[Optional[str], typer.Option("--slip", help="兑换单上印的单号（一并核对）")] = None,
    date: Annotated[Optional[str], typer.Option("--date", help="兑换单上印的日期（一并核对）")] = None,
    household: Annotated[Optional[str], typer.Option("--household", help="兑换单上印的户号（一并核对）")] = None,
    points: Annotated[Optional[str], typer.Option("--points", help="兑换单上印的积分合计（一并核对）")] = None,
    as_json: JsonOpt = False,
) -> None:
    """核验兑换单真伪：核验码（或二维码内容）与台账核对，显示兑换内容，以及是否已领取、是否已作废。真实返回 0，否则返回 1。"""

    def body() -> int:
        from villagectl.actions.slips import VERDICT_TEXT, Claim, verify_slip

        claim = Claim(slip or "", date or "", household or "", points or "")
        r = verify_slip(session(ledger), code, claim=claim)
        if as_json:
            return emit_result(r.as_dict(), 0 if r.genuine else 1)
        out = console()
        color = "green" if r.genuine else "red"
        out.print(f"核验结果：[bold {color}]{VERDICT_TEXT[r.verdict]}[/]")
        for reason in r.reasons:
            out.print(f"  · {reason}")
        rec = r.record
        if rec is not None:
            out.print(f"单号 {rec.number}  日期 {rec.date}  户号 {rec.household_id}  户主 {rec.name}")
            items = "、".join(f"{l['item']}×{fmt_number(l['qty'])}{l['unit']}" for l in rec.lines)
            out.print(f"物品 {items}  积分 {fmt_number(rec.points)}（{rec.yuan:.2f} 元）")
            if rec.void:
                out.print("[red]状态：已作废[/]" + (f"（冲正流水 {r.reversal_entry}）" if r.reversal_entry else "") + "，不能领取物品")
            elif rec.state == "已领取":
                out.print("[yellow]状态：已领取[/]" + (f"（{rec.collected}）" if rec.collected else "") + "，不能再领")
            else:
                out.print("状态：未领取" + (f"；交物品时请登记：villagectl slip use {ledger} {rec.code}" if r.genuine else ""))
        return 0 if r.genuine else 1

    guarded(as_json, body)


@slip_app.command("use")
def slip_use_cmd(
    ledger: LedgerArg,
    code: CodeArg,
    operator: OperatorOpt = None,
    date: DateOpt = None,
    wait: WaitOpt = 0.0,
    as_json: JsonOpt = False,
) -> None:
    """登记领取：核验通过、未领取、未作废的兑换单标为“已领取”；同一张单不能领两次。"""

    def body() -> None:
        from villagectl.actions.slips import use_slip

        r = use_slip(session(ledger, wait, operator, parse_date(date)), code)
        if as_json:
            emit_result(r.as_dict())
            return
        rec = r.record
        items = "、".join(f"{l['item']}×{fmt_number(l['qty'])}{l['unit']}" for l in rec.lines)
        console().print(f"已登记领取：{rec.number}（{rec.name}，{rec.household_id}）{items}，请把物品交给村民并收回兑换单")

    guarded(as_json, body)


@slip_app.command("print")
def slip_print_cmd(
    ledger: LedgerArg,
    refs: Annotated[list[str], typer.Argument(help="要补打的单号或核验码（可写多个）", show_default=False)],
    output: Annotated[Optional[Path], typer.Option("--output", "-o", help="PDF 文件（默认：台账旁“兑换单”文件夹）")] = None,
    templates: TemplatesOpt = None,
    font: FontOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """补打兑换单（标“补打”字样，核验码不变）；台账不改动。已作废的单不能补打。"""

    def body() -> None:
        from villagectl.actions.session import PrintOptions
        from villagectl.actions.slips import reprint_slips

        bar = nullbar() if as_json else progress_over(len(refs), "准备兑换单")
        with bar as advance:
            r = reprint_slips(session(ledger), list(refs), out_pdf=output, printing=PrintOptions(templates, font),
                              on_slip=advance)
        if as_json:
            emit_result(r.as_dict())
            return
        console().print(f"已补打 {len(r.slips)} 张兑换单：{r.pdf}")

    guarded(as_json, body)
