"""``households import`` on the roster layouts a probe of real-world files found misread (report items 1–22)."""

from __future__ import annotations

from pathlib import Path

import openpyxl

from conftest import add_households, household, invoke_json
from villagectl.importers.roster_states import state_reading
from villagectl.ledger.households import id_check_char
from villagectl.ledger.workbook import Ledger


def valid_id(prefix17: str) -> str:
    return prefix17 + id_check_char(prefix17)


def save(path: Path, sheets: dict[str, list[list]], merges: dict[str, list[str]] | None = None) -> Path:
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        for row in rows:
            ws.append(row)
        for rng in (merges or {}).get(name, []):
            ws.merge_cells(rng)
    wb.save(path)
    return path


def roster_rows(path: Path) -> dict[str, dict]:
    frame = Ledger.open(path).frame("户籍")
    return {str(r["户号"]): r for r in frame.to_dict("records")}


def messages(data: dict, severity: str | None = None) -> list[str]:
    return [p["message"] for p in data["problems"] if severity is None or p["severity"] == severity]


def test_merged_group_cells_and_counts_with_units(ledger_path: Path, tmp_path: Path, runner) -> None:
    rows = [["红旗村2026年农户花名册"], ["序号", "组别", "户号", "户主姓名", "家庭人口"],
            [1, "第一组", "001", "张秀英", "4人"], [2, None, "002", "李国庆", "3口"], [3, None, "003", "王桂花", "二"],
            [4, "第二组", "004", "赵大山", "5 人"], [5, None, "005", "钱小军", "１"], ["合计", None, None, None, "15人"]]
    path = save(tmp_path / "名册.xlsx", {"花名册": rows}, {"花名册": ["A1:E1", "B3:B5", "B6:B7"]})
    result, data = invoke_json(runner, "households", "import", ledger_path, path)
    assert result.exit_code == 0, result.stdout
    got = roster_rows(ledger_path)
    assert {h: got[h]["组别"] for h in got} == {"001": "第一组", "002": "第一组", "003": "第一组",
                                                 "004": "第二组", "005": "第二组"}
    assert [int(got[h]["人口"]) for h in sorted(got)] == [4, 3, 2, 5, 1]


def test_uncountable_population_is_still_refused(ledger_path: Path, tmp_path: Path, runner) -> None:
    path = save(tmp_path / "名册.xlsx", {"名册": [["户号", "户主", "组别", "人口"], ["HQ01", "张三", "第一组", "不详"]]})
    result, data = invoke_json(runner, "households", "import", ledger_path, path)
    assert result.exit_code == 1
    assert "人口“不详”应为整数" in messages(data)
    assert roster_rows(ledger_path) == {}


def test_group_spellings_become_one_per_group_the_ledgers_first(ledger_path: Path, tmp_path: Path, runner) -> None:
    add_households(ledger_path, [household("ZP001", "老户", "第二组")])
    rows = [["户号", "户主", "组别", "人口"], ["一组1号", "张秀英", "一组", 4], ["一组2号", "李国庆", "1组", 3],
            ["一组3号", "王桂花", "一组", 2], ["二组1号", "赵大山", "2组", 5], ["二组2号", "钱小军", "第2村民小组", 1]]
    path = save(tmp_path / "名册.xlsx", {"花名册": rows})
    result, data = invoke_json(runner, "households", "import", ledger_path, path)
    assert result.exit_code == 0, result.stdout
    got = roster_rows(ledger_path)
    assert {h: got[h]["组别"] for h in got} == {"ZP001": "第二组", "一组1号": "一组", "一组2号": "一组", "一组3号": "一组",
                                                 "二组1号": "第二组", "二组2号": "第二组"}
    [note] = [m for m in messages(data, "提醒") if "组别统一" in m]
    assert "“1组”→“一组”（名册.xlsx / 花名册 / C3）" in note
    assert "“2组”→“第二组”（名册.xlsx / 花名册 / C5）" in note
    assert "“第2村民小组”→“第二组”" in note


