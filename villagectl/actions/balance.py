"""``balance``: each household's spendable balance, earned and spent points."""

from __future__ import annotations

from pathlib import Path

from villagectl.errors import DataError
from villagectl.ledger import schema
from villagectl.ledger.journal import summarize
from villagectl.ledger.workbook import Ledger
from villagectl.values import clean_text


def household_balances(ledger: Ledger, household: str | None = None) -> list[dict]:
    """Rows of {household_id, name, group, balance, earned, spent}, in 户籍 order."""
    ledger.require(schema.HOUSEHOLDS.name, schema.JOURNAL.name)
    households = ledger.frame(schema.HOUSEHOLDS.name)
    totals = summarize(ledger.frame(schema.JOURNAL.name)).set_index("household_id")
    rows: list[dict] = []
    for _, row in households.iterrows():
        hid = clean_text(row.get("户号", ""))
        if not hid or (household and hid != household):
            continue
        t = totals.loc[hid] if hid in totals.index else None
        rows.append(
            {
                "household_id": hid,
                "name": clean_text(row.get("户主", "")),
                "group": clean_text(row.get("组别", "")),
                "balance": float(t["balance"]) if t is not None else 0.0,
                "earned": float(t["earned"]) if t is not None else 0.0,
                "spent": float(t["spent"]) if t is not None else 0.0,
            }
        )
    if household and not rows:
        raise DataError(f"户籍表中没有户号 {household}")
    return rows


def balances_for(path: Path, household: str | None = None) -> list[dict]:
    return household_balances(Ledger.open(path), household)
