"""Parse untrusted files in a child process with time and memory limits.

calamine can abort the whole process on a hostile file (DESIGN §6), so an
imported file is never parsed in the clerk's own process. A batch of files
is read by one child (starting a process per file costs more than reading
a grid worker's sheet); if the child dies or hangs on a file, that file is
refused and a fresh child carries on with the rest.
"""

from __future__ import annotations

import os
import pickle
import queue
import struct
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Callable, TypeVar

from villagectl.errors import DataError, Location, Problem, VillageError
from villagectl.io.preflight import DEFAULT_LIMITS, Limits, check_file
from villagectl.io.reader import WorkbookRows, read_workbook

DEFAULT_TIMEOUT_S = 20.0  # per file
DEFAULT_MEMORY_BYTES = 512 * 1024 * 1024  # address space of the child: ample for any real sheet
MAX_ROWS = 200_000  # rows in one file; a village's roster or a month's sheets are far smaller
_HEADER = struct.Struct("<Q")
T = TypeVar("T")


def _limit_memory(max_bytes: int):  # pragma: no cover - runs in the child
    def apply() -> None:
        import resource

        resource.setrlimit(resource.RLIMIT_AS, (max_bytes, max_bytes))

    return apply


def _refusal(path: Path, message: str) -> DataError:
    return DataError(message, [Problem(Location(file=path.name), message)])


def read_untrusted(
    path: Path,
    limits: Limits = DEFAULT_LIMITS,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    memory_bytes: int = DEFAULT_MEMORY_BYTES,
) -> WorkbookRows:
    """Pre-flight check, then read in a child process; DataError on any refusal."""
    result = read_untrusted_many([path], limits, timeout_s, memory_bytes)[path]
    if isinstance(result, DataError):
        raise result
    return result


def read_untrusted_many(
    paths: list[Path],
    limits: Limits = DEFAULT_LIMITS,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    memory_bytes: int = DEFAULT_MEMORY_BYTES,
    on_file=None,
) -> dict[Path, WorkbookRows | DataError]:
    """Read many files; each maps to its rows or to the DataError that refused it."""
    results: dict[Path, WorkbookRows | DataError] = {}
    pending: list[Path] = []
    for path in paths:
        try:
            check_file(path, limits)
            pending.append(path)
        except DataError as exc:
            results[path] = exc
        except Exception:  # check_file refuses what it can name; anything else is still this file's problem
            results[path] = _refusal(path, "文件已损坏，无法打开（可能没有传完整），请让填表人重新发送")
    while pending:
        done = _run_child(pending, timeout_s, memory_bytes, results, on_file)
        pending = pending[done:]
    return results


def _import_roots() -> list[str]:
    """The folders this process imports villagectl and the child's libraries from."""
    import defusedxml
    import python_calamine

    import villagectl

    roots: list[str] = []
    for module in (villagectl, python_calamine, defusedxml):
        root = str(Path(module.__file__).resolve().parent.parent)
        if root not in roots:
            roots.append(root)
    return roots


# -I: no current folder, script folder, PYTHONPATH or user site on sys.path, so a ``villagectl/`` in the folder
# the clerk runs from (or an environment variable) cannot stand in for the sandbox; the child imports the
# package from exactly where this process has it.
_CHILD_CODE = (
    "import sys; sys.path[:0] = {roots!r}; "
    "from villagectl.io.sandbox import _child_main; sys.exit(_child_main(sys.argv[1:]))"
)


def child_command(paths: list[Path]) -> list[str]:
    code = _CHILD_CODE.format(roots=_import_roots())
    return [sys.executable, "-I", "-X", "utf8", "-c", code] + [str(p) for p in paths]


def refuse_on_error(path: Path, read: Callable[..., T], *args, **kwargs) -> T:
    """``read(*args, **kwargs)`` over an untrusted file's rows: an unexpected exception refuses that file.

    A hostile or odd file must not stop the other files of a batch (nor a night's ``run``) with an internal
    error: the importer's exception becomes a DataError naming the file; the traceback goes to the crash log.
    The importers' own messages (VillageError) pass through unchanged.
    """
    try:
        return read(*args, **kwargs)
    except VillageError:
        raise
    except Exception as exc:
        from villagectl.crashlog import record_crash

        log = record_crash(exc, f"reading {path}")
        message = f"读取这个文件时出错（{type(exc).__name__}），文件未导入；其余文件照常处理"
        if log:
            message += f"。请把这个文件发给技术支持（详细记录在 {log}）"
        raise DataError(message, [Problem(Location(file=path.name), message)]) from None


def _run_child(paths, timeout_s, memory_bytes, results, on_file) -> int:
    """Read ``paths`` in one child until it finishes or fails; return how many were settled."""
    cmd = child_command(paths)
    kwargs: dict = {}
    if os.name == "posix":
        kwargs["preexec_fn"] = _limit_memory(memory_bytes)
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL, **kwargs)
    messages: queue.Queue = queue.Queue()

    def pump() -> None:
        stream = proc.stdout
        try:
            while True:
                head = stream.read(_HEADER.size)
                if len(head) < _HEADER.size:
                    break
                (size,) = _HEADER.unpack(head)
                messages.put(stream.read(size))
        finally:
            messages.put(None)

    reader = threading.Thread(target=pump, daemon=True)
    reader.start()
    settled = 0
    try:
        for path in paths:
            deadline = time.monotonic() + timeout_s
            try:
                data = messages.get(timeout=max(deadline - time.monotonic(), 0.001))
            except queue.Empty:
                proc.kill()
                results[path] = _refusal(path, f"读取超时（超过 {timeout_s:.0f} 秒），文件可能异常，已跳过")
                return settled + 1
            if data is None:  # the child died on this file
                proc.wait()
                results[path] = _refusal(path, "文件读取失败（内容异常或过大），已跳过；请在 Excel 中打开后另存再试")
                return settled + 1
            status, payload = pickle.loads(data)
            results[path] = payload if status == "ok" else _refusal(path, payload)
            settled += 1
            if on_file:
                on_file(path)
        return settled
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait()
        if proc.stdout:
            proc.stdout.close()


def _child_main(argv: list[str]) -> int:  # pragma: no cover - runs in the child
    out = sys.stdout.buffer
    for arg in argv:
        path = Path(arg)
        try:
            book = read_workbook(path, with_formulas=True, max_rows=MAX_ROWS)  # a CSV stops early
            rows = sum(len(sheet.rows) for sheet in book.sheets)
            if rows > MAX_ROWS:
                result: tuple = ("error", f"表格太大（共 {rows} 行，上限 {MAX_ROWS} 行），不像检查表或名册；请只发需要的表")
            else:
                result = ("ok", book)
        except DataError as exc:
            result = ("error", exc.message)
        except Exception:  # whatever a hostile file trips in a library: refuse the file, read the next one
            result = ("error", "文件无法读取（已损坏或格式不对），请在 Excel 中打开后另存再试")
        data = pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL)
        out.write(_HEADER.pack(len(data)))
        out.write(data)
        out.flush()
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(_child_main(sys.argv[1:]))
