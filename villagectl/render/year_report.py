"""The annual report for the town office (年度工作报告) as a PDF: ``YearReport`` → ``report_year.typ.j2``.

Aggregates only (no household names): groups, the distribution of results, monthly averages, shop
spending against the budget, the best and weakest groups. The charts are drawn by typst from numbers
prepared here (axes, bins, segments), passed to the template as one JSON string per chart through the
``t`` filter.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from dataclasses import dataclass
from pathlib import Path

from villagectl.errors import DataError
from villagectl.render.notice import group_sort_key
from villagectl.render.typst_engine import render_pdf
from villagectl.render.year_notice import households_text
from villagectl.scoring.year_report import GroupTotals, MonthTotals

REPORT_TEMPLATE = "report_year.typ.j2"


# the report's figures are the core's (scoring/year_report.py), under the names the template and tests know
GroupSummary = GroupTotals
MonthAverage = MonthTotals


@dataclass
class YearReport:
    village: str
    year: int
    committee: str
    issued: dt.date
    scheme: str  # 参数 计分方式
    provisional: bool  # 年度评定 not run yet: results computed from the ledger as it is
    state: str  # 草稿 / 公示 / 入账 of the year's results ("" when provisional)
    active_households: int
    population: int  # 人口 of active households
    groups: list[GroupSummary]
    results: list[float]  # every ranked household's annual result (no names)
    months: list[MonthAverage]  # 12 entries
    spending: list[float]  # yuan redeemed per month (12 entries)
    budget: float | None  # yuan: budget_residents × per_resident; None when 人均奖励经费 is not set
    per_resident: float | None
    warn_percent: float | None = None
    budget_residents: int | None = None  # 常住人口 of the year (ledger/budget.py)
    budget_base: str = ""  # where it comes from: 参数“常住人口” or 户籍 on 1 January
    redemptions: int = 0  # slips (兑换单) of the year, not voided
    points_redeemed: float = 0.0
    stars: int = 0
    medals: int = 0
    red: int = 0
    black: int = 0
    vetoed: int = 0
    exposure: int = 0
    moved_out: int = 0  # households with a result this year that moved out (迁出 / 注销) during it


def nice_step(span: float, target: int = 5) -> float:
    """A 1/2/2.5/5 × 10^k step giving about ``target`` intervals over ``span``."""
    if span <= 0 or not math.isfinite(span):
        return 1.0
    raw = span / target
    mag = 10 ** math.floor(math.log10(raw))
    for m in (1, 2, 2.5, 5, 10):
        if raw <= m * mag + 1e-12:
            return m * mag
    return 10 * mag


def nice_axis(lo: float, hi: float, target: int = 5, include_zero: bool = True) -> tuple[float, float, float]:
    """(min, max, step) of an axis covering lo…hi with round ticks."""
    if include_zero:
        lo, hi = min(lo, 0.0), max(hi, 0.0)
    if hi - lo < 1e-9:
        hi = lo + (abs(lo) or 1.0)
        if include_zero and lo > 0:
            lo = 0.0
    step = nice_step(hi - lo, target)
    a = math.floor(lo / step + 1e-9) * step
    b = math.ceil(hi / step - 1e-9) * step
    if b - a < step:
        b = a + step
    return round(a, 6), round(b, 6), step


def _label(value: float) -> str:
    if abs(value - round(value)) < 1e-9:
        return str(round(value))
    return f"{value:.2f}".rstrip("0").rstrip(".")


def histogram(values: list[float], target_bins: int = 10) -> list[dict]:
    """Bins [a, b) of round width (the last one closed) with their counts."""
    if not values:
        return []
    lo, hi = min(values), max(values)
    if hi - lo < 1e-9:
        width = nice_step(abs(hi) or 1.0, 4) if hi else 1.0
        start = math.floor(lo / width) * width
        return [{"from": start, "to": start + width, "label": f"{_label(start)}–{_label(start + width)}",
                 "count": len(values)}]
    width = nice_step(hi - lo, target_bins)
    start = math.floor(lo / width + 1e-9) * width
    n = max(1, math.floor((hi - start) / width + 1e-9) + 1)
    counts = [0] * n
    for v in values:
        i = min(n - 1, math.floor((v - start) / width + 1e-9))
        counts[i] += 1
    bins = []
    for i, c in enumerate(counts):
        a, b = start + i * width, start + (i + 1) * width
        bins.append({"from": round(a, 6), "to": round(b, 6), "label": f"{_label(a)}–{_label(b)}", "count": c})
    return bins


def _segments(values: list[float | None]) -> list[list[list[float]]]:
    """[[month_index, value], …] runs without gaps (a line breaks where a month has no data)."""
    runs: list[list[list[float]]] = []
    current: list[list[float]] = []
    for i, v in enumerate(values):
        if v is None:
            if current:
                runs.append(current)
            current = []
        else:
            current.append([i, round(v, 2)])
    if current:
        runs.append(current)
    return runs


# Line styles for up to six groups, readable without colour: dash pattern + marker + grey.
GROUP_STYLES = (
    {"dash": "dashed", "marker": "square", "grey": 60},
    {"dash": "dotted", "marker": "triangle", "grey": 30},
    {"dash": "dash-dotted", "marker": "diamond", "grey": 90},
    {"dash": "densely-dashed", "marker": "circle-open", "grey": 0},
    {"dash": "loosely-dashed", "marker": "square-open", "grey": 110},
    {"dash": "densely-dotted", "marker": "triangle-open", "grey": 50},
)
MAX_GROUP_LINES = len(GROUP_STYLES)
MONTH_LABELS = [f"{m}月" for m in range(1, 13)]


def _month_chart(report: YearReport, ranked_groups: list[GroupSummary]) -> dict | None:
    village = [m.village for m in report.months]
    if all(v is None for v in village):
        return None
    groups = sorted({g for m in report.months for g in m.groups}, key=group_sort_key)
    per_group = {g: [m.groups.get(g) for m in report.months] for g in groups}
    values = [v for v in village if v is not None] + [v for s in per_group.values() for v in s if v is not None]
    lo, hi = min(values), max(values)
    pad = max((hi - lo) * 0.08, 1.0)
    ymin, ymax, step = nice_axis(max(lo - pad, 0.0), hi + pad, 6, include_zero=False)
    series = [{"label": "全村平均", "segments": _segments(village), "dash": "solid", "marker": "circle",
               "grey": 0, "thickness": 2.0}]
    band = None
    mode = "all"
    if len(groups) <= MAX_GROUP_LINES:
        for g, style in zip(groups, GROUP_STYLES):
            series.append({"label": g, "segments": _segments(per_group[g]), "thickness": 1.0, **style})
    else:
        mode = "band"
        tops, bottoms = [], []
        for i in range(12):
            vals = [s[i] for s in per_group.values() if s[i] is not None]
            if vals:
                tops.append([i, round(max(vals), 2)])
                bottoms.append([i, round(min(vals), 2)])
        band = {"top": tops, "bottom": bottoms, "label": f"各组月平均的范围（{len(groups)}个组）"}
        named = [g.group for g in ranked_groups if g.group in per_group and g.average is not None]
        if named:
            best, worst = named[0], named[-1]
            series.append({"label": f"{best}（年度最好）", "segments": _segments(per_group[best]), "thickness": 1.2,
                           **GROUP_STYLES[0]})
            if worst != best:
                series.append({"label": f"{worst}（年度最弱）", "segments": _segments(per_group[worst]),
                               "thickness": 1.2, **GROUP_STYLES[1]})
    return {"ymin": ymin, "ymax": ymax, "step": step, "ylabel": "平均总分", "xlabels": MONTH_LABELS,
            "series": series, "band": band, "mode": mode}


def _spending_chart(report: YearReport) -> dict:
    cumulative, running = [], 0.0
    for v in report.spending:
        running += v
        cumulative.append(round(running, 2))
    top = max([0.0, *cumulative, *(report.spending or [0.0]), report.budget or 0.0])
    _, ymax, step = nice_axis(0.0, top * 1.05 if top else 10.0, 6)
    warn = None
    if report.budget and report.warn_percent:
        warn = round(report.budget * report.warn_percent / 100, 2)
    return {"ymin": 0, "ymax": ymax, "step": step, "ylabel": "元", "xlabels": MONTH_LABELS,
            "bars": [round(v, 2) for v in report.spending], "cumulative": cumulative,
            "budget": report.budget, "warn": warn, "warn_percent": report.warn_percent}


def _histogram_chart(report: YearReport) -> dict | None:
    bins = histogram(report.results)
    if not bins:
        return None
    _, ymax, step = nice_axis(0, max(b["count"] for b in bins), 5)
    step = max(step, 1.0)
    ymax = max(ymax, step)
    return {"ymin": 0, "ymax": ymax, "step": step, "ylabel": "户数", "xlabels": [b["label"] for b in bins],
            "bars": [b["count"] for b in bins]}


def _group_bar_chart(ranked: list[GroupSummary]) -> dict | None:
    rows = [g for g in ranked if g.average is not None]
    if not rows:
        return None
    lo = min(0.0, min(g.average for g in rows))
    _, xmax, step = nice_axis(lo, max(g.average for g in rows), 5)
    return {"xmin": round(lo, 6) if lo < 0 else 0, "xmax": xmax, "step": step,
            "rows": [{"label": g.group, "value": round(g.average, 2)} for g in rows]}


def _round(value: float | None, digits: int = 1) -> float | None:
    return None if value is None else round(value, digits)


def report_context(report: YearReport) -> dict:
    """The variables ``report_year.typ.j2`` gets (see templates/README.md)."""
    if len(report.months) != 12 or len(report.spending) != 12:
        raise DataError("年度报告需要 12 个月的数据")
    groups = sorted(report.groups, key=lambda g: group_sort_key(g.group))
    ranked = sorted((g for g in groups if g.average is not None), key=lambda g: (-g.average, group_sort_key(g.group)))
    ranked += [g for g in groups if g.average is None]
    total_households = sum(g.households for g in groups)
    total_points = sum(g.total for g in groups)
    group_rows = [{
        "group": g.group, "households": g.households, "population": g.population, "total": round(g.total, 2),
        "average": _round(g.average, 2), "best": g.best, "lowest": g.lowest, "stars": g.stars, "medals": g.medals,
        "red": g.red, "black": g.black, "exposure": g.exposure,
    } for g in groups]
    all_results = report.results
    totals = {
        "group": "全村", "households": total_households, "population": sum(g.population for g in groups),
        "total": round(total_points, 2),
        "average": round(sum(all_results) / len(all_results), 2) if all_results else None,
        "best": max(all_results) if all_results else None, "lowest": min(all_results) if all_results else None,
        "stars": report.stars, "medals": report.medals, "red": report.red, "black": report.black,
        "exposure": report.exposure,
    }
    spent = round(sum(report.spending), 2)
    cumulative, running = [], 0.0
    for v in report.spending:
        running += v
        cumulative.append(round(running, 2))
    spending_rows = [{"month": m + 1, "yuan": round(v, 2), "cumulative": cumulative[m],
                      "share": round(cumulative[m] / report.budget * 100, 1) if report.budget else None}
                     for m, v in enumerate(report.spending)]
    month_groups = sorted({g for m in report.months for g in m.groups}, key=group_sort_key)
    month_table = [{"group": g, "values": [_round(m.groups.get(g)) for m in report.months],
                    "year": _round(_mean([m.groups.get(g) for m in report.months]))} for g in month_groups]
    village_months = [_round(m.village) for m in report.months]
    month_chart = _month_chart(report, ranked)
    hist = _histogram_chart(report)
    bars = _group_bar_chart(ranked)
    averages = [g.average for g in ranked if g.average is not None]
    comparable = len(averages) >= 2 and max(averages) - min(averages) > 1e-9
    rated = [g for g in ranked if g.average is not None]
    best = rated[: min(3, len(rated) // 2)] if comparable else []
    worst = list(reversed(rated[-len(best):])) if best else []
    if comparable:
        compare_note = ""
    elif len(averages) < 2:
        compare_note = "全村只有一个组，不作比较。"
    else:
        compare_note = "各组平均年度积分相同，不作比较。"
    return {
        "title": f"{report.village}{report.year}年度乡村治理积分制工作报告",
        "village": report.village,
        "year": report.year,
        "committee": report.committee,
        "issued": report.issued,
        "scheme": report.scheme,
        "provisional": report.provisional,
        "state": report.state,
        "active_households": report.active_households,
        "population": report.population,
        "ranked_households": total_households,
        "moved_out": report.moved_out,
        "households_text": households_text(total_households, report.moved_out),
        "group_count": len(groups),
        "groups": group_rows,
        "totals": totals,
        "stars": report.stars, "medals": report.medals, "red": report.red, "black": report.black,
        "vetoed": report.vetoed, "exposure": report.exposure,
        "histogram_json": json.dumps(hist, ensure_ascii=False) if hist else "",
        "month_json": json.dumps(month_chart, ensure_ascii=False) if month_chart else "",
        "month_mode": month_chart["mode"] if month_chart else "",
        "month_table": month_table,
        "village_months": village_months,
        "village_year_average": _round(_mean(village_months)),
        "months_scored": sum(1 for v in village_months if v is not None),
        "spending_json": json.dumps(_spending_chart(report), ensure_ascii=False),
        "spending": spending_rows,
        "spent": spent,
        "budget": report.budget,
        "per_resident": report.per_resident,
        "budget_residents": report.budget_residents,
        "budget_base": report.budget_base,
        "budget_share": round(spent / report.budget * 100, 1) if report.budget else None,
        "over_budget": report.budget is not None and spent > report.budget + 1e-9,
        "warn_percent": report.warn_percent,
        "redemptions": report.redemptions,
        "points_redeemed": round(report.points_redeemed, 2),
        "group_bars_json": json.dumps(bars, ensure_ascii=False) if bars and comparable else "",
        "compare_note": compare_note,
        "best_groups": [{"group": g.group, "average": _round(g.average, 2), "households": g.households,
                         "honoured": g.stars + g.medals, "red": g.red} for g in best],
        "weakest_groups": [{"group": g.group, "average": _round(g.average, 2), "households": g.households,
                            "black": g.black, "exposure": g.exposure} for g in worst],
    }


def _mean(values: list[float | None]) -> float | None:
    vals = [v for v in values if v is not None]
    return sum(vals) / len(vals) if vals else None


def render_year_report(report: YearReport, out_pdf: Path, templates_dir: Path | None = None,
                       font: Path | None = None) -> Path:
    """Print the annual report to ``out_pdf`` (A4, written atomically); return the path."""
    return render_pdf(REPORT_TEMPLATE, report_context(report), Path(out_pdf), templates_dir=templates_dir, font=font)
