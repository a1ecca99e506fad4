"""A village's existing household roster (花名册) → household records with cell references.

Importer protocol (importers/fields.py): ``FIELDS``, ``identify(book)``, ``extract(book, ctx)``
with ``ctx`` a ``RosterContext``; ``read_roster`` is the call ``households import`` makes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from villagectl.errors import Location, Problem
from villagectl.importers.fields import GROUP_FIELD, HEAD, HEAD_FIELD, HOUSEHOLD_ID_FIELD, FieldSpec, field_of
from villagectl.importers.sheet_layout import merged_value
from villagectl.importers.table import HEADER_SEARCH_ROWS, LocatedTable, locate_table, match_field, tables_score
from villagectl.importers.roster_states import moved_out_note, read_state, state_reading
from villagectl.io.reader import SheetRows, WorkbookRows, cell_ref
from villagectl.ledger.households import GROUP_WORD, HouseholdRecord, normalize_record, validate_record
from villagectl.values import NotANumber, clean_name, clean_text, find_groups, group_key, header_key, id_key, to_count

INFO = "提醒"
RELATION = "与户主关系"

ROSTER_FIELDS = [
    HOUSEHOLD_ID_FIELD.needed(),
    HEAD_FIELD.needed(),
    GROUP_FIELD,
    FieldSpec("人口", ("家庭人口", "人口数", "家庭人数", "人数", "家庭人口数", "户人口", "在册人口")),
    FieldSpec("参评人数", ("参加积分人数", "积分人数", "参评人口")),
    FieldSpec("户类型", ("户别", "户属性", "家庭类型", "户籍类型", "类型")),
    FieldSpec("联系电话", ("电话", "手机", "手机号", "手机号码", "联系方式", "电话号码", "联系电话号码")),
    FieldSpec("身份证号", ("身份证号码", "户主身份证号", "户主身份证号码", "公民身份号码", "身份证", "证件号码")),
    FieldSpec("状态", ("户状态", "在册状态")),
    FieldSpec("备注", ("说明",)),
    # one row per person (户籍/人口 systems): the person's relation to the head; any header holding 关系 reads so too
    FieldSpec(RELATION, ("与户主的关系", "关系", "家庭关系", "成员关系", "人员关系", "家庭成员关系")),
]


FIELDS = ROSTER_FIELDS


@dataclass(frozen=True)
class RosterContext:
    display_name: str  # the file as the clerk knows it, for the messages
    allowed_types: tuple[str, ...]  # 户类型 the village uses


@dataclass
class RosterRead:
    records: list[HouseholdRecord] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)  # errors and warnings
    invalid_rows: set[tuple[str, str, int]] = field(default_factory=set)  # (file, sheet, row)
    fields_present: set[str] = field(default_factory=set)


def identify(book: WorkbookRows) -> int:
    """How much a sheet of ``book`` looks like a roster: the roster columns its header names (0: none has 户号 and 户主)."""
    return tables_score(book, ROSTER_FIELDS)


def extract(book: WorkbookRows, ctx: RosterContext) -> tuple[list[HouseholdRecord], list[Problem]]:
    read = _read(book, ctx)
    return read.records, read.problems


def read_roster(book: WorkbookRows, display_name: str, allowed_types: tuple[str, ...]) -> RosterRead:
    """Every sheet of a roster file that has a recognisable header (with the rows refused and the columns seen)."""
    return _read(book, RosterContext(display_name, allowed_types))


def _read(book: WorkbookRows, ctx: RosterContext) -> RosterRead:
    display_name, allowed_types = ctx.display_name, ctx.allowed_types
    out = RosterRead()
    found_any = False
    for sheet in book.sheets:
        if not any(clean_text(v) for row in sheet.rows for v in row):
            continue
        table = _locate(sheet)
        if table is None:
            out.problems.append(
                Problem(
                    Location(display_name, sheet.name),
                    "前10行里找不到表头（至少要有“户号”和“户主”两列），这个工作表已跳过",
                    "警告",
                )
            )
            continue
        found_any = True
        _relation_column(table)
        out.fields_present |= set(table.columns) - {RELATION}
        where = Location(display_name, sheet.name)
        if table.header_row > 0 and table.sheet is not sheet:
            out.problems.append(Problem(Location(display_name, sheet.name, f"第{table.header_row}–{table.header_row + 1}行"),
                                        "表头有两行（上面一行是合并的大类），按每列最下面一格的标题读", INFO))
        group = _sheet_group(sheet, table, display_name, out.problems)
        if group:
            out.fields_present.add("组别")
        rows: list[_Row] = []
        for r in table.data_rows:
            raw = {name: table.value(r, name) for name in table.columns if name != RELATION}
            if group:
                raw["组别"] = group
            raw["人口"] = _count(raw.get("人口", ""))
            raw["参评人数"] = _count(raw.get("参评人数", ""))
            for key in ("人口", "参评人数"):
                if key not in table.columns:
                    raw.pop(key)
            values = normalize_record(raw)
            cells = {name: cell_ref(r, c) for name, c in table.columns.items()}
            rows.append(_Row(r, values, cells, clean_name(table.value(r, RELATION)) if RELATION in table.columns else "",
                             _member_name(table, r)))
        if not rows:
            out.problems.append(Problem(where, "有表头但没有农户行（没有读到任何农户），这个工作表没有导入", "警告"))
            continue
        rows = _carry_down(rows, table, where, out.problems)
        rows = _households_of_people(rows, table, where, out.problems)
        states: dict[tuple[str, str], list[str]] = {}
        for row in rows:
            values, cells, r = row.values, row.cells, row.r
            read_state(values, cells, states)
            moved_out_note(values, cells, where, out.problems)
            record = HouseholdRecord(values, cells, sheet.name, display_name, r + 1, list(sheet.rows[r]))
            for field_name, message in validate_record(values, allowed_types):
                out.problems.append(Problem(Location(display_name, sheet.name, cells.get(field_name, f"第{r + 1}行")), message))
                out.invalid_rows.add((display_name, sheet.name, r + 1))
            out.records.append(record)
        for (typed, state), at in states.items():
            out.problems.append(Problem(where, f"状态“{typed}”按“{state}”导入（{'、'.join(at)}）", INFO))
    if not found_any:
        out.problems.append(
            Problem(Location(display_name), "没有找到名册表格：前10行须有“户号”“户主”等列标题")
        )
    return out


@dataclass
class _Row:
    r: int  # 0-based row
    values: dict[str, object]
    cells: dict[str, str]
    relation: str = ""  # 与户主关系 as written
    member: str = ""  # the person's 姓名 when the sheet has it beside 户主


def _count(value: object) -> object:
    """人口 / 参评人数 as typed (4人, 3口, 二, 5 人) → the whole number; anything else stays for validate_record to refuse."""
    try:
        number = to_count(value)
    except NotANumber:
        return value
    if number is None:
        return ""
    return int(number) if float(number).is_integer() else value


def _locate(sheet: SheetRows) -> LocatedTable | None:
    """The roster's table, its header on one row or on two (户主信息 merged over 姓名 / 身份证号码 / 联系电话, with
    序号 / 户号 merged down both rows): a column of a two-row header reads as its lowest cell as shown, the same
    reading as the inspection sheets' header block (sheet_layout.merged_value)."""
    table = locate_table(sheet, ROSTER_FIELDS)
    best: tuple[int, int] | None = None  # (fields found, upper row)
    for r in range(min(HEADER_SEARCH_ROWS, len(sheet.rows)) - 1):
        width = max(len(sheet.rows[r]), len(sheet.rows[r + 1]))
        upper = [_fields_in([sheet.cell(r, c) for c in range(width)])]
        lower = [_fields_in([sheet.cell(r + 1, c) for c in range(width)])]
        both = _fields_in([_lowest(sheet, r, c) for c in range(width)])
        if not {"户号", "户主"} <= both or len(both) <= max(len(upper[0]), len(lower[0])):
            continue
        if not upper[0] or len(lower[0]) < 2:  # both rows name columns: a header in two rows
            continue
        if best is None or len(both) > best[0]:
            best = (len(both), r)
    if best is None or (table is not None and best[0] <= len(table.columns)):
        return table
    r = best[1]
    rows = list(sheet.rows)
    rows[r + 1] = [_lowest(sheet, r, c) for c in range(max(len(sheet.rows[r]), len(sheet.rows[r + 1])))]
    view = SheetRows(sheet.name, rows, sheet.merged, sheet.hidden, sheet.formulas, sheet.hidden_columns,
                     sheet.encoding, sheet.delimiter)
    found = locate_table(view, ROSTER_FIELDS, search_rows=r + 2)
    return found if found is not None and found.header_row == r + 1 else table


