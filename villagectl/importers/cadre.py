"""Cadre assessment sheets: assessors' scores, the democratic-evaluation tally,
negative-list records and representatives' duty records. Same tolerance and
cell-exact errors as the other imports; the kind of sheet is told by its header.

Importer protocol (importers/fields.py): ``FIELDS``, ``identify(book)``, ``extract(book, ctx)`` with
``ctx`` a ``CadreContext``; ``read_cadre_file`` is the call ``cadre import`` makes. The indicator
columns come from the ledger's 考核指标, so ``FIELDS`` lists the fixed ones.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

import pandas as pd

from villagectl.errors import Location, Problem
from villagectl.importers.fields import INFO, FieldSpec, field_of
from villagectl.importers.header_match import EXACT, LIKELY, Column, ItemSpec, MatchResult, code_text, match_columns
from villagectl.importers.table import LocatedTable, data_rows, locate_table, match_field
from villagectl.io.reader import SheetRows, WorkbookRows, cell_ref
from villagectl.values import NotANumber, as_text, clean_name, clean_text, header_key, id_key, to_count, to_number

SCORES, VOTES, NEGATIVES, DUTIES = "考核评分", "民主评议", "负面记录", "代表履职"
PERIOD_WORDS = {"上半年": "上半年", "H1": "上半年", "下半年": "下半年", "H2": "下半年", "全年": "全年", "年度": "全年"}

PERSON = [
    FieldSpec("编号", ("干部编号", "代表编号", "人员编号")),
    FieldSpec("姓名", ("被考核人", "被评议人", "干部姓名", "代表姓名", "考核对象", "评议对象")),
    FieldSpec("期间", ("考核期间", "评议期间")),
]
VOTE_FIELDS = [FieldSpec(g, (f"{g}票", f"{g}票数", f"{g}(票)")) for g in ("优秀", "称职", "基本称职", "不称职")]
ASSESSOR = [FieldSpec("考核人", ("评分人", "打分人", "考核组成员", "评委"))]
RECORD_FIELDS = [
    FieldSpec("编码", ("事项编码", "清单编码")),
    FieldSpec("事项", ("负面行为", "行为", "履职事项", "内容", "事由", "项目")),
    FieldSpec("日期", ("时间", "发生日期", "履职日期")),
    FieldSpec("次数", ("数量", "次")),
    FieldSpec("说明", ("备注", "情况说明", "具体情况")),
]

FIELDS = PERSON + ASSESSOR + VOTE_FIELDS + RECORD_FIELDS
# a header naming who is assessed by their role: 代表, 村民代表, 干部, 考核对象, 被评议人员 … (read as 姓名)
_ROLE = re.compile(r"(?:被考核|被评议|被测评|考核|评议|测评|参评)?(?:村民|村|社区)?(?:代表|干部|对象|人员|成员)(?:姓名|名字|名称)?")
HEADER_ROWS = 10


@dataclass(frozen=True)
class CadreContext:
    display_name: str
    cadres: pd.DataFrame  # 干部
    indicators: pd.DataFrame  # 考核指标
    year: int
    period: str | None  # --period, else the title's or file name's, else 全年
    today: dt.date


@dataclass
class CadreRows:
    kind: str
    rows: list[dict] = field(default_factory=list)


def _period_of(text: str) -> str | None:
    for word, period in PERIOD_WORDS.items():
        if word in text:
            return period
    return None


class People:
    def __init__(self, cadres: pd.DataFrame) -> None:
        self.records = cadres.to_dict("records") if len(cadres) else []
        self.ids = {id_key(r.get("编号")): r for r in self.records}  # gb01 / ＧＢ０１ = GB01
        self.by_name: dict[str, list[dict]] = {}
        for r in self.records:
            self.by_name.setdefault(clean_name(r.get("姓名")), []).append(r)

    def find(self, person_id: str, name: str) -> tuple[dict | None, str | None]:
        if person_id:
            r = self.ids.get(id_key(person_id))
            return (r, None) if r else (None, f"编号 {person_id} 不在“干部”表中")
        hits = self.by_name.get(clean_name(name), [])
        if len(hits) == 1:
            return hits[0], None
        if not hits:
            return None, f"“干部”表中没有“{clean_name(name)}”" if name else "缺少编号和姓名"
        listed = "、".join(f"{clean_text(h['编号'])}（{clean_text(h['职务'])}）" for h in hits)
        return None, f"“{clean_name(name)}”有 {len(hits)} 人同名：{listed}；请加一列编号"


def identify(book: WorkbookRows) -> int:
    """How many sheets of ``book`` look like a cadre sheet: a 编号/姓名 column with votes, an assessor or 事项."""
    count = 0
    for sheet in book.sheets:
        table = locate_table(sheet, FIELDS)
        if table is None or not ({"编号", "姓名"} & set(table.columns)):
            continue
        votes = sum(g in table.columns for g in ("优秀", "称职", "基本称职", "不称职"))
        if votes >= 3 or {"考核人", "事项", "编码"} & set(table.columns):
            count += 1
    return count


def read_cadre_file(book: WorkbookRows, display_name: str, cadres: pd.DataFrame, indicators: pd.DataFrame,
                    year: int, period: str | None, today: dt.date) -> tuple[list[CadreRows], list[Problem]]:
    return extract(book, CadreContext(display_name, cadres, indicators, year, period, today))


def extract(book: WorkbookRows, ctx: CadreContext) -> tuple[list[CadreRows], list[Problem]]:
    display_name, cadres, indicators, year, period, today = (
        ctx.display_name, ctx.cadres, ctx.indicators, ctx.year, ctx.period, ctx.today)
    people = People(cadres)
    scored = indicators[indicators["类型"].map(clean_text) == "指标"] if len(indicators) else indicators
    negatives = indicators[indicators["类型"].map(clean_text).isin(["负面扣分", "负面否决"])] if len(indicators) else indicators
    indicator_fields = [FieldSpec(clean_text(r["编码"]), (clean_text(r["指标"]),)) for _, r in scored.iterrows()]
    problems: list[Problem] = []
    out: list[CadreRows] = []
    found = False
    for sheet in book.sheets:
        if not any(clean_text(v) for row in sheet.rows for v in row):
            continue
        kind, table, read = _identify(sheet, scored, negatives, display_name)
        if table is None:
            problems.append(Problem(Location(display_name, sheet.name), _not_recognised(sheet, scored), "警告"))
            continue
        problems.extend(Problem(Location(display_name, sheet.name, p[0]), p[1], p[2]) for p in read)
        found = True
        title = " ".join(clean_text(v) for row in sheet.rows[: table.header_row] for v in row if clean_text(v))
        sheet_period = period or _period_of(title) or _period_of(display_name) or "全年"
        assessor_from_title = _assessor_in(title + " " + _footer_text(sheet))
        if kind == VOTES:
            left = _uncounted(table)
            if left:
                problems.append(Problem(Location(display_name, sheet.name, cell_ref(table.header_row, left[0][0])),
                                        "“" + "”“".join(t for _, t in left) + "”列没有计入：投票数是优秀、称职、基本称职、"
                                        "不称职四档票数之和，不称职票占的比例也按这个投票数算", "提醒"))
        result = CadreRows(kind)
        for r in table.data_rows:
            def at(name: str) -> Location:
                c = table.columns.get(name)
                return Location(display_name, sheet.name, cell_ref(r, c) if c is not None else f"第{r + 1}行")

            person, problem = people.find(clean_text(table.value(r, "编号")), clean_text(table.value(r, "姓名")))
            if problem:
                problems.append(Problem(at("编号" if "编号" in table.columns and clean_text(table.value(r, "编号")) else "姓名"), problem))
                continue
            row_period = PERIOD_WORDS.get(clean_text(table.value(r, "期间")), sheet_period)
            base = {"年度": year, "期间": row_period, "编号": clean_text(person["编号"]), "姓名": as_text(person["姓名"]),
                    "来源": f"{display_name} / {sheet.name} / 第{r + 1}行"}
            if kind == SCORES:
                assessor = clean_name(table.value(r, "考核人")) or assessor_from_title
                if not assessor:
                    problems.append(Problem(at("考核人"), "缺少考核人（加一列“考核人”，或在标题写“考核人：姓名”）"))
                    continue
                for f in indicator_fields:
                    if f.name not in table.columns:
                        continue
                    try:
                        mark = to_number(table.value(r, f.name))
                    except NotANumber:
                        problems.append(Problem(at(f.name), f"{f.synonyms[0]} 得分“{clean_text(table.value(r, f.name))}”不是数字"))
                        continue
                    if mark is None:
                        continue
                    maximum = _max_of(scored, f.name)
                    if mark < 0 or mark > maximum + 1e-9:
                        problems.append(Problem(at(f.name), f"{f.synonyms[0]} 得分 {mark:g} 应在 0 到 {maximum:g} 之间"))
                        continue
                    result.rows.append({**base, "考核人": assessor, "编码": f.name, "指标": f.synonyms[0], "得分": mark})
            elif kind == VOTES:
                counts = {}
                bad = False
                for g in ("优秀", "称职", "基本称职", "不称职"):
                    try:
                        number = to_count(table.value(r, g)) or 0  # 20, 20票, 二十
                    except NotANumber:
                        number = 0.5
                    if not float(number).is_integer():
                        problems.append(Problem(at(g), f"{g}票数“{clean_text(table.value(r, g))}”应为整数（如 20 或 20票）"))
                        bad = True
                    elif number < 0:
                        problems.append(Problem(at(g), f"{g}票数不能为负数"))
                        bad = True
                    counts[g] = int(number)
                if bad:
                    continue
                if sum(counts.values()) == 0:
                    problems.append(Problem(at("优秀"), "这一行没有任何票数"))
                    continue
                result.rows.append({**base, **counts})
            else:
                count, message = table.count(r)
                if message:
                    problems.append(Problem(at("次数"), message))
                    continue
                day, message = table.day(r, today)
                if message:
                    problems.append(Problem(at("日期"), message))
                    continue
                item = as_text(table.value(r, "事项"))  # free text: kept as typed
                record = {**base, "日期": day.isoformat(), "事项": item, "次数": count, "说明": as_text(table.value(r, "说明"))}
                if kind == NEGATIVES:
                    code = clean_text(table.value(r, "编码")).upper()
                    match = _negative_match(negatives, code, item)
                    if match is None:
                        problems.append(Problem(at("编码" if code else "事项"),
                                                f"“{code or item}”不在负面行为清单（“考核指标”表中类型为负面扣分/负面否决的项目）里"))
                        continue
                    record["编码"], record["事项"] = match
                else:
                    record.pop("期间")
                    if not item:
                        problems.append(Problem(at("事项"), "缺少履职事项"))
                        continue
                result.rows.append(record)
        out.append(result)
    if not found:
        problems.append(Problem(Location(display_name), "文件里没有找到可以导入的考核表"))
    return out, problems


def _identify(sheet: SheetRows, scored: pd.DataFrame, negatives: pd.DataFrame, file_name: str):
    """(kind, table, [(cell, message, severity)] on how the headers were read) of one sheet; (None, None, []) if unknown."""
    votes = _with_person(locate_table(sheet, PERSON + VOTE_FIELDS))
    if votes is not None and sum(g in votes.columns for g in ("优秀", "称职", "基本称职", "不称职")) >= 3 and (
        {"编号", "姓名"} & set(votes.columns)
    ):
        return VOTES, votes, []
    records = _with_person(locate_table(sheet, PERSON + RECORD_FIELDS))
    is_record = records is not None and bool({"编号", "姓名"} & set(records.columns)) and bool({"事项", "编码"} & set(records.columns))
    scores, read, strong = _score_table(sheet, scored)
    if scores is not None and (strong or not is_record):  # guessed indicators only: a 事项 column says it is a record
        return SCORES, scores, read
    if is_record:
        title = " ".join(clean_text(v) for row in sheet.rows[: records.header_row] for v in row) + " " + sheet.name + " " + file_name
        if "负面" in title:
            return NEGATIVES, records, []
        if "履职" in title or "代表" in title:
            return DUTIES, records, []
        items = [clean_text(records.value(r, "编码")).upper() or clean_text(records.value(r, "事项")) for r in records.data_rows]
        if items and all(_negative_match(negatives, i, i) for i in items):
            return NEGATIVES, records, []
        return DUTIES, records, []
    return None, None, []


def _uncounted(table: LocatedTable) -> list[tuple[int, str]]:
    """The other count columns of a 民主评议 tally (弃权, 无效票, 实到人数 …): numbers not among the four grades."""
    out = []
    for c, text in sorted(table.other_headers.items()):
        if field_of(text) == "序号" or re.search(r"率|%|％|比例|占比|百分", header_key(text)):
            continue
        if any(clean_text(table.sheet.cell(r, c)) for r in table.data_rows) and not _mostly_text(table.sheet, table.data_rows, c):
            out.append((c, clean_text(text)))
    return out


def _with_person(table: LocatedTable | None) -> LocatedTable | None:
    """A table whose person column is headed by the role (代表, 村民代表, 干部): that column is 姓名."""
    if table is None or {"编号", "姓名"} & set(table.columns):
        return table
    for c, text in sorted(table.other_headers.items()):
        if _ROLE.fullmatch(header_key(text)):
            table.columns["姓名"] = c
            del table.other_headers[c]
            table.data_rows = data_rows(table.sheet, table.header_row, list(table.columns.values()))
            break
    return table


def _specs(scored: pd.DataFrame) -> list[ItemSpec]:
    """The year's indicators as the inspection header matcher takes items (对象 as the category)."""
    out = []
    for _, r in scored.iterrows():
        try:
            points = to_number(r.get("满分")) or 0.0
        except NotANumber:
            points = 0.0
        out.append(ItemSpec(clean_text(r["编码"]), clean_text(r.get("对象")), clean_text(r["指标"]), float(points),
                            (), clean_text(r.get("说明"))))
    return out


