"""What changed between two versions of a ledger, sheet by sheet (``diff``, ``restore``). Pure: tables in
(columns, rows of cell text, where each row is), ``SheetDiff`` / ``LedgerDiff`` out; reading the two
workbooks is ``actions/backups.py``.

Rows are matched by the sheet's key column (``SheetSpec.key``: 户号, 流水号, 编码 …) when every row of
both has a distinct one, else by content and order (``difflib``); 积分流水 rows are shown as entries and
操作日志 rows as the record of writes.
"""

from __future__ import annotations

import difflib
import math
from dataclasses import dataclass, field
from pathlib import Path

from villagectl.values import as_text, fmt_number

TEXT_LIMIT = 60  # rows shown per part of a sheet in text output (--json has them all)


@dataclass
class RowChange:
    label: str
    cells: list[tuple[str, str, str]]  # column, old, new

    def as_dict(self) -> dict:
        return {"row": self.label, "cells": [{"column": c, "old": o, "new": n} for c, o, n in self.cells]}


@dataclass
class SheetDiff:
    sheet: str
    key: str = ""  # the key column rows were matched by ("": by position and content)
    state: str = ""  # "" | "新增的工作表" | "删除的工作表"
    added: list[tuple[str, dict]] = field(default_factory=list)  # (label, {column: text})
    removed: list[tuple[str, dict]] = field(default_factory=list)
    changed: list[RowChange] = field(default_factory=list)
    entries: bool = False  # 积分流水: rows are journal entries
    log: bool = False  # 操作日志: rows are the record of writes

    @property
    def empty(self) -> bool:
        return not (self.state or self.added or self.removed or self.changed)

    def summary(self) -> str:
        if self.entries:
            parts = [f"新增 {len(self.added)} 笔流水"]
            if self.added:
                parts[0] += f"（合计 {_signed(sum(_points(r) for _, r in self.added))} 分）"
            if self.removed:
                parts.append(f"少了 {len(self.removed)} 笔流水")
            if self.changed:
                parts.append(f"改动 {len(self.changed)} 笔流水")
        elif self.log and not self.changed and not self.removed:
            parts = [f"新增 {len(self.added)} 条操作记录"]
        else:
            parts = [f"新增 {len(self.added)} 行", f"修改 {len(self.changed)} 行", f"删除 {len(self.removed)} 行"]
        how = f"（按{self.key}对应）" if self.key else ""
        state = f"{self.state}，" if self.state else ""
        return f"{self.sheet}{how}：{state}" + "，".join(parts)

    def lines(self, limit: int | None = TEXT_LIMIT) -> list[str]:
        out = [self.summary()]
        shown = 0

        def room() -> bool:
            return limit is None or shown < limit

        for label, row in self.added:
            if not room():
                break
            out.append(f"  + {_entry_text(row)}" if self.entries else f"  + {_log_text(row)}" if self.log
                       else f"  新增 {label}：{_row_text(row)}")
            shown += 1
        for change in self.changed:
            if not room():
                break
            cells = "；".join(f"{c} {o or '（空）'} → {n or '（空）'}" for c, o, n in change.cells)
            out.append(f"  修改 {change.label}：{cells}")
            shown += 1
        for label, row in self.removed:
            if not room():
                break
            out.append(f"  - {_entry_text(row)}" if self.entries else f"  - {_log_text(row)}" if self.log
                       else f"  删除 {label}：{_row_text(row)}")
            shown += 1
        total = len(self.added) + len(self.changed) + len(self.removed)
        if limit is not None and total > shown:
            out.append(f"  ……另有 {total - shown} 行未显示（用 --json 查看全部）")
        return out

    def as_dict(self) -> dict:
        return {
            "sheet": self.sheet,
            "key": self.key,
            "state": self.state,
            "entries": self.entries,
            "log": self.log,
            "summary": self.summary(),
            "added": [{"row": label, "values": _cells(row)} for label, row in self.added],
            "changed": [c.as_dict() for c in self.changed],
            "removed": [{"row": label, "values": _cells(row)} for label, row in self.removed],
        }


