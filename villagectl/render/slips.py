"""Redemption slips (兑换单) with their stubs (存根), four to an A4 page.

The renderer gets only what is printed: the slip number, date, household
number and head's name, the items, points, yuan, balances, the verification
code and the QR payload. It never receives the ledger's secret (the code is
computed by the caller), nor ID-card or phone numbers (the dataclasses have
no such fields).

QR codes are made with segno (error level M, a fixed mask pattern: choosing
the best mask costs about 4× the time and a fixed one still scans) and drawn
as one SVG path each, embedded in the typst document.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import segno

from villagectl.errors import DataError
from villagectl.render.typst_engine import cn_date, format_number, render_pdf

TEMPLATE = "slips.typ.j2"
SLIPS_PER_PAGE = 4
MAX_LINES = 12  # items on one slip (more do not fit a quarter of an A4 page)
QR_MASK = 2  # fixed mask pattern (any of 0–7 decodes; fixing it avoids scoring all eight)


@dataclass
class SlipLine:
    item: str
    qty: float
    unit: str
    unit_points: float
    points: float
    yuan: float


@dataclass
class Slip:
    number: str  # 单号, DH2026-000123
    date: dt.date
    household_id: str
    name: str  # 户主
    lines: list[SlipLine]
    points: float
    yuan: float
    balance_before: float
    balance_after: float
    code: str  # the verification code as printed, "ABCDE-FGHJK"
    payload: str  # the QR code's text
    operator: str = ""
    reprint: bool = False  # 补打


@dataclass
class SlipSheet:
    village: str
    shop: str  # "爱心超市"
    slips: list[Slip] = field(default_factory=list)
    issued: dt.date | None = None


def money(value: float) -> str:
    """60 → "60.00"."""
    return f"{value:.2f}"


def qr_path(payload: str) -> tuple[int, str]:
    """(modules per side, SVG path data) of the payload's QR code, without the quiet zone."""
    qr = segno.make_qr(payload, error="m", mask=QR_MASK, boost_error=False)
    matrix = qr.matrix
    parts: list[str] = []
    for y, row in enumerate(matrix):
        x, n = 0, len(row)
        while x < n:
            if row[x] & 1:
                start = x
                while x < n and row[x] & 1:
                    x += 1
                parts.append(f"M{start} {y}h{x - start}v1h-{x - start}z")
            else:
                x += 1
    return len(matrix), "".join(parts)


def items_summary(lines: list[SlipLine]) -> str:
    """"食用油×1、毛巾×2" (the journal's 摘要 and the stub use the same words)."""
    return "、".join(f"{line.item}×{format_number(line.qty)}" for line in lines)


def stub_summary(lines: list[SlipLine], limit: int = 40) -> str:
    """The items for the narrow stub: all of them when short, else the first ones and "等N种"."""
    full = items_summary(lines)
    if len(full) <= limit:
        return full
    shown: list[SlipLine] = []
    for line in lines:
        if len(items_summary(shown + [line])) > limit - 5:
            break
        shown.append(line)
    return f"{items_summary(shown or lines[:1])} 等{len(lines)}种"


def slip_context(sheet: SlipSheet, on_slip: Callable[[Slip], None] | None = None) -> dict:
    """The variables the template gets (see templates/README.md)."""
    if not sheet.slips:
        raise DataError("没有要打印的兑换单")
    slips = []
    for slip in sheet.slips:
        if not slip.lines:
            raise DataError(f"兑换单 {slip.number} 没有物品")
        if len(slip.lines) > MAX_LINES:
            raise DataError(f"兑换单 {slip.number} 有 {len(slip.lines)} 种物品，一张兑换单最多 {MAX_LINES} 种，请分成几次兑换")
        size, path = qr_path(slip.payload)
        slips.append(
            {
                "number": slip.number,
                "date": cn_date(slip.date),
                "household_id": slip.household_id,
                "name": slip.name,
                "lines": [
                    {
                        "item": line.item,
                        "qty": format_number(line.qty),
                        "unit": line.unit,
                        "unit_points": format_number(line.unit_points),
                        "points": format_number(line.points),
                        "yuan": money(line.yuan),
                    }
                    for line in slip.lines
                ],
                "summary": items_summary(slip.lines),
                "stub_summary": stub_summary(slip.lines),
                "points": format_number(slip.points),
                "yuan": money(slip.yuan),
                "balance_before": format_number(slip.balance_before),
                "balance_after": format_number(slip.balance_after),
                "code": slip.code,
                "qr_size": size,
                "qr_path": path,
                "operator": slip.operator,
                "reprint": slip.reprint,
            }
        )
        if on_slip is not None:
            on_slip(slip)
    return {
        "village": sheet.village,
        "shop": sheet.shop,
        "title": f"{sheet.village}{sheet.shop}积分兑换单",
        "slips": slips,
        "per_page": SLIPS_PER_PAGE,
        "issued": cn_date(sheet.issued) if sheet.issued else "",
    }


def render_slips(
    sheet: SlipSheet,
    out_pdf: Path,
    templates_dir: Path | None = None,
    font: Path | None = None,
    on_slip: Callable[[Slip], None] | None = None,
) -> Path:
    """Print the slips to ``out_pdf`` (A4, four to a page, written atomically); return the path."""
    return render_pdf(TEMPLATE, slip_context(sheet, on_slip), Path(out_pdf), templates_dir=templates_dir, font=font)
