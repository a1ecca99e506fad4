"""The header matcher against headers written the way grid workers write them.

Every header is derived mechanically from the catalogue's own texts
(名称, 同义词, 说明, 类别, 分值) by tests/header_variants.py; no test lists the
expected practice words. Known matcher faults are marked xfail(strict=True)
one case at a time, so a fix makes them fail loudly until the mark is removed.
"""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from header_variants import (
    CLAUSE_BOUNDARY,
    MAX_FORMS,
    NON_ITEM_COLUMNS,
    NUMBER_FORMS,
    PREFIX_FORMS,
    Dress,
    bodies,
    category_totals,
    decorate,
    enumerate_headers,
    fmt,
    header_row,
    items_of,
    plain,
    raw_bodies,
    texts_of,
)
from villagectl.importers.header_match import (
    EXACT,
    Column,
    ItemSpec,
    match_columns,
    nfkc,
    normalise_category,
    split_prefix,
    split_synonyms,
    stated_max,
)
from villagectl.rules.presets import BASE140, ZHONGPING, Rule

PRESETS = {"zhongping": ZHONGPING, "base140": BASE140}
ITEMS = {name: items_of(p) for name, p in PRESETS.items()}

ROW_SETTINGS = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _explain(result, columns, expected: dict[int, str]) -> list[str]:
    """Every wrong column, as 'header → expected, got (score, reason)'."""
    wrong = []
    ambiguous = {c: (a, b) for c, a, b in result.ambiguous}
    for col in columns:
        want = expected.get(col.index, "")
        got = result.matches.get(col.index)
        if got is not None:
            if got.code != want:
                wrong.append(f"{col.text!r} → expected {want or '不是检查项'}, got {got.code} "
                             f"({got.score}, {got.certainty}, {got.reason})")
        elif col.index in ambiguous:
            wrong.append(f"{col.text!r} → expected {want or '不是检查项'}, got ambiguous {ambiguous[col.index]}")
        elif want:
            wrong.append(f"{col.text!r} → expected {want}, got unmatched")
    return wrong


def _category_words_before_a_line_break(variant, items) -> bool:
    """An item header without a category prefix whose first line already holds the item's
    category name ('就业创业、创业就业\n情况': the synonym 创业就业情况 holds 创业就业)."""
    if not variant.code or "\n" not in variant.header or "类别前缀" in variant.style:
        return False
    item = next(s for s in items if s.code == variant.code)
    return plain(item.category) in plain(variant.header.replace("\n", ""))


# --- the generator itself -----------------------------------------------------------------


def test_generator_shapes_and_filter():
    """The generator is what the other tests trust: check it does what it says."""
    zh, b140 = ITEMS["zhongping"], ITEMS["base140"]
    assert len(zh) == 14 and len({s.category for s in zh}) == 5
    assert len(b140) == 5 and {s.code for s in b140} == {"HJ", "WM", "DJ", "MS", "ZF"}
    for items in (zh, b140):
        for item in items:
            kept = {t for _, t in bodies(item, items)}
            # the item's declared words always survive the realism filter
            assert {item.name, *item.synonyms} <= kept, item.code
            # and nothing kept lies wholly inside another item's texts
            for text in kept:
                assert not any(plain(text) in t for o in items if o.code != item.code for t in texts_of(o)), text
    # BASE140's items share their 说明 sentences pairwise: nothing taken from a 说明 alone survives
    for item in b140:
        from_note = [t for style, t in raw_bodies(item) if style.startswith("说明")]
        assert from_note and not any(t in {b for _, b in bodies(item, b140)} for t in from_note)
    # ZHONGPING's 说明 halves and clauses do survive where they hold the item's own words
    rj5 = next(s for s in zh if s.code == "RJ5")
    kept = {t for _, t in bodies(rj5, zh)}
    assert rj5.note in kept and any(t for t in kept if t in CLAUSE_BOUNDARY.split(rj5.note))


# --- 1. a whole header row ------------------------------------------------------------------


