"""Header texts the way grid workers type them, derived from a catalogue's own texts.

Nothing here lists practice words for an item: every header is built
mechanically from the item's 名称, 同义词, 说明 (the seed's own sentence),
类别 and 分值, then dressed the way typed sheets dress them (a category
prefix, the maximum, a number in front, stray spaces and line breaks).

Used by tests/test_header_matcher.py: ``bodies`` / ``decorate`` are the
building blocks, ``enumerate_headers`` is the deterministic enumeration and
``header_row`` the hypothesis strategy for a whole sheet header row.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from hypothesis import strategies as st

from villagectl.importers.header_match import ItemSpec

ITEM_TYPES = ("检查项", "基础分")

# words people glue to an item name; the hygiene ones only where the item's own
# texts talk about cleanliness (see ``_fillers_for``)
FILLERS = ("情况", "得分", "评分")
HYGIENE_FILLERS = ("卫生", "整洁", "环境", "净")
HYGIENE_MARKS = ("干净", "卫生", "整洁")

CLAUSE_BOUNDARY = re.compile(r"[，、；,;]")
JOINERS = ("/", "、", "，")

PREFIX_FORMS = ("{c}/{b}", "{c}—{b}", "{c}-{b}", "{c}·{b}", "{c}\n{b}", "{c}类：{b}")
MAX_FORMS = ("{b}({m}分)", "{b}（满分{m}）", "{b}{m}分", "{b}满分：{m}", "{b}{m}", "{b} {m}",
             "{b}\n满分{m}", "{b}\n{m}分", "{b}【{m}】")
CIRCLED = "①②③④⑤⑥⑦⑧⑨⑩⑪⑫⑬⑭⑮⑯⑰⑱⑲⑳"
CHINESE_NUMBERS = ("一", "二", "三", "四", "五", "六", "七", "八", "九", "十",
                   "十一", "十二", "十三", "十四", "十五", "十六", "十七", "十八", "十九", "二十")
NUMBER_FORMS = ("circled", "{n}.", "（{n}）", "{zh}、", "{n}、")
SPACINGS = ("half_space", "full_space", "line_break", "trailing", "fullwidth_ascii", "halfwidth_punct")

# columns of an inspection sheet that are no item
NON_ITEM_COLUMNS = ("序号", "户号", "户主", "备注", "合计", "扣分原因", "联系电话",
                    "组别", "户主姓名", "检查日期", "总分", "门牌号")


def items_of(preset) -> list[ItemSpec]:
    return [ItemSpec.from_rule(r) for r in preset.rules if r.type in ITEM_TYPES]


def fmt(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else str(x)


def category_totals(items: list[ItemSpec]) -> dict[str, float]:
    out: dict[str, float] = {}
    for s in items:
        out[s.category] = out.get(s.category, 0.0) + s.points
    return out


# --- telling items apart (the realism filter) ---------------------------------------

_NOT_WORD = re.compile(r"[^\u4e00-\u9fffA-Za-z]+")


def plain(text: str) -> str:
    """What a reader compares: the characters, without spacing, punctuation, digits or 是否."""
    t = unicodedata.normalize("NFKC", text)
    return _NOT_WORD.sub("", t).replace("是否", "")


def grams(text: str) -> set[str]:
    return {text[i:i + 2] for i in range(len(text) - 1)} if len(text) > 1 else {text}


def texts_of(item: ItemSpec) -> list[str]:
    return [plain(t) for t in (item.name, *item.synonyms, item.note) if plain(t)]


def distinguishable(body: str, item: ItemSpec, items: list[ItemSpec]) -> bool:
    """Could a person reading ``body`` tell it is ``item`` and no other item of the sheet?

    The filter against the OTHER items' texts (名称, 同义词, 说明):
    * the body must not lie wholly inside another item's text — a clause that
      two items' 说明 share (BASE140's 环境整治 and 文明新风 have the very same
      说明 sentence, so do its three 年度积分 items) names neither of them;
    * it must hold at least one character pair that is in this item's own texts
      and in no other item's texts, the part a reader recognises ("粪便" is the
      toilet, "灰尘" the living room); a body made only of pairs every room
      shares ("地面干净") is dropped.
    """
    b = plain(body)
    if len(b) < 2:
        return False
    others = [o for o in items if o.code != item.code]
    other_texts = [t for o in others for t in texts_of(o)]
    if any(b in t for t in other_texts):
        return False
    own = set().union(*(grams(t) for t in texts_of(item)))
    theirs = set().union(*(grams(t) for t in other_texts)) if other_texts else set()
    return bool((grams(b) & own) - theirs)


# --- the item's own wording ----------------------------------------------------------


def clauses(note: str) -> list[str]:
    return [c.strip() for c in CLAUSE_BOUNDARY.split(note) if c.strip()]


def halves(note: str) -> tuple[str, str] | None:
    """The 说明 split at the clause boundary nearest its middle."""
    cuts = [m for m in CLAUSE_BOUNDARY.finditer(note)]
    if not cuts:
        return None
    middle = len(note) / 2
    cut = min(cuts, key=lambda m: abs(m.start() - middle))
    first, second = note[:cut.start()].strip(), note[cut.end():].strip()
    if not first or not second:
        return None
    return first, second


def _fillers_for(item: ItemSpec) -> tuple[str, ...]:
    own = "".join((item.name, *item.synonyms, item.note))
    words = FILLERS + (HYGIENE_FILLERS if any(m in own for m in HYGIENE_MARKS) else ())
    return tuple(w for w in words if w not in item.name)


def raw_bodies(item: ItemSpec) -> list[tuple[str, str]]:
    """(style, text) for every way of naming the item, before the realism filter."""
    out: list[tuple[str, str]] = []
    note = item.note.strip()
    if note:
        out.append(("说明原句", note))
        h = halves(note)
        if h:
            out += [("说明前半", h[0]), ("说明后半", h[1])]
        parts = clauses(note)
        if len(parts) > 1:
            out += [("说明一句", c) for c in parts]
            out += [(f"说明各句以{j}连接", j.join(parts)) for j in JOINERS]
            out += [(f"说明相邻两句以{j}连接", parts[i] + j + parts[i + 1])
                    for i in range(len(parts) - 1) for j in JOINERS]
        if "是否" in note:
            out.append(("说明去掉是否", note.replace("是否", "")))
        # name with one clause of the 说明 in brackets (no clause with a number:
        # that would be a maximum)
        out += [("名称（说明一句）", f"{item.name}（{c}）") for c in (parts if len(parts) > 1 else [note])
                if item.name not in c and not re.search(r"\d", c)]
    out.append(("名称", item.name))
    out += [("同义词", s) for s in item.synonyms]
    out += [("名称+" + w, item.name + w) for w in _fillers_for(item)]
    # 是否 in front only where the seed itself asks the item as a yes/no question
    if "是否" in note:
        out.append(("是否+名称", "是否" + item.name))
    # name and a synonym side by side, unless one is just the other lengthened
    out += [(f"名称{j}同义词", item.name + j + s) for s in item.synonyms for j in JOINERS
            if s not in item.name and item.name not in s]
    return out


def bodies(item: ItemSpec, items: list[ItemSpec]) -> list[tuple[str, str]]:
    """The realistic, distinguishable ways of naming ``item`` in a sheet of ``items``."""
    seen: set[str] = set()
    out = []
    for style, text in raw_bodies(item):
        if text in seen or not distinguishable(text, item, items):
            continue
        seen.add(text)
        out.append((style, text))
    return out


# --- dressing a body as a header cell ---------------------------------------------------


@dataclass(frozen=True)
class Dress:
    prefix: str | None = None  # one of PREFIX_FORMS
    maximum: str | None = None  # one of MAX_FORMS
    number: str | None = None  # one of NUMBER_FORMS
    number_inside: bool = False  # after the category prefix instead of before it
    restart: bool = False  # numbers restart in each category
    spacing: tuple[tuple[str, float], ...] = ()  # (kind, where 0..1)

    def label(self) -> str:
        parts = []
        if self.prefix:
            parts.append("类别前缀" + repr(self.prefix.replace("{c}", "").replace("{b}", "")))
        if self.maximum:
            parts.append("满分" + repr(self.maximum.replace("{b}", "").replace("{m}", "N")))
        if self.number:
            parts.append("编号" + repr(self.number))
        parts += [k for k, _ in self.spacing]
        return "+".join(parts) or "原样"


_FULLWIDTH = {c: chr(ord(c) + 0xFEE0) for c in map(chr, range(0x21, 0x7F))}
_HALFWIDTH = {"（": "(", "）": ")", "：": ":", "，": ",", "；": ";", "【": "[", "】": "]", "／": "/"}


def _space(text: str, kind: str, where: float) -> str:
    if kind == "trailing":
        return text + (" " if where < 0.5 else " \u3000 ")
    if kind == "fullwidth_ascii":
        return "".join(_FULLWIDTH.get(c, c) for c in text)
    if kind == "halfwidth_punct":
        return "".join(_HALFWIDTH.get(c, c) for c in text)
    if len(text) < 2:
        return text
    at = 1 + int(where * (len(text) - 1)) % (len(text) - 1)
    gap = {"half_space": " ", "full_space": "\u3000", "line_break": "\n"}[kind]
    return text[:at] + gap + text[at:]


def number_text(form: str, n: int) -> str:
    if form == "circled":
        return CIRCLED[n - 1]
    return form.format(n=n, zh=CHINESE_NUMBERS[n - 1])


def position(item: ItemSpec, items: list[ItemSpec], restart: bool) -> int:
    pool = [s for s in items if s.category == item.category] if restart else items
    return [s.code for s in pool].index(item.code) + 1


def decorate(body: str, item: ItemSpec, items: list[ItemSpec], dress: Dress) -> str:
    # spacing goes inside the body (a wrapped or sloppily typed cell), or over the
    # whole cell for the width conversions and trailing spaces
    inner = [(k, w) for k, w in dress.spacing if k in ("half_space", "full_space", "line_break")]
    outer = [(k, w) for k, w in dress.spacing if k not in ("half_space", "full_space", "line_break")]
    for kind, where in inner:
        body = _space(body, kind, where)
    text = body
    if dress.maximum:
        text = dress.maximum.format(b=text, m=fmt(item.points))
    number = number_text(dress.number, position(item, items, dress.restart)) if dress.number else ""
    if dress.prefix:
        if dress.number_inside:
            text = number + text
            number = ""
        text = dress.prefix.format(c=item.category, b=text)
    text = number + text
    for kind, where in outer:
        text = _space(text, kind, where)
    return text


# --- deterministic enumeration -------------------------------------------------------------


@dataclass(frozen=True)
class Variant:
    code: str
    header: str
    style: str


def enumerate_headers(items: list[ItemSpec]) -> list[Variant]:
    """Every body plain, and every dressing at least once per item (bodies taken in turn)."""
    out: list[Variant] = []
    for item in items:
        bs = bodies(item, items)
        dresses: list[Dress] = [Dress()] * len(bs)
        dresses += [Dress(prefix=p) for p in PREFIX_FORMS]
        dresses += [Dress(maximum=m) for m in MAX_FORMS]
        dresses += [Dress(number=n) for n in NUMBER_FORMS]
        dresses += [Dress(number=n, restart=True) for n in NUMBER_FORMS]
        dresses += [Dress(spacing=((s, 0.5),)) for s in SPACINGS]
        # and the forms combined, one combination per body
        dresses += [Dress(prefix=PREFIX_FORMS[j % len(PREFIX_FORMS)], maximum=MAX_FORMS[j % len(MAX_FORMS)],
                          number=NUMBER_FORMS[j % len(NUMBER_FORMS)], number_inside=bool(j % 2),
                          restart=bool(j % 3 == 0), spacing=((SPACINGS[j % len(SPACINGS)], 0.3),))
                    for j in range(len(bs))]
        for k, dress in enumerate(dresses):
            style, body = bs[k % len(bs)]
            out.append(Variant(item.code, decorate(body, item, items, dress), f"{style}+{dress.label()}"))
    return out


# --- hypothesis ------------------------------------------------------------------------------

dresses = st.builds(
    Dress,
    prefix=st.none() | st.sampled_from(PREFIX_FORMS),
    maximum=st.none() | st.sampled_from(MAX_FORMS),
    number=st.none() | st.sampled_from(NUMBER_FORMS),
    number_inside=st.booleans(),
    restart=st.booleans(),
    spacing=st.lists(st.tuples(st.sampled_from(SPACINGS), st.floats(0, 1)), max_size=3).map(tuple),
)


@st.composite
def item_header(draw, item: ItemSpec, items: list[ItemSpec]) -> Variant:
    style, body = draw(st.sampled_from(bodies(item, items)))
    dress = draw(dresses)
    return Variant(item.code, decorate(body, item, items, dress), f"{style}+{dress.label()}")


@st.composite
def header_row(draw, items: list[ItemSpec]) -> list[Variant]:
    """A whole sheet header row: each item in a drawn style, a few non-item columns, any order."""
    row = [draw(item_header(s, items)) for s in items]
    extra = draw(st.lists(st.sampled_from(NON_ITEM_COLUMNS), min_size=1, max_size=6, unique=True))
    row += [Variant("", h, "非检查项") for h in extra]
    return draw(st.permutations(row))
