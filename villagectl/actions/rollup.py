"""``rollup``: the town's summary across many village ledgers (read only).

Every ledger is only READ: nothing is written into it, no lock or backup file
is made beside it. Each village gives one ``VillageSummary``:

- 户数: households of 户籍 whose 状态 is 正常 (a blank 状态 counts as 正常, as
  in ``redeem`` and ``score year``); 人口: the sum of their 人口;
- 年度获得积分: the year's earned points, exactly as ``score year`` counts them
  (``scoring.annual.year_earnings``: monthly points by the month they are
  for, events by the event's date, reversals against the year of what they
  reverse, never the opening balance nor redemptions), over every household
  of the journal;
- 积分余额: the points outstanding (the sum of all journal rows, as
  ``journal.summarize``'s balance);
- 兑换积分 / 兑换金额: the year's redemptions from 兑换记录 (rows dated in the
  year, 作废 left out; a blank 金额 is 积分 × 每分折合元). When 兑换记录 lacks
  the 日期, 积分 or 金额 column (or the sheet), the journal's 兑换 rows dated in
  the year are used instead (their reversals net out), yuan = points × 参数
  每分折合元;
- 奖励经费 = 人口 × 参数 人均奖励经费, and its use = 兑换金额 ÷ 奖励经费;
- stars, medals, red and black lists: counted from 年度评定 rows of the year;
- per 组别: households, residents, earned points, balance, average per household.

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
import re
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable

from villagectl.errors import DataError, FileAccessError, UsageError, missing_inputs
from villagectl.io.filetype import sniff
from villagectl.io.preflight import col_letters
from villagectl.io.safe_write import STATE_DIR
from villagectl.ledger import schema
from villagectl.values import NotANumber, clean_text, header_key, to_number

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

STAR_LABELS = ("五星", "四星", "三星")
MEDAL_LABELS = ("金牌", "银牌", "铜牌")
NO_GROUP = "（未分组）"
NOT_IN_ROSTER = "（户籍中没有的户号）"
SOURCE_REDEMPTIONS = "兑换记录"
SOURCE_JOURNAL = "积分流水"
RATED_POSTED = "入账"  # the year's 年度评定 state, as the 期间 sheet names it
RATED_NOTICE = "公示"
RATED_DRAFT = "草稿"
RATED_NONE = "未评定"
SUMMARY_SHEET = "全镇汇总"
GROUP_SHEET = "分组明细"
PROBLEM_SHEET = "问题"


def default_workers() -> int:
    return max(1, min(4, os.cpu_count() or 1))


# --------------------------------------------------------------------------
# Results
# --------------------------------------------------------------------------


@dataclass
class GroupSummary:
    group: str
    households: int = 0  # 状态 正常
    residents: int = 0
    earned: float = 0.0
    balance: float = 0.0

    @property
    def average(self) -> float | None:
        return round(self.earned / self.households, 2) if self.households else None

    def as_dict(self) -> dict:
        return {"group": self.group, "households": self.households, "residents": self.residents,
                "earned": self.earned, "average": self.average, "balance": self.balance}


@dataclass
class VillageSummary:
    file: str  # as shown to the clerk (relative to the folder given)
    path: str
    village: str
    households: int
    residents: int
    earned: float
    balance: float
    redeemed_points: float
    redeemed_yuan: float
    redemption_source: str  # 兑换记录 / 积分流水
    yuan_per_point: float
    per_resident: float | None  # 人均奖励经费
    budget: float | None
    stars: tuple[int, int, int]
    medals: tuple[int, int, int]
    red: int
    black: int
    rating: str  # 入账 / 公示 / 草稿 / 未评定 (the year's 年度评定 rows)
    groups: list[GroupSummary] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    town: str = ""  # 参数 乡镇 (blank when the ledger does not say)
    # households that moved out by a transfer: transfer id → (户号, 组别, points earned in the year here);
    # when the receiving village is in the roll-up, the household counts there only (its history went with it)
    transfers_out: dict[str, tuple[str, str, float]] = field(default_factory=dict)
    transfers_in: list[str] = field(default_factory=list)  # transfer ids received (转入 rows' 关联)
    moved_away: list[str] = field(default_factory=list)  # "户号（转往 X村）": counted in the receiving village

    @property
    def budget_use(self) -> float | None:
        """Percent of the year's reward budget spent at the shop."""
        return use_percent(self.redeemed_yuan, self.budget)

    def as_dict(self) -> dict:
        d = asdict(self)
        d["groups"] = [g.as_dict() for g in self.groups]
        d["transfers_out"] = sorted(self.transfers_out)
        d["budget_use"] = self.budget_use
        d["stars"] = dict(zip(("five", "four", "three"), self.stars))
        d["medals"] = dict(zip(("gold", "silver", "bronze"), self.medals))
        return d


