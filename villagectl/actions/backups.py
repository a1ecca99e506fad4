"""Undo and history (issue 12, §6): diff a ledger against one of its backups, put one back.

Everything here reads workbooks with the project's readers (``Ledger`` / ``read_workbook``,
python-calamine) and writes only through ``safe_write.replace_atomically``: a restore is a
normal write-back, so the current ledger is backed up (verified) before it is replaced.
Listing the backups (and what followed each) is backup_list.py; comparing two ledgers'
tables is ledger/diff.py.
"""

from __future__ import annotations

import datetime as dt
import shutil
from dataclasses import dataclass
from pathlib import Path

from villagectl.actions.backup_list import list_backups  # noqa: F401  (where tests and scripts import it)
from villagectl.actions.session import Session
from villagectl.errors import DataError, FileAccessError
from villagectl.io import safe_write
from villagectl.io.outputs import write_atomically
from villagectl.io.preflight import col_letters
from villagectl.io.reader import read_workbook
from villagectl import schema
from villagectl.ledger.diff import LedgerDiff, SheetDiff, Table, cell_text, diff_tables
from villagectl.ledger.workbook import Ledger


# --------------------------------------------------------------------------
# diff
# --------------------------------------------------------------------------


def _schema_table(ledger: Ledger, name: str) -> Table:
    frame = ledger.frame_or_empty(name)
    columns = [str(c) for c in frame.columns]
    rows = [[cell_text(v) for v in r] for r in frame.astype(object).values.tolist()]
    labels = [f"第 {ledger.excel_row(name, idx)} 行" for idx in frame.index] if ledger.has(name) else [
        f"第 {i + 2} 行" for i in range(len(rows))]
    return Table(columns, rows, labels)


def _raw_table(path: Path, name: str) -> Table:
    book = read_workbook(path, only={name})
    sheet = book.sheet(name)
    raw = sheet.rows if sheet is not None else []
    width = max((len(r) for r in raw), default=0)
    columns = [col_letters(c + 1) for c in range(width)]
    rows, labels = [], []
    for i, r in enumerate(raw):
        cells = [cell_text(v) for v in r] + [""] * (width - len(r))
        if any(cells):
            rows.append(cells)
            labels.append(f"第 {i + 1} 行")
    return Table(columns, rows, labels)


def diff_ledgers(old_path: Path, new_path: Path) -> LedgerDiff:
    """What changed from ``old_path`` (a backup) to ``new_path`` (the ledger), sheet by sheet.

    Tool and clerk sheets of the schema are read as the commands read them (``Ledger``), rows matched
    by the sheet's key column (``SheetSpec.key``: 户号, 流水号, 编码 …) when every row has a distinct
    one, else by content and order; 积分流水 is shown as entries. Other sheets (the clerk's own) are
    compared as plain cells, by content and order.
    """
    old, new = Ledger.open(Path(old_path)), Ledger.open(Path(new_path))
    try:
        names = list(new.workbook_sheet_names) + [n for n in old.workbook_sheet_names
                                                   if n not in new.workbook_sheet_names]
        sheets: list[SheetDiff] = []
        for name in names:
            in_old, in_new = name in old.workbook_sheet_names, name in new.workbook_sheet_names
            spec = schema.SHEETS_BY_NAME.get(name)
            if spec is not None:
                t_old = _schema_table(old, name) if in_old else Table([], [], [])
                t_new = _schema_table(new, name) if in_new else Table([], [], [])
                d = diff_tables(name, t_old, t_new, spec.key, spec.name == schema.JOURNAL.name)
                d.log = spec.name == schema.OPLOG.name
            else:
                t_old = _raw_table(old.real_path, name) if in_old else Table([], [], [])
                t_new = _raw_table(new.real_path, name) if in_new else Table([], [], [])
                d = diff_tables(name, t_old, t_new, "", False)
            if not in_old:
                d.state = "新增的工作表"
            elif not in_new:
                d.state = "删除的工作表"
            if not d.empty:
                sheets.append(d)
        return LedgerDiff(Path(old_path), Path(new_path), sheets)
    finally:
        old.close()
        new.close()


# --------------------------------------------------------------------------
# choosing a backup
# --------------------------------------------------------------------------


def find_backup(ledger_path: Path, ref: str | None) -> Path:
    """The backup the clerk named: its 序号 in ``backups`` (1 = newest), its file name, or its path.

    Only this ledger's backups (in its backup folder, with its exact names) are accepted.
    """
    ledger_path = Path(ledger_path)
    if not ledger_path.exists():
        raise FileAccessError(f"找不到台账文件 {ledger_path}")
    real = safe_write.real_path(ledger_path)
    mine = safe_write.backups_of(real)
    hint = f"用 villagectl backups {ledger_path} 查看这本台账的备份"
    if not mine and not ref:
        raise DataError(f"台账 {ledger_path.name} 还没有备份（{safe_write.STATE_DIR}/backups 里没有它的备份）", hint=hint)
    if not ref:
        return mine[-1]
    text = ref.strip()
    if text.isdigit() and not Path(text).exists():
        n = int(text)
        if 1 <= n <= len(mine):
            return mine[-n]
        raise DataError(f"没有序号为 {n} 的备份：台账 {ledger_path.name} 共有 {len(mine)} 份备份", hint=hint)
    candidate = Path(text)
    if not candidate.exists() and (safe_write.backup_dir(real) / candidate.name).exists():
        candidate = safe_write.backup_dir(real) / candidate.name
    if not candidate.exists():
        raise FileAccessError(f"找不到备份 {ref}", hint=hint)
    found = safe_write.real_path(candidate)
    if found == real:
        raise DataError(f"{ref} 就是台账本身，不是备份", hint=hint)
    if found not in [safe_write.real_path(p) for p in mine]:
        raise DataError(
            f"{candidate.name} 不是台账 {ledger_path.name} 的备份（它的备份都在 {safe_write.backup_dir(real)}，"
            f"名字是 {real.stem}.年月日-时分秒-微秒.bak{real.suffix}）；为免把别的台账恢复到这里，未做任何改动",
            hint=hint)
    return found


