"""``inspect import``: a batch of grid workers' sheets into 检查记录, file by file."""

from __future__ import annotations

import datetime as dt
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from villagectl.actions.session import Session
from villagectl.actions.supplement import restate_posted, year_locked
from villagectl.errors import DataError, Location, Problem
from villagectl.importers.inspection import Context, FileResult, InspectionRow, read_inspection_file
from villagectl.importers.review_signoff import apply_signoff
from villagectl.actions.inspection_report import write_problem_report
from villagectl.io.inputs import expand_paths
from villagectl.io.outputs import guard_output
from villagectl.io.safe_write import sha256_file
from villagectl.io.sandbox import read_untrusted_many, refuse_on_error
from villagectl import schema
from villagectl.ledger.header_map import header_fillers, learned_headers, remember_headers
from villagectl.ledger.inspections import existing_scores, inspection_rules, merge_records, same_scores
from villagectl.ledger.periods import POSTED, period_state

IMPORTED, UNCHANGED, REFUSED = "已导入", "未变", "拒绝"


@dataclass
class FileOutcome:
    file: str
    path: Path
    sha256: str = ""
    month: str | None = None
    groups: list[str] = field(default_factory=list)
    households: int = 0
    new: int = 0
    replaced: int = 0
    status: str = REFUSED
    problems: list[Problem] = field(default_factory=list)
    readings: list = field(default_factory=list)  # ColumnReading: columns read by evidence, not by name
    notes: list[Problem] = field(default_factory=list)  # 提醒: what was skipped, and why
    late: bool = False  # a posted month's late households (补录)
    reviewers: list[str] = field(default_factory=list)  # 评议小组 members (--reviewers or the sign-off line)
    review_group: str = ""  # the reviewing group (--review-group or the sign-off line)

    def as_dict(self) -> dict:
        return {
            "file": self.file,
            "path": str(self.path),
            "sha256": self.sha256,
            "month": self.month,
            "groups": self.groups,
            "households": self.households,
            "new": self.new,
            "replaced": self.replaced,
            "status": self.status,
            "problems": [p.as_dict() for p in self.problems],
            "mapping": [r.as_dict() for r in self.readings],
            "notes": [p.as_dict() for p in self.notes],
            "reviewers": self.reviewers,
            "review_group": self.review_group,
        }


@dataclass
class InspectionImportReport:
    files: list[FileOutcome] = field(default_factory=list)
    written: bool = False
    dry_run: bool = False
    report_path: Path | None = None
    months_to_rescore: list[str] = field(default_factory=list)
    restatements: list = field(default_factory=list)  # supplement.Restatement per posted month with late rows

    @property
    def refused(self) -> list[FileOutcome]:
        return [f for f in self.files if f.status == REFUSED]

    @property
    def problems(self) -> list[Problem]:
        return [p for f in self.files for p in f.problems]

    def as_dict(self) -> dict:
        return {
            "files": [f.as_dict() for f in self.files],
            "written": self.written,
            "dry_run": self.dry_run,
            "report": str(self.report_path) if self.report_path else None,
            "months_to_rescore": self.months_to_rescore,
            "supplements": [r.as_dict() for r in self.restatements],
        }


