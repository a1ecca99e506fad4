"""Scale: time and peak memory of the main commands at 300, 3,000 and 30,000 households.

    python benchmarks/bench_scale.py [--sizes 300 3000 30000]

For each size: a generated village (zhongping, 100 households per group) with one
month of group sheets; then, each as a real command in a fresh process (so the
figures include start-up, reading the ledger and the write-back):
inspect import → score month → notice month → post month → score year.
Peak memory is the child's maximum RSS (resource.getrusage, POSIX).
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from bench_monthly import generate  # noqa: E402


def measured(cmd: list[str]) -> tuple[float, float]:
    """(seconds, peak MB) of one command in a fresh process."""
    start = time.perf_counter()
    # run through a tiny wrapper so each command's own peak is reported
    wrapper = ("import resource, subprocess, sys; p = subprocess.run(sys.argv[1:]); "
               "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, file=sys.stderr); sys.exit(p.returncode)")
    proc = subprocess.run([sys.executable, "-c", wrapper, *cmd], capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if proc.returncode not in (0, 5):
        raise RuntimeError(f"{' '.join(cmd[:4])} failed: {proc.stderr[-400:]}")
    peak_kb = int(proc.stderr.strip().splitlines()[-1])
    return round(seconds, 2), round(peak_kb / 1024, 1)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", type=int, nargs="+", default=[300, 3000, 30000])
    args = ap.parse_args()
    exe = [sys.executable, "-m", "villagectl"]
    table = []
    for n in args.sizes:
        with tempfile.TemporaryDirectory() as tmp:
            base = Path(tmp)
            ledger, sheets = generate(base, n, max(n // 100, 1))
            steps = {
                "inspect import": exe + ["inspect", "import", str(ledger), str(sheets)],
                "score month": exe + ["score", "month", str(ledger), "--month", "2026-07", "--json"],
                "notice month": exe + ["notice", "month", str(ledger), "--month", "2026-07", "-o", str(base / "p.pdf"),
                                       "--date", "2026-07-26"],
                "post month": exe + ["post", "month", str(ledger), "--month", "2026-07", "--date", "2026-07-29"],
                "score year": exe + ["score", "year", str(ledger), "--year", "2026", "--json"],
            }
            row = {"households": n, "ledger_MB": None}
            for name, cmd in steps.items():
                row[name] = measured(cmd)
            row["ledger_MB"] = round(ledger.stat().st_size / 1e6, 2)
            table.append(row)
            print(json.dumps(row, ensure_ascii=False), flush=True)
    print("\n| households | ledger | " + " | ".join(k for k in table[0] if k not in ("households", "ledger_MB")) + " |")
    for row in table:
        cells = [f"{s} s / {m} MB" for k, (s, m) in ((k, v) for k, v in row.items() if k not in ("households", "ledger_MB"))]
        print(f"| {row['households']:,} | {row['ledger_MB']} MB | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