@dataclass
class Skipped:
    file: str
    reason: str

    def as_dict(self) -> dict:
        return {"file": self.file, "reason": self.reason}


@dataclass
class Totals:
    villages: int
    households: int
    residents: int
    earned: float
    balance: float
    redeemed_points: float
    redeemed_yuan: float
    budget: float | None
    stars: tuple[int, int, int]
    medals: tuple[int, int, int]
    red: int
    black: int

    @property
    def budget_use(self) -> float | None:
        return use_percent(self.redeemed_yuan, self.budget)

    def as_dict(self) -> dict:
        d = asdict(self)
        d["budget_use"] = self.budget_use
        d["stars"] = dict(zip(("five", "four", "three"), self.stars))
        d["medals"] = dict(zip(("gold", "silver", "bronze"), self.medals))
        return d


@dataclass
class RollupResult:
    year: int
    files: int
    villages: list[VillageSummary]
    skipped: list[Skipped]
    warnings: list[tuple[str, str]]  # (file, message)
    totals: Totals
    output: Path | None = None
    pdf: Path | None = None
    town: str = ""  # --town, or the 乡镇 all the ledgers name

    @property
    def ok(self) -> bool:
        return not self.skipped

    def as_dict(self) -> dict:
        return {
            "ok": self.ok,
            "year": self.year,
            "town": self.town,
            "files": self.files,
            "read": len(self.villages),
            "skipped": [s.as_dict() for s in self.skipped],
            "warnings": [{"file": f, "message": m} for f, m in self.warnings],
            "villages": [v.as_dict() for v in self.villages],
            "totals": self.totals.as_dict(),
            "output": str(self.output) if self.output else None,
            "pdf": str(self.pdf) if self.pdf else None,
        }


def refuse_same_names(villages: list[VillageSummary]) -> tuple[list[VillageSummary], list[Skipped]]:
    """Two ledgers with the same 村名 are not summed (a copy or a backup would count a village twice)."""
    names: dict[str, list[VillageSummary]] = {}
    for v in villages:
        names.setdefault(v.village, []).append(v)
    kept: list[VillageSummary] = []
    refused: list[Skipped] = []
    for v in villages:
        same = names[v.village]
        if len(same) == 1:
            kept.append(v)
            continue
        others = "、".join(o.file for o in same if o is not v)
        refused.append(Skipped(v.file, f"村名“{v.village}”与 {others} 相同，同名的台账都没有汇总（以免一个村算两次）。"
                                       "如果其中有副本或备份，请把它移出汇总的文件夹；如果确是两个村，"
                                       "请在各自台账“参数”表把“村名”改成能区分的名字（如加上乡镇名）"))
    return kept, refused


def count_moved_once(villages: list[VillageSummary]) -> None:
    """A household transferred between two villages of the roll-up counts in the receiving village only.

    Its year's history went with it (``transfer in`` writes it as 转入 rows, which the receiving
    village counts as the year's earnings), so the leaving village's earned points for it are taken
    out of the village's and its group's figures. The household is no longer 正常 there, so the
    household and resident counts already leave it out.
    """
    received = {tid: v for v in villages for tid in v.transfers_in}
    for v in villages:
        for tid, (hid, group, earned) in sorted(v.transfers_out.items()):
            to = received.get(tid)
            if to is None or to is v:
                continue
            v.moved_away.append(f"{hid}（转往{to.village}）")
            if earned:
                v.earned = round(v.earned - earned, 4)
                for g in v.groups:
                    if g.group == group:
                        g.earned = round(g.earned - earned, 4)
        if v.moved_away:
            v.warnings.append(f"年内转往汇总内其他村的 {len(v.moved_away)} 户只计入转入的村（积分已随户转走）："
                              + "、".join(v.moved_away))


def common_town(villages: list[VillageSummary]) -> str:
    towns = {v.town for v in villages if v.town}
    return towns.pop() if len(towns) == 1 else ""


def use_percent(yuan: float, budget: float | None) -> float | None:
    if not budget:
        return None
    return round(yuan / budget * 100, 1)


