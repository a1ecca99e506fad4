"""Transfer in, the pure part: a transfer file's document checked (shape, signature, addressee, totals)
and what receiving it posts (``plan_receipt``); the formats and the signature are ``ledger.transfer``.

The signature only says that a village holding the town key made the file; so
the receiver also checks that the file adds up: every year's earned and rated
points are the sums of its rows, earned is the history's sum, balance = earned
- spent and not above the earned history (``check_totals``).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass, field

import pandas as pd

from villagectl.errors import DataError, UsageError
from villagectl import schema
from villagectl.ledger.journal import GENESIS, NewEntry, append_entries, check_value
from villagectl.ledger.transfer import FORMAT, KEY_SETTING, count_or_none, number_or_none, signature_ok
from villagectl.values import NotANumber, as_text, clean_name, clean_text, fmt_number, to_int

MAX_DEPTH = 16  # a transfer file nests 5 deep; a hostile one 100,000 deep would exhaust the recursion limit


def _no_constant(name: str):
    raise ValueError(f"{name} is not a number")


def _depth(value: object) -> int:
    """How deeply lists and objects nest (without recursion)."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict):
            item = list(item.values())
        if isinstance(item, list):
            deepest = max(deepest, level)
            if level > MAX_DEPTH:
                return level
            stack.extend((v, level + 1) for v in item)
    return deepest


def parse_transfer(raw: bytes, name: str) -> dict:
    """The document in a transfer file's bytes (``name``: the file's name, for messages), or DataError."""
    try:
        document = json.loads(raw.decode("utf-8-sig"), parse_constant=_no_constant)
    except (UnicodeDecodeError, ValueError, RecursionError):  # ValueError: bad JSON, NaN, a 5,000-digit number
        raise DataError(f"{name} 不是有效的积分转移单（不是 UTF-8 的 JSON 文件，可能已损坏或被改动）") from None
    if _depth(document) > MAX_DEPTH:
        raise DataError(f"{name} 不是有效的积分转移单（内容层次异常）")
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise DataError(f"{name} 不是 villagectl 的积分转移单（格式应为 {FORMAT}）")
    return document


def _text(document: dict, *keys: str) -> str:
    value = document
    for k in keys:
        value = value.get(k) if isinstance(value, dict) else None
    return clean_text(value) if isinstance(value, (str, int, float)) else ""


def history_entries(document: dict, name: str) -> tuple[list[dict], list[dict]]:
    """The earning rows of the file, checked for shape, and per year the totals checked against the rows.

    The signature only says that a village holding the town key made the file;
    so the receiver also checks that the file adds up: every year's earned and
    rated points are the sums of its rows (see ``check_totals`` for the rest).
    """
    history = document.get("history")
    if not isinstance(history, list):
        raise DataError(f"{name} 缺少获得积分明细（history）")
    out: list[dict] = []
    years: list[dict] = []
    for year_block in history:
        if not isinstance(year_block, dict) or not isinstance(year_block.get("entries"), list):
            raise DataError(f"{name} 的获得积分明细格式不对")
        year = to_int_or_none(year_block.get("year"))
        if year is None:
            raise DataError(f"{name} 的获得积分明细里有一年的年度无效")
        total = rated = 0.0
        for e in year_block["entries"]:
            if not isinstance(e, dict):
                raise DataError(f"{name} 的获得积分明细格式不对")
            points = number_or_none(e.get("points"))
            date = clean_text(e.get("date"))
            if points is None or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", date):
                raise DataError(f"{name} 的获得积分明细中有一行的日期或积分无效：{e}")
            total += points
            if e.get("rated") is not False:
                rated += points
            out.append({**e, "year": year})
        stated = number_or_none(year_block.get("earned"))
        if stated is None or abs(total - stated) > 1e-6:
            raise DataError(_not_adding_up(name, f"{year} 年写的获得积分 {_shown(stated)} 分，与这一年明细合计 "
                                                 f"{fmt_number(round(total, 4))} 分不符"), hint=NOT_ADDING_UP_HINT)
        stated_rated = number_or_none(year_block.get("rated"))
        if stated_rated is not None and abs(rated - stated_rated) > 1e-6:
            raise DataError(_not_adding_up(name, f"{year} 年写的计入评比积分 {_shown(stated_rated)} 分，与这一年计入评比的明细合计 "
                                                 f"{fmt_number(round(rated, 4))} 分不符"), hint=NOT_ADDING_UP_HINT)
        years.append({"year": year, "earned": round(total, 4), "rated": round(rated, 4),
                      "entries": len(year_block["entries"])})
    return out, years


