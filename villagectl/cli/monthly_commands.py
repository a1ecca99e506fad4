"""The monthly cycle: inspect import/forms, score month/adjust, notice month, post month, templates."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.table import Table

from villagectl.cli.app import (
    DateOpt,
    FontOpt,
    JsonOpt,
    LedgerArg,
    MonthOpt,
    TemplatesOpt,
    WaitOpt,
    cell_text,
    inspect_app,
    notice_app,
    nullbar,
    number_check,
    FUTURE_POSTING,
    parse_date,
    parse_month,
    post_app,
    progress_over,
    score_app,
    session,
    templates_app,
    year_check,
)
from villagectl.cli.console import console, emit_result, fit_table, guarded, named, print_problems
from villagectl.cli.console import shown as fmt_number  # numbers as the documents show them (2 decimals at most)


@inspect_app.command("import")
def inspect_import_cmd(
    ledger: LedgerArg,
    paths: Annotated[list[Path], typer.Argument(help="检查表文件或文件夹（xlsx、xls、ods）", show_default=False)],
    month: MonthOpt = None,
    group: Annotated[Optional[str], typer.Option("--group", help="组别（表里和文件名里都没有组别时用）")] = None,
    replace: Annotated[bool, typer.Option("--replace", help="替换本月已导入、尚未入账的得分")] = False,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="只显示将会做什么，不写台账")] = False,
    report: Annotated[Optional[Path], typer.Option("--report", help="把所有问题写到这个 xlsx，发回给网格员")] = None,
    reviewers: Annotated[Optional[str], typer.Option("--reviewers", help="评议小组成员，如 “张三、李四、王五”（表尾没有写时用；记入“检查记录”）")] = None,
    review_group: Annotated[Optional[str], typer.Option("--review-group", help="评议的小组，如 第二组（交叉评议：评本组时提醒）")] = None,
    date: DateOpt = None,
    wait: WaitOpt = 0.0,
    as_json: JsonOpt = False,
) -> None:
    """批量导入网格员的检查表：逐个文件检查，有问题的文件整份不导入，其余照常导入。"""

    def body() -> int:
        from villagectl.actions.inspect_import import IMPORTED, REFUSED, UNCHANGED, import_inspections
        from villagectl.io.inputs import expand_paths

        files, _ = expand_paths(paths)
        bar = nullbar() if as_json else progress_over(len(files), "读取检查表")
        with bar as advance:
            result = import_inspections(
                session(ledger, wait, today=parse_date(date)), paths, month=parse_month(month), group=group,
                replace=replace, dry_run=dry_run, report=report, on_file=advance,
                reviewers=reviewers or "", review_group=review_group or "",
            )
        if as_json:
            return emit_result(result.as_dict(), 1 if result.refused else 0)
        print_problems(result.problems)
        print_readings(result.files)
        table = Table(title="检查表导入结果")
        for col in ("文件", "月份", "组别", "户数", "结果", "问题"):
            # file names and months are never folded into two lines
            table.add_column(col, no_wrap=col in ("文件", "月份", "户数"), overflow="fold")
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
        console().print(fit_table(table, drop=("组别",)))
        for f in result.files:
            if f.reviewers or f.review_group:
                console().print(f"{f.file}：评议小组 {f.review_group or '（未写组别）'}"
                                + (f"，成员 {'、'.join(f.reviewers)}" if f.reviewers else ""), overflow="fold")
        if dry_run:
            console().print("（试运行，台账未改动）")
        elif result.written:
            console().print("已写入台账“检查记录”。")
            for m in result.months_to_rescore:
                console().print(f"{m} 已计过分，请重新运行：villagectl score month {ledger} --month {m}")
            for r in result.restatements:
                print_restatement(r, ledger)
        elif not result.refused:
            console().print("内容与已导入的相同，台账没有改动。")
        if result.report_path:
            console().print(f"问题清单已写入：{result.report_path}")
        if result.refused:
            console().print(f"[red]{len(result.refused)} 个文件未导入[/]，请按上面的问题改正后重新导入。")
            return 1
        return 0

    guarded(as_json, body)


def print_restatement(r, ledger: Path) -> None:
    """A posted month's late sheet or correction: what changed (and in which later months), what to do next."""
    out = console()
    if not r.changes:
        out.print(f"{r.month} 已入账；这次导入或更正没有改变任何一户的结果。")
        return
    table = Table(title=f"{r.month} 已入账：{r.kind}的变动（{r.supplement}）", title_justify="left")
    for col in ("月份", "户号", "户主", "类别", "变动"):
        table.add_column(col, no_wrap=col != "变动", overflow="fold")
    for c in r.changes:
        table.add_row(c.month, c.household_id, c.name, c.kind, c.describe() or "改回入账时的结果")
    out.print(fit_table(table))
    later = sorted({c.month for c in r.changes if c.month != r.month})
    if later:
        out.print(f"[yellow]连续奖励、曝光台按月份顺序计算：已入账的 {'、'.join(later)} 随之重算，差额一并公示、入账。[/]")
    if r.rescored:
        out.print(f"尚未入账的 {'、'.join(r.rescored)} 已重新计分。")
    for m in r.notices_invalidated:
        out.print(f"[yellow]{m} 已打印的公示内容有变化，请重新打印公示（公示期重新计算）。[/]")
    out.print(f"下一步：villagectl notice month {ledger} --month {r.month} -o {r.month}{r.kind}公示.pdf，"
              f"公示期满后 villagectl post month {ledger} --month {r.month}（只记差额）")