def test_one_sheet_per_group_takes_the_group_from_title_or_sheet_name(ledger_path: Path, tmp_path: Path, runner) -> None:
    sheets = {
        "一组": [["一组农户花名册"], ["户编号", "户主", "人口"], ["101", "张秀英", 4], ["102", "李国庆", 3]],
        "第二组": [["户编号", "户主", "人口"], ["201", "赵大山", 5]],
        "Sheet3": [["户编号", "户主", "人口"], ["301", "孙红梅", 6]],
    }
    path = save(tmp_path / "各组名册.xlsx", sheets)
    result, data = invoke_json(runner, "households", "import", ledger_path, path)
    assert result.exit_code == 0, result.stdout
    got = roster_rows(ledger_path)
    assert {h: got[h]["组别"] for h in got} == {"101": "一组", "102": "一组", "201": "第二组", "301": ""}
    notes = messages(data, "提醒")
    assert "没有“组别”列，按标题“一组农户花名册”把这张表的农户都记为一组" in notes
    assert "没有“组别”列，按工作表名“第二组”把这张表的农户都记为第二组" in notes


def test_note_saying_moved_out_warns_and_keeps_the_state(ledger_path: Path, tmp_path: Path, runner) -> None:
    rows = [["户号", "户主", "组别", "人口", "备注"], ["HQ01", "张秀英", "第一组", 4, ""],
            ["HQ02", "李国庆", "第一组", 3, "2025年已迁出县城"], ["HQ03", "王桂花", "第一组", 2, "户主迁往外省"],
            ["HQ04", "赵大山", "第一组", 5, "未迁出"]]
    path = save(tmp_path / "名册.xlsx", {"名册": rows})
    result, data = invoke_json(runner, "households", "import", ledger_path, path)
    assert result.exit_code == 0, result.stdout
    warned = {p["cell"]: p["message"] for p in data["problems"] if p["severity"] == "警告"}
    assert set(warned) == {"E3", "E4"}
    assert "备注写着“2025年已迁出县城”，状态仍按“正常”导入" in warned["E3"]
    assert "villagectl transfer out" in warned["E3"] and "“状态”列写“迁出”" in warned["E3"]
    assert {h: r["状态"] for h, r in roster_rows(ledger_path).items()} == {h: "正常" for h in ("HQ01", "HQ02", "HQ03", "HQ04")}


def test_one_row_per_person_is_grouped_into_households(ledger_path: Path, tmp_path: Path, runner) -> None:
    head1, wife, head2, head3 = (valid_id(p) for p in ("41272319620101111", "41272319640505222",
                                                        "41272319500303444", "41272319770707555"))
    rows = [["东岭村户籍人口花名册"], ["户号", "姓名", "与户主的关系", "身份证号", "组别", "联系电话"],
            ["DL01", "刘小英", "妻", wife, "第二组", ""], ["DL01", "陈大明", "户主", head1, "第二组", "13811112222"],
            ["DL01", "陈强", "户主之子", "", "第二组", ""], ["DL02", "吴秀兰", "本人", head2, "第二组", "13900001111"],
            ["DL03", "郑国华", "户主", head3, "第二组", ""], ["DL03", "王梅", "儿媳", "", "第二组", "13700002222"],
            ["DL04", "孤老", "", "", "第二组", ""]]
    path = save(tmp_path / "人口.xlsx", {"人口": rows})
    result, data = invoke_json(runner, "households", "import", ledger_path, path)
    assert result.exit_code == 0, result.stdout
    got = roster_rows(ledger_path)
    assert {h: (r["户主"], int(r["人口"]), r["身份证号"]) for h, r in got.items()} == {
        "DL01": ("陈大明", 3, head1), "DL02": ("吴秀兰", 1, head2), "DL03": ("郑国华", 2, head3), "DL04": ("孤老", 1, "")}
    assert got["DL03"]["联系电话"] == "13700002222"  # the household's phone from a member's row
    assert "与户主的关系" not in Ledger.open(ledger_path).frame("户籍").columns
    assert any("7 行按户号合成 4 户" in m for m in messages(data, "提醒"))


