"""中坪村's raw papers: the village's roster and the four groups' July inspection sheets, each in its layout.

- the roster as a village keeps it (title, other header wording, blank rows,
  numbers stored as numbers, a signature footer), and the same roster with the
  four planted errors of ``zhongping.ROSTER_ERRORS``;
- 第一组 xlsx with '(15分)' under each item, 第二组 a two-level header without
  户号, 第三组 a legacy xls with numbers as text and full-width digits, 第四组 an
  ods with 序号 and 备注;
- the clerk's 补查登记 for the two households the printed forms missed.

The data are ``demo.zhongping``'s.
"""

from __future__ import annotations

import random
from pathlib import Path

import openpyxl
import pandas as pd

from villagectl.demo.zhongping import CATEGORIES, ITEMS, SAME_NAME, SEED, Inspection, Village
from villagectl.rules.presets import ZHONGPING

ROSTER_HEADER = ["序号", "户编号", "户主姓名", "村民小组", "家庭人口", "户别", "手机号码", "身份证号码", "备注"]
# Where the village left blank rows (after these roster positions, 1-based).
ROSTER_BLANKS_AFTER = (16, 17, 40)


def _roster_name(rng: random.Random, name: str) -> str:
    roll = rng.random()
    if len(name) == 2 and roll < 0.2:
        return name[0] + "\u3000" + name[1]  # typed to line up with three-character names
    if roll > 0.88:
        return name + "  "
    return name


def roster_rows(village: Village, rng: random.Random) -> list[list]:
    rows: list[list] = []
    for n, h in enumerate(village.roster_households, start=1):
        phone: object = h.phone
        if rng.random() < 0.35:
            phone = int(h.phone)  # typed into a General cell: Excel keeps it as a number
        name = _roster_name(rng, h.head)
        if h.id == SAME_NAME[0]:
            name = "张\u3000伟"
        rows.append([n, h.id, name, h.group, h.size, h.kind, phone, h.id_number, h.note])
    return rows


def write_roster(path: Path, village: Village, rows: list[list]) -> None:
    """The roster as the village keeps it."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Border, Font, Side

    wb = Workbook()
    ws = wb.active
    ws.title = "花名册"
    ws.cell(1, 1, f"{village.name}村民花名册（2026年6月）").font = Font(bold=True, size=16)
    ws.cell(1, 1).alignment = Alignment(horizontal="center")
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(ROSTER_HEADER))
    thin = Side(style="thin")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    for c, text in enumerate(ROSTER_HEADER, start=1):
        cell = ws.cell(3, c, text)
        cell.font = Font(bold=True)
        cell.border = border
        cell.alignment = Alignment(horizontal="center")
    r = 4
    for n, row in enumerate(rows, start=1):
        for c, value in enumerate(row, start=1):
            cell = ws.cell(r, c, value if value != "" else None)
            cell.border = border
            if c == 8:
                cell.number_format = "@"  # 身份证号 as text
        r += 1
        if n in ROSTER_BLANKS_AFTER:
            r += 1
    r += 1
    ws.cell(r, 1, "制表人：李会计    审核人：王书记")
    ws.cell(r + 1, 1, "制表日期：2026年6月3日")
    for letter, width in zip("ABCDEFGHI", (6, 9, 10, 9, 9, 8, 14, 21, 18)):
        ws.column_dimensions[letter].width = width
    ws.print_title_rows = "3:3"
    wb.save(path)


def roster_with_errors(village: Village, rows: list[list]) -> list[list]:
    out = [list(r) for r in rows]
    pos = {r[1]: i for i, r in enumerate(out)}
    # 1. a wrong check digit
    row = out[pos["ZP010"]]
    number = row[7]
    wrong = "0" if number[17] != "0" else "1"
    row[7] = number[:17] + wrong
    # 2. a 户号 typed twice
    out[pos["ZP021"]][1] = "ZP020"
    # 3. a phone number one digit short
    out[pos["ZP035"]][6] = "1380013800"
    # 4. a household type the ledger does not allow
    out[pos["ZP053"]][5] = "富裕户"
    return out


# --- the inspection sheets ------------------------------------------------------


def _fmt(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:.1f}"


def _num(value: float) -> float | int:
    return int(value) if float(value).is_integer() else value


def _to_fullwidth(text: str) -> str:
    return "".join(chr(ord(ch) + 0xFEE0) if ch.isdigit() or ch == "." else ch for ch in text)


def write_group1(path: Path, village: Village, rows: list[Inspection]) -> None:
    """Title merged over the table, one header row with '(15分)' under each item name, 户号 and 户主."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Border, Font, Side

    header = ["户号", "户主"] + [f"{item}\n({_fmt(top)}分)" for _, _, item, top in ITEMS] + ["合计"]
    wb = Workbook()
    ws = wb.active
    ws.title = "7月"
    ws.cell(1, 1, f"{village.name}第一组2026年7月人居环境检查评分表").font = Font(bold=True, size=14)
    ws.cell(1, 1).alignment = Alignment(horizontal="center")
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(header))
    thin = Side(style="thin")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    for c, text in enumerate(header, start=1):
        cell = ws.cell(2, c, text)
        cell.font = Font(bold=True)
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        cell.border = border
    ws.row_dimensions[2].height = 32
    r = 3
    for n, ins in enumerate(rows, start=1):
        values = [ins.household.id, ins.household.head] + [_num(ins.scores[code]) for code, *_ in ITEMS] + [_num(ins.total)]
        for c, value in enumerate(values, start=1):
            ws.cell(r, c, value).border = border
        r += 1
        if n == 8:
            r += 1  # a blank row where the worker turned the page
    ws.cell(r + 1, 1, "检查人：李四  日期：2026年7月22日")
    ws.column_dimensions["A"].width = 8
    ws.column_dimensions["B"].width = 9
    wb.save(path)


