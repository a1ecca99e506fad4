"""The append-only points journal (积分流水). Pure functions over DataFrames.

Each row's 校验 value chains to the previous row's, so a posted row edited
by hand is found by ``verify_journal``. Balances derive from the rows;
corrections are reversal rows (冲正) referencing the original.
"""

from __future__ import annotations

import hashlib
import unicodedata
from dataclasses import dataclass, field, fields
from typing import TYPE_CHECKING, Iterable, Mapping, Sequence

if TYPE_CHECKING:  # pragma: no cover - pandas is imported where a frame is made (the roll-up's workers never do)
    import pandas as pd

from villagectl.collector import gc_paused
from villagectl import schema
from villagectl.table import Table
from villagectl.values import NotANumber, _clean_str, as_text, clean_text, fmt_number, to_number

COLUMNS = schema.JOURNAL.column_names
GENESIS = "villagectl-journal-v1"
ID_WIDTH = 6


@dataclass(frozen=True)
class NewEntry:
    household_id: str
    type: str
    points: float
    summary: str  # copies the rule's name as it was when posted
    reference: str = ""
    member: str = ""


@dataclass(frozen=True)
class JournalIssue:
    row: int  # position in the frame
    column: str
    message: str


def empty_journal() -> pd.DataFrame:
    import pandas as pd

    return pd.DataFrame(columns=COLUMNS, dtype=object)


def _canonical(row: dict | pd.Series) -> str:
    parts = [
        clean_text(row.get("流水号", "")),
        clean_text(row.get("日期", "")),
        clean_text(row.get("户号", "")),
        clean_text(row.get("成员", "")),
        clean_text(row.get("类型", "")),
        _num_text(row.get("积分", "")),
        _num_text(row.get("余额", "")),
        clean_text(row.get("摘要", "")),
        clean_text(row.get("关联", "")),
        clean_text(row.get("经办人", "")),
    ]
    return "\x1f".join(parts)


def _num_text(value: object) -> str:
    try:
        number = to_number(value)
    except NotANumber:
        return clean_text(value)
    return fmt_number(round(number, 4)) if number is not None else ""


def check_value(previous: str, row: dict | pd.Series) -> str:
    digest = hashlib.sha256((previous + "\x1e" + _canonical(row)).encode("utf-8")).hexdigest()
    return digest[:16]


_TEXT_FIELDS = ("流水号", "日期", "户号", "成员", "类型")
_TAIL_FIELDS = ("摘要", "关联", "经办人")


def _column(frame: "pd.DataFrame | Table", name: str) -> list:
    """A column's cells as a list; a missing column reads as "" in every row (as ``row.get(name, "")``)."""
    if isinstance(frame, Table):
        return frame.column(name)
    return frame[name].tolist() if name in frame.columns else [""] * len(frame)


def _num_texts(values: list) -> list[str]:
    """``[_num_text(v) for v in values]``, each distinct value once (0.0 and -0.0 both give "0")."""
    if set(map(type, values)) <= _PLAIN_CELLS:
        memo = {v: _num_text(v) for v in set(values)}
        return list(map(memo.__getitem__, values))
    return [_num_text(v) for v in values]


def _cleaned_columns(journal: pd.DataFrame) -> dict[str, list[str]]:
    """clean_text of every cell of the text columns the chain and the checks read."""
    return {c: _texts(_column(journal, c)) for c in (*_TEXT_FIELDS, *_TAIL_FIELDS, "校验")}


def canonical_rows(journal: pd.DataFrame, cleaned: dict[str, list[str]] | None = None) -> list[str]:
    """``_canonical`` of every row of ``journal``, column by column (the same bytes, much faster).

    ``cleaned``: ``_cleaned_columns(journal)`` when the caller has it already."""
    cleaned = cleaned or _cleaned_columns(journal)
    numbers = [_num_texts(_column(journal, c)) for c in ("积分", "余额")]
    return list(map("\x1f".join, zip(*(cleaned[c] for c in _TEXT_FIELDS), *numbers,
                                      *(cleaned[c] for c in _TAIL_FIELDS))))


