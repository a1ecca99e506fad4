"""``redeem`` and ``redeem cancel``: spending posted points at the village shop (爱心超市).

A redemption (one 兑换单, one 单号) has one or more lines (物品 × 数量). It is
checked whole before anything is written:

- the household is in 户籍 and its 状态 is 正常;
- every item is in 商品 with a price and enough stock (an item not in the
  catalogue needs its points and a reason);
- the points do not exceed the household's balance (the sum of its journal
  rows: only posted points are in the journal);
- the year's spending (兑换记录 of the year, not cancelled) against the
  reward budget: 常住人口 of the year (参数 常住人口, or 户籍 人口 of the
  households active on 1 January: actions/budget.py) × 参数 人均奖励经费 yuan
  (empty: no cap). Past it: a warning (参数 经费超出时 = 提醒, the default), or a
  refusal (经费超出时 = 拒绝) unless ``over_budget`` and a reason.

Then, in one write of the ledger: one 兑换 row in 积分流水 (negative points,
摘要 "兑换 食用油×1、毛巾×2", 关联 = 单号), one 兑换记录 row per line, 商品
库存 lowered. The slip PDF is made before the ledger is written and moved to
its place after, so a refusal or a failed print leaves the ledger unchanged.

``redeem_import`` (actions/redeem_import.py) runs a whole day sheet through
the same checks (``ShopState``), counting the earlier lines of the file.
"""

from __future__ import annotations

import datetime as dt
import difflib
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import pandas as pd

from villagectl.actions.slips import (
    FREE_ITEM_MARK,
    SECRET_KEY,
    STATE_OPEN,
    STATE_USED,
    STATE_VOID,
    canonical_content,
    check_pdf_name,
    collections,
    default_slip_folder,
    find_slip,
    ledger_secret,
    make_code,
    make_payload,
    new_secret,
    pages_for,
    redemption_frame,
    require_secret,
    reset_collection,
    shop_name,
    slip_records,
)
from villagectl.actions.budget import OVER_REFUSE, YearBase, over_mode, year_base
from villagectl.errors import DataError, FileAccessError, Location, Problem, UsageError
from villagectl.io.preflight import col_letters
from villagectl.io.outputs import guard_output
from villagectl.io.safe_write import ledger_lock
from villagectl.io.staged import StagedOutputs
from villagectl.ledger import schema
from villagectl.ledger.households import find_household
from villagectl.ledger.journal import (
    NewEntry,
    ReversalRefused,
    append_entries,
    current_balances,
    require_intact,
    reverse_entry,
)
from villagectl.ledger.workbook import Ledger
from villagectl.render.slips import (
    MAX_LINES,
    Slip,
    SlipLine,
    SlipSheet,
    items_summary,
    render_slips,
)
from villagectl.values import NotANumber, as_text, clean_name, clean_text, fmt_number, to_number

NUMBER_PREFIX = "DH"
NUMBER_DIGITS = 6
NUMBER_RE = re.compile(rf"^{NUMBER_PREFIX}(\d{{4}})-(\d+)$")
DEFAULT_WARN_PERCENT = 80.0


# --------------------------------------------------------------------------
# Requests and plans
# --------------------------------------------------------------------------


@dataclass
class LineRequest:
    """One line as the clerk gave it (raw values: the checks say what is wrong)."""

    item: str
    qty: object = None  # None or blank → 1
    unit_points: object = None  # points per unit, for an item not in 商品 (CLI --points)
    total_points: object = None  # the line's points as written in a day sheet (optional)
    reason: str = ""  # why an item not in 商品 is given
    where: dict[str, Location] = field(default_factory=dict)  # 物品/数量/积分/… → cell
    source: str = ""  # 来源 written to 兑换记录


@dataclass
class RedemptionRequest:
    household_id: str  # 户号, already resolved
    date: dt.date
    lines: list[LineRequest]
    where: Location = field(default_factory=Location)  # the household's cell
    source_file: str = ""


@dataclass
class PlannedLine:
    item: str
    qty: float
    unit: str
    unit_points: float
    points: float
    yuan: float
    catalogue_key: str | None  # None for an item not in 商品
    note: str = ""
    source: str = ""


@dataclass
class PlannedRedemption:
    number: str
    date: dt.date
    household_id: str
    name: str
    lines: list[PlannedLine]
    points: float
    yuan: float
    balance_before: float = 0.0
    balance_after: float = 0.0
    code: str = ""
    payload: str = ""
    entry_id: str = ""
    over_budget: bool = False
    note: str = ""

    @property
    def summary(self) -> str:
        return "兑换 " + items_summary(self.slip_lines())

    def slip_lines(self) -> list[SlipLine]:
        return [SlipLine(l.item, l.qty, l.unit, l.unit_points, l.points, l.yuan) for l in self.lines]

    def slip(self, operator: str = "") -> Slip:
        return Slip(self.number, self.date, self.household_id, self.name, self.slip_lines(), self.points, self.yuan,
                    self.balance_before, self.balance_after, self.code, self.payload, operator)

    def as_dict(self) -> dict:
        return {
            "slip": self.number,
            "date": self.date.isoformat(),
            "household_id": self.household_id,
            "name": self.name,
            "lines": [
                {"item": l.item, "qty": l.qty, "unit": l.unit, "unit_points": l.unit_points, "points": l.points,
                 "yuan": l.yuan, "in_catalogue": l.catalogue_key is not None}
                for l in self.lines
            ],
            "points": self.points,
            "yuan": self.yuan,
            "balance_before": self.balance_before,
            "balance_after": self.balance_after,
            "entry_id": self.entry_id or None,
            "code": self.code,
            "qr_payload": self.payload,
            "over_budget": self.over_budget,
        }


