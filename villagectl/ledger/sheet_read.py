"""A ledger sheet's rows (as python-calamine reads them) → its DataFrame, column by column.

The header is the row among the first ten holding most of the sheet's column names
(:func:`find_header`); rows are transposed once, blank rows found by the first cells that
tell, each column's distinct values converted once (text, numbers, dates, months), the 组别
of merged cells filled down. ``ledger.workbook.Ledger`` loads each sheet through
:func:`_load_sheet`.
"""

from __future__ import annotations

import datetime as dt
import operator
from functools import partial

from typing import TYPE_CHECKING

from villagectl.io import single_thread  # noqa: F401, I001  (before pandas: OpenBLAS on one thread)

if TYPE_CHECKING:
    import pandas as pd

from villagectl.io.reader import SheetRows
from villagectl import schema
from villagectl.ledger.journal import unchanged_by_clean_text
from villagectl.table import Table
from villagectl.values import as_text, clean_text, find_header, header_key

HEADER_SEARCH_ROWS = 10


class LoadedSheet:
    """A sheet as read: its cells as a ``Table``, and the frame the commands use, made from it on first use.

    Once the frame is made it is the sheet (a command may change it in place): ``table`` then reads it.
    """

    def __init__(self, frame: "pd.DataFrame | None", header_row: int, excel_rows: list[int],
                 positions: list[int] | None = None, table: Table | None = None) -> None:
        self._frame = frame
        self._table = table if frame is None else None
        self.header_row = header_row  # 1-based
        self.excel_rows = excel_rows  # 1-based row of each data row, for messages
        self.positions = positions  # 0-based sheet column of each frame column (as read)

    @property
    def frame(self) -> "pd.DataFrame":
        if self._frame is None:
            self._frame = self._table.to_frame()
            self._table = None
        return self._frame

    @frame.setter
    def frame(self, frame: "pd.DataFrame") -> None:
        self._frame, self._table = frame, None

    @property
    def table(self) -> Table:
        return self._table if self._table is not None else Table.from_frame(self._frame)

    @property
    def columns(self) -> list[str]:
        return list(self._table.columns) if self._table is not None else [str(c) for c in self._frame.columns]

    def __len__(self) -> int:
        return len(self._table) if self._table is not None else len(self._frame)

    def add_columns(self, names: list[str]) -> None:
        """Columns the sheet lacks, blank in every row (a tool sheet of an older version)."""
        for name in names:
            if self._table is not None:
                self._table = self._table.with_column(name, "")
            else:
                self._frame[name] = ""

    def position(self, index: object) -> int:
        """The 0-based data row of a frame index label (before a frame is made the labels are 0, 1, …)."""
        return int(index) if self._frame is None else self._frame.index.get_loc(index)

    def copy(self) -> "LoadedSheet":
        """The sheet as it is now, kept apart from later changes (a table is never changed in place)."""
        if self._table is not None:
            return LoadedSheet(None, self.header_row, list(self.excel_rows), self.positions, self._table)
        return LoadedSheet(self._frame.copy(), self.header_row, list(self.excel_rows), self.positions)


def _load_sheet(raw: SheetRows, spec: schema.SheetSpec) -> tuple[LoadedSheet, list[str]]:
    required = [c.name for c in spec.columns if c.required]
    r = find_header(raw.rows, spec.column_names, HEADER_SEARCH_ROWS)
    if r is None:
        return LoadedSheet(None, 1, [], table=Table.empty_of(spec.column_names)), required
    header_cells = raw.rows[r]
    columns: list[str] = []
    positions: list[int] = []
    for c, value in enumerate(header_cells):
        name = clean_text(value)
        if not name:
            continue
        canonical = next((n for n in spec.column_names if header_key(n) == header_key(name)), name)
        if canonical in columns:
            continue
        columns.append(canonical)
        positions.append(c)
    converters = [_converter(spec, col) for col in columns]
    filled = _merged_fill(raw, spec, columns, positions, r)
    width = max(positions) + 1 if positions else 0
    body = raw.rows[r + 1 :]
    if not filled and positions and body and min(map(len, body)) >= width:
        cells, excel_rows = _columns_of(body, positions, r + 2)  # the usual case, column by column
    else:
        cells, excel_rows = _rows_of(body, positions, width, filled, r + 2)
    # column by column, each distinct text converted once (ids, types, dates repeat down a big sheet), and only
    # when the column is first read (check reads few of a big sheet's columns; a frame converts them all)
    pending = {col: partial(_convert_column, conv, column) for col, conv, column in zip(columns, converters, cells)}
    lacking = [c for c in required if c not in columns]
    return LoadedSheet(None, r + 1, excel_rows, positions, Table(columns, pending=pending, rows=len(excel_rows))), lacking


