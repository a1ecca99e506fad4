"""Grid workers' inspection sheets → per-household scores with exact cell references.

One pure function per file (``read_inspection_file``). For each sheet it
finds the table the way a person would (``sheet_layout``), reads which
column is which item (``header_match``: evidence, not a word list), tells
score columns from the rest (identity, totals, notes, identifiers — by
header and by what the cells hold), finds each household by 户号 or by 户主
within the group the row, a sub-title, the sheet or the file gives, and
checks every score. A one-household form with the items down the rows is
read by ``inspection_form``. Cross-file checks and the ledger live in
``actions.inspect_import``.

Importer protocol (importers/fields.py): ``FIELDS`` (the columns besides the items, which come
from the ledger's 规则), ``identify(book, ctx=None)`` and ``extract(book, ctx)`` with ``ctx`` a
``Context``; ``read_inspection_file`` (the whole ``FileResult``: month, notes, readings) is the
call ``inspect import`` makes.
"""

from __future__ import annotations

import datetime as dt
import re

from villagectl.errors import Location, Problem
from villagectl.importers import fields
from villagectl.importers.header_match import EXACT, Column, match_columns, stated_max
from villagectl.importers.households_lookup import collapse_not_found
from villagectl.importers.inspection_form import form_layout, read_form
from villagectl.importers.inspection_scores import (  # re-exported: the actions import them from here
    DASHES, INFO, ColumnReading, Context, FileResult, InspectionRow, check_typed_total, locate, read_score,
    read_scores, score_problem,
)
from villagectl.importers.sheet_layout import (
    FOOTER, HOUSEHOLD, MAXIMA, REPEATED_HEADER, STRAY, SUBTITLE, SUMMARY, GridLayout, classify_row,
    grid_layout, number_or_none,
)
from villagectl.importers.table import is_footer
from villagectl.io.reader import SheetRows, WorkbookRows, cell_ref
from villagectl.io.preflight import col_letters
from villagectl.importers.inspection_month import quarter_month, settle_month
from villagectl.values import (clean_name, clean_text, find_groups, find_period_month, find_quarter, find_year, fmt_number,
                              group_key)

FIELDS = [
    fields.HOUSEHOLD_ID_FIELD,
    fields.HEAD_FIELD,
    fields.GROUP_FIELD,
    fields.FieldSpec(fields.TOTAL, ("总分", "总计", "得分合计", "实得总分", "月度得分")),
]


def identify(book: WorkbookRows, ctx: Context | None = None) -> int:
    """How many of the items (with ``ctx``: the rules' items) the best sheet carries; without ``ctx``,
    how many score-like headers sit beside a 户号/户主 header. 0: not an inspection sheet."""
    if ctx is not None:
        best = 0
        for sheet in book.sheets:
            layout = grid_layout(sheet, ctx.scanner)
            form = form_layout(sheet, ctx)
            best = max(best, layout.items_found if layout is not None else 0,
                       form.items_found if form is not None and not form.is_item_list else 0)
        return best
    best = 0
    for sheet in book.sheets:
        for row in sheet.rows[:10]:
            meanings = [fields.field_of(v) for v in row if clean_text(v)]
            if {fields.HOUSEHOLD_ID, fields.HEAD} & set(meanings):
                best = max(best, sum(m is None for m in meanings))
    return best


def extract(book: WorkbookRows, ctx: Context) -> tuple[list[InspectionRow], list[Problem]]:
    """The households' scores and every problem and note (``ctx.file`` names the file)."""
    result = read_inspection_file(book, ctx.file, ctx)
    return result.rows, result.problems + result.notes


# --- the file ----------------------------------------------------------------------


def read_inspection_file(book: WorkbookRows, display_name: str, ctx: Context) -> FileResult:
    result = _read_file(book, display_name, ctx)
    titles = [_text_of(sheet, 0, 3) + " " + sheet.name for sheet in book.sheets]
    result.problems = collapse_not_found(result.problems, ctx.roster, display_name, titles, ctx.village,
                                         len(result.rows) + len(result.blank_rows))
    result.notes = [p for p in result.problems if p.severity == INFO]
    result.problems = [p for p in result.problems if p.severity != INFO]
    return result