def print_readings(files) -> None:
    """How columns were read where it was not by the item's own name, and what was skipped."""
    out = console()
    for f in files:
        if f.readings:
            table = Table(title=f"{f.file}：按依据认出的表头（认错了请在台账“表头对照”表改编码）", title_justify="left")
            table.add_column("单元格", no_wrap=True)
            table.add_column("表头", overflow="fold")
            table.add_column("认作", no_wrap=True)
            table.add_column("依据", overflow="fold")
            for r in f.readings:
                item = f"{r.item} {r.code}" + ("（推测）" if r.certainty == "推测" else "")
                table.add_row(f"{r.sheet}!{r.cell}", r.header, item, r.reason.removeprefix("依据"))
            out.print(fit_table(table))
        if f.notes:
            notes = "；".join(f"{p.location.cell or p.location.sheet} {p.message}".strip() for p in f.notes)
            out.print(f"[dim]{f.file} 读表说明：{notes}[/]", overflow="fold", soft_wrap=False)


@inspect_app.command("forms")
def inspect_forms_cmd(
    ledger: LedgerArg,
    output: Annotated[Path, typer.Option("--output", "-o", help="把检查表写到这个文件夹")],
    month: Annotated[Optional[str], typer.Option("--month", help="月份 YYYY-MM；和 --quarter、--review 一起用时是实际检查（评议）的月份")] = None,
    quarter: Annotated[Optional[str], typer.Option("--quarter", help="季度，如 2026Q1：只含按季度检查的项目（base140 的环境整治、文明新风）")] = None,
    review: Annotated[Optional[int], typer.Option("--review", help="年度，如 2026：年终评议表，只含年度评议项目（党的建设、民生保障、遵纪守法）", callback=year_check)] = None,
    group: Annotated[Optional[str], typer.Option("--group", help="只生成这个组的表")] = None,
    force: Annotated[bool, typer.Option("--force", help="覆盖已存在的表")] = False,
    as_json: JsonOpt = False,
) -> None:
    """为每个组生成空白检查评分表（已填好户号、户主，打分格限定 0 到满分），发给网格员或评议小组。

    --month 生成本月的表（全部检查项）；--quarter 生成季度日常积分表；--review 生成年终评议表（表尾有评议小组、成员和日期）。
    """

    def body() -> None:
        from villagectl.actions.inspect_forms import make_forms, quarter_form, review_form
        from villagectl.errors import UsageError
        from villagectl.ledger.quarters import parse_quarter

        if quarter and review is not None:
            raise UsageError("--quarter 和 --review 只能用一个")
        chosen = parse_month(month)
        if quarter:
            try:
                year, q = parse_quarter(quarter)
            except ValueError:
                raise UsageError(f"季度“{quarter}”格式不对，应为 YYYYQn，例如 2026Q1") from None
            kind = quarter_form(year, q, chosen)
        elif review is not None:
            kind = review_form(review, chosen)
        elif chosen:
            kind = chosen
        else:
            raise UsageError("请用 --month（月度检查表）、--quarter（季度日常积分表）或 --review（年终评议表）指定生成哪一期的表")
        paths = make_forms(ledger, kind, out_dir=output, group=group, force=force)
        if as_json:
            emit_result({"files": [str(p) for p in paths]})
            return
        for p in paths:
            console().print(f"已生成 {p}")
        console().print(f"共 {len(paths)} 份。填好交回后，用 villagectl inspect import 导入。")

    guarded(as_json, body)


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

        outcome = score_months(session(ledger, wait), parse_month(month))
        households = outcome.households()
        if as_json:
            emit_result({"households": [{**h, "categories": named(h["categories"], "category")} for h in households]})
            return
        print_month_table(outcome.results)
        scored = [h for h in households if not h["missing"]]
        missing = [h for h in households if h["missing"]]
        out = console()
        out.print(
            f"{outcome.month}：计分 {len(scored)} 户，积分合计 {fmt_number(sum(h['points'] for h in scored))} 分，"
            f"连续奖励 {sum(1 for h in scored if h['bonus'])} 户，曝光台 {sum(1 for h in scored if h['exposure'])} 户"
        )
        if missing:
            names = "、".join(f"{h['name']}（{h['household_id']}）" for h in missing[:20])
            out.print(f"[yellow]本月未检查 {len(missing)} 户：{names}{'……' if len(missing) > 20 else ''}[/]")
        print_coverage(outcome.coverage, ledger)
        if outcome.posted:
            waiting = sum(1 for h in outcome.results["状态"] if str(h) in ("补录", "更正"))
            out.print(f"{outcome.month} 已入账，以上是入账时的结果，不能重新计分；迟交的检查表直接导入（补录），"
                      f"得分有错用 villagectl score adjust … --after-post 更正。"
                      + (f"有 {waiting} 户的补录或更正等着公示、入账。" if waiting else ""))
        elif not outcome.changed:
            out.print("结果与上次计分相同，台账没有改动。")
        if outcome.rescored_later:
            out.print(f"后面的月份 {'、'.join(outcome.rescored_later)} 已一并重算（连续奖励和曝光台按顺序计算）。")
        if outcome.notice_invalidated:
            out.print("[yellow]本月已打印过公示，计分结果有变化，请重新打印公示（公示期重新计算）。[/]")
        if not outcome.posted and any(g.missing for g in outcome.coverage):
            out.print(f"下一步：缺的检查表交来、导入后重新计分；确要先公示已交的部分，用 villagectl notice month {ledger} "
                      f"--month {outcome.month} -o 公示.pdf --partial")
        elif not outcome.posted:
            out.print(f"下一步：villagectl notice month {ledger} --month {outcome.month} -o 公示.pdf")

    guarded(as_json, body)


