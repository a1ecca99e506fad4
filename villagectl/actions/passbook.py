"""``passbook``: a household's points and the reasons for them (seed 002), on screen and as a printed 存折.

Orchestration only: read the ledger once, build the passbooks, print them. The rules are in the core:

- ``ledger.entry_reasons``: a journal row's reason in plain words (inspection items that cost points …);
- ``ledger.statement``: every journal row of every household with its reason, running balance and what
  it counts as — one pass over the journal, so 3,000 passbooks come from one ledger read;
- ``ledger.passbook``: one household's passbook (optionally one year) and its file name.

Here: ``LedgerPassbooks`` (one ledger read), ``passbook_for``, ``print_passbook``, ``print_all_passbooks``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from villagectl.rules.settings import committee_of
from villagectl.errors import DataError, FileAccessError, UsageError
from villagectl.io.outputs import guard_output, guard_outputs
from villagectl import schema
from villagectl.ledger.workbook import Ledger
from villagectl.ledger.entry_reasons import (  # noqa: F401  (imported from here by tests and scripts)
    cn_month_text,
    entry_reason,
    inspection_details,
    item_maxima,
)
from villagectl.ledger.passbook import (
    CLOSED_STATES,
    HouseholdInfo,
    Passbook,
    build_passbook,
    passbook_file_name,
)
from villagectl.ledger.statement import statement_for_ledger
from villagectl.render.passbook import (
    PassbookPrinter,
    PassbookStyle,
    paper_name,
    print_many,
)
from villagectl.ledger.households import find_household
from villagectl.values import clean_text


def style_from_settings(settings: dict[str, str], paper: str | None = None) -> PassbookStyle:
    """参数: 存折标题, 存折纸张 (A5/A4), 每分折合元, 公示落款, 经办人."""
    from villagectl.rules.settings import SPECS, parse_value

    village = settings.get("村名", "")
    try:
        yuan = float(parse_value(SPECS["每分折合元"], settings.get("每分折合元", "")))  # one reading, as the shop's
    except ValueError as exc:
        raise DataError(f"{exc}，请在“参数”表改正（villagectl check 列出参数表的全部问题）") from None
    return PassbookStyle(
        title=settings.get("存折标题", "") or f"{village}积分存折",
        paper=paper_name(paper or settings.get("存折纸张", "") or "A5"),
        yuan_per_point=yuan,
        committee=committee_of(settings),
        operator="",
    )


@dataclass
class LedgerPassbooks:
    """Everything needed to build any household's passbook, from one ledger read."""

    village: str
    settings: dict[str, str]
    households: pd.DataFrame
    statement: pd.DataFrame
    _groups: dict | None = field(default=None, repr=False)  # 户号 → row positions in statement

    @classmethod
    def load(cls, ledger: Ledger) -> LedgerPassbooks:
        ledger.require(schema.HOUSEHOLDS.name, schema.JOURNAL.name)
        settings = ledger.settings()
        return cls(settings.get("村名", ""), settings, ledger.frame(schema.HOUSEHOLDS.name), statement_for_ledger(ledger))

    def info(self, household: str) -> HouseholdInfo:
        """The household ``household`` names: its 户号 or 户主 (ledger.households.find_household)."""
        return HouseholdInfo.from_row(find_household(self.households, household))

    def rows_of(self, household_id: str) -> pd.DataFrame:
        if self._groups is None:
            self._groups = self.statement.groupby("户号", sort=False).indices if len(self.statement) else {}
        positions = self._groups.get(household_id)
        return self.statement.iloc[positions] if positions is not None else self.statement.iloc[0:0]

    def passbook(self, household_id: str, year: int | None = None, printed: dt.date | None = None) -> Passbook:
        info = self.info(household_id)
        return build_passbook(self.rows_of(info.household_id), info, self.village, year, printed)

    def open_households(self) -> list[HouseholdInfo]:
        """Households in 户籍 order whose account is open (状态 not 迁出 / 注销)."""
        out = []
        for _, row in self.households.iterrows():
            info = HouseholdInfo.from_row(row)
            if info.household_id and info.state not in CLOSED_STATES:
                out.append(info)
        return out


def _check_year(year: int | None) -> None:
    if year is not None and not 1900 <= year <= 2999:
        raise UsageError(f"年度“{year}”不对，应写成 2026 这样的四位年份")


def passbook_for(ledger_path: Path, household: str, year: int | None = None, printed: dt.date | None = None) -> Passbook:
    """One household's passbook (for the terminal or --json)."""
    _check_year(year)
    data = LedgerPassbooks.load(Ledger.open(ledger_path))
    return data.passbook(clean_text(household), year, printed)


