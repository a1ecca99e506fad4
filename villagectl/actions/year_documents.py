"""``notice year`` and ``report year``: the year-end documents, built from the ledger.

- ``print_year_notice``: the annual public notice of the 年度评定 results (and,
  with ``certificates``, a second PDF of certificates). Printing it opens the
  year's notice period: the 期间 sheet gets (or updates) the row
  ``"2026年度"`` with 状态 公示, 公示开始 and 公示截止, and the year's 年度评定
  rows get 状态 公示 — the same bookkeeping ``notice month`` does for a month.
  A reprint after ``post year`` (状态 入账) changes nothing in the ledger.
- ``print_year_report``: the annual report for the town office. It reads the
  ledger only (no lock, no write). When ``score year`` has not been run for
  the year, the results are computed the same way without being saved, and the
  report says so.

Only printable values are handed to the renderers (see villagectl.render.annual):
never ID-card or phone numbers, vote counts, veto reasons or the 备注 column.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from villagectl.rules.settings import committee_of, objection_of
from villagectl.actions.session import PrintOptions, Session
from villagectl.errors import DataError, Location, Problem, UsageError
from villagectl.io.outputs import guard_output
from villagectl.io.staged import StagedOutputs
from villagectl import schema
from villagectl.ledger.households import is_active
from villagectl.ledger.periods import DRAFT, NOTICE, POSTED, with_period
from villagectl.ledger.workbook import Ledger
from villagectl.render.annual import (
    MEDAL_TITLES,
    STAR_TITLES,
    BlackRow,
    Certificate,
    CertificateSet,
    ExposureRow,
    GroupSummary,
    HonourRow,
    MonthAverage,
    YearNotice,
    YearReport,
    certificates_path,
    render_certificates,
    render_year_notice,
    render_year_report,
)
from villagectl.scoring.annual import RatingSettings
from villagectl.values import NotANumber, as_text, clean_text, group_key, to_number

VOID = "作废"


def period_name(year: int) -> str:
    """The 期间 row of a year's notice: ``"2026年度"`` (months use ``"2026-07"``)."""
    return f"{year}年度"


def _num(value: object) -> float | None:
    try:
        return to_number(value)
    except NotANumber:
        return None


def _int(value: object, default: int = 0) -> int:
    n = _num(value)
    return int(n) if n is not None else default


def _setting_number(ledger: Ledger, key: str, default: float | None, minimum: float = 0) -> float | None:
    text = ledger.settings().get(key, "")
    if not text:
        return default
    value = _num(text)
    if value is None or value < minimum:
        raise DataError(f"参数“{key}”的值“{text}”不是有效的数字",
                        [Problem(Location(ledger.path.name, schema.SETTINGS.name), f"“{key}”应为不小于 {minimum:g} 的数字")],
                        hint="在台账“参数”表改正后重试")
    return value


def _yes_no(ledger: Ledger, key: str, default: bool) -> bool:
    text = ledger.settings().get(key, "")
    if not text:
        return default
    if text in ("是", "否"):
        return text == "是"
    raise DataError(f"参数“{key}”只能填“是”或“否”，现在是“{text}”",
                    [Problem(Location(ledger.path.name, schema.SETTINGS.name), f"“{key}”应为 是 或 否")])


def year_rows(ledger: Ledger, year: int) -> pd.DataFrame:
    """The year's 年度评定 rows (possibly empty)."""
    frame = ledger.frame_or_empty(schema.ANNUAL.name)
    if frame.empty:
        return frame
    return frame[frame["年度"].map(clean_text) == str(year)].reset_index(drop=True)


def rows_state(rows: pd.DataFrame) -> str:
    states = set(rows["状态"].map(clean_text)) if len(rows) else set()
    for state in (POSTED, NOTICE, DRAFT):
        if state in states:
            return state
    return DRAFT


