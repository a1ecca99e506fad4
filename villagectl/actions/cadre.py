"""``cadre score``: cadres' and representatives' assessment (``cadre import``: actions/cadre_import.py)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from villagectl.actions.session import Session
from villagectl.errors import DataError, Problem, UsageError
from villagectl.io.newbook import ColumnFormat, add_table_sheet, new_workbook, save_new
from villagectl.io.outputs import guard_output
from villagectl import schema
from villagectl.ledger.periods import cadre_period, period_row, with_period
from villagectl.ledger.workbook import Ledger
from villagectl.scoring.cadre import GRADES, CadreSettings
from villagectl.scoring.cadre_assessment import assess_cadres, in_period, year_indicators
from villagectl.values import clean_text

PERIOD_OPTIONS = {None: "全年", "H1": "上半年", "H2": "下半年", "上半年": "上半年", "下半年": "下半年", "全年": "全年"}


def period_name(option: str | None) -> str:
    if option not in PERIOD_OPTIONS:
        raise UsageError(f"期间“{option}”无效，应为 H1（上半年）或 H2（下半年），不写为全年")
    return PERIOD_OPTIONS[option]


def indicators_for(ledger: Ledger, year: int) -> pd.DataFrame:
    """The 考核指标 rows of ``year``: rows marked with that year replace the unmarked ones."""
    return year_indicators(ledger.frame(schema.INDICATORS.name), year)


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


def compute_cadres(ledger: Ledger, year: int, period: str) -> tuple[pd.DataFrame, list[Problem]]:
    return assess_cadres(ledger.frame(schema.CADRES.name), indicators_for(ledger, year),
                         in_period(ledger.frame(schema.CADRE_SCORES.name), year, period),
                         in_period(ledger.frame(schema.CADRE_VOTES.name), year, period),
                         in_period(ledger.frame(schema.CADRE_NEGATIVES.name), year, period),
                         CadreSettings.from_settings(ledger.settings()), year, period)


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


