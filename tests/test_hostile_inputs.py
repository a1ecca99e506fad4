"""Hostile inputs (issue 11: 7, 14, 20, 21): what a bad file, a bad ledger or a bad number may cost.

- 7: a corrupt zip (deflate data, encryption flag, CRC, truncated) or any exception while reading an
  untrusted file is a refusal of that file, in Chinese, naming it; the good files of the batch import;
  ``run --inbox`` moves the bad file to refused/ with its problem list. Every import command.
- 14: the ledger passes the same pre-flight checks (limits sized for a ledger) before it is read.
- 20: user errors get their documented exit code, never 70: a lock file that cannot be made (4), a file
  name too long (``passbook --all``), ``--qty inf``/``1e400``/``nan`` (2).
- 21: the sandbox child imports only the installed package, whatever the current folder holds.

The corrupt files are made here from good ones, byte by byte.
"""

from __future__ import annotations

import errno
import functools
import json
import os
import re
import resource
import shutil
import struct
import subprocess
import sys
import time
import zipfile
import zlib
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
import typer

from conftest import CADRE_ITEMS, add_households, household, invoke, invoke_json, sheet_part, titled_sheet
from test_hostile_files import _rewrite, _xlsx
from villagectl.errors import DataError
from villagectl.io import sandbox
from villagectl.io import preflight
from villagectl.io.preflight import check_file
from villagectl.io.sandbox import read_untrusted, read_untrusted_many
from villagectl.ledger.create import create_ledger
from villagectl.ledger.workbook import Ledger
from villagectl.demo import build_samples
from villagectl.values import clean_text

# --- corrupt files, made from good ones ------------------------------------------------------------------


def _sheet_member(path: Path) -> zipfile.ZipInfo:
    """The largest deflated XML part (a worksheet): the one a reader cannot skip."""
    with zipfile.ZipFile(path) as zf:
        parts = [i for i in zf.infolist() if i.compress_type == zipfile.ZIP_DEFLATED and i.filename.endswith(".xml")]
    return max(parts, key=lambda i: i.compress_size)


def _data_start(raw: bytes, info: zipfile.ZipInfo) -> int:
    name_len, extra_len = struct.unpack("<HH", raw[info.header_offset + 26:info.header_offset + 30])
    return info.header_offset + 30 + name_len + extra_len


def _central_entry(raw: bytes, name: str) -> int:
    """Offset of ``name``'s central-directory record."""
    at = raw.find(b"PK\x01\x02")
    while at != -1:
        n, m, k = struct.unpack("<HHH", raw[at + 28:at + 34])
        if raw[at + 46:at + 46 + n].decode("utf-8") == name:
            return at
        at = raw.find(b"PK\x01\x02", at + 46 + n + m + k)
    raise AssertionError(f"{name} not in the central directory")


def flipped_deflate(src: Path, dst: Path) -> Path:
    """16 bytes inverted in the middle of a worksheet's deflate stream."""
    raw = bytearray(src.read_bytes())
    info = _sheet_member(src)
    start = _data_start(raw, info) + info.compress_size // 3
    for k in range(start, start + 16):
        raw[k] ^= 0xFF
    dst.write_bytes(raw)
    return dst


def encryption_bit(src: Path, dst: Path, central: bool = False) -> Path:
    """The 'encrypted' flag set in a worksheet's local header (and, with ``central``, in the directory)."""
    raw = bytearray(src.read_bytes())
    info = _sheet_member(src)
    for at in [info.header_offset + 6] + ([_central_entry(raw, info.filename) + 8] if central else []):
        flags = struct.unpack("<H", raw[at:at + 2])[0] | 0x1
        raw[at:at + 2] = struct.pack("<H", flags)
    dst.write_bytes(raw)
    return dst


def wrong_crc(src: Path, dst: Path) -> Path:
    """A worksheet's CRC-32 changed in both headers: the data inflates, but is not what was written."""
    raw = bytearray(src.read_bytes())
    info = _sheet_member(src)
    bad = struct.pack("<I", info.CRC ^ 0x5A5A5A5A)
    raw[info.header_offset + 14:info.header_offset + 18] = bad
    at = _central_entry(raw, info.filename)
    raw[at + 16:at + 20] = bad
    dst.write_bytes(raw)
    return dst


