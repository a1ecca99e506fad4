"""Problems and errors shown to the clerk, and the exit codes they map to."""

from __future__ import annotations

import errno
from dataclasses import dataclass
from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0
    DATA = 1  # the input or the ledger has problems; nothing written
    USAGE = 2  # wrong command-line arguments
    LOCKED = 3  # ledger open in Excel/WPS, held by another run, or changed underneath
    IO = 4  # a file could not be read or written (disk full, permission)
    NOTHING_TO_DO = 5  # cron mode: nothing new in the inbox
    PARTIAL = 6  # cron mode: done, but some files were refused (moved to refused/)
    INTERNAL = 70  # a bug: please report it


@dataclass(frozen=True)
class Location:
    """Where a problem is: file / sheet / cell (any part may be empty)."""

    file: str = ""
    sheet: str = ""
    cell: str = ""

    def __str__(self) -> str:
        return " / ".join(p for p in (self.file, self.sheet, self.cell) if p)


@dataclass(frozen=True)
class Problem:
    location: Location
    message: str
    severity: str = "错误"  # 错误 | 警告

    def __str__(self) -> str:
        where = str(self.location)
        return f"{where}: {self.message}" if where else self.message

    def as_dict(self) -> dict:
        return {
            "file": self.location.file,
            "sheet": self.location.sheet,
            "cell": self.location.cell,
            "message": self.message,
            "severity": self.severity,
        }


class VillageError(Exception):
    """An error the clerk can act on; the CLI prints it in Chinese, no traceback."""

    exit_code = ExitCode.DATA

    def __init__(self, message: str, problems: list[Problem] | None = None, hint: str = ""):
        super().__init__(message)
        self.message = message
        self.problems = list(problems or [])
        self.hint = hint


class DataError(VillageError):
    exit_code = ExitCode.DATA


class UsageError(VillageError):
    exit_code = ExitCode.USAGE


class LedgerLockedError(VillageError):
    exit_code = ExitCode.LOCKED


class FileAccessError(VillageError):
    exit_code = ExitCode.IO


def missing_inputs(paths) -> FileAccessError:
    """Input files or folders that do not exist (exit 4), every one named."""
    names = "、".join(str(p) for p in paths)
    return FileAccessError(f"找不到 {names}（文件或文件夹不存在）；请核对路径和名字，台账未改动")


_ERRNO_TEXT = {  # by name: not every platform has every errno (EDQUOT on Windows)
    "EACCES": "没有权限",
    "EPERM": "没有权限",
    "EROFS": "磁盘或文件夹是只读的",
    "ENOSPC": "磁盘空间不足",
    "EDQUOT": "磁盘配额已用完",
    "ENAMETOOLONG": "文件名或路径太长",
    "ENOENT": "文件或文件夹不存在",
    "ENOTDIR": "路径中有一段不是文件夹",
    "EISDIR": "这是一个文件夹，不是文件",
    "EEXIST": "已经存在",
    "EBUSY": "正被其他程序占用",
    "EMFILE": "同时打开的文件太多",
    "EIO": "磁盘读写出错",
}
_ERRNO_TEXT_BY_CODE = {getattr(errno, n): m for n, m in _ERRNO_TEXT.items() if hasattr(errno, n)}


def os_error_reason(exc: OSError) -> str:
    """Why a file operation failed, in Chinese when the reason is a common one."""
    return _ERRNO_TEXT_BY_CODE.get(exc.errno or -1) or exc.strerror or type(exc).__name__
