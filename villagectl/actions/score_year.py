"""``score year`` / ``post year`` / ``vote import``: year-end results, ratings, red and black lists."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from villagectl.actions.session import Session
from villagectl.errors import DataError, Location, Problem, UsageError
from villagectl.importers.households_lookup import Roster
from villagectl.importers import votes
from villagectl.io.newbook import ColumnFormat, add_table_sheet, new_workbook, save_new
from villagectl.io.outputs import guard_output
from villagectl.io.safe_write import sha256_file
from villagectl.io.sandbox import read_untrusted_many, refuse_on_error
from villagectl import schema
from villagectl.ledger.events import vetoed
from villagectl.ledger.journal_anchor import require_intact
from villagectl.ledger.periods import notice_end, period_row, unfinished_in_year, with_period
from villagectl.ledger.households import year_presence
from villagectl.ledger.workbook import Ledger
from villagectl.rules.catalogue import parse_rules
from villagectl.scoring.annual import (
    RatingSettings,
    base_item_scores,
    base_results,
    rate_year,
    year_earnings,
)
from villagectl.values import NotANumber, clean_text, to_int

POSTED = "入账"


@dataclass
class YearResult:
    year: int
    frame: pd.DataFrame
    changed: bool = True
    vetoed: dict[str, list[str]] = field(default_factory=dict)
    export: Path | None = None
    notice_invalidated: bool = False
    unfinished: list[str] = field(default_factory=list)  # months of the year not posted yet: left out of the result

    def households(self) -> list[dict]:
        out = []
        for r in self.frame.to_dict("records"):
            out.append({
                "household_id": r["户号"], "name": r["户主"], "group": r["组别"],
                "result": float(r["年度积分"]), "rank": int(r["名次"]), "group_rank": int(r["组内名次"]),
                "star": r["星级"] or None, "medal": r["牌级"] or None,
                "list": r["榜单"] or None, "village_benefits": r["享受村级福利"] == "是",
                "vetoed": r["否决"] == "是", "exposure_months": int(r["曝光台"] or 0), "note": r["备注"],
            })
        return out


def year_state(ledger: Ledger, year: int) -> str | None:
    frame = ledger.frame(schema.ANNUAL.name)
    if frame.empty:
        return None
    states = set(frame.loc[frame["年度"].map(lambda v: clean_text(v)) == str(year), "状态"].map(clean_text))
    return POSTED if POSTED in states else (next(iter(states)) if states else None)


def compute_year(ledger: Ledger, year: int) -> tuple[pd.DataFrame, dict[str, list[str]]]:
    settings = ledger.settings()
    scheme = settings.get("计分方式", "月度换算")
    households = ledger.frame(schema.HOUSEHOLDS.name)
    journal = ledger.frame(schema.JOURNAL.name)
    events = ledger.frame(schema.EVENTS.name)
    ids = [clean_text(h) for h in households["户号"]]
    presence = year_presence(households, journal, ledger.frame(schema.MONTHLY.name), year)
    if scheme == "基础分":
        rules, issues = parse_rules(ledger.frame(schema.RULES.name))
        if issues:
            raise DataError("“规则”表有问题，请先运行 villagectl check 查看并修正")
        items = base_item_scores(ledger.frame(schema.INSPECTIONS.name), [r for r in rules if r.type == "基础分"],
                                 year, settings.get("季度合并方式", "平均") or "平均")
        adjustments = year_earnings(journal, events, year,
                                    frozenset({schema.ENTRY_AWARD, schema.ENTRY_DEDUCTION, schema.ENTRY_TRANSFER_IN}))
        results = base_results([h for h in ids if h in presence.during], rules, items, adjustments)
    else:
        results = year_earnings(journal, events, year)
    vetoes = vetoed(events, year)
    votes = year_votes(ledger, year)
    exposure = exposure_months(ledger.frame(schema.MONTHLY.name), year)
    frame = rate_year(year, households, results, RatingSettings.from_settings(settings), vetoes, votes, exposure, presence)
    return frame, vetoes


def year_votes(ledger: Ledger, year: int) -> dict[str, tuple[int, int]]:
    frame = ledger.frame(schema.VOTES.name)
    out: dict[str, tuple[int, int]] = {}
    for r in frame.to_dict("records"):
        if clean_text(r.get("年度")) != str(year):
            continue
        try:
            out[clean_text(r["户号"])] = (to_int(r.get("投票数")) or 0, to_int(r.get("不合格票")) or 0)
        except NotANumber:
            continue
    return out


def exposure_months(monthly: pd.DataFrame, year: int) -> dict[str, int]:
    out: dict[str, int] = {}
    if monthly.empty:
        return out
    for r in monthly.to_dict("records"):
        if clean_text(r.get("月份"))[:4] == str(year) and clean_text(r.get("曝光台")) == "是":
            hid = clean_text(r["户号"])
            out[hid] = out.get(hid, 0) + 1
    return out


def score_year(session: Session, year: int, *, export: Path | None = None) -> YearResult:
    """The year's 年度评定 (saved when it changed); ``export``: also one tidy sheet of the results."""
    if export is not None:
        export = guard_output(export, session.path, "--export")
    with session.updating("score year") as ledger:
        result = _score_year(ledger, year)
        village = ledger.settings().get("村名", "")
    if export:  # written once the ledger has the results
        result.export = export_year(result, export, village)
    return result


