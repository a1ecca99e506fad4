"""``redeem import``: the shop's day sheet (兑换登记表) → redemptions, all or nothing.

The sheet is taken as shops keep it: a merged title ("中坪村爱心超市8月1日兑换登记"),
the header on any of the first 10 rows, their own header wording, blank rows,
a 序号 column, a signature/合计 footer; household cells merged over the rows
of one visit (importers/redeem_day.py reads it). Columns (any order; other wordings in ``DAY_FIELDS``):

    日期 · 户号 or 户主 (+ 组别) · 物品 · 数量 · 积分 (optional) · 备注

Consecutive lines of the same household and date make one redemption (one
slip: one visit to the shop); the same household later in the sheet gets
another slip.
Every line is checked as ``redeem`` checks one, counting the earlier lines of
the file (balance, stock, the year's budget); any error refuses the whole
file, each error named by its cell. Importing the same file again is refused.
"""

from __future__ import annotations

import datetime as dt
import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from villagectl.actions.redeem import (
    RedeemResult,
    apply_plans,
    ensure_secret,
    operator_of,
    prepare_output,
    publish_slips,
    shop_state,
    stage_slips,
)
from villagectl.actions.session import PrintOptions, Session
from villagectl.actions.slips import check_pdf_name
from villagectl.importers.redeem_day import DayLine, date_in_text, read_day_sheet
from villagectl.errors import DataError, FileAccessError, Location, Problem, UsageError
from villagectl.io.outputs import guard_output
from villagectl.io.safe_write import sha256_file
from villagectl.io.staged import StagedOutputs
from villagectl.io.sandbox import read_untrusted_many, refuse_on_error
from villagectl import schema
from villagectl.ledger.journal_anchor import require_intact
from villagectl.ledger.redemptions import (
    LineRequest,
    PlannedRedemption,
    RedemptionRequest,
    catalogue_item,
    finish_plans,
    other_specs,
    parse_qty,
    recorded_visits,
    visit_signature,
    without_brackets,
)
from villagectl.ledger.workbook import Ledger
from villagectl.values import as_text, clean_name, clean_text, fmt_number, to_date

COMMAND = "redeem import"


def _parse_cell_date(value: object, year: int) -> dt.date | None:
    """A 日期 cell; a date written without its year (8月5日, 8月5号) takes ``year`` (the title's, --date's or today's)."""
    if isinstance(value, (dt.date, dt.datetime)):
        return to_date(value)
    text = clean_text(value)
    date = date_in_text(text)
    if date is not None:
        return date
    return to_date(text, year)  # ValueError when it is not a date


def _already_imported(ledger: Ledger, digest: str) -> tuple[str, str] | None:
    """(when, file name) of an earlier import of a file with the same content."""
    log = ledger.frame_or_empty(schema.OPLOG.name)
    for _, row in log.iterrows():
        if clean_text(row.get("命令")) != COMMAND:
            continue
        try:
            files = json.loads(clean_text(row.get("输入文件")) or "[]")
        except ValueError:
            continue
        for f in files:
            if isinstance(f, dict) and f.get("sha256") == digest:
                return clean_text(row.get("时间")), str(f.get("文件", ""))
    return None


def import_redemptions(
    session: Session,
    path: Path,
    *,
    day: dt.date | None = None,
    reason: str = "",
    over_budget: bool = False,
    out_pdf: Path | None = None,
    print_slips: bool = True,
    dry_run: bool = False,
    printing: PrintOptions = PrintOptions(),
    on_slip=None,
    on_start=None,
    again: bool = False,
) -> RedeemResult:
    """Import one day sheet: every line is checked; one error refuses the whole file.

    A visit (household, date, items and quantities) that 兑换记录 already holds
    — from any file, whatever it is called, or from ``redeem`` — is a duplicate:
    shown with the earlier 单号 and taken only with ``again`` and a reason.
    """
    ledger_path = session.path
    path = Path(path)
    if over_budget and not clean_text(reason):
        raise UsageError("使用 --over-budget 时必须用 --reason 写明超出经费的原因")
    if again and not clean_text(reason):
        raise UsageError("使用 --again 再次导入时必须用 --reason 写明原因（例如：同一天确实又兑换了一次）")
    if not path.exists():
        raise FileAccessError(f"找不到兑换登记表 {path}")
    if path.is_dir():
        raise UsageError(f"{path} 是文件夹；redeem import 一次导入一个兑换登记表文件")
    if out_pdf is not None:
        out_pdf = guard_output(out_pdf, ledger_path, "-o")
        check_pdf_name(Path(out_pdf))
    # the sandboxed child parses the sheet while this process opens the ledger
    with ThreadPoolExecutor(max_workers=1) as pool, StagedOutputs() as outs:
        reading = pool.submit(read_untrusted_many, [path])
        with session.reading() if dry_run else session.updating(COMMAND) as ledger:
            result, target, plans = _import(ledger, session, path, reading, outs, day=day, reason=reason,
                                            over_budget=over_budget, out_pdf=out_pdf, print_slips=print_slips,
                                            dry_run=dry_run, printing=printing, on_slip=on_slip, on_start=on_start,
                                            again=again)
            if dry_run:
                return result
        result.pdf = publish_slips(outs, target, plans)  # the slips appear only once the ledger has them
    return result


