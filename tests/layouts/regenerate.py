"""Golden files for the inspection import: one workbook per layout and what importing it gives.

    python tests/layouts/regenerate.py            # rebuild every <name>.xlsx (.csv) and <name>.expected.json
    python tests/layouts/regenerate.py NAME ...   # only these layouts

Each layout is written here with openpyxl (fixed timestamps, so an unchanged layout rebuilds byte for byte),
then read by the importer against a new 中坪村 (zhongping) ledger holding ``ROSTER``; the result is stored
as <name>.expected.json: the month, the groups, per household its scores by rule code (and the row and
cell it was read from), the households left blank, the problems, the notes and the columns read by
evidence. tests/test_layout_golden.py imports each file again and compares. After a deliberate change
to the importer, run this script and read the diff of the .json files before committing them.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
import sys
import tempfile
import zipfile
from pathlib import Path

import openpyxl
import pandas as pd
from openpyxl.utils import get_column_letter

HERE = Path(__file__).resolve().parent
TODAY = dt.date(2025, 11, 25)
FIXED = (2025, 11, 25, 8, 0, 0)
TITLE = "中坪村2025年11月农户积分检查评比表"

# (户号, 户主, 组别, 状态): 刘洋 heads a household in 第二组 and another in 第三组; 钱七 moved out
ROSTER = [
    ("ZP101", "张三", "第一组", "正常"),
    ("ZP102", "李明", "第一组", "正常"),
    ("ZP103", "王芳", "第一组", "正常"),
    ("ZP104", "赵建国", "第一组", "正常"),
    ("ZP105", "钱七", "第一组", "迁出"),
    ("ZP201", "刘洋", "第二组", "正常"),
    ("ZP202", "陈静", "第二组", "正常"),
    ("ZP203", "孙丽", "第二组", "正常"),
    ("ZP204", "周强", "第二组", "正常"),
    ("ZP301", "刘洋", "第三组", "正常"),
    ("ZP302", "吴桂兰", "第三组", "正常"),
    ("ZP303", "郑海", "第三组", "正常"),
    ("ZP304", "冯秀英", "第三组", "正常"),
]
BY_ID = {r[0]: r for r in ROSTER}
GROUP1 = [r for r in ROSTER if r[2] == "第一组" and r[3] == "正常"]
GROUP2 = [r for r in ROSTER if r[2] == "第二组"]
GROUP3 = [r for r in ROSTER if r[2] == "第三组"]

# the zhongping preset's items (rules/presets.py): code, category, item, maximum, a synonym
ITEMS = [
    ("RJ1", "人居环境", "庭院", 15, "庭院卫生"), ("RJ2", "人居环境", "客厅", 10, "堂屋"),
    ("RJ3", "人居环境", "厨房", 10, "灶房"), ("RJ4", "人居环境", "卧室", 10, "卧室卫生"),
    ("RJ5", "人居环境", "厕所", 5, "卫生间"), ("XF1", "先锋模范", "带头参与", 10, "模范带头"),
    ("XF2", "先锋模范", "传递正能量", 5, "正能量"), ("XF3", "先锋模范", "遵纪守法", 5, "遵守社会公德"),
    ("XS1", "学生就学", "支持入学", 5, "督促入学"), ("XS2", "学生就学", "积极读书", 5, "学生读书"),
    ("CY1", "创业就业", "勤劳务实", 5, "务正业"), ("CY2", "创业就业", "就业创业", 5, "充分就业"),
    ("TJ1", "团结友爱", "孝老爱亲", 5, "孝敬父母"), ("TJ2", "团结友爱", "邻里和睦", 5, "邻里关系"),
]
CATEGORIES = list(dict.fromkeys(i[1] for i in ITEMS))


def fmt(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else str(x)


def scores(hid: str) -> list[float]:
    """A household's scores, the same in every layout: each item its maximum less 0–2 points in halves."""
    seed = sum(ord(ch) for ch in hid)
    return [max(0.0, top - 0.5 * ((seed + 3 * j) % 5)) for j, (_, _, _, top, _) in enumerate(ITEMS)]


# --- writing -------------------------------------------------------------------------------------------


def new_book() -> tuple[openpyxl.Workbook, object]:
    wb = openpyxl.Workbook()
    wb.properties.creator = "villagectl tests"
    wb.properties.created = wb.properties.modified = dt.datetime(*FIXED)
    return wb, wb.active


def put_row(ws, r: int, values: list, start: int = 1) -> None:
    for c, v in enumerate(values, start):
        if v is not None and v != "":
            ws.cell(r, c, v)


