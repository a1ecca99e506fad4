"""Free text is stored and printed as typed (issue 14 §1).

NFKC is only for matching keys and reading numbers. Text with full-width punctuation, the ideographic
space and a character outside the BMP goes through roster, events, journal, reversal, passbook, cadre
results and notices, the shop and its slips; every sheet is read back with python-calamine and every
document by its extracted text, and every character is still there.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pandas as pd
import pytest
from pypdf import PdfReader
from python_calamine import CalamineWorkbook

import villagectl.cli.cadre_doc_commands  # noqa: F401  (registers notice cadre)
from conftest import CADRE_ITEMS, REP_ITEMS, invoke, invoke_json, titled_sheet
from villagectl.actions.passbook import cn_month_text
from villagectl.ledger.create import create_ledger
from villagectl.ledger.journal import NewEntry, append_entries
from villagectl.ledger.workbook import Ledger

RARE = "𠮷"  # outside the BMP
NOTE = "河边（东岸）：救起落水儿童，二人合力　" + RARE  # full-width brackets, colon, comma, ideographic space
FREE = "志愿服务：修路出工8天（村东）"
POST = "村民代表（第一组）"
ITEM = "食用油（5L），一级"
NAME = RARE + "桂兰"


def sheet_cells(path: Path, sheet: str) -> list[str]:
    """Every text cell of a sheet, read by a second reader (python-calamine, not the ledger model)."""
    rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_name(sheet).to_python()
    return [v for row in rows for v in row if isinstance(v, str)]


def pypdf_text(pdf: Path) -> str:
    """The PDF's text with the line and cell breaks pypdf adds taken out (U+3000 is kept)."""
    return re.sub(r"[ \n]+", "", "".join(p.extract_text() for p in PdfReader(pdf).pages))


def poppler_text(pdf: Path) -> str:
    out = subprocess.run(["pdftotext", "-enc", "UTF-8", str(pdf), "-"], capture_output=True, check=True)
    return re.sub(r"\s+", "", out.stdout.decode("utf-8"))


def in_pdf(text: str, pdf: Path) -> bool:
    """``text`` in the PDF: exactly through pypdf; through pdftotext too where it is installed
    (poppler turns U+3000 into an ordinary space, so whitespace is left out of that comparison)."""
    squeezed = text.replace(" ", "")
    if squeezed not in pypdf_text(pdf):
        return False
    if shutil.which("pdftotext"):
        return re.sub(r"\s+", "", text) in poppler_text(pdf)
    return True


@pytest.fixture
def wenming(tmp_path: Path, runner) -> Path:
    path = tmp_path / "文明村.xlsx"
    create_ledger(path, "文明村", "wenming")
    roster = titled_sheet(tmp_path / "花名册.xlsx", "文明村花名册", ["户号", "户主", "组别", "人口", "备注"],
                          [["001", NAME, "第一组", 4, "低保户（2025年起），　五保"], ["002", "李四", "第二组", 2, ""]])
    result = invoke(runner, "households", "import", path, roster)
    assert result.exit_code == 0, result.stdout + result.stderr
    return path


def test_household_names_and_notes_kept(wenming: Path) -> None:
    cells = sheet_cells(wenming, "户籍")
    assert NAME in cells and "低保户（2025年起），　五保" in cells


def test_event_notes_journal_reversal_and_passbook_keep_every_character(runner, wenming: Path, tmp_path: Path) -> None:
    assert invoke(runner, "event", "add", wenming, "--household", "001", "--rule", "GY02", "--date", "2026-08-03",
                  "--note", NOTE).exit_code == 0
    sheet = titled_sheet(tmp_path / "事项.xlsx", "八月事项申报", ["户号", "户主", "项目", "积分", "日期"],
                         [["002", "李四", FREE, 3, "2026-08-03"]])
    result = invoke(runner, "event", "import", wenming, sheet)
    assert result.exit_code == 0, result.stdout + result.stderr
    assert invoke(runner, "event", "review", wenming, "--all", "--by", "网格员王").exit_code == 0
    notice = tmp_path / "事项公示.pdf"
    assert invoke(runner, "event", "notice", wenming, "-o", notice, "--date", "2026-08-05").exit_code == 0
    assert invoke(runner, "event", "approve", wenming, "--all", "--by", "李书记", "--date", "2026-08-08").exit_code == 0
    result, data = invoke_json(runner, "event", "post", wenming, "--all", "--date", "2026-08-08")
    assert result.exit_code == 0

    events = sheet_cells(wenming, "积分事件")
    assert NOTE in events and FREE in events and NAME in events
    journal = sheet_cells(wenming, "积分流水")
    assert f"见义勇为（2026-08-03）：{NOTE}" in journal
    assert f"{FREE}（2026-08-03）" in journal  # a free-form event's note is its item: said once
    assert not any(FREE in s and s.count("志愿服务") > 1 for s in journal)

    assert in_pdf(NOTE, notice) and in_pdf(FREE, notice) and in_pdf(NAME, notice)
    assert "志愿服务:" not in poppler_text(notice) if shutil.which("pdftotext") else True
    assert pypdf_text(notice).count(FREE) == 1  # the 说明 column does not repeat the item

    result = invoke(runner, "event", "revoke", wenming, "--entry", data["entries"][0], "--reason", "经复核，情况不实（村民反映）",
                    "--date", "2026-08-20")
    assert result.exit_code == 0, result.stdout + result.stderr
    journal = sheet_cells(wenming, "积分流水")
    assert f"冲正：见义勇为（2026-08-03）：{NOTE}（经复核，情况不实（村民反映））" in journal
    passbook = tmp_path / "存折.pdf"
    result = invoke(runner, "passbook", wenming, "--household", "001", "-o", passbook)
    assert result.exit_code == 0, result.stdout + result.stderr
    assert in_pdf(NAME, passbook) and in_pdf(NOTE, passbook)
    assert in_pdf("（2026-08-03）", passbook) and "2026年8月-03" not in pypdf_text(passbook)


