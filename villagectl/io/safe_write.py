"""Writing the clerk's workbook safely: locks, change detection, atomic replace, backups."""

from __future__ import annotations

import datetime as dt
import errno
import hashlib
import os
import shutil
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

from filelock import FileLock, Timeout

from villagectl.errors import FileAccessError, LedgerLockedError, os_error_reason

STATE_DIR = ".villagectl"
DEFAULT_BACKUPS = 10


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


def state_dir(ledger: Path) -> Path:
    return ledger.parent / STATE_DIR


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


@contextmanager
def ledger_lock(path: Path, wait_s: float = 0.0) -> Iterator[None]:
    """Only one villagectl process writes a ledger at a time."""
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


def backup_file(path: Path, keep: int) -> Path:
    folder = state_dir(path) / "backups"
    folder.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S-%f")
    target = folder / f"{path.stem}.{stamp}{path.suffix}"
    shutil.copy2(path, target)
    backups = sorted(folder.glob(f"{path.stem}.*{path.suffix}"))
    for old in backups[: max(len(backups) - keep, 0)]:
        old.unlink(missing_ok=True)
    return target


def replace_atomically(
    path: Path,
    expected: Fingerprint | None,
    produce: Callable[[Path], None],
    verify: Callable[[Path], None],
    keep_backups: int = DEFAULT_BACKUPS,
) -> Path | None:
    """Write a new version of ``path`` via a temp file; return the backup made.

    ``produce`` writes the new file at the path it is given; ``verify`` raises
    if that file is not right. The old file stays in place until the final
    rename, so a crash at any moment leaves either the old or the new version.
    """
    refuse_if_open_elsewhere(path)
    if expected is not None:
        _refuse_if_changed(path, expected)
    _remove_stale_temp_files(path)
    tmp = path.with_name(f".villagectl-tmp-{os.getpid()}-{path.name}")
    backup = None
    try:
        produce(tmp)
        verify(tmp)
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        if path.exists():
            backup = backup_file(path, keep_backups)
            if expected is not None:
                _refuse_if_changed(path, expected)
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


def _remove_stale_temp_files(path: Path) -> None:
    """Temp files a killed run left behind (callers hold the ledger lock)."""
    for stale in path.parent.glob(f".villagectl-tmp-*-{path.name}"):
        try:
            stale.unlink()
        except OSError:
            pass


def _refuse_if_changed(path: Path, expected: Fingerprint) -> None:
    try:
        st = path.stat()
    except FileNotFoundError:
        raise LedgerLockedError(f"台账 {path.name} 在读取后被移走或删除，请重新运行") from None
    if st.st_size == expected.size and st.st_mtime_ns == expected.mtime_ns:
        return
    if sha256_file(path) != expected.sha256:
        raise LedgerLockedError(
            f"台账 {path.name} 在本次读取后被修改过（可能有人同时在编辑），为防止覆盖他人的修改，本次未保存；请重新运行"
        )
