"""Grid workers' inspection sheets → per-household scores with exact cell references.

One pure function per file (``read_inspection_file``): it finds the table
(single or two-level header), maps item columns to the rule catalogue,
finds each household by 户号 or by 户主 within the group, and checks every
score. Cross-file checks and the ledger live in ``actions.inspect_import``.
"""

from __future__ import annotations

import datetime as dt
import re
from functools import lru_cache
from dataclasses import dataclass, field

import pandas as pd

from villagectl.errors import Location, Problem
from villagectl.importers.formula import Unsupported, evaluate
from villagectl.importers.households_lookup import Roster
from villagectl.importers.table import FieldSpec, data_rows, is_footer
from villagectl.io.reader import SheetRows, WorkbookRows, cell_ref
from villagectl.rules.presets import Rule
from villagectl.values import (
    NotANumber,
    clean_name,
    clean_text,
    find_group,
    find_month,
    find_year,
    fmt_number,
    group_key,
    header_key,
    to_number,
)

HEADER_SEARCH_ROWS = 10

ID_FIELDS = [
    FieldSpec("户号", ("户编号", "编号", "户码", "户籍编号", "户代码")),
    FieldSpec("户主", ("户主姓名", "姓名", "户主名", "农户姓名", "户名", "被检查户", "户主姓名(签字)")),
    FieldSpec("组别", ("组", "村民小组", "小组", "所在组", "所属组", "组名", "网格")),
    FieldSpec("合计", ("总分", "总计", "得分合计", "合计得分", "总得分", "合计分", "小计", "得分", "实得分")),
]
IGNORED_HEADERS = {
    header_key(h)
    for h in (
        "序号", "No", "No.", "备注", "说明", "评语", "检查意见", "存在问题", "问题", "整改意见", "户主签字", "签字",
        "签名", "户主签名", "检查人", "检查人签字", "日期", "检查日期", "联系电话", "电话", "人口", "家庭人口",
        "地址", "住址", "门牌号", "积分", "等次", "名次", "排名",
    )
}
_MAX_IN_HEADER = re.compile(r"[(（\[【]?\s*(?:满分)?\s*(\d+(?:\.\d+)?)\s*分?\s*[)）\]】]?$")


def item_key(text: object) -> str:
    """'庭院\\n(15分)', '庭院（满分15分）', '庭院15分' → '庭院'."""
    return _item_key(text if isinstance(text, str) else clean_text(text))


@lru_cache(maxsize=65536)
def _item_key(text: str) -> str:
    raw = clean_name(text)
    stripped = _MAX_IN_HEADER.sub("", raw)
    return header_key(stripped or raw)


def max_in_header(text: object) -> float | None:
    m = _MAX_IN_HEADER.search(clean_name(text))
    if m and m.group(1) and ("分" in m.group(0) or "(" in m.group(0) or "（" in m.group(0)):
        return float(m.group(1))
    return None


@dataclass
class InspectionRow:
    household_id: str
    name: str
    group: str
    scores: dict[str, float]  # rule code -> score
    sheet: str
    row: int  # Excel row number
    id_cell: str


@dataclass
class FileResult:
    file: str
    month: str | None = None
    rows: list[InspectionRow] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    groups: set[str] = field(default_factory=set)
    skipped_blank: int = 0  # households listed with no scores at all

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "错误"]


@dataclass
class Context:
    """What a file is read against: the rules and the roster."""

    rules: list[Rule]  # 检查项 only, in catalogue order
    households: pd.DataFrame  # 户籍
    month: str | None = None  # --month
    group: str | None = None  # --group
    today: dt.date = field(default_factory=dt.date.today)

    def __post_init__(self) -> None:
        self.item_keys: dict[str, str] = {}
        # codes are matched exactly: item_key() strips a trailing number ("庭院15" → "庭院"),
        # which would turn "RJ1"…"RJ5" into the same key
        self.code_keys: dict[str, str] = {header_key(r.code): r.code for r in self.rules}
        for r in self.rules:
            keys = [r.item, r.category + r.item] + [s for s in re.split(r"[、,，;；/]", r.synonyms) if s]
            for k in keys:
                self.item_keys.setdefault(item_key(k), r.code)
        self.roster = Roster(self.households)

    def household(self, i: int) -> dict:
        return self.roster[i]