def truncated(src: Path, dst: Path) -> Path:
    """The first half of the file (a transfer cut off)."""
    raw = src.read_bytes()
    dst.write_bytes(raw[: len(raw) // 2])
    return dst


CORRUPTIONS = {
    "压缩数据损坏": flipped_deflate,
    "加密标志": encryption_bit,
    "加密标志_目录": functools.partial(encryption_bit, central=True),
    "校验码错误": wrong_crc,
    "只传了一半": truncated,
}


def corrupt_set(good: Path, folder: Path) -> list[Path]:
    """One corrupt copy of ``good`` per kind of damage, named ``<stem>_<damage><suffix>``."""
    folder.mkdir(parents=True, exist_ok=True)
    return [make(good, folder / f"{good.stem}_{kind}{good.suffix}") for kind, make in CORRUPTIONS.items()]


def refused_names(data: dict) -> set[str]:
    return {p["file"] for p in data.get("problems", []) if p.get("severity", "错误") == "错误"}


def no_internal_error(result) -> None:
    assert result.exit_code != 70, result.stdout + result.stderr
    assert "程序内部错误" not in result.stdout + result.stderr


# --- shared villages ---------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def _village(tmp_path_factory) -> dict:
    made = build_samples(tmp_path_factory.mktemp("hostile") / "村")
    return made


@pytest.fixture
def village(_village, tmp_path: Path) -> dict:
    """A fresh copy of the sample village: ledger, roster, the four July sheets."""
    root = tmp_path / "村"
    shutil.copytree(Path(_village["ledger"]).parent, root)
    old = Path(_village["ledger"]).parent
    moved = {k: root / Path(v).relative_to(old) for k, v in _village.items() if isinstance(v, Path)}
    moved["inspections"] = [root / Path(p).relative_to(old) for p in _village["inspections"]]
    return moved


# --- 7: the pre-flight and the sandbox refuse every kind of damage -----------------------------------------


@pytest.mark.parametrize("kind", CORRUPTIONS)
def test_each_damage_is_a_refusal_in_chinese(tmp_path: Path, kind: str) -> None:
    good = _xlsx(tmp_path / "好.xlsx")
    bad = CORRUPTIONS[kind](good, tmp_path / f"坏_{kind}.xlsx")
    with pytest.raises(DataError) as caught:
        check_file(bad)
    assert caught.value.problems[0].location.file == bad.name
    assert any("\u4e00" <= ch <= "\u9fff" for ch in caught.value.message)
    message = caught.value.message
    assert ("密码" in message) if kind.startswith("加密") else ("损坏" in message)


def test_a_batch_reads_its_good_files_and_refuses_each_bad_one(tmp_path: Path) -> None:
    good = _xlsx(tmp_path / "好.xlsx")
    bad = corrupt_set(good, tmp_path / "坏")
    results = read_untrusted_many([good, *bad])
    assert results[good].sheets[0].rows[1] == ["001", "张三"]
    for path in bad:
        assert isinstance(results[path], DataError), path.name


def test_an_unexpected_exception_in_the_pre_flight_is_a_refusal(tmp_path: Path, monkeypatch) -> None:
    good = _xlsx(tmp_path / "好.xlsx")

    def broken_sniff(path):
        raise struct.error("unpack requires a buffer of 4 bytes")

    monkeypatch.setattr(preflight, "sniff", broken_sniff)
    with pytest.raises(DataError, match="损坏"):
        check_file(good)
    assert isinstance(read_untrusted_many([good])[good], DataError)


def test_an_exception_in_an_importer_refuses_that_file_only(village, runner, monkeypatch) -> None:
    from villagectl.actions import inspect_import

    real = inspect_import.read_inspection_file

    def fragile(book, name, ctx):
        if name.startswith("第二组"):
            raise ZeroDivisionError("division by zero")
        return real(book, name, ctx)

    monkeypatch.setattr(inspect_import, "read_inspection_file", fragile)
    result, data = invoke_json(runner, "inspect", "import", village["ledger"], *village["inspections"],
                               "--date", "2026-07-25")
    no_internal_error(result)
    assert result.exit_code == 1
    status = {f["file"]: f["status"] for f in data["files"]}
    assert status.pop("第二组2026年7月评分.xlsx") == "拒绝"
    assert set(status.values()) == {"已导入"}
    [refused] = [f for f in data["files"] if f["file"] == "第二组2026年7月评分.xlsx"]
    message = refused["problems"][0]["message"]
    assert "ZeroDivisionError" in message and "文件未导入" in message


# --- 7: every import command -------------------------------------------------------------------------------


def test_inspect_import_takes_the_good_sheets_and_refuses_each_corrupt_one(village, runner, tmp_path) -> None:
    first, *others = village["inspections"]
    bad = corrupt_set(first, tmp_path / "坏")
    result, data = invoke_json(runner, "inspect", "import", village["ledger"], *others, *bad, "--date", "2026-07-25")
    no_internal_error(result)
    assert result.exit_code == 1
    status = {f["file"]: f["status"] for f in data["files"]}
    assert {status[p.name] for p in others} == {"已导入"}
    assert {status[p.name] for p in bad} == {"拒绝"}
    for f in data["files"]:
        if f["file"] in {p.name for p in bad}:
            assert any(("损坏" in m["message"] or "密码" in m["message"]) and m["file"] == f["file"] for m in f["problems"])
    records = Ledger.open(village["ledger"]).frame("检查记录")
    assert set(records["来源文件"].map(clean_text)) == {p.name for p in others}


def test_run_inbox_imports_the_good_files_and_moves_each_corrupt_one_to_refused(village, runner, tmp_path) -> None:
    inbox = tmp_path / "收件箱"
    inbox.mkdir()
    first, *others = village["inspections"]
    for p in others:
        shutil.copy(p, inbox)
    bad = corrupt_set(first, inbox)
    result = invoke(runner, "run", village["ledger"], "--inbox", inbox, "--date", "2026-07-26")
    no_internal_error(result)
    assert result.exit_code == 6, result.stderr  # done, some files refused
    assert sorted(p.name for p in (inbox / "已导入").iterdir()) == sorted(p.name for p in others)
    refused = {p.name for p in (inbox / "refused").iterdir()}
    for p in bad:
        assert p.name in refused and f"{p.name}.问题.xlsx" in refused
        sheet = openpyxl.load_workbook(inbox / "refused" / f"{p.name}.问题.xlsx").active
        text = " ".join(str(c.value) for row in sheet.iter_rows() for c in row if c.value)
        assert "损坏" in text or "密码" in text
    assert [p for p in inbox.iterdir() if p.is_file()] == []
    # the corrupt sheet was the first group's: the month is scored but not published until it comes back good
    assert "2026-07 还不完整，没有打印公示：第一组" in result.stderr
    assert not (village["ledger"].parent / "公示" / "2026-07积分公示.pdf").exists()


def test_households_import_names_each_corrupt_roster(village, runner, tmp_path) -> None:
    bad = corrupt_set(village["roster"], tmp_path / "坏")
    before = village["ledger"].read_bytes()
    result, data = invoke_json(runner, "households", "import", village["ledger"], village["roster"], *bad)
    no_internal_error(result)
    assert result.exit_code == 1  # documented: any error refuses the batch unless --skip-invalid
    assert refused_names(data) >= {p.name for p in bad}
    assert village["ledger"].read_bytes() == before
    result, data = invoke_json(runner, "households", "import", village["ledger"], village["roster"], *bad,
                               "--skip-invalid")
    no_internal_error(result)
    assert refused_names(data) >= {p.name for p in bad}
    assert {"ZP065", "ZP066"} <= set(Ledger.open(village["ledger"]).frame("户籍")["户号"].map(clean_text))


def _event_sheet(path: Path, rows: list[list]) -> Path:
    return titled_sheet(path, "文明村2026年5月积分申报汇总表", ["序号", "户主", "组别", "积分项目", "次数", "日期", "说明"],
                        rows, footer="填表人：王网格员")


def test_event_import_takes_the_good_sheet_and_refuses_each_corrupt_one(runner, tmp_path) -> None:
    ledger = tmp_path / "文明村.xlsx"
    create_ledger(ledger, "文明村", "wenming")
    add_households(ledger, [household("001", "张三", size=4, 参评人数=4), household("002", "李四", "第二组", 2)])
    good = _event_sheet(tmp_path / "好.xlsx", [[1, "张三", "第一组", "志愿服务（每次）", 2, "2026-05-03", "清扫"],
                                               [2, "李四", "第二组", "见义勇为", 1, "2026-05-04", ""]])
    bad = corrupt_set(good, tmp_path / "坏")
    result, data = invoke_json(runner, "event", "import", ledger, good, *bad)
    no_internal_error(result)
    assert result.exit_code == 1
    assert sorted(data["refused_files"]) == sorted(p.name for p in bad)
    assert len(Ledger.open(ledger).frame("积分事件")) == 2


def _day_sheet(path: Path) -> Path:
    return titled_sheet(path, "中坪村爱心超市2026年8月1日兑换登记表", ["序号", "户号", "户主", "物品", "数量", "积分", "备注"],
                        [[1, "ZP002", "赵光明", "毛巾", 2, 10, ""]], footer="制表人：李秀兰")


@pytest.mark.parametrize("kind", CORRUPTIONS)
def test_redeem_import_refuses_a_corrupt_day_sheet_by_name(village, runner, tmp_path, kind) -> None:
    good = _day_sheet(tmp_path / "8月1日兑换.xlsx")
    bad = CORRUPTIONS[kind](good, tmp_path / f"8月1日兑换_{kind}.xlsx")
    before = village["ledger"].read_bytes()
    result = invoke(runner, "redeem", "import", village["ledger"], bad, "--no-print")
    no_internal_error(result)
    assert result.exit_code == 1
    assert bad.name in result.stderr and ("损坏" in result.stderr or "密码" in result.stderr)
    assert village["ledger"].read_bytes() == before


def test_redeem_import_still_takes_a_good_day_sheet_after_a_bad_one(village, runner, tmp_path) -> None:
    good = _day_sheet(tmp_path / "8月1日兑换.xlsx")
    assert invoke(runner, "redeem", "import", village["ledger"], truncated(good, tmp_path / "半.xlsx"),
                  "--no-print").exit_code == 1
    result = invoke(runner, "redeem", "import", village["ledger"], good, "--no-print")
    assert result.exit_code == 0, result.stderr


def _votes(path: Path, rows: list[list]) -> Path:
    return titled_sheet(path, "中坪村2026年度村民互评计票表", ["户号", "户主", "参评票数", "不合格票数"], rows,
                        footer="计票人：张三")


def test_vote_import_names_each_corrupt_tally_and_writes_nothing(village, runner, tmp_path) -> None:
    good = _votes(tmp_path / "计票.xlsx", [["ZP001", "何文华", 30, 2], ["ZP002", "赵光明", 30, 1]])
    bad = corrupt_set(good, tmp_path / "坏")
    before = village["ledger"].read_bytes()
    result, data = invoke_json(runner, "vote", "import", village["ledger"], good, *bad, "--year", "2026")
    no_internal_error(result)
    assert result.exit_code == 1  # documented: the tally is all or nothing
    assert refused_names(data) >= {p.name for p in bad}
    assert village["ledger"].read_bytes() == before
    result, data = invoke_json(runner, "vote", "import", village["ledger"], good, "--year", "2026")
    assert result.exit_code == 0 and data["households"] == 2


def test_cadre_import_takes_the_good_materials_and_refuses_each_corrupt_one(runner, tmp_path) -> None:
    ledger = tmp_path / "村.xlsx"
    create_ledger(ledger, "中坪村", "zhongping")
    book = Ledger.open(ledger)
    book.replace("干部", pd.DataFrame([{"编号": "GB01", "姓名": "王书记", "职务": "书记", "类别": "村干部", "状态": "在职"}],
                                      dtype=object))
    book.save("test")
    good = titled_sheet(tmp_path / "评分_甲.xlsx", "2026年村干部绩效考评评分表", ["编号", "姓名"] + CADRE_ITEMS,
                        [["GB01", "王书记", 24, 14, 24, 19, 14]], footer="考核人：镇考核组甲")
    bad = corrupt_set(good, tmp_path / "坏")
    result, data = invoke_json(runner, "cadre", "import", ledger, good, *bad, "--year", "2026")
    no_internal_error(result)
    assert result.exit_code == 1
    assert sorted(data["refused_files"]) == sorted(p.name for p in bad)
    assert data["counts"] == {"assessment_scores": 5}


def _hostile_transfer_files(tmp_path: Path) -> list[Path]:
    files = corrupt_set(_xlsx(tmp_path / "转移单.xlsx"), tmp_path / "坏")  # a zip where JSON belongs
    for name, body in {
        "深层嵌套.json": b"[" * 100_000 + b"]" * 100_000,
        "对象嵌套.json": b'{"a":' * 900 + b"1" + b"}" * 900,
        "超长数字.json": b'{"format":"villagectl-\xe7\xa7\xaf\xe5\x88\x86\xe8\xbd\xac\xe7\xa7\xbb\xe5\x8d\x95-1","balance":'
                         + b"9" * 5000 + b"}",
        "非数.json": b'{"format":"villagectl-\xe7\xa7\xaf\xe5\x88\x86\xe8\xbd\xac\xe7\xa7\xbb\xe5\x8d\x95-1","balance":NaN}',
        "截断.json": b'{"format":"villagectl-',
    }.items():
        (tmp_path / name).write_bytes(body)
        files.append(tmp_path / name)
    return files


def test_transfer_in_refuses_every_hostile_file_in_chinese(village, runner, tmp_path) -> None:
    before = village["ledger"].read_bytes()
    for path in _hostile_transfer_files(tmp_path):
        result = invoke(runner, "transfer", "in", village["ledger"], path)
        no_internal_error(result)
        assert result.exit_code == 1, (path.name, result.stderr)
        assert path.name in result.stderr and "不是有效的积分转移单" in result.stderr, path.name
    assert village["ledger"].read_bytes() == before


# --- 14: the ledger's own pre-flight -----------------------------------------------------------------------


def _raw_zip(path: Path, members: list[tuple[str, bytes, int, int]]) -> None:
    """A zip written by hand: (name, raw deflate data, CRC-32, unpacked size) per member."""
    out, central = bytearray(), bytearray()
    for name, data, crc, size in members:
        encoded = name.encode("utf-8")
        offset = len(out)
        out += struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0x800, 8, 0, 0x21, crc, len(data), size, len(encoded), 0)
        out += encoded + data
        central += struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0x800, 8, 0, 0x21, crc, len(data), size,
                               len(encoded), 0, 0, 0, 0, 0, offset)
        central += encoded
    out += central + struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(members), len(members), len(central), len(out), 0)
    path.write_bytes(out)