def title(ws, text: str, width: int, row: int = 1) -> None:
    ws.cell(row, 1, text)
    ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=width)


def item_headers(form: str = "{item}\n({top}分)") -> list[str]:
    return [form.format(item=item, top=fmt(top), cat=cat, syn=syn) for _, cat, item, top, syn in ITEMS]


def with_total(hid: str) -> list:
    s = scores(hid)
    return s + [sum(s)]


def save(wb: openpyxl.Workbook, path: Path) -> None:
    """Save with fixed zip timestamps, so the same layout rebuilds the same bytes."""
    buffer = io.BytesIO()
    wb.save(buffer)
    buffer.seek(0)
    with zipfile.ZipFile(buffer) as src, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=FIXED)
            fixed.compress_type = zipfile.ZIP_DEFLATED
            data = src.read(info.filename)
            if info.filename == "docProps/core.xml":  # openpyxl stamps the save time as 'modified'
                data = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*", rb"\g<1>2025-11-25T08:00:00Z", data)
            dst.writestr(fixed, data)


# --- the layouts ---------------------------------------------------------------------------------------


def title_one_header(path: Path) -> None:
    """A merged title; one header row with the maximum under each item name; 户号 and 户主; 合计."""
    wb, ws = new_book()
    header = ["户号", "户主"] + item_headers() + ["合计"]
    title(ws, TITLE, len(header))
    put_row(ws, 2, header)
    for r, (hid, name, *_rest) in enumerate(GROUP1, 3):
        put_row(ws, r, [hid, name] + with_total(hid))
    save(wb, path)


def plain_header(path: Path) -> None:
    """No title: the header on the first row, the month in the sheet's name (11月)."""
    wb, ws = new_book()
    ws.title = "11月"
    put_row(ws, 1, ["户号", "户主"] + [i[2] for i in ITEMS])
    for r, (hid, name, *_rest) in enumerate(GROUP2, 2):
        put_row(ws, r, [hid, name] + scores(hid))
    save(wb, path)


def two_level_categories(path: Path) -> None:
    """Two header rows: each category merged over its items; 序号, 户主, 组别, 合计 merged down. No 户号."""
    wb, ws = new_book()
    width = 3 + len(ITEMS) + 1
    title(ws, TITLE, width)
    put_row(ws, 2, ["序号", "户主", "组别"])
    put_row(ws, 3, [None, None, None] + [i[2] for i in ITEMS])
    for c in (1, 2, 3, width):
        ws.merge_cells(start_row=2, start_column=c, end_row=3, end_column=c)
    ws.cell(2, width, "合计")
    col = 4
    for cat in CATEGORIES:
        n = sum(i[1] == cat for i in ITEMS)
        ws.cell(2, col, cat)
        if n > 1:
            ws.merge_cells(start_row=2, start_column=col, end_row=2, end_column=col + n - 1)
        col += n
    rows = [r for r in ROSTER if r[0] in ("ZP201", "ZP202", "ZP301", "ZP302")]
    for k, (hid, name, group, _) in enumerate(rows, 1):
        put_row(ws, 3 + k, [k, name, group] + with_total(hid))
    save(wb, path)


def three_level_header(path: Path) -> None:
    """Three header levels: 检查评比内容及分值 over everything, the categories, the items; identity merged down."""
    wb, ws = new_book()
    width = 2 + len(ITEMS)
    title(ws, TITLE, width)
    put_row(ws, 2, ["户号", "户主", "检查评比内容及分值"])
    ws.merge_cells(start_row=2, start_column=3, end_row=2, end_column=width)
    for c in (1, 2):
        ws.merge_cells(start_row=2, start_column=c, end_row=4, end_column=c)
    col = 3
    for cat in CATEGORIES:
        n = sum(i[1] == cat for i in ITEMS)
        ws.cell(3, col, cat)
        if n > 1:
            ws.merge_cells(start_row=3, start_column=col, end_row=3, end_column=col + n - 1)
        col += n
    put_row(ws, 4, [None, None] + item_headers("{item}（{top}分）"))
    for r, (hid, name, *_rest) in enumerate(GROUP3, 5):
        put_row(ws, r, [hid, name] + scores(hid))
    save(wb, path)