def year_presence_of(ledger: Ledger, year: int):
    """The year's households as they were (ledger.households.year_presence)."""
    from villagectl.ledger.households import year_presence

    return year_presence(ledger.frame(schema.HOUSEHOLDS.name), ledger.frame_or_empty(schema.JOURNAL.name),
                         ledger.frame_or_empty(schema.MONTHLY.name), year)


def moved_out_count(ledger: Ledger, rows: pd.DataFrame, year: int) -> int:
    """How many of the year's rows are households that left the village during that year."""
    if rows is None or rows.empty or not ledger.has(schema.HOUSEHOLDS.name):
        return 0
    presence = year_presence_of(ledger, year)
    return int(rows["户号"].map(clean_text).isin(presence.during - presence.at_end).sum())



# --------------------------------------------------------------------------
# The annual notice
# --------------------------------------------------------------------------


@dataclass
class YearNoticeResult:
    year: int
    pdf: Path
    certificates_pdf: Path | None
    period_start: dt.date
    period_end: dt.date
    households: int
    stars: int
    medals: int
    red: int
    black: int
    exposure: int
    certificates: int
    state_before: str
    reprint: bool
    recorded: bool  # the 期间 row was written (False for a reprint of a posted year)
    group: str = ""  # notice year --group: the group printed (the roster's spelling)

    def as_dict(self) -> dict:
        return {
            "year": self.year,
            "group": self.group or None,
            "pdf": str(self.pdf),
            "certificates_pdf": str(self.certificates_pdf) if self.certificates_pdf else None,
            "period": period_name(self.year),
            "period_start": self.period_start.isoformat(),
            "period_end": self.period_end.isoformat(),
            "households": self.households,
            "stars": self.stars,
            "medals": self.medals,
            "red": self.red,
            "black": self.black,
            "exposure": self.exposure,
            "certificates": self.certificates,
            "state_before": self.state_before,
            "reprint": self.reprint,
            "recorded": self.recorded,
        }


def _scored_rows(ledger: Ledger, year: int) -> pd.DataFrame:
    rows = year_rows(ledger, year)
    if rows.empty:
        raise DataError(f"{year} 年还没有年度评定结果",
                        hint=f"请先运行 villagectl score year {ledger.path.name} --year {year}")
    return rows


def _group_rows(ledger: Ledger, rows: pd.DataFrame, group: str | None, year: int) -> tuple[pd.DataFrame, str]:
    """Only ``group``'s rows ('第二组', '2组') and the roster's spelling of it; UsageError listing the groups."""
    if group is None:
        return rows, ""
    from villagectl.ledger.households import require_group

    name = require_group(ledger.frame(schema.HOUSEHOLDS.name), group)
    part = rows[rows["组别"].map(group_key) == group_key(name)].reset_index(drop=True)
    if part.empty:
        raise DataError(f"{year} 年度评定结果里没有{name}的农户")
    return part, name


