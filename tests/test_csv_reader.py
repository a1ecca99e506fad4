"""CSV/TSV imports: encodings, delimiters and quoting, through the same untrusted-file pipeline."""

from __future__ import annotations

import os
from pathlib import Path

import openpyxl
import pytest

from conftest import invoke
from villagectl.errors import DataError
from villagectl.io.csv_reader import ENCODING_MESSAGE, read_csv
from villagectl.io.filetype import looks_like_spreadsheet, sniff
from villagectl.io.preflight import Limits, check_file
from villagectl.io.reader import SheetRows, read_workbook
from villagectl.io.sandbox import read_untrusted, read_untrusted_many
from villagectl.ledger.workbook import Ledger


def _write(path: Path, text: str, encoding: str) -> Path:
    path.write_bytes(text.encode(encoding))
    return path


def _only_sheet(path: Path) -> SheetRows:
    book = read_workbook(path)
    assert len(book.sheets) == 1
    return book.sheets[0]


def test_utf8_bom_crlf_excel_export_padded_with_commas(tmp_path: Path) -> None:
    # what Excel's "CSV UTF-8" writes: BOM, CRLF, every row padded to the used range
    text = "第一组花名册,,,\r\n,,,\r\n户号,户主,人口,备注\r\n001,张三,4,\r\n002,李四,2,低保\r\n,,,\r\n"
    path = _write(tmp_path / "一组 名册.csv", text, "utf-8-sig")
    assert sniff(path) == "csv" and check_file(path) == "csv"
    sheet = _only_sheet(path)
    assert sheet.name == "一组 名册"
    assert sheet.encoding == "utf-8-sig" and sheet.encoding_label == "UTF-8（带 BOM）"
    assert sheet.delimiter == ","
    assert sheet.rows == [
        ["第一组花名册", "", "", ""],
        ["", "", "", ""],
        ["户号", "户主", "人口", "备注"],
        ["001", "张三", "4", ""],
        ["002", "李四", "2", "低保"],
    ]  # the trailing empty row is stripped; the BOM is not part of A1
    assert sheet.rows[3][0] == "001" and sheet.rows[4][3] == "低保"


def test_utf8_lf_quoted_cells_keep_commas_and_line_breaks(tmp_path: Path) -> None:
    text = (
        "户号,户主,住址,备注\n"
        '001,张三,"东街 3 号,北院","上月已交\n本月未交"\n'
        '002,"李""四""",西街，5号, 35 \n'  # doubled quotes; a full-width comma is text; spaces kept
        "003,王五\n"  # a short row is padded
    )
    path = _write(tmp_path / "检查.csv", text, "utf-8")
    sheet = _only_sheet(path)
    assert sheet.encoding == "utf-8" and sheet.encoding_label == "UTF-8"
    assert len(sheet.rows) == 4 and all(len(r) == 4 for r in sheet.rows)
    assert sheet.rows[1] == ["001", "张三", "东街 3 号,北院", "上月已交\n本月未交"]
    assert sheet.rows[2] == ["002", '李"四"', "西街，5号", " 35 "]
    assert sheet.rows[3] == ["003", "王五", "", ""]


def test_gbk_file_with_rare_name_characters(tmp_path: Path) -> None:
    text = "户号,户主,组别,人口\r\n001,刘昇,第一组,3\r\n002,赵喆,第二组,5\r\n003,钱赟,第二组,1\r\n"
    encoding = "gbk"
    try:
        text.encode("gbk")
    except UnicodeEncodeError:  # pragma: no cover - 昇喆赟 are all in GBK
        encoding = "gb18030"
    path = _write(tmp_path / "名册.csv", text, encoding)
    with pytest.raises(UnicodeDecodeError):
        path.read_bytes().decode("utf-8")  # really not UTF-8
    sheet = _only_sheet(path)
    assert sheet.encoding == "gb18030" and sheet.encoding_label == "GBK/GB18030"
    assert sheet.rows[0] == ["户号", "户主", "组别", "人口"]
    assert sheet.rows[1][1] == "刘昇" and sheet.rows[2][1] == "赵喆" and sheet.rows[3][1] == "钱赟"
    assert sheet.rows[3] == ["003", "钱赟", "第二组", "1"]


