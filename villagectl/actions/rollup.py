"""``rollup``: the town's summary across many village ledgers (read only) — the orchestration.

Every ledger is only READ: nothing is written into it, no lock or backup file
is made beside it. This module finds the ledger files, reads the columns the
summary needs from each in worker processes (``actions.rollup_read``), and
writes the town workbook (``actions.rollup_outputs``) and the PDF
(``render.rollup``). The town's rules — what each village's figures are, a
household transferred between two villages counted once, the totals — live in
``scoring.town`` (pure, no files).

A ledger that cannot be read (damaged zip, not a ledger, missing sheets or
columns, a number that is not a number) is reported with its file name and a
reason in Chinese; the others are summed all the same.

Ledgers are read in parallel (``ProcessPoolExecutor``, ``workers`` processes),
each with python-calamine reading only the six sheets needed (measured on
ledgers of 500 households with a year of data: 0.14 s a ledger against 0.73 s
through ``Ledger.open``, which reads and converts every sheet; see
benchmarks/bench_rollup.py). Worker processes never import pandas.
``reader="ledger"`` reads through ``Ledger.open`` instead (same results; kept
for the benchmark and the tests).
"""

from __future__ import annotations

import datetime as dt
import os
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any, Callable, Iterable

from villagectl.actions.rollup_outputs import write_workbook
from villagectl.actions.rollup_read import REQUIRED_SHEETS, read_village, short_reason
from villagectl.errors import DataError, FileAccessError, UsageError, missing_inputs
from villagectl.io.safe_write import STATE_DIR
from villagectl.scoring.town import (
    RollupResult, Skipped, VillageSummary, common_town, count_moved_once, refuse_same_names, total_of)


def default_workers() -> int:
    return max(1, min(4, os.cpu_count() or 1))


# --------------------------------------------------------------------------
# Finding the ledgers
# --------------------------------------------------------------------------


def _skip_name(name: str) -> bool:
    """Office lock files and villagectl's own temp files."""
    return name.startswith(("~$", ".~", ".villagectl-tmp-"))


def find_ledgers(paths: Iterable[Path], exclude: Iterable[Path] = ()) -> tuple[list[tuple[Path, str]], list[Skipped]]:
    """(ledger files with the name shown for each, paths that do not exist).

    A folder is searched recursively for ``.xlsx`` files; ``~$`` lock files and
    the ``.villagectl`` folders (backups, locks) are left out. A file named on
    the command line is taken whatever its name (it is checked by content).
    """
    excluded = {_resolved(p) for p in exclude}
    seen: set[Path] = set()
    found: list[tuple[Path, str]] = []
    missing: list[Skipped] = []
    paths = [Path(p) for p in paths]
    for p in paths:
        # names are shown relative to the folder given (with the folder's name when several were given)
        prefix = f"{p.resolve().name}/" if len(paths) > 1 else ""
        if p.is_dir():
            hits: list[Path] = []
            for folder, dirs, files in os.walk(p):
                dirs[:] = sorted(d for d in dirs if d != STATE_DIR)
                for name in files:
                    if name.lower().endswith(".xlsx") and not _skip_name(name):
                        hits.append(Path(folder) / name)
            for f in sorted(hits, key=lambda q: q.relative_to(p).parts):
                key = _resolved(f)
                if key in seen or key in excluded:
                    continue
                seen.add(key)
                found.append((f, prefix + f.relative_to(p).as_posix()))
        elif p.is_file():
            key = _resolved(p)
            if key in seen or key in excluded:
                continue
            seen.add(key)
            found.append((p, p.name))
        else:
            missing.append(Skipped(p.name or str(p), "文件或文件夹不存在"))
    return found, missing


def _resolved(p: Path) -> Path:
    try:
        return Path(p).resolve()
    except OSError:
        return Path(os.path.abspath(p))


def _read_one(path: str, display: str, year: int, reader: str) -> tuple[str, Any]:
    """Run in a worker: never raises (a broken ledger must not stop the others)."""
    try:
        return "ok", read_village(Path(path), year, display, reader)
    except DataError as exc:
        return "error", exc.message
    except PermissionError:
        return "error", "没有读取这个文件的权限，或文件正被其他程序独占；请检查文件权限后重试"
    except OSError as exc:
        return "error", f"无法读取文件：{exc.strerror or exc}"
    except MemoryError:
        return "error", "文件太大，内存不足，无法读取"
    except Exception as exc:  # a bug, or a file no reader expected: report it, go on
        return "error", f"读取时出错（{type(exc).__name__}: {short_reason(exc)}），请把这个文件发给技术支持"


# --------------------------------------------------------------------------
# The whole roll-up
# --------------------------------------------------------------------------


