"""``check`` and ``balance`` on a large ledger, against a plain python-calamine read (not run as a test).

    python benchmarks/bench_check_balance.py [--households 3000] [--groups 30] [--runs 5] [--ledger FILE]

The ledger is the one ``bench_report.py`` builds (a year of 月度得分, journal, redemptions, votes and
``score year``), or --ledger. Each measurement is a whole process, as the clerk or a cron job waits for
it: ``villagectl check LEDGER``, ``villagectl balance LEDGER --json`` and ``python -c`` reading every
sheet with python-calamine (the floor: no tool can read the workbook faster). Reported: the median
wall time and CPU time (user + system) of --runs runs, and each command's ratio to the floor. On a
busy machine the CPU ratio is the steadier figure.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

FLOOR = """
import sys
from python_calamine import CalamineWorkbook
book = CalamineWorkbook.from_path(sys.argv[1])
for name in book.sheet_names:
    book.get_sheet_by_name(name).to_python()
"""


def measure(argv: list[str], runs: int) -> tuple[float, float]:
    """(median wall, median CPU) of ``argv`` run ``runs`` times."""
    walls, cpus = [], []
    for _ in range(runs):
        before = os.times()
        t0 = time.perf_counter()
        proc = subprocess.run(argv, capture_output=True)
        walls.append(time.perf_counter() - t0)
        after = os.times()
        cpus.append((after.children_user - before.children_user) + (after.children_system - before.children_system))
        if proc.returncode not in (0, 1):  # check exits 1 when it finds problems: still a full run
            sys.stderr.write(proc.stderr.decode("utf-8", "replace"))
            raise SystemExit(f"{argv[1:3]} failed with exit {proc.returncode}")
    return statistics.median(walls), statistics.median(cpus)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--households", type=int, default=3000)
    ap.add_argument("--groups", type=int, default=30)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--ledger", type=Path, help="measure this ledger instead of generating one")
    args = ap.parse_args(argv)
    villagectl = shutil.which("villagectl") or str(Path(sys.executable).parent / "villagectl")
    with tempfile.TemporaryDirectory() as tmp:
        if args.ledger:
            ledger = args.ledger
        else:
            from benchmarks.bench_report import generate

            ledger = generate(Path(tmp), args.households, args.groups)
        floor = measure([sys.executable, "-c", FLOOR, str(ledger)], args.runs)
        check = measure([villagectl, "check", str(ledger)], args.runs)
        balance = measure([villagectl, "balance", str(ledger), "--json"], args.runs)
    print(f"ledger: {ledger.name}, {ledger.stat().st_size / 2**20:.1f} MiB" if args.ledger else
          f"ledger: {args.households} households, {args.groups} groups (bench_report.py)")
    print(f"{'':24}{'wall s':>8}{'cpu s':>8}{'wall ×':>8}{'cpu ×':>8}")
    for name, (wall, cpu) in (("calamine read (floor)", floor), ("villagectl check", check),
                              ("villagectl balance", balance)):
        print(f"{name:24}{wall:8.2f}{cpu:8.2f}{wall / floor[0]:8.2f}{cpu / floor[1]:8.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
