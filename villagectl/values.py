"""Turning raw cell values into clean text and numbers (NFKC, full-width digits)."""

from __future__ import annotations

import datetime as dt
import math
import re
import unicodedata
from functools import lru_cache
from decimal import Decimal, InvalidOperation

_SPACES = re.compile(r"[\s\u3000\u00a0\u200b\ufeff]+")


class NotANumber(ValueError):
    pass


def clean_text(value: object) -> str:
    """NFKC, trimmed, inner runs of whitespace (incl. full-width) collapsed to one space."""
    if type(value) is str:
        return _clean_str(value)
    if value is None:
        return ""
    if isinstance(value, float):
        if math.isnan(value):
            return ""
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return repr(value)
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ", timespec="seconds")
    if isinstance(value, dt.date):
        return value.isoformat()
    return _clean_str(value if isinstance(value, str) else str(value))


@lru_cache(maxsize=262144)
def _clean_str(text: str) -> str:
    if text.isascii() and text.isprintable() and " " not in text:
        return text
    return _SPACES.sub(" ", unicodedata.normalize("NFKC", text)).strip()


def as_text(value: object) -> str:
    """A cell as text, keeping the clerk's characters (only trimmed); numbers without '.0'."""
    if isinstance(value, str):
        return value.strip()
    return clean_text(value)


def clean_name(value: object) -> str:
    """Names: NFKC, every space removed ('张 三' and '张\u3000三' are '张三')."""
    return _SPACES.sub("", clean_text(value))


def id_key(value: object) -> str:
    """户号 (and other identifiers) for matching only: NFKC, no spaces, upper case ('ｚｐ００６' → 'ZP006')."""
    return clean_name(value).upper()


def edit_distance(a: str, b: str) -> int:
    """Levenshtein distance (insert, delete, replace one character)."""
    if len(a) < len(b):
        a, b = b, a
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


def header_key(value: object) -> str:
    """Header cell → comparable key: no spaces or line breaks, no '(15分)' suffix."""
    if isinstance(value, str):
        return _header_key_text(value)
    return _header_key_text(clean_text(value))


def find_header(rows: list[list], wanted: list[str], search_rows: int = 10) -> int | None:
    """0-based index of the row among the first ``search_rows`` holding most of ``wanted`` (a sheet's header row)."""
    keys = {header_key(w) for w in wanted}
    best, best_hits = None, 0
    for r, row in enumerate(rows[:search_rows]):
        hits = sum(1 for v in row if header_key(v) in keys)
        if hits > best_hits:
            best, best_hits = r, hits
    return best


@lru_cache(maxsize=65536)
def _header_key_text(value: str) -> str:
    text = clean_name(value)
    text = re.sub(r"[(（\[【][^)）\]】]*[)）\]】]$", "", text)
    return text.rstrip("*:：")


_THOUSANDS = re.compile(r"[+-]?\d{1,3}(?:,\d{3})+(?:\.\d+)?")


def to_number(value: object) -> float | None:
    """A cell as a number; None when blank; NotANumber when it is text that is not a number."""
    if type(value) is float:
        return None if math.isnan(value) else value
    if value is None or isinstance(value, bool):
        if isinstance(value, bool):
            raise NotANumber(str(value))
        return None
    if isinstance(value, (int, float)):
        if isinstance(value, float) and math.isnan(value):
            return None
        return float(value)
    text = clean_text(value)
    if "," in text or "，" in text:
        grouped = text.replace("，", ",")
        if not _THOUSANDS.fullmatch(grouped.rstrip("分")):
            raise NotANumber(text)  # '11,5' is no 115: a comma only groups thousands (1,200)
        text = grouped.replace(",", "")
    if text == "":
        return None
    text = text.rstrip("分")
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise NotANumber(text) from None
    if not number.is_finite():
        raise NotANumber(text)
    return float(number)


