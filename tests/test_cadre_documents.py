"""notice cadre (public results notice + internal sheet) and notice commitments (履职承诺)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from pathlib import Path

import pandas as pd
import pytest
from pypdf import PdfReader

import villagectl.cli.cadre_doc_commands  # noqa: F401  (registers the commands until cli/main imports it)
from conftest import CADRE_ITEMS, REP_ITEMS, titled_sheet as _sheet, invoke, invoke_json
from villagectl.ledger.create import create_ledger
from villagectl.ledger.workbook import Ledger
from villagectl.render.cadre import (
    CadreNotice,
    CadreSection,
    InternalRow,
    PublicRow,
    money_text,
    render_cadre_notice,
    score_text,
)

PHONE = "13912345678"
MARKUP = "#set page(width: 1cm) *粗体* _斜体_ $x^2$ [链接](x) #strong[重点] <标签> @引用 // 注释"


def pdf_text(path: Path) -> str:
    """The PDF's text without whitespace (pypdf may split lines anywhere)."""
    return re.sub(r"\s+", "", "".join(p.extract_text() for p in PdfReader(path).pages))


def tokens(path: Path) -> set[str]:
    """The PDF's words (pypdf puts a space between table cells): to look for a number on its own."""
    return set(" ".join(p.extract_text() for p in PdfReader(path).pages).split())




def _materials(tmp: Path, title_period: str = "") -> list[Path]:
    """Votes chosen so that each person's vote count is a number found nowhere else (33, 43, 37, 31)."""
    folder = tmp / f"材料{title_period}"
    folder.mkdir(exist_ok=True)
    files = []
    for assessor, delta in (("镇考核组甲", 0), ("镇考核组乙", -1), ("镇考核组丙", 1)):
        files.append(_sheet(folder / f"评分_{assessor}.xlsx", f"2026年{title_period}村干部绩效考评评分表",
                            ["编号", "姓名"] + CADRE_ITEMS,
                            [["GB01", "王书记", 24 + delta, 14, 24, 19, 14],
                             ["GB02", "李主任", 20, 12, 20 + delta, 16, 12],
                             ["GB03", "张会计", 18, 12, 18, 14, 11 + delta]],
                            footer=f"考核人：{assessor}"))
    files.append(_sheet(folder / "代表评分.xlsx", f"{title_period}村民代表日常考评", ["姓名", "考核人"] + REP_ITEMS,
                        [["赵代表", "王书记", 20, 15, 15, 10], ["赵代表", "李主任", 22, 15, 15, 12]]))
    files.append(_sheet(folder / "民主评议计票.xlsx", f"2026年{title_period}村干部民主评议计票表",
                        ["编号", "姓名", "优秀", "称职", "基本称职", "不称职"],
                        [["GB01", "王书记", 21, 9, 3, 0], ["GB02", "李主任", 10, 12, 6, 15],
                         ["GB03", "张会计", 5, 22, 8, 2], ["DB01", "赵代表", 6, 14, 9, 2]]))
    files.append(_sheet(folder / "负面记录.xlsx", f"{title_period}负面行为记录", ["姓名", "事项", "日期", "次数", "说明"],
                        [["张会计", "承揽本村工程项目", "2026-03-02", 1, "承揽村道硬化工程"]]))
    return files


@pytest.fixture
def village(tmp_path: Path) -> Path:
    path = tmp_path / "中坪村台账.xlsx"
    create_ledger(path, "中坪村", "zhongping")
    ledger = Ledger.open(path)
    ledger.replace("干部", pd.DataFrame([
        {"编号": "GB01", "姓名": "王书记", "职务": "党支部书记", "类别": "村干部", "状态": "在职", "联系电话": PHONE},
        {"编号": "GB02", "姓名": "李主任", "职务": "村委会主任", "类别": "村干部", "状态": "在职", "联系电话": "13800002222"},
        {"编号": "GB03", "姓名": "张会计", "职务": "报账员", "类别": "村干部", "状态": "在职", "联系电话": ""},
        {"编号": "DB01", "姓名": "赵代表", "职务": "第三组村民代表", "类别": "村民代表", "状态": "在职", "联系电话": ""},
    ], dtype=object))
    ledger.save("test")
    return path


