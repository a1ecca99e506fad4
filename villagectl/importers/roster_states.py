"""What a roster's words say of a household: its 状态 as villages write it (在册, 已迁出, 死亡注销) and a 备注 saying
it has left — read by what the words hold, never by a list of whole cells (``importers/roster.py`` calls these)."""

from __future__ import annotations

import re

from villagectl.errors import Location, Problem
from villagectl.values import clean_name, clean_text


# 状态 as villages write it, by what the word holds: the first reading that fits, none when it says 不/未/非
_STATE_WORDS = (
    ("迁出", re.compile(r"(?<![拆搬])迁(?!入|回|来)|搬走|搬离")),  # 拆迁户 / 易地搬迁 stay in the village
    ("注销", re.compile(r"死亡|注销|去世|亡故|销户|已故")),
    ("暂停", re.compile(r"暂停")),
    ("正常", re.compile(r"正常|在册|在户|在村|在籍|现住|常住")),
)


# a death of one person of the household (户主已去世, 妻子死亡, 父亲病故注销): that person's, not the household's end
_PERSON_DEATH = re.compile(
    r"(?:户主|本人|配偶|妻子?|丈夫|老伴|[祖外]?[父母]亲?|[爷奶公婆]{2}|儿媳|媳妇|儿子?|女儿|[长次幼小]?[子女]|孙子?女?|"
    r"兄弟?|姐妹?|弟弟?|妹妹?|哥哥?|姐姐?|老人)[^,，;；。、]{0,8}?(?:死亡|去世|亡故|已故|病故|过世|逝世)(?:注销)?")


def state_reading(text: object) -> str | None:
    """What a 状态 / 备注 wording says of the household (在册 → 正常, 已迁出 / 迁往县城 → 迁出, 死亡注销 → 注销),
    None when it says none of them or more than one kind (迁出注销) or negates (未迁出). The death of a person it
    names (户主已去世，由儿子接任户主; 妻子死亡) says nothing of the household."""
    key = _PERSON_DEATH.sub(" ", clean_name(text))
    if not key.strip() or re.search(r"[不未非没无]", key):
        return None
    hits = [state for state, pattern in _STATE_WORDS if pattern.search(key)]
    return hits[0] if len(hits) == 1 else None


def read_state(values: dict[str, object], cells: dict[str, str], seen: dict[tuple[str, str], list[str]]) -> None:
    from villagectl.schema import HOUSEHOLD_STATES

    typed = clean_text(values.get("状态", ""))
    if not typed or typed in HOUSEHOLD_STATES:
        return
    state = state_reading(typed)
    if state is not None:  # else validate_record refuses it and says what it may be
        values["状态"] = state
        seen.setdefault((typed, state), []).append(cells.get("状态", ""))


def moved_out_note(values: dict[str, object], cells: dict[str, str], where: Location, problems: list[Problem]) -> None:
    """备注 saying the household has left (已迁出, 2025年已迁出县城, 迁往…) or is gone (死亡注销) while 状态 stays 正常."""
    note = values.get("备注", "")
    state = state_reading(note)
    if state not in ("迁出", "注销") or clean_text(values.get("状态", "")) not in ("", "正常"):
        return
    hid = clean_text(values.get("户号", ""))
    if state == "迁出":
        todo = ("如确已迁出，请用 villagectl transfer out 办理转出（积分随户转走），或在名册“状态”列写“迁出”后重新导入")
    else:
        todo = "如确已注销，请在名册“状态”列写“注销”后重新导入"
    problems.append(Problem(Location(where.file, where.sheet, cells.get("备注", "")),
                            f"户号 {hid} 的备注写着“{clean_text(note)}”，状态仍按“正常”导入；{todo}", "警告"))
