"""Which column is which inspection item: a scored, explainable matcher (pure, no I/O).

Grid workers write the item headers in their own words: the seed's sentence
whole or halved, keywords, clauses joined by a slash, a category prefix, a
number or circled number in front, the maximum in brackets or on a row of
its own. Nothing here is a list of those words. Both the header and the
rule's texts (名称, 同义词, 说明, 类别) are normalised the same way and
compared by evidence, strongest first:

1. the rule's code, name, a 同义词 or a header learned earlier (表头对照);
2. the name or a 同义词 inside the header, or the header inside them or
   inside the 说明 sentence;
3. how much of the header's character pairs (bigrams) the rule's texts hold;
4. the stated maximum equal to (or differing from) the rule's 分值;
5. the category (a cell above, or a prefix) restricting the candidates;
6. the column order, only to break an exact tie.

The assignment is solved over all columns at once (each item at most one
column, each column at most one item), so a word shared by two headers is
decided by the whole picture, not by the first match.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

# the header's text, normalised: importers.header_text (these names are imported from here too)
from villagectl.importers.header_text import (  # noqa: F401
    _PUNCT, _SPACE, COMMON_CHARS, DEFAULT_FILLERS, SEPARATORS, bigrams, nfkc, normalise, normalise_category,
    split_synonyms, stated_max, strip_max)

EXACT, CERTAIN, LIKELY = "确定", "可信", "推测"

SCORE_MIN = 18.0  # below this a column is not taken for an item at all
CERTAIN_MIN = 60.0  # at or above: the evidence alone names the item
TIE_MARGIN = 4.0  # two readings closer than this cannot be told apart


@dataclass(frozen=True)
class ItemSpec:
    """What the catalogue says about one item (a 检查项 or 基础分 rule)."""

    code: str
    category: str
    name: str
    points: float
    synonyms: tuple[str, ...] = ()
    note: str = ""

    @classmethod
    def from_rule(cls, rule) -> "ItemSpec":
        return cls(rule.code, rule.category, rule.item, float(rule.points), tuple(split_synonyms(rule.synonyms)), rule.note)


@dataclass(frozen=True)
class Column:
    """One header column as found in a sheet."""

    index: int  # 0-based column
    text: str  # the item header cell (lowest header row)
    above: tuple[str, ...] = ()  # header cells above it (merged category cells included), top first
    stated_max: float | None = None  # from a 满分 / 分值 / 标准分 row under the header


@dataclass(frozen=True)
class Match:
    column: int
    code: str
    score: float
    certainty: str  # EXACT | CERTAIN | LIKELY
    reason: str  # Chinese, for the clerk: 依据……


@dataclass
class MatchResult:
    matches: dict[int, Match] = field(default_factory=dict)  # column -> match
    ambiguous: list[tuple[int, str, str]] = field(default_factory=list)  # (column, code, other code)
    unmatched: list[int] = field(default_factory=list)  # columns that are no item
    missing: list[str] = field(default_factory=list)  # item codes without a column

    def column_of(self, code: str) -> int | None:
        for c, m in self.matches.items():
            if m.code == code:
                return c
        return None


# --- evidence -------------------------------------------------------------------


@dataclass(frozen=True)
class _Prepared:
    spec: ItemSpec
    key: str  # normalised name
    words: tuple[str, ...]  # normalised name + synonyms + learned headers
    note: str  # normalised 说明
    category: str  # normalised category
    name_grams: frozenset[str]
    note_grams: frozenset[str]
    name_words: tuple[str, ...]  # the two-character words of four-character names ('就业创业' → 就业, 创业)
    name_chars: frozenset[str]  # the characters of the name and 同义词, without the commonest ones


def _prepare(spec: ItemSpec, learned: tuple[str, ...], fillers: tuple[str, ...]) -> _Prepared:
    words = [normalise(spec.name, fillers)] + [normalise(s, fillers) for s in spec.synonyms]
    words = tuple(dict.fromkeys(w for w in words if w))
    note = normalise(spec.note, fillers) if spec.note else ""
    name_grams = frozenset().union(*(bigrams(w) for w in words)) if words else frozenset()
    name_words = tuple(dict.fromkeys(w[i:i + 2] for w in words if len(w) >= 4 and len(w) % 2 == 0
                                     for i in range(0, len(w), 2)))
    name_chars = frozenset("".join(words)) - COMMON_CHARS
    return _Prepared(spec, words[0] if words else "", words, note, normalise_category(spec.category),
                     name_grams, bigrams(note) if note else frozenset(), name_words, name_chars)


def category_of(text: str, categories: dict[str, str]) -> str | None:
    """A header cell naming a category ('一、人居环境类', '人居环境（满分50）', '人居环境 50') → that category."""
    key = normalise_category(text)
    if not key:
        return None
    if key in categories:
        return categories[key]
    best, best_cover = None, 0.0
    for norm, name in categories.items():
        if norm and (norm in key or key in norm) and min(len(key), len(norm)) >= 2:
            cover = min(len(key), len(norm)) / max(len(key), len(norm))
            if cover > best_cover:
                best, best_cover = name, cover
    if best is not None and best_cover >= 0.5:
        return best
    grams = bigrams(key)
    for norm, name in categories.items():
        shared = grams & bigrams(norm)
        if len(shared) / max(len(grams), 1) >= 0.6 and len(shared) >= 2:
            return name
    return None


def split_prefix(text: str, categories: dict[str, str]) -> tuple[str | None, str]:
    """'人居环境/庭院', '人居环境—庭院', '人居环境\\n庭院', '人居环境·庭院' → ('人居环境', '庭院')."""
    t = nfkc(text).strip()
    parts = [p for p in SEPARATORS.split(t, maxsplit=1) if p.strip()]
    if len(parts) == 2:
        category = category_of(parts[0], categories)
        # the part before the separator must be the category (with 类 or a number), not an item text holding it
        if category is not None and len(normalise_category(parts[0])) <= len(normalise_category(category)) + 1 \
                and normalise(parts[1]):
            return category, parts[1]
    compact = _SPACE.sub("", t)
    for norm, name in sorted(categories.items(), key=lambda kv: -len(kv[0])):
        if len(norm) >= 2 and compact.startswith(norm) and normalise(compact[len(norm):]):
            rest = compact[len(norm):].lstrip("类")
            if normalise(rest):
                return name, rest
    return None, t


def code_text(text: object) -> str:
    """A header as a possible rule code: 'RJ2（10分）' → 'RJ2' (codes keep their digits)."""
    t = strip_max(nfkc(text))
    return _PUNCT.sub("", _SPACE.sub("", t)).upper()


def _evidence(header: str, item: _Prepared, code_key: str, code: str = "") -> tuple[float, str, bool]:
    """(score 0–100, reason, exact) for one normalised header against one item."""
    if code and code == code_key:
        return 100.0, f"编码 {item.spec.code}", True
    if not header:
        return 0.0, "", False
    if header in item.words:
        which = "名称" if header == item.key else "同义词"
        return 95.0, f"{which}“{item.spec.name if header == item.key else header}”", True
    best, reason = 0.0, ""
    for w in item.words:
        if len(w) >= 2 and w in header:
            score = 70.0 + 12.0 * len(w) / len(header)
            if score > best:
                best, reason = score, f"表头含“{w}”"
        if len(header) >= 2 and header in w:
            score = 66.0 + 12.0 * len(header) / len(w)
            if score > best:
                best, reason = score, f"“{w}”含表头"
    if item.note and len(header) >= 3 and header in item.note:
        score = 62.0 + 10.0 * min(len(header) / 8.0, 1.0)
        if score > best:
            best, reason = score, "说明中有表头原文"
    # a character of the name or a 同义词 ('院内' and 庭院): weak, shown as a guess
    shared = set(header) & item.name_chars
    if shared:
        score = 30.0 * len(shared) / len(header)
        if score > best:
            best, reason = score, "表头与名称同有“" + "".join(sorted(shared, key=header.index)) + "”字"
    contained = [w for w in item.name_words if w in header]
    if contained:
        score = 40.0 + 5.0 * len(contained)
        if score > best:
            best, reason = score, "表头含名称中的“" + "”“".join(contained) + "”"
    grams = bigrams(header)
    n = max(len(grams), 1)
    in_name = grams & item.name_grams
    in_note = grams & item.note_grams
    in_any = grams & (item.name_grams | item.note_grams)
    gram_score = max(62.0 * len(in_name) / n, 52.0 * len(in_note) / n, 56.0 * len(in_any) / n)
    if gram_score > best:
        shown = "”“".join(sorted(_runs(header, in_any))[:3])
        best, reason = gram_score, (f"名称中的“{shown}”" if len(in_name) >= len(in_note) else f"说明中的“{shown}”")
    return best, reason, False


def _runs(header: str, grams: frozenset[str]) -> set[str]:
    """The longest stretches of ``header`` made of shared bigrams (to show the clerk)."""
    out: set[str] = set()
    i = 0
    while i < len(header) - 1:
        if header[i:i + 2] in grams:
            j = i + 1
            while j < len(header) - 1 and header[j:j + 2] in grams:
                j += 1
            out.add(header[i:j + 1])
            i = j
        i += 1
    if not out and len(header) == 1 and header in grams:
        out.add(header)
    return out


# --- the assignment ---------------------------------------------------------------


def _assign(weights: list[list[float]]) -> list[int]:
    """Maximum-weight assignment (rows → distinct columns or -1), Hungarian method.

    ``weights[r][c]`` ≤ 0 means "not allowed". Small sizes (a sheet's columns × items).
    """
    n_rows = len(weights)
    n_cols = len(weights[0]) if n_rows else 0
    if not n_rows or not n_cols:
        return [-1] * n_rows
    size = max(n_rows, n_cols)
    big = max((w for row in weights for w in row), default=0.0) + 1.0
    # cost matrix (minimise); a disallowed pair costs as much as leaving both unassigned
    cost = [[big - (weights[r][c] if r < n_rows and c < n_cols and weights[r][c] > 0 else 0.0)
             for c in range(size)] for r in range(size)]
    inf = float("inf")
    u = [0.0] * (size + 1)
    v = [0.0] * (size + 1)
    p = [0] * (size + 1)
    way = [0] * (size + 1)
    for i in range(1, size + 1):
        p[0] = i
        j0 = 0
        minv = [inf] * (size + 1)
        used = [False] * (size + 1)
        while True:
            used[j0] = True
            i0, delta, j1 = p[j0], inf, 0
            for j in range(1, size + 1):
                if not used[j]:
                    cur = cost[i0 - 1][j - 1] - u[i0] - v[j]
                    if cur < minv[j]:
                        minv[j], way[j] = cur, j0
                    if minv[j] < delta:
                        delta, j1 = minv[j], j
            for j in range(size + 1):
                if used[j]:
                    u[p[j]] += delta
                    v[j] -= delta
                else:
                    minv[j] -= delta
            j0 = j1
            if p[j0] == 0:
                break
        while True:
            j1 = way[j0]
            p[j0] = p[j1]
            j0 = j1
            if j0 == 0:
                break
    out = [-1] * n_rows
    for j in range(1, size + 1):
        r, c = p[j] - 1, j - 1
        if r < n_rows and c < n_cols and weights[r][c] > 0:
            out[r] = c
    return out


def _total(weights: list[list[float]], assignment: list[int]) -> float:
    return sum(weights[r][c] for r, c in enumerate(assignment) if c >= 0)


class ItemScanner:
    """How item-like a single cell is (for finding the header row before matching)."""

    def __init__(self, items: list[ItemSpec], learned: dict[str, str] | None = None,
                 fillers: tuple[str, ...] = DEFAULT_FILLERS) -> None:
        extra: dict[str, list[str]] = {}
        for text, code in (learned or {}).items():
            extra.setdefault(code, []).append(text)
        self.prepared = [_prepare(ItemSpec(s.code, s.category, s.name, s.points,
                                           s.synonyms + tuple(extra.get(s.code, ())), s.note), (), fillers)
                         for s in items]
        self.code_keys = [nfkc(s.code).strip().upper() for s in items]
        self.categories = {normalise_category(s.category): s.category for s in items if s.category}
        self.fillers = fillers
        self._cache: dict[str, float] = {}

    def best(self, text: object) -> float:
        return self.best_item(text)[1]

    def best_item(self, text: object) -> tuple[int | None, float]:
        """(index of the item ``text`` reads most like, its evidence); (None, 0) for a number, a date or nothing."""
        if not isinstance(text, str):
            return None, 0.0  # numbers and dates are never item headers
        t = nfkc(text).strip()
        if not t:
            return None, 0.0
        if t not in self._cache:
            _, rest = split_prefix(t, self.categories)
            header, code = normalise(rest, self.fillers), code_text(t)
            scores = [_evidence(header, p, k, code)[0] for p, k in zip(self.prepared, self.code_keys)]
            top = max(range(len(scores)), key=scores.__getitem__) if scores else None
            self._cache[t] = (top, scores[top] if top is not None else 0.0)
        return self._cache[t]

    def category(self, text: object) -> str | None:
        return category_of(nfkc(text), self.categories)


def match_columns(
    items: list[ItemSpec],
    columns: list[Column],
    learned: dict[str, str] | None = None,
    fillers: tuple[str, ...] = DEFAULT_FILLERS,
) -> MatchResult:
    """Assign columns to items. ``learned`` maps a header text (as typed) to a code (表头对照).

    Every group's sheet of a village usually has the same header: the answer is kept for the next one."""
    found = _match_cached(tuple(items), tuple(columns), tuple(sorted((learned or {}).items())), tuple(fillers))
    return MatchResult(dict(found.matches), list(found.ambiguous), list(found.unmatched), list(found.missing))


@lru_cache(maxsize=512)
def _match_cached(items: tuple[ItemSpec, ...], columns: tuple[Column, ...], learned_pairs: tuple[tuple[str, str], ...],
                  fillers: tuple[str, ...]) -> MatchResult:
    return _match(list(items), list(columns), dict(learned_pairs), fillers)


def _match(items: list[ItemSpec], columns: list[Column], learned: dict[str, str], fillers: tuple[str, ...]) -> MatchResult:
    learned_keys: dict[str, list[str]] = {}
    for text, code in (learned or {}).items():
        learned_keys.setdefault(code, []).append(text)
    prepared = [_prepare(ItemSpec(s.code, s.category, s.name, s.points,
                                  s.synonyms + tuple(learned_keys.get(s.code, ())), s.note), (), fillers)
                for s in items]
    code_keys = [nfkc(s.code).strip().upper() for s in items]
    categories = {normalise_category(s.category): s.category for s in items if s.category}
    weights: list[list[float]] = []
    reasons: list[list[tuple[str, bool]]] = []
    for col in columns:
        context = None
        for above in reversed(col.above):
            context = category_of(above, categories)
            if context:
                break
        prefix, rest = split_prefix(col.text, categories)
        context = prefix or context
        header = normalise(rest, fillers)
        code = code_text(col.text)
        header_max = stated_max(col.text)
        maximum = header_max if header_max is not None else col.stated_max
        row_w: list[float] = []
        row_r: list[tuple[str, bool]] = []
        raw = [_evidence(header, prep, code_key, code) for prep, code_key in zip(prepared, code_keys)]
        whole = normalise(col.text, fillers)
        if whole and whole != header:
            # the whole header may be a learned text with the category glued on; and when the part
            # after the prefix says nothing to any item, the whole header is all there is to go by
            said_nothing = not any(r[0] > 0 for r in raw)
            for i, (prep, code_key) in enumerate(zip(prepared, code_keys)):
                s2, r2, e2 = _evidence(whole, prep, code_key)
                if e2 and not raw[i][2] or said_nothing and s2 > 0:
                    raw[i] = (s2, r2, e2)
        for (score, reason, exact), prep in zip(raw, prepared):
            if score > 0 and context is not None:
                if context != prep.spec.category:
                    score = 0.0 if not exact else score
                elif not exact:
                    score += 6.0
                    reason += f"，类别“{context}”"
            if score > 0 and maximum is not None and not exact:
                if abs(maximum - prep.spec.points) < 1e-9:
                    score += 8.0
                    reason += f"，满分 {_fmt(maximum)}"
                else:
                    score -= 12.0
            if score < SCORE_MIN and not exact:
                score = 0.0
            row_w.append(score)
            row_r.append((reason, exact))
        weights.append(row_w)
        reasons.append(row_r)
    # the column order breaks exact ties only: a tiny bonus for the catalogue's order
    n_items = max(len(items), 1)
    n_cols = max(len(columns), 1)
    tiny = [[w + (0.01 * (1 - abs(ci / n_cols - ii / n_items)) if w > 0 else 0.0)
             for ii, w in enumerate(row)] for ci, row in enumerate(weights)]
    assignment = _assign(tiny) if columns and items else [-1] * len(columns)
    best_total = _total(weights, assignment)
    result = MatchResult()
    for ci, ii in enumerate(assignment):
        col = columns[ci]
        if ii < 0:
            result.unmatched.append(col.index)
            continue
        score = weights[ci][ii]
        reason, exact = reasons[ci][ii]
        certainty = EXACT if exact else CERTAIN if score >= CERTAIN_MIN else LIKELY
        if exact:
            # two items with the same name or 同义词: the header cannot tell them apart
            twin = next((j for j, w in enumerate(weights[ci]) if j != ii and reasons[ci][j][1] and w >= score - 1e-9), None)
            if twin is not None:
                result.ambiguous.append((col.index, items[ii].code, items[twin].code))
                continue
        if not exact:
            # could another reading of this column explain the sheet as well?
            banned = [row[:] for row in tiny]
            banned[ci][ii] = 0.0
            alt = _assign(banned)
            alt_total = _total(weights, alt)
            if alt[ci] >= 0 and best_total - alt_total < TIE_MARGIN:
                result.ambiguous.append((col.index, items[ii].code, items[alt[ci]].code))
                continue
        result.matches[col.index] = Match(col.index, items[ii].code, round(score, 1), certainty, "依据" + reason.lstrip("，"))
    taken = {m.code for m in result.matches.values()} | {a[1] for a in result.ambiguous}
    result.missing = [s.code for s in items if s.code not in taken]
    return result


def _fmt(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else str(x)
