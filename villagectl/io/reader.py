"""Read workbooks into plain rows with python-calamine (DESIGN §6).

Rows are A1-anchored lists so that ``rows[r][c]`` is Excel cell
``col_letters(c + 1) + str(r + 1)``; empty cells are ``""``.
"""

from __future__ import annotations

import datetime as dt
import html
import re
import threading
import zipfile
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import python_calamine

from villagectl.errors import DataError, Location, Problem
from villagectl.io.csv_reader import ENCODING_LABELS, TEXT_SUFFIXES, read_csv
from villagectl.io.filetype import OLE_MAGIC, ZIP_MAGIC, sniff
from villagectl.io.html_table import looks_like_html, read_html_tables
from villagectl.io.ooxml import PackageError, read_package
from villagectl.io.preflight import check_ledger, col_letters, col_number

Cell = str | float | int | bool | dt.date | dt.datetime | dt.time | dt.timedelta


@dataclass
class SheetRows:
    name: str
    rows: list[list[Cell]]
    merged: list[tuple[tuple[int, int], tuple[int, int]]] = field(default_factory=list)
    hidden: bool = False
    # formula cells that carry no stored result (calamine reads them as ""): (row, col) -> formula
    formulas: dict[tuple[int, int], str] = field(default_factory=dict)
    hidden_columns: set[int] = field(default_factory=set)  # 0-based, xlsx only
    # for a CSV/TSV file: the encoding it was decoded with (a key of csv_reader.ENCODING_LABELS,
    # e.g. "utf-8-sig", "gb18030") and its delimiter; "" for spreadsheets
    encoding: str = ""
    delimiter: str = ""

    @property
    def encoding_label(self) -> str:
        """The encoding as a clerk would name it ("UTF-8（带 BOM）", "GBK/GB18030"), or ""."""
        return ENCODING_LABELS.get(self.encoding, self.encoding)

    def cell(self, r: int, c: int) -> Cell:
        if r < len(self.rows) and c < len(self.rows[r]):
            return self.rows[r][c]
        return ""


@dataclass
class WorkbookRows:
    path: Path
    sheets: list[SheetRows]

    def sheet(self, name: str) -> SheetRows | None:
        for s in self.sheets:
            if s.name == name:
                return s
        return None

    @property
    def sheet_names(self) -> list[str]:
        return [s.name for s in self.sheets]


def cell_ref(r: int, c: int) -> str:
    """0-based row/column → 'B7'."""
    return f"{col_letters(c + 1)}{r + 1}"


