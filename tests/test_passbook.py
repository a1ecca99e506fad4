"""The passbook: every journal row with its reason in plain words, running balance, totals, family average, PDF."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pandas as pd
import pytest
from conftest import invoke, invoke_json
from pypdf import PdfReader

import villagectl.cli.account_commands  # noqa: F401  (registers passbook until main.py imports it)
from villagectl.actions.passbook import (
    LedgerPassbooks,
    build_passbook,
    entry_reason,
    inspection_details,
    item_maxima,
    statement_for_ledger,
)
from villagectl.ledger.households import normalize_phone
from villagectl.ledger.journal import NewEntry, append_entries, reverse_entry, summarize
from villagectl.ledger.workbook import Ledger
from villagectl.demo import build_samples
from villagectl.values import clean_text, fmt_number, to_number

MONTH = "2026-07"


def add_entries(path: Path, entries: list[NewEntry], date: str) -> list[str]:
    ledger = Ledger.open(path)
    journal, ids = append_entries(ledger.frame("积分流水"), entries, date, "村文书")
    ledger.replace("积分流水", journal)
    ledger.save("test-setup")
    return ids


@pytest.fixture(scope="module")
def posted(tmp_path_factory) -> Path:
    """The sample village with July 2026 imported, scored, published and posted through the real commands."""
    from typer.testing import CliRunner

    runner = CliRunner()
    root = tmp_path_factory.mktemp("village")
    made = build_samples(root)
    ledger = Path(made["ledger"])
    assert invoke(runner, "inspect", "import", ledger, *made["inspections"]).exit_code == 0
    assert invoke(runner, "score", "month", ledger, "--month", MONTH).exit_code == 0
    assert invoke(runner, "notice", "month", ledger, "--month", MONTH, "-o", root / "公示.pdf", "--date", "2026-07-26").exit_code == 0
    assert invoke(runner, "post", "month", ledger, "--month", MONTH, "--date", "2026-07-29").exit_code == 0
    return ledger


@pytest.fixture
def ledger(posted, tmp_path: Path) -> Path:
    path = tmp_path / posted.name
    shutil.copy(posted, path)
    return path


def _monthly_row(path: Path, hid: str) -> pd.Series:
    journal = Ledger.open(path).frame("积分流水")
    return journal[(journal["户号"] == hid) & (journal["类型"] == "月度积分")].iloc[0]


def _lost_items(path: Path, hid: str) -> tuple[list[str], list[str]]:
    """From 检查记录 and 规则, independently: '庭院扣2分' for every item below its maximum, and the full items."""
    book = Ledger.open(path)
    rules = book.frame("规则")
    maxima = {r["编码"]: float(r["分值"]) for _, r in rules.iterrows() if r["类型"] == "检查项"}
    rec = book.frame("检查记录")
    row = rec[(rec["月份"] == MONTH) & (rec["户号"] == hid)].iloc[0]
    lost, full = [], []
    for col in rec.columns:
        code, _, name = str(col).partition(" ")
        if code in maxima:
            score = to_number(row[col])
            (lost if score < maxima[code] else full).append(
                f"{name}扣{fmt_number(maxima[code] - score)}分" if score < maxima[code] else name)
    return lost, full


# --- statement rows ----------------------------------------------------------------------------------


def test_statement_matches_the_journal_for_every_household(ledger) -> None:
    book = Ledger.open(ledger)
    journal = book.frame("积分流水")
    statement = statement_for_ledger(book)
    assert list(statement["流水号"]) == list(journal["流水号"])
    assert list(statement["余额"].astype(float)) == [float(v) for v in journal["余额"]]  # running balance
    sums = summarize(journal).set_index("household_id")
    data = LedgerPassbooks.load(book)
    checked = 0
    for hid, expected in sums.iterrows():
        pb = data.passbook(hid)
        assert (pb.balance, pb.earned, pb.spent) == (expected["balance"], expected["earned"], expected["spent"])
        assert pb.lines[-1].balance == expected["balance"]
        assert [line.entry_id for line in pb.lines] == list(journal.loc[journal["户号"] == hid, "流水号"])
        checked += 1
    assert checked > 50


def test_monthly_reason_names_the_items_that_cost_points(runner, ledger) -> None:
    result, book = invoke_json(runner, "passbook", ledger, "--household", "ZP001")
    assert result.exit_code == 0
    row = next(r for r in book["rows"] if r["type"] == "月度积分")
    lost, full = _lost_items(ledger, "ZP001")
    assert len(lost) >= 2
    total = Ledger.open(ledger).frame("月度得分")
    total = float(total[(total["户号"] == "ZP001") & (total["月份"] == MONTH)].iloc[0]["总分"])
    assert row["reason"] == f"2026年7月检查 {fmt_number(total)} 分：" + "、".join(lost)
    for name in full:
        assert f"{name}扣" not in row["reason"]
    assert row["reference"] == f"月度得分 {MONTH} ZP001" and row["points"] == float(_monthly_row(ledger, "ZP001")["积分"])


def test_reasons_for_redemption_reversal_opening_and_events(ledger) -> None:
    monthly = _monthly_row(ledger, "ZP002")
    add_entries(ledger, [NewEntry("ZP002", "兑换", -3.0, "兑换：毛巾 1 条", "DH000007")], "2026-08-03")
    add_entries(ledger, [NewEntry("ZP002", "加分", 2.0, "参加义务劳动（清理河道）")], "2026-08-05")
    book = Ledger.open(ledger)
    journal, _rev = reverse_entry(book.frame("积分流水"), monthly["流水号"], "复查发现庭院未清扫", "2026-08-06", "村文书")
    book.replace("积分流水", journal)
    book.save("test-setup")

    pb = LedgerPassbooks.load(Ledger.open(ledger)).passbook("ZP002")
    by_kind = {line.kind: line for line in pb.lines}
    assert by_kind["兑换"].reason == "兑换：毛巾 1 条（兑换单 DH000007）" and by_kind["兑换"].points == -3
    assert by_kind["加分"].reason == "参加义务劳动（清理河道）"
    assert by_kind["冲正"].reason.startswith(f"冲正第 {monthly['流水号']} 号流水：")
    assert "复查发现庭院未清扫" in by_kind["冲正"].reason and by_kind["冲正"].earned
    sums = summarize(Ledger.open(ledger).frame("积分流水")).set_index("household_id").loc["ZP002"]
    assert (pb.balance, pb.earned, pb.spent) == (sums["balance"], sums["earned"], sums["spent"])
    assert pb.spent == 3
    opening = next(line for line in LedgerPassbooks.load(Ledger.open(ledger)).passbook("ZP063").lines
                   if line.kind == "期初")
    assert opening.reason == "期初余额：原纸质存折余额结转"


def test_pure_reason_functions() -> None:
    rules = pd.DataFrame([
        {"编码": "RJ1", "类别": "人居环境", "项目": "庭院", "分值": 15, "类型": "检查项", "周期": "月"},
        {"编码": "RJ3", "类别": "人居环境", "项目": "厨房", "分值": 10, "类型": "检查项", "周期": "月"},
    ])
    rec = pd.DataFrame([{"月份": "2026-07", "户号": "001", "RJ1 庭院": 13, "RJ3 厨房": 9, "合计": 22}])
    details = inspection_details(rec, item_maxima(rules))
    assert entry_reason("月度积分", "2026-07 月度检查 22 分", "月度得分 2026-07 001", "001", details) == \
        "2026年7月检查 22 分：庭院扣2分、厨房扣1分"
    rec.loc[0, ["RJ1 庭院", "RJ3 厨房"]] = [15, 10]
    assert entry_reason("月度积分", "", "月度得分 2026-07 001", "001", inspection_details(rec, item_maxima(rules))) \
        .endswith("：各项满分")
    # no inspection rows any more: the journal's own 摘要, in words
    assert entry_reason("月度积分", "2026-07 月度检查 88 分", "月度得分 2026-07 002", "002", details) == \
        "2026年7月 月度检查 88 分"


def test_family_average_is_total_over_participating_members(runner, ledger) -> None:
    households = Ledger.open(ledger).frame("户籍")
    sums = summarize(Ledger.open(ledger).frame("积分流水")).set_index("household_id")
    row = next(r for _, r in households.iterrows()
               if r["户号"] in sums.index and sums.loc[r["户号"], "earned"] > 0 and int(r["参评人数"]) != int(r["人口"]))
    hid, members = row["户号"], int(row["参评人数"])
    _result, book = invoke_json(runner, "passbook", ledger, "--household", hid)
    assert book["members"] == members and book["family_total"] == sums.loc[hid, "earned"]
    assert book["family_average"] == round(sums.loc[hid, "earned"] / members, 4)
    assert book["family_average"] != pytest.approx(sums.loc[hid, "earned"] / int(row["人口"]))


def test_members_and_year_with_balance_brought_forward(runner, ledger) -> None:
    add_entries(ledger, [NewEntry("ZP010", "加分", 4.0, "见义勇为", member="李小红")], "2025-11-20")
    add_entries(ledger, [NewEntry("ZP010", "加分", 3.0, "孝老爱亲", member="李小红"),
                         NewEntry("ZP010", "加分", 2.0, "志愿服务", member="李大山")], "2026-08-01")
    before = summarize(Ledger.open(ledger).frame("积分流水")).set_index("household_id").loc["ZP010"]
    result, year = invoke_json(runner, "passbook", ledger, "--household", "ZP010", "--year", "2026")
    assert result.exit_code == 0
    assert year["opening"] == 4.0  # 2025 brought forward
    # the 2026-05-31 期初 (paper passbook carried over) is listed on its own line, not as the year's earnings
    opening_rows = [r for r in year["rows"] if r["type"] == "期初"]
    assert year["opening_entries"] == sum(r["points"] for r in opening_rows) > 0
    assert not any(r["earned"] for r in opening_rows)
    assert year["earned"] == before["earned"] - 4.0 - year["opening_entries"] and year["balance"] == before["balance"]
    assert all(r["date"].startswith("2026") for r in year["rows"])
    members = {m["member"]: m["earned"] for m in year["member_totals"]}
    assert members["李小红"] == 3.0 and members["李大山"] == 2.0
    result, y2025 = invoke_json(runner, "passbook", ledger, "--household", "ZP010", "--year", "2025")
    assert (y2025["opening"], y2025["earned"], y2025["balance"]) == (0.0, 4.0, 4.0)
    assert [m["member"] for m in y2025["member_totals"]] == ["李小红"]


def test_terminal_table(runner, ledger) -> None:
    result = invoke(runner, "passbook", ledger, "--household", "ZP001")
    assert result.exit_code == 0
    text = re.sub(r"[│┃\s]", "", result.stdout)
    lost, _ = _lost_items(ledger, "ZP001")
    assert lost[0] in text and "累计获得" in text and "家庭平均积分" in text


# --- PDF ------------------------------------------------------------------------------------------


def _pdf_text(pdf: Path) -> str:
    return re.sub(r"\s+", "", "\n".join(page.extract_text() for page in PdfReader(pdf).pages))


def test_passbook_pdf_has_name_reason_and_balance_never_id_or_phone(runner, ledger, tmp_path: Path) -> None:
    add_entries(ledger, [NewEntry("ZP063", "兑换", -10.0, "兑换：洗衣粉 1 袋", "DH000001")], "2026-08-02")
    pdf = tmp_path / "存折.pdf"
    result, book = invoke_json(runner, "passbook", ledger, "--household", "ZP063", "-o", pdf)
    assert result.exit_code == 0 and book["files"] == [str(pdf)]
    text = _pdf_text(pdf)
    households = Ledger.open(ledger).frame("户籍")
    name = households.loc[households["户号"] == "ZP063", "户主"].iloc[0]
    lost, _ = _lost_items(ledger, "ZP063")
    assert name in text and "ZP063" in text and "中坪村积分存折" in text
    assert lost[0] in text and "DH000001" in text
    assert book["balance"] == 18.0 and "可用余额" in text and "18" in text
    assert "第1页/共1页" in text
    secrets = [clean_text(v) for v in households["身份证号"] if clean_text(v)]
    secrets += [normalize_phone(v) for v in households["联系电话"] if clean_text(v)]
    assert len(secrets) > 100 and [s for s in secrets if s in text] == []


def test_a4_long_passbook_repeats_its_header_and_numbers_pages(runner, ledger, tmp_path: Path) -> None:
    add_entries(ledger, [NewEntry("ZP005", "加分", 1.0, f"第 {i} 次参加环境整治义务劳动") for i in range(1, 61)],
                "2026-08-10")
    pdf = tmp_path / "长.pdf"
    assert invoke(runner, "passbook", ledger, "--household", "ZP005", "-o", pdf, "--paper", "A4").exit_code == 0
    pages = PdfReader(pdf).pages
    assert len(pages) >= 2
    width_mm = float(pages[0].mediabox.width) / 72 * 25.4
    assert round(width_mm) == 210
    last = re.sub(r"\s+", "", pages[-1].extract_text())
    assert f"第{len(pages)}页/共{len(pages)}页" in last and "摘要" in last  # header row repeated


def test_markup_in_names_prints_as_text(runner, ledger, tmp_path: Path) -> None:
    add_entries(ledger, [NewEntry("ZP006", "加分", 1.0, '#set page(width: 1cm) "引号" *星号*', member="王#[x]")],
                "2026-08-10")
    pdf = tmp_path / "x.pdf"
    assert invoke(runner, "passbook", ledger, "--household", "ZP006", "-o", pdf).exit_code == 0
    text = _pdf_text(pdf)
    assert "#setpage(width:1cm)" in text and "*星号*" in text and "王#[x]" in text


def test_all_writes_one_file_per_household(runner, ledger, tmp_path: Path) -> None:
    folder = tmp_path / "存折"
    result, data = invoke_json(runner, "passbook", ledger, "--all", "-o", folder, "--year", "2026")
    assert result.exit_code == 0
    households = Ledger.open(ledger).frame("户籍")
    open_ = households[~households["状态"].isin(["迁出", "注销"])]
    files = sorted(p.name for p in folder.glob("*.pdf"))
    assert data["households"] == len(open_) == len(files) == 63 and data["skipped_closed"] == 1
    expected = sorted(f"{h}_{n}_2026年积分存折.pdf" for h, n in zip(open_["户号"], open_["户主"]))
    assert files == expected
    one = folder / f"ZP001_{open_.iloc[0]['户主']}_2026年积分存折.pdf"
    lost, _ = _lost_items(ledger, "ZP001")
    assert lost[0] in _pdf_text(one)


def test_refusals(runner, ledger, tmp_path: Path) -> None:
    result = invoke(runner, "passbook", ledger, "--household", "ZP999")
    assert result.exit_code == 1 and "户号 ZP999 不在户籍中" in result.stderr
    assert invoke(runner, "passbook", ledger, "--all").exit_code == 2
    assert invoke(runner, "passbook", ledger, "--all", "--household", "ZP001", "-o", tmp_path).exit_code == 2
    assert invoke(runner, "passbook", ledger).exit_code == 2
    result = invoke(runner, "passbook", ledger, "--household", "ZP001", "-o", tmp_path / "x.txt")
    assert result.exit_code == 2 and ".pdf" in result.stderr
    result = invoke(runner, "passbook", ledger, "--household", "ZP001", "-o", tmp_path / "x.pdf", "--paper", "B5")
    assert result.exit_code == 2 and "A5 或 A4" in result.stderr


def test_household_without_entries(ledger) -> None:
    data = LedgerPassbooks.load(Ledger.open(ledger))
    sums = summarize(Ledger.open(ledger).frame("积分流水"))
    hid = next(h for h in data.households["户号"] if h not in set(sums["household_id"]))
    pb = data.passbook(hid)
    assert pb.lines == [] and (pb.balance, pb.earned, pb.family_average) == (0.0, 0.0, 0.0)
    year = build_passbook(data.rows_of(hid), data.info(hid), data.village, 2026)
    assert year.opening == 0.0 and year.balance == 0.0


def test_all_with_worker_processes(runner, ledger, tmp_path: Path) -> None:
    serial, parallel = tmp_path / "一", tmp_path / "二"
    result, one = invoke_json(runner, "passbook", ledger, "--all", "-o", serial, "--jobs", "1", "--date", "2026-08-01")
    assert result.exit_code == 0 and one["households"] == 63
    result, two = invoke_json(runner, "passbook", ledger, "--all", "-o", parallel, "--jobs", "2", "--date", "2026-08-01")
    assert result.exit_code == 0 and two["households"] == 63
    names = sorted(p.name for p in serial.glob("*.pdf"))
    assert len(names) == 63 and names == sorted(p.name for p in parallel.glob("*.pdf"))
    for name in names[:5]:
        assert _pdf_text(serial / name) == _pdf_text(parallel / name)


def test_a_worker_error_reaches_the_clerk(runner, ledger, tmp_path: Path) -> None:
    book = Ledger.open(ledger)
    households = book.frame("户籍").copy()
    households.loc[households["户号"] == "ZP040", "户主"] = "王\ue000"  # a character no font has
    book.replace("户籍", households)
    book.save("test-setup")
    result = invoke(runner, "passbook", ledger, "--all", "-o", tmp_path / "存折", "--jobs", "2")
    assert result.exit_code == 1
    assert "U+E000" in result.stderr and "方框" in result.stderr


def test_monthly_reason_without_inspection_rows_gives_the_total_only(ledger) -> None:
    book = Ledger.open(ledger)
    rec = book.frame("检查记录")
    book.replace("检查记录", rec[rec["户号"] != "ZP001"])
    book.save("test-setup")
    line = next(x for x in LedgerPassbooks.load(Ledger.open(ledger)).passbook("ZP001").lines if x.kind == "月度积分")
    scores = Ledger.open(ledger).frame("月度得分")
    total = scores[(scores["户号"] == "ZP001") & (scores["月份"] == MONTH)].iloc[0]["总分"]
    assert line.reason == f"2026年7月检查 {fmt_number(float(total))} 分"


def test_all_for_one_group(runner, ledger, tmp_path: Path) -> None:
    folder = tmp_path / "第二组存折"
    result, data = invoke_json(runner, "passbook", ledger, "--all", "-o", folder, "--group", "第二组", "--jobs", "1")
    assert result.exit_code == 0, result.stdout
    households = Ledger.open(ledger).frame("户籍")
    mine = households[(households["组别"] == "第二组") & ~households["状态"].isin(["迁出", "注销"])]
    files = sorted(p.name for p in folder.glob("*.pdf"))
    assert data["group"] == "第二组" and data["households"] == len(mine) == len(files) > 0
    assert files == sorted(f"{h}_{n}_积分存折.pdf" for h, n in zip(mine["户号"], mine["户主"]))
    result = invoke(runner, "passbook", ledger, "--all", "-o", folder, "--group", "2组", "--jobs", "1")
    assert result.exit_code == 0 and f"已为第二组 {len(mine)} 户打印存折" in result.stdout


def test_all_for_a_group_the_village_has_not(runner, ledger, tmp_path: Path) -> None:
    result = invoke(runner, "passbook", ledger, "--all", "-o", tmp_path / "存折", "--group", "第九组")
    assert result.exit_code == 2
    assert "第九组" in result.stderr and "第一组、第二组、第三组" in result.stderr
    assert not (tmp_path / "存折").exists()
    result = invoke(runner, "passbook", ledger, "--household", "ZP001", "--group", "第二组")
    assert result.exit_code == 2 and "--all" in result.stderr
