"""One scripted year in two villages of a town: the documents agree number by number (issue 14 §2).

中坪村 (the sample village, with its opening balances) scores twelve months; one household moves to
东坪村 in September by ``transfer out`` / ``transfer in``. Both villages score the year; 中坪村 prints its
year notice (公示), 东坪村 prints and posts (入账). Then the passbooks, the year notice, the annual report
and the town roll-up are read back (PDF text through pdftotext) and compared with each other.
"""

from __future__ import annotations

import datetime as dt
import random
import re
import shutil
import subprocess
from pathlib import Path

import pandas as pd
import pytest

from villagectl.actions.passbook import LedgerPassbooks, print_passbook
from villagectl.actions.rollup import rollup
from villagectl.actions.score_year import post_year, score_year
from villagectl.actions.session import Session
from villagectl.actions.transfer import transfer_in, transfer_out
from villagectl.actions.year_notice import print_year_notice
from villagectl.actions.year_report import print_year_report
from villagectl.ledger.journal import NewEntry, append_entries
from villagectl.ledger.workbook import Ledger
from villagectl.demo import build_samples
from villagectl.values import clean_text

YEAR = 2026
KEY = "town-key-青山镇-2026"
TOWN = "青山镇"
CATEGORIES = (("人居环境", 50), ("先锋模范", 20), ("学生就学", 10), ("创业就业", 10), ("团结友爱", 10))
MOVE_OUT = dt.date(YEAR, 9, 15)
MOVE_IN = dt.date(YEAR, 9, 20)

pytestmark = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="pdftotext (poppler-utils) not installed")


def _band(total: float) -> int:
    return 5 if total > 90 else 3 if total > 85 else 1 if total >= 80 else 0


def set_settings(path: Path, **values: str) -> None:
    ledger = Ledger.open(path)
    frame = ledger.frame("参数").copy()
    for key, value in values.items():
        if (frame["键"].map(clean_text) == key).any():
            frame.loc[frame["键"].map(clean_text) == key, "值"] = value
        else:
            frame = pd.concat([frame, pd.DataFrame([{"键": key, "值": value, "说明": "测试"}], dtype=object)],
                              ignore_index=True)
    ledger.replace("参数", frame)
    ledger.save("test-setup")


def score_months(path: Path, months: range, seed: int) -> None:
    """Posted months as ``post month`` leaves them: 月度得分 rows (入账) and their 月度积分 journal rows.

    Points are posted on the 5th of the next month (December's on 5 January), as a village does.
    """
    rng = random.Random(seed)
    ledger = Ledger.open(path)
    households = ledger.frame("户籍")
    active = households[households["状态"].map(clean_text).isin(["正常", ""])]
    monthly = ledger.frame("月度得分")
    journal = ledger.frame("积分流水")
    rows = []
    for m in months:
        month = f"{YEAR}-{m:02d}"
        part = []
        for _, h in active.iterrows():
            skill = 0.78 + (sum(map(ord, clean_text(h["户号"]))) % 19) / 100
            scores = [round(min(mx, max(0, rng.gauss(skill, 0.05) * mx)) * 2) / 2 for _, mx in CATEGORIES]
            total = sum(scores)
            part.append({"月份": month, "户号": clean_text(h["户号"]), "户主": h["户主"], "组别": h["组别"],
                         **{c: v for (c, _), v in zip(CATEGORIES, scores)}, "总分": total, "积分": _band(total),
                         "奖励": 0, "曝光台": "", "状态": "入账"})
        part.sort(key=lambda r: -r["总分"])
        for i, r in enumerate(part, start=1):
            r["名次"] = i
        rows += part
        posted = dt.date(YEAR + (m == 12), m % 12 + 1, 5).isoformat()
        entries = [NewEntry(r["户号"], "月度积分", float(r["积分"]), f"{month} 月度检查", f"月度得分 {month} {r['户号']}")
                   for r in part if r["积分"]]
        journal, _ = append_entries(journal, entries, date=posted, operator="村文书")
    new = pd.DataFrame(rows, dtype=object).reindex(columns=monthly.columns, fill_value="")
    ledger.replace("月度得分", pd.concat([monthly, new], ignore_index=True) if len(monthly) else new)
    ledger.replace("积分流水", journal)
    ledger.save("test-setup")


