"""The villagectl command line: parse arguments, call the library, print."""

from __future__ import annotations

import datetime as dt
import shlex
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.table import Table

from villagectl import __version__
from villagectl.cli.console import (
    console,
    emit_json,
    guarded,
    install_chinese,
    print_problems,
    problems_table,
    setup_streams,
)
from villagectl.errors import UsageError
from villagectl.values import fmt_number

install_chinese()

app = typer.Typer(
    help="乡村治理积分制工具：在村里的 Excel 台账上导入、计分、公示、入账、兑换。\n\n"
    "每个命令都可加 --help 查看说明；加 --json 输出机器可读结果。",
    no_args_is_help=True,
    add_completion=False,
    context_settings={"help_option_names": ["-h", "--help"]},
    rich_markup_mode="rich",
)
households_app = typer.Typer(help="户籍（农户名册）相关命令", no_args_is_help=True)
app.add_typer(households_app, name="households")
inspect_app = typer.Typer(help="网格员检查表：批量导入、生成空白表", no_args_is_help=True)
app.add_typer(inspect_app, name="inspect")

LedgerArg = Annotated[Path, typer.Argument(help="台账文件（.xlsx）", show_default=False)]
JsonOpt = Annotated[bool, typer.Option("--json", help="输出 JSON（供脚本使用）")]
DateOpt = Annotated[Optional[str], typer.Option("--date", help="业务日期 YYYY-MM-DD，默认今天")]
WaitOpt = Annotated[float, typer.Option("--wait", help="台账被另一个运行占用时最多等待的秒数")]


def parse_date(text: str | None) -> dt.date:
    if not text:
        return dt.date.today()
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        raise UsageError(f"日期“{text}”格式不对，应为 YYYY-MM-DD，例如 2026-07-25") from None


def _arguments() -> str:
    return shlex.join(sys.argv[2:]) if len(sys.argv) > 2 else ""


def _version(value: bool) -> None:
    if value:
        console().print(f"villagectl {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="显示版本号")
    ] = False,
) -> None:
    """乡村治理积分制工具。"""


@app.command("init")
def init_cmd(
    ledger: LedgerArg,
    village: Annotated[str, typer.Option("--village", help="村名，例如 中坪村")],
    preset: Annotated[str, typer.Option("--preset", help="预设方案：zhongping / base140 / wenming")] = "zhongping",
    force: Annotated[bool, typer.Option("--force", help="文件已存在时覆盖（原文件先备份）")] = False,
    date: DateOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """新建一本完整的台账：所有工作表、表头、下拉选项，以及预设方案的规则和参数。"""

    def body() -> None:
        from villagectl.ledger.create import create_ledger

        chosen = create_ledger(ledger, village, preset, force=force, today=parse_date(date))
        if as_json:
            emit_json({"ok": True, "ledger": str(ledger), "preset": chosen.name, "village": village})
        else:
            console().print(f"已新建台账 [bold]{ledger}[/]（{chosen.title}）")
            console().print("下一步：在“户籍”表录入农户，或用 villagectl households import 导入现有名册")

    guarded(as_json, body)


@households_app.command("import")
def households_import_cmd(
    ledger: LedgerArg,
    rosters: Annotated[list[Path], typer.Argument(help="名册文件或文件夹（xlsx、xls、ods）", show_default=False)],
    skip_invalid: Annotated[
        bool, typer.Option("--skip-invalid", help="跳过有问题的行（写入输入文件旁的“_未导入行.xlsx”），导入其余行")
    ] = False,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="只显示将会做什么，不写台账")] = False,
    wait: WaitOpt = 0.0,
    as_json: JsonOpt = False,
) -> None:
    """导入村里现有的农户名册：按户号新增和更新户籍，列出改动。"""

    def body() -> None:
        from villagectl.actions.households_import import import_households

        report = import_households(ledger, rosters, skip_invalid, dry_run, wait, _arguments())
        if as_json:
            emit_json({"ok": True, **report.as_dict()})
            return
        out = console()
        if report.problems:
            print_problems(report.problems)
        if report.changes:
            table = Table(title="修改的农户")
            for col in ("户号", "项目", "原值", "新值"):
                table.add_column(col, overflow="fold")
            for c in report.changes[:200]:
                table.add_row(c.household_id, c.field, c.old, c.new)
            out.print(table)
        if report.added:
            shown = "、".join(report.added[:30]) + ("……" if len(report.added) > 30 else "")
            out.print(f"新增农户：{shown}", overflow="fold")
        changed = len({c.household_id for c in report.changes})
        verb = "将" if report.dry_run else "已"
        out.print(
            f"{verb}新增 {len(report.added)} 户，{verb}修改 {changed} 户，未变 {report.unchanged} 户"
            + (f"，跳过 {report.skipped_rows} 行" if report.skipped_rows else "")
        )
        for path in report.error_workbooks:
            out.print(f"未导入的行已写入：{path}")
        if report.dry_run:
            out.print("（试运行，台账未改动）")
        elif not report.written:
            out.print("没有需要改动的内容，台账未改动")

    guarded(as_json, body)


