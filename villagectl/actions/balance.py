"""``balance``: each household's spendable balance, earned and spent points."""

from __future__ import annotations

from pathlib import Path

from villagectl.errors import DataError
from villagectl import schema
from villagectl.ledger.households import find_household
from villagectl.collector import gc_paused
from villagectl.ledger.journal import Entry, account_totals, classify
from villagectl.ledger.workbook import Ledger
from villagectl.values import NotANumber, as_text, clean_text, to_int, to_number


def household_balances(ledger: Ledger, household: str | None = None) -> list[dict]:
    """Rows of {household_id, name, group, balance, earned, spent}, in 户籍 order."""
    ledger.require(schema.HOUSEHOLDS.name, schema.JOURNAL.name)
    households = ledger.frame(schema.HOUSEHOLDS.name)
    journal = ledger.frame(schema.JOURNAL.name)
    entries = classify(journal)
    totals = account_totals(entries)
    members = member_points(entries)
    if household:
        household = clean_text(find_household(households, household)["户号"])
    rows: list[dict] = []
    for row in households.to_dict("records"):
        hid = clean_text(row.get("户号", ""))
        if not hid or (household and hid != household):
            continue
        t = totals.get(hid)
        earned = t.earned if t is not None else 0.0
        rows.append(
            {
                "household_id": hid,
                "name": as_text(row.get("户主", "")),
                "group": clean_text(row.get("组别", "")),
                "balance": t.balance if t is not None else 0.0,
                "earned": earned,
                "spent": t.spent if t is not None else 0.0,
                "family_average": family_average(earned, row),
                "members": members.get(hid, {}),
            }
        )
    if household and not rows:
        raise DataError(f"户籍表中没有户号 {household}")
    return rows


def participants(row) -> int:
    """参评人数, else 人口, else 1 (篇5: the family average divides by those taking part)."""
    for key in ("参评人数", "人口"):
        try:
            n = to_int(row.get(key))
        except NotANumber:
            n = None
        if n:
            return n
    return 1


def family_average(earned: float, row) -> float:
    return round(earned / participants(row), 2)


def member_points(entries: list[Entry]) -> dict[str, dict[str, float]]:
    """Per household, the earned points booked to named members (个人积分)."""
    out: dict[str, dict[str, float]] = {}
    for e in entries:
        if e.member and e.kind in schema.EARNING_TYPES:
            hh = out.setdefault(e.household_id, {})
            hh[e.member] = round(hh.get(e.member, 0.0) + e.points, 4)
    return out


def balances_for(path: Path, household: str | None = None) -> list[dict]:
    with gc_paused():  # the journal read and classified: no cycles among its objects, nothing for the collector
        return household_balances(Ledger.open(path), household)
