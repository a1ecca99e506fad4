"""A month is posted whole, or knowingly short: per-group coverage, and post month's refusal (issue: months
that don't go to plan, §1)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from conftest import invoke, invoke_json
from villagectl.ledger.workbook import Ledger
from villagectl.demo import build_samples
from villagectl.scoring.coverage import describe_missing, missing_households, month_coverage

MONTH = "2026-07"


def test_coverage_tells_inspected_listed_blank_and_missing_apart() -> None:
    households = pd.DataFrame([
        {"户号": "A1", "户主": "张三", "组别": "第一组", "状态": "正常"},
        {"户号": "A2", "户主": "李四", "组别": "第一组", "状态": "正常"},
        {"户号": "A3", "户主": "王五", "组别": "第一组", "状态": "迁出"},  # moved out: not expected
        {"户号": "B1", "户主": "赵六", "组别": "第十组", "状态": "正常"},
        {"户号": "B2", "户主": "钱七", "组别": "第十组", "状态": ""},
        {"户号": "C1", "户主": "孙八", "组别": "第二组", "状态": "正常"},
    ])
    coverage = month_coverage(households, scored={"A1", "C1"}, listed_blank={"A2"})
    assert [(g.group, g.expected, g.inspected, g.blank, g.missing) for g in coverage] == [
        ("第一组", 2, 1, ["A2"], []),
        ("第二组", 1, 1, [], []),
        ("第十组", 2, 0, [], ["B1", "B2"]),  # '第十组' sorts after '第二组'
    ]
    assert missing_households(coverage) == ["B1", "B2"]
    assert describe_missing(coverage, {}) == "第十组 2 户都没有检查表"


@pytest.fixture
def village(tmp_path: Path) -> dict:
    made = build_samples(tmp_path / "村")
    ledger = Path(made["ledger"])
    sheets = [Path(p) for p in made["inspections"]]
    return {"ledger": ledger, "sheets": sheets}


def _noticed(runner, ledger: Path, sheets: list[Path]) -> str:
    result = invoke(runner, "inspect", "import", ledger, *sheets)
    assert result.exit_code == 0, result.stdout + result.stderr
    scored = invoke(runner, "score", "month", ledger, "--month", MONTH)
    assert scored.exit_code == 0
    result = invoke(runner, "notice", "month", ledger, "--month", MONTH, "-o", ledger.parent / "公示.pdf",
                    "--date", "2026-07-26", "--partial")
    assert result.exit_code == 0, result.stdout + result.stderr
    return scored.stdout


def test_a_month_with_a_whole_group_missing_is_not_posted(runner, village) -> None:
    ledger = village["ledger"]
    without_group4 = [p for p in village["sheets"] if "第四组" not in p.name]
    shown = _noticed(runner, ledger, without_group4)
    assert "各组检查情况" in shown and "没有检查表" in shown
    before = ledger.read_bytes()
    result = invoke(runner, "post", "month", ledger, "--month", MONTH, "--date", "2026-07-29")
    assert result.exit_code == 1
    group4 = Ledger.open(ledger).frame("户籍")
    expected = int((group4["组别"] == "第四组").sum() - (group4[group4["组别"] == "第四组"]["状态"] != "正常").sum())
    assert f"第四组 {expected} 户都没有检查表" in result.stderr
    assert "--allow-missing" in result.stderr
    assert ledger.read_bytes() == before  # nothing posted, nothing locked
    assert invoke(runner, "post", "month", ledger, "--month", MONTH, "--date", "2026-07-29",
                  "--allow-missing").exit_code == 2  # the reason is required


def test_allow_missing_posts_and_records_why(runner, village) -> None:
    ledger = village["ledger"]
    _noticed(runner, ledger, [p for p in village["sheets"] if "第四组" not in p.name])
    result, posted = invoke_json(runner, "post", "month", ledger, "--month", MONTH, "--date", "2026-07-29",
                                 "--allow-missing", "--reason", "第四组网格员住院，本月不检查")
    assert result.exit_code == 0, result.stdout + result.stderr
    assert posted["households"] > 0
    periods = Ledger.open(ledger).frame("期间")
    note = str(periods[periods["期间"] == MONTH].iloc[0]["说明"])
    assert "第四组网格员住院，本月不检查" in note and note.startswith("缺 ")
    log = Ledger.open(ledger).frame("操作日志")
    assert "第四组网格员住院" in str(log.iloc[-1]["结果"])


def test_a_complete_month_posts_without_any_option(runner, tmp_path: Path) -> None:
    # every group's sheet came back, and the two households added by the roster are on the clerk's 补查 form
    made = build_samples(tmp_path / "村2")
    ledger = Path(made["ledger"])
    assert invoke(runner, "households", "import", ledger, made["roster"]).exit_code == 0
    _noticed(runner, ledger, [Path(p) for p in made["inspections"]] + [Path(made["supplement"])])
    result = invoke(runner, "post", "month", ledger, "--month", MONTH, "--date", "2026-07-29")
    assert result.exit_code == 0, result.stderr


def test_a_notice_of_an_incomplete_month_needs_partial_and_says_so(runner, village) -> None:
    from pypdf import PdfReader

    ledger = village["ledger"]
    assert invoke(runner, "inspect", "import", ledger, *[p for p in village["sheets"] if "第四组" not in p.name]).exit_code == 0
    assert invoke(runner, "score", "month", ledger, "--month", MONTH).exit_code == 0
    pdf = ledger.parent / "公示.pdf"
    before = ledger.read_bytes()
    result = invoke(runner, "notice", "month", ledger, "--month", MONTH, "-o", pdf, "--date", "2026-07-26")
    assert result.exit_code == 1 and "--partial" in result.stderr and "第四组" in result.stderr
    assert not pdf.exists() and ledger.read_bytes() == before
    result = invoke(runner, "notice", "month", ledger, "--month", MONTH, "-o", pdf, "--date", "2026-07-26", "--partial")
    assert result.exit_code == 0, result.stderr
    text = "".join(page.extract_text() for page in PdfReader(pdf).pages).replace(" ", "").replace("\n", "")
    assert "部分公示" in text and "第四组" in text and "尚未收到" in text
    # a group's own notice of a complete group is a plain notice
    one = ledger.parent / "一组.pdf"
    assert invoke(runner, "notice", "month", ledger, "--month", MONTH, "-o", one, "--date", "2026-07-26",
                  "--group", "第一组").exit_code == 0


def test_score_month_with_a_group_missing_says_the_next_step_that_works(runner, village) -> None:
    """The next step printed after scoring a month with a group on no sheet was a notice that then refused."""
    without_group4 = [p for p in village["sheets"] if "第四组" not in p.name]
    assert len(without_group4) < len(village["sheets"])
    scored = _noticed(runner, village["ledger"], without_group4)
    assert "下一步：缺的检查表交来、导入后重新计分；确要先公示已交的部分，用 villagectl notice month" in scored
    assert "--partial" in scored.split("下一步：")[1]
