"""What a redemption is (pure): the clerk's request, the checked plan, slip numbers and quantities.

A redemption (one 兑换单, one 单号 ``DH2026-000123``) has one or more lines
(物品 × 数量). ``ledger.shop.ShopState.plan`` turns a ``RedemptionRequest``
into a ``PlannedRedemption`` or problems; ``finish_plans`` gives the plans their
balances in posting order and their codes, ``post_plans`` writes them into the
state's frames (积分流水, 兑换记录, 商品), ``restore_stock`` puts a cancelled
slip's goods back. Nothing here reads or writes a file.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass, field
from typing import Protocol

import pandas as pd

from villagectl.errors import Location
from villagectl import schema
from villagectl.ledger.journal import NewEntry, append_entries
from villagectl.ledger.slips import FREE_ITEM_MARK, STATE_OPEN, STATE_VOID, SlipRecord, canonical_content, make_code, make_payload
from villagectl.render.slips import Slip, SlipLine, items_summary
from villagectl.values import NotANumber, as_text, clean_name, clean_text, fmt_number, to_count

NUMBER_PREFIX = "DH"
NUMBER_DIGITS = 6
NUMBER_RE = re.compile(rf"^{NUMBER_PREFIX}(\d{{4}})-(\d+)$")


def slip_number(year: int, seq: int) -> str:
    """DH2026-000123."""
    return f"{NUMBER_PREFIX}{year}-{seq:0{NUMBER_DIGITS}d}"




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
    """(quantity, problem). Blank → 1; '2', '２', '2桶', '两条', '三个' → the count (``values.to_count``)."""
    if value is None or (isinstance(value, str) and not value.strip()) or (isinstance(value, float) and math.isnan(value)):
        return 1.0, None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        number = float(value)
    else:
        try:
            count = to_count(value)
        except NotANumber:
            count = None
        if count is None:
            return 0.0, f"数量“{clean_text(value)}”不是数字"
        number = float(count)
    if not math.isfinite(number) or number > MAX_QTY:  # a typed 1e308 or 99999999 must not reach the arithmetic
        return 0.0, f"数量太大（超过 {MAX_QTY:,}），不是一次能兑换的数量"
    if number <= 0:
        return 0.0, f"数量 {fmt_number(number)} 应大于 0"
    if abs(number * 100 - round(number * 100)) > 1e-9:
        return 0.0, f"数量 {fmt_number(number)} 最多两位小数"
    return number, None


_BRACKETED = re.compile(r"[（(【\[［〔][^（()）【】\[\]［］〔〕]*[）)】\]］〕]")


def without_brackets(text: object) -> str:
    """An item name without what is written in brackets (a unit or a spec: 洗洁精（瓶）, 大米(10斤)), for matching."""
    return clean_name(_BRACKETED.sub("", clean_text(text)))


def _has_brackets(text: object) -> bool:
    return bool(_BRACKETED.search(clean_text(text)))


def catalogue_item(item: object, names: list[str]) -> tuple[str | None, str]:
    """The catalogue name an item written with a bracketed unit or spec stands for: (name, what was dropped) when,
    without its brackets, the item is exactly one catalogue name as written there, a name with no bracket of its own
    (洗洁精（瓶） is 洗洁精); (None, "") when the item is in the catalogue as written, or no name or more than one
    matches, or the catalogue also sells the same thing with a bracketed spec (大米（10斤） is never 大米（5斤）, nor
    大米 when 大米（5斤） is sold too: see ``other_specs``)."""
    key = clean_name(item)
    if not key or any(clean_name(n) == key for n in names):
        return None, ""
    bare = without_brackets(item)
    if not bare or bare == key or other_specs(item, names):
        return None, ""
    hits = list(dict.fromkeys(n for n in names if not _has_brackets(n) and clean_name(n) == bare))
    if len(hits) != 1:
        return None, ""
    dropped = "".join(m.group(0) for m in _BRACKETED.finditer(as_text(item)))  # as typed
    return hits[0], dropped


def other_specs(item: object, names: list[str]) -> list[str]:
    """The catalogue names, as written there, of the same thing with a bracketed spec of their own that an item
    written with brackets is not (大米（10斤） → [大米（5斤）]); [] when the item is in the catalogue as written or has
    no brackets. A different spec is a different item: the caller refuses it and names these."""
    key = clean_name(item)
    if not key or not _has_brackets(item) or any(clean_name(n) == key for n in names):
        return []
    bare = without_brackets(item)
    if not bare:
        return []
    return list(dict.fromkeys(n for n in names if _has_brackets(n) and without_brackets(n) == bare))


# The same visit recorded twice (redeem import): household, date, every item with its total quantity


def _qty(value: object) -> float:
    try:
        return parse_qty(value)[0]
    except Exception:  # noqa: BLE001 - a bad quantity is reported by the plan; here it only must not match
        return float("nan")


def visit_signature(date: dt.date, hid: str, lines: list[tuple[str, object]]) -> tuple:
    """What makes two visits the same: household, date, every item with its total quantity."""
    totals: dict[str, float] = {}
    for item, qty in lines:
        totals[clean_name(item)] = round(totals.get(clean_name(item), 0.0) + _qty(qty), 4)
    return (date.isoformat(), hid, tuple(sorted(totals.items())))


def recorded_visits(frame: pd.DataFrame) -> dict[tuple, tuple[str, str]]:
    """``visit_signature`` → (单号, source file) of every redemption in 兑换记录 (``frame``) not cancelled."""
    grouped: dict[str, dict] = {}
    for _, row in frame.iterrows():
        number = clean_text(row.get("单号"))
        if not number or clean_text(row.get("状态")) == STATE_VOID:
            continue
        source = clean_text(row.get("来源"))
        g = grouped.setdefault(number, {"file": source.split(" / ")[0] if source else "",
                                        "date": clean_text(row.get("日期")),
                                        "hid": clean_text(row.get("户号")), "items": []})
        g["items"].append((clean_text(row.get("物品")), row.get("数量")))
    out: dict[tuple, tuple[str, str]] = {}
    for number, g in grouped.items():
        try:
            date = dt.date.fromisoformat(g["date"])
        except ValueError:
            continue
        out.setdefault(visit_signature(date, g["hid"], g["items"]), (number, g["file"]))
    return out


# --------------------------------------------------------------------------
# Writing a plan into the frames
# --------------------------------------------------------------------------


class ShopFrames(Protocol):
    """What posting needs of the shop's state (``ledger.shop.ShopState`` has it)."""

    journal: pd.DataFrame
    redemptions: pd.DataFrame
    shop: pd.DataFrame
    catalogue: dict
    stock: dict[str, float | None]

    def balance(self, household_id: str) -> float: ...


