"""The clerk's workbook is sacred: lossless write-back, atomic replace, refusals."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from openpyxl.comments import Comment
from openpyxl.drawing.image import Image as XLImage
from PIL import Image as PILImage

from conftest import add_households, household, invoke, parts, sheet_part
from villagectl.errors import LedgerLockedError
from villagectl.io.reader import read_workbook
from villagectl.io.safe_write import ledger_lock
from villagectl.ledger.journal import NewEntry, append_entries
from villagectl.ledger.workbook import Ledger


def _set_stored_formula_value(path: Path, sheet_xml: str, cell: str, value: str) -> None:
    """openpyxl writes formulas without results; Excel stores one. Put one in, as Excel would."""
    tmp = path.with_suffix(".tmp")
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == sheet_xml:
                text = data.decode()
                text = re.sub(rf'(<c r="{cell}"[^>]*>)(<f>[^<]*</f>)(<v\s*/>|<v></v>)?', rf"\1\2<v>{value}</v>", text)
                data = text.encode()
            dst.writestr(info, data)
    os.replace(tmp, path)


@pytest.fixture
def clerk_ledger(ledger_path: Path, tmp_path: Path) -> Path:
    """A ledger the clerk has worked in with Excel: own sheet, formula, image, comment, widths."""
    add_households(ledger_path, [household("001", "张三"), household("002", "李四", "第二组")])
    wb = openpyxl.load_workbook(ledger_path)
    mine = wb.create_sheet("我的统计")
    mine["A1"], mine["A2"], mine["B1"] = 1, 2, "=SUM(A1:A2)"
    mine.column_dimensions["C"].width = 33
    png = tmp_path / "stamp.png"
    PILImage.new("RGB", (40, 20), (200, 30, 30)).save(png)
    mine.add_image(XLImage(str(png)), "D4")
    wb["户籍"]["B2"].comment = Comment("户主已过世，待变更", "村文书")
    wb["户籍"].column_dimensions["J"].width = 41
    wb.save(ledger_path)
    part = sheet_part(ledger_path, "我的统计")
    _set_stored_formula_value(ledger_path, part, "B1", "3")
    return ledger_path


def test_write_back_keeps_every_other_part_byte_for_byte(clerk_ledger: Path) -> None:
    before = parts(clerk_ledger)
    hh_part = sheet_part(clerk_ledger, "户籍")
    journal_part = sheet_part(clerk_ledger, "积分流水")
    log_part = sheet_part(clerk_ledger, "操作日志")

    ledger = Ledger.open(clerk_ledger)
    frame = ledger.frame("户籍").copy()
    frame.loc[len(frame)] = {c: "" for c in frame.columns} | {"户号": "003", "户主": "王五", "组别": "第三组",
                                                              "人口": 2, "户类型": "普通户", "状态": "正常"}
    ledger.replace("户籍", frame)
    journal, _ = append_entries(ledger.frame("积分流水"), [NewEntry("001", "期初", 12, "结转")], "2026-06-30", "村文书")
    ledger.replace("积分流水", journal)
    ledger.save("test")

    after = parts(clerk_ledger)
    changed = {n for n in before if before[n] != after.get(n)}
    assert changed - {"xl/workbook.xml"} == {hh_part, journal_part, log_part}
    # the clerk's formulas may read the rewritten sheets: only a full recalc on open is asked for
    wb_before, wb_after = before["xl/workbook.xml"].decode(), after["xl/workbook.xml"].decode()
    assert 'fullCalcOnLoad="1"' in wb_after
    assert re.sub(r"<calcPr[^>]*/>", "", wb_before) == re.sub(r"<calcPr[^>]*/>", "", wb_after)
    assert set(after) == set(before)
    # the image, the comment and the clerk's own sheet are untouched parts
    assert any(n.startswith("xl/media/") for n in after)
    assert any("comments" in n for n in after)

    hh_before, hh_after = before[hh_part].decode(), after[hh_part].decode()
    for element in ("<cols>", "<dataValidations", "<legacyDrawing", "<sheetViews>"):
        segment = lambda xml: re.search(rf"{element}.*?(?:</{element[1:].rstrip('>')}>|/>)", xml, re.S).group(0)
        assert segment(hh_before) == segment(hh_after), element
    assert 'width="41"' in hh_after

    book = read_workbook(clerk_ledger)
    assert book.sheet("我的统计").rows[0][1] == 3.0  # the formula's stored result survives
    rows = book.sheet("户籍").rows
    assert [r[0] for r in rows[1:4]] == ["001", "002", "003"]
    assert book.sheet("积分流水").rows[1][5] == 12.0


def test_written_ledger_reopens_with_openpyxl_and_keeps_validation(clerk_ledger: Path) -> None:
    add_households(clerk_ledger, [household("009", "赵六")])
    wb = openpyxl.load_workbook(clerk_ledger)
    hh = wb["户籍"]
    assert hh["B2"].value == "赵六"
    assert hh.freeze_panes == "A2"
    formulas = [dv.formula1 for dv in hh.data_validations.dataValidation]
    assert any("普通户" in f for f in formulas)
    assert wb["我的统计"]["B1"].value == "=SUM(A1:A2)"


def test_text_that_looks_like_a_formula_is_stored_as_text(ledger_path: Path) -> None:
    add_households(ledger_path, [household("001", "张三", 备注="=HYPERLINK(\"http://x\",\"点我\")")])
    xml = parts(ledger_path)[sheet_part(ledger_path, "户籍")].decode()
    assert "<f>" not in xml
    assert 't="inlineStr"' in xml and "=HYPERLINK" in xml
    assert openpyxl.load_workbook(ledger_path)["户籍"]["J2"].value == '=HYPERLINK("http://x","点我")'


def test_office_lock_file_refuses_write_and_leaves_ledger(ledger_path: Path, runner) -> None:
    lock = ledger_path.with_name("~$" + ledger_path.name)
    lock.write_bytes(b"owner")
    before = ledger_path.read_bytes()
    ledger = Ledger.open(ledger_path)
    ledger.replace("户籍", pd.DataFrame([household("001", "张三")], dtype=object))
    with pytest.raises(LedgerLockedError, match="正在 Excel 或 WPS 中打开"):
        ledger.save("test")
    assert ledger_path.read_bytes() == before


def test_file_changed_underneath_is_refused(ledger_path: Path) -> None:
    first = Ledger.open(ledger_path)
    add_households(ledger_path, [household("001", "张三")])  # someone else saved meanwhile
    changed = ledger_path.read_bytes()
    first.replace("户籍", pd.DataFrame([household("002", "李四")], dtype=object))
    with pytest.raises(LedgerLockedError, match="被修改过"):
        first.save("test")
    assert ledger_path.read_bytes() == changed


def test_other_villagectl_run_holding_the_lock_gives_exit_3(ledger_path: Path, runner, tmp_path: Path) -> None:
    roster = tmp_path / "名册.xlsx"
    wb = openpyxl.Workbook()
    wb.active.append(["户号", "户主"])
    wb.active.append(["001", "张三"])
    wb.save(roster)
    before = ledger_path.read_bytes()
    with ledger_lock(ledger_path):
        result = invoke(runner, "households", "import", ledger_path, roster)
    assert result.exit_code == 3
    assert "正被另一个 villagectl 运行使用" in result.stderr
    assert ledger_path.read_bytes() == before


def test_crash_between_temp_write_and_replace_keeps_old_file(ledger_path: Path) -> None:
    before = ledger_path.read_bytes()
    script = textwrap.dedent(
        f"""
        import os, signal
        import pandas as pd
        import villagectl.io.safe_write as sw
        from villagectl.ledger.workbook import Ledger
        sw.os.replace = lambda *a, **k: os.kill(os.getpid(), signal.SIGKILL)
        ledger = Ledger.open({str(ledger_path)!r})
        ledger.replace("户籍", pd.DataFrame([{{"户号": "001", "户主": "张三"}}], dtype=object))
        ledger.save("test")
        """
    )
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True)
    assert proc.returncode != 0
    assert ledger_path.read_bytes() == before
    assert Ledger.open(ledger_path).frame("户籍").empty
    # the next write cleans the stale temp file and succeeds
    add_households(ledger_path, [household("001", "张三")])
    assert not list(ledger_path.parent.glob(".villagectl-tmp-*"))
    assert Ledger.open(ledger_path).frame("户籍")["户号"].tolist() == ["001"]


def test_failing_disk_leaves_old_file_and_says_so(ledger_path: Path, monkeypatch) -> None:
    import errno

    import villagectl.io.xlsx_patch as xp

    before = ledger_path.read_bytes()

    def full_disk(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(xp, "patch_workbook", full_disk)
    import villagectl.ledger.workbook as wbmod

    monkeypatch.setattr(wbmod, "patch_workbook", full_disk)
    ledger = Ledger.open(ledger_path)
    ledger.replace("户籍", pd.DataFrame([household("001", "张三")], dtype=object))
    from villagectl.errors import FileAccessError

    with pytest.raises(FileAccessError, match="磁盘空间不足"):
        ledger.save("test")
    assert ledger_path.read_bytes() == before
    assert not list(ledger_path.parent.glob(".villagectl-tmp-*"))


def test_backups_rotate(ledger_path: Path) -> None:
    for i in range(13):
        add_households(ledger_path, [household(f"{i:03d}", "张三")])
    backups = list((ledger_path.parent / ".villagectl" / "backups").glob("*.xlsx"))
    assert len(backups) == 10


def test_every_write_appends_to_operation_log(ledger_path: Path) -> None:
    add_households(ledger_path, [household("001", "张三")])
    log = Ledger.open(ledger_path).frame("操作日志")
    assert log["命令"].tolist() == ["init", "test-setup"]


def test_write_without_formulas_elsewhere_leaves_workbook_part(ledger_path: Path) -> None:
    before = parts(ledger_path)
    add_households(ledger_path, [household("001", "张三")])
    after = parts(ledger_path)
    assert before["xl/workbook.xml"] == after["xl/workbook.xml"]


def test_libreoffice_resaved_ledger_reads_writes_back_and_checks(tmp_path: Path, runner) -> None:
    """A ledger LibreOffice re-saved (shared strings, stored formula results) — stands in for WPS/Excel."""
    import shutil

    ledger = tmp_path / "lo台账.xlsx"
    shutil.copy(Path(__file__).parent / "fixtures" / "libreoffice_resaved.xlsx", ledger)
    assert invoke(runner, "check", ledger).exit_code == 0
    before = parts(ledger)
    assert "xl/sharedStrings.xml" in before
    roster = tmp_path / "名册.xlsx"
    wb = openpyxl.Workbook()
    wb.active.append(["户号", "户主", "组别"])
    wb.active.append(["004", "赵六", "第三组"])
    wb.save(roster)
    result = invoke(runner, "households", "import", ledger, roster)
    assert result.exit_code == 0, result.stderr
    after = parts(ledger)
    changed = {n for n in before if before[n] != after.get(n)}
    # styles.xml: once, a date-formatted twin of the 操作日志 时间 column's style is appended (dates are
    # real date cells); every style that was there keeps its place and its XML
    assert changed == {sheet_part(ledger, "户籍"), sheet_part(ledger, "操作日志"), "xl/workbook.xml", "xl/styles.xml"}
    xfs = lambda xml: re.findall(r"<xf\b[^>]*?(?:/>|>.*?</xf>)", re.search(r"<cellXfs.*?</cellXfs>", xml, re.S).group(0), re.S)  # noqa: E731
    old_xfs, new_xfs = xfs(before["xl/styles.xml"].decode()), xfs(after["xl/styles.xml"].decode())
    assert new_xfs[: len(old_xfs)] == old_xfs and len(new_xfs) > len(old_xfs)
    assert after["xl/sharedStrings.xml"] == before["xl/sharedStrings.xml"]
    book = read_workbook(ledger)
    assert book.sheet("我的统计").rows[0][1] == 3.0  # stored result kept (Excel recomputes on open)
    assert [r[0] for r in book.sheet("户籍").rows[1:5]] == ["001", "002", "003", "004"]
    assert invoke(runner, "check", ledger).exit_code == 0
    result = invoke(runner, "balance", ledger, "--json")
    assert '"balance": 10.0' in result.stdout


def test_a_missing_tool_sheet_is_added_on_write(ledger_path: Path, tmp_path: Path, runner) -> None:
    """Older ledgers (or a clerk who deleted a tool sheet): the next write adds it."""
    wb = openpyxl.load_workbook(ledger_path)
    del wb["期间"]
    del wb["调整记录"]
    old = tmp_path / "old.xlsx"
    wb.save(old)
    result = invoke(runner, "check", old)
    assert result.exit_code == 0  # only warnings: the tool adds them itself
    assert "下次写入时会自动添加" in result.stdout
    ledger = Ledger.open(old)
    assert ledger.frame("期间").empty
    before = {name: Ledger.open(old).frame(name).to_dict("list") for name in ("参数", "户籍", "规则")}
    ledger.replace("期间", pd.DataFrame([{"期间": "2026-07", "状态": "草稿"}], dtype=object))
    ledger.save("test")
    # the new sheet takes a part of its own: openpyxl numbers its parts sheet1…, and 参数 is sheet1.xml
    assert {name: Ledger.open(old).frame(name).to_dict("list") for name in before} == before
    reread = openpyxl.load_workbook(old)
    assert "期间" in reread.sheetnames
    assert reread["期间"]["A1"].value == "期间" and reread["期间"]["B2"].value == "草稿"
    assert reread["期间"].freeze_panes == "A2"
    assert Ledger.open(old).frame("期间")["状态"].tolist() == ["草稿"]


def test_a_full_month_resaved_by_libreoffice_still_verifies_and_writes_back(tmp_path: Path, runner) -> None:
    """After a whole month (scores, posting, a slip), re-saved by LibreOffice: the chain, the slip code
    and the posted month survive; a new redemption writes back only what it changes."""
    import datetime as dt
    import shutil

    from villagectl.actions.redeem import LineRequest, redeem
    from villagectl.actions.session import Session

    ledger = tmp_path / "中坪村.xlsx"
    shutil.copy(Path(__file__).parent / "fixtures" / "libreoffice_full_cycle.xlsx", ledger)
    assert invoke(runner, "check", ledger).exit_code == 0
    code = Ledger.open(ledger).frame("兑换记录").iloc[0]["核验码"]
    result = invoke(runner, "slip", "verify", ledger, code)
    assert result.exit_code == 0 and "真实有效" in result.stdout
    result = invoke(runner, "score", "month", ledger, "--month", "2026-07")
    assert result.exit_code == 0 and "已入账" in result.stdout  # still locked, read back as posted
    before = parts(ledger)
    redeem(Session(ledger, today=dt.date(2026, 8, 5)), household="ZP002", items=[LineRequest("毛巾", 1)], print_slip=False)
    after = parts(ledger)
    changed = {n for n in before if before[n] != after.get(n)} - {"xl/workbook.xml"}
    # + styles.xml: the date-formatted twins of the date columns' styles are appended, once
    assert changed == {sheet_part(ledger, s) for s in ("积分流水", "兑换记录", "商品", "操作日志")} | {"xl/styles.xml"}
    assert after["xl/sharedStrings.xml"] == before["xl/sharedStrings.xml"]
    assert invoke(runner, "check", ledger).exit_code == 0
    import json

    balances = {b["household_id"]: b for b in json.loads(invoke(runner, "balance", ledger, "--json").stdout)["households"]}
    assert balances["ZP010"]["spent"] == 10 and balances["ZP002"]["spent"] == 5