def _read_file(book: WorkbookRows, display_name: str, ctx: Context) -> FileResult:
    result = FileResult(display_name)
    name_year = find_year(display_name)
    fallback_year = name_year or (int(ctx.month[:4]) if ctx.month else None) or ctx.today.year
    months: dict[str, str] = {}
    quarters: dict[tuple[int, int], str] = {}
    seen: dict[str, tuple[str, int, str]] = {}
    any_table = False
    file_groups = find_groups(_stem(display_name))
    for sheet in book.sheets:
        if not any(clean_text(v) for row in sheet.rows for v in row):
            continue
        layout = grid_layout(sheet, ctx.scanner)
        # a row of several items is a grid; only a sheet without one may list its items down a column
        form = form_layout(sheet, ctx) if layout is None or layout.items_found <= 3 else None
        # items across a row, or down a column: whichever holds more of them
        if layout is not None and form is not None:
            if form.items_found > layout.items_found:
                layout = None
            else:
                form = None
        if layout is None and form is not None and form.is_item_list:
            result.problems.append(Problem(Location(display_name, sheet.name), "这张表只列出检查项和分值（没有各户得分），不是评分表，已跳过", INFO))
            continue
        if layout is None and form is None:
            result.problems.append(Problem(Location(display_name, sheet.name), "不是检查评分表（没有找到检查项的表头），已跳过", INFO))
            continue
        top = layout.top if layout is not None else form.top
        title = _text_of(sheet, 0, top)
        year = find_year(title) or find_year(_text_of(sheet, max(top, len(sheet.rows) - 6), len(sheet.rows))) \
            or find_year(sheet.name) or fallback_year
        if layout is not None:
            read = _read_grid(sheet, layout, ctx, result, seen, display_name,
                              _sheet_groups(ctx, sheet.name, title, file_groups))
        else:
            read = read_form(sheet, form, ctx, result, seen, display_name, year)
        if not read:
            continue
        any_table = True
        # the title, or a line of the header block above the item row ('网格员：赵丽 | 检查时间：2026年8月')
        above = _text_of(sheet, top, layout.item_row) if layout is not None else ""
        month = find_period_month(title, year) or find_period_month(above, year) or find_period_month(sheet.name, year)
        if month:
            months.setdefault(month, f"{sheet.name} 的标题")
        elif (quarter := find_quarter(f"{title} {above}", year) or find_quarter(sheet.name, year)):
            quarters.setdefault(quarter, f"{sheet.name} 的标题")
    # a file name without a year ('三组11月') takes the year the sheets give
    sheet_years = {m[:4] for m in months}
    name_year = name_year or (int(min(sheet_years)) if len(sheet_years) == 1 else fallback_year)
    name_month = find_period_month(_stem(display_name), name_year)
    if name_month:
        months.setdefault(name_month, "文件名")
    elif not months and (quarter := find_quarter(_stem(display_name), name_year)):
        quarters.setdefault(quarter, "文件名")
    if not months and quarters:
        quarter_month(result, quarters, months, ctx)
    if not any_table:
        if not result.errors:
            result.problems.append(Problem(Location(display_name), "文件里没有找到检查表（表头要有“户号”或“户主”列和检查项列）"))
        return result
    settle_month(result, months, ctx)
    if result.blank_rows and not result.rows and not result.errors:
        # a blank form sent back (or a whole sheet left empty): never "imported" with no score in it
        result.problems = [p for p in result.problems if not p.message.endswith("没有打分，按本月未检查处理")]
        result.problems.append(Problem(Location(display_name), (
            f"表里列出的 {len(result.blank_rows)} 户一个分数也没有填（是不是交了空白表？），这份表没有导入；"
            "填好分数后再导入。这些户这个月确实没有检查的，不用交表")))
    return result


def _column_of_same_item(text: str, matched, ctx: Context) -> int | None:
    """The matched column whose item ``text`` also reads like (strongly), or None."""
    index, evidence = ctx.scanner.best_item(text)
    if index is None or evidence < 40:
        return None
    code = ctx.specs[index].code
    return next((c for c, m in matched.matches.items() if m.code == code), None)


def _stem(name: str) -> str:
    return name.rsplit(".", 1)[0]


