"""Unattended and under stress: crashes, concurrency, fuzzing, hostile files, formula injection.

Marked ``stress``: they are part of the normal run (CI runs them), bounded to a
couple of minutes on the 2-core machine. ``pytest -m "not stress"`` skips them.
"""

from __future__ import annotations

import datetime as dt
import os
import random
import resource
import signal
import subprocess
import sys
import time
import zipfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import add_households, household, invoke
from villagectl.actions.check import find_problems
from villagectl.errors import DataError
from villagectl.importers.inspection import Context, read_inspection_file
from villagectl.importers.roster import read_roster
from villagectl.io.reader import SheetRows, WorkbookRows
from villagectl.io.sandbox import read_untrusted_many
from villagectl.ledger.create import create_ledger
from villagectl.ledger.workbook import Ledger
from villagectl.rules.presets import ZHONGPING
from villagectl.demo import build_samples

pytestmark = pytest.mark.stress

def _save_once(path: str, n: int) -> None:
    """One write-back, as a command makes it (runs in a forked child that may be killed)."""
    from villagectl.io.safe_write import ledger_lock
    from villagectl.ledger.journal import NewEntry, append_entries

    with ledger_lock(Path(path), 30):
        ledger = Ledger.open(Path(path))
        journal, _ = append_entries(ledger.frame("积分流水"), [NewEntry("ZP001", "加分", 1, f"压力测试 {n}")], "2026-08-01", "测试")
        ledger.replace("积分流水", journal)
        ledger.save("stress")


def _entries(path: Path) -> list[str]:
    return [s for s in Ledger.open(path).frame("积分流水")["摘要"] if s.startswith("压力测试")]


def kill_loop(path: Path, rounds: int = 200) -> dict:
    """Kill forked savers at random moments; returns the outcomes and any failure.

    Runs in a fresh interpreter (see the test): forking a small process keeps each
    save's timing steady, so the kills land on both sides of the final rename.
    """
    import multiprocessing

    fork = multiprocessing.get_context("fork")
    durations = []
    for n in (-1, -2, -3):
        start = time.perf_counter()
        probe = fork.Process(target=_save_once, args=(str(path), n))
        probe.start()
        probe.join()
        durations.append(time.perf_counter() - start)
    save_time = sorted(durations)[1]
    rnd = random.Random(20261123)
    expected = _entries(path)
    outcomes = {"old": 0, "new": 0, "failures": []}
    for i in range(rounds):
        before = path.read_bytes()
        child = fork.Process(target=_save_once, args=(str(path), i))
        child.start()
        time.sleep(rnd.uniform(0, save_time * 2))
        if child.is_alive():
            os.kill(child.pid, signal.SIGKILL)
        child.join()
        if path.read_bytes() == before:
            outcomes["old"] += 1  # killed before the rename: the old version, byte for byte
            continue
        outcomes["new"] += 1
        expected.append(f"压力测试 {i}")
        ledger = Ledger.open(path)
        got = [s for s in ledger.frame("积分流水")["摘要"] if s.startswith("压力测试")]
        if got != expected:
            outcomes["failures"].append(f"round {i}: journal ends {got[-2:]}")
        errors = [str(p) for p in find_problems(ledger) if p.severity == "错误"]
        if errors:
            outcomes["failures"].append(f"round {i}: {errors[:2]}")
    return outcomes


def test_sigkill_at_random_moments_during_write_back_200_times(tmp_path: Path) -> None:
    """After each kill the file opens, is either the old or the new version, and passes check."""
    import json

    path = Path(build_samples(tmp_path / "村")["ledger"])
    here = Path(__file__).parent
    code = (f"import sys, json; sys.path.insert(0, {str(here)!r}); from pathlib import Path; "
            f"from test_stress import kill_loop; print(json.dumps(kill_loop(Path({str(path)!r}))))")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-2000:]
    outcomes = json.loads(proc.stdout.strip().splitlines()[-1])
    assert outcomes["failures"] == []
    assert outcomes["old"] >= 20 and outcomes["new"] >= 20, outcomes  # kills landed on both sides of the rename
    ledger = Ledger.open(path)  # still writable; the next save clears any stale temp file
    ledger.replace("商品", ledger.frame("商品"))
    ledger.save("after-stress")
    assert not list(path.parent.glob(".villagectl-tmp-*"))
    assert [p for p in find_problems(Ledger.open(path)) if p.severity == "错误"] == []


