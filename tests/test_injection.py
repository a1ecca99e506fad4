"""Formula injection, writer by writer (issue 11 item 8, docs/safety.md "公式注入与模板").

Hostile text — roster names like ``=HYPERLINK(…)``, ``+1``, ``-1+2``,
``@SUM(A1)``, a DDE ``=cmd|…``; file names starting with ``=``, ``@``, ``+``,
``-`` or a tab — goes in through the command line, and every workbook and JSON
file the tool writes is reopened with openpyxl and python-calamine:

- no cell is a formula (the only formulas are the tool's own 合计 in the blank
  inspection forms, built from cell references) and no cell is an error value;
- the hostile text reads back exactly (the same in both readers), and text a
  spreadsheet would evaluate when the cell is edited has Excel's quote prefix;
- numbers are still numbers, negative ones included.

No command writes CSV (``villagectl.io.newbook.csv_text`` is what a CSV export
would use); JSON files are checked for the exact text.
"""

from __future__ import annotations

import json
import re
import shutil
import zipfile
from pathlib import Path

import openpyxl
import pandas as pd
import python_calamine
import pytest

from conftest import CADRE_ITEMS, REP_ITEMS, invoke, invoke_json
from test_redeem import set_setting
from villagectl.io.newbook import FORMULA_LEADS, csv_text, looks_like_formula
from villagectl.ledger.workbook import Ledger
from villagectl.demo import build_samples
from villagectl.values import clean_name, clean_text

MONTH = "2026-08"
YEAR = "2026"

# Roster names (户号 ZP1xx). The importer trims names and drops their spaces
# (clean_name), so "\t=1+1" reaches the ledger as "=1+1": what counts is that
# the ledger's text reaches every output unchanged and never as a formula.
HOSTILE_NAMES = [
    '=HYPERLINK("http://x","点我")',
    "\t=1+1",
    "+1",
    "-1+2",
    "@SUM(A1)",
    "=1+1",
    "\r=2+3",
    "=cmd|' /C calc'!A0",
    "-5",
    "#N/A",
]
# Notes (备注) keep inner spaces.
HOSTILE_NOTES = ["=1+2 备注", "@SUM(B1) 备注", "-3 扣分", '=HYPERLINK("http://y","备注")']
# File names: a tab or CR first is possible on Linux, and survives into report titles.
ROSTER_FILE = "=1+2 名册.xlsx"
FORM_FILES = {"第一组": '=HYPERLINK("x","第一组").xlsx', "第二组": "@SUM(A1) 第二组.xlsx",
              "第三组": "-1+2 第三组.xlsx", "第四组": "+1 第四组.xlsx"}
BAD_INBOX_FILE = "\t=1+1 发错了.xlsx"
BAD_ROLLUP_FILE = "@SUM(A1) 坏台账.xlsx"
SHOP_FILE = "=HYPERLINK(\"x\",\"兑换\") 8月1日.xlsx"
HOSTILE_VILLAGE = '=HYPERLINK("http://x","邻村")'
CADRES = [("GB01", '=HYPERLINK("http://x","书记")', "=书记"), ("GB02", "+李主任", "@主任"),
          ("GB03", "-张会计", "-会计"), ("DB01", "@赵代表", "+村民代表")]

TOOL_FORMULA = re.compile(r'^=IF\(COUNT\(([A-Z]+)(\d+):([A-Z]+)\2\)=0,"",SUM\(\1\2:\3\2\)\)$')


# --- writing hostile inputs (as text, the way a clerk types them) -----------------


def _text_cell(ws, row: int, col: int, value) -> None:
    cell = ws.cell(row=row, column=col)
    cell.value = value
    if isinstance(value, str):
        cell.data_type = "s"  # the roster holds the text, not a formula


def write_sheet(path: Path, rows: list[list], title: str = "Sheet1", merge_first: int = 0) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = title
    for r, row in enumerate(rows, start=1):
        for c, value in enumerate(row, start=1):
            if value is not None:
                _text_cell(ws, r, c, value)
    if merge_first:
        ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=merge_first)
    wb.save(path)
    return path


# --- reading outputs back ------------------------------------------------------------


