"""The base-140 sample village (seed 001 篇4): 桃源村's designed year, for ``villagectl demo --preset base140`` and the tests.

``build_base140_samples(folder)`` writes 桃源村's ledger (preset ``base140``, 30 households in three
groups); ``fill_base140_form`` fills a form made by ``inspect forms --quarter`` / ``--review`` the way
the 评议小组 would (a blank cell = not inspected; the sign-off line names the reviewing group and its
members: 第一组 is reviewed by 第二组, 第二组 by 第三组, 第三组 by 第一组). The scores and events are
designed (BASE140_DESIGN, BASE140_EVENTS) so that the year's results are known exactly
(tests/test_base140_year.py): annual = each quarterly item's mean over the quarters inspected (40
when never) + the review's three items (20 each when not reviewed) + the year's posted events.
"""

from __future__ import annotations

import datetime as dt
import random
import shutil
from pathlib import Path

import openpyxl
import pandas as pd

from villagectl import schema
from villagectl.demo.zhongping import SEED, _phone
from villagectl.ledger.create import create_ledger
from villagectl.ledger.workbook import Ledger

BASE140_VILLAGE = "桃源村"
BASE140_YEAR = 2026
BASE140_GROUPS = ("第一组", "第二组", "第三组")
_B = None  # not inspected (a blank cell)
# 户号: (户主, 环境整治 Q1–Q4, 文明新风 Q1–Q4, (党的建设, 民生保障, 遵纪守法) or None = not reviewed)
BASE140_DESIGN: dict[str, tuple[str, list, list, tuple | None]] = {
    "101": ("陈德荣", [40, 40, 40, 40], [40, 40, 40, 40], (20, 20, 20)),
    "102": ("陈秀梅", [38, _B, 39, 40], [40, _B, 38, 39], (20, 19, 19)),  # Q2 blank: 3 quarters
    "103": ("杜春兰", [40, 39, 40, 39], [39, 39, 39, 39], (19, 19, 19.5)),
    "104": ("柳正清", [38, 40, _B, 39], [40, 40, _B, 40], (20, 20, 19.5)),  # Q3 blank
    "105": ("程大海", [36, 36, 37, 37], [35, 35, 36, 36], (18, 18, 18)),
    "106": ("何秀英", [38, 38, 38, 38], [37, 37, 37, 37], (19, 19, 19)),
    "107": ("胡国强", [35, 35, 35, 35], [36, 36, 36, 36], (18, 19, 19)),
    "108": ("俞家旺", [37, 37, 37, _B], [36, 36, 36, _B], (19, 18, 18)),  # Q4 blank, reviewed
    "109": ("汪小芹", [34, 34, 34, 34], [34, 34, 34, 34], (17, 17, 17)),
    "110": ("杜长青", [33, 35, 33, 35], [35, 33, 35, 33], (18, 18, 17)),
    "201": ("袁志明", [40, 40, 39, 39], [40, 39, 40, 39], (20, 20, 19)),
    "202": ("金满仓", [40, 40, _B, _B], [38, 39, _B, _B], (19, 19.5, 19)),  # 2 quarters
    "203": ("韦春燕", [39, 39, 39, 39], [38, 38, 38, 38], (20, 20, 19)),
    "204": ("苏有财", [37, 37, 38, 38], [38, 38, 38, 38], (20, 20, 20)),
    "205": ("马红梅", [38, 37, 38, 37], [37, 38, 37, 38], None),  # not reviewed: 20 × 3
    "206": ("邹永福", [36, 36, 36, 36], [36, 36, 36, 36], (19, 19, 19)),
    "207": ("蒋德茂", [30, 32, 34, 36], [33, 33, 33, 33], (16, 16, 16)),
    "208": ("蒋丽华", [38, 38, 38, 38], [38, 38, 38, 37], (17, 17, 17)),
    "209": ("钱福来", [25, 28, 30, 33], [30, 30, 30, 30], (15, 15, 15)),
    "210": ("孙桂芳", [39, 38, _B, _B], [37, 38, _B, _B], (18, 18, 18)),
    "301": ("潘红旗", [_B, _B, _B, _B], [_B, _B, _B, _B], (18, 18, 18)),  # never inspected: 40 + 40
    "302": ("甘露华", [0, 40, 40, 40], [40, 40, 40, 40], (20, 20, 20)),  # a 0 is a 0
    "303": ("方志成", [_B, _B, _B, _B], [_B, _B, _B, _B], None),  # never assessed: exactly 140
    "304": ("白玉兰", [37, 36, 37, 36], [37, 37, 37, 37], (18, 18, 19)),
    "305": ("潘建军", [36, 35, 36, 35], [34, 35, 34, 35], (18, 18, 18)),
    "306": ("甘秀云", [35, 35, 36, 36], [36, 36, 35, 35], (19, 18, 19)),
    "307": ("方德兴", [32, 32, 32, 32], [31, 31, 31, 31], (16, 16, 16)),
    "308": ("白志远", [38, 39, 38, 39], [36, 37, 36, 37], (19, 19, 18)),
    "309": ("邹小红", [37, 37, 37, 37], [37, 37, 37, 37], (18, 18, 18)),
    "310": ("蒋光辉", [36, 38, _B, 37], [37, 36, _B, 38], (17, 18, 17)),
}
# (户号, 积分, 日期, 事由, what happens: 入账 / 驳回 / 初审 (left pending)); the batch says when it is posted
BASE140_EVENTS: list[tuple[str, float, str, str, str, str]] = [
    ("105", 10, "2025-12-28", "2025年冬季义务巡逻", "入账", "2026-01"),  # dated 2025: 2025's points
    ("101", 10, "2026-04-10", "参加村庄环境义务清扫", "入账", "2026-09"),
    ("101", 10, "2026-08-15", "见义勇为，救起落水儿童", "入账", "2026-09"),
    ("201", 10, "2026-05-20", "带动村民就业创业", "入账", "2026-09"),
    ("201", 7, "2026-06-18", "捐资助学", "入账", "2026-09"),
    ("102", 10, "2026-03-12", "评为“美丽庭院”", "入账", "2026-09"),
    ("102", 6, "2026-07-02", "志愿服务", "入账", "2026-09"),
    ("301", 10, "2026-05-01", "评为“文明家庭”", "入账", "2026-09"),
    ("301", 8, "2026-07-21", "调解邻里纠纷", "入账", "2026-09"),
    ("202", 10, "2026-04-22", "无偿献血", "入账", "2026-09"),
    ("202", 4, "2026-06-06", "参加议事协商", "入账", "2026-09"),
    ("103", 10, "2026-05-15", "孝老爱亲事迹经核实", "入账", "2026-09"),
    ("302", 10, "2026-06-30", "支持村集体经济", "入账", "2026-09"),
    ("302", 6, "2026-08-08", "红白事简办", "入账", "2026-09"),
    ("104", 6, "2026-04-18", "志愿服务", "入账", "2026-09"),
    ("104", -5, "2026-07-09", "乱堆乱放，经提醒未整改", "入账", "2026-09"),
    ("204", 4, "2026-05-28", "参加村民会议", "入账", "2026-09"),
    ("105", 10, "2026-06-12", "申报见义勇为（经核实不属实）", "驳回", "2026-09"),
    ("106", -10, "2026-12-20", "违规搭建，拒不拆除", "入账", "2027-01"),  # dated 2026, posted 2027: 2026's
    ("107", 10, "2026-12-22", "志愿服务（待公示）", "初审", "2027-01"),  # never posted: not counted
]
# the reviewing group of each group's sheets (篇4 小组交叉考察评议) and its members (≥ 5)
BASE140_REVIEWERS = {
    "第一组": ("第二组", "韦国强、金秀英、苏建平、袁春花、马德文"),
    "第二组": ("第三组", "潘志军、甘秀兰、方立新、白玉珍、蒋国华"),
    "第三组": ("第一组", "何建华、胡丽萍、汪志成、杜海洋、程玉珍"),
}
BASE140_REVIEW_DAYS = {1: "2026年3月20日", 2: "2026年6月19日", 3: "2026年9月18日", 4: "2026年12月4日", 0: "2026年12月18日"}


