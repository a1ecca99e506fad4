"""Undo and history (issue 12, §6): list a ledger's backups, diff against one, put one back.

Everything here reads workbooks with the project's readers (``Ledger`` / ``read_workbook``,
python-calamine) and writes only through ``safe_write.replace_atomically``: a restore is a
normal write-back, so the current ledger is backed up (verified) before it is replaced.

What a backup "was taken before" (``backups``): the write-back that made the backup
appended one row to 操作日志 in the version it wrote. So the backups and the ledger,
in time order, form a chain of versions; a backup whose 操作日志 has *n* rows was
followed by the write recorded in row *n + 1* of the next version's 操作日志 (the next
backup, or the ledger itself for the newest). The match is by row count, checked by the
row before it (时间、命令、参数 the same in both), not by the clock: 操作日志 times are
seconds and some commands record the business time. When the next version's 操作日志
does not continue this one's, the next version was not made by a villagectl write of
this version: if its bytes equal another backup's, it was a ``restore`` of that backup;
otherwise the file was replaced or edited outside villagectl.
"""

from __future__ import annotations

import datetime as dt
import difflib
import math
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from villagectl.actions.session import Session
from villagectl.errors import DataError, FileAccessError, LedgerLockedError
from villagectl.io import safe_write
from villagectl.io.outputs import write_atomically
from villagectl.io.preflight import col_letters
from villagectl.io.reader import read_workbook
from villagectl import schema
from villagectl.ledger.workbook import Ledger, check_names
from villagectl.values import as_text, fmt_number

TEXT_LIMIT = 60  # rows shown per part of a sheet in text output (--json has them all)


# --------------------------------------------------------------------------
# list
# --------------------------------------------------------------------------


@dataclass
class BackupInfo:
    number: int  # 1 = the newest
    path: Path
    taken: dt.datetime | None
    size: int
    opens: bool
    sheets: list[str]
    log_rows: int | None = None  # rows in its 操作日志 (None: not read)
    followed_by: dict | None = None  # the 操作日志 row of the write that followed it
    note: str = ""  # what followed, in Chinese
    sha256: str = ""

    @property
    def name(self) -> str:
        return self.path.name

    def as_dict(self) -> dict:
        return {
            "number": self.number,
            "name": self.name,
            "path": str(self.path),
            "time": self.taken.isoformat(sep=" ", timespec="seconds") if self.taken else "",
            "size": self.size,
            "opens": self.opens,
            "sheets": self.sheets,
            "log_rows": self.log_rows,
            "before": self.followed_by,
            "note": self.note,
        }


@dataclass
class _Version:
    path: Path
    sha256: str
    log: list[dict] | None  # 操作日志 rows (None: the file does not open)


def _log_rows(path: Path) -> tuple[list[dict] | None, str]:
    """A workbook's 操作日志 rows (时间、命令、参数、结果) and its sha256; None when it does not open."""
    try:
        ledger = Ledger.open(path)
    except (DataError, FileAccessError, LedgerLockedError, OSError):
        try:
            return None, safe_write.sha256_file(path)
        except OSError:
            return None, ""
    try:
        frame = ledger.frame_or_empty(schema.OPLOG.name) if ledger.has(schema.OPLOG.name) else None
        rows = [] if frame is None else [
            {k: _text(r.get(k, "")) for k in ("时间", "命令", "参数", "结果")} for _, r in frame.iterrows()
        ]
        return rows, ledger.fingerprint.sha256 if ledger.fingerprint else ""
    except (DataError, LedgerLockedError):
        return None, ledger.fingerprint.sha256 if ledger.fingerprint else ""
    finally:
        ledger.close()


def _same_row(a: dict, b: dict) -> bool:
    return all(a.get(k) == b.get(k) for k in ("时间", "命令", "参数"))


