"""A deterministic demo village: a ledger, a messy roster and a month of grid workers' sheets.

``build_samples(folder)`` writes, for 中坪村 (preset ``zhongping``):

- ``中坪村积分台账.xlsx``: the ledger made by ``init`` and filled through the
  library (户籍 64 households in 4 groups, 干部, 商品, opening balances in
  积分流水);
- ``原始资料/村民花名册.xlsx``: the village's own roster, laid out the way a
  village keeps it (title, other header wording, blank rows, numbers stored
  as numbers, a signature footer). Importing it into the ledger adds 2
  households (ZP065, ZP066), changes 3 phone numbers (ZP005, ZP023, ZP058)
  and moves ZP048 from 第三组 to 第四组;
- ``原始资料/村民花名册_有错误.xlsx``: the same roster with 4 planted errors
  (see ``ROSTER_ERRORS``);
- ``原始资料/2026年7月检查表/``: the July 2026 inspection sheets of the four
  groups, each in a different layout and format (xlsx, two-level xlsx, legacy
  xls with text and full-width digits, ods).

The inspection sheets describe the ledger as generated here (before the
roster is imported): the households of each group whose 状态 is 正常. The two
new households of the roster were not on the printed forms: the clerk's
``7月补查登记（新分户）.xlsx`` (one form per household, items down the rows)
inspects them, so the month is complete.

Everything comes from ``random.Random(20260601)``: the same data every run
(the ledger's 兑换单密钥 and the 操作日志 time of ``init`` are the only parts
that differ between runs).
"""

from __future__ import annotations

import datetime as dt
import random
import shutil
from dataclasses import dataclass, field, replace
from pathlib import Path

import openpyxl
import pandas as pd

from villagectl import schema
from villagectl.ledger.create import create_ledger
from villagectl.ledger.households import id_check_char, is_active
from villagectl.ledger.journal import NewEntry, append_entries
from villagectl.ledger.workbook import Ledger
from villagectl.rules.presets import ZHONGPING

SEED = 20260601
PRESET = "zhongping"
PREFIX = "ZP"
GROUPS = ("第一组", "第二组", "第三组", "第四组")
PER_GROUP = 16
MONTH = "2026-07"
LEDGER_DAY = dt.date(2026, 6, 1)
OPENING_DATE = "2026-05-31"
OPERATOR = "村文书"

ROSTER_DIR = "原始资料"
ROSTER_NAME = "村民花名册.xlsx"
ROSTER_ERRORS_NAME = "村民花名册_有错误.xlsx"
INSPECTION_DIR = "2026年7月检查表"

# What importing the clean roster does to the ledger.
PHONE_CHANGES = ("ZP005", "ZP023", "ZP058")
GROUP_MOVE = ("ZP048", "第三组", "第四组")
MOVED_OUT = "ZP047"
SAME_NAME = ("ZP004", "ZP038", "张伟")  # two households, two groups, one name
RARE_NAMES = {"ZP009": "王喆", "ZP027": "李赟", "ZP052": "陈堃"}

# The planted errors of 村民花名册_有错误.xlsx: household → (roster field, what was done).
ROSTER_ERRORS = {
    "ZP010": ("身份证号", "校验位改错"),
    "ZP021": ("户号", "户号误填为 ZP020（与上一户重复）"),
    "ZP035": ("联系电话", "手机号少一位：1380013800"),
    "ZP053": ("户类型", "户别填了“富裕户”"),
}

# Boundary and low totals for the July inspection (household → total).
SPECIAL_TOTALS = {
    "ZP007": 80.0,
    "ZP041": 80.0,
    "ZP020": 85.0,
    "ZP055": 85.0,
    "ZP012": 90.0,
    "ZP036": 90.0,
    "ZP060": 90.0,
    "ZP003": 79.0,
    "ZP026": 76.0,
    "ZP044": 72.5,
    "ZP061": 78.5,
}

SURNAMES = "张王李刘陈杨赵黄周吴徐孙马胡朱郭何罗高林"
MALE_GIVEN = (
    "建国 建华 国强 志强 德明 文华 永福 保国 卫东 振华 海军 春生 玉林 长青 金山 学文 明亮 红旗 "
    "建军 新民 光明 志刚 福来 宝山 树林 胜利 忠 强 磊 军 勇 杰 涛 明 刚 平 斌 超 波 辉 鹏 浩 林 峰"
).split()
FEMALE_GIVEN = "秀英 桂兰 玉兰 海燕 红梅 丽华 凤英 桂英 淑珍 秀兰 芳 娟 敏 静 丽 艳 霞 萍 红 燕".split()
REGION_CODES = ("412721", "412722", "412723", "412725")
MOBILE_PREFIXES = (
    "130 131 132 133 135 136 137 138 139 150 151 152 155 156 157 158 159 "
    "177 180 181 182 183 185 186 187 188 189 199"
).split()

