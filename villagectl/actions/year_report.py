"""``report year``: the annual report for the town office, built from the ledger.

It reads the ledger only (no lock, no write). When ``score year`` has not been run for the year, the
results are computed the same way without being saved, and the report says so. The aggregates are
``scoring/year_report.py``; no household names, IDs or phone numbers reach the report.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from villagectl import schema
from villagectl.actions.session import PrintOptions
from villagectl.actions.year_rows import moved_out_count, setting_number, year_rows
from villagectl.errors import DataError, UsageError
from villagectl.io.outputs import guard_output
from villagectl.ledger.budget import year_base
from villagectl.ledger.periods import rows_state
from villagectl.ledger.workbook import Ledger
from villagectl.render.year_report import YearReport, render_year_report
from villagectl.rules.settings import committee_of
from villagectl.scoring.year_report import month_averages, spending, year_totals


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
    totals = year_totals(annual, households)
    spent = spending(ledger.frame_or_empty(schema.REDEMPTIONS.name), year)
    per_resident = setting_number(ledger, "人均奖励经费", None)
    base = None
    if per_resident is not None:  # 常住人口 of the year: 参数, or 户籍 on 1 January (ledger/budget.py)
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
        active_households=totals.active_households,
        population=totals.population,
        groups=list(totals.groups),
        results=totals.results,
        months=month_averages(ledger.frame_or_empty(schema.MONTHLY.name), year),
        spending=spent.per_month,
        budget=budget,
        per_resident=per_resident,
        warn_percent=setting_number(ledger, "经费预警比例", None),
        budget_residents=base.residents if base is not None else None,
        budget_base=base.source if base is not None else "",
        redemptions=spent.slips,
        points_redeemed=spent.points,
        stars=totals.stars, medals=totals.medals, red=totals.red,
        black=totals.black, vetoed=totals.vetoed, exposure=totals.exposure,
        moved_out=moved_out_count(ledger, annual, year),
    )


def _page_count(pdf: Path) -> int | None:
    """How many pages typst wrote (its page objects are not compressed); None when unsure."""
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