def test_two_runs_at_once_lose_and_double_nothing(tmp_path: Path) -> None:
    path = tmp_path / "文明村.xlsx"
    create_ledger(path, "文明村", "wenming")
    add_households(path, [household("001", "张三"), household("002", "李四")])

    def adds(household_id: str) -> list[int]:
        codes = []
        for i in range(5):
            proc = subprocess.run([sys.executable, "-m", "villagectl", "event", "add", str(path), "--household", household_id,
                                   "--rule", "HJ02", "--date", f"2026-03-0{i + 1}", "--wait", "60"], capture_output=True)
            codes.append(proc.returncode)
        return codes

    with ThreadPoolExecutor(max_workers=2) as pool:
        codes = list(pool.map(adds, ["001", "002"]))
    assert codes == [[0] * 5, [0] * 5]
    events = Ledger.open(path).frame("积分事件")
    assert sorted(events["事件号"]) == [f"E{i:06d}" for i in range(1, 11)]
    assert sorted(events["户号"].tolist()) == ["001"] * 5 + ["002"] * 5
    assert len(Ledger.open(path).frame("操作日志")) == 2 + 10  # init, setup, ten adds


def test_a_held_ledger_refuses_at_once_without_wait(tmp_path: Path, runner) -> None:
    from villagectl.io.safe_write import ledger_lock

    path = tmp_path / "文明村.xlsx"
    create_ledger(path, "文明村", "wenming")
    add_households(path, [household("001", "张三")])
    with ledger_lock(path):
        start = time.perf_counter()
        result = invoke(runner, "event", "add", path, "--household", "001", "--rule", "HJ02")
        assert result.exit_code == 3 and time.perf_counter() - start < 5


# --- fuzzing ---------------------------------------------------------------------

CELL = st.one_of(
    st.none(),
    st.text(max_size=12),
    st.integers(min_value=-10**18, max_value=10**18),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.dates(min_value=dt.date(1900, 1, 1)),
    st.sampled_from(["户号", "户主", "姓名", "组别", "第三组", "庭院", "庭院（15分）", "合计", "序号", "备注", "=SUM(A1:A3)",
                     "１５", "９．５", "ZP001", "张伟", "检查人：李四", "2026年7月", "#REF!", "\u3000", "", "15分", "-1"]),
)
ROW = st.lists(CELL, min_size=0, max_size=8)
SHEET = st.lists(ROW, min_size=0, max_size=14)
RULES = [r for r in ZHONGPING.rules]
HOUSEHOLDS = pd.DataFrame([{"户号": f"ZP{i:03d}", "户主": n, "组别": g, "状态": "正常"}
                           for i, (n, g) in enumerate([("张伟", "第一组"), ("张伟", "第三组"), ("李四", "第三组")], start=1)])


def _writable(value):
    """What openpyxl can store (it refuses control characters, NaN and infinities)."""
    if isinstance(value, float) and (value != value or abs(value) == float("inf")):
        return None
    if isinstance(value, str):
        return "".join(ch for ch in value if ch >= " " or ch in "\t\n")
    return value


def _book(sheets: list[list[list]]) -> WorkbookRows:
    cells = [[["" if v is None else v for v in row] for row in sheet] for sheet in sheets]
    return WorkbookRows(Path("fuzz.xlsx"), [SheetRows(f"S{i}", rows) for i, rows in enumerate(cells)])


def _named(problems) -> None:
    for p in problems:
        if p.severity == "错误":
            assert p.location.file == "fuzz.xlsx", p
            assert p.message, p


@settings(max_examples=700, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.lists(SHEET, min_size=1, max_size=3), st.sampled_from([None, "2026-07"]), st.sampled_from([None, "第三组"]))
def test_fuzzed_inspection_sheets_never_crash(sheets, month, group) -> None:
    ctx = Context(RULES, HOUSEHOLDS, month, group, dt.date(2026, 7, 25))
    result = read_inspection_file(_book(sheets), "fuzz.xlsx", ctx)
    _named(result.problems)
    for row in result.rows:
        assert set(row.scores) <= {r.code for r in RULES}
        assert all(0 <= v <= 15 for v in row.scores.values())


@settings(max_examples=400, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.lists(SHEET, min_size=1, max_size=2))
def test_fuzzed_rosters_never_crash(sheets) -> None:
    read = read_roster(_book(sheets), "fuzz.xlsx", ("普通户", "党员户"))
    _named(read.problems)
    for record in read.records:
        assert isinstance(record.values.get("户号", ""), str)


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(SHEET, st.booleans())
def test_fuzzed_real_files_through_the_sandbox(tmp_path_factory, sheet, merge) -> None:
    folder = tmp_path_factory.mktemp("fz")
    path = folder / "fuzz.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    for row in sheet:
        ws.append([_writable(v) for v in row])
    if merge and ws.max_row >= 2 and ws.max_column >= 2:
        ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=2)
    wb.save(path)
    book = read_untrusted_many([path])[path]
    if isinstance(book, DataError):
        assert book.problems and book.problems[0].location.file == "fuzz.xlsx"
        return
    ctx = Context(RULES, HOUSEHOLDS, "2026-07", None, dt.date(2026, 7, 25))
    _named(read_inspection_file(book, "fuzz.xlsx", ctx).problems)


# --- hostile files ------------------------------------------------------------------


