"""The annual report (``report year``) for a large generated village (not run as a test).

    python benchmarks/bench_report.py [--households 3000] [--groups 30] [--runs 3] [--keep DIR]

Setup (not timed): a ledger made by ``init`` (preset zhongping, 年度评定方式
星级和牌级) with --households households in --groups groups, twelve months of
月度得分 (one row per household and month, state 入账), the matching journal
(月度积分 entries with 关联 "月度得分 2026-MM 户号"), about one redemption per
three households spread over the year, a black list from a mutual-evaluation
tally, and ``score year`` run once, as a village has at year end.

Measured, each in a fresh ``python -c`` process (median of --runs):
  - wall time of the whole child (python start, imports, reading the ledger,
    building the report, typst) — what the clerk or a cron job waits for;
  - inside the child: reading the ledger, building the report's data, rendering
    the PDF; and the PDF's page count and size.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import pandas as pd  # noqa: E402

from villagectl.ledger.create import create_ledger  # noqa: E402
from villagectl.ledger.journal import NewEntry, append_entries  # noqa: E402
from villagectl.ledger.workbook import Ledger  # noqa: E402

YEAR = 2026
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华建国文兰玉梅红春生林海峰德福荣顺利金山"
CN = "零一二三四五六七八九"
CATEGORIES = (("人居环境", 50), ("先锋模范", 20), ("学生就学", 10), ("创业就业", 10), ("团结友爱", 10))
ITEMS = ("洗衣粉", "食用油", "毛巾", "大米", "牙膏", "香皂")


def group_name(g: int) -> str:
    if g <= 10:
        return f"第{'十' if g == 10 else CN[g]}组"
    tens, ones = divmod(g, 10)
    return f"第{'' if tens == 1 else CN[tens]}十{CN[ones] if ones else ''}组"


def band(total: float) -> int:
    return 5 if total > 90 else 3 if total > 85 else 1 if total >= 80 else 0


def generate(folder: Path, households: int, groups: int, seed: int = 11) -> Path:
    """A year-end ledger; returns its path."""
    rnd = random.Random(seed)
    path = folder / "大村台账.xlsx"
    create_ledger(path, "大村", "zhongping")
    book = Ledger.open(path)
    people = []
    for i in range(households):
        people.append({
            "户号": f"H{i + 1:05d}",
            "户主": rnd.choice(SURNAMES) + "".join(rnd.choice(GIVEN) for _ in range(rnd.choice((1, 2)))),
            "组别": group_name(i % groups + 1), "人口": rnd.randint(1, 6), "参评人数": 1, "户类型": "普通户",
            "联系电话": f"13{rnd.randint(0, 999999999):09d}", "身份证号": "", "状态": "正常",
        })
    book.replace("户籍", pd.DataFrame(people, dtype=object).reindex(columns=book.frame("户籍").columns, fill_value=""))
    # groups differ a little, households more
    group_level = {group_name(g): rnd.uniform(0.80, 0.92) for g in range(1, groups + 1)}
    skill = {p["户号"]: min(0.99, group_level[p["组别"]] + rnd.gauss(0, 0.04)) for p in people}
    monthly_rows = []
    journal = book.frame("积分流水")
    for m in range(1, 13):
        month = f"{YEAR}-{m:02d}"
        rows = []
        for p in people:
            scores = [round(min(mx, max(0.0, rnd.gauss(skill[p["户号"]], 0.04) * mx)) * 2) / 2 for _, mx in CATEGORIES]
            total = sum(scores)
            rows.append({"月份": month, "户号": p["户号"], "户主": p["户主"], "组别": p["组别"],
                         **{c: s for (c, _), s in zip(CATEGORIES, scores)}, "总分": total, "积分": band(total),
                         "奖励": 0, "曝光台": "", "状态": "入账", "备注": ""})
        rows.sort(key=lambda r: -r["总分"])
        for rank, r in enumerate(rows, start=1):
            r["名次"] = rank
        for r in rows[-2:]:
            if m >= 3:
                r["曝光台"] = "是"
        monthly_rows += rows
        entries = [NewEntry(r["户号"], "月度积分", float(r["积分"]), f"{month} 月度检查", f"月度得分 {month} {r['户号']}")
                   for r in rows if r["积分"]]
        journal, _ = append_entries(journal, entries, date=f"{month}-28", operator="村文书")
    book.replace("月度得分", pd.DataFrame(monthly_rows, dtype=object).reindex(columns=book.frame("月度得分").columns,
                                                                              fill_value=""))
    book.replace("积分流水", journal)
    redemptions = []
    for n in range(households // 3):
        m = rnd.randint(2, 12)
        price = rnd.choice((4, 6, 10, 15, 40, 50))
        redemptions.append({"单号": f"DH{YEAR}{n + 1:05d}", "日期": f"{YEAR}-{m:02d}-{rnd.randint(1, 28):02d}",
                            "户号": rnd.choice(people)["户号"], "物品": rnd.choice(ITEMS), "数量": 1, "单位": "件",
                            "积分单价": price, "积分": price, "金额": price, "状态": "已领取"})
    book.replace("兑换记录", pd.DataFrame(redemptions, dtype=object).reindex(columns=book.frame("兑换记录").columns,
                                                                            fill_value=""))
    votes = [{"年度": YEAR, "户号": p["户号"], "户主": p["户主"], "投票数": 30, "不合格票": 11, "来源": "bench"}
             for p in rnd.sample(people, max(1, households // 300))]
    book.replace("互评", pd.DataFrame(votes, dtype=object))
    settings = book.frame("参数").copy()
    settings.loc[settings["键"] == "年度评定方式", "值"] = "星级和牌级"
    book.replace("参数", settings)
    book.save("bench-setup")

    from villagectl.actions.score_year import score_year
    from villagectl.actions.session import Session

    score_year(Session(path), YEAR)
    return path


CHILD = """
import json, sys, time, datetime as dt
from pathlib import Path
t0 = time.perf_counter()
sys.path.insert(0, {root!r})
from villagectl.actions.year_report import build_year_report
from villagectl.ledger.workbook import Ledger
from villagectl.render.annual import render_year_report
t1 = time.perf_counter()
ledger = Ledger.open(Path({ledger!r}))
t2 = time.perf_counter()
report = build_year_report(ledger, {year}, dt.date({year} + 1, 1, 5))
t3 = time.perf_counter()
render_year_report(report, Path({out!r}))
t4 = time.perf_counter()
print(json.dumps({{"imports": t1 - t0, "read": t2 - t1, "build": t3 - t2, "render": t4 - t3}}))
"""


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--households", type=int, default=3000)
    ap.add_argument("--groups", type=int, default=30)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--keep", type=Path, help="copy the generated ledger and the report here")
    args = ap.parse_args(argv)

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        t0 = time.perf_counter()
        ledger = generate(folder, args.households, args.groups)
        setup = time.perf_counter() - t0
        out = folder / "年度报告.pdf"
        code = CHILD.format(root=str(ROOT), ledger=str(ledger), year=YEAR, out=str(out))
        walls, phases = [], []
        for _ in range(args.runs):
            t0 = time.perf_counter()
            proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
            walls.append(time.perf_counter() - t0)
            if proc.returncode != 0:
                print(proc.stderr, file=sys.stderr)
                return 1
            phases.append(json.loads(proc.stdout.strip().splitlines()[-1]))
        try:
            import resource

            peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
            peak = f"{peak_kb / 1024:.0f} MB" if sys.platform != "darwin" else f"{peak_kb / 2**20:.0f} MB"
        except ImportError:  # Windows
            peak = "n/a"
        pages = _page_count(out)
        size = out.stat().st_size
        ledger_size = ledger.stat().st_size
        if args.keep:
            args.keep.mkdir(parents=True, exist_ok=True)
            shutil.copy(ledger, args.keep / ledger.name)
            shutil.copy(out, args.keep / out.name)

    def med(key: str) -> str:
        return f"{statistics.median(p[key] for p in phases):.2f} s"

    print(f"households / groups:   {args.households} / {args.groups}  (12 months of 月度得分, journal, redemptions)")
    print(f"ledger size:           {ledger_size / 2**20:.1f} MiB   (setup {setup:.0f} s, not timed)")
    print(f"report pages / size:   {pages} / {size / 1024:.0f} KiB")
    print(f"wall (median of {args.runs}):    {statistics.median(walls):.2f} s   runs: {', '.join(f'{t:.2f}' for t in walls)}")
    print(f"  imports {med('imports')}, read ledger {med('read')}, build data {med('build')}, render PDF {med('render')}")
    print(f"peak RSS (children):   {peak}")
    return 0


def _page_count(pdf: Path) -> int | str:
    try:
        import pypdf

        return len(pypdf.PdfReader(str(pdf)).pages)
    except ImportError:
        return "?"


if __name__ == "__main__":
    sys.exit(main())