def _lowest(sheet: SheetRows, r: int, c: int) -> object:
    """A column's header in rows r and r+1: the lower cell as shown when it has text, else the upper one."""
    lower = merged_value(sheet, r + 1, c)
    return lower if clean_text(lower) else merged_value(sheet, r, c)


def _fields_in(cells: list) -> set[str]:
    return {name for name in (match_field(v, ROSTER_FIELDS) for v in cells) if name}


def _member_name(table: LocatedTable, r: int) -> str:
    """The person's own 姓名 in a sheet that has both a 户主 and a 姓名 column (the first other header naming a person)."""
    for c, text in table.other_headers.items():
        if field_of(text) == HEAD:
            return clean_name(table.sheet.cell(r, c))
    return ""


def _has_member_column(table: LocatedTable) -> bool:
    return any(field_of(text) == HEAD for text in table.other_headers.values())


def _relation_column(table: LocatedTable) -> None:
    """A header holding 关系 (与户主之关系) is the relation column, never the 户主 (the next 姓名 column is)."""
    head = table.columns.get("户主")
    if head is not None and "关系" in header_key(table.sheet.cell(table.header_row, head)):
        names = sorted(c for c, text in table.other_headers.items() if field_of(text) == HEAD and "关系" not in header_key(text))
        if not names:
            return
        if RELATION not in table.columns:
            table.columns[RELATION] = head
        else:
            table.other_headers[head] = clean_text(table.sheet.cell(table.header_row, head))
        table.columns["户主"] = names[0]
        del table.other_headers[names[0]]
    if RELATION in table.columns:
        return
    for c, text in sorted(table.other_headers.items()):
        if "关系" in header_key(text):
            table.columns[RELATION] = c
            del table.other_headers[c]
            return


