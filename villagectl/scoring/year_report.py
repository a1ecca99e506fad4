"""The annual report's aggregates (``report year``): per group, per month and the shop's spending, no names.

Pure: the sheets' frames in, numbers out (no ledger, no files). ``actions/year_report.py`` reads the
sheets and hands these to the report's view model (``render.year_report.YearReport``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from villagectl.ledger.households import is_active
from villagectl.scoring.annual import MEDALS, STARS
from villagectl.values import NotANumber, clean_text, to_number

NO_GROUP = "（未分组）"
VOID = "作废"  # a voided 兑换单 counts for nothing


def _num(value: object) -> float | None:
    try:
        return to_number(value)
    except NotANumber:
        return None


def _numbers(series: pd.Series) -> pd.Series:
    """A column as floats (blank or text → NaN), full-width digits included."""
    return series.map(_num).astype(float)


def _texts(series: pd.Series) -> pd.Series:
    return series.map(clean_text)


def year_rows(annual: pd.DataFrame, year: int) -> pd.DataFrame:
    """The year's 年度评定 rows (possibly empty)."""
    if annual.empty:
        return annual
    return annual[annual["年度"].map(clean_text) == str(year)].reset_index(drop=True)


@dataclass
class GroupTotals:
    group: str
    households: int  # households with an annual result
    population: int  # 人口 of the group's active households (户籍)
    total: float  # sum of annual results
    average: float | None
    best: float | None
    lowest: float | None
    stars: int = 0
    medals: int = 0
    red: int = 0
    black: int = 0
    exposure: int = 0  # households that were on the 曝光台 at least one month


@dataclass
class MonthTotals:
    month: int  # 1–12
    village: float | None  # average 总分 of the households scored that month
    scored: int
    groups: dict[str, float | None] = field(default_factory=dict)


@dataclass
class Spending:
    per_month: list[float]  # yuan redeemed per month (12 entries)
    slips: int  # 兑换单 of the year, not voided
    points: float


@dataclass
class YearTotals:
    active_households: int
    population: int  # 人口 of active households
    groups: list[GroupTotals]
    results: list[float]  # every ranked household's annual result (no names)
    stars: int
    medals: int
    red: int
    black: int
    vetoed: int
    exposure: int


def year_totals(annual: pd.DataFrame, households: pd.DataFrame) -> YearTotals:
    """The year's 年度评定 rows counted per group, with each group's population from the active 户籍."""
    active = households[households["状态"].map(is_active)] if "状态" in households else households
    sizes = _numbers(active["人口"]).fillna(0).clip(lower=0)
    population_by_group = sizes.groupby(_texts(active["组别"])).sum().to_dict()
    a = pd.DataFrame({
        "group": _texts(annual["组别"]),
        "result": _numbers(annual["年度积分"]).fillna(0.0),
        "star": _texts(annual["星级"]).isin(STARS),
        "medal": _texts(annual["牌级"]).isin(MEDALS),
        "red": _texts(annual["榜单"]) == "红榜",
        "black": _texts(annual["榜单"]) == "黑榜",
        "veto": _texts(annual["否决"]) == "是",
        "exposure": _numbers(annual["曝光台"]).fillna(0) > 0,
    })
    groups: list[GroupTotals] = []
    for g in dict.fromkeys(list(a["group"]) + list(population_by_group)):
        part = a[a["group"] == g]
        n = len(part)
        groups.append(GroupTotals(
            group=g or NO_GROUP,
            households=n,
            population=int(population_by_group.get(g, 0)),
            total=round(float(part["result"].sum()), 4),
            average=round(float(part["result"].mean()), 4) if n else None,
            best=float(part["result"].max()) if n else None,
            lowest=float(part["result"].min()) if n else None,
            stars=int(part["star"].sum()), medals=int(part["medal"].sum()), red=int(part["red"].sum()),
            black=int(part["black"].sum()), exposure=int(part["exposure"].sum()),
        ))
    return YearTotals(
        active_households=len(active), population=int(sizes.sum()), groups=groups,
        results=[float(v) for v in a["result"]],
        stars=int(a["star"].sum()), medals=int(a["medal"].sum()), red=int(a["red"].sum()),
        black=int(a["black"].sum()), vetoed=int(a["veto"].sum()), exposure=int(a["exposure"].sum()),
    )


def month_averages(monthly: pd.DataFrame, year: int) -> list[MonthTotals]:
    """Each month's average 总分, the village's and each group's (12 entries; None for a month not scored)."""
    out = [MonthTotals(m, None, 0, {}) for m in range(1, 13)]
    if monthly.empty:
        return out
    month = _texts(monthly["月份"])
    mine = month.str.startswith(f"{year}-")
    if not mine.any():
        return out
    frame = pd.DataFrame({
        "month": month[mine].str[5:7].map(lambda s: int(s) if s.isdigit() else 0),
        "group": _texts(monthly.loc[mine, "组别"]),
        "total": _numbers(monthly.loc[mine, "总分"]),
    }).dropna(subset=["total"])
    frame = frame[frame["month"].between(1, 12)]
    village = frame.groupby("month")["total"].agg(["mean", "count"])
    by_group = frame.groupby(["month", "group"])["total"].mean()
    for (m, g), v in by_group.items():
        out[m - 1].groups[g or NO_GROUP] = round(float(v), 4)
    for m, row in village.iterrows():
        out[m - 1].village = round(float(row["mean"]), 4)
        out[m - 1].scored = int(row["count"])
    return out


def spending(redemptions: pd.DataFrame, year: int) -> Spending:
    """Yuan redeemed per month of ``year`` (void slips left out), the number of slips, the points."""
    per_month = [0.0] * 12
    if redemptions.empty:
        return Spending(per_month, 0, 0.0)
    frame = redemptions
    dates = _texts(frame["日期"])
    status = _texts(frame["状态"]) if "状态" in frame else pd.Series([""] * len(frame), index=frame.index)
    mine = dates.str.startswith(f"{year}-") & (status != VOID)
    if not mine.any():
        return Spending(per_month, 0, 0.0)
    months = dates[mine].str[5:7].map(lambda s: int(s) if s.isdigit() else 0)
    yuan = _numbers(frame.loc[mine, "金额"]).fillna(0.0)
    for m, v in yuan.groupby(months).sum().items():
        if 1 <= m <= 12:
            per_month[m - 1] = round(float(v), 4)
    slips = _texts(frame.loc[mine, "单号"])
    count = int(slips[slips != ""].nunique()) if len(slips) else 0
    points = float(_numbers(frame.loc[mine, "积分"]).fillna(0.0).sum())
    return Spending(per_month, count, points)
