"""``forms redeem|vote|cadre``: blank forms a village fills by hand and the tool reads back as they are.

Each form uses the headers its importer looks for (importers/redeem_day.py, votes.py, cadre.py),
is pre-filled with who it is for (households, cadres), has room for more rows, a signature line and
a page footer for signing every printed page, and prints on A4.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from openpyxl.styles import Alignment, Border, Font, PatternFill, Side

from villagectl.actions.session import Session
from villagectl.errors import DataError, FileAccessError
from villagectl.io.newbook import new_workbook, put, save_new
from villagectl.io.outputs import guard_output
from villagectl import schema
from villagectl.ledger.households import is_active
from villagectl.ledger.workbook import Ledger
from villagectl.values import NotANumber, as_text, clean_text, fmt_number, group_key, to_number

THIN = Side(style="thin", color="666666")
BORDER = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
HEAD_FILL = PatternFill("solid", fgColor="E2EFDA")
REDEEM_ROWS = 40  # blank lines of a day's register
SPARE_ROWS = 3


def _sheet(wb, name: str, title: str, header: list[tuple[str, float]], rows: list[list], footer: str, signer: str):
    """A titled table with borders over ``rows`` (and blank rows), a footer line, A4 with header and signer on every page."""
    ws = wb.create_sheet(name)
    put(ws, 1, 1, title).font = Font(bold=True, size=15)
    ws.cell(1, 1).alignment = Alignment(horizontal="center", vertical="center")
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(header))
    ws.row_dimensions[1].height = 28
    for c, (label, width) in enumerate(header, start=1):
        cell = put(ws, 2, c, label)
        cell.font, cell.fill, cell.border = Font(bold=True), HEAD_FILL, BORDER
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        ws.column_dimensions[cell.column_letter].width = width
    for r, values in enumerate(rows, start=3):
        for c in range(1, len(header) + 1):
            value = values[c - 1] if c - 1 < len(values) else None
            cell = put(ws, r, c, value) if value not in (None, "") else ws.cell(r, c)
            cell.border = BORDER
            cell.alignment = Alignment(horizontal="center", vertical="center")
            if header[c - 1][0] in ("户号", "编号"):
                cell.number_format = "@"
        ws.row_dimensions[r].height = 20
    foot = 3 + len(rows) + 1
    put(ws, foot, 1, footer)
    ws.merge_cells(start_row=foot, start_column=1, end_row=foot, end_column=len(header))
    ws.freeze_panes = ws.cell(3, 1)
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = "landscape" if sum(w for _, w in header) > 95 else "portrait"
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
    ws.print_title_rows = "1:2"
    ws.oddFooter.center.text = "第 &P 页，共 &N 页"
    ws.oddFooter.left.text = signer
    return ws


def _limit(ws, column: int, first: int, last: int, top: float, name: str) -> None:
    """Scores from 0 to ``top`` in a column (Excel and WPS refuse others while typing)."""
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    letter = get_column_letter(column)
    dv = DataValidation(type="decimal", operator="between", formula1="0", formula2=fmt_number(top), allow_blank=True,
                        showErrorMessage=True, errorTitle="得分不对", error=f"{name} 得分应在 0 到 {fmt_number(top)} 之间",
                        showInputMessage=True, promptTitle=name, prompt=f"满分 {fmt_number(top)} 分")
    dv.add(f"{letter}{first}:{letter}{last}")
    ws.add_data_validation(dv)


def _save(wb, path: Path, force: bool) -> Path:
    if path.exists() and not force:
        raise FileAccessError(f"{path} 已存在；要覆盖请加 --force")
    path.parent.mkdir(parents=True, exist_ok=True)
    save_new(wb, path)
    return path


def _village(ledger: Ledger) -> str:
    return ledger.settings().get("村名", "")


def _households_by_group(ledger: Ledger) -> dict[str, list[dict]]:
    ledger.require(schema.HOUSEHOLDS.name)
    out: dict[str, list[dict]] = {}
    for row in ledger.frame(schema.HOUSEHOLDS.name).to_dict("records"):
        if clean_text(row.get("户号")) and is_active(row.get("状态")):
            out.setdefault(as_text(row.get("组别")) or "未分组", []).append(row)
    if not out:
        raise DataError("户籍表里没有在册的户，无法生成表；请先导入花名册（villagectl households import）")
    return dict(sorted(out.items(), key=lambda kv: group_key(kv[0]).zfill(4)))


def redeem_form(session: Session, *, out: Path, day: dt.date | None = None, force: bool = False) -> Path:
    """The shop's register for one day: date in the title, 物品 from 商品, 40 blank lines."""
    out = guard_output(out, session.path, "-o")
    day = day or session.day()
    with session.reading() as ledger:
        village = _village(ledger)
        shop = ledger.settings().get("超市名称", "") or "爱心超市"
        items = [as_text(n) for n in ledger.frame_or_empty(schema.SHOP.name).get("名称", []) if as_text(n)]
    wb = new_workbook()
    header = [("序号", 6), ("日期", 12), ("户号", 10), ("户主", 10), ("组别", 9), ("物品", 16), ("数量", 7),
              ("积分", 7), ("备注", 22)]
    rows = [[i + 1] for i in range(REDEEM_ROWS)]
    ws = _sheet(wb, "兑换登记", f"{village}{shop}{day.year}年{day.month}月{day.day}日兑换登记表", header, rows,
                "经办人：____________　　复核人：____________　　日期：______年____月____日", "经办人签字：")
    if items:
        from openpyxl.worksheet.datavalidation import DataValidation

        formula = '"' + ",".join(items) + '"'
        if len(formula) <= 255 and not any("," in i or '"' in i for i in items):  # Excel's inline list has no escapes
            dv = DataValidation(type="list", formula1=formula, allow_blank=True, showErrorMessage=False)
            dv.add(f"F3:F{2 + REDEEM_ROWS}")
            ws.add_data_validation(dv)
    put(ws, 3 + REDEEM_ROWS + 2, 1, "填法：每兑换一件物品写一行；同一户兑换几样可写几行，户号或户主写一次即可；"
        "日期不填时按标题的日期；积分可不填（按“商品”表的单价计算）").font = Font(size=9, color="666666")
    return _save(wb, out, force)


