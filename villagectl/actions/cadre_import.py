"""``cadre import``: the assessment files of a year (scorecards, vote tallies, negatives, duty records) into
the ledger; rows of a new import replace earlier rows with the same key. ``cadre score``: actions/cadre.py."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from villagectl.actions.cadre import indicators_for, period_name
from villagectl.actions.session import Session
from villagectl.errors import DataError, Location, Problem
from villagectl.importers.cadre import DUTIES, NEGATIVES, SCORES, VOTES, read_cadre_file
from villagectl.io.safe_write import sha256_file
from villagectl.io.sandbox import read_untrusted_many, refuse_on_error
from villagectl import schema
from villagectl.values import clean_text

SHEET_OF = {SCORES: schema.CADRE_SCORES, VOTES: schema.CADRE_VOTES, NEGATIVES: schema.CADRE_NEGATIVES,
            DUTIES: schema.DUTY_RECORDS}
# rows of a new import replace earlier rows with the same key
KEYS = {SCORES: ("年度", "期间", "编号", "考核人", "编码"), VOTES: ("年度", "期间", "编号")}


@dataclass
class CadreImport:
    counts: dict[str, int] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)


def import_cadre_files(session: Session, paths: list[Path], year: int, *, period: str | None = None) -> CadreImport:
    """The assessment files of ``year`` (``period``: H1/H2, else the whole year), read as of the session's day."""
    from villagectl.io.inputs import expand_paths

    files, missing = expand_paths(paths)
    out = CadreImport(problems=[Problem(Location(p.name), "文件不存在") for p in missing], refused=[p.name for p in missing])
    if not files:
        raise DataError("没有找到考核表文件（xlsx、xls、ods）", out.problems)
    chosen_period = period_name(period) if period else None
    today = session.day()
    with session.updating("cadre import") as ledger:
        ledger.require(schema.CADRES.name, schema.INDICATORS.name)
        cadres, indicators = ledger.frame(schema.CADRES.name), indicators_for(ledger, year)
        books = read_untrusted_many(files)
        new: dict[str, list[dict]] = {k: [] for k in SHEET_OF}
        inputs = []
        for path in files:
            book = books[path]
            if isinstance(book, DataError):
                out.problems.extend(book.problems)
                out.refused.append(path.name)
                continue
            try:
                parts, problems = refuse_on_error(path, read_cadre_file, book, path.name, cadres, indicators, year,
                                                  chosen_period, today)
            except DataError as exc:
                out.problems.extend(exc.problems)
                out.refused.append(path.name)
                continue
            out.problems.extend(problems)
            if any(p.severity == "错误" for p in problems):
                out.refused.append(path.name)
                continue
            for part in parts:
                new[part.kind].extend(part.rows)
            inputs.append((path.name, sha256_file(path)))
        changed = False
        for kind, rows in new.items():
            if not rows:
                continue
            spec = SHEET_OF[kind]
            frame = ledger.frame(spec.name)
            merged = _merge(frame, rows, KEYS.get(kind))
            out.counts[kind] = len(rows)
            if len(merged) != len(frame) or not merged.astype(str).equals(frame.astype(str)):
                ledger.replace(spec.name, merged)
                changed = True
        if changed:
            summary = "，".join(f"{k} {n} 行" for k, n in out.counts.items())
            ledger.note(summary, inputs)
        return out


def _merge(frame: pd.DataFrame, rows: list[dict], key: tuple[str, ...] | None) -> pd.DataFrame:
    added = pd.DataFrame(rows, dtype=object)
    if frame.empty:
        return added
    if key:
        new_keys = {tuple(str(r[k]) for k in key) for r in rows}
        frame = frame[[tuple(clean_text(v) for v in vals) not in new_keys for vals in zip(*(frame[k] for k in key))]]
    else:  # records: skip exact repeats (the same file imported again)
        seen = {tuple(clean_text(v) for v in r) for r in frame[added.columns].itertuples(index=False)}
        added = added[[tuple(clean_text(v) for v in r) not in seen for r in added.itertuples(index=False)]]
    return pd.concat([frame, added], ignore_index=True)
