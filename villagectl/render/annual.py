"""The year-end documents' old import path. Each document has its own module now:

- ``render.year_notice``: the annual public notice (年度公示, ``YearNotice``);
- ``render.certificates``: the certificates (奖状, ``CertificateSet``);
- ``render.year_report``: the annual report for the town office (年度工作报告, ``YearReport``).

The names stay importable here (``villagectl.render.annual``) for scripts and the tests written before the split.
"""

from villagectl.render.certificates import (  # noqa: F401
    CERTIFICATE_SUFFIX,
    CERTIFICATE_TEMPLATE,
    Certificate,
    CertificateSet,
    certificates_context,
    certificates_path,
    render_certificates,
)
from villagectl.render.year_notice import (  # noqa: F401
    BLACK_CONSEQUENCE,
    MEDAL_TITLES,
    NOTICE_TEMPLATE,
    STAR_TITLES,
    BlackRow,
    ExposureRow,
    HonourRow,
    YearNotice,
    households_text,
    render_year_notice,
    year_notice_context,
)
from villagectl.render.year_report import (  # noqa: F401
    GROUP_STYLES,
    MAX_GROUP_LINES,
    MONTH_LABELS,
    REPORT_TEMPLATE,
    GroupSummary,
    MonthAverage,
    YearReport,
    histogram,
    nice_axis,
    nice_step,
    render_year_report,
    report_context,
)
