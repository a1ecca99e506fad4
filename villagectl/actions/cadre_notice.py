"""``notice cadre``: the public notice of the 干部考核 results for the board (and, with ``internal_pdf``,
the internal results sheet for the town office: actions/cadre_internal.py).

Printing the public notice opens the notice period, the same bookkeeping ``notice month`` does for a
month: the 期间 sheet gets (or updates) the row ``"2026年度干部考核"`` (``"2026年上半年干部考核"`` …) with
状态 公示, 公示开始 and 公示截止, and the period's 干部考核 rows get 状态 公示. A reprint of rows already
入账 changes nothing in the ledger. The public notice never gets pay, flags, vote counts, deductions,
备注 or phone numbers (see villagectl.render.cadre).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from villagectl import schema
from villagectl.actions.cadre import period_name
from villagectl.actions.cadre_internal import build_cadre_internal
from villagectl.actions.cadre_rows import (
    check_output_paths,
    notice_period_name,
    printed_settings,
    result_rows,
    sections,
)
from villagectl.actions.session import PrintOptions, Session
from villagectl.io.outputs import guard_output
from villagectl.io.staged import StagedOutputs
from villagectl.ledger.cadre_results import flagged_count, number, pay_total, period_mask, whole
from villagectl.ledger.periods import NOTICE, POSTED, rows_state, with_period
from villagectl.ledger.workbook import Ledger
from villagectl.render.cadre import (
    GRADES,
    CadreNotice,
    PublicRow,
    grade_counts,
    period_label,
    render_cadre_internal,
    render_cadre_notice,
)
from villagectl.rules.settings import committee_of, objection_of
from villagectl.scoring.cadre import CadreSettings
from villagectl.values import as_text, clean_text

DEFAULT_OBJECTION = "如对公示内容有异议，请在公示期内向村务监督委员会或村党组织反映。"


def public_row(r: dict) -> PublicRow:
    return PublicRow(
        rank=whole(r.get("名次")),
        name=as_text(r.get("姓名")),
        post=as_text(r.get("职务")),
        scorecard=number(r.get("指标得分")),
        democratic=number(r.get("民主评议")),
        score=number(r.get("综合得分")),
        grade=as_text(r.get("等次")),
    )


def build_cadre_notice(ledger: Ledger, year: int, period: str, start: dt.date) -> CadreNotice:
    """The public notice's printable data (``period`` is 全年 / 上半年 / 下半年)."""
    settings = printed_settings(ledger)
    rows = result_rows(ledger, year, period)
    days = ledger.village_settings().notice_days
    return CadreNotice(
        village=settings.get("村名", ""),
        year=year,
        period=period,
        sections=sections(rows, public_row),
        weight=CadreSettings.from_settings(ledger.settings()).weight,
        period_start=start,
        period_end=start + dt.timedelta(days=days - 1),
        objection_text=objection_of(settings, DEFAULT_OBJECTION),
        committee=committee_of(settings),
        issued=start,
    )


@dataclass
class CadreNoticeResult:
    year: int
    period: str
    pdf: Path
    internal_pdf: Path | None
    period_start: dt.date
    period_end: dt.date
    counts: dict[str, int]  # per 类别
    grades: dict[str, int]
    flagged: int  # people with 组织调整 / 停职教育 / 退出 (shown on the internal sheet only)
    pay_total: float | None  # only when the internal sheet was printed
    state_before: str
    reprint: bool
    recorded: bool  # the 期间 row was written (False for a reprint of posted results)

    def as_dict(self) -> dict:
        return {
            "year": self.year,
            "period": self.period,
            "notice_period": notice_period_name(self.year, self.period),
            "pdf": str(self.pdf),
            "internal_pdf": str(self.internal_pdf) if self.internal_pdf else None,
            "period_start": self.period_start.isoformat(),
            "period_end": self.period_end.isoformat(),
            "counts": self.counts,
            "grades": self.grades,
            "flagged": self.flagged,
            "pay_total": self.pay_total,
            "state_before": self.state_before,
            "reprint": self.reprint,
            "recorded": self.recorded,
        }


def print_cadre_notice(session: Session, year: int, *, period: str | None = None, out_pdf: Path,
                       start: dt.date | None = None, internal_pdf: Path | None = None,
                       printing: PrintOptions = PrintOptions()) -> CadreNoticeResult:
    """Print the public notice (and the internal sheet) and open the notice period of the results."""
    out_pdf = guard_output(out_pdf, session.path, "-o")
    internal_pdf = guard_output(internal_pdf, session.path, "--internal") if internal_pdf is not None else None
    check_output_paths(out_pdf, internal_pdf)
    name = period_name(period)
    start = start or session.day()
    with StagedOutputs() as outs:
        with session.updating("notice cadre") as ledger:
            result = _print_cadre(ledger, year, name, start, out_pdf, internal_pdf, outs, printing)
        outs.publish()  # the documents appear only once the ledger has the notice period
    return result


def _print_cadre(ledger: Ledger, year: int, name: str, start: dt.date, out_pdf: Path, internal_pdf: Path | None,
                 outs: StagedOutputs, printing: PrintOptions) -> CadreNoticeResult:
    ledger.require(schema.SETTINGS.name)
    notice = build_cadre_notice(ledger, year, name, start)
    internal = build_cadre_internal(ledger, year, name, start) if internal_pdf is not None else None
    if internal is not None and internal.state != POSTED:
        internal.state = NOTICE  # printing the notice puts the results into their notice period
    settings = ledger.settings()
    templates_dir, font = printing.paths(ledger)
    render_cadre_notice(notice, outs.path(out_pdf), templates_dir=templates_dir, font=font)
    if internal is not None:
        render_cadre_internal(internal, outs.path(internal_pdf), templates_dir=templates_dir, font=font)
    rows = result_rows(ledger, year, name)
    state = rows_state(rows)
    result = CadreNoticeResult(
        year, name, out_pdf, internal_pdf, notice.period_start, notice.period_end,
        counts={s.kind: len(s.rows) for s in notice.sections},
        grades={**{g: 0 for g in GRADES}, **{g["grade"]: g["count"] for g in grade_counts([clean_text(x) for x in rows["等次"]])}},
        flagged=flagged_count(rows), pay_total=pay_total(rows) if internal is not None else None,
        state_before=state, reprint=state == NOTICE, recorded=False,
    )
    if state == POSTED:
        return result  # a reprint of posted results changes nothing
    periods = with_period(ledger.frame(schema.PERIODS.name), notice_period_name(year, name), 状态=NOTICE,
                          公示开始=notice.period_start.isoformat(), 公示截止=notice.period_end.isoformat(),
                          经办人=settings.get("经办人", ""),
                          说明=f"村干部和村民代表考核结果公示（{len(rows)} 人）：{out_pdf.name}")
    ledger.replace(schema.PERIODS.name, periods)
    results = ledger.frame(schema.CADRE_RESULTS.name).copy()
    results.loc[period_mask(results, year, name), "状态"] = NOTICE
    ledger.replace(schema.CADRE_RESULTS.name, results)
    ledger.note(f"{period_label(year, name)}干部考核结果公示 {notice.period_start}～{notice.period_end}：{out_pdf.name}")
    result.recorded = True
    return result