def _sheet_xml_formulas(path: Path) -> int:
    with zipfile.ZipFile(path) as zf:
        return sum(len(re.findall(rb"<(?:\w+:)?f[\s>/]", zf.read(n)))
                   for n in zf.namelist() if n.startswith("xl/worksheets/") and n.endswith(".xml"))


def read_back(path: Path, tool_formulas: bool = False, quote_prefix: bool = True) -> dict[str, dict[str, object]]:
    """Every cell's value by sheet and coordinate, after checking it is no formula.

    Asserts: no formula cell except the tool's own 合计 (``tool_formulas``), no
    error cell, openpyxl and calamine read the same value, and (for workbooks
    made with openpyxl) text that starts like a formula has the quote prefix.
    """
    where = path.name
    wb = openpyxl.load_workbook(path)  # formulas as text: data_type "f"
    book = python_calamine.CalamineWorkbook.from_path(str(path))
    out: dict[str, dict[str, object]] = {}
    formulas = 0
    for ws in wb.worksheets:
        rows = book.get_sheet_by_name(ws.title).to_python(skip_empty_area=False)
        values: dict[str, object] = {}
        for row in ws.iter_rows():
            for cell in row:
                if cell.value is None:
                    continue
                at = f"{where} / {ws.title} / {cell.coordinate}"
                if cell.data_type == "f":
                    assert tool_formulas and TOOL_FORMULA.match(str(cell.value)), f"formula in {at}: {cell.value!r}"
                    formulas += 1
                    continue
                assert cell.data_type != "e", f"error value in {at}: {cell.value!r}"
                r, c = cell.row - 1, cell.column - 1
                other = rows[r][c] if r < len(rows) and c < len(rows[r]) else ""
                if isinstance(cell.value, str):
                    assert cell.data_type in ("s", "inlineStr"), at
                    assert other == cell.value, f"{at}: openpyxl {cell.value!r}, calamine {other!r}"
                    if quote_prefix and looks_like_formula(cell.value):
                        assert cell.quotePrefix, f"{at}: {cell.value!r} without the quote prefix"
                elif isinstance(cell.value, bool):
                    assert other == cell.value, at
                elif isinstance(cell.value, (int, float)):
                    assert isinstance(other, (int, float)) and not isinstance(other, bool), f"{at}: {other!r}"
                    assert float(other) == float(cell.value), f"{at}: {cell.value!r} vs {other!r}"
                values[cell.coordinate] = cell.value
        out[ws.title] = values
    assert _sheet_xml_formulas(path) == formulas, f"{where}: <f> elements beyond the tool's own"
    return out


def texts(cells: dict[str, dict[str, object]]) -> list[str]:
    return [v for sheet in cells.values() for v in sheet.values() if isinstance(v, str)]


def assert_has(cells, exact: list[str] = (), inside: list[str] = (), what: str = "") -> None:
    found = texts(cells)
    for text in exact:
        assert text in found, f"{what}: {text!r} is not any cell's exact text"
    for text in inside:
        assert any(text in v for v in found), f"{what}: no cell contains {text!r}"


def json_strings(data) -> list[str]:
    if isinstance(data, dict):
        return [s for k, v in data.items() for s in [k, *json_strings(v)]]
    if isinstance(data, list):
        return [s for v in data for s in json_strings(v)]
    return [data] if isinstance(data, str) else []


# --- the village -----------------------------------------------------------------------


@pytest.fixture
def village(tmp_path: Path) -> Path:
    made = build_samples(tmp_path / "村")
    return Path(made["ledger"])


def _roster(folder: Path) -> Path:
    header = ["序号", "户编号", "户主姓名", "村民小组", "家庭人口", "户别", "手机号码", "身份证号码", "备注"]
    rows = [header]
    for i, name in enumerate(HOSTILE_NAMES):
        group = ("第一组", "第二组", "第三组", "第四组")[i % 4]
        rows.append([i + 1, f"ZP{101 + i}", name, group, 3, "普通户", None, None, HOSTILE_NOTES[i % len(HOSTILE_NOTES)]])
    # one row the importer refuses (wrong ID check digit): it goes to the error workbook with its raw text
    rows.append([99, "ZP199", "=1+2", "第一组", -5, "普通户", "+8613800138000", "110101199003078031", "@SUM(A1) 原样"])
    return write_sheet(folder / ROSTER_FILE, rows, "花名册")


