"""The 参数 sheet, typed: one reading of every key, for every command and for ``check``.

Each key the tool reads has one entry in SPECS: its kind, its bounds and its default. A cell that
does not fit is a problem with the cell's place; a command that needs that key refuses with the
same message (never a different reading in another command: 公示天数 "0" or "2.5" is refused by
every notice alike). Keys are read as the clerk typed them (text printed on notices keeps its
full-width punctuation); numbers through values.to_number (全角 digits, 分 units).
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import TYPE_CHECKING

from villagectl.errors import DataError, Location, Problem
from villagectl.table import Table, as_table
from villagectl.values import NotANumber, as_text, clean_text, to_number

if TYPE_CHECKING:
    import pandas as pd


@dataclass(frozen=True)
class Spec:
    key: str
    kind: str  # int | number | choice | yesno | fraction | text
    default: object = None  # None: empty means "not set" (the command decides what that means)
    minimum: float | None = None
    choices: tuple[str, ...] = ()
    positive: bool = False  # strictly above 0


def _s(key: str, kind: str, default: object = None, minimum: float | None = None, choices: tuple[str, ...] = (),
       positive: bool = False) -> Spec:
    return Spec(key, kind, default, minimum, choices, positive)


YES_NO = ("是", "否")
SPECS: dict[str, Spec] = {s.key: s for s in (
    _s("村名", "text", ""),
    _s("计分方式", "choice", "", choices=("月度换算", "基础分", "事件")),
    _s("公示天数", "int", 3, minimum=1),
    _s("每分折合元", "number", 1, positive=True),
    _s("满分", "number", None, minimum=0),
    _s("基础分", "number", None, minimum=0),
    _s("积分起评分", "number", 70, minimum=0),
    _s("连续奖励月数", "int", 3, minimum=1),
    _s("连续奖励条件积分", "number", 5, minimum=0),
    _s("连续奖励积分", "number", 5, minimum=0),
    _s("曝光台连续月数", "int", 3, minimum=1),
    _s("人均奖励经费", "number", None, minimum=0),
    _s("经费预警比例", "number", 80, minimum=0),
    _s("经费超出时", "choice", "提醒", choices=("提醒", "拒绝")),
    _s("常住人口", "int", None, minimum=0),
    _s("自由加分上限", "number", 10, minimum=0),
    _s("虚假申报扣分倍数", "number", 2, minimum=1),
    _s("备份保留份数", "int", 10, minimum=1),
    _s("备份按天保留天数", "int", 30, minimum=0),
    _s("备份按月保留月数", "int", 12, minimum=0),
    _s("短横记零分", "yesno", "否"),
    _s("公示隐藏名字", "yesno", "否"),
    _s("公示排序", "choice", "组别", choices=("组别", "名次")),
    _s("并列处理", "choice", "整体计入", choices=("整体计入", "整体不计入")),
    _s("评定基数", "choice", "全村", choices=("全村", "参评户")),
    _s("季度合并方式", "choice", "平均", choices=("平均", "最新")),
    _s("黑榜不合格票比例", "fraction", Fraction(1, 3)),
    _s("年度评定方式", "choice", None, choices=("星级", "牌级", "星级和牌级", "无")),
    _s("星级须不低于基础分", "yesno", "否"),
    _s("牌级方式", "choice", "比例", choices=("比例", "分数线")),
    *(_s(f"{tier}比例", "number", default, minimum=0) for tier, default in
      (("五星", 10), ("四星", 20), ("三星", 30), ("金牌", 10), ("银牌", 20), ("铜牌", 30), ("红榜", 10))),
    *(_s(f"{tier}分数线", "number", None) for tier in ("金牌", "银牌", "铜牌")),
    _s("经办人", "text", "村文书"),
    _s("异议受理", "text", "如对公示内容有异议，请在公示期内向村委会反映。"),
    _s("公示落款", "text", ""),
)}


@dataclass(frozen=True)
class SettingProblem:
    key: str
    row: int | None  # position of the key's row in the 参数 frame (the last one, when repeated)
    message: str


class SettingError(DataError):
    """A key a command needs has a value that does not fit: exit 1, naming the 参数 cell."""

    def __init__(self, problem: SettingProblem, source: str = ""):
        cell = f"B{problem.row}" if problem.row is not None else ""
        super().__init__(f"{problem.message}，请在“参数”表改正（villagectl check 列出参数表的全部问题）",
                         [Problem(Location(source, "参数", cell), problem.message)])
        self.problem = problem


class VillageSettings:
    """The village's 参数, typed. ``settings["公示天数"]`` → 3 (an int); a bad cell raises SettingError."""

    def __init__(self, raw: dict[str, str], rows: dict[str, int] | None = None, source: str = ""):
        self.raw = dict(raw)
        self.rows = dict(rows or {})  # key → its Excel row (or frame position) in 参数
        self.source = source
        self._values: dict[str, object] = {}
        self.problems: list[SettingProblem] = []
        self._bad: dict[str, SettingProblem] = {}
        for key, spec in SPECS.items():
            try:
                self._values[key] = parse_value(spec, self.raw.get(key, ""))
            except ValueError as exc:
                problem = SettingProblem(key, self.rows.get(key), str(exc))
                self.problems.append(problem)
                self._bad[key] = problem
                self._values[key] = spec.default

    @classmethod
    def from_frame(cls, frame: "Table | pd.DataFrame", excel_rows: list[int] | None = None,
                   source: str = "") -> tuple["VillageSettings", list[SettingProblem]]:
        """``excel_rows``: the Excel row of each frame row (else problems give frame positions)."""
        raw: dict[str, str] = {}
        rows: dict[str, int] = {}
        if frame is not None and len(frame):
            table = as_table(frame)
            for pos, (key, value) in enumerate(zip(table.column("键"), table.column("值"))):
                key = clean_text(key)
                if key:
                    raw[key] = as_text(value)  # as typed (printed on notices); the last row of a key wins
                    rows[key] = excel_rows[pos] if excel_rows and pos < len(excel_rows) else pos
        settings = cls(raw, rows, source)
        return settings, list(settings.problems)

    def __getitem__(self, key: str) -> object:
        if key in self._bad:
            raise SettingError(self._bad[key], self.source)
        if key not in SPECS:
            return self.raw.get(key, "")
        return self._values[key]

    def text(self, key: str, default: str = "") -> str:
        """A value as typed (for keys without a spec, and text printed as the clerk wrote it)."""
        return self.raw.get(key, "") or default

    @property
    def notice_days(self) -> int:
        return int(self["公示天数"])


