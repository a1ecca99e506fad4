"""``notice quarter`` / ``post quarter``: the base-140 scheme's quarterly 日常积分 (seed 001 篇4).

The quarterly items (周期 季: 环境整治, 文明新风) are inspected by the 评议小组 once a
quarter and imported with ``inspect import`` under the month of the inspection. A
quarter's results are the 检查记录 rows of its three months: per household the
latest row with a quarterly score; a row left blank is "not inspected" (the year
then takes the other quarters' mean, or the base, as 季度合并方式 says).

``notice quarter`` prints them (公示三天, A4 PDF through the month notice's render
path) and opens the quarter's 期间 row ('2026年第一季度', 状态 公示); ``post quarter``
records the quarter as 入账 once the notice period is over — without journal points:
this scheme's points are the year's (``score year`` → ``post year``). The quarter's rows
themselves (pure): scoring/quarter.py.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from villagectl.rules.settings import committee_of, objection_of
from villagectl.ledger.inspections import inspection_rules
from villagectl.actions.session import PrintOptions, Session
from villagectl.errors import DataError, UsageError
from villagectl.io.outputs import guard_output
from villagectl.io.staged import StagedOutputs
from villagectl import schema
from villagectl.ledger.periods import DRAFT, NOTICE, POSTED, period_row, with_period, notice_end
from villagectl.ledger.quarters import quarter_period
from villagectl.ledger.workbook import Ledger
from villagectl.render.notice import NoticeRow
from villagectl.render.quarter_notice import QuarterNotice, QuarterReview, render_quarter_notice
from villagectl.scoring.quarter import QuarterResults, blank_rule, posted_changes, quarter_results_of, quarterly_rules
from villagectl.values import clean_text, fmt_number


def quarter_results(ledger: Ledger, year: int, quarter: int) -> QuarterResults:
    """Per active household (and any household scored in the quarter): its quarterly item scores."""
    return quarter_results_of(quarterly_rules(inspection_rules(ledger)), year, quarter,
                              ledger.frame(schema.INSPECTIONS.name), ledger.frame(schema.HOUSEHOLDS.name))


@dataclass
class QuarterNoticeResult:
    period: str
    pdf: Path
    period_start: dt.date
    period_end: dt.date
    households: int
    inspected: int
    state_before: str
    reprint: bool

    def as_dict(self) -> dict:
        return {"period": self.period, "pdf": str(self.pdf), "period_start": self.period_start.isoformat(),
                "period_end": self.period_end.isoformat(), "households": self.households,
                "inspected": self.inspected, "state_before": self.state_before, "reprint": self.reprint}


def build_quarter_notice(ledger: Ledger, results: QuarterResults, start: dt.date, mask: bool | None,
                         not_yet: str = "") -> QuarterNotice:

    settings = ledger.settings()
    days = ledger.village_settings().notice_days
    codes = [r.code for r in results.rules]
    rows = [NoticeRow(group=h.group, name=h.name, scores=[h.scores.get(c) for c in codes], total=h.total,
                      points=None, missing=not h.inspected) for h in results.households]
    village = settings.get("村名", "")
    return QuarterNotice(
        village=village,
        label=results.label,
        items=[f"{r.item}（{fmt_number(r.points)}分）" for r in results.rules],
        rows=rows,
        period_start=start,
        period_end=start + dt.timedelta(days=days - 1),
        objection_text=objection_of(settings),
        committee=committee_of(settings),
        issued=start,
        blank_rule=blank_rule(settings, results.rules),
        reviews=[QuarterReview(*r) for r in results.reviews],
        mask_names=mask if mask is not None else settings.get("公示隐藏名字", "否") == "是",
        not_yet=not_yet,
    )


def print_quarter_notice(session: Session, year: int, quarter: int, *, out_pdf: Path, start: dt.date | None = None,
                         mask: bool | None = None, printing: PrintOptions = PrintOptions(),
                         partial: bool = False) -> QuarterNoticeResult:
    """Print the quarter's notice and open its notice period (a posted quarter: a reprint, nothing changes)."""
    out_pdf = guard_output(out_pdf, session.path, "-o")
    if out_pdf.suffix.lower() != ".pdf":
        raise UsageError(f"输出文件应以 .pdf 结尾：{out_pdf}")
    start = start or session.day()
    with StagedOutputs() as outs:
        with session.updating("notice quarter") as ledger:
            result = _print_quarter(ledger, year, quarter, out_pdf, outs.path(out_pdf), start, mask, printing, partial)
        outs.publish()  # the notice appears only once the ledger has its period
    return result


