"""Finding a household named in an imported sheet: by 户号, or by 户主 within the group."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import pandas as pd

from villagectl.errors import Location, Problem
from villagectl.ledger.households import group_names, is_active, nearest_ids
from villagectl.values import as_text, clean_name, clean_text, group_key, id_key



@dataclass
class Lookup:
    """The result: the household's row index, or the problems saying why not.

    Each problem is (which cell: "id" or "name", message, severity).
    """

    index: int | None = None
    problems: list[tuple[str, str, str]] = field(default_factory=list)


class Roster:
    def __init__(self, households: pd.DataFrame, group_option: bool = False) -> None:
        """``group_option``: the command has a --group option (inspect import), named when names collide."""
        self.group_option = group_option
        self._bare_ids: dict[str, list[int]] | None = None
        self.frame = households
        self.records = households.to_dict("records") if len(households) else []
        self.ids = {id_key(r.get("户号")): i for i, r in enumerate(self.records)}  # zp006 / ＺＰ００６ = ZP006
        self.groups = {group_key(r.get("组别", "")) for r in self.records} - {""}
        self.not_found: set[str] = set()  # the messages saying a row's household is not in the roster
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
            spelled = None
            if id_key(hid) not in self.ids:
                spelled = self._same_id_other_marks(hid, name)
                if spelled is None:
                    return self._missing("id", f"户号 {hid} 不在户籍表中{self._id_hint(hid, name, group)}")
            i = self.ids[id_key(hid)] if spelled is None else spelled
            hh = self.records[i]
            if not is_active(hh.get("状态", "正常")):
                if inactive_warns:
                    return Lookup(None, [("id", f"户号 {hid}（{clean_text(hh['户主'])}）在户籍中的状态是“{clean_text(hh['状态'])}”，这一行不{purpose}，已跳过", "警告")])
                return Lookup(None, [("id", f"户号 {hid}（{clean_text(hh['户主'])}）在户籍中的状态是“{clean_text(hh['状态'])}”，不能{purpose}", "错误")])
            found = Lookup(i)
            if spelled is not None:
                found.problems.append(("id", f"户号 {hid} 按户籍中的 {clean_text(hh['户号'])}（{clean_text(hh['户主'])}）{purpose}"
                                             "（写法多了或少了连字符、点之类的符号，户主相同）", "提醒"))
            if name and clean_name(hh["户主"]) != name:
                found.problems.append(
                    ("name", f"户主“{name}”与户籍中户号 {hid} 的户主“{clean_text(hh['户主'])}”不一致，按户号{purpose}", "警告")
                )
            return found
        if not name:
            return Lookup(None, [("name", "缺少户号和户主姓名", "错误")])
        candidates = [i for i in self.by_name.get(name, []) if is_active(self.records[i].get("状态", "正常"))]
        in_group = [i for i in candidates if group_key(self.records[i]["组别"]) == group] if group else candidates
        if len(in_group) == 1:
            return Lookup(in_group[0])
        if not in_group and inactive_warns:
            gone = [i for i in self.by_name.get(name, [])
                    if (not group or group_key(self.records[i]["组别"]) == group)
                    and not is_active(self.records[i].get("状态", "正常"))]
            if len(gone) == 1:
                hh = self.records[gone[0]]
                return Lookup(None, [("name", f"{clean_text(hh['户主'])}（{clean_text(hh['户号'])}）在户籍中的状态是“{clean_text(hh['状态'])}”，这一行不{purpose}，已跳过", "警告")])
        if not in_group and group and group not in self.groups:
            have = "、".join(group_names(self.frame)) or "（户籍里没有填组别）"
            return self._missing("name", f"本村户籍中没有{self.group_name(group)}（户籍中的组：{have}），户主“{name}”找不到")
        if not in_group:
            where = self.group_name(group) if group else "户籍"
            others = "、".join(f"{clean_text(self.records[i]['组别'])} {clean_text(self.records[i]['户号'])}" for i in candidates)
            hint = f"（其他组有同名户主：{others}）" if others else ""
            return self._missing("name", f"{where}中没有户主“{name}”{hint}")
        listed = "、".join(f"{clean_text(self.records[i]['户号'])}（{clean_text(self.records[i]['组别'])}）" for i in in_group)
        several_groups = len({group_key(self.records[i]["组别"]) for i in in_group}) > 1
        hint = ("请在表中加一列户号，或用 --group 指明组别" if self.group_option else "请在表中加一列户号或组别") \
            if several_groups else "请在表中加一列户号"
        return Lookup(None, [("name", f"户主“{name}”有 {len(in_group)} 户同名：{listed}；{hint}", "错误")])

    def _same_id_other_marks(self, hid: str, name: str) -> int | None:
        """The household whose 户号 is ``hid`` but for its marks ('ZP-035' / 'ZP.035' for ZP035), when exactly one
        is, and the row's 户主 is that household's: the head confirms it (never a guess between two ids)."""
        key = _bare_id(hid)
        if not name or not key:
            return None
        if self._bare_ids is None:
            self._bare_ids = {}
            for i, record in enumerate(self.records):
                self._bare_ids.setdefault(_bare_id(record.get("户号")), []).append(i)
        hits = self._bare_ids.get(key, [])
        if len(hits) == 1 and clean_name(self.records[hits[0]].get("户主")) == name:
            return hits[0]
        return None

    def _missing(self, target: str, message: str) -> Lookup:
        self.not_found.add(message)
        return Lookup(None, [(target, message, "错误")])

    def _id_hint(self, hid: str, name: str, group: str | None) -> str:
        """What the clerk probably meant: the household the same row's name gives, else the nearest 户号."""
        named = [r for r in self.records if name and clean_name(r.get("户主")) == name]
        if group and len(named) > 1:
            named = [r for r in named if group_key(r.get("组别", "")) == group] or named
        if len(named) == 1:
            return f"；同一行户主是{as_text(named[0].get('户主'))}，户号 {clean_text(named[0].get('户号'))}？"
        close = nearest_ids(self.frame, hid, group)
        if close:
            return "；相近的户号：" + "、".join(
                f"{clean_text(r.get('户号'))}（{as_text(r.get('户主'))}）" for r in close)
        return ""


