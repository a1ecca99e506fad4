"""Checks on an untrusted file before any parser sees it (DESIGN §6)."""

from __future__ import annotations

import re
import zipfile
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


def check_file(path: Path, limits: Limits = DEFAULT_LIMITS) -> str:
    """Raise DataError if the file is not a sane spreadsheet; return its kind."""
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise _refuse(path, f"无法读取文件：{exc.strerror or exc}") from None
    kind = sniff(path)
    if kind == "empty":
        raise _refuse(path, "文件是空的（0 字节），请让填表人重新发送")
    if kind in ("unknown",):
        if path.suffix.lower() in csv_reader.TEXT_SUFFIXES:
            raise _refuse(path, _text_refusal(path))
        raise _refuse(path, "不是电子表格文件（不是 xlsx、xls 或 ods），请检查是否发错了文件")
    if kind == "damaged":
        raise _refuse(path, "文件已损坏，无法打开（可能没有传完整），请让填表人重新发送")
    if size > limits.max_file_bytes:
        raise _refuse(path, f"文件太大（{size // 1024 // 1024} MB），超过上限 {limits.max_file_bytes // 1024 // 1024} MB")
    if kind in ("xlsx", "ods"):
        _check_zip(path, limits)
    if kind == "csv":
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


def _check_zip(path: Path, limits: Limits) -> None:
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, ValueError):
        raise _refuse(path, "文件已损坏，无法打开（可能没有传完整），请让填表人重新发送") from None
    with zf:
        infos = zf.infolist()
        if len(infos) > limits.max_parts:
            raise _refuse(path, "文件内部结构异常（部件过多），拒绝读取")
        total = 0
        for info in infos:
            total += info.file_size
            if info.file_size > 1_000_000 and info.compress_size and (
                info.file_size / info.compress_size > limits.max_ratio
            ):
                raise _refuse(path, "文件压缩比异常（疑似“压缩炸弹”），拒绝读取")
        if total > limits.max_unpacked_bytes:
            raise _refuse(path, f"文件解压后过大（{total // 1024 // 1024} MB），拒绝读取")
        for info in infos:
            if not info.filename.endswith((".xml", ".rels")):
                continue
            try:
                with zf.open(info) as fh:
                    head = fh.read(4096)
            except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError):
                raise _refuse(path, "文件已损坏，无法打开（可能没有传完整），请让填表人重新发送") from None
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