def _print_quarter(ledger: Ledger, year: int, quarter: int, out_pdf: Path, staged: Path, start: dt.date,
                   mask: bool | None, printing: PrintOptions, partial: bool) -> QuarterNoticeResult:
    ledger.require(schema.HOUSEHOLDS.name, schema.RULES.name)
    results = quarter_results(ledger, year, quarter)
    label = results.label
    row = period_row(ledger, label)
    state = (clean_text(row["状态"]) if row is not None else "") or DRAFT
    unlisted = results.unlisted_by_group()
    not_yet = ""
    if unlisted:
        groups = "、".join(f"{g or '未分组'}（{n}户）" for g, n in unlisted.items())
        if not partial:
            raise DataError(f"{label}还不完整：{groups}不在任何评分表上（整组的表未交或被拒绝？）",
                            hint="导入这些户的评分表（表中留空的户算“本季度未检查”，不算缺），"
                                 "或加 --partial 打印部分公示（注明哪些组尚未评议）")
        not_yet = groups
    notice = build_quarter_notice(ledger, results, start, mask, not_yet)
    templates_dir, font = printing.paths(ledger)
    render_quarter_notice(notice, staged, templates_dir=templates_dir, font=font)
    result = QuarterNoticeResult(label, out_pdf, notice.period_start, notice.period_end, len(notice.rows),
                                 sum(1 for h in results.households if h.inspected), state, reprint=state == NOTICE)
    if state == POSTED:
        return result  # a reprint of a posted quarter changes nothing
    ledger.replace(schema.PERIODS.name, with_period(
        ledger.frame(schema.PERIODS.name), label, 状态=NOTICE, 公示开始=notice.period_start.isoformat(),
        公示截止=notice.period_end.isoformat(), 计分时间=dt.datetime.now().isoformat(sep=" ", timespec="seconds")))
    ledger.note(f"{label} 公示 {notice.period_start}～{notice.period_end}：{out_pdf.name}")
    return result


@dataclass
class QuarterPostResult:
    period: str
    households: int  # inspected this quarter
    already: bool = False

    def as_dict(self) -> dict:
        return {"period": self.period, "households": self.households, "already": self.already, "points": 0}


def post_quarter(session: Session, year: int, quarter: int, *, force: bool = False,
                 reason: str = "") -> QuarterPostResult:
    """Record the quarter as 入账 on the session's day, after its notice period; no journal rows (the points
    are the year's)."""
    if force and not reason.strip():
        raise UsageError("使用 --force 时必须用 --reason 写明原因")
    today = session.day()
    with session.updating("post quarter") as ledger:
        results = quarter_results(ledger, year, quarter)
        label = results.label
        inspected = sum(1 for h in results.households if h.inspected)
        row = period_row(ledger, label)
        state = clean_text(row["状态"]) if row is not None else ""
        if state == POSTED:
            return QuarterPostResult(label, inspected, already=True)
        end = clean_text(row["公示截止"]) if row is not None and state == NOTICE else ""
        if not force:
            if not end:
                raise DataError(f"{label}还没有公示；请先打印公示（villagectl notice quarter），期满后再入账，"
                                "或用 --force --reason 说明原因")
            if today <= notice_end(ledger, row):
                raise DataError(f"{label}的公示期到 {end} 才结束，{today.isoformat()} 还不能入账；确需提前请用 --force --reason")
        who = session.operator or ledger.settings().get("经办人", "") or ""
        note = "季度结果入账（不记积分：基础分方案的积分在年度评定时计算）"
        if force:
            note += f"；提前入账：{reason.strip()}"
        ledger.replace(schema.PERIODS.name, with_period(ledger.frame(schema.PERIODS.name), label, 状态=POSTED,
                                                        入账日期=today.isoformat(), 经办人=who, 说明=note))
        ledger.note(f"{label} 入账（{inspected} 户已评议，不记积分）")
        return QuarterPostResult(label, inspected)


def posted_quarter_problems(ledger: Ledger, month: str, rows, file: str) -> list:
    """``inspect import`` into a month whose quarter is posted (``post quarter``): a household's quarterly
    scores of that quarter no longer change (错误); a household without any yet comes in as a 补查 (提醒:
    reprint the quarter's notice). Sheets with only the annual items (the year-end review) pass."""
    from villagectl.ledger.quarters import quarter_of

    if not month or len(month) != 7:
        return []
    year, q = quarter_of(month)
    label = quarter_period(year, q)
    row = period_row(ledger, label)
    if row is None or clean_text(row["状态"]) != POSTED:
        return []
    return posted_changes(quarter_results(ledger, year, q), rows, file)
