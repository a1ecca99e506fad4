"""Monthly scoring (seed 001 篇3). Pure functions: DataFrames in, DataFrames out.

Readings (DESIGN §1, docs/presets.md):
- points come from the 换算 bands; below 积分起评分 (70) a household earns nothing
  and does not count towards the streak bonus;
- the streak bonus: 连续奖励月数 (3) consecutive scored months at
  连续奖励条件积分 (5) points give 连续奖励积分 (5); runs do not overlap and a
  month below the bar (or not inspected) resets the run;
- the 曝光台: the lowest total in the village (ties all count) for
  曝光台连续月数 (3) consecutive scored months; on the board from the month the
  streak completes while it goes on;
- a household without an inspection is listed as missing, never scored 0;
- months are the scored months of the ledger, in order (a month nobody was
  scored in is not a month of the streak).
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from villagectl.ledger.households import is_active
from villagectl.rules.catalogue import points_for
from villagectl.rules.presets import Band, Rule
from villagectl.values import NotANumber, as_text, clean_text, group_key, to_number

EPS = 1e-9


@dataclass(frozen=True)
class MonthlySettings:
    threshold: float = 70.0  # 积分起评分
    streak_months: int = 3  # 连续奖励月数
    streak_points: float = 5.0  # 连续奖励条件积分
    streak_bonus: float = 5.0  # 连续奖励积分
    exposure_after_months: int = 3  # 曝光台连续月数: months in a row at the bottom that put a household on it

    @classmethod
    def from_settings(cls, settings) -> "MonthlySettings":
        """From the typed 参数 (rules.settings.VillageSettings): a bad cell raises there, naming it."""
        return cls(
            threshold=float(settings["积分起评分"]),
            streak_months=int(settings["连续奖励月数"]),
            streak_points=float(settings["连续奖励条件积分"]),
            streak_bonus=float(settings["连续奖励积分"]),
            exposure_after_months=int(settings["曝光台连续月数"]),
        )


def categories(rules: list[Rule]) -> list[str]:
    out: list[str] = []
    for r in rules:
        if r.category not in out:
            out.append(r.category)
    return out


def month_totals(scores: pd.DataFrame, rules: list[Rule]) -> pd.DataFrame:
    """Per household: one column per category and 总分. ``scores`` has 户号 and one column per rule code."""
    out = pd.DataFrame({"户号": scores["户号"].map(clean_text)})
    for cat in categories(rules):
        codes = [r.code for r in rules if r.category == cat]
        out[cat] = scores[codes].astype(float).sum(axis=1).round(4)
    out["总分"] = scores[[r.code for r in rules]].astype(float).sum(axis=1).round(4)
    return out


def band_points(total: float, bands: list[Band], settings: MonthlySettings) -> float:
    if total < settings.threshold - EPS:
        return 0.0
    points = points_for(total, bands)
    return float(points) if points is not None else 0.0


def competition_rank(values: pd.Series) -> pd.Series:
    """1 for the highest; equal values share a rank (1, 2, 2, 4)."""
    return values.rank(method="min", ascending=False).astype(int)


@dataclass(frozen=True)
class MonthHistory:
    """One earlier scored month: each household's total and points (None when not inspected)."""

    month: str
    totals: dict[str, float | None]
    points: dict[str, float | None]


def streak_state(history: list[MonthHistory], settings: MonthlySettings) -> tuple[dict[str, int], dict[str, int]]:
    """(top-band run length, last-place run length) per household after the given months."""
    run: dict[str, int] = {}
    last: dict[str, int] = {}
    for month in sorted(history, key=lambda h: h.month):
        _advance(month, run, last, settings)
    return run, last


def _advance(month: MonthHistory, run: dict[str, int], last: dict[str, int], settings: MonthlySettings) -> tuple[set[str], set[str]]:
    """Move the runs on by one month; return (households given the bonus, households on the 曝光台)."""
    bonus: set[str] = set()
    hids = set(run) | set(last) | set(month.totals)
    for hid in hids:
        total = month.totals.get(hid)
        points = month.points.get(hid)
        qualifies = (
            total is not None
            and total >= settings.threshold - EPS
            and points is not None
            and points >= settings.streak_points - EPS
        )
        run[hid] = run.get(hid, 0) + 1 if qualifies else 0
        if run[hid] >= settings.streak_months:
            bonus.add(hid)
            run[hid] = 0  # runs do not overlap
    scored = {h: t for h, t in month.totals.items() if t is not None}
    lowest = min(scored.values()) if scored else None
    exposed: set[str] = set()
    for hid in hids:
        is_last = lowest is not None and hid in scored and abs(scored[hid] - lowest) < EPS
        last[hid] = last.get(hid, 0) + 1 if is_last else 0
        if last[hid] >= settings.exposure_after_months:
            exposed.add(hid)
    return bonus, exposed


RESULT_FIELDS = ("月份", "户号", "户主", "组别")


def score_month(
    month: str,
    scores: pd.DataFrame,
    households: pd.DataFrame,
    rules: list[Rule],
    bands: list[Band],
    settings: MonthlySettings,
    history: list[MonthHistory],
) -> pd.DataFrame:
    """The month's results for every active household and every inspected one.

    ``scores``: 户号 plus one column per rule code (the month's inspections).
    ``households``: 户籍. ``history``: earlier scored months only.
    Columns: 月份, 户号, 户主, 组别, <categories>, 总分, 名次, 组内名次, 积分, 奖励, 曝光台, 状态, 备注
    (numbers as floats/ints, missing values as None).
    """
    return finish_month(month_points(month, scores, households, rules, bands, settings), categories(rules),
                        settings, history)


