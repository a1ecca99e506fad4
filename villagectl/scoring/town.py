"""The town's rules for one village's year (the roll-up's village summary), pure Python.

Given the columns of a village's sheets (``SheetData``: raw cell values as the roll-up's workers
read them with python-calamine, or through ``Ledger.open``), :func:`summarize_village` gives its
``VillageSummary`` for a year:

- 户数: households of 户籍 that are active (``ledger.households.is_active``: 状态 正常 or blank);
  人口: the sum of their 人口;
- 年度获得积分: the year's earned points, from ``ledger.journal.classify_columns`` (the one
  classifier: monthly points by the month they are for, events by the event's date, reversals
  against the year of what they reverse, never the opening balance nor redemptions), over every
  household of the journal; 积分余额: the sum of all journal rows (the classifier's balance);
- 兑换积分 / 兑换金额: the year's redemptions from 兑换记录 (rows dated in the year, 作废 left out;
  a blank 金额 is 积分 × 每分折合元). When 兑换记录 lacks the 日期, 积分 or 金额 column (or the
  sheet), the journal's 兑换 rows posted in the year are used instead (their reversals net out),
  yuan = points × 参数 每分折合元;
- 奖励经费 = 人口 × 参数 人均奖励经费, and its use = 兑换金额 ÷ 奖励经费;
- stars, medals, red and black lists: counted from 年度评定 rows of the year;
- per 组别: households, residents, earned points, balance, average per household.

Across villages: :func:`refuse_same_names`, :func:`count_moved_once` (a household transferred
between two villages of the roll-up counts in the receiving one only) and :func:`total_of`.
Nothing here reads a file or imports pandas (the roll-up's worker processes use it).
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from villagectl.errors import DataError
from villagectl import schema
from villagectl.ledger.households import is_active
from villagectl.ledger.journal import account_totals, classify_columns
from villagectl.values import NotANumber, clean_text, fmt_number, to_number

STAR_LABELS = ("五星", "四星", "三星")
MEDAL_LABELS = ("金牌", "银牌", "铜牌")
NO_GROUP = "（未分组）"
NOT_IN_ROSTER = "（户籍中没有的户号）"
SOURCE_REDEMPTIONS = "兑换记录"
SOURCE_JOURNAL = "积分流水"
RATED_POSTED = "入账"  # the year's 年度评定 state, as the 期间 sheet names it
RATED_NOTICE = "公示"
RATED_DRAFT = "草稿"
RATED_NONE = "未评定"

@dataclass
class GroupSummary:
    group: str
    households: int = 0  # 状态 正常
    residents: int = 0
    earned: float = 0.0
    balance: float = 0.0

    @property
    def average(self) -> float | None:
        return round(self.earned / self.households, 2) if self.households else None

    def as_dict(self) -> dict:
        return {"group": self.group, "households": self.households, "residents": self.residents,
                "earned": self.earned, "average": self.average, "balance": self.balance}


@dataclass
class VillageSummary:
    file: str  # as shown to the clerk (relative to the folder given)
    path: str
    village: str
    households: int
    residents: int
    earned: float
    balance: float
    redeemed_points: float
    redeemed_yuan: float
    redemption_source: str  # 兑换记录 / 积分流水
    yuan_per_point: float
    per_resident: float | None  # 人均奖励经费
    budget: float | None
    stars: tuple[int, int, int]
    medals: tuple[int, int, int]
    red: int
    black: int
    rating: str  # 入账 / 公示 / 草稿 / 未评定 (the year's 年度评定 rows)
    groups: list[GroupSummary] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    town: str = ""  # 参数 乡镇 (blank when the ledger does not say)
    # households that moved out by a transfer: transfer id → (户号, 组别, points earned in the year here);
    # when the receiving village is in the roll-up, the household counts there only (its history went with it)
    transfers_out: dict[str, tuple[str, str, float]] = field(default_factory=dict)
    transfers_in: list[str] = field(default_factory=list)  # transfer ids received (转入 rows' 关联)
    moved_away: list[str] = field(default_factory=list)  # "户号（转往 X村）": counted in the receiving village

    @property
    def budget_use(self) -> float | None:
        """Percent of the year's reward budget spent at the shop."""
        return use_percent(self.redeemed_yuan, self.budget)

    def as_dict(self) -> dict:
        d = asdict(self)
        d["groups"] = [g.as_dict() for g in self.groups]
        d["transfers_out"] = sorted(self.transfers_out)
        d["budget_use"] = self.budget_use
        d["stars"] = dict(zip(("five", "four", "three"), self.stars))
        d["medals"] = dict(zip(("gold", "silver", "bronze"), self.medals))
        return d


