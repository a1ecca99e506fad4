"""Monthly cycle at scale: a generated village, one month of group sheets.

    python benchmarks/bench_monthly.py [--households 3000] [--groups 30] [--runs 3]

Measures, each in fresh processes (median of --runs):
  (a) the I/O floor: read the group sheets and the ledger with python-calamine,
      plus one write-back of 月度得分 (the same size as the real one);
  (b) inspect import + score month, each with its write-back (the real commands);
  (c) the notice PDF for every household.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import openpyxl

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from villagectl.ledger.create import create_ledger  # noqa: E402
from villagectl.ledger.workbook import Ledger  # noqa: E402
from villagectl.rules.presets import ZHONGPING  # noqa: E402

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华建国文兰玉梅红春生林海峰德福荣顺利金山"
CN = "零一二三四五六七八九"


def group_name(g: int) -> str:
    if g >= 100:
        return f"第{g}组"
    if g <= 10:
        return f"第{'十' if g == 10 else CN[g]}组"
    tens, ones = divmod(g, 10)
    return f"第{'' if tens == 1 else CN[tens]}十{CN[ones] if ones else ''}组"


def header_of(rule, i: int, wording: str) -> str:
    """'names': the rule's own item name; 'sentences': the first clause of the seed's sentence, numbered,
    with the maximum — every column then goes through the matcher's evidence, not an exact name."""
    if wording == "sentences":
        clause = re.split("[，；]", rule.note)[0][:10]
        return f"{i + 1}.{clause}（满分{rule.points:g}）"
    return f"{rule.item}\n({rule.points:g}分)"


def generate(folder: Path, households: int, groups: int, seed: int = 7, wording: str = "names") -> tuple[Path, Path]:
    rnd = random.Random(seed)
    ledger = folder / "大村台账.xlsx"
    create_ledger(ledger, "大村", "zhongping")
    rows = []
    for i in range(households):
        g = i % groups + 1
        rows.append({"户号": f"H{i + 1:05d}", "户主": rnd.choice(SURNAMES) + "".join(rnd.choice(GIVEN) for _ in range(rnd.choice((1, 2)))),
                     "组别": group_name(g), "人口": rnd.randint(1, 6), "参评人数": 1, "户类型": "普通户", "状态": "正常"})
    import pandas as pd

    book = Ledger.open(ledger)
    book.replace("户籍", pd.DataFrame(rows, dtype=object).reindex(columns=book.frame("户籍").columns, fill_value=""))
    book.save("bench-setup")
    sheets = folder / "检查表"
    sheets.mkdir()
    rules = [r for r in ZHONGPING.rules]
    for g in range(1, groups + 1):
        wb = openpyxl.Workbook()
        ws = wb.active
        ws.title = "检查表"
        ws.append([f"大村{group_name(g)}2026年7月检查评分表"])
        ws.append(["序号", "户号", "户主"] + [header_of(r, i, wording) for i, r in enumerate(rules)] + ["合计"])
        n = 0
        for row in rows:
            if row["组别"] != group_name(g):
                continue
            n += 1
            scores = [max(0.0, r.points - rnd.choice((0, 0, 0, 0.5, 1, 1.5))) for r in rules]
            ws.append([n, row["户号"], row["户主"]] + scores + [sum(scores)])
        ws.append([])
        ws.append(["检查人：张三  日期：2026年7月22日"])
        wb.save(sheets / f"{group_name(g)}7月检查表.xlsx")
    return ledger, sheets


