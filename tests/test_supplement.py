"""A posted month's late sheets (补录) and corrections (更正), and the streaks they change — worked numbers.

The zhongping rules (seed 001 篇3): 80–85 → 1 point, above 85 to 90 → 3, above 90 → 5; below 70 nothing;
three months in a row at 5 points → +5 (runs do not overlap); the lowest total of the village three
months in a row → 曝光台 from the third month.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from pypdf import PdfReader

from conftest import add_households, household, invoke, invoke_json, titled_sheet
from villagectl.ledger.workbook import Ledger
from villagectl.rules.presets import ZHONGPING
from villagectl.values import clean_text, to_number

ITEMS = [r for r in ZHONGPING.rules if r.type == "检查项"]
GROUPS = {"第一组": ["A1", "A2"], "第二组": ["B1", "B2"]}
NAMES = {"A1": "张建国", "A2": "李秀英", "B1": "王志强", "B2": "赵桂兰"}


def item_scores(total: float) -> list[float]:
    """Full marks, less (100 − total) taken from the items in order."""
    short = 100 - total
    out = []
    for r in ITEMS:
        cut = min(short, r.points)
        out.append(r.points - cut)
        short -= cut
    return out


def sheet(folder: Path, group: str, month: str, totals: dict[str, float]) -> Path:
    year, m = month.split("-")
    header = ["户号", "户主", *[r.item for r in ITEMS]]
    rows = [[hid, NAMES[hid], *item_scores(t)] for hid, t in totals.items()]
    folder.mkdir(parents=True, exist_ok=True)
    return titled_sheet(folder / f"{group}{int(m)}月检查表.xlsx", f"中坪村{group}{year}年{int(m)}月检查评分表", header, rows)


@pytest.fixture
def village(ledger_path: Path) -> Path:
    add_households(ledger_path, [household(h, NAMES[h], g) for g, ids in GROUPS.items() for h in ids])
    return ledger_path


def post(runner, ledger: Path, tmp: Path, month: str, sheets: dict[str, dict[str, float]], *, missing_ok: bool = False):
    """Import, score, notice on the 1st of the next month, post on the 5th."""
    folder = tmp / month
    paths = [sheet(folder, g, month, t) for g, t in sheets.items()]
    r = invoke(runner, "inspect", "import", ledger, *paths)
    assert r.exit_code == 0, r.stdout + r.stderr
    assert invoke(runner, "score", "month", ledger, "--month", month).exit_code == 0
    day = _next_month(month)
    r = invoke(runner, "notice", "month", ledger, "--month", month, "-o", tmp / f"{month}.pdf", "--date", f"{day}-01",
               *(["--partial"] if missing_ok else []))
    assert r.exit_code == 0, r.stdout + r.stderr
    extra = ["--allow-missing", "--reason", "网格员没交表"] if missing_ok else []
    r = invoke(runner, "post", "month", ledger, "--month", month, "--date", f"{day}-05", *extra)
    assert r.exit_code == 0, r.stdout + r.stderr


def _next_month(month: str) -> str:
    y, m = map(int, month.split("-"))
    return f"{y + (m == 12)}-{m % 12 + 1:02d}"


def balances(runner, ledger: Path) -> dict[str, float]:
    return {b["household_id"]: b["balance"] for b in _data(invoke_json(runner, "balance", ledger)[1])}


def _data(payload):
    """A list result, with or without the --json envelope."""
    if isinstance(payload, dict):
        return next(v for k, v in payload.items() if isinstance(v, list))
    return payload


def row(ledger: Path, month: str, hid: str) -> dict:
    frame = Ledger.open(ledger).frame("月度得分")
    hit = frame[(frame["月份"].map(clean_text) == month) & (frame["户号"].map(clean_text) == hid)]
    return hit.iloc[0].to_dict()


def journal_for(ledger: Path, hid: str) -> list[tuple[str, float, str]]:
    j = Ledger.open(ledger).frame("积分流水")
    j = j[j["户号"].map(clean_text) == hid]
    return [(clean_text(k), to_number(p), str(s)) for k, p, s in zip(j["类型"], j["积分"], j["摘要"])]


def notice_and_post(runner, ledger: Path, tmp: Path, month: str, start: str, post_day: str) -> dict:
    pdf = tmp / f"{month}补录.pdf"
    r = invoke(runner, "notice", "month", ledger, "--month", month, "-o", pdf, "--date", start)
    assert r.exit_code == 0, r.stdout + r.stderr
    early = invoke(runner, "post", "month", ledger, "--month", month, "--date", start)
    assert early.exit_code == 1 and "公示期" in early.stderr  # the supplement's own notice period
    result, posted = invoke_json(runner, "post", "month", ledger, "--month", month, "--date", post_day)
    assert result.exit_code == 0, result.stdout + result.stderr
    return {"pdf": pdf, **posted}


def test_september_group_refused_then_posted_late_as_a_supplement(runner, village, tmp_path: Path) -> None:
    """The issue's September: a group's sheet missing, the month posted without it, the sheet comes late."""
    ledger = village
    # 第一组's sheet is refused (a score above its maximum): the month is noticed and posted without it
    bad = sheet(tmp_path / "bad", "第一组", "2026-09", {"A1": 95, "A2": 86})
    import openpyxl

    wb = openpyxl.load_workbook(bad)
    wb.active.cell(3, 3, ITEMS[0].points + 3)  # A1's 庭院 18 of 15
    wb.save(bad)
    refused = invoke(runner, "inspect", "import", ledger, bad)
    assert refused.exit_code == 1 and "超过满分" in refused.stdout + refused.stderr
    post(runner, ledger, tmp_path, "2026-09", {"第二组": {"B1": 88, "B2": 82}}, missing_ok=True)
    before = balances(runner, ledger)
    assert (before["A1"], before["B1"], before["B2"]) == (0, 3, 1)
    late = sheet(tmp_path / "late", "第一组", "2026-09", {"A1": 95, "A2": 86})
    result = invoke(runner, "inspect", "import", ledger, late)
    assert result.exit_code == 0, result.stdout + result.stderr
    assert "按补录导入" in result.stdout and "2026-09 补录1" in result.stdout
    assert row(ledger, "2026-09", "A1")["状态"] == "补录"
    assert row(ledger, "2026-09", "B1")["状态"] == "入账"  # others are untouched (B1's rank moved: not a change)
    # nothing is posted before the supplement's notice period is over
    assert balances(runner, ledger) == before
    done = notice_and_post(runner, ledger, tmp_path, "2026-09", "2026-10-10", "2026-10-13")
    assert done["supplement"] == "2026-09 补录1" and done["points"] == 5 + 3 and done["entries"] == 2
    text = "".join(p.extract_text() for p in PdfReader(done["pdf"]).pages)
    assert "中坪村2026年9月农户积分补录公示" in text and "张建国" in text and "王志强" not in text
    after = balances(runner, ledger)
    assert (after["A1"], after["A2"], after["B1"], after["B2"]) == (5, 3, 3, 1)
    assert journal_for(ledger, "A1") == [("月度积分", 5, "2026-09 月度检查 95 分（补录）")]
    assert row(ledger, "2026-09", "A1")["状态"] == "入账" and clean_text(row(ledger, "2026-09", "A1")["原值"]) == ""
    # the same sheet again adds nothing; a different score for a posted household is refused
    again = invoke(runner, "inspect", "import", ledger, late)
    assert again.exit_code == 0 and "内容与已导入的相同" in again.stdout
    changed = sheet(tmp_path / "changed", "第一组", "2026-09", {"A1": 90, "A2": 86})
    refused = invoke(runner, "inspect", "import", ledger, changed)
    assert refused.exit_code == 1 and "score adjust --month 2026-09 --household A1 --after-post" in refused.stdout + refused.stderr
    assert invoke(runner, "check", ledger).exit_code == 0


def test_a_late_sheet_completes_a_three_month_run(runner, village, tmp_path: Path) -> None:
    ledger = village
    post(runner, ledger, tmp_path, "2026-07", {"第一组": {"A1": 95, "A2": 86}, "第二组": {"B1": 88, "B2": 82}})
    post(runner, ledger, tmp_path, "2026-08", {"第一组": {"A1": 92, "A2": 86}, "第二组": {"B1": 88, "B2": 82}})
    post(runner, ledger, tmp_path, "2026-09", {"第二组": {"B1": 88, "B2": 82}}, missing_ok=True)
    assert balances(runner, ledger)["A1"] == 10  # 5 + 5, no bonus: September broke the run
    late = sheet(tmp_path / "late", "第一组", "2026-09", {"A1": 91, "A2": 86})
    assert invoke(runner, "inspect", "import", ledger, late).exit_code == 0
    assert row(ledger, "2026-09", "A1")["奖励"] == 5
    done = notice_and_post(runner, ledger, tmp_path, "2026-09", "2026-10-10", "2026-10-13")
    assert done["points"] == 5 + 5 + 3  # A1 monthly + bonus, A2 monthly
    assert balances(runner, ledger)["A1"] == 20
    assert ("连续奖励", 5, "2026-09 连续奖励（连续最高档）（补录）") in journal_for(ledger, "A1")


def test_a_correction_after_posting_breaks_a_run_and_reverses_the_bonus(runner, village, tmp_path: Path) -> None:
    ledger = village
    for m in ("2026-07", "2026-08", "2026-09"):
        post(runner, ledger, tmp_path, m, {"第一组": {"A1": 95, "A2": 86}, "第二组": {"B1": 88, "B2": 82}})
    assert balances(runner, ledger)["A1"] == 5 * 3 + 5
    # August's 庭院 (RJ1, 10 of 15) was misread: 0 takes August to 85, 1 point, and breaks the run
    item = ITEMS[0]
    refused = invoke(runner, "score", "adjust", ledger, "--month", "2026-08", "--household", "A1", "--item", item.code,
                     "--score", "0", "--reason", "复查：庭院杂物堆放")
    assert refused.exit_code == 1 and "--after-post" in refused.stderr
    result = invoke(runner, "score", "adjust", ledger, "--month", "2026-08", "--household", "A1", "--item", item.code,
                    "--score", "0", "--reason", "复查：庭院杂物堆放", "--after-post")
    assert result.exit_code == 0, result.stdout + result.stderr
    assert "2026-09" in result.stdout  # the later month's bonus is recomputed and listed
    assert row(ledger, "2026-08", "A1")["状态"] == "更正" and row(ledger, "2026-09", "A1")["状态"] == "更正"
    assert "因2026-08更正重算" in clean_text(row(ledger, "2026-09", "A1")["备注"])
    done = notice_and_post(runner, ledger, tmp_path, "2026-08", "2026-10-10", "2026-10-13")
    assert done["points"] == (-5 + 1) + (-5)  # August 5 → 1 (冲正 + 补记); September's bonus reversed
    assert balances(runner, ledger)["A1"] == 5 + 1 + 5
    kinds = [k for k, _, _ in journal_for(ledger, "A1")]
    assert kinds[-3:] == ["冲正", "月度积分", "冲正"]  # August: 冲正 + 补记; September's bonus: 冲正
    reversal = [s for k, _, s in journal_for(ledger, "A1") if k == "冲正"]
    assert any("连续奖励" in s and "2026-08 补录1" in s for s in reversal)
    text = "".join(p.extract_text() for p in PdfReader(done["pdf"]).pages)
    assert "更正公示" in text and "总分 95→85" in text
    assert invoke(runner, "check", ledger).exit_code == 0


def test_a_correction_puts_a_household_on_the_exposure_board(runner, village, tmp_path: Path) -> None:
    ledger = village
    post(runner, ledger, tmp_path, "2026-07", {"第一组": {"A1": 90, "A2": 86}, "第二组": {"B1": 72, "B2": 80}})
    post(runner, ledger, tmp_path, "2026-08", {"第一组": {"A1": 90, "A2": 86}, "第二组": {"B1": 75, "B2": 74}})
    post(runner, ledger, tmp_path, "2026-09", {"第一组": {"A1": 90, "A2": 86}, "第二组": {"B1": 71, "B2": 80}})
    assert clean_text(row(ledger, "2026-09", "B1")["曝光台"]) == ""  # B2 was the lowest in August
    item = ITEMS[0]
    result = invoke(runner, "score", "adjust", ledger, "--month", "2026-08", "--household", "B2", "--item", item.code,
                    "--score", "6",  # 74 had RJ1 0: now 80, above B1's 75
                    "--reason", "复查属实", "--after-post")
    assert result.exit_code == 0, result.stdout + result.stderr
    assert row(ledger, "2026-09", "B1")["曝光台"] == "是" and row(ledger, "2026-09", "B1")["状态"] == "更正"
    assert "曝光台 不上榜→上榜" in result.stdout


def test_a_late_sheet_takes_a_household_off_the_exposure_board(runner, village, tmp_path: Path) -> None:
    ledger = village
    post(runner, ledger, tmp_path, "2026-07", {"第一组": {"A1": 90, "A2": 86}, "第二组": {"B1": 85, "B2": 72}})
    post(runner, ledger, tmp_path, "2026-08", {"第二组": {"B1": 85, "B2": 72}}, missing_ok=True)
    post(runner, ledger, tmp_path, "2026-09", {"第一组": {"A1": 90, "A2": 86}, "第二组": {"B1": 85, "B2": 72}})
    assert row(ledger, "2026-09", "B2")["曝光台"] == "是"
    late = sheet(tmp_path / "late", "第一组", "2026-08", {"A1": 90, "A2": 65})
    result = invoke(runner, "inspect", "import", ledger, late)
    assert result.exit_code == 0, result.stdout + result.stderr
    assert clean_text(row(ledger, "2026-09", "B2")["曝光台"]) == ""
    assert "因2026-08补录重算" in clean_text(row(ledger, "2026-09", "B2")["备注"])
    assert "2026-09" in result.stdout and "上榜→不上榜" in result.stdout
    done = notice_and_post(runner, ledger, tmp_path, "2026-08", "2026-10-10", "2026-10-13")
    assert done["points"] == 3  # A1 90 → 3; A2 (65, below 70) earns nothing; the 曝光台 has no points
    assert row(ledger, "2026-09", "B2")["状态"] == "入账"


def test_a_correction_changed_back_before_posting_posts_nothing(runner, village, tmp_path: Path) -> None:
    ledger = village
    post(runner, ledger, tmp_path, "2026-07", {"第一组": {"A1": 95, "A2": 86}, "第二组": {"B1": 88, "B2": 82}})
    item = ITEMS[0]
    args = ["score", "adjust", ledger, "--month", "2026-07", "--household", "A1", "--item", item.code,
            "--reason", "异议", "--after-post"]
    assert invoke(runner, *args, "--score", str(item.points - 10)).exit_code == 0
    assert row(ledger, "2026-07", "A1")["状态"] == "更正"
    assert invoke(runner, *args, "--score", str(item.points - 5)).exit_code == 0  # back to what was posted
    assert row(ledger, "2026-07", "A1")["状态"] == "入账"
    before = balances(runner, ledger)
    r = invoke(runner, "notice", "month", ledger, "--month", "2026-07", "-o", tmp_path / "x.pdf", "--date", "2026-08-10")
    assert r.exit_code == 0 and "补打" in r.stdout  # nothing waits: a reprint of the posted month
    assert balances(runner, ledger) == before


def test_a_late_sheet_rescores_a_later_month_on_notice(runner, village, tmp_path: Path) -> None:
    ledger = village
    post(runner, ledger, tmp_path, "2026-06", {"第一组": {"A1": 95, "A2": 86}, "第二组": {"B1": 88, "B2": 82}})
    post(runner, ledger, tmp_path, "2026-07", {"第二组": {"B1": 88, "B2": 82}}, missing_ok=True)
    august = [sheet(tmp_path / "08", g, "2026-08", t) for g, t in
              {"第一组": {"A1": 95, "A2": 86}, "第二组": {"B1": 88, "B2": 82}}.items()]
    assert invoke(runner, "inspect", "import", ledger, *august).exit_code == 0
    assert invoke(runner, "score", "month", ledger, "--month", "2026-08").exit_code == 0
    assert invoke(runner, "notice", "month", ledger, "--month", "2026-08", "-o", tmp_path / "08.pdf",
                  "--date", "2026-09-01").exit_code == 0
    assert row(ledger, "2026-08", "A1")["奖励"] == 0
    late = sheet(tmp_path / "late", "第一组", "2026-07", {"A1": 95, "A2": 86})
    result = invoke(runner, "inspect", "import", ledger, late)
    assert result.exit_code == 0, result.stdout + result.stderr
    # June, July (late), August: three months at 5 points — August, not yet posted, is scored again
    assert row(ledger, "2026-08", "A1")["奖励"] == 5 and row(ledger, "2026-08", "A1")["状态"] == "草稿"
    assert "2026-08 已打印的公示内容有变化" in result.stdout
    periods = Ledger.open(ledger).frame("期间").set_index("期间")
    assert periods.loc["2026-08", "状态"] == "草稿" and clean_text(periods.loc["2026-08", "公示开始"]) == ""


def test_two_late_sheets_of_two_months_share_one_supplement_and_one_notice(runner, village, tmp_path: Path) -> None:
    """A late September sheet, then a late August one that changes September again: one 期间 row, one notice, posted once."""
    ledger = village
    post(runner, ledger, tmp_path, "2026-07", {"第一组": {"A1": 95, "A2": 86}, "第二组": {"B1": 88, "B2": 82}})
    post(runner, ledger, tmp_path, "2026-08", {"第二组": {"B1": 88, "B2": 82}}, missing_ok=True)
    post(runner, ledger, tmp_path, "2026-09", {"第二组": {"B1": 88, "B2": 82}}, missing_ok=True)
    assert invoke(runner, "inspect", "import", ledger, sheet(tmp_path / "l9", "第一组", "2026-09", {"A1": 95, "A2": 86})).exit_code == 0
    r = invoke(runner, "notice", "month", ledger, "--month", "2026-09", "-o", tmp_path / "n9.pdf", "--date", "2026-10-10")
    assert r.exit_code == 0
    late = invoke(runner, "inspect", "import", ledger, sheet(tmp_path / "l8", "第一组", "2026-08", {"A1": 95, "A2": 86}))
    assert late.exit_code == 0, late.stdout + late.stderr
    assert "2026-09 补录1 已打印的公示内容有变化" in late.stdout  # the notice showed A1 without September's bonus
    periods = Ledger.open(ledger).frame("期间")
    open_rows = periods[periods["期间"].map(clean_text).str.contains("补录") & (periods["状态"].map(clean_text) != "入账")]
    assert open_rows["期间"].tolist() == ["2026-09 补录1"] and set(open_rows.iloc[0]["涉及月份"].split("、")) == {"2026-08", "2026-09"}
    before = balances(runner, ledger)["A1"]
    done = notice_and_post(runner, ledger, tmp_path, "2026-08", "2026-10-12", "2026-10-15")
    # A1: July 5, August 5 (late), September 5 (late) + the three-month bonus 5
    assert done["supplement"] == "2026-09 补录1" and balances(runner, ledger)["A1"] == before + 5 + 5 + 5
    text = "".join(p.extract_text() for p in PdfReader(done["pdf"]).pages)
    assert "2026年8月" in text and "2026年9月" in text
    assert invoke(runner, "post", "month", ledger, "--month", "2026-09", "--date", "2026-10-16").stdout.count("已经入账过") == 1
    assert invoke(runner, "check", ledger).exit_code == 0


def test_a_correction_changed_back_closes_its_supplement(runner, village, tmp_path: Path) -> None:
    ledger = village
    post(runner, ledger, tmp_path, "2026-07", {"第一组": {"A1": 95, "A2": 86}, "第二组": {"B1": 88, "B2": 82}})
    args = ["score", "adjust", ledger, "--month", "2026-07", "--household", "A1", "--item", ITEMS[0].code,
            "--reason", "异议", "--after-post"]
    assert invoke(runner, *args, "--score", "5").exit_code == 0
    assert invoke(runner, *args, "--score", "10").exit_code == 0  # back to what was posted
    periods = Ledger.open(ledger).frame("期间").set_index("期间")
    assert periods.loc["2026-07 补录1", "状态"] == "入账" and "无差额" in str(periods.loc["2026-07 补录1", "说明"])
    r = invoke(runner, "post", "month", ledger, "--month", "2026-07", "--date", "2026-08-20")
    assert r.exit_code == 0 and "已经入账过" in r.stdout


def test_a_correction_waiting_blocks_a_transfer_even_at_zero_points(runner, village, tmp_path: Path) -> None:
    ledger = village
    post(runner, ledger, tmp_path, "2026-07", {"第一组": {"A1": 95, "A2": 86}, "第二组": {"B1": 88, "B2": 82}})
    # B1 88 → 78 (RJ1 3 → 0 is 85; RJ2 too): 0 points, but 3 points are posted and will be reversed
    for code, score in ((ITEMS[0].code, "0"), (ITEMS[1].code, "0")):
        assert invoke(runner, "score", "adjust", ledger, "--month", "2026-07", "--household", "B1", "--item", code,
                      "--score", score, "--reason", "复查", "--after-post").exit_code == 0
    assert row(ledger, "2026-07", "B1")["积分"] == 0 and row(ledger, "2026-07", "B1")["状态"] == "更正"
    book = Ledger.open(ledger)
    book.replace("参数", pd.concat([book.frame("参数"), pd.DataFrame(
        [{"键": "镇转移密钥", "值": "town-key-for-the-test-0123456789", "说明": "测试"}], dtype=object)], ignore_index=True))
    book.save("test")
    result = invoke(runner, "transfer", "out", ledger, "--household", "B1", "--to-village", "东坪村",
                    "-o", tmp_path / "转出.json", "--date", "2026-08-20")
    assert result.exit_code == 1 and "更正" in result.stderr


def test_a_locked_year_takes_no_late_sheet_and_no_correction(runner, village, tmp_path: Path) -> None:
    ledger = village
    post(runner, ledger, tmp_path, "2026-11", {"第二组": {"B1": 88, "B2": 82}}, missing_ok=True)
    assert invoke(runner, "score", "year", ledger, "--year", "2026").exit_code == 0
    assert invoke(runner, "post", "year", ledger, "--year", "2026", "--date", "2026-12-20", "--force",
                  "--reason", "测试").exit_code == 0
    before = ledger.read_bytes()
    late = invoke(runner, "inspect", "import", ledger, sheet(tmp_path / "l", "第一组", "2026-11", {"A1": 95, "A2": 86}))
    assert late.exit_code == 1 and "年度评定也已锁定" in late.stdout + late.stderr
    adjust = invoke(runner, "score", "adjust", ledger, "--month", "2026-11", "--household", "B1", "--item",
                    ITEMS[0].code, "--score", "1", "--reason", "复查", "--after-post")
    assert adjust.exit_code == 1 and "年度评定已锁定" in adjust.stderr
    assert ledger.read_bytes() == before


def test_a_notice_end_retyped_by_hand(runner, village, tmp_path: Path) -> None:
    """公示截止 typed as 2026年8月3日 still reads; a cell that is no date is named, never a crash."""
    ledger = village
    folder = tmp_path / "07"
    paths = [sheet(folder, g, "2026-07", t) for g, t in {"第一组": {"A1": 95, "A2": 86}, "第二组": {"B1": 88, "B2": 82}}.items()]
    assert invoke(runner, "inspect", "import", ledger, *paths).exit_code == 0
    assert invoke(runner, "score", "month", ledger, "--month", "2026-07").exit_code == 0
    assert invoke(runner, "notice", "month", ledger, "--month", "2026-07", "-o", tmp_path / "n.pdf", "--date", "2026-08-01").exit_code == 0
    for typed, code in (("下周一", 1), ("2026年8月3日", 0)):
        book = Ledger.open(ledger)
        periods = book.frame("期间").copy()
        periods["公示截止"] = periods["公示截止"].astype(object)
        periods.loc[periods["期间"] == "2026-07", "公示截止"] = typed
        book.replace("期间", periods)
        book.save("test")
        result = invoke(runner, "post", "month", ledger, "--month", "2026-07", "--date", "2026-08-05")
        assert result.exit_code == code, result.stdout + result.stderr
        if code:
            assert "公示截止“下周一”不是日期" in result.stderr and "期间" in result.stderr


def test_a_bad_streak_setting_is_refused_naming_its_cell(runner, village, tmp_path: Path) -> None:
    ledger = village
    paths = [sheet(tmp_path / "07", "第一组", "2026-07", {"A1": 95, "A2": 86}), sheet(tmp_path / "07", "第二组", "2026-07", {"B1": 88, "B2": 82})]
    assert invoke(runner, "inspect", "import", ledger, *paths).exit_code == 0
    book = Ledger.open(ledger)
    settings = book.frame("参数").copy()
    settings.loc[settings["键"] == "连续奖励月数", "值"] = "0"
    book.replace("参数", settings)
    book.save("test")
    result = invoke(runner, "score", "month", ledger, "--month", "2026-07")
    assert result.exit_code == 1 and "参数“连续奖励月数”的值“0”不能小于 1" in result.stderr


def test_a_later_month_is_not_posted_over_an_unscored_earlier_one(runner, village, tmp_path: Path) -> None:
    """August's sheets imported but never scored: posting September would leave August no way in."""
    ledger = village
    post(runner, ledger, tmp_path, "2026-07", {"第一组": {"A1": 95, "A2": 86}, "第二组": {"B1": 88, "B2": 82}})
    august = [sheet(tmp_path / "08", g, "2026-08", t) for g, t in {"第一组": {"A1": 95, "A2": 86}, "第二组": {"B1": 88, "B2": 82}}.items()]
    assert invoke(runner, "inspect", "import", ledger, *august).exit_code == 0
    september = [sheet(tmp_path / "09", g, "2026-09", t) for g, t in {"第一组": {"A1": 95, "A2": 86}, "第二组": {"B1": 88, "B2": 82}}.items()]
    assert invoke(runner, "inspect", "import", ledger, *september).exit_code == 0
    assert invoke(runner, "score", "month", ledger, "--month", "2026-09").exit_code == 0
    result = invoke(runner, "post", "month", ledger, "--month", "2026-09", "--date", "2026-10-05", "--force", "--reason", "测试")
    assert result.exit_code == 1 and "2026-08 已导入检查表但还没有计分" in result.stderr


