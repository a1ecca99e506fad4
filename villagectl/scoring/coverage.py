"""Is a month complete? Per group: who should be inspected, who was, who was listed blank, who is missing.

A household is *expected* when it is active in 户籍. It is *inspected* when it has a score that month,
*listed blank* when a returned sheet lists it with no score (外出, 住院: the grid worker saw it), and
*missing* when no imported sheet mentions it at all — a group whose sheet was refused or never came.
Only missing households make a month incomplete: posting them would lose their points for good.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from villagectl.ledger.households import is_active
from villagectl.values import clean_text, group_key


@dataclass
class GroupCoverage:
    group: str
    expected: int = 0
    inspected: int = 0
    blank: list[str] = field(default_factory=list)  # 户号 listed without scores
    missing: list[str] = field(default_factory=list)  # 户号 on no sheet

    def as_dict(self) -> dict:
        return {"group": self.group, "expected": self.expected, "inspected": self.inspected,
                "blank": self.blank, "missing": self.missing}


def month_coverage(households: pd.DataFrame, scored: set[str], listed_blank: set[str]) -> list[GroupCoverage]:
    """Groups in their natural order ('第二组' before '第十组')."""
    groups: dict[str, GroupCoverage] = {}
    for row in households.to_dict("records"):
        hid = clean_text(row.get("户号"))
        if not hid or not is_active(row.get("状态", "")):
            continue
        name = clean_text(row.get("组别", ""))
        cover = groups.setdefault(name, GroupCoverage(name))
        cover.expected += 1
        if hid in scored:
            cover.inspected += 1
        elif hid in listed_blank:
            cover.blank.append(hid)
        else:
            cover.missing.append(hid)
    return sorted(groups.values(), key=lambda g: (group_key(g.group).zfill(4), g.group))


def missing_households(coverage: list[GroupCoverage]) -> list[str]:
    return [h for g in coverage for h in g.missing]


def describe_missing(coverage: list[GroupCoverage], names: dict[str, str]) -> str:
    """'第四组 18 户全部未见检查表；第二组 ZP021 张三' — for messages."""
    parts = []
    for g in coverage:
        if not g.missing:
            continue
        if len(g.missing) == g.expected:
            parts.append(f"{g.group or '（未分组）'} {g.expected} 户都没有检查表")
        else:
            shown = "、".join(f"{h} {names.get(h, '')}".strip() for h in g.missing[:8])
            more = f" 等 {len(g.missing)} 户" if len(g.missing) > 8 else ""
            parts.append(f"{g.group or '（未分组）'} {shown}{more}")
    return "；".join(parts)