def test_month_words_only_for_months_not_dates() -> None:
    assert cn_month_text("冲正：见义勇为（2026-08-03）") == "冲正：见义勇为（2026-08-03）"
    assert cn_month_text("2026-07 连续奖励") == "2026年7月 连续奖励"


def test_cadre_post_kept_on_results_and_notice(runner, tmp_path: Path) -> None:
    path = tmp_path / "中坪村台账.xlsx"
    create_ledger(path, "中坪村", "zhongping")
    ledger = Ledger.open(path)
    ledger.replace("干部", pd.DataFrame([
        {"编号": "GB01", "姓名": "王书记", "职务": "党支部书记（兼）", "类别": "村干部", "状态": "在职"},
        {"编号": "DB01", "姓名": NAME, "职务": POST, "类别": "村民代表", "状态": "在职"},
    ], dtype=object))
    ledger.save("test")
    folder = tmp_path / "材料"
    folder.mkdir()
    files = [
        titled_sheet(folder / "评分.xlsx", "2026年村干部绩效考评评分表", ["编号", "姓名"] + CADRE_ITEMS,
                     [["GB01", "王书记", 24, 14, 24, 19, 14]], footer="考核人：镇考核组"),
        titled_sheet(folder / "代表评分.xlsx", "村民代表日常考评", ["姓名", "考核人"] + REP_ITEMS,
                     [[NAME, "王书记", 20, 15, 15, 10]]),
        titled_sheet(folder / "计票.xlsx", "2026年民主评议计票表", ["编号", "姓名", "优秀", "称职", "基本称职", "不称职"],
                     [["GB01", "王书记", 21, 9, 3, 0], ["DB01", NAME, 6, 14, 9, 2]]),
    ]
    result = invoke(runner, "cadre", "import", path, *files, "--year", "2026")
    assert result.exit_code == 0, result.stdout + result.stderr
    assert invoke(runner, "cadre", "score", path, "--year", "2026").exit_code == 0
    assert POST in sheet_cells(path, "干部考核") and "党支部书记（兼）" in sheet_cells(path, "干部考核")
    pdf = tmp_path / "考核公示.pdf"
    result = invoke(runner, "notice", "cadre", path, "--year", "2026", "-o", pdf, "--date", "2027-01-10")
    assert result.exit_code == 0, result.stdout + result.stderr
    assert in_pdf(POST, pdf) and in_pdf("党支部书记（兼）", pdf) and in_pdf(NAME, pdf)


def test_shop_items_kept_on_redemptions_journal_and_slip(runner, wenming: Path, tmp_path: Path) -> None:
    ledger = Ledger.open(wenming)
    shop = ledger.frame("商品")
    row = {c: "" for c in shop.columns}
    row.update({"名称": ITEM, "单位": "桶", "积分单价": 5, "库存": 10})
    ledger.replace("商品", pd.DataFrame([row], columns=shop.columns, dtype=object))
    journal, _ = append_entries(ledger.frame("积分流水"), [NewEntry("001", "加分", 20, "测试加分")], "2026-07-31", "测试")
    ledger.replace("积分流水", journal)
    ledger.save("test-setup")
    slip = tmp_path / "兑换单.pdf"
    result = invoke(runner, "redeem", wenming, "--household", "001", "--item", "食用油(5L),一级", "--date", "2026-08-10",
                    "-o", slip)
    assert result.exit_code == 0, result.stdout + result.stderr  # found however the clerk types the brackets
    assert ITEM in sheet_cells(wenming, "兑换记录")
    assert any(ITEM in s for s in sheet_cells(wenming, "积分流水"))
    assert in_pdf(ITEM, slip) and in_pdf(NAME, slip)
    number = Ledger.open(wenming).frame("兑换记录").iloc[0]["单号"]
    reason = "村民退回（包装破损），　换货"
    result = invoke(runner, "redeem", "cancel", wenming, "--slip", number, "--reason", reason, "--returned",
                    "--date", "2026-08-11")
    assert result.exit_code == 0, result.stdout + result.stderr
    assert any(reason in s for s in sheet_cells(wenming, "兑换记录"))
    assert any(reason in s for s in sheet_cells(wenming, "积分流水"))
