"""Late sheets (补录) and corrections (更正) of a posted month: restate, notice, post the difference.

The life of a posted month's change (docs/commands.md, "一个月的来龙去脉"):
``inspect import`` of a sheet with only unscored households, or ``score adjust --after-post``,
restates the month (scoring/restate.py) and every later month whose streaks follow from it, and
opens a 期间 row "2026-09 补录1" in 草稿; ``notice month`` prints its 补录公示 / 更正公示 and opens
its notice period; ``post month`` afterwards posts only the difference (ledger/month_posting.py).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import pandas as pd

from villagectl.rules.settings import committee_of, objection_of
from villagectl.actions.score_month import compute_month, month_inputs, month_scores, replace_month_rows, same_results
from villagectl.errors import DataError
from villagectl import schema
from villagectl.ledger.journal import append_entries
from villagectl.ledger.journal_anchor import anchor_values
from villagectl.ledger.month_posting import month_entries
from villagectl.ledger.periods import (
    DRAFT, NOTICE, POSTED, involved_months, next_supplement_name, notice_end, open_supplement, period_state,
    with_period,
)
from villagectl.ledger.workbook import Ledger
from villagectl.scoring.monthly import categories, history_from_results, month_points
from villagectl.scoring.restate import (
    COMPARED, ORIGINAL, PENDING, SUPPLEMENT, RowChange, num, points_frame, posted_values, restate_month, show,
)
from villagectl.values import as_text, clean_text


@dataclass
class Restatement:
    month: str
    supplement: str = ""  # the 期间 row that carries the change ("2026-09 补录1"); "" when nothing changed
    changes: list[RowChange] = field(default_factory=list)
    rescored: list[str] = field(default_factory=list)  # later months in 草稿/公示 scored again
    closed: bool = False  # every waiting row is back to what was posted: the supplement is closed, nothing to post
    notices_invalidated: list[str] = field(default_factory=list)

    @property
    def kind(self) -> str:
        return "补录" if any(c.kind == SUPPLEMENT for c in self.changes) else "更正"

    def as_dict(self) -> dict:
        return {"month": self.month, "supplement": self.supplement or None, "kind": self.kind if self.changes else None,
                "changes": [c.as_dict() for c in self.changes], "rescored": self.rescored,
                "notices_invalidated": self.notices_invalidated}


def restate_posted(ledger: Ledger, month: str, targets: set[str], cause: str,
                   now: dt.datetime | None = None) -> Restatement:
    """Work ``month`` (posted) out again for ``targets``, and the later months after it, in memory.

    ``cause`` is the supplement's 说明 ("第四组检查表补录", "更正：村民异议，复查属实").
    """
    _refuse_if_year_locked(ledger, month)
    rules, _bands, settings = month_inputs(ledger)
    cats = categories(rules)
    outcome = Restatement(month)
    results = ledger.frame(schema.MONTHLY.name)
    months = sorted({clean_text(m) for m in results["月份"] if clean_text(m) >= month})
    kind_word = "补录" if any(_unscored(results, month, h) for h in targets) else "更正"
    knock_on = f"因{month}{kind_word}重算"
    periods = ledger.frame(schema.PERIODS.name)
    for m in months:
        stored = results[results["月份"].map(clean_text) == m].reset_index(drop=True)
        state = period_state(ledger, m)
        if state == POSTED:
            fresh = (month_points(m, month_scores(ledger, m, rules), ledger.frame(schema.HOUSEHOLDS.name), rules,
                                  _bands, settings) if m == month else stored.iloc[0:0])
            points = points_frame(stored, fresh, targets if m == month else set(), cats)
            again = restate_month(stored, points, cats, settings, history_from_results(results, m),
                                  targets=targets if m == month else set(), knock_on=knock_on)
            results = replace_month_rows(results, m, again.rows)
            outcome.changes += again.changes
        else:  # a later month not yet posted: scored again as a whole, its notice (if any) printed again
            new = compute_month(ledger, m, results)
            if len(stored) == len(new) and same_results(stored, new):
                continue  # unchanged: its rows (and its notice) stand
            outcome.rescored.append(m)
            if state == NOTICE:
                outcome.notices_invalidated.append(m)
                periods = with_period(periods, m, 状态=DRAFT, 公示开始="", 公示截止="")
            results = replace_month_rows(results, m, new)
        ledger.replace(schema.MONTHLY.name, results)
    current = open_supplement(ledger)  # one open supplement per ledger: this change joins it
    if outcome.changes or current is not None:
        name = clean_text(current["期间"]) if current is not None else next_supplement_name(ledger, month)
        involved = sorted(set(involved_months(current) if current is not None else []) |
                          {c.month for c in outcome.changes})
        before = as_text(current["说明"]) if current is not None else ""
        note = "；".join(x for x in dict.fromkeys([*before.split("；"), cause]) if x)
        waiting = [r for r in results.to_dict("records")
                   if clean_text(r["月份"]) in set(involved) and clean_text(r["状态"]) in PENDING]
        if current is not None and clean_text(current["状态"]) == NOTICE and outcome.changes:
            outcome.notices_invalidated.append(name)
        outcome.supplement = name
        if not waiting and current is not None:  # changed back to what was posted: nothing left to notice or post
            periods = with_period(periods, name, 状态=POSTED, 说明=f"{note}；改回入账时的结果，无差额可记",
                                  涉及月份="、".join(involved), **anchor_values(ledger.frame(schema.JOURNAL.name)))
            outcome.closed = True
        elif waiting:
            periods = with_period(periods, name, 状态=DRAFT, 计分时间=session_stamp(now), 公示开始="", 公示截止="",
                                  说明=note, 涉及月份="、".join(involved))
    ledger.replace(schema.PERIODS.name, periods)
    return outcome


def pending_rows(ledger: Ledger, supplement: pd.Series) -> list[dict]:
    """The rows a supplement will post: 补录 and 更正 rows of its months."""
    results = ledger.frame(schema.MONTHLY.name)
    months = set(involved_months(supplement))
    return [r for r in results.to_dict("records")
            if clean_text(r["月份"]) in months and clean_text(r["状态"]) in PENDING]


@dataclass
class SupplementPosting:
    supplement: str
    entries: int
    points: float
    households: int  # rows posted (a household changed in two months counts twice)
    entry_ids: tuple[str, str] | None


def post_supplement(ledger: Ledger, month: str, today: dt.date, operator: str, *, force: bool,
                    reason: str) -> SupplementPosting | None:
    """Post the open supplement of ``month`` (after its notice period); None when there is none."""
    current = open_supplement(ledger, month)
    if current is None:
        return None
    name = clean_text(current["期间"])
    rows = pending_rows(ledger, current)
    end = notice_end(ledger, current) if clean_text(current["状态"]) == NOTICE else None
    if not force and rows:
        if end is None:
            raise DataError(f"{name}（{as_text(current['说明'])}）还没有公示；请先打印公示（villagectl notice month "
                            f"--month {month}），公示期满后再入账，或用 --force --reason 说明原因后直接入账")
        if today <= end:
            raise DataError(f"{name} 的公示期到 {end.isoformat()} 才结束，{today.isoformat()} 还不能入账；"
                            "如确需提前入账，请用 --force --reason 说明原因")
    journal = ledger.frame(schema.JOURNAL.name)
    entries = []
    for m in involved_months(current):
        month_rows = [r for r in rows if clean_text(r["月份"]) == m]
        for late in (True, False):  # a late household's entries say 补录, a corrected one's 更正
            part = [r for r in month_rows if (clean_text(r["状态"]) == SUPPLEMENT) is late]
            entries += month_entries(m, part, journal, note="补录" if late else f"{name}更正",
                                     reason=f"{name}：{as_text(current['说明'])}")
    journal, ids = append_entries(journal, entries, today.isoformat(), operator)
    ledger.replace(schema.JOURNAL.name, journal)
    results = ledger.frame(schema.MONTHLY.name).copy()
    months = results["月份"].map(clean_text)
    pending = months.isin(set(involved_months(current))) & results["状态"].map(clean_text).isin(PENDING)
    results.loc[pending, "状态"] = POSTED
    results.loc[pending, ORIGINAL] = ""
    ledger.replace(schema.MONTHLY.name, results)
    notes = [f"提前入账：{reason}"] if force else []
    periods = with_period(ledger.frame(schema.PERIODS.name), name, 状态=POSTED, 入账日期=today.isoformat(),
                          经办人=operator, **anchor_values(journal),
                          **({"说明": "；".join([as_text(current["说明"]), *notes])} if notes else {}))
    ledger.replace(schema.PERIODS.name, periods)
    return SupplementPosting(name, len(entries), round(sum(e.points for e in entries), 4), len(rows),
                             (ids[0], ids[-1]) if ids else None)


def session_stamp(now: dt.datetime | None) -> str:
    return (now or dt.datetime.now()).isoformat(sep=" ", timespec="seconds")


def year_locked(ledger: Ledger, month: str) -> bool:
    """The year of ``month`` has its ratings locked (post year)."""
    from villagectl.actions.score_year import year_state

    return year_state(ledger, int(month[:4])) == POSTED


def _refuse_if_year_locked(ledger: Ledger, month: str) -> None:
    """A month of a year whose ratings are locked (post year) takes no late sheet and no correction."""
    if year_locked(ledger, month):
        raise DataError(f"{month[:4]} 年度评定已锁定（post year），{month} 不能再补录或更正：那样年度积分就和锁定的评定结果对不上",
                        hint="确需更改，请先和镇里说明；锁定的年度评定不能重开")


def describe_changes(changes: list[RowChange]) -> str:
    """For 操作日志: '2026-09 ZP031 总分 —→86；积分 —→3 …' (cut short)."""
    text = "，".join(f"{c.month} {c.household_id} {c.describe()}" for c in changes[:8])
    return text + (f" 等 {len(changes)} 户次" if len(changes) > 8 else "")


def _unscored(results: pd.DataFrame, month: str, household: str) -> bool:
    hit = results[(results["月份"].map(clean_text) == month) & (results["户号"].map(clean_text) == household)]
    return hit.empty or clean_text(hit.iloc[0]["总分"]) in ("", "nan", "None")


def supplement_notice(ledger: Ledger, month: str, start: dt.date, days: int, mask: bool | None):
    """The 补录公示 / 更正公示 of the month's open supplement, or None when nothing waits."""
    from villagectl.render.supplement_notice import SupplementNotice, SupplementNoticeRow

    current = open_supplement(ledger, month)
    if current is None:
        return None
    rows = pending_rows(ledger, current)
    if not rows:
        return None
    settings = ledger.settings()
    printed = []
    for r in rows:
        posted, now = posted_values(r), {f: r.get(f) for f in COMPARED}
        change = RowChange(clean_text(r["月份"]), clean_text(r["户号"]), as_text(r["户主"]), as_text(r["组别"]),
                           clean_text(r["状态"]), posted, now)
        last = as_text(r.get("备注", "")).split("；")[-1]
        late = change.kind == SUPPLEMENT
        printed.append(SupplementNoticeRow(
            change.month, change.group, change.name, change.kind, show(now["总分"], "总分"),
            show(now["积分"], "积分") if not late or num(now["总分"]) is not None else "—", show(now["奖励"], "奖励"),
            clean_text(now["曝光台"]) == "是", "补录" if late else change.describe(),
            "" if late else last.split("（", 1)[0]))
    kinds = {r.kind for r in printed}
    village = settings.get("村名", "")
    return SupplementNotice(
        village=village, month=month, name=clean_text(current["期间"]),
        kind="补录和更正" if len(kinds) > 1 else next(iter(kinds)), reason=as_text(current["说明"]),
        rows=printed, period_start=start, period_end=start + dt.timedelta(days=days - 1),
        objection_text=objection_of(settings),
        committee=committee_of(settings), issued=start,
        mask_names=mask if mask is not None else settings.get("公示隐藏名字", "否") == "是")
