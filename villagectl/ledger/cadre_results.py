"""The 干部考核 rows of one assessment period, as the cadre documents read them (pure: frames in, rows out).

``期间`` blank is 全年; the sections go 村干部, 村民代表, then any other 类别 in the order met.
"""

from __future__ import annotations

import pandas as pd

from villagectl.schema.choices import CADRE_KINDS
from villagectl.values import NotANumber, clean_text, to_number

OTHER_KIND = "其他"  # a row with 类别 blank


def number(value: object) -> float | None:
    try:
        return to_number(value)
    except NotANumber:
        return None


def whole(value: object) -> int | None:
    n = number(value)
    return round(n) if n is not None else None


def period_mask(frame: pd.DataFrame, year: int, period: str) -> pd.Series:
    """Which rows of the 干部考核 frame are ``year`` / ``period`` (全年 / 上半年 / 下半年)."""
    years = frame["年度"].map(clean_text)
    periods = frame["期间"].map(lambda p: clean_text(p) or "全年") if "期间" in frame.columns else "全年"
    return (years == str(year)) & (periods == period)


def period_rows(frame: pd.DataFrame, year: int, period: str) -> pd.DataFrame:
    """The 干部考核 rows of ``year`` / ``period`` (possibly empty)."""
    if len(frame):
        frame = frame[period_mask(frame, year, period)].reset_index(drop=True)
    return frame


def kind_order(kinds: list[str]) -> list[str]:
    """The 类别 present, 村干部 and 村民代表 first."""
    present = list(dict.fromkeys(kinds))
    return [k for k in CADRE_KINDS if k in present] + [k for k in present if k not in CADRE_KINDS]


def by_kind(records: list[dict]) -> list[tuple[str, list[dict]]]:
    """The rows grouped by 类别 (blank: 其他), in ``kind_order``."""
    groups: dict[str, list[dict]] = {}
    for r in records:
        groups.setdefault(clean_text(r.get("类别")) or OTHER_KIND, []).append(r)
    return [(k, groups[k]) for k in kind_order(list(groups))]


def flags_of(value: object) -> list[str]:
    """A 标记 cell ('组织调整、退出' or with commas) as its flags."""
    return [f for f in clean_text(value).replace(",", "、").split("、") if f.strip()]


def flagged_count(rows: pd.DataFrame) -> int:
    """People with a 标记 (组织调整 / 停职教育 / 退出)."""
    return sum(1 for f in rows["标记"].map(clean_text) if f) if "标记" in rows.columns else 0


def pay_total(rows: pd.DataFrame) -> float:
    """The 考核报酬 of the rows, summed (blank cells left out), to the fen."""
    pays = [number(v) for v in rows["考核报酬"]] if "考核报酬" in rows.columns else []
    return round(sum(p for p in pays if p is not None), 2)