def finish_plans(state: ShopFrames, plans: list[PlannedRedemption], secret: str) -> None:
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


def post_plans(state: ShopFrames, plans: list[PlannedRedemption], operator: str, extra_note: str = "") -> list[str]:
    """Put the plans into the state's frames (journal, redemptions, shop); the names of the sheets changed."""
    changed = [schema.JOURNAL.name, schema.REDEMPTIONS.name]
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
    state.redemptions = frame

    shop = state.shop
    for key, item in state.catalogue.items():
        if item.stock is not None and abs(state.stock[key] - item.stock) > 1e-9:
            shop.at[item.index, "库存"] = _stock_value(state.stock[key])
            if schema.SHOP.name not in changed:
                changed.append(schema.SHOP.name)
    return changed


def _stock_value(value: float) -> float | int:
    return int(value) if float(value).is_integer() else value


def restore_stock(state: ShopFrames, rec: SlipRecord) -> tuple[list[tuple[str, float, str]], list[str]]:
    """Put a cancelled slip's goods back into 商品 (``state.shop``): (restored (item, qty, unit), warnings)."""
    restored: list[tuple[str, float, str]] = []
    warnings: list[str] = []
    for line in rec.lines:
        if line["note"].startswith(FREE_ITEM_MARK):
            continue
        key = clean_name(line["item"])
        cat = state.catalogue.get(key)
        if cat is None:
            warnings.append(f"商品表里已没有“{line['item']}”，它的库存没有加回")
            continue
        if cat.stock is None:
            warnings.append(f"商品表里“{cat.name}”的库存不是数字，没有加回 {fmt_number(line['qty'])}{cat.unit}")
            continue
        new = round((state.stock[key] or 0.0) + line["qty"], 4)
        state.stock[key] = new
        state.shop.at[cat.index, "库存"] = _stock_value(new)
        restored.append((cat.name, line["qty"], cat.unit))
    return restored, warnings
