"""Household records (户籍): field normalisation, validation, and merging a roster in.

Pure functions; the roster importer and ``check`` both use them.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover - is_active is used by the roll-up's workers, which never import pandas
    import pandas as pd

from villagectl import schema
from villagectl.values import NotANumber, as_text, clean_name, clean_text, group_key, id_key, to_int

ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK_CHARS = "10X98765432"
MOBILE_RE = re.compile(r"1[3-9]\d{9}")
LANDLINE_RE = re.compile(r"(0\d{2,3}-?)?[2-9]\d{6,7}(-\d{1,5})?")

FIELDS = schema.HOUSEHOLDS.column_names
DEFAULTS = {"户类型": "普通户", "状态": "正常"}


def id_check_char(first17: str) -> str:
    total = sum(int(d) * w for d, w in zip(first17, ID_WEIGHTS))
    return ID_CHECK_CHARS[total % 11]


def id_number_problem(raw: object) -> str | None:
    """None when blank or a valid 18-digit 身份证号; else the problem in Chinese."""
    if isinstance(raw, float):
        return "身份证号被 Excel 存成了数字，末几位已丢失；请把该列设为“文本”格式后重新录入"
    text = clean_name(raw).upper()
    if not text:
        return None
    if re.fullmatch(r"\d{15}", text):
        return "这是15位旧身份证号，请换成18位身份证号"
    if not re.fullmatch(r"\d{17}[\dX]", text):
        return f"身份证号应为18位（最后一位可为X），现为“{text}”（{len(text)}位）"
    try:
        born = dt.date(int(text[6:10]), int(text[10:12]), int(text[12:14]))
    except ValueError:
        return f"身份证号中的出生日期 {text[6:14]} 不存在"
    if born.year < 1880 or born > dt.date.today():
        return f"身份证号中的出生日期 {text[6:14]} 不合理"
    expected = id_check_char(text[:17])
    if text[17] != expected:
        return f"身份证号校验位错误（按前17位应为 {expected}，实为 {text[17]}），请核对是否录错"
    return None


def normalize_id_number(raw: object) -> str:
    return clean_name(raw).upper()


def normalize_phone(raw: object) -> str:
    text = clean_name(raw)
    return text.replace("—", "-").replace("－", "-")


def phone_problem(raw: object) -> str | None:
    text = normalize_phone(raw)
    if not text:
        return None
    for part in re.split(r"[/、,;，；]", text):
        digits = part.replace("-", "") if part.startswith("1") else part
        if MOBILE_RE.fullmatch(digits) or LANDLINE_RE.fullmatch(part):
            continue
        return f"联系电话“{text}”格式不对（手机号为1开头的11位数字，座机如0371-62345678）"
    return None


@dataclass
class HouseholdRecord:
    """One household as read from a roster: normalised values and where each came from."""

    values: dict[str, object]
    cells: dict[str, str] = field(default_factory=dict)  # field -> 'B7'
    sheet: str = ""
    file: str = ""
    row: int = 0  # Excel row number
    raw: list = field(default_factory=list)  # the row as it was, for error workbooks


def normalize_record(values: dict[str, object]) -> dict[str, object]:
    out: dict[str, object] = {}
    for key, raw in values.items():
        if key == "户号":
            out[key] = clean_text(raw).replace(" ", "")
        elif key in ("户主", "组别", "户类型", "状态"):
            out[key] = clean_name(raw)
        elif key == "身份证号":
            out[key] = raw if isinstance(raw, float) else normalize_id_number(raw)
        elif key == "联系电话":
            out[key] = normalize_phone(raw)
        elif key in ("人口", "参评人数"):
            out[key] = raw if isinstance(raw, (int, float)) else clean_text(raw)
        else:
            out[key] = as_text(raw)
    return out


def validate_record(values: dict[str, object], allowed_types: tuple[str, ...]) -> list[tuple[str, str]]:
    """(field, message) for every problem in one household's values."""
    problems: list[tuple[str, str]] = []
    if not clean_text(values.get("户号", "")):
        problems.append(("户号", "缺少户号"))
    if "户主" in values and not clean_text(values.get("户主", "")):
        problems.append(("户主", "缺少户主姓名"))
    size = None
    for key in ("人口", "参评人数"):
        if key not in values or clean_text(values[key]) == "":
            continue
        try:
            number = to_int(values[key])
        except NotANumber:
            problems.append((key, f"{key}“{clean_text(values[key])}”应为整数"))
            continue
        if number is None or number < (1 if key == "人口" else 0):
            problems.append((key, f"{key} {number} 不合理"))
            continue
        if key == "人口":
            size = number
        elif size is not None and number > size:
            problems.append((key, f"参评人数 {number} 超过家庭人口 {size}"))
    kind = clean_text(values.get("户类型", ""))
    if kind and kind not in allowed_types:
        problems.append(("户类型", f"户类型“{kind}”不在允许的取值中（{'、'.join(allowed_types)}）"))
    state = clean_text(values.get("状态", ""))
    if state and state not in schema.HOUSEHOLD_STATES:
        problems.append(("状态", f"状态“{state}”无效，应为 {'、'.join(schema.HOUSEHOLD_STATES)}"))
    if "身份证号" in values:
        msg = id_number_problem(values["身份证号"])
        if msg:
            problems.append(("身份证号", msg))
    if "联系电话" in values:
        msg = phone_problem(values["联系电话"])
        if msg:
            problems.append(("联系电话", msg))
    return problems


