"""Transfer files (积分转移单), the pure part: canonical bytes, the signature, the document, the trust checks,
and what a transfer posts on each side (seed 001 篇2: a household's points move with it within the town).

Transfer out closes the account in the village the household leaves: one 转出
row for minus the whole balance and a signed transfer file (JSON, UTF-8)
holding the household (户号, 户主, 组别, 人口, 参评人数 — never ID-card or
phone numbers), the balance, earned and spent (``ledger.journal``'s one
accumulator), and the earned history: every earning journal row (date, type,
points, the reason in plain words as the passbook shows it, member), grouped by
the year whose year-end rating it counts for (``ledger.journal.classify``: a
month's points count for the month's year, an event's for the event's date,
期初 for no year), with per year the earned points and the rated points.

The villages of a town share a key, 参数 键 "镇转移密钥". The file is signed
with HMAC-SHA256 over a canonical JSON serialisation of everything but the
signature (keys sorted, no spaces, UTF-8, whole numbers written without ".0").

Transfer in (``ledger.transfer_receipt.plan_receipt``) needs the signature, a file addressed to this
village and not already received, and a file that adds up (years, earned,
spent, balance): a valid signature says the file comes from some village of the
town and was not changed since, not that the points were earned. It then
writes into 积分流水, every row with 关联 = the transfer id:

- each rated history row as a 转入 row in the year it counts for (on its
  own date, or on 12-31 of that year when it was posted in the next year);
- each history row that counts for no year (期初) as a 期初 row on its date;
- one 兑换 row for what the household had already spent, when not zero;
- a final 转入 row of 0 points, dated the day of receipt, naming the transfer.

No file is read or written here: actions/transfer.py (out) and
actions/transfer_in.py (in) do that.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

import datetime as dt
import hashlib
import hmac
import json
import math
import re
import uuid
from dataclasses import dataclass
from pathlib import Path

from villagectl.errors import DataError
from villagectl import schema
from villagectl.ledger.journal import Entry, Totals, account_totals
from villagectl.table import Table, as_table
from villagectl.values import NotANumber, as_text, clean_name, clean_text, fmt_number, to_int, to_number

FORMAT = "villagectl-积分转移单-1"
ALGORITHM = "HMAC-SHA256"
KEY_SETTING = "镇转移密钥"
MIN_KEY_LENGTH = 8
MAX_FILE_BYTES = 20 * 1024 * 1024
CLOSED_STATES = ("迁出", "注销")
PENDING_EVENT_STATES = ("申报", "初审", "公示", "审核")

KEY_HINT = (
    f"在台账“参数”表加一行：键 填“{KEY_SETTING}”，值 填镇里（镇积分制办公室）发给各村的转移密钥；"
    "同一个镇的各村必须填同一个密钥，请勿外传"
)


# --------------------------------------------------------------------------
# Signing (pure)
# --------------------------------------------------------------------------


def _canonical_value(value):
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError("not a finite number")
        rounded = round(value, 4)
        return int(rounded) if rounded == int(rounded) else rounded
    if isinstance(value, dict):
        return {str(k): _canonical_value(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_canonical_value(v) for v in value]
    raise TypeError(f"cannot sign a {type(value).__name__}")


def canonical_bytes(document: dict) -> bytes:
    """What is signed: the document without "signature", keys sorted, compact, UTF-8; 3.0 written as 3."""
    body = {k: v for k, v in document.items() if k != "signature"}
    return json.dumps(_canonical_value(body), ensure_ascii=False, sort_keys=True, separators=(",", ":"),
                      allow_nan=False).encode("utf-8")


def sign(document: dict, key: str) -> str:
    return hmac.new(key.encode("utf-8"), canonical_bytes(document), hashlib.sha256).hexdigest()


def signature_ok(document: dict, key: str) -> bool:
    given = document.get("signature")
    if not isinstance(given, str):
        return False
    try:
        expected = sign(document, key)
    except (TypeError, ValueError):
        return False
    return hmac.compare_digest(given.strip().lower(), expected)


def town_key(settings: dict[str, str]) -> str:
    key = settings.get(KEY_SETTING, "")
    if not key:
        raise DataError(f"台账“参数”表里没有“{KEY_SETTING}”，无法签发或核验积分转移单", hint=KEY_HINT)
    if len(key) < MIN_KEY_LENGTH:
        raise DataError(f"参数“{KEY_SETTING}”太短（至少 {MIN_KEY_LENGTH} 个字符），容易被猜出；请向镇里核对", hint=KEY_HINT)
    return key



# --------------------------------------------------------------------------
# Building the transfer document (pure over DataFrames)
# --------------------------------------------------------------------------


def count_or_none(value: object) -> int | None:
    try:
        return to_int(value)
    except NotANumber:
        return None


def household_row(households: pd.DataFrame, household: str) -> tuple[int, pd.Series]:
    """(index, row) of the household ``household`` names: its 户号 or 户主 (find_household)."""
    from villagectl.ledger.households import find_household

    hid = clean_text(find_household(households, household)["户号"])
    hits = households.index[households["户号"].map(clean_text) == hid]
    return hits[0], households.loc[hits[0]]



def transfer_document(
    entries: list[Entry],
    reasons: dict[str, str],
    household: pd.Series | dict,
    from_village: str,
    to_village: str,
    date: dt.date,
    transfer_id: str,
) -> dict:
    """The unsigned transfer document of one household.

    ``entries``: the journal as ``ledger.journal.classify`` reads it (with the
    events, so each row's year is the year whose rating counts it; None for 期初);
    ``reasons``: 流水号 → the reason as the passbook words it. The history (the
    household's earning rows) is grouped by that year (the row's date's year when
    none); each block has the earned points (all its rows: the earned total) and
    the rated points (what the year's rating counts). Balance, earned and spent
    are ``account_totals`` of the household's rows.
    """
    hid = clean_text(household.get("户号", ""))
    mine = [e for e in entries if e.household_id == hid]
    totals = account_totals(mine).get(hid, Totals())
    years: dict[int, dict] = {}
    for e in mine:
        if e.kind not in schema.EARNING_TYPES:
            continue
        date_year = int(e.date[:4]) if e.date[:4].isdigit() else date.year
        year = e.year if e.year is not None else date_year
        block = years.setdefault(year, {"year": year, "earned": 0.0, "rated": 0.0, "entries": []})
        block["earned"] = round(block["earned"] + e.points, 4)
        if e.year is not None:
            block["rated"] = round(block["rated"] + e.points, 4)
        block["entries"].append({
            "entry_id": e.entry_id,
            "date": e.date,
            "type": e.type,
            "points": e.points,
            "summary": reasons.get(e.entry_id, ""),
            "member": e.member,
            "rated": e.year is not None,
        })
    return {
        "format": FORMAT,
        "transfer_id": transfer_id,
        "from_village": from_village,
        "to_village": to_village,
        "date": date.isoformat(),
        "household": {
            "household_id": hid,
            "name": clean_name(household.get("户主", "")),
            "group": clean_text(household.get("组别", "")),
            "people": count_or_none(household.get("人口", "")),
            "members": count_or_none(household.get("参评人数", "")),
        },
        "balance": totals.balance,
        "earned": totals.earned,
        "spent": totals.spent,
        "history": [years[y] for y in sorted(years)],
        "signature_algorithm": ALGORITHM,
        "note": f"{from_village}积分转移单：请交{to_village}用 villagectl transfer in 转入。文件内容有签名，改动任何一处都会被拒收。",
    }


def before_entry(entries: list[Entry], entry_id: str | None) -> list[Entry]:
    """The entries before ``entry_id`` (the account as it was when that row closed it); all without it."""
    if entry_id is not None:
        for pos, e in enumerate(entries):
            if e.entry_id == entry_id:
                return entries[:pos]
    return entries


def signed(document: dict, key: str) -> tuple[dict, bytes]:
    """The document with its signature, and the file's bytes."""
    document["signature"] = sign(document, key)
    return document, file_bytes(document)


def file_bytes(document: dict) -> bytes:
    return (json.dumps(document, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def new_transfer_id(date: dt.date, household_id: str) -> str:
    return f"ZY{date:%Y%m%d}-{re.sub(r'[^0-9A-Za-z]', '', household_id)[:12] or 'H'}-{uuid.uuid4().hex[:8]}"


def transfer_file_name(from_village: str, household_id: str, date: dt.date) -> str:
    text = f"转移_{from_village}_{household_id}_{date.isoformat()}.json"
    return re.sub(r'[\\/:*?"<>|\x00-\x1f]', "_", text)



def unposted(monthly: pd.DataFrame, events: pd.DataFrame, household_id: str) -> list[str]:
    """Points of the household that are on their way but not in the journal yet (月度得分, 积分事件)."""
    out: list[str] = []
    if len(monthly):
        part = monthly[(monthly["户号"].map(clean_text) == household_id) & (monthly["状态"].map(clean_text) != "入账")]
        for _, r in part.iterrows():
            amount = sum(v for v in (number_or_none(r.get("积分")), number_or_none(r.get("奖励"))) if v)
            state = clean_text(r["状态"])
            if state in (schema.ROW_SUPPLEMENT, schema.ROW_CORRECTION):  # a posted month's change: even to 0 it posts
                out.append(f"{clean_text(r['月份'])} 月度积分的{state}（现为 {fmt_number(amount)} 分，公示、入账后才算数）")
            elif amount:
                out.append(f"{clean_text(r['月份'])} 月度积分 {fmt_number(amount)} 分（状态：{state or '草稿'}）")
    if len(events) and "状态" in events.columns:
        part = events[(events["户号"].map(clean_text) == household_id)
                      & events["状态"].map(clean_text).isin(PENDING_EVENT_STATES)]
        for _, r in part.iterrows():
            out.append(f"积分事件 {clean_text(r.get('事件号'))} {clean_text(r.get('项目'))}（状态：{clean_text(r.get('状态'))}）")
    return out


def number_or_none(value: object) -> float | None:
    try:
        return to_number(value)
    except NotANumber:
        return None



RECORD = re.compile(r"转移单 (?P<id>[^\s：]+)：(?P<path>.+)（sha256 (?P<sha>[0-9a-f]{16,64})）")


def record_text(transfer_id: str, shown: str, data: bytes) -> str:
    return f"转移单 {transfer_id}：{shown}（sha256 {hashlib.sha256(data).hexdigest()}）"


@dataclass
class IssuedTransfer:
    """A transfer out in the journal: its 转出 row and what 操作日志 recorded about its file."""

    transfer_id: str
    household_id: str
    to_village: str
    date: str
    entry_id: str
    points: float | None
    position: int  # of the 转出 row in 积分流水
    file: Path | None  # where it was written (None: not recorded)
    sha256: str  # of the file's bytes, or a prefix of it (older versions); "" when not recorded


def issued_transfers(journal: "Table | pd.DataFrame", log: "Table | pd.DataFrame", base: Path) -> list[IssuedTransfer]:
    """Every 转出 row with a transfer id, in journal order, with the file 操作日志 (``log``) recorded for it.

    ``base``: the ledger's folder (a recorded path is relative to it).
    """
    journal, log = as_table(journal), as_table(log)
    if journal.empty:
        return []
    records: dict[str, tuple[str, str]] = {}
    if len(log) and "结果" in log.columns:
        for command, text in zip(log.column("命令"), log.column("结果")):
            if clean_text(command) == "transfer out" and (m := RECORD.search(as_text(text))):
                records[m.group("id")] = (m.group("path").strip(), m.group("sha"))
    out: list[IssuedTransfer] = []
    rows = None
    for pos, kind in enumerate(journal.column("类型")):
        if clean_text(kind) != schema.ENTRY_TRANSFER_OUT:
            continue
        rows = rows if rows is not None else journal.records()
        r = rows[pos]
        transfer_id = clean_text(r.get("关联"))
        if not transfer_id:
            continue
        summary = clean_text(r.get("摘要"))  # read for the village it names, compared with clean_name
        path, sha = records.get(transfer_id, ("", ""))
        out.append(IssuedTransfer(
            transfer_id=transfer_id,
            household_id=clean_text(r.get("户号")),
            to_village=summary[len("转出至"):] if summary.startswith("转出至") else "",
            date=clean_text(r.get("日期")),
            entry_id=clean_text(r.get("流水号")),
            points=number_or_none(r.get("积分")),
            position=pos,
            file=(base / path) if path else None,
            sha256=sha,
        ))
    return out
