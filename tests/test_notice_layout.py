"""Printed month notices (issue 14 §3): the footer stays with the table, 本组N户, 更正公示, masked names
that stay distinguishable. Documents are read back with pdftotext, page by page."""

from __future__ import annotations

import datetime as dt
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import invoke, invoke_json
from villagectl.ledger.workbook import Ledger
from villagectl.render.notice import MonthNotice, NoticeRow, render_month_notice, shown_names
from villagectl.demo import build_samples
from villagectl.values import clean_text

pytestmark = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="pdftotext (poppler-utils) not installed")

MONTH = "2026-07"
CATEGORIES = ["人居环境", "先锋模范", "学生就学", "创业就业", "团结友爱"]
GROUPS = ["第一组", "第二组", "第三组", "第四组"]
ROW = re.compile(r"第.组\s+\S+\s+[\d.]+")


def pages(pdf: Path) -> list[str]:
    out = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, check=True)
    return out.stdout.decode("utf-8").split("\f")[:-1] or [""]


def flat(text: str) -> str:
    return re.sub(r"\s+", "", text)


def rows_of(n: int) -> list[NoticeRow]:
    out = []
    for i in range(n):
        scores = [49.5 - i * 0.5, 18.0, 9.0, 9.0, 8.5]  # totals fall with i: the printed order is i
        out.append(NoticeRow(GROUPS[i * 4 // n], f"户主{i:03d}", scores, sum(scores), 3, household_id=f"H{i:03d}"))
    return out


def notice_of(rows: list[NoticeRow], **kw) -> MonthNotice:
    values = dict(village="中坪村", month=MONTH, categories=CATEGORIES, rows=rows,
                  period_start=dt.date(2026, 7, 26), period_end=dt.date(2026, 7, 28),
                  objection_text="如对公示内容有异议，请在公示期内向村委会反映。", committee="中坪村村民委员会",
                  issued=dt.date(2026, 7, 26))
    values.update(kw)
    return MonthNotice(**values)


# --- the footer block stays with the end of the table ------------------------------------------


@pytest.mark.parametrize("households", range(26, 36))
def test_footer_never_stands_alone_on_a_page(tmp_path, households) -> None:
    """Around the first page break every count of rows keeps 公示期 … 落款 with the table's last rows."""
    pdf = render_month_notice(notice_of(rows_of(households)), tmp_path / "公示.pdf")
    texts = pages(pdf)
    last = texts[-1]
    assert "公示期" in last and "中坪村村民委员会" in last
    assert len(ROW.findall(last)) >= min(3, households), f"{households} 户：最后一页只有落款"
    assert f"户主{households - 1:03d}" in last  # the last household is printed with the footer
    for text in texts[1:]:  # a continued page starts with the column header
        assert re.search(r"组别\s+户主\s+人居环境", text), text[:200]
    seen = [m for text in texts for m in re.findall(r"户主\d{3}", text)]
    assert seen == [f"户主{i:03d}" for i in range(households)]  # every household once, in order


def test_a_short_notice_is_one_page_with_one_header(tmp_path) -> None:
    pdf = render_month_notice(notice_of(rows_of(12)), tmp_path / "公示.pdf")
    texts = pages(pdf)
    assert len(texts) == 1 and len(re.findall(r"组别\s+户主", texts[0])) == 1
    assert len(ROW.findall(texts[0])) == 12


# --- masked names stay distinguishable ----------------------------------------------------------


def test_masked_names_that_read_the_same_get_their_household_number(tmp_path) -> None:
    rows = rows_of(6)
    rows[0].name, rows[1].name, rows[2].name, rows[3].name = "张小明", "张大明", "李四", "欧阳修文"
    assert shown_names(rows[:4], masked=True) == ["张*明（H000）", "张*明（H001）", "李*", "欧阳*文"]
    assert shown_names(rows[:4], masked=False) == ["张小明", "张大明", "李四", "欧阳修文"]
    text = flat("".join(pages(render_month_notice(notice_of(rows, mask_names=True), tmp_path / "公示.pdf"))))
    assert "张*明（H000）" in text and "张*明（H001）" in text and "张小明" not in text and "李*" in text


# --- from the ledger: 本组N户, 更正公示 --------------------------------------------------------------


@pytest.fixture
def scored(runner, tmp_path: Path) -> Path:
    made = build_samples(tmp_path / "村")
    ledger = Path(made["ledger"])
    assert invoke(runner, "inspect", "import", ledger, *made["inspections"]).exit_code == 0
    assert invoke(runner, "score", "month", ledger, "--month", MONTH).exit_code == 0
    return ledger


def _month_rows(ledger: Path):
    frame = Ledger.open(ledger).frame("月度得分")
    return frame[frame["月份"].map(clean_text) == MONTH]


def test_a_groups_notice_counts_the_group(runner, scored, tmp_path) -> None:
    pdf = tmp_path / "三组.pdf"
    result, data = invoke_json(runner, "notice", "month", scored, "--month", MONTH, "-o", pdf, "--group", "第三组")
    assert result.exit_code == 0, result.stdout
    rows = _month_rows(scored)
    n = int((rows["组别"].map(clean_text) == "第三组").sum())
    text = flat("".join(pages(pdf)))
    assert data["households"] == n and f"现将2026年7月本组{n}户农户" in text and "全村" not in text.split("公示期")[0]
    whole = tmp_path / "全村.pdf"
    assert invoke(runner, "notice", "month", scored, "--month", MONTH, "-o", whole).exit_code == 0
    assert f"现将2026年7月全村{len(rows)}户农户" in flat("".join(pages(whole)))


def test_a_reprint_after_score_adjust_is_a_correction_notice(runner, scored, tmp_path) -> None:
    first = tmp_path / "公示.pdf"
    assert invoke(runner, "notice", "month", scored, "--month", MONTH, "-o", first, "--date", "2026-07-26").exit_code == 0
    assert "更正" not in flat("".join(pages(first)))
    record = Ledger.open(scored).frame("检查记录")
    row = record[record["户号"] == "ZP001"].iloc[0]
    old = float(row["RJ1 庭院"])
    new = 15.0 if old != 15 else 14.0
    result = invoke(runner, "score", "adjust", scored, "--month", MONTH, "--household", "ZP001", "--item", "庭院",
                    "--score", str(new), "--reason", "村民异议，复查属实")
    assert result.exit_code == 0, result.stdout + result.stderr
    again = tmp_path / "更正公示.pdf"
    result = invoke(runner, "notice", "month", scored, "--month", MONTH, "-o", again, "--date", "2026-07-27")
    assert result.exit_code == 0
    assert "已生成更正公示" in result.stdout and "其中 1 户的得分在上次公示后有更正" in result.stdout.replace("\n", "")
    texts = pages(again)
    text = flat("".join(texts))
    name = clean_text(Ledger.open(scored).frame("户籍").set_index("户号").loc["ZP001", "户主"])
    assert text.startswith("中坪村2026年7月农户积分更正公示")
    marked = [line for t in texts for line in t.splitlines() if name in line and "更正" in line]
    assert marked, "the changed row is marked 更正"
    others = [line for t in texts for line in t.splitlines() if ROW.search(line) and "更正" in line]
    assert len(others) == 1  # only that row
    fmt = lambda v: f"{v:g}"  # noqa: E731
    assert f"更正内容（据“调整记录”）：•第一组{name}：庭院由{fmt(old)}分改为{fmt(new)}分（村民异议，复查属实）" in text
    assert text.index("更正内容") < text.index("公示期：")  # listed under the table, before the footer


def test_an_adjustment_before_the_first_notice_is_no_correction(runner, scored, tmp_path) -> None:
    result = invoke(runner, "score", "adjust", scored, "--month", MONTH, "--household", "ZP002", "--item", "庭院",
                    "--score", "10", "--reason", "网格员录错")
    assert result.exit_code == 0, result.stdout + result.stderr
    pdf = tmp_path / "公示.pdf"
    assert invoke(runner, "notice", "month", scored, "--month", MONTH, "-o", pdf).exit_code == 0
    text = flat("".join(pages(pdf)))
    assert "更正" not in text and text.startswith("中坪村2026年7月农户积分公示")


def test_notice_month_json_says_whether_it_was_a_correction(runner, scored, tmp_path) -> None:
    first = tmp_path / "公示.pdf"
    result, data = invoke_json(runner, "notice", "month", scored, "--month", MONTH, "-o", first, "--date", "2026-07-26")
    assert result.exit_code == 0 and (data["correction"], data["corrected"]) == (False, 0)
    assert "更正" not in result.stdout
    for hid in ("ZP001", "ZP002"):
        result = invoke(runner, "score", "adjust", scored, "--month", MONTH, "--household", hid, "--item", "庭院",
                        "--score", "11", "--reason", "复查")
        assert result.exit_code == 0, result.stdout + result.stderr
    again = tmp_path / "更正公示.pdf"
    result, data = invoke_json(runner, "notice", "month", scored, "--month", MONTH, "-o", again, "--date", "2026-07-27")
    assert result.exit_code == 0 and (data["correction"], data["corrected"]) == (True, 2)


def test_year_notice_masked_names_that_read_the_same_get_their_household_number(tmp_path) -> None:
    from villagectl.actions.year_notice import distinguish_masked
    from villagectl.render.year_notice import BlackRow, HonourRow, YearNotice, render_year_notice

    stars = [HonourRow("第一组", "张小明", 58, 1, "五星级文明户"), HonourRow("第一组", "张大明", 57, 2, "五星级文明户")]
    red = [HonourRow("第一组", "张小明", 58, 1, "红榜"), HonourRow("第二组", "李四", 50, 3, "红榜")]
    distinguish_masked([(stars[0], "ZP001"), (stars[1], "ZP002"), (red[0], "ZP001"), (red[1], "ZP020")])
    assert [r.distinguish for r in stars + red] == ["ZP001", "ZP002", "ZP001", ""]
    notice = YearNotice(
        village="中坪村", year=2026, households=40, stars=stars, medals=[], red=red,
        black=[BlackRow("第三组", "王五")], exposure=[],
        period_start=dt.date(2027, 1, 10), period_end=dt.date(2027, 1, 12), objection_text="如有异议请反映。",
        committee="中坪村村民委员会", issued=dt.date(2027, 1, 10), show_medals=False, mask_names=True)
    pdf = tmp_path / "年度公示.pdf"
    render_year_notice(notice, pdf)
    text = flat("".join(pages(pdf)))
    assert text.count("张*明（ZP001）") == 2 and "张*明（ZP002）" in text  # on both lists, the same way
    assert "李*" in text and "李*（" not in text and "王*" in text and "王*（" not in text  # no collision: no 户号
    assert "张小明" not in text and "张大明" not in text


@pytest.mark.parametrize("households", range(44, 66, 2))
def test_year_notice_footer_never_stands_alone(tmp_path, households) -> None:
    from villagectl.render.year_notice import HonourRow, YearNotice, render_year_notice

    red = [HonourRow(GROUPS[i % 4], f"户主{i:03d}", 60 - i * 0.5, i + 1, "红榜") for i in range(households)]
    notice = YearNotice(
        village="中坪村", year=2026, households=households * 3, stars=[], medals=[], red=red, black=[], exposure=[],
        period_start=dt.date(2027, 1, 10), period_end=dt.date(2027, 1, 12), objection_text="如有异议请反映。",
        committee="中坪村村民委员会", issued=dt.date(2027, 1, 10), show_stars=False, show_medals=False)
    pdf = tmp_path / "年度公示.pdf"
    render_year_notice(notice, pdf)
    texts = pages(pdf)
    last = texts[-1]
    assert "公示期" in last and "中坪村村民委员会" in last
    assert f"户主{households - 1:03d}" in last and len(re.findall(r"户主\d{3}", last)) >= 2, f"{households} 户"
    for text in texts[1:]:
        assert re.search(r"名次\s+组别\s+户主\s+年度积分", text), text[:200]
    seen = [m for text in texts for m in re.findall(r"户主\d{3}", text)]
    assert sorted(seen) == [f"户主{i:03d}" for i in range(households)] and len(set(seen)) == households


@pytest.mark.parametrize("events", range(20, 34))
def test_events_notice_footer_never_stands_alone(tmp_path, events) -> None:
    from villagectl.render.events_notice import EventNotice, EventNoticeRow, render_events_notice

    rows = [EventNoticeRow(f"E{i:05d}", "2026-08-03", GROUPS[0], f"户主{i:03d}", "", "志愿服务", "加分", 1, 2,
                           "修路出工（8天）") for i in range(events)]
    notice = EventNotice("中坪村", rows, dt.date(2026, 8, 10), dt.date(2026, 8, 12), "如有异议请反映。",
                         "中坪村村民委员会", dt.date(2026, 8, 10))
    pdf = tmp_path / "事项公示.pdf"
    render_events_notice(notice, pdf)
    texts = pages(pdf)
    last = texts[-1]
    assert "公示期" in last and f"户主{events - 1:03d}" in last and len(re.findall(r"户主\d{3}", last)) >= 3, events
    for text in texts[1:]:
        assert re.search(r"编号\s+日期\s+组别\s+户主", text), text[:200]
    assert [m for t in texts for m in re.findall(r"户主\d{3}", t)] == [f"户主{i:03d}" for i in range(events)]


@pytest.mark.parametrize("representatives", range(8, 30, 2))
def test_cadre_notice_footer_never_stands_alone(tmp_path, representatives) -> None:
    from villagectl.render.cadre import CadreNotice, CadreSection, PublicRow, render_cadre_notice

    cadres = [PublicRow(i + 1, f"干部{i:02d}", "村委委员", 90.0 - i, 88.0, 89.4 - i, "称职") for i in range(5)]
    reps = [PublicRow(i + 1, f"代表{i:03d}", "村民代表", 90.0 - i / 2, 88.0, 89.0 - i / 2, "称职")
            for i in range(representatives)]
    notice = CadreNotice("中坪村", 2026, "全年", [CadreSection("村干部", cadres), CadreSection("村民代表", reps)], 0.3,
                         dt.date(2027, 1, 10), dt.date(2027, 1, 12), "如有异议请反映。", "中坪村村民委员会",
                         dt.date(2027, 1, 10))
    pdf = tmp_path / "考核公示.pdf"
    render_cadre_notice(notice, pdf)
    texts = pages(pdf)
    last = texts[-1]
    assert "公示期" in last and f"代表{representatives - 1:03d}" in last
    assert len(re.findall(r"代表\d{3}", last)) >= 3, representatives
    for text in texts[1:]:
        assert re.search(r"名次\s+姓名\s+职务", text), text[:200]
    assert [m for t in texts for m in re.findall(r"代表\d{3}", t)] == [f"代表{i:03d}" for i in range(representatives)]


@pytest.mark.parametrize("villages", [20, 24, 26, 28, 30, 58, 60, 62])
def test_rollup_pdf_signature_block_never_stands_alone(tmp_path, villages) -> None:
    from villagectl.actions.rollup import RollupResult, VillageSummary, total_of
    from villagectl.render.rollup import render_rollup_pdf

    rows = [VillageSummary(file=f"村{i}.xlsx", path="", village=f"第{i:02d}村", households=100 + i, residents=300,
                           earned=1000.0, balance=500.0, redeemed_points=10.0, redeemed_yuan=12345.5,
                           redemption_source="兑换记录", yuan_per_point=1.0, per_resident=2.0, budget=600.0,
                           stars=(1, 2, 3), medals=(1, 1, 1), red=3, black=0, rating="入账") for i in range(villages)]
    result = RollupResult(2026, villages, rows, [], [], total_of(rows), town="青山镇")
    pdf = render_rollup_pdf(result, tmp_path / "汇总.pdf", today=dt.date(2027, 1, 25))
    texts = pages(pdf)
    last = flat(texts[-1])
    assert "制表人：" in last and "青山镇人民政府（盖章）" in last and f"合计（{villages}个村）" in last
    assert len(re.findall(r"第\d\d村", last)) >= 2, villages
    for text in texts:
        assert "年度获得积分" in flat(text) and "年度评定" in flat(text)  # the header, whole, on every page
    assert [m for t in texts for m in re.findall(r"第\d\d村", t)] == [f"第{i:02d}村" for i in range(villages)]