def maxima_row(path: Path) -> None:
    """The maxima in a 满分 row under the header, not in the header."""
    wb, ws = new_book()
    header = ["户号", "户主"] + [i[2] for i in ITEMS] + ["合计"]
    title(ws, TITLE, len(header))
    put_row(ws, 2, header)
    put_row(ws, 3, ["满分", None] + [i[3] for i in ITEMS] + [100])
    for r, (hid, name, *_rest) in enumerate(GROUP1, 4):
        put_row(ws, r, [hid, name] + with_total(hid))
    save(wb, path)


def group_subtitles(path: Path) -> None:
    """Names only, the groups as sub-title rows between the households (刘洋 in two groups)."""
    wb, ws = new_book()
    header = ["序号", "户主"] + item_headers()
    title(ws, TITLE, len(header))
    put_row(ws, 2, header)
    r = 3
    for group, rows in (("第二组", GROUP2), ("第三组", GROUP3)):
        ws.cell(r, 1, group)
        ws.merge_cells(start_row=r, start_column=1, end_row=r, end_column=len(header))
        r += 1
        for k, (hid, name, *_rest) in enumerate(rows, 1):
            put_row(ws, r, [k, name] + scores(hid))
            r += 1
    save(wb, path)


def sheet_per_group(path: Path) -> None:
    """One sheet per group, named after it; names only (the group tells the two 刘洋 apart)."""
    wb, first = new_book()
    wb.remove(first)
    header = ["户主"] + item_headers() + ["合计"]
    for group, rows in (("第一组", GROUP1), ("第二组", GROUP2), ("第三组", GROUP3)):
        ws = wb.create_sheet(group)
        title(ws, f"中坪村2025年11月{group}农户积分检查表", len(header))
        put_row(ws, 2, header)
        for r, (hid, name, *_rest) in enumerate(rows, 3):
            put_row(ws, r, [name] + with_total(hid))
    save(wb, path)


def supplement_form(path: Path) -> None:
    """A one-household 补查登记表: the items down the rows, 标准分 and 实得分 beside them, a 合计 row."""
    wb, ws = new_book()
    hid, name, group, _ = BY_ID["ZP202"]
    title(ws, "中坪村2025年11月补查登记表", 5)
    put_row(ws, 2, [f"户号：{hid}", None, f"户主：{name}", f"组别：{group}"])
    put_row(ws, 3, ["考核类别", "检查内容", "标准分", "实得分", "存在问题"])
    s = scores(hid)
    r = 4
    for cat in CATEGORIES:
        members = [j for j, i in enumerate(ITEMS) if i[1] == cat]
        ws.cell(r, 1, cat)
        if len(members) > 1:
            ws.merge_cells(start_row=r, start_column=1, end_row=r + len(members) - 1, end_column=1)
        for j in members:
            put_row(ws, r, [None, ITEMS[j][2], ITEMS[j][3], s[j], "院内柴草乱堆" if j == 0 else None])
            r += 1
    put_row(ws, r, ["合计", None, 100, sum(s)])
    save(wb, path)


def footer_and_summary(path: Path) -> None:
    """A 合计 row and a 本组平均 row after the households, then the inspector's signature line."""
    wb, ws = new_book()
    header = ["户号", "户主"] + item_headers() + ["合计"]
    title(ws, TITLE, len(header))
    put_row(ws, 2, header)
    r = 3
    totals = [0.0] * (len(ITEMS) + 1)
    for hid, name, *_rest in GROUP1:
        row = with_total(hid)
        totals = [a + b for a, b in zip(totals, row)]
        put_row(ws, r, [hid, name] + row)
        r += 1
    put_row(ws, r, ["合计", None] + totals)
    put_row(ws, r + 1, ["本组平均", None] + [round(t / len(GROUP1), 2) for t in totals])
    ws.cell(r + 3, 1, "检查人：李四    日期：2025年11月21日")
    save(wb, path)


def header_synonyms(path: Path) -> None:
    """The village's own wordings (规则 同义词), the items in another order, 户编号 / 户主姓名 / 总分."""
    wb, ws = new_book()
    order = list(reversed(range(len(ITEMS))))
    header = ["户编号", "户主姓名"] + [ITEMS[j][4] for j in order] + ["总分"]
    title(ws, TITLE, len(header))
    put_row(ws, 2, header)
    for r, (hid, name, *_rest) in enumerate(GROUP3, 3):
        s = scores(hid)
        put_row(ws, r, [hid, name] + [s[j] for j in order] + [sum(s)])
    save(wb, path)


