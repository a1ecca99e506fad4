"""``rollup``: the town's summary across many village ledgers (read only) — the orchestration.

Every ledger is only READ: nothing is written into it, no lock or backup file
is made beside it. This module finds the ledger files, reads the columns the
summary needs from each (in worker processes), and writes the town workbook
(and the PDF through ``render.rollup``). The town's rules — what each village's
figures are, a household transferred between two villages counted once, the
totals — live in ``scoring.town`` (pure, no files).

A ledger that cannot be read (damaged zip, not a ledger, missing sheets or
columns, a number that is not a number) is reported with its file name and a
reason in Chinese; the others are summed all the same.

Ledgers are read in parallel (``ProcessPoolExecutor``, ``workers`` processes),
each with python-calamine reading only the six sheets needed (measured on
ledgers of 500 households with a year of data: 0.14 s a ledger against 0.73 s
through ``Ledger.open``, which reads and converts every sheet; see
benchmarks/bench_rollup.py). Worker processes never import pandas. ``reader="ledger"`` reads through ``Ledger.open``
instead (same results; kept for the benchmark and the tests).
"""

from __future__ import annotations

import datetime as dt
import os
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any, Callable, Iterable

from villagectl.errors import DataError, FileAccessError, UsageError, missing_inputs
from villagectl.io.filetype import sniff
from villagectl.io.preflight import col_letters
from villagectl.io.safe_write import STATE_DIR
from villagectl import schema
from villagectl.scoring.town import (  # noqa: F401 - the results are imported from here by callers and tests
    NO_GROUP, NOT_IN_ROSTER, SOURCE_JOURNAL, SOURCE_REDEMPTIONS, GroupSummary, RollupResult, SheetData, Skipped,
    Totals, VillageSummary, common_town, count_moved_once, refuse_same_names, summarize_village, total_of,
    use_percent)
from villagectl.values import clean_text, header_key

REQUIRED_SHEETS = (schema.SETTINGS.name, schema.HOUSEHOLDS.name, schema.JOURNAL.name)
OPTIONAL_SHEETS = (schema.EVENTS.name, schema.REDEMPTIONS.name, schema.ANNUAL.name)
NEEDED_SHEETS = REQUIRED_SHEETS + OPTIONAL_SHEETS

# Columns read from each sheet: (must be there, may be missing).
COLUMNS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    schema.SETTINGS.name: (("键", "值"), ()),
    schema.HOUSEHOLDS.name: (("户号", "组别", "人口", "状态"), ()),
    schema.JOURNAL.name: (("流水号", "日期", "户号", "类型", "积分"), ("关联",)),
    schema.EVENTS.name: ((), ("事件号", "日期")),
    schema.REDEMPTIONS.name: ((), ("日期", "积分", "金额", "状态")),
    schema.ANNUAL.name: ((), ("年度", "星级", "牌级", "榜单", "状态")),
}

SUMMARY_SHEET = "全镇汇总"
GROUP_SHEET = "分组明细"
PROBLEM_SHEET = "问题"


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


# --------------------------------------------------------------------------
# Reading one ledger
# --------------------------------------------------------------------------


def _encrypted(path: Path) -> bool:
    """An xlsx with an opening password is an OLE container holding an 'EncryptedPackage' stream."""
    try:
        if path.stat().st_size > 200 * 1024 * 1024:
            return False
        return "EncryptedPackage".encode("utf-16-le") in path.read_bytes()
    except OSError:
        return False


def _ledger_refusal(path: Path, kind: str) -> DataError | None:
    if kind == "xls" and _encrypted(path):
        return DataError("台账设置了打开密码，无法读取；请在 Excel/WPS 中取消密码后另存")
    if kind == "empty":
        return DataError("文件是空的（0 字节），不是台账")
    if kind == "damaged":
        return DataError(f"文件已损坏（不是完整的 xlsx 文件，可能没有拷贝完整），无法读取；"
                         f"可从该村台账旁 {STATE_DIR}/backups 文件夹里的备份恢复")
    if kind in ("xls", "ods"):
        return DataError(f"是 {kind} 文件，不是 xlsx 台账；台账须为 .xlsx，请在 Excel/WPS 中另存为 .xlsx")
    if kind != "xlsx":
        return DataError("不是 Excel 文件（内容不是 xlsx），不是台账")
    return None


def _not_a_ledger(names: list[str]) -> DataError | None:
    present = [n for n in REQUIRED_SHEETS if n in names]
    if not present:
        if SUMMARY_SHEET in names:
            return DataError("这是全镇汇总结果文件，不是村台账")
        return DataError("不是 villagectl 台账：没有“参数”“户籍”“积分流水”工作表")
    lacking = [n for n in REQUIRED_SHEETS if n not in names]
    if lacking:
        return DataError("台账缺少工作表：" + "、".join(lacking))
    return None


