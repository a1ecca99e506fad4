"""The 检查记录 sheet: which rules are inspected, and which column holds each item's score."""

from __future__ import annotations

import pandas as pd

from villagectl.errors import DataError
from villagectl.ledger import schema
from villagectl.rules.catalogue import parse_rules
from villagectl.values import clean_text


def inspection_rules(ledger) -> list:
    """The rules a sheet is inspected for: 检查项 and 基础分 items (DataError when the 规则 sheet is wrong or has none)."""
    rules, issues = parse_rules(ledger.frame(schema.RULES.name))
    if issues:
        raise DataError("“规则”表有问题，请先运行 villagectl check 查看并修正")
    # 基础分 items (篇4's quarterly and annual items) are inspected the same way
    items = [r for r in rules if r.type in ("检查项", "基础分")]
    if not items:
        raise DataError("“规则”表里没有检查项（类型为“检查项”或“基础分”的规则），无法导入检查表")
    return items


def code_of_column(column: str) -> str:
    return clean_text(column).split(" ", 1)[0]


def item_columns_of(frame: pd.DataFrame, rules) -> dict[str, str]:
    """rule code -> 检查记录 column."""
    codes = {r.code for r in rules}
    out: dict[str, str] = {}
    for col in frame.columns:
        code = code_of_column(str(col))
        if code in codes and col not in schema.INSPECTIONS.column_names:
            out.setdefault(code, str(col))
    return out
