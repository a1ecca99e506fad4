"""The files ``transfer out`` writes: where they go, writing them durably, re-issuing one, and ``check``'s warning.

The document and its signature are ``villagectl.ledger.transfer``; 操作日志
records where each file went and its sha256 (``ledger.transfer.record_text``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from villagectl.errors import DataError, FileAccessError, UsageError
from villagectl.io.outputs import guard_output, write_atomically
from villagectl import schema
from villagectl.ledger.transfer import (
    IssuedTransfer,
    before_entry,
    canonical_bytes,
    signed,
    transfer_document,
    transfer_file_name,
)
from villagectl.ledger.transfer import issued_transfers as _issued
from villagectl.ledger.workbook import Ledger
from villagectl.values import clean_name, clean_text

if TYPE_CHECKING:
    import pandas as pd


def issued_transfers(ledger: Ledger, ledger_path: Path | None = None) -> list[IssuedTransfer]:
    """Every 转出 row with a transfer id, in journal order, with the file 操作日志 recorded for it."""
    base = Path(ledger_path if ledger_path is not None else ledger.path).parent
    return _issued(ledger.table_or_empty(schema.JOURNAL.name), ledger.table_or_empty(schema.OPLOG.name), base)


@dataclass
class TransferOutResult:
    transfer_id: str
    household_id: str
    name: str
    to_village: str
    balance: float
    earned: float
    file: Path
    entry_id: str
    reissued: bool = False  # the account was closed already: the same file written again

    def as_dict(self) -> dict:
        return {
            "transfer_id": self.transfer_id,
            "household_id": self.household_id,
            "name": self.name,
            "to_village": self.to_village,
            "balance": self.balance,
            "earned": self.earned,
            "file": str(self.file),
            "entry_id": self.entry_id,
            "reissued": self.reissued,
        }


def output_path(output: Path | None, ledger_path: Path, name: str) -> Path:
    target = _unguarded_output_path(output, ledger_path, name)
    return guard_output(target, ledger_path, "-o" if output is not None else "转移单")


def _unguarded_output_path(output: Path | None, ledger_path: Path, name: str) -> Path:
    if output is None:
        return ledger_path.parent / name
    output = Path(output)
    if output.is_dir():
        return output / name
    if output.suffix.lower() != ".json":
        raise UsageError(f"转移单应保存为 .json 文件（或给一个已存在的文件夹）：{output}")
    if not output.parent.is_dir():
        raise FileAccessError(f"文件夹 {output.parent} 不存在，无法保存转移单")
    return output




def signed_document(
    ledger: Ledger, row: pd.Series, village: str, to_village: str, date: dt.date, transfer_id: str, key: str,
    closing_entry: str | None = None,
) -> tuple[dict, bytes]:
    """The signed document and the file's bytes; with ``closing_entry``, as it was when that row closed the account."""
    from villagectl.ledger.journal import classify
    from villagectl.ledger.statement import statement_for_ledger  # (pandas: not for check)

    statement = statement_for_ledger(ledger)  # the reasons, worded as the passbook words them
    reasons = dict(zip(statement["流水号"].map(clean_text), statement["说明"]))
    entries = classify(ledger.frame(schema.JOURNAL.name), ledger.frame_or_empty(schema.EVENTS.name))
    document = transfer_document(before_entry(entries, closing_entry), reasons, row, village, to_village, date,
                                 transfer_id)
    return signed(document, key)


def check_writable(target: Path) -> None:
    """Refuse before the ledger closes the account when the file cannot be written there at all."""
    if not os.access(target.parent, os.W_OK | os.X_OK):
        raise FileAccessError(f"文件夹 {target.parent} 不能写入，无法保存转移单；台账未改动")


def write_file(target: Path, data: bytes) -> None:
    """Write ``data`` as ``target`` with the one atomic writer (``io.outputs.write_atomically``: temp file,
    fsync, rename, folder fsync). Stale temporary copies of the same file (a killed earlier run) are removed first.
    """
    for stale in target.parent.glob(f".villagectl-tmp-*-{glob_escape(target.name)}"):
        stale.unlink(missing_ok=True)
    write_atomically(target, data)


def glob_escape(name: str) -> str:
    return re.sub(r"([*?\[])", r"[\1]", name)



# --- what transfer out recorded, and re-issuing ------------------------------------------------------------


def recorded_path(target: Path, ledger_path: Path) -> str:
    """The file as 操作日志 records it: relative to the ledger's folder when it is in it (the folder may move)."""
    try:
        return str(target.resolve().relative_to(Path(ledger_path).resolve().parent))
    except ValueError:
        return str(target.resolve())



