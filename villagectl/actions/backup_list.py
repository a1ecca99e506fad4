"""``backups``: a ledger's backups, newest first, each with what followed it.

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
from dataclasses import dataclass
from pathlib import Path

from villagectl.errors import DataError, FileAccessError, LedgerLockedError
from villagectl.io import safe_write
from villagectl import schema
from villagectl.ledger.diff import cell_text
from villagectl.ledger.workbook import Ledger, check_names


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
            {k: cell_text(r.get(k, "")) for k in ("时间", "命令", "参数", "结果")} for _, r in frame.iterrows()
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
