"""The end of every notice: 公示期, 异议, 落款 and the date it was issued, the same for each of them.

Every notice's view model carries ``period_start``, ``period_end``, ``objection_text``, ``committee`` and
``issued``; its template gets them under these names from ``footer_context`` (templates/README.md).
"""

from __future__ import annotations

from villagectl.errors import DataError
from villagectl.render.typst_engine import cn_date


def footer_context(notice) -> dict:
    """The footer's variables of ``notice``; a period that ends before it starts is refused (DataError)."""
    if notice.period_end < notice.period_start:
        raise DataError(f"公示期结束日 {cn_date(notice.period_end)} 早于开始日 {cn_date(notice.period_start)}")
    return {
        "period_start": notice.period_start,
        "period_end": notice.period_end,
        "objection_text": notice.objection_text,
        "committee": notice.committee,
        "issued": notice.issued,
    }