def _deflated(data: bytes) -> bytes:
    c = zlib.compressobj(6, zlib.DEFLATED, -15)
    return c.compress(data) + c.flush()


def zip_bomb_ledger(ledger: Path, out: Path, unpacked: int = 2_600_000_000) -> Path:
    """``ledger`` with its 积分流水 worksheet replaced by ~2.6 GB of rows that deflate ~1000×.

    The stream is one fully flushed block repeated (a valid deflate stream, made in milliseconds).
    """
    part = sheet_part(ledger, "积分流水")
    chunk = b'<row><c t="inlineStr"><is><t>x</t></is></c></row>' * 300_000
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    block = c.compress(chunk) + c.flush(zlib.Z_FULL_FLUSH)
    times = unpacked // len(chunk)
    head = b'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
    tail = b"</sheetData></worksheet>"
    c2 = zlib.compressobj(9, zlib.DEFLATED, -15)
    stream = c2.compress(head) + c2.flush(zlib.Z_FULL_FLUSH) + block * times
    c3 = zlib.compressobj(9, zlib.DEFLATED, -15)
    stream += c3.compress(tail) + c3.flush()
    members = []
    with zipfile.ZipFile(ledger) as zf:
        for info in zf.infolist():
            if info.filename == part:
                members.append((part, stream, 0, len(head) + len(chunk) * times + len(tail)))  # CRC not checked by readers
            else:
                data = zf.read(info.filename)
                members.append((info.filename, _deflated(data), zlib.crc32(data), len(data)))
    _raw_zip(out, members)
    return out