def test_score_year_says_which_months_are_not_posted_yet(runner, village, tmp_path: Path) -> None:
    """The year's result counts posted points only: a month still in 公示, or a 补录 waiting, is named."""
    ledger = village
    post(runner, ledger, tmp_path, "2026-07", {"第二组": {"B1": 88, "B2": 82}}, missing_ok=True)
    august = [sheet(tmp_path / "08", g, "2026-08", t) for g, t in {"第一组": {"A1": 95, "A2": 86}, "第二组": {"B1": 88, "B2": 82}}.items()]
    assert invoke(runner, "inspect", "import", ledger, *august).exit_code == 0
    assert invoke(runner, "score", "month", ledger, "--month", "2026-08").exit_code == 0
    assert invoke(runner, "inspect", "import", ledger, sheet(tmp_path / "l7", "第一组", "2026-07", {"A1": 95, "A2": 86})).exit_code == 0
    result, data = invoke_json(runner, "score", "year", ledger, "--year", "2026")
    assert result.exit_code == 0
    assert data["unfinished"] == ["2026-08（草稿）", "2026-07 补录1（补录或更正，草稿）"]
    shown = invoke(runner, "score", "year", ledger, "--year", "2026")
    assert "2026 年还有没入账的：2026-08（草稿）" in shown.stdout