@dataclass
class _Header:
    row: int  # 0-based row of the (lower) header line
    top: int  # 0-based first header line (== row for single-level)
    items: dict[str, int]  # code -> column
    ids: dict[str, int]  # 户号/户主/组别/合计 -> column
    labels: dict[int, str]  # column -> header text
    unmatched: dict[int, str]


_ID_KEYS = {header_key(s): f.name for f in reversed(ID_FIELDS) for s in (f.name, *f.synonyms)}


def _id_field(text: str) -> str | None:
    return _ID_KEYS.get(header_key(text))


def _labels(sheet: SheetRows, top: int, bottom: int) -> dict[int, str]:
    width = max((len(sheet.rows[r]) for r in range(top, bottom + 1)), default=0)
    out: dict[int, str] = {}
    for c in range(width):
        lower = clean_text(sheet.cell(bottom, c))
        upper = clean_text(sheet.cell(top, c))
        text = lower or upper
        if text:
            out[c] = text
    return out


def _classify(labels: dict[int, str], ctx: Context) -> _Header:
    items: dict[str, int] = {}
    ids: dict[str, int] = {}
    unmatched: dict[int, str] = {}
    for c, text in labels.items():
        field_name = _id_field(text)
        code = (ctx.code_keys.get(header_key(text)) or ctx.item_keys.get(item_key(text))) if field_name is None else None
        if field_name and field_name not in ids:
            ids[field_name] = c
        elif code and code not in items:
            items[code] = c
        elif header_key(text) not in IGNORED_HEADERS and item_key(text) not in IGNORED_HEADERS:
            unmatched[c] = text
    return _Header(0, 0, items, ids, labels, unmatched)


def find_header(sheet: SheetRows, ctx: Context) -> _Header | None:
    best: tuple[int, _Header] | None = None
    for r in range(min(HEADER_SEARCH_ROWS, len(sheet.rows))):
        for bottom in (r, r + 1):
            if bottom >= len(sheet.rows):
                continue
            h = _classify(_labels(sheet, r, bottom), ctx)
            if not h.items or not ({"户号", "户主"} & set(h.ids)):
                continue
            h.row, h.top = bottom, r
            score = len(h.items) * 2 + len(h.ids) - len(h.unmatched)
            if best is None or score > best[0]:
                best = (score, h)
    return best[1] if best else None


def _sheet_text(sheet: SheetRows, upto: int) -> str:
    return " ".join(clean_text(v) for row in sheet.rows[:upto] for v in row if clean_text(v))


def _footer_text(sheet: SheetRows, start: int) -> str:
    for r in range(start, len(sheet.rows)):
        if is_footer(sheet.rows[r]):
            return " ".join(clean_text(v) for row in sheet.rows[r:] for v in row if clean_text(v))
    return ""


def read_inspection_file(book: WorkbookRows, display_name: str, ctx: Context) -> FileResult:
    result = FileResult(display_name)
    # a month written without its year ("12月") takes the year written elsewhere in the file,
    # else that of --month, else this year (December's sheets are often imported in January)
    name_year = find_year(display_name)
    file_month_year = name_year or (int(ctx.month[:4]) if ctx.month else None) or ctx.today.year
    sheet_year: int | None = None
    months: dict[str, str] = {}  # month -> where it was found
    seen: dict[str, tuple[str, int, str]] = {}
    any_table = False
    for sheet in book.sheets:
        if not any(clean_text(v) for row in sheet.rows for v in row):
            continue  # empty sheets are ignored
        header = find_header(sheet, ctx)
        if header is None:
            if any(clean_text(v) for row in sheet.rows[:HEADER_SEARCH_ROWS] for v in row):
                result.problems.append(
                    Problem(Location(display_name, sheet.name),
                            "前10行里找不到检查表的表头（要有“户号”或“户主”列，以及至少一个检查项列），这个工作表已跳过", "警告")
                )
            continue
        any_table = True
        title = _sheet_text(sheet, header.top)
        found_year = find_year(title) or find_year(_footer_text(sheet, header.row + 1))
        sheet_year = sheet_year or found_year
        year = found_year or file_month_year
        title_month = find_month(title, year)
        if title_month:
            months.setdefault(title_month, f"{sheet.name} 的标题")
        _read_sheet(sheet, header, ctx, result, seen, title + " " + sheet.name, display_name)
    name_month = find_month(_stem(display_name), name_year or sheet_year or file_month_year)
    if name_month:
        months.setdefault(name_month, "文件名")
    if not any_table:
        # no table, nothing to date: a "请用 --month 指定" on top would send the clerk the wrong way
        result.problems.append(Problem(Location(display_name), "文件里没有找到检查表（表头要有“户号”或“户主”列和检查项列）"))
        return result
    _settle_month(result, months, ctx)
    return result


