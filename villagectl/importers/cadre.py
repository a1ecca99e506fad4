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
from villagectl.importers.fields import FieldSpec
from villagectl.importers.table import locate_table
from villagectl.io.reader import SheetRows, WorkbookRows, cell_ref
from villagectl.values import NotANumber, as_text, clean_name, clean_text, header_key, id_key, to_int, to_number

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
        kind, table = _identify(sheet, indicator_fields, negatives, display_name)
        if table is None:
            problems.append(Problem(Location(display_name, sheet.name),
                                    "认不出这是哪种考核表（评分表要有考核人和指标列；计票表要有优秀、称职、基本称职、不称职列；"
                                    "记录表要有事项列），这个工作表已跳过", "警告"))
            continue
        found = True
        title = " ".join(clean_text(v) for row in sheet.rows[: table.header_row] for v in row if clean_text(v))
        sheet_period = period or _period_of(title) or _period_of(display_name) or "全年"
        assessor_from_title = _assessor_in(title + " " + _footer_text(sheet))
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
                        counts[g] = to_int(table.value(r, g)) or 0
                    except NotANumber:
                        problems.append(Problem(at(g), f"{g}票数“{clean_text(table.value(r, g))}”应为整数"))
                        bad = True
                    else:
                        if counts[g] < 0:
                            problems.append(Problem(at(g), f"{g}票数不能为负数"))
                            bad = True
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


def _identify(sheet: SheetRows, indicator_fields, negatives: pd.DataFrame, file_name: str):
    votes = locate_table(sheet, PERSON + VOTE_FIELDS)
    if votes is not None and sum(g in votes.columns for g in ("优秀", "称职", "基本称职", "不称职")) >= 3 and (
        {"编号", "姓名"} & set(votes.columns)
    ):
        return VOTES, votes
    scores = locate_table(sheet, PERSON + ASSESSOR + indicator_fields)
    if scores is not None and any(f.name in scores.columns for f in indicator_fields) and ({"编号", "姓名"} & set(scores.columns)):
        return SCORES, scores
    records = locate_table(sheet, PERSON + RECORD_FIELDS)
    if records is not None and ({"编号", "姓名"} & set(records.columns)) and ({"事项", "编码"} & set(records.columns)):
        title = " ".join(clean_text(v) for row in sheet.rows[: records.header_row] for v in row) + " " + sheet.name + " " + file_name
        if "负面" in title:
            return NEGATIVES, records
        if "履职" in title or "代表" in title:
            return DUTIES, records
        items = [clean_text(records.value(r, "编码")).upper() or clean_text(records.value(r, "事项")) for r in records.data_rows]
        if items and all(_negative_match(negatives, i, i) for i in items):
            return NEGATIVES, records
        return DUTIES, records
    return None, None


def _negative_match(negatives: pd.DataFrame, code: str, item: str) -> tuple[str, str] | None:
    for _, r in negatives.iterrows():
        if code and clean_text(r["编码"]).upper() == code:
            return clean_text(r["编码"]), as_text(r["指标"])
        if item and header_key(r["指标"]) == header_key(item):
            return clean_text(r["编码"]), as_text(r["指标"])
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