def test_head_and_name_columns_and_a_population_column(ledger_path: Path, tmp_path: Path, runner) -> None:
    rows = [["户号", "户主", "姓名", "组别", "人口"], ["HQ01", "张秀英", "李明", "第一组", ""],
            ["HQ01", "张秀英", "张秀英", "第一组", 4], ["HQ02", "李国庆", "李国庆", "第一组", ""]]
    path = save(tmp_path / "名册.xlsx", {"名册": rows})
    result, data = invoke_json(runner, "households", "import", ledger_path, path)
    assert result.exit_code == 0, result.stdout
    got = roster_rows(ledger_path)
    assert {h: (r["户主"], int(r["人口"])) for h, r in got.items()} == {"HQ01": ("张秀英", 4), "HQ02": ("李国庆", 1)}


def test_two_households_under_one_id_are_still_refused(ledger_path: Path, tmp_path: Path, runner) -> None:
    rows = [["户号", "姓名", "与户主关系", "组别"], ["DL01", "陈大明", "户主", "第二组"], ["DL01", "刘小英", "妻", "第二组"],
            ["DL01", "吴秀兰", "户主", "第二组"]]
    path = save(tmp_path / "人口.xlsx", {"人口": rows})
    result, data = invoke_json(runner, "households", "import", ledger_path, path)
    assert result.exit_code == 1
    assert any(p["cell"] == "A4" and "户号 DL01 重复（与 A2 相同）" in p["message"] for p in data["problems"])
    assert roster_rows(ledger_path) == {}
    # no row says who the head is
    rows = [["户号", "姓名", "与户主关系"], ["DL05", "甲", "妻"], ["DL05", "乙", "子"]]
    path = save(tmp_path / "无户主.xlsx", {"人口": rows})
    result, data = invoke_json(runner, "households", "import", ledger_path, path)
    assert result.exit_code == 1
    assert any(p["cell"] == "C2" and "没有“与户主关系”写着户主或本人的行" in p["message"] for p in data["problems"])
    # a 户主 column naming two different people under one 户号: two households, refused too
    rows = [["户号", "户主", "姓名", "组别"], ["HQ01", "张秀英", "张秀英", "第一组"], ["HQ01", "李国庆", "李国庆", "第一组"]]
    path = save(tmp_path / "名册.xlsx", {"名册": rows})
    result, data = invoke_json(runner, "households", "import", ledger_path, path)
    assert result.exit_code == 1
    assert any(p["cell"] == "A3" and "户号 HQ01 重复（与 A2 相同）" in p["message"] for p in data["problems"])


def test_repeated_id_without_person_columns_is_a_duplicate(ledger_path: Path, tmp_path: Path, runner) -> None:
    rows = [["户号", "户主", "组别"], ["HQ01", "张秀英", "第一组"], ["HQ02", "李国庆", "第一组"], ["HQ02", "李国庆", "第一组"]]
    path = save(tmp_path / "名册.xlsx", {"名册": rows})
    result, data = invoke_json(runner, "households", "import", ledger_path, path)
    assert result.exit_code == 1
    assert "户号 HQ02 重复（与 A3 相同）" in messages(data)


