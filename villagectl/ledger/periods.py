"""The lifecycle of a scoring period (a month): 草稿 → 公示 → 入账."""

from __future__ import annotations

import re

import pandas as pd

from villagectl.ledger import schema
from villagectl.values import clean_text

DRAFT, NOTICE, POSTED = schema.PERIOD_STATES


def cadre_period(year: int, period: str) -> str:
    """The 期间 row of a cadre assessment notice: '2026年度干部考核', '2026年上半年干部考核'."""
    label = f"{year}年度" if period in ("", "全年") else f"{year}年{period}"
    return f"{label}干部考核"


def period_row(ledger, period: str) -> pd.Series | None:
    frame = ledger.frame(schema.PERIODS.name)
    if frame.empty:
        return None
    hits = frame[frame["期间"].map(clean_text) == period]
    return hits.iloc[-1] if len(hits) else None


def period_state(ledger, period: str) -> str | None:
    """None when the month was never scored."""
    row = period_row(ledger, period)
    if row is not None:
        return clean_text(row["状态"]) or None
    monthly = ledger.frame(schema.MONTHLY.name)
    if monthly.empty:
        return None
    states = set(monthly.loc[monthly["月份"].map(clean_text) == period, "状态"].map(clean_text))
    for state in (POSTED, NOTICE, DRAFT):
        if state in states:
            return state
    return None


def with_period(frame: pd.DataFrame, period: str, **values: object) -> pd.DataFrame:
    """The 期间 frame with the row of ``period`` created or updated."""
    frame = frame.reindex(columns=list(dict.fromkeys(list(frame.columns) + schema.PERIODS.column_names)), fill_value="")
    mask = frame["期间"].map(clean_text) == period
    if not mask.any():
        row = {c: "" for c in frame.columns}
        row["期间"] = period
        frame = pd.concat([frame, pd.DataFrame([row], dtype=object)], ignore_index=True)
        mask = frame["期间"].map(clean_text) == period
    for key, value in values.items():
        frame.loc[mask, key] = value
    return frame


# A posted month's late sheets and corrections go through their own 期间 row, "2026-09 补录1",
# with the same life-cycle (草稿 → 公示 → 入账); 涉及月份 lists the posted months it changes.
SUPPLEMENT_WORD = "补录"


def supplement_name(month: str, number: int) -> str:
    return f"{month} {SUPPLEMENT_WORD}{number}"


def supplements_of(ledger, month: str) -> list[pd.Series]:
    """The month's supplement rows in 期间, oldest first."""
    frame = ledger.frame_or_empty(schema.PERIODS.name)
    if frame.empty:
        return []
    pattern = re.compile(rf"{re.escape(month)} {SUPPLEMENT_WORD}(\d+)")
    hits = [(int(m.group(1)), row) for row in (r for _, r in frame.iterrows())
            for m in [pattern.fullmatch(clean_text(row["期间"]))] if m]
    return [row for _, row in sorted(hits, key=lambda x: x[0])]


def open_supplement(ledger, month: str) -> pd.Series | None:
    """The month's supplement not yet posted, if any."""
    rows = supplements_of(ledger, month)
    return rows[-1] if rows and clean_text(rows[-1]["状态"]) != POSTED else None


def next_supplement_name(ledger, month: str) -> str:
    """The open supplement's name, or the next number."""
    current = open_supplement(ledger, month)
    if current is not None:
        return clean_text(current["期间"])
    return supplement_name(month, len(supplements_of(ledger, month)) + 1)


def involved_months(row: pd.Series) -> list[str]:
    return [m for m in re.split(r"[、,，\s]+", clean_text(row.get("涉及月份", ""))) if m]