def _bare_id(value: object) -> str:
    """A 户号 without its marks (ZP-035, ZP.035, ZP_035 → ZP035), for one comparison only."""
    return re.sub(r"[-‐‑–—－_.·/\\]", "", id_key(value))


# --------------------------------------------------------------------------
# A batch from another village
# --------------------------------------------------------------------------

_VILLAGE_RE = re.compile(r"([\u4e00-\u9fff]{1,4}?村)(?![民委务规级庄组干部务])")
_PLACE_PREFIX = re.compile(r"^.*[省市县区镇乡]")


def villages_named(text: str) -> list[str]:
    """Village names ('下湾村') written in a title or file name."""
    out = []
    for m in _VILLAGE_RE.finditer(clean_text(text)):
        name = _PLACE_PREFIX.sub("", m.group(1))
        if len(name) >= 2 and name[-2] not in "本全各该我邻外他此每" and not name.endswith(("行政村", "自然村")):
            out.append(name)
    return list(dict.fromkeys(out))


def other_village(texts: list[str], village: str) -> str | None:
    """The village the titles / file name name, when it is not ``village`` (and ``village`` is not named)."""
    own = clean_name(village)
    if not own:
        return None
    joined = " ".join(texts)
    if own in clean_name(joined) or (own.endswith("村") and len(own) > 2 and own[:-1] in clean_name(joined)):
        return None
    named = [v for v in villages_named(joined) if v != own]
    return named[0] if named else None


def collapse_not_found(problems: list[Problem], roster: Roster, file: str, texts: list[str], village: str,
                       matched: int) -> list[Problem]:
    """Most rows of a file not in the roster: one problem instead of one per row.

    When the titles or the file name name another village, the message says so (the file belongs to
    that village's ledger); else it says how many rows and which, and that the batch may not be this
    village's. A few unknown rows among known ones stay one problem each.
    """
    missing = [p for p in problems if p.message in roster.not_found and p.severity == "错误"]
    if len(missing) < 3 or len(missing) <= matched:  # ``matched``: the file's rows that were found
        return problems
    cells = [p.location.cell for p in missing if p.location.cell]
    shown = "、".join(cells[:8]) + ("……" if len(cells) > 8 else "")
    where = f"（{shown}）" if shown else ""
    sheets = list(dict.fromkeys(p.location.sheet for p in missing if p.location.sheet))
    other = other_village(texts + [file], village)
    if other:
        message = (f"这份表像是{other}的（标题或文件名写着“{other}”），本台账是{clean_name(village)}的："
                   f"{len(missing)} 行的户都不在本村户籍中{where}。请确认是不是发错了文件，或用{other}的台账导入")
    else:
        message = (f"{len(missing)} 行的户都不在本村户籍中{where}，这批表可能不是本村的；"
                   "请核对文件，或先用 villagectl households import 导入花名册")
    one = Problem(Location(file, sheets[0] if len(sheets) == 1 else ""), message)
    out, placed = [], False
    for p in problems:
        if p in missing:
            if not placed:
                out.append(one)
                placed = True
            continue
        out.append(p)
    return out