def _shown(value: float | None) -> str:
    return "（空）" if value is None else fmt_number(value)


def _not_adding_up(name: str, what: str) -> str:
    return (f"转移单 {name} 的账目对不上：{what}。签名只能说明文件出自持有镇转移密钥的村，"
            "不能说明积分是真的；账目对不上的转移单不能转入")


NOT_ADDING_UP_HINT = "请转出村核对这一户的积分流水后重新开具转移单；如怀疑转移单是伪造的，请报镇积分制办公室"


def check_totals(document: dict, entries: list[dict], name: str) -> tuple[float, float, float]:
    """balance = earned - spent, earned = the history's sum, spent ≥ 0: what a file must add up to.

    Returns (balance, earned, spent). A balance above the earned history (points
    that come from nowhere) is refused, as is a file without its totals.
    """
    balance = number_or_none(document.get("balance"))
    if balance is None:
        raise DataError(f"转移单 {name} 没有余额")
    history_sum = round(sum(number_or_none(e.get("points")) or 0.0 for e in entries), 4)
    earned = number_or_none(document.get("earned"))
    spent = number_or_none(document.get("spent"))
    if earned is None or spent is None:
        raise DataError(_not_adding_up(name, "缺少累计获得（earned）或已兑换（spent）积分"), hint=NOT_ADDING_UP_HINT)
    if abs(earned - history_sum) > 1e-6:
        raise DataError(_not_adding_up(name, f"写的累计获得 {fmt_number(earned)} 分，与获得积分明细合计 "
                                             f"{fmt_number(history_sum)} 分不符"), hint=NOT_ADDING_UP_HINT)
    if balance - history_sum > 1e-6:
        raise DataError(_not_adding_up(name, f"余额 {fmt_number(balance)} 分比获得积分明细合计 {fmt_number(history_sum)} 分"
                                             f"还多 {fmt_number(round(balance - history_sum, 4))} 分（余额只能来自挣得的积分）"),
                        hint=NOT_ADDING_UP_HINT)
    if abs(earned - spent - balance) > 1e-6:
        raise DataError(_not_adding_up(name, f"余额 {fmt_number(balance)} 分不等于累计获得 {fmt_number(earned)} 分"
                                             f"减已兑换 {fmt_number(spent)} 分"), hint=NOT_ADDING_UP_HINT)
    return balance, history_sum, spent


def to_int_or_none(value: object) -> int | None:
    try:
        return to_int(value)
    except NotANumber:
        return None


def received_row(entry: dict, from_village: str, household_id: str, transfer_id: str) -> tuple[str, NewEntry]:
    """One history row of a transfer file as a (date, journal entry) of the receiving village.

    Rated points become a 转入 row in the year whose rating they count for: on
    their own date, or on 12-31 of that year when the date is in another year
    (December's points posted in January). Points no year counts (期初) stay 期初,
    on their own date: in the earned total, in no year's rating.
    """
    summary = as_text(entry.get("summary") or "") or clean_text(entry.get("type")) or "获得积分"
    if not summary.startswith(f"{from_village}："):
        summary = f"{from_village}：{summary}"
    points = number_or_none(entry.get("points")) or 0.0
    member = clean_name(entry.get("member"))
    date = clean_text(entry.get("date"))
    if entry.get("rated") is False:
        return date, NewEntry(household_id, schema.ENTRY_OPENING, points, summary, transfer_id, member)
    year = entry["year"]
    if date[:4] != str(year):
        date = f"{year}-12-31"
    return date, NewEntry(household_id, schema.ENTRY_TRANSFER_IN, points, summary, transfer_id, member)


