"""The folder a ``demo`` writes into: the demo replaces its own earlier files, never a real ledger."""

from __future__ import annotations

from pathlib import Path

from villagectl.errors import UsageError
from villagectl.io.outputs import guard_output, guard_outputs
from villagectl.ledger.workbook import Ledger


def _made_by_demo(path: Path) -> bool:
    """A ledger an earlier demo wrote (its 操作日志 starts with the samples' row)."""
    try:
        log = Ledger.open(path).frame("操作日志")
        return "samples" in {str(c).strip() for c in log["命令"]}
    except Exception:  # noqa: BLE001 - unreadable: not provably ours
        return False


def _refuse_foreign_files(output: Path, ledger_name: str) -> None:
    """The demo replaces its own files; a real ledger (or a link to one) under those names is never touched."""
    from villagectl.demo import ROSTER_DIR

    ours = output / ledger_name
    if (ours.exists() or ours.is_symlink()) and not (ours.is_file() and not ours.is_symlink() and _made_by_demo(ours)):
        raise UsageError(
            f"-o 指向的文件夹里已有 {ours}，它不是以前的演示生成的（可能是真实台账），演示不会覆盖它。"
            "本次什么也没写，请换一个空文件夹"
        )
    raw = output / ROSTER_DIR
    if raw.is_dir():
        guard_outputs([p for p in raw.rglob("*") if p.is_file()], None, "-o")


def demo_folder(output: Path, ledger_name: str) -> Path:
    """The checked ``-o`` folder (made if missing) a demo writes its ledger ``ledger_name`` and files into."""
    output = guard_output(output, None, "-o", folder=True)
    if output.exists() and not output.is_dir():
        raise UsageError(f"{output} 已存在且不是文件夹，请换一个 --output")
    _refuse_foreign_files(output, ledger_name)
    output.mkdir(parents=True, exist_ok=True)
    return output