def test_a_locked_year_takes_no_new_month_either(runner, village, tmp_path: Path) -> None:
    """The probe's clerk locked 2026 in August and then posted August: the passbook's 本年获得 left the locked ratings."""
    ledger = village
    post(runner, ledger, tmp_path, "2026-07", {"第一组": {"A1": 95, "A2": 86}, "第二组": {"B1": 88, "B2": 82}})
    paths = [sheet(tmp_path / "8", g, "2026-08", t) for g, t in (("第一组", {"A1": 95, "A2": 86}), ("第二组", {"B1": 88, "B2": 82}))]
    assert invoke(runner, "inspect", "import", ledger, *paths).exit_code == 0
    assert invoke(runner, "score", "month", ledger, "--month", "2026-08").exit_code == 0  # August scored, not posted
    assert invoke(runner, "score", "year", ledger, "--year", "2026").exit_code == 0
    assert invoke(runner, "post", "year", ledger, "--year", "2026", "--date", "2026-08-10", "--force",
                  "--reason", "测试").exit_code == 0
    before = ledger.read_bytes()
    september = invoke(runner, "inspect", "import", ledger, sheet(tmp_path / "9", "第一组", "2026-09", {"A1": 95, "A2": 86}))
    assert september.exit_code == 1
    assert "2026 年度评定已锁定（post year），不能再导入 2026-09 的检查表" in september.stdout + september.stderr
    assert invoke(runner, "notice", "month", ledger, "--month", "2026-08", "-o", tmp_path / "8.pdf",
                  "--date", "2026-09-01").exit_code in (0, 1)
    posted = invoke(runner, "post", "month", ledger, "--month", "2026-08", "--date", "2026-09-05")
    assert posted.exit_code == 1 and "2026 年度评定已锁定（post year），2026-08 不能再入账" in posted.stderr
    journal = Ledger.open(ledger).frame("积分流水")
    assert not any("2026-08" in str(v) for v in journal["摘要"])
