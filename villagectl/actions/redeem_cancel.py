"""``redeem cancel``: undo a redemption — a 冲正 of its journal row, stock put back, its rows marked 作废.

The rules are in the core: ``ledger.slips`` (the slip's records, its collection
in the journal, ``mark_void``), ``ledger.redemptions.restore_stock`` and
``ledger.journal.reverse_entry``; this module holds the ledger (a ``Session``) and saves.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from villagectl.actions.redeem import operator_of, shop_state
from villagectl.actions.session import Session
from villagectl.errors import DataError, Location, Problem, UsageError
from villagectl import schema
from villagectl.ledger.journal import ReversalRefused, current_balances, reverse_entry
from villagectl.ledger.journal_anchor import require_intact
from villagectl.ledger.redemptions import restore_stock
from villagectl.ledger.slips import STATE_USED, collections, find_slip, mark_void, reset_collection, slip_records
from villagectl.values import as_text, clean_text, fmt_number


@dataclass
class CancelResult:
    slip: str
    household_id: str
    name: str
    points: float
    reversal_entry: str
    balance_after: float
    restored: list[tuple[str, float, str]]  # (item, qty, unit) put back in stock
    warnings: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {
            "slip": self.slip,
            "household_id": self.household_id,
            "name": self.name,
            "points": self.points,
            "reversal_entry": self.reversal_entry,
            "balance_after": self.balance_after,
            "restored": [{"item": i, "qty": q, "unit": u} for i, q, u in self.restored],
            "warnings": self.warnings,
        }


def cancel_redemption(session: Session, *, ref: str, reason: str, returned: bool = False) -> CancelResult:
    """Undo a redemption on ``session.day()``: a 冲正 of its journal row, stock put back, its rows marked 作废."""
    day = session.day()
    if not clean_text(reason):
        raise UsageError("作废兑换单必须用 --reason 写明原因")
    if not clean_text(ref):
        raise UsageError("请用 --slip 给出要作废的单号（如 DH2026-000123）或核验码")
    with session.updating("redeem cancel") as ledger:
        require_intact(ledger)
        state = shop_state(ledger)
        records = slip_records(state.redemptions)
        rec = find_slip(records, ref)
        where = Location(ledger.path.name, schema.REDEMPTIONS.name)
        if rec is None:
            raise DataError(f"“兑换记录”里没有单号或核验码为“{clean_text(ref)}”的兑换单")
        if rec.void:
            raise DataError(f"兑换单 {rec.number} 已经作废过，不能重复作废")
        reset = reset_collection(rec, collections(state.journal))
        if reset and not returned:
            raise DataError(reset, hint="物品已退回时加 --returned 再作废（库存会加回）")
        if rec.state == STATE_USED and not returned:
            raise DataError(
                f"兑换单 {rec.number} 的物品已于 {rec.collected or '之前'} 领取",
                hint="物品已退回时加 --returned 再作废（库存会加回）",
            )
        operator = operator_of(ledger, session.operator)
        try:
            journal, reversal_id = reverse_entry(state.journal, rec.entry_id, as_text(reason), day.isoformat(), operator)
        except ReversalRefused as exc:
            raise DataError(f"兑换单 {rec.number} 不能作废：{exc}", [Problem(where, f"{rec.number} 的流水号为“{rec.entry_id}”")]) from None
        ledger.replace(schema.JOURNAL.name, journal)
        restored, warnings = restore_stock(state, rec)
        if restored:
            ledger.replace(schema.SHOP.name, state.shop)
        note = f"作废：{as_text(reason)}（{day.isoformat()}，冲正流水 {reversal_id}）"
        ledger.replace(schema.REDEMPTIONS.name, mark_void(state.redemptions, rec, note))
        balance = current_balances(journal).get(rec.household_id, 0.0)
        ledger.note(f"{rec.number} 作废，冲正流水 {reversal_id}，退回 {fmt_number(rec.points)} 分：{as_text(reason)}")
        return CancelResult(rec.number, rec.household_id, rec.name, rec.points, reversal_id, balance, restored, warnings)
