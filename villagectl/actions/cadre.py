"""``cadre score``: cadres' and representatives' assessment (``cadre import``: actions/cadre_import.py)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from villagectl.actions.session import Session
from villagectl.errors import DataError, Location, Problem, UsageError
from villagectl.io.newbook import ColumnFormat, add_table_sheet, new_workbook, save_new
from villagectl.io.outputs import guard_output
from villagectl import schema
from villagectl.ledger.periods import cadre_period, period_row, with_period
from villagectl.ledger.workbook import Ledger
from villagectl.scoring.cadre import GRADES, Assessed, CadreSettings, democratic_score, grade_all, scorecard
from villagectl.values import NotANumber, as_text, clean_text, to_int, to_number

PERIOD_OPTIONS = {None: "全年", "H1": "上半年", "H2": "下半年", "上半年": "上半年", "下半年": "下半年", "全年": "全年"}


def period_name(option: str | None) -> str:
    if option not in PERIOD_OPTIONS:
        raise UsageError(f"期间“{option}”无效，应为 H1（上半年）或 H2（下半年），不写为全年")
    return PERIOD_OPTIONS[option]


def indicators_for(ledger: Ledger, year: int) -> pd.DataFrame:
    """The 考核指标 rows of ``year``: rows marked with that year replace the unmarked ones."""
    frame = ledger.frame(schema.INDICATORS.name)
    years = frame["年度"].map(clean_text) if "年度" in frame.columns else pd.Series([""] * len(frame))
    marked = frame[years == str(year)]
    return marked if len(marked) else frame[years == ""]


@dataclass
class CadreResult:
    year: int
    period: str
    frame: pd.DataFrame
    changed: bool = True
    pay_sheet: Path | None = None
    notice_invalidated: bool = False

    def people(self) -> list[dict]:
        out = []
        for _, r in self.frame.iterrows():
            out.append({
                "cadre_id": r["编号"], "name": r["姓名"], "post": r["职务"], "kind": r["类别"],
                "scorecard": r["指标得分"], "deductions": r["负面扣分"], "democratic": r["民主评议"],
                "score": r["综合得分"], "rank": r["名次"], "grade": r["等次"],
                "flags": [f for f in clean_text(r["标记"]).split("、") if f], "pay": r["考核报酬"] if r["考核报酬"] != "" else None,
                "votes_cast": r["投票数"], "unfit_votes": r["不称职票"], "note": r["备注"],
            })
        return out


def _in_period(frame: pd.DataFrame, year: int, period: str) -> pd.DataFrame:
    if frame.empty:
        return frame
    mask = frame["年度"].map(clean_text) == str(year)
    if "期间" in frame.columns:
        mask &= frame["期间"].map(lambda p: clean_text(p) or "全年") == period
    return frame[mask]


def compute_cadres(ledger: Ledger, year: int, period: str) -> tuple[pd.DataFrame, list[Problem]]:
    settings = CadreSettings.from_settings(ledger.settings())
    cadres = ledger.frame(schema.CADRES.name)
    indicators = indicators_for(ledger, year)
    scores = _in_period(ledger.frame(schema.CADRE_SCORES.name), year, period)
    votes = _in_period(ledger.frame(schema.CADRE_VOTES.name), year, period)
    negatives = _in_period(ledger.frame(schema.CADRE_NEGATIVES.name), year, period)
    problems: list[Problem] = []
    people: list[Assessed] = []
    for _, c in cadres.iterrows():
        pid = clean_text(c["编号"])
        if clean_text(c.get("状态")) not in ("在职", ""):
            continue
        kind = clean_text(c["类别"])
        mine = indicators[(indicators["对象"].map(clean_text) == kind) & (indicators["类型"].map(clean_text) == "指标")]
        maxima = {clean_text(r["编码"]): (to_number(r["满分"]) or 0.0) for _, r in mine.iterrows()}
        marks: dict[str, list[float]] = {}
        for _, s in scores[scores["编号"].map(clean_text) == pid].iterrows():
            marks.setdefault(clean_text(s["编码"]), []).append(to_number(s["得分"]) or 0.0)
        lacking = [clean_text(r["指标"]) for _, r in mine.iterrows() if clean_text(r["编码"]) not in marks]
        tally_rows = votes[votes["编号"].map(clean_text) == pid]
        tally = {g: sum(to_int(v) or 0 for v in tally_rows[g]) for g in GRADES} if len(tally_rows) else {}
        if lacking:
            problems.append(Problem(Location(sheet=schema.CADRE_SCORES.name), f"{clean_text(c['姓名'])}（{pid}）缺少考核评分：{'、'.join(lacking)}"))
        democratic = democratic_score(tally, settings.vote_values) if tally else None
        if democratic is None:
            problems.append(Problem(Location(sheet=schema.CADRE_VOTES.name), f"{clean_text(c['姓名'])}（{pid}）缺少民主评议票数"))
        if lacking or democratic is None:
            continue
        deductions, vetoes = 0.0, []
        for _, n in negatives[negatives["编号"].map(clean_text) == pid].iterrows():
            item = indicators[indicators["编码"].map(clean_text) == clean_text(n["编码"])]
            if item.empty:
                continue
            count = _num(n.get("次数")) or 1.0
            if clean_text(item.iloc[0]["类型"]) == "负面否决":
                vetoes.append(as_text(n["事项"]))
            else:
                deductions += (_num(item.iloc[0]["满分"]) or 0.0) * count
        people.append(Assessed(pid, as_text(c["姓名"]), as_text(c["职务"]), kind,  # as typed (printed)
                               scorecard(marks, maxima, settings.drop_extremes), round(deductions, 4), democratic, tally, vetoes))
    if problems:
        return pd.DataFrame(), problems
    rows = []
    for o in grade_all(people, settings):
        p = o.person
        rows.append({
            "年度": year, "期间": period, "编号": p.person_id, "姓名": p.name, "职务": p.post, "类别": p.kind,
            "指标得分": p.card, "负面扣分": p.deductions, "民主评议": p.democratic, "综合得分": o.score,
            "名次": o.rank, "等次": o.grade, "标记": "、".join(o.flags), "考核报酬": "" if o.pay is None else o.pay,
            "投票数": sum(p.votes.get(g, 0) for g in GRADES), "不称职票": p.votes.get("不称职", 0),
            "状态": "草稿", "备注": "；".join(o.notes),
        })
    return pd.DataFrame(rows), []


def _num(value: object) -> float | None:
    try:
        return to_number(value)
    except NotANumber:
        return None


def score_cadres(session: Session, year: int, *, period: str | None = None, pay_sheet: Path | None = None) -> CadreResult:
    name = period_name(period)
    if pay_sheet is not None:
        pay_sheet = guard_output(pay_sheet, session.path, "--pay-sheet")
    with session.updating("cadre score") as ledger:
        ledger.require(schema.CADRES.name, schema.INDICATORS.name)
        existing = ledger.frame(schema.CADRE_RESULTS.name)
        mine = ((existing["年度"].map(clean_text) == str(year)) & (existing["期间"].map(clean_text) == name)) if len(existing) else pd.Series(dtype=bool)
        if len(existing) and (existing.loc[mine, "状态"].map(clean_text) == "入账").any():
            result = CadreResult(year, name, existing[mine].reset_index(drop=True), changed=False)
        else:
            frame, problems = compute_cadres(ledger, year, name)
            if problems:
                raise DataError(f"{year}年{name}的考核数据不全，请先用 villagectl cadre import 导入", problems)
            if frame.empty:
                raise DataError("“干部”表中没有在职的村干部或村民代表")
            result = CadreResult(year, name, frame)
            old = existing[mine] if len(existing) else existing
            if len(old) == len(frame) and old[["编号", "综合得分", "等次", "标记"]].astype(str).reset_index(drop=True).equals(
                    frame[["编号", "综合得分", "等次", "标记"]].astype(str)):
                result.changed = False
            else:
                keep = existing[~mine] if len(existing) else existing
                ledger.replace(schema.CADRE_RESULTS.name, pd.concat([keep, frame], ignore_index=True))
                row = period_row(ledger, cadre_period(year, name))
                if row is not None and clean_text(row["状态"]) == "公示":  # the printed notice no longer holds
                    result.notice_invalidated = True
                    ledger.replace(schema.PERIODS.name, with_period(ledger.frame(schema.PERIODS.name),
                                                                    cadre_period(year, name), 状态="草稿",
                                                                    公示开始="", 公示截止=""))
                ledger.note(f"{year}年{name}考核 {len(frame)} 人")
        village = ledger.settings().get("村名", "")
    if pay_sheet:  # written once the ledger has the results
        result.pay_sheet = write_pay_sheet(result, pay_sheet, village)
    return result


def write_pay_sheet(result: CadreResult, path: Path, village: str) -> Path:
    """考核报酬 for the town office: cadres only, with grade and coefficient."""
    rows = []
    for _, r in result.frame.iterrows():
        if clean_text(r["类别"]) != "村干部":
            continue
        rows.append([r["编号"], r["姓名"], r["职务"], r["综合得分"], r["等次"], r["考核报酬"], r["标记"]])
    total = round(sum(float(r[5] or 0) for r in rows), 2)
    rows.append(["合计", "", "", "", "", total, ""])
    cols = [ColumnFormat("编号", 8, (), "@"), ColumnFormat("姓名", 10, (), "@"), ColumnFormat("职务", 12, (), "@"),
            ColumnFormat("综合得分", 10, (), "0.00"), ColumnFormat("等次", 10, (), "@"), ColumnFormat("考核报酬（元）", 14, (), "#,##0.00"),
            ColumnFormat("标记", 16, (), "@")]
    wb = new_workbook()
    add_table_sheet(wb, "考核报酬", cols, rows, title_line=f"{village}{result.year}年{'' if result.period == '全年' else result.period}村干部考核报酬表",
                    borders=True, signatures=f"{village}村民委员会" if village else "", bold_last_row=True)
    save_new(wb, path)
    return path


def grades_summary(result: CadreResult) -> str:
    counts = {g: int((result.frame["等次"] == g).sum()) for g in GRADES}
    return "，".join(f"{g} {n} 人" for g, n in counts.items())


