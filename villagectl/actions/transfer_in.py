"""``transfer in``: verify a transfer file and open the household's account in this village.

The checks (signature, addressee, totals, the 户号 and group here) and what is
posted are ``villagectl.ledger.transfer_receipt.plan_receipt`` (pure); this
module reads the file, holds the ledger (a ``Session``), and saves.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from villagectl.actions.session import Session
from villagectl.errors import DataError, FileAccessError
from villagectl.io.safe_write import sha256_file
from villagectl import schema
from villagectl.ledger.journal_anchor import require_intact
from villagectl.ledger.transfer import MAX_FILE_BYTES, town_key
from villagectl.ledger.transfer_receipt import append_dated, parse_transfer, plan_receipt, require_signature
from villagectl.values import clean_name, fmt_number


def read_transfer_file(path: Path) -> dict:
    path = Path(path)
    if not path.is_file():
        raise FileAccessError(f"找不到转移单 {path}")
    if path.stat().st_size > MAX_FILE_BYTES:
        raise DataError(f"{path.name} 太大（超过 20 MB），不是 villagectl 的积分转移单")
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise FileAccessError(f"无法读取转移单 {path.name}：{exc.strerror or exc}") from None
    return parse_transfer(raw, path.name)


@dataclass
class TransferInResult:
    transfer_id: str
    from_village: str
    household_id: str
    original_id: str
    name: str
    group: str
    balance: float
    earned: float
    entries: int
    dry_run: bool = False
    notes: list[str] = field(default_factory=list)
    spent: float = 0.0  # what the household had redeemed in the sending village
    sent: str = ""  # the transfer out date
    years: list[dict] = field(default_factory=list)  # per year: earned, rated (counted by that year's rating), entries

    def as_dict(self) -> dict:
        return {
            "transfer_id": self.transfer_id,
            "from_village": self.from_village,
            "sent": self.sent,
            "spent": self.spent,
            "years": self.years,
            "household_id": self.household_id,
            "original_household_id": self.original_id,
            "name": self.name,
            "group": self.group,
            "balance": self.balance,
            "earned": self.earned,
            "entries": self.entries,
            "dry_run": self.dry_run,
            "notes": self.notes,
        }


def transfer_in(
    session: Session,
    file: Path,
    *,
    household_id: str | None = None,
    group: str | None = None,
    dry_run: bool = False,
) -> TransferInResult:
    """Verify a transfer file and open the household's account in this village on ``session.day()``."""
    today = session.day()
    file = Path(file)
    document = read_transfer_file(file)
    with session.updating("transfer in") as ledger:
        ledger.require(schema.HOUSEHOLDS.name, schema.JOURNAL.name)
        require_intact(ledger)
        settings = ledger.settings()
        require_signature(document, town_key(settings), file.name)
        journal = ledger.frame(schema.JOURNAL.name)
        households = ledger.frame(schema.HOUSEHOLDS.name)
        receipt = plan_receipt(document, name=file.name, village=clean_name(settings.get("村名", "")), journal=journal,
                               households=households, today=today, household_id=household_id, group=group)
        r = receipt
        notes = r.notes
        result = TransferInResult(r.transfer_id, r.from_village, r.household_id, r.original_id, r.name, r.group,
                                  r.balance, r.earned, len(r.entries), dry_run, notes, spent=r.spent,
                                  sent=r.sent.isoformat(), years=r.years)
        notes.append("请在户籍表补填联系电话、身份证号、户类型（转移单里没有这些信息）")
        if dry_run:
            return result

        operator = session.operator_for(ledger)
        ledger.replace(schema.JOURNAL.name, append_dated(journal, r.entries, operator))
        row = r.household_row(list(households.columns), today)
        households = pd.concat([households, pd.DataFrame([row], columns=households.columns, dtype=object)],
                               ignore_index=True)
        ledger.replace(schema.HOUSEHOLDS.name, households)
        ledger.note(f"转移单 {r.transfer_id}：{r.from_village} {r.original_id} {r.name} 转入为 {r.household_id}，"
                    f"余额 {fmt_number(r.balance)} 分，累计获得 {fmt_number(r.earned)} 分",
                    [(file.name, sha256_file(file))])
        return result