def _printing_options(settings: dict[str, str], ledger_path: Path, templates_dir: Path | None, font: Path | None):
    from villagectl.render.typst_engine import printing_paths

    templates_dir, font = printing_paths(settings, ledger_path, templates_dir, font)
    return templates_dir, font



@dataclass
class PrintResult:
    files: list[Path]
    households: int
    skipped_closed: int = 0
    passbook: Passbook | None = None  # the one passbook (single household)
    group: str | None = None  # --all --group: the group printed (the roster's spelling)

    def as_dict(self) -> dict:
        out = {"files": [str(p) for p in self.files], "households": self.households,
               "skipped_closed": self.skipped_closed}
        if self.group is not None:
            out["group"] = self.group
        if self.passbook is not None:
            out["passbook"] = self.passbook.as_dict()
        return out


def print_passbook(
    ledger_path: Path,
    household: str,
    out: Path,
    year: int | None = None,
    paper: str | None = None,
    templates_dir: Path | None = None,
    font: Path | None = None,
    printed: dt.date | None = None,
) -> PrintResult:
    """Print one household's passbook. ``out`` is a .pdf file, or a folder to put it in."""
    _check_year(year)
    out = guard_output(out, ledger_path, "-o", folder=Path(out).is_dir())
    if out.suffix.lower() != ".pdf" and not out.is_dir():
        raise UsageError(f"输出应为 .pdf 文件或已存在的文件夹：{out}")
    data = LedgerPassbooks.load(Ledger.open(ledger_path))
    book = data.passbook(clean_text(household), year, printed)
    templates_dir, font = _printing_options(data.settings, ledger_path, templates_dir, font)
    target = guard_output(out / passbook_file_name(book), ledger_path, "-o") if out.is_dir() else out
    with PassbookPrinter(style_from_settings(data.settings, paper), templates_dir, font) as printer:
        printer.print(book, target)
    return PrintResult([target], 1, passbook=book)


def print_all_passbooks(
    ledger_path: Path,
    folder: Path,
    year: int | None = None,
    paper: str | None = None,
    templates_dir: Path | None = None,
    font: Path | None = None,
    printed: dt.date | None = None,
    on_each: Callable[[Path], None] | None = None,
    on_start: Callable[[int], None] | None = None,
    workers: int | None = None,
    *,
    group: str | None = None,
) -> PrintResult:
    """One PDF per open household into ``folder`` (created when missing), from one ledger read.

    ``group``: only that group's households ('第二组', '2组'; UsageError listing the groups when the village
    has none such).

    Households that moved out or were deregistered (状态 迁出 / 注销) are
    skipped; print theirs one by one with --household. ``workers``: how many
    processes lay the PDFs out (default: one per CPU, at most 4, one for small
    villages).
    """
    _check_year(year)
    folder = guard_output(folder, ledger_path, "-o", folder=True)
    if folder.suffix.lower() == ".pdf":
        raise UsageError(f"--all 时 -o 应为文件夹（每户一个 PDF），不是 {folder.name}")
    if folder.exists() and not folder.is_dir():
        raise UsageError(f"{folder} 已存在且不是文件夹")
    data = LedgerPassbooks.load(Ledger.open(ledger_path))
    households = data.open_households()
    rows = data.households
    if group is not None:
        from villagectl.ledger.households import require_group
        from villagectl.values import group_key

        group = require_group(rows, group)
        households = [h for h in households if group_key(h.group) == group_key(group)]
        rows = rows[[group_key(g) == group_key(group) for g in rows.get("组别", pd.Series("", index=rows.index))]]
    skipped = sum(1 for _, r in rows.iterrows()
                  if clean_text(r.get("户号", "")) and clean_text(r.get("状态", "")) in CLOSED_STATES)
    if not households:
        if group is not None:
            raise DataError(f"{group}没有在册的农户，没有可打印的存折")
        raise DataError("户籍表中没有在册的农户，没有可打印的存折")
    templates_dir, font = _printing_options(data.settings, ledger_path, templates_dir, font)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise FileAccessError(f"无法建立文件夹 {folder}：{exc.strerror or exc}") from None
    if on_start:
        on_start(len(households))
    printed = printed or dt.date.today()
    jobs: list[tuple[Passbook, Path]] = []
    used: set[str] = set()
    for info in households:
        book = build_passbook(data.rows_of(info.household_id), info, data.village, year, printed)
        name = passbook_file_name(book)
        if name in used:  # the same 户号 twice in 户籍: keep both files
            name = name.replace(".pdf", f"_{len(jobs) + 1}.pdf")
        used.add(name)
        jobs.append((book, folder / name))
    guard_outputs([path for _, path in jobs], ledger_path, "-o")
    print_many(jobs, style_from_settings(data.settings, paper), templates_dir, font, workers, on_each)
    files = [path for _, path in jobs]
    return PrintResult(files, len(files), skipped, group=group)
