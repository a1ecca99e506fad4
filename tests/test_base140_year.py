"""A base-140 village's year from the command line (seed 001 篇4, issue 13).

桃源村 (villagectl.demo.base140.BASE140_DESIGN): 30 households in three groups. The 评议小组 fill the forms
``inspect forms --quarter`` makes (cross-review: 第一组 by 第二组, 第二组 by 第三组, 第三组 by 第一组),
``inspect import`` takes them back unchanged, ``notice quarter`` / ``post quarter`` publish and record each
quarter without points, events are declared, published, approved (one rejected, one left pending) and
posted, the year-end review comes on ``inspect forms --review`` forms, then ``score year``, ``notice year``
(whose 10 %: 全村30户) and ``post year``.

Worked numbers: annual = each quarterly item's mean over the quarters inspected (40 when never) + 党的建设 +
民生保障 + 遵纪守法 (20 each when not reviewed) + the year's posted events (by the event's date):

- 101: 40 + 40 + 60 + 10 + 10 = 160 (rank 1, 五星)
- 201: 39.5 + 39.5 + 59 + 10 + 7 = 155 (2, 五星)
- 102: Q2 blank: (38+39+40)/3 = 39, (40+38+39)/3 = 39, + 58 + 10 + 6 = 152 (3, 五星) — tied with
- 301: never inspected in a quarter: 40 + 40 + 54 + 10 + 8 = 152 (3, 五星: the tie straddles the 10 % cut
  at 3 of 30 and goes in whole)
- 202: inspected in 2 quarters: 40 + 38.5 + 57.5 + 10 + 4 = 150 (5, 四星)
- 103: 39.5 + 39 + 57.5 + 10 = 146 (6, 四星) — tied with
- 302: a 0 in Q1 is a 0: (0+40+40+40)/4 = 30, + 40 + 60 + 10 + 6 = 146 (6, 四星, straddling the cut at 6)
- 303: never inspected, not reviewed, no events: exactly 140 (8, 三星)
- 104 (Q3 blank: 39 + 40 + 59.5 + 6 − 5) and 204 (37.5 + 38 + 60 + 4): 139.5, rank 9 — inside the 30 %
  cut (9) but below 140: no star
- 105: its 2025-dated event (posted in January 2026) is 2025's and its rejected event counts nothing: 126
- 106: −10 dated 2026-12-20, posted in January 2027, is 2026's: 132 − 10 = 122
- 107: its +10 never left 初审: 127
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl
import pytest
from pypdf import PdfReader

from conftest import invoke, invoke_json
from villagectl.ledger.workbook import Ledger
from villagectl.demo import BASE140_EVENTS, build_base140_samples, fill_base140_form
from villagectl.values import clean_text

EXPECTED = {  # 户号: (年度积分, 名次, 星级)
    "101": (160, 1, "五星级文明户"),
    "201": (155, 2, "五星级文明户"),
    "102": (152, 3, "五星级文明户"),
    "301": (152, 3, "五星级文明户"),
    "202": (150, 5, "四星级文明户"),
    "103": (146, 6, "四星级文明户"),
    "302": (146, 6, "四星级文明户"),
    "303": (140, 8, "三星级文明户"),
    "104": (139.5, 9, ""),
    "204": (139.5, 9, ""),
    "203": (136, 11, ""),
    "205": (135, 12, ""),
    "308": (131, 13, ""),
    "210": (130, 14, ""),
    "206": (129, 15, ""),
    "304": (128.5, 16, ""),
    "108": (128, 17, ""),
    "309": (128, 17, ""),
    "107": (127, 19, ""),
    "306": (127, 19, ""),
    "208": (126.75, 21, ""),
    "105": (126, 22, ""),
    "310": (126, 22, ""),
    "305": (124, 24, ""),
    "106": (122, 25, ""),
    "110": (121, 26, ""),
    "109": (119, 27, ""),
    "207": (114, 28, ""),
    "307": (111, 29, ""),
    "209": (104, 30, ""),
}
QUARTER_DAYS = {1: "2026-03-25", 2: "2026-06-24", 3: "2026-09-23", 4: "2026-12-09"}


def ok(result) -> None:
    assert result.exit_code == 0, result.output


def day_after(text: str, days: int = 1) -> str:
    return (dt.date.fromisoformat(text) + dt.timedelta(days=days)).isoformat()


def frame(ledger: Path, sheet: str):
    return Ledger.open(ledger).frame(sheet)


def period_state(ledger: Path, name: str) -> str:
    periods = frame(ledger, "期间")
    hits = periods[periods["期间"].map(clean_text) == name]
    return clean_text(hits.iloc[-1]["状态"]) if len(hits) else ""


def events_batch(runner, ledger: Path, batch: str, out: Path) -> None:
    """BASE140_EVENTS of one batch through event add → review → notice → reject/approve → post."""
    day = f"{batch}-01"
    ids: dict[str, list[str]] = {}
    for hid, points, date, note, fate, b in BASE140_EVENTS:
        if b != batch:
            continue
        r, data = invoke_json(runner, "event", "add", ledger, "--household", hid, "--points", str(points),
                              "--note", note, "--date", date)
        ok(r)
        ids.setdefault(fate, []).extend(data["ids"])
    every = [x for v in ids.values() for x in v]
    ok(invoke(runner, "event", "review", ledger, *[a for i in every for a in ("--id", i)], "--by", "网格员",
              "--date", day))
    published = ids.get("入账", []) + ids.get("驳回", [])
    ok(invoke(runner, "event", "notice", ledger, *[a for i in published for a in ("--id", i)], "-o",
              out / f"{batch}事项公示.pdf", "--date", day))
    end = day_after(day, 2)  # 公示三天
    for i in ids.get("驳回", []):
        ok(invoke(runner, "event", "reject", ledger, "--id", i, "--reason", "经核实不属实", "--by", "村委会", "--date", end))
    approve = [a for i in ids["入账"] for a in ("--id", i)]
    ok(invoke(runner, "event", "approve", ledger, *approve, "--by", "村支书", "--date", day_after(end)))
    ok(invoke(runner, "event", "post", ledger, *approve, "--date", day_after(end)))


def forms(runner, ledger: Path, folder: Path, *args: str) -> list[Path]:
    r, data = invoke_json(runner, "inspect", "forms", ledger, "-o", folder, *args)
    ok(r)
    return [Path(p) for p in data["files"]]


@pytest.fixture
def village(tmp_path: Path) -> Path:
    return build_base140_samples(tmp_path / "桃源村")


def test_a_base140_year_from_the_command_line(village: Path, runner, tmp_path: Path) -> None:
    ledger, out = village, tmp_path / "outputs"
    out.mkdir()
    events_batch(runner, ledger, "2026-01", out)
    for q in (1, 2, 3, 4):
        files = forms(runner, ledger, tmp_path / f"Q{q}", "--quarter", f"2026Q{q}")
        assert len(files) == 3
        for f in files:
            fill_base140_form(f, q)
        r, data = invoke_json(runner, "inspect", "import", ledger, *files, "--date", QUARTER_DAYS[q])
        ok(r)
        assert {f["month"] for f in data["files"]} == {f"2026-{3 * q:02d}"}  # the form's title says the month
        # cross-review, read from each form's sign-off line
        assert {(tuple(f["groups"]), f["review_group"]) for f in data["files"]} == {
            (("第一组",), "第二组"), (("第二组",), "第三组"), (("第三组",), "第一组")}
        journal_rows = len(frame(ledger, "积分流水"))
        start = day_after(QUARTER_DAYS[q])
        r, data = invoke_json(runner, "notice", "quarter", ledger, "--quarter", f"2026Q{q}", "-o",
                              out / f"Q{q}.pdf", "--date", start)
        ok(r)
        assert data["households"] == 30
        assert data["inspected"] == {1: 28, 2: 27, 3: 24, 4: 25}[q]  # blank rows are "本季度未检查"
        assert data["period_end"] == day_after(start, 2)
        # posting is refused inside the notice period, then records the quarter without points
        early = invoke(runner, "post", "quarter", ledger, "--quarter", f"2026Q{q}", "--date", day_after(start, 2))
        assert early.exit_code == 1 and "公示期" in early.output
        ok(invoke(runner, "post", "quarter", ledger, "--quarter", f"2026Q{q}", "--date", day_after(start, 3)))
        assert period_state(ledger, f"2026年第{'一二三四'[q - 1]}季度") == "入账"
        assert len(frame(ledger, "积分流水")) == journal_rows
        if q == 3:
            events_batch(runner, ledger, "2026-09", out)

    text = "".join(p.extract_text() for p in PdfReader(out / "Q2.pdf").pages)
    assert "2026年第二季度农户日常积分公示" in text and "本季度未检查" in text
    assert "第一组由第二组评议" in text.replace("\n", "")

    review = forms(runner, ledger, tmp_path / "评议", "--review", "2026")
    for f in review:
        fill_base140_form(f, 0)
    r, data = invoke_json(runner, "inspect", "import", ledger, *review, "--date", "2026-12-18")
    ok(r)
    assert {f["month"] for f in data["files"]} == {"2026-12"}
    records = frame(ledger, "检查记录")
    december = records[records["月份"].map(clean_text) == "2026-12"].set_index(records["户号"].map(clean_text)[
        records["月份"].map(clean_text) == "2026-12"])
    scores = {c.split(" ")[0]: c for c in records.columns}
    # the fourth quarter and the review of the same month are both kept
    assert [float(december.loc["101", scores[c]]) for c in ("HJ", "WM", "DJ", "MS", "ZF")] == [40, 40, 20, 20, 20]
    assert clean_text(december.loc["108", scores["HJ"]]) == ""  # Q4 blank, reviewed
    assert float(december.loc["108", scores["DJ"]]) == 19
    assert clean_text(december.loc["301", "评议组"]) == "第一组"
    assert clean_text(december.loc["301", "评议人"]) == "何建华、胡丽萍、汪志成、杜海洋、程玉珍"

    events_batch(runner, ledger, "2027-01", out)
    ok(invoke(runner, "score", "year", ledger, "--year", "2026"))
    annual = frame(ledger, "年度评定")
    got = {clean_text(r["户号"]): (float(r["年度积分"]), int(r["名次"]), clean_text(r["星级"]))
           for r in annual.to_dict("records")}
    assert got == {h: (float(v), rank, star) for h, (v, rank, star) in EXPECTED.items()}

    ok(invoke(runner, "notice", "year", ledger, "--year", "2026", "-o", out / "年度.pdf", "--date", "2027-01-08"))
    text = "".join(p.extract_text() for p in PdfReader(out / "年度.pdf").pages).replace("\n", "")
    assert "评定基数：全村30户" in text
    assert "前10%为第1至3名（30×10%=3）" in text and "前30%为第1至9名（30×30%=9）" in text
    assert "不低于基础分140分" in text
    early = invoke(runner, "post", "year", ledger, "--year", "2026", "--date", "2027-01-10")
    assert early.exit_code == 1
    ok(invoke(runner, "post", "year", ledger, "--year", "2026", "--date", "2027-01-11"))
    assert set(frame(ledger, "年度评定")["状态"].map(clean_text)) == {"入账"}
    assert invoke(runner, "check", ledger).exit_code == 0


def test_quarter_forms_carry_the_quarter_items_and_come_back_unchanged(village: Path, runner, tmp_path: Path) -> None:
    files = forms(runner, village, tmp_path / "Q1", "--quarter", "2026Q1", "--group", "第二组")
    assert [f.name for f in files] == ["桃源村第二组2026年第一季度（3月）日常积分评分表.xlsx"]
    ws = openpyxl.load_workbook(files[0]).worksheets[0]
    assert ws["A1"].value == "桃源村第二组2026年第一季度（3月）日常积分评分表"
    assert [ws.cell(3, c).value for c in (4, 5)] == ["环境整治\n(40分)", "文明新风\n(40分)"]
    assert ws.cell(2, 6).value == "合计"
    footer = [ws.cell(r, 1).value for r in range(1, ws.max_row + 1) if str(ws.cell(r, 1).value or "").startswith("评议")]
    assert footer == ["评议小组：第____组　　评议小组成员：________________________　　日期：______年____月____日"]
    # any score in range (the preset's items have no 步长): 36.5 is allowed
    assert "MOD(" not in ws.data_validations.dataValidation[0].formula1
    fill_base140_form(files[0], 1)
    r, data = invoke_json(runner, "inspect", "import", village, *files)
    ok(r)
    assert data["files"][0]["month"] == "2026-03" and data["files"][0]["households"] == 10
    records = frame(village, "检查记录")
    row = records[records["户号"].map(clean_text) == "202"].iloc[0]
    assert (float(row["HJ 环境整治"]), float(row["WM 文明新风"])) == (40, 38)

    # --month places a quarter's forms in the month of the inspection, inside the quarter only
    files = forms(runner, village, tmp_path / "Q2", "--quarter", "2026Q2", "--month", "2026-05", "--group", "第一组")
    assert "（5月）" in files[0].name
    wrong = invoke(runner, "inspect", "forms", village, "-o", tmp_path / "x", "--quarter", "2026Q2", "--month", "2026-07")
    assert wrong.exit_code == 2 and "不在 2026年第二季度" in wrong.output
    bad = invoke(runner, "inspect", "forms", village, "-o", tmp_path / "x", "--quarter", "2026Q5")
    assert bad.exit_code == 2 and "2026Q1" in bad.output
    # the review form: the three annual items only; --month keeps its every-item form
    review = forms(runner, village, tmp_path / "R", "--review", "2026", "--group", "第三组")
    ws = openpyxl.load_workbook(review[0]).worksheets[0]
    assert [ws.cell(3, c).value.split("\n")[0] for c in (4, 5, 6)] == ["党的建设", "民生保障", "遵纪守法"]
    month = forms(runner, village, tmp_path / "M", "--month", "2026-07", "--group", "第三组")
    ws = openpyxl.load_workbook(month[0]).worksheets[0]
    assert [ws.cell(3, c).value.split("\n")[0] for c in range(4, 9)] == ["环境整治", "文明新风", "党的建设", "民生保障", "遵纪守法"]
    none = invoke(runner, "inspect", "forms", village, "-o", tmp_path / "y")
    assert none.exit_code == 2 and "--quarter" in none.output


def test_reviewers_from_the_options_and_a_group_reviewing_itself(village: Path, runner, tmp_path: Path) -> None:
    files = forms(runner, village, tmp_path / "Q1", "--quarter", "2026Q1", "--group", "第一组")
    fill_base140_form(files[0], 1)
    r, data = invoke_json(runner, "inspect", "import", village, *files, "--reviewers", "王一、李二 张三",
                          "--review-group", "1组")
    ok(r)  # a reminder, not an error
    f = data["files"][0]
    assert f["reviewers"] == ["王一", "李二", "张三"] and f["review_group"] == "1组"
    reminders = sorted(p["message"] for p in f["problems"] if p["severity"] == "提醒")
    assert len(reminders) == 2  # reviews itself; three members where 篇4 asks for five
    assert "交叉考察评议" in reminders[1] and "评议小组成员 3 人（王一、李二、张三），少于参数“评议小组最少人数” 5 人" in reminders[0]
    records = frame(village, "检查记录")
    assert set(records["评议人"].map(clean_text)) == {"王一、李二、张三"}
    assert set(records["评议组"].map(clean_text)) == {"1组"}


def test_a_quarter_notice_with_a_group_missing(village: Path, runner, tmp_path: Path) -> None:
    files = forms(runner, village, tmp_path / "Q1", "--quarter", "2026Q1")
    for f in files:
        fill_base140_form(f, 1)
    ok(invoke(runner, "inspect", "import", village, *[f for f in files if "第三组" not in f.name]))
    refused = invoke(runner, "notice", "quarter", village, "--quarter", "2026Q1", "-o", tmp_path / "q.pdf",
                     "--date", "2026-03-26")
    assert refused.exit_code == 1 and "第三组（10户）不在任何评分表上" in refused.output
    assert not (tmp_path / "q.pdf").exists()
    assert invoke(runner, "post", "quarter", village, "--quarter", "2026Q1", "--date", "2026-04-01").exit_code == 1
    ok(invoke(runner, "notice", "quarter", village, "--quarter", "2026Q1", "-o", tmp_path / "q.pdf",
              "--date", "2026-03-26", "--partial"))
    text = "".join(p.extract_text() for p in PdfReader(tmp_path / "q.pdf").pages).replace("\n", "")
    assert "部分公示" in text and "第三组（10户）" in text
    nothing = invoke(runner, "notice", "quarter", village, "--quarter", "2026Q2", "-o", tmp_path / "q2.pdf")
    assert nothing.exit_code == 1 and "还没有导入" in nothing.output


def test_a_zhongping_ledger_has_no_quarters(ledger_path: Path, runner, tmp_path: Path) -> None:
    r = invoke(runner, "notice", "quarter", ledger_path, "--quarter", "2026Q1", "-o", tmp_path / "q.pdf")
    assert r.exit_code == 1 and "周期为“季”" in r.output


def test_the_base_line_at_a_fractional_cut() -> None:
    from villagectl.scoring.annual import RatingSettings, cut_positions_text

    rows = [{"户号": str(i), "年度积分": 150 - i, "否决": "是" if i == 3 else ""} for i in range(49)]
    rows.append({"户号": "49", "年度积分": 0, "否决": ""})
    active = {str(i) for i in range(50)}
    whole = RatingSettings.from_settings({"计分方式": "基础分", "星级须不低于基础分": "是", "基础分": "140"})
    assert cut_positions_text(whole, rows, active).startswith(
        "评定基数：全村50户（年度积分为0和一票否决的户计入户数，但不参评）。前10%为第1至5名（50×10%=5），")
    rated = RatingSettings.from_settings({"计分方式": "基础分", "评定基数": "参评户"})
    text = cut_positions_text(rated, rows, active)
    assert text.startswith("评定基数：参评48户")  # the vetoed and the zero-point household are left out
    assert "前10%为第1至4名（48×10%=4.8，名次不超过4.8）" in text


@pytest.mark.parametrize(("line", "members", "group"), [
    ("评议小组：第二组　　评议小组成员：张三、李四、王五　　日期：2026年3月20日", ["张三", "李四", "王五"], "第二组"),
    ("考评小组组长：何建华　　成员：胡丽萍、汪志成　　考评日期：2025年11月28日", ["何建华", "胡丽萍", "汪志成"], ""),
    ("评议小组成员签字：何建华（组长）、胡丽萍、陈光荣（村民代表）", ["何建华", "胡丽萍", "陈光荣"], ""),
    ("评议小组（签字）：何建华　胡丽萍　汪志成　　2025年9月26日", ["何建华", "胡丽萍", "汪志成"], ""),
    ("评议小组成员：五人", [], ""),
    ("评议小组：第____组　　评议小组成员：________　　日期：______年____月____日", [], ""),  # the blank form
    ("检查人：张三　　户主确认：李四　　日期：2026年7月3日", [], ""),  # a monthly sheet's inspector: not a review
    ("打分人：龚秀兰　日期：2025/11/23", [], ""),
])
def test_the_review_sign_off_line(line: str, members: list[str], group: str) -> None:
    from villagectl.importers.review_signoff import signoff_of_rows

    found = signoff_of_rows([["", ""], [line]], "评分表")
    assert (found.members, found.group) == (members, group)
    assert found.where == ("评分表 / A2" if members or group else "")


def test_the_base140_demo(runner, tmp_path: Path) -> None:
    r, data = invoke_json(runner, "demo", "--preset", "base140", "-o", tmp_path / "演示")
    ok(r)
    assert data["stars"] == {"five_star": ["101", "201", "102", "301"], "four_star": ["202", "103", "302"],
                             "three_star": ["303"]}
    assert data["rated"] == 30 and data["posted"] == 30 and data["check_errors"] == 0
    names = [Path(p).name for p in data["notices"]]
    assert names == ["2026-01加减分事项公示.pdf", "2026年第一季度日常积分公示.pdf", "2026年第二季度日常积分公示.pdf",
                     "2026年第三季度日常积分公示.pdf", "2026-09加减分事项公示.pdf", "2026年第四季度日常积分公示.pdf",
                     "2027-01加减分事项公示.pdf", "2026年度文明户评定结果公示.pdf"]
    assert all(Path(p).stat().st_size > 1000 for p in data["notices"])
    # the demo refuses to overwrite a ledger it did not make
    other = tmp_path / "别处"
    other.mkdir()
    (other / "桃源村积分台账.xlsx").write_bytes(b"not ours")
    refused = invoke(runner, "demo", "--preset", "base140", "-o", other)
    assert refused.exit_code == 2 and (other / "桃源村积分台账.xlsx").read_bytes() == b"not ours"


def test_a_posted_quarter_keeps_its_scores(village: Path, runner, tmp_path: Path) -> None:
    files = forms(runner, village, tmp_path / "Q1", "--quarter", "2026Q1", "--group", "第一组")
    fill_base140_form(files[0], 1)
    ok(invoke(runner, "inspect", "import", village, *files))
    ok(invoke(runner, "notice", "quarter", village, "--quarter", "2026Q1", "-o", tmp_path / "q.pdf", "--date",
              "2026-03-26", "--partial"))
    ok(invoke(runner, "post", "quarter", village, "--quarter", "2026Q1", "--date", "2026-03-29"))
    # a changed score of a posted quarter is refused, whatever month of the quarter it is filed under
    again = forms(runner, village, tmp_path / "再", "--quarter", "2026Q1", "--month", "2026-02", "--group", "第一组")
    fill_base140_form(again[0], 1)
    wb = openpyxl.load_workbook(again[0])
    wb.worksheets[0]["D4"] = 30  # 101's 环境整治 (40 when posted)
    wb.save(again[0])
    r, data = invoke_json(runner, "inspect", "import", village, *again)
    assert r.exit_code == 1
    assert any(p["cell"] == "B4" and "2026年第一季度已入账，陈德荣（101）本季度的得分（环境整治 40、文明新风 40）不能再改"
               in p["message"] for p in data["files"][0]["problems"])
    # a household without a score in the posted quarter comes in late (补查), with a reminder to reprint
    late = forms(runner, village, tmp_path / "补查", "--quarter", "2026Q1", "--group", "第三组")
    fill_base140_form(late[0], 1)
    wb = openpyxl.load_workbook(late[0])
    ws = wb.worksheets[0]
    for r in range(4, ws.max_row + 1):
        if str(ws.cell(r, 2).value or "").isdigit() and str(ws.cell(r, 2).value) != "302":
            ws.cell(r, 4).value = ws.cell(r, 5).value = None  # the clerk's 补查 sheet: 302 only
    wb.save(late[0])
    r, data = invoke_json(runner, "inspect", "import", village, *late)
    ok(r)
    assert [p["message"] for p in data["files"][0]["problems"] if p["severity"] == "提醒"] == [
        "2026年第一季度已入账：甘露华（302）本季度原来没有得分，按补查导入；请重新打印季度公示（villagectl notice quarter --quarter 2026Q1）"]
    # the year-end review's annual items in a posted quarter's month pass
    review = forms(runner, village, tmp_path / "评议", "--review", "2026", "--month", "2026-03", "--group", "第一组")
    fill_base140_form(review[0], 0)
    ok(invoke(runner, "inspect", "import", village, *review))
