"""Writing the clerk's workbook safely: locks, change detection, atomic replace, backups.

What a write-back promises (docs/safety.md):

* the real file is written: a ledger reached through a symbolic link is resolved
  once, locked and replaced where it really is, and the link stays a link;
* the ledger's permission bits are kept, and a read-only ledger is never replaced;
* every backup is copied under a temporary name, verified (the same bytes as the
  ledger, a zip that opens, sheet names calamine reads) and only then renamed, so a
  kill or a full disk never leaves a short file under a backup name;
* backups are named ``<stem>.<YYYYmmdd-HHMMSS-ffffff>.bak<suffix>`` and rotation
  matches exactly that ledger's names (``台账.xlsx`` never touches ``台账.2025.xlsx``'s),
  counting only backups that open.
"""

from __future__ import annotations

import datetime as dt
import errno
import hashlib
import os
import re
import shutil
import stat
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

from filelock import FileLock, Timeout

from villagectl.errors import FileAccessError, LedgerLockedError, os_error_reason

STATE_DIR = ".villagectl"
BACKUP_DIR = "backups"
DEFAULT_BACKUPS = 10
DEFAULT_BACKUP_DAYS = 30  # 参数 备份按天保留天数: the newest backup of each day, for this many days
DEFAULT_BACKUP_MONTHS = 12  # 参数 备份按月保留月数: the newest backup of each month, for this many months
TEMP_PREFIX = ".villagectl-tmp-"
_STAMP = r"\d{8}-\d{6}-\d{6}"


@dataclass(frozen=True)
class Fingerprint:
    size: int
    mtime_ns: int
    sha256: str


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def fingerprint(path: Path) -> Fingerprint:
    st = path.stat()
    return Fingerprint(st.st_size, st.st_mtime_ns, sha256_file(path))


def real_path(path: Path) -> Path:
    """The file itself: every symbolic link followed (resolved once, then used for lock, read and write)."""
    return Path(os.path.realpath(os.path.abspath(path)))


def state_dir(ledger: Path) -> Path:
    return ledger.parent / STATE_DIR


def backup_dir(ledger: Path) -> Path:
    """Where the backups of ``ledger`` are kept: beside the real file."""
    return state_dir(real_path(ledger)) / BACKUP_DIR


def office_lock_files(path: Path) -> list[Path]:
    """Owner files Excel, WPS and LibreOffice leave beside an open workbook."""
    name = path.name
    candidates = [
        path.with_name("~$" + name),  # Excel/WPS, short names
        path.with_name("~$" + name[2:]),  # Excel replaces the first two characters of long names
        path.with_name(".~lock." + name + "#"),  # LibreOffice
        path.with_name(".~" + name),  # WPS on Linux
    ]
    seen: list[Path] = []
    for c in candidates:
        if c != path and c.exists() and c not in seen:
            seen.append(c)
    return seen


def refuse_if_open_elsewhere(path: Path) -> None:
    locks = office_lock_files(path)
    if locks:
        raise LedgerLockedError(
            f"台账 {path.name} 正在 Excel 或 WPS 中打开（发现 {locks[0].name}），"
            "请先保存并关闭该文件再运行；如果确定没有打开，可删除这个临时文件",
        )


