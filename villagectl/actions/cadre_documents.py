"""``notice cadre`` and ``notice commitments``: the cadre documents, built from the ledger.

- ``print_cadre_notice``: the public notice of the 干部考核 results for the
  board (and, with ``internal_pdf``, the internal results sheet for the town
  office). Printing the public notice opens the notice period, the same
  bookkeeping ``notice month`` does for a month: the 期间 sheet gets (or
  updates) the row ``"2026年度干部考核"`` (``"2026年上半年干部考核"`` …) with
  状态 公示, 公示开始 and 公示截止, and the period's 干部考核 rows get 状态 公示.
  A reprint of rows already 入账 changes nothing in the ledger.
- ``print_commitments``: the yearly 履职承诺 notice. It reads the ledger only.

Only printable values are handed to the renderers (see villagectl.render.cadre):
the public notice never gets pay, flags, vote counts, deductions, 备注 or phone
numbers; the internal sheet gets everything but phone numbers.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from villagectl.rules.settings import committee_of, objection_of
from villagectl.actions.cadre import period_name
from villagectl.actions.session import PrintOptions, Session
from villagectl.errors import DataError, Location, Problem, UsageError
from villagectl.io.outputs import guard_output
from villagectl.io.staged import StagedOutputs
from villagectl import schema
from villagectl.ledger.periods import DRAFT, NOTICE, POSTED, cadre_period, with_period
from villagectl.ledger.workbook import Ledger
from villagectl.render.cadre import (
    GRADES,
    KINDS,
    CadreInternal,
    CadreNotice,
    CadreSection,
    CommitmentNotice,
    CommitmentPerson,
    InternalRow,
    PublicRow,
    grade_counts,
    period_label,
    render_cadre_internal,
    render_cadre_notice,
    render_commitments,
)
from villagectl.scoring.cadre import CadreSettings
from villagectl.values import NotANumber, as_text, clean_name, clean_text, to_number

PERIOD_CODES = {"全年": "", "上半年": "H1", "下半年": "H2"}
DEFAULT_OBJECTION = "如对公示内容有异议，请在公示期内向村务监督委员会或村党组织反映。"
DEFAULT_SUPERVISION = (
    "以上承诺接受全体党员群众监督。如发现承诺人未履行承诺或有违反承诺的行为，"
    "请向村务监督委员会或村党组织反映；年终考核时对照承诺逐项检查。"
)


def notice_period_name(year: int, period: str) -> str:
    """The 期间 row of a cadre notice: ``"2026年度干部考核"``, ``"2026年上半年干部考核"``."""
    return cadre_period(year, period)


def _num(value: object) -> float | None:
    try:
        return to_number(value)
    except NotANumber:
        return None


def _int(value: object) -> int | None:
    n = _num(value)
    return round(n) if n is not None else None


def _printed_settings(ledger: Ledger) -> dict[str, str]:
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



def _output_paths(out_pdf: Path, internal_pdf: Path | None) -> None:
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
    frame = ledger.frame_or_empty(schema.CADRE_RESULTS.name)
    if len(frame):
        years = frame["年度"].map(clean_text)
        periods = frame["期间"].map(lambda p: clean_text(p) or "全年") if "期间" in frame.columns else "全年"
        frame = frame[(years == str(year)) & (periods == period)].reset_index(drop=True)
    if frame.empty:
        raise DataError(f"{period_label(year, period)}村干部和村民代表考核还没有计算结果，不能打印；{_score_hint(ledger, year, period)}")
    return frame


def rows_state(rows: pd.DataFrame) -> str:
    states = set(rows["状态"].map(clean_text)) if "状态" in rows.columns else set()
    for state in (POSTED, NOTICE, DRAFT):
        if state in states:
            return state
    return DRAFT


def _kind_order(kinds: list[str]) -> list[str]:
    present = list(dict.fromkeys(kinds))
    return [k for k in KINDS if k in present] + [k for k in present if k not in KINDS]


def _sections(rows: pd.DataFrame, make) -> list[CadreSection]:
    records = rows.to_dict("records")
    by_kind: dict[str, list] = {}
    for r in records:
        by_kind.setdefault(clean_text(r.get("类别")) or "其他", []).append(make(r))
    return [CadreSection(k, by_kind[k]) for k in _kind_order(list(by_kind))]


def _public(r: dict) -> PublicRow:
    return PublicRow(
        rank=_int(r.get("名次")),
        name=as_text(r.get("姓名")),
        post=as_text(r.get("职务")),
        scorecard=_num(r.get("指标得分")),
        democratic=_num(r.get("民主评议")),
        score=_num(r.get("综合得分")),
        grade=as_text(r.get("等次")),
    )


def _internal(r: dict) -> InternalRow:
    note = as_text(r.get("备注"))
    return InternalRow(
        rank=_int(r.get("名次")),
        person_id=as_text(r.get("编号")),
        name=as_text(r.get("姓名")),
        post=as_text(r.get("职务")),
        scorecard=_num(r.get("指标得分")),
        deductions=_num(r.get("负面扣分")),
        democratic=_num(r.get("民主评议")),
        score=_num(r.get("综合得分")),
        grade=as_text(r.get("等次")),
        votes_cast=_int(r.get("投票数")),
        unfit_votes=_int(r.get("不称职票")),
        flags=[f for f in clean_text(r.get("标记")).replace(",", "、").split("、") if f.strip()],
        pay=_num(r.get("考核报酬")),
        reasons=[x.strip() for x in note.split("；") if x.strip()] if note else [],
    )


def build_cadre_notice(ledger: Ledger, year: int, period: str, start: dt.date) -> CadreNotice:
    """The public notice's printable data (``period`` is 全年 / 上半年 / 下半年)."""
    settings = _printed_settings(ledger)
    rows = result_rows(ledger, year, period)
    days = ledger.village_settings().notice_days
    return CadreNotice(
        village=settings.get("村名", ""),
        year=year,
        period=period,
        sections=_sections(rows, _public),
        weight=CadreSettings.from_settings(ledger.settings()).weight,
        period_start=start,
        period_end=start + dt.timedelta(days=days - 1),
        objection_text=objection_of(settings, DEFAULT_OBJECTION),
        committee=committee_of(settings),
        issued=start,
    )