def test_two_level_header(ledger_path: Path, tmp_path: Path, runner) -> None:
    id1 = valid_id("41272319650315202")
    rows = [["北坡村农户基本情况登记表"], ["序号", "户号", "户主信息", None, None, "家庭情况", None],
            [None, None, "姓名", "身份证号码", "联系电话", "人口", "所在组"],
            [1, "BP01", "张秀英", id1, "13912345678", 4, "第一组"], [2, "BP02", "李国庆", "", "13800001111", 3, "第二组"]]
    merges = ["A1:G1", "A2:A3", "B2:B3", "C2:E2", "F2:G2"]
    path = save(tmp_path / "登记表.xlsx", {"Sheet1": rows}, {"Sheet1": merges})
    result, data = invoke_json(runner, "households", "import", ledger_path, path)
    assert result.exit_code == 0, result.stdout
    got = roster_rows(ledger_path)
    assert {h: (r["户主"], r["身份证号"], r["联系电话"], int(r["人口"]), r["组别"]) for h, r in got.items()} == {
        "BP01": ("张秀英", id1, "13912345678", 4, "第一组"), "BP02": ("李国庆", "", "13800001111", 3, "第二组")}
    assert any("表头有两行" in m for m in messages(data, "提醒"))


def test_per_group_numbering_names_the_other_sheet_and_says_what_to_do(ledger_path: Path, tmp_path: Path, runner) -> None:
    sheets = {"第一组": [["户号", "户主", "组别"], [1, "张秀英", "第一组"], [2, "李国庆", "第一组"]],
              "第二组": [["户号", "户主", "组别"], [1, "赵大山", "第二组"], [2, "钱小军", "第二组"]]}
    path = save(tmp_path / "名册.xlsx", sheets)
    result, data = invoke_json(runner, "households", "import", ledger_path, path)
    assert result.exit_code == 1
    first = next(p for p in data["problems"] if p["sheet"] == "第二组" and p["cell"] == "A2")
    assert first["message"].startswith("户号 1 重复（与 第一组 / A2 相同）；看来各组")
    assert "请把组写进户号" in first["message"]
    assert roster_rows(ledger_path) == {}


def test_state_wordings(ledger_path: Path, tmp_path: Path, runner) -> None:
    rows = [["户号", "户主", "组别", "状态"], ["HQ01", "张秀英", "第一组", "在册"], ["HQ02", "李国庆", "第一组", "已迁出"],
            ["HQ03", "王桂花", "第一组", "死亡注销"], ["HQ04", "赵大山", "第一组", "在户"], ["HQ05", "钱小军", "第一组", "迁走"]]
    path = save(tmp_path / "名册.xlsx", {"名册": rows})
    result, data = invoke_json(runner, "households", "import", ledger_path, path)
    assert result.exit_code == 0, result.stdout
    assert {h: r["状态"] for h, r in roster_rows(ledger_path).items()} == {
        "HQ01": "正常", "HQ02": "迁出", "HQ03": "注销", "HQ04": "正常", "HQ05": "迁出"}
    assert "状态“死亡注销”按“注销”导入（D4）" in messages(data, "提醒")
    assert [state_reading(w) for w in ("2025年迁往县城", "注销", "未迁出", "不在册", "迁出注销", "外出务工", "易地搬迁户", "拆迁安置", "新迁入")] == [
        "迁出", "注销", None, None, None, None, None, None, None]


def test_unknown_state_is_still_refused(ledger_path: Path, tmp_path: Path, runner) -> None:
    path = save(tmp_path / "名册.xlsx", {"名册": [["户号", "户主", "状态"], ["HQ01", "张秀英", "外出务工"]]})
    result, data = invoke_json(runner, "households", "import", ledger_path, path)
    assert result.exit_code == 1
    assert "状态“外出务工”无效，应为 正常、迁出、注销、暂停" in messages(data)


def test_header_only_roster_is_refused(ledger_path: Path, tmp_path: Path, runner) -> None:
    path = save(tmp_path / "空名册.xlsx", {"Sheet": [["户号", "户主"]]})
    result, data = invoke_json(runner, "households", "import", ledger_path, path)
    assert result.exit_code == 1
    assert any("没有读到任何农户" in m for m in messages(data, "警告"))
    assert roster_rows(ledger_path) == {}


