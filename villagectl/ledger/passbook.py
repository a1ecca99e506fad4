"""A household's passbook (积分存折): its statement rows and 户籍 row → the totals and lines printed.

Pure (no file I/O). ``Passbook`` / ``PassbookLine`` are what the renderer gets (render.passbook) and
what ``passbook --json`` prints; ``build_passbook`` makes one from the household's rows of
``ledger.statement.statement_rows``; ``passbook_file_name`` names its PDF.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from villagectl import schema
from villagectl.values import NotANumber, as_text, clean_text, to_int

if TYPE_CHECKING:  # not at run time: the passbook workers import this module to unpickle their jobs
    import pandas as pd

CLOSED_STATES = ("迁出", "注销")  # an account that is closed: passbook --all skips it


@dataclass
class PassbookLine:
    """One journal row as the villager reads it."""

    entry_id: str  # 流水号
    date: str  # YYYY-MM-DD
    kind: str  # 类型
    points: float
    balance: float  # running balance after this row
    reason: str  # in plain words
    member: str = ""
    reference: str = ""  # 关联 (slip number, transfer id, reversed 流水号 …)
    earned: bool = False  # counts towards the earned total (ratings)

    def as_dict(self) -> dict:
        return {
            "entry_id": self.entry_id,
            "date": self.date,
            "type": self.kind,
            "member": self.member,
            "points": self.points,
            "balance": self.balance,
            "reason": self.reason,
            "reference": self.reference,
            "earned": self.earned,
        }


@dataclass
class Passbook:
    village: str
    household_id: str
    name: str  # 户主
    group: str
    people: int | None  # 人口
    members: int | None  # 参评人数
    year: int | None  # None: the whole history
    lines: list[PassbookLine]
    opening: float | None  # balance brought forward (year passbooks)
    earned: float  # earned in the passbook's period
    spent: float  # redeemed in the passbook's period
    balance: float  # balance at the end of the period
    earned_total: float  # earned since the account opened, to the end of the period
    family_total: float  # what the family average is taken of (= earned)
    family_average: float | None  # family_total ÷ 参评人数; None when 参评人数 is 0 or unknown
    member_totals: list[tuple[str, float]] = field(default_factory=list)  # (成员, earned) when 成员 is used
    state: str = ""  # 户籍 状态
    opening_entries: float = 0.0  # 期初 rows in the period (opening balances carried over from paper): never a year's earnings
    printed: dt.date = field(default_factory=dt.date.today)

    def as_dict(self) -> dict:
        return {
            "village": self.village,
            "household_id": self.household_id,
            "name": self.name,
            "group": self.group,
            "people": self.people,
            "members": self.members,
            "state": self.state,
            "year": self.year,
            "opening": self.opening,
            "opening_entries": self.opening_entries,
            "earned": self.earned,
            "spent": self.spent,
            "balance": self.balance,
            "earned_total": self.earned_total,
            "family_total": self.family_total,
            "family_average": self.family_average,
            "member_totals": [{"member": m, "earned": p} for m, p in self.member_totals],
            "rows": [line.as_dict() for line in self.lines],
        }


@dataclass
class HouseholdInfo:
    household_id: str
    name: str
    group: str
    people: int | None
    members: int | None  # 参评人数
    state: str

    @classmethod
    def from_row(cls, row: pd.Series | dict) -> HouseholdInfo:
        def count(key: str) -> int | None:
            try:
                return to_int(row.get(key, ""))
            except NotANumber:
                return None

        return cls(
            household_id=clean_text(row.get("户号", "")),
            name=as_text(row.get("户主", "")),  # as typed
            group=clean_text(row.get("组别", "")),
            people=count("人口"),
            members=count("参评人数"),
            state=clean_text(row.get("状态", "")) or "正常",
        )


def build_passbook(
    rows: pd.DataFrame,
    info: HouseholdInfo,
    village: str,
    year: int | None = None,
    printed: dt.date | None = None,
) -> Passbook:
    """One household's passbook from its statement rows (``statement_rows`` filtered to it).

    Whole history: earned / spent / balance since the account opened.
    ``year``: the year's rows after a brought-forward line (上年结转); earned
    and spent in the year; balance at the year's end.
    The family total is the earned points of the period (what ratings use;
    redemptions do not lower it); the family average is that ÷ 参评人数
    (seed 001 篇5). 参评人数 blank → 人口; 0 → no average.
    """
    # Plain lists: this runs once per household (3,000 times for ``--all``).
    has = lambda col: col in rows.columns
    n = len(rows)
    records = list(zip(
        rows["流水号"].tolist(), rows["日期"].tolist(), rows["类型"].tolist(), rows["积分"].tolist(),
        rows["余额"].tolist(), rows["说明"].tolist(), rows["成员"].tolist(), rows["关联"].tolist(),
        rows["计入获得"].tolist(), rows["计入兑换"].tolist(),
        (rows["计入年度"] if has("计入年度") else rows["年度"]).tolist(),
        rows["期初"].tolist() if has("期初") else [k == schema.ENTRY_OPENING for k in rows["类型"].tolist()],
    )) if n else []

    def year_of(value) -> int | None:
        return None if value is None or (isinstance(value, float) and math.isnan(value)) else int(value)

    opening = None
    if year is not None:
        opening = round(sum(r[3] for r in records if (y := year_of(r[10])) is not None and y < year), 4) + 0.0
        before = [r for r in records if (y := year_of(r[10])) is not None and y <= year]
        part = [r for r in records if year_of(r[10]) == year]
        # a year's earnings never include opening balances (期初): they are shown on their own line
        earned_rows = [r for r in part if r[8] and not r[11]]
    else:
        before = part = records
        earned_rows = [r for r in part if r[8]]
    earned = round(sum(r[3] for r in earned_rows), 4) + 0.0
    opening_entries = round(sum(r[3] for r in part if r[11]), 4) + 0.0
    spent = round(-sum(r[3] for r in part if r[9]), 4) + 0.0
    balance = round((opening or 0.0) + sum(r[3] for r in part), 4) + 0.0
    earned_total = round(sum(r[3] for r in before if r[8]), 4) + 0.0
    divisor = info.members if info.members is not None else info.people
    average = round(earned / divisor, 4) if divisor else None
    member_totals: list[tuple[str, float]] = []
    if any(r[6] for r in part):
        sums: dict[str, float] = {}
        for r in earned_rows:
            key = r[6] or "（全户）"
            sums[key] = sums.get(key, 0.0) + r[3]
        member_totals = sorted(((m, round(v, 4) + 0.0) for m, v in sums.items()), key=lambda m: m[0] != "（全户）")
    lines = [
        PassbookLine(entry_id, date, kind, float(points), float(bal), reason, member, ref,
                     bool(is_earned) and not (year is not None and is_opening))
        for entry_id, date, kind, points, bal, reason, member, ref, is_earned, _spent, _year, is_opening in part
    ]
    return Passbook(
        village=village,
        household_id=info.household_id,
        name=info.name,
        group=info.group,
        people=info.people,
        members=info.members if info.members is not None else info.people,
        year=year,
        lines=lines,
        opening=opening,
        opening_entries=opening_entries,
        earned=earned,
        spent=spent,
        balance=balance,
        earned_total=earned_total,
        family_total=earned,
        family_average=average,
        member_totals=member_totals,
        state=info.state,
        printed=printed or dt.date.today(),
    )


_UNSAFE = re.compile(r'[\\/:*?"<>|\x00-\x1f]')


MAX_NAME_BYTES = 150  # file systems allow 255 bytes (UTF-8) or 255 UTF-16 units in one name; room for "_2.pdf"


def passbook_file_name(book: Passbook) -> str:
    """'ZP001_何文华_积分存折.pdf' (with the year: 'ZP001_何文华_2026年积分存折.pdf'); safe on Windows.

    A household id or name too long for a file name (a hand-edited 户籍 cell) is shortened, so that
    ``passbook --all`` prints every household instead of failing on one name.
    """
    year = f"{book.year}年" if book.year else ""
    suffix = f"{year}积分存折.pdf"
    stem = _UNSAFE.sub("_", f"{book.household_id}_{book.name}_")
    room = MAX_NAME_BYTES - len(suffix.encode("utf-8"))
    stem = stem.encode("utf-8")[:room].decode("utf-8", "ignore")
    return (stem + suffix).strip(". ")
