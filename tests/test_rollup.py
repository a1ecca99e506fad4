"""``rollup``: the town's summary over many village ledgers.

Expected figures are computed here independently of the roll-up's own reader:
by hand for one small village, and for every village through ``Ledger.open``
and the library's reference functions (``scoring.annual.year_earnings``,
``ledger.journal.summarize``) plus plain pandas on 户籍 / 兑换记录 / 年度评定.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import multiprocessing
import os
import random
import shutil
import zipfile
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

import villagectl.cli.rollup_commands  # noqa: F401  (registers the command until cli/main imports it)
from conftest import invoke
from villagectl.actions import rollup as rollup_mod
from villagectl.actions.rollup import read_village, rollup
from villagectl import schema
from villagectl.ledger.create import create_ledger
from villagectl.ledger.journal import NewEntry, append_entries, reverse_entry, summarize
from villagectl.ledger.workbook import Ledger
from villagectl.scoring.annual import year_earnings
from villagectl.values import clean_text, to_number

YEAR = 2025
TODAY = dt.date(2026, 2, 1)


# --- building small ledgers through the library ----------------------------------


def _household(hid, name, group, size, state="正常"):
    return {"户号": hid, "户主": name, "组别": group, "人口": size, "参评人数": size, "户类型": "普通户", "状态": state}


def _frame(spec, rows):
    frame = pd.DataFrame(rows, dtype=object)
    for col in spec.column_names:
        if col not in frame.columns:
            frame[col] = ""
    return frame[spec.column_names]


def _post(journal, date, *entries):
    journal, ids = append_entries(journal, list(entries), date=date, operator="村文书")
    return journal, ids


def _adopt_budget(ledger: Ledger) -> None:
    """The zhongping preset sets no budget (篇3); these villages adopt 篇2's 人均2元."""
    settings = ledger.frame("参数").copy()
    settings.loc[settings["键"].map(clean_text) == "人均奖励经费", "值"] = "2"
    ledger.replace("参数", settings)


