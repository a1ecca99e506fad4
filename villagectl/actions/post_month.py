"""``post month``: after the notice period, write the month's points to the journal."""

from __future__ import annotations

from dataclasses import dataclass

from villagectl.actions.score_month import coverage_of
from villagectl.errors import DataError, UsageError
from villagectl import schema
from villagectl.actions.session import Session
from villagectl.actions.supplement import post_supplement, year_locked
from villagectl.ledger.journal import append_entries
from villagectl.ledger.journal_anchor import anchor_values, require_intact
from villagectl.ledger.month_posting import month_entries
from villagectl.ledger.periods import NOTICE, POSTED, period_row, period_state, with_period, notice_end
from villagectl.scoring.coverage import describe_missing, missing_households
from villagectl.values import NotANumber, clean_text, fmt_number, to_number


@dataclass
class PostResult:
    month: str
    already: bool = False
    entries: int = 0
    points: float = 0.0
    households: int = 0
    entry_ids: tuple[str, str] | None = None  # first and last 流水号
    supplement: str = ""  # a posted month's 补录/更正 (期间 "2026-09 补录1") posted this time

    def as_dict(self) -> dict:
        return {
            "month": self.month,
            "already_posted": self.already,
            "entries": self.entries,
            "points": self.points,
            "households": self.households,
            "first_entry": self.entry_ids[0] if self.entry_ids else None,
            "last_entry": self.entry_ids[1] if self.entry_ids else None,
            "supplement": self.supplement or None,
        }


def post_month(session: Session, month: str, *, force: bool = False, reason: str = "",
               allow_missing: bool = False) -> PostResult:
    """Post ``month`` on ``session.day()`` (or a posted month's waiting 补录/更正)."""
    if force and not reason.strip():
        raise UsageError("使用 --force 时必须用 --reason 写明原因")
    if allow_missing and not reason.strip():
        raise UsageError("使用 --allow-missing 时必须用 --reason 写明为什么这些户不检查就入账")
    today = session.day()
    with session.updating("post month") as ledger:
        ledger.require(schema.HOUSEHOLDS.name)
        require_intact(ledger)  # also finds a posted month whose journal rows were deleted
        state = period_state(ledger, month)
        if state is None:
            raise DataError(f"{month} 还没有计分；请先运行 villagectl score month")
        operator = session.operator_for(ledger)
        if state == POSTED:  # only a late sheet or a correction (补录 / 更正) can be left to post
            done = post_supplement(ledger, month, today, operator, force=force, reason=reason)
            if done is None:
                return PostResult(month, already=True)
            ledger.note(f"{done.supplement} 入账 {done.entries} 笔，共 {fmt_number(done.points)} 分"
                        + (f"；提前入账：{reason}" if force else ""))
            return PostResult(month, False, done.entries, done.points, done.households, done.entry_ids,
                              supplement=done.supplement)
        if year_locked(ledger, month):  # the year's points were counted when it was locked: no month joins it after
            raise DataError(f"{month[:4]} 年度评定已锁定（post year），{month} 不能再入账：年度积分和评定结果是按锁定时"
                            f"已入账的月份算定的", hint="确需更改，请先和镇里说明；锁定的年度评定不能重开")
        results = ledger.frame(schema.MONTHLY.name)
        months = results["月份"].map(clean_text)
        earlier = sorted({m for m in months if m < month and period_state(ledger, m) != POSTED})
        inspected = ledger.frame_or_empty(schema.INSPECTIONS.name)
        unscored = sorted({m for m in (clean_text(v) for v in inspected.get("月份", [])) if m and m < month
                           and period_state(ledger, m) is None})
        if unscored:  # once a later month is posted, an earlier one can no longer be scored in order
            raise DataError(f"{'、'.join(unscored)} 已导入检查表但还没有计分；请先计分、公示并入账（villagectl score month），"
                            f"再入账 {month}（连续奖励和曝光台按月份顺序计算）")
        if earlier:
            raise DataError(f"请先入账更早的月份：{'、'.join(earlier)}（积分按月份顺序入账）")
        row = period_row(ledger, month)
        end = clean_text(row["公示截止"]) if row is not None else ""
        if not force:
            if state != NOTICE or not end:
                raise DataError(
                    f"{month} 还没有公示；请先打印公示（villagectl notice month），公示期满后再入账，"
                    "或用 --force --reason 说明原因后直接入账"
                )
            if today <= notice_end(ledger, row):
                raise DataError(
                    f"{month} 的公示期到 {end} 才结束，{today.isoformat()} 还不能入账；"
                    "如确需提前入账，请用 --force --reason 说明原因"
                )
        part = results[months == month]
        # a household on no returned sheet would lose this month's points for good once the month is locked
        coverage = coverage_of(ledger, month, part)
        missing = missing_households(coverage)
        if missing and not allow_missing:
            names = {clean_text(h): clean_text(n) for h, n in zip(part["户号"], part["户主"])}
            raise DataError(
                f"{month} 有 {len(missing)} 户没有出现在任何检查表里：{describe_missing(coverage, names)}。"
                "入账后这个月就锁定了，这些户的积分再也记不上；请先导入他们的检查表并重新计分（villagectl score month），"
                "确实要缺着入账，请加 --allow-missing --reason “原因”"
            )
        records = part.to_dict("records")
        households = sum(1 for r in records if _num(r.get("总分")) is not None)  # the others: not inspected
        entries = month_entries(month, records, ledger.frame(schema.JOURNAL.name))
        journal, ids = append_entries(ledger.frame(schema.JOURNAL.name), entries, today.isoformat(), operator)
        ledger.replace(schema.JOURNAL.name, journal)
        results = results.copy()
        results.loc[months == month, "状态"] = POSTED
        ledger.replace(schema.MONTHLY.name, results)
        notes = ([f"提前入账：{reason}"] if force else []) + \
            ([f"缺 {len(missing)} 户入账（{'、'.join(missing[:20])}）：{reason}"] if missing else [])
        note = "；".join(notes)
        periods = with_period(ledger.frame(schema.PERIODS.name), month, 状态=POSTED, 入账日期=today.isoformat(),
                              经办人=operator, **({"说明": note} if note else {}), **anchor_values(journal))
        ledger.replace(schema.PERIODS.name, periods)
        total_points = round(sum(e.points for e in entries), 4)
        ledger.note(f"{month} 入账 {len(entries)} 笔，共 {fmt_number(total_points)} 分" + (f"；{note}" if note else ""))
        return PostResult(month, False, len(entries), total_points, households, (ids[0], ids[-1]) if ids else None)


def _num(value: object) -> float | None:
    try:
        return to_number(value)
    except NotANumber:
        return None