ONE_RUN = r"""
import json, shutil, sys, time
from pathlib import Path
import python_calamine as pc
sys.path.insert(0, {root!r})
from villagectl.ledger.workbook import Ledger
from villagectl.io.xlsx_patch import SheetUpdate, patch_workbook
from villagectl.actions.inspect_import import import_inspections
from villagectl.actions.score_month import score_months
from villagectl.actions.notice_month import print_month_notice
import datetime as dt
sheets, pristine, work = Path({sheets!r}), Path({ledger!r}), Path({work!r})
out = {{}}
# (a) the I/O floor
shutil.copy(pristine, work)
t = time.perf_counter()
for f in sorted(sheets.glob("*.xlsx")):
    b = pc.CalamineWorkbook.from_path(str(f))
    for n in b.sheet_names:
        b.get_sheet_by_name(n).to_python(skip_empty_area=False)
ledger = Ledger.open(work)
ledger.load_all()  # the whole ledger, as the floor
header = ["月份","户号","户主","组别","人居环境","先锋模范","学生就学","创业就业","团结友爱","总分","名次","组内名次","积分","奖励","曝光台","状态","备注"]
rows = [["2026-07", h, "", "", 40.5, 19.5, 10.0, 9.5, 10.0, 89.5, 1, 1, 3.0, 0.0, "", "草稿", ""] for h in ledger.frame("户籍")["户号"]]
patch_workbook(work, work.with_suffix(".out.xlsx"), [SheetUpdate("月度得分", header, rows)])
out["a_io_floor"] = time.perf_counter() - t
# (b) import + score + write-back (the library calls the commands make)
shutil.copy(pristine, work)
t = time.perf_counter()
import_inspections(work, [sheets])
t1 = time.perf_counter()
score_months(work, "2026-07")
t2 = time.perf_counter()
out["b_import"], out["b_score"], out["b_total"] = t1 - t, t2 - t1, t2 - t
# (c) the notice
t = time.perf_counter()
print_month_notice(work, "2026-07", work.with_name("公示.pdf"), dt.date(2026, 7, 26))
out["c_notice"] = time.perf_counter() - t
print(json.dumps(out))
"""


def timed(cmd: list[str]) -> float:
    t = time.perf_counter()
    subprocess.run(cmd, check=True, capture_output=True)
    return time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--households", type=int, default=3000)
    ap.add_argument("--groups", type=int, default=30)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--wording", choices=("names", "sentences"), default="names",
                    help="item headers: the rules' names, or clauses of the seed's sentences (the matcher at work)")
    args = ap.parse_args()
    exe = [sys.executable, "-m", "villagectl"]
    figures: dict[str, list[float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        t = time.perf_counter()
        ledger, sheets = generate(base, args.households, args.groups, wording=args.wording)
        print(f"generated {args.households} households, {args.groups} sheets in {time.perf_counter() - t:.1f} s")
        pristine = ledger.read_bytes()
        work = base / "work.xlsx"
        for _ in range(args.runs):
            script = ONE_RUN.format(root=str(ROOT), sheets=str(sheets), ledger=str(ledger), work=str(work))
            run = json.loads(subprocess.run([sys.executable, "-c", script], check=True, capture_output=True,
                                            text=True).stdout.strip().splitlines()[-1])
            for k, v in run.items():
                figures.setdefault(k, []).append(v)
            # the same work as whole commands, as a clerk runs them (interpreter start-up included)
            ledger.write_bytes(pristine)
            cli = [timed(exe + ["inspect", "import", str(ledger), str(sheets)]),
                   timed(exe + ["score", "month", str(ledger), "--month", "2026-07", "--json"]),
                   timed(exe + ["notice", "month", str(ledger), "--month", "2026-07", "-o", str(base / "p.pdf"),
                                "--date", "2026-07-26"])]
            for k, v in zip(("cli_import", "cli_score", "cli_notice"), cli):
                figures.setdefault(k, []).append(v)
    medians = {k: round(statistics.median(v), 3) for k, v in figures.items() if v}
    medians["ratio_b_over_a"] = round(medians["b_total"] / medians["a_io_floor"], 2)
    print(json.dumps({"households": args.households, "groups": args.groups, "runs": args.runs,
                      "wording": args.wording, "median_s": medians},
                     ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
