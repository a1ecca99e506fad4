"""``households import``: rosters as villages really keep them."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pandas as pd
import pytest
import xlwt

from conftest import add_households, household, invoke, invoke_json
from villagectl.ledger.households import id_check_char
from villagectl.ledger.workbook import Ledger


def valid_id(prefix17: str) -> str:
    return prefix17 + id_check_char(prefix17)


ID1 = valid_id("41272819650312001")
ID2 = valid_id("41272819781103002")
ID3 = valid_id("41272819900101003")


def write_roster(path: Path, header: list[str], rows: list[list], title: str = "某村村民花名册",
                 footer: list[str] = ("制表人：李会计    审核人：王书记", "制表日期：2026年6月3日")) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "花名册"
    ws.append([title])
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(header))
    ws.append([])
    ws.append(header)
    for i, row in enumerate(rows):
        ws.append(row)
        if i == 0:
            ws.append([])  # a blank row in the middle
    ws.append([])
    for line in footer:
        ws.append([line])
    wb.save(path)
    return path


STANDARD_ROWS = [
    ["001", "张三", "第一组", 4, "普通户", "13800138000", ID1],
    ["002", "李\u3000四 ", "第二组", 2, "党员户", 13912345678, ID2],
    ["003", "王五", "第二组", 1, "低保户", "0371-6612345", ID3],
]


@pytest.mark.parametrize(
    "header",
    [
        ["户号", "户主", "组别", "人口", "户类型", "联系电话", "身份证号"],
        ["户编号", "户主姓名", "组", "家庭人口", "户别", "手机号码", "身份证号码"],
        ["编号", "姓名", "村民小组", "人口数", "户类型", "电话", "公民身份号码"],
        [" 户 号 ", "户主\n姓名", "村民\n小组", "家庭人口（人）", "户别", "联系方式", "身份证号（18位）"],
    ],
)
def test_header_variants_import_the_same_households(ledger_path: Path, tmp_path: Path, runner, header) -> None:
    roster = write_roster(tmp_path / "名册.xlsx", header, STANDARD_ROWS)
    result = invoke(runner, "households", "import", ledger_path, roster)
    assert result.exit_code == 0, result.stderr
    assert "已新增 3 户" in result.stdout
    frame = Ledger.open(ledger_path).frame("户籍")
    assert frame["户号"].tolist() == ["001", "002", "003"]
    assert frame["户主"].tolist() == ["张三", "李四", "王五"]  # full-width space and trailing space removed
    assert frame["组别"].tolist() == ["第一组", "第二组", "第二组"]
    assert frame["人口"].tolist() == [4, 2, 1]
    assert frame["参评人数"].tolist() == [4, 2, 1]
    assert frame["联系电话"].tolist() == ["13800138000", "13912345678", "0371-6612345"]
    assert frame["身份证号"].tolist() == [ID1, ID2, ID3]
    assert frame["状态"].tolist() == ["正常"] * 3


def test_xls_and_ods_rosters(ledger_path: Path, tmp_path: Path, runner) -> None:
    xls = tmp_path / "一组.xls"
    book = xlwt.Workbook()
    sheet = book.add_sheet("Sheet1")
    sheet.write_merge(0, 0, 0, 3, "第一组花名册")
    for c, v in enumerate(["户号", "户主", "组别", "家庭人口"]):
        sheet.write(2, c, v)
    for c, v in enumerate(["101", "赵喆", "第一组", 3]):
        sheet.write(3, c, v)
    sheet.write(5, 0, "制表人：张")
    book.save(str(xls))
    ods = tmp_path / "二组.ods"
    pd.DataFrame({"户编号": ["201"], "户主姓名": ["钱赟"], "组别": ["第二组"], "人口": [2]}).to_excel(
        ods, engine="odf", index=False
    )
    result = invoke(runner, "households", "import", ledger_path, xls, ods)
    assert result.exit_code == 0, result.stderr
    frame = Ledger.open(ledger_path).frame("户籍")
    assert dict(zip(frame["户号"], frame["户主"])) == {"101": "赵喆", "201": "钱赟"}


def test_folder_of_rosters(ledger_path: Path, tmp_path: Path, runner) -> None:
    folder = tmp_path / "名册 文件夹"
    folder.mkdir()
    write_roster(folder / "a.xlsx", ["户号", "户主"], [["001", "张三"]])
    write_roster(folder / "b.xlsx", ["户号", "户主"], [["002", "李四"]])
    (folder / "~$a.xlsx").write_bytes(b"lock")  # Excel's owner file is not a roster
    (folder / "说明.txt").write_text("x")
    result = invoke(runner, "households", "import", ledger_path, folder)
    assert result.exit_code == 0, result.stderr
    assert Ledger.open(ledger_path).frame("户籍")["户号"].tolist() == ["001", "002"]


def test_each_validation_error_names_its_cell_and_nothing_is_written(ledger_path: Path, tmp_path: Path, runner) -> None:
    bad_id = ID1[:17] + ("0" if ID1[17] != "0" else "1")
    rows = [
        ["001", "张三", "第一组", 4, "普通户", "13800138000", bad_id],
        ["", "无户号", "第一组", 2, "普通户", "", ""],
        ["003", "王五", "第二组", 1, "富裕户", "1380013800", ID3],
        ["001", "张三丰", "第二组", 3, "普通户", "", ""],
        ["005", "孙七", "第二组", 3, "普通户", "", 4.12728196503121e17],
        ["006", "周八", "第二组", 0, "普通户", "", ""],
    ]
    roster = write_roster(tmp_path / "名册.xlsx", ["户号", "户主", "组别", "人口", "户类型", "联系电话", "身份证号"], rows)
    before = ledger_path.read_bytes()
    result, data = invoke_json(runner, "households", "import", ledger_path, roster)
    assert result.exit_code == 1
    assert ledger_path.read_bytes() == before
    got = {(p["cell"], p["message"]) for p in data["problems"]}
    expected_check = id_check_char(ID1[:17])
    assert (
        "G4",
        f"身份证号校验位错误（按前17位应为 {expected_check}，实为 {bad_id[17]}），请核对是否录错",
    ) in got  # rows: title 1, blank 2, header 3, data 4, blank 5, then 6…
    assert ("A6", "缺少户号") in got
    assert ("E7", "户类型“富裕户”不在允许的取值中（普通户、党员户、脱贫户、监测户、低保户、五保户、军烈属户、老年户、商户、社团）") in got
    assert ("F7", "联系电话“1380013800”格式不对（手机号为1开头的11位数字，座机如0371-62345678）") in got
    assert ("A8", "户号 001 重复（与 A4 相同）") in got
    assert ("G9", "身份证号被 Excel 存成了数字，末几位已丢失；请把该列设为“文本”格式后重新录入") in got
    assert ("D10", "人口 0 不合理") in got
    assert all(p["file"] == "名册.xlsx" and p["sheet"] == "花名册" for p in data["problems"])
    result = invoke(runner, "households", "import", ledger_path, roster)
    assert "名册.xlsx / 花名册 / G4: 身份证号校验位错误" in result.stderr
    assert "台账未改动" in result.stderr


def test_skip_invalid_imports_the_rest_and_writes_an_error_workbook(ledger_path: Path, tmp_path: Path, runner) -> None:
    rows = [
        ["001", "张三", "第一组", 4],
        ["002", "李四", "第一组", "不详"],
        ["003", "王五", "第二组", 1],
    ]
    roster = write_roster(tmp_path / "名册.xlsx", ["户号", "户主", "组别", "人口"], rows)
    result = invoke(runner, "households", "import", ledger_path, roster, "--skip-invalid")
    assert result.exit_code == 0, result.stderr
    assert "跳过 1 行" in result.stdout
    assert Ledger.open(ledger_path).frame("户籍")["户号"].tolist() == ["001", "003"]
    report = tmp_path / "名册_未导入行.xlsx"
    ws = openpyxl.load_workbook(report)["问题行"]
    values = [c.value for c in ws[3]]
    assert values[:3] == ["花名册", 6, "D6：人口“不详”应为整数"]
    assert values[3:7] == ["002", "李四", "第一组", "不详"]


def test_update_by_household_id_and_reimport_changes_nothing(ledger_path: Path, tmp_path: Path, runner) -> None:
    add_households(ledger_path, [household("001", "张三", 联系电话="13800138000", 备注="手工备注")])
    roster = write_roster(tmp_path / "名册.xlsx", ["户号", "户主", "组别", "联系电话"],
                          [["001", "张三", "第三组", "13900000000"], ["002", "李四", "第一组", ""]])
    result, data = invoke_json(runner, "households", "import", ledger_path, roster)
    assert result.exit_code == 0
    assert data["added"] == ["002"]
    assert sorted((c["field"], c["old"], c["new"]) for c in data["changed"]) == [
        ("组别", "第一组", "第三组"), ("联系电话", "13800138000", "13900000000")]
    frame = Ledger.open(ledger_path).frame("户籍")
    assert frame.loc[0, "备注"] == "手工备注"  # a column the roster lacks is never touched
    before = ledger_path.read_bytes()
    result = invoke(runner, "households", "import", ledger_path, roster)
    assert result.exit_code == 0
    assert "没有需要改动的内容" in result.stdout
    assert ledger_path.read_bytes() == before


def test_dry_run_writes_nothing(ledger_path: Path, tmp_path: Path, runner) -> None:
    roster = write_roster(tmp_path / "名册.xlsx", ["户号", "户主"], [["001", "张三"]])
    before = ledger_path.read_bytes()
    result = invoke(runner, "households", "import", ledger_path, roster, "--dry-run")
    assert result.exit_code == 0
    assert "将新增 1 户" in result.stdout and "试运行" in result.stdout
    assert ledger_path.read_bytes() == before


@pytest.mark.parametrize(
    "content, message",
    [
        (b"", "文件是空的"),
        (b"just some text, not a workbook", "不是电子表格文件"),
        (b"PK\x03\x04garbage-truncated", "文件已损坏"),
    ],
)
def test_bad_files_get_a_clear_message(ledger_path: Path, tmp_path: Path, runner, content, message) -> None:
    bad = tmp_path / "坏文件.xlsx"
    bad.write_bytes(content)
    result = invoke(runner, "households", "import", ledger_path, bad)
    assert result.exit_code == 1
    assert f"坏文件.xlsx: {message}" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


def test_sheet_without_header_is_reported(ledger_path: Path, tmp_path: Path, runner) -> None:
    path = tmp_path / "乱.xlsx"
    wb = openpyxl.Workbook()
    wb.active.append(["姓名不详", "x"])
    wb.save(path)
    result = invoke(runner, "households", "import", ledger_path, path)
    assert result.exit_code == 1
    assert "前10行里找不到表头" in result.stderr