def _next_id(journal: pd.DataFrame) -> int:
    best = 0
    for value in journal.get("流水号", []):
        text = clean_text(value)
        if text.isdigit():
            best = max(best, int(text))
    return best + 1


def current_balances(journal: pd.DataFrame) -> dict[str, float]:
    return {h: t.balance for h, t in account_totals(classify(journal)).items()}


def append_entries(
    journal: pd.DataFrame, entries: list[NewEntry], date: str, operator: str
) -> tuple[pd.DataFrame, list[str]]:
    """Return the journal with the entries appended, and their 流水号."""
    import pandas as pd

    balances = current_balances(journal)
    previous = clean_text(journal["校验"].iloc[-1]) if len(journal) else GENESIS
    next_id = _next_id(journal)
    rows: list[dict] = []
    ids: list[str] = []
    for entry in entries:
        if entry.type not in schema.ENTRY_TYPES:
            raise ValueError(f"unknown entry type {entry.type}")
        entry_id = str(next_id).zfill(ID_WIDTH)
        next_id += 1
        balance = round(balances.get(entry.household_id, 0.0) + entry.points, 4)
        balances[entry.household_id] = balance
        row = {
            "流水号": entry_id,
            "日期": date,
            "户号": entry.household_id,
            "成员": entry.member,
            "类型": entry.type,
            "积分": entry.points,
            "余额": balance,
            "摘要": entry.summary,
            "关联": entry.reference,
            "经办人": operator,
        }
        row["校验"] = check_value(previous, row)
        previous = row["校验"]
        rows.append(row)
        ids.append(entry_id)
    added = pd.DataFrame(rows, columns=COLUMNS, dtype=object)
    if len(journal) == 0:
        return added, ids
    extra = [c for c in journal.columns if c not in COLUMNS]
    for col in extra:
        added[col] = ""
    return pd.concat([journal, added[list(journal.columns)]], ignore_index=True), ids


class ReversalRefused(ValueError):
    pass


def reverse_entry(
    journal: pd.DataFrame, entry_id: str, reason: str, date: str, operator: str, factor: float = 1.0
) -> tuple[pd.DataFrame, str]:
    """Append a 冲正 row undoing ``entry_id`` (``factor`` 2 for a false claim)."""
    ids = journal["流水号"].map(clean_text)
    matches = journal[ids == clean_text(entry_id)]
    if matches.empty:
        raise ReversalRefused(f"找不到流水号 {entry_id}")
    original = matches.iloc[0]
    if clean_text(original["类型"]) == schema.ENTRY_REVERSAL:
        raise ReversalRefused(f"流水 {entry_id} 本身是冲正记录，不能再冲正")
    refs = journal["关联"].map(clean_text)
    kinds = journal["类型"].map(clean_text)
    if ((refs == clean_text(entry_id)) & (kinds == schema.ENTRY_REVERSAL)).any():
        raise ReversalRefused(f"流水 {entry_id} 已经冲正过")
    points = -(to_number(original["积分"]) or 0.0) * factor
    entry = NewEntry(
        household_id=clean_text(original["户号"]),
        type=schema.ENTRY_REVERSAL,
        points=points,
        summary=f"冲正：{as_text(original['摘要'])}（{reason}）",
        reference=clean_text(entry_id),
        member=clean_text(original.get("成员", "")),
    )
    new, new_ids = append_entries(journal, [entry], date, operator)
    return new, new_ids[0]


# --- the one classifier and the one totals accumulator ---------------------------------------
# Every figure of a household's account (balance, earned, spent, a year's earnings) is worked out
# here, from the rows as ``classify`` reads them; balance, passbook, redeem, transfer, the year's
# results and the town's roll-up all go through it.

MONTHLY_PREFIX = "月度得分 "


def monthly_reference(month: str, household_id: str) -> str:
    """How a journal row names the 月度得分 row it comes from: '月度得分 2026-07 ZP001'."""
    return f"{MONTHLY_PREFIX}{month} {household_id}"