def parse_value(spec: Spec, text: str) -> object:
    """``text`` as ``spec`` reads it; empty → the default; ValueError with the Chinese reason."""
    value = (text or "").strip()
    if not value:
        return spec.default
    where = f"参数“{spec.key}”的值“{value}”"
    if spec.kind == "text":
        return value
    if spec.kind == "yesno":
        if clean_text(value) not in YES_NO:
            raise ValueError(f"{where}无效，应为 是 或 否")
        return clean_text(value) == "是"
    if spec.kind == "choice":
        if clean_text(value) not in spec.choices:
            raise ValueError(f"{where}无效，应为 {' 或 '.join(spec.choices)}")
        return clean_text(value)
    if spec.kind == "fraction":
        try:
            number = Fraction(clean_text(value).replace("%", "")) / (100 if "%" in value else 1)
        except (ValueError, ZeroDivisionError):
            raise ValueError(f"{where}不是比例（如 1/3）") from None
        if not 0 < number <= 1:
            raise ValueError(f"{where}应在 0 到 1 之间（如 1/3）")
        return number
    try:
        number = to_number(value)
    except NotANumber:
        raise ValueError(f"{where}不是数字") from None
    if number is None:
        return spec.default
    if spec.kind == "int" and not float(number).is_integer():
        raise ValueError(f"{where}应为整数")
    if spec.positive and number <= 0:
        raise ValueError(f"{where}应大于 0")
    if spec.minimum is not None and number < spec.minimum:
        raise ValueError(f"{where}不能小于 {int(spec.minimum) if float(spec.minimum).is_integer() else spec.minimum}")
    return int(number) if spec.kind == "int" else float(number)


def committee_of(settings: dict[str, str]) -> str:
    """The 落款 of every notice: 参数 公示落款, else 村名 + 村民委员会."""
    return settings.get("公示落款", "") or f"{settings.get('村名', '')}村民委员会"


def objection_of(settings: dict[str, str], default: str | None = None) -> str:
    """How to object, on every notice: 参数 异议受理, else ``default`` (a cadre notice's own), else the spec's."""
    return settings.get("异议受理", "") or default or str(SPECS["异议受理"].default)