@pytest.mark.parametrize("codec, expected", [("utf-16", None), ("utf-16-be", "utf-16-be")])
def test_utf16_with_bom(tmp_path: Path, codec: str, expected: str | None) -> None:
    text = "户号\t户主\t人口\r\n001\t张三\t4\r\n002\t李四\t2\r\n"
    path = tmp_path / "导出.csv"
    if codec == "utf-16":
        path.write_bytes(text.encode("utf-16"))  # BOM in the machine's order
        expected = "utf-16-le" if path.read_bytes()[:2] == b"\xff\xfe" else "utf-16-be"
    else:
        path.write_bytes(b"\xfe\xff" + text.encode("utf-16-be"))
    assert check_file(path) == "csv"
    sheet = _only_sheet(path)
    assert sheet.encoding == expected and sheet.delimiter == "\t"
    assert sheet.rows == [["户号", "户主", "人口"], ["001", "张三", "4"], ["002", "李四", "2"]]


def test_tsv_with_commas_inside_cells(tmp_path: Path) -> None:
    text = "户号\t户主\t备注\n001\t张三\t扣分,已整改\n002\t李四\t\n"
    path = _write(tmp_path / "检查.tsv", text, "utf-8")
    sheet = _only_sheet(path)
    assert sheet.delimiter == "\t" and sheet.name == "检查"
    assert sheet.rows == [["户号", "户主", "备注"], ["001", "张三", "扣分,已整改"], ["002", "李四", ""]]


def test_semicolon_file(tmp_path: Path) -> None:
    text = "户号;户主;得分\r\n001;张三;3,5\r\n002;李四;4\r\n"  # a decimal comma stays inside its cell
    path = _write(tmp_path / "得分.csv", text, "utf-8")
    sheet = _only_sheet(path)
    assert sheet.delimiter == ";"
    assert sheet.rows[1] == ["001", "张三", "3,5"] and sheet.rows[2][2] == "4"


def test_a_csv_named_xlsx_is_read_by_its_content(tmp_path: Path) -> None:
    path = _write(tmp_path / "名册.xlsx", "户号,户主\n001,张三\n002,李四\n", "utf-8")
    assert sniff(path) == "csv" and check_file(path) == "csv"
    sheet = _only_sheet(path)
    assert sheet.name == "名册" and sheet.rows == [["户号", "户主"], ["001", "张三"], ["002", "李四"]]
    # and a real workbook named .csv is still a workbook
    wb = openpyxl.Workbook()
    wb.active.append(["户号", "户主"])
    wb.save(tmp_path / "其实是表格.csv")
    assert sniff(tmp_path / "其实是表格.csv") == "xlsx"


def test_binary_junk_named_csv_is_refused_in_chinese(tmp_path: Path, runner) -> None:
    junk = tmp_path / "照片.csv"
    junk.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + os.urandom(2000))
    assert sniff(junk) == "unknown"
    with pytest.raises(DataError) as info:
        check_file(junk)
    assert "二进制内容" in info.value.message
    assert info.value.problems[0].location.file == "照片.csv"
    with pytest.raises(DataError) as info:
        read_workbook(junk)  # the reader itself refuses it too, never calamine's error
    assert "二进制内容" in info.value.message
    # NUL bytes after a text-looking head
    late = tmp_path / "半截.csv"
    late.write_bytes(("户号,户主\n" + "001,张三\n" * 20000).encode() + b"\x00\x00\x00junk")
    with pytest.raises(DataError, match="二进制内容"):
        check_file(late)


def test_undecodable_text_is_refused_naming_the_file(tmp_path: Path) -> None:
    path = tmp_path / "乱码.csv"
    path.write_bytes(b"\xe6\x88\xb7,\xff\xfe\xfd\n\x80\x80,1\n")  # neither UTF-8 nor GB18030
    with pytest.raises(DataError) as info:
        check_file(path)
    assert info.value.message == ENCODING_MESSAGE
    assert info.value.problems[0].location.file == "乱码.csv"
    with pytest.raises(DataError) as info:
        read_csv(path)
    assert info.value.message == "无法识别文件编码，请在 Excel/WPS 中另存为“CSV UTF-8”或 xlsx"


