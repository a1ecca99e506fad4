"""The demo village of villagectl.demo (zhongping): the facts the demos and the other tests rely on."""

from __future__ import annotations

import shutil
import unicodedata
from collections import Counter
from pathlib import Path

import pytest

from villagectl.demo import zhongping as samples
from villagectl.actions.check import check_ledger
from villagectl.actions.households_import import import_households
from villagectl.actions.session import Session
from villagectl.errors import DataError
from villagectl.io.filetype import sniff
from villagectl.io.reader import read_workbook
from villagectl.io.safe_write import sha256_file
from villagectl import schema
from villagectl.ledger.households import MOBILE_RE, id_number_problem
from villagectl.ledger.journal import verify_journal
from villagectl.ledger.workbook import Ledger
from villagectl.demo import build_samples
from villagectl.values import clean_name, clean_text, to_number

ITEM_MAXIMA = {
    "庭院": 15, "客厅": 10, "厨房": 10, "卧室": 10, "厕所": 5, "带头参与": 10, "传递正能量": 5,
    "遵纪守法": 5, "支持入学": 5, "积极读书": 5, "勤劳务实": 5, "就业创业": 5, "孝老爱亲": 5, "邻里和睦": 5,
}


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> dict:
    return build_samples(tmp_path_factory.mktemp("samples"))


@pytest.fixture
def ledger_copy(built, tmp_path) -> Path:
    target = tmp_path / built["ledger"].name
    shutil.copy2(built["ledger"], target)
    return target


def households(path: Path):
    return Ledger.open(path).frame(schema.HOUSEHOLDS.name)


def test_files_are_where_the_docs_say(built):
    root = built["ledger"].parent
    assert built["ledger"] == root / "中坪村积分台账.xlsx"
    assert built["roster"] == root / "原始资料" / "村民花名册.xlsx"
    assert built["roster_with_errors"] == root / "原始资料" / "村民花名册_有错误.xlsx"
    kinds = [sniff(p) for p in built["inspections"]]
    assert kinds == ["xlsx", "xlsx", "xls", "ods"]
    assert all(p.parent == root / "原始资料" / "2026年7月检查表" for p in built["inspections"])
    assert not (root / ".villagectl").exists()  # no empty backup folder left in the demo


def test_households_sheet(built):
    df = households(built["ledger"])
    assert len(df) == 64
    assert df["户号"].tolist() == [f"ZP{i:03d}" for i in range(1, 65)]
    assert Counter(df["组别"]) == {"第一组": 16, "第二组": 16, "第三组": 16, "第四组": 16}
    assert Counter(df["状态"]) == {"正常": 63, "迁出": 1}
    assert df.loc[df["状态"] == "迁出", "户号"].tolist() == ["ZP047"]
    assert set(df["户类型"]) <= set(schema.HOUSEHOLD_TYPES)
    assert Counter(df["户类型"]).most_common(1)[0][0] == "普通户"
    assert {"党员户", "脱贫户", "低保户"} <= set(df["户类型"])
    for _, row in df.iterrows():
        size, members = int(row["人口"]), int(row["参评人数"])
        assert 1 <= size <= 6 and 1 <= members <= size
        assert MOBILE_RE.fullmatch(row["联系电话"]), row["联系电话"]
        assert id_number_problem(row["身份证号"]) is None, row["身份证号"]
        assert 1945 <= int(row["身份证号"][6:10]) <= 1995
        assert row["身份证号"].startswith("4127")
    assert df["身份证号"].is_unique and df["联系电话"].is_unique
    assert any(v.endswith("X") for v in df["身份证号"])
    assert {"王喆", "李赟", "陈堃"} <= set(df["户主"])


def test_two_households_share_a_head_name_in_different_groups(built):
    df = households(built["ledger"])
    counts = Counter(df["户主"])
    shared = [name for name, n in counts.items() if n > 1]
    assert shared == ["张伟"]
    same = df[df["户主"] == "张伟"]
    assert same["户号"].tolist() == ["ZP004", "ZP038"]
    assert same["组别"].nunique() == 2


def test_cadres_shop_and_opening_balances(built):
    ledger = Ledger.open(built["ledger"])
    cadres = ledger.frame(schema.CADRES.name)
    assert len(cadres) == 9
    assert cadres["编号"].tolist() == [f"GB{i:02d}" for i in range(1, 10)]
    assert Counter(cadres["类别"]) == {"村干部": 5, "村民代表": 4}
    assert set(cadres["状态"]) == {"在职"}
    shop = ledger.frame(schema.SHOP.name)
    prices = {r["名称"]: (r["单位"], to_number(r["积分单价"])) for _, r in shop.iterrows()}
    assert prices["洗衣粉"] == ("袋", 10) and prices["食用油"] == ("桶", 50) and prices["肥皂"] == ("块", 3)
    assert len(shop) == 10 and all(to_number(v) > 0 for v in shop["库存"])
    journal = ledger.frame(schema.JOURNAL.name)
    assert len(journal) == 40
    assert set(journal["类型"]) == {"期初"}
    assert set(journal["摘要"]) == {"原纸质存折余额结转"}
    assert set(journal["日期"]) == {"2026-05-31"} and set(journal["经办人"]) == {"村文书"}
    assert journal["户号"].is_unique
    moved_out = set(households(built["ledger"]).query("状态 == '迁出'")["户号"])
    assert not moved_out & set(journal["户号"])
    assert verify_journal(journal) == []


