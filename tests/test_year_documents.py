"""Year-end documents: the annual notice (and certificates) and the annual report for the town office."""

from __future__ import annotations

import dataclasses
import datetime as dt
import random
import re
import shutil
from pathlib import Path

import pandas as pd
import pytest
from conftest import invoke, invoke_json
from pypdf import PdfReader

import villagectl.cli.year_doc_commands  # noqa: F401  (registers notice year / report year until cli.main imports it)
from villagectl.actions.year_notice import build_certificates, build_year_notice
from villagectl.actions.year_report import build_year_report
from villagectl.actions.year_rows import period_name
from villagectl.ledger.households import normalize_phone
from villagectl.ledger.journal import NewEntry, append_entries
from villagectl.ledger.workbook import Ledger
from villagectl.render import certificates, year_notice, year_report
from villagectl.render.year_notice import year_notice_context
from villagectl.render.year_report import histogram, nice_axis, report_context
from villagectl.demo import build_samples
from villagectl.values import clean_text

YEAR = 2026
CATEGORIES = (("人居环境", 50), ("先锋模范", 20), ("学生就学", 10), ("创业就业", 10), ("团结友爱", 10))
BLACK = ("ZP010", "ZP030")  # mutual evaluation: 17 of 37 votes unqualified → black list
VOTES = (37, 17)
EXPOSED = "ZP011"  # on the 曝光台 in May, June and July
VETOED = "ZP020"
VETO_ITEM = "参与邪教或黑恶势力"


def _band(total: float) -> int:
    return 5 if total > 90 else 3 if total > 85 else 1 if total >= 80 else 0


def fill_year(ledger_path: Path, seed: int = 7, ratings: str = "星级和牌级", redemptions: bool = True) -> None:
    """Twelve posted months of 月度得分 and their journal entries, a few redemptions, votes and a veto."""
    rng = random.Random(seed)
    ledger = Ledger.open(ledger_path)
    households = ledger.frame("户籍")
    active = households[households["状态"].map(clean_text).isin(["正常", ""])]
    skill = {h: rng.uniform(0.75, 0.97) for h in active["户号"]}
    rows: list[dict] = []
    journal = ledger.frame("积分流水")
    for m in range(1, 13):
        month = f"{YEAR}-{m:02d}"
        part = []
        for _, h in active.iterrows():
            scores = [round(min(mx, max(0, rng.gauss(skill[h["户号"]], 0.05) * mx)) * 2) / 2 for _, mx in CATEGORIES]
            total = sum(scores)
            part.append({"月份": month, "户号": h["户号"], "户主": h["户主"], "组别": h["组别"],
                         **{c: v for (c, _), v in zip(CATEGORIES, scores)}, "总分": total, "积分": _band(total),
                         "奖励": 0, "曝光台": "是" if h["户号"] == EXPOSED and 5 <= m <= 7 else "", "状态": "入账"})
        part.sort(key=lambda r: -r["总分"])
        for i, r in enumerate(part, start=1):
            r["名次"] = i
        rows += part
        entries = [NewEntry(r["户号"], "月度积分", float(r["积分"]), f"{month} 月度检查", f"月度得分 {month} {r['户号']}")
                   for r in part if r["积分"]]
        journal, _ = append_entries(journal, entries, date=f"{month}-28", operator="村文书")
    ledger.replace("月度得分", pd.DataFrame(rows, dtype=object).reindex(columns=ledger.frame("月度得分").columns, fill_value=""))
    ledger.replace("积分流水", journal)
    if redemptions:
        slips = []
        for n in range(1, 31):
            m = 3 + n % 9
            slips.append({"单号": f"DH{YEAR}{n:04d}", "日期": f"{YEAR}-{m:02d}-{n % 27 + 1:02d}", "户号": "ZP001",
                          "物品": "洗衣粉", "数量": 1, "单位": "袋", "积分单价": 10, "积分": 10, "金额": 10,
                          "状态": "作废" if n == 5 else "已领取"})
        ledger.replace("兑换记录", pd.DataFrame(slips, dtype=object).reindex(columns=ledger.frame("兑换记录").columns, fill_value=""))
    votes = [{"年度": YEAR, "户号": h, "户主": "", "投票数": VOTES[0], "不合格票": VOTES[1], "来源": "计票表"} for h in BLACK]
    ledger.replace("互评", pd.DataFrame(votes, dtype=object))
    veto = {c: "" for c in ledger.frame("积分事件").columns}
    veto.update({"事件号": "E00001", "日期": f"{YEAR}-05-10", "户号": VETOED, "户主": "", "编码": "FJ2", "项目": VETO_ITEM,
                 "类型": "否决", "次数": 1, "积分": 0, "说明": "经乡派出所通报", "状态": "入账"})
    ledger.replace("积分事件", pd.DataFrame([veto], dtype=object))
    set_setting(ledger, "年度评定方式", ratings)
    ledger.save("test-setup")


