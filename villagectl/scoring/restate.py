"""Restating a posted month (pure): a late sheet (补录) or a correction after posting (更正).

A posted month is never scored again from scratch: rules may have changed since, and
what was posted stays as posted. Only the households a late sheet or a correction
concerns take new totals; every other household keeps its stored 总分 and 积分. The
ranks, the streak bonus and the 曝光台 are then worked out again (``finish_month``)
for that month and every later one, because they depend on every household and on
every earlier month. A row whose 总分, 积分, 奖励 or 曝光台 differs from what is stored
is a change: marked 补录 or 更正 until it is posted (the journal gets the difference).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import pandas as pd

from villagectl import schema
from villagectl.scoring.monthly import RESULT_FIELDS, EPS, MonthHistory, MonthlySettings, finish_month
from villagectl.values import NotANumber, as_text, clean_text, fmt_number, to_number

SUPPLEMENT, CORRECTION = schema.ROW_SUPPLEMENT, schema.ROW_CORRECTION
PENDING = (SUPPLEMENT, CORRECTION)
COMPARED = ("总分", "积分", "奖励", "曝光台")
ORIGINAL = "原值"  # 月度得分: what was posted, while a 补录/更正 of the row waits to be posted


@dataclass(frozen=True)
class RowChange:
    month: str
    household_id: str
    name: str
    group: str
    kind: str  # 补录 / 更正
    before: dict[str, object]
    after: dict[str, object]

    def fields(self) -> list[str]:
        return [f for f in COMPARED if not same_field(f, self.before.get(f), self.after.get(f))]

    def describe(self) -> str:
        """'总分 —→86，积分 —→3' in the units a clerk reads (no ；: it sits in a 备注 of ；-separated notes)."""
        return "，".join(f"{f} {show(self.before.get(f), f)}→{show(self.after.get(f), f)}" for f in self.fields())

    def as_dict(self) -> dict:
        return {"month": self.month, "household_id": self.household_id, "name": self.name, "group": self.group,
                "kind": self.kind, "fields": self.fields(),
                "before": {f: _plain(self.before.get(f)) for f in COMPARED},
                "after": {f: _plain(self.after.get(f)) for f in COMPARED}}


@dataclass
class MonthRestatement:
    month: str
    rows: pd.DataFrame  # the month's 月度得分 rows as they now stand
    changes: list[RowChange] = field(default_factory=list)


def num(value: object) -> float | None:
    try:
        return to_number(value)
    except NotANumber:
        return None


def same_value(a: object, b: object) -> bool:
    x, y = num(a), num(b)
    if x is not None or y is not None:
        return x is not None and y is not None and abs(x - y) < EPS
    return clean_text(a) == clean_text(b)


def same_field(name: str, a: object, b: object) -> bool:
    """Points not posted and 0 points post the same: for 积分 and 奖励, no value is 0."""
    if name in ("积分", "奖励"):
        return abs((num(a) or 0.0) - (num(b) or 0.0)) < EPS
    return same_value(a, b)


def show(value: object, name: str) -> str:
    if name == "曝光台":
        return "上榜" if clean_text(value) == "是" else "不上榜"
    x = num(value)
    return "—" if x is None else fmt_number(x)


def _plain(value: object) -> object:
    x = num(value)
    return x if x is not None else (clean_text(value) or None)


def points_frame(stored: pd.DataFrame, fresh: pd.DataFrame, targets: set[str], cats: list[str]) -> pd.DataFrame:
    """The month's category scores, 总分 and 积分: stored rows, except ``targets`` taken from ``fresh``.

    ``fresh`` is the first stage of scoring (``month_points``) from today's 检查记录; a target
    household not yet in ``stored`` (added to 户籍 since) is added.
    """
    columns = [*RESULT_FIELDS, *cats, "总分", "积分"]
    new = {clean_text(h): r for h, r in zip(fresh["户号"], fresh.to_dict("records"))}
    rows: list[dict] = []
    seen: set[str] = set()
    for r in stored.to_dict("records"):
        hid = clean_text(r["户号"])
        seen.add(hid)
        source = new[hid] if hid in targets and hid in new else r
        row = {c: source.get(c) for c in columns}
        row.update({k: r.get(k) for k in RESULT_FIELDS})  # as printed then
        row["户号"] = hid
        rows.append(row)
    for hid in sorted(targets - seen):
        if hid in new:
            rows.append({c: new[hid].get(c) for c in columns})
    return pd.DataFrame(rows, columns=columns)


def restate_month(
    stored: pd.DataFrame,
    points: pd.DataFrame,
    cats: list[str],
    settings: MonthlySettings,
    history: list[MonthHistory],
    *,
    targets: set[str],
    knock_on: str,
) -> MonthRestatement:
    """The posted month ``stored`` worked out again on ``points``; rows that change are marked.

    A row is compared with what was posted (its 原值 while it waits, else its stored values).
    A changed row that had no score is 补录; a changed ``targets`` row is 更正; any other changed
    row changed through the streaks or the 曝光台 and its 备注 says so with ``knock_on``
    ("因2026-09补录重算"). A row changed back to what was posted is 入账 again.
    """
    month = clean_text(stored.iloc[0]["月份"]) if len(stored) else clean_text(points.iloc[0]["月份"])
    again = finish_month(points, cats, settings, history)
    before = {clean_text(h): r for h, r in zip(stored["户号"], stored.to_dict("records"))}
    rows: list[dict] = []
    changes: list[RowChange] = []
    for r in again.to_dict("records"):
        hid = clean_text(r["户号"])
        old = before.get(hid, {})
        posted = posted_values(old)
        if (num(posted.get("奖励")) or 0) > EPS and (num(r.get("奖励")) or 0) > EPS:
            r["奖励"] = posted["奖励"]  # a bonus that stands keeps the amount it was posted with (rules may have changed)
        after = {f: r.get(f) for f in COMPARED}
        if any(not same_value(posted.get(f), after[f]) for f in COMPARED):
            change = RowChange(month, hid, as_text(r["户主"]), as_text(r["组别"]),
                               SUPPLEMENT if num(posted.get("总分")) is None else CORRECTION, posted, after)
            r["状态"], r[ORIGINAL] = change.kind, format_values(posted)
            why = "补录" if change.kind == SUPPLEMENT else f"{'更正' if hid in targets else knock_on}（{change.describe()}）"
            r["备注"] = "；".join(x for x in (as_text(r.get("备注", "")), why) if x)
            if any(not same_value(old.get(f), after[f]) for f in COMPARED):
                changes.append(RowChange(month, hid, change.name, change.group, change.kind,
                                         {f: old.get(f) for f in COMPARED}, after))
        else:
            r["状态"], r[ORIGINAL] = schema.PERIOD_STATES[2], ""
            if clean_text(old.get("状态")) in PENDING:  # changed back to what was posted
                changes.append(RowChange(month, hid, as_text(r["户主"]), as_text(r["组别"]), CORRECTION,
                                         {f: old.get(f) for f in COMPARED}, after))
        rows.append(r)
    kept = {clean_text(r["户号"]) for r in rows}
    rows += [dict(r) for h, r in before.items() if h not in kept]  # e.g. moved out since, not inspected
    columns = list(again.columns) + [ORIGINAL]
    return MonthRestatement(month, pd.DataFrame(rows, columns=columns).astype(object), changes)


def posted_values(row: dict) -> dict[str, object]:
    """What the journal and the printed notice hold for a 月度得分 row: its 原值 while it waits to be posted."""
    if clean_text(row.get("状态")) in PENDING and clean_text(row.get(ORIGINAL)):
        return parse_values(row.get(ORIGINAL))
    return {f: row.get(f) for f in COMPARED}


def format_values(values: dict[str, object]) -> str:
    """'总分78；积分0；奖励0；曝光台否' (— for no score), kept in 原值 while a change waits."""
    return "；".join(f"{f}{('是' if clean_text(values.get(f)) == '是' else '否') if f == '曝光台' else show(values.get(f), f)}"
                    for f in COMPARED)


def parse_values(text: object) -> dict[str, object]:
    out: dict[str, object] = {f: None for f in COMPARED}
    for part in re.split(r"[；;]", clean_text(text)):
        for f in COMPARED:
            if part.startswith(f):
                value = part[len(f):]
                out[f] = ("是" if value == "是" else "") if f == "曝光台" else num(value) if value != "—" else None
    return out