def base140_group(household_id: str) -> str:
    return BASE140_GROUPS[int(household_id[0]) - 1]


def build_base140_samples(out_dir: Path) -> Path:
    """桃源村's ledger (preset base140): 30 households, nothing inspected yet. Returns the ledger path."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"{BASE140_VILLAGE}积分台账.xlsx"
    if path.exists():
        path.unlink()  # ours, from an earlier run
    state_existed = (out_dir / ".villagectl").exists()
    create_ledger(path, BASE140_VILLAGE, "base140", today=dt.date(BASE140_YEAR, 1, 2))
    ledger = Ledger.open(path)
    rng = random.Random(SEED + 140)
    phones: set[str] = set()
    frame = pd.DataFrame(
        [{"户号": hid, "户主": name, "组别": base140_group(hid), "人口": size, "参评人数": size, "户类型": "普通户",
          "联系电话": _phone(rng, phones), "身份证号": "", "状态": "正常", "备注": ""}
         for hid, (name, *_rest) in BASE140_DESIGN.items() for size in [rng.choice((2, 3, 4, 5))]],
        columns=schema.HOUSEHOLDS.column_names, dtype=object)
    ledger.replace(schema.HOUSEHOLDS.name, frame)
    ledger.save("samples", f"--village {BASE140_VILLAGE} --preset base140", [],
                f"示例数据：户籍 {len(frame)} 户（基础分140分方案）", keep_backups=None if state_existed else 0)
    if not state_existed:
        shutil.rmtree(out_dir / ".villagectl", ignore_errors=True)
    return path


def fill_base140_form(path: Path, quarter: int) -> Path:
    """Fill a form of ``inspect forms --quarter 2026Qn`` (``quarter`` 1–4) or ``--review 2026`` (0) as designed."""
    wb = openpyxl.load_workbook(path)
    ws = wb.worksheets[0]
    header = {str(ws.cell(3, c).value or "").split("\n")[0]: c for c in range(1, ws.max_column + 1)}
    group = ""
    for r in range(4, ws.max_row + 1):
        hid = str(ws.cell(r, 2).value or "").strip()
        if hid in BASE140_DESIGN:
            _name, hj, wm, review = BASE140_DESIGN[hid]
            group = base140_group(hid)
            if quarter:
                values = {"环境整治": hj[quarter - 1], "文明新风": wm[quarter - 1]}
            else:
                values = dict(zip(("党的建设", "民生保障", "遵纪守法"), review or (_B, _B, _B)))
            for item, value in values.items():
                ws.cell(r, header[item]).value = value
            if all(v is None for v in values.values()):
                ws.cell(r, ws.max_column).value = "外出务工，未评" if quarter else "未参加评议"
        elif str(ws.cell(r, 1).value or "").startswith("评议小组："):
            by, members = BASE140_REVIEWERS[group]
            ws.cell(r, 1).value = f"评议小组：{by}　　评议小组成员：{members}　　日期：{BASE140_REVIEW_DAYS[quarter]}"
    wb.save(path)
    return path