@dataclass
class BudgetStatus:
    year: int
    budget: float | None  # yuan; None when 人均奖励经费 is not set
    residents: int
    per_resident: float | None
    spent: float  # yuan, after this run
    warn_percent: float
    base: str = ""  # where 常住人口 comes from (budget.YearBase.source)
    mode: str = "提醒"  # 参数 经费超出时

    @property
    def figures(self) -> str:
        return f"{self.residents} 人 × {fmt_number(self.per_resident)} 元，常住人口取{self.base}" if self.base else \
            f"{self.residents} 人 × {fmt_number(self.per_resident)} 元"

    @property
    def ratio(self) -> float | None:
        return None if not self.budget else round(self.spent / self.budget, 4)

    @property
    def warning(self) -> str | None:
        if self.budget is None:
            return None
        if self.spent > self.budget + 1e-9:
            share = f"的 {self.spent / self.budget * 100:.0f}%" if self.budget > 0 else ""
            return (f"{self.year} 年兑换金额 {money(self.spent)} 元，已超出全年奖励经费 {money(self.budget)} 元{share}"
                    f"（{self.figures}）")
        if self.budget > 0 and self.spent >= self.budget - 1e-9:
            return (f"{self.year} 年兑换金额已达 {money(self.spent)} 元，全年奖励经费 {money(self.budget)} 元已用完（100%）"
                    f"（{self.figures}）")
        if self.budget > 0 and self.spent >= self.budget * self.warn_percent / 100 - 1e-9:
            return (f"{self.year} 年兑换金额已达 {money(self.spent)} 元，占全年奖励经费 {money(self.budget)} 元的 "
                    f"{self.spent / self.budget * 100:.0f}%（预警比例 {fmt_number(self.warn_percent)}%；{self.figures}），请注意控制")
        return None

    def as_dict(self) -> dict:
        return {"year": self.year, "budget": self.budget, "residents": self.residents,
                "per_resident": self.per_resident, "spent": round(self.spent, 4), "ratio": self.ratio,
                "warn_percent": self.warn_percent, "warning": self.warning, "base": self.base,
                "over_mode": self.mode}


def money(value: float) -> str:
    return f"{value:.2f}"


# --------------------------------------------------------------------------
# The shop's state: catalogue, stock, balances, budget — checked and updated line by line
# --------------------------------------------------------------------------


@dataclass
class CatalogueItem:
    name: str
    unit: str
    price: float | None
    stock: float | None
    index: object  # the 商品 frame's index of the row
    row: int  # its Excel row
    problem: str | None = None  # price or stock not usable
    problem_column: str = ""


def _num(value: object) -> float | None:
    try:
        return to_number(value)
    except NotANumber:
        return None


def balances_of(journal: pd.DataFrame) -> dict[str, float]:
    """户号 → balance: the sum of its journal points (ledger.journal)."""
    return current_balances(journal)