def make_small_village(path: Path, name: str = "小河村", yuan_per_point: str | None = None,
                       drop_redemption_yuan: bool = False) -> Path:
    """A village whose 2025 figures are worked out by hand in test_small_village_by_hand."""
    create_ledger(path, name, "zhongping", today=dt.date(2024, 12, 1))
    ledger = Ledger.open(path)
    _adopt_budget(ledger)
    ledger.replace("户籍", _frame(schema.HOUSEHOLDS, [
        _household("A1", "张三", "第一组", 3),
        _household("A2", "李四", "第二组", 2),
        _household("A3", "王五", "第二组", 4, state="迁出"),
    ]))
    j = ledger.frame("积分流水")
    j, _ = _post(j, "2024-12-31", NewEntry("A1", "期初", 10, "原存折结转"))
    j, _ = _post(j, "2025-01-05", NewEntry("A2", "月度积分", 1, "2024年12月", "月度得分 2024-12"))  # a 2024 point
    j, _ = _post(j, "2025-02-05", NewEntry("A1", "月度积分", 5, "2025年1月", "月度得分 2025-01"),
                 NewEntry("A2", "月度积分", 3, "2025年1月", "月度得分 2025-01"),
                 NewEntry("A3", "月度积分", 1, "2025年1月", "月度得分 2025-01"))
    j, _ = _post(j, "2025-03-01", NewEntry("A2", "加分", 4, "志愿服务"))
    j, (deduction,) = _post(j, "2025-04-01", NewEntry("A1", "扣分", -2, "乱堆乱放"))
    j, _ = _post(j, "2025-06-01", NewEntry("A1", "兑换", -6, "兑换 食用油×1", "2025-00001"))
    j, (voided,) = _post(j, "2025-07-01", NewEntry("A2", "兑换", -3, "兑换 毛巾×1", "2025-00002"))
    j, _ = reverse_entry(j, voided, "作废", "2025-07-02", "村文书")
    j, _ = _post(j, "2026-01-05", NewEntry("A1", "月度积分", 5, "2025年12月", "月度得分 2025-12"))  # counts for 2025
    j, _ = _post(j, "2026-01-08", NewEntry("A2", "加分", 2, "调解纠纷", "E0001"))  # the event is of 2025
    j, _ = reverse_entry(j, deduction, "核实有误", "2026-01-10", "村文书")  # counts against 2025
    ledger.replace("积分流水", j)
    ledger.replace("积分事件", _frame(schema.EVENTS, [
        {"事件号": "E0001", "日期": "2025-12-20", "户号": "A2", "户主": "李四", "编码": "JF1", "项目": "调解纠纷",
         "类型": "加分", "次数": 1, "积分": 2, "状态": "入账"},
    ]))
    redemptions = [
        {"单号": "2025-00001", "日期": "2025-06-01", "户号": "A1", "户主": "张三", "物品": "食用油", "数量": 1,
         "积分": 6, "金额": 6, "状态": "已领取"},
        {"单号": "2025-00002", "日期": "2025-07-01", "户号": "A2", "户主": "李四", "物品": "毛巾", "数量": 1,
         "积分": 3, "金额": 3, "状态": "作废"},
    ]
    ledger.replace("兑换记录", _frame(schema.REDEMPTIONS, redemptions))
    ledger.replace("年度评定", _frame(schema.ANNUAL, [
        {"年度": 2024, "户号": "A1", "户主": "张三", "组别": "第一组", "年度积分": 3, "牌级": "金牌户", "榜单": "红榜", "状态": "入账"},
        {"年度": 2025, "户号": "A1", "户主": "张三", "组别": "第一组", "年度积分": 10, "星级": "五星级文明户",
         "牌级": "金牌户", "榜单": "红榜", "状态": "入账"},
        {"年度": 2025, "户号": "A2", "户主": "李四", "组别": "第二组", "年度积分": 7, "牌级": "银牌户", "榜单": "黑榜",
         "状态": "入账"},
    ]))
    if yuan_per_point is not None:
        params = ledger.frame("参数").copy()
        params.loc[params["键"] == "每分折合元", "值"] = yuan_per_point
        ledger.replace("参数", params)
    ledger.save("test-setup")
    if drop_redemption_yuan:
        _drop_column(path, "兑换记录", "金额")
    return path


def _drop_column(path: Path, sheet: str, column: str) -> None:
    """Rename a header cell so the sheet lacks the column (as an older or hand-made ledger would)."""
    ledger = Ledger.open(path)
    frame = ledger.frame(sheet).rename(columns={column: "旧金额"})
    ledger.sheets[sheet].frame = frame
    ledger.dirty.add(sheet)
    ledger.save("test-setup")


def make_random_village(path: Path, name: str, households: int, seed: int, groups: int = 3) -> Path:
    """A year of monthly points, events, redemptions and a real ``score year`` for the ratings."""
    from villagectl.actions.score_year import score_year
    from villagectl.actions.session import Session

    rng = random.Random(seed)
    create_ledger(path, name, "zhongping", today=dt.date(2024, 12, 1))
    ledger = Ledger.open(path)
    _adopt_budget(ledger)
    rows = []
    for i in range(households):
        state = "正常" if i % 9 else "迁出"
        rows.append(_household(f"{name[:1]}{i:03d}", f"户主{i}", f"第{'一二三四五'[i % groups]}组", rng.randint(1, 6), state))
    ledger.replace("户籍", _frame(schema.HOUSEHOLDS, rows))
    j = ledger.frame("积分流水")
    j, _ = _post(j, "2024-12-31", *[NewEntry(r["户号"], "期初", rng.randint(1, 20), "结转") for r in rows[::4]])
    for month in range(1, 13):
        posted = f"{YEAR + (month == 12)}-{month % 12 + 1:02d}-05"
        j, _ = _post(j, posted, *[NewEntry(r["户号"], "月度积分", rng.choice((0, 1, 3, 5)), f"{month}月",
                                          f"月度得分 {YEAR}-{month:02d}") for r in rows if r["状态"] == "正常"])
    j, _ = _post(j, "2025-08-08", NewEntry(rows[1]["户号"], "加分", 6, "见义勇为"))
    j, (wrong,) = _post(j, "2025-09-09", NewEntry(rows[2]["户号"], "加分", 5, "虚假申报"))
    j, _ = reverse_entry(j, wrong, "虚假申报", "2025-10-10", "村文书", factor=2)
    shop = []
    balances = summarize(j).set_index("household_id")["balance"].to_dict()
    for n, r in enumerate(rows[::3], start=1):
        price = rng.choice((2, 5, 8))
        if balances.get(r["户号"], 0) < price:
            continue
        date = f"2025-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
        number = f"2025-{n:05d}"
        j, _ = _post(j, date, NewEntry(r["户号"], "兑换", -price, "兑换 洗衣粉×1", number))
        shop.append({"单号": number, "日期": date, "户号": r["户号"], "物品": "洗衣粉", "数量": 1, "积分": price,
                     "金额": price, "状态": "已领取"})
    j, _ = _post(j, "2024-11-11", NewEntry(rows[0]["户号"], "兑换", -1, "兑换 2024", "2024-00001"))
    shop.append({"单号": "2024-00001", "日期": "2024-11-11", "户号": rows[0]["户号"], "物品": "盐", "积分": 1, "金额": 1})
    ledger.replace("积分流水", j)
    ledger.replace("兑换记录", _frame(schema.REDEMPTIONS, shop))
    ledger.save("test-setup")
    score_year(Session(path), YEAR)
    return path


