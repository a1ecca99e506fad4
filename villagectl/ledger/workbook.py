"""The ledger workbook in memory: one DataFrame per sheet, and the write-back."""

from __future__ import annotations

import datetime as dt
import operator
import json
from dataclasses import dataclass, field
from pathlib import Path

from villagectl.io import single_thread  # noqa: F401, I001  (before pandas: OpenBLAS on one thread)
import pandas as pd

from villagectl.errors import DataError, FileAccessError, LedgerLockedError, Location, Problem
from villagectl.io import safe_write
from villagectl.io.filetype import sniff
from villagectl.io.reader import SheetReader, SheetRows, read_workbook
from villagectl.io.ooxml import PackageError
from villagectl.io.xlsx_patch import SheetUpdate, patch_workbook
from villagectl.ledger import schema
from villagectl.collector import gc_paused
from villagectl.ledger.journal import unchanged_by_clean_text
from villagectl.values import as_text, clean_text, header_key

HEADER_SEARCH_ROWS = 10


@dataclass
class LoadedSheet:
    frame: pd.DataFrame
    header_row: int  # 1-based
    excel_rows: list[int]  # 1-based row of each data row, for messages
    positions: list[int] | None = None  # 0-based sheet column of each frame column (as read)


@dataclass
class Ledger:
    """The workbook's sheets as DataFrames, read on first use (a command reads only what it needs)."""

    path: Path
    fingerprint: safe_write.Fingerprint | None
    workbook_sheet_names: list[str]
    dirty: set[str] = field(default_factory=set)
    _reader: SheetReader | None = None
    _loaded: dict[str, LoadedSheet] = field(default_factory=dict)
    _missing: dict[str, list[str]] = field(default_factory=dict)
    _upgraded: dict[str, list[str]] = field(default_factory=dict)  # tool sheets missing newer columns
    # each sheet as it was read (a copy): the write-back keeps the XML of the rows and cells left unchanged
    _originals: dict[str, LoadedSheet] = field(default_factory=dict)
    # the file itself once symbolic links are followed: locked, read and replaced (``path`` is the name the
    # clerk gave, used in messages; a link stays a link)
    real_path: Path | None = None
    # what the next save's 操作日志 row says (actions.session.Session.updating): (结果, 输入文件)
    pending_note: tuple[str, list[tuple[str, str]] | None] = ("", None)

    def __post_init__(self) -> None:
        if self.real_path is None:
            self.real_path = safe_write.real_path(self.path)

    # --- reading -----------------------------------------------------------

    @classmethod
    def open(cls, path: Path) -> "Ledger":
        path = Path(path)
        if not path.exists():
            raise FileAccessError(f"找不到台账文件 {path}；新建台账请用 villagectl init")
        kind = sniff(path)
        if kind in ("damaged", "empty"):
            raise DataError(
                f"台账文件 {path.name} 已损坏或是空的，无法打开；"
                f"可以从旁边的 {safe_write.STATE_DIR}/backups 文件夹里找最近的备份，复制出来改回原名"
            )
        if kind != "xlsx":
            raise DataError(
                f"{path.name} 不是 xlsx 台账文件（识别为 {kind}）；台账须为 .xlsx，"
                "如是 .xls 或 .ods 请在 Excel/WPS 中另存为 .xlsx"
            )
        real = safe_write.real_path(path)
        fp = safe_write.fingerprint(real)
        try:
            reader = SheetReader(real)
        except DataError:
            if safe_write.changed_since(real, fp):
                raise changed_underneath(path) from None
            raise
        return cls(path, fp, reader.all_names, _reader=reader, real_path=real)

    def _read_sheet(self, name: str) -> SheetRows:
        """One sheet's rows; a read that fails because the file changed underneath says so (exit 3)."""
        try:
            if self._reader is None:
                self._refuse_if_changed()  # sheets of two versions of the file must never be mixed
                self._reader = SheetReader(self.real_path)
            return self._reader.sheet(name)
        except DataError:
            self._refuse_if_changed()
            raise

    def _refuse_if_changed(self) -> None:
        if self.fingerprint is not None and safe_write.changed_since(self.real_path, self.fingerprint):
            self.close()
            raise changed_underneath(self.path)

    def _load(self, name: str) -> None:
        if name in self._loaded or name not in self.workbook_sheet_names or name not in schema.SHEETS_BY_NAME:
            return
        spec = schema.SHEETS_BY_NAME[name]
        with gc_paused():  # a big sheet is a million small objects and no cycles
            loaded, lacking = _load_sheet(self._read_sheet(name), spec)
        self._loaded[name] = loaded
        if loaded.excel_rows or loaded.positions:
            self._originals[name] = LoadedSheet(loaded.frame.copy(), loaded.header_row, list(loaded.excel_rows),
                                                loaded.positions)
        if lacking and spec.owner == schema.TOOL and len(lacking) < len(spec.column_names):
            # a tool sheet from an older version: the columns are added on the next write
            for col in lacking:
                loaded.frame[col] = ""
            self._upgraded[name] = lacking
        elif lacking:
            self._missing[name] = lacking

    def load_all(self) -> None:
        for spec in schema.ALL_SHEETS:
            self._load(spec.name)

    def close(self) -> None:
        """Let go of the file (done before every write-back)."""
        if self._reader is not None:
            self._reader.close()
            self._reader = None

    @property
    def sheets(self) -> dict[str, LoadedSheet]:
        """Every schema sheet the workbook has (reads them all)."""
        self.load_all()
        return self._loaded

    @property
    def missing_headers(self) -> dict[str, list[str]]:
        self.load_all()
        return self._missing

    @property
    def upgraded(self) -> dict[str, list[str]]:
        self.load_all()
        return self._upgraded

    def has(self, name: str) -> bool:
        return name in self._loaded or (name in self.workbook_sheet_names and name in schema.SHEETS_BY_NAME)

    def frame(self, name: str) -> pd.DataFrame:
        """The sheet's data (a copy is not made: treat it as read-only).

        A tool sheet the workbook does not have yet reads as empty; the next
        write adds it.
        """
        self.require(name)
        return self.frame_or_empty(name)

    def frame_or_empty(self, name: str) -> pd.DataFrame:
        """A tool sheet's data, or an empty frame with its columns when the sheet is not there yet."""
        self._load(name)
        if name in self._loaded:
            return self._loaded[name].frame
        spec = schema.SHEETS_BY_NAME[name]
        return pd.DataFrame(columns=spec.column_names, dtype=object)

    def require(self, *names: str) -> None:
        problems = []
        for name in names:
            self._load(name)
            spec = schema.SHEETS_BY_NAME.get(name)
            if not self.has(name) and spec is not None and (spec.owner == schema.TOOL or spec.optional):
                continue
            if not self.has(name):
                problems.append(Problem(Location(self.path.name, name), "缺少这个工作表"))
            elif self._missing.get(name):
                cols = "、".join(self._missing[name])
                problems.append(Problem(Location(self.path.name, name), f"缺少列：{cols}"))
        if problems:
            raise DataError("台账结构不完整，请先运行 villagectl check 查看并修正", problems)

    def excel_row(self, name: str, index: int) -> int:
        self._load(name)
        sheet = self._loaded[name]
        pos = sheet.frame.index.get_loc(index)
        if pos < len(sheet.excel_rows):
            return sheet.excel_rows[pos]
        return sheet.header_row + 1 + pos

    def settings(self) -> dict[str, str]:
        if not self.has(schema.SETTINGS.name):
            return {}
        df = self.frame(schema.SETTINGS.name)
        out: dict[str, str] = {}
        for _, row in df.iterrows():
            key = clean_text(row.get("键", ""))
            if key:
                out[key] = as_text(row.get("值", ""))  # as the clerk typed it (printed on notices)
        return out

    def village_settings(self):
        """参数, typed (rules.settings.VillageSettings): a bad value raises with its cell when a command reads it."""
        from villagectl.rules.settings import VillageSettings

        frame = self.frame(schema.SETTINGS.name) if self.has(schema.SETTINGS.name) else pd.DataFrame(columns=["键", "值"])
        rows = [self.excel_row(schema.SETTINGS.name, i) for i in frame.index] if len(frame) else []
        return VillageSettings.from_frame(frame, rows, self.path.name)[0]

    # --- changing ----------------------------------------------------------

    def note(self, result: str, inputs: list[tuple[str, str]] | None = None) -> None:
        """The 操作日志 row's 结果 (and 输入文件) for the save at the end of a Session.updating block."""
        self.pending_note = (result, inputs)

    def replace(self, name: str, frame: pd.DataFrame) -> None:
        spec = schema.SHEETS_BY_NAME.get(name)
        if spec is not None:  # every column of the sheet is written, even when a caller left some out
            lacking = [c for c in spec.column_names if c not in frame.columns]
            if lacking:
                frame = frame.copy()
                for col in lacking:
                    frame[col] = ""
        self._load(name)
        old = self._loaded.get(name)
        header_row = old.header_row if old else 1
        self._loaded[name] = LoadedSheet(frame.reset_index(drop=True), header_row, [])
        self.dirty.add(name)

    def save(
        self,
        command: str,
        arguments: str = "",
        inputs: list[tuple[str, str]] | None = None,
        result: str = "",
        keep_backups: int | safe_write.Retention | None = None,
        now: dt.datetime | None = None,
    ) -> Path | None:
        """Write the changed sheets and an 操作日志 row back into the workbook."""
        stamp = (now or dt.datetime.now()).isoformat(sep=" ", timespec="seconds")
        self._load(schema.OPLOG.name)
        log = self._loaded.get(schema.OPLOG.name)
        log_frame = log.frame if log is not None else pd.DataFrame(columns=schema.OPLOG.column_names)
        entry = {
            "时间": stamp,
            "命令": command,
            "参数": arguments,
            "输入文件": json.dumps([{"文件": n, "sha256": h} for n, h in (inputs or [])], ensure_ascii=False)
            if inputs
            else "",
            "结果": result,
        }
        if schema.JOURNAL.name in self.dirty:  # the journal's anchor (ledger/journal.py): kept outside its sheet
            from villagectl.ledger.journal import anchor_values

            entry.update(anchor_values(self._loaded[schema.JOURNAL.name].frame))
        log_frame = pd.concat([log_frame, pd.DataFrame([entry], dtype=object)], ignore_index=True)
        self.replace(schema.OPLOG.name, log_frame)

        updates = [self._update_for(name) for name in sorted(self.dirty)]
        if keep_backups is None:
            # 参数 备份保留份数 / 备份按天保留天数 / 备份按月保留月数 (an int from a caller: that many, no ages)
            keep_backups = safe_write.Retention.from_settings(self.settings())

        def produce(tmp: Path) -> None:
            try:
                patch_workbook(self.real_path, tmp, updates)
            except (PackageError, KeyError, ValueError) as exc:
                raise DataError(f"台账文件结构无法识别，未保存：{exc}") from None

        def verify(tmp: Path) -> None:
            check = read_workbook(tmp, only={u.name for u in updates})
            for u in updates:
                sheet = check.sheet(u.name)
                if sheet is None:
                    raise DataError(f"保存校验失败：新文件缺少工作表 {u.name}，台账未改动")
                data_rows = [r for r in sheet.rows[u.header_row :] if any(clean_text(v) for v in r[: len(u.header)])]
                expected = sum(1 for r in u.rows if any(clean_text(v) for v in r))
                if len(data_rows) != expected:
                    raise DataError(f"保存校验失败：{u.name} 行数不符，台账未改动")
            missing = set(self.workbook_sheet_names) - set(check_names(tmp))
            if missing:
                raise DataError(f"保存校验失败：新文件丢失工作表 {'、'.join(sorted(missing))}，台账未改动")

        self.close()  # the file must not be open while it is replaced
        if self.path != self.real_path:  # Excel's owner file sits beside the name it was opened by
            safe_write.refuse_if_open_elsewhere(self.path)
        backup = safe_write.replace_atomically(self.real_path, self.fingerprint, produce, verify, keep_backups)
        self.fingerprint = safe_write.fingerprint(self.real_path)
        self.dirty.clear()
        return backup

    def _update_for(self, name: str) -> SheetUpdate:
        sheet = self._loaded[name]
        spec = schema.SHEETS_BY_NAME.get(name)
        frame = sheet.frame
        header = [str(c) for c in frame.columns]
        text_cols = set()
        date_cols: dict[int, str] = {}
        for i, col in enumerate(header):
            column = spec.column(col) if spec else None
            if column is not None and column.kind in ("text", "date", "datetime", "month"):
                text_cols.add(i)  # dates that are not ISO dates (typed by hand) stay text
            if column is not None and column.kind in ("date", "datetime"):
                date_cols[i] = column.kind
        rows = frame.astype(object).where(frame.notna(), None).values.tolist()
        update = SheetUpdate(name, header, rows, header_row=sheet.header_row, text_columns=text_cols,
                             date_columns=date_cols, filter_and_freeze=spec is not None and spec.owner == schema.TOOL)
        self._keep_layout(name, update, spec)
        return update

    def _keep_layout(self, name: str, update: SheetUpdate, spec: schema.SheetSpec | None) -> None:
        """Tell the write-back where each row was read from and what it held then.

        A row that keeps its values keeps its XML (row attributes such as an
        outline level or a height, every cell's style and type: a date stays a
        date); rows the loader skipped (blank rows, a grouped empty row) stay
        where they were, so nothing below them shifts and hyperlinks, comments
        and merged cells still sit on their household. Rows are matched by the
        sheet's key (户号 …) when it is unique, else by position.
        """
        original = self._originals.get(name)
        if original is None or original.positions is None or not original.excel_rows:
            return
        old_cols = [str(c) for c in original.frame.columns]
        n = len(original.positions)
        if original.positions != list(range(n)) or update.header[:n] != old_cols[:n]:
            return  # columns moved: rewrite the rows as before
        old = original.frame.astype(object).where(original.frame.notna(), None)
        old_rows = old.values.tolist()
        width = len(update.header)
        aligned = [(r + [None] * width)[:width] if len(r) < width else r[:width] for r in old_rows]
        key = spec.key if spec is not None and spec.key in update.header and spec.key in old_cols else None
        match: list[int | None] = []
        if key is not None:
            k_old, k_new = old_cols.index(key), update.header.index(key)
            keys = [clean_text(r[k_old]) for r in old_rows]
            if all(keys) and len(set(keys)) == len(keys):
                where = {k: i for i, k in enumerate(keys)}
                match = [where.get(clean_text(r[k_new])) for r in update.rows]
        if not match:
            match = [i if i < len(old_rows) else None for i in range(len(update.rows))]
        update.sources = [original.excel_rows[m] if m is not None else None for m in match]
        update.originals = [aligned[m] if m is not None else None for m in match]
        update.source_rows = set(original.excel_rows)