class ShopState:
    """Everything a redemption is checked against, updated as lines are accepted."""

    def __init__(self, ledger: Ledger):
        ledger.require(schema.SETTINGS.name, schema.HOUSEHOLDS.name, schema.SHOP.name)
        self.ledger = ledger
        self.file = ledger.path.name
        self.settings = ledger.settings()
        self.yuan_per_point = self._number_setting("每分折合元", 1.0, positive=True)
        self.per_resident = self._number_setting("人均奖励经费", None)
        self.warn_percent = self._number_setting("经费预警比例", DEFAULT_WARN_PERCENT)
        try:
            self.over_mode = over_mode(self.settings)
        except DataError as e:
            raise DataError(e.message, [Problem(self.setting_location("经费超出时"), "应为 提醒 或 拒绝")]) from None
        self._bases: dict[int, YearBase] = {}
        self.journal = ledger.frame_or_empty(schema.JOURNAL.name)
        self.redemptions = redemption_frame(ledger)
        self.shop = ledger.frame(schema.SHOP.name).copy()
        self.balances = balances_of(self.journal)
        self._load_households()
        self._load_catalogue()
        self.stock = {k: it.stock for k, it in self.catalogue.items()}
        self.spent = self._spent_by_year()
        self.next_seq = self._next_numbers()
        self.touched_years: set[int] = set()
        self.spent_in_run: dict[str, float] = {}  # points accepted in this run, per household

    # -- reading ------------------------------------------------------------

    def setting_location(self, key: str) -> Location:
        frame = self.ledger.frame(schema.SETTINGS.name)
        for idx, value in frame["键"].items():
            if clean_text(value) == key:
                col = list(frame.columns).index("值") + 1
                return Location(self.file, schema.SETTINGS.name, f"{col_letters(col)}{self.ledger.excel_row(schema.SETTINGS.name, idx)}")
        return Location(self.file, schema.SETTINGS.name)

    def _number_setting(self, key: str, default: float | None, positive: bool = False) -> float | None:
        text = self.settings.get(key, "")
        if not text:
            return default
        try:
            value = to_number(text)
        except NotANumber:
            value = None
        if value is None or value < 0 or (positive and value == 0):
            raise DataError(f"参数“{key}”的值“{text}”不是有效的数字",
                            [Problem(self.setting_location(key), f"“{key}”应为{'正数' if positive else '不小于 0 的数字'}")])
        return value

    def _load_households(self) -> None:
        frame = self.ledger.frame(schema.HOUSEHOLDS.name)
        self.households: dict[str, dict] = {}
        self.by_name: dict[str, list[str]] = {}
        self.residents = 0
        for _, row in frame.iterrows():
            hid = clean_text(row.get("户号"))
            if not hid:
                continue
            state = clean_text(row.get("状态")) or "正常"
            name = as_text(row.get("户主"))
            self.households[hid] = {"name": name, "group": clean_text(row.get("组别")), "state": state}
            self.by_name.setdefault(clean_name(name), []).append(hid)
            if state == "正常":
                size = _num(row.get("人口"))
                self.residents += int(size) if size and size > 0 else 0

    def _load_catalogue(self) -> None:
        self.catalogue: dict[str, CatalogueItem] = {}
        self.duplicates: dict[str, list[int]] = {}
        cols = list(self.shop.columns)
        for idx, row in self.shop.iterrows():
            name = as_text(row.get("名称"))  # printed on slips as typed; matched by clean_name
            if not name:
                continue
            key = clean_name(name)
            excel_row = self.ledger.excel_row(schema.SHOP.name, idx)
            if key in self.catalogue:
                self.duplicates.setdefault(key, [self.catalogue[key].row]).append(excel_row)
                continue
            item = CatalogueItem(name, clean_text(row.get("单位")), None, None, idx, excel_row)
            try:
                item.price = to_number(row.get("积分单价"))
                if item.price is None or item.price <= 0:
                    item.problem, item.problem_column = f"“{name}”的积分单价{'没有填写' if item.price is None else '应大于 0'}", "积分单价"
                    item.price = None
            except NotANumber:
                item.problem, item.problem_column = f"“{name}”的积分单价“{clean_text(row.get('积分单价'))}”不是数字", "积分单价"
            if item.problem is None:
                try:
                    item.stock = to_number(row.get("库存"))
                    if item.stock is None:
                        item.problem, item.problem_column = f"“{name}”没有填写库存（没有库存的写 0）", "库存"
                    elif item.stock < 0:
                        item.problem, item.problem_column = f"“{name}”的库存是负数", "库存"
                except NotANumber:
                    item.problem, item.problem_column = f"“{name}”的库存“{clean_text(row.get('库存'))}”不是数字", "库存"
            self.catalogue[key] = item
        self._shop_cols = cols

    def shop_cell(self, item: CatalogueItem, column: str) -> Location:
        col = self._shop_cols.index(column) + 1 if column in self._shop_cols else 1
        return Location(self.file, schema.SHOP.name, f"{col_letters(col)}{item.row}")

    def _spent_by_year(self) -> dict[int, float]:
        spent: dict[int, float] = {}
        frame = self.redemptions
        for _, row in frame.iterrows():
            if clean_text(row.get("状态")) == STATE_VOID:
                continue
            m = re.match(r"(\d{4})", clean_text(row.get("日期")))
            if not m:
                continue
            year = int(m.group(1))
            spent[year] = round(spent.get(year, 0.0) + (_num(row.get("金额")) or 0.0), 4)
        return spent

    def _next_numbers(self) -> dict[int, int]:
        best: dict[int, int] = {}
        for value in self.redemptions["单号"]:
            m = NUMBER_RE.match(clean_text(value))
            if m:
                year, seq = int(m.group(1)), int(m.group(2))
                best[year] = max(best.get(year, 0), seq)
        return {y: s + 1 for y, s in best.items()}

    def base(self, year: int) -> YearBase:
        """常住人口 of ``year`` (the setting, or 户籍 at 1 January), worked out once per year."""
        if year not in self._bases:
            try:
                self._bases[year] = year_base(self.settings, self.ledger.frame(schema.HOUSEHOLDS.name), self.journal, year)
            except DataError as e:
                raise DataError(e.message, [Problem(self.setting_location("常住人口"), "应为人数（不小于 0 的整数）")],
                                hint=e.hint) from None
        return self._bases[year]

    def budget(self, year: int) -> float | None:
        if self.per_resident is None:
            return None
        return round(self.base(year).residents * self.per_resident, 4)

    def budget_status(self, year: int) -> BudgetStatus:
        base = self.base(year) if self.per_resident is not None else None
        return BudgetStatus(year, self.budget(year), base.residents if base else self.residents, self.per_resident,
                            self.spent.get(year, 0.0),
                            self.warn_percent if self.warn_percent is not None else DEFAULT_WARN_PERCENT,
                            base.source if base else "", self.over_mode)

    def balance(self, household_id: str) -> float:
        return self.balances.get(household_id, 0.0)

    # -- finding -------------------------------------------------------------

    def id_of(self, text: str) -> str:
        """The roster's spelling of a 户号 written in any case or width (the text itself when unknown)."""
        from villagectl.values import id_key

        if not hasattr(self, "_by_key"):
            self._by_key = {id_key(h): h for h in self.households}
        return self._by_key.get(id_key(text), clean_text(text))

    def id_hint(self, text: str, name: str = "") -> str:
        """'；同一行户主是吴桂兰，户号 ZP034？' or the nearest 户号, for an unknown one."""
        hits = self.by_name.get(clean_name(name), []) if name else []
        if len(hits) == 1:
            return f"；同一行户主是{self.households[hits[0]]['name']}，户号 {hits[0]}？"
        from villagectl.values import edit_distance, id_key

        scored = sorted((edit_distance(id_key(text), id_key(h)), h) for h in self.households)
        near = [f"{h}（{self.households[h]['name']}）" for d, h in scored if d == 1][:3]
        return "；相近的户号：" + "、".join(near) if near else ""

    def household_problem(self, household_id: str) -> str | None:
        info = self.households.get(household_id)
        if info is None:
            return f"户号 {household_id} 不在户籍中"
        if info["state"] != "正常":
            return f"{info['name']}（{household_id}）户籍状态为“{info['state']}”，不能兑换"
        return None

    def find_household(self, name: str, group: str = "") -> tuple[str | None, str | None]:
        """(户号, problem) by 户主 name (and 组别 when given)."""
        from villagectl.values import group_key

        hits = self.by_name.get(clean_name(name), [])
        if group and len(hits) > 1:
            hits = [h for h in hits if group_key(self.households[h]["group"]) == group_key(group)] or hits
        if not hits:
            return None, f"户籍里没有户主“{clean_text(name)}”"
        if len(hits) > 1:
            listed = "、".join(f"{h}（{self.households[h]['group']}）" for h in hits)
            return None, f"户主“{clean_text(name)}”同名的有 {len(hits)} 户：{listed}；请填写户号或组别"
        return hits[0], None

    def suggest(self, item: str) -> str:
        names = [it.name for it in self.catalogue.values()]
        close = difflib.get_close_matches(clean_name(item), [clean_name(n) for n in names], n=3, cutoff=0.4)
        contained = [n for n in names if clean_name(item) and (clean_name(item) in clean_name(n) or clean_name(n) in clean_name(item))]
        picks = list(dict.fromkeys(contained + [n for n in names if clean_name(n) in close]))[:3]
        if picks:
            return "；是不是“" + "”或“".join(picks) + "”？"
        return "；商品表里有：" + "、".join(names[:12]) + ("……" if len(names) > 12 else "") if names else "；商品表是空的"

    # -- checking ------------------------------------------------------------

    def plan(self, req: RedemptionRequest, problems: list[Problem], over_budget: bool = False,
             budget_reason: str = "") -> PlannedRedemption | None:
        """Check a redemption against the current state; on success apply it and return the plan."""
        errors_before = len(problems)
        hid = req.household_id
        problem = self.household_problem(hid)
        if problem:
            problems.append(Problem(req.where, problem))
            return None
        name = self.households[hid]["name"]
        if not req.lines:
            problems.append(Problem(req.where, "没有要兑换的物品"))
            return None
        if len(req.lines) > MAX_LINES:
            problems.append(Problem(req.where, f"一张兑换单最多 {MAX_LINES} 种物品，这里有 {len(req.lines)} 种，请分成几次兑换"))
            return None
        planned: list[PlannedLine] = []
        taken: dict[str, float] = {}  # stock taken by earlier lines of this redemption
        for line in req.lines:
            p = self._plan_line(line, taken, problems)
            if p is not None:
                planned.append(p)
        if len(problems) > errors_before:
            return None
        total = round(sum(p.points for p in planned), 4)
        yuan = round(sum(p.yuan for p in planned), 4)
        balance = self.balance(hid)
        if total > balance + 1e-9:
            # name the line where the balance runs out
            running, culprit = 0.0, req.lines[-1]
            for line, p in zip(req.lines, planned):
                running += p.points
                if running > balance + 1e-9:
                    culprit = line
                    break
            where = culprit.where.get("积分") or culprit.where.get("数量") or culprit.where.get("物品") or req.where
            earlier = self.spent_in_run.get(hid, 0.0)
            more = f"（本文件前面的行已兑换 {fmt_number(earlier)} 分）" if earlier else ""
            problems.append(Problem(where, f"{name}（{hid}）积分余额 {fmt_number(balance)} 分{more}，"
                                           f"本次兑换需要 {fmt_number(total)} 分，余额不足，不能兑换"))
            return None
        year = req.date.year
        budget = self.budget(year)
        spent = self.spent.get(year, 0.0)
        crosses = budget is not None and spent + yuan > budget + 1e-9
        if crosses and not over_budget and self.over_mode == OVER_REFUSE:
            where = req.lines[-1].where.get("积分") or req.lines[-1].where.get("物品") or req.where
            problems.append(Problem(
                where,
                f"超出 {year} 年奖励经费：全年经费 {money(budget)} 元（{self.budget_status(year).figures}），"
                f"已兑换 {money(spent)} 元，本次 {money(yuan)} 元，参数“经费超出时”为“拒绝”；"
                f"确需兑换请加 --over-budget --reason \"原因\"",
            ))
            return None
        # accepted: apply to the state
        planned = merge_lines(planned)
        for p in planned:
            if p.catalogue_key is not None:
                self.stock[p.catalogue_key] = round(self.stock[p.catalogue_key] - p.qty, 4)
        self.balances[hid] = round(balance - total, 4)
        self.spent_in_run[hid] = round(self.spent_in_run.get(hid, 0.0) + total, 4)
        self.spent[year] = round(spent + yuan, 4)
        self.touched_years.add(year)
        seq = self.next_seq.get(year, 1)
        self.next_seq[year] = seq + 1
        number = f"{NUMBER_PREFIX}{year}-{seq:0{NUMBER_DIGITS}d}"
        plan = PlannedRedemption(number, req.date, hid, name, planned, total, yuan, balance, round(balance - total, 4),
                                 over_budget=crosses)
        if crosses:
            plan.note = f"超出年度经费：{budget_reason}" if budget_reason else "超出年度经费"
        return plan

    def _plan_line(self, line: LineRequest, taken: dict[str, float], problems: list[Problem]) -> PlannedLine | None:
        item_loc = line.where.get("物品", Location())
        qty_loc = line.where.get("数量", item_loc)
        pts_loc = line.where.get("积分", item_loc)
        item = as_text(line.item)
        if not item:
            problems.append(Problem(item_loc, "物品名称是空的"))
            return None
        qty, qty_problem = parse_qty(line.qty)
        if qty_problem:
            problems.append(Problem(qty_loc, f"“{item}”的{qty_problem}"))
            return None
        written = None
        if line.total_points is not None and clean_text(line.total_points):
            written = _num(line.total_points)
            if written is None or written <= 0:
                problems.append(Problem(pts_loc, f"积分“{clean_text(line.total_points)}”不是大于 0 的数字"))
                return None
        key = clean_name(item)
        cat = self.catalogue.get(key)
        if cat is not None:
            if key in self.duplicates:
                rows = "、".join(f"第{r}行" for r in self.duplicates[key])
                problems.append(Problem(Location(self.file, schema.SHOP.name), f"商品表里“{cat.name}”出现了多次（{rows}），请只留一行"))
                return None
            if line.unit_points is not None:
                problems.append(Problem(item_loc, f"“{cat.name}”在商品表里（积分单价 {fmt_number(cat.price)}），"
                                                  "不要再给 --points；要改价格请改商品表"))
                return None
            if cat.problem:
                problems.append(Problem(self.shop_cell(cat, cat.problem_column), cat.problem + "，请在商品表改正"))
                return None
            points = round(cat.price * qty, 4)
            if written is not None and abs(written - points) > 1e-6:
                problems.append(Problem(pts_loc, f"积分 {fmt_number(written)} 与商品表的价格不符：“{cat.name}”积分单价 "
                                                 f"{fmt_number(cat.price)} × {fmt_number(qty)} = {fmt_number(points)}"))
                return None
            left = self.stock[key] - taken.get(key, 0.0)
            if qty > left + 1e-9:
                before = (cat.stock or 0.0) - self.stock[key] + taken.get(key, 0.0)
                earlier = f"（本次前面已兑换 {fmt_number(before)}{cat.unit}）" if before > 1e-9 else ""
                if left <= 1e-9:
                    msg = f"“{cat.name}”没有库存了{earlier}，不能兑换"
                else:
                    msg = f"“{cat.name}”库存只剩 {fmt_number(left)}{cat.unit}{earlier}，不够兑换 {fmt_number(qty)}{cat.unit}"
                problems.append(Problem(qty_loc if line.where else item_loc, msg))
                return None
            taken[key] = taken.get(key, 0.0) + qty
            return PlannedLine(cat.name, qty, cat.unit, cat.price, points, round(points * self.yuan_per_point, 4), key,
                               source=line.source)
        # not in the catalogue
        if line.unit_points is None and written is None:
            problems.append(Problem(item_loc, f"商品表里没有“{item}”{self.suggest(item)}"))
            return None
        reason = clean_text(line.reason)
        if not reason:
            problems.append(Problem(item_loc, f"“{item}”不在商品表里，按目录外物品兑换须写明原因（--reason 或“备注”列）"))
            return None
        if line.unit_points is not None:
            unit_points = _num(line.unit_points)
            if unit_points is None or unit_points <= 0:
                problems.append(Problem(item_loc, f"“{item}”的积分“{clean_text(line.unit_points)}”应为大于 0 的数字"))
                return None
            points = round(unit_points * qty, 4)
        else:
            points = written
            unit_points = round(points / qty, 4)
        return PlannedLine(item, qty, "", unit_points, points, round(points * self.yuan_per_point, 4), None,
                           note=f"{FREE_ITEM_MARK}：{reason}", source=line.source)