def write_group2(path: Path, village: Village, rows: list[Inspection]) -> None:
    """Two header rows: each category merged over its items; 序号, 户主, 合计 merged down. No 户号."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Border, Font, Side

    wb = Workbook()
    ws = wb.active
    ws.title = "Sheet1"
    ncols = 2 + len(ITEMS) + 1
    ws.cell(1, 1, "第二组2026年7月份农户积分检查评比表").font = Font(bold=True, size=14)
    ws.cell(1, 1).alignment = Alignment(horizontal="center")
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=ncols)
    center = Alignment(horizontal="center", vertical="center", wrap_text=True)
    thin = Side(style="thin")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    for c, text in ((1, "序号"), (2, "户主"), (ncols, "合计")):
        ws.cell(2, c, text)
        ws.merge_cells(start_row=2, start_column=c, end_row=3, end_column=c)
    c = 3
    for category in CATEGORIES:
        items = [(item, top) for _, cat, item, top in ITEMS if cat == category]
        top_sum = sum(t for _, t in items)
        ws.cell(2, c, f"{category}（{_fmt(top_sum)}分）")
        if len(items) > 1:
            ws.merge_cells(start_row=2, start_column=c, end_row=2, end_column=c + len(items) - 1)
        for item, top in items:
            ws.cell(3, c, f"{item}{_fmt(top)}")
            c += 1
    for rr in (2, 3):
        for cc in range(1, ncols + 1):
            ws.cell(rr, cc).alignment = center
            ws.cell(rr, cc).font = Font(bold=True)
            ws.cell(rr, cc).border = border
    spaced = next((i for i, ins in enumerate(rows) if i >= 5 and len(ins.household.head) == 2), None)
    r = 4
    for n, ins in enumerate(rows, start=1):
        name = ins.household.head
        if n - 1 == spaced:
            name = name[0] + "\u3000" + name[1]  # typed to line up with three-character names
        values = [n, name] + [_num(ins.scores[code]) for code, *_ in ITEMS] + [_num(ins.total)]
        for cc, value in enumerate(values, start=1):
            ws.cell(r, cc, value).border = border
        r += 1
    ws.cell(r + 1, 1, "检查人：王五、孙丽    检查时间：2026年7月23日")
    wb.save(path)


def write_group3(path: Path, village: Village, rows: list[Inspection]) -> None:
    """Legacy .xls: every number typed as text, some in full-width digits ('１５', '９．５')."""
    try:
        import xlwt
    except ImportError as exc:  # pragma: no cover - xlwt is a test/extra dependency
        raise RuntimeError("生成 .xls 示例需要 xlwt：pip install xlwt") from exc

    # this worker writes the items as questions and keywords of the scheme's sentences
    synonyms = {
        "RJ1": "庭院是否干净", "RJ2": "客厅有无灰尘", "RJ3": "厨房是否整齐", "RJ4": "卧室床铺整洁", "RJ5": "厕所有无异味",
        "XF1": "党员带头、群众参与", "XF2": "传播好声音", "XF3": "遵守社会公德", "XS1": "督促子女入学", "XS2": "学生读书",
        "CY1": "不游手好闲", "CY2": "富余劳力就业", "TJ1": "孝敬老人/不家暴", "TJ2": "邻里关系",
    }
    header = ["户号", "户主姓名"] + [synonyms[code] for code, *_ in ITEMS] + ["总分"]
    book = xlwt.Workbook(encoding="utf-8")
    ws = book.add_sheet("第三组")
    title_style = xlwt.easyxf("font: bold on, height 280; align: horiz center")
    head_style = xlwt.easyxf("font: bold on; align: horiz center, wrap on; borders: left thin, right thin, top thin, bottom thin")
    cell_style = xlwt.easyxf("borders: left thin, right thin, top thin, bottom thin")
    ws.write_merge(0, 0, 0, len(header) - 1, f"{village.name}第三组7月检查打分表", title_style)
    for c, text in enumerate(header):
        ws.write(1, c, text, head_style)
    fullwidth_rows = {1, 4}  # positions whose numbers were typed with a Chinese input method
    r = 2
    for n, ins in enumerate(rows):
        texts = [_fmt(ins.scores[code]) for code, *_ in ITEMS] + [_fmt(ins.total)]
        if n in fullwidth_rows:
            texts = [_to_fullwidth(t) for t in texts]
        for c, value in enumerate([ins.household.id, ins.household.head] + texts):
            ws.write(r, c, value, cell_style)
        r += 1
        if n == 9:
            r += 1
    ws.write(r + 1, 0, "评分人：陈明    2026年7月21日")
    ws.col(0).width = 256 * 8
    book.save(str(path))


def write_group4(path: Path, village: Village, rows: list[Inspection]) -> None:
    """OpenDocument (.ods) with 序号 and 备注 columns, header on the third row."""
    # category—keyword headers with the maximum in brackets, as an Excel export writes them
    keywords = {"RJ1": "庭院", "RJ2": "客厅", "RJ3": "厨房", "RJ4": "卧室", "RJ5": "厕所", "XF1": "示范带头",
                "XF2": "弘扬正能量", "XF3": "知法守法", "XS1": "督促就学", "XS2": "用心读书", "CY1": "勤劳肯干",
                "CY2": "外出就业", "TJ1": "孝敬长辈", "TJ2": "邻里互助"}
    header = ["序号", "户号", "户主"] + [f"{cat}—{keywords[code]}({_fmt(top)})" for code, cat, _, top in ITEMS] + ["实得总分", "备注"]
    width = len(header)
    table: list[list] = [
        [f"{village.name}第四组2026年7月积分评比表"] + [None] * (width - 1),
        [None] * width,
        header,
    ]
    for n, ins in enumerate(rows, start=1):
        table.append(
            [n, ins.household.id, ins.household.head]
            + [_num(ins.scores[code]) for code, *_ in ITEMS]
            + [_num(ins.total), ins.remark or None]
        )
    table.append([None] * width)
    table.append(["网格员：赵六  2026.7.24"] + [None] * (width - 1))
    frame = pd.DataFrame(table, dtype=object)
    frame.to_excel(path, engine="odf", sheet_name="第四组", header=False, index=False)


SUPPLEMENT_NAME = "7月补查登记（新分户）.xlsx"


def write_supplement(path: Path, village: Village) -> None:
    """The clerk's 补查登记 for the two households that split off after the forms were printed:
    one form per household, the items down the rows in the scheme's own sentences."""
    rng = random.Random(SEED + 5)
    known = {h.id for h in village.households}
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    rules = [r for r in ZHONGPING.rules if r.type == "检查项"]
    for hh in [h for h in village.roster_households if h.id not in known]:
        ws = wb.create_sheet(hh.head)
        ws.append([f"{village.name}农户积分补查登记表"])
        ws.append([f"户号：{hh.id}", None, f"户主：{hh.head}", f"组别：{hh.group}"])
        ws.append(["补查月份：2026年7月", None, "补查时间：2026年7月27日"])
        ws.append(["考核类别", "检查内容", "标准分", "实得分", "存在问题"])
        for rule in rules:
            score = max(0.0, rule.points - rng.choice((0, 0, 0, 0.5, 1, 1.5)))
            ws.append([rule.category, rule.note.split("，")[0], rule.points, score,
                       "" if score == rule.points else rng.choice(("略有杂物", "需加强", "已提醒"))])
        ws.append(["合计", None, 100, None])
        ws.append([])
        ws.append(["补查人：村文书　　户主签字："])
    wb.save(path)
