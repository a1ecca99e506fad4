"""The pure parts split out of actions/ (issue 15): the diff of two ledgers' tables (ledger/diff.py) and the
event steps' rules (ledger/events.py), without building a workbook."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from villagectl import schema
from villagectl.ledger.diff import Table, cell_text, diff_tables
from villagectl.ledger.events import (
    NOTICE,
    REVOKED,
    mark_rejected,
    mark_revoked,
    notice_still_running,
    posting_entries,
    revoke_refusal,
)


def test_cell_text_shows_cells_as_the_clerk_typed_them() -> None:
    assert [cell_text(v) for v in (None, float("nan"), True, False, 3.0, 2.5, " 张三 ")] == [
        "", "", "是", "否", "3", "2.5", "张三"]


def test_rows_are_matched_by_their_key_when_every_row_has_one() -> None:
    old = Table(["户号", "户主"], [["ZP001", "张三"], ["ZP002", "李四"]], ["第 2 行", "第 3 行"])
    new = Table(["户号", "户主"], [["ZP002", "李四四"], ["ZP003", "王五"]], ["第 2 行", "第 3 行"])
    d = diff_tables("户籍", old, new, "户号", False)
    assert d.key == "户号"
    assert [label for label, _ in d.added] == ["户号 ZP003"]
    assert [label for label, _ in d.removed] == ["户号 ZP001"]
    assert [(c.label, c.cells) for c in d.changed] == [("户号 ZP002", [("户主", "李四", "李四四")])]
    assert d.summary() == "户籍（按户号对应）：新增 1 行，修改 1 行，删除 1 行"


def test_without_a_distinct_key_rows_are_matched_by_content_and_order() -> None:
    old = Table(["户号", "积分"], [["ZP001", "5"], ["ZP001", "3"]], ["第 2 行", "第 3 行"])
    new = Table(["户号", "积分"], [["ZP001", "5"], ["ZP001", "4"]], ["第 2 行", "第 3 行"])
    d = diff_tables("记录", old, new, "户号", False)
    assert d.key == "" and not d.added and not d.removed
    assert [(c.label, c.cells) for c in d.changed] == [("第 3 行", [("积分", "3", "4")])]


def test_journal_entries_are_summed_in_the_summary() -> None:
    columns = ["流水号", "户号", "积分", "摘要"]
    old = Table(columns, [["L1", "ZP001", "5", "月度"]], ["第 2 行"])
    new = Table(columns, [["L1", "ZP001", "5", "月度"], ["L2", "ZP001", "-2.5", "扣分"]], ["第 2 行", "第 3 行"])
    d = diff_tables(schema.JOURNAL.name, old, new, "流水号", True)
    assert d.summary() == f"{schema.JOURNAL.name}（按流水号对应）：新增 1 笔流水（合计 -2.5 分）"
    assert d.lines()[1] == "  + L2 ZP001 -2.5 分 扣分"


def _events(*rows: dict) -> pd.DataFrame:
    base = {"事件号": "", "日期": "2026-07-03", "户号": "ZP001", "成员": "", "编码": "", "项目": "", "类型": "加分",
            "次数": 1, "积分": 0.0, "状态": "", "说明": "", "公示截止": ""}
    return pd.DataFrame([{**base, **r} for r in rows])


def test_an_event_in_its_notice_period_cannot_be_approved_until_the_day_after() -> None:
    events = _events({"事件号": "E0001", "状态": NOTICE, "公示截止": "2026-07-10"})
    assert notice_still_running(events, ["E0001"], dt.date(2026, 7, 10)) == (
        "E0001 的公示期到 2026-07-10 才结束，还不能审核；确需提前请加 --force")
    assert notice_still_running(events, ["E0001"], dt.date(2026, 7, 11)) is None
    assert notice_still_running(events, ["E0002"], dt.date(2026, 7, 10)) is None


def test_posting_makes_one_entry_per_award_or_deduction_and_none_for_a_veto() -> None:
    events = _events(
        {"事件号": "E0001", "项目": "见义勇为", "积分": 10.0, "次数": 2, "说明": "救起落水儿童"},
        {"事件号": "E0002", "项目": "乱倒垃圾", "类型": "扣分", "积分": -3.0},
        {"事件号": "E0003", "项目": "违法建房", "类型": "否决", "积分": 0.0},
    )
    posted = posting_entries(events, ["E0001", "E0002", "E0003"])
    assert [i for i, _ in posted] == [0, 1]
    award, deduction = (entry for _, entry in posted)
    assert (award.type, award.points, award.summary, award.reference) == (
        schema.ENTRY_AWARD, 10.0, "见义勇为×2（2026-07-03）：救起落水儿童", "E0001")
    assert (deduction.type, deduction.points, deduction.summary) == (schema.ENTRY_DEDUCTION, -3.0, "乱倒垃圾（2026-07-03）")


def test_what_cannot_be_revoked() -> None:
    assert "redeem cancel" in revoke_refusal("L9", schema.ENTRY_REDEEM, False)
    assert revoke_refusal("L9", schema.ENTRY_TRANSFER_OUT, False) == "流水 L9 是积分转移，不能撤销"
    assert revoke_refusal("L9", schema.ENTRY_DEDUCTION, True) == "流水 L9 不是加分记录，不适用“虚假申报加倍扣分”"
    assert revoke_refusal("L9", schema.ENTRY_AWARD, True) is None


def test_revoked_and_rejected_events_say_why_in_their_note() -> None:
    events = _events({"事件号": "E0001", "说明": "救人"}, {"事件号": "E0002", "说明": "门前堆物"})
    revoked = mark_revoked(events, "E0001", "重复申报", "L0042")
    assert revoked.at[0, "状态"] == REVOKED and revoked.at[0, "说明"] == "救人（撤销：重复申报，冲正流水 L0042）"
    assert events.at[0, "说明"] == "救人"  # the frame given is not changed
    assert mark_revoked(events, "E0009", "x", "L1") is None
    rejected = mark_rejected(events.copy(), ["E0002"], "材料不全")
    assert rejected.at[1, "说明"] == "门前堆物（驳回：材料不全）" and rejected.at[0, "说明"] == "救人"


def test_a_rejected_event_with_no_note_reads_without_a_stray_bracket() -> None:
    events = _events({"事件号": "E0001", "说明": ""}, {"事件号": "E0002", "说明": "门前堆物"})
    rejected = mark_rejected(events.copy(), ["E0001", "E0002"], "材料不全")
    assert rejected.at[0, "说明"] == "驳回：材料不全"
    assert rejected.at[1, "说明"] == "门前堆物（驳回：材料不全）"
    bare = mark_rejected(events.copy(), ["E0001", "E0002"], "")
    assert bare.at[0, "说明"] == "驳回" and bare.at[1, "说明"] == "门前堆物（驳回）"