# --- the expected figures, through Ledger.open and the library -----------------------


def expected(path: Path, year: int = YEAR) -> dict:
    ledger = Ledger.open(path)
    settings = ledger.settings()
    hh = ledger.frame("户籍")
    active = hh[hh["状态"].map(lambda s: clean_text(s) in ("正常", ""))]
    residents = int(sum(int(to_number(v) or 0) for v in active["人口"]))
    journal = ledger.frame("积分流水")
    earned = year_earnings(journal, ledger.frame_or_empty("积分事件"), year)
    totals = summarize(journal)
    shop = ledger.frame_or_empty("兑换记录")
    in_year = shop[shop["日期"].map(lambda d: clean_text(d)[:4] == str(year)) & (shop["状态"].map(clean_text) != "作废")]
    annual = ledger.frame_or_empty("年度评定")
    annual = annual[annual["年度"].map(clean_text) == str(year)]
    per = to_number(settings.get("人均奖励经费")) if settings.get("人均奖励经费") else None
    groups = {}
    group_of = {clean_text(h): clean_text(g) for h, g in zip(hh["户号"], hh["组别"])}
    for hid, value in earned.items():
        groups.setdefault(group_of.get(hid, "（户籍中没有的户号）"), 0.0)
        groups[group_of.get(hid, "（户籍中没有的户号）")] += value
    return {
        "village": settings.get("村名"),
        "households": len(active),
        "residents": residents,
        "earned": round(sum(earned.values()), 4),
        "balance": round(float(totals["balance"].sum()), 4) if len(totals) else 0.0,
        "redeemed_points": round(float(sum(to_number(v) or 0 for v in in_year["积分"])), 4),
        "redeemed_yuan": round(float(sum(to_number(v) or 0 for v in in_year["金额"])), 2),
        "budget": round(residents * per, 2) if per is not None else None,
        "stars": tuple(int(annual["星级"].map(clean_text).str.startswith(s).sum()) for s in ("五星", "四星", "三星")),
        "medals": tuple(int((annual["牌级"].map(clean_text) == m).sum()) for m in ("金牌户", "银牌户", "铜牌户")),
        "red": int((annual["榜单"].map(clean_text) == "红榜").sum()),
        "black": int((annual["榜单"].map(clean_text) == "黑榜").sum()),
        "groups": {g: round(v, 4) for g, v in groups.items()},
    }


def assert_village(summary, exp: dict) -> None:
    for key in ("village", "households", "residents", "stars", "medals", "red", "black"):
        assert getattr(summary, key) == exp[key], key
    for key in ("earned", "balance", "redeemed_points", "redeemed_yuan"):
        assert getattr(summary, key) == pytest.approx(exp[key]), key
    assert summary.budget == pytest.approx(exp["budget"]) if exp["budget"] is not None else summary.budget is None
    got_groups = {g.group: g.earned for g in summary.groups if g.earned}
    assert got_groups == pytest.approx({g: v for g, v in exp["groups"].items() if v})


