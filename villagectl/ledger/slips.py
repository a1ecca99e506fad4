"""Redemption slips, the pure part: numbers of state, verification codes (HMAC), the 兑换记录 records, verifying.

A slip's verification code (核验码) is an HMAC-SHA256 over the slip's
canonical content (单号, 日期, 户号, every item with its quantity and points,
the total points), keyed with the ledger's secret (参数 键 ``兑换单密钥``,
``SECRET_KEY``: the one definition), written as 10 characters of an alphabet
without look-alikes (no 0/O, 1/I/L), grouped 5-5 for reading: ``7KQ2M-XW9CD``.
Without the secret nobody can make the code of a slip with other content, so a
slip whose amount, date or household was altered no longer matches its code.

The QR code carries a short ASCII line (a scanner gun in keyboard mode cannot
type Chinese)::

    VCS1:DH2026-000123:2026-08-01:ZP001:60:7KQ2MXW9CD

The items are not in it: they are bound through the code (the HMAC covers
them) and shown from the ledger when the slip is verified.

"Used" (已领取) is also in the chained journal: a zero-point 领取 row (关联 =
单号, ``collections``), so a 状态 set back by hand is found (``reset_collection``).

Everything here is DataFrames, dicts and dataclasses in, results out: no file is
read or written (actions/slips.py, actions/redeem.py do that). The secret never
leaves these functions: it is not printed, logged, put in JSON or in a PDF.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets as _secrets
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from villagectl.errors import DataError, Location, Problem
from villagectl import schema
from villagectl.table import Table, as_table
from villagectl.values import NotANumber, as_text, clean_name, clean_text, fmt_number, to_number

if TYPE_CHECKING:
    import pandas as pd

SECRET_KEY = "兑换单密钥"
MIN_SECRET_CHARS = 16
ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"  # 31 characters: no 0/O, 1/I/L
CODE_CHARS = 10
PAYLOAD_PREFIX = "VCS1"
DOMAIN = "villagectl-slip-v1"

STATE_OPEN = "未领取"
STATE_USED = "已领取"
STATE_VOID = "作废"
FREE_ITEM_MARK = "目录外"  # 说明 of a line whose item is not in 商品 (no stock to restore)

GENUINE, UNKNOWN, FORGED, TAMPERED = "genuine", "unknown", "forged", "tampered"
VERDICT_TEXT = {
    GENUINE: "真实有效",
    UNKNOWN: "查无此单",
    FORGED: "与核验码不符（伪造或涂改）",
    TAMPERED: "台账中的兑换记录被改动过",
}


# --------------------------------------------------------------------------
# Codes
# --------------------------------------------------------------------------


def _num(value: object) -> str:
    try:
        number = to_number(value)
    except NotANumber:
        return clean_text(value)
    return fmt_number(round(number, 4)) if number is not None else ""


def canonical_content(number: str, date: str, household_id: str, lines: list[tuple[str, object, object]],
                      total: object) -> str:
    """The text the code signs. Lines are (item, qty, points); their order does not matter."""
    items = sorted(f"{clean_name(item)}*{_num(qty)}*{_num(points)}" for item, qty, points in lines)
    return "\n".join([DOMAIN, clean_text(number), clean_text(date), clean_text(household_id), ";".join(items), _num(total)])


def make_code(secret: str, content: str) -> str:
    """HMAC-SHA256 → 10 characters of ALPHABET, grouped 5-5."""
    digest = hmac.new(secret.encode("utf-8"), content.encode("utf-8"), hashlib.sha256).digest()
    value = int.from_bytes(digest[:16], "big")
    chars = []
    for _ in range(CODE_CHARS):
        value, r = divmod(value, len(ALPHABET))
        chars.append(ALPHABET[r])
    code = "".join(chars)
    return f"{code[:5]}-{code[5:]}"


def same_code(a: str, b: str) -> bool:
    """Constant-time comparison (also for a cell someone typed anything into)."""
    return hmac.compare_digest(clean_text(a).encode("utf-8"), clean_text(b).encode("utf-8"))


def normalize_code(text: str) -> str | None:
    """'7kq2m xw9cd' / '7KQ2M-XW9CD' → '7KQ2M-XW9CD'; None when it cannot be a code."""
    raw = re.sub(r"[\s\-_—.·]", "", clean_text(text).upper())
    if len(raw) != CODE_CHARS or any(ch not in ALPHABET for ch in raw):
        return None
    return f"{raw[:5]}-{raw[5:]}"


def make_payload(number: str, date: str, household_id: str, total: object, code: str) -> str:
    return ":".join([PAYLOAD_PREFIX, clean_text(number), clean_text(date), clean_text(household_id), _num(total),
                     code.replace("-", "")])


@dataclass
class Payload:
    number: str
    date: str
    household_id: str
    points: str
    code: str  # normalized, or "" when the code part is not a code


def parse_payload(text: str) -> Payload | None:
    parts = clean_text(text).split(":")
    if len(parts) < 6 or parts[0].upper() != PAYLOAD_PREFIX:
        return None
    number, date = parts[1], parts[2]
    points, code = parts[-2], parts[-1]
    household_id = ":".join(parts[3:-2])
    return Payload(number, date, household_id, points, normalize_code(code) or "")


def secret_of(settings: dict[str, str]) -> str | None:
    """The 兑换单密钥 of 参数 (settings as ``Ledger.settings`` gives them), or None when it is missing."""
    value = clean_text(settings.get(SECRET_KEY, ""))
    return value or None


def checked_secret(settings: dict[str, str], file: str) -> str:
    """The secret, or DataError (naming 参数 in ``file``) when it is missing or too short."""
    secret = secret_of(settings)
    if secret is None:
        raise DataError(
            f"“参数”表里没有“{SECRET_KEY}”，无法计算或核验兑换单的核验码",
            [Problem(Location(file, schema.SETTINGS.name), f"缺少 键 为“{SECRET_KEY}”的一行")],
            hint="如果是误删，请从 .villagectl/backups 里的备份找回原来的值；换了密钥，以前打印的兑换单都将核验不通过",
        )
    if len(secret) < MIN_SECRET_CHARS:
        raise DataError(
            f"“参数”表里的“{SECRET_KEY}”太短（至少 {MIN_SECRET_CHARS} 个字符），核验码容易被伪造",
            [Problem(Location(file, schema.SETTINGS.name), f"“{SECRET_KEY}”的值太短")],
        )
    return secret


def new_secret() -> str:
    return _secrets.token_hex(16)


SECRET_NOTE = "兑换单核验码的密钥，自动生成，请勿外传或修改"


def with_secret(settings: pd.DataFrame, secret: str) -> pd.DataFrame:
    """参数 with a 兑换单密钥 row added."""
    import pandas as pd

    row = {c: "" for c in settings.columns}
    row.update({"键": SECRET_KEY, "值": secret, "说明": SECRET_NOTE})
    return pd.concat([settings, pd.DataFrame([row], dtype=object)], ignore_index=True)


# --------------------------------------------------------------------------
# The 兑换记录 rows of a slip
# --------------------------------------------------------------------------


def with_redemption_columns(frame: "pd.DataFrame | Table") -> "pd.DataFrame | Table":
    """兑换记录 with every column of the current layout (older ledgers lack some); a table stays a table."""
    lacking = [c for c in schema.REDEMPTIONS.column_names if c not in frame.columns]
    if lacking and isinstance(frame, Table):
        for col in lacking:
            frame = frame.with_column(col, "")
        return frame
    if lacking:
        frame = frame.copy()
        for col in lacking:
            frame[col] = ""
        extra = [c for c in frame.columns if c not in schema.REDEMPTIONS.column_names]
        frame = frame[schema.REDEMPTIONS.column_names + extra]
    return frame


@dataclass
class SlipRecord:
    """One slip as the ledger holds it (its 兑换记录 rows)."""

    number: str
    date: str
    household_id: str
    name: str
    lines: list[dict]  # item, qty, unit, unit_points, points, yuan, note
    points: float
    yuan: float
    balance_before: float | None
    balance_after: float | None
    entry_id: str
    code: str
    state: str
    collected: str  # 领取日期
    operator: str
    note: str
    positions: list[int]  # row positions in the 兑换记录 frame
    inconsistent: list[str] = field(default_factory=list)  # slip-level columns that differ between rows

    @property
    def void(self) -> bool:
        return self.state == STATE_VOID

    def canonical(self) -> str:
        return canonical_content(self.number, self.date, self.household_id,
                                 [(line["item"], line["qty"], line["points"]) for line in self.lines], self.points)

    def as_dict(self) -> dict:
        return {
            "slip": self.number,
            "date": self.date,
            "household_id": self.household_id,
            "name": self.name,
            "lines": [{k: line[k] for k in ("item", "qty", "unit", "unit_points", "points", "yuan")} for line in self.lines],
            "points": self.points,
            "yuan": self.yuan,
            "balance_before": self.balance_before,
            "balance_after": self.balance_after,
            "entry_id": self.entry_id,
            "code": self.code,
            "state": self.state,
            "collected": self.collected or None,
            "operator": self.operator,
        }


def _number(value: object) -> float | None:
    try:
        return to_number(value)
    except NotANumber:
        return None


SLIP_LEVEL = ("日期", "户号", "户主", "兑换前余额", "兑换后余额", "流水号", "核验码", "状态", "领取日期")


def slip_records(frame: "pd.DataFrame | Table") -> dict[str, SlipRecord]:
    """单号 → its record, in the order of the sheet."""
    out: dict[str, SlipRecord] = {}
    firsts: dict[str, dict] = {}
    table = as_table(frame)
    if table.empty:
        return out
    rows = table.records()  # plain dicts: a year's slips are thousands of rows
    columns = set(table.columns)
    for pos, row in enumerate(rows):
        number = clean_text(row.get("单号"))
        if not number:
            continue
        rec = out.get(number)
        line = {
            "item": as_text(row.get("物品")),  # free text as typed; the code signs clean_name(item)
            "qty": _number(row.get("数量")) if _number(row.get("数量")) is not None else 1.0,
            "unit": clean_text(row.get("单位")),
            "unit_points": _number(row.get("积分单价")),
            "points": _number(row.get("积分")) or 0.0,
            "yuan": _number(row.get("金额")) or 0.0,
            "note": as_text(row.get("说明")),
        }
        if rec is None:
            rec = SlipRecord(
                number=number,
                date=clean_text(row.get("日期")),
                household_id=clean_text(row.get("户号")),
                name=as_text(row.get("户主")),
                lines=[],
                points=0.0,
                yuan=0.0,
                balance_before=_number(row.get("兑换前余额")),
                balance_after=_number(row.get("兑换后余额")),
                entry_id=clean_text(row.get("流水号")),
                code=normalize_code(clean_text(row.get("核验码"))) or clean_text(row.get("核验码")),
                state=clean_text(row.get("状态")) or STATE_OPEN,
                collected=clean_text(row.get("领取日期")),
                operator=clean_text(row.get("经办人")),
                note=as_text(row.get("说明")),
                positions=[],
            )
            out[number] = rec
            firsts[number] = row
        else:
            first = firsts[number]
            for col in SLIP_LEVEL:
                if col in columns and clean_text(row.get(col)) != clean_text(first.get(col)) and col not in rec.inconsistent:
                    rec.inconsistent.append(col)
        rec.lines.append(line)
        rec.points = round(rec.points + line["points"], 4)
        rec.yuan = round(rec.yuan + line["yuan"], 4)
        rec.positions.append(pos)
    return out


def find_slip(records: dict[str, SlipRecord], text: str) -> SlipRecord | None:
    """By 单号 (DH2026-000123) or by verification code."""
    key = clean_text(text).upper()
    if key in records:
        return records[key]
    for number, rec in records.items():
        if number.upper() == key:
            return rec
    code = normalize_code(text)
    if code:
        for rec in records.values():
            if rec.code == code:
                return rec
    return None


def collections(journal: "pd.DataFrame | Table") -> dict[str, tuple[str, str]]:
    """单号 → (流水号, 日期) of the journal's 领取 row for that slip: the chained record of a slip's use."""
    journal = as_table(journal)
    if journal.empty or "类型" not in journal.columns:
        return {}
    out: dict[str, tuple[str, str]] = {}
    rows = zip(journal.column("类型"), journal.column("关联"), journal.column("流水号"), journal.column("日期"))
    for kind, ref, entry_id, day in rows:
        if clean_text(kind) == schema.ENTRY_COLLECT:
            out.setdefault(clean_text(ref), (clean_text(entry_id), clean_text(day)))
    return out


def reset_collection(rec: "SlipRecord", collected: dict[str, tuple[str, str]]) -> str | None:
    """The message when the journal says ``rec`` was collected but 兑换记录 says it was not, else None."""
    hit = collected.get(rec.number)
    if hit is None or rec.state == STATE_USED or rec.void:
        return None  # 作废 after collection is a cancel with the goods returned
    return (f"兑换单 {rec.number} 已于 {hit[1]} 领取（积分流水 流水号 {hit[0]} 记有领取），"
            f"但兑换记录的状态是“{rec.state}”：状态被手工改过，不能再次领取")


def reversal_of(journal: pd.DataFrame, entry_id: str) -> str | None:
    """The 流水号 of the 冲正 row that reversed ``entry_id``, if any."""
    if not entry_id or journal.empty:
        return None
    refs = journal["关联"].map(clean_text)
    kinds = journal["类型"].map(clean_text)
    hit = journal[(refs == entry_id) & (kinds == schema.ENTRY_REVERSAL)]
    return clean_text(hit.iloc[0]["流水号"]) if len(hit) else None


# --------------------------------------------------------------------------
# slip verify
# --------------------------------------------------------------------------


@dataclass
class Claim:
    """What the paper (or the QR code) says; empty fields are not checked."""

    number: str = ""
    date: str = ""
    household_id: str = ""
    points: str = ""


@dataclass
class VerifyResult:
    verdict: str  # genuine | unknown | forged | tampered
    reasons: list[str] = field(default_factory=list)
    record: SlipRecord | None = None
    reversal_entry: str | None = None
    input_kind: str = "code"  # code | payload

    @property
    def genuine(self) -> bool:
        return self.verdict == GENUINE

    @property
    def state(self) -> str | None:
        return self.record.state if self.record else None

    def as_dict(self) -> dict:
        return {
            "ok": self.genuine,
            "verdict": self.verdict,
            "verdict_text": VERDICT_TEXT[self.verdict],
            "reasons": self.reasons,
            "input": self.input_kind,
            "state": self.state,
            "collected": (self.record.collected or None) if self.record else None,
            "void": bool(self.record and self.record.void),
            "reversal_entry": self.reversal_entry,
            "slip": self.record.as_dict() if self.record else None,
        }


def _same_number(a: str, b: str) -> bool:
    na, nb = _number(a), _number(b)
    if na is not None and nb is not None:
        return abs(na - nb) < 1e-6
    return clean_text(a) == clean_text(b)


def _same_date(a: str, b: str) -> bool:
    from villagectl.values import to_date

    try:
        return to_date(a) == to_date(b)
    except ValueError:
        return clean_text(a) == clean_text(b)


def verify(records: dict[str, SlipRecord], journal: pd.DataFrame, secret: str, text: str,
           claim: Claim | None = None) -> VerifyResult:
    """Verify a code or a QR payload against the slips (``slip_records``) and the journal."""
    claim = claim or Claim()
    payload = parse_payload(text)
    if payload is None and clean_text(text).upper().startswith(PAYLOAD_PREFIX):
        return VerifyResult(FORGED, ["二维码内容格式不对（不是本系统打印的兑换单，或内容不完整）"], input_kind="payload")
    if payload is not None:
        code = payload.code
        claims = [("单号", payload.number, claim.number), ("日期", payload.date, claim.date),
                  ("户号", payload.household_id, claim.household_id), ("积分", payload.points, claim.points)]
        kind = "payload"
    else:
        code = normalize_code(text)
        if code is None:
            hint = "核验码是 10 位字母和数字（如 7KQ2M-XW9CD），其中不会有 0、O、1、I、L"
            return VerifyResult(UNKNOWN, [f"“{clean_text(text)}”不是核验码：{hint}"])
        claims = [("单号", "", claim.number), ("日期", "", claim.date), ("户号", "", claim.household_id),
                  ("积分", "", claim.points)]
        kind = "code"
    record = next((r for r in records.values() if r.code == code), None) if code else None
    if record is None and payload is not None:
        by_number = records.get(clean_text(payload.number))
        if by_number is not None:
            return VerifyResult(FORGED, [f"二维码里的核验码与兑换单 {by_number.number} 不符"], by_number,
                                reversal_of(journal, by_number.entry_id), kind)
    if record is None:
        return VerifyResult(UNKNOWN, ["台账里没有这个核验码的兑换单（可能是伪造的，或不是本村台账打印的）"], input_kind=kind)
    reversal = reversal_of(journal, record.entry_id)
    reset = reset_collection(record, collections(journal))
    if reset:
        return VerifyResult(TAMPERED, [reset], record, reversal, kind)
    # the record itself must still carry its code
    if record.inconsistent:
        cols = "、".join(record.inconsistent)
        return VerifyResult(TAMPERED, [f"兑换单 {record.number} 的几行记录“{cols}”不一致，兑换记录被手工改过"], record, reversal, kind)
    if not same_code(make_code(secret, record.canonical()), record.code):
        return VerifyResult(TAMPERED, [f"兑换单 {record.number} 在“兑换记录”中的内容与核验码不符：记录被手工改过"],
                            record, reversal, kind)
    # what the QR code or the paper says must be what was signed
    reasons: list[str] = []
    if payload is not None:
        signed = canonical_content(payload.number, payload.date, payload.household_id,
                                   [(line["item"], line["qty"], line["points"]) for line in record.lines], payload.points)
        if not same_code(make_code(secret, signed), code):
            reasons.append("二维码里的单号、日期、户号或积分与核验码不符（被改动过）")
    actual = {"单号": record.number, "日期": record.date, "户号": record.household_id, "积分": fmt_number(record.points)}
    for label, from_payload, from_claim in claims:
        for source, value in (("二维码", from_payload), ("兑换单上", from_claim)):
            if not clean_text(value):
                continue
            same = {"积分": _same_number, "日期": _same_date}.get(label, lambda a, b: clean_text(a).upper() == clean_text(b).upper())
            if not same(value, actual[label]):
                reasons.append(f"{source}的{label}“{clean_text(value)}”与核验码对应的兑换单（{label} {actual[label]}）不符")
    if reasons:
        return VerifyResult(FORGED, reasons, record, reversal, kind)
    return VerifyResult(GENUINE, [], record, reversal, kind)



def _append_note(old: object, text: str) -> str:
    old = clean_text(old)
    return f"{old}；{text}" if old else text


def mark_used(frame: pd.DataFrame, rec: SlipRecord, day: str, operator: str | None) -> pd.DataFrame:
    """兑换记录 with ``rec``'s rows 已领取 on ``day`` (and who handed the goods over)."""
    frame = frame.copy()
    idx = frame.index[rec.positions]
    frame.loc[idx, "状态"] = STATE_USED
    frame.loc[idx, "领取日期"] = day
    if operator:
        frame.loc[idx, "说明"] = [_append_note(v, f"领取经办：{operator}") for v in frame.loc[idx, "说明"]]
    return frame


def mark_void(frame: pd.DataFrame, rec: SlipRecord, note: str) -> pd.DataFrame:
    """兑换记录 with ``rec``'s rows 作废, ``note`` added to their 说明 (the rows stay)."""
    frame = frame.copy()
    idx = frame.index[rec.positions]
    frame.loc[idx, "状态"] = STATE_VOID
    frame.loc[idx, "说明"] = [f"{as_text(v)}；{note}" if clean_text(v) else note for v in frame.loc[idx, "说明"]]
    return frame
