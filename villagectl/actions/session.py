"""One command's hold on a ledger: the lock, the opened workbook, and the save with its 操作日志 row.

    session = Session(path, wait_s=2, arguments="…")
    with session.updating("post month") as ledger:
        ...                     # read, change frames with ledger.replace(...)
        ledger.note("2026-07 入账 44 笔")   # what the 操作日志 row says; without changes nothing is written

Everything an action needs to know about who runs it, and when, travels in the Session, so the
actions' functions keep their own parameters to what the command is about.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from villagectl import clock
from villagectl.io.safe_write import ledger_lock
from villagectl.ledger.workbook import Ledger


@dataclass(frozen=True)
class Session:
    path: Path
    wait_s: float = 0.0
    operator: str | None = None  # --operator; else 参数 经办人; else 村文书
    arguments: str = ""  # the command line, for 操作日志
    today: dt.date | None = None  # --date; else the clock's today
    now: dt.datetime | None = None  # the 操作日志 time (tests pin it)

    def day(self) -> dt.date:
        return self.today or clock.today()

    def stamp(self) -> str:
        return (self.now or dt.datetime.now()).isoformat(sep=" ", timespec="seconds")

    def operator_for(self, ledger: Ledger) -> str:
        return self.operator or ledger.settings().get("经办人", "") or "村文书"

    @contextmanager
    def holding(self) -> Iterator[None]:
        """Only the lock: for a command that replaces the file itself (restore), which may not even open."""
        with ledger_lock(self.path, self.wait_s):
            yield

    @contextmanager
    def reading(self) -> Iterator[Ledger]:
        """The ledger under the lock, never written."""
        with ledger_lock(self.path, self.wait_s):
            yield Ledger.open(self.path)

    @contextmanager
    def updating(self, command: str) -> Iterator[Ledger]:
        """The ledger under the lock; saved at the end when a sheet changed (nothing is saved on an error)."""
        with ledger_lock(self.path, self.wait_s):
            ledger = Ledger.open(self.path)
            yield ledger
            if ledger.dirty:
                result, inputs = ledger.pending_note
                ledger.save(command, self.arguments, inputs, result, now=self.now)


@dataclass(frozen=True)
class PrintOptions:
    """--templates / --font of a printing command; else the 参数 ones; else the bundled ones."""

    templates: Path | None = None
    font: Path | None = None

    def paths(self, ledger: Ledger) -> tuple[Path | None, Path | None]:
        from villagectl.render.typst_engine import printing_paths

        return printing_paths(ledger.settings(), ledger.path, self.templates, self.font)