def _text_of(sheet: SheetRows, start: int, stop: int) -> str:
    return " ".join(clean_text(v) for row in sheet.rows[start:stop] for v in row if clean_text(v))


def _sheet_groups(ctx: Context, sheet_name: str, title: str, file_groups: list[str]) -> list[str]:
    """The groups the sheet is about: --group, else its title or name, else the file name."""
    if ctx.group:
        return [group_key(ctx.group)]
    return find_groups(title) or find_groups(sheet_name) or file_groups


# --- a table with one household per row ----------------------------------------------


def _read_grid(sheet: SheetRows, layout: GridLayout, ctx: Context, result: FileResult,
               seen: dict, file: str, sheet_groups: list[str]) -> bool:
    def at(r: int, c: int) -> Location:
        return Location(file, sheet.name, cell_ref(r, c))

    def header_cell(c: int) -> Location:
        return at(layout.columns[c].text_row, c)

    cols = layout.columns
    id_col = _first(cols, fields.HOUSEHOLD_ID)
    name_col = _first(cols, fields.HEAD)
    group_col = _first(cols, fields.GROUP)
    total_col = _first(cols, fields.TOTAL)
    identity = [c for c in (id_col, name_col) if c is not None]
    if not identity:
        # a 户号 / 户主 column without a header word: the column whose cells are the roster's
        identity = _guess_identity(sheet, layout, ctx)
        id_col, name_col = identity if identity else (None, None)
        identity = [c for c in identity if c is not None] if identity else []
    if not identity:
        scored = any(number_or_none(sheet.cell(r, c)) is not None
                     for r in range(layout.first_data_row, len(sheet.rows)) for c in cols if cols[c].field is None)
        if not scored:
            result.problems.append(Problem(Location(file, sheet.name), "这张表有检查项的表头但没有各户得分，不是评分表，已跳过", INFO))
            return False
        result.problems.append(Problem(
            Location(file, sheet.name, f"第{layout.item_row + 1}行（表头）"),
            "找到了检查项的表头，但没有户号或户主列；请在表头加一列“户号”或“户主”"))
        return True
    candidates = [c for c, col in cols.items() if col.field is None and c not in identity]
    identified = _identified_rows(sheet, layout, identity)
    marks: list[tuple[int, str]] = []  # text columns reading strongly as an item
    kinds = {c: _column_data_kind(sheet, identified, c) for c in candidates}
    for c in list(candidates):
        col = cols[c]
        if c in sheet.hidden_columns and ctx.scanner.best(col.text) < 60:
            candidates.remove(c)
            result.problems.append(Problem(header_cell(c), f"隐藏列“{col.text}”不是检查项，已忽略", INFO))
        elif kinds[c] in ("text", "identifier"):
            candidates.remove(c)
            what = "文字" if kinds[c] == "text" else "编号、电话等长数字"
            index, evidence = ctx.scanner.best_item(col.text)
            if kinds[c] == "text" and index is not None and evidence >= 60:
                marks.append((c, ctx.specs[index].code))  # 环境整治 holding 合格/不合格? decided once items are matched
                continue
            result.problems.append(Problem(header_cell(c), f"列“{col.text}”内容是{what}，不是分数，已忽略", INFO))
    columns = [Column(c, cols[c].text, cols[c].above, layout.maxima.get(c)) for c in candidates]
    matched = match_columns(ctx.specs, columns, ctx.learned, ctx.fillers)
    item_cols: dict[str, int] = {m.code: c for c, m in matched.matches.items()}
    blocking = False
    for c, code in marks:
        if code in item_cols:  # the item has its scores elsewhere: this is a note about it ('庭院整改情况')
            result.problems.append(Problem(header_cell(c), f"列“{cols[c].text}”内容是文字，不是分数，已忽略", INFO))
            continue
        rule = ctx.by_code[code]
        sample = next((clean_text(sheet.cell(r, c)) for r in identified if clean_text(sheet.cell(r, c))), "")
        result.problems.append(Problem(header_cell(c), (
            f"列“{cols[c].text}”是检查项“{rule.item}”，但格子里写的是文字（如“{sample}”），不是分数；"
            f"请写各户的得分（满分 {fmt_number(rule.points)}）")))
        blocking = True
    if blocking:
        return True  # the marks' errors say what to write; the items' other checks would only repeat it
    for c, code, other in matched.ambiguous:
        a, b = ctx.by_code[code], ctx.by_code[other]
        result.problems.append(Problem(header_cell(c), (
            f"列“{cols[c].text}”既像“{a.item}”（{code}）又像“{b.item}”（{other}），无法确定；"
            f"请在台账“表头对照”表加一行：表头文字“{cols[c].text}”、编码填 {code} 或 {other}")))
        blocking = True
    # the items a sheet must carry: every item of each 周期 it carries at all
    present_periods = {ctx.by_code[code].period for code in item_cols} | {ctx.by_code[a[1]].period for a in matched.ambiguous}
    if not item_cols and not matched.ambiguous:
        result.problems.append(Problem(Location(file, sheet.name, f"第{layout.item_row + 1}行（表头）"),
                                       _nothing_matched(cols, ctx)))
        return True
    for period, codes in ctx.periods.items():
        if period not in present_periods:
            continue
        for code in codes:
            if code not in item_cols and code not in {a[1] for a in matched.ambiguous} | {a[2] for a in matched.ambiguous}:
                rule = ctx.by_code[code]
                result.problems.append(Problem(
                    Location(file, sheet.name, f"第{layout.item_row + 1}行（表头）"), f"缺少检查项“{rule.item}”（{code}）的列"))
                blocking = True
    if blocking or matched.unmatched:
        found = "、".join(f"{column_letter(c)}“{cols[c].text.replace(chr(10), ' ')}”→{ctx.by_code[m.code].item}"
                         for c, m in sorted(matched.matches.items()))
        result.problems.append(Problem(Location(file, sheet.name, f"第{layout.item_row + 1}行（表头）"),
                                       f"表头在第{layout.item_row + 1}行，认出的检查项：{found or '无'}", INFO))
    for c in matched.unmatched:
        col = cols[c]
        if kinds.get(c) == "number" and _within_item_range(sheet, identified, c, ctx):
            twin = _column_of_same_item(col.text, matched, ctx)
            if twin is not None:  # 庭院 and 院子卫生 on one sheet: two columns for one item, not an unknown header
                rule = ctx.by_code[matched.matches[twin].code]
                message = (f"列“{col.text}”和 {column_letter(twin)} 列“{cols[twin].text}”看上去都是检查项“{rule.item}”；"
                           "一个检查项只能有一列：请删掉多余的一列，或把表头改成它实际对应的检查项")
            else:
                message = (f"列“{col.text}”对应不上规则中的检查项；如果它是某个检查项的别称，"
                           f"请在“规则”表该项的“同义词”里另起一行加上它（或在“表头对照”表登记它的编码）")
            result.problems.append(Problem(header_cell(c), message))
            blocking = True
        else:
            result.problems.append(Problem(header_cell(c), f"列“{col.text}”不是检查项，已忽略", INFO))
    for c, m in sorted(matched.matches.items()):
        rule = ctx.by_code[m.code]
        stated = stated_max(cols[c].text)
        stated = stated if stated is not None else layout.maxima.get(c)
        if stated is not None and abs(stated - rule.points) > 1e-9:
            result.problems.append(Problem(header_cell(c), f"表头写{rule.item}满分 {fmt_number(stated)}，规则中满分为 {fmt_number(rule.points)}", "警告"))
        if m.certainty != EXACT:
            reading = ColumnReading(sheet.name, cell_ref(cols[c].text_row, c), cols[c].text.replace("\n", " "), m.code,
                                    rule.item, m.certainty, m.reason)
            result.readings.append(reading)
    if blocking:
        return True
    for c, col in cols.items():
        if col.field == fields.INFO:
            hidden = "隐藏列" if c in sheet.hidden_columns else "列"
            result.problems.append(Problem(header_cell(c), f"{hidden}“{col.text}”不是检查项，已忽略", INFO))
        if col.field in (fields.SEQUENCE, fields.INFO) or c in (id_col, name_col, group_col):
            continue
        if col.field in (fields.TOTAL, fields.SUBTOTAL):
            what = "合计" if col.field == fields.TOTAL else "小计"
            note = "，各户得分按各项相加" if col.field == fields.TOTAL else ""
            result.problems.append(Problem(header_cell(c), f"列“{col.text}”是{what}{note}", INFO))
    score_cols = sorted(item_cols.values())
    current_group: list[str] | None = None
    household_rows = 0
    for r in range(layout.first_data_row, len(sheet.rows)):
        kind = classify_row(sheet, r, layout, identity, score_cols)
        if kind.kind == SUBTITLE:
            current_group = list(kind.groups)
            continue
        if kind.kind in (MAXIMA, REPEATED_HEADER, SUMMARY):
            if kind.kind == SUMMARY:
                result.problems.append(Problem(Location(file, sheet.name, f"第{r + 1}行"), f"“{kind.label}”行不是农户，已跳过", INFO))
            continue
        if kind.kind == STRAY:
            c = next(c for c in score_cols if number_or_none(sheet.cell(r, c)) is not None)
            result.problems.append(Problem(at(r, identity[0]), f"第{r + 1}行有分数（如 {cell_ref(r, c)}）但没有户号或户主姓名；请补上，或删掉这一行"))
            continue
        if kind.kind == FOOTER and is_footer(sheet.rows[r]):
            break  # a signature line ends the table: anything under it is not data
        if kind.kind != HOUSEHOLD:
            continue
        household_rows += 1
        row_groups = current_group or sheet_groups
        if group_col is not None and not ctx.group:
            value = _group_cell(sheet, r, group_col, layout)
            if value:
                row_groups = [group_key(value)]
        _read_household_row(sheet, r, layout, ctx, result, seen, file, id_col, name_col, total_col,
                            item_cols, row_groups, at)
    if household_rows == 0:
        result.problems.append(Problem(Location(file, sheet.name), "表头下面没有农户的行", "警告"))
    return True