def merge_lines(lines: list[PlannedLine]) -> list[PlannedLine]:
    """The same catalogue item twice in one redemption becomes one line."""
    out: list[PlannedLine] = []
    by_key: dict[str, PlannedLine] = {}
    for line in lines:
        same = by_key.get(line.catalogue_key) if line.catalogue_key is not None else None
        if same is None:
            out.append(line)
            if line.catalogue_key is not None:
                by_key[line.catalogue_key] = line
            continue
        same.qty = round(same.qty + line.qty, 4)
        same.points = round(same.points + line.points, 4)
        same.yuan = round(same.yuan + line.yuan, 4)
    return out


MAX_QTY = 100_000


def parse_qty(value: object) -> tuple[float, str | None]:
    """(quantity, problem). Blank → 1; '2', '２', '2桶' → 2."""
    if value is None or (isinstance(value, str) and not value.strip()) or (isinstance(value, float) and math.isnan(value)):
        return 1.0, None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        number = float(value)
    else:
        text = clean_text(value)
        m = re.fullmatch(r"([0-9]+(?:\.[0-9]+)?)\s*[\u4e00-\u9fff]{0,2}", text)
        if not m:
            return 0.0, f"数量“{text}”不是数字"
        number = float(m.group(1))
    if not math.isfinite(number) or number > MAX_QTY:  # a typed 1e308 or 99999999 must not reach the arithmetic
        return 0.0, f"数量太大（超过 {MAX_QTY:,}），不是一次能兑换的数量"
    if number <= 0:
        return 0.0, f"数量 {fmt_number(number)} 应大于 0"
    if abs(number * 100 - round(number * 100)) > 1e-9:
        return 0.0, f"数量 {fmt_number(number)} 最多两位小数"
    return number, None