def _import(ledger: Ledger, session: Session, path: Path, reading, outs: StagedOutputs, *, day: dt.date | None, reason: str,
            over_budget: bool, out_pdf: Path | None, print_slips: bool, dry_run: bool, printing: PrintOptions,
            on_slip, on_start, again: bool) -> tuple[RedeemResult, Path | None, list[PlannedRedemption]]:
    """The checks and the changes of one import, in the opened ledger (saved by the caller's Session)."""
    ledger_path = session.path
    name = path.name
    state = shop_state(ledger)
    book = reading.result()[path]
    require_intact(ledger)  # never spend from a journal edited by hand
    if isinstance(book, DataError):
        raise DataError(f"{name} 无法读取，没有导入", book.problems or [Problem(Location(name), book.message)])
    digest = sha256_file(path)
    earlier = _already_imported(ledger, digest)
    if earlier and not again:
        when, first = earlier
        same = "" if first == name else f"（与 {first} 内容相同）"
        raise DataError(f"{name}{same}已于 {when} 导入过，没有重复导入；台账未改动",
                        [Problem(Location(name), "这个文件已经导入过")],
                        hint="如确实要再导入一次，加 --again --reason \"原因\"")
    try:
        sheet = refuse_on_error(path, read_day_sheet, book, name)
    except DataError as exc:
        raise DataError(f"{name} 无法读取，没有导入", exc.problems) from None
    problems = [p for p in sheet.problems]
    from_file = date_in_text(path.stem) or session.today or dt.date.today()
    catalogue_names = [item.name for item in state.catalogue.values()]

    # lines → requests: consecutive lines of the same household and date make one redemption
    groups: list[tuple[tuple[dt.date, str], RedemptionRequest]] = []
    for line in sheet.lines:
        loc = _locator(name, line)
        bad = False
        date = day or line.title_date or sheet.title_date or from_file  # each sheet's own title date (one sheet a day)
        if "日期" in line.cells and clean_text(line.values.get("日期")):
            try:
                date = _parse_cell_date(line.values["日期"], date.year)
            except ValueError:
                problems.append(Problem(loc("日期"), f"日期“{clean_text(line.values['日期'])}”看不懂，请写成 2026-08-01 或 2026年8月1日"))
                bad = True
        hid_text = clean_text(line.values.get("户号", ""))
        head = clean_text(line.values.get("户主", ""))
        where = loc("户号") if hid_text or "户主" not in line.cells else loc("户主")
        if hid_text:
            hid = state.id_of(hid_text)  # zp001 / ＺＰ００１ = ZP001
            if hid not in state.households:
                problems.append(Problem(where, f"户号 {hid_text} 不在户籍中{state.id_hint(hid_text, head)}"))
                bad = True
            elif head and clean_name(head) != clean_name(state.households[hid]["name"]):
                problems.append(Problem(loc("户主"), f"户号 {hid} 的户主是“{state.households[hid]['name']}”，"
                                                    f"表里写的是“{head}”，请核对", "警告"))
        elif head:
            hid, problem = state.find_household(head, clean_text(line.values.get("组别", "")))
            if problem:
                problems.append(Problem(where, problem))
                bad = True
        else:
            problems.append(Problem(where, "没有填户号（或户主）"))
            bad = True
        if bad:
            continue
        item = as_text(line.values.get("物品", ""))
        specs = other_specs(item, catalogue_names)
        if specs:  # 大米（10斤） when the shop sells 大米（5斤）: another spec is another item, never swapped
            sold = [n for n in catalogue_names if without_brackets(n) == without_brackets(item)]
            problems.append(Problem(loc("物品"), f"商品表里没有“{item}”，商品表里有 {'、'.join(sold)}（括号里的规格不同，"
                                                f"不是同一种商品）；请把物品改成商品表里的名称，如“{specs[0]}”，"
                                                f"确是这个规格的话先在商品表里加上“{item}”"))
            continue
        named, dropped = catalogue_item(item, catalogue_names)
        if named is not None:  # 洗洁精（瓶） is the catalogue's 洗洁精
            problems.append(Problem(loc("物品"), f"“{item}”按商品表的“{named}”兑换（去掉了括号里的“{dropped}”）；"
                                                "不对的话请把物品名称改成商品表里的名称", "提醒"))
            item = named
        request_line = LineRequest(
            item=item,
            qty=line.values.get("数量") if "数量" in line.cells else None,
            total_points=line.values.get("积分") if "积分" in line.cells else None,
            reason=as_text(line.values.get("备注", "")) or as_text(reason),
            where={f: loc(f) for f in ("物品", "数量", "积分") if f in line.cells},
            source=f"{name} / {line.sheet} / 第{line.row + 1}行",
        )
        key = (date, hid)
        if not groups or groups[-1][0] != key:  # consecutive lines of one household and day: one visit, one slip
            groups.append((key, RedemptionRequest(hid, date, [], where, name)))
        groups[-1][1].lines.append(request_line)

    errors = [p for p in problems if p.severity == "错误"]
    if not groups and not errors:
        raise DataError(f"{name} 里没有兑换记录（表格是空的）", problems)

    # the same redemptions recorded before: by content, whatever the file is called
    # (兑换登记表(1).xlsx re-sent with a footer added has other bytes but the same visits)
    existing = recorded_visits(state.redemptions)
    duplicates = 0
    for (date, hid), req in groups:
        sig = visit_signature(date, hid, [(l.item, l.qty) for l in req.lines])
        if sig in existing:
            duplicates += 1
            number, source = existing[sig]
            items = "、".join(f"{l.item}×{fmt_number(parse_qty(l.qty)[0])}" for l in req.lines)
            origin = f"，来自 {source}" if source else ""
            problems.append(Problem(
                req.where,
                f"{state.households[hid]['name']}（{hid}）{date.isoformat()} 兑换 {items} 已记入兑换记录"
                f"（单号 {number}{origin}），疑似重复" + ("；按 --again 再次导入" if again else ""),
                "警告" if again else "错误"))

    plans: list[PlannedRedemption] = []
    for _, req in groups:
        plan = state.plan(req, problems, over_budget, as_text(reason))
        if plan is not None:
            plans.append(plan)
    errors = [p for p in problems if p.severity == "错误"]
    if errors:
        hint = None
        if duplicates and not again:
            hint = (f"{duplicates} 次兑换与兑换记录里已有的相同（同一户、同一天、同样的物品和数量）；"
                    "确是又兑换了一次的，加 --again --reason \"原因\" 再导入")
        raise DataError(f"{name} 有 {len(errors)} 处错误，整个文件没有导入，台账未改动；请改正后重新导入", problems,
                        hint=hint)

    secret, secret_warning = ensure_secret(ledger, state)
    finish_plans(state, plans, secret)
    operator = operator_of(ledger, session.operator)
    budgets = [state.budget_status(y) for y in sorted(state.touched_years)]
    notes = [str(p) for p in problems if p.severity != "错误"]
    result = RedeemResult(plans, budgets, None, dry_run,
                          [w for w in [secret_warning, *notes, *(b.warning for b in budgets)] if w])
    if dry_run:
        return result, None, plans
    apply_plans(ledger, state, plans, operator)
    target = None
    if print_slips:
        first, last = plans[0].number, plans[-1].number
        target = prepare_output(ledger_path, out_pdf, f"{first}至{last}.pdf" if len(plans) > 1 else f"{first}.pdf")
    points = round(sum(p.points for p in plans), 4)
    log = (f"{name}：{len(plans)} 张兑换单 {plans[0].number}–{plans[-1].number}，共 {fmt_number(points)} 分")
    if any(p.over_budget for p in plans):
        log += f"；超出年度经费，原因：{as_text(reason)}" if clean_text(reason) else "；超出年度经费（经费超出时=提醒）"
    if again and (duplicates or earlier):
        log = f"再次导入（{duplicates} 次疑似重复），原因：{as_text(reason)}；" + log
    stage_slips(ledger, plans, target, outs, printing, on_slip=on_slip, operator=operator, on_start=on_start)
    ledger.note(log[:500], [(name, digest)])
    return result, target, plans


def _locator(file: str, line: DayLine):
    def loc(field_name: str) -> Location:
        return Location(file, line.sheet, line.cells.get(field_name, f"第{line.row + 1}行"))

    return loc
