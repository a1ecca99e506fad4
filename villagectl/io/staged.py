"""Outputs that appear only once the ledger write succeeded.

A command that prints a document *and* records it in the ledger (``notice
month``, ``notice year``, ``notice cadre``, ``event notice``, ``redeem`` …)
renders each document first under a pending name beside its final name, then
saves the ledger, and only then renames the pending files into place. A
refused or failed save (the ledger open in Excel, changed underneath, a full
disk, Ctrl+C) deletes the pending files: there is never a notice or a slip for
something the ledger does not have.

A pending file never looks like a finished document: its name starts with a
dot and ends with ``.villagectl-pending`` (no ``.pdf``), so a double click does
not open it as a slip or a notice. One left by a killed run is removed by the
next run that writes into the same folder (:func:`remove_stale_pending`).
"""

from __future__ import annotations

import os
import re
import sys
import time
from pathlib import Path

from villagectl.errors import FileAccessError
from villagectl.io.outputs import commit_temp, fsync_dir

SUFFIX = ".villagectl-pending"
_PATTERN = re.compile(r"^\.(?P<name>.+)\.(?P<pid>\d+)" + re.escape(SUFFIX) + r"$")
# names of earlier versions: ".villagectl-pending-<pid>-<name>" (redeem) and the render temp files
_OLD_PATTERNS = (
    re.compile(r"^\.villagectl-pending-(?P<pid>\d+)-(?P<name>.+)$"),
    re.compile(r"^\.villagectl-tmp-(?P<pid>\d+)-(?P<name>.+(\.pdf|" + re.escape(SUFFIX) + r"))$", re.IGNORECASE),
)
STALE_AFTER_S = 6 * 3600  # where we cannot ask whether a process lives (Windows): older files only


def pending_path(final: Path) -> Path:
    """The pending name of ``final``: ``.<name>.<pid>.villagectl-pending`` in the same folder."""
    final = Path(final)
    return final.with_name(f".{final.name}.{os.getpid()}{SUFFIX}")


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    if sys.platform.startswith("win"):  # os.kill(pid, 0) would terminate it on Windows
        return True  # unknown: decided by age
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    except OSError:
        return False
    return True


def is_pending_name(name: str) -> bool:
    return any(p.fullmatch(name) for p in (_PATTERN, *_OLD_PATTERNS))


def remove_stale_pending(folder: Path) -> list[Path]:
    """Delete pending outputs a killed run left in ``folder``; return what was removed.

    A file is stale when the process that made it no longer runs (or, where
    that cannot be asked, when it is older than :data:`STALE_AFTER_S`).
    """
    removed: list[Path] = []
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return removed
    now = time.time()
    for entry in entries:
        match = next((m for m in (p.fullmatch(entry.name) for p in (_PATTERN, *_OLD_PATTERNS)) if m), None)
        if match is None:
            continue
        pid = int(match.group("pid"))
        if pid == os.getpid():
            continue
        try:
            old = now - entry.stat().st_mtime > STALE_AFTER_S
        except OSError:
            continue
        if _alive(pid) and not old:
            continue
        try:
            os.unlink(entry.path)
            removed.append(Path(entry.path))
        except OSError:
            pass
    return removed


class StagedOutputs:
    """Pending files for a batch of outputs; ``publish()`` after the ledger was saved.

    ::

        with StagedOutputs() as outs:
            render(..., outs.path(out_pdf))
            ledger.save(...)
            outs.publish()

    Leaving the block without ``publish()`` (an exception, an early return)
    deletes every pending file.
    """

    def __init__(self) -> None:
        self._items: list[tuple[Path, Path]] = []
        self._cleaned: set[Path] = set()

    def path(self, final: Path) -> Path:
        """Where to render ``final`` now; it is moved to ``final`` by :meth:`publish`."""
        final = Path(final)
        folder = final.parent
        if folder not in self._cleaned:
            remove_stale_pending(folder)
            self._cleaned.add(folder)
        tmp = pending_path(final)
        self._items.append((tmp, final))
        return tmp

    def publish(self) -> list[Path]:
        """Rename every pending file into place (in order); return the final paths."""
        done: list[Path] = []
        try:
            for tmp, final in self._items:
                if not tmp.exists():
                    continue  # an optional output that was not rendered
                # each pending file was written (and fsynced) by io.outputs.write_atomically; the renames
                # are made durable once per folder below
                commit_temp(tmp, final, durable=False)
                done.append(final)
            for folder in dict.fromkeys(f.parent for f in done):
                fsync_dir(folder)
        except OSError as exc:
            self.discard()
            raise FileAccessError(
                f"台账已保存，但文件无法保存为 {final.name}：{exc.strerror or exc}",
                hint="关闭正在打开这个文件的程序（多半是 PDF 阅读器）后，再运行一次同样的命令重新打印",
            ) from None
        self._items = []
        return done

    def discard(self) -> None:
        for tmp, _ in self._items:
            try:
                tmp.unlink(missing_ok=True)
            except OSError:
                pass
        self._items = []

    def __enter__(self) -> "StagedOutputs":
        return self

    def __exit__(self, *exc) -> None:
        self.discard()