def print_coverage(coverage, ledger: Path) -> None:
    """Per group: expected, inspected, listed blank, on no sheet — when the month is not plainly complete."""
    if not any(g.missing or g.blank for g in coverage):
        return
    table = Table(title="各组检查情况")
    for col in ("组别", "应检", "已检", "表中留空", "没有检查表"):
        table.add_column(col, no_wrap=col != "没有检查表", overflow="fold")
    for g in coverage:
        table.add_row(g.group, str(g.expected), str(g.inspected), str(len(g.blank)),
                      ("[red]" + "、".join(g.missing[:10]) + ("……" if len(g.missing) > 10 else "") + "[/]") if g.missing else "0")
    console().print(fit_table(table))
    if any(g.missing for g in coverage):
        console().print("[yellow]有的户没有出现在任何检查表里（可能是整组的表被拒绝或还没交）。导入改好的表后重新计分；"
                        f"确实要缺着入账，须 villagectl post month {ledger} --month … --allow-missing --reason “原因”。[/]")


@score_app.command("adjust")
def score_adjust_cmd(
    ledger: LedgerArg,
    month: Annotated[str, typer.Option("--month", help="月份 YYYY-MM")],
    household: Annotated[str, typer.Option("--household", help="户号")],
    item: Annotated[str, typer.Option("--item", help="检查项编码（如 RJ1）或名称（如 庭院）")],
    score: Annotated[float, typer.Option("--score", help="新的得分", callback=number_check("得分"))],
    reason: Annotated[str, typer.Option("--reason", help="调整原因，例如：村民异议，复查属实")],
    operator: Annotated[Optional[str], typer.Option("--operator", help="经办人（默认取参数“经办人”）")] = None,
    after_post: Annotated[bool, typer.Option("--after-post", help="本月已入账也更正：差额以冲正 + 补记入账，须先打印更正公示")] = False,
    wait: WaitOpt = 0.0,
    as_json: JsonOpt = False,
) -> None:
    """公示期间处理异议：改一户某一项的得分（记录谁、何时、为什么），并重新计算本月。

    已入账的月份加 --after-post：不改已入账的流水，打印更正公示，期满后 post month 记差额（冲正 + 补记）。
    """

    def body() -> None:
        from villagectl.actions.score_adjust import adjust_score

        a = adjust_score(session(ledger, wait, operator), parse_month(month), household=household.strip(), code=item,
                         score=score, reason=reason, after_post=after_post)
        if as_json:
            emit_result(a.as_dict())
            return
        out = console()
        out.print(f"已调整 {a.month} {a.household_id} 的 {a.item}：{fmt_number(a.old)} → {fmt_number(a.new)} 分")
        if a.new_total is not None:
            out.print(f"总分 {cell_text(a.old_total)} → {cell_text(a.new_total)}，积分 {cell_text(a.old_points)} → {cell_text(a.new_points)}")
        if a.restatement is not None:
            print_restatement(a.restatement, ledger)
        elif a.reprint_notice:
            out.print("[yellow]本月公示的内容已变化，需要重新打印公示；公示期从重新张贴之日起计算。[/]")

    guarded(as_json, body)


