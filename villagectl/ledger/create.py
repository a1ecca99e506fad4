"""``init``: a complete new ledger workbook filled from a preset."""

from __future__ import annotations

import datetime as dt
import os
import stat
from pathlib import Path

from villagectl.errors import FileAccessError, UsageError
from villagectl.io.newbook import ColumnFormat, add_table_sheet, new_workbook, save_new
from villagectl.io.safe_write import (
    Retention,
    backup_file,
    real_path,
    refuse_if_open_elsewhere,
    refuse_if_read_only,
)
from villagectl import schema
from villagectl.rules.sources import for_clerk
from villagectl.ledger.slips import SECRET_KEY, SECRET_NOTE, new_secret
from villagectl.rules.presets import PRESETS, Preset

# dates are real date cells (Excel filters and sorts them); the reader gives them back as ISO text
NUMBER_FORMATS = {"text": "@", "month": "@", "date": "yyyy-mm-dd", "datetime": "yyyy-mm-dd hh:mm:ss",
                  "int": "0", "number": "General"}


def _formats(spec: schema.SheetSpec, extra_after: str = "", extra: list[str] | None = None) -> list[ColumnFormat]:
    cols: list[ColumnFormat] = []
    for c in spec.columns:
        cols.append(ColumnFormat(c.name, c.width, c.choices, NUMBER_FORMATS[c.kind]))
        if extra and c.name == extra_after:
            cols.extend(ColumnFormat(name, 9, (), "General") for name in extra)
    return cols


def _yes_no(flag: bool) -> str:
    return "是" if flag else "否"


def _opt(value: float | None):
    return "" if value is None else value


def category_columns(preset: Preset) -> list[str]:
    """Inspection categories in catalogue order: the per-category columns of 月度得分."""
    seen: list[str] = []
    for r in preset.rules:
        if r.type == "检查项" and r.category not in seen:
            seen.append(r.category)
    return seen


def item_column(code: str, item: str) -> str:
    """The 检查记录 column of an inspection item: '编码 项目' (the code is what counts)."""
    return f"{code} {item}"


def item_columns(preset: Preset) -> list[str]:
    return [item_column(r.code, r.item) for r in preset.rules if r.type == "检查项"]


def create_ledger(path: Path, village: str, preset_name: str, force: bool = False, today: dt.date | None = None) -> Preset:
    preset = PRESETS.get(preset_name)
    if preset is None:
        raise UsageError(f"没有名为 {preset_name} 的预设方案，可选：{'、'.join(PRESETS)}")
    if not village.strip():
        raise UsageError("请用 --village 给出村名")
    if path.suffix.lower() != ".xlsx":
        raise UsageError(f"台账文件名须以 .xlsx 结尾：{path.name}")
    if path.exists():
        if not force:
            raise FileAccessError(f"{path.name} 已存在；如确定要覆盖，请加 --force（原文件会先备份）")
        refuse_if_open_elsewhere(path)
        path = real_path(path)  # through a link: the real file is replaced, the link stays
        refuse_if_open_elsewhere(path)
        refuse_if_read_only(path)
    if not path.parent.exists():
        raise FileAccessError(f"文件夹不存在：{path.parent}")

    today = today or dt.date.today()
    wb = new_workbook()
    settings = [
        ("村名", village.strip(), "村名，打印在公示和兑换单上"),
        ("预设方案", preset.name, for_clerk(f"{preset.title}（{preset.seed}）")),
        *[(s.key, s.value, for_clerk(s.note)) for s in preset.settings],
        (SECRET_KEY, new_secret(), SECRET_NOTE),
    ]
    add_table_sheet(wb, schema.SETTINGS.name, _formats(schema.SETTINGS), settings, tab_color="70AD47")
    add_table_sheet(
        wb,
        schema.RULES.name,
        _formats(schema.RULES),
        [
            (r.code, r.category, r.item, r.points, r.type, r.period, _opt(r.cap), _opt(r.step), r.synonyms, for_clerk(r.note))
            for r in preset.rules
        ],
        tab_color="70AD47",
    )
    add_table_sheet(
        wb,
        schema.BANDS.name,
        _formats(schema.BANDS),
        [(b.low, _yes_no(b.low_inclusive), b.high, _yes_no(b.high_inclusive), b.points, for_clerk(b.note)) for b in preset.bands],
        tab_color="70AD47",
    )
    add_table_sheet(wb, schema.HOUSEHOLDS.name, _formats(schema.HOUSEHOLDS), tab_color="4472C4")
    add_table_sheet(wb, schema.CADRES.name, _formats(schema.CADRES), tab_color="4472C4")
    add_table_sheet(
        wb,
        schema.INDICATORS.name,
        _formats(schema.INDICATORS),
        [(i.code, i.subject, i.name, i.points, i.type, for_clerk(i.note), "") for i in preset.indicators],
        tab_color="70AD47",
    )
    for spec in schema.TOOL_SHEETS:
        if spec is schema.MONTHLY:
            cols = _formats(spec, extra_after="组别", extra=category_columns(preset))
        elif spec is schema.INSPECTIONS:
            cols = _formats(spec, extra_after="组别", extra=item_columns(preset))
        else:
            cols = _formats(spec)
        add_table_sheet(wb, spec.name, cols, tab_color="A5A5A5")
    add_table_sheet(wb, schema.SHOP.name, _formats(schema.SHOP), tab_color="4472C4")
    add_table_sheet(wb, schema.COMMITMENTS.name, _formats(schema.COMMITMENTS), tab_color="4472C4")
    # Clerk-owned sheets first, in the order a clerk fills them.
    order = [s.name for s in (schema.SETTINGS, schema.HOUSEHOLDS, schema.CADRES, schema.COMMITMENTS, schema.SHOP,
                              schema.RULES, schema.BANDS, schema.INDICATORS)] + [s.name for s in schema.TOOL_SHEETS]
    wb._sheets.sort(key=lambda ws: order.index(ws.title))
    log = wb[schema.OPLOG.name]
    log.append([dt.datetime.now().isoformat(sep=" ", timespec="seconds"), "init",
                f"--village {village} --preset {preset.name}", "", f"新建台账（{today.isoformat()}）"])
    mode = None
    if path.exists():
        mode = os.stat(path).st_mode
        backup_file(path, Retention.from_settings({}))  # the default count and ages: older backups stay
    save_new(wb, path)
    if mode is not None:
        os.chmod(path, stat.S_IMODE(mode))  # a replaced ledger keeps its permissions
    return preset
