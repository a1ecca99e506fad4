"""``demo``: the monthly cycle on the bundled sample village, end to end, into one folder (the base-140
village's year: actions/demo_base140.py)."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from pathlib import Path
from typing import Callable

from villagectl.actions.balance import household_balances
from villagectl.actions.check import find_problems
from villagectl.actions.demo_base140 import run_base140_demo
from villagectl.actions.demo_folder import demo_folder
from villagectl.actions.households_import import import_households
from villagectl.actions.inspect_forms import make_forms
from villagectl.actions.inspect_import import import_inspections
from villagectl.actions.notice_month import print_month_notice
from villagectl.actions.post_month import post_month
from villagectl.actions.redeem import LineRequest, redeem
from villagectl.actions.score_month import score_months
from villagectl.actions.session import Session
from villagectl.errors import DataError, UsageError
from villagectl.ledger.workbook import Ledger
from villagectl.demo import build_samples
from villagectl.values import fmt_number

Say = Callable[[str], None] | None
MONTH = "2026-07"
NOTICE_DAY = dt.date(2026, 7, 26)
POST_DAY = dt.date(2026, 7, 29)


def run_demo(output: Path, progress: Say = None, preset: str = "zhongping") -> dict:
    if preset == "base140":
        return run_base140_demo(output, progress)
    if preset != "zhongping":
        raise UsageError(f"演示只有 zhongping（月度检查、积分兑换）和 base140（基础分140分、季度评议、年终评星）两种，没有“{preset}”")
    say = progress or (lambda _msg: None)
    output = demo_folder(output, "中坪村积分台账.xlsx")

    say(f"① 生成示例村（中坪村）的台账和原始资料 → {output.resolve()}")
    made = build_samples(output)
    ledger_path = Path(made["ledger"])

    say("② 导入村里原有的花名册（表头、格式都和台账不同）")
    report = import_households(Session(ledger_path, arguments="demo"), [Path(made["roster"])])
    changed = len({c.household_id for c in report.changes})
    say(f"   新增 {len(report.added)} 户，修改 {changed} 户，未变 {report.unchanged} 户")
    for c in report.changes[:10]:
        say(f"   {c.household_id} {c.field}：{c.old} → {c.new}")

    say("③ 故意有错的花名册会被整份拒绝，并指出单元格：")
    try:
        import_households(Session(ledger_path), [Path(made["roster_with_errors"])], dry_run=True)
    except DataError as exc:
        for p in exc.problems[:4]:
            say(f"   {p}")

    forms_dir = output / "8月空白检查表"
    forms = make_forms(ledger_path, "2026-08", out_dir=forms_dir, force=True)
    say(f"④ 为下个月生成空白检查表 {len(forms)} 份 → {forms_dir}")

    say(f"⑤ 导入网格员交回的 {MONTH} 检查表（xlsx、两级表头、xls、ods 各一份，另有新分户的单户补查登记表）")
    # the two households added by the roster were not on the printed forms: the clerk's 补查 completes the month
    sheets = [Path(p) for p in made["inspections"]] + [Path(made["supplement"])]
    demo = Session(ledger_path, arguments="demo")
    inspections = import_inspections(replace(demo, today=NOTICE_DAY), sheets)
    for f in inspections.files:
        say(f"   {f.file}：{f.status} {f.households} 户")
        if f.readings:
            # each worker wrote the items their own way: show a few of the headers read by evidence
            shown = "；".join(f"“{r.header}”→{r.item}" for r in f.readings[:3])
            say(f"     表头按依据认出 {len(f.readings)} 列，如 {shown}（已记入“表头对照”）")

    say(f"⑥ 计算 {MONTH} 的得分、名次和积分")
    scored = score_months(demo, MONTH)
    rows = scored.households()
    done = [r for r in rows if not r["missing"]]
    say(f"   计分 {len(done)} 户，积分合计 {fmt_number(sum(r['points'] for r in done))} 分，"
        f"本月未检查 {len(rows) - len(done)} 户")
    best = sorted(done, key=lambda r: r["rank"])[:3]
    say("   前三名：" + "、".join(f"{r['name']}（{fmt_number(r['total'])} 分）" for r in best))

    pdf = output / f"{MONTH}积分公示.pdf"
    notice = print_month_notice(replace(demo, today=NOTICE_DAY), MONTH, out_pdf=pdf)
    say(f"⑦ 打印公示 → {pdf}（公示期 {notice.period_start} 至 {notice.period_end}）")

    posted = post_month(replace(demo, today=POST_DAY), MONTH)
    say(f"⑧ {POST_DAY} 公示期满，入账：{posted.entries} 笔，共 {fmt_number(posted.points)} 分")

    ledger = Ledger.open(ledger_path)
    richest = max(household_balances(ledger), key=lambda r: r["balance"])
    slip_pdf = output / "兑换单示例.pdf"
    shop = redeem(replace(demo, today=dt.date(2026, 8, 3)), household=richest["household_id"],
                  items=[LineRequest("食用油", 1), LineRequest("毛巾", 2)], out_pdf=slip_pdf)
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
