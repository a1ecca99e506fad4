"""``passbook``: a household's points and the reasons for them (seed 002), on screen and as a printed 存折.

The first half of this module is pure (DataFrames in, rows out, no I/O) so
that other commands can reuse it — ``transfer out`` puts the same plain-word
reasons into the transfer file:

- ``inspection_details``: per (month, household) the month's total and the
  inspection items that cost points (from 检查记录, maxima from 规则);
- ``entry_reason``: one journal row's reason in plain words;
- ``statement_rows``: every journal row of every household with its reason,
  running balance and whether it counts as earned or spent — one pass over
  the journal, so 3,000 passbooks come from one ledger read;
- ``build_passbook``: one household's passbook (optionally one year) from
  its statement rows and its 户籍 row.

The second half reads the ledger and prints (``passbook_for``,
``print_passbook``, ``print_all_passbooks``).
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from villagectl.rules.settings import committee_of
from villagectl.errors import DataError, FileAccessError, UsageError
from villagectl.io.outputs import guard_output, guard_outputs
from villagectl import schema
from villagectl.ledger.workbook import Ledger
from villagectl.render.passbook import (
    Passbook,
    PassbookLine,
    PassbookPrinter,
    PassbookStyle,
    paper_name,
    print_many,
)
from villagectl.ledger.households import find_household
from villagectl.rules.catalogue import parse_rules
from villagectl.values import (
    NotANumber,
    as_text,
    clean_text,
    fmt_number,
    to_int,
    to_number,
)

EPS = 1e-9
CLOSED_STATES = ("迁出", "注销")

STATEMENT_COLUMNS = ["户号", "流水号", "日期", "年度", "类型", "成员", "积分", "余额", "说明", "关联", "计入获得", "计入兑换",
                     "计入年度", "期初"]

_MONTHLY_REF = re.compile(r"月度得分\s+(\d{4}-\d{2})\s+(\S+)")
TRANSFER_ID = re.compile(r"ZY\d{8}-[0-9A-Za-z]+-[0-9a-f]{8}")  # transfer ids (actions.transfer.new_transfer_id)
_MONTH_IN_TEXT = re.compile(r"(?<![\d-])(\d{4})-(\d{2})(?!\d|-\d)")  # a month, not a date's first part


# --------------------------------------------------------------------------
# Pure: reasons in plain words
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class MonthDetail:
    """A household's inspection in one month: the total and the items that cost points."""

    total: float | None
    lost: tuple[tuple[str, float], ...]  # (item name, points below the item's maximum), in catalogue order
    items_known: bool = True  # False: only the total is known (the inspection rows are gone)


def _number(value: object) -> float | None:
    try:
        number = to_number(value)
    except NotANumber:
        return None
    if number is None or math.isnan(number):
        return None
    return number


def item_maxima(rules: pd.DataFrame) -> dict[str, float]:
    """Inspection-item code → its maximum (分值), from the 规则 sheet. A broken row is skipped, not fatal."""
    parsed, _issues = parse_rules(rules)
    return {r.code: r.points for r in parsed if r.type == "检查项"}


def inspection_details(
    inspections: pd.DataFrame,
    maxima: dict[str, float],
    totals: dict[tuple[str, str], float] | None = None,
    wanted: set[tuple[str, str]] | None = None,
) -> dict[tuple[str, str], MonthDetail]:
    """(month, household) → MonthDetail, for the rows of 检查记录 (only ``wanted`` keys when given).

    Item columns are named "编码 项目" (RJ1 庭院); the name printed is the one
    in the column (as it was when the sheet was imported), the maximum is the
    rule's 分值. ``totals`` (from 月度得分 总分, which includes adjustments)
    wins over the sum of the items.
    """
    if inspections is None or inspections.empty or "月份" not in inspections.columns:
        return {}
    items: list[tuple[str, str, float]] = []  # (column, item name, maximum)
    for col in inspections.columns:
        text = clean_text(col)
        if col in schema.INSPECTIONS.column_names or " " not in text:
            continue
        code, name = text.split(" ", 1)
        if code in maxima:
            items.append((col, name, maxima[code]))
    months = inspections["月份"].map(clean_text).tolist()
    hids = inspections["户号"].map(clean_text).tolist()
    columns = [inspections[c].tolist() for c, _, _ in items]
    out: dict[tuple[str, str], MonthDetail] = {}
    for pos, key in enumerate(zip(months, hids)):
        if wanted is not None and key not in wanted:
            continue
        lost: list[tuple[str, float]] = []
        total = 0.0
        scored = False
        for (_, name, maximum), values in zip(items, columns):
            score = _number(values[pos])
            if score is None:
                continue
            scored = True
            total += score
            if maximum - score > EPS:
                lost.append((name, round(maximum - score, 4)))
        known = (totals or {}).get(key)
        out[key] = MonthDetail(known if known is not None else (round(total, 4) if scored else None), tuple(lost))
    return out