def build_year_notice(ledger: Ledger, year: int, start: dt.date, mask: bool | None = None,
                      group: str | None = None) -> YearNotice:
    """The notice's printable data from the year's 年度评定 rows and the settings (one group's with ``group``)."""
    settings = ledger.settings()
    village_rows = _scored_rows(ledger, year)
    rows, group_name = _group_rows(ledger, village_rows, group, year)
    ratings = RatingSettings.from_settings(settings).ratings
    stars: list[HonourRow] = []
    medals: list[HonourRow] = []
    red: list[HonourRow] = []
    black: list[BlackRow] = []
    exposure: list[ExposureRow] = []
    listed: list[tuple[object, str]] = []  # (printed row, 户号), for telling apart masked names
    for r in rows.to_dict("records"):
        counts = (len(stars), len(medals), len(red), len(exposure))
        group, name = as_text(r.get("组别")), as_text(r.get("户主"))
        result = _num(r.get("年度积分")) or 0.0
        rank = _int(r.get("名次"))
        star, medal, board = clean_text(r.get("星级")), clean_text(r.get("牌级")), clean_text(r.get("榜单"))
        if star in STAR_TITLES:
            stars.append(HonourRow(group, name, result, rank, star))
        if medal in MEDAL_TITLES:
            medals.append(HonourRow(group, name, result, rank, medal))
        if board == "红榜":
            red.append(HonourRow(group, name, result, rank, "红榜"))
        elif board == "黑榜":
            black.append(BlackRow(group, name))
        months = _int(r.get("曝光台"))
        if months > 0:
            exposure.append(ExposureRow(group, name, months))
        hid = clean_text(r.get("户号"))
        for found, before in zip((stars, medals, red, exposure), counts):
            listed.extend((row, hid) for row in found[before:])
    masked = mask if mask is not None else settings.get("公示隐藏名字", "否") == "是"
    if masked:
        distinguish_masked(listed)
    days = ledger.village_settings().notice_days
    village = settings.get("村名", "")
    return YearNotice(
        village=village,
        year=year,
        households=len(rows),
        stars=stars,
        medals=medals,
        red=red,
        black=black,
        exposure=exposure,
        period_start=start,
        period_end=start + dt.timedelta(days=days - 1),
        objection_text=objection_of(settings),
        committee=committee_of(settings),
        issued=start,
        show_stars="星级" in ratings or bool(stars),
        show_medals="牌级" in ratings or bool(medals),
        show_exposure=_yes_no(ledger, "曝光台上公示", True),
        mask_names=mask if mask is not None else settings.get("公示隐藏名字", "否") == "是",
        moved_out=moved_out_count(ledger, rows, year),
        base_line=rating_base_line(ledger, village_rows, settings, year),  # the cuts are the village's
        group=group_name,
    )


def rating_base_line(ledger: Ledger, rows: pd.DataFrame, settings: dict[str, str], year: int) -> str:
    """'评定基数：全村30户……前10%为第1至3名……': the N of "前10%" and the cut positions (docs/presets.md)."""
    from villagectl.scoring.annual import cut_positions_text

    return cut_positions_text(RatingSettings.from_settings(settings), rows.to_dict("records"),
                              set(year_presence_of(ledger, year).during))


def distinguish_masked(listed: list[tuple[object, str]]) -> None:
    """Printed rows whose masked names two households share get their 户号 (``distinguish``): 张*明（ZP012）.

    A household on several lists counts once; the black list (group and name only, seed 004) is left out.
    """
    from villagectl.render.notice import mask_name

    households: dict[str, set[str]] = {}
    for row, hid in listed:
        households.setdefault(mask_name(row.name), set()).add(hid or row.name)
    for row, hid in listed:
        if hid and len(households[mask_name(row.name)]) > 1:
            row.distinguish = hid


def build_certificates(ledger: Ledger, year: int, issued: dt.date, group: str | None = None) -> CertificateSet:
    """One certificate per star household; a village that rates medals only gets one per medal household."""
    settings = ledger.settings()
    rows, _ = _group_rows(ledger, _scored_rows(ledger, year), group, year)
    ratings = RatingSettings.from_settings(settings).ratings
    records = sorted(rows.to_dict("records"), key=lambda r: (_int(r.get("名次")), clean_text(r.get("户号"))))
    certs = [Certificate(as_text(r.get("组别")), as_text(r.get("户主")), clean_text(r.get("星级")))
             for r in records if clean_text(r.get("星级")) in STAR_TITLES]
    if not certs and "星级" not in ratings:
        certs = [Certificate(as_text(r.get("组别")), as_text(r.get("户主")), clean_text(r.get("牌级")))
                 for r in records if clean_text(r.get("牌级")) in MEDAL_TITLES]
    return CertificateSet(settings.get("村名", ""), year, committee_of(settings), issued, certs)


