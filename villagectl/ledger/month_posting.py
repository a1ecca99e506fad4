"""What a month's 月度得分 rows post to the journal (pure).

Posting is "what the rows say minus what the journal already holds for them": the first
posting of a month adds every entry; a supplement (补录) adds the late households' entries;
a correction (更正) reverses the posted entry (冲正) and adds the right one (补记). So a
posted row is never edited, and posting the same rows twice adds nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from villagectl import schema
from villagectl.ledger.journal import NewEntry, monthly_reference, parse_monthly_reference
from villagectl.values import NotANumber, clean_text, fmt_number, to_number

if TYPE_CHECKING:
    import pandas as pd

EPS = 1e-9
# (entry type, 月度得分 column) a month posts
POSTED_FIELDS = ((schema.ENTRY_MONTHLY, "积分"), (schema.ENTRY_BONUS, "奖励"))


def posted_for_month(journal: pd.DataFrame, month: str) -> dict[tuple[str, str], list[tuple[str, float, str]]]:
    """(户号, type) -> the month's entries still standing: (流水号, 积分, 摘要); reversed ones left out."""
    if journal.empty:
        return {}
    reversed_ids = {clean_text(r) for r, k in zip(journal["关联"], journal["类型"]) if clean_text(k) == schema.ENTRY_REVERSAL}
    out: dict[tuple[str, str], list[tuple[str, float, str]]] = {}
    for row in journal.to_dict("records"):
        ref, kind, entry_id = clean_text(row.get("关联")), clean_text(row.get("类型")), clean_text(row.get("流水号"))
        parsed = parse_monthly_reference(ref)
        if parsed is None or parsed[0] != month or entry_id in reversed_ids:
            continue
        try:
            points = to_number(row.get("积分")) or 0.0
        except NotANumber:
            continue
        out.setdefault((clean_text(row.get("户号")), kind), []).append((entry_id, points, clean_text(row.get("摘要"))))
    return out


def month_entries(
    month: str,
    rows: Iterable[dict],
    journal: pd.DataFrame,
    *,
    note: str = "",
    reason: str = "",
) -> list[NewEntry]:
    """The entries that bring the journal to what ``rows`` (the month's 月度得分) say.

    ``note`` marks the new entries' 摘要 ("补录", "更正"); ``reason`` goes into a reversal's 摘要.
    """
    posted = posted_for_month(journal, month)
    entries: list[NewEntry] = []
    for r in rows:
        hid = clean_text(r["户号"])
        total = _num(r.get("总分"))
        ref = monthly_reference(month, hid)
        for kind, column in POSTED_FIELDS:
            target = (_num(r.get(column)) or 0.0) if total is not None else 0.0
            standing = posted.get((hid, kind), [])
            if abs(target - sum(p for _, p, _ in standing)) < EPS:
                continue
            for entry_id, points, summary in standing:
                entries.append(NewEntry(hid, schema.ENTRY_REVERSAL, -points, f"冲正：{summary}（{reason}）", entry_id))
            if abs(target) >= EPS:
                entries.append(NewEntry(hid, kind, target, _summary(kind, month, total, note), ref))
    return entries


def _summary(kind: str, month: str, total: float | None, note: str) -> str:
    suffix = f"（{note}）" if note else ""
    if kind == schema.ENTRY_MONTHLY:
        return f"{month} 月度检查 {fmt_number(total or 0)} 分{suffix}"
    return f"{month} 连续奖励（连续最高档）{suffix}"


def _num(value: object) -> float | None:
    try:
        return to_number(value)
    except NotANumber:
        return None