def set_setting(ledger: Ledger, key: str, value: str) -> None:
    settings = ledger.frame("参数").copy()
    if (settings["键"] == key).any():
        settings.loc[settings["键"] == key, "值"] = value
    else:
        settings = pd.concat([settings, pd.DataFrame([{"键": key, "值": value, "说明": ""}])], ignore_index=True)
    ledger.replace("参数", settings)


def change_setting(path: Path, key: str, value: str) -> None:
    ledger = Ledger.open(path)
    set_setting(ledger, key, value)
    ledger.save("test-setup")


@pytest.fixture(scope="module")
def year_template(tmp_path_factory) -> Path:
    """One village with a full year, scored (score year), built once and copied by each test."""
    folder = tmp_path_factory.mktemp("年")
    made = build_samples(folder / "村")
    ledger = Path(made["ledger"])
    fill_year(ledger)
    from villagectl.actions.score_year import score_year
    from villagectl.actions.session import Session

    score_year(Session(ledger), YEAR)
    return ledger


@pytest.fixture
def ledger(year_template: Path, tmp_path: Path) -> Path:
    path = tmp_path / year_template.name
    shutil.copyfile(year_template, path)
    return path


def _pages(pdf: Path) -> list[str]:
    return [page.extract_text() for page in PdfReader(pdf).pages]


def _flat(text: str) -> str:
    return re.sub(r"\s+", "", text)


def _secrets(path: Path) -> list[str]:
    households = Ledger.open(path).frame("户籍")
    secrets = [clean_text(v) for v in households["身份证号"] if clean_text(v)]
    secrets += [normalize_phone(v) for v in households["联系电话"] if clean_text(v)]
    return secrets


def _annual(path: Path) -> pd.DataFrame:
    frame = Ledger.open(path).frame("年度评定")
    return frame[frame["年度"].map(clean_text) == str(YEAR)]


# --------------------------------------------------------------------------
# notice year
# --------------------------------------------------------------------------


