"""From the ledger's 干部 and 考核 tables to each cadre's graded 干部考核 row (pure: frames in, rows out).

Per cadre in office: the scorecard (指标 rows of the cadre's 类别, assessors' marks), 负面扣分 and vetoes
(负面记录 against the 负面 indicators), the 民主评议 score from the vote tally; then ``grade_all``
(scoring/cadre.py) ranks and grades them. ``actions/cadre.py`` reads the ledger and writes the rows.
"""

from __future__ import annotations

import pandas as pd

from villagectl import schema
from villagectl.errors import Location, Problem
from villagectl.scoring.cadre import GRADES, Assessed, CadreSettings, democratic_score, grade_all, scorecard
from villagectl.values import NotANumber, as_text, clean_text, to_int, to_number


def year_indicators(frame: pd.DataFrame, year: int) -> pd.DataFrame:
    """The 考核指标 rows of ``year``: rows marked with that year replace the unmarked ones."""
    years = frame["年度"].map(clean_text) if "年度" in frame.columns else pd.Series([""] * len(frame))
    marked = frame[years == str(year)]
    return marked if len(marked) else frame[years == ""]


def in_period(frame: pd.DataFrame, year: int, period: str) -> pd.DataFrame:
    """The rows of ``year`` / ``period`` (期间 blank: 全年)."""
    if frame.empty:
        return frame
    mask = frame["年度"].map(clean_text) == str(year)
    if "期间" in frame.columns:
        mask &= frame["期间"].map(lambda p: clean_text(p) or "全年") == period
    return frame[mask]


def assess_cadres(cadres: pd.DataFrame, indicators: pd.DataFrame, scores: pd.DataFrame, votes: pd.DataFrame,
                  negatives: pd.DataFrame, settings: CadreSettings, year: int,
                  period: str) -> tuple[pd.DataFrame, list[Problem]]:
    """The 干部考核 rows (状态 草稿) of ``year`` / ``period``; with problems (and no rows) when a cadre lacks
    marks or a vote tally. ``indicators``: the year's (``year_indicators``); the other tables: the period's
    (``in_period``)."""
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
