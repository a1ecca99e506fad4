"""Issue 15: each rule has one home — "a household is active" is ledger.households.is_active."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from villagectl.ledger.households import is_active

SOURCE = Path(__file__).resolve().parent.parent / "villagectl"
# a hard-coded test of 状态 正常: ("正常", "") / ["正常", ""] / == "正常" / != "正常" / or "正常"
HARD_CODED = re.compile(r"""[(\[]\s*["']正常["']\s*,\s*["']["']\s*[)\]]|[!=]=\s*["']正常["']|\bor\s+["']正常["']""")
# still to move (being restructured by other work of issue 15)
NOT_YET = {"actions/rollup.py", "actions/passbook.py", "ledger/shop.py", "ledger/budget.py"}


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
