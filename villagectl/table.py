"""A sheet's cells without pandas: the columns as lists, as ``ledger.sheet_read`` converts them.

Every ledger sheet is read into a ``Table`` first; the pandas frame the commands use is made from it on
first use (``ledger.sheet_read.LoadedSheet.frame``). ``check`` reads only tables, so it never imports pandas (a third of its
time on a big ledger). Functions that both ``check`` and the commands call take either, through
``as_table``: one implementation, whichever the caller holds.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable, Iterator

if TYPE_CHECKING:
    import pandas as pd


class Table:
    """Column name → its cells (lists of one length), in the sheet's column order. Treat as read-only.

    ``pending``: columns still to convert (name → a function giving the cells), converted on first use: ``check``
    reads two of 月度得分's eighteen columns, and converting the rest would be a tenth of its time.
    """

    __slots__ = ("columns", "_data", "_pending", "_rows")

    def __init__(self, columns: list[str], data: dict[str, list] | None = None,
                 pending: dict[str, Callable[[], list]] | None = None, rows: int | None = None) -> None:
        self.columns = list(columns)
        self._data = dict(data or {})
        self._pending = dict(pending or {})
        self._rows = rows  # the row count when every column is pending

    @property
    def data(self) -> dict[str, list]:
        for name in list(self._pending):
            self._convert(name)
        return self._data

    def _convert(self, name: str) -> list:
        cells = self._data[name] = self._pending.pop(name)()
        return cells

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Table) and self.columns == other.columns and self.data == other.data

    def __repr__(self) -> str:
        return f"Table({self.columns!r}, {len(self)} rows)"

    def __len__(self) -> int:
        if not self.columns:
            return 0
        first = self._data.get(self.columns[0])
        if first is None and self._rows is not None:
            return self._rows
        return len(first if first is not None else self.column(self.columns[0]))

    @property
    def empty(self) -> bool:
        return len(self) == 0

    def column(self, name: str, default: object = "") -> list:
        """The column's cells; a column the sheet lacks reads as ``default`` in every row."""
        cells = self._data.get(name)
        if cells is None and name in self._pending:
            cells = self._convert(name)
        return cells if cells is not None else [default] * len(self)

    def records(self) -> list[dict]:
        """One dict per row (as ``DataFrame.to_dict("records")``)."""
        columns, data = self.columns, self.data
        return [dict(zip(columns, values)) for values in zip(*(data[c] for c in columns))] if columns else []

    def __iter__(self) -> Iterator[str]:  # like a frame: iterating gives the column names
        return iter(self.columns)

    def with_column(self, name: str, value: object = "") -> "Table":
        """A new table with ``name`` added (every row ``value``); this one is left as it is."""
        if name in self.columns:
            return self
        return Table([*self.columns, name], {**self._data, name: [value] * len(self)}, self._pending, len(self))

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