def _person_field(value: object) -> str | None:
    name = match_field(value, PERSON + ASSESSOR)
    if name is None and _ROLE.fullmatch(header_key(value)):
        return "姓名"
    return name


def _mostly_text(sheet: SheetRows, rows: list[int], c: int) -> bool:
    """A column whose filled cells are words, not marks (职务, 备注 …)."""
    texts = marks = 0
    for r in rows:
        value = sheet.cell(r, c)
        if not clean_text(value):
            continue
        try:
            to_number(value)
            marks += 1
        except NotANumber:
            texts += 1
    return texts > marks


def _score_table(sheet: SheetRows, scored: pd.DataFrame) -> tuple[LocatedTable | None, list[tuple[str, str, str]], bool]:
    """An assessors' score sheet: the header row with a person column and the most indicator columns, the
    indicators matched to the headers by evidence (importers/header_match.py: names, parts of names, maxima),
    with the readings that are not word for word reported (提醒), and two-way readings refused; and whether any
    indicator was read on more than a guess."""
    specs = _specs(scored)
    if not specs:
        return None, [], False
    best: tuple[int, int, dict[str, int], MatchResult, list[int]] | None = None
    for r, row in enumerate(sheet.rows[:HEADER_ROWS]):
        columns: dict[str, int] = {}
        free: list[Column] = []
        for c, value in enumerate(row):
            name = _person_field(value)
            if name and name not in columns:
                columns[name] = c
            elif _is_summary(value, specs):
                continue  # 平均分, 名次 …: worked out from the indicator marks, reported once the header row is chosen
            elif isinstance(value, str) and clean_text(value) and field_of(value) in (None, INFO):
                free.append(Column(c, value))  # 密切联系群众 looks like 联系电话 to field_of: the evidence decides
        if not {"编号", "姓名"} & set(columns) or not free:
            continue
        rows = data_rows(sheet, r, list(columns.values()))
        free = [col for col in free if not _mostly_text(sheet, rows, col.index)]
        result = match_columns(specs, free)
        for col in free:  # a 备注 / 联系电话 … column is an indicator only on strong evidence
            m = result.matches.get(col.index)
            if m is not None and m.certainty == LIKELY and field_of(col.text) == INFO:
                del result.matches[col.index]
                result.unmatched.append(col.index)
        found = len(result.matches) + len(result.ambiguous)
        if found and (best is None or len(columns) + found > best[0]):
            best = (len(columns) + found, r, columns, result, rows)
    if best is None:
        return None, [], False
    _, r, columns, result, _rows = best
    names = {s.code: s.name for s in specs}
    read: list[tuple[str, str, str]] = []
    for c, code, other in result.ambiguous:
        read.append((cell_ref(r, c), f"表头“{clean_text(sheet.cell(r, c))}”分不清是“{names[code]}”还是“{names[other]}”，"
                                     "请把表头改成“考核指标”表里的指标名称", "错误"))
    guessed = []
    for c, m in sorted(result.matches.items()):
        columns[m.code] = c
        if m.certainty != EXACT:
            guessed.append(f"“{clean_text(sheet.cell(r, c))}”读作“{names[m.code]}”" + ("（推测）" if m.certainty == LIKELY else ""))
    if guessed:
        read.append((cell_ref(r, min(result.matches)), "表头按指标读：" + "；".join(guessed) + "。不对的话请把表头改成“考核指标”表里的指标名称",
                     "提醒"))
    taken = set(columns.values()) | {a[0] for a in result.ambiguous}
    kinds = {s.category for s in specs if s.code in columns}
    table_rows = data_rows(sheet, r, list(columns.values()))
    summaries = [(c, clean_text(v)) for c, v in enumerate(sheet.rows[r]) if c not in taken and _is_summary(v, specs)
                 and any(clean_text(sheet.cell(row, c)) for row in table_rows)]
    if summaries:
        read.append((cell_ref(r, summaries[0][0]), "“" + "”“".join(t for _, t in summaries) + "”是汇总的列（由各指标得分"
                     "算出或排出），没有导入；导入的是各指标的得分", "提醒"))
    absent = [s.name for s in specs if s.category in kinds and s.code not in columns
              and s.code not in {a[1] for a in result.ambiguous}]
    if absent:
        read.append(("", "没有找到指标“" + "”“".join(absent) + "”的列，这些指标没有导入；表里有这一项的话，请把表头改成指标名称",
                     "警告"))
    table = LocatedTable(sheet, r, columns, {c: clean_text(v) for c, v in enumerate(sheet.rows[r]) if c not in taken and clean_text(v)})
    table.data_rows = data_rows(sheet, r, list(columns.values()))
    # the indicators of the sheet's 对象 (村干部 or 村民代表) as read from its matched columns; all when none is known
    sheet_kinds = kinds | {s.category for s in specs if s.code in {a[1] for a in result.ambiguous} | {a[2] for a in result.ambiguous}}
    own = [s.name for s in specs if s.category in sheet_kinds] or list(names.values())
    for c in result.unmatched:
        if c in taken or field_of(sheet.cell(r, c)) is not None or _mostly_text(sheet, table.data_rows, c):
            continue
        if any(clean_text(sheet.cell(row, c)) for row in table.data_rows):
            read.append((cell_ref(r, c), f"表头“{clean_text(sheet.cell(r, c))}”对不上任何考核指标，这一列的分数没有导入；"
                                         f"指标有：{'、'.join(own)}。请把表头改成其中一项，或删去这一列", "错误"))
    return table, read, any(m.certainty != LIKELY for m in result.matches.values())