def refuse_if_read_only(path: Path) -> None:
    """A ledger the clerk (or the system) made read-only is never replaced behind their back."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return
    if not (st.st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH)) or not os.access(path, os.W_OK):
        raise FileAccessError(
            f"台账是只读文件（{path.name}），为免写入被悄悄丢掉，本次未保存，台账未改动",
            hint="如确要让 villagectl 写入，请先取消只读：Windows 右键→属性→去掉“只读”；Linux/macOS：chmod u+w 文件名",
        )


@contextmanager
def ledger_lock(path: Path, wait_s: float = 0.0) -> Iterator[None]:
    """Only one villagectl process writes a ledger at a time (every name of one file shares the lock)."""
    path = real_path(path)
    folder = state_dir(path)
    try:
        folder.mkdir(exist_ok=True)
    except OSError as exc:
        raise FileAccessError(f"无法在 {path.parent} 建立 {STATE_DIR} 文件夹：{exc.strerror or exc}") from None
    lock = FileLock(str(folder / (path.name + ".lock")))
    try:
        lock.acquire(timeout=max(wait_s, 0.0) if wait_s > 0 else 0.05)
    except Timeout:
        raise LedgerLockedError(
            f"台账 {path.name} 正被另一个 villagectl 运行使用，请稍后再试（或加 --wait 秒数 等待）"
        ) from None
    except OSError as exc:  # a read-only folder, a lock path that is a folder: a file problem, not a bug
        raise FileAccessError(
            f"无法建立锁文件 {folder / (path.name + '.lock')}（{os_error_reason(exc)}）；台账未改动",
            hint=f"villagectl 要在台账旁的 {STATE_DIR} 文件夹里放锁文件和备份：请确认台账所在的文件夹可以写入",
        ) from None
    try:
        yield
    finally:
        lock.release()


def _fsync_dir(folder: Path) -> None:
    if os.name != "posix":
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


# --------------------------------------------------------------------------
# backups
# --------------------------------------------------------------------------


def backup_name_pattern(path: Path) -> re.Pattern[str]:
    """The names of ``path``'s backups, and only its: ``<stem>.<stamp>.bak<suffix>``.

    Backups made before this naming (``<stem>.<stamp><suffix>``) match too, so
    they rotate out; the exact stem and a full time stamp keep ``台账.2025.xlsx``'s
    backups out of ``台账.xlsx``'s.
    """
    return re.compile(rf"{re.escape(path.stem)}\.({_STAMP})(?:\.bak)?{re.escape(path.suffix)}")


def _temp_pattern(path: Path) -> re.Pattern[str]:
    return re.compile(rf"{re.escape(TEMP_PREFIX)}\d+-{re.escape(path.name)}")


def backups_of(path: Path) -> list[Path]:
    """The backups of ``path`` (readable or not), oldest first."""
    path = real_path(path)
    folder = backup_dir(path)
    pattern = backup_name_pattern(path)
    try:
        entries = list(os.scandir(folder))
    except (FileNotFoundError, NotADirectoryError):
        return []
    found = []
    for entry in entries:
        m = pattern.fullmatch(entry.name)
        if m and entry.is_file(follow_symlinks=False):
            found.append((m.group(1), entry.name))
    return [folder / name for _, name in sorted(found)]


def verify_backup(path: Path, sha256: str | None = None) -> bool:
    """A backup that can be restored: a whole zip calamine opens and lists sheets of (and the same bytes)."""
    import zipfile

    import python_calamine

    try:
        with zipfile.ZipFile(path) as zf:
            if not any(n.endswith("workbook.xml") for n in zf.namelist()):
                return False
        book = python_calamine.CalamineWorkbook.from_path(str(path))
        try:
            if not list(book.sheet_names):
                return False
        finally:
            book.close()
        return sha256 is None or sha256_file(path) == sha256
    except Exception:  # noqa: BLE001 - any failure means it cannot be restored
        return False


def _copy_file(src: Path, dst: Path) -> None:
    shutil.copy2(src, dst)  # content, mode bits and times: a 0600 ledger gives a 0600 backup


def backup_file(path: Path, keep: int | Retention, sha256: str | None = None) -> Path | None:
    """Copy ``path`` into its backup folder (temp, fsync, verify, rename), then rotate; None when ``keep`` < 1.

    ``sha256``: the ledger's hash when it was read; the copy must have exactly
    those bytes. Rotation keeps the ``keep`` newest backups that open (a ``Retention``:
    also the newest of each recent day and month); unreadable ones are never counted,
    and those older than every kept one are removed.
    """
    path = real_path(path)
    if (keep.count if isinstance(keep, Retention) else keep) < 1:
        return None
    folder = backup_dir(path)
    folder.mkdir(parents=True, exist_ok=True)
    _remove_stale_temp_files(folder, path)
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S-%f")
    target = folder / f"{path.stem}.{stamp}.bak{path.suffix}"
    while target.exists():  # two saves in one microsecond (a clock set back): never overwrite a backup
        stamp = (dt.datetime.strptime(stamp, "%Y%m%d-%H%M%S-%f") + dt.timedelta(microseconds=1)).strftime(
            "%Y%m%d-%H%M%S-%f")
        target = folder / f"{path.stem}.{stamp}.bak{path.suffix}"
    tmp = folder / f"{TEMP_PREFIX}{os.getpid()}-{path.name}"
    try:
        _copy_file(path, tmp)
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        if not verify_backup(tmp, sha256 or sha256_file(path)):
            raise FileAccessError(
                f"备份校验失败：{path.name} 的备份副本与台账不一致或无法打开（磁盘满了或有故障？），"
                "为免没有可用的备份，本次未保存，台账未改动"
            )
        os.replace(tmp, target)
        _fsync_dir(folder)
    finally:
        if tmp.exists():
            tmp.unlink(missing_ok=True)
    _rotate(path, keep, target)
    return target


@dataclass(frozen=True)
class Retention:
    """Which backups rotation keeps: the last ``count``, plus the newest backup of each of the last ``days``
    days and of each of the last ``months`` months (today and this month included)."""

    count: int = DEFAULT_BACKUPS
    days: int = 0
    months: int = 0

    @classmethod
    def from_settings(cls, settings: dict[str, str]) -> "Retention":
        """参数 备份保留份数 (10), 备份按天保留天数 (30), 备份按月保留月数 (12)."""

        def number(key: str, default: int) -> int:
            try:
                value = settings.get(key, "")
                return max(int(float(value)), 0) if str(value).strip() else default
            except (TypeError, ValueError, OverflowError):
                return default

        return cls(number("备份保留份数", DEFAULT_BACKUPS), number("备份按天保留天数", DEFAULT_BACKUP_DAYS),
                   number("备份按月保留月数", DEFAULT_BACKUP_MONTHS))


def backup_time(ledger: Path, backup: Path) -> dt.datetime | None:
    """When ``backup`` of ``ledger`` was taken, from its name (local time); None when it is not one of its names."""
    m = backup_name_pattern(real_path(ledger)).fullmatch(backup.name)
    try:
        return dt.datetime.strptime(m.group(1), "%Y%m%d-%H%M%S-%f") if m else None
    except ValueError:
        return None


def kept_by_retention(times: list[dt.datetime], rule: Retention, now: dt.datetime) -> set[int]:
    """Indices into ``times`` (oldest first) that ``rule`` keeps: the last ``count``, and for every day of
    the last ``days`` days and every month of the last ``months`` months the newest time in it."""
    kept = set(range(max(len(times) - rule.count, 0), len(times))) if rule.count > 0 else set()
    today, this_month = now.date(), now.year * 12 + now.month - 1
    newest_of_day: dict[dt.date, int] = {}
    newest_of_month: dict[int, int] = {}
    for i, t in enumerate(times):  # oldest first: a later time of the same day or month wins
        newest_of_day[t.date()] = i
        newest_of_month[t.year * 12 + t.month - 1] = i
    kept.update(i for day, i in newest_of_day.items() if (today - day).days < rule.days)
    kept.update(i for month, i in newest_of_month.items() if this_month - month < rule.months)
    return kept


def _rotate(path: Path, keep: int | Retention, newest: Path) -> None:
    rule = keep if isinstance(keep, Retention) else Retention(keep)
    backups = backups_of(path)
    readable = [b for b in backups if b == newest or verify_backup(b)]
    times = [backup_time(path, b) or dt.datetime.min for b in readable]
    chosen = kept_by_retention(times, rule, dt.datetime.now())
    kept = [b for i, b in enumerate(readable) if i in chosen]
    oldest_kept = backups.index(kept[0]) if kept else len(backups)
    for i, old in enumerate(backups):
        if old in kept:
            continue
        if old in readable or i < oldest_kept:  # beyond the count, or unreadable and older than every kept one
            try:
                old.unlink()
            except OSError:
                pass


# --------------------------------------------------------------------------
# the write-back
# --------------------------------------------------------------------------


def replace_atomically(
    path: Path,
    expected: Fingerprint | None,
    produce: Callable[[Path], None],
    verify: Callable[[Path], None],
    keep_backups: int | Retention = DEFAULT_BACKUPS,
) -> Path | None:
    """Write a new version of ``path`` via a temp file; return the backup made.

    ``produce`` writes the new file at the path it is given; ``verify`` raises
    if that file is not right. The old file stays in place until the final
    rename, so a crash at any moment leaves either the old or the new version.
    ``path`` is resolved to the real file first (a symbolic link stays a link).
    """
    path = real_path(path)
    refuse_if_open_elsewhere(path)
    refuse_if_read_only(path)
    if expected is not None:
        _refuse_if_changed(path, expected)
    _remove_stale_temp_files(path.parent, path)
    tmp = path.with_name(f"{TEMP_PREFIX}{os.getpid()}-{path.name}")
    backup = None
    try:
        produce(tmp)
        verify(tmp)
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        if path.exists():
            _keep_mode(path, tmp)
            backup = backup_file(path, keep_backups, expected.sha256 if expected is not None else None)
            if expected is not None:
                _refuse_if_changed(path, expected)
            refuse_if_read_only(path)
        refuse_if_open_elsewhere(path)
        os.replace(tmp, path)
        _fsync_dir(path.parent)
    except PermissionError:
        raise LedgerLockedError(
            f"无法替换台账文件 {path.name}：文件被其他程序（多半是 Excel 或 WPS）占用，请关闭后重试；台账未改动"
        ) from None
    except OSError as exc:
        if exc.errno == errno.ENOSPC:
            raise FileAccessError(f"磁盘空间不足，无法保存 {path.name}；台账未改动") from None
        raise FileAccessError(f"保存 {path.name} 失败：{exc.strerror or exc}；台账未改动") from None
    finally:
        if tmp.exists():
            tmp.unlink(missing_ok=True)
    return backup


def _keep_mode(original: Path, new: Path) -> None:
    """The new file gets the ledger's permission bits (and, where allowed, its owner)."""
    st = os.stat(original)
    os.chmod(new, stat.S_IMODE(st.st_mode))
    if hasattr(os, "chown"):
        mine = os.stat(new)
        if (mine.st_uid, mine.st_gid) != (st.st_uid, st.st_gid):
            try:
                os.chown(new, st.st_uid, st.st_gid)
            except OSError:
                pass  # only root may give a file away; the mode is what protects it


def _remove_stale_temp_files(folder: Path, path: Path) -> None:
    """Temp files a killed run left behind for this very file name (callers hold the ledger lock)."""
    pattern = _temp_pattern(path)
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return
    for entry in entries:
        if pattern.fullmatch(entry.name):
            try:
                os.unlink(entry.path)
            except OSError:
                pass


def changed_since(path: Path, expected: Fingerprint) -> bool:
    """True when the file is gone or its bytes differ from the fingerprint taken when it was read."""
    try:
        st = path.stat()
    except FileNotFoundError:
        return True
    if st.st_size == expected.size and st.st_mtime_ns == expected.mtime_ns:
        return False
    try:
        return sha256_file(path) != expected.sha256
    except OSError:
        return True


def _refuse_if_changed(path: Path, expected: Fingerprint) -> None:
    try:
        path.stat()
    except FileNotFoundError:
        raise LedgerLockedError(f"台账 {path.name} 在读取后被移走或删除，请重新运行") from None
    if changed_since(path, expected):
        raise LedgerLockedError(
            f"台账 {path.name} 在本次读取后被修改过（可能有人同时在编辑），为防止覆盖他人的修改，本次未保存；请重新运行"
        )
