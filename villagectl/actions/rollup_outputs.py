"""The roll-up's town workbook: 全镇汇总 (one row a village and the 合计 row), 分组明细, 问题.

The PDF is ``render.rollup``'s; the figures are ``scoring.town``'s.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from villagectl.scoring.town import RollupResult

SUMMARY_SHEET = "全镇汇总"
GROUP_SHEET = "分组明细"
PROBLEM_SHEET = "问题"

SUMMARY_COLUMNS = (
    # (header, width, number format)
    ("年度", 7, "0"),
    ("村名", 12, "@"),
    ("台账文件", 28, "@"),
    ("户数", 7, "0"),
    ("人口", 8, "0"),
    ("年度获得积分", 12, "General"),
    ("积分余额", 10, "General"),
    ("兑换积分", 10, "General"),
    ("兑换金额(元)", 12, "0.00"),
    ("人均奖励经费(元)", 10, "General"),
    ("奖励经费(元)", 11, "0.00"),
    ("经费使用率(%)", 10, "0.0"),
    ("五星级文明户", 8, "0"),
    ("四星级文明户", 8, "0"),
    ("三星级文明户", 8, "0"),
    ("金牌户", 7, "0"),
    ("银牌户", 7, "0"),
    ("铜牌户", 7, "0"),
    ("红榜", 6, "0"),
    ("黑榜", 6, "0"),
    ("年度评定", 9, "@"),
    ("兑换数据来源", 10, "@"),
)
GROUP_COLUMNS = (
    ("年度", 7, "0"),
    ("村名", 12, "@"),
    ("台账文件", 28, "@"),
    ("组别", 12, "@"),
    ("户数", 7, "0"),
    ("人口", 8, "0"),
    ("年度获得积分", 12, "General"),
    ("户均获得积分", 12, "0.00"),
    ("积分余额", 10, "General"),
)
PROBLEM_COLUMNS = (
    ("文件", 36, "@"),
    ("级别", 7, "@"),
    ("问题", 80, "@"),
    ("处理", 10, "@"),
)
TOTAL_LABEL = "合计"


def _blank(value: Any) -> Any:
    return "" if value is None else value


def summary_rows(result: RollupResult) -> list[list[Any]]:
    """全镇汇总: one row per village, then the 合计 row (the column sums; 使用率 of the sums)."""
    rows = []
    for v in result.villages:
        rows.append([result.year, v.village, v.file, v.households, v.residents, v.earned, v.balance,
                     v.redeemed_points, v.redeemed_yuan, _blank(v.per_resident), _blank(v.budget),
                     _blank(v.budget_use), *v.stars, *v.medals, v.red, v.black, v.rating, v.redemption_source])
    t = result.totals
    rows.append([result.year, TOTAL_LABEL, f"{t.villages} 本台账", t.households, t.residents, t.earned, t.balance,
                 t.redeemed_points, t.redeemed_yuan, "", _blank(t.budget), _blank(t.budget_use),
                 *t.stars, *t.medals, t.red, t.black, "", ""])
    return rows


def group_rows(result: RollupResult) -> list[list[Any]]:
    rows = []
    for v in result.villages:
        for g in v.groups:
            rows.append([result.year, v.village, v.file, g.group, g.households, g.residents, g.earned,
                         _blank(g.average), g.balance])
    return rows


def problem_rows(result: RollupResult) -> list[list[Any]]:
    rows: list[list[Any]] = [[s.file, "错误", s.reason, "未汇总"] for s in result.skipped]
    rows += [[f, "警告", m, "已汇总"] for f, m in result.warnings]
    return rows


def write_workbook(result: RollupResult, out: Path) -> Path:
    """town.xlsx: 全镇汇总, 分组明细 (each: title row 1, header row 2, then the rows; the 合计 row last in
    全镇汇总; the signature lines two rows below), 问题 (header row 1). A new workbook made with openpyxl."""
    from villagectl.io.newbook import ColumnFormat, add_table_sheet, new_workbook, save_new

    def fmt(cols) -> list[ColumnFormat]:
        return [ColumnFormat(n, w, (), f) for n, w, f in cols]

    wb = new_workbook()
    # for the town office: a title row, borders, the 制表 / 审核 / 盖章 line, A4 (newbook.add_table_sheet)
    town = result.town
    signer = f"{town}人民政府" if town and not town.endswith(("政府", "办事处")) else town
    add_table_sheet(wb, SUMMARY_SHEET, fmt(SUMMARY_COLUMNS), summary_rows(result), tab_color="C00000",
                    title_line=f"{town}{result.year}年度各村乡村治理积分汇总", borders=True, signatures=signer,
                    bold_last_row=True)
    add_table_sheet(wb, GROUP_SHEET, fmt(GROUP_COLUMNS), group_rows(result), tab_color="4472C4",
                    title_line=f"{town}{result.year}年度各村分组积分明细", borders=True, signatures=signer)
    add_table_sheet(wb, PROBLEM_SHEET, fmt(PROBLEM_COLUMNS), problem_rows(result),
                    tab_color="FFC000" if result.skipped or result.warnings else "A5A5A5")
    save_new(wb, out)
    return out
