"""``inspect import --report``: every problem, every file and every header reading in a workbook to send back."""

from __future__ import annotations

from pathlib import Path

from villagectl.io.newbook import ColumnFormat, add_table_sheet, new_workbook, save_new


def write_problem_report(path: Path, out) -> Path:
    """Every problem in a workbook the clerk can send back to the grid worker."""
    wb = new_workbook()
    columns = [ColumnFormat("文件", 28), ColumnFormat("工作表", 12), ColumnFormat("单元格", 14),
               ColumnFormat("问题", 70), ColumnFormat("类别", 6)]
    rows = [[p.location.file, p.location.sheet, p.location.cell, p.message, p.severity] for p in out.problems]
    add_table_sheet(wb, "问题清单", columns, rows, title_line="检查表问题清单（改正后请重新发来）")
    summary = [[f.file, f.month or "", "、".join(f.groups), f.households, f.status,
                sum(1 for p in f.problems if p.severity == "错误")] for f in out.files]
    add_table_sheet(wb, "文件汇总", [ColumnFormat("文件", 28), ColumnFormat("月份", 9), ColumnFormat("组别", 14),
                                    ColumnFormat("户数", 6), ColumnFormat("结果", 8), ColumnFormat("错误数", 7)], summary)
    # how each header was read where it was not by the item's own name, and what was skipped: for checking by eye
    readings = [[f.file, r.sheet, r.cell, r.header, f"{r.item}（{r.code}）", r.certainty, r.reason]
                for f in out.files for r in f.readings]
    readings += [[f.file, n.location.sheet, n.location.cell, "", "", "读表说明", n.message] for f in out.files for n in f.notes]
    add_table_sheet(wb, "表头读法", [ColumnFormat("文件", 28), ColumnFormat("工作表", 12), ColumnFormat("单元格", 10),
                                    ColumnFormat("表头", 30), ColumnFormat("认作", 16), ColumnFormat("确定程度", 8),
                                    ColumnFormat("依据", 50)], readings)
    save_new(wb, path)
    return path
