"""``redeem``: one redemption at the village shop (爱心超市) — open the ledger, check, write, print.

The rules (catalogue, stock, balance, the year's budget) are in
``villagectl.ledger.shop`` (``ShopState.plan``), what a redemption writes in
``villagectl.ledger.redemptions``, the slip codes in ``villagectl.ledger.slips``.
This module holds the ledger through a ``Session``, builds the shop's state from it, and
saves: in one write of the ledger, one 兑换 row in 积分流水, one 兑换记录 row
per line, 商品 库存 lowered. The slip PDF is made before the ledger is written
and moved to its place after, so a refusal or a failed print leaves the ledger
unchanged.

``redeem import`` (actions/redeem_import.py) runs a whole day sheet through
the same checks; ``redeem cancel`` is actions/redeem_cancel.py.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from villagectl.actions.session import PrintOptions, Session
from villagectl.actions.slips import check_pdf_name, default_slip_folder, pages_for, shop_name
from villagectl.errors import DataError, FileAccessError, Problem, UsageError
from villagectl.io.outputs import guard_output
from villagectl.io.staged import StagedOutputs
from villagectl import schema
from villagectl.ledger.budget import BudgetStatus
from villagectl.ledger.households import find_household
from villagectl.ledger.journal_anchor import require_intact
from villagectl.ledger.redemptions import (  # noqa: F401  (LineRequest, parse_qty: re-exported for scripts)
    LineRequest,
    PlannedRedemption,
    RedemptionRequest,
    finish_plans,
    parse_qty,
    post_plans,
)
from villagectl.ledger.shop import ShopBook, ShopState
from villagectl.ledger.slips import (
    SECRET_KEY,
    checked_secret,
    new_secret,
    secret_of,
    slip_records,
    with_redemption_columns,
    with_secret,
)
from villagectl.ledger.workbook import Ledger
from villagectl.render.slips import SlipSheet, render_slips
from villagectl.values import as_text, clean_text, fmt_number


def shop_state(ledger: Ledger) -> ShopState:
    """The shop's state read from an opened ledger (参数, 户籍, 商品 required)."""
    ledger.require(schema.SETTINGS.name, schema.HOUSEHOLDS.name, schema.SHOP.name)
    book = ShopBook(
        file=ledger.path.name,
        settings=ledger.settings(),
        settings_frame=ledger.frame(schema.SETTINGS.name),
        households=ledger.frame(schema.HOUSEHOLDS.name),
        shop=ledger.frame(schema.SHOP.name).copy(),
        journal=ledger.frame_or_empty(schema.JOURNAL.name),
        redemptions=with_redemption_columns(ledger.frame_or_empty(schema.REDEMPTIONS.name)),
        excel_row=ledger.excel_row,
    )
    return ShopState(book)


def apply_plans(ledger: Ledger, state: ShopState, plans: list[PlannedRedemption], operator: str) -> None:
    """Put the plans into the ledger's sheets (not saved yet)."""
    changed = post_plans(state, plans, operator)
    frames = {schema.JOURNAL.name: state.journal, schema.REDEMPTIONS.name: state.redemptions, schema.SHOP.name: state.shop}
    for sheet in changed:
        ledger.replace(sheet, frames[sheet])


def ensure_secret(ledger: Ledger, state: ShopState) -> tuple[str, str | None]:
    """(secret, warning). A ledger without a secret gets one while it has no slips yet."""
    if secret_of(state.settings) is not None or slip_records(state.redemptions):
        return checked_secret(state.settings, ledger.path.name), None  # raises when existing slips need the old secret
    secret = new_secret()
    ledger.replace(schema.SETTINGS.name, with_secret(ledger.frame(schema.SETTINGS.name), secret))
    return secret, f"“参数”表里没有“{SECRET_KEY}”，已自动生成（请勿外传或修改）"


def operator_of(ledger: Ledger, operator: str | None) -> str:
    return clean_text(operator) or ledger.settings().get("经办人", "") or "村文书"


def stage_slips(
    ledger: Ledger,
    plans: list[PlannedRedemption],
    out_pdf: Path | None,
    outs: StagedOutputs,
    printing: PrintOptions,
    *,
    on_slip=None,
    operator: str = "",
    on_start=None,
) -> None:
    """Make the slips PDF under a pending name (``outs``), before the ledger is written.

    A template or font problem refuses the whole redemption, the ledger
    unchanged; the PDF is moved to ``out_pdf`` by :func:`publish_slips` only
    once the ledger is saved: there is never a printed slip for a redemption
    the ledger does not have.
    """
    if out_pdf is None:
        return
    settings = ledger.settings()
    templates_dir, font = printing.paths(ledger)
    sheet = SlipSheet(settings.get("村名", ""), shop_name(settings), [p.slip(operator) for p in plans])
    pending = outs.path(out_pdf)  # ".<name>.<pid>.villagectl-pending": never looks like a slip
    if on_start is not None:
        on_start(len(plans))
    render_slips(sheet, pending, templates_dir, font, on_slip)