def test_a_zip_bomb_ledger_is_refused_fast_in_small_memory(village, tmp_path) -> None:
    bomb = zip_bomb_ledger(village["ledger"], tmp_path / "台账.xlsx")
    assert bomb.stat().st_size < 20_000_000
    limit = 2 * 1024 ** 3  # the machine's safety net should the refusal fail: calamine would take ~5 GB

    def cap() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    wrapper = ("import resource, subprocess, sys; p = subprocess.run(sys.argv[1:], capture_output=True, text=True); "
               "sys.stdout.write(p.stderr); "
               "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, p.returncode, file=sys.stderr)")
    start = time.monotonic()
    proc = subprocess.run([sys.executable, "-c", wrapper, sys.executable, "-m", "villagectl", "check", str(bomb)],
                          capture_output=True, text=True, preexec_fn=cap, timeout=120,
                          env={**os.environ, "COLUMNS": "200"})
    seconds = time.monotonic() - start
    peak_kb, code = (int(x) for x in proc.stderr.split()[-2:])
    assert code == 1, proc.stdout
    assert "台账文件 台账.xlsx 不能读取" in proc.stdout and ("压缩" in proc.stdout or "解压后过大" in proc.stdout)
    assert seconds < 20 and peak_kb < 400 * 1024, (seconds, peak_kb)


