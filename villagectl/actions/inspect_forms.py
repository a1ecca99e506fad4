"""``inspect forms``: one pre-filled inspection workbook per group, for the grid workers."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from openpyxl.styles import Alignment, Border, Font, PatternFill, Protection, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from villagectl.ledger.inspections import inspection_rules
from villagectl.errors import DataError, FileAccessError, Location, Problem, UsageError
from villagectl.io.outputs import guard_output, guard_outputs
from villagectl.io.newbook import new_workbook, put, put_formula, save_new
from villagectl import schema
from villagectl.ledger.households import is_active
from villagectl.ledger.quarters import quarter_months, quarter_period
from villagectl.ledger.workbook import Ledger
from villagectl.render.notice import group_sort_key
from villagectl.values import as_text, clean_name, clean_text, fmt_number, group_key

THIN = Side(style="thin", color="666666")
BORDER = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
HEAD_FILL = PatternFill("solid", fgColor="E2EFDA")
CAT_FILL = PatternFill("solid", fgColor="C6E0B4")


def month_title(month: str) -> str:
    year, mon = month.split("-")
    return f"{year}年{int(mon)}月"


def _safe_file_name(text: str) -> str:
    return "".join(ch for ch in text if ch not in '\\/:*?"<>|').strip() or "表"


def _column_letter(frame, column: str) -> str:
    return get_column_letter(list(frame.columns).index(column) + 1) if column in frame.columns else ""


@dataclass(frozen=True)
class FormKind:
    """What a set of forms is for: a month (every item), a quarter (the 季 items) or the year-end review (年)."""

    month: str  # the 检查记录 month the filled forms are imported under (stated in the title)
    label: str  # '2026年7月', '2026年第一季度', '2026年度'
    title_tail: str  # after village + group
    periods: tuple[str, ...] = ()  # the 周期 of the items on the form; () for every item
    footer: str = "检查人：____________    户主确认：____________    日期：______年____月____日"
    signer: str = "检查人签字："


SPARE_ROWS = 3  # blank rows at the end of each form, for households added after printing
REVIEW_FOOTER = "评议小组：第____组　　评议小组成员：________________________　　日期：______年____月____日"


def month_form(month: str) -> FormKind:
    return FormKind(month, month_title(month), f"{month_title(month)}检查评分表")


def quarter_form(year: int, quarter: int, month: str | None = None) -> FormKind:
    """The quarter's 日常 items (周期 季); imported under ``month`` (default: the quarter's last month)."""
    months = quarter_months(year, quarter)
    if month is not None and month not in months:
        raise UsageError(f"--month {month} 不在 {quarter_period(year, quarter)}（{months[0]} 至 {months[-1]}）内",
                         hint="--month 写这个季度里实际检查的月份，或不写（默认季度最后一个月）")
    month = month or months[-1]
    label = quarter_period(year, quarter)
    return FormKind(month, label, f"{label}（{int(month[5:])}月）日常积分评分表", ("季",), REVIEW_FOOTER, "评议小组成员签字：")


def review_form(year: int, month: str | None = None) -> FormKind:
    """The year-end review of the annual items (周期 年); imported under ``month`` (default: December)."""
    if month is not None and month[:4] != str(year):
        raise UsageError(f"--month {month} 不在 {year} 年内", hint="--month 写年终评议的月份，或不写（默认 12 月）")
    month = month or f"{year}-12"
    return FormKind(month, f"{year}年度", f"{year}年度农户年终评议积分表（{int(month[5:])}月评议）", ("年",),
                    REVIEW_FOOTER, "评议小组成员签字：")


def make_forms(ledger_path: Path, month: str | FormKind, *, out_dir: Path, group: str | None = None,
               force: bool = False) -> list[Path]:
    """One form per group; ``month`` is a month ('2026-07', every item) or a FormKind (quarter_form, review_form)."""
    kind = month if isinstance(month, FormKind) else month_form(month)
    out_dir = guard_output(out_dir, ledger_path, "-o", folder=True)
    ledger = Ledger.open(ledger_path)
    ledger.require(schema.HOUSEHOLDS.name, schema.RULES.name)
    rules = inspection_rules(ledger)
    if kind.periods:
        rules = [r for r in rules if r.period in kind.periods]
        if not rules:
            what = "按季度检查的项目（周期为“季”）" if "季" in kind.periods else "年终评议的项目（周期为“年”）"
            raise DataError(f"“规则”表里没有{what}，{kind.label}的表没有生成",
                            hint="base140 方案的 环境整治、文明新风 周期为“季”，党的建设、民生保障、遵纪守法 周期为“年”；"
                                 "按月检查的用 --month")
    village = ledger.settings().get("村名", "")
    households = ledger.frame(schema.HOUSEHOLDS.name)
    active = households[households["状态"].map(is_active)]
    groups: dict[str, list] = {}
    for _, row in active.iterrows():
        groups.setdefault(clean_text(row["组别"]), []).append(row)
    if "" in groups and len(groups) > 1 and not group:
        # never a silent "ungrouped" form: a household without a group is a gap in 户籍
        missing = groups[""]
        problems = [
            Problem(Location(ledger.path.name, schema.HOUSEHOLDS.name,
                             f"{_column_letter(households, '组别')}{ledger.excel_row(schema.HOUSEHOLDS.name, row.name)}"),
                    f"户号 {clean_text(row['户号'])}（{clean_text(row['户主'])}）没有组别")
            for row in missing[:20]
        ]
        raise DataError(
            f"户籍中有 {len(missing)} 户在册农户没有填组别，检查表没有生成",
            problems,
            hint="在“户籍”表给这些户填上组别（合并单元格的组别可以取消合并后向下填充），再运行 inspect forms",
        )
    if group:
        wanted = group_key(group)
        known = sorted((g for g in groups if g), key=group_sort_key)
        groups = {g: rows for g, rows in groups.items() if group_key(g) == wanted}
        if not groups:  # as every --group says it (ledger.households.require_group)
            raise UsageError(f"--group {as_text(group)}：户籍中没有这个组的在册农户，在册农户的组是 {'、'.join(known) or '（没有填组别）'}")
    if not groups:
        raise DataError("户籍中没有在册农户，无法生成检查表")
    order = sorted(groups, key=lambda x: (group_key(x).zfill(4), x))
    targets = {g: out_dir / _safe_file_name(f"{village}{g}{kind.title_tail}.xlsx") for g in order}
    guard_outputs(targets.values(), ledger_path, "-o")  # every form, before the first is written
    out_dir.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for g in order:
        target = targets[g]
        if target.exists() and not force:
            raise FileAccessError(f"{target} 已存在；如要覆盖请加 --force")
        wb = new_workbook()
        _fill(wb.create_sheet(g[:31] or "检查表"), f"{village}{g}{kind.title_tail}", rules, groups[g], kind)
        save_new(wb, target)
        written.append(target)
    return written


def _fill(ws, title: str, rules, rows, kind: FormKind) -> None:
    cats: list[tuple[str, list]] = []
    for r in rules:
        if not cats or cats[-1][0] != r.category:
            cats.append((r.category, []))
        cats[-1][1].append(r)
    first_item = 4  # 序号, 户号, 户主, items…, 合计, 备注
    n_items = len(rules)
    total_col = first_item + n_items
    last_col = total_col + 1
    put(ws, 1, 1, title).font = Font(bold=True, size=15)
    ws.cell(1, 1).alignment = Alignment(horizontal="center", vertical="center")
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=last_col)
    ws.row_dimensions[1].height = 28
    # two-level header: categories over items; 序号/户号/户主/合计/备注 merged vertically
    for c, label in ((1, "序号"), (2, "户号"), (3, "户主"), (total_col, "合计"), (last_col, "备注")):
        put(ws, 2, c, label)
        ws.merge_cells(start_row=2, start_column=c, end_row=3, end_column=c)
    col = first_item
    for cat, items in cats:
        put(ws, 2, col, f"{cat}（{fmt_number(sum(i.points for i in items))}分）").fill = CAT_FILL
        if len(items) > 1:
            ws.merge_cells(start_row=2, start_column=col, end_row=2, end_column=col + len(items) - 1)
        for item in items:
            put(ws, 3, col, f"{item.item}\n({fmt_number(item.points)}分)")
            col += 1
    for r in (2, 3):
        ws.row_dimensions[r].height = 20 if r == 2 else 34
        for c in range(1, last_col + 1):
            cell = ws.cell(r, c)
            cell.font = Font(bold=True)
            cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
            cell.border = BORDER
            if r == 3 or cell.fill is None or cell.fill.fgColor.rgb in (None, "00000000"):
                cell.fill = HEAD_FILL
    first_data = 4
    ordered = sorted(rows, key=lambda x: clean_text(x["户号"]))
    # spare rows for a household added after printing (户号 and 户主 left open); rows may be inserted too
    for i, hh in enumerate(ordered + [None] * SPARE_ROWS):
        r = first_data + i
        if hh is None:
            for c in (2, 3):
                ws.cell(r, c).protection = Protection(locked=False)
            ws.cell(r, 2).number_format = "@"
        else:
            ws.cell(r, 1, i + 1)
            put(ws, r, 2, clean_text(hh["户号"])).number_format = "@"
            put(ws, r, 3, clean_name(hh["户主"]))
        for k in range(n_items):
            cell = ws.cell(r, first_item + k)
            cell.protection = Protection(locked=False)
            cell.number_format = "0.0"
        start, end = get_column_letter(first_item), get_column_letter(first_item + n_items - 1)
        put_formula(ws, r, total_col, f"=IF(COUNT({start}{r}:{end}{r})=0,\"\",SUM({start}{r}:{end}{r}))")
        ws.cell(r, last_col).protection = Protection(locked=False)
        for c in range(1, last_col + 1):
            ws.cell(r, c).border = BORDER
            ws.cell(r, c).alignment = Alignment(horizontal="center", vertical="center")
    last_data = first_data + len(rows) + SPARE_ROWS - 1
    for k, rule in enumerate(rules):
        letter = get_column_letter(first_item + k)
        ref = f"{letter}{first_data}"
        step = rule.step  # no step in 规则: any score in range (36.5 in a 40-point item), as inspect import takes it
        formula = f"AND(ISNUMBER({ref}),{ref}>=0,{ref}<={fmt_number(rule.points)}" + (
            f",MOD({ref}*{fmt_number(1 / step)},1)=0)" if step else ")")
        dv = DataValidation(
            type="custom",
            formula1=formula,
            allow_blank=True,
            showErrorMessage=True,
            errorTitle="得分不对",
            error=f"{rule.item} 得分应在 0 到 {fmt_number(rule.points)} 之间" + (f"，最小单位 {fmt_number(step)} 分" if step else ""),
            showInputMessage=True,
            promptTitle=rule.item,
            prompt=f"满分 {fmt_number(rule.points)} 分；{rule.note}"[:250],
        )
        dv.add(f"{letter}{first_data}:{letter}{last_data}")
        ws.add_data_validation(dv)
    footer = last_data + 2
    put(ws, footer, 1, kind.footer)
    ws.merge_cells(start_row=footer, start_column=1, end_row=footer, end_column=last_col)
    ws.column_dimensions["A"].width = 5
    ws.column_dimensions["B"].width = 9
    ws.column_dimensions["C"].width = 9
    for k in range(n_items):
        ws.column_dimensions[get_column_letter(first_item + k)].width = 8.5
    ws.column_dimensions[get_column_letter(total_col)].width = 7
    ws.column_dimensions[get_column_letter(last_col)].width = 16
    ws.freeze_panes = ws.cell(first_data, first_item)
    ws.protection.sheet = True  # the header is locked; score cells are not (no password: the clerk may unlock)
    ws.protection.formatColumns = False
    ws.protection.insertRows = False  # a household added after printing: insert a row (or use the spare rows)
    ws.protection.formatRows = False
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = "landscape"
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.print_title_rows = "1:3"
    ws.oddFooter.center.text = "第 &P 页，共 &N 页"
    ws.oddFooter.left.text = kind.signer