def _is_head(relation: str) -> bool:
    """户主 / 本人 / 户主本人 / 本人（户主）: the head's own row (户主之子 is not)."""
    key = re.sub(r"[^\u4e00-\u9fff]", "", relation)
    return key in ("户主", "本人", "户主本人", "本人户主")


def _carry_down(rows: list[_Row], table: LocatedTable, where: Location, problems: list[Problem]) -> list[_Row]:
    """A per-person sheet (with a 与户主关系 column) that writes 户号 (and 户主, beside a 姓名 column) only on the
    first row of each household: a member's row (its relation written, not 户主/本人) with the 户号 blank is of the
    household of the row above; a 提醒 lists the rows so read. Other blank 户号 stay blank (refused as 缺少户号)."""
    if RELATION not in table.columns or "户号" not in table.columns:
        return rows
    has_member = _has_member_column(table)
    carried: list[str] = []
    above: _Row | None = None
    for row in rows:
        hid = clean_text(row.values.get("户号", ""))
        if hid:
            above = row
            continue
        if above is None or not row.relation or _is_head(row.relation):
            above = None  # a new household without its 户号: nothing to carry on to the rows below either
            continue
        row.values["户号"] = above.values["户号"]
        if has_member and "户主" in row.values and not clean_name(row.values.get("户主", "")):
            row.values["户主"] = above.values.get("户主", "")
        carried.append(row.cells.get("户号", f"第{row.r + 1}行"))
        above = row
    if carried:
        problems.append(Problem(where, f"户号只写在每户第一行：{_places(carried)} 的户号空着、与户主关系写的是家庭成员，"
                                       "按上一行的户号（同一户）读", INFO))
    return rows


