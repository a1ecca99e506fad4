"""3,000 passbooks: ``passbook --all`` on a generated village with a year of journal rows (not run as a test).

    python benchmarks/bench_passbook.py [--households 3000] [--runs 1] [--keep FOLDER]

Generates (through the library, deterministic) a zhongping-preset ledger with
--households households in 30 groups and a year (2025) of history: 12 months
of 检查记录 (14 items each) and 月度得分, one 月度积分 journal row per
household and month (when the month earned points), and about 3 redemptions
per household (one household in four shops in a month) — about 15 journal
rows per household. Then runs the real command in a fresh process per run:

    villagectl passbook LEDGER --all -o DIR --year 2025

and prints the median wall time of the whole process (interpreter start-up
included), its CPU time (with the worker processes), the in-process split (ledger read + statement rows / rendering
3,000 PDFs) measured by a second, instrumented run, the peak RSS of the
command (os.wait4, POSIX only: the largest of its processes), the number of
files and their total size.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华建国文兰玉梅红春生林海峰德福荣顺利金山"
CN = "零一二三四五六七八九"
GOODS = [("洗衣粉", 10), ("食用油", 50), ("毛巾", 5), ("大米", 40), ("牙膏", 6), ("香皂", 4), ("酱油", 8)]
YEAR = 2025


def group_name(g: int) -> str:
    if g <= 10:
        return f"第{'十' if g == 10 else CN[g]}组"
    tens, ones = divmod(g, 10)
    return f"第{'' if tens == 1 else CN[tens]}十{CN[ones] if ones else ''}组"


def generate(folder: Path, households: int, groups: int = 30, seed: int = 11) -> Path:
    import pandas as pd

    from villagectl.actions.transfer import append_dated
    from villagectl.ledger.create import create_ledger
    from villagectl.ledger.journal import NewEntry, empty_journal
    from villagectl.ledger.workbook import Ledger
    from villagectl.rules.presets import ZHONGPING

    rnd = random.Random(seed)
    path = folder / "大村台账.xlsx"
    create_ledger(path, "大村", "zhongping")
    book = Ledger.open(path)
    people = []
    for i in range(households):
        size = rnd.randint(1, 6)
        people.append({"户号": f"H{i + 1:05d}",
                       "户主": rnd.choice(SURNAMES) + "".join(rnd.choice(GIVEN) for _ in range(rnd.choice((1, 2)))),
                       "组别": group_name(i % groups + 1), "人口": size, "参评人数": max(1, size - rnd.randint(0, 1)),
                       "户类型": "普通户", "联系电话": f"139{rnd.randint(10**7, 10**8 - 1)}", "状态": "正常"})
    book.replace("户籍", pd.DataFrame(people, dtype=object).reindex(columns=book.frame("户籍").columns, fill_value=""))

    items = [r for r in ZHONGPING.rules if r.type == "检查项"]
    cats = list(dict.fromkeys(r.category for r in items))
    inspections, monthly, dated = [], [], []
    for m in range(1, 13):
        month = f"{YEAR}-{m:02d}"
        for h in people:
            scores = {r: max(0.0, r.points - rnd.choice((0, 0, 0, 0, 0.5, 1, 1.5, 2))) for r in items}
            total = round(sum(scores.values()), 1)
            points = 5.0 if total > 90 else 3.0 if total > 85 else 1.0 if total >= 80 else 0.0
            inspections.append({"月份": month, "户号": h["户号"], "户主": h["户主"], "组别": h["组别"],
                                **{f"{r.code} {r.item}": s for r, s in scores.items()}, "合计": total,
                                "来源文件": f"{h['组别']}{m}月检查表.xlsx", "工作表": "检查表", "行号": 3,
                                "文件哈希": "0" * 16, "导入时间": f"{month}-26 09:00:00"})
            monthly.append({"月份": month, "户号": h["户号"], "户主": h["户主"], "组别": h["组别"],
                            **{c: round(sum(s for r, s in scores.items() if r.category == c), 1) for c in cats},
                            "总分": total, "名次": 1, "组内名次": 1, "积分": points, "奖励": 0.0, "曝光台": "",
                            "状态": "入账", "备注": ""})
            if points:
                dated.append((f"{month}-28", NewEntry(h["户号"], "月度积分", points, f"{month} 月度检查 {total:g} 分",
                                                      f"月度得分 {month} {h['户号']}")))
        for h in people:  # 2–4 redemptions a year: about one household in four shops in a month
            if rnd.random() < 0.25:
                name, price = rnd.choice(GOODS)
                dated.append((f"{month}-{rnd.randint(1, 27):02d}",
                              NewEntry(h["户号"], "兑换", -float(min(price, 5)), f"兑换：{name} 1",
                                       f"DH{len(dated):06d}")))
    book.replace("检查记录", pd.DataFrame(inspections, dtype=object).reindex(
        columns=book.frame("检查记录").columns, fill_value=""))
    book.replace("月度得分", pd.DataFrame(monthly, dtype=object).reindex(
        columns=book.frame("月度得分").columns, fill_value=""))
    book.replace("积分流水", append_dated(empty_journal(), dated, "村文书"))
    book.save("bench-setup")
    return path


RUN = r"""
import sys
sys.path.insert(0, {root!r})
import villagectl.cli.account_commands
from villagectl.cli.main import run
sys.argv = ["villagectl", "passbook", {ledger!r}, "--all", "-o", {out!r}, "--year", "{year}", "--json"]
run()
"""

SPLIT = r"""
import json, sys, time
sys.path.insert(0, {root!r})
from pathlib import Path
t0 = time.perf_counter()
from villagectl.actions.passbook import LedgerPassbooks, style_from_settings
from villagectl.ledger.passbook import build_passbook, passbook_file_name
from villagectl.ledger.workbook import Ledger
from villagectl.render.passbook import print_many
t1 = time.perf_counter()
data = LedgerPassbooks.load(Ledger.open(Path({ledger!r})))
homes = data.open_households()
t2 = time.perf_counter()
books = [build_passbook(data.rows_of(h.household_id), h, data.village, {year}) for h in homes]
t3 = time.perf_counter()
out = Path({out!r}); out.mkdir(exist_ok=True)
print_many([(b, out / passbook_file_name(b)) for b in books], style_from_settings(data.settings))
t4 = time.perf_counter()
print(json.dumps({{"imports": t1 - t0, "read_ledger_and_statement": t2 - t1, "build_passbooks": t3 - t2,
                  "render_and_write": t4 - t3, "rows": int(len(data.statement))}}))