@pytest.mark.parametrize("preset", sorted(PRESETS))
@ROW_SETTINGS
@given(data=st.data())
def test_whole_header_row_maps_every_item(preset, data):
    items = ITEMS[preset]
    row = data.draw(header_row(items), label="row")
    # the one known fault, pinned by test_category_words_on_a_first_line_keep_the_item
    # (category words on a first line were once a matcher bug; they are generated like the rest)
    columns = [Column(i, v.header) for i, v in enumerate(row)]
    expected = {i: v.code for i, v in enumerate(row) if v.code}
    result = match_columns(items, columns)
    wrong = _explain(result, columns, expected)
    assert not wrong, "\n".join(wrong + [f"  styles: {[v.style for v in row if v.code]}"])
    assert {c: m.code for c, m in result.matches.items()} == expected
    assert result.ambiguous == []
    assert result.missing == []
    assert sorted(result.unmatched) == sorted(i for i, v in enumerate(row) if not v.code)


# --- 2. the deterministic enumeration -----------------------------------------------------


def test_enumerated_headers_each_map_in_a_plain_row():
    distinct = 0
    wrong: list[str] = []
    for preset, items in ITEMS.items():
        variants = enumerate_headers(items)
        texts = {v.header for v in variants}
        distinct += len(texts)
        # a header text the enumeration makes for two items would be a generator fault
        owners: dict[str, set[str]] = {}
        for v in variants:
            owners.setdefault(v.header, set()).add(v.code)
        assert all(len(c) == 1 for c in owners.values()), [h for h, c in owners.items() if len(c) > 1]
        for v in variants:
            columns = [Column(0, "户主")] + [Column(i + 1, v.header if s.code == v.code else s.name)
                                            for i, s in enumerate(items)] + [Column(len(items) + 1, "合计")]
            result = match_columns(items, columns)
            expected = {i + 1: s.code for i, s in enumerate(items)}
            problems = _explain(result, columns, expected)
            if problems or result.missing or result.ambiguous:
                wrong.append(f"[{preset} {v.code} {v.style}] " + "; ".join(problems or [f"missing {result.missing}"]))
            # and alone, as on a sheet of that one item
            alone = match_columns(items, [Column(0, v.header)])
            problems = _explain(alone, [Column(0, v.header)], {0: v.code})
            if problems:
                wrong.append(f"[{preset} {v.code} {v.style}, alone] " + "; ".join(problems))
    assert not wrong, "\n".join(wrong)
    assert distinct >= 300, distinct


# --- 3. column order ------------------------------------------------------------------------


@pytest.mark.parametrize("preset", sorted(PRESETS))
@ROW_SETTINGS
@given(data=st.data())
def test_column_order_never_changes_the_assignment(preset, data):
    items = ITEMS[preset]
    row = data.draw(header_row(items), label="row")
    other = data.draw(st.permutations(row), label="shuffled")

    def reading(variants):
        columns = [Column(i, v.header) for i, v in enumerate(variants)]
        result = match_columns(items, columns)
        out = {}
        for i, v in enumerate(variants):
            m = result.matches.get(i)
            out[v.header] = m.code if m else ("ambiguous" if any(a[0] == i for a in result.ambiguous) else None)
        return out

    assert reading(row) == reading(other)


# --- a known fault: the category's words on a header's first line ---------------------------


def _category_line_cases():
    """Name and a synonym side by side, the synonym holding the category name, the cell
    wrapped right after the category name: derived from the catalogue, not listed."""
    cases = []
    for preset, items in ITEMS.items():
        for item in items:
            for synonym in item.synonyms:
                at = synonym.find(item.category)
                if at < 0 or at + len(item.category) == len(synonym):
                    continue
                end = at + len(item.category)
                wrapped = synonym[:end] + "\n" + synonym[end:]
                for joiner in ("、", "，"):
                    # once a bug: the first line, holding the category name, was taken for a prefix
                    cases.append(pytest.param(preset, item.code, item.name + joiner + wrapped))
                # the same with a slash: split there first, and the item survives
                cases.append(pytest.param(preset, item.code, item.name + "/" + wrapped))
    return cases


@pytest.mark.parametrize("preset,code,header", _category_line_cases())
@pytest.mark.parametrize("maximum", [None, MAX_FORMS[1]])
def test_category_words_on_a_first_line_keep_the_item(preset, code, header, maximum):
    items = ITEMS[preset]
    item = next(s for s in items if s.code == code)
    if maximum:
        header = maximum.format(b=header, m=fmt(item.points))
    columns = [Column(i, header if s.code == code else s.name) for i, s in enumerate(items)]
    result = match_columns(items, columns)
    assert not _explain(result, columns, {i: s.code for i, s in enumerate(items)}), header


