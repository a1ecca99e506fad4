"""Batches of award/deduction/veto events from sheets (same tolerance as the inspection import).

Importer protocol (importers/fields.py): ``FIELDS``, ``identify(book)``, ``extract(book, ctx)`` with
``ctx`` an ``EventContext``; ``read_event_file`` is the call ``event import`` makes.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

import pandas as pd

from villagectl.errors import Location, Problem
from villagectl.importers.households_lookup import Roster, collapse_not_found
from villagectl.importers.fields import (GROUP_FIELD, HEAD_FIELD, HOUSEHOLD_ID_FIELD, SEQUENCE, SUBTOTAL, TOTAL, FieldSpec,
                                        field_of, plainly_info)
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
_ITEM_WORDS = re.compile(r"事由|原因|理由|内容|事项|项目|情况|行为|依据")
_ITEM_END = re.compile(r"(?:事由|原因|理由|情况|行为|依据|内容|事项)$")  # 扣分事由及依据, 扣分具体事由
_NOTE_WORDS = re.compile(r"备注|说明|附注|事迹")
# a household's balance (现有积分 35), never the points of the line
_BALANCE = re.compile(r"(?:现有|现存|累计|累积|剩余|原有|结余|当前|目前|可用|上期|上月|期初|期末|历年|总)积分|积分(?:余额|结余|累计|总额|总数|合计)|余额")


def event_field(text: object) -> str | None:
    """What an event sheet's header means, by the words it contains: 扣分事由 / 加分原因 / 事项内容 read as the
    item, 加分 and 扣分 as points of that sign, 加减分 / 积分 / 分值 as signed points; 备注 / 说明 never as the item."""
    key = header_key(text)
    if not key:
        return None
    if _ITEM_WORDS.search(key) and re.search(r"(?:编码|代码|代号)$", key):
        return "编码"
    if _BALANCE.search(key):
        return None
    name = match_field(text, EVENT_FIELDS)
    if name:
        return name
    if field_of(text) in (TOTAL, SUBTOTAL, SEQUENCE):  # a total, a 序号
        return None
    if len(key) > 6:  # a caption over columns, unless it ends in an item word (扣分事由及依据) or a note word
        if len(key) <= 12 and re.search(r"(?:备注|说明)$", key):
            return "说明"
        if len(key) <= 12 and _ITEM_END.search(key) and not plainly_info(text):
            return "项目"
        return None
    if _NOTE_WORDS.search(key):
        return "说明"
    if _ITEM_WORDS.search(key) and not plainly_info(text):
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


def item_side(text: object) -> str | None:
    """The sign an item column is for: 加分原因 / 奖励内容 → 加分, 扣分事由 / 违规行为 → 扣分, 事由 / 加扣分原因 → None."""
    key = header_key(text)
    minus, plus = bool(re.search(r"扣|减|罚|违", key)), bool(re.search(r"加|奖|表彰", key))
    return (MINUS if minus else PLUS) if minus != plus else None


@dataclass
class EventTable(LocatedTable):
    items: list[tuple[int, str | None]] = field(default_factory=list)  # every item column: (column, its sign or None)

    def header(self, name: str | int) -> str:
        """A column's header as written in the sheet (by field name or column), for messages."""
        c = self.columns.get(name) if isinstance(name, str) else name
        text = clean_text(self.sheet.cell(self.header_row, c)) if c is not None else ""
        return text or str(name)


def locate_events(sheet) -> EventTable | None:
    """The header row among the first rows naming the most event columns (see event_field), with its data rows;
    every item column is kept (加分原因 and 扣分原因 side by side), ``columns["项目"]`` being the first."""
    best: tuple[int, dict[str, int], list[int]] | None = None
    for r, row in enumerate(sheet.rows[:HEADER_SEARCH_ROWS]):
        found: dict[str, int] = {}
        items: list[int] = []
        for c, value in enumerate(row):
            name = event_field(value)
            if name == "项目":
                items.append(c)
            if name and name not in found:
                found[name] = c
        if _usable_columns(found) and (best is None or len(found) > len(best[1])):
            best = (r, found, items)
    if best is None:
        return None
    r, columns, items = best
    used = set(columns.values()) | set(items)
    others = {c: clean_text(v) for c, v in enumerate(sheet.rows[r]) if c not in used and clean_text(v)}
    table = EventTable(sheet, r, columns, others, items=[(c, item_side(sheet.cell(r, c))) for c in items])
    table.data_rows = data_rows(sheet, r, sorted(used))
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