"""


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--households", type=int, default=3000)
    ap.add_argument("--runs", type=int, default=1)
    ap.add_argument("--keep", type=Path, help="keep the generated ledger and the PDFs in this folder")
    ap.add_argument("--generate-only", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.generate_only:
        generate(args.generate_only, args.households)
        return 0

    with tempfile.TemporaryDirectory() as tmp:
        base = args.keep or Path(tmp)
        base.mkdir(parents=True, exist_ok=True)
        t = time.perf_counter()
        # In a child process: this one must stay small, or the measured command's peak RSS
        # would include it (Linux carries a process's high-water mark over fork + exec).
        subprocess.run([sys.executable, __file__, "--generate-only", str(base), "--households", str(args.households)],
                       check=True)
        ledger = base / "大村台账.xlsx"
        print(f"generated {args.households} households, a year of journal rows, in {time.perf_counter() - t:.1f} s")
        walls, peaks = [], []
        out = base / "存折"
        cpu_before = _children_cpu()
        for _ in range(args.runs):
            code = RUN.format(root=str(ROOT), ledger=str(ledger), out=str(out), year=YEAR)
            t = time.perf_counter()
            proc, usage = _run_measured([sys.executable, "-c", code])
            walls.append(time.perf_counter() - t)
            peaks.append(usage.ru_maxrss if usage else 0)
            if proc.returncode != 0:
                print(proc.stdout[-2000:], proc.stderr[-2000:], file=sys.stderr)
                return 1
        result = json.loads(proc.stdout)
        cpu = (_children_cpu() - cpu_before) / args.runs
        peak_kb = max(peaks) if peaks else 0
        peak = "n/a" if not peak_kb else f"{peak_kb / 1024:.0f} MB" if sys.platform != "darwin" else f"{peak_kb / 2**20:.0f} MB"
        files = sorted(out.glob("*.pdf"))
        size = sum(p.stat().st_size for p in files)
        split_out = base / "存折-split"
        proc = subprocess.run([sys.executable, "-c", SPLIT.format(root=str(ROOT), ledger=str(ledger),
                                                                  out=str(split_out), year=YEAR)],
                              capture_output=True, text=True, check=True)
        split = json.loads(proc.stdout)
        pages = _pages(files[0]) if files else 0

    print(f"households:              {args.households}  (files written: {len(files)}, reported: {result['households']})")
    print(f"journal rows:            {split['rows']}")
    print(f"passbook --all (median of {args.runs}): {statistics.median(walls):.2f} s   runs: {', '.join(f'{w:.2f}' for w in walls)}")
    print(f"  split: imports {split['imports']:.2f} s, ledger read + statement rows {split['read_ledger_and_statement']:.2f} s, "
          f"build passbooks {split['build_passbooks']:.2f} s, render + write {split['render_and_write']:.2f} s")
    print(f"CPU time per run:        {cpu:.1f} s (user + system, the command and its worker processes)")
    print(f"peak RSS:                {peak}  (the largest process of the command: the main one, workers are smaller)")
    print(f"PDFs:                    {size / 2**20:.1f} MiB in all, {size / max(len(files), 1) / 1024:.0f} KiB each, "
          f"{pages} page(s) for the first")
    return 0


def _run_measured(cmd: list[str]):
    """Run a command; return (completed process, its rusage) — rusage only on POSIX."""
    import os

    if not hasattr(os, "wait4"):
        return subprocess.run(cmd, capture_output=True, text=True, check=False), None
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(cmd, stdout=out, stderr=err)
        _pid, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        done = subprocess.CompletedProcess(cmd, proc.returncode, out.read().decode("utf-8", "replace"),
                                           err.read().decode("utf-8", "replace"))
    return done, usage


def _children_cpu() -> float:
    try:
        import resource

        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        return usage.ru_utime + usage.ru_stime
    except ImportError:  # Windows
        return float("nan")


def _pages(pdf: Path) -> int | str:
    try:
        import pypdf

        return len(pypdf.PdfReader(str(pdf)).pages)
    except ImportError:
        import re

        return len(re.findall(rb"/Type\s*/Page\b", pdf.read_bytes())) or "?"


if __name__ == "__main__":
    sys.exit(main())