def _first(cols: dict, field_name: str) -> int | None:
    return next((c for c, col in sorted(cols.items()) if col.field == field_name), None)


def _group_cell(sheet: SheetRows, r: int, c: int, layout: GridLayout) -> str:
    """The group of row r: its own cell, else the merged cell or the filled cell above it."""
    value = clean_text(sheet.cell(r, c))
    if value:
        return value
    for (r1, c1), (r2, c2) in sheet.merged:
        if r1 <= r <= r2 and c1 <= c <= c2:
            return clean_text(sheet.cell(r1, c1))
    for up in range(r - 1, layout.first_data_row - 1, -1):
        value = clean_text(sheet.cell(up, c))
        if value and value == clean_text(layout.columns[c].text):
            continue  # a header repeated at a page break: the block goes on under it
        if value:
            return value  # a group written once at the top of its block (a visual merge)
    return ""


def _guess_identity(sheet: SheetRows, layout: GridLayout, ctx: Context) -> tuple[int | None, int | None] | None:
    ids, names = ctx.roster.ids, ctx.roster.by_name
    best_id = best_name = None
    for c, col in layout.columns.items():
        values = [clean_text(sheet.cell(r, c)) for r in range(layout.first_data_row, len(sheet.rows))]
        values = [v for v in values if v]
        if not values:
            continue
        if best_id is None and sum(v in ids for v in values) >= max(2, len(values) // 2):
            best_id = c
        elif best_name is None and sum(clean_name(v) in names for v in values) >= max(2, len(values) // 2):
            best_name = c
    return (best_id, best_name) if best_id is not None or best_name is not None else None


def _identified_rows(sheet: SheetRows, layout: GridLayout, identity: list[int]) -> list[int]:
    """Rows that look like households (a 户号 or name), up to the signature line: what tells a score column."""
    out = []
    for r in range(layout.first_data_row, len(sheet.rows)):
        if is_footer(sheet.rows[r]):
            break
        texts = [clean_text(sheet.cell(r, i)) for i in identity]
        if not any(texts):
            continue
        if any(t == clean_text(layout.columns[i].text) or "：" in t or ":" in t for t, i in zip(texts, identity) if t):
            continue  # a repeated header or a note in the name column
        out.append(r)
    return out


_DECIMAL_COMMA = re.compile(r"\d{1,3}[,，]\d{1,2}分?")


def _column_data_kind(sheet: SheetRows, rows: list[int], c: int) -> str:
    """'number', 'text', 'identifier' (long digit strings: phones, ID numbers) or 'empty'."""
    numbers = texts = long_ids = 0
    for r in rows[:60]:  # a sample is enough to tell scores from notes and phone numbers
        value = sheet.cell(r, c)
        text = clean_text(value)
        if not text:
            continue
        if isinstance(value, (dt.date, dt.datetime)):
            texts += 1
            continue
        digits = re.sub(r"\D", "", text)
        if len(digits) >= 7 and re.fullmatch(r"[\dXx\-\s]+", text):
            long_ids += 1
            continue
        if number_or_none(value) is not None or _DECIMAL_COMMA.fullmatch(text):
            numbers += 1  # '8,5': a score typed with a comma, refused at its own cell, not a text column
        else:
            texts += 1
    if long_ids and long_ids >= numbers:
        return "identifier"
    if numbers == 0 and texts == 0:
        return "empty"
    return "number" if numbers >= texts else "text"


def _within_item_range(sheet: SheetRows, rows: list[int], c: int, ctx: Context) -> bool:
    top = max((r.points for r in ctx.rules), default=0)
    values = [number_or_none(sheet.cell(r, c)) for r in rows]
    values = [v for v in values if v is not None]
    return bool(values) and all(0 <= v <= top for v in values)


def _nothing_matched(cols: dict, ctx: Context) -> str:
    headers = "、".join(col.text.replace("\n", "") for c, col in sorted(cols.items()) if col.field is None)
    names = "、".join(r.item for r in ctx.rules)
    return f"表头（{headers}）里没有认出检查项；规则中的检查项是：{names}。请把表头写成检查项的名称，或在“规则”表的“同义词”里加上表头文字"


def _read_household_row(sheet, r, layout, ctx: Context, result: FileResult, seen, file, id_col, name_col,
                        total_col, item_cols: dict[str, int], row_groups: list[str], at) -> None:
    located = _locate_household(sheet, r, id_col, name_col, ctx, row_groups, at, result)
    if located is None:
        return
    i, id_loc = located
    hh = ctx.household(i)
    hid = clean_text(hh["户号"])
    scores, blanks, bad = read_scores(sheet, {code: (r, c) for code, c in item_cols.items()}, ctx, at, result)
    if blanks and not scores and not bad:
        result.skipped_blank += 1
        result.problems.append(Problem(id_loc, f"{clean_text(hh['户主'])}（{hid}）没有打分，按本月未检查处理", "警告"))
        result.blank_rows.append(InspectionRow(hid, clean_text(hh["户主"]), clean_text(hh["组别"]), {}, sheet.name, r + 1, id_loc.cell))
        return
    for rule, (br, bc) in blanks:
        result.problems.append(Problem(at(br, bc), f"{rule.item} 没有打分"))
        bad = True
    if hid in seen:
        sheet_name, _, cell = seen[hid]
        other = cell if sheet_name == sheet.name else f"{sheet_name} / {cell}"
        result.problems.append(Problem(id_loc, f"{clean_text(hh['户主'])}（{hid}）在本文件中出现两次（另一处在 {other}）"))
        return
    seen[hid] = (sheet.name, r + 1, id_loc.cell)
    if bad:
        return
    if total_col is not None:
        check_typed_total(sheet, r, total_col, scores, at, result)
    result.groups.add(clean_text(hh["组别"]))
    result.rows.append(InspectionRow(hid, clean_text(hh["户主"]), clean_text(hh["组别"]), scores, sheet.name, r + 1, id_loc.cell))


def _locate_household(sheet, r, id_col, name_col, ctx: Context, groups: list[str], at, result):
    """(row index in 户籍, location of the identifying cell) or None after reporting."""
    name = clean_name(sheet.cell(r, name_col)) if name_col is not None else ""
    hid = clean_text(sheet.cell(r, id_col)) if id_col is not None else ""
    if hid.endswith(".0") and hid[:-2].isdigit():
        hid = hid[:-2]
    if hid and hid not in ctx.roster.ids and name and not re.search(r"\d", hid):
        hid = ""  # a 编号 column holding something else: go by the name
    found = locate(ctx, hid, name, groups)
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


def column_letter(c: int) -> str:
    return col_letters(c + 1)
