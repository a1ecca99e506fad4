"""``demo``: the monthly cycle on the bundled sample village, end to end, into one folder."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
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
from villagectl.actions.session import Session
from villagectl.errors import DataError, UsageError
from villagectl.io.outputs import guard_output, guard_outputs
from villagectl.ledger.workbook import Ledger
from villagectl.demo import build_samples
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


def _refuse_foreign_files(output: Path, ledger_name: str = "中坪村积分台账.xlsx") -> None:
    """The demo replaces its own files; a real ledger (or a link to one) under those names is never touched."""
    from villagectl.demo import ROSTER_DIR

    ours = output / ledger_name
    if (ours.exists() or ours.is_symlink()) and not (ours.is_file() and not ours.is_symlink() and _made_by_demo(ours)):
        raise UsageError(
            f"-o 指向的文件夹里已有 {ours}，它不是以前的演示生成的（可能是真实台账），演示不会覆盖它。"
            "本次什么也没写，请换一个空文件夹"
        )
    raw = output / ROSTER_DIR
    if raw.is_dir():
        guard_outputs([p for p in raw.rglob("*") if p.is_file()], None, "-o")


def run_demo(output: Path, progress: Say = None, preset: str = "zhongping") -> dict:
    if preset == "base140":
        return run_base140_demo(output, progress)
    if preset != "zhongping":
        raise UsageError(f"演示只有 zhongping（月度检查、积分兑换）和 base140（基础分140分、季度评议、年终评星）两种，没有“{preset}”")
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
    shop = redeem(ledger_path, household=richest["household_id"], items=[LineRequest("食用油", 1), LineRequest("毛巾", 2)],
                  day=dt.date(2026, 8, 3), out_pdf=slip_pdf, arguments="demo")
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


# --- the base-140 village's year (seed 001 篇4) ------------------------------------------------------


def _base140_events(ledger_path: Path, batch: str, folder: Path, say) -> list[Path]:
    """Declare, review, publish, approve (or reject) and post one batch of BASE140_EVENTS."""
    from villagectl.actions.event_notice import notice_events
    from villagectl.actions.event_post import post_events
    from villagectl.actions.event_review import approve_events, reject_events, review_events
    from villagectl.actions.events import add_event
    from villagectl.demo import BASE140_EVENTS

    year, month = int(batch[:4]), int(batch[5:])
    day = dt.date(year, month, 1)
    demo = Session(ledger_path, arguments="demo")
    chosen = [e for e in BASE140_EVENTS if e[5] == batch]
    ids = {}
    for hid, points, date, note, fate, _ in chosen:
        added = add_event(demo, household=hid, day=dt.date.fromisoformat(date), note=note, points=points)
        ids.setdefault(fate, []).extend(added.ids)
    every = [i for fate in ids.values() for i in fate]
    review_events(demo, ids=every, reviewer="网格员", now=dt.datetime.combine(day, dt.time(9)))
    published = ids.get("入账", []) + ids.get("驳回", [])
    pdf = folder / f"{batch}加减分事项公示.pdf"
    notice = notice_events(demo, out_pdf=pdf, start=day, ids=published)
    end = dt.date.fromisoformat(notice.period[1])
    if ids.get("驳回"):
        reject_events(demo, ids=ids["驳回"], reason="经评议小组核实不属实", who="村委会",
                      now=dt.datetime.combine(end, dt.time(17)))
    after = end + dt.timedelta(days=1)
    approve_events(demo, ids=ids["入账"], approver="村支书", now=dt.datetime.combine(after, dt.time(9)))
    posted = post_events(replace(demo, today=after), ids=ids["入账"])
    total = sum(e[1] for e in chosen if e[4] == "入账")
    say(f"   {batch} 加减分 {len(chosen)} 条：入账 {len(posted.entries)} 笔（合计 {fmt_number(total)} 分）"
        + (f"，驳回 {len(ids['驳回'])} 条" if ids.get("驳回") else "")
        + (f"，{len(ids['初审'])} 条尚在初审（不计入）" if ids.get("初审") else "") + f" → {pdf.name}")
    return [pdf]


def _all_in(imported) -> None:
    if imported.refused:  # the sample's own forms: a refusal is a bug, never a step to skip
        raise DataError("示例评分表没有全部导入", imported.problems)


def run_base140_demo(output: Path, progress: Say = None) -> dict:
    """桃源村's year on the base-140 scheme: quarterly forms → imports → notices → events → year-end
    review → score year → notice year → post year, into one folder."""
    from villagectl.actions.inspect_forms import quarter_form, review_form
    from villagectl.actions.notice_quarter import post_quarter, print_quarter_notice
    from villagectl.actions.score_year import post_year, score_year
    from villagectl.actions.year_notice import print_year_notice
    from villagectl.demo import BASE140_VILLAGE, BASE140_YEAR, build_base140_samples, fill_base140_form

    say = progress or (lambda _msg: None)
    output = guard_output(output, None, "-o", folder=True)
    if output.exists() and not output.is_dir():
        raise UsageError(f"{output} 已存在且不是文件夹，请换一个 --output")
    _refuse_foreign_files(output, f"{BASE140_VILLAGE}积分台账.xlsx")
    output.mkdir(parents=True, exist_ok=True)
    year = BASE140_YEAR
    say(f"① 生成示例村（{BASE140_VILLAGE}，基础分140分方案，3 个组 30 户）的台账 → {output.resolve()}")
    ledger_path = build_base140_samples(output)
    demo = Session(ledger_path, arguments="demo")
    pdfs: list[Path] = []
    pdfs += _base140_events(ledger_path, "2026-01", output, say)
    quarter_days = {1: (3, 25), 2: (6, 24), 3: (9, 23), 4: (12, 9)}
    for q in (1, 2, 3, 4):
        forms_dir = output / f"{year}年第{'一二三四'[q - 1]}季度评分表"
        kind = quarter_form(year, q)
        forms = make_forms(ledger_path, kind, out_dir=forms_dir, force=True)
        for f in forms:
            fill_base140_form(f, q)
        month, day = quarter_days[q]
        imported = import_inspections(Session(ledger_path, arguments="demo", today=dt.date(year, month, day)), forms)
        _all_in(imported)
        blank = sum(1 for f in imported.files for p in f.problems if "没有打分" in p.message)
        say(f"② {kind.label}：生成评分表 {len(forms)} 份（只含环境整治、文明新风），评议小组交叉评议后导入 "
            f"{sum(f.households for f in imported.files)} 户" + (f"，{blank} 户本季度未检查（留空）" if blank else ""))
        start = dt.date(year, month, day + 1)
        pdf = output / f"{kind.label}日常积分公示.pdf"
        notice = print_quarter_notice(demo, year, q, out_pdf=pdf, start=start)
        post_quarter(replace(demo, today=notice.period_end + dt.timedelta(days=1)), year, q)
        say(f"   公示 {notice.period_start} 至 {notice.period_end} → {pdf.name}；期满入账（季度不记积分）")
        pdfs.append(pdf)
        if q == 3:
            pdfs += _base140_events(ledger_path, "2026-09", output, say)
    review_dir = output / f"{year}年度评议表"
    forms = make_forms(ledger_path, review_form(year), out_dir=review_dir, force=True)
    for f in forms:
        fill_base140_form(f, 0)
    imported = import_inspections(Session(ledger_path, arguments="demo", today=dt.date(year, 12, 18)), forms)
    _all_in(imported)
    who = "；".join(f"{'、'.join(f.groups)}由{f.review_group}评议" for f in imported.files)
    say(f"③ 年终评议（党的建设、民生保障、遵纪守法）：{len(forms)} 份评议表导入 {sum(f.households for f in imported.files)} 户（{who}）")
    pdfs += _base140_events(ledger_path, "2027-01", output, say)
    result = score_year(demo, year)
    rows = result.households()
    stars = {t: [r for r in rows if r["star"] == t] for t in ("五星级文明户", "四星级文明户", "三星级文明户")}
    say(f"④ 年度评定 {len(rows)} 户：" + "，".join(f"{t} {len(v)} 户" for t, v in stars.items()))
    for r in sorted(rows, key=lambda r: r["rank"])[:10]:
        say(f"   第{r['rank']}名 {r['group']} {r['name']} {fmt_number(r['result'])} 分 {r['star'] or ''}".rstrip())
    pdf = output / f"{year}年度文明户评定结果公示.pdf"
    notice = print_year_notice(demo, year, out_pdf=pdf, start=dt.date(year + 1, 1, 8))
    pdfs.append(pdf)
    posted = post_year(replace(demo, today=notice.period_end + dt.timedelta(days=1)), year)
    say(f"⑤ 年度公示 {notice.period_start} 至 {notice.period_end} → {pdf.name}；期满锁定 {posted} 户")
    ledger = Ledger.open(ledger_path)
    problems = [p for p in find_problems(ledger) if p.severity == "错误"]
    say("⑥ 检查台账：" + ("通过" if not problems else f"发现 {len(problems)} 处错误"))
    say("完成。生成的文件：")
    say(f"   台账（用 Excel/WPS 打开）：{ledger_path}")
    for p in pdfs:
        say(f"   {p}")
    return {
        "output": str(output.resolve()),
        "ledger": str(ledger_path),
        "preset": "base140",
        "notices": [str(p) for p in pdfs],
        "rated": len(rows),
        "stars": {key: [r["household_id"] for r in stars[t]]
                  for key, t in (("five_star", "五星级文明户"), ("four_star", "四星级文明户"), ("three_star", "三星级文明户"))},
        "posted": posted,
        "check_errors": len(problems),
    }
