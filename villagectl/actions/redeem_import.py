"""``redeem import``: the shop's day sheet (兑换登记表) → redemptions, all or nothing.

The sheet is taken as shops keep it: a merged title ("中坪村爱心超市8月1日兑换登记"),
the header on any of the first 10 rows, their own header wording, blank rows,
a 序号 column, a signature/合计 footer; household cells merged over the rows
of one visit. Columns (any order; other wordings in ``DAY_FIELDS``):

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
import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from villagectl.actions.redeem import (
    LineRequest,
    PlannedRedemption,
    RedeemResult,
    RedemptionRequest,
    ShopState,
    apply_plans,
    commit,
    ensure_secret,
    finish_plans,
    operator_of,
    parse_qty,
    prepare_output,
)
from villagectl.actions.slips import STATE_VOID, check_pdf_name
from villagectl.errors import DataError, FileAccessError, Location, Problem, UsageError
from villagectl.importers.table import FieldSpec, locate_table
from villagectl.io.outputs import guard_output
from villagectl.io.reader import SheetRows, WorkbookRows, cell_ref
from villagectl.io.safe_write import ledger_lock, sha256_file
from villagectl.io.sandbox import read_untrusted_many, refuse_on_error
from villagectl.ledger import schema
from villagectl.ledger.journal import require_intact
from villagectl.ledger.workbook import Ledger
from villagectl.values import as_text, clean_name, clean_text, fmt_number, to_date

COMMAND = "redeem import"

DAY_FIELDS = [
    FieldSpec("日期", ("兑换日期", "兑换时间", "日期时间", "时间")),
    FieldSpec("户号", ("户编号", "编号", "户码", "户代码")),
    FieldSpec("户主", ("户主姓名", "姓名", "户名", "兑换人", "兑换户", "村民", "村民姓名", "户主名")),
    FieldSpec("组别", ("组", "村民小组", "小组", "所在组", "所属组", "网格", "村组")),
    FieldSpec("物品", ("商品", "商品名称", "物品名称", "兑换物品", "兑换商品", "品名", "名称"), required=True),
    FieldSpec("数量", ("件数", "兑换数量", "个数", "数目")),
    FieldSpec("积分", ("兑换积分", "所用积分", "使用积分", "扣减积分", "消耗积分", "积分数", "扣除积分", "合计积分")),
    FieldSpec("备注", ("说明", "原因")),
]

_DATE_IN_TEXT = re.compile(r"(20\d{2})\s*[年\-/.]\s*(\d{1,2})\s*[月\-/.]\s*(\d{1,2})\s*日?")


def date_in_text(text: str) -> dt.date | None:
    m = _DATE_IN_TEXT.search(clean_name(text))
    if not m:
        return None
    try:
        return dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except ValueError:
        return None


@dataclass
class DayLine:
    sheet: str
    row: int  # 0-based
    values: dict[str, object]
    cells: dict[str, str]


@dataclass
class DaySheet:
    lines: list[DayLine] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    title_date: dt.date | None = None


def _merged_value(sheet: SheetRows, r: int, c: int) -> object:
    """A cell's value, or the value of the merged range it lies in (stored in the top-left cell)."""
    value = sheet.cell(r, c)
    if clean_text(value):
        return value
    for (r1, c1), (r2, c2) in sheet.merged:
        if r1 <= r <= r2 and c1 <= c <= c2 and (r, c) != (r1, c1):
            return sheet.cell(r1, c1)
    return value


def read_day_sheet(book: WorkbookRows, display_name: str) -> DaySheet:
    out = DaySheet()
    found = False
    for sheet in book.sheets:
        if not any(clean_text(v) for row in sheet.rows for v in row):
            continue
        table = locate_table(sheet, DAY_FIELDS)
        if table is None or not ({"户号", "户主"} & set(table.columns)):
            out.problems.append(Problem(Location(display_name, sheet.name),
                                        "前10行里找不到表头（要有“物品”列和“户号”或“户主”列），这个工作表已跳过", "警告"))
            continue
        found = True
        for r in range(table.header_row):
            for value in sheet.rows[r]:
                if out.title_date is None and isinstance(value, str):
                    out.title_date = date_in_text(value)
        # blank rows were dropped by locate_table; rows whose only content is merged-in are kept
        for r in table.data_rows:
            values = {name: _merged_value(sheet, r, c) for name, c in table.columns.items()}
            if not clean_text(sheet.cell(r, table.columns["物品"])) and not clean_text(values.get("积分", "")):
                # a row with no item: a stray note, or a household cell merged over an empty row
                if any(clean_text(sheet.cell(r, c)) for c in table.columns.values()):
                    out.problems.append(Problem(Location(display_name, sheet.name, cell_ref(r, table.columns["物品"])),
                                                "这一行没有填物品"))
                continue
            cells = {name: cell_ref(r, c) for name, c in table.columns.items()}
            out.lines.append(DayLine(sheet.name, r, values, cells))
    if not found:
        out.problems.append(Problem(Location(display_name), "没有找到兑换登记表格：前10行要有“物品”和“户号”（或“户主”）等列标题"))
    return out