def _households_of_people(rows: list[_Row], table: LocatedTable, where: Location, problems: list[Problem]) -> list[_Row]:
    """One row per person (a 户号 repeated, with a 与户主关系 column or a 姓名 column beside 户主) → one row per household:
    户主 from the row whose relation is 户主/本人 (or the 户主 column), 人口 the number of rows unless a 人口 column says.
    Two heads, or two different 户主, under one 户号 stay apart (and are refused as a duplicate 户号)."""
    by_id: dict[str, list[_Row]] = {}
    for row in rows:
        key = id_key(row.values.get("户号", ""))
        if key:
            by_id.setdefault(key, []).append(row)
    if all(len(g) == 1 for g in by_id.values()):
        return rows
    has_relation = RELATION in table.columns
    has_member = _has_member_column(table)
    if not (has_relation or has_member):
        return rows
    out: list[_Row] = []
    people = households = 0
    done: set[str] = set()
    for row in rows:
        key = id_key(row.values.get("户号", ""))
        if not key:
            out.append(row)
            continue
        if key in done:
            continue
        done.add(key)
        group = by_id[key]
        heads_named = list(dict.fromkeys(n for n in (clean_name(g.values.get("户主", "")) for g in group if has_member) if n))
        if has_member and len(heads_named) > 1:
            out.extend(next(g for g in group if clean_name(g.values.get("户主", "")) == n) for n in heads_named)
            continue  # two households under one 户号: refused as a duplicate
        heads = [g for g in group if _is_head(g.relation) and clean_name(g.values.get("户主", ""))] if has_relation else []
        if has_member and not heads and heads_named:
            heads = [g for g in group if g.member and g.member == heads_named[0]][:1]
        if len(heads) > 1:
            out.extend(heads)
            continue
        if not heads:
            if (has_member and heads_named) or len(group) == 1:  # the 户主 column says who; a household of one is its head
                heads = [next(g for g in group if clean_name(g.values.get("户主", ""))) if heads_named else group[0]]
            else:
                first = group[0]
                problems.append(Problem(Location(where.file, where.sheet, first.cells.get(RELATION, f"第{first.r + 1}行")),
                                        f"户号 {clean_text(first.values.get('户号'))} 的 {len(group)} 行里没有“与户主关系”写着户主或本人的行，"
                                        "不知道谁是户主；请在户主那一行写“户主”"))
                out.extend(group)
                continue
        head = heads[0]
        values = dict(head.values)
        for name in ("组别", "联系电话", "户类型"):  # 状态 is the head's: a member's 迁出 is not the household's
            if name in values and not clean_text(values[name]):
                values[name] = next((g.values[name] for g in group if clean_text(g.values.get(name, ""))), values[name])
        gone = [g for g in group if g is not head and state_reading(g.values.get("状态", "")) in ("迁出", "注销")]
        if not clean_text(values.get("人口", "")):
            values["人口"] = len(group) - len(gone)
            if gone:
                listed = "、".join(f"{g.member or clean_name(g.values.get('户主', ''))}（{g.cells.get('状态', '')}“"
                                  f"{clean_text(g.values.get('状态'))}”）" for g in gone)
                problems.append(Problem(Location(where.file, where.sheet, head.cells.get("户号", f"第{head.r + 1}行")),
                                        f"户号 {clean_text(values.get('户号'))}：{listed} 已不在户里，不计入人口，人口按 "
                                        f"{values['人口']} 人导入；户的状态只看户主那一行", INFO))
        out.append(_Row(head.r, values, head.cells, head.relation, head.member))
        people += len(group)
        households += 1
    how = "“与户主关系”为户主或本人的行" if has_relation else "“户主”列"
    problems.append(Problem(where, f"这是一人一行的人口名册：{people} 行按户号合成 {households} 户（户主取{how}，"
                                   "没有“人口”列时人口为这一户的行数；家庭成员不单独记入户籍）", INFO))
    return out


