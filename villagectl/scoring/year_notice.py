"""Who the annual notice lists and who gets a certificate, from the year's 年度评定 rows.

Pure: records (dicts of a 年度评定 row) in, each household's places on the notice out (no ledger, no
files). ``actions/year_notice.py`` turns them into the printable rows of ``render.year_notice``.
"""

from __future__ import annotations

from dataclasses import dataclass

from villagectl.scoring.annual import MEDALS, STARS
from villagectl.values import NotANumber, as_text, clean_text, to_number

RED, BLACK = "红榜", "黑榜"


def number(value: object) -> float | None:
    try:
        return to_number(value)
    except NotANumber:
        return None


def whole(value: object, default: int = 0) -> int:
    n = number(value)
    return int(n) if n is not None else default


@dataclass
class Listing:
    """One household's places on the year's notice (its row as printed: 组别 and 户主 as typed)."""

    household_id: str
    group: str
    name: str
    result: float
    rank: int
    star: str  # a STARS title, or ""
    medal: str  # a MEDALS title, or ""
    board: str  # RED, BLACK or ""
    exposure_months: int  # months on the 曝光台 during the year (0: not listed)


def listing(record: dict) -> Listing:
    star, medal, board = clean_text(record.get("星级")), clean_text(record.get("牌级")), clean_text(record.get("榜单"))
    return Listing(
        household_id=clean_text(record.get("户号")),
        group=as_text(record.get("组别")),
        name=as_text(record.get("户主")),
        result=number(record.get("年度积分")) or 0.0,
        rank=whole(record.get("名次")),
        star=star if star in STARS else "",
        medal=medal if medal in MEDALS else "",
        board=board if board in (RED, BLACK) else "",
        exposure_months=max(whole(record.get("曝光台")), 0),
    )


def certificate_rows(records: list[dict], rates_stars: bool) -> list[tuple[Listing, str]]:
    """(household, title) per certificate, by 名次 then 户号: one per star household; a village that
    rates medals only (``rates_stars`` False and no star) gets one per medal household."""
    rows = sorted((listing(r) for r in records), key=lambda x: (x.rank, x.household_id))
    certs = [(x, x.star) for x in rows if x.star]
    if not certs and not rates_stars:
        certs = [(x, x.medal) for x in rows if x.medal]
    return certs
