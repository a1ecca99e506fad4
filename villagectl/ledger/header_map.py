"""表头对照, the importer's memory of headers it read by evidence: read first next time, corrected by the clerk."""

from __future__ import annotations

import pandas as pd

from villagectl import schema
from villagectl.values import clean_text, to_number


def learned_headers(frame: pd.DataFrame, rules) -> dict[str, str]:
    """表头对照 → {header text: code}; rows whose 编码 is no item are left out (check reports them)."""
    codes = {r.code for r in rules}
    out: dict[str, str] = {}
    for row in frame.to_dict("records"):
        text, code = str(row.get("表头文字") or "").strip(), clean_text(row.get("编码"))
        if text and code in codes:
            out[text] = code
    return out


def header_fillers(settings: dict[str, str]) -> tuple[str, ...]:
    """Filler words the matcher ignores: the preset's, plus the village's 参数 表头忽略词."""
    from villagectl.importers.header_match import DEFAULT_FILLERS, split_synonyms

    extra = split_synonyms(settings.get("表头忽略词", ""))
    return tuple(dict.fromkeys(DEFAULT_FILLERS + tuple(extra)))


def remember_headers(frame: pd.DataFrame, outcomes) -> pd.DataFrame | None:
    """Add the headers read by evidence to 表头对照 (or count them again); None when nothing is new.

    ``outcomes``: the imported files (each with ``file``, ``month`` and ``readings``, the ColumnReadings).
    """
    rows = frame.to_dict("records")
    index = {str(r.get("表头文字") or "").strip(): i for i, r in enumerate(rows)}
    changed = False
    for outcome in outcomes:
        for reading in outcome.readings:
            text = reading.header.strip()
            if text in index:
                row = rows[index[text]]
                if clean_text(row.get("编码")) == reading.code:
                    row["次数"] = int(to_number(row.get("次数")) or 0) + 1
                    changed = True
                continue
            index[text] = len(rows)
            rows.append({"表头文字": text, "编码": reading.code, "项目": reading.item,
                         "首次见于": f"{outcome.file}（{outcome.month}）", "次数": 1})
            changed = True
    if not changed:
        return None
    return pd.DataFrame(rows, columns=schema.HEADER_MAP.column_names, dtype=object)
