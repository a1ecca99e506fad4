"""Creating new workbooks with openpyxl (init, error reports, exports).

Never used to load and re-save the clerk's ledger (DESIGN §6).

Text from the clerk or from an imported file is always stored as text
(docs/safety.md "公式注入与模板"): openpyxl turns any string that starts with
``=`` into a live formula, so every writer goes through :func:`put` /
:func:`set_value`, and :func:`save_new` sweeps the workbook once more before
saving: a formula cell the tool did not make with :func:`put_formula` becomes
the text it was. Text that a spreadsheet would evaluate once the cell is
edited (a leading ``= + - @``, tab or carriage return) also gets Excel's
"quote prefix" (the cell shows and stores exactly the text; retyping it keeps
it text). Numbers stay numbers, negative ones included; no character of the
text is changed.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from villagectl.io.outputs import write_atomically

HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
HEADER_FONT = Font(bold=True)
THIN = Side(style="thin", color="999999")
BORDER = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
VALIDATION_ROWS = 5000

# Leading characters that make a spreadsheet evaluate what follows (Excel, WPS,
# LibreOffice; CSV importers too).
FORMULA_LEADS = ("=", "+", "-", "@", "\t", "\r")

# The formulas the tool itself wrote, per worksheet (everything else is text).
_TOOL_FORMULAS: "weakref.WeakKeyDictionary[Any, set[str]]" = weakref.WeakKeyDictionary()


def looks_like_formula(text: str) -> bool:
    """Would a spreadsheet evaluate this text if it were typed into a cell?"""
    return text.startswith(FORMULA_LEADS)


def csv_text(value: Any) -> Any:
    """A value for a CSV file: text a spreadsheet would evaluate gets a leading ``'``.

    (No command writes CSV today; any future CSV export must pass its cells
    through this.) Numbers are returned unchanged.
    """
    if isinstance(value, str) and looks_like_formula(value):
        return "'" + value
    return value


def set_value(cell, value: Any) -> None:
    """Put ``value`` into an openpyxl cell; a string is stored as text, never a formula."""
    if isinstance(value, str):
        text = ILLEGAL_CHARACTERS_RE.sub("", value)  # cannot be stored in the file at all
        cell.value = text
        cell.data_type = "s"  # openpyxl made "=…" a formula and "#N/A" an error
        if looks_like_formula(text):
            cell.quotePrefix = True
    else:
        cell.value = value


def put(ws, row: int, column: int, value: Any = None):
    """``ws.cell(row, column, value)`` that never makes a formula (or an error value) from text."""
    cell = ws.cell(row=row, column=column)
    if value is not None:
        set_value(cell, value)
    return cell


def put_formula(ws, row: int, column: int, formula: str):
    """A formula the tool itself writes (built from cell references, never from data)."""
    cell = ws.cell(row=row, column=column, value=formula)
    _TOOL_FORMULAS.setdefault(ws, set()).add(cell.coordinate)
    return cell


def neutralise_formulas(wb: Workbook) -> int:
    """Make every formula the tool did not write with :func:`put_formula` the text it was.

    Also gives text that starts like a formula the quote prefix. Returns how
    many formula cells were turned into text.
    """
    turned = 0
    for ws in wb.worksheets:
        allowed = _TOOL_FORMULAS.get(ws, set())
        for cell in list(ws._cells.values()):
            value = cell.value
            if value is None:
                continue
            if cell.data_type == "f" and cell.coordinate in allowed:
                continue
            if cell.data_type in ("f", "e") or isinstance(value, str):
                turned += cell.data_type == "f"
                text = value if isinstance(value, str) else str(getattr(value, "text", None) or value)
                set_value(cell, text)
    return turned


@dataclass(frozen=True)
class ColumnFormat:
    name: str
    width: float = 12
    choices: tuple[str, ...] = ()
    number_format: str = ""  # "@" keeps IDs and phone numbers as text


def add_table_sheet(
    wb: Workbook,
    title: str,
    columns: list[ColumnFormat],
    rows: Iterable[Iterable[Any]] = (),
    title_line: str = "",
    tab_color: str = "",
    *,
    borders: bool = False,
    signatures: str | None = None,
    bold_last_row: bool = False,
) -> None:
    """One table: (a merged title row,) the header with an autofilter, the rows; frozen header; A4 print setup.

    Exports meant for the town (``borders``/``signatures``): every cell of the table has a thin border and
    below it the 制表人 / 审核人 / （盖章） line with the date (``signatures`` is the signing body, e.g.
    "中坪村村民委员会"; "" prints a blank for it), printed on A4 with the title and header on every page.
    """
    ws = wb.create_sheet(title)
    if tab_color:
        ws.sheet_properties.tabColor = tab_color
    header_row = 1
    if title_line:
        put(ws, 1, 1, title_line).font = Font(bold=True, size=13)
        if len(columns) > 1:
            ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(columns))
        header_row = 2
    for c, col in enumerate(columns, start=1):
        cell = put(ws, header_row, c, col.name)
        cell.font = HEADER_FONT
        cell.fill = HEADER_FILL
        cell.border = BORDER
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        letter = get_column_letter(c)
        ws.column_dimensions[letter].width = col.width
        if col.number_format:
            ws.column_dimensions[letter].number_format = col.number_format
    last_row = header_row
    for r, row in enumerate(rows, start=header_row + 1):
        last_row = r
        for c, value in enumerate(row, start=1):
            if value is None or value == "":
                if borders and c <= len(columns):
                    ws.cell(row=r, column=c).border = BORDER
                continue
            cell = put(ws, r, c, value)
            fmt = columns[c - 1].number_format if c - 1 < len(columns) else ""
            if fmt:
                cell.number_format = fmt
            if borders:
                cell.border = BORDER
        if borders:
            for c in range(len(row) + 1, len(columns) + 1):
                ws.cell(row=r, column=c).border = BORDER
    if bold_last_row and last_row > header_row:
        for c in range(1, len(columns) + 1):
            ws.cell(row=last_row, column=c).font = HEADER_FONT
    last_letter = get_column_letter(max(1, len(columns)))
    ws.auto_filter.ref = f"A{header_row}:{last_letter}{last_row}"  # Excel's filter and sort on the header
    if signatures is not None:
        _signature_line(ws, last_row + 2, len(columns), signatures)
    for c, col in enumerate(columns, start=1):
        if not col.choices:
            continue
        letter = get_column_letter(c)
        formula = '"' + ",".join(col.choices) + '"'
        if len(formula) > 255:  # Excel's limit for an inline list
            continue
        dv = DataValidation(
            type="list",
            formula1=formula,
            allow_blank=True,
            showErrorMessage=True,
            errorTitle="取值不在列表中",
            error=f"请从下拉列表选择：{'、'.join(col.choices)}",
        )
        dv.add(f"{letter}{header_row + 1}:{letter}{VALIDATION_ROWS}")
        ws.add_data_validation(dv)
    ws.freeze_panes = ws.cell(row=header_row + 1, column=1)
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    if sum(c.width for c in columns) > 95:  # wider than portrait A4
        ws.page_setup.orientation = "landscape"
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.print_title_rows = f"1:{header_row}" if title_line else f"{header_row}:{header_row}"
    if borders or signatures is not None:
        ws.print_options.horizontalCentered = True
        ws.page_margins.left = ws.page_margins.right = 0.5
        ws.page_margins.top, ws.page_margins.bottom = 0.7, 0.7
        ws.oddFooter.center.text = "第 &P 页，共 &N 页"


def _signature_line(ws, row: int, width: int, signer: str) -> None:
    """制表人：____　审核人：____　<单位>（盖章）　年　月　日, spread over the table's width."""
    width = max(width, 3)
    third = max(1, width // 3)
    put(ws, row, 1, "制表人：")
    put(ws, row, 1 + third, "审核人：")
    put(ws, row, 1 + 2 * third, f"{signer}（盖章）" if signer else "（盖章）")
    put(ws, row + 1, 1 + 2 * third, "年　　月　　日")
    for r in (row, row + 1):
        for c in range(1, width + 1):
            ws.cell(row=r, column=c).font = Font(size=11)


def new_workbook() -> Workbook:
    wb = Workbook()
    wb.remove(wb.active)
    return wb


def save_new(wb: Workbook, path: Path) -> None:
    """Save a newly created workbook atomically (``io.outputs.write_atomically``: temp file beside it, fsync, rename)."""
    neutralise_formulas(wb)
    write_atomically(path, wb.save)