def list_backups(ledger_path: Path) -> list[BackupInfo]:
    """The backups of this ledger (``safe_write.backups_of``: its exact names only), newest first."""
    ledger_path = Path(ledger_path)
    if not ledger_path.exists():
        raise FileAccessError(f"找不到台账文件 {ledger_path}")
    real = safe_write.real_path(ledger_path)
    paths = safe_write.backups_of(real)  # oldest first
    versions: list[_Version] = []
    infos: list[BackupInfo] = []
    for p in paths:
        opens = safe_write.verify_backup(p)
        try:
            size = p.stat().st_size
        except OSError:
            size = 0
        sheets: list[str] = []
        log, sha = (None, "")
        if opens:
            try:
                sheets = check_names(p)
            except Exception:  # noqa: BLE001 - verify_backup said it opens; a race is "does not open"
                opens = False
            log, sha = _log_rows(p)
        else:
            try:
                sha = safe_write.sha256_file(p)
            except OSError:
                sha = ""
        versions.append(_Version(p, sha, log))
        infos.append(BackupInfo(0, p, safe_write.backup_time(real, p), size, opens, sheets,
                                len(log) if log is not None else None, sha256=sha))
    current_log, current_sha = _log_rows(real)
    versions.append(_Version(real, current_sha, current_log))
    for i, info in enumerate(infos):
        info.followed_by, info.note = _what_followed(versions, i, infos)
    for n, info in enumerate(reversed(infos), start=1):
        info.number = n
    return list(reversed(infos))


def _what_followed(versions: list[_Version], i: int, infos: list[BackupInfo]) -> tuple[dict | None, str]:
    mine, after = versions[i], versions[i + 1]
    next_name = "当前台账" if i + 1 == len(versions) - 1 else f"下一份备份 {after.path.name}"
    if mine.log is None:
        return None, "这份备份打不开，无法知道之后做了什么"
    if after.log is None:
        return None, f"{next_name}打不开，无法知道之后做了什么"
    n = len(mine.log)
    if len(after.log) > n and (n == 0 or _same_row(after.log[n - 1], mine.log[n - 1])):
        row = after.log[n]
        summary = f"{row['命令']}" + (f"：{row['结果']}" if row["结果"] else "")
        return row, summary
    for j in reversed(range(i)):  # a restore puts back a backup older than the one it took first
        if versions[j].sha256 and versions[j].sha256 == after.sha256:
            when = infos[j].taken.isoformat(sep=" ", timespec="seconds") if infos[j].taken else versions[j].path.name
            return {"命令": "restore", "结果": versions[j].path.name}, f"restore：恢复为 {when} 的备份"
    return None, (f"{next_name}的操作日志不是接着这份写的：之后台账被恢复（所用备份已不在）、换成了别的文件，"
                  "或在 Excel 里改过操作日志")


# --------------------------------------------------------------------------
# diff
# --------------------------------------------------------------------------


@dataclass
class RowChange:
    label: str
    cells: list[tuple[str, str, str]]  # column, old, new

    def as_dict(self) -> dict:
        return {"row": self.label, "cells": [{"column": c, "old": o, "new": n} for c, o, n in self.cells]}


