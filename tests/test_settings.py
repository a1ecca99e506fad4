"""参数 typed once (rules/settings.py): every command reads a key the same way (issue 15)."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import pandas as pd
import pytest

from conftest import invoke
from villagectl.ledger.workbook import Ledger
from villagectl.rules.settings import SPECS, VillageSettings, parse_value


def frame(**values: str) -> pd.DataFrame:
    return pd.DataFrame([{"键": k, "值": v} for k, v in values.items()], dtype=object)


@pytest.mark.parametrize("text, days", [("3", 3), ("３", 3), ("", 3), ("1", 1)])
def test_notice_days_read_alike(text: str, days: int) -> None:
    settings, problems = VillageSettings.from_frame(frame(公示天数=text))
    assert problems == [] and settings.notice_days == days


@pytest.mark.parametrize("text, why", [("0", "不能小于 1"), ("2.5", "应为整数"), ("三天", "不是数字"), ("-1", "不能小于 1")])
def test_bad_notice_days_are_one_problem_with_the_cell(text: str, why: str) -> None:
    settings, problems = VillageSettings.from_frame(frame(村名="中坪村", 公示天数=text), excel_rows=[2, 3], source="台账.xlsx")
    assert [(p.key, p.row) for p in problems] == [("公示天数", 3)] and why in problems[0].message
    with pytest.raises(Exception) as raised:
        settings.notice_days
    assert raised.value.problems[0].location.cell == "B3" and "公示天数" in raised.value.message


def test_kinds_and_defaults() -> None:
    settings, problems = VillageSettings.from_frame(frame(公示隐藏名字="是", 黑榜不合格票比例="1/3", 评定基数="参评户",
                                                          异议受理="如有异议，请于公示期内反映（村委会）。"))
    assert problems == []
    assert settings["公示隐藏名字"] is True and settings["黑榜不合格票比例"] == Fraction(1, 3)
    assert settings["评定基数"] == "参评户" and settings["积分起评分"] == 70
    assert settings["异议受理"] == "如有异议，请于公示期内反映（村委会）。"  # text as typed: full-width kept
    assert parse_value(SPECS["经费超出时"], "拒绝") == "拒绝"
    with pytest.raises(ValueError, match="应为 提醒 或 拒绝"):
        parse_value(SPECS["经费超出时"], "不许")


@pytest.mark.parametrize("value", ["0", "2.5"])
def test_a_notice_refuses_a_bad_notice_days_naming_the_cell(value: str, runner, tmp_path: Path) -> None:
    from villagectl.demo import build_samples

    made = build_samples(tmp_path / "村")
    ledger_path = Path(made["ledger"])
    assert invoke(runner, "inspect", "import", ledger_path, *made["inspections"]).exit_code == 0
    assert invoke(runner, "score", "month", ledger_path, "--month", "2026-07").exit_code == 0
    ledger = Ledger.open(ledger_path)
    settings = ledger.frame("参数").copy()
    row = ledger.excel_row("参数", settings.index[settings["键"] == "公示天数"][0])
    settings.loc[settings["键"] == "公示天数", "值"] = value
    ledger.replace("参数", settings)
    ledger.save("test-setup")
    before = ledger_path.read_bytes()
    result = invoke(runner, "notice", "month", ledger_path, "--month", "2026-07", "-o", tmp_path / "公示.pdf",
                    "--partial")
    assert result.exit_code == 1 and f"参数“公示天数”的值“{value}”" in result.stderr and f"B{row}" in result.stderr
    assert ledger_path.read_bytes() == before and not (tmp_path / "公示.pdf").exists()
    check = invoke(runner, "check", ledger_path)
    assert check.exit_code == 1 and f"参数“公示天数”的值“{value}”" in check.stdout + check.stderr


def test_the_year_ratings_read_their_settings_once() -> None:
    """RatingSettings goes through the same typed reading: a bad share is refused, not a silent default."""
    from villagectl.errors import DataError
    from villagectl.scoring.annual import RatingSettings

    r = RatingSettings.from_settings({"五星比例": "15", "黑榜不合格票比例": "1/4", "并列处理": "整体不计入"})
    assert r.star_cuts[0] == 15 and r.black_share == Fraction(1, 4) and r.whole_tie_in is False
    with pytest.raises(DataError, match="参数“红榜比例”的值“十”不是数字"):
        RatingSettings.from_settings({"红榜比例": "十"})