def test_a_members_state_is_not_the_households_and_members_gone_do_not_count(ledger_path: Path, tmp_path: Path,
                                                                               runner) -> None:
    rows = [["户号", "姓名", "与户主关系", "组别", "状态", "联系电话"],
            ["ZP001", "张三", "户主", "一组", None, "13800138000"], ["ZP001", "李梅", "妻", "一组", None, None],
            ["ZP001", "张丽", "女", "一组", "迁出", None], ["ZP002", "王五", "户主", "一组", None, None],
            ["ZP002", "王老汉", "父", "一组", "死亡", None], ["ZP003", "赵六", "户主", "一组", "迁出", None],
            ["ZP003", "赵小", "子", "一组", None, None]]
    path = save(tmp_path / "人口.xlsx", {"人口": rows})
    result, data = invoke_json(runner, "households", "import", ledger_path, path)
    assert result.exit_code == 0, result.stdout
    got = roster_rows(ledger_path)
    assert {h: (r["状态"], int(r["人口"])) for h, r in got.items()} == {
        "ZP001": ("正常", 2), "ZP002": ("正常", 1), "ZP003": ("迁出", 2)}
    notes = messages(data, "提醒")
    assert "户号 ZP001：张丽（E4“迁出”） 已不在户里，不计入人口，人口按 2 人导入；户的状态只看户主那一行" in notes
    assert any("王老汉（E6“死亡”）" in m for m in notes)
    assert not any("按“注销”导入" in m for m in notes)


def test_groups_are_unified_only_when_the_whole_name_is_the_group(ledger_path: Path, tmp_path: Path, runner) -> None:
    add_households(ledger_path, [household("LD01", "老户", "第一组")])
    rows = [["户号", "户主", "组别", "人口"], ["DY01", "张三", "东一组", 3], ["DY02", "李四", "东一组", 2],
            ["XY01", "王五", "西一组", 4], ["Y01", "赵六", "1组", 2], ["Y02", "钱七", "一组（张家湾）", 2],
            ["Y03", "孙八", "第一村民小组", 1]]
    path = save(tmp_path / "名册.xlsx", {"名册": rows})
    result, data = invoke_json(runner, "households", "import", ledger_path, path)
    assert result.exit_code == 0, result.stdout
    got = roster_rows(ledger_path)
    assert {h: r["组别"] for h, r in got.items()} == {"LD01": "第一组", "DY01": "东一组", "DY02": "东一组",
                                                      "XY01": "西一组", "Y01": "第一组", "Y02": "第一组", "Y03": "第一组"}
    [note] = [m for m in messages(data, "提醒") if "组别统一" in m]
    assert "东一组" not in note and "西一组" not in note and "“1组”→“第一组”" in note


def test_a_title_counting_the_villages_groups_names_no_group(ledger_path: Path, tmp_path: Path, runner) -> None:
    sheets = {"Sheet1": [["中坪村农户花名册（全村共5组，128户）"], ["户号", "户主", "人口"], ["ZP001", "张三", 3]],
              "Sheet2": [["全村5个组花名册"], ["户号", "户主", "人口"], ["ZP002", "李四", 4]],
              "Sheet3": [["第三组花名册（32户，108人）"], ["户号", "户主", "人口"], ["ZP003", "王五", 2]]}
    path = save(tmp_path / "名册.xlsx", sheets)
    result, data = invoke_json(runner, "households", "import", ledger_path, path)
    assert result.exit_code == 0, result.stdout
    got = roster_rows(ledger_path)
    assert {h: r["组别"] for h, r in got.items()} == {"ZP001": "", "ZP002": "", "ZP003": "第三组"}
    by_sheet = {p["sheet"]: p["message"] for p in data["problems"] if "组的个数" in p["message"]}
    assert set(by_sheet) == {"Sheet1", "Sheet2"}
    assert "“5组”" in by_sheet["Sheet1"] and "请加一列“组别”" in by_sheet["Sheet1"]
    assert "“5个组”" in by_sheet["Sheet2"]


