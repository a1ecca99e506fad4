"""A village's existing household roster (花名册) → household records with cell references.

Importer protocol (importers/fields.py): ``FIELDS``, ``identify(book)``, ``extract(book, ctx)``
with ``ctx`` a ``RosterContext``; ``read_roster`` is the call ``households import`` makes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from villagectl.errors import Location, Problem
from villagectl.importers.fields import GROUP_FIELD, HEAD_FIELD, HOUSEHOLD_ID_FIELD, FieldSpec
from villagectl.importers.table import locate_table, tables_score
from villagectl.io.reader import WorkbookRows, cell_ref
from villagectl.ledger.households import HouseholdRecord, normalize_record, validate_record
from villagectl.values import clean_text, id_key

ROSTER_FIELDS = [
    HOUSEHOLD_ID_FIELD.needed(),
    HEAD_FIELD.needed(),
    GROUP_FIELD,
    FieldSpec("人口", ("家庭人口", "人口数", "家庭人数", "人数", "家庭人口数", "户人口", "在册人口")),
    FieldSpec("参评人数", ("参加积分人数", "积分人数", "参评人口")),
    FieldSpec("户类型", ("户别", "户属性", "家庭类型", "户籍类型", "类型")),
    FieldSpec("联系电话", ("电话", "手机", "手机号", "手机号码", "联系方式", "电话号码", "联系电话号码")),
    FieldSpec("身份证号", ("身份证号码", "户主身份证号", "户主身份证号码", "公民身份号码", "身份证", "证件号码")),
    FieldSpec("状态", ("户状态", "在册状态")),
    FieldSpec("备注", ("说明",)),
]


FIELDS = ROSTER_FIELDS


@dataclass(frozen=True)
class RosterContext:
    display_name: str  # the file as the clerk knows it, for the messages
    allowed_types: tuple[str, ...]  # 户类型 the village uses


@dataclass
class RosterRead:
    records: list[HouseholdRecord] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)  # errors and warnings
    invalid_rows: set[tuple[str, str, int]] = field(default_factory=set)  # (file, sheet, row)
    fields_present: set[str] = field(default_factory=set)


def identify(book: WorkbookRows) -> int:
    """How much a sheet of ``book`` looks like a roster: the roster columns its header names (0: none has 户号 and 户主)."""
    return tables_score(book, ROSTER_FIELDS)


def extract(book: WorkbookRows, ctx: RosterContext) -> tuple[list[HouseholdRecord], list[Problem]]:
    read = _read(book, ctx)
    return read.records, read.problems


def read_roster(book: WorkbookRows, display_name: str, allowed_types: tuple[str, ...]) -> RosterRead:
    """Every sheet of a roster file that has a recognisable header (with the rows refused and the columns seen)."""
    return _read(book, RosterContext(display_name, allowed_types))


def _read(book: WorkbookRows, ctx: RosterContext) -> RosterRead:
    display_name, allowed_types = ctx.display_name, ctx.allowed_types
    out = RosterRead()
    found_any = False
    for sheet in book.sheets:
        if not any(clean_text(v) for row in sheet.rows for v in row):
            continue
        table = locate_table(sheet, ROSTER_FIELDS)
        if table is None:
            out.problems.append(
                Problem(
                    Location(display_name, sheet.name),
                    "前10行里找不到表头（至少要有“户号”和“户主”两列），这个工作表已跳过",
                    "警告",
                )
            )
            continue
        found_any = True
        out.fields_present |= set(table.columns)
        for r in table.data_rows:
            raw = {name: table.value(r, name) for name in table.columns}
            values = normalize_record(raw)
            cells = {name: cell_ref(r, c) for name, c in table.columns.items()}
            record = HouseholdRecord(values, cells, sheet.name, display_name, r + 1, list(sheet.rows[r]))
            for field_name, message in validate_record(values, allowed_types):
                out.problems.append(Problem(Location(display_name, sheet.name, cells.get(field_name, f"第{r + 1}行")), message))
                out.invalid_rows.add((display_name, sheet.name, r + 1))
            out.records.append(record)
    if not found_any:
        out.problems.append(
            Problem(Location(display_name), "没有找到名册表格：前10行须有“户号”“户主”等列标题")
        )
    return out


def find_duplicates(records: list[HouseholdRecord]) -> list[Problem]:
    """The same 户号 twice across all the roster files read together."""
    first: dict[str, HouseholdRecord] = {}
    problems: list[Problem] = []
    for rec in records:
        hid = clean_text(rec.values.get("户号", ""))
        if not hid:
            continue
        if id_key(hid) in first:  # zp006 and ZP006 are one household
            other = first[id_key(hid)]
            where = f"{other.file} / {other.sheet} / {other.cells['户号']}" if other.file != rec.file else f"{other.cells['户号']}"
            problems.append(
                Problem(Location(rec.file, rec.sheet, rec.cells["户号"]), f"户号 {hid} 重复（与 {where} 相同）")
            )
        else:
            first[id_key(hid)] = rec
    return problems


def roster_paths(paths: list[Path]) -> list[Path]:
    from villagectl.io.filetype import looks_like_spreadsheet

    out: list[Path] = []
    for p in paths:
        if p.is_dir():
            out.extend(sorted(q for q in p.iterdir() if q.is_file() and looks_like_spreadsheet(q)))
        else:
            out.append(p)
    return out