def parse_month(text: str | None) -> str | None:
    if not text:
        return None
    from villagectl.values import parse_month_option

    try:
        return parse_month_option(text)
    except ValueError:
        raise UsageError(f"月份“{text}”格式不对，应为 YYYY-MM，例如 2026-07") from None


MonthOpt = Annotated[Optional[str], typer.Option("--month", help="月份 YYYY-MM，例如 2026-07")]


def progress_over(total: int, label: str):
    """A progress bar on the terminal (nothing when output is piped or --json)."""
    from contextlib import nullcontext

    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from villagectl.cli.console import err_console

    if not err_console().is_terminal:
        return nullcontext(lambda *_: None)

    class _Bar:
        def __enter__(self):
            self.progress = Progress(TextColumn(label), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                                     console=err_console(), transient=True)
            self.progress.start()
            self.task = self.progress.add_task(label, total=total)
            return lambda *_: self.progress.advance(self.task)

        def __exit__(self, *exc):
            self.progress.stop()

    return _Bar()


@inspect_app.command("import")
def inspect_import_cmd(
    ledger: LedgerArg,
    paths: Annotated[list[Path], typer.Argument(help="检查表文件或文件夹（xlsx、xls、ods）", show_default=False)],
    month: MonthOpt = None,
    group: Annotated[Optional[str], typer.Option("--group", help="组别（表里和文件名里都没有组别时用）")] = None,
    replace: Annotated[bool, typer.Option("--replace", help="替换本月已导入、尚未入账的得分")] = False,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="只显示将会做什么，不写台账")] = False,
    report: Annotated[Optional[Path], typer.Option("--report", help="把所有问题写到这个 xlsx，发回给网格员")] = None,
    date: DateOpt = None,
    wait: WaitOpt = 0.0,
    as_json: JsonOpt = False,
) -> None:
    """批量导入网格员的检查表：逐个文件检查，有问题的文件整份不导入，其余照常导入。"""

    def body() -> int:
        from villagectl.actions.inspect_import import IMPORTED, REFUSED, UNCHANGED, expand_paths, import_inspections

        files, _ = expand_paths(paths)
        bar = nullbar() if as_json else progress_over(len(files), "读取检查表")
        with bar as advance:
            result = import_inspections(
                ledger, paths, parse_month(month), group, replace, dry_run, report, wait,
                parse_date(date), on_file=advance, arguments=_arguments(),
            )
        if as_json:
            emit_json({"ok": not result.refused, **result.as_dict()})
            return 1 if result.refused else 0
        print_problems(result.problems)
        table = Table(title="检查表导入结果")
        for col in ("文件", "月份", "组别", "户数", "结果", "问题"):
            table.add_column(col, overflow="fold")
        for f in result.files:
            errors = sum(1 for p in f.problems if p.severity == "错误")
            warnings = len(f.problems) - errors
            status = {IMPORTED: "[green]已导入[/]", UNCHANGED: "未变（已导入过）", REFUSED: "[red]未导入[/]"}[f.status]
            if f.status == IMPORTED and dry_run:
                status = "将导入"
            if f.replaced:
                status += f"（替换 {f.replaced} 户）"
            table.add_row(f.file, f.month or "", "、".join(f.groups), str(f.households), status,
                          (f"{errors} 错误 " if errors else "") + (f"{warnings} 提醒" if warnings else ""))
        console().print(table)
        if dry_run:
            console().print("（试运行，台账未改动）")
        elif result.written:
            console().print("已写入台账“检查记录”。")
            for m in result.months_to_rescore:
                console().print(f"{m} 已计过分，请重新运行：villagectl score month {ledger} --month {m}")
        elif not result.refused:
            console().print("内容与已导入的相同，台账没有改动。")
        if result.report_path:
            console().print(f"问题清单已写入：{result.report_path}")
        if result.refused:
            console().print(f"[red]{len(result.refused)} 个文件未导入[/]，请按上面的问题改正后重新导入。")
            return 1
        return 0

    guarded(as_json, body)


