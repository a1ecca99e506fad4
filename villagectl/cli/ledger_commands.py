"""Commands on the ledger itself: init, households import, check, balance, demo."""

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
    app,
    households_app,
    FUTURE_NEVER,
    parse_date,
    session,
)
from villagectl.cli.console import (
    console,
    emit_result,
    named,
    fit_table,
    shown,
    guarded,
    print_problems,
    problems_table,
)
from villagectl.values import fmt_number


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

        chosen = create_ledger(ledger, village, preset, force=force, today=parse_date(date, FUTURE_NEVER))
        if as_json:
            emit_result({"ledger": str(ledger), "preset": chosen.name, "village": village})
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

        report = import_households(session(ledger, wait), rosters, skip_invalid=skip_invalid, dry_run=dry_run)
        if as_json:
            emit_result(report.as_dict())
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
            out.print(fit_table(table))
        if report.added:
            shown = "、".join(report.added[:30]) + ("……" if len(report.added) > 30 else "")
            out.print(f"新增农户：{shown}")
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


@app.command("check")
def check_cmd(ledger: LedgerArg, as_json: JsonOpt = False) -> None:
    """检查台账：工作表和列、规则与换算档次、户籍、户号引用、积分流水的余额和校验链。"""

    def body() -> int:
        from villagectl.actions.check import check_advice, check_ledger

        _, problems = check_ledger(ledger)
        errors = [p for p in problems if p.severity == "错误"]
        if as_json:
            emit_result({"problems": [p.as_dict() for p in problems]}, 1 if errors else 0)
        elif problems:
            console().print(problems_table(problems, f"{ledger.name} 的检查结果"))
            console().print(f"发现 {len(errors)} 处错误、{len(problems) - len(errors)} 处警告")
            if errors:
                console().print(check_advice(problems, ledger.name), markup=False)
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
            keys = ("household_id", "name", "group", "balance", "earned", "spent", "family_average", "members")
            emit_result({"households": [{**{k: r[k] for k in keys if k in r}, "members": named(r.get("members", {}), "member")}
                                        for r in rows]})
            return
        table = Table(title="积分余额")
        for col, justify in (("户号", "left"), ("户主", "left"), ("组别", "left"), ("余额", "right"),
                             ("累计获得", "right"), ("已兑换", "right"), ("家庭平均", "right"), ("个人积分", "left")):
            table.add_column(col, justify=justify, overflow="fold")
        for r in rows:
            people = "、".join(f"{m} {shown(p)}" for m, p in r["members"].items())
            table.add_row(r["household_id"], r["name"], r["group"], shown(r["balance"]),
                          shown(r["earned"]), shown(r["spent"]), shown(r["family_average"]), people)
        console().print(fit_table(table, drop=("已兑换", "组别", "家庭平均")))  # 已兑换 = 累计获得 − 余额
        console().print(f"共 {len(rows)} 户，余额合计 {shown(sum(r['balance'] for r in rows))} 分")

    guarded(as_json, body)


@app.command("demo")
def demo_cmd(
    output: Annotated[Optional[Path], typer.Option("--output", "-o", help="演示结果写到这个文件夹（默认 villagectl-demo，base140 为 villagectl-demo-base140）")] = None,
    preset: Annotated[str, typer.Option("--preset", help="zhongping：月度检查、积分兑换；base140：基础分140分、季度评议、年终评星")] = "zhongping",
    as_json: JsonOpt = False,
) -> None:
    """用自带的示例台账演示主要流程，结果写到一个文件夹里（--preset base140：一个村基础分140分方案的一整年）。"""

    def body() -> None:
        from villagectl.actions.demo import run_demo

        folder = output or Path("villagectl-demo" + ("-base140" if preset == "base140" else ""))
        result = run_demo(folder, progress=None if as_json else console().print, preset=preset)
        if as_json:
            emit_result(result)

    guarded(as_json, body)