@pytest.fixture(scope="module")
def town(tmp_path_factory) -> Path:
    """A town folder: three villages in sub-folders (each with the backups its saves left)."""
    root = tmp_path_factory.mktemp("town") / "各村台账"
    (root / "东片").mkdir(parents=True)
    (root / "西片" / "山里").mkdir(parents=True)
    make_small_village(root / "东片" / "小河村台账.xlsx")
    make_random_village(root / "东片" / "大树村台账.xlsx", "大树村", 40, seed=1)
    make_random_village(root / "西片" / "山里" / "石桥村台账.xlsx", "石桥村", 25, seed=2, groups=2)
    return root


def ledgers_in(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*.xlsx")
                  if ".villagectl" not in p.parts and not p.name.startswith(("~$", ".villagectl-tmp-")))


def fingerprints(root: Path) -> dict[str, tuple[int, int, str]]:
    out = {}
    for p in sorted(root.rglob("*")):
        if p.is_file():
            out[str(p.relative_to(root))] = (p.stat().st_size, p.stat().st_mtime_ns, hashlib.sha256(p.read_bytes()).hexdigest())
    return out


# --- tests ----------------------------------------------------------------------------


def test_small_village_by_hand(tmp_path: Path) -> None:
    path = make_small_village(tmp_path / "小河村.xlsx")
    v = read_village(path, YEAR)
    assert v.village == "小河村"
    assert (v.households, v.residents) == (2, 5)  # A3 moved out
    # A1: 5 (Jan) + 5 (Dec, posted 2026) − 2 + 2 (deduction reversed in 2026); A2: 3 + 4 + 2 (a 2025 event posted
    # in 2026); A3: 1. Not: the opening balance, A2's point for December 2024, redemptions
    assert v.earned == 20
    assert v.balance == 25  # 14 + 10 + 1
    assert (v.redeemed_points, v.redeemed_yuan, v.redemption_source) == (6, 6, "兑换记录")  # the voided slip left out
    assert v.budget == 10 and v.budget_use == 60.0  # 5 residents × 2 yuan
    assert (v.stars, v.medals, v.red, v.black, v.rating) == ((1, 0, 0), (1, 1, 0), 1, 1, "入账")
    groups = {g.group: g for g in v.groups}
    assert (groups["第一组"].households, groups["第一组"].residents, groups["第一组"].earned, groups["第一组"].balance) == (1, 3, 10, 14)
    assert (groups["第二组"].households, groups["第二组"].residents, groups["第二组"].earned, groups["第二组"].balance) == (1, 2, 10, 11)
    assert groups["第二组"].average == 10
    assert not v.warnings
    # the same through the reference functions
    assert_village(v, expected(path))
    # 2024: only A2's December point; no ratings of 2024 other than A1's
    v24 = read_village(path, 2024)
    assert v24.earned == 1 and v24.medals == (1, 0, 0) and v24.redeemed_points == 0
    assert read_village(path, 2026).earned == 0  # everything posted in 2026 belongs to 2025


def test_redemptions_from_the_journal_when_the_sheet_lacks_columns(tmp_path: Path) -> None:
    path = make_small_village(tmp_path / "小河村.xlsx", yuan_per_point="0.5", drop_redemption_yuan=True)
    v = read_village(path, YEAR)
    assert v.redemption_source == "积分流水"
    assert v.redeemed_points == 6  # −6 and −3 + 3 (the void's reversal)
    assert v.redeemed_yuan == 3.0  # 6 points × 0.5 yuan
    assert any("兑换记录缺少" in w for w in v.warnings)