def _sheet_group(sheet: SheetRows, table: LocatedTable, file: str, problems: list[Problem]) -> str:
    """A sheet with no 组别 column: the one group its title (the rows above the header) or its name names, the way
    ``inspect import`` reads a sheet's group (values.find_groups); '' when neither names exactly one."""
    if "组别" in table.columns:
        return ""
    title = " ".join(clean_text(v) for row in sheet.rows[:table.header_row] for v in row if clean_text(v))
    counts: list[str] = []
    for text, source in ((title, "标题"), (sheet.name, "工作表名")):
        named, dropped = _without_group_counts(text)
        counts += dropped
        groups = find_groups(named)
        if len(groups) == 1:
            m = re.search(GROUP_WORD, named)
            spelling = m.group(0) if m and group_key(m.group(0)) == groups[0] else f"{groups[0]}组"
            problems.append(Problem(Location(file, sheet.name),
                                    f"没有“组别”列，按{source}“{text}”把这张表的农户都记为{spelling}", INFO))
            return spelling
        if len(groups) > 1:
            problems.append(Problem(Location(file, sheet.name),
                                    f"没有“组别”列，{source}“{text}”写了几个组，组别没有填；请加一列“组别”", "警告"))
            return ""
    if counts:
        problems.append(Problem(Location(file, sheet.name),
                                f"没有“组别”列；“{'、'.join(dict.fromkeys(counts))}”前有“共/全村/计”、写作“几个组”或后面紧跟户数人数，"
                                "按组的个数读，不当作这张表的组别，组别没有填；这张表只是一个组的话，请加一列“组别”"
                                "（或把标题写成“第几组花名册”）", INFO))
    return ""


_NUMBER = r"[0-9一二三四五六七八九十两〇零百]+"
_GROUP_MENTION = re.compile(
    rf"(第)?\s*{_NUMBER}(?:\s*(?:至|到|~|-|—|、|,|，|和|及)\s*第?{_NUMBER})*\s*(个)?\s*(?:村民小组|小组|组|网格)")
_COUNT_BEFORE = re.compile(r"(?:共|全村|计)\s*$")  # 全村共5组, 合计3组, 共计5个组
_COUNT_AFTER = re.compile(rf"^\s*[,，、;；:：]?\s*(?:共|计)?\s*{_NUMBER}\s*(?:户|人|口)")  # 5组，128户


def _without_group_counts(text: object) -> tuple[str, list[str]]:
    """A title with the numbers of groups it counts taken out ("全村共5组，128户", "5个组"), and those taken out:
    a group number after 共/全村/计/合计, with 个 before its 组, or (without 第) followed by a count of 户/人."""
    name = clean_name(text)
    kept, dropped, at = [], [], 0
    for m in _GROUP_MENTION.finditer(name):
        counted = bool(_COUNT_BEFORE.search(name[:m.start()]) or m.group(2)
                       or (not m.group(1) and _COUNT_AFTER.match(name[m.end():])))
        if counted:
            kept.append(name[at:m.start()] + " ")
            dropped.append(m.group(0).strip())
            at = m.end()
    kept.append(name[at:])
    return "".join(kept), dropped


