"""Town roll-up at scale: many generated village ledgers, one ``villagectl rollup``.

    python benchmarks/bench_rollup.py [--villages 300] [--households 150000] [--runs 3]
                                      [--workers N] [--compare-readers] [--keep DIR]

Generation (not measured): one ledger is made with ``create_ledger`` (the real
sheets, headers, styles and settings of the zhongping preset); each village is
that template with its 参数 (村名), 户籍, 积分流水, 兑换记录 and 年度评定 sheets
replaced through ``io.xlsx_patch.patch_workbook`` (the same lossless write-back
the commands use), in parallel. Each village has a year (2025) of data: the
month's 检查记录 and 月度得分 rows (unless --lean) and 12 monthly journal rows per household (``关联`` "月度得分 2025-MM", posted the month
after, so December is posted in January 2026), opening balances for a tenth of the
households, a few awards, redemptions for about a fifth of the households (with
their 兑换记录 lines) and one voided redemption (a 冲正 row, the 兑换记录 line 作废),
and the 年度评定 rows of 2025 (medals, red and black list).

Measured: ``villagectl rollup DIR -o town.xlsx --year 2025`` as a fresh process
(wall time, median of --runs), peak memory = the largest ru_maxrss of the
children (resource.getrusage(RUSAGE_CHILDREN): the CLI process and its worker
processes; POSIX only). ``--compare-readers`` also times the library with the
two readers (python-calamine on the six needed sheets vs ``Ledger.open``) on
the first 30 ledgers, in one process without workers.

Measured on the project's 2-core machine (other sessions were running tests at
the same time: load average 2.5–3.6 before the runs), 300 ledgers of ~500
households (150,000 in all, 146,950 of them 正常), 418 MB of ledgers:

| what | figure |
|---|---|
| ``villagectl rollup DIR -o town.xlsx --year 2025`` (2 workers, the default here) | median 20.1 s of 5 runs (15.3–24.1 s); 23 s of CPU in all |
| peak memory (largest process: the CLI or one worker) | 77 MB |
| ``--workers 1`` / ``--workers 4`` (one run each) | 22.9 s / 13.9 s |
| with ``--pdf`` (10 pages; one run each) | 16.4 s and 24.4 s, peak 217 MB (typst) |
| one ledger, python-calamine on six sheets vs ``Ledger.open`` | 0.07 s vs 0.38 s |
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

YEAR = 2025
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华建国文兰玉梅红春生林海峰德福荣顺利金山"
CN = "零一二三四五六七八九"
PLACES = "东西南北上下前后大小新老高低长青石河山湖桥林田沟湾坪岭坝塘"
ITEMS = (("食用油", "桶", 30), ("洗衣粉", "袋", 8), ("毛巾", "条", 5), ("大米", "袋", 40), ("酱油", "瓶", 6))


def group_name(g: int) -> str:
    if g <= 10:
        return f"第{'十' if g == 10 else CN[g]}组"
    tens, ones = divmod(g, 10)
    return f"第{'' if tens == 1 else CN[tens]}十{CN[ones] if ones else ''}组"


def village_name(i: int) -> str:
    a, b = divmod(i, len(PLACES))
    return f"{PLACES[a % len(PLACES)]}{PLACES[b]}{i:03d}村"


def make_template(folder: Path) -> Path:
    from villagectl.ledger.create import create_ledger

    path = folder / "template.xlsx"
    create_ledger(path, "模板村", "zhongping")
    return path


def _band(total: float) -> float:
    if total > 90:
        return 5.0
    if total > 85:
        return 3.0
    return 1.0 if total >= 80 else 0.0


def village_updates(template: Path, index: int, households: int, seed: int = 11, lean: bool = False):
    """The SheetUpdates that turn the template into village ``index`` (deterministic)."""
    from villagectl.io.xlsx_patch import SheetUpdate
    from villagectl import schema
    from villagectl.ledger.journal import GENESIS, check_value
    from villagectl.ledger.workbook import Ledger
    from villagectl.rules.presets import ZHONGPING

    rng = random.Random(seed * 100003 + index)
    name = village_name(index)
    groups = 4 + index % 7
    prefix = f"V{index:03d}"

    base = Ledger.open(template)
    params = base.frame(schema.SETTINGS.name)
    param_rows = [[r["键"], name if r["键"] == "村名" else r["值"], r["说明"]] for r in params.to_dict("records")]

    roster = []
    for j in range(households):
        state = "正常" if rng.random() > 0.02 else rng.choice(("迁出", "注销"))
        roster.append([f"{prefix}{j + 1:04d}", rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2)))),
                       group_name(j % groups + 1), rng.randint(1, 6), 1, "普通户", "", "", state, ""])
    active = [r for r in roster if r[8] == "正常"]

    journal: list[dict] = []
    balance: dict[str, float] = {}
    earned: dict[str, float] = {}

    def post(date: str, hid: str, kind: str, points: float, summary: str, ref: str) -> str:
        entry_id = f"{len(journal) + 1:06d}"
        balance[hid] = round(balance.get(hid, 0.0) + points, 4)
        journal.append({"流水号": entry_id, "日期": date, "户号": hid, "成员": "", "类型": kind, "积分": points,
                        "余额": balance[hid], "摘要": summary, "关联": ref, "经办人": "村文书"})
        return entry_id

    for r in rng.sample(active, len(active) // 10):
        post(f"{YEAR - 1}-12-31", r[0], "期初", float(rng.randint(5, 60)), "原纸质存折余额结转", "")
    shop_rows = []
    monthly_rows = []
    inspection_rows = []
    rules = [r for r in ZHONGPING.rules if r.type == "检查项"]
    categories = list(dict.fromkeys(r.category for r in rules))
    slip = 0
    for month in range(1, 13):
        label = f"{YEAR}-{month:02d}"
        posted = f"{YEAR + (month == 12)}-{month % 12 + 1:02d}-05"
        for r in active:
            scores = [max(0.0, float(rule.points) - rng.choice((0, 0, 0, 0, 0.5, 1, 1.5, 2, 3))) for rule in rules]
            total = sum(scores)
            pts = _band(total)
            if not lean:
                by_cat = [sum(s for s, rule in zip(scores, rules) if rule.category == c) for c in categories]
                monthly_rows.append([label, r[0], r[1], r[2], *by_cat, total, "", "", pts, 0, "", "入账", ""])
                inspection_rows.append([label, r[0], r[1], r[2], *scores, total, f"{r[2]}{month}月检查表.xlsx",
                                        "检查表", 3, "0f3a9c1d2e4b5a67", f"{posted} 09:00:00"])
            post(posted, r[0], "月度积分", pts, f"{YEAR}年{month}月检查积分", f"月度得分 {label}")
            earned[r[0]] = earned.get(r[0], 0.0) + pts
        for r in rng.sample(active, max(1, len(active) // 200)):
            post(f"{YEAR}-{month:02d}-15", r[0], "加分", 2.0, "志愿服务", "")
            earned[r[0]] = earned.get(r[0], 0.0) + 2
        # redemptions: about a fifth of the households over the year
        for r in rng.sample(active, max(1, len(active) // 60)):
            item, unit, price = rng.choice(ITEMS)
            if balance.get(r[0], 0.0) < price:
                continue
            slip += 1
            number = f"{YEAR}-{slip:05d}"
            date = f"{YEAR}-{month:02d}-{rng.randint(1, 28):02d}"
            before = balance[r[0]]
            entry = post(date, r[0], "兑换", -float(price), f"兑换 {item}×1", number)
            shop_rows.append([number, date, r[0], r[1], item, 1, unit, price, price, price, before, balance[r[0]],
                              entry, "", "已领取", date, "村文书", "", ""])
    if shop_rows:  # one voided slip: 冲正 in the journal, 作废 in 兑换记录
        row = shop_rows[len(shop_rows) // 2]
        original = next(e for e in journal if e["流水号"] == row[12])
        post(f"{YEAR}-12-20", row[2], "冲正", -original["积分"], f"冲正：{original['摘要']}（作废）", row[12])
        row[14] = "作废"
    previous = GENESIS
    for e in journal:
        e["校验"] = check_value(previous, e)
        previous = e["校验"]

    ranked = sorted(active, key=lambda r: -earned.get(r[0], 0.0))
    n = len(ranked)
    annual = []
    for pos, r in enumerate(ranked, start=1):
        medal = "金牌户" if pos <= n * 0.1 else "银牌户" if pos <= n * 0.2 else "铜牌户" if pos <= n * 0.3 else ""
        board = "红榜" if pos <= n * 0.1 else ("黑榜" if pos > n - 3 else "")
        annual.append([YEAR, r[0], r[1], r[2], earned.get(r[0], 0.0), pos, "", "", medal, board, "", "",
                       "否" if board == "黑榜" else "是", "", "", "入账", ""])

    def update(spec, rows, text=()):
        header = spec.column_names
        cols = {i for i, c in enumerate(spec.columns) if c.kind in ("text", "date", "month")} | set(text)
        return SheetUpdate(spec.name, header, rows, text_columns=cols)

    jcols = schema.JOURNAL.column_names
    extra = []
    if not lean:
        for spec, rows in ((schema.MONTHLY, monthly_rows), (schema.INSPECTIONS, inspection_rows)):
            header = list(base.frame(spec.name).columns)
            text = {i for i, c in enumerate(header) if (spec.column(c) is not None and spec.column(c).kind in ("text", "month"))}
            extra.append(SheetUpdate(spec.name, header, rows, text_columns=text))
    return extra + [
        SheetUpdate(schema.SETTINGS.name, schema.SETTINGS.column_names, param_rows, text_columns={0, 1, 2}),
        update(schema.HOUSEHOLDS, roster),
        update(schema.JOURNAL, [[e[c] for c in jcols] for e in journal]),
        update(schema.REDEMPTIONS, shop_rows),
        update(schema.ANNUAL, annual),
    ]


def _write_one(args) -> str:
    template, dst, index, households, lean = args
    from villagectl.io.xlsx_patch import patch_workbook

    patch_workbook(Path(template), Path(dst), village_updates(Path(template), index, households, lean=lean))
    return dst


def generate(folder: Path, villages: int, households: int, workers: int | None = None, lean: bool = False) -> list[Path]:
    """``villages`` ledgers with ``households`` in all, in sub-folders by township area, plus decoys."""
    folder.mkdir(parents=True, exist_ok=True)
    template = make_template(folder)
    per = [households // villages + (1 if i < households % villages else 0) for i in range(villages)]
    jobs = []
    for i in range(villages):
        sub = folder / f"片区{i % 5 + 1}"
        sub.mkdir(exist_ok=True)
        jobs.append((str(template), str(sub / f"{village_name(i)}积分台账.xlsx"), i, per[i], lean))
    with ProcessPoolExecutor(max_workers=workers or os.cpu_count()) as pool:
        paths = [Path(p) for p in pool.map(_write_one, jobs, chunksize=4)]
    template.unlink()
    # What a real folder also holds: a backup folder and an Excel lock file (both must be ignored).
    backups = paths[0].parent / ".villagectl" / "backups"
    backups.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(paths[0], backups / f"{paths[0].stem}-backup.xlsx")
    (paths[1].parent / f"~${paths[1].name}").write_bytes(b"\x00" * 165)
    return paths


# ``villagectl`` itself (the import registers the command even before cli/main imports it).
CLI = "import villagectl.cli.rollup_commands; from villagectl.cli.main import run; run()"
WRAPPER = (
    "import json, resource, subprocess, sys, time\n"
    "t = time.perf_counter()\n"
    "p = subprocess.run(sys.argv[1:], capture_output=True, text=True, encoding='utf-8')\n"
    "wall = time.perf_counter() - t\n"
    "u = resource.getrusage(resource.RUSAGE_CHILDREN)\n"
    "print(json.dumps({'wall': wall, 'rss_mb': u.ru_maxrss / 1024, 'cpu': u.ru_utime + u.ru_stime, 'rc': p.returncode,\n"
    "                  'out': p.stdout, 'err': p.stderr[-3000:]}))\n"
)


def measure_cli(folder: Path, out: Path, workers: int | None, pdf: Path | None = None) -> dict:
    """One fresh ``villagectl rollup`` process, run from a wrapper whose RUSAGE_CHILDREN sees only it and its workers."""
    cmd = [sys.executable, "-c", CLI, "rollup", str(folder), "-o", str(out), "--year", str(YEAR), "--json"]
    if workers:
        cmd += ["--workers", str(workers)]
    if pdf:
        cmd += ["--pdf", str(pdf)]
    proc = subprocess.run([sys.executable, "-c", WRAPPER, *cmd], capture_output=True, text=True, encoding="utf-8",
                          check=True)
    run = json.loads(proc.stdout)
    if run["rc"] not in (0, 1):
        raise SystemExit(f"rollup failed ({run['rc']}): {run['err']}\n{run['out'][-2000:]}")
    data = json.loads(run["out"])
    return {"wall_s": run["wall"], "rss_mb": run["rss_mb"], "cpu_s": run["cpu"], "exit": run["rc"], "read": data["read"],
            "skipped": len(data["skipped"]), "households": data["totals"]["households"],
            "earned": data["totals"]["earned"]}


def compare_readers(paths: list[Path], count: int = 30) -> dict:
    script = (
        "import sys, time, json\n"
        "from pathlib import Path\n"
        "from villagectl.actions.rollup import read_village\n"
        "paths = [Path(p) for p in sys.argv[2:]]\n"
        "t = time.perf_counter()\n"
        "for p in paths: read_village(p, %d, reader=sys.argv[1])\n"
        "print(json.dumps({'seconds': time.perf_counter() - t}))\n" % YEAR
    )
    out = {}
    for reader in ("calamine", "ledger"):
        proc = subprocess.run([sys.executable, "-c", script, reader, *map(str, paths[:count])], check=True,
                              capture_output=True, text=True, cwd=ROOT)
        out[reader] = json.loads(proc.stdout)["seconds"] / min(count, len(paths))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--villages", type=int, default=300)
    ap.add_argument("--households", type=int, default=150_000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--workers", type=int, default=None, help="passed to rollup (default: its own)")
    ap.add_argument("--pdf", action="store_true", help="also make the PDF (--pdf town.pdf)")
    ap.add_argument("--compare-readers", action="store_true")
    ap.add_argument("--lean", action="store_true", help="leave 月度得分 and 检查记录 empty (smaller ledgers)")
    ap.add_argument("--keep", type=Path, default=None, help="generate into (or reuse) this folder")
    args = ap.parse_args()

    tmp = None
    if args.keep:
        folder = args.keep
    else:
        tmp = tempfile.mkdtemp(prefix="bench-rollup-")
        folder = Path(tmp) / "全镇台账"
    try:
        existing = sorted(p for p in folder.rglob("*积分台账.xlsx")
                          if ".villagectl" not in p.parts and not p.name.startswith("~$")) if folder.exists() else []
        if len(existing) == args.villages:
            paths = existing
            print(f"reusing {len(paths)} ledgers in {folder}")
        else:
            t = time.perf_counter()
            paths = generate(folder, args.villages, args.households, lean=args.lean)
            print(f"generated {len(paths)} ledgers ({args.households} households) in {time.perf_counter() - t:.1f} s")
        size = sum(p.stat().st_size for p in paths)
        print(f"ledgers: {size / 1024 / 1024:.1f} MB in all, {size / len(paths) / 1024:.0f} KiB each")
        outdir = Path(tempfile.mkdtemp(prefix="bench-rollup-out-"))
        runs = []
        for i in range(args.runs):
            out = outdir / f"town{i}.xlsx"
            pdf = outdir / f"town{i}.pdf" if args.pdf else None
            load = round(os.getloadavg()[0], 2) if hasattr(os, "getloadavg") else None  # other work on the machine
            runs.append({**measure_cli(folder, out, args.workers, pdf), "load": load})
            print(f"run {i + 1} (load {load}): {runs[-1]['wall_s']:.2f} s (CPU {runs[-1]['cpu_s']:.1f} s), peak {runs[-1]['rss_mb']:.0f} MB, exit {runs[-1]['exit']}, {runs[-1]['read']} read, "
                  f"{runs[-1]['households']} households, earned {runs[-1]['earned']}")
        peak = max(r["rss_mb"] for r in runs)
        print(json.dumps({
            "command": f"villagectl rollup DIR -o town.xlsx --year {YEAR}" + (" --pdf town.pdf" if args.pdf else "")
            + (f" --workers {args.workers}" if args.workers else ""),
            "villages": len(paths),
            "households": runs[-1]["households"],
            "ledger_mb": round(size / 1024 / 1024, 1),
            "median_s": round(statistics.median(r["wall_s"] for r in runs), 2),
            "runs_s": [round(r["wall_s"], 2) for r in runs],
            "cpu_s_median": round(statistics.median(r["cpu_s"] for r in runs), 1),
            "load_before_runs": [r["load"] for r in runs],
            "peak_rss_mb": round(peak, 1),
            "cpus": os.cpu_count(),
        }, ensure_ascii=False))
        if args.compare_readers:
            print(json.dumps({"seconds_per_ledger": compare_readers(paths)}, ensure_ascii=False))
        shutil.rmtree(outdir, ignore_errors=True)
    finally:
        if tmp:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