def month_points(
    month: str,
    scores: pd.DataFrame,
    households: pd.DataFrame,
    rules: list[Rule],
    bands: list[Band],
    settings: MonthlySettings,
) -> pd.DataFrame:
    """First stage: per household the category scores, 总分 and band 积分 (None when not inspected)."""
    cats = categories(rules)
    totals = month_totals(scores, rules) if len(scores) else pd.DataFrame(columns=["户号", *cats, "总分"])
    by_id = {clean_text(h): row for h, row in zip(households["户号"], households.to_dict("records"))}
    inspected = set(totals["户号"])
    active = {clean_text(h) for h, s in zip(households["户号"], households["状态"]) if is_active(s)}
    frame = totals.set_index("户号") if len(totals) else pd.DataFrame(columns=[*cats, "总分"])
    rows: list[dict] = []
    for hid in (h for h in by_id if h in inspected or h in active):
        hh = by_id[hid]
        row: dict = {"月份": month, "户号": hid, "户主": as_text(hh.get("户主", "")), "组别": clean_text(hh.get("组别", ""))}
        if hid in inspected:
            total = float(frame.at[hid, "总分"])
            row.update({cat: float(frame.at[hid, cat]) for cat in cats})
            row.update({"总分": total, "积分": band_points(total, bands, settings)})
        else:
            row.update({cat: None for cat in cats})
            row.update({"总分": None, "积分": None})
        rows.append(row)
    return pd.DataFrame(rows, columns=[*RESULT_FIELDS, *cats, "总分", "积分"])


def finish_month(
    points_frame: pd.DataFrame, cats: list[str], settings: MonthlySettings, history: list[MonthHistory]
) -> pd.DataFrame:
    """Second stage: ranks, the streak bonus, the 曝光台 and notes, from 总分/积分 and the earlier months.

    Also used to restate a posted month (a late sheet, a correction) on its stored totals.
    """
    records = points_frame.to_dict("records")
    month = clean_text(records[0]["月份"]) if records else ""
    total_of = {clean_text(r["户号"]): float(r["总分"]) for r in records if _num(r.get("总分")) is not None}
    points = {h: float(_num(r["积分"]) or 0.0) for r in records
              for h in [clean_text(r["户号"])] if h in total_of}
    run, last = streak_state(history, settings)
    bonus_ids, exposure_ids = _advance(MonthHistory(month, dict(total_of), points), run, last, settings)

    rank = competition_rank(pd.Series(total_of, dtype=float)).to_dict() if total_of else {}
    groups = {clean_text(r["户号"]): clean_text(r["组别"]) for r in records}
    group_rank: dict[str, int] = {}
    members_of: dict[str, list[str]] = {}
    for h in total_of:
        members_of.setdefault(groups.get(h, ""), []).append(h)
    for members in members_of.values():
        group_rank.update(competition_rank(pd.Series({h: total_of[h] for h in members})).to_dict())

    rows: list[dict] = []
    for r in sorted(records, key=lambda r: (group_key(groups[clean_text(r["户号"])]).zfill(4), clean_text(r["户号"]))):
        hid = clean_text(r["户号"])
        row: dict = {k: r[k] for k in RESULT_FIELDS}
        row["户号"] = hid
        if hid in total_of:
            total = total_of[hid]
            for cat in cats:
                row[cat] = _num(r.get(cat))
            notes = []
            if total < settings.threshold - EPS:
                notes.append(f"低于{_fmt(settings.threshold)}分，不积分")
            bonus = settings.streak_bonus if hid in bonus_ids else 0.0
            if bonus:
                notes.append(f"连续{settings.streak_months}个月最高档，奖励{_fmt(bonus)}分")
            if hid in exposure_ids:
                notes.append(f"连续{last[hid]}个月全村最低")
            row.update({
                "总分": total,
                "名次": int(rank[hid]),
                "组内名次": int(group_rank[hid]),
                "积分": points[hid],
                "奖励": bonus,
                "曝光台": "是" if hid in exposure_ids else "",
                "备注": "；".join(notes),
            })
        else:
            row.update({cat: None for cat in cats})
            row.update({"总分": None, "名次": None, "组内名次": None, "积分": None, "奖励": None, "曝光台": "",
                        "备注": "本月未检查"})
        row["状态"] = "草稿"
        rows.append(row)
    columns = [*RESULT_FIELDS, *cats, "总分", "名次", "组内名次", "积分", "奖励", "曝光台", "状态", "备注"]
    return pd.DataFrame(rows, columns=columns)


def history_from_results(results: pd.DataFrame, before: str) -> list[MonthHistory]:
    """Earlier months from 月度得分 (the stored points: rules may have changed since)."""
    out: list[MonthHistory] = []
    if results.empty:
        return out
    months = sorted({clean_text(m) for m in results["月份"] if clean_text(m) and clean_text(m) < before})
    for m in months:
        part = results[results["月份"].map(clean_text) == m]
        totals: dict[str, float | None] = {}
        points: dict[str, float | None] = {}
        for row in part.to_dict("records"):
            hid = clean_text(row["户号"])
            totals[hid] = _num(row.get("总分"))
            points[hid] = _num(row.get("积分"))
        if any(t is not None for t in totals.values()):
            out.append(MonthHistory(m, totals, points))
    return out


def _num(value: object) -> float | None:
    try:
        return to_number(value)
    except NotANumber:
        return None


def _fmt(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)