@pytest.fixture
def scored(village: Path, runner, tmp_path: Path) -> tuple[Path, dict]:
    result = invoke(runner, "cadre", "import", village, *_materials(tmp_path), "--year", "2026")
    assert result.exit_code == 0, result.stdout + result.stderr
    result, people = invoke_json(runner, "cadre", "score", village, "--year", "2026")
    assert result.exit_code == 0, people
    by = {p["cadre_id"]: p for p in people["people"]}
    # the fixture is what the tests below rely on
    assert "组织调整" in by["GB02"]["flags"]  # 15 of 43 不称职 > 1/3
    assert by["GB03"]["grade"] == "不称职" and "停职教育" in by["GB03"]["flags"]  # veto
    assert by["GB01"]["pay"] == 12000
    return village, by


def _notice(runner, ledger: Path, out: Path, *extra) -> tuple:
    return invoke_json(runner, "notice", "cadre", ledger, "--year", "2026", "-o", out, "--date", "2027-01-10", *extra)


# --- the public notice -----------------------------------------------------------


def test_public_notice_has_names_posts_grades_and_nothing_private(scored, runner, tmp_path: Path) -> None:
    ledger, by = scored
    out = tmp_path / "考核公示.pdf"
    result, data = _notice(runner, ledger, out)
    assert result.exit_code == 0, data
    text = pdf_text(out)
    assert "中坪村2026年度村干部和村民代表考核结果公示" in text
    for name, post in (("王书记", "党支部书记"), ("李主任", "村委会主任"), ("张会计", "报账员"), ("赵代表", "第三组村民代表")):
        assert name in text and post in text
    for grade in {p["grade"] for p in by.values()}:
        assert grade in text
    assert "一、村干部（3人）" in text and "二、村民代表（1人）" in text
    assert f"{by['GB01']['score']:.2f}" in text  # 综合得分 with two decimals
    assert "公示期：2027年1月10日至2027年1月12日（共3天）" in text
    assert "中坪村村民委员会" in text and "异议" in text
    # never on the board: pay, flags, vote counts, deductions, the clerk's notes, phone numbers
    for pay in {p["pay"] for p in by.values() if p["pay"]}:
        assert money_text(pay) not in text and str(int(pay)) not in text
    for word in ("考核报酬", "组织调整", "停职教育", "退出", "投票数", "不称职票", "负面扣分", "一票否决", "承揽本村工程项目",
                 "15/43", PHONE):
        assert word not in text, word
    words = tokens(out)
    assert f"{by['GB01']['score']:.2f}" in words  # (the words are table cells)
    for cast in ("33", "43", "37", "31", "15"):  # votes cast, 李主任's 不称职 votes
        assert cast not in words, cast
    # JSON for scripts; the notice period is recorded like the monthly one
    assert data["ok"] and data["counts"] == {"cadres": 3, "representatives": 1} and data["recorded"]
    assert data["period_start"] == "2027-01-10" and data["period_end"] == "2027-01-12"
    assert data["internal_pdf"] is None and data["pay_total"] is None
    book = Ledger.open(ledger)
    periods = book.frame("期间")
    row = periods[periods["期间"] == "2026年度干部考核"].iloc[0]
    assert (row["状态"], row["公示开始"], row["公示截止"]) == ("公示", "2027-01-10", "2027-01-12")
    assert set(book.frame("干部考核")["状态"]) == {"公示"}


def test_internal_sheet_has_flags_reasons_votes_and_pay_total(scored, runner, tmp_path: Path) -> None:
    ledger, by = scored
    out, internal = tmp_path / "公示.pdf", tmp_path / "内部.pdf"
    result, data = _notice(runner, ledger, out, "--internal", internal)
    assert result.exit_code == 0, data
    text = pdf_text(internal)
    assert text.count("内部材料，不得张贴") >= 2  # header and footer of every page
    for name in ("王书记", "李主任", "张会计", "赵代表"):
        assert name in text
    assert "组织调整" in text and "停职教育" in text
    assert "承揽本村工程项目" in text  # the veto's reason (备注)
    assert "15/43" in text  # the unfit-votes reason
    assert {"33", "43", "37", "31", "15"} <= tokens(internal)  # 投票数, 不称职票
    total = sum(p["pay"] or 0 for p in by.values())
    assert data["pay_total"] == total
    assert f"考核报酬合计{money_text(total)}" in text
    assert money_text(12000) in text
    assert PHONE not in text
    # the board copy stays clean when both are printed together
    public = pdf_text(out)
    assert "内部材料" not in public and "组织调整" not in public and money_text(total) not in public


