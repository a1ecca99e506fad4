"""``notice year``: the annual public notice of the 年度评定 results (and, with ``certificates``, a PDF of certificates).

Printing it opens the year's notice period: the 期间 sheet gets (or updates) the row ``"2026年度"`` with
状态 公示, 公示开始 and 公示截止, and the year's 年度评定 rows get 状态 公示 — the same bookkeeping
``notice month`` does for a month. A reprint after ``post year`` (状态 入账) changes nothing in the ledger.

Who is listed and who gets a certificate is ``scoring/year_notice.py``; only printable values are handed to
the renderers (render/year_notice.py, render/certificates.py): never ID-card or phone numbers, vote counts, veto reasons or 备注.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from villagectl import schema
from villagectl.actions.session import PrintOptions, Session
from villagectl.actions.year_rows import (
    group_rows,
    moved_out_count,
    period_name,
    scored_rows,
    year_presence_of,
    year_rows,
    yes_no,
)
from villagectl.errors import DataError, UsageError
from villagectl.io.outputs import guard_output
from villagectl.io.staged import StagedOutputs
from villagectl.ledger.periods import NOTICE, POSTED, rows_state, with_period
from villagectl.ledger.workbook import Ledger
from villagectl.render.certificates import Certificate, CertificateSet, certificates_path, render_certificates
from villagectl.render.year_notice import BlackRow, ExposureRow, HonourRow, YearNotice, render_year_notice
from villagectl.render.notice import mask_name
from villagectl.rules.settings import committee_of, objection_of
from villagectl.scoring.annual import RatingSettings, cut_positions_text
from villagectl.scoring.year_notice import BLACK, RED, certificate_rows, listing
from villagectl.values import clean_text


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


def build_year_notice(ledger: Ledger, year: int, start: dt.date, mask: bool | None = None,
                      group: str | None = None) -> YearNotice:
    """The notice's printable data from the year's 年度评定 rows and the settings (one group's with ``group``)."""
    settings = ledger.settings()
    village_rows = scored_rows(ledger, year)
    rows, group_name = group_rows(ledger, village_rows, group, year)
    ratings = RatingSettings.from_settings(settings).ratings
    stars: list[HonourRow] = []
    medals: list[HonourRow] = []
    red: list[HonourRow] = []
    black: list[BlackRow] = []
    exposure: list[ExposureRow] = []
    listed: list[tuple[object, str]] = []  # (printed row, 户号), for telling apart masked names
    for r in rows.to_dict("records"):
        x = listing(r)
        printed: list[object] = []
        if x.star:
            stars.append(HonourRow(x.group, x.name, x.result, x.rank, x.star))
            printed.append(stars[-1])
        if x.medal:
            medals.append(HonourRow(x.group, x.name, x.result, x.rank, x.medal))
            printed.append(medals[-1])
        if x.board == RED:
            red.append(HonourRow(x.group, x.name, x.result, x.rank, RED))
            printed.append(red[-1])
        elif x.board == BLACK:
            black.append(BlackRow(x.group, x.name))
        if x.exposure_months > 0:
            exposure.append(ExposureRow(x.group, x.name, x.exposure_months))
            printed.append(exposure[-1])
        listed.extend((row, x.household_id) for row in printed)
    masked = mask if mask is not None else settings.get("公示隐藏名字", "否") == "是"
    if masked:
        distinguish_masked(listed)
    days = ledger.village_settings().notice_days
    return YearNotice(
        village=settings.get("村名", ""),
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
        show_exposure=yes_no(ledger, "曝光台上公示", True),
        mask_names=masked,
        moved_out=moved_out_count(ledger, rows, year),
        base_line=rating_base_line(ledger, village_rows, settings, year),  # the cuts are the village's
        group=group_name,
    )


def rating_base_line(ledger: Ledger, rows, settings: dict[str, str], year: int) -> str:
    """'评定基数：全村30户……前10%为第1至3名……': the N of "前10%" and the cut positions (docs/presets.md)."""
    return cut_positions_text(RatingSettings.from_settings(settings), rows.to_dict("records"),
                              set(year_presence_of(ledger, year).during))


def distinguish_masked(listed: list[tuple[object, str]]) -> None:
    """Printed rows whose masked names two households share get their 户号 (``distinguish``): 张*明（ZP012）.

    A household on several lists counts once; the black list (group and name only, seed 004) is left out.
    """
    households: dict[str, set[str]] = {}
    for row, hid in listed:
        households.setdefault(mask_name(row.name), set()).add(hid or row.name)
    for row, hid in listed:
        if hid and len(households[mask_name(row.name)]) > 1:
            row.distinguish = hid


def build_certificates(ledger: Ledger, year: int, issued: dt.date, group: str | None = None) -> CertificateSet:
    """One certificate per star household; a village that rates medals only gets one per medal household."""
    settings = ledger.settings()
    rows, _ = group_rows(ledger, scored_rows(ledger, year), group, year)
    rates_stars = "星级" in RatingSettings.from_settings(settings).ratings
    certs = [Certificate(x.group, x.name, title) for x, title in certificate_rows(rows.to_dict("records"), rates_stars)]
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
    state = rows_state(year_rows(ledger, year))
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