# a column that sums up or ranks the indicator marks (总分, 平均分, 得分率, 扣分合计, 名次 …), never an indicator itself
_SUMMARY = re.compile(r"(?:平均|均|总|合计|综合|最终|累计|考核)得?分(?:数|值)?|(?:得分|扣分|加分|分数|分值)?(?:合计|小计|总计|总和)"
                      r"|(?:总|平均|综合)?得分率|百分比|(?:综合|总)?(?:名次|排名|排序|位次)")


def _is_summary(value: object, specs: list[ItemSpec]) -> bool:
    """A summary column's header (see ``_SUMMARY``), unless the year's indicators have one named so."""
    if not isinstance(value, str) or not clean_text(value):
        return False
    key = header_key(value)
    return bool(_SUMMARY.fullmatch(key)) and all(header_key(s.name) != key for s in specs)


def _not_recognised(sheet: SheetRows, scored: pd.DataFrame) -> str:
    """Which headers were not understood, and what each kind of sheet needs."""
    known = PERSON + ASSESSOR + VOTE_FIELDS + RECORD_FIELDS
    rows = [(r, [v for v in row if isinstance(v, str) and clean_text(v)]) for r, row in enumerate(sheet.rows[:HEADER_ROWS])]
    r, cells = max(rows, key=lambda x: (len(x[1]), -x[0]), default=(0, []))
    unknown = [clean_text(v) for v in cells if _person_field(v) is None and match_field(v, known) is None]
    said = f"第{r + 1}行的表头" + "“" + "”“".join(unknown[:8]) + "”看不懂。" if unknown and len(cells) > 1 else ""
    indicators = "、".join(clean_text(x) for x in scored["指标"]) if len(scored) else "（“考核指标”表里没有指标）"
    return (f"认不出这是哪种考核表：{said}评分表要有姓名（或编号、代表）列和指标列（指标有：{indicators}；"
            "考核人写在一列里或标题里“考核人：姓名”）；计票表要有优秀、称职、基本称职、不称职列；记录表要有事项列。这个工作表已跳过")