def test_notice_lists_stars_medals_and_red_list_and_the_black_list_on_a_page_of_its_own(runner, ledger, tmp_path) -> None:
    pdf = tmp_path / "年度公示.pdf"
    result, data = invoke_json(runner, "notice", "year", ledger, "--year", YEAR, "-o", pdf, "--date", "2026-12-28")
    assert result.exit_code == 0, result.stdout
    rows = _annual(ledger)
    stars = rows[rows["星级"].map(clean_text) != ""]
    black = rows[rows["榜单"].map(clean_text) == "黑榜"]
    assert data["stars"] == len(stars) > 0 and data["black"] == len(BLACK) == len(black)
    assert (data["period_start"], data["period_end"]) == ("2026-12-28", "2026-12-30")

    pages = [_flat(p) for p in _pages(pdf)]
    text = "".join(pages)
    assert "中坪村2026年度文明户评定结果公示" in pages[0]
    top = stars.sort_values("名次").iloc[0]
    assert clean_text(top["户主"]) in text and clean_text(top["星级"]) in text
    for label in ("五星级文明户", "金牌户", "诚信红榜", "公示期：2026年12月28日至2026年12月30日"):
        assert label in text

    # the black list: its header on a page of its own, which shows nothing of the positive lists
    black_pages = [i for i, p in enumerate(pages) if "诚信黑榜公示" in p]
    assert len(black_pages) == 1
    i = black_pages[0]
    assert i > 0 and "诚信黑榜公示" not in "".join(pages[:i])
    assert "星级文明户" not in pages[i] and "诚信红榜" not in pages[i] and "金牌户" not in pages[i]
    for _, row in black.iterrows():
        assert clean_text(row["户主"]) in pages[i] and clean_text(row["组别"]) in pages[i]
    assert pages[i].count("不享受村级优惠政策") >= len(BLACK)
    assert "异议" in pages[i] and "中坪村村民委员会" in pages[i]  # a notice of its own: period, objection, signature
    exposed = rows[rows["户号"] == EXPOSED].iloc[0]
    assert "曝光台" in pages[i] and clean_text(exposed["户主"]) in pages[i]

    # never the votes, the veto reasons, the clerk's notes, ID or phone numbers
    assert f"{VOTES[1]}/{VOTES[0]}" not in text and "投票" not in text
    assert VETO_ITEM not in text and "经乡派出所通报" not in text and "不参加评定" not in text
    for note in rows["备注"].map(clean_text):
        assert not note or _flat(note) not in text
    leaked = [s for s in _secrets(ledger) if s in text]
    assert leaked == []


def test_printing_the_notice_records_the_notice_period(runner, ledger, tmp_path) -> None:
    pdf = tmp_path / "年度公示.pdf"
    assert invoke(runner, "notice", "year", ledger, "--year", YEAR, "-o", pdf, "--date", "2026-12-28").exit_code == 0
    book = Ledger.open(ledger)
    periods = book.frame("期间")
    row = periods[periods["期间"].map(clean_text) == period_name(YEAR)].iloc[0]
    assert (clean_text(row["状态"]), clean_text(row["公示开始"]), clean_text(row["公示截止"])) == \
        ("公示", "2026-12-28", "2026-12-30")
    assert set(_annual(ledger)["状态"].map(clean_text)) == {"公示"}
    assert "notice year" in set(book.frame("操作日志")["命令"].map(clean_text))

    # after post year, a reprint changes nothing in the ledger
    assert invoke(runner, "post", "year", ledger, "--year", YEAR, "--date", "2026-12-31").exit_code == 0
    before = ledger.read_bytes()
    result, data = invoke_json(runner, "notice", "year", ledger, "--year", YEAR, "-o", pdf, "--date", "2027-01-04")
    assert result.exit_code == 0 and data["recorded"] is False and data["state_before"] == "入账"
    assert ledger.read_bytes() == before


def test_certificates_one_landscape_page_per_star_household(runner, ledger, tmp_path) -> None:
    pdf = tmp_path / "年度公示.pdf"
    result, data = invoke_json(runner, "notice", "year", ledger, "--year", YEAR, "-o", pdf, "--certificates",
                               "--date", "2026-12-28", "--mask-names")
    assert result.exit_code == 0, result.stdout
    certificates = tmp_path / "年度公示_奖状.pdf"
    assert data["certificates_pdf"] == str(certificates)
    rows = _annual(ledger)
    stars = rows[rows["星级"].map(clean_text) != ""].sort_values(["名次", "户号"])
    reader = PdfReader(certificates)
    assert len(reader.pages) == len(stars) == data["certificates"]
    for page, (_, row) in zip(reader.pages, stars.iterrows()):
        box = page.mediabox
        assert float(box.width) > float(box.height)  # landscape A4
        text = _flat(page.extract_text())
        assert clean_text(row["户主"]) in text  # full name on the certificate, even with --mask-names
        assert f"荣获{YEAR}年度{clean_text(row['星级'])}" in text and "中坪村村民委员会" in text
    # the notice itself is masked
    notice = "".join(_flat(p) for p in _pages(pdf))
    name = clean_text(stars.iloc[0]["户主"])
    assert name not in notice and name[0] + "*" in notice


