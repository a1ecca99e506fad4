"""``score adjust``: change one item score after an objection, and re-score the month."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd

from villagectl.ledger.inspections import inspection_rules, item_columns_of
from villagectl.actions.score_month import rescore
from villagectl.errors import DataError, UsageError
from villagectl.importers.inspection import score_problem
from villagectl.actions.session import Session
from villagectl import schema
from villagectl.ledger.households import find_household
from villagectl.ledger.periods import NOTICE, POSTED, period_state
from villagectl.ledger.workbook import Ledger
from villagectl.values import NotANumber, clean_text, fmt_number, to_number


@dataclass
class Adjustment:
    month: str
    household_id: str
    code: str
    item: str
    old: float
    new: float
    old_total: float | None
    new_total: float | None
    old_points: float | None
    new_points: float | None
    reprint_notice: bool
    restatement: object | None = None  # supplement.Restatement when a posted month is corrected (--after-post)

    def as_dict(self) -> dict:
        out = {k: v for k, v in self.__dict__.items() if k != "restatement"}
        out["restatement"] = self.restatement.as_dict() if self.restatement is not None else None
        return out


def adjust_score(session: Session, month: str, *, household: str, code: str, score: float, reason: str,
                 after_post: bool = False) -> Adjustment:
    """Change one item score of ``household`` in ``month`` (an objection; after posting, a correction)."""
    now = session.now
    if not reason.strip():
        raise UsageError("请用 --reason 写明调整原因（例如：村民异议，复查属实）")
    with session.updating("score adjust") as ledger:
        household = clean_text(find_household(ledger.frame(schema.HOUSEHOLDS.name), household)["户号"])
        state = period_state(ledger, month)
        if state == POSTED and not after_post:
            raise DataError(f"{month} 已入账，得分不能直接改；要更正请加 --after-post：差额以冲正 + 补记入账，"
                            "并先打印更正公示（villagectl notice month）")
        if after_post and state != POSTED:
            raise UsageError(f"{month} 还没有入账，不用 --after-post；直接调整即可")
        rules = inspection_rules(ledger)
        rule = next((r for r in rules if r.code == code.strip().upper() or r.item == code.strip()), None)
        if rule is None:
            raise UsageError(f"规则中没有检查项“{code}”；可用的编码：{'、'.join(r.code for r in rules)}")
        problem = score_problem(rule, score)
        if problem:
            raise DataError(problem)
        inspections = ledger.frame(schema.INSPECTIONS.name).copy()
        hit = (inspections["月份"].map(clean_text) == month) & (inspections["户号"].map(clean_text) == household)
        if not hit.any():
            raise DataError(f"{month} 没有户号 {household} 的检查记录")
        column = item_columns_of(inspections, rules).get(rule.code)
        if column is None:
            raise DataError(f"“检查记录”表中没有 {rule.code} {rule.item} 这一列")
        index = inspections.index[hit][0]
        try:
            old = to_number(inspections.at[index, column]) or 0.0
        except NotANumber:
            old = 0.0
        if abs(old - score) < 1e-9:
            raise DataError(f"{household} 的 {rule.item} 已经是 {fmt_number(score)} 分，无需调整")
        before = _household_result(ledger, month, household)
        inspections.at[index, column] = score
        codes = item_columns_of(inspections, rules)
        inspections.at[index, "合计"] = round(sum(to_number(inspections.at[index, c]) or 0.0 for c in codes.values()), 4)
        ledger.replace(schema.INSPECTIONS.name, inspections)
        stamp = (now or dt.datetime.now()).isoformat(sep=" ", timespec="seconds")
        operator = session.operator_for(ledger)
        record = {"月份": month, "户号": household, "编码": rule.code, "项目": rule.item, "原得分": old, "新得分": score,
                  "原因": reason.strip(), "经办人": operator, "时间": stamp}
        log = ledger.frame(schema.ADJUSTMENTS.name)
        ledger.replace(schema.ADJUSTMENTS.name, pd.concat([log, pd.DataFrame([record], dtype=object)], ignore_index=True))
        restated = None
        if state == POSTED:
            from villagectl.actions.supplement import restate_posted

            restated = restate_posted(ledger, month, {household}, f"更正：{household} {rule.item} "
                                      f"{fmt_number(old)}→{fmt_number(score)}，{reason.strip()}", now)
            outcome = None
        else:
            outcome = rescore(ledger, month, now) if state is not None else None
        after = _household_result(ledger, month, household)
        ledger.note(f"{month} {household} {rule.item} {fmt_number(old)} → {fmt_number(score)}：{reason.strip()}")
        return Adjustment(
            month, household, rule.code, rule.item, old, score,
            before[0], after[0], before[1], after[1],
            reprint_notice=bool(outcome and outcome.notice_invalidated) or state == NOTICE or bool(restated and restated.changes),
            restatement=restated,
        )


def _household_result(ledger: Ledger, month: str, household: str) -> tuple[float | None, float | None]:
    results = ledger.frame(schema.MONTHLY.name)
    if results.empty:
        return None, None
    hit = results[(results["月份"].map(clean_text) == month) & (results["户号"].map(clean_text) == household)]
    if hit.empty:
        return None, None
    try:
        return to_number(hit.iloc[0]["总分"]), to_number(hit.iloc[0]["积分"])
    except NotANumber:
        return None, None
