"""``event review`` / ``event approve`` / ``event reject``: move events along the review path
(申报 → 初审 → 公示 → 审核; any of them → 驳回). The path and its rules: ledger/events.py."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from villagectl.actions.events import EventsResult, event_rows, operator_of
from villagectl.actions.session import Session
from villagectl.errors import DataError, UsageError
from villagectl import schema
from villagectl.ledger.events import (
    APPROVED,
    DECLARED,
    FIRST_REVIEW,
    NOTICE,
    REJECTED,
    EventRefused,
    ids_in_state,
    mark_rejected,
    move,
    notice_still_running,
)
from villagectl.values import clean_text

def select_events(events: pd.DataFrame, ids: list[str], all_in: str | None) -> list[str]:
    """The event ids named by --id, or (--all) every event in state ``all_in``."""
    if ids and all_in:
        raise UsageError("请只用 --id 或 --all 中的一个")
    if all_in:
        chosen = ids_in_state(events, all_in)
        if not chosen:
            raise DataError(f"没有状态为“{all_in}”的事件")
        return chosen
    if not ids:
        raise UsageError("请用 --id 指定事件号（可重复），或用 --all 处理全部")
    return [clean_text(i).upper() for i in ids]


def _advance(session: Session, ids, use_all, to_state, fields_of, command, check=None) -> EventsResult:
    with session.updating(command) as ledger:
        events = ledger.frame(schema.EVENTS.name)
        from_state = {FIRST_REVIEW: DECLARED, NOTICE: FIRST_REVIEW, APPROVED: NOTICE}.get(to_state)
        chosen = select_events(events, ids, from_state if use_all else None)
        if check:
            check(ledger, events, chosen)
        try:
            frame = move(events, chosen, to_state, fields_of(ledger))
        except EventRefused as exc:
            raise DataError(str(exc)) from None
        ledger.replace(schema.EVENTS.name, frame)
        ledger.note(f"{len(chosen)} 条事件 → {to_state}")
        return EventsResult(chosen, event_rows(frame, chosen))


def review_events(session: Session, *, ids: list[str] | None = None, use_all: bool = False, reviewer: str,
                  now: dt.datetime) -> EventsResult:
    """初审 by the grid worker."""
    if not reviewer.strip():
        raise UsageError("请用 --by 写明初审人（网格员）")
    stamp = now.isoformat(sep=" ", timespec="seconds")
    return _advance(session, ids or [], use_all, FIRST_REVIEW,
                    lambda _l: {"初审人": reviewer.strip(), "初审时间": stamp}, "event review")


def approve_events(session: Session, *, ids: list[str] | None = None, use_all: bool = False, approver: str,
                   now: dt.datetime, force: bool = False) -> EventsResult:
    """审核 by a cadre, after the notice period."""
    if not approver.strip():
        raise UsageError("请用 --by 写明审核人（村干部）")
    today = now.date()

    def after_notice(ledger, events, chosen):
        refusal = None if force else notice_still_running(events, chosen, today)
        if refusal:
            raise DataError(refusal)

    stamp = now.isoformat(sep=" ", timespec="seconds")
    return _advance(session, ids or [], use_all, APPROVED,
                    lambda _l: {"审核人": approver.strip(), "审核时间": stamp}, "event approve", after_notice)


def reject_events(session: Session, *, ids: list[str] | None = None, reason: str, who: str = "",
                  now: dt.datetime) -> EventsResult:
    if not reason.strip():
        raise UsageError("请用 --reason 写明驳回原因")
    stamp = now.isoformat(sep=" ", timespec="seconds")

    def fields(ledger):
        return {"审核人": who.strip() or operator_of(ledger, None), "审核时间": stamp}

    with session.updating("event reject") as ledger:
        events = ledger.frame(schema.EVENTS.name)
        chosen = select_events(events, ids or [], None)
        try:
            frame = move(events, chosen, REJECTED, fields(ledger))
        except EventRefused as exc:
            raise DataError(str(exc)) from None
        frame = mark_rejected(frame, chosen, reason.strip())
        ledger.replace(schema.EVENTS.name, frame)
        ledger.note(f"驳回 {len(chosen)} 条：{reason.strip()}")
        return EventsResult(chosen, event_rows(frame, chosen))