def _points(table: EventTable, r: int) -> tuple[float | None, str | None, str]:
    """(signed points or None when blank, the column they came from, the message when they cannot be read)."""
    given = [(name, table.value(r, name)) for name in POINT_COLUMNS if name in table.columns and clean_text(table.value(r, name))]
    if not given:
        return None, None, ""
    if len(given) > 1:
        return None, given[0][0], "、".join(f"“{table.header(n)}”" for n, _ in given) + "同一行都写了分，请只填一列"
    name, value = given[0]
    try:
        points = to_points(value)
    except NotANumber:
        return None, name, f"{table.header(name)}“{clean_text(value)}”不是分数（写 3、+3、-2 或 扣2分）"
    if name == MINUS:
        points = -abs(points)
    elif name == PLUS and points < 0:
        minus = f"“{table.header(MINUS)}”列" if MINUS in table.columns else "扣分列"
        return None, name, f"“{table.header(name)}”列写了 {clean_text(value)}；扣分请写在{minus}，或写在同一列的“加减分”里"
    return points, name, ""


def _item(table: EventTable, r: int, kind: str | None) -> tuple[int | None, str, str | None, str, list[str]]:
    """The item column a row is read from: (its column, its text, the row's sign when only the column tells it,
    the message when the row's item columns contradict its sign, the texts of further item columns of its sign).
    A 加分原因 goes with 加分, a 扣分原因 with 扣分; a column for the other sign is never read silently."""
    filled = [(c, side, clean_text(table.sheet.cell(r, c))) for c, side in table.items if clean_text(table.sheet.cell(r, c))]
    first = table.items[0][0] if table.items else None
    if "项目" in table.columns:  # a merged cell down the rows reads as its top (table.value)
        top = clean_text(table.value(r, "项目"))
        if top and not any(c == first for c, _, _ in filled):
            filled.insert(0, (first, table.items[0][1], top))
    if not filled:
        return first, "", None, "", []
    sides = {side for _, side, _ in filled if side}
    if kind is None and len(sides) > 1:
        named = "、".join(f"“{table.header(c)}”" for c, side, _ in filled if side)
        return filled[0][0], filled[0][2], None, f"{named}都写了，这一行又没有写分，分不清是加分还是扣分；请写上分，或只留一格", []
    kind = kind or (sides.pop() if sides else None)
    on = [f for f in filled if f[1] in (None, kind)]
    off = [f for f in filled if f[1] not in (None, kind)]
    if off:
        c, side, text = off[0]
        same = [x for x, sd in table.items if sd == kind]
        where = f"请把原因写在“{table.header(same[0])}”格" if same else "请把原因写在同一边的格里"
        if on:
            message = f"这一行记的是{kind}，“{table.header(c)}”格的“{text}”没有读；{side}请另起一行写上分，不是的话请清空这一格"
        else:
            message = f"这一行记的是{kind}，原因却写在“{table.header(c)}”格；{where}，或把分写到{side}那一列"
        return c, text, kind, message, []
    return on[0][0], on[0][2], kind, "", [t for _, _, t in on[1:]]


def _kind(points: float | None, column: str | None) -> str | None:
    """加分 / 扣分 as the row's sign says (None: either)."""
    if column == PLUS or (points is not None and points > 0):
        return "加分"
    if column == MINUS or (points is not None and points < 0):
        return "扣分"
    return None


TODAY_YEAR = "导入日期（--date 或今天）"


