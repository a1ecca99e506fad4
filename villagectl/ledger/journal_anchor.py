"""The journal's anchor: what 积分流水 held when villagectl last wrote it, kept outside the sheet.

The chain (ledger/journal.py) finds an edited row, and a deleted or inserted row in the middle, but not rows
deleted at the end: what is left is still a valid chain. So every write that changes 积分流水 also records the
journal's row count and last 校验 in its 操作日志 row, and a posting in its 期间 row. ``check`` and every
command that spends or posts compare (``require_intact``). Ledgers from before these columns have no anchor
and pass until their next write adds one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from villagectl import schema
from villagectl.ledger.journal import monthly_reference, verify_journal
from villagectl.table import Table, as_table

if TYPE_CHECKING:
    import pandas as pd
from villagectl.values import NotANumber, clean_text, to_number


ANCHOR_ROWS = "流水行数"
ANCHOR_LAST = "流水末校验"


def anchor_values(journal: "Table | pd.DataFrame") -> dict[str, object]:
    """The 流水行数 / 流水末校验 to store for ``journal`` as it is now."""
    last = clean_text(_checks_of(journal)[-1]) if len(journal) else ""
    return {ANCHOR_ROWS: len(journal), ANCHOR_LAST: last}


def _anchor_count(value: object) -> int | None:
    try:
        number = to_number(value)
    except NotANumber:
        return None
    return int(number) if number is not None and number >= 0 and float(number).is_integer() else None


def _checks_of(journal: "Table | pd.DataFrame") -> list:
    return journal.column("校验") if isinstance(journal, Table) else journal["校验"].tolist()


def _anchor_mismatch(journal: Table, count: int, last: str) -> str | None:
    """What is wrong with ``journal`` against an anchor, or None."""
    if len(journal) < count:
        return f"积分流水现在只有 {len(journal)} 行，应至少有 {count} 行：末尾的流水被删除了"
    if count and clean_text(journal.column("校验")[count - 1]) != last:
        return f"积分流水第 {count} 条流水的校验值已不是当时记下的值：流水被删除、插入或换过"
    return None


@dataclass(frozen=True)
class AnchorIssue:
    sheet: str
    row: int | None  # position in that sheet's frame, None for the sheet as a whole
    column: str | None
    message: str


def anchor_issues(journal: "Table | pd.DataFrame", oplog: "Table | pd.DataFrame", periods: "Table | pd.DataFrame",
                  monthly: "Table | pd.DataFrame | None" = None) -> list[AnchorIssue]:
    """The journal against the anchors in 操作日志 (the last one) and 期间 (every posted period)."""
    journal, oplog, periods = as_table(journal), as_table(oplog), as_table(periods)
    issues: list[AnchorIssue] = []
    if ANCHOR_ROWS in oplog.columns and len(oplog):
        counts = [(_anchor_count(v) if clean_text(v) else None) for v in oplog.column(ANCHOR_ROWS)]
        anchored = [pos for pos, c in enumerate(counts) if c is not None]
        if anchored:
            pos = anchored[-1]
            row = oplog.records()[pos]
            count, last = counts[pos], clean_text(row.get(ANCHOR_LAST, ""))
            when = f"{clean_text(row.get('时间', ''))} {clean_text(row.get('命令', ''))}".strip()
            if len(journal) > count:
                issues.append(AnchorIssue(schema.JOURNAL.name, None, None,
                                          f"积分流水现在有 {len(journal)} 行，villagectl 最后一次写入（{when}）后只有 {count} 行："
                                          "多出的行不是 villagectl 记的（更正请用冲正，不要手工加行）"))
            else:
                problem = _anchor_mismatch(journal, count, last)
                if problem:
                    issues.append(AnchorIssue(schema.JOURNAL.name, None, None,
                                              f"{problem}（与操作日志里 villagectl 最后一次写入 {when} 时记下的不符）"))
    posted = []
    for pos, row in enumerate(periods.records()):
        if clean_text(row.get("状态", "")) != schema.PERIOD_STATES[2]:
            continue
        period = clean_text(row.get("期间", ""))
        count = _anchor_count(row.get(ANCHOR_ROWS, "")) if clean_text(row.get(ANCHOR_ROWS, "")) else None
        if count is None:
            posted.append((pos, period))
            continue
        problem = _anchor_mismatch(journal, count, clean_text(row.get(ANCHOR_LAST, "")))
        if problem:
            issues.append(AnchorIssue(schema.PERIODS.name, pos, "期间",
                                      f"期间 {period} 已入账，但它的入账流水不在积分流水里了：{problem}"))
    monthly = as_table(monthly) if monthly is not None else None
    if posted and monthly is not None and len(monthly):
        # older postings without an anchor: a posted month with points must have journal rows
        refs = {clean_text(v) for v in journal.column("关联")} if len(journal) else set()
        months = [clean_text(v) for v in monthly.column("月份")] if "月份" in monthly.columns else []
        for pos, period in posted:
            rows = [i for i, m in enumerate(months) if m == period]
            if not rows:
                continue
            earned = False
            for col in ("积分", "奖励"):
                if col not in monthly.columns:
                    continue
                cells = monthly.column(col)
                for i in rows:
                    try:
                        earned = earned or bool(to_number(cells[i]))
                    except NotANumber:
                        pass
            prefix = monthly_reference(period, "")
            if earned and not any(r.startswith(prefix) for r in refs):
                issues.append(AnchorIssue(schema.PERIODS.name, pos, "期间",
                                          f"期间 {period} 已入账，但积分流水里没有它的任何入账流水：入账流水被删除了"))
    return issues


def journal_problems(ledger) -> list:
    """The chain and the anchors of a ledger's journal, as ``check`` reports them (``Problem`` list)."""
    from villagectl.errors import Problem
    from villagectl.ledger.locations import locator

    if not ledger.has(schema.JOURNAL.name):
        return []
    journal = ledger.table(schema.JOURNAL.name)

    at = locator(ledger)  # the cell in the clerk's terms, as every check names it

    problems = [Problem(at(schema.JOURNAL.name, i.row, i.column), i.message) for i in verify_journal(journal)]
    oplog = ledger.table_or_empty(schema.OPLOG.name)
    periods = ledger.table_or_empty(schema.PERIODS.name)
    monthly = None
    posted = [pos for pos, state in enumerate(periods.column("状态")) if clean_text(state) == schema.PERIOD_STATES[2]]
    if posted and (ANCHOR_ROWS not in periods.columns
                   or any(clean_text(periods.column(ANCHOR_ROWS)[pos]) == "" for pos in posted)):
        monthly = ledger.table_or_empty(schema.MONTHLY.name)
    for issue in anchor_issues(journal, oplog, periods, monthly):
        problems.append(Problem(at(issue.sheet, issue.row, issue.column), issue.message))
    return problems


def require_intact(ledger) -> None:
    """Refuse (DataError, exit 1) when the journal's chain or anchor is broken: before spending or posting."""
    from villagectl.errors import DataError

    problems = journal_problems(ledger)
    if problems:
        raise DataError(
            "积分流水校验不通过（流水被手工改动、删除或插入过），为免按错误的余额记账，本次没有做任何改动；"
            "请先运行 villagectl check 查看，从 .villagectl/backups 的备份找回原来的流水，更正请用冲正",
            problems,
        )