@dataclass
class SheetDiff:
    sheet: str
    key: str = ""  # the key column rows were matched by ("": by position and content)
    state: str = ""  # "" | "新增的工作表" | "删除的工作表"
    added: list[tuple[str, dict]] = field(default_factory=list)  # (label, {column: text})
    removed: list[tuple[str, dict]] = field(default_factory=list)
    changed: list[RowChange] = field(default_factory=list)
    entries: bool = False  # 积分流水: rows are journal entries
    log: bool = False  # 操作日志: rows are the record of writes

    @property
    def empty(self) -> bool:
        return not (self.state or self.added or self.removed or self.changed)

    def summary(self) -> str:
        if self.entries:
            parts = [f"新增 {len(self.added)} 笔流水"]
            if self.added:
                parts[0] += f"（合计 {_signed(sum(_points(r) for _, r in self.added))} 分）"
            if self.removed:
                parts.append(f"少了 {len(self.removed)} 笔流水")
            if self.changed:
                parts.append(f"改动 {len(self.changed)} 笔流水")
        elif self.log and not self.changed and not self.removed:
            parts = [f"新增 {len(self.added)} 条操作记录"]
        else:
            parts = [f"新增 {len(self.added)} 行", f"修改 {len(self.changed)} 行", f"删除 {len(self.removed)} 行"]
        how = f"（按{self.key}对应）" if self.key else ""
        state = f"{self.state}，" if self.state else ""
        return f"{self.sheet}{how}：{state}" + "，".join(parts)

    def lines(self, limit: int | None = TEXT_LIMIT) -> list[str]:
        out = [self.summary()]
        shown = 0

        def room() -> bool:
            return limit is None or shown < limit

        for label, row in self.added:
            if not room():
                break
            out.append(f"  + {_entry_text(row)}" if self.entries else f"  + {_log_text(row)}" if self.log
                       else f"  新增 {label}：{_row_text(row)}")
            shown += 1
        for change in self.changed:
            if not room():
                break
            cells = "；".join(f"{c} {o or '（空）'} → {n or '（空）'}" for c, o, n in change.cells)
            out.append(f"  修改 {change.label}：{cells}")
            shown += 1
        for label, row in self.removed:
            if not room():
                break
            out.append(f"  - {_entry_text(row)}" if self.entries else f"  - {_log_text(row)}" if self.log
                       else f"  删除 {label}：{_row_text(row)}")
            shown += 1
        total = len(self.added) + len(self.changed) + len(self.removed)
        if limit is not None and total > shown:
            out.append(f"  ……另有 {total - shown} 行未显示（用 --json 查看全部）")
        return out

    def as_dict(self) -> dict:
        return {
            "sheet": self.sheet,
            "key": self.key,
            "state": self.state,
            "entries": self.entries,
            "log": self.log,
            "summary": self.summary(),
            "added": [{"row": label, "values": _cells(row)} for label, row in self.added],
            "changed": [c.as_dict() for c in self.changed],
            "removed": [{"row": label, "values": _cells(row)} for label, row in self.removed],
        }


@dataclass
class LedgerDiff:
    old: Path  # the backup (or the older version)
    new: Path  # the ledger
    sheets: list[SheetDiff]

    @property
    def empty(self) -> bool:
        return not self.sheets

    def lines(self, limit: int | None = TEXT_LIMIT) -> list[str]:
        if self.empty:
            return ["没有改动：两者的工作表内容相同"]
        out: list[str] = []
        for s in self.sheets:
            out += s.lines(limit)
        return out

    def as_dict(self) -> dict:
        return {"from": str(self.old), "to": str(self.new), "sheets": [s.as_dict() for s in self.sheets]}


def _cells(row: dict) -> list[dict]:
    """A row for --json: [{column, value}] (the column names are the sheet's own, any the clerk added too)."""
    return [{"column": c, "value": v} for c, v in row.items()]


def _text(value: object) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, (int, float)):
        return fmt_number(value)
    return as_text(value)


def _signed(value: float) -> str:
    value = round(value, 4)
    return f"+{fmt_number(value)}" if value > 0 else fmt_number(value)


def _points(row: dict) -> float:
    try:
        return float(row.get("积分", "") or 0)
    except ValueError:
        return 0.0


def _row_text(row: dict) -> str:
    return "，".join(f"{c} {v}" for c, v in row.items() if v != "") or "（空行）"


def _log_text(row: dict) -> str:
    head = " ".join(b for b in (row.get("时间", ""), row.get("命令", ""), row.get("参数", "")) if b)
    return head + (f"：{row['结果']}" if row.get("结果") else "")


def _entry_text(row: dict) -> str:
    points = row.get("积分", "")
    try:
        points = _signed(float(points))
    except ValueError:
        pass
    bits = [row.get("流水号", ""), row.get("日期", ""), row.get("户号", ""), row.get("成员", ""),
            row.get("类型", ""), f"{points} 分" if points != "" else "", row.get("摘要", "")]
    return " ".join(b for b in bits if b)


