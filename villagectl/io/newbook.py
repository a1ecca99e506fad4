"""Creating new workbooks with openpyxl (init, error reports, exports).

Never used to load and re-save the clerk's ledger (DESIGN §6).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from villagectl.errors import FileAccessError

HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
HEADER_FONT = Font(bold=True)
THIN = Side(style="thin", color="999999")
BORDER = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
VALIDATION_ROWS = 5000


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
) -> None:
    ws = wb.create_sheet(title)
    if tab_color:
        ws.sheet_properties.tabColor = tab_color
    header_row = 1
    if title_line:
        ws.cell(row=1, column=1, value=title_line).font = Font(bold=True, size=13)
        if len(columns) > 1:
            ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(columns))
        header_row = 2
    for c, col in enumerate(columns, start=1):
        cell = ws.cell(row=header_row, column=c, value=col.name)
        cell.font = HEADER_FONT
        cell.fill = HEADER_FILL
        cell.border = BORDER
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        letter = get_column_letter(c)
        ws.column_dimensions[letter].width = col.width
        if col.number_format:
            ws.column_dimensions[letter].number_format = col.number_format
    for r, row in enumerate(rows, start=header_row + 1):
        for c, value in enumerate(row, start=1):
            if value is None or value == "":
                continue
            cell = ws.cell(row=r, column=c)
            if isinstance(value, str) and value.startswith("="):
                cell.value = value
                cell.data_type = "s"  # keep it text, never a formula
            else:
                cell.value = value
            fmt = columns[c - 1].number_format if c - 1 < len(columns) else ""
            if fmt:
                cell.number_format = fmt
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
    ws.print_title_rows = f"{header_row}:{header_row}"


def new_workbook() -> Workbook:
    wb = Workbook()
    wb.remove(wb.active)
    return wb


def save_new(wb: Workbook, path: Path) -> None:
    """Save a newly created workbook atomically (temp file beside it, then rename)."""
    tmp = path.with_name(f".villagectl-tmp-{os.getpid()}-{path.name}")
    try:
        wb.save(tmp)
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except PermissionError:
        raise FileAccessError(f"无法写入 {path.name}：文件被其他程序（Excel/WPS）占用或没有写权限，请关闭后重试") from None
    except OSError as exc:
        raise FileAccessError(f"无法写入 {path}：{exc.strerror or exc}") from None
    finally:
        if tmp.exists():
            tmp.unlink(missing_ok=True)