def test_the_ledger_pre_flight_refuses_dtd_dimensions_and_damage(village, tmp_path) -> None:
    ledger = village["ledger"]
    part = sheet_part(ledger, "户籍")

    dtd = tmp_path / "dtd" / "台账.xlsx"
    dtd.parent.mkdir()
    shutil.copy(ledger, dtd)
    _rewrite(dtd, part, lambda d: b'<!DOCTYPE x [<!ENTITY a "aaaa">]>' + d)
    with pytest.raises(DataError, match="DTD"):
        Ledger.open(dtd)

    wide = tmp_path / "wide" / "台账.xlsx"
    wide.parent.mkdir()
    shutil.copy(ledger, wide)
    _rewrite(wide, part, lambda d: re.sub(rb'<dimension ref="[^"]*"', b'<dimension ref="A1:XFD1048576"', d, count=1))
    with pytest.raises(DataError, match="范围过大"):
        Ledger.open(wide)



@pytest.mark.parametrize("kind", [k for k in CORRUPTIONS if k != "校验码错误"])  # CRC: see docs/safety.md
def test_a_damaged_ledger_is_a_chinese_refusal_not_an_internal_error(village, runner, tmp_path, kind) -> None:
    bad = CORRUPTIONS[kind](village["ledger"], tmp_path / "台账.xlsx")
    result = invoke(runner, "check", bad)
    no_internal_error(result)
    assert result.exit_code == 1, result.stderr
    assert "台账" in result.stderr and ("损坏" in result.stderr or "密码" in result.stderr)


