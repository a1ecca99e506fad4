"""The 履职承诺 rows of a year matched to the 干部 sheet (pure: records in, people and problems out).

A row is matched to a person by 编号, or (编号 blank) by 姓名. A row whose person is not in 干部, or whose
类型 is not 共性/个性, is a problem with its row number; the caller prints nothing then.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from villagectl.errors import Location, Problem
from villagectl.ledger.cadre_results import kind_order
from villagectl.values import as_text, clean_name, clean_text

COMMON, PERSONAL = "共性", "个性"


@dataclass
class PersonCommitments:
    person_id: str
    name: str  # as typed in 干部
    post: str
    kind: str  # 类别: 村干部 / 村民代表
    common: list[str] = field(default_factory=list)  # 共性承诺, as typed
    personal: list[str] = field(default_factory=list)  # 个性承诺


def year_commitments(sheet: pd.DataFrame, year: int) -> pd.DataFrame:
    """The 履职承诺 rows of ``year`` with something written in 承诺内容 (the index kept, for row numbers)."""
    mine = sheet[sheet["年度"].map(clean_text) == str(year)] if len(sheet) else sheet
    return mine[mine["承诺内容"].map(clean_text) != ""] if len(mine) else mine


def match_commitments(rows: list[tuple[Location, dict]],
                      cadres: list[dict]) -> tuple[list[PersonCommitments], list[Problem]]:
    """Each person's commitments (ordered by 类别, then by their place in 干部) and the rows' problems."""
    by_id: dict[str, dict] = {}
    by_name: dict[str, list[dict]] = {}
    order: dict[str, int] = {}
    for i, c in enumerate(cadres):
        pid = clean_text(c.get("编号"))
        if not pid:
            continue
        by_id[pid] = c
        by_name.setdefault(clean_name(c.get("姓名")), []).append(c)
        order[pid] = i
    problems: list[Problem] = []
    people: dict[str, PersonCommitments] = {}
    for where, r in rows:
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
        if kind not in (COMMON, PERSONAL):
            problems.append(Problem(where, f"类型“{kind}”无效，应为 共性 或 个性"))
            continue
        entry = people.setdefault(pid, PersonCommitments(pid, as_text(person.get("姓名")), as_text(person.get("职务")),
                                                         clean_text(person.get("类别"))))
        (entry.common if kind == COMMON else entry.personal).append(as_text(r.get("承诺内容")))
    kinds = kind_order([p.kind for p in people.values()])
    ordered = sorted(people.values(), key=lambda p: (kinds.index(p.kind), order.get(p.person_id, 0)))
    return ordered, problems
