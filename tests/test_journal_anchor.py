"""The journal (积分流水) is anchored and every writing command checks it first (issue 11, items 3, 4, 16).

Every tamper here is done the way a clerk would do it: the workbook is opened and saved by another
program (openpyxl), not through villagectl, so nothing of the tool is told about it.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from conftest import invoke, invoke_json
from villagectl.ledger.workbook import Ledger
from villagectl.demo import build_samples
from villagectl.values import clean_text

MONTH = "2026-07"
DAY = "2026-08-03"


@pytest.fixture(scope="module")
def _posted_once(tmp_path_factory) -> Path:
    """A sample village with July imported, scored and posted (built once, copied per test)."""
    from typer.testing import CliRunner

    runner = CliRunner()
    made = build_samples(tmp_path_factory.mktemp("anchor") / "村")
    ledger = Path(made["ledger"])
    assert invoke(runner, "inspect", "import", ledger, *made["inspections"]).exit_code == 0
    assert invoke(runner, "score", "month", ledger, "--month", MONTH).exit_code == 0
    result = invoke(runner, "post", "month", ledger, "--month", MONTH, "--force", "--reason", "测试", "--date", "2026-07-29")
    assert result.exit_code == 0, result.stderr
    return ledger


@pytest.fixture
def posted(_posted_once: Path, tmp_path: Path) -> Path:
    folder = tmp_path / "村"
    folder.mkdir()
    target = folder / _posted_once.name
    shutil.copy2(_posted_once, target)
    return target


@pytest.fixture
def village(tmp_path: Path) -> Path:
    return Path(build_samples(tmp_path / "村")["ledger"])


def _header(ws) -> dict[str, int]:
    for row in ws.iter_rows(min_row=1, max_row=5):
        names = {clean_text(c.value): c.column for c in row if c.value is not None}
        if "流水号" in names or "单号" in names:
            return names
    raise AssertionError("no header")


def _hand_edit(path: Path, sheet: str, change) -> None:
    """Open the workbook in 'Excel' (openpyxl), change one sheet, save."""
    wb = openpyxl.load_workbook(path)
    ws = wb[sheet]
    change(ws, _header(ws))
    wb.save(path)


def _delete_journal_rows(path: Path, keep) -> int:
    deleted = []

    def change(ws, cols):
        for r in range(ws.max_row, 1, -1):
            ref = clean_text(ws.cell(r, cols["关联"]).value)
            if ws.cell(r, cols["流水号"]).value is not None and not keep(ref, r):
                deleted.append(r)
                ws.delete_rows(r)

    _hand_edit(path, "积分流水", change)
    return len(deleted)


def _problem_messages(runner, path: Path) -> list[str]:
    result, data = invoke_json(runner, "check", path)
    assert result.exit_code == 1
    return [p["message"] for p in data["problems"] if p["severity"] != "警告"]


# --- 3. the anchor: deleted rows at the end are found -------------------------------------------------


def test_deleting_every_posting_of_the_last_month_is_an_error_naming_it(runner, posted: Path) -> None:
    assert invoke(runner, "check", posted).exit_code == 0
    removed = _delete_journal_rows(posted, lambda ref, r: not ref.startswith(f"月度得分 {MONTH} "))
    assert removed > 10
    messages = _problem_messages(runner, posted)
    assert any(MONTH in m and "积分流水" in m for m in messages), messages
    result = invoke(runner, "post", "month", posted, "--month", MONTH, "--date", "2026-07-30")
    assert result.exit_code == 1, result.stdout
    assert "已经入账过" not in result.stdout and MONTH in result.stderr


def test_deleting_the_last_journal_row_is_found(runner, village: Path) -> None:
    result = invoke(runner, "redeem", village, "--household", "ZP010", "--item", "毛巾", "--date", DAY, "--no-print")
    assert result.exit_code == 0, result.stderr
    assert invoke(runner, "check", village).exit_code == 0
    last = Ledger.open(village).frame("积分流水")
    last_id = clean_text(last["流水号"].iloc[-1])

    def change(ws, cols):
        for r in range(ws.max_row, 1, -1):
            if clean_text(ws.cell(r, cols["流水号"]).value) == last_id:
                ws.delete_rows(r)

    _hand_edit(village, "积分流水", change)
    messages = _problem_messages(runner, village)
    assert any("积分流水" in m and "行" in m for m in messages), messages


def test_old_ledgers_without_anchor_columns_still_pass(runner, village: Path) -> None:
    def drop(ws, cols):
        pass

    wb = openpyxl.load_workbook(village)
    ws = wb["操作日志"]
    header = {clean_text(c.value): c.column for c in ws[1] if c.value is not None}
    for name in ("流水行数", "流水末校验"):
        if name in header:
            ws.delete_cols(header[name])
            header = {clean_text(c.value): c.column for c in ws[1] if c.value is not None}
    wb.save(village)
    assert invoke(runner, "check", village).exit_code == 0
    result = invoke(runner, "redeem", village, "--household", "ZP010", "--item", "毛巾", "--date", DAY, "--no-print")
    assert result.exit_code == 0, result.stderr
    assert invoke(runner, "check", village).exit_code == 0


def _drop_anchor_columns(path: Path) -> None:
    wb = openpyxl.load_workbook(path)
    for sheet in ("操作日志", "期间"):
        ws = wb[sheet]
        for name in ("流水行数", "流水末校验"):
            header = {clean_text(c.value): c.column for c in ws[1] if c.value is not None}
            if name in header:
                ws.delete_cols(header[name])
    wb.save(path)


def test_a_month_posted_before_anchors_existed_is_still_checked(runner, posted: Path) -> None:
    _drop_anchor_columns(posted)  # as posted by an older version
    assert invoke(runner, "check", posted).exit_code == 0
    _delete_journal_rows(posted, lambda ref, r: not ref.startswith(f"月度得分 {MONTH} "))
    messages = _problem_messages(runner, posted)
    assert any(f"期间 {MONTH} 已入账" in m for m in messages), messages


# --- 4. writing commands refuse a tampered journal ----------------------------------------------------


def _set_points(path: Path, household: str, points: int) -> None:
    def change(ws, cols):
        for r in range(ws.max_row, 1, -1):
            if clean_text(ws.cell(r, cols["户号"]).value) == household:
                ws.cell(r, cols["积分"]).value = points
                ws.cell(r, cols["余额"]).value = points
                return

    _hand_edit(path, "积分流水", change)


WRITERS = [
    ("redeem", lambda L, tmp: ["redeem", L, "--household", "ZP010", "--item", "食用油", "--qty", "8", "--date", DAY,
                               "--no-print"]),
    ("transfer out", lambda L, tmp: ["transfer", "out", L, "--household", "ZP010", "--to-village", "别村",
                                     "-o", tmp / "转出.json"]),
    ("score year", lambda L, tmp: ["score", "year", L, "--year", "2026"]),
    ("event post", lambda L, tmp: ["event", "post", L, "--all", "--date", DAY]),
    ("event revoke", lambda L, tmp: ["event", "revoke", L, "--entry", "000001", "--reason", "测试", "--date", DAY]),
    ("redeem cancel", lambda L, tmp: ["redeem", "cancel", L, "--slip", "DH2026-000001", "--reason", "测试"]),
]


@pytest.mark.parametrize("name,args", WRITERS, ids=[w[0] for w in WRITERS])
def test_writing_commands_refuse_a_tampered_journal(runner, village: Path, tmp_path: Path, name, args) -> None:
    if name == "transfer out":
        book = Ledger.open(village)
        settings = book.frame("参数")
        extra = pd.DataFrame([{"键": "镇转移密钥", "值": "town-key-for-the-test-0123456789", "说明": "测试"}], dtype=object)
        book.replace("参数", pd.concat([settings, extra], ignore_index=True))
        book.save("test-setup")
    _set_points(village, "ZP010", 500)
    check = invoke(runner, "check", village)
    assert check.exit_code == 1
    before = village.read_bytes()
    result = invoke(runner, *args(village, tmp_path))
    assert result.exit_code == 1, (name, result.stdout, result.stderr)
    assert "校验值不符" in result.stderr and "villagectl check" in result.stderr
    assert village.read_bytes() == before


def test_post_month_refuses_a_tampered_journal(runner, tmp_path: Path) -> None:
    made = build_samples(tmp_path / "村")
    ledger = Path(made["ledger"])
    assert invoke(runner, "inspect", "import", ledger, *made["inspections"]).exit_code == 0
    assert invoke(runner, "score", "month", ledger, "--month", MONTH).exit_code == 0
    _set_points(ledger, "ZP010", 500)
    before = ledger.read_bytes()
    result = invoke(runner, "post", "month", ledger, "--month", MONTH, "--force", "--reason", "测试", "--date", "2026-07-29")
    assert result.exit_code == 1 and "校验值不符" in result.stderr
    assert ledger.read_bytes() == before


def test_redeem_import_refuses_a_tampered_journal(runner, village: Path, tmp_path: Path) -> None:
    from villagectl.ledger.journal_anchor import require_intact
    from villagectl.errors import DataError

    _set_points(village, "ZP010", 500)
    with pytest.raises(DataError) as info:
        require_intact(Ledger.open(village))
    assert "校验值不符" in str(info.value) + "".join(p.message for p in info.value.problems)
    shop = tmp_path / "兑换.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["日期", "户号", "物品", "数量"])
    ws.append(["2026-08-01", "ZP010", "毛巾", 1])
    wb.save(shop)
    before = village.read_bytes()
    result = invoke(runner, "redeem", "import", village, shop, "--no-print")
    assert result.exit_code == 1 and "校验值不符" in result.stderr, result.stdout + result.stderr
    assert village.read_bytes() == before


# --- 16. a used slip cannot be used again after its 状态 is reset by hand --------------------------------


def test_a_collected_slip_reset_by_hand_is_caught(runner, village: Path) -> None:
    result, data = invoke_json(runner, "redeem", village, "--household", "ZP010", "--item", "毛巾", "--date", DAY,
                               "--no-print")
    assert result.exit_code == 0
    code = data["slips"][0]["code"]
    assert invoke(runner, "slip", "use", village, code).exit_code == 0
    journal = Ledger.open(village).frame("积分流水")
    assert clean_text(journal["类型"].iloc[-1]) == "领取" and journal["积分"].iloc[-1] == 0
    assert invoke(runner, "check", village).exit_code == 0

    def reset(ws, cols):
        for r in range(2, ws.max_row + 1):
            if clean_text(ws.cell(r, cols["单号"]).value) == data["slips"][0]["slip"]:
                ws.cell(r, cols["状态"]).value = "未领取"
                ws.cell(r, cols["领取日期"]).value = None

    _hand_edit(village, "兑换记录", reset)
    messages = _problem_messages(runner, village)
    assert any("状态被手工改过" in m and data["slips"][0]["slip"] in m for m in messages), messages
    before = village.read_bytes()
    result = invoke(runner, "slip", "use", village, code)
    assert result.exit_code == 1 and "领取" in result.stderr
    assert village.read_bytes() == before
    result, verdict = invoke_json(runner, "slip", "verify", village, code)
    assert result.exit_code == 1 and not verdict["ok"]
    # nor can it be cancelled as if the goods were never taken (points back, goods kept)
    result = invoke(runner, "redeem", "cancel", village, "--slip", data["slips"][0]["slip"], "--reason", "测试")
    assert result.exit_code == 1 and "状态被手工改过" in result.stderr
    assert village.read_bytes() == before
