"""Who reviewed: the sign-off lines of a review sheet (篇4 评议小组, "实行小组交叉考察评议").

A sheet the 评议小组 fills ends with lines such as

    评议小组：第二组　　评议小组成员：张三、李四、王五　　日期：2026年3月20日
    考评小组组长：何建华　　成员：胡丽萍、汪志成　　考评日期：2025年11月28日
    评议小组成员签字：何建华（组长）、胡丽萍、陈光荣（村民代表）
    评议小组（签字）：何建华　胡丽萍　汪志成　　2025年9月26日

``read_signoff`` reads the members (in order, once each) and the reviewing group
from such lines; dates, "（组长）", blanks "____" and counts ("五人") are not names.
Only short rows (one or two cells with text) with a 评议/考评 label are looked at: a household
row is never a sign-off line, and a monthly sheet's '检查人：' or '打分人：' is not a review. Pure: it gets the parsed rows, never a file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from villagectl.io.reader import WorkbookRows
from villagectl.values import clean_text, group_key

# a label ending in a colon: '评议小组成员：', '考评小组组长：', '评议小组（签字）：', '日期：'
_LABEL = re.compile(r"([\u4e00-\u9fff（）()]{1,14})\s*[：:]")
_REVIEW = ("评议", "考评")  # a line is a review sign-off only when one of its labels says so ('检查人：' is not)
_SIGNERS = ("评议", "考评", "成员", "组长", "签字")
_NOT_SIGNERS = ("日期", "时间", "审核", "意见", "户主", "盖章")
_GROUP = re.compile(r"^第?[一二三四五六七八九十百0-9]+(?:组|小组|评议组|评议小组)$")
_DATE = re.compile(r"(?:20\d{2}|[〇零一二三四五六七八九]{4})\s*[年./-]\s*\S{1,3}?\s*[月./-]\s*\S{1,3}?\s*日?|20\d{2}[./-]\d{1,2}[./-]\d{1,2}")
_NAME = re.compile(r"^[\u4e00-\u9fff·]{2,5}$")
_COUNT = re.compile(r"^[一二三四五六七八九十0-9]+(?:人|名)$")
_WORDS = {"签字", "组长", "成员", "副组长", "组员", "村民代表", "党员代表"}


@dataclass
class Signoff:
    members: list[str] = field(default_factory=list)
    group: str = ""  # the reviewing group as written ('第二组'), '' when not stated
    where: str = ""  # 'sheet / A12' of the first sign-off line

    def __bool__(self) -> bool:
        return bool(self.members or self.group)


def _pieces(text: str) -> list[tuple[str, str]]:
    """(label, value) pairs of one line."""
    marks = list(_LABEL.finditer(text))
    out = []
    for i, m in enumerate(marks):
        end = marks[i + 1].start() if i + 1 < len(marks) else len(text)
        out.append((m.group(1), text[m.end():end]))
    return out


def _names(value: str) -> tuple[list[str], str]:
    value = _DATE.sub(" ", value)
    value = re.sub(r"[（(][^）)]*[）)]", " ", value)  # （组长）, （村民代表）
    value = value.replace("_", " ")
    names, group = [], ""
    for token in re.split(r"[、，,；;/\s\u3000]+", value):
        token = token.strip()
        if not token:
            continue
        if _GROUP.match(token):
            group = group or token
        elif _NAME.match(token) and token not in _WORDS and not _COUNT.match(token):
            names.append(token)
    return names, group


def signoff_of_rows(rows: list[list], sheet: str = "") -> Signoff:
    from villagectl.io.reader import cell_ref

    found = Signoff()
    for r, row in enumerate(rows):
        cells = [(c, clean_text(v)) for c, v in enumerate(row) if clean_text(v)]
        if not cells or len(cells) > 2:
            continue
        text = "　".join(t for _, t in cells)
        hit = False
        pieces = _pieces(text)
        if not any(w in label for label, _ in pieces for w in _REVIEW):
            continue
        for label, value in pieces:
            if not any(w in label for w in _SIGNERS) or any(w in label for w in _NOT_SIGNERS):
                continue
            names, group = _names(value)
            hit = hit or bool(names or group)
            for n in names:
                if n not in found.members:
                    found.members.append(n)
            if group and not found.group:
                found.group = group
        if hit and not found.where:
            found.where = f"{sheet} / {cell_ref(r, cells[0][0])}" if sheet else cell_ref(r, cells[0][0])
    return found


def read_signoff(book: WorkbookRows) -> Signoff:
    """The sign-off of a whole file (every sheet's lines together)."""
    out = Signoff()
    for sheet in book.sheets:
        part = signoff_of_rows(sheet.rows, sheet.name)
        for n in part.members:
            if n not in out.members:
                out.members.append(n)
        out.group = out.group or part.group
        out.where = out.where or part.where
    return out


def split_reviewers(text: str) -> list[str]:
    """--reviewers '张三、李四 王五' → ['张三', '李四', '王五'] (as typed, once each)."""
    out: list[str] = []
    for token in re.split(r"[、，,；;/\s\u3000]+", text or ""):
        token = token.strip()
        if token and token not in out:
            out.append(token)
    return out


def reviews_itself(review_group: str, groups: list[str]) -> bool:
    """The reviewing group is one of the groups its sheet scores (篇4 asks for cross-review)."""
    key = group_key(review_group)
    return bool(key) and any(group_key(g) == key for g in groups)


def apply_signoff(outcome, book: WorkbookRows, reviewers: str = "", review_group: str = "",
                  min_members: str = "") -> None:
    """Set ``outcome.reviewers`` / ``outcome.review_group`` (the options first, else the sheet's sign-off) and
    add a 提醒 when the group reviews its own households (篇4: 实行小组交叉考察评议) or has fewer members
    than 参数 评议小组最少人数 (篇4: 每组不少于5人)."""
    from villagectl.errors import Location, Problem
    from villagectl.values import NotANumber, to_number

    signoff = read_signoff(book)
    outcome.reviewers = split_reviewers(reviewers) or signoff.members
    outcome.review_group = clean_text(review_group) or signoff.group
    try:
        least = to_number(min_members) if clean_text(min_members) else None
    except NotANumber:
        least = None
    if least and outcome.reviewers and len(outcome.reviewers) < least:
        outcome.problems.append(Problem(
            Location(outcome.file), f"评议小组成员 {len(outcome.reviewers)} 人（{'、'.join(outcome.reviewers)}），"
            f"少于参数“评议小组最少人数” {int(least)} 人（基础分140分办法：每组不少于5人）；请核对（照常导入）", "提醒"))
    if outcome.review_group and reviews_itself(outcome.review_group, outcome.groups):
        sheet, _, cell = signoff.where.partition(" / ") if not review_group and signoff.where else ("", "", "")
        outcome.problems.append(Problem(
            Location(outcome.file, sheet, cell),
            f"评议组“{outcome.review_group}”评的是本组的农户；基础分140分办法要求实行小组交叉考察评议，请核对是否应由其他组评议"
            "（照常导入）", "提醒"))