def test_there_are_category_line_cases():
    assert len(_category_line_cases()) >= 3


# --- 4. the category restricts the candidates -----------------------------------------------


def _shared_keywords(items):
    """Words the catalogue itself uses (a leading or trailing part of a 名称/同义词) that
    appear in the texts of items of two or more categories, at most one item per category."""
    found = {}
    for s in items:
        for w in map(plain, (s.name, *s.synonyms)):
            for k in range(2, len(w)):
                for word in (w[:k], w[-k:]):
                    holders = [o for o in items if any(word in t for t in texts_of(o))]
                    cats = {o.category for o in holders}
                    if len(cats) >= 2 and len(cats) == len(holders):
                        found[word] = {o.category: o.code for o in holders}
    return found


SHARED = _shared_keywords(ITEMS["zhongping"])
CONTEXT_FORMS = ("一、{c}类", "{c}类 共{t}分", "{c}（满分{t}）")


def test_there_are_shared_keywords_to_test():
    assert len(SHARED) >= 2, SHARED


@pytest.mark.parametrize("word", sorted(SHARED))
@pytest.mark.parametrize("form", CONTEXT_FORMS)
def test_category_cell_above_decides_a_shared_keyword(word, form):
    items = ITEMS["zhongping"]
    totals = category_totals(items)
    for category, code in SHARED[word].items():
        above = (form.format(c=category, t=fmt(totals[category])),)
        # alone under its category cell
        result = match_columns(items, [Column(0, word, above=above)])
        assert result.matches.get(0) and result.matches[0].code == code, (word, above, result)
        # in a two-row header: every column under its own category cell, the item's
        # column written as the bare keyword
        columns = [Column(i, word if s.code == code else s.name,
                          above=("检查评比表", form.format(c=s.category, t=fmt(totals[s.category]))))
                   for i, s in enumerate(items)]
        result = match_columns(items, columns)
        wrong = _explain(result, columns, {i: s.code for i, s in enumerate(items)})
        assert not wrong and not result.ambiguous and not result.missing, wrong


@pytest.mark.parametrize("word", sorted(SHARED))
@pytest.mark.parametrize("form", PREFIX_FORMS)
def test_category_prefix_decides_a_shared_keyword(word, form):
    items = ITEMS["zhongping"]
    for category, code in SHARED[word].items():
        header = form.format(c=category, b=word)
        assert split_prefix(header, {normalise_category(s.category): s.category for s in items})[0] == category
        result = match_columns(items, [Column(0, header)])
        assert result.matches.get(0) and result.matches[0].code == code, (header, result)


# --- 5. no two items confused ---------------------------------------------------------------


@pytest.mark.parametrize("preset", sorted(PRESETS))
def test_each_name_synonym_and_code_alone_maps_to_its_item(preset):
    items = ITEMS[preset]
    for item in items:
        for text in (item.name, *item.synonyms):
            result = match_columns(items, [Column(3, text)])
            assert 3 in result.matches, (text, result)
            m = result.matches[3]
            assert (m.code, m.certainty) == (item.code, EXACT), (text, m)
            assert result.ambiguous == []
            assert sorted(result.missing) == sorted(s.code for s in items if s.code != item.code)


@pytest.mark.parametrize("code", [s.code for items in ITEMS.values() for s in items])
def test_the_rule_code_as_header_maps_exactly(code):
    items = next(items for items in ITEMS.values() if code in {s.code for s in items})
    for text in (code, code.lower(), f" {code} ", f"{code}（满分10）"):
        m = match_columns(items, [Column(0, text)]).matches.get(0)
        assert m is not None and (m.code, m.certainty) == (code, EXACT), (text, m)


@pytest.mark.parametrize("preset", sorted(PRESETS))
def test_plain_names_row_and_synonyms_row(preset):
    items = ITEMS[preset]
    for pick in (lambda s: s.name, lambda s: s.synonyms[-1] if s.synonyms else s.name):
        columns = [Column(i, pick(s)) for i, s in enumerate(reversed(items))]
        result = match_columns(items, columns)
        assert {c: m.code for c, m in result.matches.items()} == {i: s.code for i, s in enumerate(reversed(items))}
        assert all(m.certainty == EXACT for m in result.matches.values())