# The 14 inspection items of the preset: (code, category, item, maximum).
ITEMS = [(r.code, r.category, r.item, r.points) for r in ZHONGPING.rules if r.type == "检查项"]
CATEGORIES = list(dict.fromkeys(cat for _, cat, _, _ in ITEMS))
# How likely a grid worker takes a point off each item (environment items most often).
DEDUCTION_WEIGHTS = {
    "RJ1": 3.0, "RJ2": 2.0, "RJ3": 2.5, "RJ4": 2.0, "RJ5": 1.5,
    "XF1": 1.2, "XF2": 0.5, "XF3": 0.3, "XS1": 0.4, "XS2": 0.6,
    "CY1": 0.8, "CY2": 0.8, "TJ1": 0.4, "TJ2": 0.5,
}


@dataclass
class Household:
    id: str
    head: str
    group: str
    size: int
    members: int
    kind: str
    phone: str
    id_number: str
    state: str = "正常"
    note: str = ""


@dataclass
class Inspection:
    household: Household
    scores: dict[str, float]  # item code → score
    remark: str = ""

    @property
    def total(self) -> float:
        return round(sum(self.scores.values()), 1)


@dataclass
class Village:
    name: str
    households: list[Household]
    roster_households: list[Household] = field(default_factory=list)
    inspections: dict[str, list[Inspection]] = field(default_factory=dict)  # group → rows


# --- the data ------------------------------------------------------------------


def _phone(rng: random.Random, used: set[str]) -> str:
    while True:
        number = rng.choice(MOBILE_PREFIXES) + "".join(str(rng.randint(0, 9)) for _ in range(8))
        if number not in used:
            used.add(number)
            return number


def _id_number(rng: random.Random, male: bool, used: set[str]) -> str:
    while True:
        born = dt.date(1945, 1, 1) + dt.timedelta(days=rng.randint(0, (dt.date(1995, 12, 31) - dt.date(1945, 1, 1)).days))
        seq = rng.randint(0, 99) * 10 + rng.randint(0, 4) * 2 + (1 if male else 0)
        first17 = f"{rng.choice(REGION_CODES)}{born:%Y%m%d}{seq:03d}"
        number = first17 + id_check_char(first17)
        if number not in used:
            used.add(number)
            return number


def _name(rng: random.Random, male: bool, used: set[str]) -> str:
    while True:
        name = rng.choice(SURNAMES) + rng.choice(MALE_GIVEN if male else FEMALE_GIVEN)
        if name not in used and name != SAME_NAME[2]:
            used.add(name)
            return name