def import_inspections(
    session: Session,
    paths: list[Path],
    *,
    month: str | None = None,
    group: str | None = None,
    replace: bool = False,
    dry_run: bool = False,
    report: Path | None = None,
    on_file: Callable[[Path], None] | None = None,
    reviewers: str = "",
    review_group: str = "",
) -> InspectionImportReport:
    """A batch of sheets into 检查记录, file by file (a bad file is refused whole, the others imported)."""
    ledger_path, now, today = session.path, session.now, session.day()
    out = InspectionImportReport(dry_run=dry_run)
    if report is not None:
        report = guard_output(report, ledger_path, "--report")
    files, missing = expand_paths(paths)
    if not files:
        raise DataError(
            "没有找到要导入的检查表文件（xlsx、xls、ods）",
            [Problem(Location(p.name), "文件不存在") for p in missing],
        )
    for p in missing:
        out.files.append(FileOutcome(p.name, p, problems=[Problem(Location(p.name), "文件不存在")]))
    with session.updating("inspect import") as ledger:
        # the child parses the sheets while this process reads the ledger
        reading = ThreadPoolExecutor(max_workers=1).submit(read_untrusted_many, files, on_file=on_file)
        ledger.require(schema.HOUSEHOLDS.name, schema.RULES.name)
        rules = inspection_rules(ledger)
        header_map = ledger.frame_or_empty(schema.HEADER_MAP.name)
        if group:
            from villagectl.ledger.households import require_group

            require_group(ledger.frame(schema.HOUSEHOLDS.name), group)
        ctx = Context(rules, ledger.frame(schema.HOUSEHOLDS.name), month, group, today,
                      learned=learned_headers(header_map, rules), fillers=header_fillers(ledger.settings()),
                      dash_is_zero=ledger.settings().get("短横记零分", "否") == "是",
                      village=ledger.settings().get("村名", ""))
        existing = ledger.frame(schema.INSPECTIONS.name)
        recorded = existing_scores(existing, rules)

        books = reading.result()
        batch_seen: dict[tuple[str, str], str] = {}
        accepted: list[tuple[FileOutcome, list[InspectionRow]]] = []
        for path in files:
            outcome = FileOutcome(path.name, path)
            out.files.append(outcome)
            book = books[path]
            if isinstance(book, DataError):
                outcome.problems = book.problems or [Problem(Location(path.name), book.message)]
                continue
            try:
                outcome.sha256 = refuse_on_error(path, sha256_file, path)
                result: FileResult = refuse_on_error(path, read_inspection_file, book, path.name, ctx)
            except DataError as exc:
                outcome.problems = exc.problems
                continue
            outcome.problems = list(result.problems)
            outcome.readings, outcome.notes = list(result.readings), list(result.notes)
            outcome.month = result.month
            outcome.groups = sorted(result.groups)
            outcome.households = len(result.rows)
            apply_signoff(outcome, book, reviewers, review_group, ledger.settings().get("评议小组最少人数", ""))
            if result.errors or result.month is None:
                continue
            from villagectl.actions.notice_quarter import posted_quarter_problems  # it imports this module

            outcome.problems += posted_quarter_problems(ledger, result.month, result.rows, path.name)
            if any(p.severity == "错误" for p in outcome.problems):
                continue
            late = period_state(ledger, result.month) == POSTED
            if year_locked(ledger, result.month):
                outcome.problems.append(Problem(Location(path.name), (
                    f"{result.month} 已入账，{result.month[:4]} 年度评定也已锁定（post year），不能再补录这个月的检查表"
                    if late else f"{result.month[:4]} 年度评定已锁定（post year），不能再导入 {result.month} 的检查表："
                                 "年度积分是按锁定时已入账的月份算定的；检查表月份写错了的，请改正后再导入")))
                continue
            conflicts: list[Problem] = []
            new_rows: list[InspectionRow] = []
            replaced = 0
            for row in result.rows:
                key = (result.month, row.household_id)
                loc = Location(path.name, row.sheet, row.id_cell)
                if key in batch_seen:
                    conflicts.append(Problem(loc, f"{row.name}（{row.household_id}）{result.month} 的得分在 {batch_seen[key]} 中也有"))
                    continue
                old = recorded.get(key)
                if late and old is not None and old[0] and not same_scores(old[0], row.scores):
                    # the month is posted: only households without a score come in late (补录)
                    conflicts.append(Problem(loc, f"{row.name}（{row.household_id}）{result.month} 已入账，得分由 {old[1]} "
                                                  "导入、与本表不同；入账后的得分不能用检查表替换，要更正请用 villagectl score "
                                                  f"adjust --month {result.month} --household {row.household_id} --after-post"))
                    continue
                if old is not None and not old[0]:
                    new_rows.append(row)  # listed blank before: this (补查) is its inspection
                    continue
                if old is not None and not old[0].keys() & row.scores.keys():
                    # other items of the same month (the year-end review after the quarter's sheet): both kept
                    row.scores = {**old[0], **row.scores}
                    new_rows.append(row)
                    continue
                if old is not None:
                    scores, source = old
                    if same_scores(scores, row.scores):
                        continue
                    if not replace:
                        conflicts.append(
                            Problem(loc, f"{row.name}（{row.household_id}）{result.month} 已由 {source} 导入、得分不同；要替换请加 --replace")
                        )
                        continue
                    replaced += 1
                new_rows.append(row)
            if conflicts:
                outcome.problems.extend(conflicts)
                continue
            # a household left blank is recorded as not inspected, unless it has (or gets) its scores
            for row in result.blank_rows:
                key = (result.month, row.household_id)
                if key not in batch_seen and key not in recorded and not late:
                    new_rows.append(row)
            if late and new_rows:
                outcome.late = True
                outcome.notes.append(Problem(Location(path.name), f"{result.month} 已入账：本表 {len(new_rows)} 户当月还没有得分，"
                                                                  "按补录导入（另行公示后只把这些户的积分入账）", "提醒"))
            for row in result.rows:
                batch_seen[(result.month, row.household_id)] = f"{path.name} / {row.sheet} / {row.id_cell}"
            outcome.new, outcome.replaced = len(new_rows) - replaced, replaced
            outcome.status = IMPORTED if new_rows else UNCHANGED
            if new_rows:
                accepted.append((outcome, new_rows))
        for outcome in out.files:
            if outcome.status == REFUSED and not any(p.severity == "错误" for p in outcome.problems):
                outcome.problems.append(Problem(Location(outcome.file), "文件未导入"))
        if report is not None:
            out.report_path = write_problem_report(report, out)
        if not accepted or dry_run:
            return out
        stamp = (now or dt.datetime.now()).isoformat(sep=" ", timespec="seconds")
        frame = merge_records(existing, accepted, rules, stamp)
        ledger.replace(schema.INSPECTIONS.name, frame)
        learned = remember_headers(header_map, [o for o, _ in accepted])
        if learned is not None:
            ledger.replace(schema.HEADER_MAP.name, learned)
        months = sorted({o.month for o, _ in accepted if o.month})
        out.months_to_rescore = [m for m in months if period_state(ledger, m) not in (None, POSTED)]
        for m in months:
            if period_state(ledger, m) == POSTED:
                late = [(o, rows) for o, rows in accepted if o.month == m]
                targets = {row.household_id for _, rows in late for row in rows}
                cause = "入账后交回的检查表：" + "、".join(o.file for o, _ in late)
                out.restatements.append(restate_posted(ledger, m, targets, cause, now))
        summary = "；".join(f"{o.file}：{o.status}{'（补录）' if o.late else ''} {o.households} 户" for o in out.files)
        ledger.note(summary[:500], [(o.file, o.sha256) for o, _ in accepted])
        out.written = True
    return out