def allowed_household_types(settings: dict[str, str]) -> tuple[str, ...]:
    text = settings.get("户类型", "")
    items = tuple(t for t in (clean_name(x) for x in re.split(r"[、,，;；\s]+", text)) if t)
    return items or schema.HOUSEHOLD_TYPES


@dataclass
class Change:
    household_id: str
    field: str
    old: str
    new: str


@dataclass
class MergeResult:
    frame: pd.DataFrame
    added: list[str]
    changes: list[Change]
    unchanged: int

    @property
    def changed_ids(self) -> list[str]:
        return list(dict.fromkeys(c.household_id for c in self.changes))


def _comparable(key: str, value: object) -> str:
    if key in ("人口", "参评人数"):
        try:
            number = to_int(value)
            return "" if number is None else str(number)
        except NotANumber:
            return clean_text(value)
    return clean_text(value)


def merge_households(existing: pd.DataFrame, records: list[dict[str, object]]) -> MergeResult:
    """Insert new households and update changed fields by 户号.

    A blank cell in the roster leaves the ledger's value as it is, and columns
    the roster does not have are never touched.
    """
    frame = existing.copy()
    for col in FIELDS:
        if col not in frame.columns:
            frame[col] = ""
    ids = frame["户号"].map(id_key).tolist()  # a roster's zp006 / ＺＰ００６ updates ZP006
    index_of = {hid: i for i, hid in enumerate(ids) if hid}
    added: list[str] = []
    changes: list[Change] = []
    unchanged = 0
    new_rows: list[dict[str, object]] = []
    for values in records:
        hid = clean_text(values["户号"])
        if id_key(hid) in index_of:
            i = index_of[id_key(hid)]
            hid = clean_text(frame.at[frame.index[i], "户号"])  # the ledger's spelling
            before = len(changes)
            for key, value in values.items():
                if key == "户号" or clean_text(value) == "":
                    continue
                old = frame.at[frame.index[i], key]
                if _comparable(key, old) != _comparable(key, value):
                    changes.append(Change(hid, key, clean_text(old), clean_text(value)))
                    frame.at[frame.index[i], key] = _stored(key, value)
            if len(changes) == before:
                unchanged += 1
        else:
            row = {col: "" for col in frame.columns}
            for key, value in values.items():
                row[key] = _stored(key, value)
            for key, default in DEFAULTS.items():
                if not clean_text(row.get(key, "")):
                    row[key] = default
            if not clean_text(row.get("参评人数", "")) and clean_text(row.get("人口", "")):
                row["参评人数"] = _stored("参评人数", row["人口"])
            new_rows.append(row)
            index_of[id_key(hid)] = -1
            added.append(hid)
    if new_rows:
        import pandas as pd

        frame = pd.concat([frame, pd.DataFrame(new_rows, columns=frame.columns, dtype=object)], ignore_index=True)
    return MergeResult(frame, added, changes, unchanged)


def _stored(key: str, value: object) -> object:
    if key in ("人口", "参评人数"):
        try:
            number = to_int(value)
            return "" if number is None else number
        except NotANumber:
            return clean_text(value)
    return value


# --------------------------------------------------------------------------
# Finding one household from what a person typed (--household, a sheet's cell)
# --------------------------------------------------------------------------

