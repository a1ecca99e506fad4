"""The annual public notice (年度公示) as a PDF: ``YearNotice`` → ``notice_year.typ.j2``.

The renderer gets only what is printed. The dataclasses have no field for an ID-card number, a phone
number, a household's vote counts, a veto reason or the clerk's 备注: those cannot reach a template,
whatever the template says.

Star households, medal households and the red list; then, on a page of its own, the black list (组别,
户主 and the consequence only — seed 004) and the year's 曝光台 households (name and number of months)
when the village publishes them; every part ends with the notice period, the objection text and the
committee's signature, like the monthly notice.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from villagectl.render.notice import group_sort_key, mask_name
from villagectl.render.typst_engine import render_pdf
from villagectl.render.notice_footer import footer_context

NOTICE_TEMPLATE = "notice_year.typ.j2"

STAR_TITLES = ("五星级文明户", "四星级文明户", "三星级文明户")
MEDAL_TITLES = ("金牌户", "银牌户", "铜牌户")
BLACK_CONSEQUENCE = "不享受村级优惠政策"


@dataclass
class HonourRow:
    """A household on a published list: where it stands and what it earned."""

    group: str
    name: str
    result: float  # 年度积分
    rank: int  # 全村名次
    title: str  # 五星级文明户 / 金牌户 / 红榜
    distinguish: str = ""  # with names masked and another household reading the same: its 户号, printed after the name


@dataclass
class BlackRow:
    """Seed 004 allows the black list to show the group and the name; nothing else about the household."""

    group: str
    name: str


@dataclass
class ExposureRow:
    group: str
    name: str
    months: int  # months on the 曝光台 during the year
    distinguish: str = ""


def households_text(households: int, moved_out: int, scope: str = "全村") -> str:
    """'全村64户（年内迁出1户）' ('本组14户' for one group's notice): the year's households as they were, each counted once."""
    return f"{scope}{households}户" + (f"（年内迁出{moved_out}户）" if moved_out else "")


@dataclass
class YearNotice:
    village: str
    year: int
    households: int  # households rated/ranked this year
    stars: list[HonourRow]
    medals: list[HonourRow]
    red: list[HonourRow]
    black: list[BlackRow]
    exposure: list[ExposureRow]
    period_start: dt.date
    period_end: dt.date
    objection_text: str
    committee: str
    issued: dt.date
    show_stars: bool = True  # the village rates stars (参数 年度评定方式)
    show_medals: bool = True
    show_exposure: bool = True  # 参数 曝光台上公示
    mask_names: bool = False
    moved_out: int = 0  # of ``households``: moved out (迁出 / 注销) during the year, counted once, in the year's rows
    base_line: str = ""  # whose 10 %: '评定基数：全村30户…' (参数 评定基数, the cut positions, the tie rule)
    group: str = ""  # one group's notice (notice year --group): the roster's spelling, printed after the village


def _tiers(rows: list[HonourRow], titles: tuple[str, ...], masked) -> list[dict]:
    out = []
    for title in titles:
        members = sorted((r for r in rows if r.title == title), key=lambda r: (r.rank, group_sort_key(r.group), r.name))
        out.append({"title": title, "count": len(members), "rows": [_honour(r, masked) for r in members]})
    return out


def _shown_names(notice: "YearNotice"):
    """name(row) → the name as printed: masked when the village says so, with the row's ``distinguish``
    (the 户号 the action adds when two masked names would read the same: 张*明（ZP012）)."""
    if not notice.mask_names:
        return lambda row: row.name

    def shown(row) -> str:
        tag = getattr(row, "distinguish", "")  # the black list shows only the group and the name (seed 004)
        return f"{mask_name(row.name)}（{tag}）" if tag else mask_name(row.name)

    return shown


def _honour(row: HonourRow, name) -> dict:
    return {"group": row.group, "name": name(row), "result": row.result, "rank": row.rank, "title": row.title}


def _pairs(rows: list[dict]) -> list[list[dict]]:
    """Two households per table row (read left to right, then down)."""
    return [rows[i : i + 2] for i in range(0, len(rows), 2)]


def year_notice_context(notice: YearNotice) -> dict:
    """The variables ``notice_year.typ.j2`` gets (see templates/README.md)."""
    masked = notice.mask_names
    name = _shown_names(notice)
    stars = _tiers(notice.stars, STAR_TITLES, name)
    medals = _tiers(notice.medals, MEDAL_TITLES, name)
    for tier in stars + medals:
        tier["pairs"] = _pairs(tier["rows"])
    red = [_honour(r, name) for r in sorted(notice.red, key=lambda r: (r.rank, group_sort_key(r.group), r.name))]
    black = [{"group": b.group, "name": name(b), "consequence": BLACK_CONSEQUENCE}
             for b in sorted(notice.black, key=lambda b: (group_sort_key(b.group), b.name))]
    exposure = []
    if notice.show_exposure:
        exposure = [{"group": e.group, "name": name(e), "months": e.months}
                    for e in sorted(notice.exposure, key=lambda e: (group_sort_key(e.group), -e.months, e.name))]
    sections = []
    if notice.show_stars:
        sections.append("stars")
    if notice.show_medals:
        sections.append("medals")
    sections.append("red")
    numerals = "一二三四五六七八九十"
    place = notice.village + notice.group
    return {
        "title": f"{place}{notice.year}年度文明户评定结果公示",
        "black_title": f"{place}{notice.year}年度诚信黑榜公示" if black
        else f"{place}{notice.year}年度曝光台情况公示",
        "village": notice.village,
        "year": notice.year,
        "households": notice.households,
        "base_line": notice.base_line,
        "moved_out": notice.moved_out,
        "households_text": households_text(notice.households, notice.moved_out, "本组" if notice.group else "全村"),
        "group": notice.group,
        "sections": sections,
        "numbers": {name: numerals[i] for i, name in enumerate(sections)},
        "stars": stars,
        "star_count": sum(t["count"] for t in stars),
        "medals": medals,
        "medal_count": sum(t["count"] for t in medals),
        "red": red,
        "red_pairs": _pairs(red),
        # the last pair rows print with the 公示期 / 异议 / 落款 block (kept together on one page)
        "red_main": _pairs(red)[:-2],
        "red_tail": _pairs(red)[-2:],
        "black": black,
        "exposure": exposure,
        "show_exposure": notice.show_exposure,
        "warning_page": bool(black or exposure),
        "black_consequence": BLACK_CONSEQUENCE,
        "mask_names": masked,
        **footer_context(notice),  # 公示期, 异议, 落款 (render/notice_footer.py)
    }


def render_year_notice(notice: YearNotice, out_pdf: Path, templates_dir: Path | None = None,
                       font: Path | None = None) -> Path:
    """Print the annual notice to ``out_pdf`` (A4, written atomically); return the path."""
    return render_pdf(NOTICE_TEMPLATE, year_notice_context(notice), Path(out_pdf), templates_dir=templates_dir, font=font)