def print_year_notice(session: Session, year: int, *, out_pdf: Path, start: dt.date | None = None,
                      certificates: bool = False, mask: bool | None = None,
                      printing: PrintOptions = PrintOptions(), group: str | None = None) -> YearNoticeResult:
    """Print the annual notice (and certificates) and open the year's notice period."""
    out_pdf = guard_output(out_pdf, session.path, "-o")
    if certificates:
        guard_output(certificates_path(out_pdf), session.path, "--certificates")
    if out_pdf.suffix.lower() != ".pdf":
        raise UsageError(f"输出文件应以 .pdf 结尾：{out_pdf}")
    start = start or session.day()
    with StagedOutputs() as outs:
        with session.updating("notice year") as ledger:
            result = _print_year_notice(ledger, year, out_pdf, start, certificates, mask, outs, printing, group)
        outs.publish()  # the documents appear only once the ledger has the notice period
    return result


def _print_year_notice(ledger: Ledger, year: int, out_pdf: Path, start: dt.date, certificates: bool,
                       mask: bool | None, outs: StagedOutputs, printing: PrintOptions,
                       group: str | None = None) -> YearNoticeResult:
    ledger.require(schema.SETTINGS.name)
    notice = build_year_notice(ledger, year, start, mask, group)
    cset = build_certificates(ledger, year, start, group) if certificates else None
    if cset is not None and not cset.certificates:
        raise DataError(f"{year} 年度没有获得星级（或牌级）的农户，没有奖状可打印；公示未打印，台账未改动",
                        hint="去掉 --certificates 再打印公示")
    settings = ledger.settings()
    templates_dir, font = printing.paths(ledger)
    render_year_notice(notice, outs.path(out_pdf), templates_dir=templates_dir, font=font)
    cert_pdf = None
    if cset is not None:
        cert_pdf = certificates_path(out_pdf)
        render_certificates(cset, outs.path(cert_pdf), templates_dir=templates_dir, font=font)
    rows = year_rows(ledger, year)
    state = rows_state(rows)
    result = YearNoticeResult(
        year, out_pdf, cert_pdf, notice.period_start, notice.period_end, notice.households,
        len(notice.stars), len(notice.medals), len(notice.red), len(notice.black),
        len(notice.exposure) if notice.show_exposure else 0, len(cset.certificates) if cset else 0,
        state, reprint=state == NOTICE, recorded=False, group=notice.group,
    )
    if state == POSTED:
        return result  # a reprint of a posted year changes nothing
    periods = with_period(ledger.frame(schema.PERIODS.name), period_name(year), 状态=NOTICE,
                          公示开始=notice.period_start.isoformat(), 公示截止=notice.period_end.isoformat(),
                          经办人=settings.get("经办人", ""), 说明=f"{notice.group}年度评定结果公示（{notice.households} 户）：{out_pdf.name}")
    ledger.replace(schema.PERIODS.name, periods)
    annual = ledger.frame(schema.ANNUAL.name).copy()
    annual.loc[annual["年度"].map(clean_text) == str(year), "状态"] = NOTICE
    ledger.replace(schema.ANNUAL.name, annual)
    ledger.note(f"{year} 年度{notice.group}评定结果公示 {notice.period_start}～{notice.period_end}：{out_pdf.name}")
    result.recorded = True
    return result


# --------------------------------------------------------------------------
# The annual report
# --------------------------------------------------------------------------


@dataclass
class YearReportResult:
    year: int
    pdf: Path
    provisional: bool
    households: int
    groups: int
    budget: float | None
    spent: float
    pages: int | None
    budget_residents: int | None = None
    budget_base: str = ""

    def as_dict(self) -> dict:
        return {"year": self.year, "pdf": str(self.pdf), "provisional": self.provisional,
                "households": self.households, "groups": self.groups, "budget": self.budget,
                "budget_residents": self.budget_residents, "budget_base": self.budget_base,
                "spent": round(self.spent, 2), "pages": self.pages}


