"""The year-end documents' old import path: ``notice year`` is actions/year_notice.py, ``report year``
actions/year_report.py (the ledger reads they share: actions/year_rows.py; the pure parts:
scoring/year_notice.py, scoring/year_report.py). The names stay importable here for scripts."""

from villagectl.actions.year_notice import (  # noqa: F401
    YearNoticeResult,
    build_certificates,
    build_year_notice,
    distinguish_masked,
    print_year_notice,
    rating_base_line,
)
from villagectl.actions.year_report import YearReportResult, build_year_report, print_year_report  # noqa: F401
from villagectl.actions.year_rows import moved_out_count, period_name, year_presence_of, year_rows  # noqa: F401
from villagectl.ledger.periods import rows_state  # noqa: F401