def test_ledger_passes_check(built):
    _ledger, problems = check_ledger(built["ledger"])
    assert [str(p) for p in problems if p.severity == "错误"] == []


def test_same_data_every_run(built, tmp_path):
    again = build_samples(tmp_path)
    a, b = households(built["ledger"]), households(again["ledger"])
    assert a.equals(b)
    first = read_workbook(built["roster"]).sheets[0].rows
    assert read_workbook(again["roster"]).sheets[0].rows == first
    for p, q in zip(built["inspections"], again["inspections"]):
        assert read_workbook(p).sheets[0].rows == read_workbook(q).sheets[0].rows


def test_roster_is_messy_like_a_real_one(built):
    rows = read_workbook(built["roster"]).sheets[0].rows
    assert rows[0][0] == "中坪村村民花名册（2026年6月）"
    assert rows[2] == ["序号", "户编号", "户主姓名", "村民小组", "家庭人口", "户别", "手机号码", "身份证号码", "备注"]
    assert rows[-2][0] == "制表人：李会计    审核人：王书记"
    assert rows[-1][0] == "制表日期：2026年6月3日"
    data = rows[3:-2]
    assert any(not any(clean_text(v) for v in r) for r in data)  # blank rows in the middle
    filled = [r for r in data if clean_text(r[1])]
    assert len(filled) == 66
    names = [r[2] for r in filled]
    assert "张\u3000伟" in names
    assert any(n != n.strip() for n in names)
    assert all(isinstance(r[7], str) for r in filled)  # 身份证号 kept as text
    assert any(isinstance(r[6], (int, float)) for r in filled)  # some phones stored as numbers
    assert any(isinstance(r[6], str) for r in filled)


def test_importing_the_roster_adds_two_and_changes_four(built, ledger_copy):
    before = households(ledger_copy).set_index("户号")
    roster = {clean_text(r[1]): r for r in read_workbook(built["roster"]).sheets[0].rows[3:] if clean_text(r[1]).startswith("ZP")}

    report = import_households(Session(ledger_copy), [built["roster"]])

    assert report.written
    assert [p for p in report.problems if p.severity == "错误"] == []
    assert report.added == ["ZP065", "ZP066"]
    assert sorted((c.household_id, c.field) for c in report.changes) == [
        ("ZP005", "联系电话"), ("ZP023", "联系电话"), ("ZP048", "组别"), ("ZP058", "联系电话"),
    ]
    assert report.unchanged == 60
    after = households(ledger_copy).set_index("户号")
    assert len(after) == 66
    assert after.loc["ZP048", "组别"] == "第四组" and before.loc["ZP048", "组别"] == "第三组"
    for hid in ("ZP005", "ZP023", "ZP058"):
        assert after.loc[hid, "联系电话"] == clean_text(roster[hid][6]) != before.loc[hid, "联系电话"]
    assert after.loc["ZP065", "组别"] == "第二组" and after.loc["ZP066", "组别"] == "第四组"
    assert set(after.loc[["ZP065", "ZP066"], "状态"]) == {"正常"}
    assert after.loc["ZP004", "户主"] == "张伟"  # "张　伟" in the roster is the same name
    _l, problems = check_ledger(ledger_copy)
    assert [str(p) for p in problems if p.severity == "错误"] == []

    again = import_households(Session(ledger_copy), [built["roster"]])
    assert again.added == [] and again.changes == [] and not again.written


def test_roster_with_errors_names_each_planted_cell(built, ledger_copy):
    digest = sha256_file(ledger_copy)
    ledger_ids = households(ledger_copy).set_index("户号")["身份证号"]
    right = ledger_ids["ZP010"][17]
    wrong = "0" if right != "0" else "1"

    with pytest.raises(DataError) as info:
        import_households(Session(ledger_copy), [built["roster_with_errors"]])

    # the sample's 李忠 (ZP047) has 备注 “2026年3月全家迁往县城”: a warning beside the four planted errors
    warnings = [p for p in info.value.problems if p.severity == "警告"]
    assert [(p.location.cell, p.message.split("；")[0]) for p in warnings] == [("I53", "户号 ZP047 的备注写着“2026年3月全家迁往县城”，状态仍按“正常”导入")]
    problems = [p for p in info.value.problems if p.severity != "警告"]
    assert "4 处问题" in info.value.message
    by_cell = {p.location.cell: p for p in problems}
    assert sorted(by_cell) == ["B26", "F59", "G40", "H13"]
    assert all(p.location.file == "村民花名册_有错误.xlsx" and p.location.sheet == "花名册" for p in info.value.problems)
    assert all(p.severity == "错误" for p in problems)
    assert f"身份证号校验位错误（按前17位应为 {right}，实为 {wrong}）" in by_cell["H13"].message
    assert by_cell["B26"].message == "户号 ZP020 重复（与 B25 相同）"
    assert by_cell["G40"].message.startswith("联系电话“1380013800”格式不对")
    assert by_cell["F59"].message.startswith("户类型“富裕户”不在允许的取值中")
    assert sha256_file(ledger_copy) == digest  # nothing written


