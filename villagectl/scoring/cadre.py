"""Cadre and representative assessment (seeds 000, 003). Pure functions.

composite = (scorecard − negative-list deductions) × (1 − w) + democratic × w,
w = 民主评议权重 (0.3, seed 003). The scorecard is the sum over indicators of
the assessors' mean (optionally dropping the highest and the lowest mark).
The democratic score is the votes' mean value under 评议票分值.

Grades by thresholds (优秀 / 称职 / 基本称职 / 不称职). 优秀 is limited to
优秀比例 % of those assessed in the same 类别 (rounded down, at least one): candidates are
taken by composite, ties broken by the democratic score; a tie still
straddling the quota is left out whole (优秀并列处理 整体不计入, the default, so the
quota is never exceeded) or taken in whole (整体计入). Those left out are 称职.

Flags: a negative-list veto → grade 不称职 and 停职教育 (cadre) / 退出
(representative); 不称职 votes strictly above 1/3 of the votes cast →
组织调整 (seed 003: 超过三分之一); grade 不称职 → 组织调整 (综合考核不称职的);
a representative below 代表退出分数线 → 退出 (seed 000). Pay for cadres =
基础考核报酬 × the grade's coefficient; representatives get no 考核报酬.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from fractions import Fraction

from villagectl.values import NotANumber, clean_text, to_number

GRADES = ("优秀", "称职", "基本称职", "不称职")
EPS = 1e-9


def parse_mapping(text: str, defaults: dict[str, float]) -> dict[str, float]:
    """'优秀=100、称职=80、…' → {'优秀': 100.0, …}; unknown parts keep the defaults."""
    out = dict(defaults)
    for part in text.replace("，", "、").replace(",", "、").replace(";", "、").split("、"):
        if "=" in part:
            key, value = part.split("=", 1)
            try:
                number = to_number(value)
            except NotANumber:
                continue
            if number is not None:
                out[clean_text(key)] = number
    return out


def parse_share(text: str, default: Fraction) -> Fraction:
    text = clean_text(text)
    try:
        if "/" in text:
            a, b = text.split("/", 1)
            return Fraction(int(a), int(b))
        if text:
            value = Fraction(text.rstrip("%"))
            return value / 100 if value > 1 else value
    except (ValueError, ZeroDivisionError):
        pass
    return default


@dataclass(frozen=True)
class CadreSettings:
    weight: float = 0.3
    vote_values: dict[str, float] = field(default_factory=lambda: {"优秀": 100, "称职": 80, "基本称职": 60, "不称职": 0})
    drop_extremes: bool = False
    lines: tuple[float, float, float] = (90, 75, 60)  # 优秀, 称职, 基本称职
    excellent_share: float = 20
    excellent_ties_in: bool = False
    unfit_share: Fraction = Fraction(1, 3)
    exit_line: float = 60
    base_pay: float = 10000
    pay_factors: dict[str, float] = field(default_factory=lambda: {"优秀": 1.2, "称职": 1.0, "基本称职": 0.6, "不称职": 0})

    @classmethod
    def from_settings(cls, s: dict[str, str]) -> "CadreSettings":
        d = cls()

        def num(key: str, default: float) -> float:
            try:
                value = to_number(s.get(key, ""))
            except NotANumber:
                value = None
            return default if value is None else value

        return cls(
            weight=num("民主评议权重", d.weight),
            vote_values=parse_mapping(s.get("评议票分值", ""), d.vote_values),
            drop_extremes=s.get("评分去掉最高最低", "否") == "是",
            lines=(num("优秀分数线", 90), num("称职分数线", 75), num("基本称职分数线", 60)),
            excellent_share=num("优秀比例", 20),
            excellent_ties_in=s.get("优秀并列处理", "整体不计入") == "整体计入",
            unfit_share=parse_share(s.get("不称职票比例", "1/3"), Fraction(1, 3)),
            exit_line=num("代表退出分数线", 60),
            base_pay=num("基础考核报酬", 10000),
            pay_factors=parse_mapping(s.get("报酬系数", ""), d.pay_factors),
        )


def assessor_mean(marks: list[float], drop_extremes: bool) -> float:
    """The assessors' marks for one indicator: the mean, or the mean without one highest and one lowest."""
    values = sorted(marks)
    if drop_extremes and len(values) >= 3:
        values = values[1:-1]
    return sum(values) / len(values)


def scorecard(marks_by_indicator: dict[str, list[float]], maxima: dict[str, float], drop_extremes: bool) -> float:
    total = 0.0
    for code, maximum in maxima.items():
        marks = marks_by_indicator.get(code)
        if marks:
            total += min(assessor_mean(marks, drop_extremes), maximum)
    return round(total, 4)


