"""Cadre documents as PDFs: the public notice of the assessment results, the
internal results sheet for the town office, and the yearly commitments notice.

The renderers get only what is printed, and what may be printed is decided
by the dataclasses below:

- ``CadreNotice`` → ``notice_cadre.typ.j2`` (the village notice board, 三务公开):
  each person's rank, name, post, scorecard, democratic score, composite and
  grade. ``PublicRow`` has no field for the performance pay, the flags
  (组织调整 / 停职教育 / 退出), the vote counts, the negative-list deductions,
  the clerk's 备注 or a phone number, so none of them can reach the template,
  whatever the template says.
- ``CadreInternal`` → ``cadre_internal.typ.j2`` (town office only; every page
  says "内部材料，不得张贴"): the same people plus deductions, votes, flags with
  their reasons and the performance pay with its total.
- ``CommitmentNotice`` → ``commitments.typ.j2``: each person's 共性 and 个性
  履职承诺 for the year, with the line on supervision by party members and
  villagers.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

from villagectl.errors import DataError
from villagectl.render.typst_engine import render_pdf
from villagectl.render.notice_footer import footer_context

NOTICE_TEMPLATE = "notice_cadre.typ.j2"
INTERNAL_TEMPLATE = "cadre_internal.typ.j2"
COMMITMENTS_TEMPLATE = "commitments.typ.j2"

KINDS = ("村干部", "村民代表")
GRADES = ("优秀", "称职", "基本称职", "不称职")
SECTION_NUMBERS = "一二三四五六七八九十"
INTERNAL_MARK = "内部材料，不得张贴"


def period_label(year: int, period: str) -> str:
    """(2026, "全年") → "2026年度"; (2026, "上半年") → "2026年上半年"."""
    return f"{year}年度" if period in ("", "全年") else f"{year}年{period}"


def people_word(kinds: list[str]) -> str:
    """Who a document is about: "村干部和村民代表", or only the kind that has anyone."""
    present = [k for k in KINDS if k in kinds] + [k for k in kinds if k not in KINDS]
    return "和".join(present) if present else "村干部和村民代表"


def _blank(value: float | None) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def score_text(value: float | None) -> str:
    """Scores on paper: two decimals, rounded half up (87.165 → "87.17"); blank stays blank."""
    if _blank(value):
        return ""
    return str(Decimal(repr(float(value))).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def money_text(value: float | None) -> str:
    """12000 → "12,000.00"; blank stays blank."""
    if _blank(value):
        return ""
    amount = Decimal(repr(float(value))).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return f"{amount:,.2f}"


def percent_text(share: float) -> str:
    """0.3 → "30%"."""
    text = f"{share * 100:.2f}".rstrip("0").rstrip(".")
    return f"{text}%"


def grade_counts(grades: list[str]) -> list[dict]:
    """[{"grade": "优秀", "count": 1}, …] in grade order, only grades somebody has; others after the four."""
    order = list(GRADES) + sorted({g for g in grades if g and g not in GRADES})
    counts = [{"grade": g, "count": sum(1 for x in grades if x == g)} for g in order]
    return [c for c in counts if c["count"]]


# --------------------------------------------------------------------------
# The public notice
# --------------------------------------------------------------------------


@dataclass
class PublicRow:
    """One person on the public notice. Deliberately nothing else: no pay, flags, votes, notes or phone."""

    rank: int | None
    name: str
    post: str
    scorecard: float | None  # 指标得分
    democratic: float | None  # 民主评议
    score: float | None  # 综合得分
    grade: str


@dataclass
class CadreSection:
    kind: str  # 村干部 / 村民代表
    rows: list


@dataclass
class CadreNotice:
    village: str
    year: int
    period: str  # 全年 / 上半年 / 下半年
    sections: list[CadreSection]  # PublicRow rows
    weight: float  # 民主评议权重, e.g. 0.3
    period_start: dt.date
    period_end: dt.date
    objection_text: str
    committee: str
    issued: dt.date


def _sorted_rows(rows: list) -> list:
    return sorted(rows, key=lambda r: (r.rank is None, r.rank if r.rank is not None else 0))


def _public_row(r: PublicRow) -> dict:
    return {
        "rank": r.rank,
        "name": r.name,
        "post": r.post,
        "scorecard": score_text(r.scorecard),
        "democratic": score_text(r.democratic),
        "score": score_text(r.score),
        "grade": r.grade,
    }


def _numbered(sections: list[CadreSection], make) -> list[dict]:
    out = []
    for i, sec in enumerate(s for s in sections if s.rows):
        rows = [make(r) for r in _sorted_rows(sec.rows)]
        out.append({
            "number": SECTION_NUMBERS[i] if i < len(SECTION_NUMBERS) else str(i + 1),
            "kind": sec.kind,
            "count": len(rows),
            "rows": rows,
            "grades": grade_counts([r["grade"] for r in rows]),
        })
    return out


def notice_context(notice: CadreNotice) -> dict:
    """The variables ``notice_cadre.typ.j2`` gets (see templates/README.md)."""
    if not any(s.rows for s in notice.sections):
        raise DataError(f"{period_label(notice.year, notice.period)}没有可公示的考核结果")
    sections = _numbered(notice.sections, _public_row)
    label = period_label(notice.year, notice.period)
    who = people_word([s["kind"] for s in sections])
    return {
        "village": notice.village,
        "year": notice.year,
        "period": notice.period,
        "period_label": label,
        "people_word": who,
        "title": f"{notice.village}{label}{who}考核结果公示",
        "sections": sections,
        "person_count": sum(s["count"] for s in sections),
        "weight_text": percent_text(notice.weight),
        "card_weight_text": percent_text(1 - notice.weight),
        **footer_context(notice),  # 公示期, 异议, 落款 (render/notice_footer.py)
    }


def render_cadre_notice(notice: CadreNotice, out_pdf: Path, templates_dir: Path | None = None,
                        font: Path | None = None) -> Path:
    """Print the public notice to ``out_pdf`` (A4, written atomically); return the path."""
    return render_pdf(NOTICE_TEMPLATE, notice_context(notice), Path(out_pdf), templates_dir=templates_dir, font=font)


# --------------------------------------------------------------------------
# The internal results sheet (town office only)
# --------------------------------------------------------------------------


@dataclass
class InternalRow:
    rank: int | None
    person_id: str
    name: str
    post: str
    scorecard: float | None
    deductions: float | None  # 负面扣分
    democratic: float | None
    score: float | None
    grade: str
    votes_cast: int | None  # 投票数
    unfit_votes: int | None  # 不称职票
    flags: list[str] = field(default_factory=list)  # 组织调整 / 停职教育 / 退出
    pay: float | None = None  # 考核报酬 (cadres only)
    reasons: list[str] = field(default_factory=list)  # 备注, split at "；"


@dataclass
class CadreInternal:
    village: str
    year: int
    period: str
    sections: list[CadreSection]  # InternalRow rows
    weight: float
    base_pay: float
    pay_factors: dict[str, float]
    state: str  # 草稿 / 公示 / 入账
    committee: str
    issued: dt.date


def _internal_row(r: InternalRow) -> dict:
    return {
        "rank": r.rank,
        "id": r.person_id,
        "name": r.name,
        "post": r.post,
        "scorecard": score_text(r.scorecard),
        "deductions": score_text(r.deductions),
        "democratic": score_text(r.democratic),
        "score": score_text(r.score),
        "grade": r.grade,
        "votes_cast": r.votes_cast,
        "unfit_votes": r.unfit_votes,
        "flags": list(r.flags),
        "flag_text": "、".join(r.flags),
        "pay": money_text(r.pay),
        "has_pay": not _blank(r.pay),
        "reasons": [x for x in r.reasons if x],
    }


def internal_context(doc: CadreInternal) -> dict:
    """The variables ``cadre_internal.typ.j2`` gets (see templates/README.md)."""
    if not any(s.rows for s in doc.sections):
        raise DataError(f"{period_label(doc.year, doc.period)}没有考核结果")
    sections = _numbered(doc.sections, _internal_row)
    for sec, src in zip(sections, [s for s in doc.sections if s.rows]):
        pays = [r.pay for r in src.rows if not _blank(r.pay)]
        sec["has_pay"] = bool(pays)
        sec["pay_total"] = money_text(round(sum(pays), 2)) if pays else ""
    all_pay = [r.pay for s in doc.sections for r in s.rows if not _blank(r.pay)]
    flagged = [
        {"kind": sec["kind"], **row}
        for sec in sections for row in sec["rows"] if row["flags"] or row["reasons"]
    ]
    label = period_label(doc.year, doc.period)
    who = people_word([s["kind"] for s in sections])
    factors = "、".join(f"{g} {doc.pay_factors.get(g, 0):g}" for g in GRADES)
    return {
        "village": doc.village,
        "year": doc.year,
        "period": doc.period,
        "period_label": label,
        "people_word": who,
        "title": f"{doc.village}{label}{who}考核结果明细",
        "internal_mark": INTERNAL_MARK,
        "sections": sections,
        "person_count": sum(s["count"] for s in sections),
        "flagged": flagged,
        "flag_section_number": SECTION_NUMBERS[len(sections)] if len(sections) < len(SECTION_NUMBERS) else str(len(sections) + 1),
        "flag_count": sum(1 for f in flagged if f["flags"]),
        "pay_total": money_text(round(sum(all_pay), 2)) if all_pay else "",
        "has_pay": bool(all_pay),
        "weight_text": percent_text(doc.weight),
        "card_weight_text": percent_text(1 - doc.weight),
        "base_pay": money_text(doc.base_pay),
        "pay_factors_text": factors,
        "state": doc.state,
        "committee": doc.committee,
        "issued": doc.issued,
    }


def render_cadre_internal(doc: CadreInternal, out_pdf: Path, templates_dir: Path | None = None,
                          font: Path | None = None) -> Path:
    """Print the internal results sheet (A4 landscape) to ``out_pdf``; return the path."""
    return render_pdf(INTERNAL_TEMPLATE, internal_context(doc), Path(out_pdf), templates_dir=templates_dir, font=font)


# --------------------------------------------------------------------------
# The yearly commitments (履职承诺)
# --------------------------------------------------------------------------


@dataclass
class CommitmentPerson:
    name: str
    post: str
    kind: str  # 村干部 / 村民代表
    common: list[str]  # 共性承诺
    personal: list[str]  # 个性承诺


@dataclass
class CommitmentNotice:
    village: str
    year: int
    people: list[CommitmentPerson]  # in print order
    supervision_text: str
    committee: str
    issued: dt.date


def commitments_context(doc: CommitmentNotice) -> dict:
    """The variables ``commitments.typ.j2`` gets (see templates/README.md)."""
    if not doc.people:
        raise DataError(f"{doc.year}年没有履职承诺可公示")
    kinds = list(dict.fromkeys(p.kind for p in doc.people))
    ordered = [k for k in KINDS if k in kinds] + [k for k in kinds if k not in KINDS]
    sections = []
    for i, kind in enumerate(ordered):
        people = [
            {"name": p.name, "post": p.post, "kind": p.kind, "common": list(p.common), "personal": list(p.personal)}
            for p in doc.people if p.kind == kind
        ]
        sections.append({
            "number": SECTION_NUMBERS[i] if i < len(SECTION_NUMBERS) else str(i + 1),
            "kind": kind or "其他",
            "count": len(people),
            "people": people,
        })
    who = people_word(ordered)
    return {
        "village": doc.village,
        "year": doc.year,
        "people_word": who,
        "title": f"{doc.village}{doc.year}年度{who}履职承诺公示",
        "sections": sections,
        "person_count": len(doc.people),
        "commitment_count": sum(len(p.common) + len(p.personal) for p in doc.people),
        "supervision_text": doc.supervision_text,
        "committee": doc.committee,
        "issued": doc.issued,
    }


def render_commitments(doc: CommitmentNotice, out_pdf: Path, templates_dir: Path | None = None,
                       font: Path | None = None) -> Path:
    """Print the commitments notice to ``out_pdf`` (A4, written atomically); return the path."""
    return render_pdf(COMMITMENTS_TEMPLATE, commitments_context(doc), Path(out_pdf), templates_dir=templates_dir,
                      font=font)
