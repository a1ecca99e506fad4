"""Batches of award/deduction/veto events from sheets (same tolerance as the inspection import).

Importer protocol (importers/fields.py): ``FIELDS``, ``identify(book)``, ``extract(book, ctx)`` with
``ctx`` an ``EventContext``; ``read_event_file`` is the call ``event import`` makes.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

import pandas as pd

from villagectl.errors import Location, Problem
from villagectl.importers.households_lookup import Roster, collapse_not_found
from villagectl.importers.fields import (GROUP_FIELD, HEAD_FIELD, HOUSEHOLD_ID_FIELD, SEQUENCE, SUBTOTAL, TOTAL, FieldSpec,
                                        field_of)
from villagectl.importers.table import HEADER_SEARCH_ROWS, LocatedTable, data_rows, match_field
from villagectl.io.reader import WorkbookRows, cell_ref
from villagectl import schema
from villagectl.ledger.events import (EventRefused, NewEvent, build_event, event_points, event_rules, file_rule_message,
                                     read_rule)
from villagectl.values import (NotANumber, as_text, clean_text, find_group, find_year, fmt_number, group_key, header_key,
                               to_date, to_points)

INFO = "提醒"  # a note on how the file was read (never blocks an import)

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


PLUS, MINUS = "加分", "扣分"  # a column of awards / of deductions: its numbers take the column's sign
POINT_COLUMNS = ("积分", PLUS, MINUS)
_ITEM_WORDS = re.compile(r"事由|原因|内容|事项|项目")
_NOTE_WORDS = re.compile(r"备注|说明|附注|事迹")


def event_field(text: object) -> str | None:
    """What an event sheet's header means, by the words it contains: 扣分事由 / 加分原因 / 事项内容 read as the
    item, 加分 and 扣分 as points of that sign, 加减分 / 积分 / 分值 as signed points; 备注 / 说明 never as the item."""
    key = header_key(text)
    if not key:
        return None
    if _ITEM_WORDS.search(key) and re.search(r"(?:编码|代码|代号)$", key):
        return "编码"
    name = match_field(text, EVENT_FIELDS)
    if name:
        return name
    if len(key) > 6 or field_of(text) in (TOTAL, SUBTOTAL, SEQUENCE):  # a caption over columns, a total, a 序号
        return None
    if _NOTE_WORDS.search(key):
        return "说明"
    if _ITEM_WORDS.search(key):
        return "项目"
    if "次数" in key:
        return "次数"
    if re.search(r"日期|时间", key):
        return "日期"
    if re.search(r"分[值数]?$", key):  # 加分, 扣分分值, 文明积分 (never 充分就业)
        minus, plus = bool(re.search(r"扣|减|罚", key)), bool(re.search(r"加|奖", key))
        if minus != plus:
            return MINUS if minus else PLUS
        return "积分"
    return None


def _usable_columns(columns) -> bool:
    return bool({"户号", "户主"} & set(columns)) and bool({"编码", "项目", *POINT_COLUMNS} & set(columns))


def _usable(table) -> bool:
    return _usable_columns(table.columns)


def locate_events(sheet) -> LocatedTable | None:
    """The header row among the first rows naming the most event columns (see event_field), with its data rows."""
    best: tuple[int, dict[str, int]] | None = None
    for r, row in enumerate(sheet.rows[:HEADER_SEARCH_ROWS]):
        found: dict[str, int] = {}
        for c, value in enumerate(row):
            name = event_field(value)
            if name and name not in found:
                found[name] = c
        if _usable_columns(found) and (best is None or len(found) > len(best[1])):
            best = (r, found)
    if best is None:
        return None
    r, columns = best
    used = set(columns.values())
    others = {c: clean_text(v) for c, v in enumerate(sheet.rows[r]) if c not in used and clean_text(v)}
    table = LocatedTable(sheet, r, columns, others)
    table.data_rows = data_rows(sheet, r, list(columns.values()))
    return table


def identify(book: WorkbookRows) -> int:
    """The event columns a sheet's header names (0: no sheet has 户号/户主 and 编码/项目/积分)."""
    best = 0
    for sheet in book.sheets:
        table = locate_events(sheet)
        if table is not None:
            best = max(best, len(table.columns))
    return best