def test_utf8_with_a_pasted_gbk_line_is_not_read_as_gbk(tmp_path: Path) -> None:
    # valid GB18030 as a whole (even runs of UTF-8 bytes pair up), but it would read as mojibake
    data = "户号,户主\n001,张三\n002,李四\n".encode("utf-8") + "003,昇昇\n".encode("gbk")
    data.decode("gb18030")
    path = tmp_path / "拼接.csv"
    path.write_bytes(data)
    with pytest.raises(DataError) as info:
        read_csv(path)
    assert info.value.message == ENCODING_MESSAGE


def test_old_mac_line_endings(tmp_path: Path) -> None:
    path = _write(tmp_path / "旧.csv", '户号,户主\r001,"张\r三"\r002,李四\r', "utf-8")
    assert _only_sheet(path).rows == [["户号", "户主"], ["001", "张\r三"], ["002", "李四"]]


def test_an_unclosed_quote_is_reported_with_its_line(tmp_path: Path) -> None:
    path = _write(tmp_path / "引号.csv", '户号,户主\n001,张三\n002,"李四\n003,王五\n', "utf-8")
    with pytest.raises(DataError, match="第 3 行有一个引号"):
        read_csv(path)


def test_text_size_limit_and_plain_text(tmp_path: Path) -> None:
    path = _write(tmp_path / "大.csv", "户号,户主\n" + "001,张三\n" * 200, "utf-8")
    with pytest.raises(DataError, match="CSV 文件太大"):
        check_file(path, Limits(max_text_bytes=1000))
    note = _write(tmp_path / "说明.txt", "请各组长于月底前交表\n谢谢\n", "utf-8")
    assert sniff(note) == "unknown" and not looks_like_spreadsheet(note)
    with pytest.raises(DataError, match="看不出用逗号、制表符或分号分隔的列"):
        check_file(note)
    table = _write(tmp_path / "名册.txt", "户号\t户主\n001\t张三\n", "utf-8")
    assert looks_like_spreadsheet(table) and looks_like_spreadsheet(tmp_path / "大.csv")


def test_through_the_sandbox(tmp_path: Path) -> None:
    good = _write(tmp_path / "一组.csv", "户号,户主,人口\r\n001,张三,4\r\n002,刘昇,3\r\n", "gbk")
    tsv = _write(tmp_path / "二组.tsv", "户号\t户主\n101\t赵喆\n", "utf-8-sig")
    junk = tmp_path / "坏.csv"
    junk.write_bytes(b"\x00\x01\x02" * 100)
    results = read_untrusted_many([good, tsv, junk])
    book = results[good]
    assert not isinstance(book, DataError)
    assert book.sheet_names == ["一组"]
    assert book.sheets[0].encoding == "gb18030"
    assert book.sheets[0].rows == [["户号", "户主", "人口"], ["001", "张三", "4"], ["002", "刘昇", "3"]]
    assert results[tsv].sheets[0].rows[1] == ["101", "赵喆"] and results[tsv].sheets[0].encoding == "utf-8-sig"
    assert isinstance(results[junk], DataError) and "二进制内容" in results[junk].message


def test_the_sandbox_caps_the_rows_of_a_csv(tmp_path: Path) -> None:
    from villagectl.io import sandbox

    path = _write(tmp_path / "巨大.csv", "户号,户主\n" + "001,张三\n" * (sandbox.MAX_ROWS + 5), "utf-8")
    with pytest.raises(DataError, match="表格太大"):
        read_untrusted(path)
    with pytest.raises(DataError, match="超过 10 行"):
        read_workbook(path, max_rows=10)


def test_a_csv_roster_imports(ledger_path: Path, tmp_path: Path, runner) -> None:
    roster = _write(tmp_path / "名册.csv", "户号,户主,组别,人口\r\n001,刘昇,第一组,3\r\n002,赵喆,第二组,5\r\n", "gbk")
    result = invoke(runner, "households", "import", ledger_path, roster)
    assert result.exit_code == 0, result.stderr
    frame = Ledger.open(ledger_path).frame("户籍")
    assert dict(zip(frame["户号"], frame["户主"])) == {"001": "刘昇", "002": "赵喆"}
    assert frame["人口"].tolist() == [3, 5]
    junk = tmp_path / "照片.csv"
    junk.write_bytes(os.urandom(500) + b"\x00")
    result = invoke(runner, "households", "import", ledger_path, junk)
    assert result.exit_code == 1
    assert "照片.csv: 文件含有二进制内容" in result.stderr
    assert "Traceback" not in result.stdout + result.stderr