def test_unscored_year_or_period_is_refused(village: Path, runner, tmp_path: Path) -> None:
    out = tmp_path / "公示.pdf"
    before = village.read_bytes()
    result, data = _notice(runner, village, out)
    assert result.exit_code == 1
    assert "还没有计算结果" in data["error"] and "villagectl cadre score" in data["error"]
    assert not out.exists() and village.read_bytes() == before
    result = invoke(runner, "notice", "cadre", village, "--year", "2026", "--period", "H1", "-o", out)
    assert result.exit_code == 1
    assert "2026年上半年" in result.stderr and "--period H1" in result.stderr
    assert not out.exists()


def test_half_year_title_and_period_row(village: Path, runner, tmp_path: Path) -> None:
    assert invoke(runner, "cadre", "import", village, *_materials(tmp_path, "上半年"), "--year", "2026").exit_code == 0
    assert invoke(runner, "cadre", "score", village, "--year", "2026", "--period", "H1").exit_code == 0
    out = tmp_path / "半年.pdf"
    result, data = _notice(runner, village, out, "--period", "H1")
    assert result.exit_code == 0, data
    assert "中坪村2026年上半年村干部和村民代表考核结果公示" in pdf_text(out)
    assert "2026年上半年干部考核" in set(Ledger.open(village).frame("期间")["期间"])
    # the whole year has not been scored
    result, data = _notice(runner, village, tmp_path / "全年.pdf")
    assert result.exit_code == 1 and "2026年度" in data["error"]


def test_reprint_of_posted_results_changes_nothing(scored, runner, tmp_path: Path) -> None:
    ledger, _ = scored
    book = Ledger.open(ledger)
    results = book.frame("干部考核").copy()
    results["状态"] = "入账"
    book.replace("干部考核", results)
    book.save("test")
    before = ledger.read_bytes()
    result, data = _notice(runner, ledger, tmp_path / "补打.pdf")
    assert result.exit_code == 0 and data["state_before"] == "入账" and not data["recorded"]
    assert ledger.read_bytes() == before


def test_internal_must_be_another_pdf(scored, runner, tmp_path: Path) -> None:
    ledger, _ = scored
    out = tmp_path / "公示.pdf"
    result, data = _notice(runner, ledger, out, "--internal", out)
    assert result.exit_code == 2 and "不得张贴" in data["error"]
    result, data = _notice(runner, ledger, tmp_path / "公示.txt")
    assert result.exit_code == 2


def test_markup_in_ledger_text_prints_literally(scored, runner, tmp_path: Path) -> None:
    ledger, _ = scored
    book = Ledger.open(ledger)
    results = book.frame("干部考核").copy()
    results.loc[results["编号"] == "GB01", "职务"] = MARKUP
    results.loc[results["编号"] == "DB01", "姓名"] = "#赵*代表*"
    book.replace("干部考核", results)
    book.save("test")
    out, internal = tmp_path / "公示.pdf", tmp_path / "内部.pdf"
    result, data = _notice(runner, ledger, out, "--internal", internal)
    assert result.exit_code == 0, data
    for path in (out, internal):
        text = pdf_text(path)
        assert re.sub(r"\s+", "", MARKUP) in text and "#赵*代表*" in text
    assert len(PdfReader(out).pages) == 1  # "#set page(width: 1cm)" did not reach typst as code


# --- the renderer on its own ---------------------------------------------------------


def test_public_rows_cannot_carry_private_fields() -> None:
    public = {f.name for f in dataclasses.fields(PublicRow)}
    assert public == {"rank", "name", "post", "scorecard", "democratic", "score", "grade"}
    internal = {f.name for f in dataclasses.fields(InternalRow)}
    assert {"pay", "flags", "votes_cast", "unfit_votes", "deductions", "reasons"} <= internal
    assert not any("phone" in f or "电话" in f for f in public | internal)


def test_score_and_money_text() -> None:
    assert score_text(87.165) == "87.17" and score_text(94.1) == "94.10" and score_text(None) == ""
    assert score_text(float("nan")) == "" and score_text(0) == "0.00"
    assert money_text(12000) == "12,000.00" and money_text(6000.005) == "6,000.01" and money_text(None) == ""


def test_a_notice_with_one_kind_only(tmp_path: Path) -> None:
    notice = CadreNotice("中坪村", 2026, "下半年", [CadreSection("村干部", [PublicRow(1, "王喆", "书记", 90, 95, 91.5, "优秀")]),
                                                     CadreSection("村民代表", [])],
                         0.3, dt.date(2027, 1, 5), dt.date(2027, 1, 9), "向村务监督委员会反映。", "中坪村村民委员会",
                         dt.date(2027, 1, 5))
    out = render_cadre_notice(notice, tmp_path / "n.pdf")
    text = pdf_text(out)
    assert "中坪村2026年下半年村干部考核结果公示" in text and "王喆" in text and "村民代表" not in text
    assert "本村1名村干部" in text
    assert "（共5天）" in text


