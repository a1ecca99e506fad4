"""Quarters (seed 001 篇4: the 日常 items are inspected once a quarter): parsing, months, the 期间 name."""

from __future__ import annotations

import re
import unicodedata

QUARTER_NUMERALS = "一二三四"


def parse_quarter(text: str) -> tuple[int, int]:
    """'2026Q1', '2026-Q1', '2026q1', '2026年第一季度', '2026年1季度' → (2026, 1); ValueError otherwise."""
    t = unicodedata.normalize("NFKC", str(text or "")).strip().replace(" ", "")
    m = re.fullmatch(r"(20\d{2})[-/.]?[Qq]([1-4])", t) or re.fullmatch(r"(20\d{2})年?第?([1-4一二三四])季度?", t)
    if not m:
        raise ValueError(text)
    q = m.group(2)
    return int(m.group(1)), int(q) if q.isdigit() else QUARTER_NUMERALS.index(q) + 1


def quarter_months(year: int, quarter: int) -> list[str]:
    return [f"{year}-{m:02d}" for m in range(3 * quarter - 2, 3 * quarter + 1)]


def quarter_of(month: str) -> tuple[int, int]:
    """'2026-05' → (2026, 2)."""
    return int(month[:4]), (int(month[5:7]) - 1) // 3 + 1


def quarter_period(year: int, quarter: int) -> str:
    """The 期间 row (and the printed name) of a quarter: '2026年第一季度'."""
    return f"{year}年第{QUARTER_NUMERALS[quarter - 1]}季度"
