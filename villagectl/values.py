"""Turning raw cell values into clean text and numbers (NFKC, full-width digits)."""

from __future__ import annotations

import datetime as dt
import math
import re
import unicodedata
from decimal import Decimal, InvalidOperation

_SPACES = re.compile(r"[\s\u3000\u00a0\u200b\ufeff]+")


class NotANumber(ValueError):
    pass


def clean_text(value: object) -> str:
    """NFKC, trimmed, inner runs of whitespace (incl. full-width) collapsed to one space."""
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
    text = unicodedata.normalize("NFKC", str(value))
    return _SPACES.sub(" ", text).strip()


def as_text(value: object) -> str:
    """A cell as text, keeping the clerk's characters (only trimmed); numbers without '.0'."""
    if isinstance(value, str):
        return value.strip()
    return clean_text(value)


def clean_name(value: object) -> str:
    """Names: NFKC, every space removed ('张 三' and '张\u3000三' are '张三')."""
    return _SPACES.sub("", clean_text(value))


def header_key(value: object) -> str:
    """Header cell → comparable key: no spaces or line breaks, no '(15分)' suffix."""
    text = clean_name(value)
    text = re.sub(r"[(（\[【][^)）\]】]*[)）\]】]$", "", text)
    return text.rstrip("*:：")


def is_blank(value: object) -> bool:
    return clean_text(value) == ""


def to_number(value: object) -> float | None:
    """A cell as a number; None when blank; NotANumber when it is text that is not a number."""
    if value is None or isinstance(value, bool):
        if isinstance(value, bool):
            raise NotANumber(str(value))
        return None
    if isinstance(value, (int, float)):
        if isinstance(value, float) and math.isnan(value):
            return None
        return float(value)
    text = clean_text(value).replace(",", "").replace("，", "")
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


def to_date(value: object) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = clean_text(value)
    if not text:
        return None
    m = re.fullmatch(r"(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?", text)
    if not m:
        raise ValueError(text)
    return dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