def _fill_forms(forms: list[Path], out: Path) -> list[Path]:
    """What the grid workers send back: full marks (one cell over the maximum in 第二组)."""
    out.mkdir()
    sent = []
    for form in forms:
        wb = openpyxl.load_workbook(form)
        ws = wb.active
        group = next(g for g in FORM_FILES if g in form.name)
        maxima = {}
        for c in range(4, ws.max_column + 1):
            m = re.search(r"\((\d+(?:\.\d+)?)分\)", str(ws.cell(3, c).value or ""))
            if m:
                maxima[c] = float(m.group(1))
        for r in range(4, ws.max_row + 1):
            if isinstance(ws.cell(r, 1).value, int):
                for c, top in maxima.items():
                    ws.cell(r, c).value = top
        if group == "第二组":
            ws.cell(4, min(maxima)).value = 999
        target = out / FORM_FILES[group]
        wb.save(target)
        sent.append(target)
    return sent


def _cadre_materials(folder: Path) -> list[Path]:
    names = {i: n for i, n, _ in CADRES}
    files = []
    for assessor in ("考核组甲", "考核组乙", "考核组丙"):
        files.append(write_sheet(folder / f"评分_{assessor}.xlsx", [
            ["2026年村干部绩效考评评分表"], ["编号", "姓名"] + CADRE_ITEMS,
            ["GB01", names["GB01"], 24, 14, 24, 19, 14], ["GB02", names["GB02"], 20, 12, 20, 16, 12],
            ["GB03", names["GB03"], 15, 10, 15, 12, 9], [], [f"考核人：{assessor}"]]))
    files.append(write_sheet(folder / "代表评分.xlsx", [
        ["村民代表日常考评"], ["姓名", "考核人"] + REP_ITEMS,
        [names["DB01"], "王书记", 20, 15, 15, 10], [names["DB01"], "李主任", 22, 15, 15, 12]]))
    files.append(write_sheet(folder / "民主评议计票.xlsx", [
        ["2026年度村干部民主评议计票表"], ["编号", "姓名", "优秀", "称职", "基本称职", "不称职"],
        ["GB01", names["GB01"], 20, 8, 2, 0], ["GB02", names["GB02"], 10, 12, 6, 2],
        ["GB03", names["GB03"], 5, 15, 8, 2], ["DB01", names["DB01"], 6, 14, 8, 2]]))
    files.append(write_sheet(folder / "负面记录.xlsx", [
        ["负面行为记录"], ["姓名", "事项", "日期", "次数", "说明"],
        [names["GB03"], "坐值班制度执行不严格", "2026-03-02", 2, "=两次值班缺岗"]]))
    return files