def total_of(villages: list[VillageSummary]) -> Totals:
    budgets = [v.budget for v in villages if v.budget is not None]
    return Totals(
        villages=len(villages),
        households=sum(v.households for v in villages),
        residents=sum(v.residents for v in villages),
        earned=round(sum(v.earned for v in villages), 4),
        balance=round(sum(v.balance for v in villages), 4),
        redeemed_points=round(sum(v.redeemed_points for v in villages), 4),
        redeemed_yuan=round(sum(v.redeemed_yuan for v in villages), 2),
        budget=round(sum(budgets), 2) if budgets else None,
        stars=tuple(sum(v.stars[i] for v in villages) for i in range(3)),  # type: ignore[arg-type]
        medals=tuple(sum(v.medals[i] for v in villages) for i in range(3)),  # type: ignore[arg-type]
        red=sum(v.red for v in villages),
        black=sum(v.black for v in villages),
    )


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


@dataclass
class SheetData:
    """The columns of one sheet that the roll-up reads, as raw cell values."""

    name: str
    columns: dict[str, list[Any]]
    letters: dict[str, str]  # column → its letter, for messages
    excel_rows: list[int]

    def __len__(self) -> int:
        return len(self.excel_rows)

    def get(self, column: str) -> list[Any]:
        values = self.columns.get(column)
        return values if values is not None else [""] * len(self.excel_rows)

    def has(self, column: str) -> bool:
        return column in self.columns

    def cell(self, column: str, i: int) -> str:
        return f"{self.letters.get(column, '')}{self.excel_rows[i]}"


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


class _Numbers:
    """Parses a column's numbers, remembering the cells that are not numbers."""

    def __init__(self, sheet: SheetData, column: str, label: str = ""):
        self.sheet, self.column, self.label = sheet, column, label or column
        self.bad: list[tuple[str, str]] = []

    def value(self, raw: Any, i: int) -> float | None:
        if raw.__class__ is float or raw.__class__ is int:
            return float(raw) if raw == raw else None
        try:
            return to_number(raw)
        except NotANumber:
            self.bad.append((self.sheet.cell(self.column, i), clean_text(raw)))
            return None

    def check(self) -> None:
        if not self.bad:
            return
        cell, text = self.bad[0]
        more = f"（共 {len(self.bad)} 处）" if len(self.bad) > 1 else ""
        raise DataError(f"“{self.sheet.name}”{cell} 的{self.label}“{text}”不是数字{more}，请在台账中改正")


def clean_column(values: list[Any]) -> list[str]:
    """``clean_text`` of every value of a column, fast on big sheets.

    Repeated values (户号, 类型, 日期, 关联) are cleaned once; printable ASCII
    text without double spaces (流水号) only needs trimming: NFKC leaves it as it
    is and the only whitespace in it is single spaces.
    """
    cache: dict[Any, str] = {}
    out: list[str] = []
    append = out.append
    for v in values:
        if v.__class__ is str and v.isascii() and v.isprintable() and "  " not in v:
            append(v.strip())
            continue
        try:
            text = cache.get(v)
        except TypeError:  # unhashable: never from a reader, but be safe
            text = None
        if text is None:
            text = clean_text(v)
            try:
                cache[v] = text
            except TypeError:
                pass
        append(text)
    return out


def _year_of(text: str) -> int | None:
    return int(text[:4]) if text[:4].isdigit() else None


def _setting_number(settings: dict[str, str], key: str, default: float | None) -> float | None:
    text = settings.get(key, "")
    if not text:
        return default
    try:
        value = to_number(text)
    except NotANumber:
        value = None
    if value is None or value < 0:
        raise DataError(f"“参数”表“{key}”的值“{text}”不是有效的数字，请在台账中改正")
    return value