def _number(value) -> float:
    return to_number(unicodedata.normalize("NFKC", str(value)) if isinstance(value, str) else value)


def test_inspection_sheets_cover_each_group(built):
    df = households(built["ledger"])
    active = df[df["状态"] == "正常"]
    totals: list[float] = []
    sheets = dict(zip(samples.GROUPS, built["inspections"]))

    # 第一组: 户号 in column A, items B.., 合计 last; title merged; footer
    rows = read_workbook(sheets["第一组"]).sheets[0].rows
    assert rows[0][0] == "中坪村第一组2026年7月人居环境检查评分表"
    assert rows[1][2] == "庭院\n(15分)" and rows[1][-1] == "合计"
    assert rows[-1][0] == "检查人：李四  日期：2026年7月22日"
    data = [r for r in rows[2:] if str(r[0]).startswith("ZP")]
    assert [r[0] for r in data] == active[active["组别"] == "第一组"]["户号"].tolist()
    for r in data:
        assert sum(r[2:16]) == pytest.approx(r[16])
        totals.append(r[16])

    # 第二组: two header rows, names only
    book = read_workbook(sheets["第二组"]).sheets[0]
    rows = book.rows
    assert rows[1][2] == "人居环境（50分）" and rows[2][2] == "庭院15"
    assert ((1, 2), (1, 6)) in book.merged and ((1, 1), (2, 1)) in book.merged
    assert "户号" not in [clean_text(v) for v in rows[1] + rows[2]]
    data = [r for r in rows[3:] if isinstance(r[0], float)]
    assert [clean_name(r[1]) for r in data] == active[active["组别"] == "第二组"]["户主"].tolist()
    assert any("\u3000" in r[1] for r in data)
    for r in data:
        assert sum(r[2:16]) == pytest.approx(r[16])
        totals.append(r[16])

    # 第三组: legacy xls, every number typed as text, some full-width
    rows = read_workbook(sheets["第三组"]).sheets[0].rows
    data = [r for r in rows if str(r[0]).startswith("ZP")]
    assert [r[0] for r in data] == active[active["组别"] == "第三组"]["户号"].tolist()
    assert "ZP047" not in [r[0] for r in data]  # moved out: not inspected
    cells = [v for r in data for v in r[2:]]
    assert all(isinstance(v, str) for v in cells)
    assert "１５" in cells and "９．５" in cells
    for r in data:
        assert sum(_number(v) for v in r[2:16]) == pytest.approx(_number(r[16]))
        totals.append(_number(r[16]))

    # 第四组: ods with 序号 and 备注
    rows = read_workbook(sheets["第四组"]).sheets[0].rows
    assert rows[2][0] == "序号" and rows[2][-1] == "备注"
    data = [r for r in rows if str(r[1]).startswith("ZP")]
    assert [r[1] for r in data] == active[active["组别"] == "第四组"]["户号"].tolist()
    assert any(clean_text(r[-1]) for r in data)
    for r in data:
        assert sum(r[3:17]) == pytest.approx(r[17])
        totals.append(r[17])

    assert len(totals) == 63
    assert {80.0, 85.0, 90.0} <= set(totals)
    assert 3 <= sum(t < 80 for t in totals) <= 8
    assert sum(75 <= t <= 98 for t in totals) >= 55


def test_item_scores_stay_within_their_maxima(built):
    from villagectl.importers.header_match import Column, ItemSpec, match_columns
    from villagectl.rules.presets import ZHONGPING

    specs = [ItemSpec.from_rule(r) for r in ZHONGPING.rules]
    names_by_code = {r.code: r.item for r in ZHONGPING.rules}
    for path in built["inspections"]:
        rows = read_workbook(path).sheets[0].rows
        header_row = max(range(len(rows)), key=lambda i: sum(clean_name(v).count("环境") + ("客厅" in clean_name(v))
                                                              + ("邻里" in clean_name(v)) for v in rows[i]))
        header = rows[header_row]
        matched = match_columns(specs, [Column(c, str(v)) for c, v in enumerate(header) if clean_text(v)])
        cols = {names_by_code[m.code]: c for c, m in matched.matches.items()}
        assert len(cols) == 14, (path.name, header)
        for r in rows[header_row + 1 :]:
            values = [r[c] for c in cols.values()]
            if not all(clean_text(v) for v in values):
                continue
            for item, c in cols.items():
                score = _number(r[c])
                assert 0 <= score <= ITEM_MAXIMA[item], (path.name, item, score)
                assert score * 2 == int(score * 2)
