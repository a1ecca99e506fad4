"""The transfer rules (ledger/transfer.py, ledger/transfer_receipt.py) on plain frames: no workbook is built.

Worked numbers for H001 in 西坪村: 期初 20 (2025-03-01), 2025-12 月度积分 30 posted on 2026-01-05, an award of 10
on 2026-03-02, a redemption of 15 on 2026-04-01 → balance 45, earned 60, spent 15; the year 2025 earns 50 of which
30 rated (期初 is in no year's rating), 2026 earns 10.
"""

from __future__ import annotations

import copy
import datetime as dt
import json

import pandas as pd
import pytest

from villagectl.errors import DataError, UsageError
from villagectl import schema
from villagectl.ledger.journal import NewEntry, account_totals, append_entries, classify, empty_journal
from villagectl.ledger.transfer import (
    before_entry,
    canonical_bytes,
    file_bytes,
    sign,
    signature_ok,
    signed,
    town_key,
    transfer_document,
)
from villagectl.ledger.transfer_receipt import append_dated, parse_transfer, plan_receipt, require_signature

KEY = "town-key-2026"
SENT = dt.date(2026, 8, 15)


def journal() -> pd.DataFrame:
    frame = empty_journal()
    for day, entry in [
        ("2025-03-01", NewEntry("H001", schema.ENTRY_OPENING, 20, "期初余额")),
        ("2026-01-05", NewEntry("H001", schema.ENTRY_MONTHLY, 30, "2025-12 月度积分", "月度得分 2025-12 H001")),
        ("2026-03-02", NewEntry("H001", schema.ENTRY_AWARD, 10, "见义勇为", "SJ2026-001")),
        ("2026-04-01", NewEntry("H001", schema.ENTRY_REDEEM, -15, "兑换 毛巾×3", "DH2026-000001")),
        ("2026-04-02", NewEntry("H002", schema.ENTRY_MONTHLY, 99, "2026-03 月度积分", "月度得分 2026-03 H002")),
    ]:
        frame, _ = append_entries(frame, [entry], day, "村文书")
    return frame


HOUSEHOLD = {"户号": "H001", "户主": "张三", "组别": "一组", "人口": 4, "参评人数": 3, "身份证号": "110101199001011234"}


def document() -> dict:
    entries = classify(journal())
    reasons = {e.entry_id: f"理由 {e.entry_id}" for e in entries}
    doc = transfer_document(entries, reasons, HOUSEHOLD, "西坪村", "东坪村", SENT, "ZY20260815-H001-0000abcd")
    return signed(doc, KEY)[0]


def test_the_document_carries_the_one_accumulators_totals_by_rating_year() -> None:
    doc = document()
    totals = account_totals(classify(journal()))["H001"]
    assert (doc["balance"], doc["earned"], doc["spent"]) == (totals.balance, totals.earned, totals.spent) == (45, 60, 15)
    assert [(y["year"], y["earned"], y["rated"]) for y in doc["history"]] == [(2025, 50, 30), (2026, 10, 10)]
    december = doc["history"][0]["entries"][1]
    assert (december["date"], december["type"], december["rated"]) == ("2026-01-05", "月度积分", True)
    assert doc["history"][0]["entries"][0]["rated"] is False  # 期初
    assert doc["household"] == {"household_id": "H001", "name": "张三", "group": "一组", "people": 4, "members": 3}
    assert "110101199001011234" not in json.dumps(doc, ensure_ascii=False)  # never an ID-card number


def test_before_the_closing_row_is_the_account_as_it_was() -> None:
    entries = classify(journal())
    assert [e.entry_id for e in before_entry(entries, "000003")] == ["000001", "000002"]
    assert before_entry(entries, None) == entries and before_entry(entries, "999999") == entries


def test_canonical_bytes_sort_keys_and_write_whole_numbers_without_a_point() -> None:
    assert canonical_bytes({"b": 3.0, "a": [1.5, 2.00001], "signature": "x"}) == b'{"a":[1.5,2],"b":3}'  # 2.00001 is 2 to 4 places
    assert canonical_bytes({"村": "西坪村"}) == '{"村":"西坪村"}'.encode("utf-8")


def test_signature_verifies_and_any_change_breaks_it() -> None:
    doc = document()
    assert signature_ok(doc, KEY)
    assert not signature_ok(doc, "another-town-key")
    for change in (lambda d: d.update(balance=450), lambda d: d["household"].update(name="李四"),
                   lambda d: d["history"][1]["entries"][0].update(points=100), lambda d: d.pop("signature")):
        tampered = copy.deepcopy(doc)
        change(tampered)
        assert not signature_ok(tampered, KEY)
    with pytest.raises(DataError) as err:
        require_signature(dict(doc, balance=450), KEY, "转移单.json")
    assert err.value.message.startswith("转移单 转移单.json 的签名核验失败")
    # the file's bytes parse back to the same signed document
    assert signature_ok(parse_transfer(file_bytes(doc), "转移单.json"), KEY)