# a unit people write after a count: 4人 / 3口 / 3次 / 30票 / 2个 / 5户 (one or two CJK characters, nothing else)
_COUNT = re.compile(r"([+-]?[0-9][0-9,，]*(?:\.[0-9]+)?)\s*[\u4e00-\u9fff]{0,2}")
_TWO_DIGITS = re.compile(r"[一二两三四五六七八九][零〇一二两三四五六七八九]")


def to_count(value: object) -> float | None:
    """A count as people write it: 4, '４', '4人', '3 次', '30票', '二', '十二人' → the number; blank → None;
    NotANumber for anything else. The unit is not checked (a count has one obvious unit where it is typed)."""
    try:
        return to_number(value)
    except NotANumber:
        pass
    text = clean_text(value)
    m = _COUNT.fullmatch(text)
    if m:
        return to_number(m.group(1))  # its commas as to_number reads them: '1,200人' yes, '1,5个' no
    spoken = re.fullmatch(r"([零〇一二两三四五六七八九十百]+)\s*[\u4e00-\u9fff]?", text)
    # '两三次', '十二三人': a range spoken, no number (never 23 or 33)
    number = chinese_number(spoken.group(1)) if spoken and not _TWO_DIGITS.search(spoken.group(1)) else None
    if number is None:
        raise NotANumber(text)
    return float(number)


def to_points(value: object) -> float | None:
    """Points as people write them: 5, '+5', '-3', '5分', '加5分', '扣2分' (−2), '减2' (−2); blank → None;
    NotANumber otherwise. A sign word and a sign together ('扣-2分') is refused: which one was meant?"""
    try:
        return to_number(value)
    except NotANumber:
        pass
    text = clean_text(value).replace(" ", "")
    m = re.fullmatch(r"(加|奖|扣|减|罚)?([+-]?)([0-9]+(?:\.[0-9]+)?)分?", text)
    if not m or (m.group(1) and m.group(2)):
        raise NotANumber(text)
    number = float(m.group(3))
    return -number if m.group(2) == "-" or m.group(1) in ("扣", "减", "罚") else number


def to_int(value: object) -> int | None:
    number = to_number(value)
    if number is None:
        return None
    if not float(number).is_integer():
        raise NotANumber(clean_text(value))
    return int(number)


def fmt_number(value: float | int | None) -> str:
    """5.0 → '5', 2.5 → '2.5'; for messages and hashes."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return format(Decimal(str(value)).normalize(), "f")


def to_date(value: object, year: int | None = None) -> dt.date | None:
    """A date cell: a date, '2026-07-15', '2026/7/15', '2026.7.15', '2026年7月15日' (or 号); blank → None.
    ``year``: the year of a date written without one ('7月15日', '7月15号'; the caller knows it from the
    sheet's title or the month being imported); without it such a date is refused. ValueError otherwise."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = clean_text(value).replace(" ", "")
    if not text:
        return None
    m = re.fullmatch(r"(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})[日号]?", text)
    if m:
        return dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    m = re.fullmatch(r"(\d{1,2})月(\d{1,2})[日号]", text)
    if m and year is not None:
        return dt.date(year, int(m.group(1)), int(m.group(2)))
    raise ValueError(text)


_CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}


def chinese_number(text: str) -> int | None:
    """'3' / '三' / '十二' / '二十一' / '一〇一' → int; None when it is not a number (group names, sort keys)."""
    text = clean_name(text)
    if text.isdigit():
        return int(text)
    if not text or any(ch not in _CN_DIGITS and ch not in "十百" for ch in text):
        return None
    total, current = 0, 0
    for ch in text:
        if ch == "百":
            total += (current or 1) * 100
            current = 0
        elif ch == "十":
            total += (current or 1) * 10
            current = 0
        else:  # digits written one by one ("一〇一") as well as with 十/百
            current = current * 10 + _CN_DIGITS[ch]
    return total + current


