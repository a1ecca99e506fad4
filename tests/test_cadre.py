"""Cadres and villager representatives (seeds 000, 003): 70/30 composite, votes, quota, vetoes, flags, pay."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import openpyxl
import pytest

from conftest import CADRE_ITEMS, REP_ITEMS, titled_sheet as _sheet, invoke, invoke_json
from villagectl.ledger.create import create_ledger
from villagectl.ledger.workbook import Ledger
from villagectl.scoring.cadre import (
    Assessed,
    CadreSettings,
    assessor_mean,
    composite,
    democratic_score,
    grade_all,
    unfit_above,
)
import pandas as pd

S = CadreSettings()


def person(pid, card, democratic, kind="村干部", votes=None, deductions=0.0, vetoed=()):
    return Assessed(pid, f"人{pid}", "委员", kind, card, deductions, democratic,
                    votes or {"优秀": 10, "称职": 0, "基本称职": 0, "不称职": 0}, list(vetoed))


def test_composite_is_70_30_worked_by_hand() -> None:
    # scorecard 88, deductions 3, democratic 92: (88 − 3) × 0.7 + 92 × 0.3 = 59.5 + 27.6 = 87.1
    assert composite(88, 3, 92, 0.3) == 87.1


def test_vote_mapping() -> None:
    # 10 优秀 (100), 6 称职 (80), 3 基本称职 (60), 1 不称职 (0): (1000 + 480 + 180 + 0) / 20 = 83
    assert democratic_score({"优秀": 10, "称职": 6, "基本称职": 3, "不称职": 1}, S.vote_values) == 83.0
    assert democratic_score({}, S.vote_values) is None


def test_assessor_mean_optionally_drops_extremes() -> None:
    assert assessor_mean([20, 22, 25], False) == pytest.approx(22.333333, rel=1e-6)
    assert assessor_mean([20, 22, 25], True) == 22
    assert assessor_mean([20, 25], True) == 22.5  # fewer than three marks: nothing dropped


@pytest.mark.parametrize("unfit, cast, above", [(10, 30, False), (11, 30, True), (9, 30, False), (1, 2, True)])
def test_one_third_means_strictly_above(unfit, cast, above) -> None:
    votes = {"优秀": cast - unfit, "称职": 0, "基本称职": 0, "不称职": unfit}
    assert unfit_above(votes, Fraction(1, 3)) is above


def test_grades_by_threshold() -> None:
    people = [person("a", 95, 100), person("b", 80, 80), person("c", 65, 60), person("d", 50, 50)]
    s = CadreSettings(excellent_share=100)
    grades = {o.person.person_id: o.grade for o in grade_all(people, s)}
    # a: 95×.7+100×.3 = 96.5; b: 80; c: 63.5; d: 50
    assert grades == {"a": "优秀", "b": "称职", "c": "基本称职", "d": "不称职"}


def test_excellent_quota_with_a_tie_at_the_cut() -> None:
    # five cadres, 20% → one 优秀; b and c tie on composite AND democratic score
    people = [person("a", 96, 98), person("b", 94, 96), person("c", 94, 96), person("d", 93, 90), person("e", 70, 70)]
    out = {o.person.person_id: o for o in grade_all(people, S)}
    assert out["a"].grade == "优秀"
    assert (out["b"].grade, out["c"].grade) == ("称职", "称职")
    assert "超出优秀名额（1 名）" in out["b"].notes[0]
    # quota 2 with the tie straddling it: left out whole by default, taken in whole with 整体计入
    s2 = CadreSettings(excellent_share=40)
    assert [o.grade for o in grade_all(people, s2)][:3] == ["优秀", "称职", "称职"]
    s3 = CadreSettings(excellent_share=40, excellent_ties_in=True)
    assert [o.grade for o in grade_all(people, s3)][:3] == ["优秀", "优秀", "优秀"]


def test_ties_on_composite_are_broken_by_the_democratic_score() -> None:
    # equal composites 93.0: b has the better democratic score
    people = [person("a", 90, 100), person("b", 92.857142857, 93.333333333)]
    people[1] = Assessed("b", "人b", "委员", "村干部", 90, 0, 100.0, people[1].votes)
    people[0] = Assessed("a", "人a", "委员", "村干部", 91.428571429, 0, 96.666666667, people[0].votes)
    s = CadreSettings(excellent_share=50)
    out = {o.person.person_id: o.grade for o in grade_all(people, s)}
    assert out == {"b": "优秀", "a": "称职"}


def test_a_veto_overrides_a_high_score() -> None:
    people = [person("a", 99, 100, vetoed=["承揽本村工程项目"]), person("r", 99, 100, kind="村民代表", vetoed=["承揽本村工程项目"])]
    out = {o.person.person_id: o for o in grade_all(people, CadreSettings(excellent_share=100))}
    assert out["a"].grade == "不称职" and out["a"].flags == ["停职教育", "组织调整"]
    assert out["r"].grade == "不称职" and "退出" in out["r"].flags


def test_unfit_votes_above_a_third_flag_organisational_adjustment() -> None:
    people = [person("a", 90, 60, votes={"优秀": 5, "称职": 3, "基本称职": 1, "不称职": 5})]  # 5/14 > 1/3
    [o] = grade_all(people, S)
    assert "组织调整" in o.flags and "5/14" in "".join(o.notes)


def test_pay_per_grade_and_none_for_representatives() -> None:
    people = [person("a", 95, 100), person("b", 80, 80), person("c", 65, 60), person("d", 50, 50), person("r", 80, 80, kind="村民代表")]
    out = {o.person.person_id: o.pay for o in grade_all(people, CadreSettings(excellent_share=100))}
    assert out == {"a": 12000.0, "b": 10000.0, "c": 6000.0, "d": 0.0, "r": None}


def test_representative_below_the_bar_exits() -> None:
    [o] = grade_all([person("r", 55, 60, kind="村民代表")], S)
    assert o.grade == "不称职" and "退出" in o.flags
    [o] = grade_all([person("r", 70, 60, kind="村民代表")], S)  # 67: 基本称职, above 60
    assert o.grade == "基本称职" and "退出" not in o.flags


# --- from the command line -----------------------------------------------------


@pytest.fixture
def village(tmp_path: Path) -> Path:
    path = tmp_path / "村.xlsx"
    create_ledger(path, "中坪村", "zhongping")
    ledger = Ledger.open(path)
    ledger.replace("干部", pd.DataFrame([
        {"编号": "GB01", "姓名": "王书记", "职务": "书记", "类别": "村干部", "状态": "在职"},
        {"编号": "GB02", "姓名": "李主任", "职务": "主任", "类别": "村干部", "状态": "在职"},
        {"编号": "GB03", "姓名": "张会计", "职务": "会计", "类别": "村干部", "状态": "在职"},
        {"编号": "DB01", "姓名": "赵代表", "职务": "村民代表", "类别": "村民代表", "状态": "在职"},
    ], dtype=object))
    ledger.save("test")
    return path




def _materials(tmp: Path, period_word: str = "", unfit_gb02: int = 2) -> list[Path]:
    files = []
    for assessor, delta in (("镇考核组甲", 0), ("镇考核组乙", -1), ("镇考核组丙", 1)):
        files.append(_sheet(tmp / f"评分_{assessor}.xlsx", f"2026年{period_word}村干部绩效考评评分表",
                            ["编号", "姓名"] + CADRE_ITEMS,
                            [["GB01", "王书记", 24 + delta, 14, 24, 19, 14],
                             ["GB02", "李主任", 20, 12, 20 + delta, 16, 12],
                             ["GB03", "张会计", 15, 10, 15, 12, 9 + delta]],
                            footer=f"考核人：{assessor}"))
    files.append(_sheet(tmp / "代表评分.xlsx", "村民代表日常考评", ["姓名", "考核人"] + REP_ITEMS,
                        [["赵代表", "王书记", 20, 15, 15, 10], ["赵代表", "李主任", 22, 15, 15, 12]]))
    files.append(_sheet(tmp / "民主评议计票.xlsx", "2026年度村干部民主评议计票表", ["编号", "姓名", "优秀", "称职", "基本称职", "不称职"],
                        [["GB01", "王书记", 20, 8, 2, 0], ["GB02", "李主任", 10, 12, 6, unfit_gb02],
                         ["GB03", "张会计", 5, 15, 8, 2], ["DB01", "赵代表", 6, 14, 8, 2]]))
    files.append(_sheet(tmp / "负面记录.xlsx", "负面行为记录", ["姓名", "事项", "日期", "次数", "说明"],
                        [["张会计", "坐值班制度执行不严格", "2026-03-02", 2, "两次值班缺岗"]]))
    files.append(_sheet(tmp / "代表履职.xlsx", "村民代表履职记录", ["姓名", "履职事项", "日期", "次数"],
                        [["赵代表", "参加村民代表会议", "2026-04-10", 1], ["赵代表", "走访群众", "2026-05-01", 6]]))
    return files


def test_import_and_score_from_the_command_line(village: Path, runner, tmp_path: Path) -> None:
    result, data = invoke_json(runner, "cadre", "import", village, *_materials(tmp_path), "--year", "2026")
    assert result.exit_code == 0, data
    assert data["counts"] == {"assessment_scores": 3 * 3 * 5 + 2 * 4, "democratic_votes": 4, "negative_records": 1,
                              "representative_duties": 2}
    pay = tmp_path / "报酬.xlsx"
    result, people = invoke_json(runner, "cadre", "score", village, "--year", "2026", "--pay-sheet", pay)
    assert result.exit_code == 0
    by = {p["cadre_id"]: p for p in people["people"]}
    # 王书记: scorecard 24+14+24+19+14 = 95 (assessors 24, 23, 25 → 24); votes (2000+640+120)/30 = 92
    assert by["GB01"]["scorecard"] == 95 and by["GB01"]["democratic"] == 92
    assert by["GB01"]["score"] == round(95 * 0.7 + 92 * 0.3, 4) == 94.1
    assert by["GB01"]["grade"] == "优秀" and by["GB01"]["pay"] == 12000
    # 张会计: 坐值班 −2 × 2 = −4 from the scorecard
    assert by["GB03"]["deductions"] == 4
    assert by["DB01"]["kind"] == "村民代表" and by["DB01"]["pay"] is None
    ws = openpyxl.load_workbook(pay).active
    assert [c.value for c in ws[2]][:2] == ["编号", "姓名"]
    total = next(r for r in range(3, ws.max_row + 1) if ws.cell(r, 1).value == "合计")
    assert all(ws.cell(r, 1).value not in (None, "") for r in range(3, total))  # the 合计 row ends the table
    assert ws.cell(total + 2, 1).value == "制表人：" and ws.cell(total, 1).font.b
    # the same materials again change nothing
    before = village.read_bytes()
    assert invoke(runner, "cadre", "import", village, *_materials(tmp_path), "--year", "2026").exit_code == 0
    assert invoke(runner, "cadre", "score", village, "--year", "2026").exit_code == 0
    assert village.read_bytes() == before


def test_unfit_votes_flag_from_imported_tally(village: Path, runner, tmp_path: Path) -> None:
    invoke(runner, "cadre", "import", village, *_materials(tmp_path, unfit_gb02=15), "--year", "2026")
    _, people = invoke_json(runner, "cadre", "score", village, "--year", "2026")
    gb02 = next(p for p in people["people"] if p["cadre_id"] == "GB02")
    assert "组织调整" in gb02["flags"]  # 15 of 43 votes > 1/3


def test_half_year_period(village: Path, runner, tmp_path: Path) -> None:
    assert invoke(runner, "cadre", "import", village, *_materials(tmp_path, "上半年"), "--year", "2026").exit_code == 0
    frame = Ledger.open(village).frame("民主评议")
    assert set(frame["期间"]) == {"全年"}  # the tally's title says 年度: a whole-year tally
    scores = Ledger.open(village).frame("考核评分")
    assert set(scores["期间"]) == {"上半年", "全年"}  # scorecards titled 上半年; the representatives' sheet is whole-year
    result = invoke(runner, "cadre", "score", village, "--year", "2026", "--period", "H1")
    assert result.exit_code == 1 and "缺少民主评议票数" in result.stderr


def test_missing_material_is_listed(village: Path, runner, tmp_path: Path) -> None:
    files = _materials(tmp_path)
    invoke(runner, "cadre", "import", village, files[0], "--year", "2026")
    result, data = invoke_json(runner, "cadre", "score", village, "--year", "2026")
    assert result.exit_code == 1
    messages = [p["message"] for p in data["problems"]]
    assert "赵代表（DB01）缺少考核评分：履行代表义务、服务保障发展、支持配合村班子工作、密切联系群众" in messages
    assert "王书记（GB01）缺少民主评议票数" in messages


def test_import_errors_name_cells(village: Path, runner, tmp_path: Path) -> None:
    bad = _sheet(tmp_path / "坏.xlsx", "评分表", ["编号", "姓名", "考核人"] + CADRE_ITEMS,
                 [["GB09", "无此人", "甲", 20, 10, 20, 15, 10], ["GB01", "王书记", "甲", 30, 10, 20, 15, 10]])
    result, data = invoke_json(runner, "cadre", "import", village, bad, "--year", "2026")
    assert result.exit_code == 1
    got = {(p["cell"], p["message"]) for p in data["problems"]}
    assert ("A3", "编号 GB09 不在“干部”表中") in got
    assert ("D4", "落实上级任务要求 得分 30 应在 0 到 25 之间") in got