# --------------------------------------------------------------------------
# Writing: journal, 兑换记录, 商品, the slips PDF
# --------------------------------------------------------------------------


def finish_plans(state: ShopState, plans: list[PlannedRedemption], secret: str) -> None:
    """Balances in posting order, codes and QR payloads."""
    # state.balances already holds the balances after every plan: walk back to the start
    start: dict[str, float] = {}
    for plan in plans:
        start[plan.household_id] = round(start.get(plan.household_id, state.balance(plan.household_id)) + plan.points, 4)
    current = dict(start)
    for plan in plans:
        plan.balance_before = current[plan.household_id]
        plan.balance_after = round(plan.balance_before - plan.points, 4)
        current[plan.household_id] = plan.balance_after
        date = plan.date.isoformat()
        plan.code = make_code(secret, canonical_content(plan.number, date, plan.household_id,
                                                        [(l.item, l.qty, l.points) for l in plan.lines], plan.points))
        plan.payload = make_payload(plan.number, date, plan.household_id, plan.points, plan.code)


def apply_plans(state: ShopState, plans: list[PlannedRedemption], operator: str, extra_note: str = "") -> None:
    """Put the plans into the ledger's frames (not saved yet)."""
    ledger = state.ledger
    journal = state.journal
    i = 0
    while i < len(plans):  # one append per run of the same date (append_entries takes one date)
        j = i
        while j < len(plans) and plans[j].date == plans[i].date:
            j += 1
        chunk = plans[i:j]
        entries = [NewEntry(p.household_id, schema.ENTRY_REDEEM, -p.points, p.summary, p.number) for p in chunk]
        journal, ids = append_entries(journal, entries, plans[i].date.isoformat(), operator)
        for p, entry_id in zip(chunk, ids):
            p.entry_id = entry_id
        i = j
    ledger.replace(schema.JOURNAL.name, journal)
    state.journal = journal

    rows = []
    for p in plans:
        slip_note = "；".join(n for n in (p.note, extra_note) if n)
        for line in p.lines:
            rows.append({
                "单号": p.number, "日期": p.date.isoformat(), "户号": p.household_id, "户主": p.name,
                "物品": line.item, "数量": line.qty, "单位": line.unit, "积分单价": line.unit_points,
                "积分": line.points, "金额": line.yuan, "兑换前余额": p.balance_before, "兑换后余额": p.balance_after,
                "流水号": p.entry_id, "核验码": p.code, "状态": STATE_OPEN, "领取日期": "", "经办人": operator,
                "说明": "；".join(n for n in (line.note, slip_note) if n), "来源": line.source,
            })
    frame = state.redemptions
    added = pd.DataFrame(rows, columns=list(frame.columns), dtype=object)
    frame = added if frame.empty else pd.concat([frame, added], ignore_index=True)
    ledger.replace(schema.REDEMPTIONS.name, frame)
    state.redemptions = frame

    shop = state.shop
    changed = False
    for key, item in state.catalogue.items():
        if item.stock is not None and abs(state.stock[key] - item.stock) > 1e-9:
            shop.at[item.index, "库存"] = _stock_value(state.stock[key])
            changed = True
    if changed:
        ledger.replace(schema.SHOP.name, shop)