def test_totals_are_the_sum_of_the_villages(town: Path, tmp_path: Path) -> None:
    out = tmp_path / "town.xlsx"
    result = rollup([town], out, YEAR, today=TODAY)
    paths = ledgers_in(town)
    assert len(result.villages) == 3 and not result.skipped
    assert [v.file for v in result.villages] == [p.relative_to(town).as_posix() for p in paths]
    exps = [expected(p) for p in paths]
    for v, exp in zip(result.villages, exps):
        assert_village(v, exp)
        assert sum(g.households for g in v.groups) == v.households
        assert sum(g.earned for g in v.groups) == pytest.approx(v.earned)
        assert sum(g.balance for g in v.groups) == pytest.approx(v.balance)
    t = result.totals
    assert t.households == sum(e["households"] for e in exps)
    assert t.residents == sum(e["residents"] for e in exps)
    assert t.earned == pytest.approx(sum(e["earned"] for e in exps))
    assert t.balance == pytest.approx(sum(e["balance"] for e in exps))
    assert t.redeemed_points == pytest.approx(sum(e["redeemed_points"] for e in exps))
    assert t.redeemed_yuan == pytest.approx(sum(e["redeemed_yuan"] for e in exps))
    assert t.budget == pytest.approx(sum(e["budget"] for e in exps))
    assert t.medals == tuple(sum(e["medals"][i] for e in exps) for i in range(3))
    assert (t.red, t.black) == (sum(e["red"] for e in exps), sum(e["black"] for e in exps))
    assert t.earned > 0 and sum(t.medals) > 0 and t.redeemed_points > 0  # the data is not trivially empty


def table_rows(ws) -> list[tuple]:
    """The table of a town sheet: from its header row (under the title) to its last row (above the signatures)."""
    rows = list(ws.iter_rows(values_only=True))
    start = next(i for i, r in enumerate(rows) if "村名" in r)
    end = start
    while end + 1 < len(rows) and any(v not in (None, "") for v in rows[end + 1]):
        end += 1
    return rows[start : end + 1]


def test_town_sheets_have_a_title_borders_signatures_and_a4_print_setup(town: Path, tmp_path: Path) -> None:
    out = tmp_path / "town.xlsx"
    rollup([town], out, YEAR, today=TODAY, town="青山镇")
    wb = openpyxl.load_workbook(out)
    for name, title in (("全镇汇总", "青山镇2025年度各村乡村治理积分汇总"), ("分组明细", "青山镇2025年度各村分组积分明细")):
        ws = wb[name]
        assert ws["A1"].value == title and any(str(r) .startswith("A1:") for r in ws.merged_cells.ranges)
        assert ws["A2"].value == "年度" and ws.freeze_panes == "A3" and ws.auto_filter.ref.startswith("A2:")
        last = 2 + len(table_rows(ws)) - 1
        assert all(ws.cell(r, c).border.left.style == "thin" for r in (2, last) for c in (1, ws.max_column))
        texts = [str(c.value) for row in ws.iter_rows(min_row=last + 1) for c in row if c.value]
        assert "制表人：" in texts and "审核人：" in texts and "青山镇人民政府（盖章）" in texts
        assert str(ws.page_setup.paperSize) == ws.PAPERSIZE_A4 and ws.print_title_rows.replace("$", "") == "1:2"
        assert ws.page_setup.fitToWidth == 1


def test_workbook_reopens_and_its_total_row_is_the_column_sum(town: Path, tmp_path: Path) -> None:
    out = tmp_path / "汇总" / "town.xlsx"
    out.parent.mkdir()
    rollup([town], out, YEAR, today=TODAY)
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames == ["全镇汇总", "分组明细", "问题"]
    rows = table_rows(wb["全镇汇总"])
    header, villages, total = rows[0], rows[1:-1], rows[-1]
    col = {name: i for i, name in enumerate(header)}
    assert total[col["村名"]] == "合计"
    assert [r[col["村名"]] for r in villages] == [expected(p)["village"] for p in ledgers_in(town)]
    summed = ("户数", "人口", "年度获得积分", "积分余额", "兑换积分", "兑换金额(元)", "奖励经费(元)", "五星级文明户",
              "四星级文明户", "三星级文明户", "金牌户", "银牌户", "铜牌户", "红榜", "黑榜")
    for name in summed:
        assert total[col[name]] == pytest.approx(sum(r[col[name]] or 0 for r in villages)), name
    exps = [expected(p) for p in ledgers_in(town)]
    assert total[col["年度获得积分"]] == pytest.approx(sum(e["earned"] for e in exps))
    assert total[col["经费使用率(%)"]] == pytest.approx(
        round(total[col["兑换金额(元)"]] / total[col["奖励经费(元)"]] * 100, 1))
    groups = table_rows(wb["分组明细"])
    gcol = {name: i for i, name in enumerate(groups[0])}
    for r in villages:
        mine = [g for g in groups[1:] if g[gcol["台账文件"]] == r[col["台账文件"]]]
        assert sum(g[gcol["户数"]] for g in mine) == r[col["户数"]]
        assert sum(g[gcol["年度获得积分"]] for g in mine) == pytest.approx(r[col["年度获得积分"]])
    assert list(wb["问题"].iter_rows(values_only=True))[1:] == []