def changed_underneath(path: Path) -> LedgerLockedError:
    return LedgerLockedError(
        f"台账在读取后被改过：{Path(path).name} 在本次运行读取之后被别的程序改写或换掉了"
        "（有人同时在编辑、同步软件或复制了新文件？），为免把两个版本混在一起，本次未保存；请重新运行"
    )


def check_names(path: Path) -> list[str]:
    import python_calamine

    book = python_calamine.CalamineWorkbook.from_path(str(path))
    try:
        return list(book.sheet_names)
    finally:
        book.close()


def find_header(rows: list[list], wanted: list[str], search_rows: int = HEADER_SEARCH_ROWS) -> int | None:
    """0-based index of the row among the first few holding most of ``wanted``."""
    keys = {header_key(w) for w in wanted}
    best, best_hits = None, 0
    for r, row in enumerate(rows[:search_rows]):
        hits = sum(1 for v in row if header_key(v) in keys)
        if hits > best_hits:
            best, best_hits = r, hits
    return best


def _load_sheet(raw: SheetRows, spec: schema.SheetSpec) -> tuple[LoadedSheet, list[str]]:
    required = [c.name for c in spec.columns if c.required]
    r = find_header(raw.rows, spec.column_names)
    if r is None:
        empty = pd.DataFrame(columns=spec.column_names, dtype=object)
        return LoadedSheet(empty, 1, []), required
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
    # column by column, each distinct text converted once (ids, types, dates repeat down a big sheet)
    data = {col: _convert_column(conv, column) for col, conv, column in zip(columns, converters, cells)}
    frame = pd.DataFrame(data, columns=columns, dtype=object)
    lacking = [c for c in required if c not in columns]
    return LoadedSheet(frame, r + 1, excel_rows, positions), lacking


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
