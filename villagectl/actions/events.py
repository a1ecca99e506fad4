"""``event …``: record awards, deductions and vetoes, move them along the review path, post them."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from villagectl.rules.settings import committee_of, objection_of
from villagectl.actions.session import PrintOptions, Session
from villagectl.errors import DataError, Problem, UsageError
from villagectl.importers.events import read_event_file
from villagectl.io.outputs import guard_output
from villagectl.io.safe_write import sha256_file
from villagectl.io.staged import StagedOutputs
from villagectl.io.sandbox import read_untrusted_many, refuse_on_error
from villagectl import schema
from villagectl.ledger.events import (  # the event rules live in ledger/events.py
    APPROVED,
    DECLARED,
    FIRST_REVIEW,
    NOTICE,
    POSTED,
    REJECTED,
    REVOKED,
    EventRefused,
    append_events,
    build_event,
    event_item,
    event_note,
    ids_in_state,
    move,
)
from villagectl.ledger.households import find_household
from villagectl.ledger.journal import NewEntry, ReversalRefused, append_entries, reverse_entry
from villagectl.ledger.journal_anchor import require_intact
from villagectl.ledger.workbook import Ledger
from villagectl.values import NotANumber, as_text, clean_text, fmt_number, to_number

def operator_of(ledger: Ledger, operator: str | None) -> str:
    return (operator or ledger.settings().get("经办人", "") or "村文书").strip()


@dataclass
class EventsResult:
    ids: list[str] = field(default_factory=list)
    events: list[dict] = field(default_factory=list)
    entries: list[str] = field(default_factory=list)
    pdf: Path | None = None
    period: tuple[str, str] | None = None

    def as_dict(self) -> dict:
        return {"ids": self.ids, "events": self.events, "entries": self.entries,
                "pdf": str(self.pdf) if self.pdf else None,
                "period": list(self.period) if self.period else None}


def _rows(frame: pd.DataFrame, ids: list[str]) -> list[dict]:
    wanted = set(ids)
    out = []
    for row in frame.to_dict("records"):
        if clean_text(row["事件号"]) in wanted:
            out.append({k: (None if (isinstance(v, float) and pd.isna(v)) else v) for k, v in row.items()})
    return out


def add_event(session: Session, *, household: str, rule: str | None = None, count: float = 1,
              day: dt.date | None = None, note: str = "", member: str = "", points: float | None = None) -> EventsResult:
    """申报 one event of ``household`` on ``day`` (else the session's day)."""
    day = day or session.day()
    with session.updating("event add") as ledger:
        events = ledger.frame(schema.EVENTS.name)
        try:
            event = build_event(ledger, events, household, rule, count, day, note, member, points, "手工录入")
        except EventRefused as exc:
            raise DataError(str(exc)) from None
        frame, ids = append_events(events, [event], operator_of(ledger, session.operator))
        ledger.replace(schema.EVENTS.name, frame)
        ledger.note(f"{ids[0]} {event.name} {fmt_number(event.points)} 分（申报）")
        return EventsResult(ids, _rows(frame, ids))


def import_events(session: Session, paths: list[Path], *, dry_run: bool = False) -> tuple[EventsResult, list[Problem], list[str]]:
    """(recorded events, problems, refused file names); each file is all-or-nothing."""
    from villagectl.io.inputs import expand_paths

    files, _ = expand_paths(paths)  # a path that does not exist: exit 4
    problems: list[Problem] = []
    refused: list[str] = []
    if not files:
        raise DataError("没有找到要导入的事件表（xlsx、xls、ods）", problems)
    today = session.day()
    with session.updating("event import") as ledger:
        books = read_untrusted_many(files)
        events = ledger.frame(schema.EVENTS.name)
        recorded: list[str] = []
        inputs = []
        who = operator_of(ledger, session.operator)
        for path in files:
            book = books[path]
            if isinstance(book, DataError):
                problems.extend(book.problems)
                refused.append(path.name)
                continue
            try:
                new, file_problems = refuse_on_error(path, read_event_file, book, path.name, ledger, events, today)
            except DataError as exc:
                problems.extend(exc.problems)
                refused.append(path.name)
                continue
            problems.extend(file_problems)
            if any(p.severity == "错误" for p in file_problems):
                refused.append(path.name)
                continue
            events, ids = append_events(events, new, who)
            recorded += ids
            inputs.append((path.name, sha256_file(path)))
        result = EventsResult(recorded, _rows(events, recorded))
        if recorded and not dry_run:
            ledger.replace(schema.EVENTS.name, events)
            ledger.note(f"导入 {len(recorded)} 条事件（申报）", inputs)
        return result, problems, refused


def _select(events: pd.DataFrame, ids: list[str], all_in: str | None) -> list[str]:
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
        chosen = _select(events, ids, from_state if use_all else None)
        if check:
            check(ledger, events, chosen)
        try:
            frame = move(events, chosen, to_state, fields_of(ledger))
        except EventRefused as exc:
            raise DataError(str(exc)) from None
        ledger.replace(schema.EVENTS.name, frame)
        ledger.note(f"{len(chosen)} 条事件 → {to_state}")
        return EventsResult(chosen, _rows(frame, chosen))


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
        if force:
            return
        for row in events.to_dict("records"):
            if clean_text(row["事件号"]) in chosen and clean_text(row["状态"]) == NOTICE:
                end = clean_text(row.get("公示截止"))
                if end and today <= dt.date.fromisoformat(end):
                    raise DataError(f"{clean_text(row['事件号'])} 的公示期到 {end} 才结束，还不能审核；确需提前请加 --force")

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
        chosen = _select(events, ids or [], None)
        try:
            frame = move(events, chosen, REJECTED, fields(ledger))
        except EventRefused as exc:
            raise DataError(str(exc)) from None
        for i in frame.index[frame["事件号"].map(clean_text).isin(chosen)]:
            frame.at[i, "说明"] = f"{as_text(frame.at[i, '说明'])}（驳回：{reason.strip()}）".lstrip("（")
        ledger.replace(schema.EVENTS.name, frame)
        ledger.note(f"驳回 {len(chosen)} 条：{reason.strip()}")
        return EventsResult(chosen, _rows(frame, chosen))


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
        for r in _rows(frame, chosen)
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
    return EventsResult(chosen, _rows(frame, chosen), pdf=out_pdf, period=(start.isoformat(), end.isoformat()))


def post_events(session: Session, *, ids: list[str] | None = None, use_all: bool = False) -> EventsResult:
    """入账 on the session's day: one journal row per approved award or deduction (vetoes carry no points)."""
    today = session.day()
    with session.updating("event post") as ledger:
        require_intact(ledger)
        events = ledger.frame(schema.EVENTS.name)
        chosen = _select(events, ids or [], APPROVED if use_all else None)
        who = operator_of(ledger, session.operator)
        try:
            frame = move(events, chosen, POSTED, {})
        except EventRefused as exc:
            raise DataError(str(exc)) from None
        entries: list[NewEntry] = []
        order: list[int] = []
        for i in frame.index[frame["事件号"].map(clean_text).isin(chosen)]:
            row = frame.loc[i]
            points = to_number(row.get("积分")) or 0.0
            if clean_text(row["类型"]) == "否决" or not points:
                continue
            kind = schema.ENTRY_DEDUCTION if points < 0 else schema.ENTRY_AWARD
            count = to_number(row.get("次数")) or 1
            times = f"×{fmt_number(count)}" if count != 1 else ""
            summary = f"{event_item(row)}{times}（{clean_text(row['日期'])}）"
            if event_note(row):
                summary += f"：{event_note(row)}"
            entries.append(NewEntry(clean_text(row["户号"]), kind, points, summary[:120], clean_text(row["事件号"]),
                                    as_text(row.get("成员"))))
            order.append(i)
        journal, entry_ids = append_entries(ledger.frame(schema.JOURNAL.name), entries, today.isoformat(), who)
        for i, entry_id in zip(order, entry_ids):
            frame.at[i, "流水号"] = entry_id
        ledger.replace(schema.EVENTS.name, frame)
        ledger.replace(schema.JOURNAL.name, journal)
        ledger.note(f"入账 {len(chosen)} 条事件，{len(entry_ids)} 笔流水")
        return EventsResult(chosen, _rows(frame, chosen), entry_ids)


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
        if kind == schema.ENTRY_REDEEM:
            raise DataError(f"流水 {entry_id} 是兑换记录，请用 villagectl redeem cancel 作废兑换单")
        if kind in (schema.ENTRY_TRANSFER_OUT, schema.ENTRY_TRANSFER_IN):
            raise DataError(f"流水 {entry_id} 是积分转移，不能撤销")
        if false_claim and kind != schema.ENTRY_AWARD:
            raise DataError(f"流水 {entry_id} 不是加分记录，不适用“虚假申报加倍扣分”")
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
        if len(events) and event_id in set(events["事件号"].map(clean_text)):
            frame = events.copy()
            i = frame.index[frame["事件号"].map(clean_text) == event_id][0]
            frame.at[i, "状态"] = REVOKED
            frame.at[i, "说明"] = f"{as_text(frame.at[i, '说明'])}（撤销：{label}，冲正流水 {new_id}）"
            ledger.replace(schema.EVENTS.name, frame)
        ledger.note(f"冲正流水 {entry_id} → {new_id}：{label}")
        return EventsResult([event_id] if event_id else [], [], [new_id])


def list_events(ledger_path: Path, *, state: str | None = None, household: str | None = None) -> list[dict]:
    ledger = Ledger.open(ledger_path)
    frame = ledger.frame(schema.EVENTS.name)
    if state and state not in schema.EVENT_STATES:
        raise UsageError(f"状态“{state}”无效，应为 {'/'.join(schema.EVENT_STATES)}")
    if household:
        household = clean_text(find_household(ledger.frame(schema.HOUSEHOLDS.name), household)["户号"])
    rows = []
    for row in frame.to_dict("records"):
        if state and clean_text(row["状态"]) != state:
            continue
        if household and clean_text(row["户号"]) != household:
            continue
        rows.append({k: as_text(v) if not isinstance(v, (int, float)) else v for k, v in row.items()})
    return rows


