"""What a sheet table is: its columns (name, kind, width, choices) and who owns the sheet. Imports nothing."""

from __future__ import annotations

from dataclasses import dataclass

CLERK = "clerk"
TOOL = "tool"


@dataclass(frozen=True)
class Column:
    name: str
    kind: str = "text"  # text | number | int | date | datetime | month (date, datetime: real date cells, read as ISO text)
    width: float = 12
    required: bool = True  # must exist as a column header
    choices: tuple[str, ...] = ()  # dropdown in init
    number_format: str = ""


@dataclass(frozen=True)
class SheetSpec:
    name: str
    owner: str
    columns: tuple[Column, ...]
    description: str
    key: str = ""  # the column that identifies a row
    extensible: bool = False  # the tool may add columns (e.g. one per category)
    tab_color: str = ""
    optional: bool = False  # a clerk sheet a ledger may lack (added in a later version); reads as empty

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    def column(self, name: str) -> Column | None:
        for c in self.columns:
            if c.name == name:
                return c
        return None
