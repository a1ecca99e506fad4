"""``transfer out``: close a household's account and write its signed transfer file (seed 001 篇2).

The document, the signature and the checks are ``villagectl.ledger.transfer``
(pure); transfer in is actions/transfer_in.py (re-exported here). This module
holds the ledger (a ``Session``), saves, and writes the file.

Crashes: the ledger save of transfer out is the commit point and the file is
written after it, so before it no validly signed file exists, and after it the
same file can be made again from the closed account (``reissue``: running the
same command again); 操作日志 records where the file went and its sha256, and
``check`` warns about a transfer out whose file is not there.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from villagectl.actions.transfer_files import (  # noqa: F401  (issued_transfers, transfer_problems: for check)
    TransferOutResult,
    check_writable,
    output_path,
    recorded_path,
    reissue,
    signed_document,
    write_file,
    issued_transfers,
    missing_transfer_files,
    transfer_problems,
)
from villagectl.actions.transfer_in import TransferInResult, read_transfer_file, transfer_in  # noqa: F401
from villagectl.actions.session import Session
from villagectl.errors import DataError, FileAccessError, UsageError
from villagectl.io.outputs import guard_output
from villagectl import schema
from villagectl.ledger.households import find_household
from villagectl.ledger.journal import NewEntry, append_entries
from villagectl.ledger.journal_anchor import require_intact
from villagectl.ledger.transfer import (  # noqa: F401  (re-exported for scripts)
    CLOSED_STATES,
    FORMAT,
    KEY_SETTING,
    canonical_bytes,
    new_transfer_id,
    record_text,
    sign,
    signature_ok,
    town_key,
    transfer_document,
    transfer_file_name,
    unposted,
)
from villagectl.ledger.transfer_receipt import append_dated, received_transfer_ids  # noqa: F401
from villagectl.render.transfer_letter import with_letter  # the printable 迁转证明 beside the file
from villagectl.values import clean_name, clean_text, fmt_number


def household_row(households: pd.DataFrame, household: str) -> tuple[int, pd.Series]:
    """(index, row) of the household ``household`` names: its 户号 or 户主 (find_household)."""
    hid = clean_text(find_household(households, household)["户号"])
    hits = households.index[households["户号"].map(clean_text) == hid]
    return hits[0], households.loc[hits[0]]



def transfer_out(session: Session, *, household: str, to_village: str, output: Path | None = None) -> TransferOutResult:
    """Close a household's account on ``session.day()`` and write the signed transfer file.

    The ledger closing the account (the 转出 row, 关联 = the transfer id) is the
    commit point; the file is written after it. Before that point no file with a
    valid signature exists (a kill leaves the account open and nothing a village
    could receive); after it the file can always be made again: the document is
    derived from the closed account (its 转出 row gives the id, date and balance,
    the rows before it the history) and signing is deterministic, so running the
    same command again on the closed account re-issues the very same file (the
    bytes are checked against the sha256 recorded in 操作日志).
    """
    ledger_path = session.path
    household = clean_text(household)
    to_village = clean_name(to_village)
    if not household:
        raise UsageError("请用 --household 给出要转出的户号")
    if not to_village:
        raise UsageError("请用 --to-village 给出转入的村名（与对方台账“参数”表的村名一致）")
    if output is not None:
        guard_output(output, ledger_path, "-o", folder=Path(output).is_dir())
    with session.updating("transfer out") as ledger:
        ledger.require(schema.HOUSEHOLDS.name, schema.JOURNAL.name)
        require_intact(ledger)
        settings = ledger.settings()
        village = clean_name(settings.get("村名", ""))
        if not village:
            raise DataError("参数“村名”是空的，请先在“参数”表填上本村村名")
        if to_village == village:
            raise UsageError(f"转入村“{to_village}”就是本村；本村内换户号或换组请直接改户籍表")
        key = town_key(settings)
        households = ledger.frame(schema.HOUSEHOLDS.name).copy()
        index, row = household_row(households, household)
        household = clean_text(row.get("户号", ""))  # as the roster spells it
        state = clean_text(row.get("状态", ""))
        if state in CLOSED_STATES:
            issued = [t for t in issued_transfers(ledger, ledger_path) if t.household_id == household]
            if not issued:
                raise DataError(f"户号 {household}（{clean_name(row.get('户主', ''))}）的状态是“{state}”，账户已关闭，不能再转出")
            return with_letter(reissue(ledger, ledger_path, row, village, to_village, key, issued[-1], output), ledger)
        pending = unposted(ledger.frame_or_empty(schema.MONTHLY.name), ledger.frame_or_empty(schema.EVENTS.name), household)
        if pending:
            raise DataError(
                f"户号 {household} 还有没入账的积分：{'；'.join(pending)}。转出后这些积分就无法再记到这一户",
                hint="请先入账（villagectl post month；公示未满可用 --force --reason 说明原因），或处理完这些事件，再转出",
            )
        date = session.day()
        transfer_id = new_transfer_id(date, household)
        document, data = signed_document(ledger, row, village, to_village, date, transfer_id, key)
        target = output_path(output, ledger_path, transfer_file_name(village, household, date))
        if target.exists():
            raise FileAccessError(f"{target} 已存在；为免覆盖别的转移单，请换一个文件名（-o）或先把它移走")
        check_writable(target)

        operator = session.operator_for(ledger)
        balance = float(document["balance"])
        journal, ids = append_entries(
            ledger.frame(schema.JOURNAL.name),
            [NewEntry(household, schema.ENTRY_TRANSFER_OUT, -balance + 0.0, f"转出至{to_village}", transfer_id)],
            date.isoformat(),
            operator,
        )
        ledger.replace(schema.JOURNAL.name, journal)
        households.loc[index, "状态"] = "迁出"
        ledger.replace(schema.HOUSEHOLDS.name, households)
        ledger.note(f"{household} 转出至{to_village}，余额 {fmt_number(balance)} 分，"
                    f"{record_text(transfer_id, recorded_path(target, ledger_path), data)}")
    # the ledger save (the end of the block above) is the commit point; the file is written after it
    try:
        write_file(target, data)
    except OSError as exc:
        raise FileAccessError(
            f"台账已记转出（转移单 {transfer_id}），但转移单没能写成 {target}：{exc.strerror or exc}。"
            f"积分没有丢：请解决上面的问题后再运行同一条 transfer out 命令，会重新开具同一份转移单"
        ) from None
    return with_letter(TransferOutResult(transfer_id, household, document["household"]["name"], to_village,
                                         balance, float(document["earned"]), target, ids[0]), ledger)
