"""The certificates (奖状) as a PDF: ``CertificateSet`` → ``certificate.typ.j2``, one landscape A4 page
per honoured household, in a PDF of its own beside the notice (``certificates_path``).

A certificate is handed to the household: it always carries the full name.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from villagectl.errors import DataError
from villagectl.render.typst_engine import render_pdf
from villagectl.render.year_notice import MEDAL_TITLES, STAR_TITLES

CERTIFICATE_TEMPLATE = "certificate.typ.j2"
CERTIFICATE_SUFFIX = "_奖状.pdf"


@dataclass
class Certificate:
    group: str
    name: str  # always the full name: a certificate is handed to the household
    title: str  # 五星级文明户 … (or 金牌户 … when the village rates medals only)


@dataclass
class CertificateSet:
    village: str
    year: int
    committee: str
    issued: dt.date
    certificates: list[Certificate]


def certificates_path(notice_pdf: Path) -> Path:
    """公示.pdf → 公示_奖状.pdf (beside it)."""
    notice_pdf = Path(notice_pdf)
    return notice_pdf.with_name(notice_pdf.stem + CERTIFICATE_SUFFIX)


def _honour_level(title: str) -> tuple[str, int]:
    """(kind, level) for the decoration: ("star", 5) … ("medal", 1 = gold)."""
    if title in STAR_TITLES:
        return "star", 5 - STAR_TITLES.index(title)
    if title in MEDAL_TITLES:
        return "medal", MEDAL_TITLES.index(title) + 1
    return "other", 0


def certificates_context(cset: CertificateSet) -> dict:
    rows = []
    for c in cset.certificates:
        kind, level = _honour_level(c.title)
        rows.append({"group": c.group, "name": c.name, "title": c.title, "kind": kind, "level": level})
    return {
        "village": cset.village,
        "year": cset.year,
        "committee": cset.committee,
        "issued": cset.issued,
        "certificates": rows,
        "title": f"{cset.village}{cset.year}年度文明户奖状",
    }


def render_certificates(cset: CertificateSet, out_pdf: Path, templates_dir: Path | None = None,
                        font: Path | None = None) -> Path:
    if not cset.certificates:
        raise DataError(f"{cset.year} 年度没有获得星级（或牌级）的农户，没有奖状可打印")
    return render_pdf(CERTIFICATE_TEMPLATE, certificates_context(cset), Path(out_pdf), templates_dir=templates_dir,
                      font=font)