# --- 6. split_synonyms ----------------------------------------------------------------------


def test_split_synonyms_separators():
    assert split_synonyms("庭院卫生\n院落\n院子") == ["庭院卫生", "院落", "院子"]
    assert split_synonyms("庭院卫生；院落;院子") == ["庭院卫生", "院落", "院子"]
    assert split_synonyms(" 庭院卫生 \r\n\n 院落 ；; 院子 ") == ["庭院卫生", "院落", "院子"]
    # an old cell without line breaks or semicolons keeps the 、 / , separation
    assert split_synonyms("庭院卫生、院落、院子") == ["庭院卫生", "院落", "院子"]
    assert split_synonyms("庭院卫生,院落，院子") == ["庭院卫生", "院落", "院子"]
    assert split_synonyms("") == [] and split_synonyms(None) == [] and split_synonyms(" \n；") == []


def test_split_synonyms_of_every_preset_rule():
    for preset in PRESETS.values():
        for rule in preset.rules:
            if rule.synonyms:
                # the presets' synonyms hold no separator inside, so any separator splits them
                parts = [p.strip() for p in re.split(r"[、,，;；\n]", rule.synonyms) if p.strip()]
                assert split_synonyms(rule.synonyms) == parts
                assert list(ItemSpec.from_rule(rule).synonyms) == parts
                for separator in ("\n", "；", ";", "、", "，", ","):
                    assert split_synonyms(separator.join(parts)) == parts, separator


_SEPARABLE = sorted({t for items in ITEMS.values() for s in items for _, t in bodies(s, items)
                     if not any(ch in t for ch in "\n;；") and any(ch in t for ch in "/、，")})


@settings(max_examples=80, deadline=None)
@given(st.lists(st.sampled_from(_SEPARABLE), min_size=2, max_size=4, unique=True),
       st.sampled_from(("\n", "；", ";", "\r\n", " \n ")))
def test_split_synonyms_keeps_headers_with_slash_and_commas(headers, separator):
    # the cell is NFKC-normalised (a full-width ， comes back as ,), nothing else changes
    assert split_synonyms(separator.join(headers)) == [nfkc(h) for h in headers]


def test_a_synonym_with_a_slash_matches_exactly_through_the_rule():
    rj1 = next(r for r in ZHONGPING.rules if r.code == "RJ1")
    sheet_words = bodies(ItemSpec.from_rule(rj1), ITEMS["zhongping"])
    joined = [t for _, t in sheet_words if "/" in t or "、" in t]
    assert joined
    rule = Rule(rj1.code, rj1.category, rj1.item, rj1.points, rj1.type, rj1.period,
                synonyms="\n".join(joined), note=rj1.note)
    spec = ItemSpec.from_rule(rule)
    assert spec.synonyms == tuple(joined)
    items = [spec if s.code == rj1.code else s for s in ITEMS["zhongping"]]
    for text in joined:
        m = match_columns(items, [Column(0, text)]).matches.get(0)
        assert m is not None and (m.code, m.certainty) == (rj1.code, EXACT), (text, m)


# --- 7. the stated maximum --------------------------------------------------------------------


BARE_NUMBER_FORMS = ("{b}{m}", "{b} {m}")


def _after_bracket(body: str, form: str) -> bool:
    return form in BARE_NUMBER_FORMS and body.endswith(("）", ")"))


@pytest.mark.parametrize("form", MAX_FORMS)
@pytest.mark.parametrize("preset", sorted(PRESETS))
def test_stated_max_in_every_form(preset, form):
    items = ITEMS[preset]
    for item in items:
        for _, body in bodies(item, items):
            if any(ch.isdigit() for ch in body) or _after_bracket(body, form):
                continue  # the bracket case has its own test below
            header = decorate(body, item, items, Dress(maximum=form))
            assert stated_max(header) == item.points, header
            for prefix in PREFIX_FORMS:
                header = decorate(body, item, items, Dress(maximum=form, prefix=prefix))
                assert stated_max(header) == item.points, header
        assert stated_max(item.name) is None


