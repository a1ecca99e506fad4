"""Transfers within the town: transfer out closes the account and signs a file; transfer in verifies it and carries on."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import pandas as pd
import pytest
from conftest import invoke, invoke_json

import villagectl.cli.account_commands  # noqa: F401  (registers transfer / passbook until main.py imports it)
from villagectl.actions.transfer import canonical_bytes, sign, signature_ok
from villagectl.ledger.households import normalize_phone
from villagectl.ledger.journal import (
    NewEntry,
    append_entries,
    empty_journal,
    summarize,
    verify_journal,
)
from villagectl.ledger.workbook import Ledger
from villagectl.demo import build_samples
from villagectl.scoring.annual import year_earnings
from villagectl.values import clean_text

KEY = "town-key-镇积分办-2026"
MONTH = "2026-07"
MOVER = "ZP063"  # 期初 23 (2026-05-31), July 92 分 → 5, plus the fixture's 2025 award and a redemption


def set_setting(path: Path, key: str, value: str | None) -> None:
    ledger = Ledger.open(path)
    frame = ledger.frame("参数").copy()
    frame = frame[frame["键"].map(clean_text) != key]
    if value is not None:
        frame = pd.concat([frame, pd.DataFrame([{"键": key, "值": value, "说明": "测试"}], dtype=object)],
                          ignore_index=True)
    ledger.replace("参数", frame)
    ledger.save("test-setup")


def add_entries(path: Path, entries: list[NewEntry], date: str) -> list[str]:
    ledger = Ledger.open(path)
    journal, ids = append_entries(ledger.frame("积分流水"), entries, date, "村文书")
    ledger.replace("积分流水", journal)
    ledger.save("test-setup")
    return ids


@pytest.fixture(scope="module")
def base(tmp_path_factory) -> dict:
    """Two villages of one town (same key); 中坪村 has July scored (draft copy) and posted."""
    from typer.testing import CliRunner

    runner = CliRunner()
    root = tmp_path_factory.mktemp("town")
    a = build_samples(root / "中坪村")
    b = build_samples(root / "东坪村", village="东坪村")
    ledger_a = Path(a["ledger"])
    set_setting(ledger_a, "镇转移密钥", KEY)
    set_setting(Path(b["ledger"]), "镇转移密钥", KEY)
    assert invoke(runner, "inspect", "import", ledger_a, *a["inspections"]).exit_code == 0
    assert invoke(runner, "score", "month", ledger_a, "--month", MONTH).exit_code == 0
    draft = root / "scored.xlsx"
    shutil.copy(ledger_a, draft)
    assert invoke(runner, "notice", "month", ledger_a, "--month", MONTH, "-o", root / "n.pdf", "--date", "2026-07-26").exit_code == 0
    assert invoke(runner, "post", "month", ledger_a, "--month", MONTH, "--date", "2026-07-29").exit_code == 0
    add_entries(ledger_a, [NewEntry(MOVER, "加分", 5.0, "调解邻里纠纷", member="徐小明")], "2025-12-15")
    add_entries(ledger_a, [NewEntry(MOVER, "兑换", -10.0, "兑换：洗衣粉 1 袋", "DH000001")], "2026-08-02")
    return {"a": ledger_a, "b": Path(b["ledger"]), "draft": draft}


@pytest.fixture
def town(base, tmp_path: Path) -> dict:
    a = tmp_path / "中坪村" / "中坪村积分台账.xlsx"
    b = tmp_path / "东坪村" / "东坪村积分台账.xlsx"
    for src, dst in ((base["a"], a), (base["b"], b)):
        dst.parent.mkdir()
        shutil.copy(src, dst)
    draft = tmp_path / "草稿" / "中坪村积分台账.xlsx"
    draft.parent.mkdir()
    shutil.copy(base["draft"], draft)
    return {"a": a, "b": b, "draft": draft, "tmp": tmp_path}


def totals(path: Path, hid: str) -> dict:
    frame = summarize(Ledger.open(path).frame("积分流水")).set_index("household_id")
    return frame.loc[hid].to_dict() if hid in frame.index else {"balance": 0.0, "earned": 0.0, "spent": 0.0}


def rated_by_year(path: Path, hid: str, years=(2025, 2026)) -> dict[int, float]:
    """What the year-end ratings count for the household (scoring.annual.year_earnings)."""
    book = Ledger.open(path)
    journal, events = book.frame("积分流水"), book.frame_or_empty("积分事件")
    return {y: year_earnings(journal, events, y).get(hid, 0.0) for y in years}


def transfer_out(runner, town, hid: str = MOVER, to: str = "东坪村", *extra: str) -> dict:
    result, data = invoke_json(runner, "transfer", "out", town["a"], "--household", hid, "--to-village", to,
                               "--date", "2026-08-15", "-o", town["tmp"], *extra)
    assert result.exit_code == 0, data
    return data


# --- the whole transfer ----------------------------------------------------------------------------


def test_transfer_out_closes_the_account_and_writes_a_signed_file(runner, town) -> None:
    before = totals(town["a"], MOVER)
    assert before == {"balance": 23.0, "earned": 33.0, "spent": 10.0}
    households_before = Ledger.open(town["a"]).frame("户籍")
    data = transfer_out(runner, town)

    assert totals(town["a"], MOVER)["balance"] == 0
    assert totals(town["a"], MOVER)["earned"] == 33.0  # the village's own history is not rewritten
    ledger = Ledger.open(town["a"])
    last = ledger.frame("积分流水").iloc[-1]
    assert (last["户号"], last["类型"], float(last["积分"]), last["摘要"], last["关联"]) == (
        MOVER, "转出", -23.0, "转出至东坪村", data["transfer_id"])
    assert last["日期"] == "2026-08-15"
    households = ledger.frame("户籍")
    row = households[households["户号"] == MOVER].iloc[0]
    old = households_before[households_before["户号"] == MOVER].iloc[0]
    assert row["状态"] == "迁出"
    assert {c: row[c] for c in households.columns if c != "状态"} == {c: old[c] for c in households.columns if c != "状态"}
    assert len(households) == len(households_before)
    assert verify_journal(ledger.frame("积分流水")) == []
    log = ledger.frame("操作日志").iloc[-1]
    assert log["命令"] == "transfer out" and data["transfer_id"] in log["结果"]

    path = Path(data["file"])
    assert path.name == f"转移_中坪村_{MOVER}_2026-08-15.json"
    doc = json.loads(path.read_text(encoding="utf-8"))
    assert (doc["from_village"], doc["to_village"], doc["date"], doc["transfer_id"]) == (
        "中坪村", "东坪村", "2026-08-15", data["transfer_id"])
    assert doc["household"] == {"household_id": MOVER, "name": clean_text(old["户主"]), "group": old["组别"],
                                "people": int(old["人口"]), "members": int(old["参评人数"])}
    assert (doc["balance"], doc["earned"], doc["spent"]) == (23.0, 33.0, 10.0)
    years = {y["year"]: y for y in doc["history"]}
    assert {y: (v["earned"], v["rated"]) for y, v in years.items()} == {2025: (5.0, 5.0), 2026: (28.0, 5.0)}
    assert [(e["date"], e["type"], e["points"], e["rated"]) for e in years[2026]["entries"]] == [
        ("2026-05-31", "期初", 23.0, False), ("2026-07-29", "月度积分", 5.0, True)]
    monthly = years[2026]["entries"][1]
    assert monthly["summary"].startswith("2026年7月检查 92 分：") and "庭院扣" in monthly["summary"]
    assert years[2025]["entries"][0]["member"] == "徐小明"
    assert signature_ok(doc, KEY) and not signature_ok(doc, KEY + "x")
    assert doc["signature"] == sign(doc, KEY)


def test_transfer_file_never_holds_id_or_phone_numbers(runner, town) -> None:
    data = transfer_out(runner, town)
    text = Path(data["file"]).read_text(encoding="utf-8")
    households = Ledger.open(town["a"]).frame("户籍")
    row = households[households["户号"] == MOVER].iloc[0]
    assert clean_text(row["身份证号"]) and clean_text(row["联系电话"])
    secrets = [clean_text(v) for v in households["身份证号"] if clean_text(v)]
    secrets += [normalize_phone(v) for v in households["联系电话"] if clean_text(v)]
    assert [s for s in secrets if s in text] == []
    for word in ("身份证", "电话", "phone", "id_number"):
        assert word not in text


def test_transfer_in_carries_on_balance_and_earned_history(runner, town) -> None:
    rated_before = rated_by_year(town["a"], MOVER)
    assert rated_before == {2025: 5.0, 2026: 5.0}  # 期初 counts in no year's rating
    data = transfer_out(runner, town)
    b_before = Ledger.open(town["b"]).frame("户籍")
    # 东坪村 was generated like 中坪村: ZP063 is taken there, so a new number is needed
    result = invoke(runner, "transfer", "in", "--yes", town["b"], data["file"], "--date", "2026-08-20")
    assert result.exit_code == 1 and "--household-id" in result.stderr

    result, got = invoke_json(runner, "transfer", "in", "--yes", town["b"], data["file"], "--household-id", "DP101",
                              "--group", "第二组", "--date", "2026-08-20")
    assert result.exit_code == 0, got
    assert (got["household_id"], got["original_household_id"], got["balance"], got["earned"]) == ("DP101", MOVER, 23.0, 33.0)
    assert totals(town["b"], "DP101") == {"balance": 23.0, "earned": 33.0, "spent": 10.0}
    assert rated_by_year(town["b"], "DP101") == rated_before  # what the year-end ratings read

    ledger = Ledger.open(town["b"])
    journal = ledger.frame("积分流水")
    rows = journal[journal["户号"] == "DP101"]
    assert set(rows["关联"]) == {data["transfer_id"]}  # where the received transfer ids are kept
    assert sorted(set(rows["类型"])) == ["兑换", "期初", "转入"]  # 期初 stays 期初: earned, in no year's rating
    assert rows.iloc[-1]["类型"] == "转入" and float(rows.iloc[-1]["余额"]) == 23.0
    assert rows.iloc[-1]["日期"] == "2026-08-20"
    assert min(rows["日期"]) == "2025-12-15"  # history keeps its original dates
    assert any("中坪村：2026年7月检查 92 分：" in s for s in rows["摘要"])
    assert verify_journal(journal) == []
    households = ledger.frame("户籍")
    assert len(households) == len(b_before) + 1
    new = households[households["户号"] == "DP101"].iloc[0]
    assert (new["组别"], new["状态"], int(new["人口"])) == ("第二组", "正常", data_people(data))
    assert clean_text(new["身份证号"]) == "" and clean_text(new["联系电话"]) == ""
    assert invoke(runner, "check", town["b"]).exit_code == 0


def data_people(data: dict) -> int:
    return json.loads(Path(data["file"]).read_text(encoding="utf-8"))["household"]["people"]


def test_zero_balance_still_transfers_with_its_history(runner, town) -> None:
    all_totals = summarize(Ledger.open(town["a"]).frame("积分流水")).set_index("household_id")
    households = Ledger.open(town["a"]).frame("户籍")
    zero = next(h for h, s in zip(households["户号"], households["状态"])
                if s == "正常" and (h not in all_totals.index or all_totals.loc[h, "balance"] == 0))
    data = transfer_out(runner, town, zero)
    assert data["balance"] == 0
    last = Ledger.open(town["a"]).frame("积分流水").iloc[-1]
    assert (last["户号"], last["类型"], float(last["积分"])) == (zero, "转出", 0.0)
    result, got = invoke_json(runner, "transfer", "in", "--yes", town["b"], data["file"], "--household-id", "DP900",
                              "--date", "2026-08-20")
    assert result.exit_code == 0 and got["balance"] == 0
    assert totals(town["b"], "DP900")["balance"] == 0
    assert data["transfer_id"] in set(Ledger.open(town["b"]).frame("积分流水")["关联"])


def test_original_household_id_kept_when_free(runner, town) -> None:
    ledger = Ledger.open(town["b"])  # make ZP063 free in 东坪村: not in 户籍, no journal rows
    ledger.replace("户籍", ledger.frame("户籍")[ledger.frame("户籍")["户号"] != MOVER])
    kept = ledger.frame("积分流水")
    kept = kept[kept["户号"] != MOVER]
    journal, _ = append_entries(empty_journal(), [NewEntry(r["户号"], r["类型"], float(r["积分"]), r["摘要"])
                                                  for _, r in kept.iterrows()], "2026-05-31", "村文书")
    ledger.replace("积分流水", journal)
    ledger.save("test-setup")
    data = transfer_out(runner, town)
    result, got = invoke_json(runner, "transfer", "in", "--yes", town["b"], data["file"], "--date", "2026-08-20")
    assert result.exit_code == 0 and got["household_id"] == MOVER and got["group"] == "第四组"
    assert totals(town["b"], MOVER)["earned"] == 33.0
    assert invoke(runner, "check", town["b"]).exit_code == 0


def test_dry_run_checks_without_writing(runner, town) -> None:
    data = transfer_out(runner, town)
    before = town["b"].read_bytes()
    result, got = invoke_json(runner, "transfer", "in", "--yes", town["b"], data["file"], "--household-id", "DP101", "--dry-run")
    assert result.exit_code == 0 and got["dry_run"] is True and got["balance"] == 23.0
    assert town["b"].read_bytes() == before


# --- refusals: the ledger stays as it was ---------------------------------------------------------------


def _refused(runner, ledger: Path, *args: str) -> str:
    before = ledger.read_bytes()
    result = invoke(runner, *args)
    assert result.exit_code != 0, result.stdout
    assert ledger.read_bytes() == before
    return result.stderr


def _edit(path: Path, change) -> Path:
    doc = json.loads(path.read_text(encoding="utf-8"))
    change(doc)
    out = path.with_name("改过的_" + path.name)
    out.write_text(json.dumps(doc, ensure_ascii=False, indent=2), encoding="utf-8")
    return out


@pytest.mark.parametrize(
    "change",
    [
        lambda d: d.__setitem__("balance", d["balance"] + 100),
        lambda d: d["history"][-1]["entries"][0].__setitem__("points", 230.0),
        lambda d: d["history"][-1]["entries"][1].__setitem__("summary", "2026年7月检查 100 分：各项满分"),
        lambda d: d["household"].__setitem__("members", 1),
        lambda d: d.__setitem__("transfer_id", d["transfer_id"] + "2"),
    ],
    ids=["balance", "history-points", "history-reason", "household", "transfer-id"],
)
def test_altered_file_is_refused(runner, town, change) -> None:
    data = transfer_out(runner, town)
    altered = _edit(Path(data["file"]), change)
    err = _refused(runner, town["b"], "transfer", "in", "--yes", town["b"], altered, "--household-id", "DP101")
    assert "签名核验失败" in err and "改动" in err


def test_reformatted_but_unchanged_file_is_accepted(runner, town) -> None:
    data = transfer_out(runner, town)
    doc = json.loads(Path(data["file"]).read_text(encoding="utf-8"))
    again = Path(data["file"]).with_name("重排.json")
    again.write_text(json.dumps(dict(reversed(list(doc.items()))), ensure_ascii=True), encoding="utf-8")
    assert canonical_bytes(json.loads(again.read_text(encoding="utf-8"))) == canonical_bytes(doc)
    result = invoke(runner, "transfer", "in", "--yes", town["b"], again, "--household-id", "DP101")
    assert result.exit_code == 0, result.stderr


def test_a_file_is_received_only_once(runner, town) -> None:
    data = transfer_out(runner, town)
    assert invoke(runner, "transfer", "in", "--yes", town["b"], data["file"], "--household-id", "DP101").exit_code == 0
    err = _refused(runner, town["b"], "transfer", "in", "--yes", town["b"], data["file"], "--household-id", "DP102")
    assert "已经转入过" in err and "DP101" in err
    copy = Path(data["file"]).with_name("副本.json")
    shutil.copy(data["file"], copy)  # a renamed copy is the same transfer
    assert "已经转入过" in _refused(runner, town["b"], "transfer", "in", "--yes", town["b"], copy, "--household-id", "DP103")


def test_a_file_for_another_village_is_refused(runner, town) -> None:
    data = transfer_out(runner, town, MOVER, "西坪村")
    err = _refused(runner, town["b"], "transfer", "in", "--yes", town["b"], data["file"], "--household-id", "DP101")
    assert "西坪村" in err and "本村是“东坪村”" in err


def test_a_village_with_another_key_refuses_the_file(runner, town) -> None:
    data = transfer_out(runner, town)
    set_setting(town["b"], "镇转移密钥", "another-town-key")
    err = _refused(runner, town["b"], "transfer", "in", "--yes", town["b"], data["file"], "--household-id", "DP101")
    assert "签名核验失败" in err and "镇转移密钥" in err


def test_missing_town_key_is_refused_with_how_to_set_it(runner, town) -> None:
    set_setting(town["a"], "镇转移密钥", None)
    err = _refused(runner, town["a"], "transfer", "out", town["a"], "--household", MOVER, "--to-village", "东坪村",
                   "-o", town["tmp"])
    assert "没有“镇转移密钥”" in err and "参数" in err and "键" in err
    assert list(town["tmp"].glob("*.json")) == [] and list(town["tmp"].glob(".villagectl-tmp-*")) == []
    assert totals(town["a"], MOVER)["balance"] == 23.0

    set_setting(town["a"], "镇转移密钥", KEY)
    data = transfer_out(runner, town)
    set_setting(town["b"], "镇转移密钥", None)
    err = _refused(runner, town["b"], "transfer", "in", "--yes", town["b"], data["file"], "--household-id", "DP101")
    assert "没有“镇转移密钥”" in err


def test_transfer_out_of_unknown_or_closed_household_is_refused(runner, town) -> None:
    err = _refused(runner, town["a"], "transfer", "out", town["a"], "--household", "ZP999", "--to-village", "东坪村")
    assert "户号 ZP999 不在户籍中" in err
    err = _refused(runner, town["a"], "transfer", "out", town["a"], "--household", "ZP047", "--to-village", "东坪村")
    assert "迁出" in err and "账户已关闭" in err  # the sample village's moved-out household
    transfer_out(runner, town)
    err = _refused(runner, town["a"], "transfer", "out", town["a"], "--household", MOVER, "--to-village", "东坪村",
                   "--date", "2026-08-16")
    assert "账户已关闭" in err


def test_transfer_out_refused_while_points_are_not_posted(runner, town) -> None:
    err = _refused(runner, town["draft"], "transfer", "out", town["draft"], "--household", "ZP002",
                   "--to-village", "东坪村", "-o", town["tmp"])
    assert "没入账的积分" in err and "2026-07" in err and "post month" in err
    assert list(town["tmp"].glob("*.json")) == []


def test_transfer_to_the_own_village_or_an_existing_file_is_refused(runner, town) -> None:
    err = _refused(runner, town["a"], "transfer", "out", town["a"], "--household", MOVER, "--to-village", "中坪村")
    assert "就是本村" in err
    target = town["tmp"] / f"转移_中坪村_{MOVER}_2026-08-15.json"
    target.write_text("{}", encoding="utf-8")
    err = _refused(runner, town["a"], "transfer", "out", town["a"], "--household", MOVER, "--to-village", "东坪村",
                   "--date", "2026-08-15", "-o", town["tmp"])
    assert "已存在" in err and target.read_text(encoding="utf-8") == "{}"


def test_not_a_transfer_file_is_refused(runner, town) -> None:
    bad = town["tmp"] / "坏.json"
    bad.write_text("这不是 JSON", encoding="utf-8")
    assert "不是有效的积分转移单" in _refused(runner, town["b"], "transfer", "in", "--yes", town["b"], bad)
    other = town["tmp"] / "别的.json"
    other.write_text(json.dumps({"a": 1}), encoding="utf-8")
    assert "不是 villagectl 的积分转移单" in _refused(runner, town["b"], "transfer", "in", "--yes", town["b"], other)


def test_group_of_another_village_must_be_given(runner, town) -> None:
    ledger = Ledger.open(town["b"])  # 东坪村 names its groups differently
    frame = ledger.frame("户籍").copy()
    frame["组别"] = frame["组别"].map(lambda g: g.replace("第", "东坪"))
    ledger.replace("户籍", frame)
    ledger.save("test-setup")
    data = transfer_out(runner, town)
    err = _refused(runner, town["b"], "transfer", "in", "--yes", town["b"], data["file"], "--household-id", "DP101")
    assert "--group" in err and "东坪一组" in err
    result = invoke(runner, "transfer", "in", "--yes", town["b"], data["file"], "--household-id", "DP101", "--group", "东坪二组")
    assert result.exit_code == 0


def test_receiving_before_the_transfer_date_is_refused(runner, town) -> None:
    data = transfer_out(runner, town)
    err = _refused(runner, town["b"], "transfer", "in", "--yes", town["b"], data["file"], "--household-id", "DP101",
                   "--date", "2026-08-01")
    assert "早于转出日期" in err


def test_received_history_shows_in_the_new_passbook(runner, town) -> None:
    data = transfer_out(runner, town)
    assert invoke(runner, "transfer", "in", "--yes", town["b"], data["file"], "--household-id", "DP101",
                  "--date", "2026-08-20").exit_code == 0
    result, book = invoke_json(runner, "passbook", town["b"], "--household", "DP101")
    assert result.exit_code == 0
    reasons = [r["reason"] for r in book["rows"]]
    assert any(r.startswith("中坪村：2026年7月检查 92 分：") and "庭院扣" in r for r in reasons)
    assert (book["balance"], book["earned"], book["spent"]) == (23.0, 33.0, 10.0)
    result, year = invoke_json(runner, "passbook", town["b"], "--household", "DP101", "--year", "2025")
    assert year["earned"] == 5.0 and [r["member"] for r in year["rows"]] == ["徐小明"]
    assert dt.date.fromisoformat(year["rows"][0]["date"]).year == 2025


def test_points_keep_the_year_they_count_for(runner, town) -> None:
    """December's points posted in January count for December's year, in both villages."""
    add_entries(town["a"], [NewEntry(MOVER, "月度积分", 3.0, "2025-12 月度检查 88 分", f"月度得分 2025-12 {MOVER}")],
                "2026-01-29")
    before = rated_by_year(town["a"], MOVER)
    assert before == {2025: 8.0, 2026: 5.0}
    data = transfer_out(runner, town)
    doc = json.loads(Path(data["file"]).read_text(encoding="utf-8"))
    december = next(e for y in doc["history"] for e in y["entries"] if e["date"] == "2026-01-29")
    assert december["rated"] and next(y["year"] for y in doc["history"] if december in y["entries"]) == 2025
    assert invoke(runner, "transfer", "in", "--yes", town["b"], data["file"], "--household-id", "DP101").exit_code == 0
    assert rated_by_year(town["b"], "DP101") == before
    journal = Ledger.open(town["b"]).frame("积分流水")
    row = journal[(journal["户号"] == "DP101") & journal["摘要"].str.contains("2025年12月")].iloc[0]
    assert (row["类型"], row["日期"], float(row["积分"])) == ("转入", "2025-12-31", 3.0)
    assert totals(town["b"], "DP101") == totals_before_transfer(doc)


def totals_before_transfer(doc: dict) -> dict:
    return {"balance": doc["balance"], "earned": doc["earned"], "spent": doc["spent"]}