def test_id_and_head_written_only_on_each_households_first_row(ledger_path: Path, tmp_path: Path, runner) -> None:
    people = [["户号", "姓名", "与户主关系", "组别"], ["ZP001", "张三", "户主", "一组"], [None, "李梅", "妻", "一组"],
              [None, "张小", "子", "一组"], ["ZP002", "王五", "户主", "一组"], [None, "孤儿", "户主", "一组"],
              [None, "陈某", "", "一组"]]
    path = save(tmp_path / "人口.xlsx", {"人口": people})
    result, data = invoke_json(runner, "households", "import", ledger_path, path)
    assert result.exit_code == 1  # a new head without 户号, and a row of no relation, are not guessed
    assert {(p["cell"], p["message"]) for p in data["problems"] if p["severity"] == "错误"} == {
        ("A6", "缺少户号"), ("A7", "缺少户号")}
    assert "户号只写在每户第一行：A3、A4 的户号空着、与户主关系写的是家庭成员，按上一行的户号（同一户）读" in messages(data, "提醒")
    path = save(tmp_path / "人口2.xlsx", {"人口": people[:5]})
    result, data = invoke_json(runner, "households", "import", ledger_path, path)
    assert result.exit_code == 0, result.stdout
    assert {h: (r["户主"], int(r["人口"])) for h, r in roster_rows(ledger_path).items()} == {
        "ZP001": ("张三", 3), "ZP002": ("王五", 1)}


def test_a_blank_head_under_the_same_id_is_a_member_not_a_second_household(ledger_path: Path, tmp_path: Path,
                                                                              runner) -> None:
    rows = [["户号", "户主", "姓名", "组别"], ["ZP001", "张三", "张三", "一组"], ["ZP001", None, "李梅", "一组"],
            ["ZP002", "王五", "王五", "一组"]]
    path = save(tmp_path / "名册.xlsx", {"名册": rows})
    result, data = invoke_json(runner, "households", "import", ledger_path, path)
    assert result.exit_code == 0, result.stdout
    assert {h: (r["户主"], int(r["人口"])) for h, r in roster_rows(ledger_path).items()} == {
        "ZP001": ("张三", 2), "ZP002": ("王五", 1)}


def test_a_persons_death_in_the_note_is_not_the_households_end(ledger_path: Path, tmp_path: Path, runner) -> None:
    rows = [["户号", "户主", "组别", "人口", "备注"], ["ZP001", "张小", "一组", 3, "户主已去世，由儿子接任户主"],
            ["ZP002", "李四", "一组", 2, "妻子死亡"], ["ZP003", "王五", "一组", 1, "已死亡注销"]]
    path = save(tmp_path / "名册.xlsx", {"名册": rows})
    result, data = invoke_json(runner, "households", "import", ledger_path, path)
    assert result.exit_code == 0, result.stdout
    assert [p["cell"] for p in data["problems"] if p["severity"] == "警告"] == ["E4"]
    assert [state_reading(t) for t in ("户主已去世，由儿子接任户主", "妻子死亡", "父亲病故", "已死亡注销", "死亡")] == [
        None, None, None, "注销", "注销"]


def test_a_group_named_beyond_its_number_is_its_own_group() -> None:
    import pandas as pd

    from villagectl.ledger.households import group_names, require_group
    from villagectl.values import group_key  # the one reading of a group (issue 15)

    assert [group_key(g) for g in ("一组", "1组", "第一组", "第一村民小组", "一组（张家湾）", "中坪村一组", "东一组", "西一组")] == [
        "1", "1", "1", "1", "1", "1", "东一组", "西一组"]
    frame = pd.DataFrame({"组别": ["东一组", "西一组", "第二组", "2组"]})
    assert group_names(frame) == ["东一组", "西一组", "第二组"]
    assert require_group(frame, "西一组") == "西一组" and require_group(frame, "二组") == "第二组"
