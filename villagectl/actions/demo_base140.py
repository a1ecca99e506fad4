"""``demo --preset base140``: 桃源村's year on the base-140 scheme (seed 001 篇4), end to end, into one folder.

Quarterly forms → imports → quarter notices → events → year-end review → score year → notice year →
post year; the monthly demo (中坪村) is actions/demo.py.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from pathlib import Path
from typing import Callable

from villagectl.actions.check import find_problems
from villagectl.actions.demo_folder import demo_folder
from villagectl.actions.inspect_forms import make_forms
from villagectl.actions.inspect_import import import_inspections
from villagectl.actions.session import Session
from villagectl.errors import DataError
from villagectl.ledger.workbook import Ledger
from villagectl.values import fmt_number

Say = Callable[[str], None] | None


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
    output = demo_folder(output, f"{BASE140_VILLAGE}积分台账.xlsx")
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
