"""``event notice``: print the events under public review and open their notice period (公示)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from villagectl.actions.events import EventsResult, event_rows
from villagectl.actions.session import PrintOptions, Session
from villagectl.errors import DataError
from villagectl.io.outputs import guard_output
from villagectl.io.staged import StagedOutputs
from villagectl import schema
from villagectl.ledger.events import FIRST_REVIEW, NOTICE, EventRefused, event_note, ids_in_state, move
from villagectl.ledger.workbook import Ledger
from villagectl.rules.settings import committee_of, objection_of
from villagectl.values import as_text, clean_text, to_number

def notice_events(session: Session, *, out_pdf: Path, start: dt.date | None = None, ids: list[str] | None = None,
                  mask: bool | None = None, printing: PrintOptions = PrintOptions()) -> EventsResult:
    """Print the events under public review (all 初审 ones, or the given ids) and open their notice period."""
    out_pdf = guard_output(out_pdf, session.path, "-o")
    start = start or session.day()
    with StagedOutputs() as outs:
        with session.updating("event notice") as ledger:
            result = _notice(ledger, outs.path(out_pdf), out_pdf, start, ids, mask, printing)
        outs.publish()  # the notice appears only once the ledger has the events in their notice period
    return result


def _notice(ledger: Ledger, staged: Path, out_pdf: Path, start: dt.date, ids: list[str] | None, mask: bool | None,
            printing: PrintOptions) -> EventsResult:
    from villagectl.render.events_notice import EventNotice, EventNoticeRow, render_events_notice

    events = ledger.frame(schema.EVENTS.name)
    chosen = [clean_text(i).upper() for i in ids] if ids else ids_in_state(events, FIRST_REVIEW)
    if not chosen:
        raise DataError("没有待公示的事件（状态为“初审”的事件）；请先运行 villagectl event review")
    settings = ledger.settings()
    end = start + dt.timedelta(days=ledger.village_settings().notice_days - 1)
    try:
        frame = move(events, chosen, NOTICE, {"公示开始": start.isoformat(), "公示截止": end.isoformat()})
    except EventRefused as exc:
        raise DataError(str(exc)) from None
    households = ledger.frame(schema.HOUSEHOLDS.name)
    group_of = {clean_text(h): clean_text(g) for h, g in zip(households["户号"], households["组别"])}
    rows = [
        EventNoticeRow(
            event_id=clean_text(r["事件号"]), date=clean_text(r["日期"]), group=group_of.get(clean_text(r["户号"]), ""),
            name=as_text(r["户主"]), member=as_text(r.get("成员")), item=as_text(r["项目"]),
            kind=clean_text(r["类型"]), count=to_number(r.get("次数")) or 1, points=to_number(r.get("积分")) or 0.0,
            note=event_note(r),
        )
        for r in event_rows(frame, chosen)
    ]
    village = settings.get("村名", "")
    notice = EventNotice(
        village=village, rows=rows, period_start=start, period_end=end,
        objection_text=objection_of(settings),
        committee=committee_of(settings), issued=start,
        mask_names=mask if mask is not None else settings.get("公示隐藏名字", "否") == "是",
    )
    templates_dir, font = printing.paths(ledger)
    render_events_notice(notice, staged, templates_dir=templates_dir, font=font)
    ledger.replace(schema.EVENTS.name, frame)
    ledger.note(f"公示 {len(chosen)} 条事件 {start}～{end}：{out_pdf.name}")
    return EventsResult(chosen, event_rows(frame, chosen), pdf=out_pdf, period=(start.isoformat(), end.isoformat()))