@post_app.command("month")
def post_month_cmd(
    ledger: LedgerArg,
    month: Annotated[str, typer.Option("--month", help="月份 YYYY-MM")],
    force: Annotated[bool, typer.Option("--force", help="公示期未满或未公示也入账（须写 --reason）")] = False,
    reason: Annotated[str, typer.Option("--reason", help="提前入账或缺户入账的原因")] = "",
    allow_missing: Annotated[bool, typer.Option("--allow-missing", help="有的户没有任何检查表也入账（须写 --reason）")] = False,
    operator: Annotated[Optional[str], typer.Option("--operator", help="经办人（默认取参数“经办人”）")] = None,
    date: DateOpt = None,
    wait: WaitOpt = 0.0,
    as_json: JsonOpt = False,
) -> None:
    """公示期满后入账：把本月积分和连续奖励记入积分流水，本月锁定。重复入账不会重复记；有户没有任何检查表时拒绝入账。"""

    def body() -> None:
        from villagectl.actions.post_month import post_month

        result = post_month(session(ledger, wait, operator, parse_date(date, FUTURE_POSTING)), parse_month(month),
                            force=force, reason=reason, allow_missing=allow_missing)
        if as_json:
            emit_result(result.as_dict())
            return
        if result.already:
            console().print(f"{result.month} 已经入账过，没有重复记账。")
            return
        if result.supplement:
            span = f"（流水号 {result.entry_ids[0]}–{result.entry_ids[1]}）" if result.entry_ids else ""
            console().print(f"{result.supplement} 已入账：{result.households} 户次变动，记 {result.entries} 笔流水，"
                            f"合计 {fmt_number(result.points)} 分{span}。")
            return
        span = f"（流水号 {result.entry_ids[0]}–{result.entry_ids[1]}）" if result.entry_ids else ""
        console().print(
            f"{result.month} 已入账：{result.households} 户，{result.entries} 笔，共 {fmt_number(result.points)} 分{span}；本月已锁定。"
        )

    guarded(as_json, body)


