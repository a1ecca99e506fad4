"""Cells as people type them, read the same in every importer (values.to_count / to_points / to_date,
importers.table.LocatedTable.value over merged cells)."""

from __future__ import annotations

import datetime as dt

import pytest

from villagectl.importers.table import LocatedTable
from villagectl.io.reader import SheetRows
from villagectl.values import NotANumber, to_count, to_date, to_points


@pytest.mark.parametrize("cell, number", [
    (4, 4.0), (4.0, 4.0), ("4", 4.0), ("４", 4.0), ("4人", 4.0), ("3 口", 3.0), ("3次", 3.0), ("30票", 30.0),
    ("2.5个", 2.5), ("二", 2.0), ("两", 2.0), ("十二人", 12.0), ("", None), (" ", None), (None, None),
])
def test_a_count_with_its_unit(cell, number) -> None:
    assert to_count(cell) == number


@pytest.mark.parametrize("cell", ["四口人家", "4人5", "约4人", "abc", "4/5"])
def test_what_is_not_a_count(cell) -> None:
    with pytest.raises(NotANumber):
        to_count(cell)


@pytest.mark.parametrize("cell, points", [
    (5, 5.0), ("+5", 5.0), ("-3", -3.0), ("5分", 5.0), ("加5分", 5.0), ("奖3分", 3.0), ("扣2分", -2.0),
    ("减2", -2.0), ("罚1分", -1.0), ("扣 2 分", -2.0), ("0.5", 0.5), ("", None),
])
def test_points_with_their_sign_word(cell, points) -> None:
    assert to_points(cell) == points


@pytest.mark.parametrize("cell", ["扣-2分", "加+1", "两分", "扣分", "五"])
def test_points_that_say_two_things_or_nothing(cell) -> None:
    with pytest.raises(NotANumber):
        to_points(cell)


@pytest.mark.parametrize("cell, year, day", [
    ("2026-08-14", None, dt.date(2026, 8, 14)), ("2026/8/14", None, dt.date(2026, 8, 14)),
    ("2026.8.14", None, dt.date(2026, 8, 14)), ("2026年8月14日", None, dt.date(2026, 8, 14)),
    ("2026年8月14号", None, dt.date(2026, 8, 14)), ("8月5日", 2026, dt.date(2026, 8, 5)),
    ("8月13号", 2026, dt.date(2026, 8, 13)), (dt.datetime(2026, 8, 1, 9, 30), None, dt.date(2026, 8, 1)), ("", 2026, None),
])
def test_a_date_as_written(cell, year, day) -> None:
    assert to_date(cell, year) == day


@pytest.mark.parametrize("cell, year", [("8月5日", None), ("五月初", 2026), ("2026年13月1日", None), ("8.5", 2026)])
def test_a_date_that_cannot_be_read(cell, year) -> None:
    with pytest.raises(ValueError):
        to_date(cell, year)


def test_a_cell_under_a_range_merged_down_reads_its_value_and_one_merged_across_does_not() -> None:
    rows = [["组别", "户主", "备注"], ["第一组", "张三", "本月全组无检查"], ["", "李四", ""], ["", "王五", ""], ["第二组", "赵六", ""]]
    sheet = SheetRows("Sheet1", rows, merged=[((1, 0), (3, 0)), ((1, 2), (1, 2)), ((4, 1), (4, 2))])
    table = LocatedTable(sheet, 0, {"组别": 0, "户主": 1, "备注": 2})
    assert [table.value(r, "组别") for r in (1, 2, 3, 4)] == ["第一组", "第一组", "第一组", "第二组"]
    assert table.value(4, "备注") == ""  # 赵六 merged across 户主 and 备注: one row, not filled
    assert table.value(2, "备注") == ""


@pytest.mark.parametrize("cell, number", [("1,200", 1200.0), ("1，200", 1200.0), ("12,000.5", 12000.5), ("-1,000", -1000.0)])
def test_a_comma_groups_thousands(cell, number) -> None:
    from villagectl.values import to_number

    assert to_number(cell) == number


@pytest.mark.parametrize("cell", ["11,5", "1,2345", "8，5分"])
def test_a_comma_that_groups_no_thousands_is_not_a_number(cell) -> None:
    from villagectl.values import to_number

    with pytest.raises(NotANumber):
        to_number(cell)  # '11,5' is a mistyped 11.5, never 115


@pytest.mark.parametrize("cell", ["11,5", "1,5个", "2,5人", "两三次", "三四人", "一两次", "十二三人", "七八票"])
def test_a_count_that_is_a_mistyped_decimal_or_a_spoken_range_is_refused(cell) -> None:
    with pytest.raises(NotANumber):
        to_count(cell)  # never 115, 15, 23 or 33


@pytest.mark.parametrize("cell, number", [("1,200人", 1200.0), ("一百零五", 105.0), ("两百", 200.0), ("三十", 30.0)])
def test_counts_with_thousands_and_hundreds(cell, number) -> None:
    assert to_count(cell) == number
