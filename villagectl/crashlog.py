"""The crash log: tracebacks of internal errors go to ~/.villagectl/crash.log, never to the clerk's screen."""

from __future__ import annotations

import datetime as dt
import sys
import traceback
from pathlib import Path


def record_crash(exc: BaseException, context: str = "") -> Path | None:
    """Append the traceback of ``exc``; return the log's path (None when it cannot be written)."""
    try:
        folder = Path.home() / ".villagectl"
        folder.mkdir(exist_ok=True)
        path = folder / "crash.log"
        with open(path, "a", encoding="utf-8") as fh:
            fh.write(f"\n=== {dt.datetime.now().isoformat()} {' '.join(sys.argv)}\n")
            if context:
                fh.write(context + "\n")
            fh.write("".join(traceback.format_exception(exc)))
        return path
    except OSError:
        return None
