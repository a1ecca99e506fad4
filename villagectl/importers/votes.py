"""The year's mutual-evaluation tally (互评计票表): per household the votes cast and the 不合格 votes.

Importer protocol (importers/fields.py): ``FIELDS``, ``identify(book)``, ``extract(book, ctx)`` with
``ctx`` a ``VoteContext``; ``vote import`` (actions/score_year.py) calls ``extract`` per file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from villagectl.errors import Location, Problem
from villagectl.importers.fields import GROUP_FIELD, HEAD_FIELD, HOUSEHOLD_ID_FIELD, FieldSpec
from villagectl.importers.households_lookup import Roster
from villagectl.importers.table import locate_table, tables_score
from villagectl.io.reader import WorkbookRows, cell_ref
from villagectl.values import NotANumber, as_text, clean_text, find_group, group_key, header_key, to_count

VOTE_FIELDS = [
    HOUSEHOLD_ID_FIELD,
    HEAD_FIELD,
    GROUP_FIELD,
    FieldSpec("投票数", ("参评票数", "总票数", "有效票", "有效票数", "票数", "投票人数", "参加人数")),
    FieldSpec("不合格票", ("不合格", "不合格票数", "不合格数")),
]
FIELDS = VOTE_FIELDS


@dataclass
class VoteContext:
    display_name: str
    roster: Roster  # 户籍
    year: int
    seen: dict[str, str] = field(default_factory=dict)  # 户号 → where it was read (across the files of a batch)


# A header is read by what it contains, not by a list of wordings:
# the votes cast: who came or voted (实到人数, 参加人数, 参评票数, 出席人数, 有效票 …), never who should have (应到)
_CAST = re.compile(r"(?:实到|实参|实际|参加|参评|参与|出席|到会|到场|有效|投票|评议|表决).*(?:人数|票数|票)$")
_NOT_CAST = re.compile(r"应到|应参|应出|不合格|率|%|比例|占比|缺席|未到|弃权|无效")
# a level of a tally (优秀 / 合格 / 不合格 …), with or without 票 / 票数 / 人数
_LEVEL = re.compile(r"(?:(?:基本|比较|较)?(?:优秀|良好|合格|称职|满意)|较好|好|一般|较差|差|不合格|不称职|不满意)"
                    r"(?:票|票数|数|人数|\(票\)|\(人\))?")
_UNFIT = re.compile(r"不合格")
_ABSTAINED = re.compile(r"弃权|无效")
_NOT_COUNT = re.compile(r"率|%|比例|占比|百分")


@dataclass
class TallyColumns:
    """Which column holds what: 投票数 (or the level columns it is the sum of) and 不合格票."""

    cast: int | None = None
    unfit: int | None = None
    levels: list[int] = field(default_factory=list)  # 投票数 = their sum, when there is no 投票数 column
    ambiguous: str = ""  # a Chinese message: two columns could be 投票数 or 不合格票


def tally_columns(table) -> TallyColumns:
    """The tally's columns, by the header's wording first (``VOTE_FIELDS``), then by what a header contains."""
    out = TallyColumns(table.columns.get("投票数"), table.columns.get("不合格票"))
    others = {c: header_key(t) for c, t in table.other_headers.items()}
    others = {c: k for c, k in others.items() if k and not _NOT_COUNT.search(k)}
    if out.cast is None:
        cast = [c for c, k in others.items() if _CAST.search(k) and not _NOT_CAST.search(k)]
        if len(cast) > 1:
            out.ambiguous = "“" + "”“".join(table.other_headers[c] for c in cast) + "”都像投票数，请只留一列或把其中一列改名为“投票数”"
        elif cast:
            out.cast = cast[0]
    if out.unfit is None:
        unfit = [c for c, k in others.items() if _UNFIT.search(k)]
        if len(unfit) > 1:
            out.ambiguous = "“" + "”“".join(table.other_headers[c] for c in unfit) + "”都像不合格票，请只留一列或把其中一列改名为“不合格票”"
        elif unfit:
            out.unfit = unfit[0]
    if out.cast is None and out.unfit is not None and _UNFIT.search(header_key(table.sheet.cell(table.header_row, out.unfit))):
        levels = [c for c, k in others.items() if c != out.unfit and _LEVEL.fullmatch(k)]
        negative = [c for c in levels if header_key(table.sheet.cell(table.header_row, c)).startswith("不")]
        if levels and not negative:  # a second 不… level: which one is 不合格票? not guessed
            out.levels = sorted(levels + [out.unfit])
    return out


def _usable(table) -> bool:
    cols = tally_columns(table)
    return cols.unfit is not None and (cols.cast is not None or bool(cols.levels))


def identify(book: WorkbookRows) -> int:
    """The tally columns a sheet's header names (0: no sheet has 投票数 and 不合格票)."""
    return tables_score(book, VOTE_FIELDS, _usable)


