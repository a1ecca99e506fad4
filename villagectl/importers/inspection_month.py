"""The month an inspection sheet is for: from its titles and file name (``inspection.py`` collects the mentions),
a quarter's sheet under the quarter's last month, or ``--month``; one month per file or a message saying why not."""

from __future__ import annotations

from villagectl.errors import Location, Problem
from villagectl.importers.inspection_scores import INFO, Context, FileResult
from villagectl.ledger.quarters import quarter_months, quarter_period


def quarter_month(result: FileResult, quarters: dict[tuple[int, int], str], months: dict[str, str], ctx: Context) -> None:
    """A sheet titled by its quarter ('2027年第二季度') is that quarter's, kept under its last month as the
    quarterly forms are (the title of ``inspect forms --quarter`` says so: （6月）); only where some item is
    inspected by the quarter — in a monthly scheme a quarter's sheet is refused by ``settle_month``."""
    if "季" not in ctx.periods or len(quarters) > 1:
        return
    ((year, quarter), source), = quarters.items()
    if ctx.month in quarter_months(year, quarter):
        return  # --month 2025-11 for a sheet of 第四季度: as the clerk says
    month = quarter_months(year, quarter)[-1]
    months[month] = source
    result.problems.append(Problem(Location(result.file), f"{source}写的是 {quarter_period(year, quarter)}，按 {month} 导入（季度的得分记在季度的最后一个月）", INFO))


def settle_month(result: FileResult, months: dict[str, str], ctx: Context) -> None:
    where = Location(result.file)
    if ctx.month:
        for month, source in months.items():
            if month != ctx.month:
                result.problems.append(
                    Problem(where, f"{source}写的是 {month}，与 --month {ctx.month} 不符；请核对是不是发错了月份")
                )
        result.month = ctx.month
        return
    distinct = list(dict.fromkeys(months))
    if len(distinct) > 1:
        found = "、".join(f"{source} {m}" for m, source in months.items())
        result.problems.append(Problem(where, f"月份不一致（{found}），请用 --month 指定"))
        return
    if not distinct:
        result.problems.append(Problem(where, "标题和文件名里都找不到月份，请用 --month 指定（如 --month 2026-07）"))
        return
    result.month = distinct[0]
