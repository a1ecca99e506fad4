"""Award, deduction and veto events (积分事件) and their review path. Pure functions.

Path (seed 001 篇2, seed 002): 申报 → 初审 (grid worker) → 公示 → 审核 (cadre) → 入账.
Any state before 入账 may go to 驳回; a posted event is undone by a journal
reversal and marked 撤销. Only 入账 touches the journal.

Caps (规则 上限) are counted per household over the rule's window: a month
for 周期 月, a quarter for 季, a calendar year for 年 and 次 (per occurrence).
Events that were rejected or revoked do not count.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

import pandas as pd

from villagectl.errors import DataError
from villagectl import schema
from villagectl.ledger.households import find_household, is_active
from villagectl.ledger.journal import NewEntry
from villagectl.rules.catalogue import parse_rules
from villagectl.rules.presets import Rule
from villagectl.values import NotANumber, as_text, clean_name, clean_text, fmt_number, to_number

DECLARED, FIRST_REVIEW, NOTICE, APPROVED, POSTED, REJECTED, REVOKED = schema.EVENT_STATES
PATH = (DECLARED, FIRST_REVIEW, NOTICE, APPROVED, POSTED)
LIVE = frozenset(PATH)  # states that count towards caps
FREE_CODE = "自由"
ID_PREFIX = "E"


class EventRefused(ValueError):
    """A Chinese message saying why an event cannot be recorded or moved."""


@dataclass(frozen=True)
class NewEvent:
    household_id: str
    name: str
    date: dt.date
    rule: Rule | None  # None for a free-form award/deduction
    count: float
    points: float  # signed total for the event
    note: str
    member: str = ""
    source: str = ""


def event_points(rule: Rule, count: float) -> float:
    sign = -1 if rule.type == "扣分" else 1
    return 0.0 if rule.type == "否决" else round(sign * rule.points * count, 4)


def window(period: str, day: dt.date) -> tuple[dt.date, dt.date]:
    """The cap window of a rule's 周期 containing ``day``."""
    if period == "月":
        start = day.replace(day=1)
        end = (start + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
    elif period == "季":
        first_month = 3 * ((day.month - 1) // 3) + 1
        start = dt.date(day.year, first_month, 1)
        end = (dt.date(day.year + (first_month == 10), (first_month + 3 - 1) % 12 + 1, 1)) - dt.timedelta(days=1)
    else:
        start, end = dt.date(day.year, 1, 1), dt.date(day.year, 12, 31)
    return start, end


def window_label(period: str, day: dt.date) -> str:
    if period == "月":
        return f"{day.year}年{day.month}月"
    if period == "季":
        return f"{day.year}年第{(day.month - 1) // 3 + 1}季度"
    return f"{day.year}年"


def used_in_window(events: pd.DataFrame, household_id: str, rule: Rule, day: dt.date) -> float:
    """Points (absolute) the household already has from ``rule`` in the window of ``day``."""
    if events.empty:
        return 0.0
    start, end = window(rule.period, day)
    total = 0.0
    for row in events.to_dict("records"):
        if clean_text(row.get("户号")) != household_id or clean_text(row.get("编码")) != rule.code:
            continue
        if clean_text(row.get("状态")) not in LIVE:
            continue
        try:
            when = dt.date.fromisoformat(clean_text(row.get("日期")))
        except ValueError:
            continue
        if start <= when <= end:
            total += abs(_num(row.get("积分")) or 0.0)
    return round(total, 4)


def cap_problem(rule: Rule, points: float, already: float, day: dt.date) -> str | None:
    if rule.cap is None or rule.type == "否决":
        return None
    if already + abs(points) > rule.cap + 1e-9:
        left = max(rule.cap - already, 0)
        return (
            f"“{rule.item}”{window_label(rule.period, day)}上限 {fmt_number(rule.cap)} 分，已记 {fmt_number(already)} 分，"
            f"本次 {fmt_number(abs(points))} 分会超过上限（最多还能记 {fmt_number(left)} 分）"
        )
    return None


def next_event_ids(events: pd.DataFrame, n: int) -> list[str]:
    best = 0
    for value in events.get("事件号", []):
        text = clean_text(value)
        if text.startswith(ID_PREFIX) and text[1:].isdigit():
            best = max(best, int(text[1:]))
    return [f"{ID_PREFIX}{best + i:06d}" for i in range(1, n + 1)]


def append_events(events: pd.DataFrame, new: list[NewEvent], declared_by: str) -> tuple[pd.DataFrame, list[str]]:
    ids = next_event_ids(events, len(new))
    rows = []
    for event_id, e in zip(ids, new):
        rule = e.rule
        rows.append({
            "事件号": event_id,
            "日期": e.date.isoformat(),
            "户号": e.household_id,
            "户主": e.name,
            "成员": e.member,
            "编码": rule.code if rule else FREE_CODE,
            "项目": rule.item if rule else (e.note[:40] or "临时加扣分"),
            "类型": rule.type if rule else ("加分" if e.points >= 0 else "扣分"),
            "次数": e.count,
            "积分": e.points,
            "说明": e.note,
            "状态": DECLARED,
            "申报人": declared_by,
            "来源": e.source,
        })
    added = pd.DataFrame(rows, columns=schema.EVENTS.column_names, dtype=object)
    frame = pd.concat([events.reindex(columns=list(dict.fromkeys(list(events.columns) + schema.EVENTS.column_names))), added],
                      ignore_index=True) if len(events) else added
    return frame.astype(object).where(frame.notna(), ""), ids


def _num(value: object) -> float | None:
    try:
        return to_number(value)
    except NotANumber:
        return None


def move(events: pd.DataFrame, ids: list[str], to_state: str, fields: dict[str, object]) -> pd.DataFrame:
    """Move events one step along the path (or to 驳回); EventRefused names any that cannot move."""
    frame = events.copy()
    index_of = {clean_text(v): i for i, v in zip(frame.index, frame["事件号"])}
    problems = []
    for event_id in ids:
        if event_id not in index_of:
            problems.append(f"没有事件号 {event_id}")
            continue
        state = clean_text(frame.at[index_of[event_id], "状态"])
        if to_state == REJECTED:
            if state not in (DECLARED, FIRST_REVIEW, NOTICE, APPROVED):
                problems.append(f"{event_id} 当前状态为“{state}”，不能驳回")
            continue
        wanted = PATH[PATH.index(to_state) - 1]
        if state != wanted:
            problems.append(f"{event_id} 当前状态为“{state}”，要先“{wanted}”才能“{to_state}”")
    if problems:
        raise EventRefused("；".join(problems))
    for event_id in ids:
        i = index_of[event_id]
        frame.at[i, "状态"] = to_state
        for key, value in fields.items():
            frame.at[i, key] = value
    return frame


def ids_in_state(events: pd.DataFrame, state: str) -> list[str]:
    if events.empty:
        return []
    return [clean_text(v) for v, s in zip(events["事件号"], events["状态"]) if clean_text(s) == state]


def vetoed(events: pd.DataFrame, year: int) -> dict[str, list[str]]:
    """Households with a posted veto in ``year`` → the vetoed items (for the clerk, not the board)."""
    out: dict[str, list[str]] = {}
    if events.empty:
        return out
    for row in events.to_dict("records"):
        if clean_text(row.get("类型")) != "否决" or clean_text(row.get("状态")) != POSTED:
            continue
        if clean_text(row.get("日期"))[:4] == str(year):
            out.setdefault(clean_text(row["户号"]), []).append(clean_text(row.get("项目")))
    return out


# --- one new event checked against the ledger's rules, caps and roster (the command and the importer) ---
# ``ledger`` is a ledger/workbook.Ledger: only its frame() and settings() are read.


EVENT_TYPES = ("加分", "扣分", "否决")


def event_rules(ledger) -> dict[str, Rule]:
    rules, issues = parse_rules(ledger.frame(schema.RULES.name))
    if issues:
        raise DataError("“规则”表有问题，请先运行 villagectl check 查看并修正")
    return {r.code: r for r in rules if r.type in EVENT_TYPES}


def find_rule(rules: dict[str, Rule], text: str) -> Rule | None:
    key = clean_name(text).upper()
    if key in rules:
        return rules[key]
    for r in rules.values():
        if clean_name(r.item) == clean_name(text):
            return r
    return None


_NAME_PUNCT = re.compile(r"[\s、，,/／;；:：·.。“”\"'‘’《》<>\-—~～!！?？]+")
_BRACKETED = re.compile(r"[（(\[【][^）)\]】]*[）)\]】]")


def _name_key(text: object) -> str:
    """A rule name or a typed item for matching: NFKC, no spaces or punctuation."""
    return _NAME_PUNCT.sub("", clean_name(text))


def name_parts(item: str) -> list[str]:
    """The parts a rule's name can be written as: the name without its bracketed remark and each piece split
    at 、，/ (“GY03 无偿献血、捐资助学” → 无偿献血捐资助学, 无偿献血, 捐资助学; “志愿服务（每次）” → 志愿服务)."""
    bare = _BRACKETED.sub("", clean_name(item))
    pieces = [_name_key(x) for x in re.split(r"[、，,/／;；]", bare)]
    return list(dict.fromkeys(p for p in [_name_key(bare), *pieces] if p))


@dataclass(frozen=True)
class RuleReading:
    """How an item typed in a file reads as a rule: ``rule`` when one rule fits (``exact`` when the text is its
    code, name or the name up to spaces), else the ``candidates`` it could be (none, or several)."""

    rule: Rule | None
    exact: bool = False
    candidates: tuple[Rule, ...] = ()
    negated: tuple[Rule, ...] = ()  # rules whose name holds the text (or the text holds it) up to a negation


# A negation word (不 未 拒 没 无 非 禁 勿 …), after the compounds where the character negates nothing (无偿献血,
# 非常, 不断…): “赡养老人” inside “不赡养老人”, “参加村民会议” inside “拒不参加村民会议” mean the opposite.
_NOT_NEGATION = re.compile(r"无偿|无私|无害化|非常|不断|不仅|不少|禁毒")
_NEGATION = re.compile(r"[不未拒没无非禁勿莫]")


def negated(text: str) -> bool:
    """Whether a name key says “not …” (see _NEGATION)."""
    return bool(_NEGATION.search(_NOT_NEGATION.sub("", text)))


def negation_word(a: str, b: str) -> str:
    """The negation one of two name keys has and the other lacks (“不”, “拒不”), for messages."""
    for x, y in ((a, b), (b, a)):
        if negated(x) and not negated(y):
            m = re.search(r"[不未拒没无非禁勿莫]+", _NOT_NEGATION.sub("", x))
            return m.group(0) if m else ""
    return ""


def read_rule(rules: dict[str, Rule], text: str, kind: str | None = None) -> RuleReading:
    """The rule a typed item names: the code or the whole name; else the one rule of ``kind`` (加分/扣分/否决,
    None: any) whose name (or a part of it, see name_parts) contains the text, or whose name part the text
    contains (“志愿服务” for “志愿服务（每次）”, “乱堆乱放” for “乱倒垃圾、乱堆乱放”)."""
    exact = find_rule(rules, text)
    if exact is not None:
        return RuleReading(exact, True)
    key = _name_key(text)
    if not key:
        return RuleReading(None)
    for r in rules.values():
        if _name_key(r.item) == key:
            return RuleReading(r, True)
    kinds = [r for r in rules.values() if kind is None or r.type == kind]
    found, opposite = [], []
    for r in kinds:
        whole, parts = _name_key(r.item), name_parts(r.item)
        sides = [p for p in dict.fromkeys([whole, *parts]) if len(key) >= 2 and key in p]
        sides += [p for p in parts if len(p) >= 3 and p in key]
        if not sides:
            continue
        # a match is taken only where both sides agree on a negation (“家庭” in “家庭暴力”, not in “不赡养老人”)
        if any(negated(p) == negated(key) for p in sides):
            found.append(r)
        else:
            opposite.append(r)
    if len(found) == 1:
        return RuleReading(found[0])
    if len(found) > 1:  # one part equal to the text beats the names that only contain it
        same = [r for r in found if key in name_parts(r.item)]
        if len(same) == 1:
            return RuleReading(same[0])
    return RuleReading(None, False, tuple(found), () if found else tuple(opposite))


def file_rule_message(rules: dict[str, Rule], text: str, reading: RuleReading, column: str) -> str:
    """No single rule for the item typed in a file's ``column``: what it may be and what to write in the cell
    (never the whole rule list, nor the options of event add)."""
    if reading.negated and not reading.candidates:
        r = reading.negated[0]
        word = negation_word(_name_key(text), _name_key(r.item))
        listed = "、".join(f"{x.code} {x.item}" for x in reading.negated[:3])
        return (f"“{text}”和 {r.code} {r.item} 差了“{word}”，意思正相反，没有按它记；是不是 {listed}？"
                f"请在“{column}”格写编码（如 {r.code}）或完整名称")
    if reading.candidates:
        listed = "、".join(f"{r.code} {r.item}" for r in reading.candidates[:6]) + ("等" if len(reading.candidates) > 6 else "")
        return (f"“{text}”可能是 {listed}，分不清是哪一项；请在“{column}”格写完整的项目名称或编码"
                f"（如 {reading.candidates[0].code}）")
    if not rules:
        return (f"“规则”表里没有加分/扣分/否决项，找不到“{text}”；常用的事项请在“规则”表加一行"
                "（类型填 加分、扣分 或 否决，写上编码、项目和分值），规则以外的临时加扣分请在表中写上积分")
    import difflib

    names = {r.code: clean_name(r.item) for r in rules.values()}
    close = set(difflib.get_close_matches(clean_name(text), list(names.values()), n=3, cutoff=0.5))
    near = [r for r in rules.values() if names[r.code] in close][:3]
    guess = f"是不是 {'、'.join(f'{r.code} {r.item}' for r in near)}？" if near else ""
    return (f"规则中没有加分/扣分/否决项“{text}”；{guess}请在“{column}”格写“规则”表里的项目名称或编码，"
            "规则以外的临时加扣分请在“积分”列写上分值、事项写明原因")


def event_note(row) -> str:
    """An event's 说明 as typed; empty when it only repeats the 项目 (a free-form event's 项目 is its note)."""
    note, item = as_text(row.get("说明")), as_text(row.get("项目"))
    if clean_name(note) == clean_name(item):
        return ""
    if clean_text(row.get("编码")) == "自由" and item and note.startswith(item):
        return ""  # the 项目 is the note cut at 40 characters
    return note


def event_item(row) -> str:
    """An event's 项目 as typed; a free-form event's whole note (its 项目 is the note cut short)."""
    item = as_text(row.get("项目"))
    note = as_text(row.get("说明"))
    if clean_text(row.get("编码")) == "自由" and item and note.startswith(item):
        return note
    return item


def unknown_rule_message(rules: dict[str, Rule], text: str) -> str:
    """No such event rule: the close ones first, then what there is, or (none at all) how to go on."""
    import difflib

    if not rules:
        return (f"“规则”表里没有加分/扣分/否决项，找不到“{text}”。临时加扣分请用 --points 分值 --note 原因；"
                "常用的事项请在“规则”表加一行（类型填 加分、扣分 或 否决，写上编码、项目和分值）")
    names = {r.code: clean_name(r.item) for r in rules.values()}
    key = clean_name(text)
    close = difflib.get_close_matches(key, list(names.values()), n=3, cutoff=0.5)
    close += difflib.get_close_matches(key.upper(), list(names), n=3, cutoff=0.6)
    near = [r for r in rules.values() if names[r.code] in close or r.code in close or (key and key in names[r.code])]
    listed = "、".join(f"{r.code} {r.item}" for r in list(rules.values())[:30]) + ("……" if len(rules) > 30 else "")
    guess = f"是不是 {'、'.join(f'{r.code} {r.item}' for r in near[:3])}？" if near else ""
    return (f"规则中没有加分/扣分/否决项“{text}”；{guess}可用的有：{listed}"
            "（--rule 写编码或项目名称；规则以外的临时加扣分用 --points 和 --note）")


def free_cap(ledger) -> float:
    try:
        return to_number(ledger.settings().get("自由加分上限", "10")) or 10.0
    except NotANumber:
        return 10.0


def household_row(ledger, household: str) -> dict:
    """The household ``household`` names (户号 or 户主, see find_household), refused unless 正常."""
    row = find_household(ledger.frame(schema.HOUSEHOLDS.name), household)
    if not is_active(row.get("状态")):
        raise DataError(f"户号 {clean_text(row['户号'])}（{as_text(row['户主'])}）的状态是“{clean_text(row['状态'])}”，不能记积分")
    return row


def build_event(
    ledger,
    events: pd.DataFrame,
    household_id: str,
    rule_text: str | None,
    count: float,
    day: dt.date,
    note: str,
    member: str = "",
    points: float | None = None,
    source: str = "",
) -> NewEvent:
    """Validate one event against the rules, caps and the roster (EventRefused with the reason)."""
    hh = household_row(ledger, household_id)
    household_id = clean_text(hh["户号"])  # as the roster spells it
    if count <= 0 or not float(count).is_integer():
        raise EventRefused(f"次数 {fmt_number(count)} 应为正整数")
    if rule_text:
        rule = find_rule(event_rules(ledger), rule_text)
        if rule is None:
            raise EventRefused(unknown_rule_message(event_rules(ledger), rule_text))
        if points is not None:
            raise EventRefused("按规则记分时不要再给 --points（分值取自规则）")
        pts = event_points(rule, count)
        problem = cap_problem(rule, pts, used_in_window(events, household_id, rule, day), day)
        if problem:
            raise EventRefused(problem)
    else:
        if points is None:
            raise EventRefused("请用 --rule 指定规则编码，或用 --points 和 --note 记临时加扣分")
        if not note.strip():
            raise EventRefused("规则目录以外的临时加扣分必须写明原因（--note）")
        cap = free_cap(ledger)
        if points == 0 or abs(points) > cap + 1e-9:
            raise EventRefused(f"临时加扣分每次最多 {fmt_number(cap)} 分（参数“自由加分上限”），现为 {fmt_number(points)} 分")
        rule, pts = None, round(points, 4)
    member = clean_name(member)
    return NewEvent(household_id, as_text(hh.get("户主")), day, rule, count, pts, as_text(note), member, source)


def notice_still_running(events: pd.DataFrame, chosen: list[str], today: dt.date) -> str | None:
    """Why a chosen event in 公示 cannot be approved on ``today`` (its notice period has not ended), else None."""
    wanted = set(chosen)
    for row in events.to_dict("records"):
        if clean_text(row["事件号"]) in wanted and clean_text(row["状态"]) == NOTICE:
            end = clean_text(row.get("公示截止"))
            if end and today <= dt.date.fromisoformat(end):
                return f"{clean_text(row['事件号'])} 的公示期到 {end} 才结束，还不能审核；确需提前请加 --force"
    return None


def posting_entries(frame: pd.DataFrame, chosen: list[str]) -> list[tuple[object, NewEntry]]:
    """入账: (the event's index, its journal entry) for each chosen award or deduction; vetoes and
    events of no points carry no entry."""
    out = []
    for i in frame.index[frame["事件号"].map(clean_text).isin(chosen)]:
        row = frame.loc[i]
        points = to_number(row.get("积分")) or 0.0
        if clean_text(row["类型"]) == "否决" or not points:
            continue
        kind = schema.ENTRY_DEDUCTION if points < 0 else schema.ENTRY_AWARD
        count = to_number(row.get("次数")) or 1
        times = f"×{fmt_number(count)}" if count != 1 else ""
        summary = f"{event_item(row)}{times}（{clean_text(row['日期'])}）"
        if event_note(row):
            summary += f"：{event_note(row)}"
        out.append((i, NewEntry(clean_text(row["户号"]), kind, points, summary[:120], clean_text(row["事件号"]),
                                as_text(row.get("成员")))))
    return out


def revoke_refusal(entry_id: str, kind: str, false_claim: bool) -> str | None:
    """Why the journal entry ``entry_id`` of type ``kind`` cannot be revoked (as a false claim), else None."""
    if kind == schema.ENTRY_REDEEM:
        return f"流水 {entry_id} 是兑换记录，请用 villagectl redeem cancel 作废兑换单"
    if kind in (schema.ENTRY_TRANSFER_OUT, schema.ENTRY_TRANSFER_IN):
        return f"流水 {entry_id} 是积分转移，不能撤销"
    if false_claim and kind != schema.ENTRY_AWARD:
        return f"流水 {entry_id} 不是加分记录，不适用“虚假申报加倍扣分”"
    return None


def mark_revoked(events: pd.DataFrame, event_id: str, label: str, new_id: str) -> pd.DataFrame | None:
    """The events with ``event_id`` marked 撤销 (its 说明 saying why and the reversing entry); None when it is not there."""
    if not len(events) or event_id not in set(events["事件号"].map(clean_text)):
        return None
    frame = events.copy()
    i = frame.index[frame["事件号"].map(clean_text) == event_id][0]
    frame.at[i, "状态"] = REVOKED
    frame.at[i, "说明"] = f"{as_text(frame.at[i, '说明'])}（撤销：{label}，冲正流水 {new_id}）"
    return frame


def mark_rejected(frame: pd.DataFrame, chosen: list[str], reason: str) -> pd.DataFrame:
    """The 说明 of each chosen (already 驳回) event ends with why it was rejected (in place, and returned)."""
    why = f"驳回：{reason}" if reason else "驳回"
    for i in frame.index[frame["事件号"].map(clean_text).isin(chosen)]:
        note = as_text(frame.at[i, "说明"])
        frame.at[i, "说明"] = f"{note}（{why}）" if note else why
    return frame