# --- 履职承诺 ---------------------------------------------------------------------------


def _commitments(ledger: Path, rows: list[dict]) -> None:
    book = Ledger.open(ledger)
    frame = pd.DataFrame(rows, dtype=object)
    for col in book.frame("履职承诺").columns:
        if col not in frame.columns:
            frame[col] = ""
    book.replace("履职承诺", frame)
    book.save("test")


COMMITMENTS = [
    {"年度": 2026, "编号": "DB01", "姓名": "赵代表", "类型": "个性", "承诺内容": "每季度走访联系户不少于10户，收集群众意见建议"},
    {"年度": 2026, "编号": "GB01", "姓名": "王书记", "类型": "共性", "承诺内容": "坚持每周二到村坐班，听取民情、共商村务"},
    {"年度": 2026, "编号": "GB01", "姓名": "王书记", "类型": "个性", "承诺内容": "年内完成村内主干道硬化2公里"},
    {"年度": 2026, "编号": "", "姓名": "李主任", "类型": "共性", "承诺内容": "严守廉洁纪律，不承揽本村工程项目"},
    {"年度": 2026, "编号": "GB02", "姓名": "李主任", "类型": "个性", "承诺内容": MARKUP},
    {"年度": 2025, "编号": "GB03", "姓名": "张会计", "类型": "个性", "承诺内容": "去年的承诺不应出现"},
]


def test_commitments_notice(village: Path, runner, tmp_path: Path) -> None:
    _commitments(village, COMMITMENTS)
    out = tmp_path / "承诺.pdf"
    before = village.read_bytes()
    result, data = invoke_json(runner, "notice", "commitments", village, "--year", "2026", "-o", out, "--date", "2026-01-08")
    assert result.exit_code == 0, data
    assert data == {"ok": True, "exit_code": 0, "year": 2026, "pdf": str(out), "people": 3, "commitments": 5,
                    "counts": {"cadres": 2, "representatives": 1}}
    text = pdf_text(out)
    assert "中坪村2026年度村干部和村民代表履职承诺公示" in text
    for r in COMMITMENTS[:4]:
        assert re.sub(r"\s+", "", r["承诺内容"]) in text
    assert re.sub(r"\s+", "", MARKUP) in text  # typst markup prints as it is written
    assert "去年的承诺不应出现" not in text and "张会计" not in text
    for word in ("王书记", "党支部书记", "李主任", "村委会主任", "赵代表", "第三组村民代表", "共性承诺", "个性承诺",
                 "接受党员群众监督", "中坪村村民委员会", "2026年1月8日"):
        assert word in text, word
    assert PHONE not in text
    # grouped per person: cadres in the 干部 sheet's order, then representatives
    assert text.index("王书记") < text.index("李主任") < text.index("赵代表")
    assert text.index("年内完成村内主干道硬化2公里") < text.index("李主任")
    assert village.read_bytes() == before  # read only


def test_commitments_refused_without_rows_for_the_year(village: Path, runner, tmp_path: Path) -> None:
    _commitments(village, COMMITMENTS)
    out = tmp_path / "承诺.pdf"
    result, data = invoke_json(runner, "notice", "commitments", village, "--year", "2027", "-o", out)
    assert result.exit_code == 1
    assert "没有 2027 年的承诺" in data["error"] and "填写 2027 年" in data["error"]
    assert not out.exists()


def test_commitments_point_at_the_row_to_fix(village: Path, runner, tmp_path: Path) -> None:
    rows = COMMITMENTS[:3] + [{"年度": 2026, "编号": "GB09", "姓名": "钱某", "类型": "个性", "承诺内容": "x"},
                              {"年度": 2026, "编号": "GB01", "姓名": "王书记", "类型": "其他", "承诺内容": "y"}]
    _commitments(village, rows)
    out = tmp_path / "承诺.pdf"
    result, data = invoke_json(runner, "notice", "commitments", village, "--year", "2026", "-o", out)
    assert result.exit_code == 1 and not out.exists()
    messages = {(p["cell"], p["message"]) for p in data["problems"]}
    header = Ledger.open(village).sheets["履职承诺"].header_row
    assert (f"第 {header + 4} 行", "编号“GB09”不在“干部”表中") in messages
    assert any(cell == f"第 {header + 5} 行" and "共性 或 个性" in msg for cell, msg in messages)
