"""The notice of award/deduction events under public review (A4 PDF)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from villagectl.render.notice import mask_name
from villagectl.render.typst_engine import column_em, render_pdf
from villagectl.render.notice_footer import footer_context

TEMPLATE = "notice_events.typ.j2"


@dataclass
class EventNoticeRow:
    event_id: str
    date: str
    group: str
    name: str
    member: str
    item: str
    kind: str  # 加分 / 扣分 / 否决
    count: float
    points: float
    note: str


@dataclass
class EventNotice:
    village: str
    rows: list[EventNoticeRow]
    period_start: dt.date
    period_end: dt.date
    objection_text: str
    committee: str
    issued: dt.date
    mask_names: bool = False


TAIL_ROWS = 3


def events_context(notice: EventNotice) -> dict:
    rows = []
    for r in sorted(notice.rows, key=lambda x: (x.group, x.event_id)):
        rows.append({
            "event_id": r.event_id,
            "date": r.date,
            "group": r.group,
            "name": mask_name(r.name) if notice.mask_names else r.name,
            "member": (mask_name(r.member) if notice.mask_names else r.member) if r.member else "",
            "item": r.item,
            "kind": r.kind,
            "count": r.count,
            "points": ("+" if r.points > 0 else "") + (f"{r.points:g}" if r.points else "—"),
            "note": r.note,
        })
    return {
        "title": f"{notice.village}积分事项公示",
        "village": notice.village,
        "rows": rows,
        # the last rows print with the 公示期 / 异议 / 落款 block (kept together on one page)
        # both parts of the table need the same columns: fixed widths from the widest cell (or the header)
        "widths": {key: column_em([r[key] for r in rows], minimum=2 * 10 / 10.5, inset_em=8 / 10.5)
                   for key in ("event_id", "date", "group", "name", "member")},
        "main_rows": rows[: max(0, len(rows) - TAIL_ROWS)],
        "tail_rows": rows[max(0, len(rows) - TAIL_ROWS):],
        "award_count": sum(1 for r in notice.rows if r.kind == "加分"),
        "deduction_count": sum(1 for r in notice.rows if r.kind == "扣分"),
        "veto_count": sum(1 for r in notice.rows if r.kind == "否决"),
        **footer_context(notice),  # 公示期, 异议, 落款 (render/notice_footer.py)
    }


def render_events_notice(notice: EventNotice, out_pdf: Path, templates_dir: Path | None = None,
                         font: Path | None = None) -> Path:
    return render_pdf(TEMPLATE, events_context(notice), Path(out_pdf), templates_dir=templates_dir, font=font)
