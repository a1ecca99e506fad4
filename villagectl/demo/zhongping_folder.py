"""The 中坪村 demo folder: a ledger, a messy roster and a month of grid workers' sheets.

``build_samples(folder)`` writes, for 中坪村 (preset ``zhongping``):

- ``中坪村积分台账.xlsx``: the ledger made by ``init`` and filled through the
  library (户籍 64 households in 4 groups, 干部, 商品, opening balances in
  积分流水);
- ``原始资料/村民花名册.xlsx``: the village's own roster, laid out the way a
  village keeps it (title, other header wording, blank rows, numbers stored
  as numbers, a signature footer). Importing it into the ledger adds 2
  households (ZP065, ZP066), changes 3 phone numbers (ZP005, ZP023, ZP058)
  and moves ZP048 from 第三组 to 第四组;
- ``原始资料/村民花名册_有错误.xlsx``: the same roster with 4 planted errors
  (see ``zhongping.ROSTER_ERRORS``);
- ``原始资料/2026年7月检查表/``: the July 2026 inspection sheets of the four
  groups, each in a different layout and format (xlsx, two-level xlsx, legacy
  xls with text and full-width digits, ods).

The inspection sheets describe the ledger as generated here (before the
roster is imported): the households of each group whose 状态 is 正常. The two
new households of the roster were not on the printed forms: the clerk's
``7月补查登记（新分户）.xlsx`` (one form per household, items down the rows)
inspects them, so the month is complete.

Everything comes from ``random.Random(20260601)``: the same data every run
(the ledger's 兑换单密钥 and the 操作日志 time of ``init`` are the only parts
that differ between runs). The data and the ledger are ``demo.zhongping``'s,
the roster and the sheets ``demo.zhongping_sheets``'.
"""

from __future__ import annotations

import random
import shutil
from pathlib import Path

from villagectl.demo.zhongping import (
    INSPECTION_DIR, ROSTER_DIR, ROSTER_ERRORS_NAME, ROSTER_NAME, SEED, make_village, write_ledger)
from villagectl.demo.zhongping_sheets import (
    SUPPLEMENT_NAME, roster_rows, roster_with_errors, write_group1, write_group2, write_group3, write_group4,
    write_roster, write_supplement)


def build_samples(out_dir: Path, village: str = "中坪村") -> dict[str, Path | list[Path]]:
    """Write the demo ledger, the rosters and the July inspection sheets into ``out_dir``."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    data = make_village(village)
    state_existed = (out_dir / ".villagectl").exists()

    ledger_path = out_dir / f"{village}积分台账.xlsx"
    if ledger_path.exists():
        ledger_path.unlink()  # ours, from an earlier run
    # A fresh folder gets no backup folder; an existing one keeps its backups as the setting says.
    write_ledger(ledger_path, data, keep_backups=None if state_existed else 0)
    if not state_existed:
        shutil.rmtree(out_dir / ".villagectl", ignore_errors=True)  # only the emptied backup folder

    raw = out_dir / ROSTER_DIR
    raw.mkdir(exist_ok=True)
    rng = random.Random(SEED + 2)
    rows = roster_rows(data, rng)
    roster = raw / ROSTER_NAME
    write_roster(roster, data, rows)
    roster_bad = raw / ROSTER_ERRORS_NAME
    write_roster(roster_bad, data, roster_with_errors(data, rows))

    folder = raw / INSPECTION_DIR
    folder.mkdir(exist_ok=True)
    sheets = [
        (write_group1, f"{village}第一组7月检查评分表.xlsx", "第一组"),
        (write_group2, "第二组2026年7月评分.xlsx", "第二组"),
        (write_group3, "第三组7月检查打分表.xls", "第三组"),
        (write_group4, "第四组7月积分评比.ods", "第四组"),
    ]
    inspections: list[Path] = []
    for writer, name, group in sheets:
        path = folder / name
        writer(path, data, data.inspections[group])
        inspections.append(path)
    supplement = folder / SUPPLEMENT_NAME
    write_supplement(supplement, data)
    return {
        "ledger": ledger_path,
        "roster": roster,
        "roster_with_errors": roster_bad,
        "inspections": inspections,
        "supplement": supplement,
    }