def pdf_text(pdf: Path) -> str:
    out = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, check=True)
    return out.stdout.decode("utf-8")


def flat(text: str) -> str:
    return re.sub(r"\s+", "", text)


@pytest.fixture(scope="module")
def town(tmp_path_factory) -> dict:
    root = tmp_path_factory.mktemp("镇")
    a = Path(build_samples(root / "各村" / "中坪村")["ledger"])
    b = Path(build_samples(root / "各村" / "东坪村", village="东坪村")["ledger"])
    for path in (a, b):
        set_settings(path, 镇转移密钥=KEY, 乡镇=TOWN)
    score_months(a, range(1, 9), seed=1)
    score_months(b, range(1, 9), seed=2)
    journal = Ledger.open(a).frame("积分流水")
    with_opening = set(journal.loc[journal["类型"] == "期初", "户号"].map(clean_text))
    mover = sorted(with_opening)[3]  # a household with an opening balance and eight months here
    moved = transfer_out(Session(a, today=MOVE_OUT), household=mover, to_village="东坪村", output=root / "转移单.json")
    received = transfer_in(Session(b, today=MOVE_IN), moved.file, household_id="DP" + mover)
    score_months(a, range(9, 13), seed=3)
    score_months(b, range(9, 13), seed=4)
    for path in (a, b):
        score_year(Session(path), YEAR)
    notice_a = root / "中坪村年度公示.pdf"
    print_year_notice(Session(a), YEAR, out_pdf=notice_a, start=dt.date(YEAR + 1, 1, 10))
    notice_b = root / "东坪村年度公示.pdf"
    print_year_notice(Session(b), YEAR, out_pdf=notice_b, start=dt.date(YEAR + 1, 1, 10))
    post_year(Session(b, today=dt.date(YEAR + 1, 1, 20)), YEAR)
    report_a = root / "中坪村年度报告.pdf"
    print_year_report(a, YEAR, out_pdf=report_a, issued=dt.date(YEAR + 1, 1, 12))
    town_xlsx = root / "全镇汇总.xlsx"
    town_pdf = root / "全镇汇总.pdf"
    result = rollup([a, b], town_xlsx, YEAR, pdf=town_pdf, workers=1, today=dt.date(YEAR + 1, 1, 25))
    return {"root": root, "a": a, "b": b, "mover": mover, "received": "DP" + mover,
            "notice_a": notice_a, "notice_b": notice_b, "report_a": report_a, "rollup": result, "town_pdf": town_pdf}


def annual(path: Path) -> pd.DataFrame:
    frame = Ledger.open(path).frame("年度评定")
    frame = frame[frame["年度"].map(clean_text) == str(YEAR)].copy()
    frame["户号"] = frame["户号"].map(clean_text)
    frame["年度积分"] = frame["年度积分"].astype(float)
    return frame.set_index("户号")



ROW = re.compile(r"(\d+)\s+(第.组)\s+(\S+)\s+(\d+(?:\.\d+)?)")


def notice_rows(text: str) -> list[tuple[int, str, str, float]]:
    """(名次, 组别, 户主, 年度积分) of every table row of a year notice (two households a line)."""
    return [(int(r), g, n, float(v)) for r, g, n, v in ROW.findall(text)]