@dataclass
class LedgerDiff:
    old: Path  # the backup (or the older version)
    new: Path  # the ledger
    sheets: list[SheetDiff]

    @property
    def empty(self) -> bool:
        return not self.sheets

    def lines(self, limit: int | None = TEXT_LIMIT) -> list[str]:
        if self.empty:
            return ["没有改动：两者的工作表内容相同"]
        out: list[str] = []
        for s in self.sheets:
            out += s.lines(limit)
        return out

    def as_dict(self) -> dict:
        return {"from": str(self.old), "to": str(self.new), "sheets": [s.as_dict() for s in self.sheets]}


def _cells(row: dict) -> list[dict]:
    """A row for --json: [{column, value}] (the column names are the sheet's own, any the clerk added too)."""
    return [{"column": c, "value": v} for c, v in row.items()]


def cell_text(value: object) -> str:
    """A cell as the diff shows it: blank for empty/NaN, 是/否, numbers without a trailing .0, text as typed."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, (int, float)):
        return fmt_number(value)
    return as_text(value)


def _signed(value: float) -> str:
    value = round(value, 4)
    return f"+{fmt_number(value)}" if value > 0 else fmt_number(value)


def _points(row: dict) -> float:
    try:
        return float(row.get("积分", "") or 0)
    except ValueError:
        return 0.0


def _row_text(row: dict) -> str:
    return "，".join(f"{c} {v}" for c, v in row.items() if v != "") or "（空行）"


def _log_text(row: dict) -> str:
    head = " ".join(b for b in (row.get("时间", ""), row.get("命令", ""), row.get("参数", "")) if b)
    return head + (f"：{row['结果']}" if row.get("结果") else "")


def _entry_text(row: dict) -> str:
    points = row.get("积分", "")
    try:
        points = _signed(float(points))
    except ValueError:
        pass
    bits = [row.get("流水号", ""), row.get("日期", ""), row.get("户号", ""), row.get("成员", ""),
            row.get("类型", ""), f"{points} 分" if points != "" else "", row.get("摘要", "")]
    return " ".join(b for b in bits if b)


@dataclass
class Table:
    columns: list[str]
    rows: list[list[str]]
    labels: list[str]  # where each row is, for messages ("第 5 行")


def _as_dicts(table: Table, columns: list[str]) -> list[dict]:
    index = {c: i for i, c in enumerate(table.columns)}
    return [{c: (r[index[c]] if c in index and index[c] < len(r) else "") for c in columns} for r in table.rows]


def diff_tables(name: str, old: Table, new: Table, key: str, entries: bool) -> SheetDiff:
    """One sheet's rows from ``old`` to ``new``: by ``key`` when every row has a distinct one, else by content and order."""
    columns = list(new.columns) + [c for c in old.columns if c not in new.columns]
    old_rows, new_rows = _as_dicts(old, columns), _as_dicts(new, columns)
    result = SheetDiff(name, entries=entries)

    def cells(a: dict, b: dict) -> list[tuple[str, str, str]]:
        return [(c, a.get(c, ""), b.get(c, "")) for c in columns if a.get(c, "") != b.get(c, "")]

    old_keys = [r.get(key, "") for r in old_rows] if key else []
    new_keys = [r.get(key, "") for r in new_rows] if key else []
    keyed = bool(key) and key in old.columns + new.columns and all(old_keys) and all(new_keys) \
        and len(set(old_keys)) == len(old_keys) and len(set(new_keys)) == len(new_keys)
    if keyed:
        result.key = key
        where_old = {k: i for i, k in enumerate(old_keys)}
        new_set = set(new_keys)
        for k, row in zip(new_keys, new_rows):
            if k not in where_old:
                result.added.append((f"{key} {k}", row))
            else:
                changed = cells(old_rows[where_old[k]], row)
                if changed:
                    result.changed.append(RowChange(f"{key} {k}", changed))
        result.removed = [(f"{key} {k}", row) for k, row in zip(old_keys, old_rows) if k not in new_set]
        return result
    a = [tuple(r.values()) for r in old_rows]
    b = [tuple(r.values()) for r in new_rows]
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if op == "equal":
            continue
        if op == "replace" and i2 - i1 == j2 - j1:
            for i, j in zip(range(i1, i2), range(j1, j2)):
                result.changed.append(RowChange(new.labels[j], cells(old_rows[i], new_rows[j])))
            continue
        result.removed += [(f"原{old.labels[i]}", old_rows[i]) for i in range(i1, i2)]
        result.added += [(new.labels[j], new_rows[j]) for j in range(j1, j2)]
    return result