@dataclass
class _Table:
    columns: list[str]
    rows: list[list[str]]
    labels: list[str]  # where each row is, for messages ("第 5 行")


def _schema_table(ledger: Ledger, name: str) -> _Table:
    frame = ledger.frame_or_empty(name)
    columns = [str(c) for c in frame.columns]
    rows = [[_text(v) for v in r] for r in frame.astype(object).values.tolist()]
    labels = [f"第 {ledger.excel_row(name, idx)} 行" for idx in frame.index] if ledger.has(name) else [
        f"第 {i + 2} 行" for i in range(len(rows))]
    return _Table(columns, rows, labels)


def _raw_table(path: Path, name: str) -> _Table:
    book = read_workbook(path, only={name})
    sheet = book.sheet(name)
    raw = sheet.rows if sheet is not None else []
    width = max((len(r) for r in raw), default=0)
    columns = [col_letters(c + 1) for c in range(width)]
    rows, labels = [], []
    for i, r in enumerate(raw):
        cells = [_text(v) for v in r] + [""] * (width - len(r))
        if any(cells):
            rows.append(cells)
            labels.append(f"第 {i + 1} 行")
    return _Table(columns, rows, labels)


def _as_dicts(table: _Table, columns: list[str]) -> list[dict]:
    index = {c: i for i, c in enumerate(table.columns)}
    return [{c: (r[index[c]] if c in index and index[c] < len(r) else "") for c in columns} for r in table.rows]


def _diff_tables(name: str, old: _Table, new: _Table, key: str, entries: bool) -> SheetDiff:
    columns = list(new.columns) + [c for c in old.columns if c not in new.columns]
    old_rows, new_rows = _as_dicts(old, columns), _as_dicts(new, columns)
    result = SheetDiff(name, entries=entries)

    def cells(a: dict, b: dict) -> list[tuple[str, str, str]]:
        return [(c, a.get(c, ""), b.get(c, "")) for c in columns if a.get(c, "") != b.get(c, "")]

    old_keys = [r.get(key, "") for r in old_rows] if key else []
    new_keys = [r.get(key, "") for r in new_rows] if key else []
    keyed = bool(key) and key in old.columns + new.columns and all(old_keys) and all(new_keys) \
        and len(set(old_keys)) == len(old_keys) and len(set(new_keys)) == len(new_keys)
    if keyed:
        result.key = key
        where_old = {k: i for i, k in enumerate(old_keys)}
        new_set = set(new_keys)
        for k, row in zip(new_keys, new_rows):
            if k not in where_old:
                result.added.append((f"{key} {k}", row))
            else:
                changed = cells(old_rows[where_old[k]], row)
                if changed:
                    result.changed.append(RowChange(f"{key} {k}", changed))
        result.removed = [(f"{key} {k}", row) for k, row in zip(old_keys, old_rows) if k not in new_set]
        return result
    a = [tuple(r.values()) for r in old_rows]
    b = [tuple(r.values()) for r in new_rows]
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if op == "equal":
            continue
        if op == "replace" and i2 - i1 == j2 - j1:
            for i, j in zip(range(i1, i2), range(j1, j2)):
                result.changed.append(RowChange(new.labels[j], cells(old_rows[i], new_rows[j])))
            continue
        result.removed += [(f"原{old.labels[i]}", old_rows[i]) for i in range(i1, i2)]
        result.added += [(new.labels[j], new_rows[j]) for j in range(j1, j2)]
    return result


