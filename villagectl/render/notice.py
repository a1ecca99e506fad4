"""The monthly public notice (公示) for the village notice board, as an A4 PDF.

The renderer gets only what is printed: group, name, scores, points, rank and
two flags. It never receives ID-card or phone numbers (the dataclasses have no
such fields), and names can be masked (张*明) when the village prefers it.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass
from pathlib import Path

from villagectl.errors import DataError, UsageError
from villagectl.render.typst_engine import cn_month, column_em, render_pdf
from villagectl.render.notice_footer import footer_context
from villagectl.values import chinese_number

TEMPLATE = "notice_month.typ.j2"
ORDERS = ("group", "rank")

# Common two-character (compound) surnames: 欧阳修文 → 欧阳*文.
COMPOUND_SURNAMES = frozenset(
    "欧阳 司马 诸葛 上官 东方 皇甫 尉迟 公孙 慕容 长孙 宇文 司徒 夏侯 轩辕 令狐 钟离 澹台 公冶 太史 申屠 独孤 南宫 端木".split()
)


@dataclass
class NoticeRow:
    group: str
    name: str
    scores: list[float | None]  # one per category, in MonthNotice.categories order
    total: float | None
    points: float | None
    bonus: float | None = None
    village_rank: int | None = None
    exposure: bool = False  # on the 曝光台 this month
    missing: bool = False  # not inspected this month (未检查)
    household_id: str = ""  # 户号: printed only to tell apart two masked names that read the same
    corrected: bool = False  # changed by ``score adjust`` since the notice was first printed (更正公示)


@dataclass
class Correction:
    """One adjustment listed under a 更正公示 (from the 调整记录 sheet)."""

    group: str
    name: str
    household_id: str
    item: str
    old: float | None
    new: float | None
    reason: str


@dataclass
class MonthNotice:
    village: str
    month: str  # "2026-07"
    categories: list[str]
    rows: list[NoticeRow]
    period_start: dt.date
    period_end: dt.date
    objection_text: str
    committee: str
    issued: dt.date
    order: str = "group"  # "group" or "rank"
    mask_names: bool = False
    not_yet: str = ""  # a partial notice (部分公示): who has no sheet yet, e.g. '第四组（16户）'
    scope: str = "全村"  # "本组" for one group's notice (``notice month --group``)
    corrections: list[Correction] | None = None  # a reprint after ``score adjust``: titled 更正公示


def mask_name(name: str) -> str:
    """张三 → 张*, 张三明 → 张*明, 欧阳修文 → 欧阳*文; one-character names unchanged.

    The surname (one character, or two for a common compound surname when the
    name has at least three characters) and, for names of three or more
    characters, the last character stay; every other character becomes "*".
    """
    text = (name or "").strip()
    if len(text) <= 1:
        return text
    if len(text) == 2:
        return text[0] + "*"
    keep = 2 if text[:2] in COMPOUND_SURNAMES else 1
    hidden = len(text) - keep - 1
    if hidden <= 0:  # 欧阳修: compound surname + one character
        return text[:keep] + "*"
    return text[:keep] + "*" * hidden + text[-1]


def group_sort_key(group: str) -> tuple:
    """第二组 before 第十组 before 第十一组; groups without a number after them, by name."""
    m = re.search(r"[0-9]+|[零〇一二两三四五六七八九十百]+", group or "")
    n = chinese_number(m.group(0)) if m else None
    return (0, n, group) if n is not None else (1, 0, group or "")


def _is_blank(value: float | None) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def order_rows(rows: list[NoticeRow], order: str) -> list[NoticeRow]:
    """By group then total (highest first), or by village rank; not-inspected households last."""
    if order == "group":
        return sorted(
            rows,
            key=lambda r: (
                group_sort_key(r.group),
                r.missing or _is_blank(r.total),
                -(r.total or 0) if not _is_blank(r.total) else 0,
            ),
        )
    if order == "rank":
        return sorted(
            rows,
            key=lambda r: (
                r.village_rank is None,
                r.village_rank if r.village_rank is not None else 0,
                group_sort_key(r.group),
            ),
        )
    raise UsageError(f"排序方式“{order}”不认识，只能是 group（按组别）或 rank（按名次）")


TAIL_ROWS = 3  # the table's last rows printed together with the 说明 / 公示期 / 异议 / 落款 block


def shown_names(rows: list[NoticeRow], masked: bool) -> list[str]:
    """The names as printed; with masking on, two rows that would read the same get their 户号 added.

    张三明 and 张三丰 both mask to 张*明 / 张*丰 (distinct), but 张小明 and 张大明 both read 张*明:
    each becomes 张*明（ZP012）. Rows without a 户号 keep the masked name.
    """
    if not masked:
        return [r.name for r in rows]
    names = [mask_name(r.name) for r in rows]
    seen: dict[str, int] = {}
    for n in names:
        seen[n] = seen.get(n, 0) + 1
    return [f"{n}（{r.household_id}）" if seen[n] > 1 and r.household_id else n for n, r in zip(names, rows)]


def _points_text(value: float | None) -> str:
    if value is None:
        return ""
    rounded = round(float(value), 2)
    return str(int(rounded)) if rounded == int(rounded) else f"{rounded:g}"


def notice_context(notice: MonthNotice) -> dict:
    """The variables the template gets (see templates/README.md)."""
    n_cat = len(notice.categories)
    for i, row in enumerate(notice.rows, start=1):
        if not row.missing and len(row.scores) != n_cat:
            raise DataError(
                f"第 {i} 户（{row.name}）有 {len(row.scores)} 项得分，但公示有 {n_cat} 个类别（{'、'.join(notice.categories)}）"
            )
    month_label = cn_month(notice.month)
    ordered = order_rows(notice.rows, notice.order)
    names = shown_names(ordered, notice.mask_names)
    rows = []
    previous_group = None
    for row, name in zip(ordered, names):
        notes = ["曝光台"] if row.exposure else []  # 未检查 shows in the score columns
        if row.corrected:
            notes.insert(0, "更正")
        rows.append(
            {
                "group": row.group,
                "name": name,
                "corrected": row.corrected,
                "scores": [None if _is_blank(s) else s for s in (row.scores if not row.missing else [])],
                "total": None if _is_blank(row.total) else row.total,
                "points": None if _is_blank(row.points) else row.points,
                "bonus": None if _is_blank(row.bonus) or row.bonus == 0 else row.bonus,
                "rank": row.village_rank,
                "missing": row.missing,
                "exposure": row.exposure,
                "blacklisted": row.exposure,  # the old name, for templates exported earlier
                "note": "、".join(notes),
                "new_group": notice.order == "group" and previous_group is not None and row.group != previous_group,
            }
        )
        previous_group = row.group
    corrections = []
    shown = {id(r): n for r, n in zip(ordered, names)}
    by_id = {r.household_id: r for r in ordered if r.household_id}
    for c in notice.corrections or []:
        row = by_id.get(c.household_id)
        name = shown[id(row)] if row is not None else (mask_name(c.name) if notice.mask_names else c.name)
        corrections.append({"group": c.group, "name": name, "item": c.item, "old": _points_text(c.old),
                            "new": _points_text(c.new), "reason": c.reason})
    tail = min(TAIL_ROWS, len(rows))
    return {
        "village": notice.village,
        "month": notice.month,
        "month_label": month_label,
        "title": f"{notice.village}{month_label}农户积分{'更正' if notice.corrections else ''}公示"
                 + ("（部分公示）" if notice.not_yet else ""),
        "correction": bool(notice.corrections),
        "corrections": corrections,
        "scope": notice.scope,
        # both parts of the table (rows, and the last rows kept with the footer) need the same columns
        "group_width": column_em([r["group"] for r in rows], minimum=2 * 10 / 11, inset_em=8 / 11),
        "name_width": column_em([r["name"] for r in rows], minimum=2 * 10 / 11, inset_em=8 / 11),
        "main_rows": rows[: len(rows) - tail],
        "tail_rows": rows[len(rows) - tail:],
        "tail_start": len(rows) - tail,
        "not_yet": notice.not_yet,
        "categories": list(notice.categories),
        "rows": rows,
        "order": notice.order,
        "mask_names": notice.mask_names,
        "household_count": len(rows),
        "missing_count": sum(1 for r in rows if r["missing"]),
        "exposure_count": sum(1 for r in rows if r["exposure"]),
        "blacklisted_count": sum(1 for r in rows if r["exposure"]),  # its name in templates exported earlier
        **footer_context(notice),  # 公示期, 异议, 落款 (render/notice_footer.py)
    }


def render_month_notice(
    notice: MonthNotice,
    out_pdf: Path,
    templates_dir: Path | None = None,
    font: Path | None = None,
) -> Path:
    """Print the month's notice to ``out_pdf`` (A4, written atomically); return the path."""
    if notice.order not in ORDERS:
        raise UsageError(f"排序方式“{notice.order}”不认识，只能是 group（按组别）或 rank（按名次）")
    return render_pdf(TEMPLATE, notice_context(notice), Path(out_pdf), templates_dir=templates_dir, font=font)