def _score_year(ledger: Ledger, year: int) -> YearResult:
    ledger.require(schema.HOUSEHOLDS.name, schema.RULES.name)
    state = year_state(ledger, year)
    existing = ledger.frame(schema.ANNUAL.name)
    mine = existing["年度"].map(clean_text) == str(year) if len(existing) else pd.Series(dtype=bool)
    if state == POSTED:
        return YearResult(year, existing[mine].reset_index(drop=True), changed=False)
    require_intact(ledger)  # ratings come from the journal's earned points
    frame, vetoes = compute_year(ledger, year)
    if frame.empty:
        raise DataError(f"{year} 年没有任何农户可以评定（户籍为空？）")
    result = YearResult(year, frame, vetoed=vetoes, unfinished=unfinished_in_year(ledger, year))
    old = existing[mine] if len(existing) else existing
    if len(old) == len(frame) and _same(old, frame):
        result.changed = False
    else:
        keep = existing[~mine] if len(existing) else existing
        ledger.replace(schema.ANNUAL.name, pd.concat([keep, frame], ignore_index=True))
        row = period_row(ledger, year_period(year))
        if row is not None and clean_text(row["状态"]) == "公示":  # the printed notice no longer holds
            result.notice_invalidated = True
            ledger.replace(schema.PERIODS.name, with_period(ledger.frame(schema.PERIODS.name), year_period(year),
                                                            状态="草稿", 公示开始="", 公示截止=""))
        ledger.note(f"{year} 年度评定 {len(frame)} 户")
    return result


def _same(old: pd.DataFrame, new: pd.DataFrame) -> bool:
    cols = ["户号", "年度积分", "名次", "星级", "牌级", "榜单"]
    a = old[cols].astype(str).reset_index(drop=True)
    b = new[cols].astype(str).reset_index(drop=True)
    a["年度积分"] = old["年度积分"].astype(float).round(4).astype(str).values
    b["年度积分"] = new["年度积分"].astype(float).round(4).astype(str).values
    return a.equals(b)


def year_period(year: int) -> str:
    """The 期间 row of a year's notice (months are 'YYYY-MM')."""
    return f"{year}年度"


def post_year(session: Session, year: int, *, force: bool = False, reason: str = "") -> int:
    """Lock the year's 年度评定 rows (returns how many); posting twice changes nothing.

    Like a month, a year is locked only after its notice period (notice year) is over,
    unless forced with a reason.
    """
    today = session.day()
    if force and not reason.strip():
        raise UsageError("使用 --force 时必须用 --reason 写明原因")
    with session.updating("post year") as ledger:
        state = year_state(ledger, year)
        if state is None:
            raise DataError(f"{year} 年还没有评定；请先运行 villagectl score year --year {year}")
        require_intact(ledger)
        if state == POSTED:
            return 0
        row = period_row(ledger, year_period(year))
        end = clean_text(row["公示截止"]) if row is not None and clean_text(row["状态"]) == "公示" else ""
        if not force:
            if not end:
                raise DataError(f"{year} 年度评定还没有公示；请先打印公示（villagectl notice year），期满后再锁定，"
                                "或用 --force --reason 说明原因")
            if today <= notice_end(ledger, row):
                raise DataError(f"{year} 年度评定的公示期到 {end} 才结束，{today.isoformat()} 还不能锁定；确需提前请用 --force --reason")
        frame = ledger.frame(schema.ANNUAL.name).copy()
        mine = frame["年度"].map(clean_text) == str(year)
        frame.loc[mine, "状态"] = POSTED
        ledger.replace(schema.ANNUAL.name, frame)
        extra = {"说明": f"提前锁定：{reason.strip()}"} if force else {}
        ledger.replace(schema.PERIODS.name, with_period(ledger.frame(schema.PERIODS.name), year_period(year),
                                                        状态=POSTED, 入账日期=today.isoformat(), **extra))
        ledger.note(f"{year} 年度评定锁定 {int(mine.sum())} 户")
        return int(mine.sum())


