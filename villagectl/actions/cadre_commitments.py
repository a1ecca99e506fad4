"""``notice commitments``: the yearly 履职承诺 notice. It reads the ledger only.

The rows are matched to the 干部 sheet by ``ledger/commitments.py``; a row that does not match is refused
with its row number and nothing is printed.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from villagectl import schema
from villagectl.actions.cadre_rows import check_output_paths, printed_settings
from villagectl.actions.session import PrintOptions
from villagectl.errors import DataError, Location
from villagectl.io.outputs import guard_output
from villagectl.ledger.commitments import match_commitments, year_commitments
from villagectl.ledger.workbook import Ledger
from villagectl.render.cadre import CommitmentNotice, CommitmentPerson, render_commitments
from villagectl.rules.settings import committee_of

DEFAULT_SUPERVISION = (
    "以上承诺接受全体党员群众监督。如发现承诺人未履行承诺或有违反承诺的行为，"
    "请向村务监督委员会或村党组织反映；年终考核时对照承诺逐项检查。"
)


@dataclass
class CommitmentsResult:
    year: int
    pdf: Path
    people: int
    commitments: int
    counts: dict[str, int] = field(default_factory=dict)  # per 类别

    def as_dict(self) -> dict:
        return {"year": self.year, "pdf": str(self.pdf), "people": self.people, "commitments": self.commitments,
                "counts": self.counts}


def build_commitments(ledger: Ledger, year: int, issued: dt.date) -> CommitmentNotice:
    """Each person's commitments of ``year``, with 职务 and 类别 from the 干部 sheet.

    A row is matched to a person by 编号, or (编号 blank) by 姓名. A row whose
    person is not in 干部, or whose 类型 is not 共性/个性, is an error with its
    row number; nothing is printed then.
    """
    ledger.require(schema.CADRES.name, schema.COMMITMENTS.name)
    settings = printed_settings(ledger)
    mine = year_commitments(ledger.frame(schema.COMMITMENTS.name), year)
    if mine.empty:
        raise DataError(f"“履职承诺”表里没有 {year} 年的承诺，不能打印；请在台账“履职承诺”表按 年度、编号、姓名、"
                        f"类型（共性/个性）、承诺内容 填写 {year} 年每人的承诺后重试")
    sheet = schema.COMMITMENTS.name
    rows = [(Location(ledger.path.name, sheet, f"第 {ledger.excel_row(sheet, index)} 行"), r)
            for index, r in mine.iterrows()]
    people, problems = match_commitments(rows, ledger.frame(schema.CADRES.name).to_dict("records"))
    if problems:
        raise DataError(f"“履职承诺”表里 {year} 年的承诺有 {len(problems)} 处需要改正，没有打印", problems,
                        hint="在台账里改正后重试")
    return CommitmentNotice(
        village=settings.get("村名", ""),
        year=year,
        people=[CommitmentPerson(p.name, p.post, p.kind, p.common, p.personal) for p in people],
        supervision_text=settings.get("承诺监督", "") or DEFAULT_SUPERVISION,
        committee=committee_of(settings),
        issued=issued,
    )


def print_commitments(ledger_path: Path, year: int, *, out_pdf: Path, issued: dt.date,
                      printing: PrintOptions = PrintOptions()) -> CommitmentsResult:
    """Print the commitments notice; the ledger is only read."""
    out_pdf = guard_output(out_pdf, ledger_path, "-o")
    check_output_paths(out_pdf, None)
    ledger = Ledger.open(ledger_path)
    doc = build_commitments(ledger, year, issued)
    templates_dir, font = printing.paths(ledger)
    render_commitments(doc, out_pdf, templates_dir=templates_dir, font=font)
    counts: dict[str, int] = {}
    for p in doc.people:
        counts[p.kind] = counts.get(p.kind, 0) + 1
    return CommitmentsResult(year, out_pdf, len(doc.people),
                             sum(len(p.common) + len(p.personal) for p in doc.people), counts)
