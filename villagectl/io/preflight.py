"""Checks on an untrusted file before any parser sees it (DESIGN §6)."""

from __future__ import annotations

import re
import struct
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

from villagectl.errors import DataError, Location, Problem
from villagectl.io import csv_reader
from villagectl.io.filetype import sniff


@dataclass(frozen=True)
class Limits:
    max_file_bytes: int = 100 * 1024 * 1024
    max_unpacked_bytes: int = 400 * 1024 * 1024
    max_ratio: float = 200.0  # real sheets compress 5–50×; bombs 1000×
    max_cells: int = 5_000_000  # claimed by a <dimension>
    max_parts: int = 10_000
    # a CSV/TSV file: read whole in the child; 20 MB of short distinct cells peak at ~360 MB there (limit 512)
    max_text_bytes: int = 20 * 1024 * 1024


DEFAULT_LIMITS = Limits()

# The ledger is the clerk's own file, read in this process on every command: limits sized for a real ledger
# (a 5,000-household ledger is ~30 MB, ~250 MB unpacked, its parts compress 5–30×) that still stop a zip bomb
# before calamine inflates it.
LEDGER_LIMITS = Limits(
    max_file_bytes=1024 * 1024 * 1024,
    max_unpacked_bytes=2 * 1024 * 1024 * 1024,
    max_ratio=200.0,
    max_cells=50_000_000,
    max_parts=50_000,
)

DAMAGED = "文件已损坏，无法打开（可能没有传完整），请让填表人重新发送"
ENCRYPTED = "文件设置了密码（已加密），无法读取；请取消密码后另存再发"
_ZIP_ERRORS = (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError, NotImplementedError, RuntimeError,
               struct.error, KeyError, OverflowError, IndexError)

_DIM_RE = re.compile(rb"<(?:\w+:)?dimension\s+ref=\"([A-Z]+)(\d+)(?::([A-Z]+)(\d+))?\"")


