"""The roll-up's reading: the columns the town summary needs from one ledger.

Run in the worker processes of ``actions.rollup`` (which never import pandas):
python-calamine reads only the six sheets needed (``reader="calamine"``);
``reader="ledger"`` reads through ``Ledger.open`` instead (same results; kept
for the benchmark and the tests). A ledger that cannot be read is refused with
a DataError whose message says why in Chinese. The figures themselves are
``scoring.town.summarize_village``'s.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from villagectl.actions.rollup_outputs import SUMMARY_SHEET
from villagectl.errors import DataError
from villagectl.io.filetype import sniff
from villagectl.io.preflight import col_letters
from villagectl.io.safe_write import STATE_DIR
from villagectl import schema
from villagectl.scoring.town import SheetData, VillageSummary, summarize_village
from villagectl.values import clean_text, find_header, header_key

REQUIRED_SHEETS = (schema.SETTINGS.name, schema.HOUSEHOLDS.name, schema.JOURNAL.name)
OPTIONAL_SHEETS = (schema.EVENTS.name, schema.REDEMPTIONS.name, schema.ANNUAL.name)
NEEDED_SHEETS = REQUIRED_SHEETS + OPTIONAL_SHEETS

# Columns read from each sheet: (must be there, may be missing).
COLUMNS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    schema.SETTINGS.name: (("键", "值"), ()),
    schema.HOUSEHOLDS.name: (("户号", "组别", "人口", "状态"), ()),
    schema.JOURNAL.name: (("流水号", "日期", "户号", "类型", "积分"), ("关联",)),
    schema.EVENTS.name: ((), ("事件号", "日期")),
    schema.REDEMPTIONS.name: ((), ("日期", "积分", "金额", "状态")),
    schema.ANNUAL.name: ((), ("年度", "星级", "牌级", "榜单", "状态")),
}


# --------------------------------------------------------------------------
# Reading one ledger
# --------------------------------------------------------------------------


def _encrypted(path: Path) -> bool:
    """An xlsx with an opening password is an OLE container holding an 'EncryptedPackage' stream."""
    try:
        if path.stat().st_size > 200 * 1024 * 1024:
            return False
        return "EncryptedPackage".encode("utf-16-le") in path.read_bytes()
    except OSError:
        return False


def _ledger_refusal(path: Path, kind: str) -> DataError | None:
    if kind == "xls" and _encrypted(path):
        return DataError("台账设置了打开密码，无法读取；请在 Excel/WPS 中取消密码后另存")
    if kind == "empty":
        return DataError("文件是空的（0 字节），不是台账")
    if kind == "damaged":
        return DataError(f"文件已损坏（不是完整的 xlsx 文件，可能没有拷贝完整），无法读取；"
                         f"可从该村台账旁 {STATE_DIR}/backups 文件夹里的备份恢复")
    if kind in ("xls", "ods"):
        return DataError(f"是 {kind} 文件，不是 xlsx 台账；台账须为 .xlsx，请在 Excel/WPS 中另存为 .xlsx")
    if kind != "xlsx":
        return DataError("不是 Excel 文件（内容不是 xlsx），不是台账")
    return None


def _not_a_ledger(names: list[str]) -> DataError | None:
    present = [n for n in REQUIRED_SHEETS if n in names]
    if not present:
        if SUMMARY_SHEET in names:
            return DataError("这是全镇汇总结果文件，不是村台账")
        return DataError("不是 villagectl 台账：没有“参数”“户籍”“积分流水”工作表")
    lacking = [n for n in REQUIRED_SHEETS if n not in names]
    if lacking:
        return DataError("台账缺少工作表：" + "、".join(lacking))
    return None


def _read_with_calamine(path: Path) -> dict[str, SheetData]:
    import python_calamine

    from villagectl.io.preflight import check_file

    try:
        check_file(path)  # zip bombs, absurd dimensions: calamine would abort the whole process
    except DataError as exc:
        raise DataError(exc.message) from None
    try:
        book = python_calamine.CalamineWorkbook.from_path(str(path))
    except python_calamine.PasswordError:
        raise DataError("台账设置了打开密码，无法读取；请取消密码后另存") from None
    except Exception as exc:  # calamine raises several unrelated types
        raise DataError(f"文件无法读取（已损坏或格式不对）：{short_reason(exc)}") from None
    try:
        names = list(book.sheet_names)
        refusal = _not_a_ledger(names)
        if refusal:
            raise refusal
        out: dict[str, SheetData] = {}
        for name in NEEDED_SHEETS:
            if name not in names:
                continue
            try:
                rows = book.get_sheet_by_name(name).to_python(skip_empty_area=False)
            except Exception as exc:
                raise DataError(f"工作表“{name}”无法读取（已损坏）：{short_reason(exc)}") from None
            out[name] = _sheet_from_rows(name, rows)
        return out
    finally:
        book.close()


def _sheet_from_rows(name: str, rows: list[list[Any]]) -> SheetData:
    spec = schema.SHEETS_BY_NAME[name]
    required, optional = COLUMNS[name]
    wanted = required + optional
    r = find_header(rows, spec.column_names)
    if r is None:
        if required:
            raise DataError(f"“{name}”工作表里找不到表头（应有：{'、'.join(required)}）")
        return SheetData(name, {}, {}, [])
    keys = {header_key(w): w for w in spec.column_names}
    positions: list[int] = []  # every headed column: a row is blank when all of them are
    where: dict[str, int] = {}
    for c, value in enumerate(rows[r]):
        text = clean_text(value)
        if not text:
            continue
        positions.append(c)
        canonical = keys.get(header_key(text))
        if canonical in wanted and canonical not in where:
            where[canonical] = c
    lacking = [c for c in required if c not in where]
    if lacking:
        raise DataError(f"“{name}”工作表缺少列：{'、'.join(lacking)}")
    width = max(positions) + 1 if positions else 0
    data: list[list[Any]] = []
    excel_rows: list[int] = []
    for i in range(r + 1, len(rows)):
        row = rows[i]
        if len(row) < width:
            row = list(row) + [""] * (width - len(row))
        for c in positions:
            v = row[c]
            if v != "" and (not isinstance(v, str) or v.strip()):
                break
        else:
            continue
        data.append(row)
        excel_rows.append(i + 1)
    columns = {col: [row[c] for row in data] for col, c in where.items()}
    letters = {col: col_letters(c + 1) for col, c in where.items()}
    return SheetData(name, columns, letters, excel_rows)


def _read_with_ledger(path: Path) -> dict[str, SheetData]:
    from villagectl.ledger.workbook import Ledger

    kind = sniff(path)
    refusal = _ledger_refusal(path, kind)
    if refusal:
        raise refusal
    try:
        ledger = Ledger.open(path)
    except DataError as exc:
        raise DataError(exc.message) from None
    refusal = _not_a_ledger(list(ledger.workbook_sheet_names))
    if refusal:
        raise refusal
    out: dict[str, SheetData] = {}
    for name in NEEDED_SHEETS:
        if name not in ledger.sheets:
            continue
        required, optional = COLUMNS[name]
        loaded = ledger.sheets[name]
        frame = loaded.frame
        missing_cols = set(ledger.missing_headers.get(name, [])) | set(ledger.upgraded.get(name, []))
        lacking = [c for c in required if c not in frame.columns or c in missing_cols]
        if lacking:
            raise DataError(f"“{name}”工作表缺少列：{'、'.join(lacking)}")
        present = [c for c in required + optional if c in frame.columns and c not in missing_cols]
        columns = {c: frame[c].tolist() for c in present}
        letters = {c: col_letters(list(frame.columns).index(c) + 1) for c in present}
        rows = loaded.excel_rows or list(range(loaded.header_row + 1, loaded.header_row + 1 + len(frame)))
        out[name] = SheetData(name, columns, letters, rows)
    return out


def short_reason(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text[:160]


def read_village(path: Path, year: int, file: str = "", reader: str = "calamine") -> VillageSummary:
    """One ledger's summary; DataError (with a Chinese reason) when it cannot be read."""
    path = Path(path)
    if reader == "ledger":
        sheets = _read_with_ledger(path)
    else:
        kind = sniff(path)
        refusal = _ledger_refusal(path, kind)
        if refusal:
            raise refusal
        sheets = _read_with_calamine(path)
    return summarize_village(sheets, year, file or path.name, str(path))