def _read_with_calamine(path: Path) -> dict[str, SheetData]:
    import python_calamine

    from villagectl.io.preflight import check_file

    try:
        check_file(path)  # zip bombs, absurd dimensions: calamine would abort the whole process
    except DataError as exc:
        raise DataError(exc.message) from None
    try:
        book = python_calamine.CalamineWorkbook.from_path(str(path))
    except python_calamine.PasswordError:
        raise DataError("台账设置了打开密码，无法读取；请取消密码后另存") from None
    except Exception as exc:  # calamine raises several unrelated types
        raise DataError(f"文件无法读取（已损坏或格式不对）：{_short(exc)}") from None
    try:
        names = list(book.sheet_names)
        refusal = _not_a_ledger(names)
        if refusal:
            raise refusal
        out: dict[str, SheetData] = {}
        for name in NEEDED_SHEETS:
            if name not in names:
                continue
            try:
                rows = book.get_sheet_by_name(name).to_python(skip_empty_area=False)
            except Exception as exc:
                raise DataError(f"工作表“{name}”无法读取（已损坏）：{_short(exc)}") from None
            out[name] = _sheet_from_rows(name, rows)
        return out
    finally:
        book.close()


def find_header(rows: list[list[Any]], wanted: list[str], search_rows: int = 10) -> int | None:
    """0-based index of the row among the first ten holding most of ``wanted`` (as ``Ledger.open`` finds it).

    The same rule as ``ledger.workbook.find_header``, here so that the worker
    processes need not import pandas.
    """
    keys = {header_key(w) for w in wanted}
    best, best_hits = None, 0
    for r, row in enumerate(rows[:search_rows]):
        hits = sum(1 for v in row if header_key(v) in keys)
        if hits > best_hits:
            best, best_hits = r, hits
    return best


def _sheet_from_rows(name: str, rows: list[list[Any]]) -> SheetData:
    spec = schema.SHEETS_BY_NAME[name]
    required, optional = COLUMNS[name]
    wanted = required + optional
    r = find_header(rows, spec.column_names)
    if r is None:
        if required:
            raise DataError(f"“{name}”工作表里找不到表头（应有：{'、'.join(required)}）")
        return SheetData(name, {}, {}, [])
    keys = {header_key(w): w for w in spec.column_names}
    positions: list[int] = []  # every headed column: a row is blank when all of them are
    where: dict[str, int] = {}
    for c, value in enumerate(rows[r]):
        text = clean_text(value)
        if not text:
            continue
        positions.append(c)
        canonical = keys.get(header_key(text))
        if canonical in wanted and canonical not in where:
            where[canonical] = c
    lacking = [c for c in required if c not in where]
    if lacking:
        raise DataError(f"“{name}”工作表缺少列：{'、'.join(lacking)}")
    width = max(positions) + 1 if positions else 0
    data: list[list[Any]] = []
    excel_rows: list[int] = []
    for i in range(r + 1, len(rows)):
        row = rows[i]
        if len(row) < width:
            row = list(row) + [""] * (width - len(row))
        for c in positions:
            v = row[c]
            if v != "" and (not isinstance(v, str) or v.strip()):
                break
        else:
            continue
        data.append(row)
        excel_rows.append(i + 1)
    columns = {col: [row[c] for row in data] for col, c in where.items()}
    letters = {col: col_letters(c + 1) for col, c in where.items()}
    return SheetData(name, columns, letters, excel_rows)


def _read_with_ledger(path: Path) -> dict[str, SheetData]:
    from villagectl.ledger.workbook import Ledger

    kind = sniff(path)
    refusal = _ledger_refusal(path, kind)
    if refusal:
        raise refusal
    try:
        ledger = Ledger.open(path)
    except DataError as exc:
        raise DataError(exc.message) from None
    refusal = _not_a_ledger(list(ledger.workbook_sheet_names))
    if refusal:
        raise refusal
    out: dict[str, SheetData] = {}
    for name in NEEDED_SHEETS:
        if name not in ledger.sheets:
            continue
        required, optional = COLUMNS[name]
        loaded = ledger.sheets[name]
        frame = loaded.frame
        missing_cols = set(ledger.missing_headers.get(name, [])) | set(ledger.upgraded.get(name, []))
        lacking = [c for c in required if c not in frame.columns or c in missing_cols]
        if lacking:
            raise DataError(f"“{name}”工作表缺少列：{'、'.join(lacking)}")
        present = [c for c in required + optional if c in frame.columns and c not in missing_cols]
        columns = {c: frame[c].tolist() for c in present}
        letters = {c: col_letters(list(frame.columns).index(c) + 1) for c in present}
        rows = loaded.excel_rows or list(range(loaded.header_row + 1, loaded.header_row + 1 + len(frame)))
        out[name] = SheetData(name, columns, letters, rows)
    return out


