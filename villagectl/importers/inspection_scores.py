"""What an inspection sheet is read against and into: the context, the rows, the score checks.

Shared by the grid reader (``inspection``) and the one-household form reader
(``inspection_form``) so neither imports the other's internals.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

import pandas as pd

from villagectl.errors import Problem
from villagectl.importers.formula import Unsupported, evaluate
from villagectl.importers.header_match import DEFAULT_FILLERS, ItemScanner, ItemSpec
from villagectl.importers.households_lookup import Roster
from villagectl.importers.sheet_layout import number_or_none
from villagectl.io.reader import SheetRows
from villagectl.rules.presets import Rule
from villagectl.values import NotANumber, clean_text, fmt_number, to_number

INFO = "提醒"  # severity of a note on how the file was read (never blocks an import)


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
class ColumnReading:
    """How one column was understood (shown to the clerk when it was not exact)."""

    sheet: str
    cell: str
    header: str
    code: str
    item: str
    certainty: str
    reason: str

    def as_dict(self) -> dict:
        return {"sheet": self.sheet, "cell": self.cell, "header": self.header, "code": self.code,
                "item": self.item, "certainty": self.certainty, "reason": self.reason}

    def message(self) -> str:
        return f"列“{self.header}” → {self.item}（{self.code}），{self.reason}"


@dataclass
class FileResult:
    file: str
    month: str | None = None
    rows: list[InspectionRow] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    groups: set[str] = field(default_factory=set)
    skipped_blank: int = 0  # households listed with no scores at all
    readings: list[ColumnReading] = field(default_factory=list)  # columns matched by evidence, not by name
    blank_rows: list[InspectionRow] = field(default_factory=list)  # listed, left empty: not inspected this month
    notes: list[Problem] = field(default_factory=list)  # 提醒: columns and rows skipped, and why

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "错误"]


@dataclass
class Context:
    """What a file is read against: the rules and the roster."""

    rules: list[Rule]  # 检查项 / 基础分 items, in catalogue order
    households: pd.DataFrame  # 户籍
    month: str | None = None  # --month
    group: str | None = None  # --group
    today: dt.date = field(default_factory=dt.date.today)
    learned: dict[str, str] = field(default_factory=dict)  # 表头对照: header text -> code
    fillers: tuple[str, ...] = DEFAULT_FILLERS
    dash_is_zero: bool = False  # 参数 短横记零分
    village: str = ""  # 参数 村名: a batch from another village is named as such
    file: str = ""  # the file as the clerk knows it (extract(); read_inspection_file is given it)

    def __post_init__(self) -> None:
        self.specs = [ItemSpec.from_rule(r) for r in self.rules]
        self.by_code = {r.code: r for r in self.rules}
        self.scanner = ItemScanner(self.specs, self.learned, self.fillers)
        self.roster = Roster(self.households, group_option=True)
        # items are required per 周期: a sheet carrying one quarterly item carries them all
        self.periods: dict[str, list[str]] = {}
        for r in self.rules:
            self.periods.setdefault(r.period, []).append(r.code)

    def household(self, i: int) -> dict:
        return self.roster[i]


def read_scores(sheet: SheetRows, cells: dict[str, tuple[int, int]], ctx: Context, at, result: FileResult):
    """The item scores of one household: (scores, blank cells as (rule, (r, c)), whether a cell was refused).

    Every refused cell is reported at its own address; blanks are left to the caller (a wholly blank
    household is "not inspected", a partly blank one is an error)."""
    scores: dict[str, float] = {}
    blanks: list[tuple[Rule, tuple[int, int]]] = []
    bad = False
    for code, (r, c) in cells.items():
        rule = ctx.by_code[code]
        value = sheet.cell(r, c)
        if value == "" and (r, c) in sheet.formulas:
            try:
                value = evaluate(sheet.formulas[(r, c)], sheet)
            except Unsupported:
                result.problems.append(Problem(at(r, c), f"{rule.item} 是公式（={sheet.formulas[(r, c)]}）但文件里没有保存计算结果；请在 Excel/WPS 中打开、保存后再发来"))
                bad = True
                continue
        if isinstance(value, (dt.date, dt.datetime, dt.time)):
            result.problems.append(Problem(at(r, c), f"{rule.item} 得分是日期（{clean_text(value)}），不是分数"))
            bad = True
            continue
        try:
            score = read_score(value, ctx)
        except NotANumber as exc:
            hint = exc.args[0] if exc.args and str(exc.args[0]).startswith("；") else ""
            if not hint and re.fullmatch(r"\d{1,3}[,，]\d{1,2}分?", clean_text(value)):
                hint = "（小数点请写成“.”，如 " + clean_text(value).replace("，", ",").replace(",", ".") + "）"
            result.problems.append(Problem(at(r, c), f"{rule.item} 得分“{clean_text(value)}”不是数字{hint}"))
            bad = True
            continue
        if score is None:
            blanks.append((rule, (r, c)))
            continue
        problem = score_problem(rule, score)
        if problem:
            result.problems.append(Problem(at(r, c), problem))
            bad = True
            continue
        scores[code] = score
    return scores, blanks, bad


DASHES = frozenset(("—", "-", "–", "－", "/", "／", "——", "--", "\\"))


def read_score(value: object, ctx: Context) -> float | None:
    """A score cell: numbers in any form ('9.5', '９．５', '6.5分'); a dash is 0 only where the village says so."""
    if type(value) is float:
        return value if value == value else None
    text = clean_text(value)
    if text in DASHES:
        if ctx.dash_is_zero:
            return 0.0
        raise NotANumber("；如果它表示 0 分，请在“参数”表把“短横记零分”设为“是”，或请网格员填 0")
    return to_number(value)


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


def check_typed_total(sheet, r, c, scores, at, result) -> None:
    value = sheet.cell(r, c)
    if value == "" and (r, c) in sheet.formulas:
        return  # a SUM formula without a result: nothing typed to compare
    typed = number_or_none(value)
    computed = round(sum(scores.values()), 4)
    if typed is not None and abs(typed - computed) > 1e-6:
        result.problems.append(
            Problem(at(r, c), f"合计 {fmt_number(typed)} 与各项之和 {fmt_number(computed)} 不符，按 {fmt_number(computed)} 计算", "警告")
        )


def locate(ctx: Context, hid: str, name: str, groups: list[str]):
    """Roster lookup with the groups a sheet gives (one, several, or none)."""
    find = ctx.roster.find
    if len(groups) == 1:
        return find(hid, name, groups[0], inactive_warns=True)
    found = find(hid, name, None, inactive_warns=True)
    if found.index is not None or hid or not groups:
        return found
    # several groups on the sheet (一二组): the name must be unique among them
    hits = [g for g in groups if find("", name, g).index is not None]
    if len(hits) == 1:
        return find("", name, hits[0], inactive_warns=True)
    return found