_GROUP_RE = re.compile(r"第?([0-9一二三四五六七八九十两〇零百]+)\s*(?:村民小组|小组|组|网格)")


_GROUP_NOTE = re.compile(r"[（(][^（）()]*[)）]$")
_VILLAGE_PREFIX = re.compile(r"^[\u4e00-\u9fff]{1,6}?村(?=第?[0-9一二三四五六七八九十两〇零百]+\s*(?:村民小组|小组|组|网格)$)")


def group_key(text: object) -> str:
    """Which group a 组别 names: '第三组', '3组', '第3村民小组', '三组（张家湾）', '中坪村第三组' → '3' (the whole name is
    the group, after a note in brackets or the village's name); any other name is its own group — '东一组' and
    '西一组' are two groups, not group 1."""
    name = clean_name(text)
    bare = _VILLAGE_PREFIX.sub("", _GROUP_NOTE.sub("", name).strip())
    m = _GROUP_RE.fullmatch(bare)
    if m:
        number = chinese_number(m.group(1))
        if number is not None:
            return str(number)
    return name


def find_group(text: object) -> str | None:
    """The one group named inside a title or file name, as a group_key (None when none or several)."""
    groups = find_groups(text)
    return groups[0] if len(groups) == 1 else None


_GROUPS_RE = re.compile(
    r"第?([0-9一二三四五六七八九十两]+(?:\s*(?:至|到|~|-|—|、|,|，|和|及)\s*第?[0-9一二三四五六七八九十两]+)*)\s*(?:个)?(?:村民小组|小组|组|网格)"
)


def find_groups(text: object) -> list[str]:
    """Every group a title names, as group_keys: '一二组' → 1, 2; '一至三组' → 1, 2, 3; '四组、五组' → 4, 5."""
    name = clean_name(text)
    out: list[str] = []
    for m in _GROUPS_RE.finditer(name):
        spec = m.group(1)
        if re.search(r"至|到|~|-|—", spec):
            ends = [chinese_number(x) for x in re.split(r"至|到|~|-|—", spec)]
            if len(ends) == 2 and None not in ends and 0 < ends[0] <= ends[1] <= ends[0] + 30:
                out += [str(n) for n in range(ends[0], ends[1] + 1)]
            continue
        for part in re.split(r"[、,，和及]|组第?", spec):
            part = part.strip("第")
            if re.fullmatch(r"[一二三四五六七八九]{2,}", part):
                out += [str(chinese_number(ch)) for ch in part]  # '一二组' = groups 1 and 2
                continue
            number = chinese_number(part)
            if number is not None and 0 < number < 100:
                out.append(str(number))
    return list(dict.fromkeys(out))


# a year and its month: '2026-07', '2026.7', '2026_07', '2026年7月', '2026年七月份' — after 年 only with its 月, so
# '2026年3组8月' is August (3组 is a group) and '2026年2季度' no month at all
_FULL_MONTH_RE = re.compile(
    r"(20\d{2})\s*(?:(?:-|/|\.|_)\s*([01]?\d)(?![\d季])|年\s*([01]?\d|十[一二]?|[一二三四五六七八九]|元|正)\s*月)")
_PART_MONTH_RE = re.compile(r"(?<![0-9\-/.])([01]?\d|十[一二]?|[一二三四五六七八九]|元|正)\s*月(?:份)?")
# a quarter: '2026年第一季度', '2027年2季度', '2026Q3', '第三季度' (with the year known)
_QUARTER_RE = re.compile(r"(?:(20\d{2})\s*年?\s*)?(?:第\s*)?([1-4一二三四])\s*季度|(20\d{2})\s*[Qq]\s*([1-4])")
_CN_YEAR_RE = re.compile(r"([〇零一二三四五六七八九]{4})\s*年")
_DATE_RE = re.compile(r"(20\d{2})\s*[-/.]\s*([01]?\d)\s*[-/.]\s*([0-3]?\d)")