def monthly_totals(monthly: pd.DataFrame) -> dict[tuple[str, str], float]:
    """(month, household) → 总分 from 月度得分."""
    if monthly is None or monthly.empty or "总分" not in monthly.columns:
        return {}
    out: dict[tuple[str, str], float] = {}
    for month, hid, total in zip(monthly["月份"].map(clean_text), monthly["户号"].map(clean_text), monthly["总分"]):
        value = _number(total)
        if value is not None:
            out[(month, hid)] = value
    return out


def cn_month_text(text: str) -> str:
    """'2026-07 连续奖励' → '2026年7月 连续奖励' (every YYYY-MM in the text)."""
    return _MONTH_IN_TEXT.sub(lambda m: f"{int(m.group(1))}年{int(m.group(2))}月" if 1 <= int(m.group(2)) <= 12 else m.group(0), text)


def lost_text(lost: Iterable[tuple[str, float]]) -> str:
    """(('庭院', 2), ('厨房', 1)) → '庭院扣2分、厨房扣1分'."""
    return "、".join(f"{name}扣{fmt_number(points)}分" for name, points in lost)


def entry_reason(
    kind: str,
    summary: str,
    reference: str,
    household_id: str = "",
    details: dict[tuple[str, str], MonthDetail] | None = None,
) -> str:
    """One journal row's reason in words a villager understands."""
    summary = as_text(summary)  # not clean_text: NFKC would turn "：（）" into ":()"
    reference = clean_text(reference)
    if kind == schema.ENTRY_MONTHLY:
        m = _MONTHLY_REF.search(reference)
        detail = (details or {}).get((m.group(1), m.group(2) or household_id)) if m else None
        if m and detail is not None and detail.total is not None:
            month = cn_month_text(m.group(1))
            head = f"{month}检查 {fmt_number(detail.total)} 分"
            if not detail.items_known:
                return head
            return f"{head}：{lost_text(detail.lost)}" if detail.lost else f"{head}：各项满分"
        return cn_month_text(summary) or "月度检查积分"
    if kind == schema.ENTRY_BONUS:
        return cn_month_text(summary) or "连续奖励"
    if kind == schema.ENTRY_REDEEM:
        if TRANSFER_ID.fullmatch(reference):  # what a received household had spent before it moved
            return f"{summary or '转入前已兑换积分'}（转移单 {reference}）"
        text = summary if summary.startswith("兑换") else f"兑换：{summary}" if summary else "兑换"
        return f"{text}（兑换单 {reference}）" if reference and reference not in text else text
    if kind == schema.ENTRY_REVERSAL:
        rest = cn_month_text(re.sub(r"^冲正[:：]\s*", "", summary))
        head = f"冲正第 {reference} 号流水" if reference else "冲正"
        return f"{head}：{rest}" if rest else head
    if kind == schema.ENTRY_OPENING:
        return f"期初余额：{summary}" if summary and "期初" not in summary else summary or "期初余额"
    if kind == schema.ENTRY_TRANSFER_OUT:
        text = summary or "转出"
        return f"{text}（转移单 {reference}）" if reference and reference not in text else text
    return summary or kind