def test_a_file_that_is_not_a_transfer_file() -> None:
    with pytest.raises(DataError, match="不是有效的积分转移单"):
        parse_transfer(b"\xff\xfe not json", "x.json")
    with pytest.raises(DataError, match="格式应为 villagectl-积分转移单-1"):
        parse_transfer(b'{"format": "other"}', "x.json")
    with pytest.raises(DataError, match="内容层次异常"):
        parse_transfer(b"[" * 50 + b"]" * 50, "x.json")


def test_town_key_required_and_long_enough() -> None:
    assert town_key({"镇转移密钥": KEY}) == KEY
    with pytest.raises(DataError, match="没有“镇转移密钥”"):
        town_key({})
    with pytest.raises(DataError, match="太短"):
        town_key({"镇转移密钥": "short"})


def receiving() -> tuple[pd.DataFrame, pd.DataFrame]:
    households = pd.DataFrame([{"户号": "D001", "户主": "赵六", "组别": "一组", "状态": "正常"}], dtype=object)
    return households, empty_journal()


def test_what_receiving_posts() -> None:
    households, journal_here = receiving()
    r = plan_receipt(document(), name="转移单.json", village="东坪村", journal=journal_here, households=households,
                     today=dt.date(2026, 8, 20))
    assert (r.household_id, r.group, r.balance, r.earned, r.spent) == ("H001", "一组", 45, 60, 15)
    posted = [(day, e.type, e.points) for day, e in r.entries]
    assert posted == [
        ("2025-03-01", schema.ENTRY_OPENING, 20),  # in no year's rating, as it was
        ("2025-12-31", schema.ENTRY_TRANSFER_IN, 30),  # December's points posted in January: in 2025
        ("2026-03-02", schema.ENTRY_TRANSFER_IN, 10),
        ("2026-08-20", schema.ENTRY_REDEEM, -15),  # what was spent there
        ("2026-08-20", schema.ENTRY_TRANSFER_IN, 0.0),  # names the transfer; its 余额 is the balance received
    ]
    assert r.entries[1][1].summary == "西坪村：理由 000002"
    new = append_dated(journal_here, r.entries, "村文书")
    totals = account_totals(classify(new))["H001"]
    assert (totals.balance, totals.earned, totals.spent) == (45, 60, 15)
    assert new.iloc[-1]["余额"] == 45
    row = r.household_row(["户号", "户主", "组别", "人口", "参评人数", "户类型", "状态", "备注"], dt.date(2026, 8, 20))
    assert row["人口"] == 4 and row["状态"] == "正常" and "原户号 H001" in row["备注"]
    # received once: the same file again is refused
    with pytest.raises(DataError, match="已经转入过"):
        plan_receipt(document(), name="转移单.json", village="东坪村", journal=new, households=households,
                     today=dt.date(2026, 8, 21))


def test_receiving_refuses_another_village_an_early_date_and_a_taken_id() -> None:
    households, journal_here = receiving()
    kw = dict(name="转移单.json", journal=journal_here, households=households)
    with pytest.raises(DataError, match="是西坪村转给“东坪村”的，本村是“南坪村”"):
        plan_receipt(document(), village="南坪村", today=dt.date(2026, 8, 20), **kw)
    with pytest.raises(UsageError, match="早于转出日期 2026-08-15"):
        plan_receipt(document(), village="东坪村", today=dt.date(2026, 8, 1), **kw)
    with pytest.raises(DataError, match="户号 D001 本村已经有了"):
        plan_receipt(document(), village="东坪村", today=dt.date(2026, 8, 20), household_id="D001", **kw)


def test_a_re_signed_file_that_does_not_add_up_is_refused() -> None:
    """A village holding the key can sign anything: the totals must still add up."""
    households, journal_here = receiving()
    kw = dict(name="转移单.json", village="东坪村", journal=journal_here, households=households, today=dt.date(2026, 8, 20))
    richer = document()
    richer.update(balance=450, earned=465, spent=15)
    richer["signature"] = sign(richer, KEY)
    with pytest.raises(DataError) as err:
        plan_receipt(richer, **kw)
    assert "写的累计获得 465 分，与获得积分明细合计 60 分不符" in err.value.message
    more = document()
    more.update(balance=70, spent=-10)
    more["signature"] = sign(more, KEY)
    with pytest.raises(DataError) as err:
        plan_receipt(more, **kw)
    assert "余额 70 分比获得积分明细合计 60 分还多 10 分" in err.value.message
    year = document()
    year["history"][0]["earned"] = 80
    year["signature"] = sign(year, KEY)
    with pytest.raises(DataError) as err:
        plan_receipt(year, **kw)
    assert "2025 年写的获得积分 80 分，与这一年明细合计 50 分不符" in err.value.message