def _negative_match(negatives: pd.DataFrame, code: str, item: str) -> tuple[str, str] | None:
    for _, r in negatives.iterrows():
        if code and clean_text(r["编码"]).upper() == code:
            return clean_text(r["编码"]), as_text(r["指标"])
        if item and header_key(r["指标"]) == header_key(item):
            return clean_text(r["编码"]), as_text(r["指标"])
    # the same words with other punctuation or spaces: 独断专行、拉帮派 = 独断专行拉帮派 (one item only, never a guess)
    plain = code_text(item) if item else ""
    hits = [r for _, r in negatives.iterrows() if plain and code_text(r["指标"]) == plain]
    if len(hits) == 1:
        return clean_text(hits[0]["编码"]), as_text(hits[0]["指标"])
    return None


def _max_of(scored: pd.DataFrame, code: str) -> float:
    hit = scored[scored["编码"].map(clean_text) == code]
    try:
        return to_number(hit.iloc[0]["满分"]) or 0.0
    except (NotANumber, IndexError):
        return 0.0


def _assessor_in(text: str) -> str:
    m = re.search(r"(?:考核人|评分人|打分人)\s*[:：]\s*([\u4e00-\u9fff]{2,4})", text)
    return m.group(1) if m else ""


def _footer_text(sheet: SheetRows) -> str:
    return " ".join(clean_text(v) for row in sheet.rows[-5:] for v in row if clean_text(v))