# --------------------------------------------------------------------------
# Pure: statement rows for every household
# --------------------------------------------------------------------------


def statement_rows(
    journal: pd.DataFrame,
    details: dict[tuple[str, str], MonthDetail] | None = None,
    events: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Every journal row with its reason, the household's running balance and what it counts as.

    One pass over the journal, in its order (流水号). The running balance is
    recomputed (not copied from 余额), so it is what ``journal.summarize``
    gives. A 冲正 counts as what the row it reverses counts as (earned or
    spent), as in ``summarize``. Rows whose 积分 is not a number are left out,
    as ``summarize`` leaves them out.

    计入年度 is the year a year passbook lists the row under: the year its points
    count for in the year's result (``scoring.annual.entry_years``: a month's
    points for the month's year even when posted in January, an event's for
    the event's date), else the year of its date. 期初 marks opening balances
    (and their reversals): listed on their own line, never a year's earnings.
    """
    if journal is None or journal.empty:
        return pd.DataFrame(columns=STATEMENT_COLUMNS)
    from villagectl.scoring.annual import entry_years

    try:
        rated_years = entry_years(journal, events if events is not None else pd.DataFrame())
    except KeyError:  # a journal without the usual columns: dates only
        rated_years = {}
    get = lambda col: journal[col].tolist() if col in journal.columns else [""] * len(journal)
    ids = [clean_text(v) for v in get("流水号")]
    kinds = [clean_text(v) for v in get("类型")]
    kind_of = dict(zip(ids, kinds))
    balances: dict[str, float] = {}
    rows: list[list] = []
    for entry_id, date, hid, member, kind, points, summary, ref in zip(
        ids, get("日期"), get("户号"), get("成员"), kinds, get("积分"), get("摘要"), get("关联")
    ):
        value = _number(points)
        if value is None:
            try:
                to_number(points)
            except NotANumber:
                continue  # summarize skips these too
            value = 0.0
        hid = clean_text(hid)
        balance = round(balances.get(hid, 0.0) + value, 4)
        balances[hid] = balance
        date = clean_text(date)
        ref = clean_text(ref)
        effective = kind_of.get(ref, kind) if kind == schema.ENTRY_REVERSAL else kind
        date_year = int(date[:4]) if date[:4].isdigit() else None
        rated = rated_years.get(entry_id)
        rows.append([
            hid,
            entry_id,
            date,
            date_year,
            kind,
            clean_text(member),
            value,
            balance,
            entry_reason(kind, summary, ref, hid, details),
            ref,
            effective in schema.EARNING_TYPES,
            effective in schema.SPENDING_TYPES,
            rated if rated is not None else date_year,
            effective == schema.ENTRY_OPENING,
        ])
    return pd.DataFrame(rows, columns=STATEMENT_COLUMNS)


def statement_for_ledger(ledger: Ledger) -> pd.DataFrame:
    """``statement_rows`` for a whole ledger, with the monthly reasons looked up in 检查记录 / 月度得分 / 规则."""
    journal = ledger.frame(schema.JOURNAL.name)
    monthly_refs = {
        (m.group(1), m.group(2))
        for ref in journal.get("关联", pd.Series(dtype=object)).map(clean_text)
        if (m := _MONTHLY_REF.search(ref))
    }
    details: dict[tuple[str, str], MonthDetail] = {}
    if monthly_refs:
        maxima = item_maxima(ledger.frame_or_empty(schema.RULES.name)) if ledger.has(schema.RULES.name) else {}
        totals = monthly_totals(ledger.frame_or_empty(schema.MONTHLY.name))
        details = inspection_details(ledger.frame_or_empty(schema.INSPECTIONS.name), maxima, totals, monthly_refs)
        for key in monthly_refs - set(details):  # posted months whose inspection rows are gone: the total at least
            if key in totals:
                details[key] = MonthDetail(totals[key], (), items_known=False)
    events = ledger.frame_or_empty(schema.EVENTS.name) if ledger.has(schema.EVENTS.name) else None
    return statement_rows(journal, details, events)


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


# --------------------------------------------------------------------------
# Reading the ledger, printing
# --------------------------------------------------------------------------


def style_from_settings(settings: dict[str, str], paper: str | None = None) -> PassbookStyle:
    """参数: 存折标题, 存折纸张 (A5/A4), 每分折合元, 公示落款, 经办人."""
    from villagectl.rules.settings import SPECS, parse_value

    village = settings.get("村名", "")
    try:
        yuan = float(parse_value(SPECS["每分折合元"], settings.get("每分折合元", "")))  # one reading, as the shop's
    except ValueError as exc:
        raise DataError(f"{exc}，请在“参数”表改正（villagectl check 列出参数表的全部问题）") from None
    return PassbookStyle(
        title=settings.get("存折标题", "") or f"{village}积分存折",
        paper=paper_name(paper or settings.get("存折纸张", "") or "A5"),
        yuan_per_point=yuan,
        committee=committee_of(settings),
        operator="",
    )


@dataclass
class LedgerPassbooks:
    """Everything needed to build any household's passbook, from one ledger read."""

    village: str
    settings: dict[str, str]
    households: pd.DataFrame
    statement: pd.DataFrame
    _groups: dict | None = field(default=None, repr=False)  # 户号 → row positions in statement

    @classmethod
    def load(cls, ledger: Ledger) -> LedgerPassbooks:
        ledger.require(schema.HOUSEHOLDS.name, schema.JOURNAL.name)
        settings = ledger.settings()
        return cls(settings.get("村名", ""), settings, ledger.frame(schema.HOUSEHOLDS.name), statement_for_ledger(ledger))

    def info(self, household: str) -> HouseholdInfo:
        """The household ``household`` names: its 户号 or 户主 (ledger.households.find_household)."""
        return HouseholdInfo.from_row(find_household(self.households, household))

    def rows_of(self, household_id: str) -> pd.DataFrame:
        if self._groups is None:
            self._groups = self.statement.groupby("户号", sort=False).indices if len(self.statement) else {}
        positions = self._groups.get(household_id)
        return self.statement.iloc[positions] if positions is not None else self.statement.iloc[0:0]

    def passbook(self, household_id: str, year: int | None = None, printed: dt.date | None = None) -> Passbook:
        info = self.info(household_id)
        return build_passbook(self.rows_of(info.household_id), info, self.village, year, printed)

    def open_households(self) -> list[HouseholdInfo]:
        """Households in 户籍 order whose account is open (状态 not 迁出 / 注销)."""
        out = []
        for _, row in self.households.iterrows():
            info = HouseholdInfo.from_row(row)
            if info.household_id and info.state not in CLOSED_STATES:
                out.append(info)
        return out


def _check_year(year: int | None) -> None:
    if year is not None and not 1900 <= year <= 2999:
        raise UsageError(f"年度“{year}”不对，应写成 2026 这样的四位年份")


def passbook_for(ledger_path: Path, household: str, year: int | None = None, printed: dt.date | None = None) -> Passbook:
    """One household's passbook (for the terminal or --json)."""
    _check_year(year)
    data = LedgerPassbooks.load(Ledger.open(ledger_path))
    return data.passbook(clean_text(household), year, printed)


def _printing_options(settings: dict[str, str], ledger_path: Path, templates_dir: Path | None, font: Path | None):
    from villagectl.render.typst_engine import printing_paths

    templates_dir, font = printing_paths(settings, ledger_path, templates_dir, font)
    return templates_dir, font


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


@dataclass
class PrintResult:
    files: list[Path]
    households: int
    skipped_closed: int = 0
    passbook: Passbook | None = None  # the one passbook (single household)
    group: str | None = None  # --all --group: the group printed (the roster's spelling)

    def as_dict(self) -> dict:
        out = {"files": [str(p) for p in self.files], "households": self.households,
               "skipped_closed": self.skipped_closed}
        if self.group is not None:
            out["group"] = self.group
        if self.passbook is not None:
            out["passbook"] = self.passbook.as_dict()
        return out


def print_passbook(
    ledger_path: Path,
    household: str,
    out: Path,
    year: int | None = None,
    paper: str | None = None,
    templates_dir: Path | None = None,
    font: Path | None = None,
    printed: dt.date | None = None,
) -> PrintResult:
    """Print one household's passbook. ``out`` is a .pdf file, or a folder to put it in."""
    _check_year(year)
    out = guard_output(out, ledger_path, "-o", folder=Path(out).is_dir())
    if out.suffix.lower() != ".pdf" and not out.is_dir():
        raise UsageError(f"输出应为 .pdf 文件或已存在的文件夹：{out}")
    data = LedgerPassbooks.load(Ledger.open(ledger_path))
    book = data.passbook(clean_text(household), year, printed)
    templates_dir, font = _printing_options(data.settings, ledger_path, templates_dir, font)
    target = guard_output(out / passbook_file_name(book), ledger_path, "-o") if out.is_dir() else out
    with PassbookPrinter(style_from_settings(data.settings, paper), templates_dir, font) as printer:
        printer.print(book, target)
    return PrintResult([target], 1, passbook=book)


def print_all_passbooks(
    ledger_path: Path,
    folder: Path,
    year: int | None = None,
    paper: str | None = None,
    templates_dir: Path | None = None,
    font: Path | None = None,
    printed: dt.date | None = None,
    on_each: Callable[[Path], None] | None = None,
    on_start: Callable[[int], None] | None = None,
    workers: int | None = None,
    *,
    group: str | None = None,
) -> PrintResult:
    """One PDF per open household into ``folder`` (created when missing), from one ledger read.

    ``group``: only that group's households ('第二组', '2组'; UsageError listing the groups when the village
    has none such).

    Households that moved out or were deregistered (状态 迁出 / 注销) are
    skipped; print theirs one by one with --household. ``workers``: how many
    processes lay the PDFs out (default: one per CPU, at most 4, one for small
    villages).
    """
    _check_year(year)
    folder = guard_output(folder, ledger_path, "-o", folder=True)
    if folder.suffix.lower() == ".pdf":
        raise UsageError(f"--all 时 -o 应为文件夹（每户一个 PDF），不是 {folder.name}")
    if folder.exists() and not folder.is_dir():
        raise UsageError(f"{folder} 已存在且不是文件夹")
    data = LedgerPassbooks.load(Ledger.open(ledger_path))
    households = data.open_households()
    rows = data.households
    if group is not None:
        from villagectl.ledger.households import require_group
        from villagectl.values import group_key

        group = require_group(rows, group)
        households = [h for h in households if group_key(h.group) == group_key(group)]
        rows = rows[[group_key(g) == group_key(group) for g in rows.get("组别", pd.Series("", index=rows.index))]]
    skipped = sum(1 for _, r in rows.iterrows()
                  if clean_text(r.get("户号", "")) and clean_text(r.get("状态", "")) in CLOSED_STATES)
    if not households:
        if group is not None:
            raise DataError(f"{group}没有在册的农户，没有可打印的存折")
        raise DataError("户籍表中没有在册的农户，没有可打印的存折")
    templates_dir, font = _printing_options(data.settings, ledger_path, templates_dir, font)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise FileAccessError(f"无法建立文件夹 {folder}：{exc.strerror or exc}") from None
    if on_start:
        on_start(len(households))
    printed = printed or dt.date.today()
    jobs: list[tuple[Passbook, Path]] = []
    used: set[str] = set()
    for info in households:
        book = build_passbook(data.rows_of(info.household_id), info, data.village, year, printed)
        name = passbook_file_name(book)
        if name in used:  # the same 户号 twice in 户籍: keep both files
            name = name.replace(".pdf", f"_{len(jobs) + 1}.pdf")
        used.add(name)
        jobs.append((book, folder / name))
    guard_outputs([path for _, path in jobs], ledger_path, "-o")
    print_many(jobs, style_from_settings(data.settings, paper), templates_dir, font, workers, on_each)
    files = [path for _, path in jobs]
    return PrintResult(files, len(files), skipped, group=group)
