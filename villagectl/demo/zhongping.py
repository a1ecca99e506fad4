"""中坪村, the deterministic demo village (preset ``zhongping``): its data and its ledger.

The households (64 in 4 groups, one moved out, two names alike, rare characters),
the roster's view of them (this spring's changes and two new households), the
July 2026 inspection scores, the cadres and the shop — all from
``random.Random(20260601)``, the same every run — and ``write_ledger``, which
makes the ledger through ``init`` and fills it through the library.

The roster and the four groups' inspection sheets, each in its own layout, are
``demo.zhongping_sheets``; the whole folder (``build_samples``) is
``demo.zhongping_folder``.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field, replace
from pathlib import Path

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
