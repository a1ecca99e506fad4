"""The input files a command is given: folders searched for spreadsheets, missing paths refused up front."""

from __future__ import annotations

from pathlib import Path

from villagectl.errors import missing_inputs
from villagectl.io.filetype import looks_like_spreadsheet


def expand_paths(paths: list[Path]) -> tuple[list[Path], list[Path]]:
    """(spreadsheet files, []); folders are searched recursively.

    A path that does not exist is a file that cannot be read: FileAccessError (exit 4) naming every
    one of them, before anything is read (the second list is always empty, kept for the callers).
    """
    files: list[Path] = []
    missing: list[Path] = []
    for p in paths:
        if p.is_dir():
            files.extend(sorted(q for q in p.rglob("*") if q.is_file() and looks_like_spreadsheet(q)))
        elif p.exists():
            files.append(p)
        else:
            missing.append(p)
    if missing:
        raise missing_inputs(missing)
    return files, missing
