"""The year's mutual-evaluation tally (互评计票表): per household the votes cast and the 不合格 votes.

Importer protocol (importers/fields.py): ``FIELDS``, ``identify(book)``, ``extract(book, ctx)`` with
``ctx`` a ``VoteContext``; ``vote import`` (actions/score_year.py) calls ``extract`` per file.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from villagectl.errors import Location, Problem
from villagectl.importers.fields import GROUP_FIELD, HEAD_FIELD, HOUSEHOLD_ID_FIELD, FieldSpec
from villagectl.importers.households_lookup import Roster
from villagectl.importers.table import locate_table, tables_score
from villagectl.io.reader import WorkbookRows, cell_ref
from villagectl.values import NotANumber, as_text, clean_text, find_group, group_key, to_int

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


def _usable(table) -> bool:
    return "不合格票" in table.columns and "投票数" in table.columns


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
            continue
        found = True
        title = " ".join(clean_text(v) for row in sheet.rows[: table.header_row] for v in row if clean_text(v))
        for r in table.data_rows:
            def at(column: str) -> Location:
                c = table.columns.get(column)
                return Location(name, sheet.name, cell_ref(r, c) if c is not None else f"第{r + 1}行")

            group_cell = clean_text(table.value(r, "组别"))
            lookup = roster.find(clean_text(table.value(r, "户号")), clean_text(table.value(r, "户主")),
                                 group_key(group_cell) if group_cell else find_group(title), purpose="评议")
            for target, message, severity in lookup.problems:
                problems.append(Problem(at("户号" if target == "id" and "户号" in table.columns else "户主"), message, severity))
            if lookup.index is None:
                continue
            hid = clean_text(roster[lookup.index]["户号"])
            try:
                cast, unfit = to_int(table.value(r, "投票数")), to_int(table.value(r, "不合格票"))
            except NotANumber:
                problems.append(Problem(at("投票数"), "投票数和不合格票应为整数"))
                continue
            if cast is None or unfit is None or cast <= 0 or unfit < 0:
                problems.append(Problem(at("投票数"), "投票数应大于 0，不合格票不能为空或负数"))
                continue
            if unfit > cast:
                problems.append(Problem(at("不合格票"), f"不合格票 {unfit} 超过投票数 {cast}"))
                continue
            where = f"{name} / {sheet.name} / {at('户号' if '户号' in table.columns else '户主').cell}"
            if hid in seen:
                problems.append(Problem(at("户号" if "户号" in table.columns else "户主"), f"户号 {hid} 重复（另见 {seen[hid]}）"))
                continue
            seen[hid] = where
            rows.append({"年度": year, "户号": hid, "户主": as_text(roster[lookup.index]["户主"]),
                         "投票数": cast, "不合格票": unfit, "来源": where})
    if not found:
        problems.append(Problem(Location(name), "没有找到计票表：表头要有“户号”或“户主”、“投票数”、“不合格票”列"))
    return rows, problems
