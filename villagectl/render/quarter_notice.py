"""The quarter's public notice (base-140 scheme, seed 001 篇4: 日常积分 inspected each quarter, 公示三天).

Built on the monthly notice's pieces (``render.notice``): the same rows
(``NoticeRow``, no points or bonus: this scheme's points are the year's), the
same order (by group, then total), name masking and the typst path. Like the
month notice, the renderer never receives ID-card or phone numbers.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from villagectl.render.notice import NoticeRow, _is_blank, mask_name, order_rows
from villagectl.render.typst_engine import render_pdf
from villagectl.render.notice_footer import footer_context

TEMPLATE = "notice_quarter.typ.j2"


@dataclass
class QuarterReview:
    """Who reviewed a group's households this quarter (篇4 小组交叉考察评议)."""

    group: str  # the group reviewed
    by_group: str  # the reviewing group ('' when not written)
    members: str  # '张三、李四'


@dataclass
class QuarterNotice:
    village: str
    label: str  # '2026年第一季度'
    items: list[str]  # '环境整治（40分）', in rule order
    rows: list[NoticeRow]  # scores per item; missing = not inspected this quarter
    period_start: dt.date
    period_end: dt.date
    objection_text: str
    committee: str
    issued: dt.date
    blank_rule: str  # how a quarter not inspected counts in the year (参数 季度合并方式)
    reviews: list[QuarterReview] = field(default_factory=list)
    mask_names: bool = False
    not_yet: str = ""  # a partial notice: the groups with households on no sheet


def quarter_notice_context(notice: QuarterNotice) -> dict:
    """The variables ``notice_quarter.typ.j2`` gets (see templates/README.md)."""
    rows = []
    previous = None
    for row in order_rows(notice.rows, "group"):
        rows.append({
            "group": row.group,
            "name": mask_name(row.name) if notice.mask_names else row.name,
            "scores": [None if _is_blank(s) else s for s in row.scores] if not row.missing else [],
            "total": None if _is_blank(row.total) else row.total,
            "missing": row.missing,
            "new_group": previous is not None and row.group != previous,
        })
        previous = row.group
    return {
        "village": notice.village,
        "label": notice.label,
        "title": f"{notice.village}{notice.label}农户日常积分公示" + ("（部分公示）" if notice.not_yet else ""),
        "items": list(notice.items),
        "rows": rows,
        "household_count": len(rows),
        "missing_count": sum(1 for r in rows if r["missing"]),
        "blank_rule": notice.blank_rule,
        "reviews": [{"group": r.group, "by_group": r.by_group, "members": r.members} for r in notice.reviews],
        "not_yet": notice.not_yet,
        "mask_names": notice.mask_names,
        **footer_context(notice),  # 公示期, 异议, 落款 (render/notice_footer.py)
    }


def render_quarter_notice(notice: QuarterNotice, out_pdf: Path, templates_dir: Path | None = None,
                          font: Path | None = None) -> Path:
    """Print the quarter's notice to ``out_pdf`` (A4, written atomically); return the path."""
    return render_pdf(TEMPLATE, quarter_notice_context(notice), Path(out_pdf), templates_dir=templates_dir, font=font)