def democratic_score(votes: dict[str, int], values: dict[str, float]) -> float | None:
    cast = sum(votes.get(g, 0) for g in GRADES)
    if cast <= 0:
        return None
    return round(sum(votes.get(g, 0) * values.get(g, 0) for g in GRADES) / cast, 4)


def unfit_above(votes: dict[str, int], share: Fraction) -> bool:
    """Seed 003 "不称职率超过三分之一": strictly above; exactly one third is not."""
    cast = sum(votes.get(g, 0) for g in GRADES)
    return cast > 0 and Fraction(votes.get("不称职", 0), cast) > share


def composite(card: float, deductions: float, democratic: float, weight: float) -> float:
    return round(max(card - deductions, 0.0) * (1 - weight) + democratic * weight, 4)


def grade_by_lines(score: float, lines: tuple[float, float, float]) -> str:
    for line, grade in zip(lines, GRADES):
        if score >= line - EPS:
            return grade
    return "不称职"


@dataclass
class Assessed:
    person_id: str
    name: str
    post: str
    kind: str  # 村干部 / 村民代表
    card: float
    deductions: float
    democratic: float
    votes: dict[str, int]
    vetoed: list[str] = field(default_factory=list)


@dataclass
class Outcome:
    person: Assessed
    score: float
    rank: int
    grade: str
    flags: list[str]
    pay: float | None
    notes: list[str]


def grade_all(people: list[Assessed], s: CadreSettings) -> list[Outcome]:
    """Grades, the 优秀 quota per 类别, flags and pay."""
    outcomes: dict[str, Outcome] = {}
    for kind in sorted({p.kind for p in people}):
        group = [p for p in people if p.kind == kind]
        scores = {p.person_id: composite(p.card, p.deductions, p.democratic, s.weight) for p in group}
        ordered = sorted(scores.values(), reverse=True)
        rank_of = {v: ordered.index(v) + 1 for v in ordered}
        # rounded down, but at least one: a village has only a handful of cadres
        quota = max(1, math.floor(len(group) * s.excellent_share / 100 + EPS)) if s.excellent_share > 0 else 0
        candidates = [p for p in group if not p.vetoed and grade_by_lines(scores[p.person_id], s.lines) == "优秀"
                      and not unfit_above(p.votes, s.unfit_share)]
        candidates.sort(key=lambda p: (-scores[p.person_id], -p.democratic))
        excellent = _within_quota(candidates, quota, lambda p: (scores[p.person_id], p.democratic), s.excellent_ties_in)
        for p in group:
            score = scores[p.person_id]
            grade = grade_by_lines(score, s.lines)
            notes: list[str] = []
            flags: list[str] = []
            if grade == "优秀" and p.person_id not in excellent:
                grade = "称职"
                notes.append(f"综合得分达到优秀分数线，但超出优秀名额（{quota} 名），评为称职")
            if p.vetoed:
                grade = "不称职"
                flags.append("停职教育" if kind == "村干部" else "退出")
                notes.append("负面清单一票否决：" + "、".join(p.vetoed))
            if unfit_above(p.votes, s.unfit_share):
                flags.append("组织调整")
                cast = sum(p.votes.get(g, 0) for g in GRADES)
                notes.append(f"民主评议不称职票 {p.votes.get('不称职', 0)}/{cast}，超过 {s.unfit_share}")
            if grade == "不称职" and "组织调整" not in flags:
                flags.append("组织调整")
            if kind == "村民代表" and score < s.exit_line - EPS and "退出" not in flags:
                flags.append("退出")
                notes.append(f"综合得分低于代表退出分数线 {s.exit_line:g}")
            pay = round(s.base_pay * s.pay_factors.get(grade, 0), 2) if kind == "村干部" else None
            outcomes[p.person_id] = Outcome(p, score, rank_of[score], grade, flags, pay, notes)
    return [outcomes[p.person_id] for p in people]


def _within_quota(candidates: list, quota: int, key, ties_in: bool) -> set[str]:
    """Take candidates in order up to ``quota``; a tie (same key) at the boundary goes in or out whole."""
    chosen: set[str] = set()
    i = 0
    while i < len(candidates):
        j = i
        while j + 1 < len(candidates) and key(candidates[j + 1]) == key(candidates[i]):
            j += 1
        size = j - i + 1
        if len(chosen) + size <= quota or (ties_in and len(chosen) < quota):
            chosen.update(c.person_id for c in candidates[i : j + 1])
        else:
            break
        i = j + 1
    return chosen