def category_prefixed(path: Path) -> None:
    """One header row naming category and item together (人居环境—庭院(15)), 实得总分 and 备注."""
    wb, ws = new_book()
    header = ["序号", "户号", "户主"] + item_headers("{cat}—{item}({top})") + ["实得总分", "备注"]
    title(ws, TITLE, len(header))
    put_row(ws, 2, header)
    for k, (hid, name, *_rest) in enumerate(GROUP2, 1):
        put_row(ws, 2 + k, [k, hid, name] + with_total(hid) + ["已整改" if k == 2 else None])
    save(wb, path)


def info_columns(path: Path) -> None:
    """Columns that are not items: 门牌号, 联系电话, 身份证号, 检查日期 and a free-text 存在问题."""
    wb, ws = new_book()
    header = ["户号", "户主", "门牌号", "联系电话", "身份证号"] + [i[2] for i in ITEMS] + ["检查日期", "存在问题"]
    title(ws, TITLE, len(header))
    put_row(ws, 2, header)
    for k, (hid, name, *_rest) in enumerate(GROUP1, 1):
        put_row(ws, 2 + k, [hid, name, f"中坪{k}号", f"1380000{k:04d}", f"52012319800101{k:04d}"] + scores(hid)
                + [dt.date(2025, 11, 20), "厕所有异味" if k == 1 else None])
    save(wb, path)


def text_scores(path: Path) -> None:
    """Scores typed as text: '9.5分', full-width digits '９．５', spaces around."""
    wb, ws = new_book()
    header = ["户号", "户主"] + [i[2] for i in ITEMS]
    title(ws, TITLE, len(header))
    put_row(ws, 2, header)
    forms = (lambda x: f"{fmt(x)}分", lambda x: fmt(x).translate({ord(ch): ord(ch) + 0xFEE0 for ch in "0123456789."}),
             lambda x: f" {fmt(x)} ")
    for k, (hid, name, *_rest) in enumerate(GROUP2, 0):
        put_row(ws, 3 + k, [hid, name] + [forms[(k + j) % 3](x) for j, x in enumerate(scores(hid))])
    save(wb, path)


def month_in_file_name(path: Path) -> None:
    """The title names neither month nor group: the file name (2025年11月第三组) gives both; names only."""
    wb, ws = new_book()
    header = ["户主"] + [i[2] for i in ITEMS]
    title(ws, "农户积分检查评比表", len(header))
    put_row(ws, 2, header)
    for r, (hid, name, *_rest) in enumerate(GROUP3, 3):
        put_row(ws, r, [name] + scores(hid))
    save(wb, path)


def problems(path: Path) -> None:
    """What refuses a file, each at its cell: over the maximum, a half-blank row, an unknown 户号, a moved-out
    household, a typed 合计 that is not the sum (a warning), and a wholly blank household (not inspected)."""
    wb, ws = new_book()
    header = ["户号", "户主"] + [i[2] for i in ITEMS] + ["合计"]
    title(ws, TITLE, len(header))
    put_row(ws, 2, header)
    over = with_total("ZP101")
    over[0] = 16
    half = scores("ZP102")
    half[3] = None
    wrong_total = with_total("ZP103")
    wrong_total[-1] = 99
    rows = [
        ["ZP101", "张三"] + over,
        ["ZP102", "李明"] + half,
        ["ZP103", "王芳"] + wrong_total,
        ["ZP104", "赵建国"],
        ["ZP105", "钱七"] + with_total("ZP105"),
        ["ZP999", "何某"] + with_total("ZP999"),
    ]
    for r, row in enumerate(rows, 3):
        put_row(ws, r, row)
    save(wb, path)


def csv_grid(path: Path) -> None:
    """A CSV export (UTF-8 with BOM): a title line, the header, the households; every cell text."""
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\r\n")
    w.writerow(["中坪村2025年11月第一组检查表"])
    w.writerow(["户号", "户主"] + [i[2] for i in ITEMS] + ["合计"])
    for hid, name, *_rest in GROUP1:
        w.writerow([hid, name] + [fmt(x) for x in with_total(hid)])
    path.write_bytes(out.getvalue().encode("utf-8-sig"))