def _parse_cell_date(value: object) -> dt.date | None:
    if isinstance(value, (dt.date, dt.datetime)):
        return to_date(value)
    text = clean_text(value)
    date = date_in_text(text)
    if date is not None:
        return date
    return to_date(text)  # ValueError when it is not a date


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
    ledger_path: Path,
    path: Path,
    day: dt.date | None = None,
    reason: str = "",
    over_budget: bool = False,
    operator: str | None = None,
    out_pdf: Path | None = None,
    print_slips: bool = True,
    dry_run: bool = False,
    templates_dir: Path | None = None,
    font: Path | None = None,
    wait_s: float = 0.0,
    arguments: str = "",
    on_slip=None,
    on_start=None,
    today: dt.date | None = None,
    again: bool = False,
) -> RedeemResult:
    """Import one day sheet: every line is checked; one error refuses the whole file.

    A visit (household, date, items and quantities) that 兑换记录 already holds
    — from any file, whatever it is called, or from ``redeem`` — is a duplicate:
    shown with the earlier 单号 and taken only with ``again`` and a reason.
    """
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
    name = path.name
    with ledger_lock(ledger_path, wait_s):
        # the sandboxed child parses the sheet while this process reads the ledger
        with ThreadPoolExecutor(max_workers=1) as pool:
            reading = pool.submit(read_untrusted_many, [path])
            ledger = Ledger.open(ledger_path)
            state = ShopState(ledger)
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
        fallback = day or sheet.title_date or date_in_text(path.stem) or today or dt.date.today()

        # lines → requests: consecutive lines of the same household and date make one redemption
        groups: list[tuple[tuple[dt.date, str], RedemptionRequest]] = []
        for line in sheet.lines:
            loc = _locator(name, line)
            bad = False
            date = fallback
            if "日期" in line.cells and clean_text(line.values.get("日期")):
                try:
                    date = _parse_cell_date(line.values["日期"])
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
            request_line = LineRequest(
                item=as_text(line.values.get("物品", "")),
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
        existing = _existing_signatures(state)
        duplicates = 0
        for (date, hid), req in groups:
            sig = _signature(date, hid, [(l.item, l.qty) for l in req.lines])
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

        secret, secret_warning = ensure_secret(state)
        finish_plans(state, plans, secret)
        operator = operator_of(ledger, operator)
        budgets = [state.budget_status(y) for y in sorted(state.touched_years)]
        notes = [str(p) for p in problems if p.severity != "错误"]
        result = RedeemResult(plans, budgets, None, dry_run,
                              [w for w in [secret_warning, *notes, *(b.warning for b in budgets)] if w])
        if dry_run:
            return result
        apply_plans(state, plans, operator)
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
        result.pdf = commit(state, plans, target,
                            lambda: ledger.save(COMMAND, arguments, [(name, digest)], log[:500]),
                            templates_dir, font, on_slip, operator, on_start)
        return result


def _locator(file: str, line: DayLine):
    def loc(field_name: str) -> Location:
        return Location(file, line.sheet, line.cells.get(field_name, f"第{line.row + 1}行"))

    return loc


def _qty(value: object) -> float:
    try:
        return parse_qty(value)[0]
    except Exception:  # noqa: BLE001 - a bad quantity is reported by the plan; here it only must not match
        return float("nan")


def _signature(date: dt.date, hid: str, lines: list[tuple[str, object]]) -> tuple:
    """What makes two visits the same: household, date, every item with its total quantity."""
    totals: dict[str, float] = {}
    for item, qty in lines:
        totals[clean_name(item)] = round(totals.get(clean_name(item), 0.0) + _qty(qty), 4)
    return (date.isoformat(), hid, tuple(sorted(totals.items())))


def _existing_signatures(state: ShopState) -> dict[tuple, tuple[str, str]]:
    """(date, household, items) → (单号, source file) of every redemption in 兑换记录 not cancelled."""
    frame = state.redemptions
    grouped: dict[str, dict] = {}
    for _, row in frame.iterrows():
        number = clean_text(row.get("单号"))
        if not number or clean_text(row.get("状态")) == STATE_VOID:
            continue
        source = clean_text(row.get("来源"))
        g = grouped.setdefault(number, {"file": source.split(" / ")[0] if source else "",
                                        "date": clean_text(row.get("日期")),
                                        "hid": clean_text(row.get("户号")), "items": []})
        g["items"].append((clean_text(row.get("物品")), row.get("数量")))
    out: dict[tuple, tuple[str, str]] = {}
    for number, g in grouped.items():
        try:
            date = dt.date.fromisoformat(g["date"])
        except ValueError:
            continue
        out.setdefault(_signature(date, g["hid"], g["items"]), (number, g["file"]))
    return out