def _numbers(series: pd.Series) -> pd.Series:
    """A column as floats (blank or text → NaN), full-width digits included."""
    return series.map(_num).astype(float)


def _texts(series: pd.Series) -> pd.Series:
    return series.map(clean_text)


def _annual_for_report(ledger: Ledger, year: int) -> tuple[pd.DataFrame, bool]:
    rows = year_rows(ledger, year)
    if len(rows):
        return rows, False
    from villagectl.actions.score_year import compute_year

    ledger.require(schema.HOUSEHOLDS.name, schema.RULES.name)
    frame, _ = compute_year(ledger, year)
    if frame.empty:
        raise DataError(f"{year} 年没有任何农户可以统计（户籍为空？）")
    return frame, True


def build_year_report(ledger: Ledger, year: int, issued: dt.date) -> YearReport:
    """Aggregates for the town office: no household names, IDs or phone numbers."""
    ledger.require(schema.SETTINGS.name, schema.HOUSEHOLDS.name)
    settings = ledger.settings()
    annual, provisional = _annual_for_report(ledger, year)

    households = ledger.frame(schema.HOUSEHOLDS.name)
    active = households[households["状态"].map(is_active)] if "状态" in households else households
    sizes = _numbers(active["人口"]).fillna(0).clip(lower=0)
    active_groups = _texts(active["组别"])
    population_by_group = sizes.groupby(active_groups).sum().to_dict()

    a = pd.DataFrame({
        "group": _texts(annual["组别"]),
        "result": _numbers(annual["年度积分"]).fillna(0.0),
        "star": _texts(annual["星级"]).isin(STAR_TITLES),
        "medal": _texts(annual["牌级"]).isin(MEDAL_TITLES),
        "red": _texts(annual["榜单"]) == "红榜",
        "black": _texts(annual["榜单"]) == "黑榜",
        "veto": _texts(annual["否决"]) == "是",
        "exposure": _numbers(annual["曝光台"]).fillna(0) > 0,
    })
    groups: list[GroupSummary] = []
    names = list(dict.fromkeys(list(a["group"]) + list(population_by_group)))
    for g in names:
        part = a[a["group"] == g]
        n = len(part)
        groups.append(GroupSummary(
            group=g or "（未分组）",
            households=n,
            population=int(population_by_group.get(g, 0)),
            total=round(float(part["result"].sum()), 4),
            average=round(float(part["result"].mean()), 4) if n else None,
            best=float(part["result"].max()) if n else None,
            lowest=float(part["result"].min()) if n else None,
            stars=int(part["star"].sum()), medals=int(part["medal"].sum()), red=int(part["red"].sum()),
            black=int(part["black"].sum()), exposure=int(part["exposure"].sum()),
        ))

    months = _month_averages(ledger, year)
    spending, slips, points = _spending(ledger, year)
    per_resident = _setting_number(ledger, "人均奖励经费", None)
    population = int(sizes.sum())
    base = None
    if per_resident is not None:  # 常住人口 of the year: 参数, or 户籍 on 1 January (actions/budget.py)
        from villagectl.actions.budget import year_base

        base = year_base(settings, households, ledger.frame_or_empty(schema.JOURNAL.name), year)
    budget = round(base.residents * per_resident, 2) if base is not None else None
    return YearReport(
        village=settings.get("村名", ""),
        year=year,
        committee=committee_of(settings),
        issued=issued,
        scheme=settings.get("计分方式", "月度换算") or "月度换算",
        provisional=provisional,
        state="" if provisional else rows_state(annual),
        active_households=len(active),
        population=population,
        groups=groups,
        results=[float(v) for v in a["result"]],
        months=months,
        spending=spending,
        budget=budget,
        per_resident=per_resident,
        warn_percent=_setting_number(ledger, "经费预警比例", None),
        budget_residents=base.residents if base is not None else None,
        budget_base=base.source if base is not None else "",
        redemptions=slips,
        points_redeemed=points,
        stars=int(a["star"].sum()), medals=int(a["medal"].sum()), red=int(a["red"].sum()),
        black=int(a["black"].sum()), vetoed=int(a["veto"].sum()), exposure=int(a["exposure"].sum()),
        moved_out=moved_out_count(ledger, annual, year),
    )


