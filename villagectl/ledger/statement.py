"""A household account's statement: every journal row with its reason, running balance and what it counts as.

Pure (no file I/O): one pass over 积分流水, so 3,000 passbooks (``passbook --all``) and the transfer
file's history (``transfer out``) come from one ledger read.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from villagectl import schema
from villagectl.ledger.entry_reasons import (
    MONTHLY_REF,
    MonthDetail,
    entry_reason,
    inspection_details,
    item_maxima,
    monthly_totals,
    number,
)
from villagectl.values import NotANumber, clean_text, to_number

if TYPE_CHECKING:
    from villagectl.ledger.workbook import Ledger

STATEMENT_COLUMNS = ["户号", "流水号", "日期", "年度", "类型", "成员", "积分", "余额", "说明", "关联", "计入获得", "计入兑换",
                     "计入年度", "期初"]


def statement_rows(
    journal: pd.DataFrame,
    details: dict[tuple[str, str], MonthDetail] | None = None,
    events: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Every journal row with its reason, the household's running balance and what it counts as.

    One pass over the journal, in its order (流水号). The running balance is
    recomputed (not copied from 余额), so it is what ``journal.summarize``
    gives. A 冲正 counts as what the row it reverses counts as (earned or
    spent), as in ``summarize``. Rows whose 积分 is not a number are left out,
    as ``summarize`` leaves them out.

    计入年度 is the year a year passbook lists the row under: the year its points
    count for in the year's result (``scoring.annual.entry_years``: a month's
    points for the month's year even when posted in January, an event's for
    the event's date), else the year of its date. 期初 marks opening balances
    (and their reversals): listed on their own line, never a year's earnings.
    """
    if journal is None or journal.empty:
        return pd.DataFrame(columns=STATEMENT_COLUMNS)
    from villagectl.scoring.annual import entry_years

    try:
        rated_years = entry_years(journal, events if events is not None else pd.DataFrame())
    except KeyError:  # a journal without the usual columns: dates only
        rated_years = {}
    get = lambda col: journal[col].tolist() if col in journal.columns else [""] * len(journal)
    ids = [clean_text(v) for v in get("流水号")]
    kinds = [clean_text(v) for v in get("类型")]
    kind_of = dict(zip(ids, kinds))
    balances: dict[str, float] = {}
    rows: list[list] = []
    for entry_id, date, hid, member, kind, points, summary, ref in zip(
        ids, get("日期"), get("户号"), get("成员"), kinds, get("积分"), get("摘要"), get("关联")
    ):
        value = number(points)
        if value is None:
            try:
                to_number(points)
            except NotANumber:
                continue  # summarize skips these too
            value = 0.0
        hid = clean_text(hid)
        balance = round(balances.get(hid, 0.0) + value, 4)
        balances[hid] = balance
        date = clean_text(date)
        ref = clean_text(ref)
        effective = kind_of.get(ref, kind) if kind == schema.ENTRY_REVERSAL else kind
        date_year = int(date[:4]) if date[:4].isdigit() else None
        rated = rated_years.get(entry_id)
        rows.append([
            hid,
            entry_id,
            date,
            date_year,
            kind,
            clean_text(member),
            value,
            balance,
            entry_reason(kind, summary, ref, hid, details),
            ref,
            effective in schema.EARNING_TYPES,
            effective in schema.SPENDING_TYPES,
            rated if rated is not None else date_year,
            effective == schema.ENTRY_OPENING,
        ])
    return pd.DataFrame(rows, columns=STATEMENT_COLUMNS)


def statement_for_ledger(ledger: Ledger) -> pd.DataFrame:
    """``statement_rows`` for a whole ledger, with the monthly reasons looked up in 检查记录 / 月度得分 / 规则."""
    journal = ledger.frame(schema.JOURNAL.name)
    monthly_refs = {
        (m.group(1), m.group(2))
        for ref in journal.get("关联", pd.Series(dtype=object)).map(clean_text)
        if (m := MONTHLY_REF.search(ref))
    }
    details: dict[tuple[str, str], MonthDetail] = {}
    if monthly_refs:
        maxima = item_maxima(ledger.frame_or_empty(schema.RULES.name)) if ledger.has(schema.RULES.name) else {}
        totals = monthly_totals(ledger.frame_or_empty(schema.MONTHLY.name))
        details = inspection_details(ledger.frame_or_empty(schema.INSPECTIONS.name), maxima, totals, monthly_refs)
        for key in monthly_refs - set(details):  # posted months whose inspection rows are gone: the total at least
            if key in totals:
                details[key] = MonthDetail(totals[key], (), items_known=False)
    events = ledger.frame_or_empty(schema.EVENTS.name) if ledger.has(schema.EVENTS.name) else None
    return statement_rows(journal, details, events)
