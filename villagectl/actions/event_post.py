"""``event post`` / ``event revoke``: post approved events to the journal (入账) and undo a posted entry
by a reversal (撤销; a false claim is deducted twice its value, 篇2)."""

from __future__ import annotations

from villagectl.actions.event_review import select_events
from villagectl.actions.events import EventsResult, event_rows, operator_of
from villagectl.actions.session import Session
from villagectl.errors import DataError, UsageError
from villagectl import schema
from villagectl.ledger.events import APPROVED, POSTED, EventRefused, mark_revoked, move, posting_entries, revoke_refusal
from villagectl.ledger.journal import ReversalRefused, append_entries, reverse_entry
from villagectl.ledger.journal_anchor import require_intact
from villagectl.values import NotANumber, clean_text, fmt_number, to_number

def post_events(session: Session, *, ids: list[str] | None = None, use_all: bool = False) -> EventsResult:
    """入账 on the session's day: one journal row per approved award or deduction (vetoes carry no points)."""
    today = session.day()
    with session.updating("event post") as ledger:
        require_intact(ledger)
        events = ledger.frame(schema.EVENTS.name)
        chosen = select_events(events, ids or [], APPROVED if use_all else None)
        who = operator_of(ledger, session.operator)
        try:
            frame = move(events, chosen, POSTED, {})
        except EventRefused as exc:
            raise DataError(str(exc)) from None
        posted = posting_entries(frame, chosen)
        order = [i for i, _ in posted]
        entries = [entry for _, entry in posted]
        journal, entry_ids = append_entries(ledger.frame(schema.JOURNAL.name), entries, today.isoformat(), who)
        for i, entry_id in zip(order, entry_ids):
            frame.at[i, "流水号"] = entry_id
        ledger.replace(schema.EVENTS.name, frame)
        ledger.replace(schema.JOURNAL.name, journal)
        ledger.note(f"入账 {len(chosen)} 条事件，{len(entry_ids)} 笔流水")
        return EventsResult(chosen, event_rows(frame, chosen), entry_ids)


def revoke_entry(session: Session, *, entry_id: str, reason: str, false_claim: bool = False) -> EventsResult:
    """A reversal (on the session's day) of a posted entry; a false claim is deducted twice its value (篇2)."""
    if not reason.strip():
        raise UsageError("请用 --reason 写明撤销原因")
    today = session.day()
    with session.updating("event revoke") as ledger:
        require_intact(ledger)
        journal = ledger.frame(schema.JOURNAL.name)
        entry_id = clean_text(entry_id)
        hit = journal[journal["流水号"].map(clean_text) == entry_id]
        if hit.empty:
            raise DataError(f"积分流水中没有流水号 {entry_id}")
        kind = clean_text(hit.iloc[0]["类型"])
        refusal = revoke_refusal(entry_id, kind, false_claim)
        if refusal:
            raise DataError(refusal)
        try:
            factor = to_number(ledger.settings().get("虚假申报扣分倍数", "2")) or 2.0
        except NotANumber:
            factor = 2.0
        label = f"虚假申报，按 {fmt_number(factor)} 倍扣回：{reason.strip()}" if false_claim else reason.strip()
        try:
            journal, new_id = reverse_entry(journal, entry_id, label, today.isoformat(), operator_of(ledger, session.operator),
                                            factor=factor if false_claim else 1.0)
        except ReversalRefused as exc:
            raise DataError(str(exc)) from None
        ledger.replace(schema.JOURNAL.name, journal)
        events = ledger.frame(schema.EVENTS.name)
        event_id = clean_text(hit.iloc[0]["关联"])
        frame = mark_revoked(events, event_id, label, new_id)
        if frame is not None:
            ledger.replace(schema.EVENTS.name, frame)
        ledger.note(f"冲正流水 {entry_id} → {new_id}：{label}")
        return EventsResult([event_id] if event_id else [], [], [new_id])
