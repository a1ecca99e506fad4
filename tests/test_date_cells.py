"""Dates in the tool's sheets are real date cells (issue 14 §7): Excel filters and sorts them.

Checked with a second reader (openpyxl: the cell holds a date and has a date format), and through
the ledger reader (the values read back are the ISO text every command compares).
"""

from __future__ import annotations

import datetime as dt
import re
import zipfile
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from conftest import invoke
from villagectl.io.xlsx_patch import DateStyles, date_serial
from villagectl.ledger import create as create_module
from villagectl.ledger.journal import NewEntry, append_entries, verify_journal
from villagectl.ledger.periods import with_period
from villagectl.ledger.workbook import Ledger
from villagectl.demo import build_samples

DATE_SHEETS = {  # sheet → (date columns, date-and-time columns) the issue names
    "积分流水": (["日期"], []),
    "兑换记录": (["日期"], []),
    "积分事件": (["日期"], ["初审时间"]),
    "期间": (["公示开始", "公示截止"], ["计分时间"]),
    "操作日志": ([], ["时间"]),
}


def _fill(path: Path) -> None:
    """A journal row, a redemption, an event, a period and (by saving) 操作日志 rows."""
    ledger = Ledger.open(path)
    journal, _ = append_entries(ledger.frame("积分流水"), [NewEntry("ZP001", "加分", 3.0, "志愿服务：修路（8天）")],
                                "2026-08-05", "村文书")
    ledger.replace("积分流水", journal)
    slip = {c: "" for c in ledger.frame("兑换记录").columns}
    slip.update({"单号": "DH000001", "日期": "2026-08-06", "户号": "ZP001", "物品": "毛巾", "数量": 1, "积分": 3,
                 "金额": 3, "状态": "未领取"})
    ledger.replace("兑换记录", pd.DataFrame([slip], dtype=object))
    event = {c: "" for c in ledger.frame("积分事件").columns}
    event.update({"事件号": "E00001", "日期": "2026-08-03", "户号": "ZP001", "编码": "JF1", "项目": "见义勇为",
                  "类型": "加分", "次数": 1, "积分": 5, "说明": "救起落水儿童", "状态": "初审",
                  "初审时间": "2026-08-04 09:30:05"})
    hand = dict(event, 事件号="E00002", 日期="2026年8月4日", 初审时间="")  # typed by hand: stays text
    ledger.replace("积分事件", pd.DataFrame([event, hand], dtype=object))
    ledger.replace("期间", with_period(ledger.frame("期间"), "2026-07", 状态="公示", 计分时间="2026-07-25 18:02:11",
                                     公示开始="2026-07-26", 公示截止="2026-07-28"))
    ledger.save("test-setup")


def _all_frames(path: Path) -> dict[str, list[list]]:
    ledger = Ledger.open(path)
    return {name: ledger.frame(name).astype(object).where(ledger.frame(name).notna(), None).values.tolist()
            for name in ledger.sheets}


@pytest.fixture
def sample(tmp_path: Path) -> Path:
    path = Path(build_samples(tmp_path / "村")["ledger"])
    _fill(path)
    return path


def test_date_columns_hold_dates_with_a_date_format(sample: Path) -> None:
    wb = openpyxl.load_workbook(sample)
    for sheet, (dates, stamps) in DATE_SHEETS.items():
        ws = wb[sheet]
        header = [c.value for c in ws[1]]
        for name, kind in [(n, "date") for n in dates] + [(n, "datetime") for n in stamps]:
            col = header.index(name) + 1
            cells = [ws.cell(r, col) for r in range(2, ws.max_row + 1) if ws.cell(r, col).value not in (None, "")]
            assert cells, (sheet, name)
            typed = [c for c in cells if isinstance(c.value, dt.datetime)]
            if sheet == "积分事件" and name == "日期":
                assert [c.value for c in cells if not isinstance(c.value, dt.datetime)] == ["2026年8月4日"]
            else:
                assert typed == cells, (sheet, name, [c.value for c in cells])
            for c in typed:
                assert "yy" in c.number_format and "dd" in c.number_format, (sheet, name, c.number_format)
                assert ("hh" in c.number_format) == (kind == "datetime"), (sheet, name, c.number_format)
    assert wb["积分流水"]["B2"].value == dt.datetime(2026, 5, 31)  # the sample's opening balances
    events = wb["积分事件"]
    stamp = next(c.value for c in events[2] if isinstance(c.value, dt.datetime) and c.value.hour)
    assert stamp == dt.datetime(2026, 8, 4, 9, 30, 5)