def test_every_writer_stores_hostile_text_as_text(village: Path, runner, tmp_path: Path) -> None:
    folder = village.parent

    # --- households import: the ledger (xlsx_patch) and the error workbook -------------
    roster = _roster(folder)
    result = invoke(runner, "households", "import", village, roster, "--skip-invalid")
    assert result.exit_code == 0, result.stdout + result.stderr
    ledger_names = {f"ZP{101 + i}": clean_name(n) for i, n in enumerate(HOSTILE_NAMES)}
    frame = Ledger.open(village).frame("户籍")
    stored = {clean_text(r["户号"]): r["户主"] for _, r in frame.iterrows()}
    assert {h: stored[h] for h in ledger_names} == ledger_names
    cells = read_back(village, quote_prefix=False)
    assert_has(cells, list(ledger_names.values()) + [clean_text(n) for n in HOSTILE_NOTES], what="户籍")

    errors = folder / f"{Path(ROSTER_FILE).stem}_未导入行.xlsx"
    cells = read_back(errors)
    assert cells["问题行"]["A1"].startswith(ROSTER_FILE)  # the title: a tab and "=" first, kept as text
    assert_has(cells, ["=1+2", "+8613800138000", "@SUM(A1) 原样"], what=errors.name)

    # --- inspect forms: names as text, the 合计 formula the only one -----------------------
    forms_dir = tmp_path / "空白表"
    result, data = invoke_json(runner, "inspect", "forms", village, "--month", MONTH, "-o", forms_dir)
    assert result.exit_code == 0, result.stdout
    forms = sorted(forms_dir.glob("*.xlsx"))
    assert len(forms) == 4
    seen: dict[str, str] = {}
    for form in forms:
        cells = read_back(form, tool_formulas=True)
        [sheet] = cells.values()
        for coord, value in sheet.items():
            hid = sheet.get(coord.replace("C", "B", 1)) if re.fullmatch(r"C\d+", coord) else None
            if hid in ledger_names:
                seen[hid] = value
        assert all(isinstance(v, int) for k, v in sheet.items() if re.fullmatch(r"A\d+", k) and k not in ("A1", "A2")
                   and not str(v).startswith("检查人")), form.name  # 序号 are numbers
    assert seen == ledger_names

    # --- inspect import --report: file names in the problem list -----------------------------
    sent = _fill_forms(forms, tmp_path / "交回")
    report = tmp_path / "=1+1 问题清单.xlsx"
    result = invoke(runner, "inspect", "import", village, *sent, "--month", MONTH, "--report", report)
    assert result.exit_code == 1 and "未导入" in result.stdout, result.stdout + result.stderr
    cells = read_back(report)
    assert_has(cells, [FORM_FILES["第二组"], *FORM_FILES.values()], what=report.name)
    ledger_cells = read_back(village, quote_prefix=False)
    assert_has(ledger_cells, [FORM_FILES["第一组"], FORM_FILES["第三组"], FORM_FILES["第四组"]], what="检查记录")

    # --- score month, post, score year --export ------------------------------------------------
    assert invoke(runner, "score", "month", village, "--month", MONTH).exit_code == 0
    result = invoke(runner, "post", "month", village, "--month", MONTH, "--force", "--allow-missing",
                    "--reason", "=1+1 测试入账")
    assert result.exit_code == 0, result.stderr
    export = tmp_path / "@年度.xlsx"
    result = invoke(runner, "score", "year", village, "--year", YEAR, "--export", export)
    assert result.exit_code == 0, result.stderr
    cells = read_back(export)
    assert_has(cells, list(ledger_names.values()), what=export.name)
    [sheet] = cells.values()
    header = {v: k[0] for k, v in sheet.items() if k.endswith("2") and len(k) == 2}  # row 1 is the title
    points = [v for k, v in sheet.items()
              if k[0] == header["年度积分"] and k[1:].isdigit() and int(k[1:]) > 2 and v not in (None, "")]
    assert points and all(isinstance(v, (int, float)) for v in points)

    # --- redeem import: the shop's file name and a hostile household into the ledger --------
    shop = write_sheet(folder / SHOP_FILE, [
        ["中坪村爱心超市2026年8月1日兑换登记表"], [], ["序号", "户号", "户主", "物品", "数量", "积分", "备注"],
        [1, "ZP103", ledger_names["ZP103"], "毛巾", 1, None, "=1+1 备注"],
        [2, "ZP105", ledger_names["ZP105"], "香皂", 1, None, "@SUM(A1)"]], "兑换登记", merge_first=7)
    result, data = invoke_json(runner, "redeem", "import", village, shop, "--no-print", "--date", "2026-08-01",
                               "--operator", "=1+1经办")
    assert result.exit_code == 0, data
    assert {(s["household_id"], s["name"]) for s in data["slips"]} == {
        ("ZP103", ledger_names["ZP103"]), ("ZP105", ledger_names["ZP105"])}  # --json keeps the text
    cells = read_back(village, quote_prefix=False)
    assert_has(cells, [ledger_names["ZP103"], ledger_names["ZP105"], "=1+1经办",
                       f"{SHOP_FILE} / 兑换登记 / 第4行"], what="兑换记录")

    # --- cadre score --pay-sheet ------------------------------------------------------------------
    ledger = Ledger.open(village)
    ledger.replace("干部", pd.DataFrame([{"编号": i, "姓名": n, "职务": d, "类别": "村民代表" if i == "DB01" else "村干部",
                                        "状态": "在职"} for i, n, d in CADRES], dtype=object))
    ledger.save("test-setup")
    result, data = invoke_json(runner, "cadre", "import", village, *_cadre_materials(tmp_path), "--year", YEAR)
    assert result.exit_code == 0, data
    pay = tmp_path / "-报酬.xlsx"
    result, people = invoke_json(runner, "cadre", "score", village, "--year", YEAR, "--pay-sheet", pay)
    assert result.exit_code == 0, people
    cells = read_back(pay)
    assert_has(cells, [n for i, n, _ in CADRES if i != "DB01"] + [d for i, _, d in CADRES if i != "DB01"], what=pay.name)

    # --- transfer out: the JSON file keeps the text exactly ------------------------------------
    set_setting(village, "镇转移密钥", "town-key-2026")
    out_json = tmp_path / "转移.json"
    result = invoke(runner, "transfer", "out", village, "--household", "ZP101", "--to-village", HOSTILE_VILLAGE,
                    "--operator", "@SUM(A1)", "--date", "2026-09-01", "-o", out_json)
    assert result.exit_code == 0, result.stderr
    strings = json_strings(json.loads(out_json.read_text(encoding="utf-8")))
    assert ledger_names["ZP101"] in strings and clean_name(HOSTILE_VILLAGE) in strings

    # --- run --inbox: the problem list of a refused file ----------------------------------------
    inbox = tmp_path / "收件箱"
    inbox.mkdir()
    (inbox / BAD_INBOX_FILE).write_bytes(b"not a workbook")
    result = invoke(runner, "run", village, "--inbox", inbox, "--month", MONTH, "--date", "2026-08-30")
    assert result.exit_code not in (0, 70), result.stdout + result.stderr
    [problems] = (inbox / "refused").glob("*.问题.xlsx")
    cells = read_back(problems)
    assert cells["问题清单"]["A1"].startswith(BAD_INBOX_FILE)

    # --- rollup -o: village and file names from other ledgers -------------------------------------
    town = tmp_path / "全镇"
    town.mkdir()
    shutil.copyfile(village, town / "中坪村.xlsx")
    other = town / "邻村.xlsx"
    shutil.copyfile(village, other)
    set_setting(other, "村名", HOSTILE_VILLAGE)
    (town / BAD_ROLLUP_FILE).write_bytes(b"PK\x03\x04 broken")
    out = tmp_path / "+全镇汇总.xlsx"
    result = invoke(runner, "rollup", town, "-o", out, "--year", YEAR, "--workers", "1")
    assert result.exit_code in (0, 1) and out.exists(), result.stdout + result.stderr  # 1: a file was skipped
    cells = read_back(out)
    assert_has(cells, [HOSTILE_VILLAGE], [BAD_ROLLUP_FILE], what=out.name)

    # --- the ledger at the end: every sheet text, negative numbers still numbers ----------------
    cells = read_back(village, quote_prefix=False)
    assert_has(cells, list(ledger_names.values()), [SHOP_FILE, "=1+1 测试入账"], what=village.name)
    journal = cells["积分流水"]
    header = {v: k.rstrip("0123456789") for k, v in journal.items() if re.fullmatch(r"[A-Z]+1", k)}
    col = header["积分"]
    points = [v for k, v in journal.items() if k.rstrip("0123456789") == col and k != f"{col}1"]
    assert all(isinstance(v, (int, float)) for v in points) and any(v < 0 for v in points)

    # --- init: the village name typed on the command line -----------------------------------------
    fresh = tmp_path / "新村.xlsx"
    result = invoke(runner, "init", fresh, "--village", HOSTILE_VILLAGE, "--date", "2026-01-01")
    assert result.exit_code == 0, result.stderr
    assert_has(read_back(fresh), [clean_name(HOSTILE_VILLAGE)], what=fresh.name)

    # --- a CSV export would go through csv_text ------------------------------------------------------
    assert [csv_text(v) for v in ["=1+1", "@A", "+1", "-1+2", "\t=1", "\r=1", "张三", -5, 3.5]] == [
        "'=1+1", "'@A", "'+1", "'-1+2", "'\t=1", "'\r=1", "张三", -5, 3.5]
    assert FORMULA_LEADS == ("=", "+", "-", "@", "\t", "\r")