def _stock_value(value: float) -> float | int:
    return int(value) if float(value).is_integer() else value


def ensure_secret(state: ShopState) -> tuple[str, str | None]:
    """(secret, warning). A ledger without a secret gets one while it has no slips yet."""
    secret = ledger_secret(state.ledger)
    if secret is not None:
        return require_secret(state.ledger), None
    if slip_records(state.redemptions):
        return require_secret(state.ledger), None  # raises: existing slips need the old secret
    settings = state.ledger.frame(schema.SETTINGS.name)
    secret = new_secret()
    row = {c: "" for c in settings.columns}
    row.update({"键": SECRET_KEY, "值": secret, "说明": "兑换单核验码的密钥，自动生成，请勿外传或修改"})
    frame = pd.concat([settings, pd.DataFrame([row], dtype=object)], ignore_index=True)
    state.ledger.replace(schema.SETTINGS.name, frame)
    return secret, f"“参数”表里没有“{SECRET_KEY}”，已自动生成（请勿外传或修改）"


def operator_of(ledger: Ledger, operator: str | None) -> str:
    return clean_text(operator) or ledger.settings().get("经办人", "") or "村文书"


def commit(
    state: ShopState,
    plans: list[PlannedRedemption],
    out_pdf: Path | None,
    save: Callable[[], None],
    templates_dir: Path | None = None,
    font: Path | None = None,
    on_slip=None,
    operator: str = "",
    on_start=None,
) -> Path | None:
    """Make the slips PDF, write the ledger, then put the PDF in place.

    The PDF is made first (a font or template problem refuses the whole
    redemption, the ledger unchanged) under a temporary name, and only moved
    to ``out_pdf`` once the ledger is saved: there is never a printed slip for
    a redemption the ledger does not have.
    """
    outs = StagedOutputs()
    if out_pdf is not None:
        settings = state.settings
        from villagectl.render.typst_engine import printing_paths

        templates_dir, font = printing_paths(settings, state.ledger.path, templates_dir, font)
        sheet = SlipSheet(settings.get("村名", ""), shop_name(settings), [p.slip(operator) for p in plans])
        pending = outs.path(out_pdf)  # ".<name>.<pid>.villagectl-pending": never looks like a slip
        if on_start is not None:
            on_start(len(plans))
        try:
            render_slips(sheet, pending, templates_dir, font, on_slip)
        except BaseException:
            outs.discard()
            raise
    with outs:
        save()
        try:
            outs.publish()
        except FileAccessError as exc:
            raise FileAccessError(
                f"兑换已记入台账，但兑换单 PDF 无法保存为 {out_pdf.name}",
                hint=f"关闭正在打开这个文件的程序后，用 villagectl slip print 补打（单号 {plans[0].number}）",
            ) from None
    return out_pdf