def diff_ledgers(old_path: Path, new_path: Path) -> LedgerDiff:
    """What changed from ``old_path`` (a backup) to ``new_path`` (the ledger), sheet by sheet.

    Tool and clerk sheets of the schema are read as the commands read them (``Ledger``), rows matched
    by the sheet's key column (``SheetSpec.key``: 户号, 流水号, 编码 …) when every row has a distinct
    one, else by content and order; 积分流水 is shown as entries. Other sheets (the clerk's own) are
    compared as plain cells, by content and order.
    """
    old, new = Ledger.open(Path(old_path)), Ledger.open(Path(new_path))
    try:
        names = list(new.workbook_sheet_names) + [n for n in old.workbook_sheet_names
                                                   if n not in new.workbook_sheet_names]
        sheets: list[SheetDiff] = []
        for name in names:
            in_old, in_new = name in old.workbook_sheet_names, name in new.workbook_sheet_names
            spec = schema.SHEETS_BY_NAME.get(name)
            if spec is not None:
                t_old = _schema_table(old, name) if in_old else _Table([], [], [])
                t_new = _schema_table(new, name) if in_new else _Table([], [], [])
                d = _diff_tables(name, t_old, t_new, spec.key, spec.name == schema.JOURNAL.name)
                d.log = spec.name == schema.OPLOG.name
            else:
                t_old = _raw_table(old.real_path, name) if in_old else _Table([], [], [])
                t_new = _raw_table(new.real_path, name) if in_new else _Table([], [], [])
                d = _diff_tables(name, t_old, t_new, "", False)
            if not in_old:
                d.state = "新增的工作表"
            elif not in_new:
                d.state = "删除的工作表"
            if not d.empty:
                sheets.append(d)
        return LedgerDiff(Path(old_path), Path(new_path), sheets)
    finally:
        old.close()
        new.close()


# --------------------------------------------------------------------------
# choosing a backup
# --------------------------------------------------------------------------


def find_backup(ledger_path: Path, ref: str | None) -> Path:
    """The backup the clerk named: its 序号 in ``backups`` (1 = newest), its file name, or its path.

    Only this ledger's backups (in its backup folder, with its exact names) are accepted.
    """
    ledger_path = Path(ledger_path)
    if not ledger_path.exists():
        raise FileAccessError(f"找不到台账文件 {ledger_path}")
    real = safe_write.real_path(ledger_path)
    mine = safe_write.backups_of(real)
    hint = f"用 villagectl backups {ledger_path} 查看这本台账的备份"
    if not mine and not ref:
        raise DataError(f"台账 {ledger_path.name} 还没有备份（{safe_write.STATE_DIR}/backups 里没有它的备份）", hint=hint)
    if not ref:
        return mine[-1]
    text = ref.strip()
    if text.isdigit() and not Path(text).exists():
        n = int(text)
        if 1 <= n <= len(mine):
            return mine[-n]
        raise DataError(f"没有序号为 {n} 的备份：台账 {ledger_path.name} 共有 {len(mine)} 份备份", hint=hint)
    candidate = Path(text)
    if not candidate.exists() and (safe_write.backup_dir(real) / candidate.name).exists():
        candidate = safe_write.backup_dir(real) / candidate.name
    if not candidate.exists():
        raise FileAccessError(f"找不到备份 {ref}", hint=hint)
    found = safe_write.real_path(candidate)
    if found == real:
        raise DataError(f"{ref} 就是台账本身，不是备份", hint=hint)
    if found not in [safe_write.real_path(p) for p in mine]:
        raise DataError(
            f"{candidate.name} 不是台账 {ledger_path.name} 的备份（它的备份都在 {safe_write.backup_dir(real)}，"
            f"名字是 {real.stem}.年月日-时分秒-微秒.bak{real.suffix}）；为免把别的台账恢复到这里，未做任何改动",
            hint=hint)
    return found


def diff_since(ledger_path: Path, ref: str | None = None) -> tuple[Path, LedgerDiff]:
    backup = find_backup(ledger_path, ref)
    _refuse_unreadable(backup)
    return backup, diff_ledgers(backup, Path(ledger_path))


def _refuse_unreadable(backup: Path) -> None:
    if not safe_write.verify_backup(backup):
        raise DataError(f"备份 {backup.name} 打不开（不是完整的 xlsx 文件，可能复制时被打断或已损坏），不能使用；"
                        "请选另一份备份")