def test_medal_only_village_gets_certificates_for_medal_households(ledger) -> None:
    change_setting(ledger, "年度评定方式", "牌级")
    frame = Ledger.open(ledger).frame("年度评定").copy()
    frame["星级"] = ""
    book = Ledger.open(ledger)
    book.replace("年度评定", frame)
    book.save("test-setup")
    cset = build_certificates(Ledger.open(ledger), YEAR, dt.date(2026, 12, 28))
    assert cset.certificates and {c.title for c in cset.certificates} <= {"金牌户", "银牌户", "铜牌户"}
    notice = build_year_notice(Ledger.open(ledger), YEAR, dt.date(2026, 12, 28))
    assert notice.show_stars is False and notice.show_medals is True


def test_exposure_list_follows_the_setting(runner, ledger, tmp_path) -> None:
    change_setting(ledger, "曝光台上公示", "否")
    pdf = tmp_path / "公示.pdf"
    assert invoke(runner, "notice", "year", ledger, "--year", YEAR, "-o", pdf).exit_code == 0
    text = "".join(_flat(p) for p in _pages(pdf))
    exposed = clean_text(_annual(ledger).set_index("户号").loc[EXPOSED, "户主"])
    assert "上曝光台月数" not in text and exposed not in text
    change_setting(ledger, "曝光台上公示", "也许")
    result = invoke(runner, "notice", "year", ledger, "--year", YEAR, "-o", pdf)
    assert result.exit_code == 1 and "曝光台上公示" in result.stderr


def test_notice_before_score_year_says_what_to_run(runner, tmp_path) -> None:
    made = build_samples(tmp_path / "村")
    result = invoke(runner, "notice", "year", made["ledger"], "--year", YEAR, "-o", tmp_path / "公示.pdf")
    assert result.exit_code == 1 and "score year" in result.stderr
    assert not (tmp_path / "公示.pdf").exists()
    result = invoke(runner, "notice", "year", made["ledger"], "--year", YEAR, "-o", tmp_path / "公示.txt")
    assert result.exit_code == 2


def test_markup_looking_names_print_as_text(runner, ledger, tmp_path) -> None:
    evil = '#set page(width: 1cm) *粗* $x$ [a] \\ "q" <b> @c // d'
    book = Ledger.open(ledger)
    frame = book.frame("年度评定").copy()
    first = frame.index[(frame["年度"].map(clean_text) == str(YEAR)) & (frame["星级"].map(clean_text) != "")][0]
    frame.loc[first, "户主"] = evil
    frame.loc[first, "组别"] = "#pagebreak()"
    black = frame.index[frame["榜单"].map(clean_text) == "黑榜"][0]
    frame.loc[black, "户主"] = "#{1/0}"
    book.replace("年度评定", frame)
    book.save("test-setup")
    pdf = tmp_path / "公示.pdf"
    result = invoke(runner, "notice", "year", ledger, "--year", YEAR, "-o", pdf, "--certificates")
    assert result.exit_code == 0, result.stderr
    text = "".join(_flat(p) for p in _pages(pdf))
    assert "#setpage(width:1cm)*粗*$x$" in text and "#pagebreak()" in text and "#{1/0}" in text
    certificates = "".join(_flat(p) for p in _pages(tmp_path / "公示_奖状.pdf"))
    assert "#setpage(width:1cm)" in certificates
    report = tmp_path / "报告.pdf"
    assert invoke(runner, "report", "year", ledger, "--year", YEAR, "-o", report).exit_code == 0


# --------------------------------------------------------------------------
# report year
# --------------------------------------------------------------------------


