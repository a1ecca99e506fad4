"""The lifecycle of a scoring period (a month): 草稿 → 公示 → 入账."""

from __future__ import annotations

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
