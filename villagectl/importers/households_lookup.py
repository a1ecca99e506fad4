"""Finding a household named in an imported sheet: by 户号, or by 户主 within the group."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from villagectl.values import clean_name, clean_text, group_key

ACTIVE = ("正常", "")


@dataclass
class Lookup:
    """The result: the household's row index, or the problems saying why not.

    Each problem is (which cell: "id" or "name", message, severity).
    """

    index: int | None = None
    problems: list[tuple[str, str, str]] = field(default_factory=list)


class Roster:
    def __init__(self, households: pd.DataFrame) -> None:
        self.records = households.to_dict("records") if len(households) else []
        self.ids = {clean_text(r.get("户号")): i for i, r in enumerate(self.records)}
        self.by_name: dict[str, list[int]] = {}
        for i, r in enumerate(self.records):
            self.by_name.setdefault(clean_name(r.get("户主")), []).append(i)

    def __getitem__(self, i: int) -> dict:
        return self.records[i]

    def group_name(self, key: str) -> str:
        """The roster's own spelling of a group ('第一组' for key '1')."""
        for record in self.records:
            if group_key(record.get("组别", "")) == key:
                return clean_text(record["组别"])
        return f"第{key}组" if key.isdigit() else key

    def find(self, household_id: str, name: str, group: str | None, purpose: str = "计分",
             inactive_warns: bool = False) -> Lookup:
        """``group`` is a group_key (or None when unknown).

        ``inactive_warns``: a household that moved out (状态 迁出 …) is skipped with a
        warning instead of refusing the sheet (inspection sheets printed before it moved).
        """
        name = clean_name(name)
        hid = clean_text(household_id).replace(" ", "")
        if hid:
            if hid not in self.ids:
                return Lookup(None, [("id", f"户号 {hid} 不在户籍表中", "错误")])
            i = self.ids[hid]
            hh = self.records[i]
            if clean_text(hh.get("状态", "正常")) not in ACTIVE:
                if inactive_warns:
                    return Lookup(None, [("id", f"户号 {hid}（{clean_text(hh['户主'])}）在户籍中的状态是“{clean_text(hh['状态'])}”，这一行不{purpose}，已跳过", "警告")])
                return Lookup(None, [("id", f"户号 {hid}（{clean_text(hh['户主'])}）在户籍中的状态是“{clean_text(hh['状态'])}”，不能{purpose}", "错误")])
            found = Lookup(i)
            if name and clean_name(hh["户主"]) != name:
                found.problems.append(
                    ("name", f"户主“{name}”与户籍中户号 {hid} 的户主“{clean_text(hh['户主'])}”不一致，按户号{purpose}", "警告")
                )
            return found
        if not name:
            return Lookup(None, [("name", "缺少户号和户主姓名", "错误")])
        candidates = [i for i in self.by_name.get(name, []) if clean_text(self.records[i].get("状态", "正常")) in ACTIVE]
        in_group = [i for i in candidates if group_key(self.records[i]["组别"]) == group] if group else candidates
        if len(in_group) == 1:
            return Lookup(in_group[0])
        if not in_group and inactive_warns:
            gone = [i for i in self.by_name.get(name, [])
                    if (not group or group_key(self.records[i]["组别"]) == group)
                    and clean_text(self.records[i].get("状态", "正常")) not in ACTIVE]
            if len(gone) == 1:
                hh = self.records[gone[0]]
                return Lookup(None, [("name", f"{clean_text(hh['户主'])}（{clean_text(hh['户号'])}）在户籍中的状态是“{clean_text(hh['状态'])}”，这一行不{purpose}，已跳过", "警告")])
        if not in_group:
            where = self.group_name(group) if group else "户籍"
            others = "、".join(f"{clean_text(self.records[i]['组别'])} {clean_text(self.records[i]['户号'])}" for i in candidates)
            hint = f"（其他组有同名户主：{others}）" if others else ""
            return Lookup(None, [("name", f"{where}中没有户主“{name}”{hint}", "错误")])
        listed = "、".join(f"{clean_text(self.records[i]['户号'])}（{clean_text(self.records[i]['组别'])}）" for i in in_group)
        several_groups = len({group_key(self.records[i]["组别"]) for i in in_group}) > 1
        hint = "请在表中加一列户号，或用 --group 指明组别" if several_groups else "请在表中加一列户号"
        return Lookup(None, [("name", f"户主“{name}”有 {len(in_group)} 户同名：{listed}；{hint}", "错误")])
