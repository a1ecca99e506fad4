"""``run``: the unattended monthly job for cron — inbox → import → archive → score → notice.

Files are moved out of the inbox only after the ledger holding their data has
been written (a crash before that leaves them in the inbox; the next run finds
their content already imported, says 未变, and moves them then).
"""

from __future__ import annotations

import datetime as dt
import logging
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from villagectl.actions.inspect_import import IMPORTED, REFUSED, import_inspections
from villagectl.io.inputs import expand_paths
from villagectl.actions.notice_month import print_month_notice
from villagectl.actions.score_month import score_months
from villagectl.actions.session import Session
from villagectl.scoring.coverage import describe_missing, missing_households
from villagectl.errors import ExitCode, FileAccessError
from villagectl.io.outputs import guard_output, in_state_folder, same_file
from villagectl.io.newbook import ColumnFormat, add_table_sheet, new_workbook, save_new
from villagectl.ledger.periods import POSTED, period_state
from villagectl.ledger.workbook import Ledger

log = logging.getLogger("villagectl.run")
REFUSED_DIR = "refused"


@dataclass
class RunResult:
    imported: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    moved: dict[str, str] = field(default_factory=dict)  # file -> where it went
    months: list[str] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)
    incomplete: dict[str, str] = field(default_factory=dict)  # month -> who has no sheet yet (no notice printed)
    exit_code: int = int(ExitCode.OK)

    def as_dict(self) -> dict:
        out = {k: v for k, v in self.__dict__.items() if k != "exit_code"}
        out["moved"] = [{"file": f, "moved_to": to} for f, to in self.moved.items()]
        out["incomplete"] = [{"month": m, "missing": who} for m, who in self.incomplete.items()]
        return out


def _unique_target(folder: Path, name: str) -> Path:
    target = folder / name
    n = 1
    while target.exists():
        stem, _, suffix = name.rpartition(".")
        target = folder / f"{stem}.{n}.{suffix}" if stem else folder / f"{name}.{n}"
        n += 1
    return target


def _move(path: Path, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    target = _unique_target(folder, path.name)
    shutil.move(str(path), str(target))
    return target


def _problem_report(path: Path, problems, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    wb = new_workbook()
    add_table_sheet(
        wb, "问题清单",
        [ColumnFormat("工作表", 12), ColumnFormat("单元格", 14), ColumnFormat("问题", 70), ColumnFormat("类别", 6)],
        [[p.location.sheet, p.location.cell, p.message, p.severity] for p in problems],
        title_line=f"{path.name} 未导入的原因（改正后请重新放进收件箱）",
    )
    target = guard_output(_unique_target(folder, f"{path.name}.问题.xlsx"), None, "问题清单")
    save_new(wb, target)
    return target


def run_inbox(
    ledger_path: Path,
    inbox: Path,
    archive: Path | None = None,
    month: str | None = None,
    today: dt.date | None = None,
    notice_dir: Path | None = None,
    wait_s: float = 0.0,
) -> RunResult:
    today = today or dt.date.today()
    result = RunResult()
    # files are moved out of the inbox and into these folders: none of them may be the ledger or a backup
    inbox = guard_output(inbox, ledger_path, "--inbox", folder=True)
    if archive is not None:
        archive = guard_output(archive, ledger_path, "--archive", folder=True)
    if notice_dir is not None:
        notice_dir = guard_output(notice_dir, ledger_path, "--notice-dir", folder=True)
    if not inbox.is_dir():
        raise FileAccessError(f"收件箱文件夹不存在：{inbox}；请核对路径（或先建好这个文件夹）")
    archive = archive or inbox / "已导入"
    refused_dir = inbox / REFUSED_DIR
    files = [p for p in expand_paths([inbox])[0]
             if refused_dir not in p.parents and archive not in p.parents
             and not same_file(p, ledger_path) and not in_state_folder(p)]  # the ledger is no inspection sheet
    if not files:
        log.info("收件箱 %s 没有新文件", inbox)
        result.exit_code = int(ExitCode.NOTHING_TO_DO)
        return result
    log.info("收件箱 %s：%d 个文件", inbox, len(files))
    run = Session(ledger_path, wait_s=wait_s, arguments="run", today=today)
    report = import_inspections(run, files, month=month)
    for outcome in report.files:
        if outcome.status == REFUSED:
            result.refused.append(outcome.file)
            if outcome.path.exists():
                problems_file = _problem_report(outcome.path, outcome.problems, refused_dir)
                result.moved[outcome.file] = str(_move(outcome.path, refused_dir))
                log.warning("未导入 %s（%d 处问题，见 %s）", outcome.file, len(outcome.problems), problems_file.name)
            continue
        (result.imported if outcome.status == IMPORTED else result.unchanged).append(outcome.file)
        result.moved[outcome.file] = str(_move(outcome.path, archive))
        log.info("%s %s：%s %d 户", "已导入" if outcome.status == IMPORTED else "未变", outcome.file,
                 outcome.month, outcome.households)
        if outcome.month and outcome.month not in result.months:
            result.months.append(outcome.month)
    ledger = Ledger.open(ledger_path) if result.months else None
    for m in sorted(result.months):
        state = period_state(ledger, m)
        folder = notice_dir or ledger_path.parent / "公示"
        if state == POSTED:
            # a late sheet of a posted month (补录): its own notice; the clerk posts it after the period
            late = [r for r in report.restatements if r.month == m and r.changes]
            if late:
                pdf = guard_output(folder / f"{m}{late[-1].kind}公示.pdf", ledger_path, "--notice-dir")
                folder.mkdir(parents=True, exist_ok=True)
                print_month_notice(run, m, out_pdf=pdf)
                result.notices.append(str(pdf))
                log.info("%s 已入账，补录的检查表另行公示 %s", m, pdf)
            continue
        month_files = [o for o in report.files if o.month == m and o.status == IMPORTED]
        if not month_files and state is not None:
            continue  # nothing new for a month already scored (a rerun after an interrupted one scores it once)
        scored = score_months(run, m)
        if missing_households(scored.coverage):
            # a notice now would publish the month without them: wait for the corrected or missing sheets
            names = {h["household_id"]: h["name"] for h in scored.households()}
            result.incomplete[m] = describe_missing(scored.coverage, names)
            log.warning("%s 未公示：%s 没有检查表，收到后下次运行会补上", m, result.incomplete[m])
            continue
        pdf = guard_output(folder / f"{m}积分公示.pdf", ledger_path, "--notice-dir")
        folder.mkdir(parents=True, exist_ok=True)
        print_month_notice(run, m, out_pdf=pdf)
        result.notices.append(str(pdf))
        log.info("%s 已计分并打印公示 %s", m, pdf)
    if result.refused or result.incomplete:
        result.exit_code = int(ExitCode.PARTIAL)
    elif not result.imported and not result.notices:
        result.exit_code = int(ExitCode.NOTHING_TO_DO)
    return result