def _year_of(texts: list[tuple[str, str]], today: dt.date) -> tuple[int, str]:
    """The year of a date written without one: from the first text naming a year, else ``today``'s (see
    ``extract``: a date after ``today`` then belongs to the year before)."""
    for where, text in texts:
        year = find_year(text)
        if year:
            return year, where
    return today.year, TODAY_YEAR


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
        last_year: list[str] = []  # yearless dates that would fall after the import date: the year before
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
                problems.append(Problem(at("次数"), _as_written(table, "次数", message)))
                continue
            day, message = table.day(r, today, year=year)
            if message:
                problems.append(Problem(at("日期"), _as_written(table, "日期", message)))
                continue
            if clean_text(table.value(r, "日期")):
                try:
                    to_date(table.value(r, "日期"))
                except ValueError:
                    if year_from == TODAY_YEAR and day > today:  # 12月28日 imported on 5 January: last December
                        earlier, message = table.day(r, today, year=year - 1)
                        if earlier is None:  # 2月29日 of a leap year, and the year before has none
                            problems.append(Problem(at("日期"), _as_written(table, "日期", message)))
                            continue
                        day = earlier
                        last_year.append(at("日期").cell)
                    else:
                        yearless.append(at("日期").cell)
            points, point_column, message = _points(table, r)
            if message:
                problems.append(Problem(at(point_column), message))
                continue
            item_c, item_text, side, message, more_items = _item(table, r, _kind(points, point_column))
            if message:
                problems.append(Problem(Location(display_name, sheet.name, cell_ref(r, item_c)), message))
                continue
            code_text = clean_text(table.value(r, "编码"))
            rule_text = code_text or item_text
            rule_column = "编码" if code_text else "项目"
            shown_column = table.header("编码") if code_text else (table.header(item_c) if item_c is not None else "项目")
            note = as_text(table.value(r, "说明"))  # kept as typed
            if more_items:  # a second item column of the row's sign (事由 and 扣分依据): kept in the note
                note = "；".join(x for x in [note, *more_items] if x)

            def at_rule() -> Location:
                if rule_column == "项目" and item_c is not None:
                    return Location(display_name, sheet.name, cell_ref(r, item_c))
                return at(rule_column)
            source = f"{display_name} / {sheet.name} / 第{r + 1}行"
            member = clean_text(table.value(r, "成员"))
            rule, free = None, False
            if rule_text:
                reading = read_rule(rules, rule_text, None if code_text else (_kind(points, point_column) or side))
                rule = reading.rule
                if rule is not None and points is not None and abs(event_points(rule, count) - points) > 1e-9:
                    if not (reading.exact or code_text):
                        problems.append(Problem(at_rule(), f"“{rule_text}”含规则 {rule.code} {rule.item} 的名称，但分值不同"
                                                f"（规则 {fmt_number(event_points(rule, count))} 分，表中 {fmt_number(points)} 分），"
                                                "按临时加扣分记", INFO))
                        rule, free = None, True
                    else:
                        problems.append(Problem(at(point_column), (
                            f"{table.header(point_column)}“{clean_text(table.value(r, point_column))}”和 {rule.code} {rule.item} 的分值"
                            f"（{fmt_number(event_points(rule, count))} 分）不符；按规则记请把这一格改成 "
                            f"{fmt_number(event_points(rule, count))} 或留空，规则以外的临时加扣分请在“{shown_column}”格写明原因")))
                        continue
                if rule is None and not free:
                    if points is None or reading.candidates or reading.negated:
                        problems.append(Problem(at_rule(), file_rule_message(rules, rule_text, reading, shown_column)))
                        continue
                    free = True
                if rule is not None and not reading.exact:
                    guessed.setdefault((rule_text, rule.code), []).append(at_rule().cell)
            elif points is None:
                problems.append(Problem(at_rule() if item_c is not None else at("户主"),
                                        f"这一行没有写事项：请在“{shown_column}”格写规则里的项目名称或编码，临时加扣分写上积分和原因"))
                continue
            try:
                if rule is not None:
                    event = build_event(ledger, pending, hid, rule.code, count, day, note, member, None, source)
                else:  # a typed score with no rule: a free-form award/deduction, the 项目 text is its reason
                    event = build_event(ledger, pending, hid, None, count, day,
                                        note or (as_text(table.sheet.cell(r, item_c)) if item_text and item_c is not None
                                                 and not code_text else "") or rule_text, member, points, source)
            except EventRefused as exc:
                message = str(exc)
                where = at_rule()
                if "次数" in message:
                    where = at("次数")
                elif "临时加扣分" in message or "原因" in message:
                    where = at(point_column or "积分")
                write = "或".join(f"“{h}”" for h in dict.fromkeys(
                    [table.header("说明") if "说明" in table.columns else "说明", *[table.header(c) for c, sd in table.items
                                                                                 if sd in (None, _kind(points, point_column))][:1]]))
                problems.append(Problem(where, message.replace("（--note）", f"（在{write}格写）")))
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
        if last_year:
            cells = f"{last_year[0]} 等 {len(last_year)} 格" if len(last_year) > 1 else f"{last_year[0]} "
            problems.append(Problem(Location(display_name, sheet.name, last_year[0]), (
                f"{cells}的日期没有写年份；记在导入日期的 {year} 年会晚于导入日期 {today.isoformat()}，"
                f"按上一年 {year - 1} 年记（不对的话请写上年份）"), INFO))
    if not found:
        problems.append(Problem(Location(display_name), "文件里没有找到事件表（表头要有“户号”或“户主”列和“编码”或“项目”列）"))
    problems = collapse_not_found(problems, roster, display_name, titles, ledger.settings().get("村名", ""), matched)
    return new, problems


def _as_written(table: EventTable, name: str, message: str) -> str:
    """A table.py message that starts with the field name (日期“…”看不懂) quoting the header as written."""
    return table.header(name) + message[len(name):] if message.startswith(name) else message


def _with(events: pd.DataFrame, event: NewEvent) -> pd.DataFrame:
    """Events plus one pending row, so caps count earlier lines of the same file."""
    row = {"日期": event.date.isoformat(), "户号": event.household_id, "编码": event.rule.code if event.rule else "自由",
           "积分": event.points, "状态": "申报"}
    return pd.concat([events, pd.DataFrame([row], dtype=object)], ignore_index=True)