def test_a_real_ledger_passes_its_pre_flight(village) -> None:
    preflight.check_ledger(village["ledger"])  # no exception


# --- 20: user errors get their documented exit codes -------------------------------------------------------


@pytest.mark.parametrize("value, words", [("inf", "太大"), ("1e400", "太大"), ("-inf", "太大"), ("nan", "nan"),
                                          ("1e308", "太大")])
def test_redeem_qty_that_is_no_number_is_a_usage_error(village, runner, value, words) -> None:
    before = village["ledger"].read_bytes()
    result = invoke(runner, "redeem", village["ledger"], "--household", "ZP002", "--item", "毛巾", "--qty", value,
                    "--no-print")
    no_internal_error(result)
    assert result.exit_code == 2, result.stderr  # not 1 ("balance too low" for nan read as 1), not 70
    assert "--qty" in result.stderr and words in result.stderr
    assert village["ledger"].read_bytes() == before


@pytest.mark.parametrize("args", [
    ("households", "import", "{ledger}", "{roster}", "--dry-run", "--wait", "nan"),
    ("households", "import", "{ledger}", "{roster}", "--dry-run", "--wait", "inf"),
    ("households", "import", "{ledger}", "{roster}", "--dry-run", "--wait", "-1"),
    ("score", "year", "{ledger}", "--year", "99999999999999999999"),
    ("redeem", "{ledger}", "--household", "ZP002", "--item", "自制", "--points", "1e400", "--reason", "x"),
    ("passbook", "{ledger}", "--household", "ZP002", "--jobs", "0"),
])
def test_other_numbers_out_of_range_are_usage_errors(village, runner, args) -> None:
    args = [a.format(ledger=village["ledger"], roster=village["roster"]) for a in args]
    result = invoke(runner, *args)
    no_internal_error(result)
    assert result.exit_code == 2, result.stdout + result.stderr
    assert "取值无效" in result.stderr


