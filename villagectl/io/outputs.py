"""The one guard every file the tool writes passes first: never onto a ledger or a backup.

An output option (``--export``, ``--report``, ``-o``, ``--pay-sheet``, ``--pdf``,
``--internal``, ``--log``, a folder for passbooks or forms …) is refused, before
anything at all is written, when its path

* is the ledger the command works on (the same file after resolving links,
  ``..`` and case: ``os.path.samefile`` when the path exists, else the
  normalised real path),
* is any ledger (an existing workbook with at least two of the ledger's sheets
  参数 / 规则 / 户籍, whatever the file is called), or
* lies inside a ``.villagectl`` folder (the backups and the locks).

The refusal is a :class:`UsageError` (exit 2) naming the option and the path.
"""

from __future__ import annotations

import os
import zipfile
from pathlib import Path
from typing import Iterable

from defusedxml import ElementTree as SafeET

from villagectl.errors import UsageError

STATE_DIR = ".villagectl"  # the same name as safe_write.STATE_DIR (safe_write imports nothing from here)
LEDGER_SHEETS = ("参数", "规则", "户籍")
MAX_WORKBOOK_XML = 8 << 20  # a real workbook.xml is a few KB; do not unpack a hostile one to find out

_NS_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"


class OutputRefused(UsageError):
    """An output path that would overwrite a ledger or a backup."""


PathLike = str | os.PathLike


def real_path(path: PathLike) -> Path:
    """The file a path names once every link is followed (``os.path.realpath``)."""
    return Path(os.path.realpath(os.path.abspath(path)))


def same_file(a: PathLike, b: PathLike) -> bool:
    """True when both paths name one file: samefile when both exist, else normalised real paths."""
    try:
        if os.path.exists(a) and os.path.exists(b):
            return os.path.samefile(a, b)
    except OSError:
        pass
    return os.path.normcase(real_path(a)) == os.path.normcase(real_path(b))


def in_state_folder(path: PathLike) -> bool:
    """Inside a ``.villagectl`` folder (as written, or once links are followed)."""
    for candidate in (Path(os.path.abspath(path)), real_path(path)):
        if any(os.path.normcase(part) == os.path.normcase(STATE_DIR) for part in candidate.parts):
            return True
    return False


def workbook_sheet_names(path: PathLike) -> list[str] | None:
    """The sheet names of an xlsx file read from its workbook part, or None when it is no xlsx."""
    try:
        with open(path, "rb") as fh:
            if fh.read(4) != b"PK\x03\x04":
                return None
        with zipfile.ZipFile(path) as zf:
            names = {i.filename: i for i in zf.infolist()}
            info = names.get("xl/workbook.xml")
            if info is None:
                info = next((i for n, i in names.items() if n.lower().endswith("/workbook.xml")), None)
            if info is None or info.file_size > MAX_WORKBOOK_XML:
                return None
            root = SafeET.fromstring(zf.read(info))
    except Exception:  # noqa: BLE001 - damaged, encrypted, hostile: not a readable workbook
        return None
    sheets = root.find(f"{_NS_MAIN}sheets")
    if sheets is None:
        return []
    return [s.get("name", "") for s in sheets]


def is_ledger_workbook(path: PathLike) -> bool:
    """An existing file holding a ledger: at least two of 参数 / 规则 / 户籍 among its sheets."""
    if not os.path.isfile(path):
        return False
    names = workbook_sheet_names(path)
    if not names:
        return False
    return sum(1 for s in LEDGER_SHEETS if s in names) >= 2


def _ledgers(ledger: PathLike | Iterable[PathLike] | None) -> list[Path]:
    if ledger is None:
        return []
    if isinstance(ledger, (str, os.PathLike)):
        return [Path(ledger)]
    return [Path(p) for p in ledger]


def guard_output(
    path: PathLike,
    ledger: PathLike | Iterable[PathLike] | None,
    option: str,
    *,
    folder: bool = False,
) -> Path:
    """Return ``Path(path)`` when a command may write it; raise :class:`OutputRefused` otherwise.

    ``ledger``: the ledger (or ledgers) of the command, or None. ``option``: how the
    clerk gave the path (``--export``, ``-o`` …), shown in the message. ``folder``:
    the path is a folder the command writes files into (each of those files is
    guarded again by name).
    """
    path = Path(path)
    shown = str(path)
    for led in _ledgers(ledger):
        if same_file(path, led):
            raise OutputRefused(
                f"{option} 指向的 {shown} 就是台账 {led.name} 本身；写进去会毁掉台账。本次什么也没写，请换一个"
                + ("文件夹" if folder else "文件名")
            )
    if in_state_folder(path):
        raise OutputRefused(
            f"{option} 指向的 {shown} 在 {STATE_DIR} 文件夹里（那里放着台账的备份和锁），不能写在那里。"
            "本次什么也没写，请换一个位置"
        )
    if os.path.isfile(path) and is_ledger_workbook(path):
        raise OutputRefused(
            f"{option} 指向的 {shown} 是一本台账（有“参数”“规则”“户籍”工作表），不能覆盖台账。"
            "本次什么也没写，请换一个" + ("文件夹" if folder else "文件名")
        )
    return path


def guard_outputs(paths: Iterable[PathLike], ledger: PathLike | Iterable[PathLike] | None, option: str) -> list[Path]:
    """:func:`guard_output` for every file of a batch, all before the first is written."""
    return [guard_output(p, ledger, option) for p in paths]
