"""A sheet's cells without pandas: the columns as lists, as ``ledger.sheet_read`` converts them.

Every ledger sheet is read into a ``Table`` first; the pandas frame the commands use is made from it on
first use (``ledger.sheet_read.LoadedSheet.frame``). ``check`` reads only tables, so it never imports pandas (a third of its
time on a big ledger). Functions that both ``check`` and the commands call take either, through
``as_table``: one implementation, whichever the caller holds.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Iterator

if TYPE_CHECKING:
    import pandas as pd


@dataclass(frozen=True)
class Table:
    """Column name → its cells (lists of one length), in the sheet's column order. Treat as read-only."""

    columns: list[str]
    data: dict[str, list]

    def __len__(self) -> int:
        return len(self.data[self.columns[0]]) if self.columns else 0

    @property
    def empty(self) -> bool:
        return len(self) == 0

    def column(self, name: str, default: object = "") -> list:
        """The column's cells; a column the sheet lacks reads as ``default`` in every row."""
        cells = self.data.get(name)
        return cells if cells is not None else [default] * len(self)

    def records(self) -> list[dict]:
        """One dict per row (as ``DataFrame.to_dict("records")``)."""
        columns = self.columns
        return [dict(zip(columns, values)) for values in zip(*(self.data[c] for c in columns))] if columns else []

    def __iter__(self) -> Iterator[str]:  # like a frame: iterating gives the column names
        return iter(self.columns)

    def with_column(self, name: str, value: object = "") -> "Table":
        """A new table with ``name`` added (every row ``value``); this one is left as it is."""
        if name in self.data:
            return self
        return Table([*self.columns, name], {**self.data, name: [value] * len(self)})

    def to_frame(self) -> "pd.DataFrame":
        from villagectl.io import single_thread  # noqa: F401, I001  (before pandas: OpenBLAS on one thread)
        import pandas as pd

        if not self.columns:
            return pd.DataFrame()
        return pd.DataFrame(self.data, columns=self.columns, dtype=object)

    @classmethod
    def empty_of(cls, columns: list[str]) -> "Table":
        return cls(list(columns), {c: [] for c in columns})

    @classmethod
    def from_frame(cls, frame: "pd.DataFrame") -> "Table":
        columns = [str(c) for c in frame.columns]
        return cls(columns, {c: frame[orig].tolist() for c, orig in zip(columns, frame.columns)})


def as_table(sheet: "Table | pd.DataFrame") -> Table:
    """``sheet`` as a Table (a frame is converted; a table is itself)."""
    return sheet if isinstance(sheet, Table) else Table.from_frame(sheet)