@dataclass
class Skipped:
    file: str
    reason: str

    def as_dict(self) -> dict:
        return {"file": self.file, "reason": self.reason}


@dataclass
class Totals:
    villages: int
    households: int
    residents: int
    earned: float
    balance: float
    redeemed_points: float
    redeemed_yuan: float
    budget: float | None
    stars: tuple[int, int, int]
    medals: tuple[int, int, int]
    red: int
    black: int

    @property
    def budget_use(self) -> float | None:
        return use_percent(self.redeemed_yuan, self.budget)

    def as_dict(self) -> dict:
        d = asdict(self)
        d["budget_use"] = self.budget_use
        d["stars"] = dict(zip(("five", "four", "three"), self.stars))
        d["medals"] = dict(zip(("gold", "silver", "bronze"), self.medals))
        return d


@dataclass
class RollupResult:
    year: int
    files: int
    villages: list[VillageSummary]
    skipped: list[Skipped]
    warnings: list[tuple[str, str]]  # (file, message)
    totals: Totals
    output: Path | None = None
    pdf: Path | None = None
    town: str = ""  # --town, or the 乡镇 all the ledgers name

    @property
    def ok(self) -> bool:
        return not self.skipped

    def as_dict(self) -> dict:
        return {
            "ok": self.ok,
            "year": self.year,
            "town": self.town,
            "files": self.files,
            "read": len(self.villages),
            "skipped": [s.as_dict() for s in self.skipped],
            "warnings": [{"file": f, "message": m} for f, m in self.warnings],
            "villages": [v.as_dict() for v in self.villages],
            "totals": self.totals.as_dict(),
            "output": str(self.output) if self.output else None,
            "pdf": str(self.pdf) if self.pdf else None,
        }


def refuse_same_names(villages: list[VillageSummary]) -> tuple[list[VillageSummary], list[Skipped]]:
    """Two ledgers with the same 村名 are not summed (a copy or a backup would count a village twice)."""
    names: dict[str, list[VillageSummary]] = {}
    for v in villages:
        names.setdefault(v.village, []).append(v)
    kept: list[VillageSummary] = []
    refused: list[Skipped] = []
    for v in villages:
        same = names[v.village]
        if len(same) == 1:
            kept.append(v)
            continue
        others = "、".join(o.file for o in same if o is not v)
        refused.append(Skipped(v.file, f"村名“{v.village}”与 {others} 相同，同名的台账都没有汇总（以免一个村算两次）。"
                                       "如果其中有副本或备份，请把它移出汇总的文件夹；如果确是两个村，"
                                       "请在各自台账“参数”表把“村名”改成能区分的名字（如加上乡镇名）"))
    return kept, refused


def count_moved_once(villages: list[VillageSummary]) -> None:
    """A household transferred between two villages of the roll-up counts in the receiving village only.

    Its year's history went with it (``transfer in`` writes it as 转入 rows, which the receiving
    village counts as the year's earnings), so the leaving village's earned points for it are taken
    out of the village's and its group's figures. The household is no longer 正常 there, so the
    household and resident counts already leave it out.
    """
    received = {tid: v for v in villages for tid in v.transfers_in}
    for v in villages:
        for tid, (hid, group, earned) in sorted(v.transfers_out.items()):
            to = received.get(tid)
            if to is None or to is v:
                continue
            v.moved_away.append(f"{hid}（转往{to.village}）")
            if earned:
                v.earned = round(v.earned - earned, 4)
                for g in v.groups:
                    if g.group == group:
                        g.earned = round(g.earned - earned, 4)
        if v.moved_away:
            v.warnings.append(f"年内转往汇总内其他村的 {len(v.moved_away)} 户只计入转入的村（积分已随户转走）："
                              + "、".join(v.moved_away))


