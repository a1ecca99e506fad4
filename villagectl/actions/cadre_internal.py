"""The internal results sheet of ``notice cadre --internal`` (for the town office, never posted).

It gets everything on the public notice plus deductions, votes, flags, reasons and pay — but no phone numbers.
"""

from __future__ import annotations

import datetime as dt

from villagectl.actions.cadre_rows import printed_settings, result_rows, sections
from villagectl.ledger.cadre_results import flags_of, number, whole
from villagectl.ledger.periods import rows_state
from villagectl.ledger.workbook import Ledger
from villagectl.render.cadre import CadreInternal, InternalRow
from villagectl.rules.settings import committee_of
from villagectl.scoring.cadre import CadreSettings
from villagectl.values import as_text


def internal_row(r: dict) -> InternalRow:
    note = as_text(r.get("备注"))
    return InternalRow(
        rank=whole(r.get("名次")),
        person_id=as_text(r.get("编号")),
        name=as_text(r.get("姓名")),
        post=as_text(r.get("职务")),
        scorecard=number(r.get("指标得分")),
        deductions=number(r.get("负面扣分")),
        democratic=number(r.get("民主评议")),
        score=number(r.get("综合得分")),
        grade=as_text(r.get("等次")),
        votes_cast=whole(r.get("投票数")),
        unfit_votes=whole(r.get("不称职票")),
        flags=flags_of(r.get("标记")),
        pay=number(r.get("考核报酬")),
        reasons=[x.strip() for x in note.split("；") if x.strip()] if note else [],
    )


def build_cadre_internal(ledger: Ledger, year: int, period: str, issued: dt.date) -> CadreInternal:
    """The internal sheet's data: everything on the notice plus deductions, votes, flags, reasons and pay."""
    settings = printed_settings(ledger)
    rows = result_rows(ledger, year, period)
    s = CadreSettings.from_settings(ledger.settings())
    return CadreInternal(
        village=settings.get("村名", ""),
        year=year,
        period=period,
        sections=sections(rows, internal_row),
        weight=s.weight,
        base_pay=s.base_pay,
        pay_factors=dict(s.pay_factors),
        state=rows_state(rows),
        committee=committee_of(settings),
        issued=issued,
    )
