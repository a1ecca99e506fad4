"""The year's 年度评定 rows and the 参数 the year documents read, from the ledger (``notice year``, ``report year``)."""

from __future__ import annotations

import pandas as pd

from villagectl import schema
from villagectl.errors import DataError, Location, Problem
from villagectl.ledger.households import require_group, year_presence
from villagectl.ledger.workbook import Ledger
from villagectl.scoring import year_report
from villagectl.scoring.year_notice import number
from villagectl.values import clean_text, group_key


def period_name(year: int) -> str:
    """The 期间 row of a year's notice: ``"2026年度"`` (months use ``"2026-07"``)."""
    return f"{year}年度"


def year_rows(ledger: Ledger, year: int) -> pd.DataFrame:
    """The year's 年度评定 rows (possibly empty)."""
    return year_report.year_rows(ledger.frame_or_empty(schema.ANNUAL.name), year)


def scored_rows(ledger: Ledger, year: int) -> pd.DataFrame:
    """The year's 年度评定 rows; a refusal naming ``score year`` when there are none."""
    rows = year_rows(ledger, year)
    if rows.empty:
        raise DataError(f"{year} 年还没有年度评定结果",
                        hint=f"请先运行 villagectl score year {ledger.path.name} --year {year}")
    return rows


def group_rows(ledger: Ledger, rows: pd.DataFrame, group: str | None, year: int) -> tuple[pd.DataFrame, str]:
    """Only ``group``'s rows ('第二组', '2组') and the roster's spelling of it; UsageError listing the groups."""
    if group is None:
        return rows, ""
    name = require_group(ledger.frame(schema.HOUSEHOLDS.name), group)
    part = rows[rows["组别"].map(group_key) == group_key(name)].reset_index(drop=True)
    if part.empty:
        raise DataError(f"{year} 年度评定结果里没有{name}的农户")
    return part, name


def year_presence_of(ledger: Ledger, year: int):
    """The year's households as they were (ledger.households.year_presence)."""
    return year_presence(ledger.frame(schema.HOUSEHOLDS.name), ledger.frame_or_empty(schema.JOURNAL.name),
                         ledger.frame_or_empty(schema.MONTHLY.name), year)


def moved_out_count(ledger: Ledger, rows: pd.DataFrame, year: int) -> int:
    """How many of the year's rows are households that left the village during that year."""
    if rows is None or rows.empty or not ledger.has(schema.HOUSEHOLDS.name):
        return 0
    presence = year_presence_of(ledger, year)
    return int(rows["户号"].map(clean_text).isin(presence.during - presence.at_end).sum())


def setting_number(ledger: Ledger, key: str, default: float | None, minimum: float = 0) -> float | None:
    text = ledger.settings().get(key, "")
    if not text:
        return default
    value = number(text)
    if value is None or value < minimum:
        raise DataError(f"参数“{key}”的值“{text}”不是有效的数字",
                        [Problem(Location(ledger.path.name, schema.SETTINGS.name), f"“{key}”应为不小于 {minimum:g} 的数字")],
                        hint="在台账“参数”表改正后重试")
    return value


def yes_no(ledger: Ledger, key: str, default: bool) -> bool:
    text = ledger.settings().get(key, "")
    if not text:
        return default
    if text in ("是", "否"):
        return text == "是"
    raise DataError(f"参数“{key}”只能填“是”或“否”，现在是“{text}”",
                    [Problem(Location(ledger.path.name, schema.SETTINGS.name), f"“{key}”应为 是 或 否")])