GROUP_WORD = r"第?[0-9一二三四五六七八九十两〇零]+(?:村民小组|小组|组|网格)"  # a group as written: 第三组, 3组, 二村民小组
_GROUP_FIRST = re.compile(rf"^({GROUP_WORD})(.+)$")
_GROUP_AFTER = re.compile(r"^(.+?)[（(](.+)[)）]$")
HOUSEHOLD_FORMS = "户号（如 ZP006，大小写、全角半角都行）、户主姓名（如 张三），同名时加组别（第二组张三 或 张三@第二组）"


def split_name_and_group(text: str) -> tuple[str, str]:
    """'张三@第二组' / '第二组张三' / '第二组 张三' / '张三（第二组）' → ('张三', '第二组'); no group → (name, '')."""
    text = as_text(text)
    for sep in ("@", "＠"):
        if sep in text:
            name, _, group = text.partition(sep)
            return clean_name(name), clean_name(group)
    m = _GROUP_FIRST.match(clean_name(text))
    if m:
        return m.group(2), m.group(1)
    m = _GROUP_AFTER.match(clean_name(text))
    if m:
        return clean_name(m.group(1)), clean_name(m.group(2))
    return clean_name(text), ""


def group_names(households: pd.DataFrame) -> list[str]:
    """The village's groups as the roster spells them, in roster order (one spelling per group_identity)."""
    seen: dict[str, str] = {}
    for g in households.get("组别", ()):
        name = clean_text(g)
        if name and group_key(name) not in seen:
            seen[group_key(name)] = name
    return list(seen.values())


def _label(row: dict) -> str:
    group = clean_text(row.get("组别", ""))
    return f"{clean_text(row.get('户号'))}（{as_text(row.get('户主'))}{'，' + group if group else ''}）"