def _columns_of(body: list[list], positions: list[int], first_row: int) -> tuple[list, list[int]]:
    """The columns at ``positions`` of the rows ``body`` (each at least that wide), without the blank rows
    (every cell "" or only spaces, as ``_has_content`` says), and the Excel row number of each kept row.

    Column by column in C (zip, itemgetter): a row is decided by its first cell that is not blank, so
    the first column decides almost every row."""
    transposed = list(zip(*body))
    columns = [transposed[c] for c in positions]
    undecided = range(len(body))
    content: set[int] = set()
    for column in columns:
        blanks = _blank_cells(set(column))
        if not blanks:
            content.update(undecided)
            break
        rest = []
        for i in undecided:
            if column[i] in blanks:
                rest.append(i)
            else:
                content.add(i)
        undecided = rest
        if not undecided:
            break
    if len(content) == len(body):
        return columns, list(range(first_row, first_row + len(body)))
    kept = sorted(content)
    if not kept:
        return [() for _ in columns], []
    pick = operator.itemgetter(*kept)
    picked = [pick(column) if len(kept) > 1 else (column[kept[0]],) for column in columns]
    return picked, [first_row + i for i in kept]


def _blank_cells(cells: set) -> set:
    """The cells ``_has_content`` calls blank: "" and texts ``clean_text`` reduces to "". A printable text
    is blank only when it is spaces (NFKC turns no printable character into white space alone); any
    other text is asked of clean_text."""
    return {v for v in cells if type(v) is str and (not v.strip(" ") if v.isprintable() else not clean_text(v))}


def _rows_of(body: list[list], positions: list[int], width: int, filled: dict, first_row: int) -> tuple[list, list[int]]:
    """``_columns_of`` row by row: short rows, and merged 组别 cells to fill in."""
    kept: list[list] = []
    excel_rows: list[int] = []
    pick = _picker(positions)
    for i, row in enumerate(body, start=first_row):
        values = pick(row) if len(row) >= width else [row[c] if c < len(row) else "" for c in positions]
        if not _has_content(values):
            continue
        if filled:
            for k, value in filled.get(i - 1, {}).items():
                if clean_text(values[k]) == "":
                    values[k] = value
        kept.append(values)
        excel_rows.append(i)
    return (list(zip(*kept)) if kept else [() for _ in positions]), excel_rows


def _picker(positions: list[int]):
    """row → [row[c] for c in positions] as a list (one C call per row for a full-width row)."""
    if not positions:
        return lambda row: []
    if len(positions) == 1:
        c = positions[0]
        return lambda row: [row[c]]
    get = operator.itemgetter(*positions)
    return lambda row: list(get(row))


def _has_content(values: list) -> bool:
    """Some cell is not blank: a number, a date, or text that is not only spaces (as ``clean_text`` sees it)."""
    for v in values:
        if v == "":
            continue
        if type(v) is not str or clean_text(v):
            return True
    return False


_MISSING = object()


_TEXT_AND_FLOAT = {str, float}
# cell types that never equal a cell of another of these types (unlike True, 1 and 1.0): one memo for all
_DISTINCT_KINDS = {str, float, dt.date, dt.datetime, dt.time, dt.timedelta}