def _stem(name: str) -> str:
    return name.rsplit(".", 1)[0]


def _settle_month(result: FileResult, months: dict[str, str], ctx: Context) -> None:
    where = Location(result.file)
    if ctx.month:
        for month, source in months.items():
            if month != ctx.month:
                result.problems.append(
                    Problem(where, f"{source}写的是 {month}，与 --month {ctx.month} 不符；请核对是不是发错了月份")
                )
        result.month = ctx.month
        return
    if len(months) > 1:
        found = "、".join(f"{source} {m}" for m, source in months.items())
        result.problems.append(Problem(where, f"月份不一致（{found}），请用 --month 指定"))
        return
    if not months:
        result.problems.append(Problem(where, "标题和文件名里都找不到月份，请用 --month 指定（如 --month 2026-07）"))
        return
    result.month = next(iter(months))


def _read_sheet(
    sheet: SheetRows,
    header: _Header,
    ctx: Context,
    result: FileResult,
    seen: dict[str, tuple[str, int, str]],
    title: str,
    file: str,
) -> None:
    def at(r: int, c: int | None = None) -> Location:
        return Location(file, sheet.name, cell_ref(r, c) if c is not None else f"第{r + 1}行")

    header_loc = Location(file, sheet.name, f"第{header.row + 1}行（表头）")
    for c, text in header.unmatched.items():
        result.problems.append(
            Problem(Location(file, sheet.name, cell_ref(header.row if clean_text(sheet.cell(header.row, c)) else header.top, c)),
                    f"列“{text}”对应不上规则中的检查项；如果它是某个检查项的别称，请在“规则”表该项的“同义词”里加上它")
        )
    for rule in ctx.rules:
        if rule.code not in header.items:
            result.problems.append(Problem(header_loc, f"缺少检查项“{rule.item}”（{rule.code}）的列"))
        else:
            stated = max_in_header(header.labels.get(header.items[rule.code], ""))
            if stated is not None and abs(stated - rule.points) > 1e-9:
                c = header.items[rule.code]
                result.problems.append(
                    Problem(at(header.row, c), f"表头写{rule.item}满分 {fmt_number(stated)}，规则中满分为 {fmt_number(rule.points)}", "警告")
                )
    sheet_group = group_key(ctx.group) if ctx.group else find_group(title) or find_group(file)
    columns = list(header.items.values()) + [c for k, c in header.ids.items() if k in ("户号", "户主")]
    rows = data_rows(sheet, header.row, columns)
    id_col = header.ids.get("户号")
    name_col = header.ids.get("户主")
    # a column headed "编号" that holds row numbers, not 户号: fall back to names
    if id_col is not None and name_col is not None and rows and not any(
        clean_text(sheet.cell(r, id_col)) in ctx.roster.ids for r in rows
    ):
        id_col = None
    for r in rows:
        located = _locate_household(sheet, r, id_col, name_col, header, ctx, sheet_group, at, result)
        if located is None:
            continue
        i, id_loc = located
        hh = ctx.household(i)
        hid = clean_text(hh["户号"])
        scores: dict[str, float] = {}
        blanks: list[tuple[Rule, int]] = []
        bad = False
        for rule in ctx.rules:
            c = header.items.get(rule.code)
            if c is None:
                continue
            value = sheet.cell(r, c)
            if value == "" and (r, c) in sheet.formulas:
                try:
                    value = evaluate(sheet.formulas[(r, c)], sheet)
                except Unsupported:
                    result.problems.append(
                        Problem(at(r, c), f"{rule.item} 是公式（={sheet.formulas[(r, c)]}）但文件里没有保存计算结果；请在 Excel/WPS 中打开、保存后再发来")
                    )
                    bad = True
                    continue
            try:
                score = to_number(value)
            except NotANumber:
                result.problems.append(Problem(at(r, c), f"{rule.item} 得分“{clean_text(value)}”不是数字"))
                bad = True
                continue
            if score is None:
                blanks.append((rule, c))
                continue
            problem = score_problem(rule, score)
            if problem:
                result.problems.append(Problem(at(r, c), problem))
                bad = True
                continue
            scores[rule.code] = score
        if blanks and not scores and not bad:
            result.skipped_blank += 1
            result.problems.append(Problem(id_loc, f"{clean_text(hh['户主'])}（{hid}）没有打分，按本月未检查处理", "警告"))
            continue
        for rule, c in blanks:
            result.problems.append(Problem(at(r, c), f"{rule.item} 没有打分"))
            bad = True
        if hid in seen:
            sheet_name, row, cell = seen[hid]
            other = f"{cell}" if sheet_name == sheet.name else f"{sheet_name} / {cell}"
            result.problems.append(Problem(id_loc, f"{clean_text(hh['户主'])}（{hid}）在本文件中出现两次（另一处在 {other}）"))
            continue
        seen[hid] = (sheet.name, r + 1, id_loc.cell)
        if bad:
            continue
        total_col = header.ids.get("合计")
        if total_col is not None:
            _check_typed_total(sheet, r, total_col, scores, at, result)
        result.groups.add(clean_text(hh["组别"]))
        result.rows.append(
            InspectionRow(hid, clean_text(hh["户主"]), clean_text(hh["组别"]), scores, sheet.name, r + 1, id_loc.cell)
        )