def same_file(path: Path, data: bytes, sha: str = "") -> bool:
    """``path`` holds this transfer file (byte for byte, or the same signed document written differently)."""
    try:
        raw = path.read_bytes()
    except OSError:
        return False
    if raw == data or (sha and hashlib.sha256(raw).hexdigest().startswith(sha)):
        return True
    try:
        doc = json.loads(raw.decode("utf-8-sig"))
        ours = json.loads(data.decode("utf-8"))
        return isinstance(doc, dict) and doc.get("signature") == ours.get("signature") and \
            canonical_bytes(doc) == canonical_bytes(ours)
    except (ValueError, TypeError, UnicodeDecodeError):
        return False


def reissue(
    ledger: Ledger, ledger_path: Path, row: pd.Series, village: str, to_village: str, key: str,
    issued: IssuedTransfer, output: Path | None,
) -> TransferOutResult:
    """The account is closed by a transfer out: write its file again (the same bytes), unless it is there."""
    household = issued.household_id
    name = clean_name(row.get("户主", ""))
    if issued.to_village and issued.to_village != to_village:
        raise DataError(
            f"户号 {household}（{name}）已于 {issued.date} 转出至{issued.to_village}（转移单 {issued.transfer_id}），"
            f"账户已关闭，不能再转给{to_village}",
            hint=f"要补开那份转移单，请用 --to-village {issued.to_village}",
        )
    try:
        date = dt.date.fromisoformat(issued.date)
    except ValueError:
        raise DataError(f"户号 {household} 的转出流水 {issued.entry_id} 日期无效，无法重新开具转移单") from None
    document, data = signed_document(ledger, row, village, to_village, date, issued.transfer_id, key, issued.entry_id)
    sha = hashlib.sha256(data).hexdigest()
    changed = (issued.sha256 and not sha.startswith(issued.sha256)) or (
        issued.points is not None and abs(issued.points + float(document["balance"])) > 1e-6)
    if changed:
        raise DataError(
            f"户号 {household} 已于 {issued.date} 转出（转移单 {issued.transfer_id}），但台账在转出后被改动过"
            "（这一户的户籍信息或转出前的积分流水），重新算出的转移单与当时开具的不一致，不能重新开具",
            hint="请用转出前后的备份核对改动并改回；villagectl check 会列出积分流水的问题",
        )
    if output is not None:
        target = output_path(output, ledger_path, transfer_file_name(village, household, date))
    elif issued.file is not None and issued.file.parent.is_dir():
        target = guard_output(issued.file, ledger_path, "转移单")
    else:
        target = output_path(None, ledger_path, transfer_file_name(village, household, date))
    if target.exists():
        if same_file(target, data, issued.sha256):
            raise DataError(
                f"户号 {household}（{name}）已于 {issued.date} 转出至{to_village}，账户已关闭；"
                f"转移单 {issued.transfer_id} 就在 {target}，内容完好，不用重开",
                hint=f"请把它交给{to_village}；要另存一份，请用 -o 给另一个文件夹",
            )
        raise FileAccessError(f"{target} 已存在，且不是转移单 {issued.transfer_id}；请换一个文件名（-o）或先把它移走")
    check_writable(target)
    try:
        write_file(target, data)
    except OSError as exc:
        raise FileAccessError(f"转移单没能写成 {target}：{exc.strerror or exc}；台账未改动，解决后请再运行一次") from None
    return TransferOutResult(issued.transfer_id, household, document["household"]["name"], to_village,
                             float(document["balance"]), float(document["earned"]), target, issued.entry_id,
                             reissued=True)


def missing_transfer_files(ledger: Ledger) -> list[tuple[IssuedTransfer, str]]:
    """Transfers out whose recorded file is not there (or not the file issued): for ``check``."""
    out: list[tuple[IssuedTransfer, str]] = []
    for issued in issued_transfers(ledger):
        if issued.file is None:
            continue
        if not issued.file.is_file():
            out.append((issued, "不存在"))
        elif issued.sha256 and not hashlib.sha256(issued.file.read_bytes()).hexdigest().startswith(issued.sha256):
            out.append((issued, "与开具时的内容不同"))
    return out


def transfer_problems(ledger: Ledger, at) -> list:
    """``check``: a transfer out that left no file (killed after the ledger closed the account, or the file lost)."""
    from villagectl.errors import Problem

    problems = []
    for issued, what in missing_transfer_files(ledger):
        problems.append(Problem(
            at(schema.JOURNAL.name, issued.position, "关联"),
            f"户号 {issued.household_id} 已于 {issued.date} 转出至{issued.to_village or '（未写明）'}（转移单 {issued.transfer_id}），"
            f"但转移单 {issued.file} {what}。如果还没交给对方，请运行 villagectl transfer out 台账 --household "
            f"{issued.household_id} --to-village {issued.to_village or '转入村'} 重新开具同一份转移单；已交给对方的可以不管",
            "警告",
        ))
    return problems