def nearest_ids(households: pd.DataFrame, text: str, group: str | None = None, limit: int = 3) -> list[dict]:
    """Rows whose 户号 is one or two edits from ``text`` (closest first; same group first when given)."""
    from villagectl.values import edit_distance, id_key

    key = id_key(text)
    if not key:
        return []
    scored = []
    for pos, row in enumerate(households.to_dict("records")):
        other = id_key(row.get("户号"))
        if not other:
            continue
        d = edit_distance(key, other)
        if d <= max(1, min(2, len(key) // 3)):
            same = group is not None and group_key(row.get("组别", "")) == group
            prefix = key.startswith(other) or other.startswith(key)  # a digit typed twice, or one left out
            scored.append((d, not same, not prefix, pos, row))
    best = min((t[0] for t in scored), default=0)
    return [t[-1] for t in sorted((t for t in scored if t[0] == best), key=lambda t: t[:4])[:limit]]


def nearest_names(households: pd.DataFrame, name: str, limit: int = 3) -> list[dict]:
    from villagectl.values import edit_distance

    name = clean_name(name)
    if len(name) < 2:
        return []
    scored = []
    for pos, row in enumerate(households.to_dict("records")):
        other = clean_name(row.get("户主"))
        if other and len(other) == len(name) and edit_distance(name, other) == 1:
            scored.append((pos, row))
    return [r for _, r in scored[:limit]]


def find_household(households: pd.DataFrame, text: str, option: str = "--household") -> dict:
    """The one household ``text`` names: a 户号 (case- and width-insensitive) or a 户主 name, with its group
    when names repeat ('第二组张三', '张三@第二组', '张三（第二组）'). Returns the row (its 户号 as the roster has it);
    DataError saying what was found instead: the nearest 户号, namesakes in other groups, a group the village has not.
    The household's 状态 is not checked here (the command decides)."""
    from villagectl.errors import DataError, UsageError
    from villagectl.values import id_key

    typed = as_text(text)
    if not typed:
        raise UsageError(f"请用 {option} 给出{HOUSEHOLD_FORMS}")
    key = id_key(typed)
    if len(households) and "户号" in households.columns:
        hits = [i for i, v in enumerate(households["户号"].tolist()) if id_key(v) == key]
        if hits:
            return households.iloc[hits[0]].to_dict()
    records = households.to_dict("records") if len(households) else []
    name, group = split_name_and_group(typed)
    if group:
        wanted = group_key(group)
        groups = group_names(households)
        if wanted not in {group_key(g) for g in groups}:
            raise DataError(f"本村没有“{group}”：户籍中的组是 {'、'.join(groups) or '（户籍里没有填组别）'}")
    named = [r for r in records if clean_name(r.get("户主")) == name] if name else []
    hits = [r for r in named if group_key(r.get("组别", "")) == group_key(group)] if group else named
    if len(hits) == 1:
        return hits[0]
    if len(hits) > 1:
        listed = "、".join(_label(r) for r in hits)
        if len({group_key(r.get("组别", "")) for r in hits}) > 1:
            g = clean_text(hits[0].get("组别", ""))
            how = f"请用户号，或写上组别，如 {option} {g}{name}"
        else:
            how = "同一组里也同名，请用户号"
        raise DataError(f"户主“{name}”有 {len(hits)} 户：{listed}；{how}")
    if named:  # the name exists, in other groups
        raise DataError(f"{group}没有户主“{name}”；同名的在：{'、'.join(_label(r) for r in named)}")
    close = nearest_ids(households, typed) + nearest_names(households, name)
    what = f"户号 {typed} 不在户籍中" if re.search(r"[0-9A-Z]", key) else f"户籍中没有户主“{typed}”"
    if close:
        raise DataError(f"{what}；是不是 {'、'.join(dict.fromkeys(_label(r) for r in close))}？")
    raise DataError(f"{what}（{option} 可写{HOUSEHOLD_FORMS}；全部户号可用 villagectl balance 台账.xlsx 查看）")


def is_active(state: object) -> bool:
    """A household in the village today: 状态 正常 (or left empty)."""
    return clean_text(state) in ("正常", "")


@dataclass(frozen=True)
class YearPresence:
    """Who was in the village in a year, as it was then (issue: people who move)."""

    during: frozenset[str]  # in the village at some time in the year: the year's 全村N户
    at_end: frozenset[str]  # still there at its end: the ones a year's rating can award


def year_presence(households: pd.DataFrame, journal: pd.DataFrame, monthly: pd.DataFrame, year: int) -> YearPresence:
    """The year's households from 户籍 today and the dates the ledger holds.

    An active household counts (户籍 has no date of arrival). One no longer active (迁出, 注销,
    暂停) counts for the years up to the one it left: the date of its 转出 entry, else its last
    月度得分 month or journal entry; left in the year = counted in N, not awarded.
    """
    from villagectl.ledger.journal import parse_monthly_reference

    last_seen: dict[str, str] = {}
    left_on: dict[str, str] = {}
    arrived_on: dict[str, str] = {}
    if len(journal):
        for hid, kind, date, ref in zip(journal["户号"], journal["类型"], journal["日期"], journal["关联"]):
            hid, day, kind = clean_text(hid), clean_text(date)[:10], clean_text(kind)
            month = parse_monthly_reference(clean_text(ref))
            seen = f"{month[0]}-01" if month else day  # a month's points are of that month, not of their posting
            if kind == schema.ENTRY_TRANSFER_OUT:
                left_on[hid] = max(left_on.get(hid, ""), day)
            elif kind == schema.ENTRY_TRANSFER_IN:
                arrived_on[hid] = min(arrived_on.get(hid, day), day)
            last_seen[hid] = max(last_seen.get(hid, ""), seen)
    if len(monthly):
        for hid, month, total in zip(monthly["户号"], monthly["月份"], monthly["总分"]):
            if clean_text(total) not in ("", "nan", "None"):
                hid = clean_text(hid)
                last_seen[hid] = max(last_seen.get(hid, ""), clean_text(month) + "-01")
    during, at_end = set(), set()
    start, end = f"{year}-01-01", f"{year}-12-31"
    for hid, state in zip(households["户号"], households["状态"]):
        hid = clean_text(hid)
        if arrived_on.get(hid, "") > end:
            continue  # came (transferred in) after the year
        if is_active(state):
            during.add(hid)
            at_end.add(hid)
            continue
        left = left_on.get(hid) or last_seen.get(hid, "")
        if left >= start:
            during.add(hid)
            if left > end:
                at_end.add(hid)
    return YearPresence(frozenset(during), frozenset(at_end))


def require_group(households: pd.DataFrame, group: str, option: str = "--group") -> str:
    """The roster's spelling of ``group`` ('3组' → '第三组'); UsageError naming the village's groups when it has none such."""
    from villagectl.errors import UsageError

    groups = group_names(households)
    for g in groups:
        if group_key(g) == group_key(group):
            return g
    raise UsageError(f"{option} {as_text(group)}：本村没有这个组，户籍中的组是 {'、'.join(groups) or '（户籍里没有填组别）'}")