@inspect_app.command("forms")
def inspect_forms_cmd(
    ledger: LedgerArg,
    month: Annotated[str, typer.Option("--month", help="月份 YYYY-MM")],
    output: Annotated[Path, typer.Option("--output", "-o", help="把检查表写到这个文件夹")],
    group: Annotated[Optional[str], typer.Option("--group", help="只生成这个组的表")] = None,
    force: Annotated[bool, typer.Option("--force", help="覆盖已存在的表")] = False,
    as_json: JsonOpt = False,
) -> None:
    """为每个组生成本月的空白检查评分表（已填好户号、户主，打分格限定 0 到满分），发给网格员。"""

    def body() -> None:
        from villagectl.actions.inspect_forms import make_forms

        paths = make_forms(ledger, parse_month(month), output, group, force)
        if as_json:
            emit_json({"ok": True, "files": [str(p) for p in paths]})
            return
        for p in paths:
            console().print(f"已生成 {p}")
        console().print(f"共 {len(paths)} 份。网格员填好交回后，用 villagectl inspect import 导入。")

    guarded(as_json, body)


def nullbar():
    from contextlib import nullcontext

    return nullcontext(lambda *_: None)


score_app = typer.Typer(help="计分：月度得分、公示期间的调整", no_args_is_help=True)
app.add_typer(score_app, name="score")


@score_app.command("month")
def score_month_cmd(
    ledger: LedgerArg,
    month: Annotated[str, typer.Option("--month", help="月份 YYYY-MM，例如 2026-07")],
    wait: WaitOpt = 0.0,
    as_json: JsonOpt = False,
) -> None:
    """计算一个月的得分、名次、积分、连续奖励和曝光台，写入“月度得分”（状态：草稿）。"""

    def body() -> None:
        from villagectl.actions.score_month import score_months

        outcome = score_months(ledger, parse_month(month), wait, _arguments())
        households = outcome.households()
        if as_json:
            emit_json(households)
            return
        print_month_table(outcome.results)
        scored = [h for h in households if not h["missing"]]
        missing = [h for h in households if h["missing"]]
        out = console()
        out.print(
            f"{outcome.month}：计分 {len(scored)} 户，积分合计 {fmt_number(sum(h['points'] for h in scored))} 分，"
            f"连续奖励 {sum(1 for h in scored if h['bonus'])} 户，曝光台 {sum(1 for h in scored if h['blacklisted'])} 户"
        )
        if missing:
            names = "、".join(f"{h['name']}（{h['household_id']}）" for h in missing[:20])
            out.print(f"[yellow]本月未检查 {len(missing)} 户：{names}{'……' if len(missing) > 20 else ''}[/]", overflow="fold")
        if not outcome.changed:
            out.print("结果与上次计分相同，台账没有改动。")
        if outcome.rescored_later:
            out.print(f"后面的月份 {'、'.join(outcome.rescored_later)} 已一并重算（连续奖励和曝光台按顺序计算）。")
        if outcome.notice_invalidated:
            out.print("[yellow]本月已打印过公示，计分结果有变化，请重新打印公示（公示期重新计算）。[/]")
        out.print(f"下一步：villagectl notice month {ledger} --month {outcome.month} -o 公示.pdf")

    guarded(as_json, body)


@score_app.command("adjust")
def score_adjust_cmd(
    ledger: LedgerArg,
    month: Annotated[str, typer.Option("--month", help="月份 YYYY-MM")],
    household: Annotated[str, typer.Option("--household", help="户号")],
    item: Annotated[str, typer.Option("--item", help="检查项编码（如 RJ1）或名称（如 庭院）")],
    score: Annotated[float, typer.Option("--score", help="新的得分")],
    reason: Annotated[str, typer.Option("--reason", help="调整原因，例如：村民异议，复查属实")],
    operator: Annotated[Optional[str], typer.Option("--operator", help="经办人（默认取参数“经办人”）")] = None,
    wait: WaitOpt = 0.0,
    as_json: JsonOpt = False,
) -> None:
    """公示期间处理异议：改一户某一项的得分（记录谁、何时、为什么），并重新计算本月。"""

    def body() -> None:
        from villagectl.actions.score_adjust import adjust_score

        a = adjust_score(ledger, parse_month(month), household.strip(), item, score, reason, operator, wait, _arguments())
        if as_json:
            emit_json({"ok": True, **a.as_dict()})
            return
        out = console()
        out.print(f"已调整 {a.month} {a.household_id} 的 {a.item}：{fmt_number(a.old)} → {fmt_number(a.new)} 分")
        if a.new_total is not None:
            out.print(f"总分 {cell_text(a.old_total)} → {cell_text(a.new_total)}，积分 {cell_text(a.old_points)} → {cell_text(a.new_points)}")
        if a.reprint_notice:
            out.print("[yellow]本月公示的内容已变化，需要重新打印公示；公示期从重新张贴之日起计算。[/]")

    guarded(as_json, body)