def test_report_has_groups_charts_budget_and_page_count(runner, ledger, tmp_path) -> None:
    book = Ledger.open(ledger)  # the zhongping preset sets no budget (篇3); this village adopts 篇2's 人均2元
    settings = book.frame("参数").copy()
    settings.loc[settings["键"].map(clean_text) == "人均奖励经费", "值"] = "2"
    book.replace("参数", settings)
    book.save("test-setup")
    pdf = tmp_path / "年度报告.pdf"
    result, data = invoke_json(runner, "report", "year", ledger, "--year", YEAR, "-o", pdf, "--date", "2027-01-05")
    assert result.exit_code == 0, result.stdout
    pages = _pages(pdf)
    assert data["pages"] == len(pages) >= 2 and data["provisional"] is False
    text = "".join(_flat(p) for p in pages)
    assert "中坪村2026年度乡村治理积分制工作报告" in text
    for group in ("第一组", "第二组", "第三组", "第四组"):
        assert group in text
    for label in ("预算", "图1", "图2", "图3", "图4", "年度积分分布", "月度检查得分走势", "较好的组"):
        assert label in text
    assert f"共{len(pages)}页" in text and f"第{len(pages)}页" in text
    # the budget: 人口 of active households × 人均奖励经费 (2 yuan); spending excludes void slips
    book = Ledger.open(ledger)
    hh = book.frame("户籍")
    population = int(sum(int(v) for v, s in zip(hh["人口"], hh["状态"]) if clean_text(s) in ("正常", "")))
    assert data["budget"] == population * 2
    assert data["spent"] == 290  # 30 slips of 10 yuan, one void
    assert f"{population * 2}" in text
    # no household names at all, and never ID or phone numbers
    names = [clean_text(n) for n in hh["户主"] if len(clean_text(n)) >= 2]
    assert [n for n in names if n in text] == []
    assert [s for s in _secrets(ledger) if s in text] == []


def test_report_without_redemptions_or_score_year(runner, tmp_path) -> None:
    made = build_samples(tmp_path / "村")
    ledger = Path(made["ledger"])
    fill_year(ledger, redemptions=False)
    pdf = tmp_path / "报告.pdf"
    before = ledger.read_bytes()
    result, data = invoke_json(runner, "report", "year", ledger, "--year", YEAR, "-o", pdf)
    assert result.exit_code == 0, result.stdout
    assert data["provisional"] is True and data["spent"] == 0
    assert ledger.read_bytes() == before  # the report only reads the ledger
    text = "".join(_flat(p) for p in _pages(pdf))
    assert "试算" in text and "兑换金额" in text and "预算" in text


def test_report_for_a_year_without_monthly_scores(runner, tmp_path) -> None:
    made = build_samples(tmp_path / "村")
    pdf = tmp_path / "报告.pdf"
    result = invoke(runner, "report", "year", made["ledger"], "--year", 2025, "-o", pdf)
    assert result.exit_code == 0, result.stderr
    assert "没有检查得分" in _flat("".join(_pages(pdf)))


# --------------------------------------------------------------------------
# What the renderers get
# --------------------------------------------------------------------------

FORBIDDEN = re.compile(r"id_?number|phone|身份证|电话|vote|票|veto|否决|note|备注|household_id|户号", re.IGNORECASE)


def test_renderers_get_only_printable_fields() -> None:
    for cls in (year_notice.HonourRow, year_notice.BlackRow, year_notice.ExposureRow, year_notice.YearNotice,
                certificates.Certificate, certificates.CertificateSet, year_report.GroupSummary,
                year_report.MonthAverage):
        names = [f.name for f in dataclasses.fields(cls)]
        assert not [n for n in names if FORBIDDEN.search(n)], cls
    # YearReport may count vetoed households, but carries no per-household data except bare results
    report_fields = {f.name for f in dataclasses.fields(year_report.YearReport)}
    assert not [n for n in report_fields - {"vetoed"} if FORBIDDEN.search(n)]
    assert {f.name for f in dataclasses.fields(year_notice.BlackRow)} == {"group", "name"}


def test_built_data_has_no_secrets(ledger) -> None:
    book = Ledger.open(ledger)
    notice = build_year_notice(book, YEAR, dt.date(2026, 12, 28))
    report = build_year_report(book, YEAR, dt.date(2027, 1, 5))
    blob = repr(year_notice_context(notice)) + repr(report_context(report)) + repr(notice) + repr(report)
    assert [s for s in _secrets(ledger) if s in blob] == []
    assert VETO_ITEM not in blob and f"{VOTES[1]}/{VOTES[0]}" not in blob
    assert len(notice.black) == len(BLACK) and notice.exposure[0].months == 3


