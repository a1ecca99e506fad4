"""``demo``: the main job on the bundled sample village, end to end, into one folder."""

from __future__ import annotations

from pathlib import Path
from typing import Callable

from villagectl.actions.balance import household_balances
from villagectl.actions.check import find_problems
from villagectl.actions.households_import import import_households
from villagectl.errors import UsageError
from villagectl.ledger.workbook import Ledger
from villagectl.samples import build_samples
from villagectl.values import fmt_number

Say = Callable[[str], None] | None


def run_demo(output: Path, progress: Say = None) -> dict:
    say = progress or (lambda _msg: None)
    output = Path(output)
    if output.exists() and not output.is_dir():
        raise UsageError(f"{output} 已存在且不是文件夹，请换一个 --output")
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

    say("③ 检查台账")
    ledger = Ledger.open(ledger_path)
    problems = [p for p in find_problems(ledger) if p.severity == "错误"]
    say("   检查通过" if not problems else f"   发现 {len(problems)} 处错误")

    say("④ 积分余额（前 10 户）")
    balances = household_balances(ledger)
    for row in balances[:10]:
        say(f"   {row['household_id']} {row['name']:<4} 余额 {fmt_number(row['balance']):>4}  累计 {fmt_number(row['earned'])}")

    say("⑤ 故意有错的花名册会被拒绝，并指出单元格：")
    try:
        import_households(ledger_path, [Path(made["roster_with_errors"])], dry_run=True)
    except Exception as exc:  # DataError: show what the clerk would see
        for p in getattr(exc, "problems", [])[:6]:
            say(f"   {p}")

    say(f"完成。用 Excel/WPS 打开 {ledger_path} 查看结果；原始资料在 {output / '原始资料'}")
    return {
        "output": str(output.resolve()),
        "ledger": str(ledger_path),
        "households_added": report.added,
        "households_changed": changed,
        "check_errors": len(problems),
        "households": len(balances),
    }
