"""The 检查记录 sheet: which rules are inspected, and which column holds each item's score."""

from __future__ import annotations

import pandas as pd

from villagectl.errors import DataError
from villagectl import schema
from villagectl.rules.catalogue import parse_rules
from villagectl.ledger.create import item_column
from villagectl.values import clean_text, to_number


def inspection_rules(ledger) -> list:
    """The rules a sheet is inspected for: 检查项 and 基础分 items (DataError when the 规则 sheet is wrong or has none)."""
    rules, issues = parse_rules(ledger.frame(schema.RULES.name))
    if issues:
        raise DataError("“规则”表有问题，请先运行 villagectl check 查看并修正")
    # 基础分 items (篇4's quarterly and annual items) are inspected the same way
    items = [r for r in rules if r.type in ("检查项", "基础分")]
    if not items:
        raise DataError("“规则”表里没有检查项（类型为“检查项”或“基础分”的规则），无法导入检查表")
    return items


def code_of_column(column: str) -> str:
    return clean_text(column).split(" ", 1)[0]


def item_columns_of(frame: pd.DataFrame, rules) -> dict[str, str]:
    """rule code -> 检查记录 column."""
    codes = {r.code for r in rules}
    out: dict[str, str] = {}
    for col in frame.columns:
        code = code_of_column(str(col))
        if code in codes and col not in schema.INSPECTIONS.column_names:
            out.setdefault(code, str(col))
    return out


def same_scores(a: dict[str, float], b: dict[str, float]) -> bool:
    return a.keys() == b.keys() and all(abs(a[k] - b[k]) < 1e-9 for k in a)


def existing_scores(frame: pd.DataFrame, rules) -> dict[tuple[str, str], tuple[dict[str, float], str]]:
    """(月份, 户号) → (the item scores recorded, the file they came from)."""
    cols = item_columns_of(frame, rules)
    out: dict[tuple[str, str], tuple[dict[str, float], str]] = {}
    for row in frame.to_dict("records"):
        scores: dict[str, float] = {}
        for code, col in cols.items():
            try:
                value = to_number(row.get(col))
            except ValueError:
                value = None
            if value is not None:
                scores[code] = value
        key = (clean_text(row.get("月份")), clean_text(row.get("户号")))
        out[key] = (scores, f"{clean_text(row.get('来源文件'))}")
    return out


def merge_records(existing: pd.DataFrame, accepted, rules, stamp: str) -> pd.DataFrame:
    """检查记录 with the accepted files' rows (each file: ``file``, ``month``, ``sha256``, ``late``, ``reviewers``,
    ``review_group``; each row an InspectionRow) replacing the same month and household."""
    cols = item_columns_of(existing, rules)
    for r in rules:
        cols.setdefault(r.code, item_column(r.code, r.item))
    base = ["月份", "户号", "户主", "组别"]
    tail = ["合计", "来源文件", "工作表", "行号", "文件哈希", "导入时间", "备注"]
    tail += [c for c in ("评议组", "评议人") if c in existing.columns or any(o.reviewers or o.review_group for o, _ in accepted)]
    ordered = base + [cols[r.code] for r in rules]
    ordered += [c for c in existing.columns if c not in ordered and c not in tail] + tail
    frame = existing.reindex(columns=ordered, fill_value="")
    scored_keys = {(o.month, row.household_id) for o, rows in accepted for row in rows if row.scores}
    accepted = [(o, [row for row in rows if row.scores or (o.month, row.household_id) not in scored_keys])
                for o, rows in accepted]
    replace_keys = {(o.month, row.household_id) for o, rows in accepted for row in rows}
    keep = [
        (clean_text(m), clean_text(h)) not in replace_keys for m, h in zip(frame["月份"], frame["户号"])
    ]
    frame = frame[keep]
    new: list[dict] = []
    for outcome, rows in accepted:
        for row in rows:
            record = {c: "" for c in ordered}
            record.update({"月份": outcome.month, "户号": row.household_id, "户主": row.name, "组别": row.group})
            for code, score in row.scores.items():
                record[cols[code]] = score
            record.update({
                "合计": round(sum(row.scores.values()), 4) if row.scores else "",
                "来源文件": outcome.file,
                "工作表": row.sheet,
                "行号": row.row,
                "文件哈希": outcome.sha256[:16],
                "导入时间": stamp,
                "备注": "补录（入账后导入）" if outcome.late else "",
            })
            if "评议人" in ordered:
                record.update({"评议组": outcome.review_group, "评议人": "、".join(outcome.reviewers)})
            new.append(record)
    return pd.concat([frame, pd.DataFrame(new, columns=ordered, dtype=object)], ignore_index=True)