def common_town(villages: list[VillageSummary]) -> str:
    towns = {v.town for v in villages if v.town}
    return towns.pop() if len(towns) == 1 else ""


def use_percent(yuan: float, budget: float | None) -> float | None:
    if not budget:
        return None
    return round(yuan / budget * 100, 1)


def total_of(villages: list[VillageSummary]) -> Totals:
    budgets = [v.budget for v in villages if v.budget is not None]
    return Totals(
        villages=len(villages),
        households=sum(v.households for v in villages),
        residents=sum(v.residents for v in villages),
        earned=round(sum(v.earned for v in villages), 4),
        balance=round(sum(v.balance for v in villages), 4),
        redeemed_points=round(sum(v.redeemed_points for v in villages), 4),
        redeemed_yuan=round(sum(v.redeemed_yuan for v in villages), 2),
        budget=round(sum(budgets), 2) if budgets else None,
        stars=tuple(sum(v.stars[i] for v in villages) for i in range(3)),  # type: ignore[arg-type]
        medals=tuple(sum(v.medals[i] for v in villages) for i in range(3)),  # type: ignore[arg-type]
        red=sum(v.red for v in villages),
        black=sum(v.black for v in villages),
    )


# --------------------------------------------------------------------------
# One village
# --------------------------------------------------------------------------


@dataclass
class SheetData:
    """The columns of one sheet that the roll-up reads, as raw cell values."""

    name: str
    columns: dict[str, list[Any]]
    letters: dict[str, str]  # column → its letter, for messages
    excel_rows: list[int]

    def __len__(self) -> int:
        return len(self.excel_rows)

    def get(self, column: str) -> list[Any]:
        values = self.columns.get(column)
        return values if values is not None else [""] * len(self.excel_rows)

    def has(self, column: str) -> bool:
        return column in self.columns

    def cell(self, column: str, i: int) -> str:
        return f"{self.letters.get(column, '')}{self.excel_rows[i]}"


class _Numbers:
    """Parses a column's numbers, remembering the cells that are not numbers."""

    def __init__(self, sheet: SheetData, column: str, label: str = ""):
        self.sheet, self.column, self.label = sheet, column, label or column
        self.bad: list[tuple[str, str]] = []

    def value(self, raw: Any, i: int) -> float | None:
        if raw.__class__ is float or raw.__class__ is int:
            return float(raw) if raw == raw else None
        try:
            return to_number(raw)
        except NotANumber:
            self.bad.append((self.sheet.cell(self.column, i), clean_text(raw)))
            return None

    def check(self) -> None:
        if not self.bad:
            return
        cell, text = self.bad[0]
        more = f"（共 {len(self.bad)} 处）" if len(self.bad) > 1 else ""
        raise DataError(f"“{self.sheet.name}”{cell} 的{self.label}“{text}”不是数字{more}，请在台账中改正")


def _year_of(text: str) -> int | None:
    return int(text[:4]) if text[:4].isdigit() else None


def _setting_number(settings: dict[str, str], key: str, default: float | None) -> float | None:
    text = settings.get(key, "")
    if not text:
        return default
    try:
        value = to_number(text)
    except NotANumber:
        value = None
    if value is None or value < 0:
        raise DataError(f"“参数”表“{key}”的值“{text}”不是有效的数字，请在台账中改正")
    return value