@pytest.mark.parametrize("form", BARE_NUMBER_FORMS)
@pytest.mark.parametrize("preset", sorted(PRESETS))
def test_stated_max_bare_number_after_a_bracket(preset, form):
    items = ITEMS[preset]
    cases = [(item, body) for item in items for _, body in bodies(item, items) if _after_bracket(body, form)]
    assert cases
    for item, body in cases:
        header = decorate(body, item, items, Dress(maximum=form))
        assert stated_max(header) == item.points, header


# a number in brackets in front of the item, '（1）庭院', is read as the maximum
_BRACKET_NUMBER = "（{n}）"
_NUMBER_CASES = [(n, m) for n in NUMBER_FORMS for m in (None, *MAX_FORMS)]


def _number_case(n, m):
    return pytest.param(n, m, id=f"{n}|{m!r}")


@pytest.mark.parametrize("number,form", [_number_case(n, m) for n, m in _NUMBER_CASES])
def test_item_number_is_not_a_maximum(number, form):
    items = ITEMS["zhongping"]
    for item in items:
        header = decorate(item.name, item, items, Dress(number=number, maximum=form))
        assert stated_max(header) == (item.points if form else None), header


@pytest.mark.parametrize("form", MAX_FORMS)
@pytest.mark.parametrize("preset", sorted(PRESETS))
def test_wrong_stated_maximum_still_maps_an_exact_name(preset, form):
    items = ITEMS[preset]
    all_points = sorted({s.points for s in items})
    for item in items:
        wrong_max = next(p for p in (*all_points, item.points + 5) if p != item.points)
        for text in (item.name, *item.synonyms):
            header = form.format(b=text, m=fmt(wrong_max))
            assert stated_max(header) == wrong_max
            alone = match_columns(items, [Column(0, header)])
            assert alone.matches.get(0) and alone.matches[0].code == item.code, (header, alone)
            columns = [Column(i, header if s.code == item.code else s.name) for i, s in enumerate(items)]
            row = match_columns(items, columns)
            assert not _explain(row, columns, {i: s.code for i, s in enumerate(items)}), header
            # the same through the 满分 row under the header
            under = match_columns(items, [Column(0, text, stated_max=wrong_max)])
            assert under.matches.get(0) and under.matches[0].code == item.code


# --- 8. a tie evidence cannot break ---------------------------------------------------------------

TWINS = [
    ItemSpec("A1", "公共环境", "门前三包", 5, ("门前卫生",), "门前屋后无乱堆乱放"),
    ItemSpec("A2", "公共环境", "门前三包", 5, ("门前卫生",), "门前屋后无乱堆乱放"),
    ItemSpec("B1", "公共环境", "垃圾分类", 5, (), "生活垃圾分类投放"),
]


@pytest.mark.parametrize("header", [decorate("门前三包落实", TWINS[0], TWINS, Dress()),
                                    decorate("门前三包区域", TWINS[0], TWINS, Dress(maximum=MAX_FORMS[0])),
                                    decorate("门前屋后", TWINS[0], TWINS, Dress(prefix=PREFIX_FORMS[0]))])
def test_twins_are_reported_ambiguous(header):
    result = match_columns(TWINS, [Column(0, header), Column(1, "垃圾分类")])
    assert 0 not in result.matches, result
    assert [(c, {a, b}) for c, a, b in result.ambiguous] == [(0, {"A1", "A2"})]
    assert result.matches[1].code == "B1"


@pytest.mark.parametrize("header", ["门前三包", "门前卫生", "门前三包（5分）"])
def test_twins_sharing_the_exact_word_are_reported_ambiguous(header):
    result = match_columns(TWINS, [Column(0, header), Column(1, "垃圾分类")])
    assert 0 not in result.matches, result.matches.get(0)
    assert [(c, {a, b}) for c, a, b in result.ambiguous] == [(0, {"A1", "A2"})]


# --- non-item columns -------------------------------------------------------------------------------


@pytest.mark.parametrize("preset", sorted(PRESETS))
@pytest.mark.parametrize("text", NON_ITEM_COLUMNS)
def test_non_item_columns_stay_unmatched(preset, text):
    items = ITEMS[preset]
    columns = [Column(0, text)] + [Column(i + 1, s.name) for i, s in enumerate(items)]
    result = match_columns(items, columns)
    assert result.unmatched == [0] and not result.ambiguous, result
