"""Golden files: every inspection layout in tests/layouts/ imports as its <name>.expected.json says.

The workbooks and the .json are rebuilt by ``python tests/layouts/regenerate.py`` (see
tests/layouts/README.md); a difference here means the importer reads a layout differently than
when the .json was made. Besides the snapshot, the scores are checked against the values the
layouts were written with, so a wrong .json cannot pass unnoticed.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent / "layouts"
_spec = importlib.util.spec_from_file_location("layouts_regenerate", HERE / "regenerate.py")
golden = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(golden)

NAMES = sorted(golden.LAYOUTS)


@pytest.fixture(scope="module")
def ctx(tmp_path_factory):
    """The Context ``inspect import`` builds from a new 中坪村 ledger holding the layouts' roster."""
    return golden.context_of(golden.make_ledger(tmp_path_factory.mktemp("golden") / "中坪村.xlsx"))


def test_every_layout_has_its_files() -> None:
    assert 12 <= len(NAMES) <= 20
    for name in NAMES:
        assert golden.layout_path(name).is_file(), f"{name}: run python tests/layouts/regenerate.py"
        assert golden.expected_path(name).is_file(), f"{name}: run python tests/layouts/regenerate.py"
    stray = {p.name.split(".")[0] for p in HERE.iterdir() if p.suffix in (".xlsx", ".csv", ".json")} - set(NAMES)
    assert stray == set(), f"files of no layout in tests/layouts: {sorted(stray)}"


@pytest.mark.parametrize("name", NAMES)
def test_layout_imports_as_expected(name: str, ctx) -> None:
    expected = json.loads(golden.expected_path(name).read_text(encoding="utf-8"))
    got = golden.import_layout(name, ctx)
    assert got["month"] == expected["month"] == "2025-11"
    assert got["households"] == expected["households"]
    assert got["groups"] == expected["groups"]
    assert got["not_inspected"] == expected["not_inspected"]
    assert got["problems"] == expected["problems"]
    assert got["notes"] == expected["notes"]
    assert got == expected


@pytest.mark.parametrize("name", [n for n in NAMES if n != "problems"])
def test_layout_scores_are_the_ones_written(name: str) -> None:
    """Each household's scores are the ones regenerate.py wrote into the sheet, under the right codes."""
    expected = json.loads(golden.expected_path(name).read_text(encoding="utf-8"))
    assert expected["households"]
    assert [p for p in expected["problems"] if p["severity"] == "错误"] == []
    for hid, household in expected["households"].items():
        written = {code: score for (code, *_), score in zip(golden.ITEMS, golden.scores(hid))}
        assert household["scores"] == written, hid
        assert household["户主"] == golden.BY_ID[hid][1]
        assert household["组别"] == golden.BY_ID[hid][2]


def test_the_two_liu_yang_are_told_apart_by_their_group() -> None:
    for name in ("group_subtitles", "sheet_per_group", "two_level_categories"):
        households = json.loads(golden.expected_path(name).read_text(encoding="utf-8"))["households"]
        assert {"ZP201", "ZP301"} <= set(households), name


def test_the_problems_layout_names_each_cell() -> None:
    expected = json.loads(golden.expected_path("problems").read_text(encoding="utf-8"))
    found = {(p["severity"], p["where"].rsplit(" / ", 1)[-1]): p["message"] for p in expected["problems"]}
    assert found[("错误", "C3")] == "庭院 得分 16 超过满分 15"
    assert found[("错误", "F4")] == "卧室 没有打分"
    assert found[("错误", "A8")].startswith("户号 ZP999 不在户籍表中")
    assert "合计 99 与各项之和" in found[("警告", "Q5")]
    assert "迁出" in found[("警告", "A7")]
    assert expected["not_inspected"] == ["ZP104"]
    assert list(expected["households"]) == ["ZP103"]


@pytest.mark.parametrize("name", NAMES)
def test_identify_knows_an_inspection_sheet(name: str, ctx) -> None:
    """The importer protocol: inspection.identify finds all 14 items; the event and vote importers say 'not mine'."""
    from villagectl.importers import events, inspection, inspection_form, votes

    book = golden.read_layout(name, ctx)
    assert inspection.identify(book, ctx) == len(golden.ITEMS)
    assert inspection_form.identify(book) == (1 if name == "supplement_form" else 0)  # without the rules
    assert events.identify(book) == 0
    assert votes.identify(book) == 0


def test_extract_gives_the_rows_and_the_problems(ctx) -> None:
    from dataclasses import replace

    from villagectl.importers import inspection, inspection_form

    book = golden.read_layout("problems", ctx)
    rows, problems = inspection.extract(book, replace(ctx, file="problems.xlsx"))
    assert [r.household_id for r in rows] == ["ZP103"]
    assert ("C3", "庭院 得分 16 超过满分 15") in [(p.location.cell, p.message) for p in problems]
    form = golden.read_layout("supplement_form", ctx)
    assert inspection_form.identify(form, ctx) == 1
    rows, problems = inspection_form.extract(form, replace(ctx, file="supplement_form.xlsx"))
    assert [(r.household_id, r.scores["RJ1"]) for r in rows] == [("ZP202", golden.scores("ZP202")[0])]
    assert inspection_form.identify(golden.read_layout("title_one_header", ctx), ctx) == 0
    assert inspection_form.identify(form) == 1  # without the rules: '户号：…' and a 实得分 column
    assert inspection_form.identify(golden.read_layout("title_one_header", ctx)) == 0
