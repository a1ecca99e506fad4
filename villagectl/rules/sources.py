"""Where a rule comes from, in words a clerk knows.

The presets cite the source documents as the project reads them (seed 001 篇3, 种子004); the
workbook a clerk opens says "中坪村办法" instead. One table, applied when a ledger is made.
"""

from __future__ import annotations

import re

# seed 001 is eight villages' and counties' schemes (篇1–篇8); seeds 000, 002–004 are single documents
NAMES = {
    "篇2": "沙洋县积分制办法",
    "篇3": "中坪村办法",
    "篇4": "基础分140分办法",
    "篇5": "家庭积分账户办法",
    "篇8": "金银铜牌户办法",
    "种子000": "村干部和村民代表考核办法",
    "种子002": "“五美”文明银行办法",
    "种子003": "民主评议办法",
    "种子004": "孟家湾乡办法",
}
_REFERENCE = re.compile(r"种子001\s*(篇\d)|种子00\d|篇\d")


def for_clerk(text: str) -> str:
    """'（篇3：每积1分可兑换1元）' → '（中坪村办法：每积1分可兑换1元）'; '种子未规定' → '各地办法未规定'."""
    def name(m: re.Match) -> str:
        key = m.group(1) or m.group(0)
        return NAMES.get(key, "各地办法")

    text = text.replace("种子未规定", "各地办法未规定")
    return _REFERENCE.sub(name, text)
