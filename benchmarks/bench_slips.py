"""Time 500 redemption slips: ``redeem import`` of a 500-line day sheet, and the slip PDF alone (not a test).

    python benchmarks/bench_slips.py [--slips 500] [--runs 3]

Setup (once, not timed): the 64-household sample village (``build_samples``),
every active household given 100,000 opening points, stock 100,000 of every
item, 人均奖励经费 raised so the budget does not refuse; a day sheet of
``--slips`` lines (merged title, header on row 3, footer), one line per visit,
households taking turns so that every line is its own slip, 1–3 of an item.

Then, each in a fresh ``python`` process per run (median of ``--runs``):

- import: ``import_redemptions`` on a fresh copy of the ledger — sandboxed
  read of the sheet, every check, journal/兑换记录/商品 write-back with its
  verification, codes, QR codes and the slips PDF (4 to an A4 page);
- pdf: ``render_slips`` alone for the same number of slips (QR codes, jinja2,
  glyph check, typst);
- cli: the whole ``villagectl redeem import`` command (interpreter start-up and
  imports included).

Printed: time inside the process (imports excluded), wall time of the
process, peak RSS of the process itself (and of the sandbox child that parses
the sheet), pages and PDF size.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
ITEMS = ("洗衣粉", "食用油", "毛巾", "大米", "牙膏", "香皂", "酱油", "洗洁精", "卫生纸", "肥皂")


def make_setup(folder: Path, slips: int) -> tuple[Path, Path]:
    import datetime as dt

    import openpyxl

    from villagectl import schema
    from villagectl.ledger.journal import NewEntry, append_entries
    from villagectl.ledger.workbook import Ledger
    from villagectl.demo import build_samples
    from villagectl.values import clean_text

    ledger_path = Path(build_samples(folder / "村")["ledger"])
    ledger = Ledger.open(ledger_path)
    households = ledger.frame(schema.HOUSEHOLDS.name)
    active = [clean_text(r["户号"]) for _, r in households.iterrows() if clean_text(r["状态"]) == "正常"]
    journal, _ = append_entries(ledger.frame(schema.JOURNAL.name),
                                [NewEntry(h, schema.ENTRY_AWARD, 100_000, "压力测试") for h in active], "2026-07-31", "测试")
    ledger.replace(schema.JOURNAL.name, journal)
    shop = ledger.frame(schema.SHOP.name).copy()
    shop["库存"] = 100_000
    ledger.replace(schema.SHOP.name, shop)
    settings = ledger.frame(schema.SETTINGS.name).copy()
    settings.loc[settings["键"].map(clean_text) == "人均奖励经费", "值"] = "100000"
    ledger.replace(schema.SETTINGS.name, settings)
    ledger.save("bench-setup")

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "兑换登记"
    ws.append([f"中坪村爱心超市{dt.date(2026, 8, 1):%Y年%-m月%-d日}兑换登记表"])
    ws.merge_cells("A1:F1")
    ws.append([])
    ws.append(["序号", "户号", "户主", "物品", "数量", "备注"])
    names = {clean_text(r["户号"]): clean_text(r["户主"]) for _, r in households.iterrows()}
    for i in range(slips):
        hid = active[i % len(active)]
        ws.append([i + 1, hid, names[hid], ITEMS[(i * 7) % len(ITEMS)], 1 + i % 3, ""])
    ws.append([])
    ws.append(["制表人：李秀兰", None, None, "审核：王建国"])
    sheet = folder / "8月1日兑换登记.xlsx"
    wb.save(sheet)
    return ledger_path, sheet


IMPORT_CHILD = """
import json, resource, sys, time
from pathlib import Path
from villagectl.actions.redeem_import import import_redemptions
from villagectl.actions.session import Session
t0 = time.perf_counter()
r = import_redemptions(Session(Path({ledger!r})), Path({sheet!r}), out_pdf=Path({out!r}))
elapsed = time.perf_counter() - t0
print(json.dumps({{"s": elapsed, "slips": len(r.plans), "self_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
                   "child_kb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss}}))
"""

PDF_CHILD = """
import datetime as dt, json, resource, time
from pathlib import Path
from villagectl.render.slips import Slip, SlipLine, SlipSheet, render_slips
from villagectl.actions.slips import canonical_content, make_code, make_payload
items = {items!r}
slips = []
for i in range({slips}):
    qty = 1 + i % 3
    name = items[(i * 7) % len(items)]
    line = SlipLine(name, qty, "袋", 10, 10 * qty, 10 * qty)
    number, hid = f"DH2026-{{i + 1:06d}}", f"ZP{{i % 63 + 1:03d}}"
    code = make_code("k" * 32, canonical_content(number, "2026-08-01", hid, [(name, qty, 10 * qty)], 10 * qty))
    slips.append(Slip(number, dt.date(2026, 8, 1), hid, "王喆", [line], 10 * qty, 10 * qty, 1000, 1000 - 10 * qty, code,
                      make_payload(number, "2026-08-01", hid, 10 * qty, code)))
t0 = time.perf_counter()
render_slips(SlipSheet("中坪村", "爱心超市", slips), Path({out!r}))
print(json.dumps({{"s": time.perf_counter() - t0, "slips": len(slips),
                   "self_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, "child_kb": 0}}))
"""


def run_child(code: str) -> tuple[dict, float]:
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=False)
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        sys.stderr.write(proc.stdout + proc.stderr)
        raise SystemExit(1)
    return json.loads(proc.stdout.strip().splitlines()[-1]), wall


CLI_CHILD = ("import sys, villagectl.cli.shop_commands; from villagectl.cli.main import run; "
             "sys.argv = ['villagectl'] + sys.argv[1:]; run()")


def run_cli(ledger: Path, sheet: Path, out: Path) -> float:
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c",
                           CLI_CHILD,
                           "redeem", "import", str(ledger), str(sheet), "-o", str(out), "--json"],
                          capture_output=True, text=True, cwd=ROOT, check=False)
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        sys.stderr.write(proc.stdout + proc.stderr)
        raise SystemExit(1)
    return wall


def _pages(pdf: Path) -> int | str:
    try:
        import pypdf

        return len(pypdf.PdfReader(str(pdf)).pages)
    except ImportError:
        return "?"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--slips", type=int, default=500)
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args(argv)

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        ledger, sheet = make_setup(tmp / "setup", args.slips)
        rows = {"import": [], "pdf": [], "cli": []}
        for run in range(args.runs):
            work = tmp / f"run{run}"
            work.mkdir()
            copy = work / ledger.name
            shutil.copyfile(ledger, copy)
            out = work / "slips.pdf"
            data, wall = run_child(IMPORT_CHILD.format(ledger=str(copy), sheet=str(sheet), out=str(out)))
            assert data["slips"] == args.slips, data
            rows["import"].append((data["s"], wall, data["self_kb"], data["child_kb"], out.stat().st_size, _pages(out)))

            out2 = work / "pdf_only.pdf"
            data, wall = run_child(PDF_CHILD.format(items=ITEMS, slips=args.slips, out=str(out2)))
            rows["pdf"].append((data["s"], wall, data["self_kb"], 0, out2.stat().st_size, _pages(out2)))

            cli_dir = work / "cli"
            cli_dir.mkdir()
            shutil.copyfile(ledger, cli_dir / ledger.name)
            wall = run_cli(cli_dir / ledger.name, sheet, cli_dir / "slips.pdf")
            rows["cli"].append((0.0, wall, 0, 0, 0, ""))

    print(f"slips: {args.slips}   runs: {args.runs} (median, fresh process each)")
    for label, key in (("redeem import (library)", "import"), ("slip PDF alone", "pdf")):
        r = rows[key]
        inside = statistics.median(x[0] for x in r)
        wall = statistics.median(x[1] for x in r)
        peak = max(x[2] for x in r) / 1024
        child = max(x[3] for x in r) / 1024
        extra = f", sandbox child {child:.0f} MB" if child else ""
        print(f"{label:26s} in-process {inside:5.2f} s   process {wall:5.2f} s   peak RSS {peak:4.0f} MB{extra}   "
              f"pages {r[0][5]}   PDF {r[0][4] / 1024:.0f} KiB   runs: {', '.join(f'{x[0]:.2f}' for x in r)}")
    print(f"{'villagectl redeem import':26s} process {statistics.median(x[1] for x in rows['cli']):5.2f} s   "
          f"runs: {', '.join(f'{x[1]:.2f}' for x in rows['cli'])}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
