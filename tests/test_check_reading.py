"""How ``check`` reads a ledger fast (issue 15): sheets read on other threads, tables without pandas,
and a process that ends without taking its objects apart. Each test names what would break."""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pandas as pd
import pytest

from villagectl.actions.check import check_ledger
from villagectl.demo import build_samples
from villagectl.errors import DataError
from villagectl.io.reader import SheetReader
from villagectl.ledger.workbook import Ledger
from villagectl.table import Table, as_table


@pytest.fixture(scope="module")
def sample(tmp_path_factory) -> Path:
    return Path(build_samples(tmp_path_factory.mktemp("sample") / "村")["ledger"])


# --- Table ----------------------------------------------------------------------------------------

def test_a_table_reads_as_the_frame_it_makes() -> None:
    table = Table(["户号", "积分", "日期"], {"户号": ["ZP001", "ZP002"], "积分": [5.0, -0.0], "日期": ["2026-07-31", ""]})
    frame = table.to_frame()
    assert table.records() == frame.to_dict("records")
    assert len(table) == 2 and not table.empty and list(table) == ["户号", "积分", "日期"]
    assert Table.from_frame(frame) == table
    assert as_table(frame) == table and as_table(table) is table


def test_a_missing_column_reads_blank_and_adding_one_leaves_the_table_alone() -> None:
    table = Table(["户号"], {"户号": ["ZP001", "ZP002"]})
    assert table.column("关联") == ["", ""]
    wider = table.with_column("关联", "")
    assert wider.columns == ["户号", "关联"] and wider.column("关联") == ["", ""]
    assert table.columns == ["户号"] and "关联" not in table.data
    assert Table.empty_of(["键", "值"]).records() == [] and len(Table([], {})) == 0


def test_a_sheet_is_a_table_until_a_command_asks_for_its_frame(sample: Path) -> None:
    ledger = Ledger.open(sample)
    loaded = ledger.sheets["户籍"]
    assert loaded._frame is None  # read, not yet a frame
    first = ledger.table("户籍").records()[0]
    frame = ledger.frame("户籍")
    assert frame.iloc[0].to_dict() == first
    frame.loc[0, "户主"] = "改过的名字"  # a command changes its frame in place: the table follows
    assert ledger.table("户籍").column("户主")[0] == "改过的名字"
    assert ledger.columns("户籍") == [str(c) for c in frame.columns]


def test_a_changed_sheet_still_writes_back_through_its_original_rows(sample: Path, tmp_path: Path) -> None:
    path = tmp_path / "台账.xlsx"
    path.write_bytes(sample.read_bytes())
    ledger = Ledger.open(path)
    households = ledger.frame("户籍").copy()
    households.loc[1, "人口"] = 9
    ledger.replace("户籍", households)
    ledger.save("test")
    again = Ledger.open(path)
    assert again.table("户籍").column("人口")[1] == 9
    assert again.table("户籍").column("户号") == ledger.table("户籍").column("户号")


# --- sheets read on other threads -----------------------------------------------------------------

def test_a_prefetched_sheet_is_the_sheet_read_here(sample: Path) -> None:
    direct = SheetReader(sample)
    ahead = SheetReader(sample)
    names = [n for n in direct.names]
    ahead.prefetch(names)
    try:
        for name in names:
            a, b = direct.sheet(name), ahead.sheet(name)
            assert (a.rows, a.merged) == (b.rows, b.merged), name
    finally:
        direct.close()
        ahead.close()
    assert ahead._pool is None and not ahead._books  # the threads let go of the file