def read_villages(
    files: list[tuple[Path, str]],
    year: int,
    workers: int | None = None,
    on_file: Callable[[str], None] | None = None,
    reader: str = "calamine",
) -> tuple[list[VillageSummary], list[Skipped]]:
    """Read every ledger (in parallel), in the order given; broken ones are returned as Skipped."""
    workers = workers or default_workers()
    results: dict[int, tuple[str, Any]] = {}

    def done(i: int, outcome: tuple[str, Any]) -> None:
        results[i] = outcome
        if on_file:
            on_file(files[i][1])

    if workers <= 1 or len(files) <= 1:
        for i, (path, display) in enumerate(files):
            done(i, _read_one(str(path), display, year, reader))
    else:
        pending = list(range(len(files)))
        with ProcessPoolExecutor(max_workers=min(workers, len(files))) as pool:
            futures = {pool.submit(_read_one, str(files[i][0]), files[i][1], year, reader): i for i in pending}
            broken: list[int] = []
            for fut in as_completed(futures):
                i = futures[fut]
                try:
                    done(i, fut.result())
                except BrokenProcessPool:
                    broken.append(i)
        # A worker died (the reader aborted the process): read each of the
        # unfinished files alone, so only the file that kills its reader is lost.
        for i in sorted(broken):
            try:
                with ProcessPoolExecutor(max_workers=1) as solo:
                    outcome = solo.submit(_read_one, str(files[i][0]), files[i][1], year, reader).result()
            except BrokenProcessPool:
                outcome = ("error", "读取时程序异常退出（文件可能已损坏或过大），无法读取")
            done(i, outcome)

    villages: list[VillageSummary] = []
    skipped: list[Skipped] = []
    for i in range(len(files)):
        status, value = results[i]
        if status == "ok":
            villages.append(value)
        else:
            skipped.append(Skipped(files[i][1], value))
    return villages, skipped


def check_output(path: Path, suffix: str, inputs: list[Path], option: str = "-o") -> None:
    """Refuse an output path that would overwrite a ledger (never write a ledger)."""
    from villagectl.io.outputs import guard_output

    guard_output(path, inputs, option)  # a ledger being summed, any ledger, a backup
    if path.suffix.lower() != suffix:
        raise UsageError(f"输出文件名须以 {suffix} 结尾：{path.name}")
    if not path.parent.exists():
        raise FileAccessError(f"文件夹不存在：{path.parent}")
    target = _resolved(path)
    if any(_resolved(p) == target for p in inputs):
        raise UsageError(f"{option} 指向的输出文件 {path} 是要汇总的台账之一，不能覆盖台账；请换一个文件名")
    if suffix == ".xlsx" and path.exists():
        try:
            import python_calamine

            book = python_calamine.CalamineWorkbook.from_path(str(path))
            names = list(book.sheet_names)
            book.close()
        except Exception:
            names = []
        if any(n in names for n in REQUIRED_SHEETS):
            raise UsageError(f"{option} 指向的 {path} 是一本台账，汇总结果不能写在台账上；请换一个文件名")


def rollup(
    paths: list[Path],
    out: Path,
    year: int | None = None,
    pdf: Path | None = None,
    workers: int | None = None,
    on_file: Callable[[str], None] | None = None,
    on_start: Callable[[int], None] | None = None,
    font: Path | None = None,
    templates_dir: Path | None = None,
    reader: str = "calamine",
    today: dt.date | None = None,
    title: str = "",
    town: str = "",
) -> RollupResult:
    """Summarize the ledgers at ``paths`` (files or folders) into ``out`` (and ``pdf``).

    Never writes a ledger. Raises DataError when no ledger file is found at
    all; otherwise returns the result, with the skipped files in it.
    """
    if not paths:
        raise UsageError("请给出台账文件或所在的文件夹")
    out = Path(out)
    today = today or dt.date.today()
    year = year or today.year
    if not 1900 <= year <= 2999:
        raise UsageError(f"年度“{year}”不对，应为四位数的年份，例如 2026")
    if workers is not None and workers < 1:
        raise UsageError("--workers 至少为 1")
    files, missing = find_ledgers(paths, exclude=[out] + ([pdf] if pdf else []))
    check_output(out, ".xlsx", [f for f, _ in files] + [Path(p) for p in paths if Path(p).is_file()], "-o")
    if pdf is not None:
        check_output(Path(pdf), ".pdf", [f for f, _ in files] + [Path(p) for p in paths if Path(p).is_file()], "--pdf")
    if not files and missing and len(missing) == len(list(paths)):
        raise missing_inputs([Path(p) for p in paths])
    if not files:
        where = "、".join(str(p) for p in paths)
        raise DataError(f"在 {where} 里没有找到台账文件（.xlsx）", [])
    if on_start:
        on_start(len(files))
    villages, skipped = read_villages(files, year, workers, on_file, reader)
    villages, doubles = refuse_same_names(villages)
    skipped = missing + skipped + doubles
    count_moved_once(villages)
    warnings = [(v.file, w) for v in villages for w in v.warnings]
    result = RollupResult(year, len(files) + len(missing), villages, skipped, warnings, total_of(villages),
                          town=town or common_town(villages))

    result.output = write_workbook(result, out)
    if pdf is not None:
        from villagectl.render.rollup import render_rollup_pdf

        result.pdf = render_rollup_pdf(result, Path(pdf), font=font, templates_dir=templates_dir, title=title,
                                       today=today)
    return result

