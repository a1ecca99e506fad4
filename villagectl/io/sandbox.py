"""Parse untrusted files in a child process with time and memory limits.

calamine can abort the whole process on a hostile file (DESIGN §6), so an
imported file is never parsed in the clerk's own process.
"""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
from pathlib import Path

from villagectl.errors import DataError, Location, Problem
from villagectl.io.preflight import DEFAULT_LIMITS, Limits, check_file
from villagectl.io.reader import WorkbookRows, read_workbook

DEFAULT_TIMEOUT_S = 20.0
DEFAULT_MEMORY_BYTES = 1536 * 1024 * 1024


def _limit_memory(max_bytes: int):  # pragma: no cover - runs in the child
    def apply() -> None:
        import resource

        resource.setrlimit(resource.RLIMIT_AS, (max_bytes, max_bytes))

    return apply


def read_untrusted(
    path: Path,
    limits: Limits = DEFAULT_LIMITS,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    memory_bytes: int = DEFAULT_MEMORY_BYTES,
) -> WorkbookRows:
    """Pre-flight check, then read in a child process; DataError on any refusal."""
    check_file(path, limits)
    cmd = [sys.executable, "-X", "utf8", "-m", "villagectl.io.sandbox", str(path)]
    kwargs: dict = {}
    if os.name == "posix":
        kwargs["preexec_fn"] = _limit_memory(memory_bytes)
    try:
        proc = subprocess.run(cmd, capture_output=True, timeout=timeout_s, check=False, **kwargs)
    except subprocess.TimeoutExpired:
        raise _refuse(path, f"读取超时（超过 {timeout_s:.0f} 秒），文件可能异常，已跳过") from None
    if proc.returncode == 0:
        status, payload = pickle.loads(proc.stdout)
        if status == "error":
            raise _refuse(path, payload)
        return payload
    raise _refuse(path, "文件读取失败（内容异常或过大），已跳过；请在 Excel 中打开后另存再试")


def _refuse(path: Path, message: str) -> DataError:
    return DataError(message, [Problem(Location(file=path.name), message)])


def _child_main(argv: list[str]) -> int:  # pragma: no cover - runs in the child
    path = Path(argv[0])
    try:
        result: tuple = ("ok", read_workbook(path))
    except DataError as exc:
        result = ("error", exc.message)
    sys.stdout.buffer.write(pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL))
    sys.stdout.flush()
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(_child_main(sys.argv[1:]))