def test_a_damaged_sheet_read_ahead_is_the_same_message(sample: Path, tmp_path: Path) -> None:
    from villagectl.io.ooxml import read_package

    broken, name = tmp_path / "坏表.xlsx", "户籍"
    with zipfile.ZipFile(sample) as src, zipfile.ZipFile(broken, "w", zipfile.ZIP_DEFLATED) as dst:
        part = read_package(src).sheet_parts[name]
        for info in src.infolist():
            data = src.read(info)
            if info.filename == part:
                data = data[: len(data) // 2]  # cut in the middle of a row
            dst.writestr(info, data)
    reader = SheetReader(broken)
    reader.prefetch([name])
    with pytest.raises(DataError) as caught:
        reader.sheet(name)
    reader.close()
    assert f"工作表“{name}”无法读取" in caught.value.message


def test_sheets_read_ahead_from_a_file_replaced_after_it_was_opened_are_refused(sample: Path, tmp_path: Path) -> None:
    """The threads open the file themselves: if it was replaced meanwhile, two versions must not be mixed."""
    import os

    from villagectl.errors import LedgerLockedError

    path, other = tmp_path / "台账.xlsx", tmp_path / "新.xlsx"
    path.write_bytes(sample.read_bytes())
    ledger = Ledger.open(path)
    ledger.frame("参数")  # read before the replace, from the file as it was opened
    other.write_bytes(sample.read_bytes())
    households = Ledger.open(other)
    households.replace("户籍", households.frame("户籍").iloc[:3])
    households.save("test")
    os.replace(other, path)
    ledger.prefetch()
    with pytest.raises(LedgerLockedError, match="台账在读取后被改过"):
        ledger.load_all()
    ledger.close()


def test_check_reads_every_sheet_ahead_and_never_imports_pandas(sample: Path) -> None:
    script = ("import sys; from pathlib import Path; from villagectl.actions.check import check_ledger;"
              "ledger, problems = check_ledger(Path(sys.argv[1]));"
              "print(len(problems), 'pandas' in sys.modules, ledger._reader is None)")
    out = subprocess.run([sys.executable, "-c", script, str(sample)], capture_output=True, text=True, check=True)
    assert out.stdout.split() == [str(len(check_ledger(sample)[1])), "False", "True"]


def test_check_finds_the_same_problems_with_frames_made_first(sample: Path, tmp_path: Path) -> None:
    """Tables and frames are one reading: a command holding frames gets check's own findings."""
    from villagectl.actions.check import find_problems, group_repeats

    path = tmp_path / "台账.xlsx"
    path.write_bytes(sample.read_bytes())
    ledger = Ledger.open(path)
    journal = ledger.frame("积分流水").copy()
    journal.loc[2, "积分"] = 99  # an edited row: chain and balance
    ledger.replace("积分流水", journal)
    ledger.save("test")
    tables = check_ledger(path)[1]
    framed = Ledger.open(path)
    for name in framed.workbook_sheet_names:
        if framed.has(name):
            framed.frame(name)
    assert tables and group_repeats(find_problems(framed)) == tables


# --- the end of the process -----------------------------------------------------------------------

def test_the_process_ends_with_its_exit_code_output_and_atexit_work(tmp_path: Path) -> None:
    marker = tmp_path / "atexit.txt"
    script = ("import atexit, sys; from pathlib import Path; from villagectl.cli.main import exit_now;"
              f"atexit.register(lambda: Path({str(marker)!r}).write_text('ran'));"
              "sys.stdout.write('还没换行'); exit_now(3)")
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert (out.returncode, out.stdout, marker.read_text()) == (3, "还没换行", "ran")


def test_villagectl_check_json_arrives_whole_through_a_pipe(sample: Path) -> None:
    exe = Path(sys.executable).parent / "villagectl"
    out = subprocess.run([str(exe), "check", str(sample), "--json"], capture_output=True, text=True)
    envelope = json.loads(out.stdout)
    assert envelope["exit_code"] == out.returncode and envelope["ok"] == (out.returncode == 0)


def test_frames_still_come_from_pandas_for_the_commands(sample: Path) -> None:
    assert isinstance(Ledger.open(sample).frame("积分流水"), pd.DataFrame)


def test_the_process_ends_with_a_thread_pool_left_open_and_waits_for_a_running_thread(tmp_path: Path) -> None:
    script = ("import threading, time; from concurrent.futures import ThreadPoolExecutor;"
              "from villagectl.cli.main import exit_now;"
              "pool = ThreadPoolExecutor(2); pool.submit(int).result();"  # never shut down: its workers wait for work
              "threading.Thread(target=lambda: (time.sleep(0.3), print('后台线程做完了', flush=True))).start();"
              "exit_now(0)")
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=30)
    assert (out.returncode, out.stdout) == (0, "后台线程做完了\n")


def test_a_renamed_journal_is_an_error_and_no_command_reads_or_writes_the_ledger_as_if_empty(sample: Path, tmp_path: Path) -> None:
    """积分流水 renamed by hand (Excel: only workbook.xml changes): not 'a tool sheet added next time' with every
    balance 0 — a transfer out then signed 0 points and the new journal overwrote 参数."""
    from villagectl.errors import DataError

    renamed = tmp_path / "改名.xlsx"
    with zipfile.ZipFile(sample) as src, zipfile.ZipFile(renamed, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == "xl/workbook.xml":
                data = data.decode("utf-8").replace('name="积分流水"', 'name="积分流水备份"').encode("utf-8")
            dst.writestr(info, data)
    ledger, problems = check_ledger(renamed)
    lost = [p for p in problems if p.location.sheet == "积分流水"]
    assert len(lost) == 1 and lost[0].severity == "错误" and "请改回“积分流水”" in lost[0].message
    for read in (lambda l: l.frame("积分流水"), lambda l: l.frame_or_empty("积分流水"), lambda l: l.table_or_empty("积分流水")):
        with pytest.raises(DataError):
            read(Ledger.open(renamed))
    exe = Path(sys.executable).parent / "villagectl"
    out = subprocess.run([str(exe), "balance", str(renamed), "--json"], capture_output=True, text=True)
    assert out.returncode == 1 and "找不到“积分流水”工作表" in out.stdout
