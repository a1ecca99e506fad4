"""Undo and history (issue 12, §6): backups, diff, restore, and keeping backups by count and age."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pandas as pd

from conftest import invoke, invoke_json
from villagectl.actions.backups import diff_since, list_backups
from villagectl.errors import ExitCode
from villagectl.io import safe_write
from villagectl.io.safe_write import Retention, backups_of, kept_by_retention, ledger_lock, verify_backup
from villagectl.ledger.create import create_ledger
from villagectl.ledger.journal import NewEntry, append_entries
from villagectl.ledger.workbook import Ledger

RIGHT = "户号,户主,组别,人口\n001,刘昇,第一组,3\n002,赵喆,第二组,5\n"
WRONG = "户号,户主,组别,人口\n001,张三,第一组,3\n002,赵喆,第二组,7\n003,王五,第三组,2\n"  # another village's roster


def _csv(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def _backup_folder(ledger: Path) -> Path:
    return ledger.parent / ".villagectl" / "backups"


def _set_setting(path: Path, key: str, value: str) -> None:
    ledger = Ledger.open(path)
    frame = ledger.frame("参数").copy()
    if key in set(frame["键"]):
        frame.loc[frame["键"] == key, "值"] = value
    else:
        frame = pd.concat([frame, pd.DataFrame([{"键": key, "值": value}], dtype=object)], ignore_index=True)
    ledger.replace("参数", frame)
    ledger.save("test-setup", keep_backups=0)


def _fake_backup(ledger: Path, when: dt.datetime) -> Path:
    folder = _backup_folder(ledger)
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{ledger.stem}.{when.strftime('%Y%m%d-%H%M%S-%f')}.bak{ledger.suffix}"
    shutil.copy2(ledger, target)
    return target


# --------------------------------------------------------------------------
# keeping backups by count and age
# --------------------------------------------------------------------------


def test_retention_worked_example() -> None:
    """The last 3, the newest of each of the last 3 days, the newest of each of the last 2 months."""
    now = dt.datetime(2026, 7, 25, 12, 0)
    times = [
        dt.datetime(2026, 5, 10, 9, 0),  # 0 May: two months back, beyond 2 months → removed
        dt.datetime(2026, 6, 1, 9, 0),  # 1 June, not its newest → removed
        dt.datetime(2026, 6, 30, 18, 0),  # 2 the newest of June → kept (month)
        dt.datetime(2026, 7, 20, 10, 0),  # 3 five days ago, not July's newest → removed
        dt.datetime(2026, 7, 23, 9, 0),  # 4 two days ago, not that day's newest → removed
        dt.datetime(2026, 7, 23, 17, 0),  # 5 the newest of 23 July → kept (day)
        dt.datetime(2026, 7, 24, 8, 0),  # 6 the newest of yesterday → kept (day)
        dt.datetime(2026, 7, 25, 9, 0),  # 7 ┐
        dt.datetime(2026, 7, 25, 10, 0),  # 8 ├ the last three → kept (count)
        dt.datetime(2026, 7, 25, 11, 0),  # 9 ┘ (also today's and July's newest)
    ]
    assert kept_by_retention(times, Retention(3, 3, 2), now) == {2, 5, 6, 7, 8, 9}
    assert kept_by_retention(times, Retention(3, 0, 0), now) == {7, 8, 9}
    assert kept_by_retention(times, Retention(3, 30, 0), now) == {2, 3, 5, 6, 7, 8, 9}  # 30 June: 25 days ago
    assert kept_by_retention(times, Retention(1, 0, 12), now) == {0, 2, 9}
    assert kept_by_retention([], Retention(10, 30, 12), now) == set()


def test_retention_by_count_only_when_a_caller_gives_a_number() -> None:
    assert Retention.from_settings({}) == Retention(10, 30, 12)
    assert Retention.from_settings({"备份保留份数": "5", "备份按天保留天数": "0", "备份按月保留月数": "不知道"}) == \
        Retention(5, 0, 12)
    assert Retention.from_settings({"备份保留份数": "-3", "备份按天保留天数": "7.0"}) == Retention(0, 7, 12)
    now = dt.datetime(2026, 7, 25, 12, 0)
    times = [now - dt.timedelta(days=d) for d in (60, 20, 2, 1, 0)]
    assert kept_by_retention(times, Retention(2), now) == {3, 4}  # an int keep: only the count


def test_a_save_keeps_last_months_backup_by_the_settings(ledger_path: Path) -> None:
    _set_setting(ledger_path, "备份保留份数", "2")
    now = dt.datetime.now().replace(hour=12, minute=0, second=0, microsecond=0)
    old = _fake_backup(ledger_path, now - dt.timedelta(days=400))  # beyond 12 months → removed
    month_a = _fake_backup(ledger_path, (now - dt.timedelta(days=45)).replace(hour=8))  # same day, earlier → removed
    month_b = _fake_backup(ledger_path, (now - dt.timedelta(days=45)).replace(hour=9))  # its month's newest → kept
    day_a = _fake_backup(ledger_path, (now - dt.timedelta(days=10)).replace(hour=8))  # that day, earlier → removed
    day_b = _fake_backup(ledger_path, (now - dt.timedelta(days=10)).replace(hour=9))  # that day's newest → kept
    made = []
    for n in range(3):
        ledger = Ledger.open(ledger_path)
        journal, _ = append_entries(ledger.frame("积分流水"), [NewEntry("001", "加分", 1, f"测试 {n}")],
                                    "2026-07-01", "测试")
        ledger.replace("积分流水", journal)
        made.append(ledger.save("test"))
    kept = set(backups_of(ledger_path))
    assert kept == {month_b, day_b, made[1], made[2]}, sorted(p.name for p in kept)
    assert not (old.exists() or month_a.exists() or day_a.exists() or made[0].exists())


# --------------------------------------------------------------------------
# the clerk's undo, from the command line
# --------------------------------------------------------------------------


def test_undo_a_mistaken_import_from_the_command_line(ledger_path: Path, tmp_path: Path, runner) -> None:
    result = invoke(runner, "households", "import", ledger_path, _csv(tmp_path / "名册.csv", RIGHT))
    assert result.exit_code == 0, result.stderr
    before = ledger_path.read_bytes()
    # the mistake: another village's roster imported over ours
    result = invoke(runner, "households", "import", ledger_path, _csv(tmp_path / "别村名册.csv", WRONG))
    assert result.exit_code == 0, result.stderr

    # backups: the newest one is the ledger before the mistake, and says it was taken before that import
    result, data = invoke_json(runner, "backups", ledger_path)
    assert result.exit_code == 0, result.stdout
    newest = data["backups"][0]
    assert newest["number"] == 1 and newest["opens"] is True and newest["size"] > 0
    assert Path(newest["path"]).read_bytes() == before
    assert newest["before"]["command"] == "households import"
    assert newest["note"] == "households import：新增 1 户，修改 2 户，跳过 0 行"
    assert "户籍" in newest["sheets"] and "积分流水" in newest["sheets"]
    assert data["backups"][1]["note"] == "households import：新增 2 户，修改 0 户，跳过 0 行"
    text = invoke(runner, "backups", ledger_path).stdout
    assert "households import：新增 1 户" in text and "能" in text

    # diff: exactly the rows the wrong roster changed
    result, data = invoke_json(runner, "diff", ledger_path)
    assert result.exit_code == 0, result.stdout
    sheets = {s["sheet"]: s for s in data["sheets"]}
    assert set(sheets) == {"户籍", "操作日志"}
    households = sheets["户籍"]
    assert households["key"] == "户号" and households["removed"] == []
    assert [(c["row"], [(x["column"], x["old"], x["new"]) for x in c["cells"]]) for c in households["changed"]] == [
        ("户号 001", [("户主", "刘昇", "张三")]),
        ("户号 002", [("人口", "5", "7")]),
    ]
    (added,) = households["added"]
    assert added["row"] == "户号 003"
    values = {v["column"]: v["value"] for v in added["values"]}
    assert {k: values[k] for k in ("户号", "户主", "组别", "人口")} == {
        "户号": "003", "户主": "王五", "组别": "第三组", "人口": "2"}
    (logged,) = sheets["操作日志"]["added"]
    assert {v["column"]: v["value"] for v in logged["values"]}["命令"] == "households import" and sheets["操作日志"]["changed"] == []
    text = invoke(runner, "diff", ledger_path, "1").stdout
    assert "户籍（按户号对应）：新增 1 行，修改 2 行，删除 0 行" in text
    assert "修改 户号 001：户主 刘昇 → 张三" in text and "修改 户号 002：人口 5 → 7" in text
    assert "新增 户号 003：户号 003，户主 王五" in text
    assert "操作日志：新增 1 条操作记录" in text

    # restore: the diff it reverses is printed, the ledger before the mistake is back, byte for byte
    wrong_state = ledger_path.read_bytes()
    result = invoke(runner, "restore", ledger_path, "1")
    assert result.exit_code == 0, result.stderr
    assert "撤销的改动" in result.stdout and "修改 户号 001：户主 刘昇 → 张三" in result.stdout
    assert ledger_path.read_bytes() == before
    result = invoke(runner, "check", ledger_path)
    assert result.exit_code == 0, result.stdout + result.stderr
    frame = Ledger.open(ledger_path).frame("户籍")
    assert dict(zip(frame["户号"], frame["户主"])) == {"001": "刘昇", "002": "赵喆"}

    # the restore took a backup of the mistaken state first, and the list says what came after it
    result, data = invoke_json(runner, "backups", ledger_path)
    assert len(data["backups"]) == 3
    assert Path(data["backups"][0]["path"]).read_bytes() == wrong_state
    assert data["backups"][0]["note"].startswith("restore：恢复为")
    assert data["backups"][0]["before"]["command"] == "restore"
    # restoring the same backup again: nothing to do
    result = invoke(runner, "restore", ledger_path, data["backups"][1]["name"])
    assert result.exit_code == 0 and "无需恢复" in result.stdout
    assert len(backups_of(ledger_path)) == 3


def test_restore_refuses_while_the_ledger_is_open_or_locked(ledger_path: Path, tmp_path: Path, runner) -> None:
    invoke(runner, "households", "import", ledger_path, _csv(tmp_path / "名册.csv", RIGHT))
    current, count = ledger_path.read_bytes(), len(backups_of(ledger_path))
    owner = ledger_path.with_name("~$" + ledger_path.name)
    owner.write_bytes(b"x")
    result = invoke(runner, "restore", ledger_path, "1")
    assert result.exit_code == ExitCode.LOCKED and "Excel 或 WPS" in result.stderr
    owner.unlink()
    with ledger_lock(ledger_path):
        result, data = invoke_json(runner, "restore", ledger_path, "1")
    assert result.exit_code == ExitCode.LOCKED and data["exit_code"] == 3 and "另一个 villagectl" in data["error"]
    assert ledger_path.read_bytes() == current and len(backups_of(ledger_path)) == count


def test_restore_refuses_a_backup_that_does_not_open(ledger_path: Path, tmp_path: Path, runner) -> None:
    invoke(runner, "households", "import", ledger_path, _csv(tmp_path / "名册.csv", RIGHT))
    current = ledger_path.read_bytes()
    bad = _backup_folder(ledger_path) / f"{ledger_path.stem}.29991231-235959-000000.bak.xlsx"
    bad.write_bytes(current[: len(current) // 2])
    assert not verify_backup(bad)
    result = invoke(runner, "restore", ledger_path, bad.name)
    assert result.exit_code == ExitCode.DATA and "打不开" in result.stderr
    assert ledger_path.read_bytes() == current
    result, data = invoke_json(runner, "backups", ledger_path)
    assert [b["opens"] for b in data["backups"]][:1] == [False]
    result = invoke(runner, "diff", ledger_path, "1")  # the newest name: the broken one
    assert result.exit_code == ExitCode.DATA
    result = invoke(runner, "restore", ledger_path, "no-such.bak.xlsx")
    assert result.exit_code == ExitCode.IO
    result = invoke(runner, "restore", ledger_path, "7")
    assert result.exit_code == ExitCode.DATA and "没有序号为 7 的备份" in result.stderr


def test_restore_refuses_another_ledgers_backup(ledger_path: Path, tmp_path: Path, runner) -> None:
    other = ledger_path.with_name(ledger_path.stem + ".2025.xlsx")  # same folder, same backup folder
    create_ledger(other, "别的村", "zhongping")
    invoke(runner, "households", "import", other, _csv(tmp_path / "别村.csv", WRONG))
    invoke(runner, "households", "import", ledger_path, _csv(tmp_path / "名册.csv", RIGHT))
    current = ledger_path.read_bytes()
    (theirs,) = backups_of(other)
    assert [b.path for b in list_backups(ledger_path)] == backups_of(ledger_path)  # never the other's
    assert theirs not in backups_of(ledger_path)
    for ref in (theirs, theirs.name):
        result = invoke(runner, "restore", ledger_path, ref)
        assert result.exit_code == ExitCode.DATA and "不是台账" in result.stderr, result.stderr
    copied = tmp_path / backups_of(ledger_path)[0].name  # one of ours, but copied out of the backup folder
    shutil.copy2(backups_of(ledger_path)[0], copied)
    result = invoke(runner, "restore", ledger_path, copied)
    assert result.exit_code == ExitCode.DATA
    result = invoke(runner, "restore", ledger_path, ledger_path)
    assert result.exit_code == ExitCode.DATA and "就是台账本身" in result.stderr
    assert ledger_path.read_bytes() == current


def test_diff_shows_the_journal_as_entries_added(ledger_path: Path) -> None:
    ledger = Ledger.open(ledger_path)
    journal, _ = append_entries(ledger.frame("积分流水"), [NewEntry("001", "期初", 10, "期初余额")], "2026-07-01", "村文书")
    ledger.replace("积分流水", journal)
    ledger.save("test")
    ledger = Ledger.open(ledger_path)
    journal, ids = append_entries(ledger.frame("积分流水"),
                                  [NewEntry("001", "加分", 2, "志愿服务"), NewEntry("002", "扣分", -5, "乱堆乱放")],
                                  "2026-07-20", "村文书")
    ledger.replace("积分流水", journal)
    ledger.save("event post", result="入账 2 条事件")
    backup, diff = diff_since(ledger_path)
    assert backup == backups_of(ledger_path)[-1]
    (entries,) = [s for s in diff.sheets if s.sheet == "积分流水"]
    assert entries.key == "流水号" and entries.entries and not entries.changed and not entries.removed
    assert [label for label, _ in entries.added] == [f"流水号 {i}" for i in ids]
    assert entries.summary() == "积分流水（按流水号对应）：新增 2 笔流水（合计 -3 分）"
    lines = entries.lines()
    assert lines[1] == f"  + {ids[0]} 2026-07-20 001 加分 +2 分 志愿服务"
    assert lines[2] == f"  + {ids[1]} 2026-07-20 002 扣分 -5 分 乱堆乱放"
    assert {s.sheet for s in diff.sheets} == {"积分流水", "操作日志"}
    # the backup list says which write each backup came before
    infos = list_backups(ledger_path)
    assert infos[0].note == "event post：入账 2 条事件" and infos[1].note == "test"
    assert safe_write.backup_time(ledger_path, infos[0].path) == infos[0].taken


def test_restore_over_a_ledger_that_no_longer_opens_keeps_the_damaged_file(ledger_path: Path, tmp_path: Path,
                                                                           runner) -> None:
    invoke(runner, "households", "import", ledger_path, _csv(tmp_path / "名册.csv", RIGHT))
    good = ledger_path.read_bytes()
    damaged = good[: len(good) // 3]  # an Excel crash, a sync program, a cut copy
    ledger_path.write_bytes(damaged)
    assert invoke(runner, "check", ledger_path).exit_code == ExitCode.DATA
    result, data = invoke_json(runner, "backups", ledger_path)
    assert result.exit_code == 0 and "打不开" in data["backups"][0]["note"]
    (newest,) = [b for b in data["backups"] if b["number"] == 1]
    result = invoke(runner, "restore", ledger_path, "1")
    assert result.exit_code == 0, result.stderr
    assert "打不开" in result.stdout and "另存为" in result.stdout
    assert ledger_path.read_bytes() == Path(newest["path"]).read_bytes()
    (kept,) = _backup_folder(ledger_path).glob("*.damaged.xlsx")
    assert kept.read_bytes() == damaged
    assert invoke(runner, "check", ledger_path).exit_code == 0
    for _ in range(3):  # rotation never takes the damaged copy
        invoke(runner, "households", "import", ledger_path, _csv(tmp_path / "名册.csv", WRONG))
    assert kept.exists()


def test_diff_compares_the_clerks_own_sheets_cell_by_cell(ledger_path: Path) -> None:
    import openpyxl

    from villagectl.actions.backups import diff_ledgers

    old, new = ledger_path.with_name("旧.xlsx"), ledger_path.with_name("新.xlsx")
    for path, rows in ((old, [["物品", "数量"], ["扫帚", 3], ["簸箕", 2]]),
                       (new, [["物品", "数量"], ["扫帚", 4], ["簸箕", 2], ["水桶", 1]])):
        shutil.copy2(ledger_path, path)
        wb = openpyxl.Workbook()  # a plain workbook is enough for the clerk's sheet: diff reads any xlsx
        ws = wb.active
        ws.title = "物资"
        for r in rows:
            ws.append(r)
        wb.save(path)
    diff = diff_ledgers(old, new)
    (sheet,) = diff.sheets
    assert sheet.sheet == "物资" and sheet.key == ""
    assert [(c.label, c.cells) for c in sheet.changed] == [("第 2 行", [("B", "3", "4")])]
    assert sheet.added == [("第 4 行", {"A": "水桶", "B": "1"})] and sheet.removed == []