def test_reading_back_gives_the_iso_text_the_commands_compare(sample: Path, runner) -> None:
    ledger = Ledger.open(sample)
    assert "2026-08-05" in ledger.frame("积分流水")["日期"].tolist()
    assert ledger.frame("兑换记录")["日期"].tolist() == ["2026-08-06"]
    assert ledger.frame("积分事件")["日期"].tolist() == ["2026-08-03", "2026年8月4日"]
    assert ledger.frame("积分事件")["初审时间"].tolist() == ["2026-08-04 09:30:05", ""]
    period = ledger.frame("期间").set_index("期间").loc["2026-07"]
    assert (period["计分时间"], period["公示开始"], period["公示截止"]) == ("2026-07-25 18:02:11", "2026-07-26", "2026-07-28")
    assert all(re.fullmatch(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}", t) for t in ledger.frame("操作日志")["时间"] if t)
    assert verify_journal(ledger.frame("积分流水")) == []  # the checksum chain reads the same text
    assert invoke(runner, "check", sample).exit_code == 0


def test_an_old_ledger_with_text_dates_gets_date_cells_and_reads_the_same(tmp_path: Path, monkeypatch) -> None:
    """A ledger made before dates were date cells ("@" columns, the dates inline text) keeps every value."""
    old_formats = dict(create_module.NUMBER_FORMATS, date="@", datetime="@")
    monkeypatch.setattr(create_module, "NUMBER_FORMATS", old_formats)
    from villagectl.io import xlsx_patch

    monkeypatch.setattr(xlsx_patch, "_date_styles", lambda *a, **k: None)  # as the old writer did: text
    path = Path(build_samples(tmp_path / "旧")["ledger"])
    _fill(path)
    monkeypatch.undo()
    assert openpyxl.load_workbook(path)["积分流水"]["B2"].value == "2026-05-31"  # text, as before
    before = _all_frames(path)
    styles_before = zipfile.ZipFile(path).read("xl/styles.xml").decode()

    ledger = Ledger.open(path)
    for name in DATE_SHEETS:  # rewrite every sheet with dates, changing nothing
        ledger.replace(name, ledger.frame(name))
    ledger.save("test")
    after = _all_frames(path)
    for name in before:
        if name == "操作日志":
            assert after[name][: len(before[name])] == before[name]
        else:
            assert after[name] == before[name], name
    wb = openpyxl.load_workbook(path)
    assert wb["积分流水"]["B2"].value == dt.datetime(2026, 5, 31)  # the old text date became a date cell
    assert wb["积分流水"]["B2"].number_format == "yyyy-mm-dd"
    styles_after = zipfile.ZipFile(path).read("xl/styles.xml").decode()
    old_xfs = DateStyles(styles_before).xfs
    assert DateStyles(styles_after).xfs[: len(old_xfs)] == old_xfs  # only appended
    # the next write reuses the twins
    add = Ledger.open(path)
    journal, _ = append_entries(add.frame("积分流水"), [NewEntry("ZP002", "加分", 1.0, "清扫")], "2026-08-09", "村文书")
    add.replace("积分流水", journal)
    add.save("test")
    assert zipfile.ZipFile(path).read("xl/styles.xml").decode() == styles_after


def test_serial_numbers() -> None:
    assert date_serial("2026-07-28", "date") == str((dt.date(2026, 7, 28) - dt.date(1899, 12, 30)).days)
    assert date_serial("1900-03-01", "date") == "61" and date_serial("1900-02-28", "date") is None
    assert date_serial("2026-07-28 12:00:00", "datetime") == f"{(dt.date(2026, 7, 28) - dt.date(1899, 12, 30)).days}.5"
    for text in ("2026-7-28", "2026-02-30", "2026年7月28日", "", "2026-07-28 12:00"):
        assert date_serial(text, "date" if " " not in text else "datetime") is None, text
    assert date_serial("2026-07-28", "datetime") is None  # a stamp column keeps a bare date as text
    assert date_serial("2026-07-28", "date", date1904=True) == str((dt.date(2026, 7, 28) - dt.date(1904, 1, 1)).days)


# --- autofilters and frozen header rows -------------------------------------------------------


def _strip_filter_and_pane(path: Path, sheet_parts: list[str]) -> None:
    """As a ledger made before the tool added filters (or a clerk removed them): no autoFilter, no pane."""
    tmp = path.with_suffix(".tmp")
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename in sheet_parts:
                text = re.sub(r"<autoFilter\b[^>]*/>", "", data.decode())
                text = re.sub(r"<pane\b[^>]*/>", "", text)
                text = re.sub(r"<selection\b[^>]*/>", "", text)
                data = text.encode()
            dst.writestr(info, data)
    tmp.replace(path)


def test_the_tools_sheets_have_filters_and_frozen_headers(tmp_path: Path) -> None:
    from conftest import sheet_part

    path = tmp_path / "台账.xlsx"
    create_module.create_ledger(path, "中坪村", "zhongping", today=dt.date(2026, 7, 1))
    wb = openpyxl.load_workbook(path)
    for name in ("积分流水", "兑换记录", "期间", "操作日志", "户籍", "规则"):  # new ledgers: every sheet
        assert wb[name].freeze_panes == "A2" and wb[name].auto_filter.ref.startswith("A1:"), name
    journal, households = sheet_part(path, "积分流水"), sheet_part(path, "户籍")
    _strip_filter_and_pane(path, [journal, households])
    ledger = Ledger.open(path)
    rows, _ = append_entries(ledger.frame("积分流水"), [NewEntry("ZP001", "加分", 2.0, "清扫")], "2026-08-01", "村文书")
    ledger.replace("积分流水", rows)
    ledger.replace("户籍", ledger.frame("户籍"))
    ledger.save("test")
    wb = openpyxl.load_workbook(path)
    assert wb["积分流水"].freeze_panes == "A2" and wb["积分流水"].auto_filter.ref == "A1:K2"  # the tool's sheet
    assert wb["户籍"].freeze_panes is None and not wb["户籍"].auto_filter.ref  # the clerk's sheet: as the clerk left it
    assert Ledger.open(path).frame("积分流水")["日期"].tolist() == ["2026-08-01"]