def extract(book: WorkbookRows, ctx: VoteContext) -> tuple[list[dict], list[Problem]]:
    """One 互评 row per household (年度, 户号, 户主, 投票数, 不合格票, 来源), and the problems."""
    roster, year, seen, name = ctx.roster, ctx.year, ctx.seen, ctx.display_name
    rows: list[dict] = []
    problems: list[Problem] = []
    found = False
    for sheet in book.sheets:
        table = locate_table(sheet, VOTE_FIELDS)
        if table is None or not _usable(table):
            if table is not None and tally_columns(table).ambiguous:
                problems.append(Problem(Location(name, sheet.name, cell_ref(table.header_row, 0)), tally_columns(table).ambiguous))
                found = True
            continue
        found = True
        cols = tally_columns(table)
        header = table.sheet.rows[table.header_row]
        if cols.levels:
            problems.append(Problem(Location(name, sheet.name), "没有“投票数”列：投票数按“" + "”“".join(
                clean_text(header[c]) for c in cols.levels) + f"”各列之和计算，不合格票取“{clean_text(header[cols.unfit])}”列", "提醒"))
            left_out = [c for c, t in table.other_headers.items() if _ABSTAINED.search(header_key(t)) and c not in cols.levels]
            if left_out:  # 弃权 in or out of 投票数 can move a household across the 1/3 line: the clerk decides
                problems.append(Problem(Location(name, sheet.name, cell_ref(table.header_row, left_out[0])), "“" + "”“".join(
                    clean_text(header[c]) for c in left_out) + "”没有计入投票数；如果本村算作投了票，请加一列“投票数”写上总票数再导入", "警告"))
        elif "投票数" not in table.columns:
            problems.append(Problem(Location(name, sheet.name, cell_ref(table.header_row, cols.cast)),
                                    f"“{clean_text(header[cols.cast])}”列读作投票数", "提醒"))
        title = " ".join(clean_text(v) for row in sheet.rows[: table.header_row] for v in row if clean_text(v))
        vote_cols = cols.levels or [cols.cast, cols.unfit]
        blank: list[str] = []
        for r in table.data_rows:
            def at(column: str | int | None) -> Location:
                c = table.columns.get(column) if isinstance(column, str) else column
                return Location(name, sheet.name, cell_ref(r, c) if c is not None else f"第{r + 1}行")

            def cell(c: int) -> object:
                return sheet.cell(r, c)

            who = at("户号" if "户号" in table.columns else "户主")
            if not any(clean_text(cell(c)) for c in vote_cols):
                # a household of the form not filled in yet: skipped, counted once below
                blank.append(clean_text(table.value(r, "户主")) or clean_text(table.value(r, "户号")) or who.cell)
                continue
            group_cell = clean_text(table.value(r, "组别"))
            lookup = roster.find(clean_text(table.value(r, "户号")), clean_text(table.value(r, "户主")),
                                 group_key(group_cell) if group_cell else find_group(title) or find_group(sheet.name),
                                 purpose="评议")
            for target, message, severity in lookup.problems:
                problems.append(Problem(at("户号" if target == "id" and "户号" in table.columns else "户主"), message, severity))
            if lookup.index is None:
                continue
            hid = clean_text(roster[lookup.index]["户号"])
            counts: dict[int, int | None] = {}
            bad = False
            for c in vote_cols:
                try:
                    number = to_count(cell(c))
                except NotANumber:
                    number = 0.5  # not a whole number: reported below
                if number is not None and (not float(number).is_integer() or number < 0):
                    problems.append(Problem(at(c), f"{clean_text(header[c])}“{clean_text(cell(c))}”应为不小于 0 的整数（如 30 或 30票）"))
                    bad = True
                counts[c] = None if number is None else int(number)
            if bad:
                continue
            if cols.levels:
                cast, unfit = sum(v or 0 for v in counts.values()), counts[cols.unfit] or 0
            else:
                cast, unfit = counts[cols.cast], counts[cols.unfit]
                if cast is None or unfit is None:
                    missing = cols.cast if cast is None else cols.unfit
                    problems.append(Problem(at(missing), f"这一户的{clean_text(header[missing])}没有填（投票数和不合格票都要填，没有不合格票写 0）"))
                    continue
            if cast <= 0:
                problems.append(Problem(at(cols.cast if cols.cast is not None else cols.levels[0]), "投票数应大于 0"))
                continue
            if unfit > cast:
                problems.append(Problem(at(cols.unfit), f"不合格票 {unfit} 超过投票数 {cast}"))
                continue
            where = f"{name} / {sheet.name} / {who.cell}"
            if hid in seen:
                problems.append(Problem(who, f"户号 {hid} 重复（另见 {seen[hid]}）"))
                continue
            seen[hid] = where
            rows.append({"年度": year, "户号": hid, "户主": as_text(roster[lookup.index]["户主"]),
                         "投票数": cast, "不合格票": unfit, "来源": where})
        if blank:
            shown = "、".join(blank[:5]) + ("等" if len(blank) > 5 else "")
            problems.append(Problem(Location(name, sheet.name), f"有 {len(blank)} 户还没有填票数（{shown}），这些户这次没有导入；"
                                    "填好后再导入一次即可（已导入的户会按新表更新）", "提醒"))
    if not found:
        problems.append(Problem(Location(name), "没有找到计票表：表头要有“户号”或“户主”、“投票数”、“不合格票”列"))
    return rows, problems
