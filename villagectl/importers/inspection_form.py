"""A one-household form (补查登记表): the items run down the rows, the scores in a column beside them.

    户号：QS0208        户主：宋翠萍   组别：二组
    考核类别  检查内容                标准分  实得分  存在问题
    人居环境  庭院无生活垃圾、废弃物      15      8     院内柴草乱堆
              客厅家具无明显灰尘          10     9.5
    …
    合计                            100    84.5

The household is named in label：value cells or in a label cell with its
value in the next one, anywhere outside the item rows.

Importer protocol (importers/fields.py): ``FIELDS``, ``identify(book, ctx)``, ``extract(book, ctx)``
with ``ctx`` an inspection ``Context``. ``inspect import`` reaches the form through
``inspection.read_inspection_file``, which settles the month for both kinds of sheet.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from villagectl.errors import Location, Problem
from villagectl.importers import fields
from villagectl.importers.header_match import EXACT, Column, match_columns, stated_max
from villagectl.importers.inspection_scores import (
    INFO, ColumnReading, Context, FileResult, InspectionRow, check_typed_total, locate, read_scores,
)
from villagectl.importers.sheet_layout import merged_value, number_or_none
from villagectl.io.reader import SheetRows, WorkbookRows, cell_ref
from villagectl.values import clean_name, clean_text, find_groups, fmt_number, group_key, id_key

FORM_ITEM_LIKE = 40.0
_SCORE_WORDS = re.compile(r"实得|得分|实际|评分|打分|分数|考评分|检查分")
_MAX_WORDS = re.compile(r"标准|满分|分值|基础分|应得")


FIELDS = [fields.HOUSEHOLD_ID_FIELD, fields.HEAD_FIELD, fields.GROUP_FIELD]


def identify(book: WorkbookRows, ctx: Context | None = None) -> int:
    """How many sheets are one-household forms: with ``ctx``, items down a column and scores beside them;
    without, a household named in a '户号：…' / '户主：…' cell and a 实得分-like column header."""
    count = 0
    for sheet in book.sheets:
        if ctx is not None:
            form = form_layout(sheet, ctx)
            count += form is not None and not form.is_item_list
            continue
        named = any(m and fields.field_of(m.group(1)) in (fields.HOUSEHOLD_ID, fields.HEAD)
                    for row in sheet.rows[:15] for v in row
                    for m in [re.match(r"\s*([^:：]{1,8})\s*[:：]\s*\S", str(v))])
        scored = any(_SCORE_WORDS.search(clean_text(v)) for row in sheet.rows[:15] for v in row if len(clean_text(v)) <= 8)
        count += named and scored
    return count


def extract(book: WorkbookRows, ctx: Context) -> tuple[list[InspectionRow], list[Problem]]:
    """The households of the form sheets of ``book`` and their problems (the month is the caller's)."""
    result = FileResult(ctx.file)
    seen: dict = {}
    for sheet in book.sheets:
        form = form_layout(sheet, ctx)
        if form is not None and not form.is_item_list:
            read_form(sheet, form, ctx, result, seen, ctx.file, ctx.today.year)
    return result.rows, result.problems


@dataclass
class FormLayout:
    top: int  # the header row (or the first item row when there is none)
    label_col: int
    score_col: int
    max_col: int | None
    category_col: int | None
    item_rows: list[int]
    total_row: int | None

    item_texts: int = 0  # distinct item-like labels (a header repeated down the column counts once)

    @property
    def items_found(self) -> int:
        return self.item_texts

    @property
    def is_item_list(self) -> bool:
        return self.score_col < 0


def form_layout(sheet: SheetRows, ctx: Context) -> FormLayout | None:
    width = min(max((len(r) for r in sheet.rows), default=0), 12)
    best: tuple[int, int, list[int]] | None = None
    for c in range(width):
        rows = [r for r in range(len(sheet.rows)) if ctx.scanner.best(sheet.cell(r, c)) >= FORM_ITEM_LIKE]
        if best is None or len(rows) > len(best[2]):
            best = (len(rows), c, rows)
    if best is None or best[0] < min(3, len(ctx.rules)):
        return None
    _, label_col, item_rows = best
    first = item_rows[0]
    header = first - 1 if first > 0 else None
    numeric = []
    for c in range(label_col + 1, width):
        count = sum(number_or_none(sheet.cell(r, c)) is not None for r in item_rows)
        header_text = clean_text(sheet.cell(header, c)) if header is not None else ""
        numeric.append((c, count, header_text))
    score_col = max_col = None
    for c, count, text in numeric:
        if _MAX_WORDS.search(text) and max_col is None:
            max_col = c
        elif _SCORE_WORDS.search(text) and score_col is None:
            score_col = c
    if score_col is None:
        # no telling header: the numeric column that is not just the items' maxima
        for c, count, _ in numeric:
            if c == max_col or count < len(item_rows) / 2:
                continue
            if max_col is None and _equals_maxima(sheet, item_rows, label_col, c, ctx):
                max_col = c
                continue
            score_col = c
            break
    if score_col is None:
        score_col = -1  # a list of items and their maxima (考核办法), not a score sheet
    category_col = label_col - 1 if label_col > 0 else None
    total_row = None
    for r in range(item_rows[-1] + 1, min(item_rows[-1] + 4, len(sheet.rows))):
        if any(fields.is_summary_label(sheet.cell(r, c)) for c in range(0, label_col + 1)):
            total_row = r
            break
    distinct = len({clean_text(sheet.cell(r, label_col)) for r in item_rows})
    return FormLayout(header if header is not None else first, label_col, score_col, max_col, category_col,
                      item_rows, total_row, distinct)


def _equals_maxima(sheet, item_rows, label_col, c, ctx: Context) -> bool:
    values = {number_or_none(sheet.cell(r, c)) for r in item_rows}
    return values <= {float(rule.points) for rule in ctx.rules} and len(values) > 1


def _labelled(sheet: SheetRows, skip_rows: set[int]) -> dict[str, tuple[str, tuple[int, int]]]:
    """户号 / 户主 / 组别 written as '户号：QS0208' in one cell or as '户号' | 'QS0208' side by side."""
    out: dict[str, tuple[str, tuple[int, int]]] = {}
    for r, row in enumerate(sheet.rows):
        if r in skip_rows:
            continue
        for c, value in enumerate(row):
            text = clean_text(value)
            if not text:
                continue
            for part in re.split(r"\s{2,}|\u3000+", str(value).strip()):
                m = re.match(r"\s*([^:：]{1,8})\s*[:：]\s*(\S.*?)\s*$", part)
                if m:
                    name = fields.field_of(m.group(1))
                    if name in (fields.HOUSEHOLD_ID, fields.HEAD, fields.GROUP) and name not in out:
                        out[name] = (m.group(2), (r, c))
            name = fields.field_of(text)
            if name in (fields.HOUSEHOLD_ID, fields.HEAD, fields.GROUP) and name not in out:
                for c2 in range(c + 1, min(c + 4, len(row))):
                    nxt = clean_text(row[c2])
                    if nxt:
                        if not fields.field_of(nxt):
                            out[name] = (nxt, (r, c2))
                        break
    return out


def _households_across(sheet: SheetRows, form: FormLayout, ctx: Context) -> tuple[int] | None:
    """(row,) of a row above the items naming two or more of the roster's households (户号 or 户主), else None."""
    ids = {id_key(r.get("户号")) for r in ctx.roster.records} - {""}
    names = {clean_name(r.get("户主")) for r in ctx.roster.records} - {""}
    for r in range(0, (form.item_rows[0] if form.item_rows else form.top) + 1):
        row = sheet.rows[r] if r < len(sheet.rows) else []
        known = sum(1 for v in row if (id_key(v) in ids or clean_name(v) in names) and clean_text(v))
        if known >= 2:
            return (r,)
    return None


def read_form(sheet: SheetRows, form: FormLayout, ctx: Context, result: FileResult, seen: dict,
              file: str, year: int) -> bool:
    def at(r: int, c: int) -> Location:
        return Location(file, sheet.name, cell_ref(r, c))

    columns = []
    for r in form.item_rows:
        above = ()
        if form.category_col is not None:
            category = clean_text(merged_value(sheet, r, form.category_col))
            if not category:
                for up in range(r - 1, form.item_rows[0] - 1, -1):
                    category = clean_text(sheet.cell(up, form.category_col))
                    if category:
                        break
            above = (category,) if category else ()
        maximum = number_or_none(sheet.cell(r, form.max_col)) if form.max_col is not None else None
        columns.append(Column(r, str(sheet.cell(r, form.label_col)), above, maximum))
    matched = match_columns(ctx.specs, columns, ctx.learned, ctx.fillers)
    item_rows = {m.code: r for r, m in matched.matches.items()}
    blocking = False
    for r, code, other in matched.ambiguous:
        a, b = ctx.by_code[code], ctx.by_code[other]
        result.problems.append(Problem(at(r, form.label_col), (
            f"“{clean_text(sheet.cell(r, form.label_col))}”既像“{a.item}”（{code}）又像“{b.item}”（{other}），无法确定；"
            f"请在台账“表头对照”表加一行：表头文字照抄、编码填 {code} 或 {other}")))
        blocking = True
    periods = {ctx.by_code[code].period for code in item_rows}
    for period, codes in ctx.periods.items():
        if period in periods:
            for code in codes:
                if code not in item_rows and not any(code in a[1:] for a in matched.ambiguous):
                    rule = ctx.by_code[code]
                    result.problems.append(Problem(Location(file, sheet.name, f"第{form.item_rows[0] + 1}–{form.item_rows[-1] + 1}行"),
                                                   f"缺少检查项“{rule.item}”（{code}）的行"))
                    blocking = True
    for r, m in sorted(matched.matches.items()):
        rule = ctx.by_code[m.code]
        if m.certainty != EXACT:
            result.readings.append(ColumnReading(sheet.name, cell_ref(r, form.label_col),
                                                 clean_text(sheet.cell(r, form.label_col)), m.code, rule.item, m.certainty, m.reason))
        stated = number_or_none(sheet.cell(r, form.max_col)) if form.max_col is not None else stated_max(sheet.cell(r, form.label_col))
        if stated is not None and abs(stated - rule.points) > 1e-9:
            result.problems.append(Problem(at(r, form.max_col if form.max_col is not None else form.label_col),
                                           f"写的{rule.item}满分 {fmt_number(stated)}，规则中满分为 {fmt_number(rule.points)}", "警告"))
    if blocking:
        return True
    labels = _labelled(sheet, set(form.item_rows))
    hid = clean_text(labels.get(fields.HOUSEHOLD_ID, ("", None))[0])
    name = clean_name(labels.get(fields.HEAD, ("", None))[0])
    group_text = labels.get(fields.GROUP, ("", None))[0]
    groups = [group_key(ctx.group)] if ctx.group else ([group_key(group_text)] if group_text else find_groups(sheet.name) or find_groups(file))
    where = labels.get(fields.HOUSEHOLD_ID, labels.get(fields.HEAD, ("", (form.top, 0))))[1] or (form.top, 0)
    id_loc = at(*where)
    if not hid and not name:
        across = _households_across(sheet, form, ctx)
        if across:  # items down the rows, one household a column: a whole group's sheet turned on its side
            result.problems.append(Problem(Location(file, sheet.name, f"第{across[0] + 1}行"), (
                "这张表检查项竖排、各户横排（每户占一列），不是单户检查表；请在 Excel/WPS 里转置成每户一行"
                "（全选 → 复制 → 在新工作表“选择性粘贴”勾选“转置”）后再导入")))
            return True
        result.problems.append(Problem(Location(file, sheet.name, f"第1–{form.top + 1}行"),
                                       "这张单户检查表没有写户号或户主（如“户号：QS0208”或“户主”后一格写姓名）"))
        return True
    found = locate(ctx, hid, name, groups)
    for _, message, severity in found.problems:
        result.problems.append(Problem(id_loc, message, severity))
    if found.index is None:
        return True
    hh = ctx.household(found.index)
    household_id = clean_text(hh["户号"])
    scores, blanks, bad = read_scores(sheet, {code: (r, form.score_col) for code, r in item_rows.items()}, ctx, at, result)
    if blanks and not scores and not bad:
        result.skipped_blank += 1
        result.problems.append(Problem(id_loc, f"{clean_text(hh['户主'])}（{household_id}）没有打分，按未检查处理", "警告"))
        result.blank_rows.append(InspectionRow(household_id, clean_text(hh["户主"]), clean_text(hh["组别"]), {}, sheet.name,
                                               where[0] + 1, id_loc.cell))
        return True
    for rule, (r, c) in blanks:
        result.problems.append(Problem(at(r, c), f"{rule.item} 没有打分"))
        bad = True
    if household_id in seen:
        result.problems.append(Problem(id_loc, f"{clean_text(hh['户主'])}（{household_id}）在本文件中出现两次"))
        return True
    seen[household_id] = (sheet.name, where[0] + 1, id_loc.cell)
    if bad:
        return True
    if form.total_row is not None:
        check_typed_total(sheet, form.total_row, form.score_col, scores, at, result)
    result.problems.append(Problem(Location(file, sheet.name), f"单户检查表：{clean_text(hh['户主'])}（{household_id}），检查项按行读取", INFO))
    result.groups.add(clean_text(hh["组别"]))
    result.rows.append(InspectionRow(household_id, clean_text(hh["户主"]), clean_text(hh["组别"]), scores, sheet.name,
                                     where[0] + 1, id_loc.cell))
    return True
