"""Batches of award/deduction/veto events from sheets (same tolerance as the inspection import).

Importer protocol (importers/fields.py): ``FIELDS``, ``identify(book)``, ``extract(book, ctx)`` with
``ctx`` an ``EventContext``; ``read_event_file`` is the call ``event import`` makes.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd

from villagectl.errors import Location, Problem
from villagectl.importers.households_lookup import Roster, collapse_not_found
from villagectl.importers.fields import GROUP_FIELD, HEAD_FIELD, HOUSEHOLD_ID_FIELD, FieldSpec
from villagectl.importers.table import locate_table, tables_score
from villagectl.io.reader import WorkbookRows, cell_ref
from villagectl import schema
from villagectl.ledger.events import EventRefused, NewEvent, build_event
from villagectl.values import NotANumber, as_text, clean_text, find_group, group_key, to_number

EVENT_FIELDS = [
    HOUSEHOLD_ID_FIELD,
    HEAD_FIELD,
    GROUP_FIELD,
    FieldSpec("成员", ("家庭成员", "成员姓名", "当事人", "个人")),
    FieldSpec("编码", ("规则编码", "项目编码", "代码")),
    FieldSpec("项目", ("积分项目", "加分项目", "扣分项目", "事项", "积分事项", "事由", "行为")),
    FieldSpec("次数", ("数量", "次", "件数")),
    FieldSpec("日期", ("时间", "发生日期", "发生时间", "申报日期")),
    FieldSpec("积分", ("分值", "分数", "加减分")),
    FieldSpec("说明", ("备注", "情况说明", "事迹", "具体情况")),
]


FIELDS = EVENT_FIELDS


@dataclass(frozen=True)
class EventContext:
    display_name: str  # the file as the clerk knows it
    ledger: object  # ledger/workbook.Ledger: its rules, roster and settings
    events: pd.DataFrame  # the ledger's 积分事件 (caps count them)
    today: dt.date  # the date of a line without one


def _usable(table) -> bool:
    return bool({"户号", "户主"} & set(table.columns)) and bool({"编码", "项目", "积分"} & set(table.columns))


def identify(book: WorkbookRows) -> int:
    """The event columns a sheet's header names (0: no sheet has 户号/户主 and 编码/项目/积分)."""
    return tables_score(book, EVENT_FIELDS, _usable)


def read_event_file(book: WorkbookRows, display_name: str, ledger, events: pd.DataFrame, today: dt.date
                    ) -> tuple[list[NewEvent], list[Problem]]:
    return extract(book, EventContext(display_name, ledger, events, today))


def extract(book: WorkbookRows, ctx: EventContext) -> tuple[list[NewEvent], list[Problem]]:
    """Every event of a file, or the problems that refuse it (caps count earlier lines of the file too)."""
    display_name, ledger, events, today = ctx.display_name, ctx.ledger, ctx.events, ctx.today
    roster = Roster(ledger.frame(schema.HOUSEHOLDS.name))
    problems: list[Problem] = []
    new: list[NewEvent] = []
    pending = events.copy()
    found = False
    matched, titles = 0, []
    for sheet in book.sheets:
        if not any(clean_text(v) for row in sheet.rows for v in row):
            continue
        table = locate_table(sheet, EVENT_FIELDS)
        if table is None or not _usable(table):
            problems.append(Problem(Location(display_name, sheet.name),
                                    "前10行里找不到事件表的表头（要有“户号”或“户主”列，以及“编码”或“项目”列），这个工作表已跳过", "警告"))
            continue
        found = True
        title = " ".join(clean_text(v) for row in sheet.rows[: table.header_row] for v in row if clean_text(v))
        titles.append(f"{title} {sheet.name}")
        sheet_group = find_group(title) or find_group(display_name)
        for r in table.data_rows:
            def at(name: str) -> Location:
                c = table.columns.get(name)
                return Location(display_name, sheet.name, cell_ref(r, c) if c is not None else f"第{r + 1}行")

            group_cell = clean_text(table.value(r, "组别"))
            lookup = roster.find(clean_text(table.value(r, "户号")), clean_text(table.value(r, "户主")),
                                 group_key(group_cell) if group_cell else sheet_group, purpose="记分")
            for target, message, severity in lookup.problems:
                problems.append(Problem(at("户号" if target == "id" and "户号" in table.columns else "户主"), message, severity))
            if lookup.index is None:
                continue
            matched += 1
            hid = clean_text(roster[lookup.index]["户号"])
            count, message = table.count(r)
            if message:
                problems.append(Problem(at("次数"), message))
                continue
            day, message = table.day(r, today)
            if message:
                problems.append(Problem(at("日期"), message))
                continue
            rule_text = clean_text(table.value(r, "编码")) or clean_text(table.value(r, "项目"))
            try:
                points = to_number(table.value(r, "积分"))
            except NotANumber:
                problems.append(Problem(at("积分"), f"积分“{clean_text(table.value(r, '积分'))}”不是数字"))
                continue
            code_given = bool(clean_text(table.value(r, "编码")))
            note = as_text(table.value(r, "说明"))  # kept as typed
            try:
                if code_given or not points:
                    event = build_event(ledger, pending, hid, rule_text, count, day, note,
                                        clean_text(table.value(r, "成员")), None,
                                        f"{display_name} / {sheet.name} / 第{r + 1}行")
                else:  # a typed score with no code: a free-form award/deduction, the 项目 text is its reason
                    event = build_event(ledger, pending, hid, None, count, day, note or as_text(table.value(r, "项目")) or rule_text,
                                        clean_text(table.value(r, "成员")), points,
                                        f"{display_name} / {sheet.name} / 第{r + 1}行")
            except EventRefused as exc:
                column = "编码" if "编码" in table.columns else "项目"
                message = str(exc)
                if message.startswith(("规则中没有", "“规则”表里没有")):
                    pass  # the rule named in 编码 / 项目
                elif "次数" in message:
                    column = "次数"
                elif "临时加扣分" in message or "原因" in message:
                    column = "积分"
                problems.append(Problem(at(column), message))
                continue
            new.append(event)
            pending = _with(pending, event)
    if not found:
        problems.append(Problem(Location(display_name), "文件里没有找到事件表（表头要有“户号”或“户主”列和“编码”或“项目”列）"))
    problems = collapse_not_found(problems, roster, display_name, titles, ledger.settings().get("村名", ""), matched)
    return new, problems


def _with(events: pd.DataFrame, event: NewEvent) -> pd.DataFrame:
    """Events plus one pending row, so caps count earlier lines of the same file."""
    row = {"日期": event.date.isoformat(), "户号": event.household_id, "编码": event.rule.code if event.rule else "自由",
           "积分": event.points, "状态": "申报"}
    return pd.concat([events, pd.DataFrame([row], dtype=object)], ignore_index=True)
