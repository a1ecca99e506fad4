"""Where a finding is, in the clerk's terms: ``locator(ledger)`` gives ``at(sheet, pos=None, column=None)`` —
a row's position in the sheet and a column give ``D5``, a row alone ``第5行``, neither the sheet."""

from __future__ import annotations

from typing import Callable

from villagectl.errors import Location
from villagectl.io.preflight import col_letters

Locator = Callable[..., Location]


def locator(ledger) -> Locator:
    """``at(sheet, pos=None, column=None)``: where a finding is, in the clerk's terms (file, sheet, cell)."""
    name = ledger.path.name

    def at(sheet: str, pos: int | None = None, column: str | None = None) -> Location:
        if pos is None:
            return Location(name, sheet)
        row = ledger.excel_row(sheet, pos)
        columns = ledger.columns(sheet)
        if column is not None and column in columns:
            return Location(name, sheet, f"{col_letters(columns.index(column) + 1)}{row}")
        return Location(name, sheet, f"第{row}行")

    return at
