"""``notice month``: print the month's public notice and open the notice period."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from villagectl.rules.settings import committee_of, objection_of
from villagectl.errors import DataError, UsageError
from villagectl.actions.session import PrintOptions, Session
from villagectl.io.outputs import guard_output
from villagectl.io.staged import StagedOutputs
from villagectl import schema
from villagectl.ledger.periods import DRAFT, NOTICE, POSTED, period_state, with_period
from villagectl.actions.notice_corrections import mark_corrections
from villagectl.ledger.workbook import Ledger
from villagectl.render.notice import MonthNotice, NoticeRow, render_month_notice
from villagectl.values import NotANumber, as_text, clean_text, group_key, to_number

ORDER_NAMES = {"组别": "group", "group": "group", "名次": "rank", "rank": "rank"}


@dataclass
class NoticeResult:
    month: str
    pdf: Path
    period_start: dt.date
    period_end: dt.date
    households: int
    state_before: str
    reprint: bool
    supplement: str = ""  # a posted month's 补录/更正 notice: its 期间 row ("2026-09 补录1")
    kind: str = ""  # 补录 / 更正 / 补录和更正
    corrected: int = 0  # a reprint after score adjust (更正公示): how many households' scores were corrected

    @property
    def correction(self) -> bool:
        """The print is titled 更正公示: a reprint after score adjust, or a posted month's 更正 notice."""
        return bool(self.corrected) or "更正" in self.kind

    def as_dict(self) -> dict:
        return {
            "month": self.month,
            "pdf": str(self.pdf),
            "period_start": self.period_start.isoformat(),
            "period_end": self.period_end.isoformat(),
            "households": self.households,
            "reprint": self.reprint,
            "supplement": self.supplement or None,
            "correction": self.correction,
            "corrected": self.corrected,
        }


def _num(value: object) -> float | None:
    try:
        return to_number(value)
    except NotANumber:
        return None


def build_notice(ledger: Ledger, month: str, start: dt.date, order: str | None, mask: bool | None,
                 group: str | None = None) -> MonthNotice:
    settings = ledger.settings()
    results = ledger.frame(schema.MONTHLY.name)
    part = results[results["月份"].map(clean_text) == month] if len(results) else results
    if part.empty:
        raise DataError(f"{month} 还没有计分；请先运行 villagectl score month")
    if group:  # one group's notice, for the group's own board
        part = part[part["组别"].map(group_key) == group_key(group)]
        if part.empty:
            raise DataError(f"{month} 的计分结果里没有组别“{group}”")
    cats = [c for c in part.columns if c not in schema.MONTHLY.column_names]
    days = ledger.village_settings().notice_days
    chosen = order or settings.get("公示排序", "组别") or "组别"
    if chosen not in ORDER_NAMES:
        raise UsageError(f"排序方式“{chosen}”不认识，只能是 组别 或 名次")
    rows = []
    for r in part.to_dict("records"):
        total = _num(r.get("总分"))
        rows.append(NoticeRow(
            group=clean_text(r["组别"]),
            name=as_text(r["户主"]),
            scores=[_num(r.get(c)) for c in cats],
            total=total,
            points=_num(r.get("积分")),
            bonus=_num(r.get("奖励")),
            village_rank=int(_num(r.get("名次"))) if total is not None and _num(r.get("名次")) is not None else None,
            exposure=clean_text(r.get("曝光台")) == "是",
            missing=total is None,
            household_id=clean_text(r.get("户号")),
        ))
    village = settings.get("村名", "")
    return MonthNotice(
        village=village + (clean_text(part.iloc[0]["组别"]) if group else ""),
        month=month,
        categories=cats,
        rows=rows,
        period_start=start,
        period_end=start + dt.timedelta(days=days - 1),
        objection_text=objection_of(settings),
        committee=committee_of(settings),
        issued=start,
        order=ORDER_NAMES[chosen],
        mask_names=mask if mask is not None else settings.get("公示隐藏名字", "否") == "是",
        scope="本组" if group else "全村",
    )