post_app = typer.Typer(help="入账：公示期满后把积分记入积分流水", no_args_is_help=True)
app.add_typer(post_app, name="post")


@post_app.command("month")
def post_month_cmd(
    ledger: LedgerArg,
    month: Annotated[str, typer.Option("--month", help="月份 YYYY-MM")],
    force: Annotated[bool, typer.Option("--force", help="公示期未满或未公示也入账（须写 --reason）")] = False,
    reason: Annotated[str, typer.Option("--reason", help="提前入账的原因")] = "",
    operator: Annotated[Optional[str], typer.Option("--operator", help="经办人（默认取参数“经办人”）")] = None,
    date: DateOpt = None,
    wait: WaitOpt = 0.0,
    as_json: JsonOpt = False,
) -> None:
    """公示期满后入账：把本月积分和连续奖励记入积分流水，本月锁定。重复入账不会重复记。"""

    def body() -> None:
        from villagectl.actions.post_month import post_month

        result = post_month(ledger, parse_month(month), parse_date(date), force, reason, operator, wait, _arguments())
        if as_json:
            emit_json({"ok": True, **result.as_dict()})
            return
        if result.already:
            console().print(f"{result.month} 已经入账过，没有重复记账。")
            return
        span = f"（流水号 {result.entry_ids[0]}–{result.entry_ids[1]}）" if result.entry_ids else ""
        console().print(
            f"{result.month} 已入账：{result.households} 户，{result.entries} 笔，共 {fmt_number(result.points)} 分{span}；本月已锁定。"
        )

    guarded(as_json, body)


notice_app = typer.Typer(help="打印公示", no_args_is_help=True)
app.add_typer(notice_app, name="notice")
templates_app = typer.Typer(help="打印模板", no_args_is_help=True)
app.add_typer(templates_app, name="templates")
TemplatesOpt = Annotated[Optional[Path], typer.Option("--templates", help="用这个文件夹里的模板（templates export 导出后修改）")]
FontOpt = Annotated[Optional[Path], typer.Option("--font", help="中文字体文件，如 C:/Windows/Fonts/msyh.ttc（默认用自带的思源黑体）")]


@notice_app.command("month")
def notice_month_cmd(
    ledger: LedgerArg,
    month: Annotated[str, typer.Option("--month", help="月份 YYYY-MM")],
    output: Annotated[Path, typer.Option("--output", "-o", help="公示 PDF 文件")],
    order: Annotated[Optional[str], typer.Option("--order", help="排列：组别 或 名次（默认取参数“公示排序”）")] = None,
    mask_names: Annotated[Optional[bool], typer.Option("--mask-names/--full-names", help="户主姓名打码（张*明）/ 显示全名（默认取参数“公示隐藏名字”）")] = None,
    templates: TemplatesOpt = None,
    font: FontOpt = None,
    date: DateOpt = None,
    wait: WaitOpt = 0.0,
    as_json: JsonOpt = False,
) -> None:
    """打印本月积分公示（A4 PDF），从 --date 起进入公示期（天数见参数“公示天数”）。"""

    def body() -> None:
        from villagectl.actions.notice_month import print_month_notice

        r = print_month_notice(ledger, parse_month(month), output, parse_date(date), order, mask_names, templates, font,
                               wait, _arguments())
        if as_json:
            emit_json({"ok": True, **r.as_dict()})
            return
        out = console()
        out.print(f"已生成公示 {r.pdf}（{r.households} 户）")
        if r.state_before == "入账":
            out.print("本月已入账，这是补打，台账未改动。")
        else:
            out.print(f"公示期：{r.period_start.isoformat()} 至 {r.period_end.isoformat()}；期满后运行 "
                      f"villagectl post month {ledger} --month {r.month}")

    guarded(as_json, body)


