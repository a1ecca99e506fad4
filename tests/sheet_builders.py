"""Inspection sheets built in memory the way grid workers make them, each knowing its ground truth.

A ``Grid`` is a sparse sheet (cells and merged ranges) turned into ``SheetRows``;
``inspection_cases`` is the hypothesis strategy that composes a whole sheet —
title, 网格员 line, header of one to three levels at a random row and column,
identity and non-score columns, a 满分 row, households (scored, blank, moved out),
group sub-titles, summary rows, a repeated header (see ``KNOWN_FAULTS``), a footer — and returns a
``Case``: the sheet plus what a correct import gives (household → scores, the
row and cell of each, the warnings, the month).

Used by tests/test_inspection_layouts.py. Nothing here reads a file.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from hypothesis import strategies as st

from villagectl.importers.inspection import Context
from villagectl.io.reader import SheetRows, WorkbookRows, cell_ref
from villagectl.rules.presets import BASE140, ZHONGPING, Rule

TODAY = dt.date(2025, 11, 25)
MONTH = "2025-11"
FILE = "检查表.xlsx"

ZP_RULES = list(ZHONGPING.rules)
BASE_RULES = list(BASE140.rules)

# (户号, 户主, 组别, 状态): 刘洋 heads a household in 第二组 and another in 第三组; 钱七 moved out
ROSTER = [
    ("ZP101", "张三", "第一组", "正常"),
    ("ZP102", "李明", "第一组", "正常"),
    ("ZP103", "王芳", "第一组", "正常"),
    ("ZP104", "赵建国", "第一组", "正常"),
    ("ZP105", "钱七", "第一组", "迁出"),
    ("ZP201", "刘洋", "第二组", "正常"),
    ("ZP202", "陈静", "第二组", "正常"),
    ("ZP203", "孙丽", "第二组", "正常"),
    ("ZP204", "周强", "第二组", "正常"),
    ("ZP301", "刘洋", "第三组", "正常"),
    ("ZP302", "吴桂兰", "第三组", "正常"),
    ("ZP303", "郑海", "第三组", "正常"),
    ("ZP304", "冯秀英", "第三组", "正常"),
]
GROUPS = ("第一组", "第二组", "第三组")
GROUP_NUMBER = {"第一组": 1, "第二组": 2, "第三组": 3}
ZH = "〇一二三四五六七八九十"
DUPLICATE_NAME = "刘洋"
MOVED_OUT = "ZP105"


@dataclass(frozen=True)
class Household:
    hid: str
    name: str
    group: str
    status: str

    @property
    def active(self) -> bool:
        return self.status == "正常"


HOUSEHOLDS = [Household(*r) for r in ROSTER]
BY_ID = {h.hid: h for h in HOUSEHOLDS}


def roster_frame() -> pd.DataFrame:
    return pd.DataFrame([{"户号": h.hid, "户主": h.name, "组别": h.group, "状态": h.status,
                          "人口": 3, "参评人数": 3, "户类型": "普通户"} for h in HOUSEHOLDS], dtype=object)


def context(rules: list[Rule] | None = None, month: str | None = None, group: str | None = None) -> Context:
    return Context(rules or ZP_RULES, roster_frame(), month, group, TODAY)


def book(*sheets: SheetRows, name: str = FILE) -> WorkbookRows:
    return WorkbookRows(Path(name), list(sheets))


def fmt(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else str(x)


def fullwidth(text: str) -> str:
    return text.translate({ord(ch): ord(ch) + 0xFEE0 for ch in "0123456789."})


def categories_of(rules: list[Rule]) -> list[str]:
    return list(dict.fromkeys(r.category for r in rules))


# --- a sparse sheet ------------------------------------------------------------------


class Grid:
    def __init__(self) -> None:
        self.cells: dict[tuple[int, int], object] = {}
        self.merged: list[tuple[tuple[int, int], tuple[int, int]]] = []

    def put(self, r: int, c: int, value: object) -> None:
        if value is None or value == "":
            self.cells.pop((r, c), None)
        else:
            self.cells[(r, c)] = value

    def merge(self, r1: int, c1: int, r2: int, c2: int) -> None:
        if (r1, c1) != (r2, c2):
            self.merged.append(((r1, c1), (r2, c2)))

    def sheet(self, name: str = "Sheet1", height: int = 0, width: int = 0) -> SheetRows:
        height = max([height] + [r + 1 for r, _ in self.cells] + [r2 + 1 for _, (r2, _) in self.merged])
        width = max([width] + [c + 1 for _, c in self.cells] + [c2 + 1 for _, (_, c2) in self.merged])
        rows = [["" for _ in range(width)] for _ in range(height)]
        for (r, c), v in self.cells.items():
            rows[r][c] = v
        return SheetRows(name, rows, merged=list(self.merged))


def rows_sheet(rows: list[list], name: str = "Sheet1", merged=None) -> SheetRows:
    """A sheet from literal rows (ragged rows padded with '')."""
    width = max((len(r) for r in rows), default=0)
    return SheetRows(name, [list(r) + [""] * (width - len(r)) for r in rows], merged=list(merged or []))


# --- the ground truth ----------------------------------------------------------------


@dataclass
class Case:
    sheet: SheetRows
    rules: list[Rule]
    ctx_month: str | None  # --month, when the title names none
    month: str  # the month the import must settle on
    rows: dict[str, dict[str, float]]  # 户号 -> scores
    row_numbers: dict[str, int]  # 户号 -> Excel row
    id_cells: dict[str, str]  # 户号 -> the identifying cell
    warnings: dict[str, str] = field(default_factory=dict)  # cell -> a word the 警告 must hold
    blank: int = 0  # households listed but not scored
    notes: list[str] = field(default_factory=list)  # column headers a 提醒 must name
    summary: list[str] = field(default_factory=list)  # how the sheet was made (shown on failure)

    def text(self) -> str:
        lines = [" | ".join(repr(v) if v != "" else "" for v in row) for row in self.sheet.rows]
        return "\n".join(self.summary + [f"merged={self.sheet.merged}"] + [f"{i + 1:>2}: {l}" for i, l in enumerate(lines)])


# --- columns ---------------------------------------------------------------------------


@dataclass
class Col:
    kind: str  # seq id name group door phone idcard item subtotal total grade reason note look
    header: str  # the text of its header (item row, or the top of the block)
    code: str = ""
    category: str = ""
    placement: str = "bottom"  # non-item columns of a multi-level header: merge / top / bottom


ID_WORDS = ("户号", "户编号", "农户编号", "户籍编号")
NAME_WORDS = ("户主", "户主姓名", "户名", "姓名")
GROUP_WORDS = ("组别", "村民小组", "组", "所在组")
TOTAL_WORDS = ("合计", "总分", "得分合计", "合计得分", "总得分")
LABEL_WORDS = ("检查评比内容及分值", "检查评比内容", "考核项目及分值", "评分项目")
MAX_LABELS = ("满分", "分值", "标准分")
CIRCLED = "①②③④⑤⑥⑦⑧⑨⑩"

CATEGORY_FORMS = ("{zh}、{c}类", "{c}类 共{t}分", "{c}（满分{t}）", "{c} {t}", "{c}（{t}分）", "{c}", "{n}.{c}")
MAX_FORMS = ("", "({m}分)", "（{m}分）", "\n满分{m}", "{m}分", "（满分{m}分）")
NUMBER_FORMS = ("", "circled", "{n}.", "（{n}）", "{n}、")
PREFIX_FORMS = ("{c}/{b}", "{c}—{b}", "{c}\n{b}", "{c}-{b}")
SCORE_FORMS = ("number", "text", "fullwidth", "unit", "spaces")


def _spaced(text: str, how: str) -> str:
    if how == "inner" and len(text) >= 2:
        return text[0] + " " + text[1:]
    if how == "ideographic" and len(text) >= 2:
        return text[0] + "\u3000" + text[1:]
    if how == "outer":
        return " " + text + " "
    return text


@st.composite
def item_header(draw, rule: Rule, position: int, numbering: str, max_form: str, prefix: str | None) -> str:
    synonyms = [s for s in rule.synonyms.split("；") if s]
    body = draw(st.sampled_from([rule.item] * 3 + synonyms)) if synonyms else rule.item
    body = _spaced(body, draw(st.sampled_from(("", "", "", "inner", "ideographic", "outer"))))
    if numbering == "circled":
        body = CIRCLED[position] + body
    elif numbering:
        body = numbering.format(n=position + 1) + body
    if max_form:
        body = body + max_form.format(m=fmt(rule.points))
    if prefix is not None:
        body = prefix.format(c=rule.category, b=body)
    return body


def score_cell(value: float, form: str) -> object:
    text = fmt(value)
    if form == "number":
        return int(value) if float(value).is_integer() and value < 10 ** 6 else float(value)
    if form == "text":
        return text
    if form == "fullwidth":
        return fullwidth(text)
    if form == "unit":
        return text + "分" if len(text) % 2 else text + " 分"
    return " " + text + " "  # stray spaces


# --- the strategy -------------------------------------------------------------------------

# features a sheet may leave out (``avoid``): each is a known importer fault, pinned by an
# xfail test in tests/test_inspection_layouts.py
REPEATED_HEADER = "a header row repeated inside the data"
PAREN_NUMBER = "items numbered （1） without the maximum in brackets"
LONE_CATEGORY = "unmerged header cells above a lone category cell"
BLANK_AS_SUBTITLE = "a not-inspected row of just a name (or 户号) and its group"
KNOWN_FAULTS: frozenset[str] = frozenset()  # every fault found by these generators is fixed; add new ones here

NOTE_TEXTS = ("院内柴草乱堆", "厕所有异味", "", "", "已整改", "门前有垃圾")
REASON_TEXTS = ("院坝未清扫", "", "厨房油污", "", "卧室杂乱")
LOOK_TEXTS = ("较好", "一般", "干净整洁", "院内杂物多")


@st.composite
def inspection_cases(draw, preset: str = "zhongping", avoid: frozenset[str] = frozenset()) -> Case:
    """``avoid``: features left out (known importer faults, each pinned by an xfail test)."""
    summary: list[str] = []

    def choose(label: str, strategy):
        value = draw(strategy)
        summary.append(f"{label}={value!r}")
        return value

    # which items the sheet carries
    if preset == "zhongping":
        rules = ZP_RULES
    else:
        period = choose("base140 periods", st.sampled_from(("季", "年", "季+年")))
        rules = [r for r in BASE_RULES if r.period in period]
    categories = categories_of(rules)
    cat_total = {c: sum(r.points for r in rules if r.category == c) for c in categories}

    # the households: one group, or several in blocks
    multi = choose("multi group", st.booleans())
    groups = list(choose("groups", st.lists(st.sampled_from(GROUPS), min_size=2, max_size=3, unique=True))) if multi \
        else [choose("group", st.sampled_from(GROUPS))]
    id_mode = choose("identity", st.sampled_from(("id+name", "id+name", "name", "name", "id")))
    has_group_col = choose("group column", st.booleans())
    group_col_fill = choose("group column fill", st.sampled_from(("every", "first", "merged"))) if has_group_col and multi else "every"
    subtitles = multi and choose("sub-titles", st.booleans())
    header_top = choose("header row", st.integers(0, 8))
    title_names_group = not multi and header_top >= 1 and choose("title names group", st.booleans())
    # the group a name is looked up in, per household row
    group_known = has_group_col or subtitles or title_names_group

    blocks: list[tuple[str, list[tuple[Household, str]]]] = []  # group -> [(household, 'scored'|'blank'|'gone')]
    for g in groups:
        members = [h for h in HOUSEHOLDS if h.group == g and h.active]
        if id_mode == "name" and not group_known:
            members = [h for h in members if h.name != DUPLICATE_NAME]
        chosen = draw(st.lists(st.sampled_from(members), min_size=min(2, len(members)), max_size=len(members), unique=True))
        entries = [(h, draw(st.sampled_from(("scored",) * 6 + ("blank",)))) for h in chosen]
        if g == BY_ID[MOVED_OUT].group and draw(st.integers(0, 3)) == 0:
            entries.insert(draw(st.integers(0, len(entries))), (BY_ID[MOVED_OUT], "gone"))
        blocks.append((g, entries))
    if not any(kind == "scored" for _, entries in blocks for _, kind in entries):
        entries = blocks[0][1]  # at least two listed households: one of them is scored
        i = next(i for i, (h, kind) in enumerate(entries) if kind != "gone")
        entries[i] = (entries[i][0], "scored")
    summary.append("households=" + "; ".join(f"{g}:" + ",".join(f"{h.hid}/{k}" for h, k in es) for g, es in blocks))

    # the header
    has_label = choose("top label", st.booleans())
    has_cat = choose("category row", st.booleans())
    levels = 1 + has_label + has_cat
    offset = choose("column offset", st.integers(0, 3))
    item_row = header_top + levels - 1
    shuffle_all = levels == 1 and choose("items fully shuffled", st.booleans())
    numbering = choose("numbering", st.sampled_from(NUMBER_FORMS))
    if numbering == "（{n}）" and PAREN_NUMBER in avoid:
        max_form = choose("max form", st.sampled_from(("({m}分)", "（{m}分）", "（满分{m}分）")))
    else:
        max_form = choose("max form", st.sampled_from(MAX_FORMS))
    prefix = choose("category prefix", st.sampled_from((None, None) + PREFIX_FORMS)) if levels == 1 else None
    cat_order = choose("category order", st.permutations(categories))
    subtotals = not shuffle_all and choose("subtotal columns", st.booleans())

    # the columns, left to right
    cols: list[Col] = []
    if choose("序号", st.booleans()) or (BLANK_AS_SUBTITLE in avoid and id_mode == "id" and has_group_col):
        cols.append(Col("seq", draw(st.sampled_from(("序号", "序 号", "No")))))
    ident: list[Col] = []
    if id_mode in ("id+name", "id"):
        ident.append(Col("id", choose("id word", st.sampled_from(ID_WORDS))))
    if id_mode in ("id+name", "name"):
        ident.append(Col("name", choose("name word", st.sampled_from(NAME_WORDS))))
    if has_group_col:
        ident.append(Col("group", choose("group word", st.sampled_from(GROUP_WORDS))))
    cols += draw(st.permutations(ident))
    pre = [Col(kind, header) for kind, header in (("door", "门牌号"), ("phone", "联系电话"), ("idcard", "身份证号"))
           if draw(st.integers(0, 3)) == 0]
    cols += draw(st.permutations(pre))
    item_cols: list[Col] = []
    for cat in cat_order:
        members = [r for r in rules if r.category == cat]
        order = draw(st.permutations(members))
        for i, rule in enumerate(order):
            item_cols.append(Col("item", draw(item_header(rule, i, numbering, max_form, prefix)), rule.code, cat))
        if subtotals:
            item_cols.append(Col("subtotal", "小计" if has_cat else f"{cat}小计", category=cat))
    if shuffle_all:
        item_cols = draw(st.permutations(item_cols))
    cols += item_cols
    total_kind = choose("total column", st.sampled_from(("none", "right", "wrong")))
    post = []
    if total_kind != "none":
        post.append(Col("total", draw(st.sampled_from(TOTAL_WORDS))))
    for kind, header in (("grade", "等次"), ("reason", "扣分原因"), ("note", "备注"), ("look", "检查情况")):
        if draw(st.integers(0, 3)) == 0:
            post.append(Col(kind, header))
    cols += post
    for col in cols:
        if col.kind not in ("item", "subtotal") and levels > 1:
            lone = has_label and has_cat and len(categories) == 1
            col.placement = draw(st.sampled_from(("merge", "bottom") if lone and LONE_CATEGORY in avoid
                                                 else ("merge", "top", "bottom")))
    width = offset + len(cols)
    last = width - 1
    col_of = {id(col): offset + i for i, col in enumerate(cols)}
    first_item = min(col_of[id(c)] for c in item_cols)
    last_item = max(col_of[id(c)] for c in item_cols)

    grid = Grid()
    # the title block
    title_month = None
    ctx_month = None
    if header_top >= 1:
        group_word = ""
        if title_names_group:
            n = GROUP_NUMBER[groups[0]]
            group_word = draw(st.sampled_from((f"第{ZH[n]}组", f"{ZH[n]}组", f"{n}组", f"第{ZH[n]}村民小组")))
        title_kind = choose("title month", st.sampled_from(("full", "month", "none")))
        when = {"full": "2025年11月", "month": "11月份", "none": ""}[title_kind]
        title = draw(st.sampled_from(("中坪村{g}{w}农户积分检查评比表", "{w}中坪村{g}人居环境检查评分表", "{g}{w}家庭文明积分检查表")))
        grid.put(0, offset, title.format(g=group_word, w=when))
        if draw(st.booleans()):
            grid.merge(0, offset, 0, last)
        if title_kind != "none":
            title_month = MONTH
        free = 1
        if header_top >= 2 and choose("second title row", st.booleans()):
            grid.put(1, offset, draw(st.sampled_from(("（检查时间：2025年11月20日—25日）", "（第四季度 第二次检查）",
                                                     "检查评比结果公示"))))
            grid.merge(1, offset, 1, last)
            free = 2
        if header_top >= free + 1 and choose("网格员 line", st.booleans()):
            r = draw(st.integers(free, header_top - 1))
            grid.put(r, offset, draw(st.sampled_from(("网格员：王五", "网格员：王五  检查日期：2025年11月20日"))))
            if draw(st.booleans()) and width - offset >= 4:
                grid.put(r, last - 1, "检查日期：2025年11月20日")

    # the header block
    label = draw(st.sampled_from(LABEL_WORDS)) if has_label else ""
    label_row = header_top if has_label else None
    cat_row = item_row - 1 if has_cat else None
    if has_label:
        grid.put(label_row, first_item, label)
        if draw(st.booleans()):
            grid.merge(label_row, first_item, label_row, last_item)
    if has_cat:
        cat_form = choose("category form", st.sampled_from(CATEGORY_FORMS))
        cat_merged = choose("categories merged", st.booleans())
        for i, cat in enumerate(cat_order):
            span = [col_of[id(c)] for c in item_cols if c.category == cat]
            text = cat_form.format(c=cat, t=fmt(cat_total[cat]), zh=ZH[i + 1], n=i + 1)
            grid.put(cat_row, min(span), text)
            if cat_merged:
                grid.merge(cat_row, min(span), cat_row, max(span))
    for col in cols:
        c = col_of[id(col)]
        if col.kind == "item" or levels == 1 or col.placement == "bottom":
            grid.put(item_row, c, col.header)
        else:
            grid.put(header_top, c, col.header)
            if col.placement == "merge":
                grid.merge(header_top, c, item_row, c)

    # a 满分 row
    r = item_row + 1
    first_col = offset
    if choose("maxima row", st.booleans()):
        grid.put(r, first_col, draw(st.sampled_from(MAX_LABELS)))
        unit = draw(st.booleans())
        for col in cols:
            c = col_of[id(col)]
            if col.kind == "item":
                m = next(x.points for x in rules if x.code == col.code)
            elif col.kind == "subtotal":
                m = cat_total[col.category]
            elif col.kind == "total":
                m = sum(x.points for x in rules)
            else:
                continue
            grid.put(r, c, f"{fmt(m)}分" if unit else m)
        r += 1

    # the households
    score_forms = choose("score forms", st.lists(st.sampled_from(SCORE_FORMS), min_size=1, max_size=3, unique=True))
    expected: dict[str, dict[str, float]] = {}
    row_numbers: dict[str, int] = {}
    id_cells: dict[str, str] = {}
    warnings: dict[str, str] = {}
    blank = 0
    seq = 0
    scored_rows: list[dict[str, float]] = []
    name_c = next((col_of[id(c)] for c in cols if c.kind == "name"), None)
    id_c = next((col_of[id(c)] for c in cols if c.kind == "id"), None)
    group_c = next((col_of[id(c)] for c in cols if c.kind == "group"), None)
    label_c = next((col_of[id(c)] for c in cols if c.kind == "seq"), name_c if name_c is not None else first_col)
    wrong_total_done = False
    n_entries = sum(len(es) for _, es in blocks)
    repeat_at = choose("repeated header before entry", st.integers(1, n_entries - 1)) \
        if n_entries > 1 and REPEATED_HEADER not in avoid and draw(st.booleans()) else None
    k = 0  # entries so far

    def repeat_header(at_row: int) -> int:
        for col in cols:
            grid.put(at_row, col_of[id(col)], col.header)
        return at_row + 1

    averages = choose("本组平均 rows", st.booleans())
    for b, (g, entries) in enumerate(blocks):
        if repeat_at is not None and repeat_at == k:
            r = repeat_header(r)  # a page break between two groups
        if subtitles:
            n = GROUP_NUMBER[g]
            grid.put(r, first_col, draw(st.sampled_from((f"第{ZH[n]}村民小组", f"第{ZH[n]}组", f"{ZH[n]}组：", f"{g}（{len(entries)}户）"))))
            if draw(st.booleans()):
                grid.merge(r, first_col, r, last)
            r += 1
        block_first = r
        block_scores: list[dict[str, float]] = []
        for e, (h, kind) in enumerate(entries):
            if e > 0 and repeat_at == k:
                r = repeat_header(r)
            k += 1
            if e > 0 and draw(st.integers(0, 6)) == 0:
                r += 1  # a blank row inside the data
            seq += 1
            for col in cols:
                c = col_of[id(col)]
                if col.kind == "seq":
                    grid.put(r, c, seq)
                elif col.kind == "id":
                    grid.put(r, c, h.hid)
                elif col.kind == "name":
                    spacing = ("", "", "", "inner", "outer")
                    if kind == "blank" and has_group_col and BLANK_AS_SUBTITLE in avoid:
                        spacing = ("", "outer")
                    grid.put(r, c, _spaced(h.name, draw(st.sampled_from(spacing))))
                elif col.kind == "group":
                    n = GROUP_NUMBER[h.group]
                    if group_col_fill == "every" or r == block_first:
                        grid.put(r, c, draw(st.sampled_from((h.group, f"{ZH[n]}组", f"{n}组"))))
                elif col.kind == "door":
                    grid.put(r, c, f"中坪村{draw(st.integers(1, 99))}号")
                elif col.kind == "phone":
                    phone = 13800000000 + draw(st.integers(0, 99999999))
                    grid.put(r, c, draw(st.sampled_from((phone, str(phone)))))
                elif col.kind == "idcard":
                    grid.put(r, c, f"51302119{draw(st.integers(50, 99))}0101{draw(st.integers(100, 999))}X")
                elif col.kind == "note":
                    grid.put(r, c, "外出务工，未检查" if kind == "blank" else draw(st.sampled_from(NOTE_TEXTS)))
                elif col.kind == "reason" and kind != "blank":
                    grid.put(r, c, draw(st.sampled_from(REASON_TEXTS)))
                elif col.kind == "look" and kind != "blank":
                    grid.put(r, c, draw(st.sampled_from(LOOK_TEXTS)))
            who = id_c if id_c is not None else name_c
            if kind == "blank":
                col_total = next((col_of[id(c)] for c in cols if c.kind == "total"), None)
                if col_total is not None and draw(st.booleans()):
                    grid.put(r, col_total, 0)
                blank += 1
                warnings[cell_ref(r, who)] = "没有打分"
                r += 1
                continue
            scores = {}
            for rule in rules:
                scores[rule.code] = draw(st.integers(0, int(rule.points * 2))) / 2
            for col in cols:
                c = col_of[id(col)]
                if col.kind == "item":
                    grid.put(r, c, score_cell(scores[col.code], draw(st.sampled_from(score_forms))))
                elif col.kind == "subtotal":
                    grid.put(r, c, sum(scores[x.code] for x in rules if x.category == col.category))
                elif col.kind == "total":
                    total = sum(scores.values())
                    if total_kind == "wrong" and not wrong_total_done and kind == "scored":
                        total += draw(st.sampled_from((1, -2, 0.5, 10)))
                        warnings[cell_ref(r, c)] = "不符"
                        wrong_total_done = True
                    grid.put(r, c, total)
                elif col.kind == "grade":
                    grid.put(r, c, draw(st.sampled_from(("优", "良", "中"))))
            if kind == "gone":
                warnings[cell_ref(r, who)] = "迁出"
            else:
                expected[h.hid] = scores
                row_numbers[h.hid] = r + 1
                id_cells[h.hid] = cell_ref(r, who)
                block_scores.append(scores)
                scored_rows.append(scores)
            r += 1
        if group_col_fill == "merged" and group_c is not None and r - 1 > block_first:
            grid.merge(block_first, group_c, r - 1, group_c)
        if averages and block_scores:
            grid.put(r, label_c, draw(st.sampled_from(("本组平均", "平均分", "小计"))))
            for col in cols:
                if col.kind == "item":
                    grid.put(r, col_of[id(col)], round(sum(s[col.code] for s in block_scores) / len(block_scores), 2))
            r += 1
    if choose("合计 row", st.booleans()) and scored_rows:
        grid.put(r, label_c, draw(st.sampled_from(("合计", "总计"))))
        for col in cols:
            if col.kind == "item":
                grid.put(r, col_of[id(col)], sum(s[col.code] for s in scored_rows))
        r += 1
    footer = choose("footer", st.sampled_from(("none", "one cell", "two cells", "two rows")))
    if footer != "none":
        r += draw(st.integers(0, 2))
        if footer == "one cell":
            grid.put(r, first_col, "检查人：李四    日期：2025年11月21日")
        elif footer == "two cells":
            grid.put(r, first_col, "检查人：李四")
            grid.put(r, max(first_col + 1, last - 2), "日期：2025年11月21日")
        else:
            grid.put(r, first_col, "检查人：李四  审核人：张主任")
            grid.put(r + 1, first_col, "日期：2025年11月21日")
    notes = [c.header for c in cols if c.kind == "look"]  # text in every scored row
    sheet = grid.sheet(choose("sheet name", st.sampled_from(("Sheet1", "11月", "检查表"))), width=width)
    if title_month is None and "11月" not in sheet.name:
        ctx_month = MONTH  # nothing on the sheet names the month: --month
    return Case(sheet, rules, ctx_month, MONTH, expected, row_numbers, id_cells, warnings, blank, notes, summary)