def find_duplicates(records: list[HouseholdRecord]) -> list[Problem]:
    """The same 户号 twice across all the roster files read together. When two groups (or sheets) clash on more
    than one 户号, each group numbers its households from 1: the message says how to make the 户号 unique."""
    first: dict[str, HouseholdRecord] = {}
    clashes: list[tuple[HouseholdRecord, HouseholdRecord]] = []
    for rec in records:
        hid = clean_text(rec.values.get("户号", ""))
        if not hid:
            continue
        if id_key(hid) in first:  # zp006 and ZP006 are one household
            clashes.append((rec, first[id_key(hid)]))
        else:
            first[id_key(hid)] = rec

    def scope(rec: HouseholdRecord) -> tuple[str, str, str]:
        return rec.file, rec.sheet, group_key(rec.values.get("组别", ""))

    between: dict[tuple, int] = {}
    for rec, other in clashes:
        if scope(rec) != scope(other):
            between[(scope(rec), scope(other))] = between.get((scope(rec), scope(other)), 0) + 1
    problems: list[Problem] = []
    for rec, other in clashes:
        hid = clean_text(rec.values.get("户号", ""))
        if other.file != rec.file:
            where = f"{other.file} / {other.sheet} / {other.cells['户号']}"
        elif other.sheet != rec.sheet:
            where = f"{other.sheet} / {other.cells['户号']}"
        else:
            where = other.cells["户号"]
        message = f"户号 {hid} 重复（与 {where} 相同）"
        if between.get((scope(rec), scope(other)), 0) >= 2 and not find_groups(hid):
            message += ("；看来各组（或各表）的户号各自从 1 编起，户号须全村唯一：请把组写进户号（如 1组1号、2-01，"
                        "各表没有“组别”列时再加一列“组别”）后重新导入")
        problems.append(Problem(Location(rec.file, rec.sheet, rec.cells["户号"]), message))
    return problems


def unify_groups(records: list[HouseholdRecord], ledger_groups: list[str]) -> list[Problem]:
    """One spelling per group (一组 / 1组 / 第一组 are one group by values.group_key, 东一组 and 西一组 are two):
    the ledger's when 户籍 has
    the group already, else the spelling the files use most (the first one on a tie). Changes ``records`` in place;
    a 提醒 lists every spelling changed and where."""
    chosen = {group_key(g): g for g in ledger_groups}
    used: dict[str, dict[str, int]] = {}
    for rec in records:
        typed = clean_name(rec.values.get("组别", ""))
        if typed:
            spellings = used.setdefault(group_key(typed), {})
            spellings[typed] = spellings.get(typed, 0) + 1
    for key, spellings in used.items():
        if key not in chosen:
            chosen[key] = max(spellings, key=lambda s: spellings[s])  # max keeps the first of equals
    changed: dict[tuple[str, str], list[str]] = {}
    for rec in records:
        typed = clean_name(rec.values.get("组别", ""))
        if typed and chosen[group_key(typed)] != typed:
            rec.values["组别"] = chosen[group_key(typed)]
            cell = rec.cells.get("组别") or f"第{rec.row}行"
            changed.setdefault((typed, rec.values["组别"]), []).append(f"{rec.file} / {rec.sheet} / {cell}")
    if not changed:
        return []
    listed = "；".join(f"“{a}”→“{b}”（{_places(at)}）" for (a, b), at in changed.items())
    return [Problem(Location(records[0].file), f"同一个组有几种写法，组别统一为一种写法（户籍已有的组用户籍的写法，"
                                               f"否则用名册里用得最多的写法）：{listed}", INFO)]


def _places(at: list[str], most: int = 6) -> str:
    shown = "、".join(at[:most])
    return shown + (f" 等 {len(at)} 处" if len(at) > most else "")


def roster_paths(paths: list[Path]) -> list[Path]:
    from villagectl.io.filetype import looks_like_spreadsheet

    out: list[Path] = []
    for p in paths:
        if p.is_dir():
            out.extend(sorted(q for q in p.iterdir() if q.is_file() and looks_like_spreadsheet(q)))
        else:
            out.append(p)
    return out
