"""The append-only points journal (积分流水). Pure functions over DataFrames.

Each row's 校验 value chains to the previous row's, so a posted row edited
by hand is found by ``verify_journal``. Balances derive from the rows;
corrections are reversal rows (冲正) referencing the original.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import pandas as pd

from villagectl.ledger import schema
from villagectl.values import NotANumber, clean_text, fmt_number, to_number

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


def _next_id(journal: pd.DataFrame) -> int:
    best = 0
    for value in journal.get("流水号", []):
        text = clean_text(value)
        if text.isdigit():
            best = max(best, int(text))
    return best + 1


def current_balances(journal: pd.DataFrame) -> dict[str, float]:
    balances: dict[str, float] = {}
    for row in journal.to_dict("records"):
        hid = clean_text(row.get("户号", ""))
        try:
            balances[hid] = round(balances.get(hid, 0.0) + (to_number(row.get("积分")) or 0.0), 4)
        except NotANumber:
            continue
    return balances


def append_entries(
    journal: pd.DataFrame, entries: list[NewEntry], date: str, operator: str
) -> tuple[pd.DataFrame, list[str]]:
    """Return the journal with the entries appended, and their 流水号."""
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
        summary=f"冲正：{clean_text(original['摘要'])}（{reason}）",
        reference=clean_text(entry_id),
        member=clean_text(original.get("成员", "")),
    )
    new, new_ids = append_entries(journal, [entry], date, operator)
    return new, new_ids[0]


def _effective_kind(row: pd.Series, kinds_by_id: dict[str, str]) -> str:
    kind = clean_text(row.get("类型", ""))
    if kind == schema.ENTRY_REVERSAL:
        return kinds_by_id.get(clean_text(row.get("关联", "")), kind)
    return kind


def summarize(journal: pd.DataFrame) -> pd.DataFrame:
    """Per household: balance (spendable), earned (for ratings), spent (redemptions)."""
    kinds_by_id = {clean_text(i): clean_text(k) for i, k in zip(journal["流水号"], journal["类型"])} if len(journal) else {}
    totals: dict[str, dict[str, float]] = {}
    for row in journal.to_dict("records"):
        hid = clean_text(row.get("户号", ""))
        try:
            points = to_number(row.get("积分")) or 0.0
        except NotANumber:
            continue
        t = totals.setdefault(hid, {"balance": 0.0, "earned": 0.0, "spent": 0.0})
        t["balance"] += points
        kind = _effective_kind(row, kinds_by_id)
        if kind in schema.EARNING_TYPES:
            t["earned"] += points
        elif kind in schema.SPENDING_TYPES:
            t["spent"] -= points
    frame = pd.DataFrame(
        [{"household_id": h, **{k: round(v, 4) for k, v in t.items()}} for h, t in totals.items()],
        columns=["household_id", "balance", "earned", "spent"],
    )
    return frame


def verify_journal(journal: pd.DataFrame) -> list[JournalIssue]:
    """Chain, running balances, ids and reversal references."""
    issues: list[JournalIssue] = []
    previous = GENESIS
    balances: dict[str, float] = {}
    seen_ids: set[str] = set()
    last_id = 0
    reversed_ids: set[str] = set()
    for pos, row in enumerate(journal.to_dict("records")):
        entry_id = clean_text(row.get("流水号", ""))
        if not entry_id.isdigit():
            issues.append(JournalIssue(pos, "流水号", f"流水号“{entry_id}”无效"))
        elif entry_id in seen_ids:
            issues.append(JournalIssue(pos, "流水号", f"流水号 {entry_id} 重复"))
        elif int(entry_id) <= last_id:
            issues.append(JournalIssue(pos, "流水号", f"流水号 {entry_id} 顺序错乱（流水只能追加在末尾）"))
        if entry_id.isdigit():
            last_id = max(last_id, int(entry_id))
        seen_ids.add(entry_id)
        kind = clean_text(row.get("类型", ""))
        if kind not in schema.ENTRY_TYPES:
            issues.append(JournalIssue(pos, "类型", f"类型“{kind}”无效"))
        try:
            points = to_number(row.get("积分"))
            balance = to_number(row.get("余额"))
        except NotANumber as exc:
            issues.append(JournalIssue(pos, "积分", f"“{exc}”不是数字"))
            points, balance = None, None
        hid = clean_text(row.get("户号", ""))
        if points is not None:
            expected = round(balances.get(hid, 0.0) + points, 4)
            balances[hid] = expected
            if balance is None or abs(balance - expected) > 1e-6:
                issues.append(
                    JournalIssue(pos, "余额", f"余额 {fmt_number(balance)} 与流水累计 {fmt_number(expected)} 不符")
                )
        if kind == schema.ENTRY_REVERSAL:
            ref = clean_text(row.get("关联", ""))
            if ref not in seen_ids:
                issues.append(JournalIssue(pos, "关联", f"冲正记录关联的流水号 {ref} 不存在（或在其后）"))
            elif ref in reversed_ids:
                issues.append(JournalIssue(pos, "关联", f"流水 {ref} 被重复冲正"))
            reversed_ids.add(ref)
        stored = clean_text(row.get("校验", ""))
        expected_check = check_value(previous, row)
        if stored != expected_check:
            issues.append(
                JournalIssue(pos, "校验", f"流水 {entry_id} 的校验值不符：这一行在入账后被手工改动过，或它前面有行被删除/插入")
            )
        previous = stored  # each row links to the stored value, so only the edited rows are named
    return issues
