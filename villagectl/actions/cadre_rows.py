"""What the cadre documents read from the ledger: a period's 干部考核 rows, the 参数 as typed, the output paths."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from villagectl import schema
from villagectl.errors import DataError, UsageError
from villagectl.ledger.cadre_results import by_kind, period_rows
from villagectl.ledger.periods import cadre_period
from villagectl.ledger.workbook import Ledger
from villagectl.render.cadre import CadreSection, period_label
from villagectl.values import as_text, clean_text

PERIOD_CODES = {"全年": "", "上半年": "H1", "下半年": "H2"}


def notice_period_name(year: int, period: str) -> str:
    """The 期间 row of a cadre notice: ``"2026年度干部考核"``, ``"2026年上半年干部考核"``."""
    return cadre_period(year, period)


def printed_settings(ledger: Ledger) -> dict[str, str]:
    """参数 values as the clerk typed them, for printing.

    ``Ledger.settings()`` applies NFKC, which turns the full-width "，" and "："
    of a sentence such as 异议受理 into ASCII ",", ":"; printed text keeps the
    clerk's characters (only trimmed).
    """
    out = dict(ledger.settings())
    if ledger.has(schema.SETTINGS.name):
        for row in ledger.frame(schema.SETTINGS.name).to_dict("records"):
            key = clean_text(row.get("键", ""))
            if key and as_text(row.get("值", "")):
                out[key] = as_text(row.get("值", ""))
    return out


def check_output_paths(out_pdf: Path, internal_pdf: Path | None) -> None:
    if Path(out_pdf).suffix.lower() != ".pdf":
        raise UsageError(f"输出文件应以 .pdf 结尾：{out_pdf}")
    if internal_pdf is not None:
        if Path(internal_pdf).suffix.lower() != ".pdf":
            raise UsageError(f"内部材料文件应以 .pdf 结尾：{internal_pdf}")
        if Path(internal_pdf).resolve() == Path(out_pdf).resolve():
            raise UsageError("--internal 的文件不能和公示（-o）是同一个文件：内部材料不得张贴，请另起文件名")


def _score_hint(ledger: Ledger, year: int, period: str) -> str:
    code = PERIOD_CODES.get(period, "")
    return f"请先运行 villagectl cadre score {ledger.path.name} --year {year}{f' --period {code}' if code else ''} 计算考核结果"


def result_rows(ledger: Ledger, year: int, period: str) -> pd.DataFrame:
    """The 干部考核 rows of ``year`` / ``period``; a clear refusal when there are none."""
    frame = period_rows(ledger.frame_or_empty(schema.CADRE_RESULTS.name), year, period)
    if frame.empty:
        raise DataError(f"{period_label(year, period)}村干部和村民代表考核还没有计算结果，不能打印；{_score_hint(ledger, year, period)}")
    return frame


def sections(rows: pd.DataFrame, make) -> list[CadreSection]:
    """The printed sections, one per 类别, each row made by ``make``."""
    return [CadreSection(kind, [make(r) for r in records]) for kind, records in by_kind(rows.to_dict("records"))]