def parse_monthly_reference(reference: str) -> tuple[str, str] | None:
    """'月度得分 2026-07 ZP001' → ('2026-07', 'ZP001'); None for any other reference."""
    if not reference.startswith(MONTHLY_PREFIX):
        return None
    parts = reference[len(MONTHLY_PREFIX):].split(" ", 1)
    return (parts[0], parts[1] if len(parts) > 1 else "")


@dataclass(frozen=True)
class Entry:
    """One journal row as the account reads it."""

    entry_id: str
    household_id: str
    member: str
    type: str  # as written (冲正 for a reversal)
    kind: str  # what it counts as: a reversal counts as the kind of the entry it reverses
    points: float
    date: str
    year: int | None  # the year whose results the points count for; None: none (期初, 兑换, 转出, 领取)
    reference: str


def classify(journal: pd.DataFrame, events: pd.DataFrame | None = None) -> list[Entry]:
    """The journal's rows, classified once (:func:`classify_columns` over the frame's columns)."""
    if journal is None or journal.empty:
        return []
    event_dates: dict[str, str] = {}
    if events is not None and len(events) and "事件号" in events.columns:
        event_dates = {clean_text(i): clean_text(d) for i, d in zip(events["事件号"], events["日期"])}
    members = journal["成员"].tolist() if "成员" in journal.columns else None
    with gc_paused():
        return classify_columns(journal["流水号"].tolist(), journal["户号"].tolist(), members,
                                journal["类型"].tolist(), journal["积分"].tolist(), journal["日期"].tolist(),
                                journal["关联"].tolist(), event_dates)


def classify_columns(ids: Sequence[object], hids: Sequence[object], members: Sequence[object] | None,
                     types: Sequence[object], points: Sequence[object], dates: Sequence[object],
                     refs: Sequence[object], event_dates: Mapping[str, str] | None = None) -> list[Entry]:
    """The journal's rows, given as its columns (raw cell values), classified once: kind, points, year.

    The year (docs/workbook.md): a month's points and bonus count for the month's year (关联 月度得分),
    an award or deduction for its event's date (``event_dates``: 事件号 → 日期, cleaned), anything else
    earned for the posting date; a reversal for the year of what it reverses. Openings (期初) count for
    no year's results. Rows whose 积分 is not a number are left out (``check`` reports them).
    Pure Python (no pandas): the roll-up's worker processes use it on the columns they read.
    """
    event_dates = event_dates or {}
    cache: dict = {}  # shared by the columns: clean_text once per distinct cell value (ids, types repeat)
    if members is None:
        members = [""] * len(ids)
    ids, hids, members, types, refs = (_texts(c, cache) for c in (ids, hids, members, types, refs))
    days = [d[:10] for d in _texts(dates, cache)]
    kinds: dict[str, str] = {}
    years: dict[str, int | None] = {}
    out: list[Entry] = []
    new_entry = _entry_maker()
    for entry_id, hid, member, written, number, day, ref in zip(
            ids, hids, members, types, points, days, refs):
        number = _points(number)
        if number is None:
            continue
        kind, year = written, (int(day[:4]) if day[:4].isdigit() else None)
        if written == schema.ENTRY_REVERSAL:
            kind, year = kinds.get(ref, written), years.get(ref, year)
        elif written in (schema.ENTRY_MONTHLY, schema.ENTRY_BONUS) and ref.startswith(MONTHLY_PREFIX):
            month = ref[len(MONTHLY_PREFIX):len(MONTHLY_PREFIX) + 4]
            year = int(month) if month.isdigit() else year
        elif written in (schema.ENTRY_AWARD, schema.ENTRY_DEDUCTION) and ref in event_dates:
            d = event_dates[ref]
            year = int(d[:4]) if d[:4].isdigit() else year
        if kind not in schema.EARNING_TYPES or kind == schema.ENTRY_OPENING:
            year = None
        kinds[entry_id], years[entry_id] = kind, year
        out.append(new_entry(entry_id, hid, member, written, kind, number, day, year, ref))
    return out


_PLAIN_CELLS = {str, float}


