"""A header's text as the item matcher compares it (pure, no I/O).

NFKC, the spaces, punctuation, circled and leading numbers and the stated maximum
("（10分）") taken out, the filler words that tell no item apart dropped; the
synonyms a rule lists split apart; character pairs (bigrams) for the overlap score.
``importers.header_match`` scores and assigns with these.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

# words that carry no meaning for telling items apart (a setting may add more)
DEFAULT_FILLERS = ("情况", "卫生", "整洁", "是否", "作用", "方面", "得分", "评分", "分数", "打分", "检查", "评比", "考核", "考评")
CATEGORY_FILLERS = ("类", "共", "项目", "内容", "部分")

# characters too common in headers to say anything on their own
COMMON_CHARS = frozenset("的是否有无不和与及在中为了子家人户好")


# --- normalisation -------------------------------------------------------------

_SPACE = re.compile(r"[\s\u3000\u00a0\u200b\ufeff]+")
_PUNCT = re.compile(r"[/\\、，,;；:：·•．.。\-—–―～~_|（）()\[\]【】{}<>《》〈〉“”\"'‘’!！?？*＊#＃+]+")
_CIRCLED = re.compile(r"[\u2460-\u2473\u2776-\u277f\u2780-\u2793\u3251-\u325f\u32b1-\u32bf]")
_LEADING_NUMBER = re.compile(
    r"^\s*(?:[(（\[【]?\s*(?:\d{1,2}|[一二三四五六七八九十]{1,3})\s*[)）\]】]|(?:\d{1,2}|[一二三四五六七八九十]{1,3})\s*[.．、,，:：)）]|第[一二三四五六七八九十\d]{1,3}[项条类])\s*"
)
_MAX_PATTERNS = (
    re.compile(r"[(（\[【]\s*(?:满分|基础分值?|分值|标准分|最高)?\s*[:：]?\s*(\d+(?:\.\d+)?)\s*分?\s*[)）\]】]"),
    re.compile(r"(?:满分|基础分值?|分值|标准分|最高分?|共)\s*[:：]?\s*(\d+(?:\.\d+)?)\s*分?"),
    re.compile(r"(?<![\d.])(\d+(?:\.\d+)?)\s*分(?![\u4e00-\u9fff]{2})"),
    re.compile(r"(?<=[\u4e00-\u9fff)）\]】])\s*(\d+(?:\.\d+)?)\s*$"),
)
# where an item number may start: the beginning, a line, or after a category prefix ('人居环境—（1）庭院')
_NUMBERED_PARTS = re.compile(r"\s*(?:[/\\—–―·•|｜\n\-－]|[:：](?=\s*[(（]?\s*\d{1,2}\s*[)）.．、]\s*[\u4e00-\u9fff]))\s*")
SEPARATORS = re.compile(r"\s*(?:[/\\—–―·•|｜]|--?|－|:|：|\n)\s*")


def nfkc(text: object) -> str:
    return unicodedata.normalize("NFKC", "" if text is None else str(text))


def split_synonyms(text: str) -> list[str]:
    """同义词 cell → synonyms. New ledgers separate them by line breaks or ；/; (a header
    may itself hold / 、 ，); a cell with neither keeps the old 、 / , separation."""
    text = nfkc(text or "").strip()
    if not text:
        return []
    if re.search(r"[\n;；]", text):
        parts = re.split(r"\s*[\n;；]+\s*", text)
    else:
        parts = re.split(r"\s*[、,，]\s*", text)
    return [p.strip() for p in parts if p.strip()]


def stated_max(text: object) -> float | None:
    """The maximum written in a header: '(15分)', '（满分15）', '15分', '满分：15', '庭院15', '庭院 15'.

    An item number in front ('（1）庭院', '1.庭院') is no maximum."""
    t = "\n".join(_LEADING_NUMBER.sub("", part) for part in _NUMBERED_PARTS.split(_CIRCLED.sub(" ", nfkc(text))))
    for pattern in _MAX_PATTERNS:
        found = pattern.findall(t)
        if found:
            return float(found[-1])
    return None


def strip_max(text: str) -> str:
    for pattern in _MAX_PATTERNS:
        text = pattern.sub(" ", text)
    return text


@lru_cache(maxsize=16384)
def _normalise(text: str, fillers: tuple[str, ...]) -> str:
    t = nfkc(text)
    t = _CIRCLED.sub(" ", t)
    # a number before each line of a multi-line header ('1.庭院\n(15分)')
    t = "\n".join(_LEADING_NUMBER.sub("", line) for line in t.split("\n"))
    t = strip_max(t)
    t = _PUNCT.sub("", _SPACE.sub("", t))
    t = re.sub(r"\d+", "", t)
    for word in fillers:
        if len(t) > len(word):
            t = t.replace(word, "")
    return t


def normalise(text: object, fillers: tuple[str, ...] = DEFAULT_FILLERS) -> str:
    """A header or rule text → comparable key (no spaces, punctuation, numbering, maxima, fillers)."""
    return _normalise(nfkc(text), tuple(fillers))


def normalise_category(text: object) -> str:
    return normalise(text, DEFAULT_FILLERS + CATEGORY_FILLERS)


def bigrams(text: str) -> frozenset[str]:
    if len(text) == 1:
        return frozenset((text,))
    return frozenset(text[i:i + 2] for i in range(len(text) - 1))