def summarize_village(sheets: dict[str, SheetData], year: int, file: str = "", path: str = "") -> VillageSummary:
    """The village's figures for ``year`` from its sheets (see the module docstring)."""
    warnings: list[str] = []
    # --- 参数
    params = sheets[schema.SETTINGS.name]
    settings: dict[str, str] = {}
    for k, v in zip(params.get("键"), params.get("值")):
        key = clean_text(k)
        if key:
            settings[key] = clean_text(v)
    village = settings.get("村名") or Path(file or path).stem
    yuan_per_point = _setting_number(settings, "每分折合元", 1.0) or 0.0
    per_resident = _setting_number(settings, "人均奖励经费", None)

    # --- 户籍
    roster = sheets[schema.HOUSEHOLDS.name]
    sizes = _Numbers(roster, "人口")
    group_of: dict[str, str] = {}
    groups: dict[str, GroupSummary] = {}
    for i, (hid_raw, group_raw, size_raw, state_raw) in enumerate(
        zip(roster.get("户号"), roster.get("组别"), roster.get("人口"), roster.get("状态"))
    ):
        hid = clean_text(hid_raw)
        group = clean_text(group_raw) or NO_GROUP
        g = groups.get(group)
        if g is None:
            g = groups[group] = GroupSummary(group)
        if hid:
            group_of[hid] = group
        state = clean_text(state_raw) or "正常"
        if state != "正常" or not hid:
            continue
        g.households += 1
        size = sizes.value(size_raw, i)
        g.residents += int(size) if size and size > 0 else 0
    sizes.check()

    # --- 积分事件: the dates that place award/deduction rows in a year
    event_dates: dict[str, str] = {}
    events = sheets.get(schema.EVENTS.name)
    if events is not None and events.has("事件号") and events.has("日期"):
        event_dates = {clean_text(i): clean_text(d) for i, d in zip(events.get("事件号"), events.get("日期"))}

    # --- 积分流水
    journal = sheets[schema.JOURNAL.name]
    numbers = _Numbers(journal, "积分")
    ids = clean_column(journal.get("流水号"))
    kinds = clean_column(journal.get("类型"))
    refs = clean_column(journal.get("关联"))
    dates = clean_column(journal.get("日期"))
    hids = clean_column(journal.get("户号"))
    points = [numbers.value(v, i) or 0.0 for i, v in enumerate(journal.get("积分"))]
    numbers.check()

    # earned in the year: the rules of scoring.annual.entry_years / year_earnings, in one pass
    earning = schema.EARNING_TYPES
    monthly_kinds = (schema.ENTRY_MONTHLY, schema.ENTRY_BONUS)
    event_kinds = (schema.ENTRY_AWARD, schema.ENTRY_DEDUCTION)
    year_by_id: dict[str, int | None] = {}
    kind_by_id: dict[str, str] = {}
    for entry_id, kind, ref, date in zip(ids, kinds, refs, dates):
        y = int(date[:4]) if date[:4].isdigit() else None
        if kind in monthly_kinds and ref.startswith("月度得分 "):
            parts = ref.split(" ")
            month = parts[1] if len(parts) > 1 else ""
            if month[:4].isdigit():
                y = int(month[:4])
        elif kind in event_kinds and ref in event_dates:
            d = event_dates[ref]
            if d[:4].isdigit():
                y = int(d[:4])
        elif kind == schema.ENTRY_REVERSAL:
            kind = kind_by_id.get(ref, kind)
            y = year_by_id.get(ref, y)
        if kind not in earning or kind == schema.ENTRY_OPENING:
            y = None
        year_by_id[entry_id] = y
        kind_by_id[entry_id] = kind

    # balances and redemptions: the rules of ledger.journal.summarize
    raw_kind_by_id = dict(zip(ids, kinds))  # the last row of an id wins, as in summarize
    earned_by_hh: dict[str, float] = {}
    balance_by_hh: dict[str, float] = {}
    journal_redeemed = 0.0
    journal_rows_in_year = 0
    redeem = schema.ENTRY_REDEEM
    reversal = schema.ENTRY_REVERSAL
    for entry_id, hid, kind, ref, date, p in zip(ids, hids, kinds, refs, dates, points):
        balance_by_hh[hid] = balance_by_hh.get(hid, 0.0) + p
        if year_by_id.get(entry_id) == year:
            earned_by_hh[hid] = earned_by_hh.get(hid, 0.0) + p
            journal_rows_in_year += 1
        effective = raw_kind_by_id.get(ref, kind) if kind == reversal else kind
        if effective == redeem and _year_of(date) == year:
            journal_redeemed -= p
    earned_by_hh = {h: round(v, 4) for h, v in earned_by_hh.items()}
    balance_by_hh = {h: round(v, 4) for h, v in balance_by_hh.items()}
    transfers_out: dict[str, tuple[str, str, float]] = {}
    transfers_in: list[str] = []
    for hid, kind, ref in zip(hids, kinds, refs):
        if not ref:
            continue
        if kind == schema.ENTRY_TRANSFER_OUT:
            transfers_out[ref] = (hid, group_of.get(hid, NOT_IN_ROSTER), earned_by_hh.get(hid, 0.0))
        elif kind == schema.ENTRY_TRANSFER_IN and ref not in transfers_in:
            transfers_in.append(ref)

    orphans = 0
    for hid in set(balance_by_hh) | set(earned_by_hh):
        group = group_of.get(hid)
        if group is None:
            orphans += 1
            group = NOT_IN_ROSTER
        g = groups.get(group)
        if g is None:
            g = groups[group] = GroupSummary(group)
        g.earned += earned_by_hh.get(hid, 0.0)
        g.balance += balance_by_hh.get(hid, 0.0)
    for g in groups.values():
        g.earned = round(g.earned, 4)
        g.balance = round(g.balance, 4)
    if orphans:
        warnings.append(f"积分流水中有 {orphans} 个户号不在户籍表里（已计入“{NOT_IN_ROSTER}”）；可运行 villagectl check 查看")
    if not journal_rows_in_year and len(journal):
        warnings.append(f"积分流水里没有 {year} 年获得的积分")

    # --- 兑换记录 (or the journal's 兑换 rows)
    journal_redeemed = round(journal_redeemed, 4)
    shop = sheets.get(schema.REDEMPTIONS.name)
    if shop is not None and all(shop.has(c) for c in ("日期", "积分", "金额")):
        source = SOURCE_REDEMPTIONS
        pts_parser = _Numbers(shop, "积分")
        yuan_parser = _Numbers(shop, "金额")
        redeemed_points = redeemed_yuan = 0.0
        for i, (date, pts_raw, yuan_raw, state) in enumerate(
            zip(shop.get("日期"), shop.get("积分"), shop.get("金额"), shop.get("状态"))
        ):
            m = re.match(r"(\d{4})", clean_text(date))
            if not m or int(m.group(1)) != year or clean_text(state) == "作废":
                continue
            pts = pts_parser.value(pts_raw, i) or 0.0
            yuan = yuan_parser.value(yuan_raw, i)
            redeemed_points += pts
            redeemed_yuan += yuan if yuan is not None else pts * yuan_per_point
        pts_parser.check()
        yuan_parser.check()
        redeemed_points = round(redeemed_points, 4)
        if abs(redeemed_points - journal_redeemed) > 0.005:
            warnings.append(f"{year} 年兑换记录的兑换积分（{_fmt(redeemed_points)}）与积分流水的兑换积分"
                            f"（{_fmt(journal_redeemed)}）不一致；汇总用兑换记录，请运行 villagectl check 核对")
    else:
        source = SOURCE_JOURNAL
        redeemed_points = journal_redeemed
        redeemed_yuan = journal_redeemed * yuan_per_point
        if shop is not None and len(shop):
            warnings.append("兑换记录缺少“日期”“积分”或“金额”列，兑换数按积分流水的兑换记录计算")

    # --- 年度评定
    stars = [0, 0, 0]
    medals = [0, 0, 0]
    red = black = 0
    rating = RATED_NONE
    annual = sheets.get(schema.ANNUAL.name)
    if annual is not None and annual.has("年度"):
        wanted = str(year)
        states: set[str] = set()
        for y, star, medal, board, state in zip(annual.get("年度"), annual.get("星级"), annual.get("牌级"),
                                                annual.get("榜单"), annual.get("状态")):
            if clean_text(y) != wanted:
                continue
            states.add(clean_text(state))
            star, medal, board = clean_text(star), clean_text(medal), clean_text(board)
            for k, label in enumerate(STAR_LABELS):
                if star.startswith(label):
                    stars[k] += 1
            for k, label in enumerate(MEDAL_LABELS):
                if medal.startswith(label):
                    medals[k] += 1
            if board == "红榜":
                red += 1
            elif board == "黑榜":
                black += 1
        if states:
            rating = RATED_POSTED if "入账" in states else RATED_NOTICE if "公示" in states else RATED_DRAFT

    ordered = list(groups.values())
    households = sum(g.households for g in ordered)
    residents = sum(g.residents for g in ordered)
    budget = round(residents * per_resident, 2) if per_resident is not None else None
    return VillageSummary(
        file=file,
        path=path,
        village=village,
        households=households,
        residents=residents,
        earned=round(sum(earned_by_hh.values()), 4),
        balance=round(sum(balance_by_hh.values()), 4),
        redeemed_points=redeemed_points,
        redeemed_yuan=round(redeemed_yuan, 2),
        redemption_source=source,
        yuan_per_point=yuan_per_point,
        per_resident=per_resident,
        budget=budget,
        stars=tuple(stars),  # type: ignore[arg-type]
        medals=tuple(medals),  # type: ignore[arg-type]
        red=red,
        black=black,
        rating=rating,
        groups=[g for g in ordered if g.households or g.earned or g.balance or g.residents],
        warnings=warnings,
        town=settings.get("乡镇", ""),
        transfers_out=transfers_out,
        transfers_in=transfers_in,
    )


def _fmt(value: float) -> str:
    from villagectl.values import fmt_number

    return fmt_number(round(value, 4))


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
