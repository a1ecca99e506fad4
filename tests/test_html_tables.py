"""A web page saved as .xls (what 户籍 / 网格 systems export, and Excel opens as a sheet) reads like a workbook."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import invoke_json
from test_inspect_import import ITEMS, ledger, scores_of  # noqa: F401  (ledger: fixture)
from villagectl.io.filetype import sniff
from villagectl.io.html_table import read_html_tables
from villagectl.io.reader import read_workbook
from villagectl.ledger.workbook import Ledger

ROSTER = """<html><head><meta http-equiv="Content-Type" content="text/html; charset=gb2312"></head><body>
<table border=1>
<tr><td colspan=5>中坪村农户花名册（系统导出）</td></tr>
<tr><th>户号</th><th>户主</th><th>组别</th><th>人口</th><th>联系电话</th></tr>
<tr><td>HT01</td><td>张&nbsp;三</td><td rowspan=2>第一组</td><td>4人</td><td>13800000001</td></tr>
<tr><td>HT02</td><td>李四</td><td>3</td><td></td></tr>
<tr><td>HT03</td><td>王<br>五</td><td>第二组</td><td>2</td><td>0371-62345678</td></tr>
</table></body></html>"""


def test_cells_spans_and_line_breaks_of_an_html_table(tmp_path: Path) -> None:
    path = tmp_path / "花名册.xls"
    path.write_bytes(ROSTER.encode("gb18030"))
    assert sniff(path) == "html"
    (rows, merged), = read_html_tables(path)
    assert rows[0][0] == "中坪村农户花名册（系统导出）" and rows[0][1:] == ["", "", "", ""]
    assert rows[1] == ["户号", "户主", "组别", "人口", "联系电话"]
    assert rows[2] == ["HT01", "张 三", "第一组", "4人", "13800000001"]
    assert rows[3] == ["HT02", "李四", "", "3", ""]  # under the rowspan: the column after it
    assert rows[4][1] == "王 五"
    assert ((0, 0), (0, 4)) in merged and ((2, 2), (3, 2)) in merged
    book = read_workbook(path)
    assert [s.name for s in book.sheets] == ["花名册"]


def test_a_roster_exported_as_html_imports_with_its_merged_group(tmp_path: Path, ledger_path: Path, runner) -> None:
    path = tmp_path / "花名册.xls"
    path.write_bytes(ROSTER.encode("gb18030"))
    result, data = invoke_json(runner, "households", "import", ledger_path, path)
    assert result.exit_code == 0, data
    households = Ledger.open(ledger_path).frame("户籍").set_index("户号")
    assert households.loc["HT02", "组别"] == "第一组"  # the rowspan covers HT02
    assert str(households.loc["HT01", "人口"]) in ("4", "4.0")
    assert households.loc["HT01", "户主"] == "张三"  # a name's spaces go, as in every roster (names are keys)


def test_an_inspection_sheet_exported_as_html_imports(ledger: Path, tmp_path: Path, runner) -> None:
    header = "".join(f"<td>{item}({top}分)</td>" for _, _, item, top in ITEMS)
    cells = "".join(f"<td>{top - 0.5}</td>" for *_, top in ITEMS)
    page = (f"<table><tr><td colspan=16>中坪村第一组2026年7月检查评分表</td></tr>"
            f"<tr><td>户号</td><td>户主</td>{header}</tr>"
            f"<tr><td>ZP001</td><td>张三</td>{cells}</tr><tr><td>ZP002</td><td>李明</td>{cells}</tr></table>")
    path = tmp_path / "一组7月.xls"
    path.write_text(page, encoding="utf-8")
    result, data = invoke_json(runner, "inspect", "import", ledger, path)
    assert result.exit_code == 0, data
    assert data["files"][0]["month"] == "2026-07"
    assert scores_of(ledger, "ZP002")["RJ1"] == 14.5


@pytest.mark.parametrize("text", ["<p>不是表格</p>", "<html><body>通知：明天开会</body></html>"])
def test_a_web_page_without_a_table_is_refused_plainly(tmp_path: Path, ledger_path: Path, runner, text) -> None:
    path = tmp_path / "通知.xls"
    path.write_text(text, encoding="utf-8")
    result, data = invoke_json(runner, "households", "import", ledger_path, path)
    assert result.exit_code != 0 and result.exit_code != 70
    assert "Traceback" not in result.output


def test_a_caption_or_heading_is_the_title_and_a_page_may_start_with_its_style(tmp_path: Path) -> None:
    page = ('<style>td{mso-number-format:"\\@"}</style><h2>中坪村第三组2026年8月检查评分表</h2>'
            "<table><tr><td>户号</td><td>户主</td></tr><tr><td>ZP001</td><td>张三</td></tr></table>")
    path = tmp_path / "三组.xls"
    path.write_text(page, encoding="utf-8")
    assert sniff(path) == "html"
    (rows, merged), = read_html_tables(path)
    assert rows == [["中坪村第三组2026年8月检查评分表", ""], ["户号", "户主"], ["ZP001", "张三"]]
    captioned = tmp_path / "caption.xls"
    captioned.write_text("<table><caption>二组 8月</caption><tr><td rowspan=2>户号</td><td>户主</td></tr>"
                         "<tr><td>李四</td></tr></table>", encoding="utf-8")
    (rows, merged), = read_html_tables(captioned)
    assert rows[0] == ["二组 8月", ""] and merged == [((1, 0), (2, 0))]  # the spans move down with the title row


def test_a_table_inside_a_cell_is_that_cells_text(tmp_path: Path) -> None:
    path = tmp_path / "nested.xls"
    path.write_text("<table><tr><td>户号</td><td>户主</td></tr><tr><td>ZP001</td>"
                    "<td><table><tr><td>张三</td></tr></table></td></tr></table>", encoding="utf-8")
    tables = read_html_tables(path)
    assert tables == [([["户号", "户主"], ["ZP001", "张三"]], [])]