# --------------------------------------------------------------------------
# restore
# --------------------------------------------------------------------------


@dataclass
class RestoreResult:
    backup: Path
    diff: LedgerDiff  # what changed since the backup: what the restore undoes
    previous: Path | None  # the backup of the ledger as it was before the restore
    restored: bool
    damaged: bool = False  # the ledger did not open: ``previous`` is its copy as it was, ``diff`` is empty

    def as_dict(self) -> dict:
        return {"ok": True, "restored": self.restored, "damaged": self.damaged, "backup": str(self.backup),
                "previous": str(self.previous) if self.previous else "", "undone": self.diff.as_dict()}


def restore_backup(session: Session, *, ref: str) -> RestoreResult:
    """Put a backup of this ledger back, byte for byte, through the atomic write-back.

    Refused (nothing written) while the ledger is open in Excel/WPS or held by another run (exit 3),
    for a backup that does not open or is not this ledger's (exit 1). The ledger as it is now is
    backed up first (``replace_atomically``, rotation by the ledger's settings), so a restore can
    itself be undone.
    """
    ledger_path = Path(session.path)
    if not ledger_path.exists():
        raise FileAccessError(f"找不到台账文件 {ledger_path}")
    real = safe_write.real_path(ledger_path)
    with session.holding():  # the lock of the real file (every name of one file shares it)
        safe_write.refuse_if_open_elsewhere(real)
        if ledger_path.absolute() != real:
            safe_write.refuse_if_open_elsewhere(ledger_path.absolute())
        backup = find_backup(ledger_path, ref)
        _refuse_unreadable(backup)
        backup_sha = safe_write.sha256_file(backup)
        try:
            current = Ledger.open(ledger_path)
        except DataError:  # the ledger itself is damaged: the very case a restore is for
            return _restore_over_a_damaged_ledger(real, backup, backup_sha)
        try:
            expected = current.fingerprint
            rule = safe_write.Retention.from_settings(current.settings())
            # a restore always keeps the ledger it replaces, even where 备份保留份数 is 0
            retention = safe_write.Retention(max(rule.count, 1), rule.days, rule.months)
        finally:
            current.close()
        diff = diff_ledgers(backup, ledger_path)
        if expected is not None and expected.sha256 == backup_sha:
            return RestoreResult(backup, diff, None, False)

        produce, verify = _copier(backup, backup_sha)
        previous = safe_write.replace_atomically(real, expected, produce, verify, retention)
        return RestoreResult(backup, diff, previous, True)


def _copier(backup: Path, backup_sha: str):
    def produce(tmp: Path) -> None:
        shutil.copyfile(backup, tmp)

    def verify(tmp: Path) -> None:
        if not safe_write.verify_backup(tmp, backup_sha):
            raise FileAccessError(f"恢复校验失败：复制出的 {backup.name} 与备份不一致或打不开（磁盘满了？）；台账未改动")

    return produce, verify


def _restore_over_a_damaged_ledger(real: Path, backup: Path, backup_sha: str) -> RestoreResult:
    """A ledger that does not open cannot get a verified backup: it is kept, as it is, beside the backups
    under a name rotation never matches (``<stem>.<stamp>.damaged<suffix>``), then replaced."""
    expected = safe_write.fingerprint(real)
    folder = safe_write.backup_dir(real)
    folder.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S-%f")
    kept = folder / f"{real.stem}.{stamp}.damaged{real.suffix}"
    write_atomically(kept, lambda tmp: shutil.copy2(real, tmp))  # whole or not at all, like every output
    if safe_write.sha256_file(kept) != expected.sha256:
        kept.unlink(missing_ok=True)
        raise FileAccessError(f"无法把打不开的台账 {real.name} 另存到 {folder}（磁盘满了？）；台账未改动")
    produce, verify = _copier(backup, backup_sha)
    safe_write.replace_atomically(real, expected, produce, verify, 0)
    return RestoreResult(backup, LedgerDiff(backup, real, []), kept, True, damaged=True)