@notice_app.command("month")
def notice_month_cmd(
    ledger: LedgerArg,
    month: Annotated[str, typer.Option("--month", help="月份 YYYY-MM")],
    output: Annotated[Path, typer.Option("--output", "-o", help="公示 PDF 文件")],
    order: Annotated[Optional[str], typer.Option("--order", help="排列：组别 或 名次（默认取参数“公示排序”）")] = None,
    mask_names: Annotated[Optional[bool], typer.Option("--mask-names/--full-names", help="户主姓名打码（张*明）/ 显示全名（默认取参数“公示隐藏名字”）")] = None,
    group: Annotated[Optional[str], typer.Option("--group", help="只打印这个组（贴在组里的公示栏）")] = None,
    partial: Annotated[bool, typer.Option("--partial", help="有的户还没有检查表时也打印，标明“部分公示”和尚未检查的组")] = False,
    templates: TemplatesOpt = None,
    font: FontOpt = None,
    date: DateOpt = None,
    wait: WaitOpt = 0.0,
    as_json: JsonOpt = False,
) -> None:
    """打印本月积分公示（A4 PDF），从 --date 起进入公示期（天数见参数“公示天数”）；有户没有任何检查表时不打印，除非 --partial。"""

    def body() -> None:
        from villagectl.actions.notice_month import print_month_notice

        from villagectl.actions.session import PrintOptions

        r = print_month_notice(session(ledger, wait, today=parse_date(date)), parse_month(month), out_pdf=output,
                               order=order, mask=mask_names, printing=PrintOptions(templates, font), group=group,
                               partial=partial)
        if as_json:
            emit_result(r.as_dict())
            return
        out = console()
        if r.supplement:
            out.print(f"已生成{r.kind}公示 {r.pdf}（{r.households} 户次，{r.supplement}）")
            out.print(f"公示期：{r.period_start.isoformat()} 至 {r.period_end.isoformat()}；期满后运行 "
                      f"villagectl post month {ledger} --month {r.month}（只记差额）")
            return
        if r.corrected:
            out.print(f"已生成更正公示 {r.pdf}（{r.households} 户，其中 {r.corrected} 户的得分在上次公示后有更正，"
                      "已在表中标出、表下列出更正内容）")
        else:
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
        from villagectl.io.outputs import guard_output, guard_outputs
        from villagectl.render.typst_engine import DEFAULT_TEMPLATES_DIR, export_templates

        guard_output(folder, None, "templates export", folder=True)
        if folder.is_dir():  # a file there may be a link to a ledger: copying would write through it
            guard_outputs([folder / p.name for p in DEFAULT_TEMPLATES_DIR.iterdir() if p.is_file()], None,
                          "templates export")
        paths = export_templates(folder, force)
        if as_json:
            emit_result({"files": [str(p) for p in paths]})
            return
        for p in paths:
            console().print(f"已导出 {p}")

    guarded(as_json, body)


def print_month_table(results) -> None:
    from villagectl import schema

    cats = [c for c in results.columns if c not in schema.MONTHLY.column_names]
    shown = cats if console().width >= 150 else []  # category columns only where they fit
    columns = ["组别", "户号", "户主", *shown, "总分", "名次", "积分", "奖励", "备注"]
    numeric = set(shown) | {"总分", "名次", "积分", "奖励"}
    table = Table(title="月度得分")
    for col in columns:
        table.add_column(col, overflow="fold", justify="right" if col in numeric else "left", no_wrap=col in numeric)
    for row in results.to_dict("records"):
        table.add_row(*[cell_text(row[c]) for c in columns])
    console().print(fit_table(table, drop=("备注", "组别")))
