"""``households import``: bring a village's roster(s) into 户籍."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from villagectl.actions.session import Session
from villagectl.errors import DataError, Location, Problem, missing_inputs
from villagectl.importers.roster import find_duplicates, read_roster, roster_paths, unify_groups
from villagectl.io.outputs import guard_outputs
from villagectl.io.newbook import ColumnFormat, add_table_sheet, new_workbook, save_new
from villagectl.io.safe_write import sha256_file
from villagectl.io.sandbox import read_untrusted_many, refuse_on_error
from villagectl import schema
from villagectl.ledger.households import Change, HouseholdRecord, allowed_household_types, group_names, merge_households


@dataclass
class HouseholdImportReport:
    files: list[tuple[str, str]] = field(default_factory=list)  # (name, sha256)
    added: list[str] = field(default_factory=list)
    changes: list[Change] = field(default_factory=list)
    unchanged: int = 0
    problems: list[Problem] = field(default_factory=list)
    skipped_rows: int = 0
    error_workbooks: list[Path] = field(default_factory=list)
    written: bool = False
    dry_run: bool = False

    def as_dict(self) -> dict:
        return {
            "files": [{"file": n, "sha256": h} for n, h in self.files],
            "added": self.added,
            "changed": [c.__dict__ for c in self.changes],
            "unchanged": self.unchanged,
            "skipped_rows": self.skipped_rows,
            "error_workbooks": [str(p) for p in self.error_workbooks],
            "problems": [p.as_dict() for p in self.problems],
            "written": self.written,
            "dry_run": self.dry_run,
        }


def import_households(session: Session, paths: list[Path], *, skip_invalid: bool = False,
                      dry_run: bool = False) -> HouseholdImportReport:
    report = HouseholdImportReport(dry_run=dry_run)
    files = roster_paths(paths)
    if not files:
        raise DataError("没有找到要导入的名册文件（xlsx、xls、ods）")
    with session.updating("households import") as ledger:
        ledger.require(schema.HOUSEHOLDS.name)
        allowed = allowed_household_types(ledger.settings())

        records: list[HouseholdRecord] = []
        invalid: set[tuple[str, str, int]] = set()
        if any(not p.exists() for p in files):
            raise missing_inputs([p for p in files if not p.exists()])
        existing = list(files)
        books = read_untrusted_many(existing)
        for path in existing:
            book = books[path]
            if isinstance(book, DataError):
                report.problems.extend(book.problems or [Problem(Location(path.name), book.message)])
                continue
            try:
                digest = refuse_on_error(path, sha256_file, path)
                read = refuse_on_error(path, read_roster, book, path.name, allowed)
            except DataError as exc:
                report.problems.extend(exc.problems)
                continue
            report.files.append((path.name, digest))
            report.problems.extend(read.problems)
            invalid |= read.invalid_rows
            records.extend(read.records)
        if not records and not any(p.severity == "错误" for p in report.problems):
            raise DataError("没有读到任何农户：名册只有表头没有农户行，台账未改动；请在表头下填上各户后重新导入",
                            report.problems)
        report.problems.extend(unify_groups(records, group_names(ledger.frame(schema.HOUSEHOLDS.name))))
        for problem in find_duplicates(records):
            report.problems.append(problem)
        dup_ids = _duplicate_ids(records)
        for rec in records:
            if rec.values.get("户号") in dup_ids:
                invalid.add((rec.file, rec.sheet, rec.row))

        errors = [p for p in report.problems if p.severity == "错误"]
        if errors and not skip_invalid:
            raise DataError(
                f"名册有 {len(errors)} 处问题，台账未改动；改正后重新导入，或加 --skip-invalid 跳过有问题的行",
                report.problems,
            )
        good = [r for r in records if (r.file, r.sheet, r.row) not in invalid]
        bad = [r for r in records if (r.file, r.sheet, r.row) in invalid]
        report.skipped_rows = len(bad)
        if bad and not dry_run:
            report.error_workbooks = _write_error_workbooks(bad, report.problems, files, session.path)

        result = merge_households(ledger.frame(schema.HOUSEHOLDS.name), [r.values for r in good])
        report.added, report.changes, report.unchanged = result.added, result.changes, result.unchanged
        if dry_run or not (result.added or result.changes):
            return report
        ledger.replace(schema.HOUSEHOLDS.name, result.frame)
        summary = f"新增 {len(result.added)} 户，修改 {len(result.changed_ids)} 户，跳过 {len(bad)} 行"
        ledger.note(summary, report.files)
        report.written = True
    return report


def _duplicate_ids(records: list[HouseholdRecord]) -> set[str]:
    seen: set[str] = set()
    dups: set[str] = set()
    for rec in records:
        hid = str(rec.values.get("户号", ""))
        if hid and hid in seen:
            dups.add(hid)
        seen.add(hid)
    return dups


def _write_error_workbooks(bad: list[HouseholdRecord], problems: list[Problem], files: list[Path],
                           ledger_path: Path | None = None) -> list[Path]:
    """One workbook beside each input that had skipped rows: the rows and what is wrong with them."""
    written: list[Path] = []
    by_file: dict[str, list[HouseholdRecord]] = {}
    for rec in bad:
        by_file.setdefault(rec.file, []).append(rec)
    folder_of = {p.name: p.parent for p in files}
    targets = {name: folder_of.get(name, Path.cwd()) / f"{Path(name).stem}_未导入行.xlsx" for name in by_file}
    # an input is no ledger either: the roster itself named like an error workbook must not be overwritten
    guard_outputs(targets.values(), [p for p in (ledger_path, *files) if p is not None], "未导入行文件")
    for name, recs in by_file.items():
        messages: dict[tuple[str, int], list[str]] = {}
        for p in problems:
            if p.location.file == name and p.location.cell:
                row = int("".join(ch for ch in p.location.cell if ch.isdigit()) or 0)
                messages.setdefault((p.location.sheet, row), []).append(f"{p.location.cell}：{p.message}")
        width = max(len(r.raw) for r in recs)
        columns = [ColumnFormat("工作表", 10), ColumnFormat("行号", 6), ColumnFormat("问题", 60)] + [
            ColumnFormat(f"原第{i + 1}列", 14, (), "@") for i in range(width)
        ]
        rows = [
            [r.sheet, r.row, "；".join(messages.get((r.sheet, r.row), ["户号重复"]))]
            + [_plain(v) for v in r.raw]
            for r in recs
        ]
        wb = new_workbook()
        add_table_sheet(wb, "问题行", columns, rows, title_line=f"{name} 中未导入的行（改正后可再次导入）")
        target = targets[name]
        save_new(wb, target)
        written.append(target)
    return written


def _plain(value: object) -> object:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return value if isinstance(value, (int, float, str)) else str(value)
