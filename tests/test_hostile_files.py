"""Untrusted imports: pre-flight refusals and the sandboxed parse (more in the stress suite)."""

from __future__ import annotations

import zipfile
from pathlib import Path

import openpyxl
import pytest

from villagectl.errors import DataError
from villagectl.io.preflight import Limits, check_file
from villagectl.io.sandbox import read_untrusted


def _xlsx(path: Path) -> Path:
    wb = openpyxl.Workbook()
    wb.active.append(["户号", "户主"])
    wb.active.append(["001", "张三"])
    wb.save(path)
    return path


def _rewrite(path: Path, part: str, edit) -> None:
    tmp = path.with_suffix(".tmp")
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            dst.writestr(info, edit(data) if info.filename == part else data)
    tmp.replace(path)


def test_a_normal_file_passes_and_reads(tmp_path: Path) -> None:
    path = _xlsx(tmp_path / "ok.xlsx")
    assert check_file(path) == "xlsx"
    book = read_untrusted(path)
    assert book.sheets[0].rows[1] == ["001", "张三"]


def test_xml_entity_declarations_are_refused(tmp_path: Path) -> None:
    path = _xlsx(tmp_path / "bomb.xlsx")
    _rewrite(path, "xl/worksheets/sheet1.xml",
             lambda d: b'<!DOCTYPE x [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]>' + d)
    with pytest.raises(DataError, match="DTD"):
        check_file(path)


def test_a_sheet_claiming_the_whole_grid_is_refused(tmp_path: Path) -> None:
    path = _xlsx(tmp_path / "huge.xlsx")
    _rewrite(path, "xl/worksheets/sheet1.xml",
             lambda d: d.replace(b'<dimension ref="A1:B2" />', b'<dimension ref="A1:XFD1048576"/>'))
    with pytest.raises(DataError, match="范围过大（A1:XFD1048576）"):
        check_file(path)


def test_zip_bomb_ratio_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "ratio.xlsx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("xl/workbook.xml", "<workbook/>")
        zf.writestr("xl/worksheets/sheet1.xml", b"<a>" + b" " * 20_000_000 + b"</a>")
    with pytest.raises(DataError, match="压缩比异常"):
        check_file(path)


def test_unpacked_size_limit(tmp_path: Path) -> None:
    path = _xlsx(tmp_path / "big.xlsx")
    with pytest.raises(DataError, match="解压后过大"):
        check_file(path, Limits(max_unpacked_bytes=1000))


def test_child_process_out_of_memory_is_a_message_not_a_crash(tmp_path: Path) -> None:
    path = _xlsx(tmp_path / "ok.xlsx")
    with pytest.raises(DataError, match="读取失败"):
        read_untrusted(path, memory_bytes=8 * 1024 * 1024)  # the child dies; the parent carries on


def test_child_process_timeout(tmp_path: Path) -> None:
    path = _xlsx(tmp_path / "ok.xlsx")
    with pytest.raises(DataError, match="读取超时"):
        read_untrusted(path, timeout_s=0.001)
