"""A quarter's results in the base-140 scheme (seed 001 篇4): per household its quarterly item scores.

Pure: the quarterly rules (周期 季), the 检查记录 and 户籍 tables in, the quarter's rows out (no ledger,
no files). A quarter's results are the 检查记录 rows of its three months: per household the latest row
with a quarterly score; a row left blank is "not inspected". ``actions/notice_quarter.py`` reads the
ledger, prints the notice and records the quarter's 期间 row.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from villagectl.errors import DataError, Location, Problem
from villagectl.ledger.households import is_active
from villagectl.ledger.inspections import item_columns_of
from villagectl.ledger.quarters import quarter_months, quarter_period
from villagectl.values import NotANumber, clean_text, fmt_number, group_key, to_number


def _num(value: object) -> float | None:
    try:
        return to_number(value)
    except NotANumber:
        return None


@dataclass
class QuarterHousehold:
    household_id: str
    name: str
    group: str
    scores: dict[str, float]  # rule code -> score (only the items scored)
    month: str = ""  # the 检查记录 month the scores come from
    listed: bool = False  # on a sheet of the quarter (possibly left blank)

    @property
    def inspected(self) -> bool:
        return bool(self.scores)

    @property
    def total(self) -> float | None:
        return round(sum(self.scores.values()), 4) if self.scores else None


@dataclass
class QuarterResults:
    year: int
    quarter: int
    rules: list  # the quarterly rules (周期 季), in catalogue order
    households: list[QuarterHousehold]
    reviews: list[tuple[str, str, str]] = field(default_factory=list)  # (group, by group, "张三、李四")

    @property
    def label(self) -> str:
        return quarter_period(self.year, self.quarter)

    def unlisted_by_group(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for h in self.households:
            if not h.listed:
                out[h.group] = out.get(h.group, 0) + 1
        return out


def quarterly_rules(rules: list) -> list:
    """The rules inspected once a quarter (周期 季), in catalogue order."""
    return [r for r in rules if r.period == "季"]


def quarter_results_of(rules: list, year: int, quarter: int, inspections: pd.DataFrame,
                       households: pd.DataFrame) -> QuarterResults:
    """Per active household (and any household scored in the quarter): its quarterly item scores.

    ``rules`` are the quarterly rules (``quarterly_rules``); DataError when there are none, or when no
    sheet of the quarter has been imported yet."""
    label = quarter_period(year, quarter)
    if not rules:
        raise DataError(f"“规则”表里没有按季度检查的项目（周期为“季”），没有{label}的结果",
                        hint="季度公示用于 base140 方案（环境整治、文明新风每季度评议一次）；按月检查的用 notice month")
    months = set(quarter_months(year, quarter))
    cols = item_columns_of(inspections, rules) if len(inspections) else {}
    part = inspections[inspections["月份"].map(clean_text).isin(months)] if len(inspections) else inspections
    part = part.iloc[part["月份"].map(clean_text).argsort(kind="stable")] if len(part) else part
    by_household: dict[str, QuarterHousehold] = {}
    for r in households.to_dict("records"):
        if is_active(r.get("状态")):
            hid = clean_text(r["户号"])
            by_household[hid] = QuarterHousehold(hid, clean_text(r.get("户主")), clean_text(r.get("组别")), {})
    known = {clean_text(r["户号"]): r for r in households.to_dict("records")}
    reviews: dict[str, tuple[str, list[str]]] = {}
    for r in part.to_dict("records"):
        hid = clean_text(r.get("户号"))
        scores = {code: v for code, col in cols.items() if (v := _num(r.get(col))) is not None}
        if hid not in by_household:
            if not scores or hid not in known:
                continue  # moved out and not scored this quarter
            h = known[hid]
            by_household[hid] = QuarterHousehold(hid, clean_text(h.get("户主")), clean_text(h.get("组别")), {})
        entry = by_household[hid]
        entry.listed = True
        if scores:  # the latest month with a quarterly score wins (a 补查 after a blank row)
            entry.scores, entry.month = scores, clean_text(r.get("月份"))
            by_group, members = clean_text(r.get("评议组")), clean_text(r.get("评议人"))
            if by_group or members:
                seen = reviews.setdefault(entry.group, (by_group, []))
                for m in members.split("、"):
                    if m and m not in seen[1]:
                        seen[1].append(m)
    if not any(h.listed for h in by_household.values()):
        raise DataError(f"{label}（{min(months)} 至 {max(months)}）还没有导入按季度检查的评分表",
                        hint=f"先用 villagectl inspect forms --quarter {year}Q{quarter} 生成评分表，填好后 inspect import 导入")
    ordered = sorted(by_household.values(), key=lambda h: (group_key(h.group).zfill(4), h.household_id))
    review_rows = [(g, by, "、".join(members)) for g, (by, members) in
                   sorted(reviews.items(), key=lambda kv: group_key(kv[0]).zfill(4))]
    return QuarterResults(year, quarter, rules, ordered, review_rows)


def blank_rule(settings: dict[str, str], rules) -> str:
    """The notice's line on how a quarter left blank counts at the year's end (设置 季度合并方式)."""
    base = "、".join(f"{r.item}{fmt_number(r.points)}分" for r in rules)
    if (settings.get("季度合并方式", "平均") or "平均") == "最新":
        return f"年终各项按最近一次检查的得分计入年度积分，全年未检查的按基础分（{base}）计。"
    return f"年终各项按已检查季度的平均分计入年度积分，未检查的季度不计入平均，全年未检查的按基础分（{base}）计。"


def frame_of(results: QuarterResults) -> pd.DataFrame:
    """The quarter's results as a table (for the terminal and --json)."""
    rows = []
    for h in results.households:
        row = {"组别": h.group, "户号": h.household_id, "户主": h.name}
        for r in results.rules:
            row[r.item] = h.scores.get(r.code)
        row["合计"] = h.total
        row["备注"] = "" if h.inspected else ("本季度未检查" if h.listed else "不在任何评分表上")
        rows.append(row)
    return pd.DataFrame(rows)


def posted_changes(results: QuarterResults, rows, file: str) -> list[Problem]:
    """Imported sheet rows against a posted quarter's results: a household's quarterly scores no longer
    change (错误); a household without any yet comes in as a 补查 (提醒: reprint the quarter's notice).
    Rows with only other (annual) items pass."""
    label, year, q = results.label, results.year, results.quarter
    codes = {r.code for r in results.rules}
    have = {h.household_id: h.scores for h in results.households if h.scores}
    out = []
    for r in rows:
        mine = {c: v for c, v in r.scores.items() if c in codes}
        if not mine:
            continue
        where = Location(file, r.sheet, r.id_cell)
        old = have.get(r.household_id)
        if old is None:
            out.append(Problem(where, f"{label}已入账：{r.name}（{r.household_id}）本季度原来没有得分，按补查导入；"
                                      f"请重新打印季度公示（villagectl notice quarter --quarter {year}Q{q}）", "提醒"))
        elif any(abs(old.get(c, float("nan")) - v) > 1e-9 or c not in old for c, v in mine.items()):
            was = "、".join(f"{rule.item} {fmt_number(old[rule.code])}" for rule in results.rules if rule.code in old)
            out.append(Problem(where, f"{label}已入账，{r.name}（{r.household_id}）本季度的得分（{was}）不能再改"))
    return out
