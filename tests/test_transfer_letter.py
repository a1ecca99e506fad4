"""The printable transfer letter (迁转证明) that transfer out writes beside the signed file."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
from conftest import invoke, invoke_json
from pypdf import PdfReader

import villagectl.cli.account_commands  # noqa: F401  (registers transfer until main.py imports it)
from villagectl.ledger.journal import NewEntry, append_entries
from villagectl.ledger.workbook import Ledger
from villagectl.render.transfer_letter import TransferLetter, letter_context, letter_path
from villagectl.demo import build_samples
from villagectl.values import clean_text

KEY = "town-key-镇积分办-2026"
MOVER = "ZP063"


def _setup(tmp_path: Path) -> Path:
    made = build_samples(tmp_path / "中坪村")
    path = Path(made["ledger"])
    ledger = Ledger.open(path)
    frame = ledger.frame("参数")
    frame = pd.concat([frame[frame["键"].map(clean_text) != "镇转移密钥"],
                       pd.DataFrame([{"键": "镇转移密钥", "值": KEY, "说明": "测试"}], dtype=object)], ignore_index=True)
    ledger.replace("参数", frame)
    journal, _ = append_entries(ledger.frame("积分流水"),
                                [NewEntry(MOVER, "加分", 5.0, "调解邻里纠纷（东头）", member="徐小明")], "2025-12-15", "村文书")
    journal, _ = append_entries(journal, [NewEntry(MOVER, "兑换", -10.0, "兑换：洗衣粉 1 袋", "DH000001")],
                                "2026-08-02", "村文书")
    ledger.replace("积分流水", journal)
    ledger.save("test-setup")
    return path


def _flat(pdf: Path) -> str:
    return re.sub(r"\s+", "", "".join(p.extract_text() for p in PdfReader(pdf).pages))


def test_transfer_out_prints_the_letter_beside_the_signed_file(runner, tmp_path) -> None:
    ledger = _setup(tmp_path)
    out = tmp_path / "转出"
    out.mkdir()
    result, data = invoke_json(runner, "transfer", "out", ledger, "--household", MOVER, "--to-village", "东坪村",
                               "--date", "2026-08-15", "-o", out)
    assert result.exit_code == 0, data
    signed = Path(data["file"])
    letter = Path(data["letter"])
    assert letter == letter_path(signed) and letter.parent == signed.parent and letter.name.endswith("_迁转证明.pdf")
    assert data["letter_problem"] is None
    document = json.loads(signed.read_text(encoding="utf-8"))
    assert (document["balance"], document["earned"], document["spent"]) == (18.0, 28.0, 10.0)
    reader = PdfReader(letter)
    assert len(reader.pages) == 1
    box = reader.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (595, 842)  # A4
    text = _flat(letter)
    name = document["household"]["name"]
    for part in ("中坪村积分迁转证明", "东坪村村民委员会：", f"村民{name}户", f"户号{MOVER}", "2026年8月15日",
                 data["transfer_id"], "28分", "10分", "18分", signed.name,
                 "中坪村村民委员会（盖章）", "东坪村村民委员会（盖章）", "经办人：", "负责人：", "接收经办人：", "户主）签字："):
        assert part in text, part
    assert "2025年" in text and "2026年" in text  # the history by rating year

    # the terminal says where it is
    out2 = tmp_path / "再开"
    out2.mkdir()
    result = invoke(runner, "transfer", "out", ledger, "--household", MOVER, "--to-village", "东坪村", "-o", out2)
    assert result.exit_code == 0, result.stdout
    reissued = next(out2.glob("*_迁转证明.pdf"))
    assert f"迁转证明：{reissued}" in result.stdout.replace("\n", "")
    assert _flat(reissued) == text  # the same letter for the same file


def test_a_letter_that_cannot_be_printed_does_not_undo_the_transfer(runner, tmp_path) -> None:
    ledger = _setup(tmp_path)
    templates = tmp_path / "模板"
    templates.mkdir()
    (templates / "transfer_letter.typ.j2").write_text("#{{ nosuch.field.here | t }}", encoding="utf-8")
    book = Ledger.open(ledger)
    frame = book.frame("参数")
    frame = pd.concat([frame[frame["键"].map(clean_text) != "模板文件夹"],
                       pd.DataFrame([{"键": "模板文件夹", "值": str(templates), "说明": "测试"}], dtype=object)],
                      ignore_index=True)
    book.replace("参数", frame)
    book.save("test-setup")
    result, data = invoke_json(runner, "transfer", "out", ledger, "--household", MOVER, "--to-village", "东坪村",
                               "-o", tmp_path)
    assert result.exit_code == 0 and data["ok"] is True
    assert Path(data["file"]).is_file() and data["letter"] is None and data["letter_problem"]
    households = Ledger.open(ledger).frame("户籍")
    assert households[households["户号"] == MOVER].iloc[0]["状态"] == "迁出"


def test_letter_context_rounds_points_and_names_both_villages() -> None:
    document = {"transfer_id": "ZY-20260815-ZP063-ab12", "from_village": "中坪村", "to_village": "东坪村",
                "date": "2026-08-15", "household": {"household_id": "ZP063", "name": "徐𠮷明", "group": "第三组",
                                                    "people": 4},
                "balance": 23.3333, "earned": 33.3333, "spent": 10.0,
                "history": [{"year": 2026, "earned": 33.3333, "rated": 28.0, "entries": [{}, {}]}]}
    context = letter_context(TransferLetter.from_document(document, "x.json"))
    assert (context["balance"], context["earned"], context["spent"]) == ("23.33", "33.33", "10")
    assert context["years"] == [{"year": 2026, "earned": "33.33", "rated": "28", "entries": 2}]
    assert context["name"] == "徐𠮷明" and context["committee"] == "中坪村村民委员会"
