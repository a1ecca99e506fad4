"""The town's roll-up as an A4 (landscape) PDF: one table row per village, the 合计 row, notes.

A town of up to about 25 villages fits on one page, 60 on two; more villages
continue on further pages with the table header repeated.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING, Any

from villagectl.render.typst_engine import format_number, render_pdf, text_em

if TYPE_CHECKING:  # pragma: no cover
    from villagectl.scoring.town import RollupResult

TEMPLATE = "rollup.typ.j2"
MAX_LISTED_PROBLEMS = 15


def points_text(value: float | int | None) -> str:
    return "" if value is None else format_number(round(float(value), 4))


def money_text(value: float | None) -> str:
    return "" if value is None else f"{value:,.2f}"


def percent_text(value: float | None) -> str:
    return "" if value is None else f"{value:.1f}%"


def default_title(year: int, town: str = "") -> str:
    return f"{town}{year}年度各村乡村治理积分汇总"


def rollup_context(result: "RollupResult", title: str = "", today: dt.date | None = None) -> dict[str, Any]:
    """What the template gets: every figure already formatted as text."""
    rows = []
    for i, v in enumerate(result.villages, start=1):
        rows.append({
            "no": str(i),
            "village": v.village,
            "file": v.file,
            "households": str(v.households),
            "residents": str(v.residents),
            "earned": points_text(v.earned),
            "balance": points_text(v.balance),
            "redeemed_points": points_text(v.redeemed_points),
            "redeemed_yuan": money_text(v.redeemed_yuan),
            "budget": money_text(v.budget),
            "budget_use": percent_text(v.budget_use),
            "stars": [str(n) for n in v.stars],
            "medals": [str(n) for n in v.medals],
            "red": str(v.red),
            "black": str(v.black),
            "rating": v.rating,
        })
    t = result.totals
    totals = {
        "villages": str(t.villages),
        "households": str(t.households),
        "residents": str(t.residents),
        "earned": points_text(t.earned),
        "balance": points_text(t.balance),
        "redeemed_points": points_text(t.redeemed_points),
        "redeemed_yuan": money_text(t.redeemed_yuan),
        "budget": money_text(t.budget),
        "budget_use": percent_text(t.budget_use),
        "stars": [str(n) for n in t.stars],
        "medals": [str(n) for n in t.medals],
        "red": str(t.red),
        "black": str(t.black),
    }
    skipped = [{"file": s.file, "reason": s.reason} for s in result.skipped]
    # fixed column widths (the table prints in two parts: the rows, then the last rows with the 落款);
    # 0 marks 村名, which takes the rest of the line
    columns = [("序号", lambda r: r["no"]), ("", None), ("户数", lambda r: r["households"]), ("人口", lambda r: r["residents"]),
               ("年度获得积分", lambda r: r["earned"]), ("积分余额", lambda r: r["balance"]),
               ("兑换积分", lambda r: r["redeemed_points"]), ("兑换金额（元）", lambda r: r["redeemed_yuan"]),
               ("奖励经费（元）", lambda r: r["budget"]), ("经费使用率", lambda r: r["budget_use"])]
    columns += [(label, lambda r, k=k: r["stars"][k]) for k, label in enumerate(("五星", "四星", "三星"))]
    columns += [(label, lambda r, k=k: r["medals"][k]) for k, label in enumerate(("金牌", "银牌", "铜牌"))]
    columns += [("红榜", lambda r: r["red"]), ("黑榜", lambda r: r["black"]), ("年度评定", lambda r: r.get("rating", ""))]
    widths = []
    for header, value in columns:
        if value is None:
            widths.append(0)
            continue
        texts = [value(r) for r in rows] + [value({**totals, "no": "", "rating": ""})]
        widest = max([text_em(header) * 8.5 / 9 + 0.1, *(text_em(t) + 0.1 for t in texts)])
        widths.append(round(widest + 6 / 9 + 0.1, 2))
    tail = min(2, len(rows))
    town = getattr(result, "town", "") or ""
    moved = [{"village": v.village, "households": "、".join(v.moved_away)} for v in result.villages if v.moved_away]
    return {
        "title": title or default_title(result.year, town),
        "town": town,
        "signer": f"{town}人民政府" if town and not town.endswith(("政府", "办事处")) else town,
        "moved": moved,
        "year": result.year,
        "file_count": str(result.files),
        "village_count": str(len(result.villages)),
        "skipped_count": str(len(result.skipped)),
        "warning_count": str(len(result.warnings)),
        "rows": rows,
        "main_rows": rows[: len(rows) - tail],
        "tail_rows": rows[len(rows) - tail:],
        "widths": widths,
        "totals": totals,
        "skipped": skipped[:MAX_LISTED_PROBLEMS],
        "skipped_more": str(max(0, len(skipped) - MAX_LISTED_PROBLEMS)),
        "workbook": result.output.name if result.output else "",
        "issued": today or dt.date.today(),
    }


def render_rollup_pdf(
    result: "RollupResult",
    out: Path,
    font: Path | None = None,
    templates_dir: Path | None = None,
    title: str = "",
    today: dt.date | None = None,
) -> Path:
    today = today or dt.date.today()
    context = rollup_context(result, title, today)
    return render_pdf(TEMPLATE, context, Path(out), templates_dir=templates_dir, font=font)
