"""The year's reward budget (奖励经费): its base, its rule, the figures and what happens past it (pure).

- 全年经费 = 常住人口 of the year × 参数 人均奖励经费 (元). 人均奖励经费 empty
  means no cap: only the wenming preset (seed 001 篇2: "积分奖励年费控制在村常住
  人口人均2元标准以内") sets it; zhongping (篇3) and base140 (篇4) leave it empty.
- 常住人口 of year Y: 参数 常住人口 when the village has filled it in; otherwise
  the sum of 户籍 人口 of the households that were active on Y-01-01 — not
  today's roster:
  - a household received by ``transfer in`` counts from the day of receipt
    (its latest 转入 row in 积分流水): received after Y-01-01, it is not in Y's
    base;
  - a household whose 状态 is 迁出 / 注销 counts for the years it was still
    there on 1 January: its first 转出 row dated after Y-01-01 puts it in Y's
    base; with no dated 转出 row it is not counted (the date is unknown);
  - 暂停 households are not counted (as before); every other 正常 household
    counts (a household typed into 户籍 by hand has no date: fill in 常住人口
    when that matters).
- 经费预警比例 (default 80): a warning with the figures once the year's
  spending reaches that share, and again at 100 % and past it.
- 经费超出时 = 提醒 (default) / 拒绝: 提醒 only warns; 拒绝 refuses a redemption
  that would take the year past the budget unless ``--over-budget --reason``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd

from villagectl import schema
from villagectl.ledger.households import is_active
from villagectl.values import NotANumber, clean_text, fmt_number, to_number

OVER_WARN = "提醒"
OVER_REFUSE = "拒绝"
OVER_MODES = (OVER_WARN, OVER_REFUSE)
DEFAULT_WARN_PERCENT = 80.0
CLOSED_STATES = ("迁出", "注销")


@dataclass(frozen=True)
class YearBase:
    """常住人口 of a year and where it comes from."""

    year: int
    residents: int
    from_setting: bool
    households: int = 0  # households counted (when computed from 户籍)
    left_out: int = 0  # households in 户籍 today that were not there on 1 January (received later)

    @property
    def source(self) -> str:
        if self.from_setting:
            return "参数“常住人口”"
        text = f"{self.year}-01-01 户籍在册 {self.households} 户的人口之和"
        if self.left_out:
            text += f"，年中转入的 {self.left_out} 户不计"
        return text

    def as_dict(self) -> dict:
        return {"year": self.year, "residents": self.residents, "source": self.source,
                "from_setting": self.from_setting}


def _date(value: object) -> dt.date | None:
    text = clean_text(value)[:10]
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        return None


def _int(value: object) -> int:
    try:
        n = to_number(value)
    except NotANumber:
        return 0
    return int(n) if n and n > 0 else 0


def transfer_dates(journal: pd.DataFrame) -> tuple[dict[str, dt.date], dict[str, dt.date]]:
    """(户号 → day received by 转入, 户号 → day of its first 转出)."""
    received: dict[str, dt.date] = {}
    left: dict[str, dt.date] = {}
    if journal is None or journal.empty or "类型" not in journal.columns:
        return received, left
    for kind, hid, day in zip(journal["类型"], journal["户号"], journal["日期"]):
        kind, hid, day = clean_text(kind), clean_text(hid), _date(day)
        if not hid or day is None:
            continue
        if kind == schema.ENTRY_TRANSFER_IN:
            received[hid] = max(received.get(hid, day), day)
        elif kind == schema.ENTRY_TRANSFER_OUT:
            left[hid] = min(left.get(hid, day), day)
    return received, left


def year_base(settings: dict[str, str], households: pd.DataFrame, journal: pd.DataFrame | None, year: int) -> YearBase:
    """常住人口 of ``year``: the setting, or 户籍 人口 of the households active on 1 January."""
    text = clean_text(settings.get("常住人口", ""))
    if text:
        try:
            value = to_number(text)
        except NotANumber:
            value = None
        if value is None or value < 0:
            from villagectl.errors import DataError

            raise DataError(f"参数“常住人口”的值“{text}”不是有效的人数", hint="填写当年的常住人口（人），或空着按年初户籍计算")
        return YearBase(year, int(value), True)
    start = dt.date(year, 1, 1)
    received, left = transfer_dates(journal if journal is not None else pd.DataFrame())
    residents = counted = left_out = 0
    for _, row in households.iterrows():
        hid = clean_text(row.get("户号"))
        if not hid:
            continue
        state = clean_text(row.get("状态")) or "正常"
        if hid in received and received[hid] > start:
            if is_active(state):
                left_out += 1
            continue
        if is_active(state):
            pass
        elif state in CLOSED_STATES:
            if hid not in left or left[hid] <= start:
                continue
        else:
            continue
        residents += _int(row.get("人口"))
        counted += 1
    return YearBase(year, residents, False, counted, left_out)


def over_mode(settings: dict[str, str]) -> str:
    """参数 经费超出时: 提醒 (default) or 拒绝."""
    value = clean_text(settings.get("经费超出时", "")) or OVER_WARN
    if value not in OVER_MODES:
        from villagectl.errors import DataError

        raise DataError(f"参数“经费超出时”的值“{value}”无效，应为 提醒 或 拒绝")
    return value


def year_budget(residents: int, per_resident: float | None) -> float | None:
    """全年奖励经费 (元): 常住人口 × 人均奖励经费, to the fen; None when 人均奖励经费 is not set (no cap).

    The one rounding of the budget (the shop, the year report and the town's roll-up show the same yuan).
    """
    return None if per_resident is None else round(residents * per_resident, 2)


@dataclass
class BudgetStatus:
    year: int
    budget: float | None  # yuan; None when 人均奖励经费 is not set
    residents: int
    per_resident: float | None
    spent: float  # yuan, after this run
    warn_percent: float
    base: str = ""  # where 常住人口 comes from (YearBase.source)
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