def build_cadre_internal(ledger: Ledger, year: int, period: str, issued: dt.date) -> CadreInternal:
    """The internal sheet's data: everything on the notice plus deductions, votes, flags, reasons and pay."""
    settings = _printed_settings(ledger)
    rows = result_rows(ledger, year, period)
    s = CadreSettings.from_settings(ledger.settings())
    return CadreInternal(
        village=settings.get("村名", ""),
        year=year,
        period=period,
        sections=_sections(rows, _internal),
        weight=s.weight,
        base_pay=s.base_pay,
        pay_factors=dict(s.pay_factors),
        state=rows_state(rows),
        committee=committee_of(settings),
        issued=issued,
    )


@dataclass
class CadreNoticeResult:
    year: int
    period: str
    pdf: Path
    internal_pdf: Path | None
    period_start: dt.date
    period_end: dt.date
    counts: dict[str, int]  # per 类别
    grades: dict[str, int]
    flagged: int  # people with 组织调整 / 停职教育 / 退出 (shown on the internal sheet only)
    pay_total: float | None  # only when the internal sheet was printed
    state_before: str
    reprint: bool
    recorded: bool  # the 期间 row was written (False for a reprint of posted results)

    def as_dict(self) -> dict:
        return {
            "year": self.year,
            "period": self.period,
            "notice_period": notice_period_name(self.year, self.period),
            "pdf": str(self.pdf),
            "internal_pdf": str(self.internal_pdf) if self.internal_pdf else None,
            "period_start": self.period_start.isoformat(),
            "period_end": self.period_end.isoformat(),
            "counts": self.counts,
            "grades": self.grades,
            "flagged": self.flagged,
            "pay_total": self.pay_total,
            "state_before": self.state_before,
            "reprint": self.reprint,
            "recorded": self.recorded,
        }


