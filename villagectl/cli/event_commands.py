"""Award, deduction and veto events: add, import, review path, revoke, list."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.table import Table

from villagectl.cli.app import (
    DateOpt,
    FontOpt,
    JsonOpt,
    LedgerArg,
    OperatorOpt,
    TemplatesOpt,
    WaitOpt,
    app,
    cell_text,
    number_check,
    parse_date,
    session,
)
from villagectl.cli.console import console, emit_result, fit_table, guarded, print_problems
from villagectl.cli.console import shown as fmt_number  # numbers as the documents show them (2 decimals at most)

event_app = typer.Typer(help="加分、扣分、一票否决事项：申报 → 初审 → 公示 → 审核 → 入账", no_args_is_help=True)
app.add_typer(event_app, name="event")

IdsOpt = Annotated[Optional[list[str]], typer.Option("--id", help="事件号，可重复，如 --id E000001 --id E000002")]
AllOpt = Annotated[bool, typer.Option("--all", help="处理上一步的全部事件")]
ByOpt = Annotated[str, typer.Option("--by", help="经办的网格员或村干部姓名")]


def _now(date: str | None, force: bool | None = None) -> dt.datetime:
    day = parse_date(date, force=force)
    now = dt.datetime.now()
    return now if day == now.date() else dt.datetime.combine(day, dt.time(12, 0))


def _show(result, verb: str) -> None:
    table = Table(title=f"{verb}的事件")
    for col in ("事件号", "日期", "户号", "户主", "成员", "项目", "次数", "积分", "状态"):
        table.add_column(col, overflow="fold")
    for e in result.events:
        table.add_row(*[cell_text(e.get(c)) for c in ("事件号", "日期", "户号", "户主", "成员", "项目", "次数", "积分", "状态")])
    console().print(fit_table(table, drop=("成员", "次数")))


@event_app.command("add")
def event_add_cmd(
    ledger: LedgerArg,
    household: Annotated[str, typer.Option("--household", help="户号")],
    rule: Annotated[Optional[str], typer.Option("--rule", help="规则编码或项目名称（如 GY01、见义勇为）")] = None,
    count: Annotated[int, typer.Option("--count", help="次数（按规则分值 × 次数记分）",
                                             callback=number_check("次数"))] = 1,
    note: Annotated[str, typer.Option("--note", help="事由说明（临时加扣分必填）")] = "",
    member: Annotated[str, typer.Option("--member", help="家庭成员姓名（记入个人积分）")] = "",
    points: Annotated[Optional[float], typer.Option("--points", help="规则目录以外的临时加扣分（负数为扣分），须写 --note",
                                                          callback=number_check("积分"))] = None,
    operator: OperatorOpt = None,
    date: DateOpt = None,
    wait: WaitOpt = 0.0,
    as_json: JsonOpt = False,
) -> None:
    """申报一条加分、扣分或一票否决事项（按规则分值；同一规则每期有上限）。"""

    def body() -> None:
        from villagectl.actions.events import add_event

        r = add_event(session(ledger, wait, operator), household=household.strip(), rule=rule, count=count,
                      day=parse_date(date), note=note, member=member, points=points)
        if as_json:
            emit_result(r.as_dict())
            return
        e = r.events[0]
        console().print(f"已申报 {e['事件号']}：{e['户主']}（{e['户号']}）{e['项目']} {fmt_number(e['积分'])} 分。"
                        f"下一步：网格员初审 villagectl event review {ledger} --id {e['事件号']} --by 姓名")

    guarded(as_json, body)


@event_app.command("import")
def event_import_cmd(
    ledger: LedgerArg,
    paths: Annotated[list[Path], typer.Argument(help="事件表文件或文件夹（xlsx、xls、ods）", show_default=False)],
    dry_run: Annotated[bool, typer.Option("--dry-run", help="只显示将会做什么，不写台账")] = False,
    operator: OperatorOpt = None,
    date: DateOpt = None,
    wait: WaitOpt = 0.0,
    as_json: JsonOpt = False,
) -> None:
    """批量申报：导入事件表（户号或户主、编码或项目、次数、日期、说明），有问题的文件整份不导入。"""

    def body() -> int:
        from villagectl.actions.events import import_events

        r, problems, refused = import_events(session(ledger, wait, operator, parse_date(date)), paths, dry_run=dry_run)
        if as_json:
            return emit_result({**r.as_dict(), "refused_files": refused, "problems": [p.as_dict() for p in problems]},
                               1 if refused else 0)
        print_problems(problems)
        if r.ids:
            _show(r, "将申报" if dry_run else "已申报")
        if refused:
            console().print(f"[red]{len(refused)} 个文件未导入[/]：{'、'.join(refused)}")
        if dry_run:
            console().print("（试运行，台账未改动）")
        return 1 if refused else 0

    guarded(as_json, body)


@event_app.command("review")
def event_review_cmd(
    ledger: LedgerArg, by: ByOpt, ids: IdsOpt = None, all_: AllOpt = False, date: DateOpt = None,
    wait: WaitOpt = 0.0, as_json: JsonOpt = False,
) -> None:
    """初审（网格员）：申报 → 初审。"""

    def body() -> None:
        from villagectl.actions.event_review import review_events

        r = review_events(session(ledger, wait), ids=ids, use_all=all_, reviewer=by, now=_now(date))
        emit_result(r.as_dict()) if as_json else _show(r, "初审通过")

    guarded(as_json, body)


@event_app.command("notice")
def event_notice_cmd(
    ledger: LedgerArg,
    output: Annotated[Path, typer.Option("--output", "-o", help="公示 PDF 文件")],
    ids: IdsOpt = None,
    mask_names: Annotated[Optional[bool], typer.Option("--mask-names/--full-names", help="户主姓名打码 / 显示全名")] = None,
    templates: TemplatesOpt = None,
    font: FontOpt = None,
    date: DateOpt = None,
    wait: WaitOpt = 0.0,
    as_json: JsonOpt = False,
) -> None:
    """打印待公示事项（全部初审通过的，或 --id 指定的）的公示 PDF：初审 → 公示，从 --date 起算公示期。"""

    def body() -> None:
        from villagectl.actions.event_notice import notice_events

        from villagectl.actions.session import PrintOptions

        r = notice_events(session(ledger, wait, today=parse_date(date)), out_pdf=output, ids=ids, mask=mask_names,
                          printing=PrintOptions(templates, font))
        if as_json:
            emit_result(r.as_dict())
            return
        console().print(f"已生成公示 {r.pdf}（{len(r.ids)} 项），公示期 {r.period[0]} 至 {r.period[1]}")

    guarded(as_json, body)


@event_app.command("approve")
def event_approve_cmd(
    ledger: LedgerArg, by: ByOpt, ids: IdsOpt = None, all_: AllOpt = False,
    force: Annotated[bool, typer.Option("--force", help="公示期未满也审核")] = False,
    date: DateOpt = None, wait: WaitOpt = 0.0, as_json: JsonOpt = False,
) -> None:
    """审核（村干部）：公示期满无异议后，公示 → 审核。"""

    def body() -> None:
        from villagectl.actions.event_review import approve_events

        r = approve_events(session(ledger, wait), ids=ids, use_all=all_, approver=by, now=_now(date, force), force=force)
        emit_result(r.as_dict()) if as_json else _show(r, "审核通过")

    guarded(as_json, body)


@event_app.command("post")
def event_post_cmd(
    ledger: LedgerArg, ids: IdsOpt = None, all_: AllOpt = False, operator: OperatorOpt = None,
    date: DateOpt = None, wait: WaitOpt = 0.0, as_json: JsonOpt = False,
) -> None:
    """入账：审核 → 入账，每条加分、扣分记一笔积分流水（一票否决不记分，只影响当年评星评优）。"""

    def body() -> None:
        from villagectl.actions.event_post import post_events

        r = post_events(session(ledger, wait, operator, parse_date(date)), ids=ids, use_all=all_)
        if as_json:
            emit_result(r.as_dict())
            return
        _show(r, "已入账")
        console().print(f"记入积分流水 {len(r.entries)} 笔" + (f"（{r.entries[0]}–{r.entries[-1]}）" if r.entries else ""))

    guarded(as_json, body)


@event_app.command("reject")
def event_reject_cmd(
    ledger: LedgerArg,
    ids: IdsOpt = None,
    reason: Annotated[str, typer.Option("--reason", help="驳回原因")] = "",
    by: Annotated[str, typer.Option("--by", help="经办人")] = "",
    date: DateOpt = None, wait: WaitOpt = 0.0, as_json: JsonOpt = False,
) -> None:
    """驳回未入账的事项（查无实据、公示有异议属实等）。"""

    def body() -> None:
        from villagectl.actions.event_review import reject_events

        r = reject_events(session(ledger, wait), ids=ids, reason=reason, who=by, now=_now(date))
        emit_result(r.as_dict()) if as_json else _show(r, "已驳回")

    guarded(as_json, body)


@event_app.command("revoke")
def event_revoke_cmd(
    ledger: LedgerArg,
    entry: Annotated[str, typer.Option("--entry", help="要冲正的积分流水号")],
    reason: Annotated[str, typer.Option("--reason", help="原因")],
    false_claim: Annotated[bool, typer.Option("--false-claim", help="申报查实虚假：按“虚假申报扣分倍数”（默认 2 倍）扣回")] = False,
    operator: OperatorOpt = None,
    date: DateOpt = None, wait: WaitOpt = 0.0, as_json: JsonOpt = False,
) -> None:
    """撤销已入账的积分：追加一笔冲正流水（原流水不改）；虚假申报加倍扣回。"""

    def body() -> None:
        from villagectl.actions.event_post import revoke_entry

        r = revoke_entry(session(ledger, wait, operator, parse_date(date)), entry_id=entry, reason=reason,
                         false_claim=false_claim)
        if as_json:
            emit_result(r.as_dict())
            return
        console().print(f"已冲正流水 {entry}，冲正流水号 {r.entries[0]}" + (f"；事件 {r.ids[0]} 已标记撤销" if r.ids else ""))

    guarded(as_json, body)


@event_app.command("list")
def event_list_cmd(
    ledger: LedgerArg,
    status: Annotated[Optional[str], typer.Option("--status", help="只看这个状态：申报/初审/公示/审核/入账/驳回/撤销")] = None,
    household: Annotated[Optional[str], typer.Option("--household", help="只看这一户")] = None,
    as_json: JsonOpt = False,
) -> None:
    """列出积分事项及其状态。"""

    def body() -> None:
        from villagectl.actions.events import list_events

        rows = list_events(ledger, state=status, household=household)
        if as_json:
            emit_result({"events": rows})
            return
        table = Table(title="积分事项")
        cols = ("事件号", "日期", "户号", "户主", "成员", "项目", "积分", "状态", "流水号")
        for col in cols:
            table.add_column(col, overflow="fold", justify="right" if col == "积分" else "left")
        for e in rows:
            table.add_row(*[cell_text(e.get(c)) for c in cols])
        console().print(fit_table(table, drop=("成员", "流水号")))
        console().print(f"共 {len(rows)} 项")

    guarded(as_json, body)