def test_histogram_bins_and_axes() -> None:
    bins = histogram([0, 5, 10, 10, 59.5, 60])
    assert bins[0]["from"] == 0 and bins[-1]["to"] >= 60 and sum(b["count"] for b in bins) == 6
    assert [b["label"] for b in bins][:2] == ["0–10", "10–20"]
    assert histogram([]) == [] and histogram([7, 7])[0]["count"] == 2
    assert sum(b["count"] for b in histogram([-12, -3, 0, 4])) == 4
    assert nice_axis(0, 464) == (0, 500, 100)
    lo, hi, step = nice_axis(78.3, 91.2, 6, include_zero=False)
    assert lo <= 78.3 and hi >= 91.2 and step in (1, 2, 2.5, 5)


def test_one_groups_notice_says_ben_zu_and_lists_only_that_group(runner, ledger, tmp_path) -> None:
    pdf = tmp_path / "第二组年度公示.pdf"
    result, data = invoke_json(runner, "notice", "year", ledger, "--year", YEAR, "-o", pdf, "--date", "2026-12-28",
                               "--group", "2组")
    assert result.exit_code == 0, result.stdout
    rows = _annual(ledger)
    mine = rows[rows["组别"].map(clean_text) == "第二组"]
    assert data["group"] == "第二组" and data["households"] == len(mine) > 0
    stars = mine[mine["星级"].map(clean_text) != ""]
    assert data["stars"] == len(stars)
    text = "".join(_flat(p) for p in _pages(pdf))
    assert "中坪村第二组2026年度文明户评定结果公示" in text
    assert f"本组{len(mine)}户" in text and "全村64户农户参加" not in text
    others = rows[rows["组别"].map(clean_text) != "第二组"]
    assert "第一组" not in text and "第三组" not in text
    for _, r in stars.iterrows():
        assert clean_text(r["户主"]) in text
    listed = others[(others["星级"].map(clean_text) != "") | (others["榜单"].map(clean_text) != "")]
    assert not any(clean_text(n) in text for n in listed["户主"] if len(clean_text(n)) >= 3 and
                   clean_text(n) not in set(mine["户主"].map(clean_text)))


def test_notice_year_unknown_group_lists_the_groups(runner, ledger, tmp_path) -> None:
    before = ledger.read_bytes()
    result = invoke(runner, "notice", "year", ledger, "--year", YEAR, "-o", tmp_path / "x.pdf", "--group", "第九组")
    assert result.exit_code == 2
    assert "第九组" in result.stderr and "第一组、第二组、第三组" in result.stderr
    assert ledger.read_bytes() == before and not (tmp_path / "x.pdf").exists()


@pytest.fixture(scope="module")
def report_base(year_template) -> object:
    return build_year_report(Ledger.open(year_template), YEAR, dt.date(2026, 12, 31))


@pytest.mark.parametrize("extra_groups", [0, 11, 12, 14])
def test_report_closing_block_stays_with_the_last_table(report_base, tmp_path, extra_groups) -> None:
    """More groups make the group chart taller; at 12+ extra the closing block used to stand alone on a page."""
    from villagectl.render.year_report import GroupSummary, render_year_report

    extra = [GroupSummary(f"第{i + 4}组", 10, 30, 800.0 + i, 80.0 + i, 90.0, 60.0) for i in range(extra_groups)]
    report = dataclasses.replace(report_base, groups=report_base.groups + extra)
    pdf = tmp_path / "年度报告.pdf"
    render_year_report(report, pdf)
    pages = [_flat(p) for p in _pages(pdf)]
    closing = [i for i, p in enumerate(pages) if "数据来源：" in p]
    assert len(closing) == 1 and closing[0] == len(pages) - 1
    last = pages[-1]
    assert "中坪村村民委员会2026年12月31日" in last
    assert "年度积分较好的组" in last and "年度积分较弱的组" in last  # the last table prints with it