def score_problem(rule: Rule, score: float) -> str | None:
    if score < 0:
        return f"{rule.item} 得分 {fmt_number(score)} 不能小于 0"
    if score > rule.points + 1e-9:
        return f"{rule.item} 得分 {fmt_number(score)} 超过满分 {fmt_number(rule.points)}"
    if rule.step:
        steps = score / rule.step
        if abs(steps - round(steps)) > 1e-6:
            return f"{rule.item} 得分 {fmt_number(score)} 不符合打分步长 {fmt_number(rule.step)}"
    return None


def _check_typed_total(sheet, r, c, scores, at, result) -> None:
    value = sheet.cell(r, c)
    if value == "" and (r, c) in sheet.formulas:
        return  # a SUM formula without a result: nothing typed to compare
    try:
        typed = to_number(value)
    except NotANumber:
        typed = None
    computed = round(sum(scores.values()), 4)
    if typed is not None and abs(typed - computed) > 1e-6:
        result.problems.append(
            Problem(at(r, c), f"合计 {fmt_number(typed)} 与各项之和 {fmt_number(computed)} 不符，按 {fmt_number(computed)} 计算", "警告")
        )


def _locate_household(sheet, r, id_col, name_col, header, ctx: Context, sheet_group, at, result):
    """(row index in 户籍, location of the identifying cell) or None after reporting."""
    name = clean_name(sheet.cell(r, name_col)) if name_col is not None else ""
    hid = clean_text(sheet.cell(r, id_col)) if id_col is not None else ""
    group_col = header.ids.get("组别")
    row_group = group_key(sheet.cell(r, group_col)) if group_col is not None and clean_text(sheet.cell(r, group_col)) else sheet_group
    found = ctx.roster.find(hid, name, row_group)
    id_loc = at(r, id_col) if id_col is not None else None
    name_loc = at(r, name_col) if name_col is not None else at(r, 0)
    for target, message, severity in found.problems:
        loc = id_loc if target == "id" and id_loc is not None else name_loc
        if message.startswith("缺少户号和户主姓名"):
            message = "缺少户号" if id_col is not None else "缺少户主姓名"
            loc = id_loc if id_col is not None else name_loc
        result.problems.append(Problem(loc, message, severity))
    if found.index is None:
        return None
    return found.index, (id_loc if hid and id_loc is not None else name_loc)