def vote_forms(session: Session, *, year: int, out_dir: Path, force: bool = False) -> list[Path]:
    """The year-end mutual evaluation tally (互评计票表), one per group: 投票数 and 不合格票 per household."""
    out_dir = guard_output(out_dir, session.path, "-o")
    with session.reading() as ledger:
        village, groups = _village(ledger), _households_by_group(ledger)
    paths = []
    for group, members in groups.items():
        wb = new_workbook()
        rows = [[i + 1, clean_text(h["户号"]), as_text(h["户主"]), group] for i, h in
                enumerate(sorted(members, key=lambda h: clean_text(h["户号"])))] + [[] for _ in range(SPARE_ROWS)]
        header = [("序号", 6), ("户号", 10), ("户主", 10), ("组别", 9), ("投票数", 9), ("不合格票", 10), ("备注", 20)]
        _sheet(wb, "互评计票", f"{village}{year}年度村民互评计票表（{group}）", header, rows,
               "计票人：____________　　监票人：____________　　日期：______年____月____日", "计票人、监票人签字：")
        paths.append(_save(wb, out_dir / f"{village}{group}{year}年度互评计票表.xlsx", force))
    return paths


def cadre_forms(session: Session, *, year: int, out_dir: Path, force: bool = False) -> list[Path]:
    """Scorecards per kind (村干部 / 村民代表: the year's 考核指标 with their maxima) and the 民主评议 tally."""
    out_dir = guard_output(out_dir, session.path, "-o")
    with session.reading() as ledger:
        ledger.require(schema.CADRES.name, schema.INDICATORS.name)
        village = _village(ledger)
        cadres = [r for r in ledger.frame(schema.CADRES.name).to_dict("records")
                  if clean_text(r.get("编号")) and clean_text(r.get("状态")) in ("在职", "")]
        indicators = _year_indicators(ledger, year)
    if not cadres:
        raise DataError("“干部”表里没有在职的村干部、村民代表，无法生成考核表")
    paths = []
    for kind in schema.CADRE_KINDS:
        people = [c for c in cadres if clean_text(c.get("类别")) == kind]
        items = [i for i in indicators if i[0] == kind]
        if not people or not items:
            continue
        wb = new_workbook()
        # the header is the indicator's own name (what cadre import matches); its maximum is in the cell check
        header = [("编号", 8), ("姓名", 10)] + [(name, 11) for _, name, _ in items]
        rows = [[clean_text(p["编号"]), as_text(p["姓名"])] for p in people]
        ws = _sheet(wb, "考核评分", f"{village}{year}年度{kind}考核评分表（各项满分：" +
                    "、".join(f"{name}{fmt_number(points)}分" for _, name, points in items) + "）", header, rows,
                    "考核人：____________　　日期：______年____月____日", "考核人签字：")
        ws.row_dimensions[1].height = 42
        ws.cell(1, 1).alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        for k, (_, name, points) in enumerate(items, start=3):
            _limit(ws, k, 3, 2 + len(rows), points, name)
        paths.append(_save(wb, out_dir / f"{village}{year}年度{kind}考核评分表.xlsx", force))
    wb = new_workbook()
    header = [("编号", 8), ("姓名", 10), ("类别", 10), ("优秀", 8), ("称职", 8), ("基本称职", 10), ("不称职", 8)]
    rows = [[clean_text(p["编号"]), as_text(p["姓名"]), as_text(p.get("类别"))] for p in cadres]
    _sheet(wb, "民主评议", f"{village}{year}年度村干部和村民代表民主评议计票表", header, rows,
           "计票人：____________　　监票人：____________　　日期：______年____月____日", "计票人、监票人签字：")
    paths.append(_save(wb, out_dir / f"{village}{year}年度民主评议计票表.xlsx", force))
    return paths


def _year_indicators(ledger: Ledger, year: int) -> list[tuple[str, str, float]]:
    """(对象, 名称, 满分) of the year's 指标 rows (actions.cadre.indicators_for: the rule of which rows apply)."""
    from villagectl.actions.cadre import indicators_for

    out = []
    for r in indicators_for(ledger, year).to_dict("records"):
        if clean_text(r.get("类型")) != "指标":
            continue
        try:
            points = to_number(r.get("满分"))  # as check and cadre import read it ("25分" is 25)
            if points is None:
                raise NotANumber("")
        except NotANumber:
            raise DataError(f"“考核指标”里 {as_text(r.get('指标'))} 的满分不是数字；请先运行 villagectl check") from None
        out.append((clean_text(r.get("对象")), as_text(r.get("指标")), points))
    return out