def _texts(values: Sequence[object], cache: dict | None = None) -> list[str]:
    """``[clean_text(v) for v in values]``, each distinct value cleaned once.

    ``cache`` (value → text) may be shared between columns, as classify always did: a value found there
    is taken from there (so True and 1.0, equal keys, share a text there as they always did). Without it
    the result is exactly ``clean_text`` of each cell."""
    values = values if isinstance(values, list) else list(values)
    kinds = set(map(type, values))
    if kinds == {str} and unchanged_by_clean_text(set(values)):  # ids, dates, 校验, most 摘要: as they are
        return list(values)
    plain = kinds <= _PLAIN_CELLS  # a str never equals a float; 0.0 and -0.0 both read "0"
    if cache is None:  # exactly clean_text of each cell (True and 1.0 apart)
        if not plain:
            return [clean_text(v) for v in values]
        if kinds == {str}:  # clean_text of a str is _clean_str (cached): one call less per distinct text
            memo = {v: _clean_str(v) for v in set(values)}
            return list(map(memo.__getitem__, values))
        cache = {}
    if plain:
        for v in set(values):
            if v not in cache:
                cache[v] = clean_text(v)
        return list(map(cache.__getitem__, values))
    out = []
    for v in values:
        try:
            out.append(cache[v])
        except KeyError:
            out.append(cache.setdefault(v, clean_text(v)))
        except TypeError:
            out.append(clean_text(v))
    return out


def unchanged_by_clean_text(texts: Iterable[str]) -> bool:
    """Every text is one that ``clean_text`` (and ``as_text``) leave as they are: NFKC already, white space
    only as single plain spaces inside (nothing to collapse or trim). Checked on the whole column at once,
    in C: printable (so no white space but " ", no zero-width or control characters), no "  ", no space
    at either end of a text, and NFKC (on the texts joined by NUL, a starter that composes with nothing,
    so the joined text is NFKC exactly when each text is)."""
    joined = "\x00".join(texts)
    if "  " in joined or "\x00 " in joined or " \x00" in joined or joined[:1] == " " or joined[-1:] == " ":
        return False
    return "".join(texts).isprintable() and unicodedata.is_normalized("NFKC", joined)


def _entry_maker():
    """Entry(...) without the frozen dataclass's nine ``object.__setattr__`` calls (30,000 rows a year)."""
    assert tuple(f.name for f in fields(Entry)) == (
        "entry_id", "household_id", "member", "type", "kind", "points", "date", "year", "reference")
    new, set_dict = object.__new__, object.__setattr__

    def make(entry_id, household_id, member, type, kind, points, date, year, reference) -> Entry:  # noqa: A002
        entry = new(Entry)
        set_dict(entry, "__dict__", {"entry_id": entry_id, "household_id": household_id, "member": member,
                                     "type": type, "kind": kind, "points": points, "date": date, "year": year,
                                     "reference": reference})
        return entry

    return make


@dataclass
class Totals:
    """A household's account: spendable balance, earned (for ratings), spent (redemptions), earned by year."""

    balance: float = 0.0
    earned: float = 0.0
    spent: float = 0.0
    by_year: dict[int, float] = field(default_factory=dict)

    def add(self, entry: Entry) -> None:
        self.balance += entry.points
        if entry.kind in schema.EARNING_TYPES:
            self.earned += entry.points
        elif entry.kind in schema.SPENDING_TYPES:
            self.spent -= entry.points
        if entry.year is not None:
            self.by_year[entry.year] = self.by_year.get(entry.year, 0.0) + entry.points

    def rounded(self) -> "Totals":
        return Totals(round(self.balance, 4), round(self.earned, 4), round(self.spent, 4),
                      {y: round(v, 4) for y, v in self.by_year.items()})


def account_totals(entries: list[Entry], kinds: frozenset[str] | None = None) -> dict[str, Totals]:
    """户号 → Totals over ``entries`` (optionally only entries counting as one of ``kinds``)."""
    out: dict[str, Totals] = {}
    for e in entries:
        if kinds is None or e.kind in kinds:
            out.setdefault(e.household_id, Totals()).add(e)
    return {h: t.rounded() for h, t in out.items()}