def test_passbook_year_earnings_are_the_year_result_for_every_household(town) -> None:
    for path in (town["a"], town["b"]):
        results = annual(path)
        data = LedgerPassbooks.load(Ledger.open(path))
        checked = with_opening = 0
        for info in data.open_households():
            book = data.passbook(info.household_id, YEAR)
            assert book.earned == results.loc[info.household_id, "年度积分"], info.household_id
            assert book.balance == round(book.opening + book.opening_entries + book.earned - book.spent, 4)
            with_opening += book.opening_entries > 0
            checked += 1
        assert checked >= 60 and with_opening >= 30  # the sample's opening balances are not a year's earnings
    received = LedgerPassbooks.load(Ledger.open(town["b"])).passbook(town["received"], YEAR)
    # the household's eight months in 中坪村 came with it: its year in 东坪村 is the whole year
    assert received.earned == annual(town["b"]).loc[town["received"], "年度积分"]
    assert received.earned > annual(town["a"]).loc[town["mover"], "年度积分"] > 0


def test_printed_passbook_shows_the_opening_on_its_own_line(town, tmp_path) -> None:
    data = LedgerPassbooks.load(Ledger.open(town["a"]))
    hid = next(i.household_id for i in data.open_households() if data.passbook(i.household_id, YEAR).opening_entries)
    book = data.passbook(hid, YEAR)
    pdf = tmp_path / "存折.pdf"
    print_passbook(town["a"], hid, pdf, YEAR, printed=dt.date(YEAR + 1, 1, 10))
    text = flat(pdf_text(pdf))
    result = annual(town["a"]).loc[hid, "年度积分"]
    assert f"本年获得积分本年兑换积分年末可用余额{result:g}0{book.balance:g}" in text
    assert (f"上年结转0分+期初结转{book.opening_entries:g}分+本年获得{result:g}分−本年兑换0分"
            f"=年末余额{book.balance:g}分") in text
    assert "期初余额：原纸质存折余额结转" in text


def test_terminal_passbook_says_how_the_year_adds_up(town, runner) -> None:
    from conftest import invoke

    data = LedgerPassbooks.load(Ledger.open(town["a"]))
    hid = next(i.household_id for i in data.open_households() if data.passbook(i.household_id, YEAR).opening_entries)
    book = data.passbook(hid, YEAR)
    result = invoke(runner, "passbook", town["a"], "--household", hid, "--year", str(YEAR))
    assert result.exit_code == 0, result.stdout + result.stderr
    text = flat(result.stdout)
    assert f"本年获得{book.earned:g}分" in text and book.earned == annual(town["a"]).loc[hid, "年度积分"]
    assert f"期初结转{book.opening_entries:g}分+本年获得{book.earned:g}分" in text


def test_year_notice_lists_the_results_of_the_ledger_and_counts_the_year_households(town) -> None:
    text = pdf_text(town["notice_a"])
    results = annual(town["a"])
    assert len(results) == 63 and results.loc[town["mover"], "年度积分"] > 0  # 62 at home + the one that left
    assert "全村63户（年内迁出1户）农户参加2026年度评定" in flat(text)
    rows = notice_rows(text)
    assert len(rows) >= 20
    by_name = {(clean_text(r["组别"]), clean_text(r["户主"])): (int(r["名次"]), float(r["年度积分"]))
               for _, r in results.iterrows()}
    data = LedgerPassbooks.load(Ledger.open(town["a"]))
    hid_of = {(clean_text(r["组别"]), clean_text(r["户主"])): hid for hid, r in results.iterrows()}
    for rank, group, name, value in rows:
        assert by_name[(group, name)] == (rank, value), (group, name)
        # the number on the board is the household's 本年获得 in its passbook
        assert data.passbook(hid_of[(group, name)], YEAR).earned == value, (group, name)
    text_b = flat(pdf_text(town["notice_b"]))
    assert "全村64户农户参加2026年度评定" in text_b  # its 63 and the one received; no one left in 2026


