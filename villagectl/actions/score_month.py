"""``score month``: score a month's inspections into 月度得分 (status 草稿)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import pandas as pd

from villagectl.ledger.inspections import inspection_rules, item_columns_of
from villagectl.errors import DataError
from villagectl.actions.session import Session
from villagectl import schema
from villagectl.ledger.periods import DRAFT, NOTICE, POSTED, period_state, with_period
from villagectl.ledger.workbook import Ledger
from villagectl.rules.catalogue import band_gaps_and_overlaps, parse_bands
from villagectl.scoring.coverage import month_coverage
from villagectl.scoring.monthly import MonthlySettings, history_from_results, score_month
from villagectl.values import NotANumber, clean_text, to_number


@dataclass
class MonthScore:
    month: str
    results: pd.DataFrame
    changed: bool = True
    notice_invalidated: bool = False
    rescored_later: list[str] = field(default_factory=list)
    posted: bool = False  # a posted month is shown as it was posted, never re-scored
    coverage: list = field(default_factory=list)  # GroupCoverage per group: expected, inspected, blank, missing

    def households(self) -> list[dict]:
        """One dict per household for --json."""
        out = []
        cats = [c for c in self.results.columns if c not in schema.MONTHLY.column_names]
        for row in self.results.to_dict("records"):
            missing = row["总分"] is None or pd.isna(row["总分"])
            out.append({
                "household_id": row["户号"],
                "name": row["户主"],
                "group": row["组别"],
                "categories": {c: (None if missing else float(row[c])) for c in cats},
                "total": None if missing else float(row["总分"]),
                "rank": None if missing else int(row["名次"]),
                "group_rank": None if missing else int(row["组内名次"]),
                "points": None if missing else float(row["积分"]),
                "bonus": None if missing else float(row["奖励"]),
                "exposure": row["曝光台"] == "是",
                "blacklisted": row["曝光台"] == "是",  # the same, under its first name: scripts written for it still work
                "missing": bool(missing),
                "note": row["备注"],
            })
        return out


def month_inputs(ledger: Ledger):
    rules = inspection_rules(ledger)
    bands, issues = parse_bands(ledger.frame(schema.BANDS.name))
    settings = ledger.village_settings()
    full = settings["满分"] or sum(r.points for r in rules)
    if issues or not bands or band_gaps_and_overlaps(bands, 0, full):
        raise DataError("“换算”表有问题（档次为空、重叠或有空档），请先运行 villagectl check 查看并修正")
    return rules, bands, MonthlySettings.from_settings(settings)


def month_scores(ledger: Ledger, month: str, rules) -> pd.DataFrame:
    """户号 plus one float column per rule code, for the month's inspection rows."""
    frame = ledger.frame(schema.INSPECTIONS.name)
    part = frame[frame["月份"].map(clean_text) == month]
    cols = item_columns_of(frame, rules)
    # a row with no score at all records a household listed blank (not inspected): it is no score of 0
    if len(part) and cols:
        part = part[[any(clean_text(v) for v in values) for values in zip(*(part[c] for c in cols.values()))]]
    data = {"户号": part["户号"].map(clean_text).tolist()}
    for r in rules:
        values = []
        for v in (part[cols[r.code]] if r.code in cols else [None] * len(part)):
            try:
                values.append(to_number(v) or 0.0)
            except NotANumber:
                raise DataError(f"“检查记录”中 {month} 的 {r.item} 有非数字的得分，请检查该表") from None
        data[r.code] = values
    return pd.DataFrame(data)


def compute_month(ledger: Ledger, month: str, results: pd.DataFrame) -> pd.DataFrame:
    """``month`` scored on top of the earlier months in ``results`` (月度得分)."""
    rules, bands, settings = month_inputs(ledger)
    scores = month_scores(ledger, month, rules)
    if scores.empty:
        raise DataError(f"{month} 还没有导入任何检查记录；请先运行 villagectl inspect import")
    history = history_from_results(results, month)
    return score_month(month, scores, ledger.frame(schema.HOUSEHOLDS.name), rules, bands, settings, history)


def replace_month_rows(results: pd.DataFrame, month: str, new: pd.DataFrame) -> pd.DataFrame:
    """月度得分 with ``month``'s rows replaced; category columns kept in catalogue order."""
    keep = results[results["月份"].map(clean_text) != month] if len(results) else results
    columns = list(new.columns) + [c for c in keep.columns if c not in new.columns]
    frame = pd.concat([keep.reindex(columns=columns), new.reindex(columns=columns)], ignore_index=True)
    frame = frame.astype(object).where(frame.notna(), None)
    order = frame["月份"].map(clean_text)
    return frame.iloc[order.argsort(kind="stable")].reset_index(drop=True)


