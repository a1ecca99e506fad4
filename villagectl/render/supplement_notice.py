"""The notice of a posted month's late sheets and corrections (补录公示 / 更正公示), as an A4 PDF.

Only the changed rows are printed, each with what was posted and what it is now, so the
village sees exactly what the supplement will add to (or take from) the passbooks.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from villagectl.render.notice import group_sort_key, mask_name
from villagectl.render.typst_engine import cn_month, render_pdf
from villagectl.render.notice_footer import footer_context

TEMPLATE = "notice_supplement.typ.j2"


@dataclass
class SupplementNoticeRow:
    month: str
    group: str
    name: str
    kind: str  # 补录 / 更正
    total: str  # as printed: "86.5"; "—" for no score
    points: str
    bonus: str
    exposure: bool  # on the 曝光台 now
    change: str  # "补录" or "总分 78→86；积分 0→3"
    cause: str = ""  # "更正" or "因2026-09补录重算"


@dataclass
class SupplementNotice:
    village: str
    month: str
    name: str  # the 期间 row: "2026-09 补录1"
    kind: str  # 补录 / 更正 / 补录和更正
    reason: str
    rows: list[SupplementNoticeRow]
    period_start: dt.date
    period_end: dt.date
    objection_text: str
    committee: str
    issued: dt.date
    mask_names: bool = False


def supplement_context(notice: SupplementNotice) -> dict:
    rows = sorted(notice.rows, key=lambda r: (r.month, group_sort_key(r.group), r.kind != "补录", r.name))
    return {
        "title": f"{notice.village}{cn_month(notice.month)}农户积分{notice.kind}公示",
        "village": notice.village,
        "month_label": cn_month(notice.month),
        "kind": notice.kind,
        "reason": notice.reason,
        "rows": [{"month_label": cn_month(r.month), "group": r.group,
                  "name": mask_name(r.name) if notice.mask_names else r.name, "kind": r.kind, "total": r.total,
                  "points": r.points, "bonus": r.bonus, "exposure": r.exposure, "change": r.change, "cause": r.cause}
                 for r in rows],
        "late_count": sum(1 for r in rows if r.kind == "补录"),
        "corrected_count": sum(1 for r in rows if r.kind != "补录"),
        "several_months": len({r.month for r in rows}) > 1,
        **footer_context(notice),  # 公示期, 异议, 落款 (render/notice_footer.py)
    }


def render_supplement_notice(notice: SupplementNotice, out_pdf: Path, templates_dir: Path | None = None,
                             font: Path | None = None) -> Path:
    return render_pdf(TEMPLATE, supplement_context(notice), Path(out_pdf), templates_dir=templates_dir, font=font)
