"""``balance``: each household's spendable balance, earned and spent points."""

from __future__ import annotations

from pathlib import Path

from villagectl.errors import DataError
from villagectl.ledger import schema
from villagectl.ledger.households import find_household
from villagectl.ledger.journal import summarize
from villagectl.ledger.workbook import Ledger
from villagectl.values import NotANumber, as_text, clean_text, to_int, to_number


def household_balances(ledger: Ledger, household: str | None = None) -> list[dict]:
    """Rows of {household_id, name, group, balance, earned, spent}, in 户籍 order."""
    ledger.require(schema.HOUSEHOLDS.name, schema.JOURNAL.name)
    households = ledger.frame(schema.HOUSEHOLDS.name)
    journal = ledger.frame(schema.JOURNAL.name)
    totals = summarize(journal).set_index("household_id")
    members = member_points(journal)
    if household:
        household = clean_text(find_household(households, household)["户号"])
    rows: list[dict] = []
    for row in households.to_dict("records"):
        hid = clean_text(row.get("户号", ""))
        if not hid or (household and hid != household):
            continue
        t = totals.loc[hid] if hid in totals.index else None
        earned = float(t["earned"]) if t is not None else 0.0
        rows.append(
            {
                "household_id": hid,
                "name": as_text(row.get("户主", "")),
                "group": clean_text(row.get("组别", "")),
                "balance": float(t["balance"]) if t is not None else 0.0,
                "earned": earned,
                "spent": float(t["spent"]) if t is not None else 0.0,
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


def member_points(journal) -> dict[str, dict[str, float]]:
    """Per household, the earned points booked to named members (个人积分)."""
    out: dict[str, dict[str, float]] = {}
    if journal.empty or "成员" not in journal.columns:
        return out
    kinds = {clean_text(i): clean_text(k) for i, k in zip(journal["流水号"], journal["类型"])}
    for row in journal.to_dict("records"):
        member = clean_text(row.get("成员"))
        if not member:
            continue
        kind = clean_text(row["类型"])
        if kind == schema.ENTRY_REVERSAL:
            kind = kinds.get(clean_text(row.get("关联")), kind)
        if kind not in schema.EARNING_TYPES:
            continue
        try:
            points = to_number(row.get("积分")) or 0.0
        except NotANumber:
            continue
        hh = out.setdefault(clean_text(row["户号"]), {})
        hh[member] = round(hh.get(member, 0.0) + points, 4)
    return out


def balances_for(path: Path, household: str | None = None) -> list[dict]:
    return household_balances(Ledger.open(path), household)
