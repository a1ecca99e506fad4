"""The village shop's rulebook (pure): catalogue, stock, balances and the year's budget, checked line by line.

A redemption is checked whole before anything is written:

- the household is in 户籍 and its 状态 is 正常;
- every item is in 商品 with a price and enough stock (an item not in the
  catalogue needs its points and a reason);
- the points do not exceed the household's balance (``ledger.journal``: only
  posted points are in the journal);
- the year's spending (兑换记录 of the year, not cancelled) against the
  reward budget (``ledger.budget``). Past it: a warning (参数 经费超出时 = 提醒,
  the default), or a refusal (经费超出时 = 拒绝) unless ``over_budget`` and a reason.

Then ``ledger.redemptions.post_plans`` puts it into the frames: one 兑换 row in 积分流水 (negative
points, 摘要 "兑换 食用油×1、毛巾×2", 关联 = 单号), one 兑换记录 row per line,
商品 库存 lowered; ``restore_stock`` there puts a cancelled slip's goods back.

``ShopState`` reads a ``ShopBook``: the frames of the ledger and where their rows
are, nothing else — actions/redeem.py makes one from an opened ledger, the tests
make one from DataFrames (``ShopBook.of``).
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from typing import Callable

import pandas as pd

from villagectl.errors import DataError, Location, Problem
from villagectl.io.preflight import col_letters
from villagectl import schema
from villagectl.ledger.budget import (
    DEFAULT_WARN_PERCENT,
    OVER_REFUSE,
    BudgetStatus,
    YearBase,
    money,
    year_base,
    year_budget,
)
from villagectl.ledger.households import is_active
from villagectl.ledger.journal import current_balances
from villagectl.ledger.redemptions import (
    NUMBER_RE,
    LineRequest,
    PlannedLine,
    PlannedRedemption,
    RedemptionRequest,
    merge_lines,
    parse_qty,
    slip_number,
)
from villagectl.ledger.slips import FREE_ITEM_MARK, STATE_VOID, with_redemption_columns
from villagectl.render.slips import MAX_LINES
from villagectl.rules.settings import VillageSettings
from villagectl.values import NotANumber, as_text, clean_name, clean_text, fmt_number, to_number


@dataclass
class ShopBook:
    """What the shop reads from a ledger: 参数, 户籍, 商品, 积分流水, 兑换记录, and where their rows are."""

    file: str  # the ledger's file name, for locations
    settings: dict[str, str]  # 参数 as ``Ledger.settings`` gives them
    settings_frame: pd.DataFrame
    households: pd.DataFrame
    shop: pd.DataFrame
    journal: pd.DataFrame
    redemptions: pd.DataFrame
    excel_row: Callable[[str, object], int] | None = None  # (sheet, frame index) → Excel row; None: header on row 1

    @classmethod
    def of(cls, *, settings: dict[str, str], households: pd.DataFrame, shop: pd.DataFrame,
           journal: pd.DataFrame | None = None, redemptions: pd.DataFrame | None = None,
           file: str = "台账.xlsx") -> "ShopBook":
        """A book from plain frames (header on row 1), e.g. for tests and scripts."""
        frame = pd.DataFrame([{"键": k, "值": v, "说明": ""} for k, v in settings.items()], columns=["键", "值", "说明"],
                             dtype=object)
        journal = journal if journal is not None else pd.DataFrame(columns=schema.JOURNAL.column_names, dtype=object)
        redemptions = redemptions if redemptions is not None else pd.DataFrame(columns=schema.REDEMPTIONS.column_names,
                                                                               dtype=object)
        return cls(file, dict(settings), frame, households, shop.copy(), journal, with_redemption_columns(redemptions))

    def row(self, sheet: str, index: object) -> int:
        if self.excel_row is not None:
            return self.excel_row(sheet, index)
        frame = {schema.SETTINGS.name: self.settings_frame, schema.SHOP.name: self.shop}[sheet]
        return frame.index.get_loc(index) + 2


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


class ShopState:
    """Everything a redemption is checked against, updated as lines are accepted."""

    def __init__(self, book: ShopBook):
        self.book = book
        self.file = book.file
        self.settings = book.settings
        typed = self._typed_settings()  # one reading of 参数 (rules.settings): a bad cell raises naming it
        self.yuan_per_point = float(typed["每分折合元"])  # above 0 (rules.settings refuses 0)
        self.per_resident = typed["人均奖励经费"]
        self.warn_percent = typed["经费预警比例"]
        self.over_mode = typed["经费超出时"]
        self._bases: dict[int, YearBase] = {}
        self.journal = book.journal
        self.redemptions = book.redemptions
        self.shop = book.shop
        self.balances = current_balances(self.journal)  # the one accumulator (ledger.journal)
        self._load_households()
        self._load_catalogue()
        self.stock = {k: it.stock for k, it in self.catalogue.items()}
        self.spent = self._spent_by_year()
        self.next_seq = self._next_numbers()
        self.touched_years: set[int] = set()
        self.spent_in_run: dict[str, float] = {}  # points accepted in this run, per household

    # -- reading ------------------------------------------------------------

    def setting_location(self, key: str) -> Location:
        frame = self.book.settings_frame
        for idx, value in frame["键"].items():
            if clean_text(value) == key:
                col = list(frame.columns).index("值") + 1
                return Location(self.file, schema.SETTINGS.name, f"{col_letters(col)}{self.book.row(schema.SETTINGS.name, idx)}")
        return Location(self.file, schema.SETTINGS.name)

    def _typed_settings(self) -> VillageSettings:
        frame = self.book.settings_frame
        rows = [self.book.row(schema.SETTINGS.name, idx) for idx in frame.index]
        return VillageSettings.from_frame(frame, rows, self.file)[0]

    def _load_households(self) -> None:
        frame = self.book.households
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
            if is_active(state):
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
            excel_row = self.book.row(schema.SHOP.name, idx)
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
                self._bases[year] = year_base(self.settings, self.book.households, self.journal, year)
            except DataError as e:
                raise DataError(e.message, [Problem(self.setting_location("常住人口"), "应为人数（不小于 0 的整数）")],
                                hint=e.hint) from None
        return self._bases[year]

    def budget(self, year: int) -> float | None:
        if self.per_resident is None:
            return None
        return year_budget(self.base(year).residents, self.per_resident)

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
        if not is_active(info["state"]):
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
        number = slip_number(year, seq)
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