def append_dated(journal: pd.DataFrame, dated: list[tuple[str, NewEntry]], operator: str) -> pd.DataFrame:
    """``append_entries`` where each entry keeps its own date (the history keeps its original dates).

    The rows are appended in one go, then each new row gets its date and its
    校验 value is chained again from the row before it.
    """
    if not dated:
        return journal
    start = len(journal)
    journal, _ids = append_entries(journal, [e for _, e in dated], dated[-1][0], operator)
    journal = journal.copy()
    previous = clean_text(journal["校验"].iloc[start - 1]) if start else GENESIS
    for offset, (date, _) in enumerate(dated):
        pos = journal.index[start + offset]
        journal.at[pos, "日期"] = date
        journal.at[pos, "校验"] = check_value(previous, journal.loc[pos])
        previous = journal.at[pos, "校验"]
    return journal


def received_transfer_ids(journal: pd.DataFrame) -> set[str]:
    """Transfer ids this village has received: the 关联 of its 转入 rows."""
    if journal.empty:
        return set()
    kinds = journal["类型"].map(clean_text)
    return {clean_text(v) for v in journal.loc[kinds == schema.ENTRY_TRANSFER_IN, "关联"] if clean_text(v)}



def require_signature(document: dict, key: str, name: str) -> None:
    """DataError unless the document carries a valid signature under the town key."""
    if not signature_ok(document, key):
        raise DataError(
            f"转移单 {name} 的签名核验失败：文件内容（余额、获得积分明细、农户信息等）在转出村签发后被改动过，"
            f"或本村的“{KEY_SETTING}”与转出村的不同。不能转入",
            hint="请向转出村索取原始转移单；如果文件没动过，请与镇里核对两村填的镇转移密钥是否一致",
        )


@dataclass
class Receipt:
    """What receiving a (signed, checked) transfer file does to this village's ledger."""

    transfer_id: str
    from_village: str
    sent: dt.date
    original_id: str  # the household's 户号 in the sending village
    household_id: str  # its 户号 here
    name: str
    group: str
    balance: float
    earned: float
    spent: float
    years: list[dict]  # per year: earned, rated, entries
    entries: list[tuple[str, NewEntry]]  # (date, entry) to append, in order
    person: dict = field(default_factory=dict)  # the file's household block
    notes: list[str] = field(default_factory=list)

    def household_row(self, columns: list[str], today: dt.date) -> dict:
        """The 户籍 row of the received household."""
        row = {col: "" for col in columns}
        people, members = count_or_none(self.person.get("people")), count_or_none(self.person.get("members"))
        row.update({
            "户号": self.household_id,
            "户主": self.name,
            "组别": self.group,
            "人口": people if people is not None else "",
            "参评人数": members if members is not None else "",
            "户类型": "普通户",
            "状态": "正常",
        })
        if "备注" in row:
            row["备注"] = (f"{today.isoformat()} 由{self.from_village}转入，原户号 {self.original_id}，"
                         f"转移单 {self.transfer_id}")
        return row


