"""Messages that lead to the fix (issue 14 §5), on the 64-household sample village.

--household takes a 户号 in any case or width, or a 户主 name (with the group when names repeat) in every
command; unknown ones suggest the nearest; importers say which household the row probably means; a batch
from another village is one message naming both villages; a group the village lacks is named as such;
event add --rule lists what exists; check groups repeated findings and says what to do.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from conftest import invoke, invoke_json, titled_sheet
from villagectl.actions.check import check_ledger
from villagectl.errors import DataError
from villagectl.ledger.create import create_ledger
from villagectl.ledger.households import find_household, split_name_and_group
from villagectl.ledger.workbook import Ledger
from villagectl.rules.presets import ZHONGPING
from villagectl.demo import build_samples

ITEMS = [r for r in ZHONGPING.rules if r.type == "检查项"]


@pytest.fixture(scope="module")
def _sample(tmp_path_factory) -> Path:
    return Path(build_samples(tmp_path_factory.mktemp("sample") / "村")["ledger"])


@pytest.fixture
def village(_sample: Path, tmp_path: Path) -> Path:
    path = tmp_path / "中坪村积分台账.xlsx"
    shutil.copyfile(_sample, path)
    return path


def households(path: Path) -> pd.DataFrame:
    return Ledger.open(path).frame("户籍")


# --- find_household: one function for every --household ----------------------------------------------


@pytest.mark.parametrize("typed", ["ZP034", "zp034", "ＺＰ０３４", " zp 034 ", "吴桂兰", "第三组吴桂兰", "吴桂兰@第三组",
                                   "吴桂兰（第三组）", "三组 吴桂兰"])
def test_a_household_by_id_in_any_case_or_width_or_by_name(village: Path, typed: str) -> None:
    assert find_household(households(village), typed)["户号"] == "ZP034"


def test_namesakes_need_the_group_and_the_message_says_how(village: Path) -> None:
    frame = households(village)
    with pytest.raises(DataError) as exc:
        find_household(frame, "张伟")
    assert exc.value.message == ("户主“张伟”有 2 户：ZP004（张伟，第一组）、ZP038（张伟，第三组）；"
                                 "请用户号，或写上组别，如 --household 第一组张伟")
    assert find_household(frame, "第三组张伟")["户号"] == "ZP038"
    assert find_household(frame, "张伟@第一组")["户号"] == "ZP004"
    with pytest.raises(DataError) as exc:
        find_household(frame, "第二组张伟")
    assert exc.value.message == "第二组没有户主“张伟”；同名的在：ZP004（张伟，第一组）、ZP038（张伟，第三组）"


def test_unknown_ids_names_and_groups_suggest_what_exists(village: Path) -> None:
    frame = households(village)
    with pytest.raises(DataError) as exc:
        find_household(frame, "ZP0344")
    assert exc.value.message == "户号 ZP0344 不在户籍中；是不是 ZP034（吴桂兰，第三组）、ZP044（赵胜利，第三组）？"
    with pytest.raises(DataError) as exc:
        find_household(frame, "吴贵兰")
    assert exc.value.message == "户籍中没有户主“吴贵兰”；是不是 ZP034（吴桂兰，第三组）？"
    with pytest.raises(DataError) as exc:
        find_household(frame, "第五组吴桂兰")
    assert exc.value.message == "本村没有“第五组”：户籍中的组是 第一组、第二组、第三组、第四组"
    with pytest.raises(DataError) as exc:
        find_household(frame, "ZZ999")
    assert "户号 ZZ999 不在户籍中（--household 可写户号" in exc.value.message and "villagectl balance" in exc.value.message


def test_split_name_and_group() -> None:
    assert split_name_and_group("张三@第二组") == ("张三", "第二组")
    assert split_name_and_group("第二组张三") == ("张三", "第二组")
    assert split_name_and_group("张三(2组)") == ("张三", "2组")
    assert split_name_and_group("张 三") == ("张三", "")


def test_every_household_option_takes_names_and_any_width(village: Path, runner, tmp_path: Path) -> None:
    result, data = invoke_json(runner, "balance", village, "--household", "ｚｐ０３４")
    assert result.exit_code == 0, result.stdout
    assert "ZP034" in result.stdout and "吴桂兰" in result.stdout
    result = invoke(runner, "balance", village, "--household", "第三组吴桂兰")
    assert result.exit_code == 0 and "ZP034" in result.stdout
    result = invoke(runner, "passbook", village, "--household", "吴桂兰")
    assert result.exit_code == 0, result.stderr
    assert "ZP034" in result.stdout
    result = invoke(runner, "redeem", village, "--household", "zp034", "--item", "毛巾", "--date", "2026-08-01", "--no-print")
    assert result.exit_code == 0, result.stdout + result.stderr
    redemptions = Ledger.open(village).frame("兑换记录")
    assert list(redemptions["户号"]) == ["ZP034"]  # stored as the roster spells it
    result = invoke(runner, "passbook", village, "--household", "张伟")
    assert result.exit_code == 1 and "第一组张伟" in result.stderr
    result = invoke(runner, "passbook", village, "--household", "吴贵兰")
    assert result.exit_code == 1 and "是不是 ZP034（吴桂兰，第三组）？" in result.stderr


def test_event_household_by_name_and_unknown_rules(runner, tmp_path: Path) -> None:
    path = tmp_path / "文明村.xlsx"
    create_ledger(path, "文明村", "wenming")
    ledger = Ledger.open(path)
    ledger.replace("户籍", pd.DataFrame([
        {"户号": "A01", "户主": "张三", "组别": "第一组", "人口": 3, "参评人数": 3, "户类型": "普通户", "状态": "正常"},
        {"户号": "A02", "户主": "张三", "组别": "第二组", "人口": 2, "参评人数": 2, "户类型": "普通户", "状态": "正常"},
    ], columns=ledger.frame("户籍").columns, dtype=object).fillna(""))
    ledger.save("test")
    result, data = invoke_json(runner, "event", "add", path, "--household", "张三@第二组", "--rule", "GY01", "--date", "2026-05-01")
    assert result.exit_code == 0, result.stdout
    assert Ledger.open(path).frame("积分事件").iloc[0]["户号"] == "A02"
    result = invoke(runner, "event", "add", path, "--household", "a01", "--rule", "见义勇威", "--date", "2026-05-01")
    assert result.exit_code == 1
    assert "规则中没有加分/扣分/否决项“见义勇威”；是不是 GY02 见义勇为？可用的有：" in result.stderr
    assert "GY01 志愿服务（每次）" in result.stderr and "--points 和 --note" in result.stderr


def test_no_event_rules_says_how_to_go_on(village: Path, runner) -> None:
    result = invoke(runner, "event", "add", village, "--household", "ZP001", "--rule", "见义勇为", "--date", "2026-05-01")
    assert result.exit_code == 1
    assert "“规则”表里没有加分/扣分/否决项，找不到“见义勇为”。临时加扣分请用 --points 分值 --note 原因" in result.stderr
    assert "在“规则”表加一行" in result.stderr


# --- importers ------------------------------------------------------------------------------------------


def event_sheet(path: Path, title: str, rows: list[list]) -> Path:
    return titled_sheet(path, title, ["户号", "户主", "项目", "积分", "日期", "说明"], rows)


def test_an_unknown_id_suggests_the_household_the_rows_name_gives(runner, tmp_path: Path) -> None:
    path = tmp_path / "文明村.xlsx"
    create_ledger(path, "文明村", "wenming")
    ledger = Ledger.open(path)
    ledger.replace("户籍", pd.DataFrame([
        {"户号": "ZP034", "户主": "吴桂兰", "组别": "第三组", "人口": 3, "参评人数": 3, "户类型": "普通户", "状态": "正常"},
        {"户号": "ZP035", "户主": "李四", "组别": "第三组", "人口": 3, "参评人数": 3, "户类型": "普通户", "状态": "正常"},
    ], columns=ledger.frame("户籍").columns, dtype=object).fillna(""))
    ledger.save("test")
    sheet = event_sheet(tmp_path / "申报.xlsx", "文明村五月申报", [
        ["ZP0344", "吴桂兰", "见义勇为", "", "2026-05-03", ""],
        ["ZP036", "", "见义勇为", "", "2026-05-03", ""],
        ["ｚｐ０３５", "李四", "见义勇为", "", "2026-05-03", ""],
    ])
    result, data = invoke_json(runner, "event", "import", path, sheet)
    assert result.exit_code == 1
    got = {(p["cell"], p["message"]) for p in data["problems"]}
    assert ("A3", "户号 ZP0344 不在户籍表中；同一行户主是吴桂兰，户号 ZP034？") in got
    assert ("A4", "户号 ZP036 不在户籍表中；相近的户号：ZP034（吴桂兰）、ZP035（李四）") in got
    assert not any(cell == "A5" for cell, _ in got)  # ｚｐ０３５ is ZP035


def inspection_sheet(path: Path, title: str, names: list[str]) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append([title])
    ws.append(["序号", "户主"] + [r.item for r in ITEMS] + ["合计"])
    for i, name in enumerate(names, 1):
        ws.append([i, name] + [r.points for r in ITEMS] + [100])
    wb.save(path)
    return path


def test_a_batch_from_another_village_is_one_message(village: Path, runner, tmp_path: Path) -> None:
    folder = tmp_path / "检查表"
    folder.mkdir()
    names = ["钱多多", "孙小美", "阿土伯", "金贝贝", "沙隆巴斯", "乌咪"]
    inspection_sheet(folder / "下湾村三组7月检查表.xlsx", "清水镇下湾村第三组2026年7月人居环境检查评分表", names)
    result, data = invoke_json(runner, "inspect", "import", village, folder)
    assert result.exit_code == 1
    messages = [p["message"] for f in data["files"] for p in f["problems"]] if "files" in data else \
        [p["message"] for p in data["problems"]]
    assert len(messages) == 1, messages
    assert messages[0].startswith("这份表像是下湾村的（标题或文件名写着“下湾村”），本台账是中坪村的：6 行的户都不在本村户籍中（B3、B4、")
    assert "用下湾村的台账导入" in messages[0]


def test_a_group_the_village_lacks_is_named(village: Path, runner, tmp_path: Path) -> None:
    folder = tmp_path / "检查表"
    folder.mkdir()
    inspection_sheet(folder / "五组7月.xlsx", "中坪村第五组2026年7月检查评分表", ["何文华", "赵光明"])
    result, data = invoke_json(runner, "inspect", "import", village, folder)
    assert result.exit_code == 1
    messages = [p["message"] for f in data["files"] for p in f["problems"]] if "files" in data else \
        [p["message"] for p in data["problems"]]
    assert "本村户籍中没有第5组（户籍中的组：第一组、第二组、第三组、第四组），户主“何文华”找不到" in messages
    assert not any("第5组中没有户主" in m for m in messages)


# --- check ----------------------------------------------------------------------------------------------


def test_check_groups_repeated_findings_and_says_what_to_do(village: Path, runner) -> None:
    ledger = Ledger.open(village)
    journal = ledger.frame("积分流水")
    frame = ledger.frame("月度得分")
    rows = pd.DataFrame([{c: "" for c in frame.columns} for _ in range(29)], dtype=object)
    rows["月份"], rows["户号"], rows["户主"] = "2026-06", "ZP0099", "王喆"
    ledger.replace("月度得分", pd.concat([frame, rows], ignore_index=True))
    ledger.save("test")
    _, problems = check_ledger(village)
    mine = [p for p in problems if "ZP0099" in p.message]
    assert len(mine) == 1
    assert mine[0].message == "户号 ZP0099 不在户籍表中（是不是 ZP009？）"
    assert re.fullmatch(r"B(\d+):B(\d+)（共 29 处）", mine[0].location.cell)  # one range of rows
    result = invoke(runner, "check", village)
    assert result.exit_code == 1
    out = result.stdout.replace("\n", "")
    assert "villagectl restore" in out and "villagectl backups" in out
    assert len(journal) == len(Ledger.open(village).frame("积分流水"))


def test_importers_match_ids_in_any_case_or_width(village: Path, runner, tmp_path: Path) -> None:
    roster = titled_sheet(tmp_path / "名册.xlsx", "花名册", ["户号", "户主", "组别", "人口", "联系电话"],
                          [["ｚｐ００１", "何文华", "第一组", 5, "13912345678"]])
    result, data = invoke_json(runner, "households", "import", village, roster)
    assert result.exit_code == 0, result.stdout
    frame = households(village)
    assert len(frame) == 64 and "zp001" not in set(frame["户号"]) and "ｚｐ００１" not in set(frame["户号"])
    assert frame.loc[frame["户号"] == "ZP001", "联系电话"].iloc[0] == "13912345678"
    sheet = titled_sheet(tmp_path / "兑换.xlsx", "爱心超市兑换登记", ["日期", "户号", "户主", "物品", "数量"],
                         [["2026-08-01", "zp0344", "吴桂兰", "毛巾", 1]])
    result, data = invoke_json(runner, "redeem", "import", village, sheet)
    assert result.exit_code == 1
    assert any("户号 zp0344 不在户籍中；同一行户主是吴桂兰，户号 ZP034？" in p["message"] for p in data["problems"])


def test_a_group_option_the_village_lacks_is_named(village: Path, runner, tmp_path: Path) -> None:
    folder = tmp_path / "检查表"
    folder.mkdir()
    inspection_sheet(folder / "一组7月.xlsx", "中坪村第一组2026年7月检查评分表", ["何文华"])
    result = invoke(runner, "inspect", "import", village, folder, "--group", "第九组")
    assert result.exit_code == 2
    assert "--group 第九组：本村没有这个组，户籍中的组是 第一组、第二组、第三组、第四组" in result.stderr
