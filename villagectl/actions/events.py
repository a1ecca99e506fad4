"""``event add`` / ``event import`` / ``event list``: record awards, deductions and vetoes (申报).

The review path is in event_review.py (初审, 审核, 驳回), the notice in event_notice.py (公示), posting and
revoking in event_post.py (入账, 撤销); the event rules themselves in ledger/events.py.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from villagectl.actions.session import Session
from villagectl.errors import DataError, Problem, UsageError
from villagectl.importers.events import read_event_file
from villagectl.io.safe_write import sha256_file
from villagectl.io.sandbox import read_untrusted_many, refuse_on_error
from villagectl import schema
from villagectl.ledger.events import EventRefused, append_events, build_event
from villagectl.ledger.households import find_household
from villagectl.ledger.workbook import Ledger
from villagectl.values import as_text, clean_text, fmt_number

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


def event_rows(frame: pd.DataFrame, ids: list[str]) -> list[dict]:
    """The rows of these events, as dicts (blank cells None), in the sheet's order."""
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
        return EventsResult(ids, event_rows(frame, ids))


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
        result = EventsResult(recorded, event_rows(events, recorded))
        if recorded and not dry_run:
            ledger.replace(schema.EVENTS.name, events)
            ledger.note(f"导入 {len(recorded)} 条事件（申报）", inputs)
        return result, problems, refused



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
