"""What a reprinted month notice must say after ``score adjust``: the 更正公示 and its changed rows.

A notice is a correction (更正公示) when 操作日志 shows a ``score adjust`` of the month after the
month's first ``notice month``: the notice that was posted on the board is being replaced. The
households adjusted since then are marked in the table, and their 调整记录 rows (what changed,
from what to what, why) are listed under it. An adjustment made before the first notice was ever
printed is no correction: the first notice already shows the adjusted scores.

Pure functions over the ledger's frames (no writes).
"""

from __future__ import annotations

import pandas as pd

from villagectl import schema
from villagectl.ledger.workbook import Ledger
from villagectl.render.notice import Correction
from villagectl.values import NotANumber, as_text, clean_text, to_number


def _num(value: object) -> float | None:
    try:
        return to_number(value)
    except NotANumber:
        return None


def adjusted_after_notice(log: pd.DataFrame, month: str) -> list[str]:
    """户号 adjusted by ``score adjust`` after the month's first ``notice month``, in order."""
    if log is None or log.empty or "命令" not in log.columns:
        return []
    noticed = False
    out: list[str] = []
    for command, result in zip(log["命令"].map(clean_text), log.get("结果", pd.Series([""] * len(log))).map(clean_text)):
        words = result.split()
        if command == "notice month" and words and words[0] == month:
            noticed = True
        elif command == "score adjust" and noticed and len(words) > 1 and words[0] == month:
            if words[1] not in out:
                out.append(words[1])
    return out


def month_corrections(ledger: Ledger, month: str, group_of: dict[str, tuple[str, str]]) -> list[Correction]:
    """The 调整记录 rows of the month for the households adjusted since the first notice.

    ``group_of``: 户号 → (组别, 户主) of the notice's rows (a household not on this notice — another
    group's, for ``--group`` — is left out).
    """
    if not ledger.has(schema.OPLOG.name) or not ledger.has(schema.ADJUSTMENTS.name):
        return []
    changed = adjusted_after_notice(ledger.frame(schema.OPLOG.name), month)
    if not changed:
        return []
    adjustments = ledger.frame(schema.ADJUSTMENTS.name)
    out: list[Correction] = []
    for r in adjustments.to_dict("records"):
        hid = clean_text(r.get("户号"))
        if clean_text(r.get("月份")) != month or hid not in changed or hid not in group_of:
            continue
        group, name = group_of[hid]
        out.append(Correction(group, name, hid, as_text(r.get("项目")) or clean_text(r.get("编码")),
                              _num(r.get("原得分")), _num(r.get("新得分")), as_text(r.get("原因"))))
    return out


def mark_corrections(notice, ledger: Ledger, month: str) -> None:
    """Set ``notice.corrections`` and each changed row's ``corrected`` flag (render.notice.MonthNotice)."""
    group_of = {r.household_id: (r.group, r.name) for r in notice.rows if r.household_id}
    corrections = month_corrections(ledger, month, group_of)
    notice.corrections = corrections or None
    changed = {c.household_id for c in corrections}
    for row in notice.rows:
        row.corrected = row.household_id in changed