def print_cadre_notice(session: Session, year: int, *, period: str | None = None, out_pdf: Path,
                       start: dt.date | None = None, internal_pdf: Path | None = None,
                       printing: PrintOptions = PrintOptions()) -> CadreNoticeResult:
    """Print the public notice (and the internal sheet) and open the notice period of the results."""
    out_pdf = guard_output(out_pdf, session.path, "-o")
    internal_pdf = guard_output(internal_pdf, session.path, "--internal") if internal_pdf is not None else None
    _output_paths(out_pdf, internal_pdf)
    name = period_name(period)
    start = start or session.day()
    with StagedOutputs() as outs:
        with session.updating("notice cadre") as ledger:
            result = _print_cadre(ledger, year, name, start, out_pdf, internal_pdf, outs, printing)
        outs.publish()  # the documents appear only once the ledger has the notice period
    return result


def _print_cadre(ledger: Ledger, year: int, name: str, start: dt.date, out_pdf: Path, internal_pdf: Path | None,
                 outs: StagedOutputs, printing: PrintOptions) -> CadreNoticeResult:
    ledger.require(schema.SETTINGS.name)
    notice = build_cadre_notice(ledger, year, name, start)
    internal = build_cadre_internal(ledger, year, name, start) if internal_pdf is not None else None
    if internal is not None and internal.state != POSTED:
        internal.state = NOTICE  # printing the notice puts the results into their notice period
    settings = ledger.settings()
    templates_dir, font = printing.paths(ledger)
    render_cadre_notice(notice, outs.path(out_pdf), templates_dir=templates_dir, font=font)
    if internal is not None:
        render_cadre_internal(internal, outs.path(internal_pdf), templates_dir=templates_dir, font=font)
    rows = result_rows(ledger, year, name)
    state = rows_state(rows)
    flagged = sum(1 for f in rows["标记"].map(clean_text) if f) if "标记" in rows.columns else 0
    pay_total = None
    if internal is not None:
        pays = [_num(v) for v in rows["考核报酬"]] if "考核报酬" in rows.columns else []
        pay_total = round(sum(p for p in pays if p is not None), 2)
    result = CadreNoticeResult(
        year, name, out_pdf, internal_pdf, notice.period_start, notice.period_end,
        counts={s.kind: len(s.rows) for s in notice.sections},
        grades={**{g: 0 for g in GRADES}, **{g["grade"]: g["count"] for g in grade_counts([clean_text(x) for x in rows["等次"]])}},
        flagged=flagged, pay_total=pay_total, state_before=state, reprint=state == NOTICE, recorded=False,
    )
    if state == POSTED:
        return result  # a reprint of posted results changes nothing
    periods = with_period(ledger.frame(schema.PERIODS.name), notice_period_name(year, name), 状态=NOTICE,
                          公示开始=notice.period_start.isoformat(), 公示截止=notice.period_end.isoformat(),
                          经办人=settings.get("经办人", ""),
                          说明=f"村干部和村民代表考核结果公示（{len(rows)} 人）：{out_pdf.name}")
    ledger.replace(schema.PERIODS.name, periods)
    results = ledger.frame(schema.CADRE_RESULTS.name).copy()
    mine = (results["年度"].map(clean_text) == str(year)) & (results["期间"].map(lambda p: clean_text(p) or "全年") == name)
    results.loc[mine, "状态"] = NOTICE
    ledger.replace(schema.CADRE_RESULTS.name, results)
    ledger.note(f"{period_label(year, name)}干部考核结果公示 {notice.period_start}～{notice.period_end}：{out_pdf.name}")
    result.recorded = True
    return result