def col_number(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + (ord(ch) - 64)
    return n


def col_letters(n: int) -> str:
    """1 → A, 27 → AA."""
    out = ""
    while n:
        n, rem = divmod(n - 1, 26)
        out = chr(65 + rem) + out
    return out


def _refuse(path: Path, message: str) -> DataError:
    return DataError(message, [Problem(Location(file=path.name), message)])


def check_file(path: Path, limits: Limits = DEFAULT_LIMITS, verify: bool = True) -> str:
    """Raise DataError if the file is not a sane spreadsheet; return its kind.

    ``verify`` also inflates every part of a zip package once, streaming (no part is held in memory), so
    that corrupt deflate data and CRC errors are refused here, by name, instead of surfacing in a parser.
    Any failure while looking at the file is a refusal of that file, never an internal error.
    """
    try:
        return _check_file(path, limits, verify)
    except DataError:
        raise
    except MemoryError:
        raise _refuse(path, "文件读取失败（内容异常或过大），已跳过；请在 Excel 中打开后另存再试") from None
    except Exception:  # a file that trips any library is a bad file, not a bug of the run
        raise _refuse(path, DAMAGED) from None


def check_ledger(path: Path, limits: Limits = LEDGER_LIMITS) -> None:
    """The same pre-flight checks for the ledger before calamine opens it (no full inflate: it is read next)."""
    try:
        _check_file(path, limits, verify=False, ledger=True)
    except DataError as exc:
        reason = "已损坏，无法打开" if exc.message == DAMAGED else exc.message.removesuffix("，拒绝读取")
        raise _ledger_refusal(path, reason) from None
    except Exception:
        raise _ledger_refusal(path, "已损坏，无法打开") from None


def _ledger_refusal(path: Path, reason: str) -> DataError:
    message = f"台账文件 {path.name} 不能读取：{reason}；台账未改动"
    return DataError(message, [Problem(Location(file=path.name), reason)],
                     hint="如果台账被改坏了，可以从旁边 .villagectl/backups 文件夹里找最近的备份，复制出来改回原名")


def _check_file(path: Path, limits: Limits, verify: bool, ledger: bool = False) -> str:
    try:
        size = path.stat().st_size
        kind = sniff(path)
    except OSError as exc:
        raise _refuse(path, f"无法读取文件：{exc.strerror or exc}") from None
    if ledger:
        if kind in ("xlsx", "ods"):
            if size > limits.max_file_bytes:
                raise _refuse(path, f"文件太大（{size // 1024 // 1024} MB），超过上限 {limits.max_file_bytes // 1024 // 1024} MB")
            _check_zip(path, limits, verify=False)
        return kind  # not a zip: the ledger's own checks say what it is
    if kind == "empty":
        raise _refuse(path, "文件是空的（0 字节），请让填表人重新发送")
    if kind in ("unknown",):
        if path.suffix.lower() in csv_reader.TEXT_SUFFIXES:
            raise _refuse(path, _text_refusal(path))
        raise _refuse(path, "不是电子表格文件（不是 xlsx、xls 或 ods），请检查是否发错了文件")
    if kind == "damaged":
        raise _refuse(path, DAMAGED)
    if size > limits.max_file_bytes:
        raise _refuse(path, f"文件太大（{size // 1024 // 1024} MB），超过上限 {limits.max_file_bytes // 1024 // 1024} MB")
    if kind in ("xlsx", "ods"):
        _check_zip(path, limits, verify)
    if kind in ("csv", "html"):
        _check_text(path, size, limits)
    return kind


def _text_refusal(path: Path) -> str:
    """Why a file named like a CSV is not one."""
    try:
        what = csv_reader.classify_file(path)
    except OSError as exc:
        return f"无法读取文件：{exc.strerror or exc}"
    if what == "undecodable":
        return csv_reader.ENCODING_MESSAGE
    if what == "plain":
        return csv_reader.PLAIN_TEXT_MESSAGE
    return csv_reader.BINARY_MESSAGE


def _check_text(path: Path, size: int, limits: Limits) -> None:
    if size > limits.max_text_bytes:
        raise _refuse(
            path,
            f"CSV 文件太大（{size // 1024 // 1024} MB），超过上限 {limits.max_text_bytes // 1024 // 1024} MB；"
            "请只发需要的表",
        )
    with open(path, "rb") as fh:
        if fh.read(2) in (b"\xff\xfe", b"\xfe\xff"):
            return  # UTF-16: NUL bytes are normal; the reader checks the decoded text
        fh.seek(0)
        while chunk := fh.read(1024 * 1024):
            if csv_reader.has_binary_bytes(chunk):
                raise _refuse(path, csv_reader.BINARY_MESSAGE)


def _check_zip(path: Path, limits: Limits, verify: bool = True) -> None:
    try:
        zf = zipfile.ZipFile(path)
    except _ZIP_ERRORS:
        raise _refuse(path, DAMAGED) from None
    with zf, open(path, "rb") as raw:
        infos = zf.infolist()
        if len(infos) > limits.max_parts:
            raise _refuse(path, "文件内部结构异常（部件过多），拒绝读取")
        total = 0
        for info in infos:
            if info.flag_bits & 0x1 or _local_flags(raw, info) & 0x1:
                raise _refuse(path, ENCRYPTED)
            total += info.file_size
            if info.file_size > 1_000_000 and (info.compress_size == 0 or (
                info.file_size / info.compress_size > limits.max_ratio
            )):
                raise _refuse(path, "文件压缩比异常（疑似“压缩炸弹”），拒绝读取")
        if total > limits.max_unpacked_bytes:
            raise _refuse(path, f"文件解压后过大（{total // 1024 // 1024} MB），拒绝读取")
        for info in infos:
            is_xml = info.filename.endswith((".xml", ".rels"))
            if not is_xml and not verify:
                continue
            try:
                with zf.open(info) as fh:
                    head = fh.read(4096)
                    if verify:  # read to the end: zipfile checks the CRC there
                        while fh.read(1 << 20):
                            pass
            except _ZIP_ERRORS:
                raise _refuse(path, DAMAGED) from None
            if not is_xml:
                continue
            if b"<!DOCTYPE" in head or b"<!ENTITY" in head:
                raise _refuse(path, "文件包含不允许的 XML 声明（DTD/实体），拒绝读取")
            match = _DIM_RE.search(head)
            if match and match.group(3):
                rows = int(match.group(4)) - int(match.group(2)) + 1
                cols = col_number(match.group(3).decode()) - col_number(match.group(1).decode()) + 1
                if rows * cols > limits.max_cells:
                    ref = "{}{}:{}{}".format(*(g.decode() for g in match.groups()))
                    raise _refuse(
                        path,
                        f"工作表声明的范围过大（{ref}），请在 Excel 中删除多余的空行空列后另存再试",
                    )


def _local_flags(raw, info: zipfile.ZipInfo) -> int:
    """The general-purpose flags of a part's local header (readers other than zipfile look there)."""
    raw.seek(info.header_offset)
    header = raw.read(30)
    if len(header) < 30 or header[:4] != b"PK\x03\x04":
        raise zipfile.BadZipFile("bad local header")
    return struct.unpack("<H", header[6:8])[0]