class SheetReader:
    """Reads the sheets of one workbook on demand (a ledger command needs only a few of its sheets).

    Keeps the file open until ``close()``: callers close it before replacing the file
    (Windows cannot replace a file that is open).

    The workbook passes the pre-flight checks with the ledger's limits first (``check_ledger``):
    it is read in this process, where a zip bomb would take all the memory.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        check_ledger(path)
        try:
            self._book = python_calamine.CalamineWorkbook.from_path(str(path))
            self.names = [m.name for m in self._book.sheets_metadata
                          if str(m.typ) in ("SheetTypeEnum.WorkSheet", "WorkSheet")]
        except python_calamine.PasswordError:
            raise _refuse(path, "文件设置了打开密码，请取消密码后另存再试") from None
        except Exception as exc:  # calamine raises several unrelated types
            raise _refuse(path, f"文件无法读取（已损坏或格式不对）：{_short(exc)}") from None
        self.all_names = list(self._book.sheet_names)
        self._ahead: dict[str, Future] = {}
        self._pool: ThreadPoolExecutor | None = None
        self._books: list = []  # the prefetch threads' own workbooks (one each: calamine's is not shared)
        self._local = threading.local()

    def sheet(self, name: str) -> SheetRows:
        ahead = self._ahead.pop(name, None)
        if ahead is not None:
            return ahead.result()  # the thread's DataError (a damaged sheet) is raised here, as if read here
        if self._book is None:
            self._book = python_calamine.CalamineWorkbook.from_path(str(self.path))
        return _sheet_rows(self.path, self._book, name)

    def is_ahead(self, name: str) -> bool:
        """``name`` is being read (or was read) by a prefetch thread and not taken yet."""
        return name in self._ahead

    @property
    def reading_ahead(self) -> bool:
        """Some sheet read ahead is not taken yet."""
        return bool(self._ahead)

    def prefetch(self, names: list[str], workers: int = 2) -> None:
        """Start reading ``names`` in ``workers`` threads; ``sheet(name)`` then waits for its own.

        python-calamine parses a sheet without holding the GIL, so the sheets are read on other
        cores while this thread goes on (importing pandas, converting the sheets read so far): a
        ``check`` waits for the slowest of them, not for their sum. Each thread opens the file once.
        """
        names = [n for n in names if n in self.all_names and n not in self._ahead]
        if not names:
            return
        sizes = _sheet_sizes(self.path)  # the biggest first: the last sheet to arrive is then a small one
        names.sort(key=lambda n: -sizes.get(n, 0))
        if self._pool is None:
            self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="villagectl-read")
        for name in names:
            self._ahead[name] = self._pool.submit(self._read_in_thread, name)

    def _read_in_thread(self, name: str) -> SheetRows:
        book = getattr(self._local, "book", None)
        if book is None:
            try:
                book = python_calamine.CalamineWorkbook.from_path(str(self.path))
            except Exception as exc:  # calamine raises several unrelated types
                raise _refuse(self.path, f"文件无法读取（已损坏或格式不对）：{_short(exc)}") from None
            self._local.book = book
            self._books.append(book)
        return _sheet_rows(self.path, book, name)

    def close(self) -> None:
        if self._pool is not None:  # the threads let go of the file before it is replaced
            for future in self._ahead.values():
                future.cancel()
            self._pool.shutdown(wait=True)
            self._pool = None
            self._ahead.clear()
        for book in self._books:
            book.close()
        self._books.clear()
        if self._book is not None:
            self._book.close()
            self._book = None


def _sheet_sizes(path: Path) -> dict[str, int]:
    """Sheet name → the size of its XML unpacked (an xlsx's zip directory says it); {} when it cannot tell."""
    try:
        with zipfile.ZipFile(path) as zf:
            parts = read_package(zf).sheet_parts
            return {name: zf.getinfo(part).file_size for name, part in parts.items() if part in zf.NameToInfo}
    except (zipfile.BadZipFile, PackageError, KeyError, OSError, ValueError):
        return {}


def _sheet_rows(path: Path, book, name: str) -> SheetRows:
    try:
        sheet = book.get_sheet_by_name(name)
        rows = sheet.to_python(skip_empty_area=False)
    except Exception as exc:
        raise _refuse(path, f"工作表“{name}”无法读取（已损坏）：{_short(exc)}") from None
    if type(rows) is not list or any(type(r) is not list for r in rows):  # calamine gives lists: no copy
        rows = [list(r) for r in rows]
    return SheetRows(name=name, rows=rows, merged=list(sheet.merged_cell_ranges or []))


def read_workbook(
    path: Path, only: set[str] | None = None, with_formulas: bool = False, max_rows: int | None = None
) -> WorkbookRows:
    """Read every (or only the named) sheet in this process.

    ``with_formulas`` also collects, for xlsx files, the formulas of cells that
    have no stored result (files written by scripts), so callers can say so.

    A CSV/TSV file (recognised by its content) reads as one sheet named after
    the file's stem, every cell a string, with ``encoding`` and ``delimiter``
    set; ``max_rows`` stops reading such a file early (DataError) when it has
    more records. ``with_formulas`` does not apply to it.
    """
    path = Path(path)
    if _is_text_table(path):
        table = read_csv(path, max_rows=max_rows)
        sheets = [SheetRows(name=path.stem, rows=table.rows, encoding=table.encoding, delimiter=table.delimiter)]
        if only is not None:
            sheets = [s for s in sheets if s.name in only]
        return WorkbookRows(path=path, sheets=sheets)
    if _is_html(path):
        tables = read_html_tables(path)
        names = [path.stem] if len(tables) == 1 else [f"表{i + 1}" for i in range(len(tables))]
        sheets = [SheetRows(name=name, rows=rows, merged=merged) for name, (rows, merged) in zip(names, tables)]
        if max_rows is not None and sum(len(s.rows) for s in sheets) > max_rows:
            raise _refuse(path, f"表格太大（超过 {max_rows} 行），不像检查表或名册；请只发需要的表")
        return WorkbookRows(path=path, sheets=[s for s in sheets if only is None or s.name in only])
    try:
        book = python_calamine.CalamineWorkbook.from_path(str(path))
    except python_calamine.PasswordError:
        raise _refuse(path, "文件设置了打开密码，请取消密码后另存再试") from None
    except Exception as exc:  # calamine raises several unrelated types
        raise _refuse(path, f"文件无法读取（已损坏或格式不对）：{_short(exc)}") from None
    sheets: list[SheetRows] = []
    try:
        for meta in book.sheets_metadata:
            if only is not None and meta.name not in only:
                continue
            if str(meta.typ) not in ("SheetTypeEnum.WorkSheet", "WorkSheet"):
                continue
            sheet = book.get_sheet_by_name(meta.name)
            rows = sheet.to_python(skip_empty_area=False)
            sheets.append(
                SheetRows(
                    name=meta.name,
                    rows=[list(r) for r in rows],
                    merged=list(sheet.merged_cell_ranges or []),
                    hidden=str(meta.visible) not in ("SheetVisibleEnum.Visible", "Visible"),
                )
            )
    except Exception as exc:
        raise _refuse(path, f"文件内容无法读取（已损坏）：{_short(exc)}") from None
    finally:
        book.close()
    if with_formulas:
        _attach_formulas(path, sheets)
    return WorkbookRows(path=path, sheets=sheets)


def _is_html(path: Path) -> bool:
    try:
        with open(path, "rb") as fh:
            return looks_like_html(fh.read(4096))
    except OSError:
        return False


def _is_text_table(path: Path) -> bool:
    try:
        with open(path, "rb") as fh:
            if fh.read(8).startswith((ZIP_MAGIC, OLE_MAGIC)):
                return False  # a spreadsheet: calamine's
        kind = sniff(path)
    except OSError:
        return False  # calamine says why it cannot open the file
    # a file named .csv that is not one (binary, unknown encoding) gets the CSV reader's reason
    return kind == "csv" or (kind == "unknown" and path.suffix.lower() in TEXT_SUFFIXES)


_CELL_FORMULA = re.compile(
    r'<(?:\w+:)?c\b[^>]*?\br="([A-Z]+)(\d+)"[^>]*>\s*<(?:\w+:)?f\b[^>]*>([^<]*)</(?:\w+:)?f>\s*(?:<(?:\w+:)?v\s*/>|<(?:\w+:)?v>\s*</(?:\w+:)?v>)?\s*</(?:\w+:)?c>'
)


_HIDDEN_COLS = re.compile(r'<(?:\w+:)?col\b(?=[^>]*\bhidden="(?:1|true)")[^>]*?\bmin="(\d+)"[^>]*?\bmax="(\d+)"')


def _attach_formulas(path: Path, sheets: list[SheetRows]) -> None:
    try:
        with zipfile.ZipFile(path) as zf:
            pkg = read_package(zf)
            for sheet in sheets:
                part = pkg.sheet_parts.get(sheet.name)
                if not part:
                    continue
                xml = zf.read(part).decode("utf-8", "replace")
                head = xml[: xml.find("<sheetData") if "<sheetData" in xml else 20000]
                for m in _HIDDEN_COLS.finditer(head):
                    first, last = int(m.group(1)), int(m.group(2))
                    if last - first < 1000:
                        sheet.hidden_columns.update(range(first - 1, last))
                if "<f" not in xml and ":f" not in xml:
                    continue
                for m in _CELL_FORMULA.finditer(xml):
                    r, c = int(m.group(2)) - 1, col_number(m.group(1)) - 1
                    if sheet.cell(r, c) == "":
                        sheet.formulas[(r, c)] = html.unescape(m.group(3))
    except (zipfile.BadZipFile, PackageError, KeyError, OSError, ValueError):
        return  # not an xlsx (xls/ods) or odd structure: no formula details


def _short(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text[:160]


def _refuse(path: Path, message: str) -> DataError:
    return DataError(message, [Problem(Location(file=path.name), message)])
