"""Time the monthly notice PDF for a large village (not run as a test).

    python benchmarks/bench_notice.py [--households 3000] [--runs 3]

Each run is a fresh ``python -c`` process that builds a deterministic
MonthNotice and calls render_month_notice once; the script prints the median
of the render times (inside the child, imports excluded), the median wall time
of the whole child process, the peak RSS of the children
(resource.getrusage(RUSAGE_CHILDREN), POSIX only), the page count and the PDF size.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent

CATEGORIES = ["人居环境", "先锋模范", "学生就学", "创业就业", "团结友爱"]
MAXIMA = [50, 20, 10, 10, 10]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
GIVEN = "建国华明伟芳秀英军强丽敏静磊洋勇艳杰娟涛超霞平刚桂兰玉红志文德福春梅海燕喆赟堃"
GROUP_NUMERALS = "一二三四五六七八九十"


def make_notice(households: int = 3000):
    """A deterministic MonthNotice: 30 groups, ~2% not inspected, a few on the 曝光台."""
    import random

    from villagectl.render.notice import MonthNotice, NoticeRow

    rng = random.Random(20260726)
    groups = [f"第{_cn_numeral(i)}组" for i in range(1, 31)]
    rows = []
    for i in range(households):
        name = rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2, 2, 2))))
        group = groups[i * len(groups) // households]
        if rng.random() < 0.02:
            rows.append(NoticeRow(group, name, [], None, None, None, None, False, True))
            continue
        scores = [round(rng.uniform(0.55, 1.0) * m * 2) / 2 for m in MAXIMA]
        total = sum(scores)
        points = 5 if total > 90 else 3 if total > 85 else 1 if total >= 80 else 0
        bonus = 5 if points == 5 and rng.random() < 0.2 else None
        rows.append(NoticeRow(group, name, scores, total, points, bonus, None, False, False))
    scored = sorted((r for r in rows if not r.missing), key=lambda r: -r.total)
    for rank, row in enumerate(scored, start=1):
        row.village_rank = rank
    for row in scored[-3:]:
        row.exposure = True
    return MonthNotice(
        village="中坪村",
        month="2026-07",
        categories=CATEGORIES,
        rows=rows,
        period_start=dt.date(2026, 7, 26),
        period_end=dt.date(2026, 7, 28),
        objection_text="对公示内容有异议的，请在公示期内以书面或口头形式向村民委员会或本组网格员反映。",
        committee="中坪村村民委员会",
        issued=dt.date(2026, 7, 26),
        order="group",
        mask_names=False,
    )


def _cn_numeral(n: int) -> str:
    """1 → 一, 10 → 十, 12 → 十二, 30 → 三十 (1–99)."""
    tens, ones = divmod(n, 10)
    head = "" if tens == 0 else ("十" if tens == 1 else GROUP_NUMERALS[tens - 1] + "十")
    return head + (GROUP_NUMERALS[ones - 1] if ones else "")


CHILD = """
import json, sys, time
sys.path.insert(0, {here!r})
from bench_notice import make_notice
from villagectl.render.notice import render_month_notice
notice = make_notice({households})
t0 = time.perf_counter()
render_month_notice(notice, __import__("pathlib").Path({out!r}))
print(json.dumps({{"render_s": time.perf_counter() - t0}}))
"""


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--households", type=int, default=3000)
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args(argv)

    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "notice.pdf"
        code = CHILD.format(here=str(HERE), households=args.households, out=str(out))
        render_times, wall_times = [], []
        for _ in range(args.runs):
            t0 = time.perf_counter()
            proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
            wall_times.append(time.perf_counter() - t0)
            if proc.returncode != 0:
                print(proc.stderr, file=sys.stderr)
                return 1
            render_times.append(json.loads(proc.stdout.strip().splitlines()[-1])["render_s"])
        try:
            import resource

            peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
            peak = f"{peak_kb / 1024:.0f} MB" if sys.platform != "darwin" else f"{peak_kb / 2**20:.0f} MB"
        except ImportError:  # Windows
            peak = "n/a"
        pages = _page_count(out)
        size = out.stat().st_size

    print(f"households:            {args.households}")
    print(f"pages:                 {pages}")
    print(f"PDF size:              {size / 1024:.0f} KiB")
    print(f"render (median of {args.runs}): {statistics.median(render_times):.2f} s   runs: {', '.join(f'{t:.2f}' for t in render_times)}")
    print(f"process (median):      {statistics.median(wall_times):.2f} s   (python start, imports, data, render)")
    print(f"peak RSS (children):   {peak}")
    return 0


def _page_count(pdf: Path) -> int | str:
    try:
        import pypdf

        return len(pypdf.PdfReader(str(pdf)).pages)
    except ImportError:
        import re

        return len(re.findall(rb"/Type\s*/Page\b", pdf.read_bytes())) or "?"


if __name__ == "__main__":
    sys.exit(main())