def summarize(journal: pd.DataFrame) -> pd.DataFrame:
    """Per household: balance (spendable), earned (for ratings), spent (redemptions)."""
    import pandas as pd

    totals = account_totals(classify(journal))
    return pd.DataFrame([{"household_id": h, "balance": t.balance, "earned": t.earned, "spent": t.spent}
                         for h, t in totals.items()], columns=["household_id", "balance", "earned", "spent"])


def _points(value: object) -> float | None:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return 0.0 if value != value else float(value)  # NaN: an empty cell
    try:
        return to_number(value) or 0.0
    except NotANumber:
        return None


def verify_journal(journal: pd.DataFrame) -> list[JournalIssue]:
    """Chain, running balances, ids and reversal references."""
    with gc_paused():
        return _verify_journal(journal)


def _verify_journal(journal: pd.DataFrame) -> list[JournalIssue]:
    issues: list[JournalIssue] = []
    previous = GENESIS
    balances: dict[str, float] = {}
    seen_ids: set[str] = set()
    last_id = 0
    reversed_ids: set[str] = set()
    cleaned = _cleaned_columns(journal)
    canonical = canonical_rows(journal, cleaned)
    entry_ids, kinds, hids = cleaned["流水号"], cleaned["类型"], cleaned["户号"]
    refs, stored_checks = cleaned["关联"], cleaned["校验"]
    points_cells, balance_cells = _column(journal, "积分"), _column(journal, "余额")
    sha256 = hashlib.sha256
    entry_types, reversal = schema.ENTRY_TYPES, schema.ENTRY_REVERSAL
    rows = zip(entry_ids, kinds, hids, refs, stored_checks, points_cells, balance_cells, canonical)
    for pos, (entry_id, kind, hid, ref, stored, points, balance, text) in enumerate(rows):
        numbered = entry_id.isdigit()
        if not numbered:
            issues.append(JournalIssue(pos, "流水号", f"流水号“{entry_id}”无效"))
        elif entry_id in seen_ids:
            issues.append(JournalIssue(pos, "流水号", f"流水号 {entry_id} 重复"))
        else:
            number = int(entry_id)
            if number <= last_id:
                issues.append(JournalIssue(pos, "流水号", f"流水号 {entry_id} 顺序错乱（流水只能追加在末尾）"))
        if numbered:
            number = int(entry_id)
            if number > last_id:
                last_id = number
        seen_ids.add(entry_id)
        if kind not in entry_types:
            issues.append(JournalIssue(pos, "类型", f"类型“{kind}”无效"))
        try:  # to_number, with its float case first (a number cell; NaN is blank)
            points = (None if points != points else points) if type(points) is float else to_number(points)
            balance = (None if balance != balance else balance) if type(balance) is float else to_number(balance)
        except NotANumber as exc:
            issues.append(JournalIssue(pos, "积分", f"“{exc}”不是数字"))
            points, balance = None, None
        if points is not None:
            expected = round(balances.get(hid, 0.0) + points, 4)
            balances[hid] = expected
            if balance is None or abs(balance - expected) > 1e-6:
                issues.append(
                    JournalIssue(pos, "余额", f"余额 {fmt_number(balance)} 与流水累计 {fmt_number(expected)} 不符")
                )
        if kind == reversal:
            if ref not in seen_ids:
                issues.append(JournalIssue(pos, "关联", f"冲正记录关联的流水号 {ref} 不存在（或在其后）"))
            elif ref in reversed_ids:
                issues.append(JournalIssue(pos, "关联", f"流水 {ref} 被重复冲正"))
            reversed_ids.add(ref)
        expected_check = sha256((previous + "\x1e" + text).encode("utf-8")).hexdigest()[:16]  # check_value
        if stored != expected_check:
            issues.append(
                JournalIssue(pos, "校验", f"流水 {entry_id} 的校验值不符：这一行在入账后被手工改动过，或它前面有行被删除/插入")
            )
        previous = stored  # each row links to the stored value, so only the edited rows are named
    return issues