def make_households(rng: random.Random) -> list[Household]:
    kinds = ["普通户"] * 64
    for hid, kind in {
        "ZP002": "党员户", "ZP011": "党员户", "ZP018": "党员户", "ZP025": "党员户", "ZP033": "党员户",
        "ZP040": "党员户", "ZP050": "党员户", "ZP059": "党员户",
        "ZP014": "脱贫户", "ZP029": "脱贫户", "ZP045": "脱贫户", "ZP062": "脱贫户",
        "ZP008": "低保户", "ZP031": "低保户", "ZP056": "低保户",
    }.items():
        kinds[int(hid[2:]) - 1] = kind
    names: set[str] = set(RARE_NAMES.values())
    phones: set[str] = set()
    ids: set[str] = set()
    out: list[Household] = []
    for i in range(64):
        hid = f"{PREFIX}{i + 1:03d}"
        group = GROUPS[i // PER_GROUP]
        male = rng.random() < 0.85
        if hid in RARE_NAMES:
            head, male = RARE_NAMES[hid], True
        elif hid in SAME_NAME[:2]:
            head, male = SAME_NAME[2], True
        else:
            head = _name(rng, male, names)
        kind = kinds[i]
        if kind == "低保户":
            size = rng.choice((1, 1, 2))
        else:
            size = rng.choice((2, 3, 3, 4, 4, 4, 5, 5, 6, 1))
        # Small children do not take part; most families count everyone.
        members = size - 1 if size >= 4 and rng.random() < 0.3 else size
        note = ""
        if size == 1:
            note = "独居老人"
        out.append(Household(hid, head, group, size, members, kind, _phone(rng, phones), _id_number(rng, male, ids), note=note))
    moved = out[int(MOVED_OUT[2:]) - 1]
    moved.state = "迁出"
    moved.note = "2026年3月全家迁往县城"
    return out


def make_roster_households(rng: random.Random, households: list[Household]) -> list[Household]:
    """The roster's view: the ledger's households with this spring's changes, and two new ones."""
    phones = {h.phone for h in households}
    ids = {h.id_number for h in households}
    names = {h.head for h in households}
    roster = [replace(h) for h in households]
    by_id = {h.id: h for h in roster}
    for hid in PHONE_CHANGES:
        by_id[hid].phone = _phone(rng, phones)
    hid, _old, new_group = GROUP_MOVE
    by_id[hid].group = new_group
    extra = [
        Household("ZP065", _name(rng, True, names), "第二组", 3, 3, "普通户", _phone(rng, phones), _id_number(rng, True, ids),
                  note="2026年5月分户"),
        Household("ZP066", _name(rng, False, names), "第四组", 2, 2, "普通户", _phone(rng, phones), _id_number(rng, False, ids),
                  note="2026年5月新落户"),
    ]
    return roster + extra


def _split_deductions(rng: random.Random, target: float, forced: dict[str, float]) -> dict[str, float]:
    scores = {code: float(top) for code, _, _, top in ITEMS}
    scores.update(forced)
    halves = round((sum(scores.values()) - target) * 2)
    if halves < 0:
        raise ValueError("forced scores below the target")
    free = [code for code, *_ in ITEMS if code not in forced]
    floor = {code: top * 0.4 for code, _, _, top in ITEMS}
    weights = [DEDUCTION_WEIGHTS[c] for c in free]
    while halves > 0:
        step = 2 if halves >= 2 and rng.random() < 0.8 else 1  # mostly whole points, now and then half a point
        code = rng.choices(free, weights)[0]
        if scores[code] - step / 2 < floor[code]:
            continue
        scores[code] -= step / 2
        halves -= step
    return scores


def _random_total(rng: random.Random) -> float:
    while True:
        total = round(rng.triangular(80.5, 98.5, 91.5) * 2) / 2
        if total not in (80.0, 85.0, 90.0):  # the band boundaries are planted in SPECIAL_TOTALS only
            return total


REMARKS = {
    "ZP049": "户主外出务工，老人在家",
    "ZP053": "厕所改造中",
    "ZP057": "新装修，卫生较好",
    "ZP063": "院内柴草堆放乱",
}


def make_inspections(rng: random.Random, households: list[Household]) -> dict[str, list[Inspection]]:
    out: dict[str, list[Inspection]] = {g: [] for g in GROUPS}
    group3 = [h for h in households if h.group == "第三组" and is_active(h.state)]
    forced_by_id: dict[str, dict[str, float]] = {
        # full-width "１５" and "９．５" in the legacy .xls of 第三组
        group3[1].id: {"RJ1": 15.0, "RJ2": 9.5},
        group3[4].id: {"RJ1": 15.0, "RJ3": 9.5},
    }
    for h in households:
        if not is_active(h.state):
            continue
        target = SPECIAL_TOTALS.get(h.id) or _random_total(rng)
        scores = _split_deductions(rng, target, forced_by_id.get(h.id, {}))
        out[h.group].append(Inspection(h, scores, REMARKS.get(h.id, "")))
    return out


def make_village(name: str) -> Village:
    rng = random.Random(SEED)
    households = make_households(rng)
    roster = make_roster_households(rng, households)
    inspections = make_inspections(rng, households)
    return Village(name, households, roster, inspections)


CADRES = [
    ("GB01", "王建国", "党支部书记", "村干部"),
    ("GB02", "刘振华", "村委会主任", "村干部"),
    ("GB03", "孙丽", "村委会副主任", "村干部"),
    ("GB04", "赵六", "村委会委员", "村干部"),
    ("GB05", "李秀兰", "会计", "村干部"),
    ("GB06", "李四", "村民代表（第一组）", "村民代表"),
    ("GB07", "王五", "村民代表（第二组）", "村民代表"),
    ("GB08", "陈明", "村民代表（第三组）", "村民代表"),
    ("GB09", "赵德明", "村民代表（第四组）", "村民代表"),
]

SHOP = [
    ("洗衣粉", "袋", 10, 60),
    ("食用油", "桶", 50, 20),
    ("毛巾", "条", 5, 80),
    ("大米", "袋", 40, 25),
    ("牙膏", "支", 6, 60),
    ("香皂", "块", 4, 100),
    ("酱油", "瓶", 8, 40),
    ("洗洁精", "瓶", 9, 40),
    ("卫生纸", "提", 15, 30),
    ("肥皂", "块", 3, 100),
]


# --- the ledger -----------------------------------------------------------------


def write_ledger(path: Path, village: Village, keep_backups: int | None = None) -> None:
    create_ledger(path, village.name, PRESET, today=LEDGER_DAY)
    ledger = Ledger.open(path)
    rng = random.Random(SEED + 1)

    households = pd.DataFrame(
        [
            {"户号": h.id, "户主": h.head, "组别": h.group, "人口": h.size, "参评人数": h.members, "户类型": h.kind,
             "联系电话": h.phone, "身份证号": h.id_number, "状态": h.state, "备注": h.note}
            for h in village.households
        ],
        columns=schema.HOUSEHOLDS.column_names,
        dtype=object,
    )
    ledger.replace(schema.HOUSEHOLDS.name, households)

    phones = {h.phone for h in village.households}
    cadres = pd.DataFrame(
        [{"编号": c, "姓名": n, "职务": job, "类别": kind, "状态": "在职", "联系电话": _phone(rng, phones)}
         for c, n, job, kind in CADRES],
        columns=schema.CADRES.column_names,
        dtype=object,
    )
    ledger.replace(schema.CADRES.name, cadres)

    shop = pd.DataFrame(
        [{"名称": n, "单位": u, "积分单价": p, "库存": s, "备注": ""} for n, u, p, s in SHOP],
        columns=schema.SHOP.column_names,
        dtype=object,
    )
    ledger.replace(schema.SHOP.name, shop)

    active = [h for h in village.households if is_active(h.state)]
    opening = sorted(rng.sample(active, 40), key=lambda h: h.id)
    entries = [
        NewEntry(h.id, schema.ENTRY_OPENING, float(rng.choice((5, 8, 10, 12, 15, 18, 20, 23, 26, 30, 35, 42, 50, 61))),
                 "原纸质存折余额结转")
        for h in opening
    ]
    journal, _ids = append_entries(ledger.frame(schema.JOURNAL.name), entries, date=OPENING_DATE, operator=OPERATOR)
    ledger.replace(schema.JOURNAL.name, journal)

    ledger.save(
        "samples",
        f"--village {village.name}",
        [],
        f"示例数据：户籍 {len(households)} 户，干部 {len(cadres)} 人，商品 {len(shop)} 种，期初余额 {len(entries)} 户",
        keep_backups=keep_backups,
    )


# --- the roster -----------------------------------------------------------------

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


def _roster_rows(village: Village, rng: random.Random) -> list[list]:
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


# --- entry point -----------------------------------------------------------------


def build_samples(out_dir: Path, village: str = "中坪村") -> dict[str, Path | list[Path]]:
    """Write the demo ledger, the rosters and the July inspection sheets into ``out_dir``."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    data = make_village(village)
    state_existed = (out_dir / ".villagectl").exists()

    ledger_path = out_dir / f"{village}积分台账.xlsx"
    if ledger_path.exists():
        ledger_path.unlink()  # ours, from an earlier run
    # A fresh folder gets no backup folder; an existing one keeps its backups as the setting says.
    write_ledger(ledger_path, data, keep_backups=None if state_existed else 0)
    if not state_existed:
        shutil.rmtree(out_dir / ".villagectl", ignore_errors=True)  # only the emptied backup folder

    raw = out_dir / ROSTER_DIR
    raw.mkdir(exist_ok=True)
    rng = random.Random(SEED + 2)
    rows = _roster_rows(data, rng)
    roster = raw / ROSTER_NAME
    write_roster(roster, data, rows)
    roster_bad = raw / ROSTER_ERRORS_NAME
    write_roster(roster_bad, data, roster_with_errors(data, rows))

    folder = raw / INSPECTION_DIR
    folder.mkdir(exist_ok=True)
    sheets = [
        (write_group1, f"{village}第一组7月检查评分表.xlsx", "第一组"),
        (write_group2, "第二组2026年7月评分.xlsx", "第二组"),
        (write_group3, "第三组7月检查打分表.xls", "第三组"),
        (write_group4, "第四组7月积分评比.ods", "第四组"),
    ]
    inspections: list[Path] = []
    for writer, name, group in sheets:
        path = folder / name
        writer(path, data, data.inspections[group])
        inspections.append(path)
    supplement = folder / SUPPLEMENT_NAME
    write_supplement(supplement, data)
    return {
        "ledger": ledger_path,
        "roster": roster,
        "roster_with_errors": roster_bad,
        "inspections": inspections,
        "supplement": supplement,
    }
