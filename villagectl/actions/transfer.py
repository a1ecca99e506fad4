"""``transfer out`` / ``transfer in``: a household's points move with it within the town (seed 001 篇2).

Transfer out closes the account in the village the household leaves: one 转出
row for minus the whole balance, 户籍 状态 set to 迁出, and a signed transfer
file (JSON, UTF-8) holding the household (户号, 户主, 组别, 人口, 参评人数 —
never ID-card or phone numbers), the balance, and the earned history: every
earning journal row (date, type, points, the reason in plain words as the
passbook shows it, member), grouped by the year whose year-end rating it
counts for (``scoring.annual.entry_years``: a month's points count for the
month's year, an event's for the event's date, 期初 for no year), with per
year the earned points and the rated points.

The villages of a town share a key, 参数 键 "镇转移密钥", given by the town
office. The file is signed with HMAC-SHA256 over a canonical JSON
serialisation of everything but the signature (keys sorted, no spaces, UTF-8,
whole numbers written without ".0").

Transfer in verifies the signature, that the file is addressed to this
village (参数 村名) and not already received, adds the household to 户籍,
and writes the history into 积分流水, every row with 关联 = the transfer id:

- each rated history row as a 转入 row in the year it counts for (on its
  own date, or on 12-31 of that year when it was posted in the next year),
  摘要 "<转出村>：<reason>" — so the earned total includes the history, the
  year-end rating of each year counts what it counted in the old village,
  and the passbook shows every reason;
- each history row that counts for no year (期初) as a 期初 row on its date:
  earned, in no year's rating, as it was;
- one 兑换 row for what the household had already spent (the balance minus
  the earned history; it lowers the balance, not the earned total), when
  that is not zero;
- a final 转入 row of 0 points, dated the day of receipt, that names the
  transfer: its 余额 is the balance received.

The transfer ids received are the 关联 of the 转入 rows (the final row is
always there); a file whose id is already there is refused. Both sides also
write the id into 操作日志.

Crashes: the ledger save of transfer out is the commit point and the file is
written after it, so before it no validly signed file exists, and after it the
same file can be made again from the closed account (``_reissue``: running the
same command again); 操作日志 records where the file went and its sha256, and
``check`` warns about a transfer out whose file is not there.

Trust: every village of the town holds the same key, so a valid signature says
the file comes from some village of the town and was not changed since; it does
not say the points were earned. Transfer in therefore also checks that the file
adds up (years, earned, spent, balance; ``_check_totals``) and the command shows
what arrives and asks (or needs ``--yes``) before writing.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import math
import os
import re
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from villagectl.actions.passbook import statement_for_ledger
from villagectl.errors import DataError, FileAccessError, UsageError
from villagectl.io.outputs import guard_output
from villagectl.io.safe_write import ledger_lock, sha256_file
from villagectl.ledger import schema
from villagectl.ledger.journal import GENESIS, NewEntry, append_entries, check_value, require_intact
from villagectl.ledger.workbook import Ledger
from villagectl.render.typst_engine import write_atomically
from villagectl.scoring.annual import entry_years
from villagectl.values import (
    NotANumber,
    as_text,
    clean_name,
    clean_text,
    fmt_number,
    to_int,
    to_number,
)

FORMAT = "villagectl-积分转移单-1"
ALGORITHM = "HMAC-SHA256"
KEY_SETTING = "镇转移密钥"
MIN_KEY_LENGTH = 8
MAX_FILE_BYTES = 20 * 1024 * 1024
CLOSED_STATES = ("迁出", "注销")
PENDING_EVENT_STATES = ("申报", "初审", "公示", "审核")

KEY_HINT = (
    f"在台账“参数”表加一行：键 填“{KEY_SETTING}”，值 填镇里（镇积分制办公室）发给各村的转移密钥；"
    "同一个镇的各村必须填同一个密钥，请勿外传"
)


# --------------------------------------------------------------------------
# Signing (pure)
# --------------------------------------------------------------------------


def _canonical_value(value):
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError("not a finite number")
        rounded = round(value, 4)
        return int(rounded) if rounded == int(rounded) else rounded
    if isinstance(value, dict):
        return {str(k): _canonical_value(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_canonical_value(v) for v in value]
    raise TypeError(f"cannot sign a {type(value).__name__}")


def canonical_bytes(document: dict) -> bytes:
    """What is signed: the document without "signature", keys sorted, compact, UTF-8; 3.0 written as 3."""
    body = {k: v for k, v in document.items() if k != "signature"}
    return json.dumps(_canonical_value(body), ensure_ascii=False, sort_keys=True, separators=(",", ":"),
                      allow_nan=False).encode("utf-8")


def sign(document: dict, key: str) -> str:
    return hmac.new(key.encode("utf-8"), canonical_bytes(document), hashlib.sha256).hexdigest()


def signature_ok(document: dict, key: str) -> bool:
    given = document.get("signature")
    if not isinstance(given, str):
        return False
    try:
        expected = sign(document, key)
    except (TypeError, ValueError):
        return False
    return hmac.compare_digest(given.strip().lower(), expected)


def town_key(settings: dict[str, str]) -> str:
    key = settings.get(KEY_SETTING, "")
    if not key:
        raise DataError(f"台账“参数”表里没有“{KEY_SETTING}”，无法签发或核验积分转移单", hint=KEY_HINT)
    if len(key) < MIN_KEY_LENGTH:
        raise DataError(f"参数“{KEY_SETTING}”太短（至少 {MIN_KEY_LENGTH} 个字符），容易被猜出；请向镇里核对", hint=KEY_HINT)
    return key


# --------------------------------------------------------------------------
# Building the transfer document (pure over DataFrames)
# --------------------------------------------------------------------------


def _count(value: object) -> int | None:
    try:
        return to_int(value)
    except NotANumber:
        return None


def household_row(households: pd.DataFrame, household: str) -> tuple[int, pd.Series]:
    """(index, row) of the household ``household`` names: its 户号 or 户主 (find_household)."""
    from villagectl.ledger.households import find_household

    hid = clean_text(find_household(households, household)["户号"])
    hits = households.index[households["户号"].map(clean_text) == hid]
    return hits[0], households.loc[hits[0]]


def transfer_document(
    statement: pd.DataFrame,
    household: pd.Series | dict,
    from_village: str,
    to_village: str,
    date: dt.date,
    transfer_id: str,
    rating_years: dict[str, int | None] | None = None,
) -> dict:
    """The unsigned transfer document of one household (its rows of ``statement_rows``).

    ``rating_years``: 流水号 → the year whose year-end rating the row's points
    count for, None for points no year counts (期初) — ``scoring.annual.entry_years``.
    Without it, the year of the row's date. The history is grouped by that
    year; each block has the earned points (all its rows: the earned total)
    and the rated points (what the year's rating counts).
    """
    rows = statement[statement["户号"] == clean_text(household.get("户号", ""))]
    points = rows["积分"].astype(float)
    earned_mask = rows["计入获得"].astype(bool)
    spent_mask = rows["计入兑换"].astype(bool)
    years: dict[int, dict] = {}
    for _, r in rows[earned_mask].iterrows():
        date_year = int(r["年度"]) if r["年度"] is not None and not pd.isna(r["年度"]) else date.year
        if rating_years is not None:
            rating_year = rating_years.get(r["流水号"])
        else:
            rating_year = None if r["类型"] == schema.ENTRY_OPENING else date_year
        year = rating_year if rating_year is not None else date_year
        block = years.setdefault(year, {"year": year, "earned": 0.0, "rated": 0.0, "entries": []})
        block["earned"] = round(block["earned"] + float(r["积分"]), 4)
        if rating_year is not None:
            block["rated"] = round(block["rated"] + float(r["积分"]), 4)
        block["entries"].append({
            "entry_id": r["流水号"],
            "date": r["日期"],
            "type": r["类型"],
            "points": float(r["积分"]),
            "summary": r["说明"],
            "member": r["成员"],
            "rated": rating_year is not None,
        })
    return {
        "format": FORMAT,
        "transfer_id": transfer_id,
        "from_village": from_village,
        "to_village": to_village,
        "date": date.isoformat(),
        "household": {
            "household_id": clean_text(household.get("户号", "")),
            "name": clean_name(household.get("户主", "")),
            "group": clean_text(household.get("组别", "")),
            "people": _count(household.get("人口", "")),
            "members": _count(household.get("参评人数", "")),
        },
        "balance": round(float(points.sum()), 4) if len(rows) else 0.0,
        "earned": round(float(points[earned_mask].sum()), 4) if len(rows) else 0.0,
        "spent": round(-float(points[spent_mask].sum()), 4) if len(rows) else 0.0,
        "history": [years[y] for y in sorted(years)],
        "signature_algorithm": ALGORITHM,
        "note": f"{from_village}积分转移单：请交{to_village}用 villagectl transfer in 转入。文件内容有签名，改动任何一处都会被拒收。",
    }


def new_transfer_id(date: dt.date, household_id: str) -> str:
    return f"ZY{date:%Y%m%d}-{re.sub(r'[^0-9A-Za-z]', '', household_id)[:12] or 'H'}-{uuid.uuid4().hex[:8]}"


def transfer_file_name(from_village: str, household_id: str, date: dt.date) -> str:
    text = f"转移_{from_village}_{household_id}_{date.isoformat()}.json"
    return re.sub(r'[\\/:*?"<>|\x00-\x1f]', "_", text)


# --------------------------------------------------------------------------
# transfer out
# --------------------------------------------------------------------------


@dataclass
class TransferOutResult:
    transfer_id: str
    household_id: str
    name: str
    to_village: str
    balance: float
    earned: float
    file: Path
    entry_id: str
    reissued: bool = False  # the account was closed already: the same file written again

    def as_dict(self) -> dict:
        return {
            "transfer_id": self.transfer_id,
            "household_id": self.household_id,
            "name": self.name,
            "to_village": self.to_village,
            "balance": self.balance,
            "earned": self.earned,
            "file": str(self.file),
            "entry_id": self.entry_id,
            "reissued": self.reissued,
        }


def _unposted(ledger: Ledger, household_id: str) -> list[str]:
    """Points of the household that are on their way but not in the journal yet."""
    out: list[str] = []
    monthly = ledger.frame_or_empty(schema.MONTHLY.name)
    if len(monthly):
        part = monthly[(monthly["户号"].map(clean_text) == household_id) & (monthly["状态"].map(clean_text) != "入账")]
        for _, r in part.iterrows():
            amount = sum(v for v in (_num(r.get("积分")), _num(r.get("奖励"))) if v)
            if amount:
                out.append(f"{clean_text(r['月份'])} 月度积分 {fmt_number(amount)} 分（状态：{clean_text(r['状态']) or '草稿'}）")
    events = ledger.frame_or_empty(schema.EVENTS.name)
    if len(events) and "状态" in events.columns:
        part = events[(events["户号"].map(clean_text) == household_id)
                      & events["状态"].map(clean_text).isin(PENDING_EVENT_STATES)]
        for _, r in part.iterrows():
            out.append(f"积分事件 {clean_text(r.get('事件号'))} {clean_text(r.get('项目'))}（状态：{clean_text(r.get('状态'))}）")
    return out


def _num(value: object) -> float | None:
    try:
        return to_number(value)
    except NotANumber:
        return None


def _output_path(output: Path | None, ledger_path: Path, name: str) -> Path:
    target = _unguarded_output_path(output, ledger_path, name)
    return guard_output(target, ledger_path, "-o" if output is not None else "转移单")


def _unguarded_output_path(output: Path | None, ledger_path: Path, name: str) -> Path:
    if output is None:
        return ledger_path.parent / name
    output = Path(output)
    if output.is_dir():
        return output / name
    if output.suffix.lower() != ".json":
        raise UsageError(f"转移单应保存为 .json 文件（或给一个已存在的文件夹）：{output}")
    if not output.parent.is_dir():
        raise FileAccessError(f"文件夹 {output.parent} 不存在，无法保存转移单")
    return output


def transfer_out(
    ledger_path: Path,
    household: str,
    to_village: str,
    today: dt.date,
    output: Path | None = None,
    operator: str | None = None,
    wait_s: float = 0.0,
    arguments: str = "",
) -> TransferOutResult:
    """Close a household's account and write the signed transfer file.

    The ledger closing the account (the 转出 row, 关联 = the transfer id) is the
    commit point; the file is written after it. Before that point no file with a
    valid signature exists (a kill leaves the account open and nothing a village
    could receive); after it the file can always be made again: the document is
    derived from the closed account (its 转出 row gives the id, date and balance,
    the rows before it the history) and signing is deterministic, so running the
    same command again on the closed account re-issues the very same file (the
    bytes are checked against the sha256 recorded in 操作日志).
    """
    household = clean_text(household)
    to_village = clean_name(to_village)
    if not household:
        raise UsageError("请用 --household 给出要转出的户号")
    if not to_village:
        raise UsageError("请用 --to-village 给出转入的村名（与对方台账“参数”表的村名一致）")
    if output is not None:
        guard_output(output, ledger_path, "-o", folder=Path(output).is_dir())
    with ledger_lock(ledger_path, wait_s):
        ledger = Ledger.open(ledger_path)
        ledger.require(schema.HOUSEHOLDS.name, schema.JOURNAL.name)
        require_intact(ledger)
        settings = ledger.settings()
        village = clean_name(settings.get("村名", ""))
        if not village:
            raise DataError("参数“村名”是空的，请先在“参数”表填上本村村名")
        if to_village == village:
            raise UsageError(f"转入村“{to_village}”就是本村；本村内换户号或换组请直接改户籍表")
        key = town_key(settings)
        households = ledger.frame(schema.HOUSEHOLDS.name).copy()
        index, row = household_row(households, household)
        household = clean_text(row.get("户号", ""))  # as the roster spells it
        state = clean_text(row.get("状态", ""))
        if state in CLOSED_STATES:
            issued = [t for t in issued_transfers(ledger, ledger_path) if t.household_id == household]
            if not issued:
                raise DataError(f"户号 {household}（{clean_name(row.get('户主', ''))}）的状态是“{state}”，账户已关闭，不能再转出")
            return _reissue(ledger, ledger_path, row, village, to_village, key, issued[-1], output)
        pending = _unposted(ledger, household)
        if pending:
            raise DataError(
                f"户号 {household} 还有没入账的积分：{'；'.join(pending)}。转出后这些积分就无法再记到这一户",
                hint="请先入账（villagectl post month；公示未满可用 --force --reason 说明原因），或处理完这些事件，再转出",
            )
        date = today
        transfer_id = new_transfer_id(date, household)
        document, data = _signed_document(ledger, row, village, to_village, date, transfer_id, key)
        target = _output_path(output, ledger_path, transfer_file_name(village, household, date))
        if target.exists():
            raise FileAccessError(f"{target} 已存在；为免覆盖别的转移单，请换一个文件名（-o）或先把它移走")
        _check_writable(target)

        operator = operator or settings.get("经办人", "") or "村文书"
        balance = float(document["balance"])
        journal, ids = append_entries(
            ledger.frame(schema.JOURNAL.name),
            [NewEntry(household, schema.ENTRY_TRANSFER_OUT, -balance + 0.0, f"转出至{to_village}", transfer_id)],
            date.isoformat(),
            operator,
        )
        ledger.replace(schema.JOURNAL.name, journal)
        households.loc[index, "状态"] = "迁出"
        ledger.replace(schema.HOUSEHOLDS.name, households)
        ledger.save(
            "transfer out",
            arguments,
            result=f"{household} 转出至{to_village}，余额 {fmt_number(balance)} 分，"
            f"{_record_text(transfer_id, _recorded_path(target, ledger_path), data)}",
        )
        try:
            _write_file(target, data)
        except OSError as exc:
            raise FileAccessError(
                f"台账已记转出（转移单 {transfer_id}），但转移单没能写成 {target}：{exc.strerror or exc}。"
                f"积分没有丢：请解决上面的问题后再运行同一条 transfer out 命令，会重新开具同一份转移单"
            ) from None
        return TransferOutResult(transfer_id, household, document["household"]["name"], to_village, balance,
                                 float(document["earned"]), target, ids[0])


def _file_bytes(document: dict) -> bytes:
    return (json.dumps(document, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def _signed_document(
    ledger: Ledger, row: pd.Series, village: str, to_village: str, date: dt.date, transfer_id: str, key: str,
    closing_entry: str | None = None,
) -> tuple[dict, bytes]:
    """The signed document and the file's bytes; with ``closing_entry``, as it was when that row closed the account."""
    statement = statement_for_ledger(ledger)
    if closing_entry is not None:
        ids = statement["流水号"].map(clean_text).tolist()
        if closing_entry in ids:
            statement = statement.iloc[: ids.index(closing_entry)]
    rating_years = entry_years(ledger.frame(schema.JOURNAL.name), ledger.frame_or_empty(schema.EVENTS.name))
    document = transfer_document(statement, row, village, to_village, date, transfer_id, rating_years)
    document["signature"] = sign(document, key)
    return document, _file_bytes(document)


def _check_writable(target: Path) -> None:
    """Refuse before the ledger closes the account when the file cannot be written there at all."""
    if not os.access(target.parent, os.W_OK | os.X_OK):
        raise FileAccessError(f"文件夹 {target.parent} 不能写入，无法保存转移单；台账未改动")


def _write_file(target: Path, data: bytes) -> None:
    """Write ``data`` as ``target`` with the one atomic writer, then fsync the folder (the rename is durable).

    Stale temporary copies of the same file (a killed earlier run) are removed first.
    """
    for stale in target.parent.glob(f".villagectl-tmp-*-{glob_escape(target.name)}"):
        stale.unlink(missing_ok=True)
    write_atomically(target, data)
    try:
        fd = os.open(target.parent, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def glob_escape(name: str) -> str:
    return re.sub(r"([*?\[])", r"[\1]", name)


# --- what transfer out recorded, and re-issuing ------------------------------------------------------------

_RECORD = re.compile(r"转移单 (?P<id>[^\s：]+)：(?P<path>.+)（sha256 (?P<sha>[0-9a-f]{16,64})）")


def _recorded_path(target: Path, ledger_path: Path) -> str:
    """The file as 操作日志 records it: relative to the ledger's folder when it is in it (the folder may move)."""
    try:
        return str(target.resolve().relative_to(Path(ledger_path).resolve().parent))
    except ValueError:
        return str(target.resolve())


def _record_text(transfer_id: str, shown: str, data: bytes) -> str:
    return f"转移单 {transfer_id}：{shown}（sha256 {hashlib.sha256(data).hexdigest()}）"


@dataclass
class IssuedTransfer:
    """A transfer out in the journal: its 转出 row and what 操作日志 recorded about its file."""

    transfer_id: str
    household_id: str
    to_village: str
    date: str
    entry_id: str
    points: float | None
    position: int  # of the 转出 row in 积分流水
    file: Path | None  # where it was written (None: not recorded)
    sha256: str  # of the file's bytes, or a prefix of it (older versions); "" when not recorded


def issued_transfers(ledger: Ledger, ledger_path: Path | None = None) -> list[IssuedTransfer]:
    """Every 转出 row with a transfer id, in journal order, with the file 操作日志 recorded for it."""
    journal = ledger.frame_or_empty(schema.JOURNAL.name)
    if journal.empty:
        return []
    records: dict[str, tuple[str, str]] = {}
    if ledger.has(schema.OPLOG.name):
        log = ledger.frame_or_empty(schema.OPLOG.name)
        if len(log) and "结果" in log.columns:
            commands = log["命令"].map(clean_text) if "命令" in log.columns else pd.Series([""] * len(log))
            for command, text in zip(commands, log["结果"]):
                if command == "transfer out" and (m := _RECORD.search(as_text(text))):
                    records[m.group("id")] = (m.group("path").strip(), m.group("sha"))
    base = Path(ledger_path if ledger_path is not None else ledger.path).parent
    out: list[IssuedTransfer] = []
    kinds = journal["类型"].map(clean_text)
    for pos in [i for i, k in enumerate(kinds) if k == schema.ENTRY_TRANSFER_OUT]:
        r = journal.iloc[pos]
        transfer_id = clean_text(r.get("关联"))
        if not transfer_id:
            continue
        summary = clean_text(r.get("摘要"))  # read for the village it names, compared with clean_name
        path, sha = records.get(transfer_id, ("", ""))
        out.append(IssuedTransfer(
            transfer_id=transfer_id,
            household_id=clean_text(r.get("户号")),
            to_village=summary[len("转出至"):] if summary.startswith("转出至") else "",
            date=clean_text(r.get("日期")),
            entry_id=clean_text(r.get("流水号")),
            points=_num(r.get("积分")),
            position=pos,
            file=(base / path) if path else None,
            sha256=sha,
        ))
    return out


def _same_file(path: Path, data: bytes, sha: str = "") -> bool:
    """``path`` holds this transfer file (byte for byte, or the same signed document written differently)."""
    try:
        raw = path.read_bytes()
    except OSError:
        return False
    if raw == data or (sha and hashlib.sha256(raw).hexdigest().startswith(sha)):
        return True
    try:
        doc = json.loads(raw.decode("utf-8-sig"))
        ours = json.loads(data.decode("utf-8"))
        return isinstance(doc, dict) and doc.get("signature") == ours.get("signature") and \
            canonical_bytes(doc) == canonical_bytes(ours)
    except (ValueError, TypeError, UnicodeDecodeError):
        return False


def _reissue(
    ledger: Ledger, ledger_path: Path, row: pd.Series, village: str, to_village: str, key: str,
    issued: IssuedTransfer, output: Path | None,
) -> TransferOutResult:
    """The account is closed by a transfer out: write its file again (the same bytes), unless it is there."""
    household = issued.household_id
    name = clean_name(row.get("户主", ""))
    if issued.to_village and issued.to_village != to_village:
        raise DataError(
            f"户号 {household}（{name}）已于 {issued.date} 转出至{issued.to_village}（转移单 {issued.transfer_id}），"
            f"账户已关闭，不能再转给{to_village}",
            hint=f"要补开那份转移单，请用 --to-village {issued.to_village}",
        )
    try:
        date = dt.date.fromisoformat(issued.date)
    except ValueError:
        raise DataError(f"户号 {household} 的转出流水 {issued.entry_id} 日期无效，无法重新开具转移单") from None
    document, data = _signed_document(ledger, row, village, to_village, date, issued.transfer_id, key, issued.entry_id)
    sha = hashlib.sha256(data).hexdigest()
    changed = (issued.sha256 and not sha.startswith(issued.sha256)) or (
        issued.points is not None and abs(issued.points + float(document["balance"])) > 1e-6)
    if changed:
        raise DataError(
            f"户号 {household} 已于 {issued.date} 转出（转移单 {issued.transfer_id}），但台账在转出后被改动过"
            "（这一户的户籍信息或转出前的积分流水），重新算出的转移单与当时开具的不一致，不能重新开具",
            hint="请用转出前后的备份核对改动并改回；villagectl check 会列出积分流水的问题",
        )
    if output is not None:
        target = _output_path(output, ledger_path, transfer_file_name(village, household, date))
    elif issued.file is not None and issued.file.parent.is_dir():
        target = guard_output(issued.file, ledger_path, "转移单")
    else:
        target = _output_path(None, ledger_path, transfer_file_name(village, household, date))
    if target.exists():
        if _same_file(target, data, issued.sha256):
            raise DataError(
                f"户号 {household}（{name}）已于 {issued.date} 转出至{to_village}，账户已关闭；"
                f"转移单 {issued.transfer_id} 就在 {target}，内容完好，不用重开",
                hint=f"请把它交给{to_village}；要另存一份，请用 -o 给另一个文件夹",
            )
        raise FileAccessError(f"{target} 已存在，且不是转移单 {issued.transfer_id}；请换一个文件名（-o）或先把它移走")
    _check_writable(target)
    try:
        _write_file(target, data)
    except OSError as exc:
        raise FileAccessError(f"转移单没能写成 {target}：{exc.strerror or exc}；台账未改动，解决后请再运行一次") from None
    return TransferOutResult(issued.transfer_id, household, document["household"]["name"], to_village,
                             float(document["balance"]), float(document["earned"]), target, issued.entry_id,
                             reissued=True)


def missing_transfer_files(ledger: Ledger) -> list[tuple[IssuedTransfer, str]]:
    """Transfers out whose recorded file is not there (or not the file issued): for ``check``."""
    out: list[tuple[IssuedTransfer, str]] = []
    for issued in issued_transfers(ledger):
        if issued.file is None:
            continue
        if not issued.file.is_file():
            out.append((issued, "不存在"))
        elif issued.sha256 and not hashlib.sha256(issued.file.read_bytes()).hexdigest().startswith(issued.sha256):
            out.append((issued, "与开具时的内容不同"))
    return out


def transfer_problems(ledger: Ledger, at) -> list:
    """``check``: a transfer out that left no file (killed after the ledger closed the account, or the file lost)."""
    from villagectl.errors import Problem

    problems = []
    for issued, what in missing_transfer_files(ledger):
        problems.append(Problem(
            at(schema.JOURNAL.name, issued.position, "关联"),
            f"户号 {issued.household_id} 已于 {issued.date} 转出至{issued.to_village or '（未写明）'}（转移单 {issued.transfer_id}），"
            f"但转移单 {issued.file} {what}。如果还没交给对方，请运行 villagectl transfer out 台账 --household "
            f"{issued.household_id} --to-village {issued.to_village or '转入村'} 重新开具同一份转移单；已交给对方的可以不管",
            "警告",
        ))
    return problems


# --------------------------------------------------------------------------
# transfer in
# --------------------------------------------------------------------------


@dataclass
class TransferInResult:
    transfer_id: str
    from_village: str
    household_id: str
    original_id: str
    name: str
    group: str
    balance: float
    earned: float
    entries: int
    dry_run: bool = False
    notes: list[str] = field(default_factory=list)
    spent: float = 0.0  # what the household had redeemed in the sending village
    sent: str = ""  # the transfer out date
    years: list[dict] = field(default_factory=list)  # per year: earned, rated (counted by that year's rating), entries

    def as_dict(self) -> dict:
        return {
            "transfer_id": self.transfer_id,
            "from_village": self.from_village,
            "sent": self.sent,
            "spent": self.spent,
            "years": self.years,
            "household_id": self.household_id,
            "original_household_id": self.original_id,
            "name": self.name,
            "group": self.group,
            "balance": self.balance,
            "earned": self.earned,
            "entries": self.entries,
            "dry_run": self.dry_run,
            "notes": self.notes,
        }


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


def read_transfer_file(path: Path) -> dict:
    path = Path(path)
    if not path.is_file():
        raise FileAccessError(f"找不到转移单 {path}")
    if path.stat().st_size > MAX_FILE_BYTES:
        raise DataError(f"{path.name} 太大（超过 20 MB），不是 villagectl 的积分转移单")
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise FileAccessError(f"无法读取转移单 {path.name}：{exc.strerror or exc}") from None
    try:
        document = json.loads(raw.decode("utf-8-sig"), parse_constant=_no_constant)
    except (UnicodeDecodeError, ValueError, RecursionError):  # ValueError: bad JSON, NaN, a 5,000-digit number
        raise DataError(f"{path.name} 不是有效的积分转移单（不是 UTF-8 的 JSON 文件，可能已损坏或被改动）") from None
    if _depth(document) > MAX_DEPTH:
        raise DataError(f"{path.name} 不是有效的积分转移单（内容层次异常）")
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise DataError(f"{path.name} 不是 villagectl 的积分转移单（格式应为 {FORMAT}）")
    return document


def _text(document: dict, *keys: str) -> str:
    value = document
    for k in keys:
        value = value.get(k) if isinstance(value, dict) else None
    return clean_text(value) if isinstance(value, (str, int, float)) else ""


def _history_entries(document: dict, name: str) -> tuple[list[dict], list[dict]]:
    """The earning rows of the file, checked for shape, and per year the totals checked against the rows.

    The signature only says that a village holding the town key made the file;
    so the receiver also checks that the file adds up: every year's earned and
    rated points are the sums of its rows (see ``_check_totals`` for the rest).
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
            points = _num(e.get("points"))
            date = clean_text(e.get("date"))
            if points is None or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", date):
                raise DataError(f"{name} 的获得积分明细中有一行的日期或积分无效：{e}")
            total += points
            if e.get("rated") is not False:
                rated += points
            out.append({**e, "year": year})
        stated = _num(year_block.get("earned"))
        if stated is None or abs(total - stated) > 1e-6:
            raise DataError(_not_adding_up(name, f"{year} 年写的获得积分 {_shown(stated)} 分，与这一年明细合计 "
                                                 f"{fmt_number(round(total, 4))} 分不符"), hint=NOT_ADDING_UP_HINT)
        stated_rated = _num(year_block.get("rated"))
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


def _check_totals(document: dict, entries: list[dict], name: str) -> tuple[float, float, float]:
    """balance = earned - spent, earned = the history's sum, spent ≥ 0: what a file must add up to.

    Returns (balance, earned, spent). A balance above the earned history (points
    that come from nowhere) is refused, as is a file without its totals.
    """
    balance = _num(document.get("balance"))
    if balance is None:
        raise DataError(f"转移单 {name} 没有余额")
    history_sum = round(sum(_num(e.get("points")) or 0.0 for e in entries), 4)
    earned = _num(document.get("earned"))
    spent = _num(document.get("spent"))
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
    points = _num(entry.get("points")) or 0.0
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


def transfer_in(
    ledger_path: Path,
    file: Path,
    today: dt.date,
    household_id: str | None = None,
    group: str | None = None,
    operator: str | None = None,
    dry_run: bool = False,
    wait_s: float = 0.0,
    arguments: str = "",
) -> TransferInResult:
    """Verify a transfer file and open the household's account in this village."""
    file = Path(file)
    document = read_transfer_file(file)
    with ledger_lock(ledger_path, wait_s):
        ledger = Ledger.open(ledger_path)
        ledger.require(schema.HOUSEHOLDS.name, schema.JOURNAL.name)
        require_intact(ledger)
        settings = ledger.settings()
        key = town_key(settings)
        if not signature_ok(document, key):
            raise DataError(
                f"转移单 {file.name} 的签名核验失败：文件内容（余额、获得积分明细、农户信息等）在转出村签发后被改动过，"
                f"或本村的“{KEY_SETTING}”与转出村的不同。不能转入",
                hint="请向转出村索取原始转移单；如果文件没动过，请与镇里核对两村填的镇转移密钥是否一致",
            )
        village = clean_name(settings.get("村名", ""))
        to_village = clean_name(document.get("to_village", ""))
        from_village = clean_name(document.get("from_village", ""))
        transfer_id = _text(document, "transfer_id")
        if not transfer_id:
            raise DataError(f"转移单 {file.name} 没有转移编号")
        if to_village != village:
            raise DataError(f"转移单 {file.name} 是{from_village}转给“{to_village}”的，本村是“{village}”，不能转入",
                            hint="请把它交给转入村；如果是本村村名写法不同，请转出村重新开具")
        journal = ledger.frame(schema.JOURNAL.name)
        if transfer_id in received_transfer_ids(journal):
            kinds = journal["类型"].map(clean_text)
            hit = journal[(kinds == schema.ENTRY_TRANSFER_IN) & (journal["关联"].map(clean_text) == transfer_id)].iloc[-1]
            raise DataError(f"转移单 {transfer_id} 已经转入过（户号 {clean_text(hit['户号'])}，{clean_text(hit['日期'])}），不能重复转入")
        try:
            sent = dt.date.fromisoformat(_text(document, "date"))
        except ValueError:
            raise DataError(f"转移单 {file.name} 的转出日期无效") from None
        if today < sent:
            raise UsageError(f"转入日期 {today.isoformat()} 早于转出日期 {sent.isoformat()}，请用 --date 给出正确的日期")
        entries, years = _history_entries(document, file.name)
        balance, earned, spent = _check_totals(document, entries, file.name)

        person = document.get("household") if isinstance(document.get("household"), dict) else {}
        original = clean_text(person.get("household_id"))
        name = clean_name(person.get("name"))
        households = ledger.frame(schema.HOUSEHOLDS.name)
        taken = set(households["户号"].map(clean_text)) | set(journal["户号"].map(clean_text))
        notes: list[str] = []
        if household_id is not None and clean_text(household_id):
            new_id = clean_text(household_id).replace(" ", "")
            if new_id in taken:
                raise DataError(f"户号 {new_id} 本村已经有了（户籍或积分流水中），请换一个 --household-id")
        else:
            new_id = original
            if not new_id:
                raise DataError(f"转移单 {file.name} 没有原户号，请用 --household-id 给出本村的新户号")
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

        spent_diff = round(balance - earned, 4)  # ≤ 0: _check_totals refused a balance above the earned history
        new_entries = [received_row(e, from_village, new_id, transfer_id) for e in entries]
        if abs(spent_diff) > 1e-9:
            new_entries.append((today.isoformat(), NewEntry(
                new_id, schema.ENTRY_REDEEM, spent_diff, f"{from_village}：转入前已兑换积分合计", transfer_id)))
        closing = (f"由{from_village}转入（原户号 {original}，转移单 {transfer_id}），"
                   f"转入余额 {fmt_number(balance)} 分、累计获得 {fmt_number(earned)} 分")
        new_entries.append((today.isoformat(), NewEntry(new_id, schema.ENTRY_TRANSFER_IN, 0.0, closing, transfer_id)))

        result = TransferInResult(transfer_id, from_village, new_id, original, name, new_group, balance, earned,
                                  len(new_entries), dry_run, notes, spent=spent, sent=sent.isoformat(), years=years)
        notes.append("请在户籍表补填联系电话、身份证号、户类型（转移单里没有这些信息）")
        if dry_run:
            return result

        operator = operator or settings.get("经办人", "") or "村文书"
        journal = append_dated(journal, new_entries, operator)
        ledger.replace(schema.JOURNAL.name, journal)
        row = {col: "" for col in households.columns}
        row.update({
            "户号": new_id,
            "户主": name,
            "组别": new_group,
            "人口": _count(person.get("people")) if _count(person.get("people")) is not None else "",
            "参评人数": _count(person.get("members")) if _count(person.get("members")) is not None else "",
            "户类型": "普通户",
            "状态": "正常",
        })
        if "备注" in row:
            row["备注"] = f"{today.isoformat()} 由{from_village}转入，原户号 {original}，转移单 {transfer_id}"
        households = pd.concat([households, pd.DataFrame([row], columns=households.columns, dtype=object)],
                               ignore_index=True)
        ledger.replace(schema.HOUSEHOLDS.name, households)
        ledger.save(
            "transfer in",
            arguments,
            inputs=[(file.name, sha256_file(file))],
            result=f"转移单 {transfer_id}：{from_village} {original} {name} 转入为 {new_id}，"
            f"余额 {fmt_number(balance)} 分，累计获得 {fmt_number(earned)} 分",
        )
        return result