def _convert_column(conv, cells) -> list:
    """``[conv(v) for v in cells]``, each distinct text, number and date converted once."""
    kinds = set(map(type, cells))
    if conv is _number_value:  # numbers stay as they are (-0.0 too); each distinct text cleaned once
        if kinds <= _TEXT_AND_FLOAT:
            if str not in kinds:
                return list(cells)
            memo = {v: conv(v) for v in set(cells) if type(v) is str}
            return [memo[v] if type(v) is str else v for v in cells]
    elif kinds <= _DISTINCT_KINDS:  # what calamine gives for text, number and date columns
        distinct = set(cells)
        if conv in (clean_text, as_text) and kinds == {str} and unchanged_by_clean_text(distinct):
            return list(cells)  # 户号, 流水号, names, summaries typed without stray spaces: as they are
        # every other converter gives 0.0 and -0.0 the same value, so equal keys may share it
        memo = {v: conv(v) for v in distinct}
        return list(map(memo.__getitem__, cells))
    return _convert_mixed(conv, cells)


def _convert_mixed(conv, cells) -> list:
    """``_convert_column`` for a column with dates, booleans or ints among its cells."""
    texts: dict[str, object] = {}
    floats: dict[float, object] = {}
    out = []
    append = out.append
    for v in cells:
        kind = type(v)
        memo = texts if kind is str else floats if kind is float else None
        if memo is None:
            append(conv(v))
            continue
        got = memo.get(v, _MISSING)
        if got is _MISSING:
            got = memo[v] = conv(v)
            if kind is float and (v != v or not v):  # NaN is never found again; 0.0 and -0.0 are equal keys
                del memo[v]
        append(got)
    return out


# columns whose merged cells (the clerk merges one group's rows) stand for every row they cover
MERGED_DOWN = {schema.HOUSEHOLDS.name: ("组别",)}


def _merged_fill(raw: SheetRows, spec: schema.SheetSpec, columns: list[str], positions: list[int],
                 header: int) -> dict[int, dict[int, object]]:
    """0-based row → {column index: value} for the cells under the top-left cell of a merged range.

    Excel keeps a merged range's value only in its top-left cell; a 组别 merged
    over a group's rows means that group for each of them.
    """
    wanted = MERGED_DOWN.get(spec.name)
    if not wanted or not raw.merged:
        return {}
    targets = {positions[k]: k for k, col in enumerate(columns) if col in wanted}
    out: dict[int, dict[int, object]] = {}
    for (r0, c0), (r1, c1) in raw.merged:
        if r1 <= r0 or r0 <= header:
            continue
        value = raw.cell(r0, c0)
        if clean_text(value) == "":
            continue
        for c in range(c0, c1 + 1):
            k = targets.get(c)
            if k is None:
                continue
            for rr in range(r0 + 1, r1 + 1):
                out.setdefault(rr, {})[k] = value
    return out


# keys that are text a person wrote (a shop item's name, a header as written): read as typed like any
# text; rows are still matched by clean_text of the key (write-back) and by clean_name (redeem)
FREE_TEXT_KEYS = ("名称", "表头文字")


def _converter(spec: schema.SheetSpec, column: str):
    """How a column's raw cells become values (chosen once per column: big sheets)."""
    col = spec.column(column)
    if (column == spec.key and column not in FREE_TEXT_KEYS) or column == "户号":
        return clean_text
    if col is not None and col.kind == "month":
        return _month_value
    if col is None:
        return _raw_value  # a column the clerk added (or a category column): keep its types
    if col.kind == "text":
        return as_text
    if col.kind == "date":
        return _date_value
    if col.kind == "datetime":
        return _datetime_value
    return _int_value if col.kind == "int" else _number_value


def _month_value(value: object) -> object:
    if isinstance(value, (dt.date, dt.datetime)):
        return f"{value.year:04d}-{value.month:02d}"
    return clean_text(value)


def _date_value(value: object) -> object:
    if isinstance(value, (dt.date, dt.datetime)):
        return (value.date() if isinstance(value, dt.datetime) else value).isoformat()
    return clean_text(value)


def _datetime_value(value: object) -> object:
    """A date-and-time cell as the tool stamps it: '2026-07-28 09:30:00' (to the nearest second)."""
    if isinstance(value, dt.datetime):
        value = (value + dt.timedelta(microseconds=500_000)).replace(microsecond=0)
        return value.isoformat(sep=" ", timespec="seconds")
    if isinstance(value, dt.date):
        return value.isoformat()
    return as_text(value)


def _raw_value(value: object) -> object:
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return int(value)
    return value


def _number_value(value: object) -> object:
    return clean_text(value) if isinstance(value, str) else value


def _int_value(value: object) -> object:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return _number_value(value)
