"""The fast column-wise paths of the ledger read and the journal give exactly what the row-by-row ones gave."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from villagectl.ledger import journal as J
from villagectl.ledger.workbook import (
    _blank_cells,
    _columns_of,
    _has_content,
    _convert_column,
    _convert_mixed,
    _date_value,
    _int_value,
    _month_value,
    _number_value,
    _raw_value,
    _rows_of,
)
from villagectl.values import as_text, clean_text

ODD = pd.DataFrame({
    "流水号": ["000001", 2.0, True, " ０３ ", float("nan"), 1],
    "日期": ["2026-01-01", None, 1.0, "x", "", dt.date(2026, 8, 3)],
    "户号": ["ZP001", "ｚｐ002", 1, True, "a  b", "ZP001"],
    "类型": ["加分", "冲正", "兑换", "x", "", "加分"],
    "积分": [1.0, -0.0, "3分", True, float("nan"), 2.5],
    "余额": ["1,000", 0.0, 2, None, "abc", 1002.5],
    "摘要": ["见义勇为，救起落水儿童（2026-08-03）", "", 5.5, "\u3000x", None, "𠮷　田"],
    "关联": ["", "000001", 1e20, 0.1, "", ""],
    "经办人": ["村文书"] * 6,
    "校验": [""] * 6,
}, dtype=object)


def test_canonical_rows_are_the_rows_canonical_text() -> None:
    assert J.canonical_rows(ODD) == [J._canonical(r) for r in ODD.to_dict("records")]
    fewer = ODD.drop(columns=["摘要", "成员"], errors="ignore")
    assert J.canonical_rows(fewer) == [J._canonical(r) for r in fewer.to_dict("records")]


def test_verify_journal_chain_unchanged() -> None:
    entries = [J.NewEntry("ZP001", "加分", 5.0, "见义勇为，救起落水儿童"), J.NewEntry("ZP002", "兑换", -3.0, "洗衣粉", "DH000001")]
    journal, _ = J.append_entries(J.empty_journal(), entries, "2026-08-03", "村文书")
    journal, _ = J.append_entries(journal, [J.NewEntry("ZP001", "加分", 0.5, "修路　出工")], "2026-08-04", "村文书")
    assert J.verify_journal(journal) == []
    edited = journal.copy()
    edited.loc[1, "摘要"] = "洗衣粉 2 袋"
    issues = J.verify_journal(edited)
    assert [(i.row, i.column) for i in issues] == [(1, "校验")]


def _naive(conv, cells):
    return [conv(v) for v in cells]


def test_column_conversion_is_the_cell_by_cell_conversion() -> None:
    columns = [
        ["ZP001", " ZP001", "ｚｐ002", "", "  ", 3.0, -0.0, 0.0, 2.5, float("nan")],
        [1.0, -0.0, 0.0, 0.0, -0.0, 2.5, 1e20],
        ["2026-07", dt.date(2026, 7, 1), "", 2026.0],
        [True, 1.0, 1, False, 0.0, "是"],
        ["见义勇为，救起落水儿童（2026-08-03）", "𠮷", "\u3000x", "x  y"],
        [dt.date(2026, 8, 3), "2026-08-03", dt.datetime(2026, 8, 3, 9, 30), dt.date(2026, 8, 3), "", -0.0, 0.0],
    ]
    for conv in (clean_text, as_text, _number_value, _int_value, _raw_value, _date_value, _month_value):
        for cells in columns:
            got, want = _convert_column(conv, tuple(cells)), _naive(conv, cells)
            assert [(type(g), repr(g)) for g in got] == [(type(w), repr(w)) for w in want], (conv, cells)
            got = _convert_mixed(conv, tuple(cells))
            assert [(type(g), repr(g)) for g in got] == [(type(w), repr(w)) for w in want], (conv, cells)


def test_classify_unchanged_by_the_column_paths() -> None:
    """Pinned against the row-by-row classify (before the column paths), odd cells included."""
    journal = ODD.copy()
    journal["成员"] = ["", "张三", "", "", "", "张三"]
    entries = J.classify(journal)
    assert [tuple(vars(e).values()) for e in entries] == [
        ("000001", "ZP001", "", "加分", "加分", 1.0, "2026-01-01", 2026, ""),
        ("2", "zp002", "张三", "冲正", "加分", -0.0, "", 2026, "000001"),
        ("是", "是", "", "兑换", "兑换", 3.0, "是", None, "1e+20"),
        ("", "a b", "", "", "", 0.0, "", None, ""),
        ("是", "ZP001", "张三", "加分", "加分", 2.5, "2026-08-03", 2026, ""),
    ]
    first = entries[0]
    same = J.Entry(*vars(first).values())
    assert first == same and hash(first) == hash(same)  # still a frozen dataclass
    try:
        first.points = 9.0
    except AttributeError:
        pass
    else:
        raise AssertionError("Entry must stay frozen")


def test_blank_rows_are_dropped_alike_column_by_column_and_row_by_row() -> None:
    body = [["ZP001", 1.0, "x"], ["", "", ""], ["  ", "\u3000", ""], ["", 0.0, ""], ["", "", "备注"], ["", "", " "],
            ["ZP002", "", dt.date(2026, 1, 2)], ["", "", ""]]
    for positions in ([0, 1, 2], [0, 2], [2], [1]):
        width = max(positions) + 1
        assert _columns_of(body, positions, 5) == (lambda c, r: ([tuple(x) for x in c], r))(*_rows_of(body, positions, width, {}, 5))
    columns, rows = _columns_of(body, [0, 1, 2], 5)
    assert rows == [5, 8, 9, 11] and columns[0] == ("ZP001", "", "", "ZP002")
    assert _columns_of([["", ""], [" ", ""]], [0, 1], 2) == ([(), ()], [])


def test_plain_ascii_columns_come_back_as_they_are_and_others_cleaned() -> None:
    assert J.unchanged_by_clean_text(["月度得分 2026-01 H02568", "ZP001", "", "见义勇为"])
    assert not J.unchanged_by_clean_text(["见义勇为，救起落水儿童"])  # NFKC: ，→,
    assert not any(J.unchanged_by_clean_text(c) for c in (["a  b"], ["a "], [" a"], ["", " "], ["ＺＰ"], ["a\tb"]))
    for column in (["000001", "000002", "ZP001"], ["ZP001", "ZP 002"], ["ZP001", "ZP002\t"], ["ZP001", " ZP002"],
                   ["ZP001", "ＺＰ００２"], ["", "A"], ["a\u00a0b", "x"], ["见义勇为，救起落水儿童", "𠮷田"],
                   ["见义勇为,救起", "e\u0301", "\u0301"], ["x\x00y", "\x1f"], ["第二组", "第二组\u3000"],
                   ["ﬁ", "㈱"], ["a\u200bb"], ["\u1100", "\u1161"], ["月度得分 2026-01 H02568", "2026-01 月度检查"],
                   ["a  b"], ["a "], [" a"], ["a", " "], ["a\n"], ["a \u3000b"], ["a\ufeff"], ["x\x00 y"]):
        assert J._texts(column) == [clean_text(v) for v in column], column
        for conv in (clean_text, as_text):
            assert _convert_column(conv, tuple(column)) == [conv(v) for v in column], (conv, column)


def test_blank_cells_are_the_cells_without_content() -> None:
    cells = {"", " ", "   ", "\u3000", "\u00a0", "\u200b", "\ufeff", "\t\n", "\u2003", " x ", "x", "¨", "\u00a0x",
             0.0, 1.0, dt.date(2026, 1, 1), "\x00", "\u180e", "\u3000\u200b "}
    assert _blank_cells(cells) == {v for v in cells if not _has_content((v,))}


def test_gc_paused_restores_the_collector() -> None:
    import gc

    assert gc.isenabled()
    with J.gc_paused():
        assert not gc.isenabled()
        with J.gc_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()  # the inner pause does not switch it back on
    assert gc.isenabled()
    try:
        with J.gc_paused():
            raise ValueError
    except ValueError:
        pass
    assert gc.isenabled()
    gc.disable()
    try:
        with J.gc_paused():
            pass
        assert not gc.isenabled()  # off before, off after
    finally:
        gc.enable()


def test_fit_table_measures_columns_as_rich_does() -> None:
    from rich.table import Table
    from rich.text import Text

    from villagectl.cli.console import CJKText, _measure_column, console

    table = Table(title="积分余额")
    table.add_column("户号", no_wrap=True)
    table.add_column("户主", overflow="fold")
    table.add_column("摘要", overflow="fold", min_width=6)
    table.add_column("余额", justify="right", max_width=5)
    rows = [("ZP001", "张三", "[red]见义勇为[/]，救起落水儿童（2026-08-03）", "95.33"),
            ("ZP002", Text("李四"), CJKText("修路出工8天 long-ascii-word"), "-3"),
            ("ZP001", "张三", "", "1000000"), ("ＺＰ００３", Text("𠮷田"), CJKText("𠮷"), ":smile:")] * 50
    for row in rows:
        table.add_row(*row)
    out = console()
    options = out.options.update(max_width=100_000)
    for column in table.columns:
        assert _measure_column(table, out, options, column) == table._measure_column(out, options, column)
    narrow = out.options.update(max_width=30)
    for column in table.columns:
        assert _measure_column(table, out, narrow, column) == table._measure_column(out, narrow, column)


def test_verify_journal_findings_on_odd_cells_pinned() -> None:
    """The findings of the row-by-row verify_journal (before the column paths) on hand-edited cells."""
    odd = ODD.copy()
    odd.loc[2, "类型"] = "冲正"
    odd.loc[2, "关联"] = "000001"
    issues = J.verify_journal(odd)
    assert [(i.row, i.column) for i in issues] == [
        (0, "余额"), (0, "校验"), (1, "校验"), (2, "流水号"), (2, "余额"), (2, "关联"), (2, "校验"), (3, "类型"),
        (3, "积分"), (3, "校验"), (4, "流水号"), (4, "类型"), (4, "积分"), (4, "校验"), (5, "流水号"), (5, "余额"),
        (5, "校验")]
    assert [i.message for i in issues if i.column != "校验"] == [
        "余额 1000 与流水累计 1 不符", "流水号“是”无效", "余额 2 与流水累计 3 不符", "流水 000001 被重复冲正",
        "类型“x”无效", "“True”不是数字", "流水号“”无效", "类型“”无效", "“abc”不是数字",
        "流水号 1 顺序错乱（流水只能追加在末尾）", "余额 1002.5 与流水累计 3.5 不符"]