def summarize_village(sheets: dict[str, SheetData], year: int, file: str = "", path: str = "") -> VillageSummary:
    """The village's figures for ``year`` from its sheets (see the module docstring)."""
    warnings: list[str] = []
    # --- 参数
    params = sheets[schema.SETTINGS.name]
    settings: dict[str, str] = {}
    for k, v in zip(params.get("键"), params.get("值")):
        key = clean_text(k)
        if key:
            settings[key] = clean_text(v)
    village = settings.get("村名") or Path(file or path).stem
    yuan_per_point = _setting_number(settings, "每分折合元", 1.0) or 0.0
    per_resident = _setting_number(settings, "人均奖励经费", None)

    # --- 户籍
    roster = sheets[schema.HOUSEHOLDS.name]
    sizes = _Numbers(roster, "人口")
    group_of: dict[str, str] = {}
    groups: dict[str, GroupSummary] = {}
    for i, (hid_raw, group_raw, size_raw, state_raw) in enumerate(
        zip(roster.get("户号"), roster.get("组别"), roster.get("人口"), roster.get("状态"))
    ):
        hid = clean_text(hid_raw)
        group = clean_text(group_raw) or NO_GROUP
        g = groups.get(group)
        if g is None:
            g = groups[group] = GroupSummary(group)
        if hid:
            group_of[hid] = group
        if not hid or not is_active(state_raw):
            continue
        g.households += 1
        size = sizes.value(size_raw, i)
        g.residents += int(size) if size and size > 0 else 0
    sizes.check()

    # --- 积分事件: the dates that place award/deduction rows in a year
    event_dates: dict[str, str] = {}
    events = sheets.get(schema.EVENTS.name)
    if events is not None and events.has("事件号") and events.has("日期"):
        event_dates = {clean_text(i): clean_text(d) for i, d in zip(events.get("事件号"), events.get("日期"))}

    # --- 积分流水: every figure from the one classifier (ledger.journal.classify_columns)
    journal = sheets[schema.JOURNAL.name]
    numbers = _Numbers(journal, "积分")
    points = [numbers.value(v, i) or 0.0 for i, v in enumerate(journal.get("积分"))]
    numbers.check()
    entries = classify_columns(journal.get("流水号"), journal.get("户号"), journal.get("成员"), journal.get("类型"),
                               points, journal.get("日期"), journal.get("关联"), event_dates)
    totals = account_totals(entries)
    earned_by_hh = {h: t.by_year.get(year, 0.0) for h, t in totals.items()}
    journal_rows_in_year = sum(1 for e in entries if e.year == year)
    # the journal's redemptions posted in the year (a reversal counts as what it reverses)
    journal_redeemed = 0.0 - sum(e.points for e in entries if e.kind == schema.ENTRY_REDEEM and _year_of(e.date) == year)
    transfers_out: dict[str, tuple[str, str, float]] = {}
    transfers_in: list[str] = []
    for e in entries:
        if not e.reference:
            continue
        if e.type == schema.ENTRY_TRANSFER_OUT:
            transfers_out[e.reference] = (e.household_id, group_of.get(e.household_id, NOT_IN_ROSTER),
                                          earned_by_hh.get(e.household_id, 0.0))
        elif e.type == schema.ENTRY_TRANSFER_IN and e.reference not in transfers_in:
            transfers_in.append(e.reference)

    orphans = 0
    for hid, t in totals.items():
        group = group_of.get(hid)
        if group is None:
            orphans += 1
            group = NOT_IN_ROSTER
        g = groups.get(group)
        if g is None:
            g = groups[group] = GroupSummary(group)
        g.earned += earned_by_hh[hid]
        g.balance += t.balance
    for g in groups.values():
        g.earned = round(g.earned, 4)
        g.balance = round(g.balance, 4)
    if orphans:
        warnings.append(f"积分流水中有 {orphans} 个户号不在户籍表里（已计入“{NOT_IN_ROSTER}”）；可运行 villagectl check 查看")
    if not journal_rows_in_year and len(journal):
        warnings.append(f"积分流水里没有 {year} 年获得的积分")

    # --- 兑换记录 (or the journal's 兑换 rows)
    journal_redeemed = round(journal_redeemed, 4)
    shop = sheets.get(schema.REDEMPTIONS.name)
    if shop is not None and all(shop.has(c) for c in ("日期", "积分", "金额")):
        source = SOURCE_REDEMPTIONS
        pts_parser = _Numbers(shop, "积分")
        yuan_parser = _Numbers(shop, "金额")
        redeemed_points = redeemed_yuan = 0.0
        for i, (date, pts_raw, yuan_raw, state) in enumerate(
            zip(shop.get("日期"), shop.get("积分"), shop.get("金额"), shop.get("状态"))
        ):
            m = re.match(r"(\d{4})", clean_text(date))
            if not m or int(m.group(1)) != year or clean_text(state) == "作废":
                continue
            pts = pts_parser.value(pts_raw, i) or 0.0
            yuan = yuan_parser.value(yuan_raw, i)
            redeemed_points += pts
            redeemed_yuan += yuan if yuan is not None else pts * yuan_per_point
        pts_parser.check()
        yuan_parser.check()
        redeemed_points = round(redeemed_points, 4)
        if abs(redeemed_points - journal_redeemed) > 0.005:
            warnings.append(f"{year} 年兑换记录的兑换积分（{_fmt(redeemed_points)}）与积分流水的兑换积分"
                            f"（{_fmt(journal_redeemed)}）不一致；汇总用兑换记录，请运行 villagectl check 核对")
    else:
        source = SOURCE_JOURNAL
        redeemed_points = journal_redeemed
        redeemed_yuan = journal_redeemed * yuan_per_point
        if shop is not None and len(shop):
            warnings.append("兑换记录缺少“日期”“积分”或“金额”列，兑换数按积分流水的兑换记录计算")

    # --- 年度评定
    stars = [0, 0, 0]
    medals = [0, 0, 0]
    red = black = 0
    rating = RATED_NONE
    annual = sheets.get(schema.ANNUAL.name)
    if annual is not None and annual.has("年度"):
        wanted = str(year)
        states: set[str] = set()
        for y, star, medal, board, state in zip(annual.get("年度"), annual.get("星级"), annual.get("牌级"),
                                                annual.get("榜单"), annual.get("状态")):
            if clean_text(y) != wanted:
                continue
            states.add(clean_text(state))
            star, medal, board = clean_text(star), clean_text(medal), clean_text(board)
            for k, label in enumerate(STAR_LABELS):
                if star.startswith(label):
                    stars[k] += 1
            for k, label in enumerate(MEDAL_LABELS):
                if medal.startswith(label):
                    medals[k] += 1
            if board == "红榜":
                red += 1
            elif board == "黑榜":
                black += 1
        if states:
            rating = RATED_POSTED if "入账" in states else RATED_NOTICE if "公示" in states else RATED_DRAFT

    ordered = list(groups.values())
    households = sum(g.households for g in ordered)
    residents = sum(g.residents for g in ordered)
    budget = round(residents * per_resident, 2) if per_resident is not None else None
    return VillageSummary(
        file=file,
        path=path,
        village=village,
        households=households,
        residents=residents,
        earned=round(sum(earned_by_hh.values()), 4),
        balance=round(sum(t.balance for t in totals.values()), 4),
        redeemed_points=redeemed_points,
        redeemed_yuan=round(redeemed_yuan, 2),
        redemption_source=source,
        yuan_per_point=yuan_per_point,
        per_resident=per_resident,
        budget=budget,
        stars=tuple(stars),  # type: ignore[arg-type]
        medals=tuple(medals),  # type: ignore[arg-type]
        red=red,
        black=black,
        rating=rating,
        groups=[g for g in ordered if g.households or g.earned or g.balance or g.residents],
        warnings=warnings,
        town=settings.get("乡镇", ""),
        transfers_out=transfers_out,
        transfers_in=transfers_in,
    )


def _fmt(value: float) -> str:
    return fmt_number(round(value, 4))


