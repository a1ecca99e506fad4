"""Regenerate the demo village in this folder: python sample_ledgers/build_samples.py

Writes 中坪村积分台账.xlsx, 原始资料/村民花名册*.xlsx and the July 2026
inspection sheets (see villagectl/demo/zhongping_folder.py). The data are the same every run.
"""

from __future__ import annotations

import sys
from pathlib import Path

from villagectl.demo import build_samples


def main() -> int:
    here = Path(__file__).resolve().parent
    made = build_samples(here)
    print(f"示例数据已生成（{here}）：")
    for key, value in made.items():
        paths = value if isinstance(value, list) else [value]
        for path in paths:
            print(f"  {key:<20} {path.relative_to(here)}")
    return 0


if __name__ == "__main__":
    if hasattr(sys.stdout, "reconfigure"):
        sys.stdout.reconfigure(encoding="utf-8", errors="replace")
    sys.exit(main())
