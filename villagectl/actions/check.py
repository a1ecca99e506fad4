"""``check``: validate a ledger a clerk may have edited by hand (the checks of each sheet: ledger/checks.py)."""

from __future__ import annotations

from pathlib import Path

from villagectl.errors import Location, Problem
from villagectl import schema
from villagectl.collector import gc_paused
from villagectl.ledger.workbook import Ledger

SCHEMES = ("月度换算", "基础分", "事件")


def check_ledger(path: Path) -> tuple[Ledger, list[Problem]]:
    with gc_paused():  # every sheet read and checked: millions of small objects, no cycles (0.1–0.2 s of collector)
        ledger = Ledger.open(path)
        ledger.prefetch()  # every sheet, read on other cores while the checks' modules (pandas) are imported
        try:
            return ledger, group_repeats(find_problems(ledger))
        finally:
            ledger.close()


def group_repeats(problems: list[Problem], shown: int = 8) -> list[Problem]:
    """The same finding on many cells of one sheet is one line: the cells, then how many
    ("D5、D9、D12……（共 29 处）: 户号 ZP009 不在户籍表中"), in the place of its first cell."""
    cells: dict[tuple, list[str]] = {}
    for p in problems:
        key = (p.location.file, p.location.sheet, p.message, p.severity)
        cells.setdefault(key, []).append(p.location.cell)
    out: list[Problem] = []
    done: set[tuple] = set()
    for p in problems:
        key = (p.location.file, p.location.sheet, p.message, p.severity)
        where = [c for c in cells[key] if c]
        if len(cells[key]) == 1 or len(where) < 2:
            out.append(p)
            continue
        if key in done:
            continue
        done.add(key)
        runs = _cell_runs(where)
        listed = "、".join(runs[:shown]) + ("……" if len(runs) > shown else "")
        out.append(Problem(Location(p.location.file, p.location.sheet, f"{listed}（共 {len(where)} 处）"), p.message, p.severity))
    return out


def _cell_runs(cells: list[str]) -> list[str]:
    """['B2', 'B3', 'B4', 'B9'] → ['B2:B4', 'B9'] (consecutive rows of one column as an Excel range)."""
    import re

    runs: list[list] = []
    for cell in cells:
        m = re.fullmatch(r"([A-Z]+)(\d+)", cell)
        if m and runs and runs[-1][0] == m.group(1) and runs[-1][2] + 1 == int(m.group(2)):
            runs[-1][2] = int(m.group(2))
        elif m:
            runs.append([m.group(1), int(m.group(2)), int(m.group(2))])
        else:
            runs.append([cell, None, None])
    return [c if a is None else (f"{c}{a}" if a == b else f"{c}{a}:{c}{b}") for c, a, b in runs]


def check_advice(problems: list[Problem], ledger_name: str) -> str:
    """What to do after check found errors."""
    if not any(p.severity == "错误" for p in problems):
        return ""
    return (f"请按上面指出的工作表和单元格在 Excel/WPS 里改正，保存后再运行 villagectl check {ledger_name}；"
            f"如果是最近手工改错的，可用 villagectl backups {ledger_name} 查看备份，"
            f"villagectl diff 看改了什么，villagectl restore {ledger_name} 备份文件 恢复到改动之前")


def find_problems(ledger: Ledger) -> list[Problem]:
    from villagectl.ledger import checks  # here, not above: check_ledger has its sheets read meanwhile
    from villagectl.ledger.journal_anchor import journal_problems

    at = checks.locator(ledger)
    problems, broken = checks.sheet_problems(ledger)
    settings = ledger.settings()
    if schema.SETTINGS.name not in broken:
        problems += checks.settings_problems(ledger, settings, at)
    rules: list = []
    if schema.RULES.name not in broken:
        found, rules = checks.rules_problems(ledger, settings, broken, at)
        problems += found
    if schema.HOUSEHOLDS.name not in broken:
        problems += checks.household_problems(ledger, settings, broken, at)
    if schema.JOURNAL.name not in broken:
        problems += journal_problems(ledger)  # the chain and the anchors (操作日志, 期间)
    if schema.INDICATORS.name not in broken:
        problems += checks.indicator_problems(ledger, at)
    if schema.JOURNAL.name not in broken:
        problems += checks.link_problems(ledger, at)
        if schema.MONTHLY.name not in broken:
            problems += checks.posted_score_problems(ledger, at)
        from villagectl.actions.transfer_files import transfer_problems  # a transfer out that left no file

        problems += transfer_problems(ledger, at)
    if schema.RULES.name not in broken and schema.HEADER_MAP.name not in broken and ledger.has(schema.HEADER_MAP.name):
        problems += checks.header_map_problems(ledger, rules, at)
    return problems