def test_every_numeric_option_passes_the_one_number_check() -> None:
    from villagectl.cli import shop_commands
    from villagectl.cli.main import app

    def commands(group, path=()):
        for name, cmd in getattr(group, "commands", {}).items():
            if getattr(cmd, "commands", None):
                yield from commands(cmd, path + (name,))
            else:
                yield path + (name,), cmd

    found = list(commands(typer.main.get_command(app))) + [(("redeem",), shop_commands._direct_command())]
    numeric = []
    for path, cmd in found:
        for param in cmd.params:
            annotation = str(param.type_descriptor.annotation)
            if "int" in annotation or "float" in annotation:
                numeric.append((path, param.name))
                assert getattr(param.callback, "checks_numbers", False), f"{' '.join(path)} --{param.name}"
    assert (("redeem",), "qty") in numeric and len(numeric) > 20


def test_redeem_import_with_an_absurd_quantity_cell_is_a_data_error(village, runner, tmp_path) -> None:
    sheet = titled_sheet(tmp_path / "兑换.xlsx", "中坪村爱心超市2026年8月1日兑换登记表",
                         ["序号", "户号", "户主", "物品", "数量", "积分", "备注"], [[1, "ZP002", "赵光明", "毛巾", 1e308, None, ""]])
    result = invoke(runner, "redeem", "import", village["ledger"], sheet, "--no-print")
    no_internal_error(result)
    assert result.exit_code == 1 and "数量太大" in result.stderr


def test_a_lock_file_that_cannot_be_made_is_exit_4(village, runner) -> None:
    ledger = village["ledger"]
    lock = ledger.parent / ".villagectl" / f"{ledger.name}.lock"
    lock.parent.mkdir(exist_ok=True)
    lock.unlink(missing_ok=True)
    lock.mkdir()  # what a read-only folder does to the lock, reproducible as root too
    before = ledger.read_bytes()
    result = invoke(runner, "households", "import", ledger, village["roster"])
    no_internal_error(result)
    assert result.exit_code == 4, result.stderr
    assert "无法建立锁文件" in result.stderr and "文件夹" in result.stderr
    assert ledger.read_bytes() == before