def find_month(text: object, default_year: int | None = None) -> str | None:
    """'2026年7月', '2026-07', '2026.7' → '2026-07'; '7月'/'七月' with ``default_year``."""
    name = clean_name(text)
    for m in _FULL_MONTH_RE.finditer(name):
        month = _month_number(m.group(2) or m.group(3))
        if month:
            return f"{m.group(1)}-{month:02d}"
    if default_year is not None:
        m = _PART_MONTH_RE.search(name)
        if m:
            month = 1 if m.group(1) in ("元", "正") else chinese_number(m.group(1))
            if month and 1 <= month <= 12:
                return f"{default_year}-{month:02d}"
    return None


def find_year(text: object) -> int | None:
    """'2025年', '二〇二六年', '2025.12.21', '2025/11/23'."""
    name = clean_name(text)
    m = re.search(r"(20\d{2})\s*年", name) or _DATE_RE.search(name)
    if m:
        return int(m.group(1))
    m = _CN_YEAR_RE.search(name)
    if m:
        digits = "".join(str(_CN_DIGITS[ch]) for ch in m.group(1))
        if digits.startswith("20"):
            return int(digits)
    return None


_DAY_AFTER = re.compile(r"^\s*(?:[0-3]?\d|[一二三]?十[一二三四五六七八九]?|[一二三四五六七八九])\s*(?:日|号)")


def find_period_month(text: object, default_year: int | None = None) -> str | None:
    """The month a title is about. A month written without a day ('2026年1月', '12月份') is the period;
    a date ('补查时间：2026年2月3日') only counts when no such month is written."""
    name = clean_name(text)
    for candidate in _month_mentions(name, default_year):
        month, end = candidate
        if not _DAY_AFTER.match(name[end:]):
            return month
    found = _month_mentions(name, default_year)
    return found[0][0] if found else None


def _month_number(text: str) -> int | None:
    """'7' / '07' / '七' / '十二' / '元' / '正' → 1–12, else None."""
    month = 1 if text in ("元", "正") else chinese_number(text)
    return month if month and 1 <= month <= 12 else None


def find_quarter(text: object, default_year: int | None = None) -> tuple[int, int] | None:
    """(year, quarter) a title names: '2026年第一季度', '2027年2季度', '2026Q3'; '第三季度' with ``default_year``."""
    name = clean_name(text)
    for m in _QUARTER_RE.finditer(name):
        year = m.group(1) or m.group(3)
        quarter = chinese_number(m.group(2) or m.group(4))
        if not year:
            cn = _CN_YEAR_RE.search(name[: m.start()])
            year = find_year(cn.group(0)) if cn else default_year
        if year and quarter:
            return int(year), quarter
    return None


def _month_mentions(name: str, default_year: int | None) -> list[tuple[str, int]]:
    out: list[tuple[str, int]] = []
    taken: list[tuple[int, int]] = []
    for m in _FULL_MONTH_RE.finditer(name):
        month = _month_number(m.group(2) or m.group(3))
        if month:
            out.append((m.start(), f"{m.group(1)}-{month:02d}", m.end()))
            taken.append((m.start(), m.end()))
    if default_year is not None:
        for m in _PART_MONTH_RE.finditer(name):
            if any(a <= m.start() < b for a, b in taken):
                continue
            month = 1 if m.group(1) in ("元", "正") else chinese_number(m.group(1))
            if month and 1 <= month <= 12:
                out.append((m.start(), f"{default_year}-{month:02d}", m.end()))
    return [(month, end) for _, month, end in sorted(out)]


def parse_month_option(text: str) -> str:
    """The --month option: 'YYYY-MM' (also '2026年7月', '2026.7'); ValueError otherwise."""
    month = find_month(text)
    if month is None or not re.fullmatch(r"\s*20\d{2}\s*(?:年|-|/|\.)\s*[01]?\d\s*月?\s*", clean_text(text)):
        raise ValueError(text)
    return month
