"""The columns every imported sheet may carry besides its scores, recognised once for all importers.

People name the household key 户号 / 户编号 / 农户编号 / 户籍编号, the head 户主 /
户主姓名 / 户名 / 姓名, the group 组别 / 村民小组 / 组, the total 合计 / 总分 /
总分数 / 得分合计 / 实得总分 … Rather than a list of every wording, a header is
recognised by the word that carries its meaning (号/编号, 姓名/户主/户名, 组, 合计/总…),
after the same normalisation the item matcher uses.

The three columns every importer shares are also defined here once, as the
``FieldSpec`` each importer puts in its ``FIELDS`` (``HOUSEHOLD_ID_FIELD``,
``HEAD_FIELD``, ``GROUP_FIELD``): the same wordings are accepted by the roster,
event, redeem day-sheet and vote-tally importers.

The importer protocol (docs/architecture.md): every importer module exposes
``FIELDS`` (its header meanings, a list of ``FieldSpec``), ``identify(book)``
(a score, 0 when the workbook is not one of its kind) and
``extract(book, ctx) -> (records, problems)``.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, replace
from functools import lru_cache

HOUSEHOLD_ID, HEAD, GROUP, TOTAL, SUBTOTAL, SEQUENCE, INFO = "户号", "户主", "组别", "合计", "小计", "序号", "其他"


@dataclass(frozen=True)
class FieldSpec:
    """A column an importer looks for: its name and the other wordings people use for it."""

    name: str
    synonyms: tuple[str, ...]
    required: bool = False

    def needed(self) -> FieldSpec:
        """The same column, required (a table without it is not recognised)."""
        return replace(self, required=True)


HOUSEHOLD_ID_FIELD = FieldSpec(HOUSEHOLD_ID, ("户编号", "编号", "户籍编号", "农户编号", "户代码", "户码", "门牌号"))
HEAD_FIELD = FieldSpec(HEAD, ("户主姓名", "姓名", "户主名", "户主名字", "户名", "家长姓名", "农户", "村民", "村民姓名",
                              "申报户", "兑换人", "兑换户", "被评户"))
GROUP_FIELD = FieldSpec(GROUP, ("组", "村民小组", "小组", "所在组", "所属组", "组名", "网格", "所属网格", "村组"))


_STRIP = re.compile(r"[\s\u3000\u00a0\u200b\ufeff/\\、，,;；:：·．.\-—–_|（）()\[\]【】*＊\d]+")
_SIGNATURE = re.compile(r"签名|签字|签章|确认|盖章|手印")
_INFO = re.compile(
    r"备注|说明|原因|问题|意见|建议|评语|整改|情况说明|等次|等级|档次|评价|评定|电话|手机|联系|身份证|证件|证号|住址|地址|门牌|"
    r"住所|人口|人数|日期|时间|名次|排名|排序|积分|申报|性别|年龄|出生|民族|照片|附件|网格员|检查人|评分人|打分人"
)
# info words no item's header holds (a person, a place, a date, who inspected): such a column is never an item,
# however much of an item's wording it also carries ('家庭人口' is no 家庭 item); the others ('积分', '评价') may be
_PLAIN_INFO = re.compile(
    r"备注|电话|手机|联系|身份证|证件|证号|住址|地址|门牌|住所|人口|人数|日期|时间|名次|排名|排序|性别|年龄|出生|民族|"
    r"照片|附件|网格员|检查人|评分人|打分人"
)
_TOTAL = re.compile(r"合计|总计|总分|总成绩|总得分|汇总|累计|总和|^得分$|^实得分?$|^(?:月度|综合|最终|本月|补查|实际|实得|考核|检查)(?:得分|分数|成绩|分)$")
_SUBTOTAL = re.compile(r"小计")


def _key(text: object) -> str:
    return _key_of("" if text is None else str(text))


@lru_cache(maxsize=65536)
def _key_of(text: str) -> str:
    t = unicodedata.normalize("NFKC", text)
    t = re.sub(r"[(（\[【][^)）\]】]*[)）\]】]", "", t)  # '(18位)', '（签字）'
    return _STRIP.sub("", t)


def plainly_info(text: object) -> bool:
    """The header names something about the household or the form, never an item (see ``_PLAIN_INFO``)."""
    return bool(_PLAIN_INFO.search(_key(text)))


def field_of(text: object) -> str | None:
    """The meaning of a non-score header, or None when it may be an item."""
    key = _key(text)
    if not key:
        return None
    if key in ("序号", "序", "No", "NO", "no", "行号", "顺序号"):
        return SEQUENCE
    if _SIGNATURE.search(key):
        return INFO
    if _SUBTOTAL.search(key):
        return SUBTOTAL
    if _TOTAL.search(key):
        return TOTAL
    if "户号" in key or re.search(r"(?:编号|编码|代码|户码)$", key) and "序" not in key:
        return HOUSEHOLD_ID
    if re.search(r"户主|姓名|户名|农户$|被检查户|^户$|^名字$|^家庭$|^家长$", key) and not _INFO.search(key):
        return HEAD
    if re.search(r"组别|村民小组|^小组$|^组$|组名|所在组|所属组|村组|网格$|^片区$|^组号$", key):
        return GROUP
    if _INFO.search(key):
        return INFO
    return None


_MAX_ROW = re.compile(r"满分|分值|标准分|基础分|最高分|应得分|总分值")
_SUMMARY_ROW = re.compile(r"合计|小计|总计|平均|均分|汇总|累计|总分|最高|最低|统计")


def is_max_label(text: object) -> bool:
    """A row label saying the row holds the maxima: 满分 / 分值 / 标准分 / 基础分 …"""
    key = _key(text)
    return bool(key) and len(key) <= 8 and bool(_MAX_ROW.search(key))


def is_summary_label(text: object) -> bool:
    """A row label of a total or average row: 合计 / 小计 / 本片平均 / 全组平均 / 本组平均分 …"""
    key = _key(text)
    return bool(key) and len(key) <= 10 and bool(_SUMMARY_ROW.search(key))
