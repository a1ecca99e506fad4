"""The lifecycle of a scoring period (a month): 草稿 → 公示 → 入账."""

from __future__ import annotations

import datetime as dt
import re

import pandas as pd

from villagectl import schema
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


def rows_state(rows: pd.DataFrame) -> str:
    """The state of a period's result rows (年度评定, 干部考核): 入账 over 公示 over 草稿; 草稿 when none."""
    states = set(rows["状态"].map(clean_text)) if "状态" in rows.columns else set()
    for state in (POSTED, NOTICE, DRAFT):
        if state in states:
            return state
    return DRAFT


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


# A posted month's late sheets and corrections go through their own 期间 row, "2026-09 补录1", with the
# same life-cycle (草稿 → 公示 → 入账); 涉及月份 lists the posted months it changes. At most one is open at a
# time in a ledger: a later change (another month's late sheet, a correction) joins it, so every waiting row
# belongs to the one open supplement and goes through one notice before it is posted.
SUPPLEMENT_WORD = "补录"
_SUPPLEMENT = re.compile(rf"(\d{{4}}-\d{{2}}) {SUPPLEMENT_WORD}(\d+)")


def supplement_name(month: str, number: int) -> str:
    return f"{month} {SUPPLEMENT_WORD}{number}"


def _supplements(ledger) -> list[tuple[str, int, pd.Series]]:
    frame = ledger.frame_or_empty(schema.PERIODS.name)
    out = []
    for _, row in frame.iterrows():
        m = _SUPPLEMENT.fullmatch(clean_text(row["期间"]))
        if m:
            out.append((m.group(1), int(m.group(2)), row))
    return out


def open_supplement(ledger, month: str | None = None) -> pd.Series | None:
    """The supplement not yet posted (one per ledger); with ``month``, only if it concerns that month."""
    for first, _n, row in _supplements(ledger):
        if clean_text(row["状态"]) != POSTED and (month is None or month == first or month in involved_months(row)):
            return row
    return None


def next_supplement_name(ledger, month: str) -> str:
    """The open supplement's name (a change joins it), or the next number for ``month``."""
    current = open_supplement(ledger)
    if current is not None:
        return clean_text(current["期间"])
    return supplement_name(month, 1 + sum(1 for first, _n, _row in _supplements(ledger) if first == month))


def involved_months(row: pd.Series) -> list[str]:
    return [m for m in re.split(r"[、,，\s]+", clean_text(row.get("涉及月份", ""))) if m]


def notice_end(ledger, row: pd.Series) -> dt.date | None:
    """A period's 公示截止 as a date (a clerk may have retyped it as 2026年10月13日); a cell that is no date is a
    DataError naming it."""
    from villagectl.errors import DataError, Location, Problem
    from villagectl.values import to_date

    try:
        return to_date(row.get("公示截止"))
    except ValueError:
        frame = ledger.frame(schema.PERIODS.name)
        column = list(frame.columns).index("公示截止") if "公示截止" in frame.columns else 4
        from villagectl.io.preflight import col_letters

        cell = f"{col_letters(column + 1)}{ledger.excel_row(schema.PERIODS.name, row.name)}"
        raise DataError(f"“期间”表 {clean_text(row.get('期间'))} 的公示截止“{clean_text(row.get('公示截止'))}”不是日期",
                        [Problem(Location(ledger.path.name, schema.PERIODS.name, cell), "公示截止应为日期，如 2026-10-13")],
                        hint="请在“期间”表改正这个日期后重试") from None


def unfinished_in_year(ledger, year: int) -> list[str]:
    """What of ``year`` is not in the journal yet, so a year's result would leave it out: months scored but not
    posted, months with 检查记录 never scored, a 补录/更正 of the year waiting, a quarter (base-140) not posted."""
    from villagectl.ledger.quarters import quarter_of, quarter_period

    out: list[str] = []
    monthly = ledger.frame_or_empty(schema.MONTHLY.name)
    inspected = ledger.frame_or_empty(schema.INSPECTIONS.name)
    if ledger.settings().get("计分方式", "") == "基础分":  # inspected by quarter: the quarter is what is posted
        quarters = sorted({quarter_of(m) for m in (clean_text(v) for v in inspected.get("月份", []))
                           if m[:4] == str(year) and m[4:5] == "-"})
        for y, q in quarters:
            name = quarter_period(y, q)
            if period_state(ledger, name) != POSTED:
                out.append(f"{name}（{period_state(ledger, name) or '未公示'}）")
        return out
    months = {clean_text(m) for m in monthly.get("月份", [])} | {clean_text(m) for m in inspected.get("月份", [])}
    for m in sorted(x for x in months if x[:4] == str(year)):
        state = period_state(ledger, m)
        if state != POSTED:
            out.append(f"{m}（{state or '已导入检查表、未计分'}）")
    current = open_supplement(ledger)
    if current is not None and any(m[:4] == str(year) for m in involved_months(current)):
        out.append(f"{clean_text(current['期间'])}（补录或更正，{clean_text(current['状态']) or '草稿'}）")
    return out
