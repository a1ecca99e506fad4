"""``slip verify``, ``slip use`` and ``slip print``: open the ledger, call ledger/slips.py, save, print.

The codes, the HMAC, the 兑换记录 records and the verdicts are in
``villagectl.ledger.slips`` (pure); this module reads and writes the ledger
and the PDF. The names below are re-exported from there for scripts.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from villagectl.actions.session import PrintOptions, Session
from villagectl.errors import DataError, Location, Problem, UsageError
from villagectl.io.outputs import guard_output
from villagectl import schema
from villagectl.ledger.journal import NewEntry, append_entries
from villagectl.ledger.journal_anchor import require_intact
from villagectl.ledger.slips import (  # noqa: F401  (re-exported: scripts and check use these names)
    ALPHABET,
    FREE_ITEM_MARK,
    SECRET_KEY,
    STATE_OPEN,
    STATE_USED,
    STATE_VOID,
    VERDICT_TEXT,
    Claim,
    SlipRecord,
    VerifyResult,
    canonical_content,
    checked_secret,
    collections,
    find_slip,
    make_code,
    make_payload,
    mark_used,
    new_secret,
    normalize_code,
    parse_payload,
    reset_collection,
    reversal_of,
    same_code,
    secret_of,
    slip_records,
    verify,
    with_redemption_columns,
)
from villagectl.ledger.workbook import Ledger
from villagectl.render.slips import Slip, SlipLine, SlipSheet, render_slips
from villagectl.values import fmt_number


def ledger_secret(ledger: Ledger) -> str | None:
    """The 兑换单密钥 of the ledger, or None when it is missing (never shown anywhere)."""
    return secret_of(ledger.settings())


def require_secret(ledger: Ledger) -> str:
    return checked_secret(ledger.settings(), ledger.path.name)


def redemption_frame(ledger: Ledger) -> pd.DataFrame:
    """兑换记录 with every column of the current layout (older ledgers lack some)."""
    return with_redemption_columns(ledger.frame_or_empty(schema.REDEMPTIONS.name))


def verify_in(ledger: Ledger, text: str, claim: Claim | None = None) -> VerifyResult:
    """Verify a code or a QR payload against the ledger (read only)."""
    secret = require_secret(ledger)
    return verify(slip_records(redemption_frame(ledger)), ledger.frame_or_empty(schema.JOURNAL.name), secret, text, claim)


def verify_slip(session: Session, text: str, *, claim: Claim | None = None) -> VerifyResult:
    """Read only, and without the lock (a slip can be checked while the ledger is being written)."""
    return verify_in(Ledger.open(session.path), text, claim)


# --------------------------------------------------------------------------
# slip use
# --------------------------------------------------------------------------


@dataclass
class UseResult:
    record: SlipRecord
    date: str

    def as_dict(self) -> dict:
        return {"slip": self.record.number, "state": STATE_USED, "collected": self.date,
                "household_id": self.record.household_id, "name": self.record.name,
                "points": self.record.points}


def use_slip(session: Session, text: str) -> UseResult:
    """Mark a genuine, not yet collected slip 已领取 on ``session.day()`` (the goods are handed over)."""
    today = session.day()
    with session.updating("slip use") as ledger:
        require_intact(ledger)
        result = verify_in(ledger, text)
        if not result.genuine:
            raise DataError(f"兑换单核验不通过（{VERDICT_TEXT[result.verdict]}），不能领取：" + "；".join(result.reasons))
        rec = result.record
        assert rec is not None
        if rec.void:
            raise DataError(f"兑换单 {rec.number} 已作废，不能领取物品")
        if rec.state == STATE_USED:
            when = f"于 {rec.collected} " if rec.collected else ""
            raise DataError(f"兑换单 {rec.number} 已{when}领取过物品，不能重复领取")
        ledger.replace(schema.REDEMPTIONS.name, mark_used(redemption_frame(ledger), rec, today.isoformat(), session.operator))
        collect = NewEntry(rec.household_id, schema.ENTRY_COLLECT, 0, f"领取 兑换单 {rec.number} 的物品", rec.number)
        journal, _ids = append_entries(ledger.frame(schema.JOURNAL.name), [collect], today.isoformat(),
                                       session.operator_for(ledger))
        ledger.replace(schema.JOURNAL.name, journal)
        ledger.note(f"{rec.number} 已领取（{rec.household_id} {fmt_number(rec.points)} 分）")
        rec.state, rec.collected = STATE_USED, today.isoformat()
        return UseResult(rec, today.isoformat())





# --------------------------------------------------------------------------
# Building printable slips from the records (slip print, and after redeem)
# --------------------------------------------------------------------------


def printable(rec: SlipRecord, secret: str, reprint: bool = False) -> Slip:
    """A record as the renderer wants it; the code is recomputed, never trusted from the sheet."""
    code = make_code(secret, rec.canonical())
    lines = [
        SlipLine(line["item"], line["qty"], line["unit"],
                 line["unit_points"] if line["unit_points"] is not None else round(line["points"] / (line["qty"] or 1), 4),
                 line["points"], line["yuan"])
        for line in rec.lines
    ]
    return Slip(
        number=rec.number,
        date=dt.date.fromisoformat(rec.date),
        household_id=rec.household_id,
        name=rec.name,
        lines=lines,
        points=rec.points,
        yuan=rec.yuan,
        balance_before=rec.balance_before if rec.balance_before is not None else 0.0,
        balance_after=rec.balance_after if rec.balance_after is not None else 0.0,
        code=code,
        payload=make_payload(rec.number, rec.date, rec.household_id, rec.points, code),
        operator=rec.operator,
        reprint=reprint,
    )


def shop_name(settings: dict[str, str]) -> str:
    return settings.get("超市名称", "") or "爱心超市"


def default_slip_folder(ledger_path: Path) -> Path:
    return Path(ledger_path).parent / "兑换单"


@dataclass
class PrintResult:
    pdf: Path
    slips: list[str]
    pages: int

    def as_dict(self) -> dict:
        return {"pdf": str(self.pdf), "slips": self.slips, "pages": self.pages}


def reprint_slips(
    session: Session,
    refs: list[str],
    *,
    out_pdf: Path | None = None,
    printing: PrintOptions = PrintOptions(),
    on_slip=None,
) -> PrintResult:
    """Print slips again (marked 补打) by 单号 or code; the ledger is not changed (nor locked)."""
    ledger_path = session.path
    if not refs:
        raise UsageError("请给出要补打的单号或核验码")
    if out_pdf is not None:
        out_pdf = guard_output(out_pdf, ledger_path, "-o")
    ledger = Ledger.open(ledger_path)
    secret = require_secret(ledger)
    records = slip_records(redemption_frame(ledger))
    chosen: list[SlipRecord] = []
    problems: list[Problem] = []
    for ref in refs:
        rec = find_slip(records, ref)
        if rec is None:
            problems.append(Problem(Location(ledger.path.name, schema.REDEMPTIONS.name), f"没有单号或核验码为“{ref}”的兑换单"))
        elif rec.void:
            problems.append(Problem(Location(ledger.path.name, schema.REDEMPTIONS.name), f"兑换单 {rec.number} 已作废，不能补打"))
        elif rec not in chosen:
            chosen.append(rec)
    if problems:
        raise DataError("没有补打", problems)
    for rec in chosen:
        if not same_code(make_code(secret, rec.canonical()), rec.code):
            raise DataError(f"兑换单 {rec.number} 在“兑换记录”中的内容与核验码不符（记录被手工改过），不能补打")
    settings = ledger.settings()
    if out_pdf is None:
        folder = default_slip_folder(ledger_path)
        name = chosen[0].number if len(chosen) == 1 else f"{chosen[0].number}等{len(chosen)}张"
        out_pdf = guard_output(folder / f"{name}（补打）.pdf", ledger_path, "兑换单文件夹")
        folder.mkdir(exist_ok=True)
    else:
        out_pdf = guard_output(out_pdf, ledger_path, "-o")
    check_pdf_name(out_pdf)
    sheet = SlipSheet(settings.get("村名", ""), shop_name(settings), [printable(r, secret, reprint=True) for r in chosen])
    templates_dir, font = printing.paths(ledger)
    render_slips(sheet, out_pdf, templates_dir, font, on_slip)
    return PrintResult(out_pdf, [r.number for r in chosen], pages_for(len(chosen)))


def pages_for(slips: int) -> int:
    from villagectl.render.slips import SLIPS_PER_PAGE

    return -(-slips // SLIPS_PER_PAGE)


def check_pdf_name(path: Path) -> None:
    if Path(path).suffix.lower() != ".pdf":
        raise UsageError(f"输出文件应以 .pdf 结尾：{path}")

