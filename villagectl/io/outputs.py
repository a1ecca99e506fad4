"""Every file the tool writes besides the ledger: the guard it passes first, and the one atomic writer.

The writer (:func:`write_atomically`): the new file is made beside the target under a
``.villagectl-tmp-<pid>-<name>`` name, fsynced, renamed over the target with ``os.replace`` and
the folder fsynced, so a crash at any moment leaves the old file or the new one, never half of
one. PDFs, new workbooks (``io.newbook.save_new``), the signed transfer file, a damaged ledger
kept before a restore and the staged outputs published after a ledger write all go through it
(the ledger itself goes through ``io.safe_write.replace_atomically``, which adds the
verify / backup protocol around the same steps).

The guard: never onto a ledger or a backup.

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

import errno
import os
import re
import zipfile
from pathlib import Path
from typing import Callable, Iterable

from defusedxml import ElementTree as SafeET

from villagectl.errors import FileAccessError, UsageError

STATE_DIR = ".villagectl"  # the same name as safe_write.STATE_DIR (outputs imports nothing from safe_write)
TEMP_PREFIX = ".villagectl-tmp-"  # the same as safe_write.TEMP_PREFIX: a killed run's temp files are cleaned by name
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


# --------------------------------------------------------------------------
# The one atomic writer
# --------------------------------------------------------------------------

Producer = Callable[[Path], object]


def temp_path(path: PathLike) -> Path:
    """Where a new version of ``path`` is made before it takes its name: beside it, same folder."""
    path = Path(path)
    return path.with_name(f"{TEMP_PREFIX}{os.getpid()}-{path.name}")


def fsync_file(path: PathLike) -> None:
    with open(path, "rb+") as fh:
        os.fsync(fh.fileno())


def fsync_dir(folder: PathLike) -> None:
    """Make a rename in ``folder`` durable (POSIX; a no-op elsewhere or where the folder cannot be opened)."""
    if os.name != "posix":
        return
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def commit_temp(tmp: PathLike, path: PathLike, *, durable: bool = True) -> None:
    """The last steps of every atomic write: fsync the new file, rename it over ``path``, fsync the folder."""
    if durable:
        fsync_file(tmp)
    os.replace(tmp, path)
    if durable:
        fsync_dir(Path(path).parent)


def _holder(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix == ".pdf":
        return "文件正被其他程序（多半是 PDF 阅读器）打开，或没有写权限；请关闭后重试"
    if suffix in (".xlsx", ".xls", ".csv"):
        return "文件被其他程序（Excel/WPS）占用或没有写权限，请关闭后重试"
    return "文件正被其他程序打开，或没有写权限；请关闭后重试"


def _final_name(path: Path) -> str:
    """The name the clerk asked for, for a file staged under a pending name (io/staged.py)."""
    m = re.fullmatch(r"\.(.+)\.\d+\.villagectl-pending", path.name)
    return m.group(1) if m else path.name


def write_atomically(path: PathLike, data_or_producer: bytes | str | Producer, *, durable: bool = True) -> Path:
    """Write ``path`` whole or not at all; return it.

    ``data_or_producer``: the bytes (or text, written as UTF-8), or a function that writes the new
    file at the temp path it is given (``wb.save``, a copy …). ``durable`` False skips the fsyncs
    (a batch of thousands of passbooks that can be printed again: the rename still never leaves
    half a file). A failure raises :class:`FileAccessError` naming the file (exit 4) and leaves
    the old file as it was; the temp file is removed.
    """
    path = Path(path)
    if not path.parent.is_dir():
        raise FileAccessError(f"文件夹 {path.parent} 不存在，无法保存 {_final_name(path)}；请先建好这个文件夹")
    tmp = temp_path(path)
    try:
        if callable(data_or_producer):
            data_or_producer(tmp)
        else:
            data = data_or_producer.encode("utf-8") if isinstance(data_or_producer, str) else data_or_producer
            with open(tmp, "wb") as fh:
                fh.write(data)
        commit_temp(tmp, path, durable=durable)
    except PermissionError:
        raise FileAccessError(f"无法写入 {path.name}：{_holder(path)}") from None
    except OSError as exc:
        if exc.errno == errno.ENOSPC:
            raise FileAccessError(f"磁盘空间不足，无法保存 {path.name}") from None
        raise FileAccessError(f"无法写入 {path}：{exc.strerror or exc}") from None
    finally:
        if tmp.exists():
            tmp.unlink(missing_ok=True)
    return path
