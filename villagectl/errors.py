"""Problems and errors shown to the clerk, and the exit codes they map to."""

from __future__ import annotations

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