def prepare_output(ledger_path: Path, out_pdf: Path | None, default_name: str) -> Path:
    if out_pdf is None:
        folder = default_slip_folder(ledger_path)
        guard_output(folder / default_name, ledger_path, "兑换单文件夹")
        try:
            folder.mkdir(exist_ok=True)
        except OSError as exc:
            raise FileAccessError(f"无法建立文件夹 {folder}：{exc.strerror or exc}") from None
        return folder / default_name
    out_pdf = guard_output(out_pdf, ledger_path, "-o")
    check_pdf_name(out_pdf)
    if not out_pdf.parent.is_dir():
        raise FileAccessError(f"文件夹 {out_pdf.parent} 不存在，无法保存 {out_pdf.name}")
    return out_pdf


# --------------------------------------------------------------------------
# redeem
# --------------------------------------------------------------------------


@dataclass
class RedeemResult:
    plans: list[PlannedRedemption]
    budgets: list[BudgetStatus]
    pdf: Path | None = None
    dry_run: bool = False
    warnings: list[str] = field(default_factory=list)

    @property
    def points(self) -> float:
        return round(sum(p.points for p in self.plans), 4)

    @property
    def yuan(self) -> float:
        return round(sum(p.yuan for p in self.plans), 4)

    def as_dict(self) -> dict:
        return {
            "slips": [p.as_dict() for p in self.plans],
            "count": len(self.plans),
            "points": self.points,
            "yuan": self.yuan,
            "pdf": str(self.pdf) if self.pdf else None,
            "pages": pages_for(len(self.plans)) if self.pdf else 0,
            "dry_run": self.dry_run,
            "budget": [b.as_dict() for b in self.budgets],
            "warnings": self.warnings,
        }


def check_reasons(lines: list[LineRequest], reason: str, over_budget: bool) -> None:
    if over_budget and not clean_text(reason):
        raise UsageError("使用 --over-budget 时必须用 --reason 写明超出经费的原因")
    for line in lines:
        if line.unit_points is not None and not clean_text(reason or line.reason):
            raise UsageError(f"“{clean_text(line.item)}”用了 --points（目录外物品），必须用 --reason 写明原因")


def redeem(
    ledger_path: Path,
    household_id: str,
    lines: list[LineRequest],
    day: dt.date,
    reason: str = "",
    over_budget: bool = False,
    operator: str | None = None,
    out_pdf: Path | None = None,
    print_slip: bool = True,
    dry_run: bool = False,
    templates_dir: Path | None = None,
    font: Path | None = None,
    wait_s: float = 0.0,
    arguments: str = "",
) -> RedeemResult:
    """One redemption: check it whole, write journal/兑换记录/商品, print the slip."""
    if not lines:
        raise UsageError("请用 --item 给出要兑换的物品")
    household_id = clean_text(household_id)
    if not household_id:
        raise UsageError("请用 --household 给出户号")
    check_reasons(lines, reason, over_budget)
    for line in lines:
        if line.unit_points is not None and not line.reason:
            line.reason = reason
    if out_pdf is not None:
        out_pdf = guard_output(out_pdf, ledger_path, "-o")
        check_pdf_name(Path(out_pdf))
    with ledger_lock(ledger_path, wait_s):
        ledger = Ledger.open(ledger_path)
        require_intact(ledger)  # never spend from a journal edited by hand
        state = ShopState(ledger)
        household_id = clean_text(find_household(ledger.frame(schema.HOUSEHOLDS.name), household_id)["户号"])
        problems: list[Problem] = []
        plan = state.plan(RedemptionRequest(household_id, day, lines), problems, over_budget, as_text(reason))
        if plan is None:
            located = [p for p in problems if str(p.location)]
            unlocated = [p.message for p in problems if not str(p.location)]
            message = "；".join(unlocated) + "。没有兑换，台账未改动" if unlocated else "没有兑换，台账未改动"
            raise DataError(message, located)
        secret, secret_warning = ensure_secret(state)
        finish_plans(state, [plan], secret)
        operator = operator_of(ledger, operator)
        budget = state.budget_status(day.year)
        warnings = [w for w in (secret_warning, budget.warning) if w]
        result = RedeemResult([plan], [budget], None, dry_run, warnings)
        if dry_run:
            return result
        apply_plans(state, [plan], operator)
        target = prepare_output(ledger_path, out_pdf, f"{plan.number}.pdf") if print_slip else None
        log = f"{plan.number} {plan.name}（{household_id}）{plan.summary} {fmt_number(plan.points)} 分"
        if plan.over_budget:
            log += f"；超出年度经费，原因：{as_text(reason)}" if clean_text(reason) else "；超出年度经费（经费超出时=提醒）"
        result.pdf = commit(state, [plan], target, lambda: ledger.save("redeem", arguments, result=log),
                            templates_dir, font, operator=operator)
        return result