def read_event_file(book: WorkbookRows, display_name: str, ledger, events: pd.DataFrame, today: dt.date
                    ) -> tuple[list[NewEvent], list[Problem]]:
    return extract(book, EventContext(display_name, ledger, events, today))


def _points(table: LocatedTable, r: int) -> tuple[float | None, str | None, str]:
    """(signed points or None when blank, the column they came from, the message when they cannot be read)."""
    given = [(name, table.value(r, name)) for name in POINT_COLUMNS if name in table.columns and clean_text(table.value(r, name))]
    if not given:
        return None, None, ""
    if len(given) > 1:
        return None, given[0][0], "、".join(f"“{n}”" for n, _ in given) + "同一行都写了分，请只填一列"
    name, value = given[0]
    try:
        points = to_points(value)
    except NotANumber:
        return None, name, f"{name}“{clean_text(value)}”不是分数（写 3、+3、-2 或 扣2分）"
    if name == MINUS:
        points = -abs(points)
    elif name == PLUS and points < 0:
        return None, name, f"“加分”列写了 {clean_text(value)}；扣分请写在“扣分”列，或写在同一列的“加减分”里"
    return points, name, ""


def _kind(points: float | None, column: str | None) -> str | None:
    """加分 / 扣分 as the row's sign says (None: either)."""
    if column == PLUS or (points is not None and points > 0):
        return "加分"
    if column == MINUS or (points is not None and points < 0):
        return "扣分"
    return None


def _year_of(texts: list[tuple[str, str]], today: dt.date) -> tuple[int, str]:
    """The year of a date written without one: from the first text naming a year, else ``today``'s."""
    for where, text in texts:
        year = find_year(text)
        if year:
            return year, where
    return today.year, "导入日期（--date 或今天）"


