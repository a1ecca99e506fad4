"""Reading and checking the rule sheets (规则 / 换算 / 参数). Pure: no I/O."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from villagectl import schema
from villagectl.table import Table, as_table
from villagectl.rules.presets import Band, Rule
from villagectl.values import NotANumber, as_text, clean_text, fmt_number, to_number

if TYPE_CHECKING:
    import pandas as pd

EPS = 1e-9


@dataclass(frozen=True)
class RuleIssue:
    sheet: str
    row: int  # position in the frame (0-based); the caller maps it to an Excel row
    column: str
    message: str


def parse_rules(frame: "Table | pd.DataFrame") -> tuple[list[Rule], list[RuleIssue]]:
    rules: list[Rule] = []
    issues: list[RuleIssue] = []
    seen: set[str] = set()
    for pos, row in enumerate(as_table(frame).records()):
        code = clean_text(row.get("编码", ""))
        if not code:
            issues.append(RuleIssue("规则", pos, "编码", "缺少编码"))
            continue
        if code in seen:
            issues.append(RuleIssue("规则", pos, "编码", f"编码 {code} 重复"))
            continue
        seen.add(code)
        kind = clean_text(row.get("类型", ""))
        if kind not in schema.RULE_TYPES:
            issues.append(RuleIssue("规则", pos, "类型", f"类型“{kind}”无效，应为 {'/'.join(schema.RULE_TYPES)}"))
            continue
        period = clean_text(row.get("周期", ""))
        if period not in schema.RULE_PERIODS:
            issues.append(RuleIssue("规则", pos, "周期", f"周期“{period}”无效，应为 {'/'.join(schema.RULE_PERIODS)}"))
            continue
        numbers: dict[str, float | None] = {}
        bad = False
        for col in ("分值", "上限", "步长"):
            try:
                numbers[col] = to_number(row.get(col, ""))
            except NotANumber as exc:
                issues.append(RuleIssue("规则", pos, col, f"{col}“{exc}”不是数字"))
                bad = True
        if bad:
            continue
        points = numbers["分值"]
        if points is None:
            issues.append(RuleIssue("规则", pos, "分值", "缺少分值"))
            continue
        if points < 0:
            issues.append(RuleIssue("规则", pos, "分值", f"分值 {fmt_number(points)} 不能为负数（扣分项填正数）"))
            continue
        rules.append(
            Rule(
                code=code,
                category=as_text(row.get("类别", "")),  # names and notes as typed (printed); matching uses clean_name
                item=as_text(row.get("项目", "")),
                points=points,
                type=kind,
                period=period,
                cap=numbers["上限"],
                step=numbers["步长"],
                synonyms=as_text(row.get("同义词", "")),  # line breaks separate synonyms: keep them
                note=as_text(row.get("说明", "")),
            )
        )
    return rules, issues


def parse_bands(frame: "Table | pd.DataFrame") -> tuple[list[Band], list[RuleIssue]]:
    bands: list[Band] = []
    issues: list[RuleIssue] = []
    for pos, row in enumerate(as_table(frame).records()):
        values: dict[str, float | None] = {}
        bad = False
        for col in ("下限", "上限", "积分"):
            try:
                values[col] = to_number(row.get(col, ""))
            except NotANumber as exc:
                issues.append(RuleIssue("换算", pos, col, f"{col}“{exc}”不是数字"))
                bad = True
                continue
            if values[col] is None:
                issues.append(RuleIssue("换算", pos, col, f"缺少{col}"))
                bad = True
        flags: dict[str, bool] = {}
        for col in ("含下限", "含上限"):
            text = clean_text(row.get(col, ""))
            if text not in ("是", "否"):
                issues.append(RuleIssue("换算", pos, col, f"{col}应填“是”或“否”，现为“{text}”"))
                bad = True
            flags[col] = text == "是"
        if bad:
            continue
        if values["下限"] > values["上限"]:
            issues.append(RuleIssue("换算", pos, "下限", "下限大于上限"))
            continue
        bands.append(
            Band(values["下限"], flags["含下限"], values["上限"], flags["含上限"], values["积分"],
                 clean_text(row.get("说明", "")))
        )
    return bands, issues


def band_gaps_and_overlaps(bands: list[Band], low: float, high: float) -> list[str]:
    """Describe every gap or overlap of the bands over [low, high]."""
    problems: list[str] = []
    ordered = sorted(bands, key=lambda b: (b.low, not b.low_inclusive))
    for a, b in zip(ordered, ordered[1:]):
        if b.low < a.high - EPS or (
            abs(b.low - a.high) < EPS and a.high_inclusive and b.low_inclusive
        ):
            problems.append(f"档次 {describe_band(a)} 与 {describe_band(b)} 重叠")
        elif b.low > a.high + EPS or (
            abs(b.low - a.high) < EPS and not a.high_inclusive and not b.low_inclusive
        ):
            problems.append(f"档次 {describe_band(a)} 与 {describe_band(b)} 之间有空档")
    if ordered:
        first, last = ordered[0], ordered[-1]
        if first.low > low + EPS or (abs(first.low - low) < EPS and not first.low_inclusive):
            problems.append(f"{fmt_number(low)} 分起的得分没有对应档次（最低档从 {describe_band(first)} 开始）")
        if last.high < high - EPS or (abs(last.high - high) < EPS and not last.high_inclusive):
            problems.append(f"满分 {fmt_number(high)} 没有对应档次（最高档为 {describe_band(last)}）")
    return problems


def describe_band(band: Band) -> str:
    left = "[" if band.low_inclusive else "("
    right = "]" if band.high_inclusive else ")"
    return f"{left}{fmt_number(band.low)}, {fmt_number(band.high)}{right}"


def points_for(score: float, bands: list[Band]) -> float | None:
    """The points a total earns; None when no band covers it."""
    for band in bands:
        above = score > band.low + EPS or (band.low_inclusive and abs(score - band.low) <= EPS)
        below = score < band.high - EPS or (band.high_inclusive and abs(score - band.high) <= EPS)
        if above and below:
            return band.points
    return None


def inspection_total(rules: list[Rule]) -> float:
    return sum(r.points for r in rules if r.type == "检查项")