# --------------------------------------------------------------------------
# 履职承诺
# --------------------------------------------------------------------------


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
    settings = _printed_settings(ledger)
    sheet = ledger.frame(schema.COMMITMENTS.name)
    mine = sheet[sheet["年度"].map(clean_text) == str(year)] if len(sheet) else sheet
    mine = mine[mine["承诺内容"].map(clean_text) != ""] if len(mine) else mine
    if mine.empty:
        raise DataError(f"“履职承诺”表里没有 {year} 年的承诺，不能打印；请在台账“履职承诺”表按 年度、编号、姓名、"
                        f"类型（共性/个性）、承诺内容 填写 {year} 年每人的承诺后重试")
    cadres = ledger.frame(schema.CADRES.name)
    by_id: dict[str, dict] = {}
    by_name: dict[str, list[dict]] = {}
    order: dict[str, int] = {}
    for i, c in enumerate(cadres.to_dict("records")):
        pid = clean_text(c.get("编号"))
        if not pid:
            continue
        by_id[pid] = c
        by_name.setdefault(clean_name(c.get("姓名")), []).append(c)
        order[pid] = i
    problems: list[Problem] = []
    people: dict[str, CommitmentPerson] = {}
    for index, r in mine.iterrows():
        where = Location(ledger.path.name, schema.COMMITMENTS.name, f"第 {ledger.excel_row(schema.COMMITMENTS.name, index)} 行")
        pid, name = clean_text(r.get("编号")), clean_name(r.get("姓名"))
        if pid:
            person = by_id.get(pid)
            if person is None:
                problems.append(Problem(where, f"编号“{pid}”不在“干部”表中"))
                continue
            if name and name != clean_name(person.get("姓名")):
                problems.append(Problem(where, f"编号 {pid} 在“干部”表中是“{clean_text(person.get('姓名'))}”，这里写的是“{name}”"))
                continue
        else:
            hits = by_name.get(name, [])
            if len(hits) != 1:
                problems.append(Problem(where, f"“干部”表中{'没有' if not hits else '有不止一个'}叫“{name or '（空）'}”的人，请填写编号"))
                continue
            person = hits[0]
            pid = clean_text(person.get("编号"))
        kind = clean_text(r.get("类型"))
        if kind not in ("共性", "个性"):
            problems.append(Problem(where, f"类型“{kind}”无效，应为 共性 或 个性"))
            continue
        entry = people.setdefault(pid, CommitmentPerson(as_text(person.get("姓名")), as_text(person.get("职务")),
                                                         clean_text(person.get("类别")), [], []))
        (entry.common if kind == "共性" else entry.personal).append(as_text(r.get("承诺内容")))
    if problems:
        raise DataError(f"“履职承诺”表里 {year} 年的承诺有 {len(problems)} 处需要改正，没有打印", problems,
                        hint="在台账里改正后重试")
    kinds = _kind_order([p.kind for p in people.values()])
    ordered = sorted(people.items(), key=lambda kv: (kinds.index(kv[1].kind), order.get(kv[0], 0)))
    return CommitmentNotice(
        village=settings.get("村名", ""),
        year=year,
        people=[p for _, p in ordered],
        supervision_text=settings.get("承诺监督", "") or DEFAULT_SUPERVISION,
        committee=committee_of(settings),
        issued=issued,
    )


def print_commitments(ledger_path: Path, year: int, *, out_pdf: Path, issued: dt.date,
                      printing: PrintOptions = PrintOptions()) -> CommitmentsResult:
    """Print the commitments notice; the ledger is only read."""
    out_pdf = guard_output(out_pdf, ledger_path, "-o")
    _output_paths(out_pdf, None)
    ledger = Ledger.open(ledger_path)
    doc = build_commitments(ledger, year, issued)
    templates_dir, font = printing.paths(ledger)
    render_commitments(doc, out_pdf, templates_dir=templates_dir, font=font)
    counts: dict[str, int] = {}
    for p in doc.people:
        counts[p.kind] = counts.get(p.kind, 0) + 1
    return CommitmentsResult(year, out_pdf, len(doc.people),
                             sum(len(p.common) + len(p.personal) for p in doc.people), counts)