def plan_receipt(
    document: dict,
    *,
    name: str,
    village: str,
    journal: pd.DataFrame,
    households: pd.DataFrame,
    today: dt.date,
    household_id: str | None = None,
    group: str | None = None,
) -> Receipt:
    """Check a signed transfer document against this village (``name``: the file's name) and plan its receipt.

    Refused (DataError/UsageError): a file for another village, one already
    received, a transfer date after ``today``, a file that does not add up, a
    户号 already taken here, a group this village lacks (without ``group``).
    """
    to_village = clean_name(document.get("to_village", ""))
    from_village = clean_name(document.get("from_village", ""))
    transfer_id = _text(document, "transfer_id")
    if not transfer_id:
        raise DataError(f"转移单 {name} 没有转移编号")
    if to_village != village:
        raise DataError(f"转移单 {name} 是{from_village}转给“{to_village}”的，本村是“{village}”，不能转入",
                        hint="请把它交给转入村；如果是本村村名写法不同，请转出村重新开具")
    if transfer_id in received_transfer_ids(journal):
        kinds = journal["类型"].map(clean_text)
        hit = journal[(kinds == schema.ENTRY_TRANSFER_IN) & (journal["关联"].map(clean_text) == transfer_id)].iloc[-1]
        raise DataError(f"转移单 {transfer_id} 已经转入过（户号 {clean_text(hit['户号'])}，{clean_text(hit['日期'])}），不能重复转入")
    try:
        sent = dt.date.fromisoformat(_text(document, "date"))
    except ValueError:
        raise DataError(f"转移单 {name} 的转出日期无效") from None
    if today < sent:
        raise UsageError(f"转入日期 {today.isoformat()} 早于转出日期 {sent.isoformat()}，请用 --date 给出正确的日期")
    entries, years = history_entries(document, name)
    balance, earned, spent = check_totals(document, entries, name)

    person = document.get("household") if isinstance(document.get("household"), dict) else {}
    original = clean_text(person.get("household_id"))
    head = clean_name(person.get("name"))
    taken = set(households["户号"].map(clean_text)) | set(journal["户号"].map(clean_text))
    notes: list[str] = []
    if household_id is not None and clean_text(household_id):
        new_id = clean_text(household_id).replace(" ", "")
        if new_id in taken:
            raise DataError(f"户号 {new_id} 本村已经有了（户籍或积分流水中），请换一个 --household-id")
    else:
        new_id = original
        if not new_id:
            raise DataError(f"转移单 {name} 没有原户号，请用 --household-id 给出本村的新户号")
        if new_id in taken:
            raise DataError(f"原户号 {new_id} 在本村已被占用，请用 --household-id 给这一户一个本村的新户号")
    groups = [g for g in dict.fromkeys(households["组别"].map(clean_text)) if g]
    if group is not None and clean_text(group):
        new_group = clean_text(group)
        if groups and new_group not in groups:
            notes.append(f"组别“{new_group}”是本村户籍中还没有的组别")
    else:
        old_group = clean_text(person.get("group"))
        if groups and old_group not in groups:
            raise DataError(
                f"这一户在{from_village}属于“{old_group or '（空）'}”，本村没有这个组别；请用 --group 指定本村的组别"
                f"（本村组别：{'、'.join(groups)}）")
        new_group = old_group
        notes.append(f"组别沿用原村的“{old_group}”；如不对，请在户籍表改正")

    spent_diff = round(balance - earned, 4)  # ≤ 0: check_totals refused a balance above the earned history
    new_entries = [received_row(e, from_village, new_id, transfer_id) for e in entries]
    if abs(spent_diff) > 1e-9:
        new_entries.append((today.isoformat(), NewEntry(
            new_id, schema.ENTRY_REDEEM, spent_diff, f"{from_village}：转入前已兑换积分合计", transfer_id)))
    closing = (f"由{from_village}转入（原户号 {original}，转移单 {transfer_id}），"
               f"转入余额 {fmt_number(balance)} 分、累计获得 {fmt_number(earned)} 分")
    new_entries.append((today.isoformat(), NewEntry(new_id, schema.ENTRY_TRANSFER_IN, 0.0, closing, transfer_id)))
    return Receipt(transfer_id, from_village, sent, original, new_id, head, new_group, balance, earned, spent, years,
                   new_entries, person, notes)