@templates_app.command("export")
def templates_export_cmd(
    folder: Annotated[Path, typer.Argument(help="把模板复制到这个文件夹", show_default=False)],
    force: Annotated[bool, typer.Option("--force", help="覆盖文件夹里同名的文件")] = False,
    as_json: JsonOpt = False,
) -> None:
    """导出打印模板，供修改措辞或版式；修改后在参数“模板文件夹”填上这个文件夹，或打印时加 --templates。"""

    def body() -> None:
        from villagectl.render.typst_engine import export_templates

        paths = export_templates(folder, force)
        if as_json:
            emit_json({"ok": True, "files": [str(p) for p in paths]})
            return
        for p in paths:
            console().print(f"已导出 {p}")

    guarded(as_json, body)


def cell_text(value) -> str:
    import math

    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, (int, float)):
        return fmt_number(value)
    return str(value)


def print_month_table(results) -> None:
    from villagectl.ledger import schema

    cats = [c for c in results.columns if c not in schema.MONTHLY.column_names]
    shown = cats if console().width >= 150 else []  # category columns only where they fit
    columns = ["组别", "户号", "户主", *shown, "总分", "名次", "积分", "奖励", "备注"]
    numeric = set(shown) | {"总分", "名次", "积分", "奖励"}
    table = Table(title="月度得分")
    for col in columns:
        table.add_column(col, overflow="fold", justify="right" if col in numeric else "left", no_wrap=col in numeric)
    for _, row in results.iterrows():
        table.add_row(*[cell_text(row[c]) for c in columns])
    console().print(table)


@app.command("check")
def check_cmd(ledger: LedgerArg, as_json: JsonOpt = False) -> None:
    """检查台账：工作表和列、规则与换算档次、户籍、户号引用、积分流水的余额和校验链。"""

    def body() -> int:
        from villagectl.actions.check import check_ledger

        _, problems = check_ledger(ledger)
        errors = [p for p in problems if p.severity == "错误"]
        if as_json:
            emit_json({"ok": not errors, "problems": [p.as_dict() for p in problems]})
        elif problems:
            console().print(problems_table(problems, f"{ledger.name} 的检查结果"))
            console().print(f"发现 {len(errors)} 处错误、{len(problems) - len(errors)} 处警告")
        else:
            console().print(f"{ledger.name} 检查通过，没有发现问题")
        return 1 if errors else 0

    guarded(as_json, body)


@app.command("balance")
def balance_cmd(
    ledger: LedgerArg,
    household: Annotated[Optional[str], typer.Option("--household", help="只看这一户（户号）")] = None,
    as_json: JsonOpt = False,
) -> None:
    """各户积分余额（可兑换）、累计获得积分（用于评比）和已兑换积分。"""

    def body() -> None:
        from villagectl.actions.balance import balances_for

        rows = balances_for(ledger, household.strip() if household else None)
        if as_json:
            emit_json(
                [
                    {k: r[k] for k in ("household_id", "name", "balance", "earned", "spent")}
                    for r in rows
                ]
            )
            return
        table = Table(title="积分余额")
        for col, justify in (("户号", "left"), ("户主", "left"), ("组别", "left"), ("余额", "right"),
                             ("累计获得", "right"), ("已兑换", "right")):
            table.add_column(col, justify=justify, overflow="fold")
        for r in rows:
            table.add_row(r["household_id"], r["name"], r["group"], fmt_number(r["balance"]),
                          fmt_number(r["earned"]), fmt_number(r["spent"]))
        console().print(table)
        console().print(f"共 {len(rows)} 户，余额合计 {fmt_number(round(sum(r['balance'] for r in rows), 4))} 分")

    guarded(as_json, body)


@app.command("demo")
def demo_cmd(
    output: Annotated[Path, typer.Option("--output", "-o", help="演示结果写到这个文件夹")] = Path("villagectl-demo"),
    as_json: JsonOpt = False,
) -> None:
    """用自带的示例台账演示主要流程，结果写到一个文件夹里。"""

    def body() -> None:
        from villagectl.actions.demo import run_demo

        result = run_demo(output, progress=None if as_json else console().print)
        if as_json:
            emit_json({"ok": True, **result})

    guarded(as_json, body)


def run() -> None:
    setup_streams()
    app(prog_name="villagectl")


if __name__ == "__main__":
    run()