def publish_slips(outs: StagedOutputs, out_pdf: Path | None, plans: list[PlannedRedemption]) -> Path | None:
    """After the ledger was saved: the pending PDF takes its name."""
    try:
        outs.publish()
    except FileAccessError:
        raise FileAccessError(
            f"兑换已记入台账，但兑换单 PDF 无法保存为 {out_pdf.name}",
            hint=f"关闭正在打开这个文件的程序后，用 villagectl slip print 补打（单号 {plans[0].number}）",
        ) from None
    return out_pdf


def prepare_output(ledger_path: Path, out_pdf: Path | None, default_name: str) -> Path:
    if out_pdf is None:
        folder = default_slip_folder(ledger_path)
        guard_output(folder / default_name, ledger_path, "兑换单文件夹")
        try:
            folder.mkdir(exist_ok=True)
        except OSError as exc:
            raise FileAccessError(f"无法建立文件夹 {folder}：{exc.strerror or exc}") from None
        return folder / default_name
    out_pdf = guard_output(out_pdf, ledger_path, "-o")
    check_pdf_name(out_pdf)
    if not out_pdf.parent.is_dir():
        raise FileAccessError(f"文件夹 {out_pdf.parent} 不存在，无法保存 {out_pdf.name}")
    return out_pdf


# --------------------------------------------------------------------------
# redeem
# --------------------------------------------------------------------------


@dataclass
class RedeemResult:
    plans: list[PlannedRedemption]
    budgets: list[BudgetStatus]
    pdf: Path | None = None
    dry_run: bool = False
    warnings: list[str] = field(default_factory=list)

    @property
    def points(self) -> float:
        return round(sum(p.points for p in self.plans), 4)

    @property
    def yuan(self) -> float:
        return round(sum(p.yuan for p in self.plans), 4)

    def as_dict(self) -> dict:
        return {
            "slips": [p.as_dict() for p in self.plans],
            "count": len(self.plans),
            "points": self.points,
            "yuan": self.yuan,
            "pdf": str(self.pdf) if self.pdf else None,
            "pages": pages_for(len(self.plans)) if self.pdf else 0,
            "dry_run": self.dry_run,
            "budget": [b.as_dict() for b in self.budgets],
            "warnings": self.warnings,
        }


def check_reasons(lines: list[LineRequest], reason: str, over_budget: bool) -> None:
    if over_budget and not clean_text(reason):
        raise UsageError("使用 --over-budget 时必须用 --reason 写明超出经费的原因")
    for line in lines:
        if line.unit_points is not None and not clean_text(reason or line.reason):
            raise UsageError(f"“{clean_text(line.item)}”用了 --points（目录外物品），必须用 --reason 写明原因")


def redeem(
    session: Session,
    *,
    household: str,
    items: list[LineRequest],
    reason: str = "",
    over_budget: bool = False,
    out_pdf: Path | None = None,
    print_slip: bool = True,
    dry_run: bool = False,
    printing: PrintOptions = PrintOptions(),
) -> RedeemResult:
    """One redemption on ``session.day()``: check it whole, write journal/兑换记录/商品, print the slip."""
    ledger_path = session.path
    day = session.day()
    lines = items
    if not lines:
        raise UsageError("请用 --item 给出要兑换的物品")
    household_id = clean_text(household)
    if not household_id:
        raise UsageError("请用 --household 给出户号")
    check_reasons(lines, reason, over_budget)
    for line in lines:
        if line.unit_points is not None and not line.reason:
            line.reason = reason
    if out_pdf is not None:
        out_pdf = guard_output(out_pdf, ledger_path, "-o")
        check_pdf_name(Path(out_pdf))
    with StagedOutputs() as outs:
        with session.reading() if dry_run else session.updating("redeem") as ledger:
            require_intact(ledger)  # never spend from a journal edited by hand
            state = shop_state(ledger)
            household_id = clean_text(find_household(ledger.frame(schema.HOUSEHOLDS.name), household_id)["户号"])
            problems: list[Problem] = []
            plan = state.plan(RedemptionRequest(household_id, day, lines), problems, over_budget, as_text(reason))
            if plan is None:
                located = [p for p in problems if str(p.location)]
                unlocated = [p.message for p in problems if not str(p.location)]
                message = "；".join(unlocated) + "。没有兑换，台账未改动" if unlocated else "没有兑换，台账未改动"
                raise DataError(message, located)
            secret, secret_warning = ensure_secret(ledger, state)
            finish_plans(state, [plan], secret)
            operator = operator_of(ledger, session.operator)
            budget = state.budget_status(day.year)
            warnings = [w for w in (secret_warning, budget.warning) if w]
            result = RedeemResult([plan], [budget], None, dry_run, warnings)
            if dry_run:
                return result
            apply_plans(ledger, state, [plan], operator)
            target = prepare_output(ledger_path, out_pdf, f"{plan.number}.pdf") if print_slip else None
            log = f"{plan.number} {plan.name}（{household_id}）{plan.summary} {fmt_number(plan.points)} 分"
            if plan.over_budget:
                log += f"；超出年度经费，原因：{as_text(reason)}" if clean_text(reason) else "；超出年度经费（经费超出时=提醒）"
            stage_slips(ledger, [plan], target, outs, printing, operator=operator)
            ledger.note(log)
        result.pdf = publish_slips(outs, target, [plan])  # the slip appears only once the ledger has the redemption
    return result