def test_a_read_only_lock_location_is_exit_4(village, runner, monkeypatch) -> None:
    from filelock import FileLock

    def denied(self, *args, **kwargs):
        raise PermissionError(errno.EACCES, "Permission denied", self.lock_file)

    monkeypatch.setattr(FileLock, "acquire", denied)
    result = invoke(runner, "households", "import", village["ledger"], village["roster"])
    no_internal_error(result)
    assert result.exit_code == 4 and "没有权限" in result.stderr


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root writes into read-only folders")
def test_a_read_only_ledger_folder_is_exit_4(village, runner) -> None:
    folder = village["ledger"].parent
    shutil.rmtree(folder / ".villagectl", ignore_errors=True)
    folder.chmod(0o555)
    try:
        result = invoke(runner, "households", "import", village["ledger"], village["roster"])
    finally:
        folder.chmod(0o755)
    no_internal_error(result)
    assert result.exit_code == 4


def test_an_unhandled_file_error_is_exit_4_in_chinese(village, runner, tmp_path) -> None:
    target = tmp_path / ("存" * 120 + ".pdf")  # 360 bytes: longer than any file system allows
    result = invoke(runner, "passbook", village["ledger"], "--household", "ZP002", "-o", target)
    no_internal_error(result)
    assert result.exit_code == 4, result.stderr
    assert "文件名或路径太长" in result.stderr


def test_passbook_all_prints_a_household_whose_name_is_too_long_for_a_file(village, runner, tmp_path) -> None:
    ledger = Ledger.open(village["ledger"])
    frame = ledger.frame("户籍").copy()
    frame.loc[frame["户号"].map(clean_text) == "ZP002", "户主"] = "赵" * 200
    ledger.replace("户籍", frame)
    ledger.save("test-setup")
    folder = tmp_path / "存折"
    result, data = invoke_json(runner, "passbook", village["ledger"], "--all", "-o", folder, "--jobs", "1")
    no_internal_error(result)
    assert result.exit_code == 0, data
    names = [Path(f).name for f in data["files"]]
    long = next(n for n in names if n.startswith("ZP002_"))
    assert len(long.encode("utf-8")) <= 160 and long.endswith("积分存折.pdf") and (folder / long).exists()
    assert len(names) == len(set(names)) == data["households"]


# --- 21: the sandbox child imports only the installed package ----------------------------------------------


def _fake_package(root: Path, marker: Path) -> Path:
    fake = root / "villagectl" / "io"
    fake.mkdir(parents=True)
    (root / "villagectl" / "__init__.py").write_text("", encoding="utf-8")
    (fake / "__init__.py").write_text("", encoding="utf-8")
    code = f"from pathlib import Path\nPath({str(marker)!r}).write_text('ran')\n"
    (fake / "sandbox.py").write_text(code, encoding="utf-8")
    (fake / "reader.py").write_text(code, encoding="utf-8")
    return root


def test_a_villagectl_folder_in_the_current_folder_does_not_replace_the_sandbox(tmp_path, monkeypatch) -> None:
    good = _xlsx(tmp_path / "好.xlsx")
    marker = tmp_path / "ran.txt"
    cwd = _fake_package(tmp_path / "工作目录", marker)
    monkeypatch.chdir(cwd)
    book = read_untrusted(good)
    assert not marker.exists(), "the child ran villagectl/io/sandbox.py from the current folder"
    assert book.sheets[0].rows[1] == ["001", "张三"]


def test_pythonpath_does_not_replace_the_sandbox_either(tmp_path, monkeypatch) -> None:
    good = _xlsx(tmp_path / "好.xlsx")
    marker = tmp_path / "ran.txt"
    monkeypatch.setenv("PYTHONPATH", str(_fake_package(tmp_path / "别处", marker)))
    assert read_untrusted(good).sheets[0].rows[1] == ["001", "张三"]
    assert not marker.exists()


def test_the_child_is_started_isolated_with_the_installed_package_first() -> None:
    import villagectl

    cmd = sandbox.child_command([Path("x.xlsx")])
    assert cmd[0] == sys.executable and "-I" in cmd and "-m" not in cmd
    assert str(Path(villagectl.__file__).resolve().parent.parent) in cmd[cmd.index("-c") + 1]
    json.dumps(cmd)  # plain strings only