def _xlsx_with_sheet(path: Path, sheet_xml: bytes) -> Path:
    wb = openpyxl.Workbook()
    wb.active.append(["户号", "户主"])
    wb.save(path)
    tmp = path.with_suffix(".tmp")
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            dst.writestr(info.filename, sheet_xml if info.filename == "xl/worksheets/sheet1.xml" else src.read(info))
    tmp.replace(path)
    return path


def _hostile(folder: Path) -> dict[str, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    ns = b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    files = {}
    files["xml_bomb"] = _xlsx_with_sheet(folder / "xml炸弹.xlsx", b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
                                         + b"".join(f'<!ENTITY lol{i} "&lol{i - 1};&lol{i - 1};">'.replace("lol0", "lol").encode()
                                                    for i in range(1, 12)) + b"]>" + ns + b"<sheetData><row r=\"1\"><c r=\"A1\" t=\"inlineStr\"><is><t>&lol11;</t></is></c></row></sheetData></worksheet>")
    bomb = folder / "压缩炸弹.xlsx"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("xl/workbook.xml", "<workbook/>")
        zf.writestr("xl/worksheets/sheet1.xml", b"<a>" + b"0" * 300_000_000 + b"</a>")
    files["zip_bomb"] = bomb
    good = folder / "good.xlsx"
    wb = openpyxl.Workbook()
    wb.active.append(["户号", "户主"])
    wb.save(good)
    data = good.read_bytes()
    (folder / "截断.xlsx").write_bytes(data[: len(data) // 3])
    files["truncated"] = folder / "截断.xlsx"
    (folder / "照片.xlsx").write_bytes(b"\xff\xd8\xff\xe0" + os.urandom(2000))
    files["not_a_sheet"] = folder / "照片.xlsx"
    files["huge_claim"] = _xlsx_with_sheet(folder / "范围.xlsx", ns + b'<dimension ref="A1:XFD1048576"/><sheetData/></worksheet>')
    rows = b"".join(b'<row r="%d"><c r="A%d"><v>%d</v></c></row>' % (i, i, i % 97) for i in range(1, 1_000_001))
    files["million_rows"] = _xlsx_with_sheet(folder / "百万行.xlsx", ns + b"<sheetData>" + rows + b"</sheetData></worksheet>")
    return files


def test_hostile_files_are_refused_quickly_and_the_rest_is_imported(tmp_path: Path, runner) -> None:
    made = build_samples(tmp_path / "村")
    hostile = _hostile(tmp_path / "收件")
    good = Path(made["inspections"][0])
    for name, path in hostile.items():
        before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        start = time.perf_counter()
        result = read_untrusted_many([path])[path]
        elapsed = time.perf_counter() - start
        assert isinstance(result, DataError), name
        assert result.problems[0].location.file == path.name
        assert elapsed < 10, (name, elapsed)
        peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        # ru_maxrss of the children is the largest of ALL children so far: earlier tests fork this (by then big)
        # process, and a forked child counts the pages it shares. A new largest must be this parse's, and small.
        assert peak_kb == before or peak_kb < 500 * 1024, (name, peak_kb, before)
    result = invoke(runner, "inspect", "import", made["ledger"], good, *hostile.values())
    assert result.exit_code == 1
    frame = Ledger.open(Path(made["ledger"])).frame("检查记录")
    assert len(frame) == 16  # the grid worker's good sheet went in


# --- formula injection -----------------------------------------------------------

INJECTIONS = ['=HYPERLINK("http://evil.example","点我")', "+cmd|' /C calc'!A0", "@SUM(1+1)*cmd|' /C calc'!A0", "-2+3+cmd|' /C calc'!A0"]


def test_formula_like_input_is_text_everywhere(tmp_path: Path, runner) -> None:
    path = tmp_path / "村.xlsx"
    create_ledger(path, "中坪村", "zhongping")
    roster = tmp_path / "名册.xlsx"
    wb = openpyxl.Workbook()
    wb.active.append(["户号", "户主", "组别", "备注"])
    for i, text in enumerate(INJECTIONS):
        cell_row = [f"00{i}", f"户{i}", "第一组", text]
        wb.active.append(cell_row)
    for row in wb.active.iter_rows(min_row=2):
        row[3].data_type = "s"  # typed by a clerk as text
    wb.save(roster)
    assert invoke(runner, "households", "import", path, roster).exit_code == 0
    export = tmp_path / "年度.xlsx"
    assert invoke(runner, "score", "year", path, "--year", "2026", "--export", export).exit_code == 0
    for workbook in (path, export):
        with zipfile.ZipFile(workbook) as zf:
            for name in zf.namelist():
                if name.startswith("xl/worksheets/"):
                    xml = zf.read(name).decode()
                    assert "<f>" not in xml and "<f " not in xml, (workbook.name, name)
    stored = Ledger.open(path).frame("户籍")["备注"].tolist()
    assert stored == INJECTIONS
    reopened = openpyxl.load_workbook(path)["户籍"]
    assert [reopened.cell(r, 10).data_type for r in range(2, 6)] == ["s"] * 4
