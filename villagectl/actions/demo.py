"""``demo``: the monthly cycle on the bundled sample village, end to end, into one folder."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Callable

from villagectl.actions.balance import household_balances
from villagectl.actions.check import find_problems
from villagectl.actions.households_import import import_households
from villagectl.actions.inspect_forms import make_forms
from villagectl.actions.inspect_import import import_inspections
from villagectl.actions.notice_month import print_month_notice
from villagectl.actions.post_month import post_month
from villagectl.actions.redeem import LineRequest, redeem
from villagectl.actions.score_month import score_months
from villagectl.errors import DataError, UsageError
from villagectl.io.outputs import guard_output, guard_outputs
from villagectl.ledger.workbook import Ledger
from villagectl.samples import build_samples
from villagectl.values import fmt_number

Say = Callable[[str], None] | None
MONTH = "2026-07"
NOTICE_DAY = dt.date(2026, 7, 26)
POST_DAY = dt.date(2026, 7, 29)


def _made_by_demo(path: Path) -> bool:
    """A ledger an earlier demo wrote (its 操作日志 starts with the samples' row)."""
    try:
        log = Ledger.open(path).frame("操作日志")
        return "samples" in {str(c).strip() for c in log["命令"]}
    except Exception:  # noqa: BLE001 - unreadable: not provably ours
        return False


def _refuse_foreign_files(output: Path) -> None:
    """The demo replaces its own files; a real ledger (or a link to one) under those names is never touched."""
    from villagectl.samples import ROSTER_DIR

    ours = output / "中坪村积分台账.xlsx"
    if (ours.exists() or ours.is_symlink()) and not (ours.is_file() and not ours.is_symlink() and _made_by_demo(ours)):
        raise UsageError(
            f"-o 指向的文件夹里已有 {ours}，它不是以前的演示生成的（可能是真实台账），演示不会覆盖它。"
            "本次什么也没写，请换一个空文件夹"
        )
    raw = output / ROSTER_DIR
    if raw.is_dir():
        guard_outputs([p for p in raw.rglob("*") if p.is_file()], None, "-o")


def run_demo(output: Path, progress: Say = None) -> dict:
    say = progress or (lambda _msg: None)
    output = guard_output(output, None, "-o", folder=True)
    if output.exists() and not output.is_dir():
        raise UsageError(f"{output} 已存在且不是文件夹，请换一个 --output")
    _refuse_foreign_files(output)
    output.mkdir(parents=True, exist_ok=True)

    say(f"① 生成示例村（中坪村）的台账和原始资料 → {output.resolve()}")
    made = build_samples(output)
    ledger_path = Path(made["ledger"])

    say("② 导入村里原有的花名册（表头、格式都和台账不同）")
    report = import_households(ledger_path, [Path(made["roster"])], arguments="demo")
    changed = len({c.household_id for c in report.changes})
    say(f"   新增 {len(report.added)} 户，修改 {changed} 户，未变 {report.unchanged} 户")
    for c in report.changes[:10]:
        say(f"   {c.household_id} {c.field}：{c.old} → {c.new}")

    say("③ 故意有错的花名册会被整份拒绝，并指出单元格：")
    try:
        import_households(ledger_path, [Path(made["roster_with_errors"])], dry_run=True)
    except DataError as exc:
        for p in exc.problems[:4]:
            say(f"   {p}")

    forms_dir = output / "8月空白检查表"
    forms = make_forms(ledger_path, "2026-08", forms_dir, force=True)
    say(f"④ 为下个月生成空白检查表 {len(forms)} 份 → {forms_dir}")

    say(f"⑤ 导入网格员交回的 {MONTH} 检查表（xlsx、两级表头、xls、ods 各一份，另有新分户的单户补查登记表）")
    # the two households added by the roster were not on the printed forms: the clerk's 补查 completes the month
    sheets = [Path(p) for p in made["inspections"]] + [Path(made["supplement"])]
    inspections = import_inspections(ledger_path, sheets, today=NOTICE_DAY, arguments="demo")
    for f in inspections.files:
        say(f"   {f.file}：{f.status} {f.households} 户")
        if f.readings:
            # each worker wrote the items their own way: show a few of the headers read by evidence
            shown = "；".join(f"“{r.header}”→{r.item}" for r in f.readings[:3])
            say(f"     表头按依据认出 {len(f.readings)} 列，如 {shown}（已记入“表头对照”）")

    say(f"⑥ 计算 {MONTH} 的得分、名次和积分")
    scored = score_months(ledger_path, MONTH, arguments="demo")
    rows = scored.households()
    done = [r for r in rows if not r["missing"]]
    say(f"   计分 {len(done)} 户，积分合计 {fmt_number(sum(r['points'] for r in done))} 分，"
        f"本月未检查 {len(rows) - len(done)} 户")
    best = sorted(done, key=lambda r: r["rank"])[:3]
    say("   前三名：" + "、".join(f"{r['name']}（{fmt_number(r['total'])} 分）" for r in best))

    pdf = output / f"{MONTH}积分公示.pdf"
    notice = print_month_notice(ledger_path, MONTH, pdf, NOTICE_DAY, arguments="demo")
    say(f"⑦ 打印公示 → {pdf}（公示期 {notice.period_start} 至 {notice.period_end}）")

    posted = post_month(ledger_path, MONTH, POST_DAY, arguments="demo")
    say(f"⑧ {POST_DAY} 公示期满，入账：{posted.entries} 笔，共 {fmt_number(posted.points)} 分")

    ledger = Ledger.open(ledger_path)
    richest = max(household_balances(ledger), key=lambda r: r["balance"])
    slip_pdf = output / "兑换单示例.pdf"
    shop = redeem(ledger_path, richest["household_id"], [LineRequest("食用油", 1), LineRequest("毛巾", 2)],
                  dt.date(2026, 8, 3), out_pdf=slip_pdf, arguments="demo")
    plan = shop.plans[0]
    say(f"⑨ {richest['name']} 在爱心超市兑换食用油 1 桶、毛巾 2 条，共 {fmt_number(shop.points)} 分 → 兑换单 {slip_pdf}")

    ledger = Ledger.open(ledger_path)
    problems = [p for p in find_problems(ledger) if p.severity == "错误"]
    say("⑩ 检查台账：" + ("通过" if not problems else f"发现 {len(problems)} 处错误"))
    balances = household_balances(ledger)
    top = sorted(balances, key=lambda r: -r["balance"])[:5]
    say("   余额最多的 5 户：" + "、".join(f"{r['name']} {fmt_number(r['balance'])} 分" for r in top))

    say("完成。生成的文件：")
    say(f"   台账（用 Excel/WPS 打开）：{ledger_path}")
    say(f"   公示：{pdf}")
    say(f"   兑换单（核验：villagectl slip verify {ledger_path} {plan.as_dict().get('code', '')}）：{slip_pdf}")
    say(f"   空白检查表：{forms_dir}")
    say(f"   原始资料：{output / '原始资料'}")
    return {
        "output": str(output.resolve()),
        "ledger": str(ledger_path),
        "notice": str(pdf),
        "forms": [str(p) for p in forms],
        "households_added": report.added,
        "households_changed": changed,
        "scored": len(done),
        "posted_points": posted.points,
        "slip": str(slip_pdf),
        "check_errors": len(problems),
    }