# --------------------------------------------------------------------------
# redeem cancel
# --------------------------------------------------------------------------


@dataclass
class CancelResult:
    slip: str
    household_id: str
    name: str
    points: float
    reversal_entry: str
    balance_after: float
    restored: list[tuple[str, float, str]]  # (item, qty, unit) put back in stock
    warnings: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {
            "slip": self.slip,
            "household_id": self.household_id,
            "name": self.name,
            "points": self.points,
            "reversal_entry": self.reversal_entry,
            "balance_after": self.balance_after,
            "restored": [{"item": i, "qty": q, "unit": u} for i, q, u in self.restored],
            "warnings": self.warnings,
        }


def cancel_redemption(
    ledger_path: Path,
    ref: str,
    reason: str,
    day: dt.date,
    operator: str | None = None,
    returned: bool = False,
    wait_s: float = 0.0,
    arguments: str = "",
) -> CancelResult:
    """Undo a redemption: a 冲正 of its journal row, stock put back, its rows marked 作废."""
    if not clean_text(reason):
        raise UsageError("作废兑换单必须用 --reason 写明原因")
    if not clean_text(ref):
        raise UsageError("请用 --slip 给出要作废的单号（如 DH2026-000123）或核验码")
    with ledger_lock(ledger_path, wait_s):
        ledger = Ledger.open(ledger_path)
        require_intact(ledger)
        state = ShopState(ledger)
        records = slip_records(state.redemptions)
        rec = find_slip(records, ref)
        where = Location(ledger.path.name, schema.REDEMPTIONS.name)
        if rec is None:
            raise DataError(f"“兑换记录”里没有单号或核验码为“{clean_text(ref)}”的兑换单")
        if rec.void:
            raise DataError(f"兑换单 {rec.number} 已经作废过，不能重复作废")
        reset = reset_collection(rec, collections(state.journal))
        if reset and not returned:
            raise DataError(reset, hint="物品已退回时加 --returned 再作废（库存会加回）")
        if rec.state == STATE_USED and not returned:
            raise DataError(
                f"兑换单 {rec.number} 的物品已于 {rec.collected or '之前'} 领取",
                hint="物品已退回时加 --returned 再作废（库存会加回）",
            )
        operator = operator_of(ledger, operator)
        try:
            journal, reversal_id = reverse_entry(state.journal, rec.entry_id, as_text(reason), day.isoformat(), operator)
        except ReversalRefused as exc:
            raise DataError(f"兑换单 {rec.number} 不能作废：{exc}", [Problem(where, f"{rec.number} 的流水号为“{rec.entry_id}”")]) from None
        ledger.replace(schema.JOURNAL.name, journal)
        restored: list[tuple[str, float, str]] = []
        warnings: list[str] = []
        shop = state.shop
        shop_changed = False
        for line in rec.lines:
            if line["note"].startswith(FREE_ITEM_MARK):
                continue
            cat = state.catalogue.get(clean_name(line["item"]))
            if cat is None:
                warnings.append(f"商品表里已没有“{line['item']}”，它的库存没有加回")
                continue
            if cat.stock is None:
                warnings.append(f"商品表里“{cat.name}”的库存不是数字，没有加回 {fmt_number(line['qty'])}{cat.unit}")
                continue
            new = round((state.stock[clean_name(line['item'])] or 0.0) + line["qty"], 4)
            state.stock[clean_name(line["item"])] = new
            shop.at[cat.index, "库存"] = _stock_value(new)
            shop_changed = True
            restored.append((cat.name, line["qty"], cat.unit))
        if shop_changed:
            ledger.replace(schema.SHOP.name, shop)
        frame = state.redemptions.copy()
        idx = frame.index[rec.positions]
        note = f"作废：{as_text(reason)}（{day.isoformat()}，冲正流水 {reversal_id}）"
        frame.loc[idx, "状态"] = STATE_VOID
        frame.loc[idx, "说明"] = [f"{as_text(v)}；{note}" if clean_text(v) else note for v in frame.loc[idx, "说明"]]
        ledger.replace(schema.REDEMPTIONS.name, frame)
        balance = balances_of(journal).get(rec.household_id, 0.0)
        ledger.save("redeem cancel", arguments,
                    result=f"{rec.number} 作废，冲正流水 {reversal_id}，退回 {fmt_number(rec.points)} 分：{as_text(reason)}")
        return CancelResult(rec.number, rec.household_id, rec.name, rec.points, reversal_id, balance, restored, warnings)