def export_year(result: YearResult, path: Path, village: str) -> Path:
    """One tidy sheet of the year's results (for the town office or further analysis)."""
    columns = [ColumnFormat(n, w, (), f) for n, w, f in (
        ("年度", 7, "0"), ("户号", 10, "@"), ("户主", 10, "@"), ("组别", 9, "@"), ("年度积分", 10, "General"),
        ("名次", 6, "0"), ("组内名次", 8, "0"), ("星级", 13, "@"), ("牌级", 8, "@"), ("榜单", 8, "@"),
        ("曝光台月数", 10, "0"), ("一票否决", 9, "@"), ("享受村级福利", 12, "@"), ("投票数", 8, "0"), ("不合格票", 8, "0"),
        ("状态", 7, "@"), ("备注", 40, "@"))]
    keys = ["年度", "户号", "户主", "组别", "年度积分", "名次", "组内名次", "星级", "牌级", "榜单", "曝光台", "否决",
            "享受村级福利", "投票数", "不合格票", "状态", "备注"]
    rows = [[r[k] if not (isinstance(r[k], float) and pd.isna(r[k])) else "" for k in keys]
            for r in result.frame.to_dict("records")]
    wb = new_workbook()
    add_table_sheet(wb, f"{result.year}年度评定", columns, rows, title_line=f"{village}{result.year}年度评定结果",
                    borders=True, signatures=f"{village}村民委员会" if village else "")
    save_new(wb, path)
    return path


def import_votes(session: Session, paths: list[Path], year: int) -> tuple[int, list[Problem]]:
    """The year's mutual-evaluation tally; replaces the year's earlier tally of the same households."""
    from villagectl.io.inputs import expand_paths

    files, missing = expand_paths(paths)
    problems = [Problem(Location(p.name), "文件不存在") for p in missing]
    if not files:
        raise DataError("没有找到互评计票表（xlsx、xls、ods）", problems)
    with session.updating("vote import") as ledger:
        if year_state(ledger, year) == POSTED:
            raise DataError(f"{year} 年度评定已锁定，不能再导入互评结果")
        roster = Roster(ledger.frame(schema.HOUSEHOLDS.name))
        books = read_untrusted_many(files)
        rows: list[dict] = []
        seen: dict[str, str] = {}
        for path in files:
            book = books[path]
            if isinstance(book, DataError):
                problems.extend(book.problems)
                continue
            try:  # importers/votes.py reads the tally
                read, found = refuse_on_error(path, votes.extract, book, votes.VoteContext(path.name, roster, year, seen))
            except DataError as exc:
                problems.extend(exc.problems)
                continue
            rows.extend(read)
            problems.extend(found)
        errors = [p for p in problems if p.severity == "错误"]
        if errors:
            raise DataError(f"互评计票表有 {len(errors)} 处问题，台账未改动", problems)
        frame = ledger.frame(schema.VOTES.name)
        replaced = {(str(year), r["户号"]) for r in rows}
        keep = frame[[(clean_text(y), clean_text(h)) not in replaced for y, h in zip(frame["年度"], frame["户号"])]] if len(frame) else frame
        ledger.replace(schema.VOTES.name, pd.concat([keep, pd.DataFrame(rows, dtype=object)], ignore_index=True))
        ledger.note(f"{year} 年互评 {len(rows)} 户", [(p.name, sha256_file(p)) for p in files])
        return len(rows), problems
