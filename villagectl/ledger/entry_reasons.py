"""A journal row's reason in plain words (seed 002): what the passbook and the transfer file print.

Pure (DataFrames in, text out, no I/O):

- ``inspection_details``: per (month, household) the month's total and the
  inspection items that cost points (from 检查记录, maxima from 规则);
- ``entry_reason``: one journal row's reason in words a villager understands.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass

import pandas as pd

from villagectl import schema
from villagectl.rules.catalogue import parse_rules
from villagectl.values import NotANumber, as_text, clean_text, fmt_number, to_number

EPS = 1e-9

MONTHLY_REF = re.compile(r"月度得分\s+(\d{4}-\d{2})\s+(\S+)")  # 关联 of a posted month: "月度得分 2026-07 ZP001"
TRANSFER_ID = re.compile(r"ZY\d{8}-[0-9A-Za-z]+-[0-9a-f]{8}")  # transfer ids (actions.transfer.new_transfer_id)
_MONTH_IN_TEXT = re.compile(r"(?<![\d-])(\d{4})-(\d{2})(?!\d|-\d)")  # a month, not a date's first part


@dataclass(frozen=True)
class MonthDetail:
    """A household's inspection in one month: the total and the items that cost points."""

    total: float | None
    lost: tuple[tuple[str, float], ...]  # (item name, points below the item's maximum), in catalogue order
    items_known: bool = True  # False: only the total is known (the inspection rows are gone)


def number(value: object) -> float | None:
    """A cell's number; None for blank, NaN or text."""
    try:
        number = to_number(value)
    except NotANumber:
        return None
    if number is None or math.isnan(number):
        return None
    return number


def item_maxima(rules: pd.DataFrame) -> dict[str, float]:
    """Inspection-item code → its maximum (分值), from the 规则 sheet. A broken row is skipped, not fatal."""
    parsed, _issues = parse_rules(rules)
    return {r.code: r.points for r in parsed if r.type == "检查项"}


def inspection_details(
    inspections: pd.DataFrame,
    maxima: dict[str, float],
    totals: dict[tuple[str, str], float] | None = None,
    wanted: set[tuple[str, str]] | None = None,
) -> dict[tuple[str, str], MonthDetail]:
    """(month, household) → MonthDetail, for the rows of 检查记录 (only ``wanted`` keys when given).

    Item columns are named "编码 项目" (RJ1 庭院); the name printed is the one
    in the column (as it was when the sheet was imported), the maximum is the
    rule's 分值. ``totals`` (from 月度得分 总分, which includes adjustments)
    wins over the sum of the items.
    """
    if inspections is None or inspections.empty or "月份" not in inspections.columns:
        return {}
    items: list[tuple[str, str, float]] = []  # (column, item name, maximum)
    for col in inspections.columns:
        text = clean_text(col)
        if col in schema.INSPECTIONS.column_names or " " not in text:
            continue
        code, name = text.split(" ", 1)
        if code in maxima:
            items.append((col, name, maxima[code]))
    months = inspections["月份"].map(clean_text).tolist()
    hids = inspections["户号"].map(clean_text).tolist()
    columns = [inspections[c].tolist() for c, _, _ in items]
    out: dict[tuple[str, str], MonthDetail] = {}
    for pos, key in enumerate(zip(months, hids)):
        if wanted is not None and key not in wanted:
            continue
        lost: list[tuple[str, float]] = []
        total = 0.0
        scored = False
        for (_, name, maximum), values in zip(items, columns):
            score = number(values[pos])
            if score is None:
                continue
            scored = True
            total += score
            if maximum - score > EPS:
                lost.append((name, round(maximum - score, 4)))
        known = (totals or {}).get(key)
        out[key] = MonthDetail(known if known is not None else (round(total, 4) if scored else None), tuple(lost))
    return out


def monthly_totals(monthly: pd.DataFrame) -> dict[tuple[str, str], float]:
    """(month, household) → 总分 from 月度得分."""
    if monthly is None or monthly.empty or "总分" not in monthly.columns:
        return {}
    out: dict[tuple[str, str], float] = {}
    for month, hid, total in zip(monthly["月份"].map(clean_text), monthly["户号"].map(clean_text), monthly["总分"]):
        value = number(total)
        if value is not None:
            out[(month, hid)] = value
    return out


def cn_month_text(text: str) -> str:
    """'2026-07 连续奖励' → '2026年7月 连续奖励' (every YYYY-MM in the text)."""
    return _MONTH_IN_TEXT.sub(lambda m: f"{int(m.group(1))}年{int(m.group(2))}月" if 1 <= int(m.group(2)) <= 12 else m.group(0), text)


def lost_text(lost: Iterable[tuple[str, float]]) -> str:
    """(('庭院', 2), ('厨房', 1)) → '庭院扣2分、厨房扣1分'."""
    return "、".join(f"{name}扣{fmt_number(points)}分" for name, points in lost)


def entry_reason(
    kind: str,
    summary: str,
    reference: str,
    household_id: str = "",
    details: dict[tuple[str, str], MonthDetail] | None = None,
) -> str:
    """One journal row's reason in words a villager understands."""
    summary = as_text(summary)  # not clean_text: NFKC would turn "：（）" into ":()"
    reference = clean_text(reference)
    if kind == schema.ENTRY_MONTHLY:
        m = MONTHLY_REF.search(reference)
        detail = (details or {}).get((m.group(1), m.group(2) or household_id)) if m else None
        if m and detail is not None and detail.total is not None:
            month = cn_month_text(m.group(1))
            head = f"{month}检查 {fmt_number(detail.total)} 分"
            if not detail.items_known:
                return head
            return f"{head}：{lost_text(detail.lost)}" if detail.lost else f"{head}：各项满分"
        return cn_month_text(summary) or "月度检查积分"
    if kind == schema.ENTRY_BONUS:
        return cn_month_text(summary) or "连续奖励"
    if kind == schema.ENTRY_REDEEM:
        if TRANSFER_ID.fullmatch(reference):  # what a received household had spent before it moved
            return f"{summary or '转入前已兑换积分'}（转移单 {reference}）"
        text = summary if summary.startswith("兑换") else f"兑换：{summary}" if summary else "兑换"
        return f"{text}（兑换单 {reference}）" if reference and reference not in text else text
    if kind == schema.ENTRY_REVERSAL:
        rest = cn_month_text(re.sub(r"^冲正[:：]\s*", "", summary))
        head = f"冲正第 {reference} 号流水" if reference else "冲正"
        return f"{head}：{rest}" if rest else head
    if kind == schema.ENTRY_OPENING:
        return f"期初余额：{summary}" if summary and "期初" not in summary else summary or "期初余额"
    if kind == schema.ENTRY_TRANSFER_OUT:
        text = summary or "转出"
        return f"{text}（转移单 {reference}）" if reference and reference not in text else text
    return summary or kind
