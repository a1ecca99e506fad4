"""Issue 15: each rule has one home — "a household is active" is ledger.households.is_active."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from villagectl.ledger.households import is_active

SOURCE = Path(__file__).resolve().parent.parent / "villagectl"
# a hard-coded test of 状态 正常: ("正常", "") / ["正常", ""] / == "正常" / != "正常"
HARD_CODED = re.compile(r"""[(\[]\s*["']正常["']\s*,\s*["']["']\s*[)\]]|[!=]=\s*["']正常["']""")
# still to move (being restructured by other work of issue 15)
NOT_YET: set[str] = set()  # every module tests a household's 状态 through is_active


@pytest.mark.parametrize("state, active", [
    ("正常", True), ("", True), (None, True), (float("nan"), True), (" 正常 ", True), ("正常\u3000", True),
    ("迁出", False), ("注销", False), ("暂停", False), ("正常户", False),
])
def test_is_active(state, active) -> None:
    assert is_active(state) is active


def test_no_module_hard_codes_the_active_state() -> None:
    found = []
    for path in sorted(SOURCE.rglob("*.py")):
        rel = path.relative_to(SOURCE).as_posix()
        if rel == "ledger/households.py" or rel in NOT_YET:
            continue
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if HARD_CODED.search(line):
                found.append(f"{rel}:{n}: {line.strip()}")
    assert found == [], "用 villagectl.ledger.households.is_active:\n" + "\n".join(found)


# --- one name: 曝光台 is "exposure" (score month --json, the month notice's template variables) ---------------


@pytest.fixture
def bottom_three_months(ledger_path: Path, runner, tmp_path: Path) -> Path:
    """B2 is the village's lowest in July, August and September: on the 曝光台 in September."""
    from conftest import add_households, household, invoke
    from test_supplement import GROUPS, NAMES, sheet

    add_households(ledger_path, [household(h, NAMES[h], g) for g, ids in GROUPS.items() for h in ids])
    for month in ("2026-07", "2026-08", "2026-09"):
        paths = [sheet(tmp_path / month, "第一组", month, {"A1": 90, "A2": 86}),
                 sheet(tmp_path / month, "第二组", month, {"B1": 85, "B2": 72})]
        r = invoke(runner, "inspect", "import", ledger_path, *paths)
        assert r.exit_code == 0, r.stdout + r.stderr
        r = invoke(runner, "score", "month", ledger_path, "--month", month)
        assert r.exit_code == 0, r.stdout + r.stderr
    return ledger_path


def test_score_month_json_says_exposure(runner, bottom_three_months: Path) -> None:
    from conftest import invoke_json

    result, data = invoke_json(runner, "score", "month", bottom_three_months, "--month", "2026-09")
    assert result.exit_code == 0, result.stdout
    on_board = {h["household_id"]: h["exposure"] for h in data["households"]}
    assert on_board == {"A1": False, "A2": False, "B1": False, "B2": True}
    # an alias kept for scripts written before the rename (docs/json.md) says the same
    assert all(h.get("blacklisted", h["exposure"]) == h["exposure"] for h in data["households"])


def test_a_template_exported_before_the_rename_still_prints(runner, bottom_three_months: Path, tmp_path: Path) -> None:
    from pypdf import PdfReader

    from conftest import invoke

    folder = tmp_path / "模板"
    assert invoke(runner, "templates", "export", folder).exit_code == 0
    template = folder / "notice_month.typ.j2"
    text = template.read_text(encoding="utf-8")
    assert "exposure_count" in text
    template.write_text(text.replace("exposure_count", "blacklisted_count"), encoding="utf-8")  # the old name
    pdf = tmp_path / "公示.pdf"
    r = invoke(runner, "notice", "month", bottom_three_months, "--month", "2026-09", "-o", pdf, "--date", "2026-10-01",
               "--templates", folder)
    assert r.exit_code == 0, r.stdout + r.stderr
    printed = "".join(p.extract_text() for p in PdfReader(pdf).pages).replace(" ", "").replace("\n", "")
    assert "“曝光台”表示该户按本村积分制办法列入曝光台" in printed


# --- one template/font fallback: --templates/--font, else 参数 模板文件夹/字体, else the bundled ones ----------------

PRINTING_NOT_YET = {"actions/passbook.py"}  # being restructured


def test_the_template_and_font_fallback_has_one_home() -> None:
    """render.typst_engine.printing_paths; the actions reach it through actions.session.PrintOptions.paths."""
    copy = re.compile(r"setting_path\(|get\(\s*[\"'](模板文件夹|字体)[\"']|\b(templates_dir|font) or\b")
    found = []
    for path in sorted(SOURCE.rglob("*.py")):
        rel = path.relative_to(SOURCE).as_posix()
        if rel in ("render/typst_engine.py", "actions/session.py") or rel in PRINTING_NOT_YET:
            continue
        text = path.read_text(encoding="utf-8")
        for n, line in enumerate(text.splitlines(), 1):
            if copy.search(line) or (rel.startswith(("actions/", "cli/")) and "printing_paths" in line):
                found.append(f"{rel}:{n}: {line.strip()}")
    assert found == [], "用 PrintOptions(templates, font).paths(ledger):\n" + "\n".join(found)


# --- one footer: 公示期 / 异议 / 落款 of every notice (render/notice_footer.py) -------------------------------

def test_every_notice_footer_is_the_one_footer_and_refuses_a_period_ending_before_it_starts() -> None:
    import datetime as dt

    from villagectl.errors import DataError
    from villagectl.render.events_notice import EventNotice, events_context
    from villagectl.render.notice_footer import footer_context

    start, end = dt.date(2026, 8, 3), dt.date(2026, 8, 9)
    notice = EventNotice("中坪村", [], start, end, "如有异议，请于公示期内向村委会反映。", "中坪村村民委员会", start)
    assert footer_context(notice) == {"period_start": start, "period_end": end, "committee": "中坪村村民委员会",
                                      "objection_text": "如有异议，请于公示期内向村委会反映。", "issued": start}
    assert {k: events_context(notice)[k] for k in footer_context(notice)} == footer_context(notice)
    backwards = EventNotice("中坪村", [], end, start, "", "中坪村村民委员会", start)
    with pytest.raises(DataError, match="公示期结束日 2026年8月3日 早于开始日 2026年8月9日"):
        events_context(backwards)  # the events notice never checked this before it had the one footer
    footers = [p.relative_to(SOURCE).as_posix() for p in sorted((SOURCE / "render").glob("*.py"))
               if '"objection_text": notice.objection_text' in p.read_text(encoding="utf-8")]
    assert footers == ["render/notice_footer.py"]


# --- one reading of a Chinese number (group names: matching and the notices' order) ---------------------------

@pytest.mark.parametrize("text, number", [
    ("3", 3), ("三", 3), ("十", 10), ("十二", 12), ("二十", 20), ("二十一", 21), ("一百零五", 105), ("两百", 200),
    ("一〇一", 101), ("一二", 12), ("", None), ("三组", None), ("第三", None),
])
def test_chinese_number(text, number) -> None:
    from villagectl.values import chinese_number

    assert chinese_number(text) == number


def test_groups_sort_by_their_number_as_they_match() -> None:
    from villagectl.render.notice import group_sort_key
    from villagectl.values import group_key

    groups = ["第十一组", "第2组", "第一〇一组", "第十组", "新村组", "第一组"]
    assert sorted(groups, key=group_sort_key) == ["第一组", "第2组", "第十组", "第十一组", "第一〇一组", "新村组"]
    assert group_key("第一〇一组") == group_key("101组")


# --- one reading of an imported 次数 / 日期 cell (events and cadre negatives) -------------------------------

def test_count_and_date_cells_read_the_same_in_every_importer() -> None:
    import datetime as dt

    from villagectl.importers.table import LocatedTable
    from villagectl.io.reader import SheetRows

    sheet = SheetRows("Sheet1", [["日期", "次数"], ["2026年7月15日", ""], ["五月初", "好几次"], ["", 3.0]])
    table = LocatedTable(sheet, 0, {"日期": 0, "次数": 1})
    today = dt.date(2026, 8, 1)
    assert table.day(1, today) == (dt.date(2026, 7, 15), "") and table.count(1) == (1.0, "")
    assert table.day(2, today) == (None, "日期“五月初”看不懂，请写成 2026-07-15 或 2026年7月15日")
    assert table.count(2) == (None, "次数“好几次”不是数字")
    assert table.day(3, today) == (today, "") and table.count(3) == (3.0, "")
    importers = Path(__file__).resolve().parent.parent / "villagectl" / "importers"
    assert [p.name for p in sorted(importers.glob("*.py")) if "看不懂，请写成" in p.read_text(encoding="utf-8")] == ["table.py"]