def _short(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text[:160]


def read_village(path: Path, year: int, file: str = "", reader: str = "calamine") -> VillageSummary:
    """One ledger's summary; DataError (with a Chinese reason) when it cannot be read."""
    path = Path(path)
    if reader == "ledger":
        sheets = _read_with_ledger(path)
    else:
        kind = sniff(path)
        refusal = _ledger_refusal(path, kind)
        if refusal:
            raise refusal
        sheets = _read_with_calamine(path)
    return summarize_village(sheets, year, file or path.name, str(path))


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
        return "error", f"读取时出错（{type(exc).__name__}: {_short(exc)}），请把这个文件发给技术支持"


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


# --------------------------------------------------------------------------
# The town workbook
# --------------------------------------------------------------------------

SUMMARY_COLUMNS = (
    # (header, width, number format)
    ("年度", 7, "0"),
    ("村名", 12, "@"),
    ("台账文件", 28, "@"),
    ("户数", 7, "0"),
    ("人口", 8, "0"),
    ("年度获得积分", 12, "General"),
    ("积分余额", 10, "General"),
    ("兑换积分", 10, "General"),
    ("兑换金额(元)", 12, "0.00"),
    ("人均奖励经费(元)", 10, "General"),
    ("奖励经费(元)", 11, "0.00"),
    ("经费使用率(%)", 10, "0.0"),
    ("五星级文明户", 8, "0"),
    ("四星级文明户", 8, "0"),
    ("三星级文明户", 8, "0"),
    ("金牌户", 7, "0"),
    ("银牌户", 7, "0"),
    ("铜牌户", 7, "0"),
    ("红榜", 6, "0"),
    ("黑榜", 6, "0"),
    ("年度评定", 9, "@"),
    ("兑换数据来源", 10, "@"),
)
GROUP_COLUMNS = (
    ("年度", 7, "0"),
    ("村名", 12, "@"),
    ("台账文件", 28, "@"),
    ("组别", 12, "@"),
    ("户数", 7, "0"),
    ("人口", 8, "0"),
    ("年度获得积分", 12, "General"),
    ("户均获得积分", 12, "0.00"),
    ("积分余额", 10, "General"),
)
PROBLEM_COLUMNS = (
    ("文件", 36, "@"),
    ("级别", 7, "@"),
    ("问题", 80, "@"),
    ("处理", 10, "@"),
)
TOTAL_LABEL = "合计"


def _blank(value: Any) -> Any:
    return "" if value is None else value


def summary_rows(result: RollupResult) -> list[list[Any]]:
    """全镇汇总: one row per village, then the 合计 row (the column sums; 使用率 of the sums)."""
    rows = []
    for v in result.villages:
        rows.append([result.year, v.village, v.file, v.households, v.residents, v.earned, v.balance,
                     v.redeemed_points, v.redeemed_yuan, _blank(v.per_resident), _blank(v.budget),
                     _blank(v.budget_use), *v.stars, *v.medals, v.red, v.black, v.rating, v.redemption_source])
    t = result.totals
    rows.append([result.year, TOTAL_LABEL, f"{t.villages} 本台账", t.households, t.residents, t.earned, t.balance,
                 t.redeemed_points, t.redeemed_yuan, "", _blank(t.budget), _blank(t.budget_use),
                 *t.stars, *t.medals, t.red, t.black, "", ""])
    return rows


def group_rows(result: RollupResult) -> list[list[Any]]:
    rows = []
    for v in result.villages:
        for g in v.groups:
            rows.append([result.year, v.village, v.file, g.group, g.households, g.residents, g.earned,
                         _blank(g.average), g.balance])
    return rows


def problem_rows(result: RollupResult) -> list[list[Any]]:
    rows: list[list[Any]] = [[s.file, "错误", s.reason, "未汇总"] for s in result.skipped]
    rows += [[f, "警告", m, "已汇总"] for f, m in result.warnings]
    return rows


def write_workbook(result: RollupResult, out: Path) -> Path:
    """town.xlsx: 全镇汇总, 分组明细 (each: title row 1, header row 2, then the rows; the 合计 row last in
    全镇汇总; the signature lines two rows below), 问题 (header row 1). A new workbook made with openpyxl."""
    from villagectl.io.newbook import ColumnFormat, add_table_sheet, new_workbook, save_new

    def fmt(cols) -> list[ColumnFormat]:
        return [ColumnFormat(n, w, (), f) for n, w, f in cols]

    wb = new_workbook()
    # for the town office: a title row, borders, the 制表 / 审核 / 盖章 line, A4 (newbook.add_table_sheet)
    town = result.town
    signer = f"{town}人民政府" if town and not town.endswith(("政府", "办事处")) else town
    add_table_sheet(wb, SUMMARY_SHEET, fmt(SUMMARY_COLUMNS), summary_rows(result), tab_color="C00000",
                    title_line=f"{town}{result.year}年度各村乡村治理积分汇总", borders=True, signatures=signer,
                    bold_last_row=True)
    add_table_sheet(wb, GROUP_SHEET, fmt(GROUP_COLUMNS), group_rows(result), tab_color="4472C4",
                    title_line=f"{town}{result.year}年度各村分组积分明细", borders=True, signatures=signer)
    add_table_sheet(wb, PROBLEM_SHEET, fmt(PROBLEM_COLUMNS), problem_rows(result),
                    tab_color="FFC000" if result.skipped or result.warnings else "A5A5A5")
    save_new(wb, out)
    return out
