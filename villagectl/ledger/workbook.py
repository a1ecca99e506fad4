"""The ledger workbook in memory: one DataFrame per sheet, and the write-back.

How a sheet's rows become its frame is ``ledger.sheet_read``; this module opens, holds and saves.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from pathlib import Path

from typing import TYPE_CHECKING

from villagectl.io import single_thread  # noqa: F401, I001  (before pandas: OpenBLAS on one thread)

if TYPE_CHECKING:  # pandas is imported when a frame is first made: a command's sheets start reading first
    import pandas as pd

from villagectl.errors import DataError, FileAccessError, LedgerLockedError, Location, Problem
from villagectl.io import safe_write
from villagectl.io.filetype import sniff
from villagectl.io.reader import SheetReader, SheetRows, read_workbook
from villagectl.io.ooxml import PackageError
from villagectl.io.xlsx_patch import SheetUpdate, patch_workbook
from villagectl import schema
from villagectl.collector import gc_paused
from villagectl.values import as_text, clean_text
from villagectl.table import Table
# reading a sheet into a frame: ledger.sheet_read (the private helpers are imported from here by tests too)
from villagectl.ledger.sheet_read import (  # noqa: F401
    HEADER_SEARCH_ROWS, LoadedSheet, _blank_cells, _columns_of, _convert_column, _convert_mixed, _date_value,
    _has_content, _int_value, _load_sheet, _month_value, _number_value, _raw_value, _rows_of, find_header)

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
            ahead = self._reader.is_ahead(name)
            rows = self._reader.sheet(name)
            if ahead and not self._reader.reading_ahead:
                # the last sheet read ahead: the threads opened the file themselves, maybe after it was replaced
                self._refuse_if_changed()
            return rows
        except DataError:
            self._refuse_if_changed()
            raise

    def prefetch(self, names: list[str] | None = None) -> None:
        """Start reading these sheets (default: every sheet of the schema) on other cores, in the order
        ``load_all`` converts them; reading one of them then waits for its thread (io.reader.SheetReader)."""
        wanted = [spec.name for spec in schema.ALL_SHEETS] if names is None else names
        if self._reader is None:
            return
        self._reader.prefetch([n for n in wanted if n not in self._loaded and n in schema.SHEETS_BY_NAME])

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
            self._originals[name] = loaded.copy()
        if lacking and spec.owner == schema.TOOL and len(lacking) < len(spec.column_names):
            # a tool sheet from an older version: the columns are added on the next write
            loaded.add_columns(lacking)
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
        self._refuse_lost_journal(name)
        self._load(name)
        if name in self._loaded:
            return self._loaded[name].frame
        import pandas as pd

        spec = schema.SHEETS_BY_NAME[name]
        return pd.DataFrame(columns=spec.column_names, dtype=object)

    def table(self, name: str) -> Table:
        """The sheet's cells without pandas (``ledger.table``); what ``frame`` holds once a frame is made."""
        self.require(name)
        return self.table_or_empty(name)

    def table_or_empty(self, name: str) -> Table:
        self._refuse_lost_journal(name)
        self._load(name)
        if name in self._loaded:
            return self._loaded[name].table
        return Table.empty_of(schema.SHEETS_BY_NAME[name].column_names)

    def columns(self, name: str) -> list[str]:
        """The sheet's column names (without making its frame)."""
        self._load(name)
        if name in self._loaded:
            return self._loaded[name].columns
        return list(schema.SHEETS_BY_NAME[name].column_names)

    def require(self, *names: str) -> None:
        problems = []
        for name in names:
            self._load(name)
            spec = schema.SHEETS_BY_NAME.get(name)
            if name == schema.JOURNAL.name and not self.has(name) and self.lost_journal_rows():
                problems.append(Problem(Location(self.path.name, name), self.lost_journal_message()))
                continue
            if not self.has(name) and spec is not None and (spec.owner == schema.TOOL or spec.optional):
                continue
            if not self.has(name):
                problems.append(Problem(Location(self.path.name, name), "缺少这个工作表"))
            elif self._missing.get(name):
                cols = "、".join(self._missing[name])
                problems.append(Problem(Location(self.path.name, name), f"缺少列：{cols}"))
        if problems:
            raise DataError("台账结构不完整，请先运行 villagectl check 查看并修正", problems)

    def lost_journal_rows(self) -> int:
        """The rows 积分流水 had at villagectl's last write (its anchor in 操作日志) when the sheet is not there
        (renamed or deleted by hand); 0 when it is there or never had any. A ledger in that state reads as if
        no point was ever earned: no command may read or write it as such."""
        if self.has(schema.JOURNAL.name) or not self.has(schema.OPLOG.name):
            return 0
        from villagectl.ledger.journal_anchor import ANCHOR_ROWS, _anchor_count

        counts = [_anchor_count(v) for v in self.table(schema.OPLOG.name).column(ANCHOR_ROWS)]
        counts = [c for c in counts if c is not None]
        return counts[-1] if counts else 0

    def _refuse_lost_journal(self, name: str) -> None:
        if name == schema.JOURNAL.name and self.lost_journal_rows():
            raise DataError("台账结构不完整，请先运行 villagectl check 查看并修正",
                            [Problem(Location(self.path.name, name), self.lost_journal_message())])

    def lost_journal_message(self) -> str:
        return (f"找不到“积分流水”工作表，而操作日志记着 villagectl 最后一次写入时它有 {self.lost_journal_rows()} 行流水："
                "如果改过工作表的名字，请改回“积分流水”；如果删掉了，请用 villagectl backups 找到备份后 villagectl restore 恢复。"
                "在此之前不能查余额、兑换或入账")

    def excel_row(self, name: str, index: int) -> int:
        self._load(name)
        sheet = self._loaded[name]
        pos = sheet.position(index)
        if pos < len(sheet.excel_rows):
            return sheet.excel_rows[pos]
        return sheet.header_row + 1 + pos

    def settings(self) -> dict[str, str]:
        if not self.has(schema.SETTINGS.name):
            return {}
        table = self.table(schema.SETTINGS.name)
        out: dict[str, str] = {}
        for key, value in zip(table.column("键"), table.column("值")):
            key = clean_text(key)
            if key:
                out[key] = as_text(value)  # as the clerk typed it (printed on notices)
        return out

    def village_settings(self):
        """参数, typed (rules.settings.VillageSettings): a bad value raises with its cell when a command reads it."""
        import pandas as pd

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
        import pandas as pd

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
            from villagectl.ledger.journal_anchor import anchor_values

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