def same_results(old: pd.DataFrame, new: pd.DataFrame) -> bool:
    cols = ["户号", "总分", "积分", "奖励", "曝光台"]
    a = old[cols].astype(str).reset_index(drop=True)
    b = new[cols].astype(str).reset_index(drop=True)
    return a.equals(b)


def score_months(session: Session, month: str) -> MonthScore:
    """Score ``month`` into 月度得分 (a posted month is shown as posted)."""
    with session.updating("score month") as ledger:
        ledger.require(schema.HOUSEHOLDS.name, schema.RULES.name, schema.BANDS.name)
        if period_state(ledger, month) == POSTED:
            results = ledger.frame(schema.MONTHLY.name)
            stored = results[results["月份"].map(clean_text) == month].reset_index(drop=True)
            stored = stored.astype(object).where(stored.notna(), None)
            for col in ("总分", "积分", "奖励", "名次", "组内名次"):
                stored[col] = [None if clean_text(v) == "" else v for v in stored[col]]
            return MonthScore(month, stored, changed=False, posted=True)
        outcome = rescore(ledger, month, session.now)
        outcome.coverage = coverage_of(ledger, month, outcome.results)
        ledger.note(f"{month} 计分：{len(outcome.results)} 户")  # saved only when the results changed
        return outcome


def listed_blank(ledger: Ledger, month: str) -> set[str]:
    """Households a returned sheet lists for ``month`` without any score (not inspected, but seen)."""
    frame = ledger.frame(schema.INSPECTIONS.name)
    if frame.empty:
        return set()
    part = frame[frame["月份"].map(clean_text) == month]
    cols = list(item_columns_of(frame, inspection_rules(ledger)).values())
    return {clean_text(h) for h, values in zip(part["户号"], zip(*(part[c] for c in cols)) if cols else [])
            if not any(clean_text(v) for v in values)}


def coverage_of(ledger: Ledger, month: str, results: pd.DataFrame):
    """The month per group (scoring.coverage): only households on no sheet at all make it incomplete."""
    scored = {clean_text(h) for h, t in zip(results["户号"], results["总分"]) if t is not None and clean_text(t) not in ("", "nan")}
    return month_coverage(ledger.frame(schema.HOUSEHOLDS.name), scored, listed_blank(ledger, month))


def rescore(ledger: Ledger, month: str, now: dt.datetime | None = None) -> MonthScore:
    """Score ``month`` (and later draft months, whose streaks depend on it) in memory."""
    state = period_state(ledger, month)
    if state == POSTED:
        raise DataError(f"{month} 已入账，不能重新计分；如有错误请用冲正更正")
    results = ledger.frame(schema.MONTHLY.name)
    later = sorted({clean_text(m) for m in results["月份"] if clean_text(m) > month}) if len(results) else []
    blocked = [m for m in later if period_state(ledger, m) in (NOTICE, POSTED)]
    if blocked:
        raise DataError(f"{'、'.join(blocked)} 已公示或入账，不能再改动更早的 {month}（连续奖励和曝光台要按顺序计算）")
    stamp = (now or dt.datetime.now()).isoformat(sep=" ", timespec="seconds")
    new = compute_month(ledger, month, results)
    old = results[results["月份"].map(clean_text) == month] if len(results) else results
    unchanged = len(old) == len(new) and len(old) > 0 and same_results(old, new)
    outcome = MonthScore(month, new)
    if unchanged and state in (DRAFT, NOTICE):
        outcome.changed = False
        outcome.results = old.reset_index(drop=True)
        return outcome
    results = replace_month_rows(results, month, new)
    ledger.replace(schema.MONTHLY.name, results)
    for m in later:  # their streaks follow from this month
        results = replace_month_rows(results, m, compute_month(ledger, m, results))
        ledger.replace(schema.MONTHLY.name, results)
        outcome.rescored_later.append(m)
    periods = ledger.frame(schema.PERIODS.name)
    outcome.notice_invalidated = state == NOTICE
    periods = with_period(periods, month, 状态=DRAFT, 计分时间=stamp, 公示开始="", 公示截止="")
    ledger.replace(schema.PERIODS.name, periods)
    return outcome