def _not_yet(ledger: Ledger, month: str, group: str | None, partial: bool) -> str:
    """Households on no sheet: refuse the notice, or (``partial``) name them on a 部分公示."""
    from villagectl.actions.score_month import coverage_of
    from villagectl.scoring.coverage import describe_missing

    results = ledger.frame(schema.MONTHLY.name)
    part = results[results["月份"].map(clean_text) == month]
    coverage = coverage_of(ledger, month, part)
    if group:
        coverage = [g for g in coverage if group_key(g.group) == group_key(group)]
    short = [g for g in coverage if g.missing]
    if not short:
        return ""
    if not partial:
        names = {clean_text(h): clean_text(n) for h, n in zip(part["户号"], part["户主"])}
        raise DataError(f"{month} 还不完整：{describe_missing(coverage, names)}。公示后就要入账，缺的户会漏掉；"
                        "请先导入他们的检查表并重新计分，或加 --partial 打印部分公示（注明哪些组尚未检查）")
    return "、".join(f"{g.group or '未分组'}（{len(g.missing)}户）" for g in short)


def print_month_notice(session: Session, month: str, *, out_pdf: Path, start: dt.date | None = None,
                       order: str | None = None, mask: bool | None = None, printing: PrintOptions = PrintOptions(),
                       group: str | None = None, partial: bool = False) -> NoticeResult:
    """Print the month's notice (or a posted month's 补录/更正 notice) and open its notice period."""
    out_pdf = guard_output(out_pdf, session.path, "-o")
    if out_pdf.suffix.lower() != ".pdf":
        raise UsageError(f"输出文件应以 .pdf 结尾：{out_pdf}")
    start = start or session.day()
    with StagedOutputs() as outs:
        with session.updating("notice month") as ledger:
            result = _print(ledger, month, outs.path(out_pdf), out_pdf, start, order, mask, printing, group, partial)
        outs.publish()  # the notice appears only once the ledger has its period
    return result


def _print(ledger: Ledger, month: str, staged: Path, out_pdf: Path, start: dt.date, order: str | None,
           mask: bool | None, printing: PrintOptions, group: str | None, partial: bool) -> NoticeResult:
    state = period_state(ledger, month) or DRAFT
    if state == POSTED and not group:
        done = _print_supplement(ledger, month, staged, start, mask, printing)
        if done is not None:
            return NoticeResult(month, out_pdf, done.period_start, done.period_end, len(done.rows), state,
                                reprint=False, supplement=done.name, kind=done.kind)
    notice = build_notice(ledger, month, start, order, mask, group)
    notice.not_yet = _not_yet(ledger, month, group, partial)
    mark_corrections(notice, ledger, month)  # a reprint after score adjust: 更正公示
    templates_dir, font = printing.paths(ledger)
    render_month_notice(notice, staged, templates_dir=templates_dir, font=font)
    result = NoticeResult(month, out_pdf, notice.period_start, notice.period_end, len(notice.rows), state,
                          reprint=state == NOTICE, corrected=len({c.household_id for c in notice.corrections or []}))
    if state == POSTED:
        return result  # a reprint of a posted month changes nothing
    periods = with_period(ledger.frame(schema.PERIODS.name), month, 状态=NOTICE,
                          公示开始=notice.period_start.isoformat(), 公示截止=notice.period_end.isoformat())
    ledger.replace(schema.PERIODS.name, periods)
    results = ledger.frame(schema.MONTHLY.name).copy()
    results.loc[results["月份"].map(clean_text) == month, "状态"] = NOTICE
    ledger.replace(schema.MONTHLY.name, results)
    ledger.note(f"{month} 公示 {notice.period_start}～{notice.period_end}：{out_pdf.name}")
    return result


def _print_supplement(ledger: Ledger, month: str, pdf: Path, start: dt.date, mask: bool | None,
                      printing: PrintOptions):
    """A posted month with a late sheet or a correction waiting: print its notice, open its notice period."""
    from villagectl.actions.supplement import supplement_notice
    from villagectl.render.supplement_notice import render_supplement_notice

    notice = supplement_notice(ledger, month, start, ledger.village_settings().notice_days, mask)
    if notice is None:
        return None
    templates_dir, font = printing.paths(ledger)
    render_supplement_notice(notice, pdf, templates_dir=templates_dir, font=font)
    periods = with_period(ledger.frame(schema.PERIODS.name), notice.name, 状态=NOTICE,
                          公示开始=notice.period_start.isoformat(), 公示截止=notice.period_end.isoformat())
    ledger.replace(schema.PERIODS.name, periods)
    ledger.note(f"{notice.name} {notice.kind}公示 {notice.period_start}～{notice.period_end}：{len(notice.rows)} 户次")
    return notice