def _month_averages(ledger: Ledger, year: int) -> list[MonthAverage]:
    monthly = ledger.frame_or_empty(schema.MONTHLY.name)
    out = [MonthAverage(m, None, 0, {}) for m in range(1, 13)]
    if monthly.empty:
        return out
    month = _texts(monthly["月份"])
    mine = month.str.startswith(f"{year}-")
    if not mine.any():
        return out
    frame = pd.DataFrame({
        "month": month[mine].str[5:7].map(lambda s: int(s) if s.isdigit() else 0),
        "group": _texts(monthly.loc[mine, "组别"]),
        "total": _numbers(monthly.loc[mine, "总分"]),
    }).dropna(subset=["total"])
    frame = frame[frame["month"].between(1, 12)]
    village = frame.groupby("month")["total"].agg(["mean", "count"])
    by_group = frame.groupby(["month", "group"])["total"].mean()
    for (m, g), v in by_group.items():
        out[m - 1].groups[g or "（未分组）"] = round(float(v), 4)
    for m, row in village.iterrows():
        out[m - 1].village = round(float(row["mean"]), 4)
        out[m - 1].scored = int(row["count"])
    return out


def _spending(ledger: Ledger, year: int) -> tuple[list[float], int, float]:
    """Yuan redeemed per month of ``year`` (void slips left out), the number of slips, the points."""
    frame = ledger.frame_or_empty(schema.REDEMPTIONS.name)
    spending = [0.0] * 12
    if frame.empty:
        return spending, 0, 0.0
    dates = _texts(frame["日期"])
    status = _texts(frame["状态"]) if "状态" in frame else pd.Series([""] * len(frame), index=frame.index)
    mine = dates.str.startswith(f"{year}-") & (status != VOID)
    if not mine.any():
        return spending, 0, 0.0
    months = dates[mine].str[5:7].map(lambda s: int(s) if s.isdigit() else 0)
    yuan = _numbers(frame.loc[mine, "金额"]).fillna(0.0)
    for m, v in yuan.groupby(months).sum().items():
        if 1 <= m <= 12:
            spending[m - 1] = round(float(v), 4)
    slips = _texts(frame.loc[mine, "单号"])
    count = int(slips[slips != ""].nunique()) if len(slips) else 0
    points = float(_numbers(frame.loc[mine, "积分"]).fillna(0.0).sum())
    return spending, count, points


def _page_count(pdf: Path) -> int | None:
    """How many pages typst wrote (its page objects are not compressed); None when unsure."""
    import re

    try:
        data = Path(pdf).read_bytes()
    except OSError:
        return None
    pages = len(re.findall(rb"/Type\s*/Page(?![s\w])", data))
    return pages or None


def print_year_report(ledger_path: Path, year: int, *, out_pdf: Path, issued: dt.date,
                      printing: PrintOptions = PrintOptions()) -> YearReportResult:
    """Print the annual report for the town office; the ledger is only read."""
    out_pdf = guard_output(out_pdf, ledger_path, "-o")
    if out_pdf.suffix.lower() != ".pdf":
        raise UsageError(f"输出文件应以 .pdf 结尾：{out_pdf}")
    ledger = Ledger.open(ledger_path)
    report = build_year_report(ledger, year, issued)
    templates_dir, font = printing.paths(ledger)
    render_year_report(report, out_pdf, templates_dir=templates_dir, font=font)
    return YearReportResult(year, out_pdf, report.provisional, len(report.results), len(report.groups),
                            report.budget, sum(report.spending), _page_count(out_pdf),
                            report.budget_residents, report.budget_base)