def diff_since(ledger_path: Path, ref: str | None = None) -> tuple[Path, LedgerDiff]:
    backup = find_backup(ledger_path, ref)
    _refuse_unreadable(backup)
    return backup, diff_ledgers(backup, Path(ledger_path))


def _refuse_unreadable(backup: Path) -> None:
    if not safe_write.verify_backup(backup):
        raise DataError(f"备份 {backup.name} 打不开（不是完整的 xlsx 文件，可能复制时被打断或已损坏），不能使用；"
                        "请选另一份备份")


# --------------------------------------------------------------------------
# restore
# --------------------------------------------------------------------------


@dataclass
class RestoreResult:
    backup: Path
    diff: LedgerDiff  # what changed since the backup: what the restore undoes
    previous: Path | None  # the backup of the ledger as it was before the restore
    restored: bool
    damaged: bool = False  # the ledger did not open: ``previous`` is its copy as it was, ``diff`` is empty

    def as_dict(self) -> dict:
        return {"ok": True, "restored": self.restored, "damaged": self.damaged, "backup": str(self.backup),
                "previous": str(self.previous) if self.previous else "", "undone": self.diff.as_dict()}


def restore_backup(session: Session, *, ref: str) -> RestoreResult:
    """Put a backup of this ledger back, byte for byte, through the atomic write-back.

    Refused (nothing written) while the ledger is open in Excel/WPS or held by another run (exit 3),
    for a backup that does not open or is not this ledger's (exit 1). The ledger as it is now is
    backed up first (``replace_atomically``, rotation by the ledger's settings), so a restore can
    itself be undone.
    """
    ledger_path = Path(session.path)
    if not ledger_path.exists():
        raise FileAccessError(f"找不到台账文件 {ledger_path}")
    real = safe_write.real_path(ledger_path)
    with session.holding():  # the lock of the real file (every name of one file shares it)
        safe_write.refuse_if_open_elsewhere(real)
        if ledger_path.absolute() != real:
            safe_write.refuse_if_open_elsewhere(ledger_path.absolute())
        backup = find_backup(ledger_path, ref)
        _refuse_unreadable(backup)
        backup_sha = safe_write.sha256_file(backup)
        try:
            current = Ledger.open(ledger_path)
        except DataError:  # the ledger itself is damaged: the very case a restore is for
            return _restore_over_a_damaged_ledger(real, backup, backup_sha)
        try:
            expected = current.fingerprint
            rule = safe_write.Retention.from_settings(current.settings())
            # a restore always keeps the ledger it replaces, even where 备份保留份数 is 0
            retention = safe_write.Retention(max(rule.count, 1), rule.days, rule.months)
        finally:
            current.close()
        diff = diff_ledgers(backup, ledger_path)
        if expected is not None and expected.sha256 == backup_sha:
            return RestoreResult(backup, diff, None, False)

        produce, verify = _copier(backup, backup_sha)
        previous = safe_write.replace_atomically(real, expected, produce, verify, retention)
        return RestoreResult(backup, diff, previous, True)


def _copier(backup: Path, backup_sha: str):
    def produce(tmp: Path) -> None:
        shutil.copyfile(backup, tmp)

    def verify(tmp: Path) -> None:
        if not safe_write.verify_backup(tmp, backup_sha):
            raise FileAccessError(f"恢复校验失败：复制出的 {backup.name} 与备份不一致或打不开（磁盘满了？）；台账未改动")

    return produce, verify


def _restore_over_a_damaged_ledger(real: Path, backup: Path, backup_sha: str) -> RestoreResult:
    """A ledger that does not open cannot get a verified backup: it is kept, as it is, beside the backups
    under a name rotation never matches (``<stem>.<stamp>.damaged<suffix>``), then replaced."""
    expected = safe_write.fingerprint(real)
    folder = safe_write.backup_dir(real)
    folder.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S-%f")
    kept = folder / f"{real.stem}.{stamp}.damaged{real.suffix}"
    write_atomically(kept, lambda tmp: shutil.copy2(real, tmp))  # whole or not at all, like every output
    if safe_write.sha256_file(kept) != expected.sha256:
        kept.unlink(missing_ok=True)
        raise FileAccessError(f"无法把打不开的台账 {real.name} 另存到 {folder}（磁盘满了？）；台账未改动")
    produce, verify = _copier(backup, backup_sha)
    safe_write.replace_atomically(real, expected, produce, verify, 0)
    return RestoreResult(backup, LedgerDiff(backup, real, []), kept, True, damaged=True)
