"""Every number of every preset, as written into a new ledger by ``init``."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest

from conftest import invoke
from villagectl.ledger.create import create_ledger
from villagectl.ledger.workbook import Ledger
from villagectl.rules.catalogue import band_gaps_and_overlaps, parse_bands, parse_rules, points_for
from villagectl.values import to_number


def _open(tmp_path: Path, preset: str) -> Ledger:
    path = tmp_path / f"{preset}.xlsx"
    create_ledger(path, "测试村", preset)
    return Ledger.open(path)


def _rules(ledger: Ledger):
    rules, issues = parse_rules(ledger.frame("规则"))
    assert issues == []
    return rules


def test_zhongping_items_categories_and_total(tmp_path: Path) -> None:
    ledger = _open(tmp_path, "zhongping")
    rules = _rules(ledger)
    assert len(rules) == 14
    assert all(r.type == "检查项" and r.period == "月" for r in rules)
    by_category: dict[str, float] = {}
    for r in rules:
        by_category[r.category] = by_category.get(r.category, 0) + r.points
    assert by_category == {"人居环境": 50, "先锋模范": 20, "学生就学": 10, "创业就业": 10, "团结友爱": 10}
    items = {r.item: r.points for r in rules if r.category == "人居环境"}
    assert items == {"庭院": 15, "客厅": 10, "厨房": 10, "卧室": 10, "厕所": 5}
    assert sorted(r.points for r in rules if r.category == "先锋模范") == [5, 5, 10]
    assert sum(r.points for r in rules) == 100


@pytest.mark.parametrize(
    "score, points",
    [(0, 0), (69.5, 0), (70, 0), (79.5, 0), (80, 1), (82, 1), (85, 1), (85.5, 3), (90, 3), (90.5, 5), (100, 5)],
)
def test_zhongping_bands(tmp_path_factory, score: float, points: float) -> None:
    ledger = _open(tmp_path_factory.mktemp("b"), "zhongping")
    bands, issues = parse_bands(ledger.frame("换算"))
    assert issues == []
    assert band_gaps_and_overlaps(bands, 0, 100) == []
    assert points_for(score, bands) == points


def test_zhongping_settings(tmp_path: Path) -> None:
    s = _open(tmp_path, "zhongping").settings()
    assert s["村名"] == "测试村"
    assert s["计分方式"] == "月度换算"
    expected = {"满分": 100, "积分起评分": 70, "检查开始日": 20, "检查结束日": 25, "连续奖励月数": 3,
                "连续奖励条件积分": 5, "连续奖励积分": 5, "曝光台连续月数": 3, "每分折合元": 1,
                "公示天数": 3, "虚假申报扣分倍数": 2}
    assert {k: to_number(s[k]) for k in expected} == expected
    # 篇3 sets no reward budget: 人均奖励经费 empty (篇2's 2 元 is wenming's), over it only a warning
    assert (s["人均奖励经费"], s["经费超出时"], s["常住人口"]) == ("", "提醒", "")
    assert len(s["兑换单密钥"]) == 32


def test_base140(tmp_path: Path) -> None:
    ledger = _open(tmp_path, "base140")
    rules = _rules(ledger)
    got = {r.item: (r.points, r.type, r.period) for r in rules}
    assert got == {
        "环境整治": (40, "基础分", "季"),
        "文明新风": (40, "基础分", "季"),
        "党的建设": (20, "基础分", "年"),
        "民生保障": (20, "基础分", "年"),
        "遵纪守法": (20, "基础分", "年"),
    }
    s = ledger.settings()
    assert s["计分方式"] == "基础分"
    assert {k: to_number(s[k]) for k in ("基础分", "五星比例", "四星比例", "三星比例", "评议小组最少人数", "每组最多户数")} == {
        "基础分": 140, "五星比例": 10, "四星比例": 20, "三星比例": 30, "评议小组最少人数": 5, "每组最多户数": 100}
    assert s["星级须不低于基础分"] == "是"
    assert ledger.frame("换算").empty


def test_wenming(tmp_path: Path) -> None:
    ledger = _open(tmp_path, "wenming")
    rules = _rules(ledger)
    types = {r.type for r in rules}
    assert types == {"加分", "扣分", "否决"}
    assert {r.category for r in rules} >= {"人居环境美", "家庭和睦美", "乡村发展美", "公益奉献美", "自治守法美"}
    mediator = next(r for r in rules if r.item == "优秀调解员")
    assert (mediator.points, mediator.type, mediator.cap) == (50, "加分", 50)
    volunteer = next(r for r in rules if r.item.startswith("志愿服务"))
    assert (volunteer.points, volunteer.period, volunteer.cap) == (1, "次", 10)
    assert len([r for r in rules if r.type == "否决"]) == 4
    s = ledger.settings()
    assert s["计分方式"] == "事件" and s["家庭平均积分"] == "是" and s["积分清零"] == "否"


@pytest.mark.parametrize("preset", ["zhongping", "base140", "wenming"])
def test_cadre_scorecard_in_every_preset(tmp_path: Path, preset: str) -> None:
    ledger = _open(tmp_path, preset)
    frame = ledger.frame("考核指标")
    indicators = frame[frame["类型"] == "指标"]
    totals = indicators.groupby("对象")["满分"].sum().to_dict()
    assert totals == {"村干部": 100, "村民代表": 100}
    assert set(indicators[indicators["对象"] == "村干部"]["指标"]) == {
        "落实上级任务要求", "班子队伍建设", "服务群众成效", "村庄建设发展", "重点任务推进"}
    negative = frame[frame["类型"].isin(["负面扣分", "负面否决"])]
    assert len(negative) == 7
    assert "承揽本村工程项目" in set(negative[negative["类型"] == "负面否决"]["指标"])
    s = ledger.settings()
    assert to_number(s["民主评议权重"]) == 0.3
    assert s["不称职票比例"] == "1/3"
    assert [to_number(s[k]) for k in ("优秀分数线", "称职分数线", "基本称职分数线")] == [90, 75, 60]


def test_init_writes_a_complete_formatted_workbook(tmp_path: Path) -> None:
    path = tmp_path / "村.xlsx"
    create_ledger(path, "中坪村", "zhongping")
    wb = openpyxl.load_workbook(path)
    assert set(wb.sheetnames) == {"参数", "规则", "换算", "户籍", "干部", "考核指标", "检查记录", "月度得分",
                                  "积分流水", "商品", "兑换记录", "年度评定", "互评", "干部考核", "积分事件", "期间", "调整记录", "操作日志",
                                  "履职承诺", "考核评分", "民主评议", "负面记录", "代表履职", "表头对照"}
    hh = wb["户籍"]
    assert [c.value for c in hh[1]][:4] == ["户号", "户主", "组别", "人口"]
    assert hh.freeze_panes == "A2"
    assert hh.column_dimensions["H"].width == 21  # 身份证号
    assert hh.column_dimensions["H"].number_format == "@"  # 18 digits must stay text
    lists = {str(dv.sqref)[0]: dv.formula1 for dv in hh.data_validations.dataValidation}
    assert "普通户" in lists["F"] and "迁出" in lists["I"]
    monthly = [c.value for c in wb["月度得分"][1]]
    assert monthly[4:9] == ["人居环境", "先锋模范", "学生就学", "创业就业", "团结友爱"]
    rule_lists = [dv.formula1 for dv in wb["规则"].data_validations.dataValidation]
    assert any("否决" in f for f in rule_lists)


def test_init_cli_refuses_to_overwrite_without_force(tmp_path: Path, runner) -> None:
    path = tmp_path / "中坪村.xlsx"
    assert invoke(runner, "init", path, "--village", "中坪村", "--preset", "zhongping").exit_code == 0
    before = path.read_bytes()
    result = invoke(runner, "init", path, "--village", "中坪村")
    assert result.exit_code == 4
    assert "已存在" in result.stderr and "--force" in result.stderr
    assert path.read_bytes() == before
    result = invoke(runner, "init", path, "--village", "中坪村", "--preset", "base140", "--force")
    assert result.exit_code == 0
    assert Ledger.open(path).settings()["计分方式"] == "基础分"
    assert list((tmp_path / ".villagectl" / "backups").glob("*.xlsx"))


def test_init_unknown_preset_is_usage_error(tmp_path: Path, runner) -> None:
    result = invoke(runner, "init", tmp_path / "x.xlsx", "--village", "x", "--preset", "nosuch")
    assert result.exit_code == 2
    assert "没有名为 nosuch 的预设方案" in result.stderr


def test_a_new_ledger_speaks_to_the_clerk_not_of_seeds(tmp_path) -> None:
    """参数/规则/考核指标 说明 name the source as a clerk knows it (issue 14 §7), never 种子001 or 篇3."""
    import re

    from python_calamine import CalamineWorkbook

    from villagectl.ledger.create import create_ledger
    from villagectl.rules.sources import for_clerk

    for preset in ("zhongping", "base140", "wenming"):
        path = tmp_path / f"{preset}.xlsx"
        create_ledger(path, "中坪村", preset)
        book = CalamineWorkbook.from_path(path)
        for sheet in ("参数", "规则", "考核指标"):
            text = "".join(str(v) for row in book.get_sheet_by_name(sheet).to_python() for v in row)
            assert not re.search(r"种子|篇\d", text), (preset, sheet)
    assert for_clerk("1 积分折合多少元（篇3：每积1分可兑换1元）") == "1 积分折合多少元（中坪村办法：每积1分可兑换1元）"
    assert for_clerk("（种子001 篇4）") == "（基础分140分办法）" and for_clerk("种子未规定，默认值") == "各地办法未规定，默认值"