def test_report_counts_and_group_totals_agree_with_the_results(town) -> None:
    text = pdf_text(town["report_a"])
    results = annual(town["a"])
    households = Ledger.open(town["a"]).frame("户籍")
    active = households[households["状态"].map(clean_text) == "正常"]
    assert f"本年度全村63户（年内迁出1户）参加年度评定；年末在册正常农户{len(active)}户" in flat(text)
    for group, part in results.groupby(results["组别"].map(clean_text)):
        line = next(line for line in text.splitlines() if line.strip().startswith(group))
        numbers = line.split()[1:]
        assert int(numbers[0]) == len(part), group
        assert float(numbers[2]) == part["年度积分"].sum(), group
    total = next(line for line in text.splitlines() if line.strip().startswith("全村 ") or line.strip().startswith("全村\t"))
    assert int(total.split()[1]) == 63 and float(total.split()[3]) == results["年度积分"].sum()


def test_rollup_counts_the_moved_household_once_and_shows_each_state(town) -> None:
    result = town["rollup"]
    a, b = (next(v for v in result.villages if v.village == name) for name in ("中坪村", "东坪村"))
    res_a, res_b = annual(town["a"]), annual(town["b"])
    mover = town["mover"]
    # 中坪村: its 62 households' results; the one that left counts in 东坪村, whose result holds its whole year
    assert a.earned == res_a["年度积分"].sum() - res_a.loc[mover, "年度积分"]
    assert b.earned == res_b["年度积分"].sum()
    assert result.totals.earned == a.earned + b.earned
    assert (a.households, b.households) == (62, 64) and result.totals.households == 126
    assert (a.rating, b.rating) == ("公示", "入账")
    assert a.moved_away == [f"{mover}（转往东坪村）"]
    text = pdf_text(town["town_pdf"])
    flat_text = flat(text)
    assert f"{TOWN}2026年度各村乡村治理积分汇总" in flat_text
    assert "制表人：" in flat_text and "审核人：" in flat_text and f"{TOWN}人民政府（盖章）" in flat_text
    assert f"中坪村：{mover}（转往东坪村）" in flat_text
    for v in (a, b):
        line = next(line for line in text.splitlines() if v.village in line).split()
        assert line[2:5] == [str(v.households), str(v.residents), f"{v.earned:g}"]
        assert line[-1] == v.rating
    total = next(line for line in text.splitlines() if "合计（2个村）" in line).split()
    assert total[1:4] == [str(result.totals.households), str(result.totals.residents), f"{result.totals.earned:g}"]


def test_two_ledgers_with_one_village_name_are_not_summed(town, tmp_path) -> None:
    copy = tmp_path / "副本" / "中坪村积分台账.xlsx"
    copy.parent.mkdir()
    shutil.copyfile(town["a"], copy)
    result = rollup([town["a"], town["b"], copy], tmp_path / "汇总.xlsx", YEAR, workers=1, today=dt.date(YEAR + 1, 1, 25))
    assert [v.village for v in result.villages] == ["东坪村"]
    refused = {s.file: s.reason for s in result.skipped}
    assert set(refused) == {"中坪村积分台账.xlsx"} or len(result.skipped) == 2
    assert all("村名“中坪村”与" in r and "都没有汇总" in r for r in refused.values())


def test_table_headers_are_never_broken_into_an_orphan_character(town) -> None:
    """Many short columns (report, roll-up): every header reads on one line ("参评户数", not "参评户/数")."""
    report = pdf_text(town["report_a"])
    for header in ("参评户数", "年度积分合计", "曝光台户", "星级户", "牌级户"):
        assert any(header in line.replace(" ", "") for line in report.splitlines()), header
    table_head = next(line for line in pdf_text(town["town_pdf"]).splitlines() if "村名" in line)
    for header in ("序号", "村名", "户数", "人口", "年度获得积分", "积分余额", "兑换积分", "兑换金额（元）",
                   "奖励经费（元）", "经费使用率", "红榜", "黑榜", "年度评定"):
        assert header in table_head.replace(" ", ""), header