LAYOUTS = {
    "title_one_header": (title_one_header, ".xlsx"),
    "plain_header": (plain_header, ".xlsx"),
    "two_level_categories": (two_level_categories, ".xlsx"),
    "three_level_header": (three_level_header, ".xlsx"),
    "maxima_row": (maxima_row, ".xlsx"),
    "group_subtitles": (group_subtitles, ".xlsx"),
    "sheet_per_group": (sheet_per_group, ".xlsx"),
    "supplement_form": (supplement_form, ".xlsx"),
    "footer_and_summary": (footer_and_summary, ".xlsx"),
    "header_synonyms": (header_synonyms, ".xlsx"),
    "category_prefixed": (category_prefixed, ".xlsx"),
    "info_columns": (info_columns, ".xlsx"),
    "text_scores": (text_scores, ".xlsx"),
    "month_in_file_name": (month_in_file_name, ".xlsx"),
    "problems": (problems, ".xlsx"),
    "csv_grid": (csv_grid, ".csv"),
}
# the name the clerk would give the file: what the importer sees (it reads month and group from it)
DISPLAY_NAMES = {"month_in_file_name": "2025年11月第三组.xlsx"}


def layout_path(name: str) -> Path:
    return HERE / f"{name}{LAYOUTS[name][1]}"


def expected_path(name: str) -> Path:
    return HERE / f"{name}.expected.json"


def display_name(name: str) -> str:
    return DISPLAY_NAMES.get(name, layout_path(name).name)


# --- importing -----------------------------------------------------------------------------------------


def make_ledger(path: Path) -> Path:
    """A new 中坪村 ledger (zhongping preset) holding ``ROSTER``."""
    from villagectl.ledger.create import create_ledger
    from villagectl.ledger.workbook import Ledger

    create_ledger(path, "中坪村", "zhongping", today=TODAY)
    ledger = Ledger.open(path)
    columns = list(ledger.frame("户籍").columns)
    rows = [{"户号": h, "户主": n, "组别": g, "人口": 3, "参评人数": 3, "户类型": "普通户", "状态": s} for h, n, g, s in ROSTER]
    frame = pd.DataFrame(rows, dtype=object)
    for col in columns:
        if col not in frame.columns:
            frame[col] = ""
    ledger.replace("户籍", frame[columns])
    ledger.save("golden layouts")
    return path


def context_of(ledger_path: Path):
    """The Context ``inspect import`` builds from the ledger (rules, roster, 表头对照, 参数)."""
    from villagectl.ledger.header_map import header_fillers, learned_headers
    from villagectl.importers.inspection import Context
    from villagectl import schema
    from villagectl.ledger.inspections import inspection_rules
    from villagectl.ledger.workbook import Ledger

    ledger = Ledger.open(ledger_path)
    rules = inspection_rules(ledger)
    return Context(rules, ledger.frame(schema.HOUSEHOLDS.name), None, None, TODAY,
                   learned=learned_headers(ledger.frame_or_empty(schema.HEADER_MAP.name), rules),
                   fillers=header_fillers(ledger.settings()), dash_is_zero=ledger.settings().get("短横记零分", "否") == "是",
                   village=ledger.settings().get("村名", ""))


def read_layout(name: str, ctx):
    from villagectl.io.reader import WorkbookRows, read_workbook

    book = read_workbook(layout_path(name), with_formulas=True)
    return WorkbookRows(Path(display_name(name)), book.sheets)


def import_layout(name: str, ctx) -> dict:
    """What importing the layout gives, as stored in <name>.expected.json."""
    from villagectl.importers.inspection import read_inspection_file

    result = read_inspection_file(read_layout(name, ctx), display_name(name), ctx)

    def problem(p) -> dict:
        return {"severity": p.severity, "where": str(p.location), "message": p.message}

    return {
        "file": display_name(name),
        "month": result.month,
        "groups": sorted(result.groups),
        "households": {
            r.household_id: {"户主": r.name, "组别": r.group, "sheet": r.sheet, "row": r.row, "cell": r.id_cell,
                             "scores": dict(sorted(r.scores.items()))}
            for r in result.rows
        },
        "not_inspected": [r.household_id for r in result.blank_rows],
        "problems": [problem(p) for p in result.problems],
        "notes": [problem(p) for p in result.notes],
        "readings": [reading.as_dict() for reading in result.readings],
    }


def main(names: list[str]) -> int:
    unknown = [n for n in names if n not in LAYOUTS]
    if unknown:
        print("没有这些版式：" + "、".join(unknown) + "；可用的有：" + "、".join(LAYOUTS), file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as tmp:
        ctx = context_of(make_ledger(Path(tmp) / "中坪村.xlsx"))
        for name in names or list(LAYOUTS):
            build, _ = LAYOUTS[name]
            build(layout_path(name))
            expected = import_layout(name, ctx)
            expected_path(name).write_text(json.dumps(expected, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
            print(f"{layout_path(name).name}: {len(expected['households'])} 户, "
                  f"{sum(p['severity'] == '错误' for p in expected['problems'])} 个错误")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