def test_broken_ledgers_are_reported_and_the_others_still_summed(town: Path, tmp_path: Path, runner) -> None:
    folder = tmp_path / "报送"
    shutil.copytree(town, folder)
    good = ledgers_in(folder)
    # a truncated copy (a half-finished transfer), a random workbook, a ledger with a broken number, one missing a sheet
    data = good[0].read_bytes()
    (folder / "截断的台账.xlsx").write_bytes(data[: len(data) // 2])
    wb = openpyxl.Workbook()
    wb.active.append(["姓名", "电话"])
    wb.save(folder / "通讯录.xlsx")
    bad_number = folder / "坏数字村.xlsx"
    make_small_village(bad_number, "坏数字村")
    ledger = Ledger.open(bad_number)
    j = ledger.frame("积分流水").copy()
    j.loc[3, "积分"] = "五分"
    ledger.replace("积分流水", j)
    ledger.save("test-setup")
    no_journal = folder / "缺表村.xlsx"
    wb = openpyxl.Workbook()
    wb.active.title = "参数"
    wb.active.append(["键", "值", "说明"])
    wb.create_sheet("户籍").append(["户号", "户主", "组别", "人口", "状态"])
    wb.save(no_journal)

    out = tmp_path / "town.xlsx"
    result = invoke(runner, "rollup", folder, "-o", out, "--year", YEAR, "--json", "--workers", "2")
    assert result.exit_code == 1, result.stdout
    data = json.loads(result.stdout)
    assert data["ok"] is False and data["read"] == 3 and data["files"] == 7
    reasons = {s["file"]: s["reason"] for s in data["skipped"]}
    assert set(reasons) == {"截断的台账.xlsx", "通讯录.xlsx", "坏数字村.xlsx", "缺表村.xlsx"}
    assert "损坏" in reasons["截断的台账.xlsx"]
    assert "不是 villagectl 台账" in reasons["通讯录.xlsx"]
    assert "积分流水" in reasons["坏数字村.xlsx"] and "五分" in reasons["坏数字村.xlsx"] and "不是数字" in reasons["坏数字村.xlsx"]
    assert "缺少工作表：积分流水" in reasons["缺表村.xlsx"]
    exps = [expected(p) for p in good]
    assert data["totals"]["earned"] == pytest.approx(sum(e["earned"] for e in exps))
    assert data["totals"]["households"] == sum(e["households"] for e in exps)
    # the workbook is written all the same, with the problems listed
    wb = openpyxl.load_workbook(out)
    problems = list(wb["问题"].iter_rows(values_only=True))[1:]
    assert {p[0] for p in problems if p[1] == "错误"} == set(reasons)
    total = table_rows(wb["全镇汇总"])[-1]
    assert total[1] == "合计" and total[5] == pytest.approx(sum(e["earned"] for e in exps))


def test_folders_are_searched_recursively_without_backups_or_lock_files(town: Path, tmp_path: Path, runner) -> None:
    folder = tmp_path / "镇"
    shutil.copytree(town, folder)
    backups = list(folder.rglob(".villagectl/backups/*"))
    assert backups  # the library's saves left real backups beside the ledgers
    for p in ledgers_in(folder):
        (p.parent / f"~${p.name}").write_bytes(b"\x00" * 162)  # Excel has them open
    (folder / "西片" / "山里" / ".villagectl-tmp-123-石桥村台账.xlsx").write_bytes(b"PK\x03\x04partial")
    before = fingerprints(folder)
    out = tmp_path / "town.xlsx"
    result = invoke(runner, "rollup", folder, "-o", out, "--year", YEAR, "--json")
    assert result.exit_code == 0, result.stdout
    data = json.loads(result.stdout)
    assert data["files"] == 3 and data["read"] == 3 and data["skipped"] == []
    assert sorted(v["file"] for v in data["villages"]) == sorted(p.relative_to(folder).as_posix() for p in ledgers_in(folder))
    assert not any("出现在" in w["message"] for w in data["warnings"])  # no backup read as a second copy
    # ledgers are only read: nothing changed, nothing added beside them
    assert fingerprints(folder) == before


def test_a_file_and_a_folder_together_and_a_missing_path(town: Path, tmp_path: Path) -> None:
    first = ledgers_in(town)[0]
    result = rollup([first, town, tmp_path / "没有这个文件夹"], tmp_path / "town.xlsx", YEAR, workers=1, today=TODAY)
    assert len(result.villages) == 3  # the file named twice is read once
    assert [v.file for v in result.villages] == [first.name] + [f"各村台账/{p.relative_to(town).as_posix()}"
                                                                for p in ledgers_in(town)[1:]]
    assert [s.file for s in result.skipped] == ["没有这个文件夹"]
    assert "不存在" in result.skipped[0].reason


def test_pdf_has_the_village_names_and_totals(town: Path, tmp_path: Path, runner) -> None:
    from pypdf import PdfReader

    pdf = tmp_path / "town.pdf"
    result = invoke(runner, "rollup", town, "-o", tmp_path / "town.xlsx", "--pdf", pdf, "--year", YEAR,
                    "--title", "青山镇2025年度积分汇总")
    assert result.exit_code == 0, result.stdout + result.stderr
    reader = PdfReader(pdf)
    assert 1 <= len(reader.pages) <= 2
    text = "".join(page.extract_text() for page in reader.pages).replace(" ", "")
    assert "青山镇2025年度积分汇总" in text
    exps = [expected(p) for p in ledgers_in(town)]
    for e in exps:
        assert e["village"] in text
    assert "合计（3个村）" in text
    total_earned = sum(e["earned"] for e in exps)
    total_households = sum(e["households"] for e in exps)
    assert f"{total_households}" in text
    assert f"{total_earned:g}" in text
    assert f"{sum(e['redeemed_yuan'] for e in exps):,.2f}" in text
    assert "合计" in result.stdout and "汇总表已保存" in result.stdout


def test_parallel_and_sequential_and_both_readers_agree(town: Path, tmp_path: Path) -> None:
    seq = rollup([town], tmp_path / "a.xlsx", YEAR, workers=1, today=TODAY)
    par = rollup([town], tmp_path / "b.xlsx", YEAR, workers=2, today=TODAY)
    via_ledger = rollup([town], tmp_path / "c.xlsx", YEAR, workers=1, reader="ledger", today=TODAY)
    assert [v.as_dict() for v in seq.villages] == [v.as_dict() for v in par.villages]
    assert [v.as_dict() for v in seq.villages] == [v.as_dict() for v in via_ledger.villages]


def test_the_sample_village_and_its_raw_files(tmp_path: Path) -> None:
    from villagectl.demo import build_samples

    built = build_samples(tmp_path / "中坪")
    result = rollup([tmp_path / "中坪"], tmp_path / "town.xlsx", 2026, workers=1, today=TODAY)
    assert [v.village for v in result.villages] == ["中坪村"]
    v = result.villages[0]
    exp = expected(built["ledger"], 2026)
    assert_village(v, exp)
    assert v.balance > 0 and v.earned == 0  # opening balances only: not a year's earnings
    assert any("没有 2026 年获得的积分" in w for w in v.warnings)
    # the rosters and the inspection sheets beside it are not ledgers (.xls/.ods are not searched in folders)
    skipped = {s.file for s in result.skipped}
    assert "原始资料/村民花名册.xlsx" in skipped
    assert all("不是 villagectl 台账" in s.reason for s in result.skipped)


def test_the_output_may_not_be_a_ledger(town: Path, tmp_path: Path, runner) -> None:
    target = tmp_path / "x.xlsx"
    make_small_village(target)
    before = target.read_bytes()
    result = invoke(runner, "rollup", town, "-o", target, "--year", YEAR)
    assert result.exit_code == 2
    assert "台账" in result.stderr
    assert target.read_bytes() == before
    first = ledgers_in(town)[0]
    result = invoke(runner, "rollup", first, "-o", first, "--year", YEAR)
    assert result.exit_code == 2
    result = invoke(runner, "rollup", town, "-o", tmp_path / "town.pdf")
    assert result.exit_code == 2 and ".xlsx" in result.stderr


def test_nothing_to_summarize(tmp_path: Path, runner) -> None:
    (tmp_path / "空").mkdir()
    result = invoke(runner, "rollup", tmp_path / "空", "-o", tmp_path / "town.xlsx", "--json")
    assert result.exit_code == 1
    assert "没有找到台账" in json.loads(result.stdout)["error"]
    assert not (tmp_path / "town.xlsx").exists()


@pytest.mark.skipif(multiprocessing.get_start_method() != "fork", reason="the patched reader reaches the workers by fork")
def test_a_reader_that_kills_its_process_loses_only_that_file(town: Path, tmp_path: Path, monkeypatch) -> None:
    folder = tmp_path / "镇"
    shutil.copytree(town, folder)
    shutil.copyfile(ledgers_in(folder)[0], folder / "会崩溃的台账.xlsx")
    real = rollup_mod.read_village

    def dying(path, year, file="", reader="calamine"):
        if "崩溃" in str(path):
            os._exit(3)  # what calamine does on some damaged files
        return real(path, year, file, reader)

    monkeypatch.setattr(rollup_mod, "read_village", dying)
    result = rollup([folder], tmp_path / "town.xlsx", YEAR, workers=2, today=TODAY)
    assert len(result.villages) == 3
    assert [s.file for s in result.skipped] == ["会崩溃的台账.xlsx"]
    assert "异常退出" in result.skipped[0].reason


def test_a_damaged_zip_inside_passes_the_signature_check(tmp_path: Path, town: Path) -> None:
    """A zip whose sheet part is corrupt (not just truncated) is reported, not a crash."""
    src = ledgers_in(town)[0]
    bad = tmp_path / "坏表.xlsx"
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(bad, "w") as zout:
        for info in zin.infolist():
            data = zin.read(info.filename)
            if info.filename.startswith("xl/worksheets/"):
                data = data[: len(data) // 3]  # cut in the middle of the XML
            zout.writestr(info, data)
    result = rollup([bad, src], tmp_path / "town.xlsx", YEAR, workers=1, today=TODAY)
    assert len(result.villages) == 1
    assert result.skipped and result.skipped[0].file == "坏表.xlsx"


def test_password_protected_and_xls_files_are_named_as_such(tmp_path: Path, town: Path) -> None:
    import xlwt

    from villagectl.io.filetype import OLE_MAGIC

    locked = tmp_path / "加密村.xlsx"  # what Excel writes for a workbook with an opening password
    locked.write_bytes(OLE_MAGIC + b"\x00" * 504 + "EncryptedPackage".encode("utf-16-le") + b"\x00" * 1024)
    old = tmp_path / "旧台账.xls"
    book = xlwt.Workbook()
    book.add_sheet("参数").write(0, 0, "键")
    book.save(str(old))
    result = rollup([locked, old, ledgers_in(town)[0]], tmp_path / "town.xlsx", YEAR, workers=1, today=TODAY)
    reasons = {s.file: s.reason for s in result.skipped}
    assert "打开密码" in reasons["加密村.xlsx"]
    assert "xls" in reasons["旧台账.xls"] and "另存为 .xlsx" in reasons["旧台账.xls"]
    assert len(result.villages) == 1