def extract(book: WorkbookRows, ctx: EventContext) -> tuple[list[NewEvent], list[Problem]]:
    """Every event of a file, or the problems that refuse it (caps count earlier lines of the file too)."""
    display_name, ledger, events, today = ctx.display_name, ctx.ledger, ctx.events, ctx.today
    roster = Roster(ledger.frame(schema.HOUSEHOLDS.name))
    rules = event_rules(ledger)
    problems: list[Problem] = []
    new: list[NewEvent] = []
    pending = events.copy()
    found = False
    matched, titles = 0, []
    for sheet in book.sheets:
        if not any(clean_text(v) for row in sheet.rows for v in row):
            continue
        table = locate_events(sheet)
        if table is None:
            problems.append(Problem(Location(display_name, sheet.name),
                                    "前10行里找不到事件表的表头（要有“户号”或“户主”列，以及“编码”或“项目”列），这个工作表已跳过", "警告"))
            continue
        found = True
        title = " ".join(clean_text(v) for row in sheet.rows[: table.header_row] for v in row if clean_text(v))
        titles.append(f"{title} {sheet.name}")
        sheet_group = find_group(title) or find_group(sheet.name) or find_group(display_name)
        year, year_from = _year_of([("标题", title), ("工作表名", sheet.name), ("文件名", display_name)], today)
        yearless: list[str] = []
        guessed: dict[tuple[str, str], list[str]] = {}  # (typed item, the rule it reads as) → its cells
        for r in table.data_rows:
            def at(name: str) -> Location:
                c = table.columns.get(name)
                return Location(display_name, sheet.name, cell_ref(r, c) if c is not None else f"第{r + 1}行")

            group_cell = clean_text(table.value(r, "组别"))
            lookup = roster.find(clean_text(table.value(r, "户号")), clean_text(table.value(r, "户主")),
                                 group_key(group_cell) if group_cell else sheet_group, purpose="记分")
            for target, message, severity in lookup.problems:
                message = message.replace("请在表中加一列户号，或用 --group 指明组别", "请在表中加一列户号或组别")
                problems.append(Problem(at("户号" if target == "id" and "户号" in table.columns else "户主"), message, severity))
            if lookup.index is None:
                continue
            matched += 1
            hid = clean_text(roster[lookup.index]["户号"])
            count, message = table.count(r)
            if message:
                problems.append(Problem(at("次数"), message))
                continue
            day, message = table.day(r, today, year=year)
            if message:
                problems.append(Problem(at("日期"), message))
                continue
            if clean_text(table.value(r, "日期")):
                try:
                    to_date(table.value(r, "日期"))
                except ValueError:
                    yearless.append(at("日期").cell)
            points, point_column, message = _points(table, r)
            if message:
                problems.append(Problem(at(point_column), message))
                continue
            code_text, item_text = clean_text(table.value(r, "编码")), clean_text(table.value(r, "项目"))
            rule_text = code_text or item_text
            rule_column = "编码" if code_text else "项目"
            note = as_text(table.value(r, "说明"))  # kept as typed
            source = f"{display_name} / {sheet.name} / 第{r + 1}行"
            member = clean_text(table.value(r, "成员"))
            rule, free = None, False
            if rule_text:
                reading = read_rule(rules, rule_text, None if code_text else _kind(points, point_column))
                rule = reading.rule
                if rule is not None and points is not None and abs(event_points(rule, count) - points) > 1e-9:
                    if not (reading.exact or code_text):
                        problems.append(Problem(at(rule_column), f"“{rule_text}”含规则 {rule.code} {rule.item} 的名称，但分值不同"
                                                f"（规则 {fmt_number(event_points(rule, count))} 分，表中 {fmt_number(points)} 分），"
                                                "按临时加扣分记", INFO))
                        rule, free = None, True
                    else:
                        problems.append(Problem(at(point_column), (
                            f"{point_column}“{clean_text(table.value(r, point_column))}”和 {rule.code} {rule.item} 的分值"
                            f"（{fmt_number(event_points(rule, count))} 分）不符；按规则记请把这一格改成 "
                            f"{fmt_number(event_points(rule, count))} 或留空，规则以外的临时加扣分请在“{rule_column}”格写明原因")))
                        continue
                if rule is None and not free:
                    if points is None or reading.candidates:
                        problems.append(Problem(at(rule_column), file_rule_message(rules, rule_text, reading, rule_column)))
                        continue
                    free = True
                if rule is not None and not reading.exact:
                    guessed.setdefault((rule_text, rule.code), []).append(at(rule_column).cell)
            elif points is None:
                problems.append(Problem(at("项目" if "项目" in table.columns else "户主"),
                                        "这一行没有写事项：请在“项目”格写规则里的项目名称或编码，临时加扣分写上积分和原因"))
                continue
            try:
                if rule is not None:
                    event = build_event(ledger, pending, hid, rule.code, count, day, note, member, None, source)
                else:  # a typed score with no rule: a free-form award/deduction, the 项目 text is its reason
                    event = build_event(ledger, pending, hid, None, count, day,
                                        note or as_text(table.value(r, "项目")) or rule_text, member, points, source)
            except EventRefused as exc:
                column = rule_column
                message = str(exc)
                if "次数" in message:
                    column = "次数"
                elif "临时加扣分" in message or "原因" in message:
                    column = point_column or "积分"
                problems.append(Problem(at(column), message.replace("（--note）", "（在“说明”或“项目”格写）")))
                continue
            new.append(event)
            pending = _with(pending, event)
        for (text, code), cells in guessed.items():
            rows = f"（{cells[0]} 等 {len(cells)} 行）" if len(cells) > 1 else ""
            problems.append(Problem(Location(display_name, sheet.name, cells[0]),
                                    f"“{text}”按 {code} {rules[code].item}记{rows}", INFO))
        if yearless:
            cells = f"{yearless[0]} 等 {len(yearless)} 格" if len(yearless) > 1 else f"{yearless[0]} "
            where = f"{year_from}里的" if year_from in ("标题", "工作表名", "文件名") else f"{year_from}的"
            problems.append(Problem(Location(display_name, sheet.name, yearless[0]),
                                    f"{cells}的日期没有写年份，按{where} {year} 年记", INFO))
    if not found:
        problems.append(Problem(Location(display_name), "文件里没有找到事件表（表头要有“户号”或“户主”列和“编码”或“项目”列）"))
    problems = collapse_not_found(problems, roster, display_name, titles, ledger.settings().get("村名", ""), matched)
    return new, problems


def _with(events: pd.DataFrame, event: NewEvent) -> pd.DataFrame:
    """Events plus one pending row, so caps count earlier lines of the same file."""
    row = {"日期": event.date.isoformat(), "户号": event.household_id, "编码": event.rule.code if event.rule else "自由",
           "积分": event.points, "状态": "申报"}
    return pd.concat([events, pd.DataFrame([row], dtype=object)], ignore_index=True)
