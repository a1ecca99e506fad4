"""Redemption slips: the PDF (content, 4 to a page, QR), the secret, slip verify / use / print."""

from __future__ import annotations

import datetime as dt
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import invoke, invoke_json
from hypothesis import given, settings
from hypothesis import strategies as st
from pypdf import PdfReader
from test_redeem import day_sheet, set_setting

import villagectl.cli.shop_commands  # noqa: F401  (registers the commands until cli/main.py imports it)
from villagectl.actions.slips import (
    ALPHABET,
    canonical_content,
    make_code,
    make_payload,
    normalize_code,
    parse_payload,
)
from villagectl.ledger.workbook import Ledger
from villagectl.render.slips import Slip, SlipLine, SlipSheet, render_slips
from villagectl.demo import build_samples
from villagectl.values import clean_text

DAY = "2026-08-01"


@pytest.fixture(scope="module")
def _sample_ledger(tmp_path_factory) -> Path:
    return Path(build_samples(tmp_path_factory.mktemp("sample") / "村")["ledger"])


@pytest.fixture
def ledger(_sample_ledger: Path, tmp_path: Path) -> Path:
    """A fresh copy of the 64-household sample village."""
    path = tmp_path / "中坪村积分台账.xlsx"
    shutil.copyfile(_sample_ledger, path)
    return path


def _text(pdf: Path) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(pdf).pages)


def _flat(text: str) -> str:
    return re.sub(r"\s+", "", text)


def _secret(path: Path) -> str:
    secret = Ledger.open(path).settings()["兑换单密钥"]
    assert len(secret) >= 16
    return secret


def _redeem(runner, ledger: Path, *args: str) -> dict:
    result, data = invoke_json(runner, "redeem", ledger, *args)
    assert result.exit_code == 0, result.stdout
    return data


# --- the printed slip -------------------------------------------------------------------


def test_slip_pdf_shows_what_the_villager_and_the_village_need(runner, ledger: Path) -> None:
    data = _redeem(runner, ledger, "--household", "ZP010", "--item", "食用油", "--item", "毛巾", "--qty", "2",
                   "--date", DAY)
    pdf = Path(data["pdf"])
    assert pdf == ledger.parent / "兑换单" / "DH2026-000001.pdf"
    assert len(PdfReader(pdf).pages) == 1
    text = _flat(_text(pdf))
    for expected in ("中坪村爱心超市积分兑换单", "DH2026-000001", "2026年8月1日", "ZP010", "张金山", "食用油", "毛巾",
                     "2条", "50.00", "60.00", "兑换前余额61分", "兑换后余额1分", "61分→1分", "存根", "沿此线剪开",
                     "兑换人签字", "经办人签字", "领取人签字", data["slips"][0]["code"]):
        assert expected in text, expected
    # never the ID-card number or the phone number of the household
    row = Ledger.open(ledger).frame("户籍").set_index("户号").loc["ZP010"]
    assert clean_text(row["身份证号"]) not in text and clean_text(row["联系电话"]) not in text


def test_output_option_and_no_print(runner, ledger: Path, tmp_path: Path) -> None:
    out = tmp_path / "单.pdf"
    data = _redeem(runner, ledger, "--household", "ZP010", "--item", "毛巾", "--date", DAY, "-o", out)
    assert Path(data["pdf"]) == out and out.exists()
    data = _redeem(runner, ledger, "--household", "ZP010", "--item", "毛巾", "--date", DAY, "--no-print")
    assert data["pdf"] is None and not (ledger.parent / "兑换单").exists()
    size = ledger.read_bytes()
    result = invoke(runner, "redeem", ledger, "--household", "ZP010", "--item", "毛巾", "-o", tmp_path / "单.txt")
    assert result.exit_code == 2 and ledger.read_bytes() == size


def test_batch_prints_four_slips_to_a_page(runner, ledger: Path, tmp_path: Path) -> None:
    rows = [[i + 1, hid, "", "肥皂", 1, 3, ""] for i, hid in enumerate(
        ["ZP002", "ZP005", "ZP006", "ZP007", "ZP008", "ZP010", "ZP011", "ZP012", "ZP013"])]
    result, data = invoke_json(runner, "redeem", "import", ledger, day_sheet(tmp_path / "day.xlsx", rows))
    assert result.exit_code == 0, result.stdout
    assert data["count"] == 9 and data["pages"] == 3
    pdf = Path(data["pdf"])
    reader = PdfReader(pdf)
    assert len(reader.pages) == 3
    pages = [_flat(p.extract_text()) for p in reader.pages]
    assert [len(re.findall(r"DH2026-\d{6}", p)) // 2 for p in pages] == [4, 4, 1]  # slip + stub
    assert all(p.count("存根") == n for p, n in zip(pages, (4, 4, 1)))
    for slip in data["slips"]:
        assert slip["code"] in _flat(_text(pdf))


def test_the_secret_never_appears_anywhere(runner, ledger: Path, tmp_path: Path) -> None:
    secret = _secret(ledger)
    result, data = invoke_json(runner, "redeem", ledger, "--household", "ZP010", "--item", "毛巾", "--date", DAY)
    human = invoke(runner, "redeem", ledger, "--household", "ZP010", "--item", "香皂", "--date", DAY)
    sheet = day_sheet(tmp_path / "day.xlsx", [[1, "ZP006", "", "肥皂", 1, 3, ""]])
    batch = invoke(runner, "redeem", "import", ledger, sheet, "--json")
    code = data["slips"][0]["code"]
    outputs = [result.stdout, human.stdout, human.stderr, batch.stdout,
               invoke(runner, "slip", "verify", ledger, code).stdout,
               invoke(runner, "slip", "verify", ledger, code, "--json").stdout,
               invoke(runner, "slip", "verify", ledger, "VCS1:DH2026-000001:2026-08-01:ZP010:500:" + code).stdout,
               invoke(runner, "slip", "use", ledger, code, "--json").stdout,
               invoke(runner, "slip", "print", ledger, code, "--json").stdout,
               invoke(runner, "redeem", "cancel", ledger, "--slip", code, "--reason", "x", "--returned", "--json").stdout]
    assert all(secret not in out for out in outputs)
    for pdf in (ledger.parent / "兑换单").glob("*.pdf"):
        raw = pdf.read_bytes()
        assert secret.encode() not in raw
        reader = PdfReader(pdf)
        assert all(secret.encode() not in page.get_contents().get_data() for page in reader.pages)
        assert secret not in _text(pdf)
    log = Ledger.open(ledger).frame("操作日志")
    assert len(log) >= 6 and all(secret not in clean_text(v) for v in log.astype(str).values.ravel())
    assert all(secret not in clean_text(v) for v in Ledger.open(ledger).frame("兑换记录").astype(str).values.ravel())


def test_qr_code_scans_to_the_payload(runner, ledger: Path, tmp_path: Path) -> None:
    zxingcpp = pytest.importorskip("zxingcpp")
    image = pytest.importorskip("PIL.Image")
    if shutil.which("pdftoppm") is None:
        pytest.skip("pdftoppm (poppler-utils) is not installed")
    data = _redeem(runner, ledger, "--household", "ZP010", "--item", "毛巾", "--date", DAY)
    subprocess.run(["pdftoppm", "-png", "-r", "150", "-f", "1", "-l", "1", data["pdf"], str(tmp_path / "p")], check=True)
    png = next(tmp_path.glob("p*.png"))
    texts = [r.text for r in zxingcpp.read_barcodes(image.open(png))]
    assert texts == [data["slips"][0]["qr_payload"]]
    assert texts[0] == f"VCS1:DH2026-000001:{DAY}:ZP010:5:{data['slips'][0]['code'].replace('-', '')}"


def test_twelve_lines_and_long_names_fit_on_one_slip(tmp_path: Path) -> None:
    lines = [SlipLine(f"特别长的物品名称第{i}号", i, "袋", 3, 3 * i, 3 * i) for i in range(1, 13)]
    slip = Slip("DH2026-000009", dt.date(2026, 8, 1), "ZP-0000000001", "欧阳司马诸葛", lines, 234, 234, 500, 266,
                "7KQ2M-XW9CD", "VCS1:x")
    out = render_slips(SlipSheet("中坪村", "爱心超市", [slip] * 4), tmp_path / "s.pdf")
    reader = PdfReader(out)
    assert len(reader.pages) == 1  # nothing spills over to another page
    text = _flat(reader.pages[0].extract_text())
    assert text.count("特别长的物品名称第12号") == 4 and text.count("兑换后余额266分") == 4


# --- verification codes ------------------------------------------------------------------


def test_code_shape_and_what_it_signs() -> None:
    content = canonical_content("DH2026-000001", "2026-08-01", "ZP010", [("食用油", 1, 50), ("毛巾", 2, 10)], 60)
    code = make_code("k" * 32, content)
    assert re.fullmatch(r"[23456789ABCDEFGHJKMNPQRSTUVWXYZ]{5}-[23456789ABCDEFGHJKMNPQRSTUVWXYZ]{5}", code)
    assert not set(code) & set("01OIL")
    assert make_code("k" * 32, content) == code  # deterministic
    assert make_code("j" * 32, content) != code  # keyed
    # the order of the lines does not matter (a clerk may sort the sheet)
    assert make_code("k" * 32, canonical_content("DH2026-000001", "2026-08-01", "ZP010",
                                                 [("毛巾", 2, 10), ("食用油", 1, 50)], 60)) == code
    for changed in (
        ("DH2026-000002", "2026-08-01", "ZP010", [("食用油", 1, 50), ("毛巾", 2, 10)], 60),
        ("DH2026-000001", "2026-08-02", "ZP010", [("食用油", 1, 50), ("毛巾", 2, 10)], 60),
        ("DH2026-000001", "2026-08-01", "ZP011", [("食用油", 1, 50), ("毛巾", 2, 10)], 60),
        ("DH2026-000001", "2026-08-01", "ZP010", [("食用油", 1, 50), ("毛巾", 3, 15)], 65),
        ("DH2026-000001", "2026-08-01", "ZP010", [("食用油", 1, 50), ("毛巾", 2, 10)], 160),
        ("DH2026-000001", "2026-08-01", "ZP010", [("花生油", 1, 50), ("毛巾", 2, 10)], 60),
    ):
        assert make_code("k" * 32, canonical_content(*changed)) != code
    assert normalize_code(code.lower().replace("-", " ")) == code
    assert normalize_code("0OIL1-23456") is None and normalize_code("ABC") is None
    payload = make_payload("DH2026-000001", "2026-08-01", "ZP:01", 60, code)
    parsed = parse_payload(payload)
    assert (parsed.number, parsed.date, parsed.household_id, parsed.points, parsed.code) == (
        "DH2026-000001", "2026-08-01", "ZP:01", "60", code)


@settings(max_examples=60, deadline=None)
@given(points=st.integers(min_value=1, max_value=10_000), other=st.integers(min_value=1, max_value=10_000))
def test_a_different_amount_never_has_the_same_code(points: int, other: int) -> None:
    if points == other:
        return
    def sign(p: int) -> str:
        return make_code("s" * 32, canonical_content("DH2026-000001", "2026-08-01", "ZP010", [("毛巾", 1, p)], p))

    assert sign(points) != sign(other)
    assert len(set(sign(points).replace("-", "")) - set(ALPHABET)) == 0


# --- slip verify / use / print --------------------------------------------------------------


def test_verify_genuine_altered_and_unknown(runner, ledger: Path) -> None:
    slip = _redeem(runner, ledger, "--household", "ZP010", "--item", "食用油", "--date", DAY, "--no-print")["slips"][0]
    code, payload = slip["code"], slip["qr_payload"]

    result, data = invoke_json(runner, "slip", "verify", ledger, code)
    assert result.exit_code == 0 and data["verdict"] == "genuine" and data["state"] == "未领取" and data["void"] is False
    assert (data["slip"]["slip"], data["slip"]["household_id"], data["slip"]["name"], data["slip"]["points"]) == (
        "DH2026-000001", "ZP010", "张金山", 50)
    assert data["slip"]["lines"][0]["item"] == "食用油"
    result = invoke(runner, "slip", "verify", ledger, code.lower().replace("-", ""))
    assert result.exit_code == 0 and "真实有效" in result.stdout and "张金山" in result.stdout
    assert invoke_json(runner, "slip", "verify", ledger, payload)[1]["verdict"] == "genuine"

    prefix, number, date, hid, points, raw = payload.split(":")
    for altered in (
        f"{prefix}:{number}:{date}:{hid}:500:{raw}",  # points
        f"{prefix}:{number}:2026-08-09:{hid}:{points}:{raw}",  # date
        f"{prefix}:{number}:{date}:ZP011:{points}:{raw}",  # household
        f"{prefix}:DH2026-000002:{date}:{hid}:{points}:{raw}",  # serial number
    ):
        result, data = invoke_json(runner, "slip", "verify", ledger, altered)
        assert result.exit_code == 1 and data["ok"] is False and data["verdict"] == "forged", altered
    result = invoke(runner, "slip", "verify", ledger, f"{prefix}:{number}:{date}:{hid}:500:{raw}")
    assert "与核验码不符" in result.stdout and "积分“500”" in result.stdout
    # what the paper says, typed in beside the code
    result, data = invoke_json(runner, "slip", "verify", ledger, code, "--points", "150")
    assert result.exit_code == 1 and data["verdict"] == "forged"
    assert invoke_json(runner, "slip", "verify", ledger, code, "--points", "50", "--date", "2026年8月1日",
                       "--household", "ZP010", "--slip", "DH2026-000001")[1]["verdict"] == "genuine"
    assert invoke_json(runner, "slip", "verify", ledger, code, "--household", "ZP011")[1]["verdict"] == "forged"

    for unknown in ("23456-789AB", "ZZZZZ-ZZZZZ", "hello", "VCS1:DH2026-000777:2026-08-01:ZP010:50:23456789AB"):
        result, data = invoke_json(runner, "slip", "verify", ledger, unknown)
        assert result.exit_code == 1 and data["verdict"] == "unknown", unknown


def test_a_record_edited_by_hand_no_longer_verifies(runner, ledger: Path) -> None:
    slip = _redeem(runner, ledger, "--household", "ZP010", "--item", "毛巾", "--qty", "2", "--date", DAY, "--no-print")["slips"][0]
    book = Ledger.open(ledger)
    frame = book.frame("兑换记录").copy()
    frame.loc[0, "积分"] = 1  # someone lowers the amount in Excel
    book.replace("兑换记录", frame)
    book.save("test-setup")
    result, data = invoke_json(runner, "slip", "verify", ledger, slip["code"])
    assert result.exit_code == 1 and data["verdict"] == "tampered"
    assert "被手工改过" in data["reasons"][0]
    assert invoke(runner, "slip", "use", ledger, slip["code"]).exit_code == 1


def test_use_once_then_refused(runner, ledger: Path) -> None:
    slip = _redeem(runner, ledger, "--household", "ZP010", "--item", "毛巾", "--date", DAY, "--no-print")["slips"][0]
    result, data = invoke_json(runner, "slip", "use", ledger, slip["code"], "--date", "2026-08-02")
    assert result.exit_code == 0 and data["state"] == "已领取" and data["collected"] == "2026-08-02"
    records = Ledger.open(ledger).frame("兑换记录")
    assert list(records["状态"]) == ["已领取"] and list(records["领取日期"]) == ["2026-08-02"]
    size = ledger.read_bytes()
    result = invoke(runner, "slip", "use", ledger, slip["qr_payload"])
    assert result.exit_code == 1 and "已于 2026-08-02 领取过物品，不能重复领取" in result.stderr
    assert ledger.read_bytes() == size
    _, data = invoke_json(runner, "slip", "verify", ledger, slip["code"])
    assert data["verdict"] == "genuine" and data["state"] == "已领取" and data["collected"] == "2026-08-02"
    assert invoke(runner, "slip", "use", ledger, "23456-789AB").exit_code == 1
    forged = slip["qr_payload"].replace(":5:", ":500:")
    assert invoke(runner, "slip", "use", ledger, forged).exit_code == 1


def test_a_cancelled_slip_verifies_as_void_and_cannot_be_used(runner, ledger: Path) -> None:
    slip = _redeem(runner, ledger, "--household", "ZP010", "--item", "毛巾", "--date", DAY, "--no-print")["slips"][0]
    assert invoke(runner, "redeem", "cancel", ledger, "--slip", slip["slip"], "--reason", "录错").exit_code == 0
    result, data = invoke_json(runner, "slip", "verify", ledger, slip["code"])
    assert data["verdict"] == "genuine" and data["void"] is True and data["state"] == "作废"
    journal = Ledger.open(ledger).frame("积分流水")
    assert data["reversal_entry"] == clean_text(journal.iloc[-1]["流水号"])
    assert "已作废" in invoke(runner, "slip", "verify", ledger, slip["code"]).stdout
    result = invoke(runner, "slip", "use", ledger, slip["code"])
    assert result.exit_code == 1 and "已作废" in result.stderr


def test_reprint_is_marked_and_keeps_the_code(runner, ledger: Path, tmp_path: Path) -> None:
    slip = _redeem(runner, ledger, "--household", "ZP010", "--item", "毛巾", "--date", DAY, "--no-print")["slips"][0]
    size = ledger.read_bytes()
    out = tmp_path / "补打.pdf"
    result, data = invoke_json(runner, "slip", "print", ledger, slip["slip"], "-o", out)
    assert result.exit_code == 0 and data["slips"] == ["DH2026-000001"]
    text = _flat(_text(out))
    assert "补打" in text and slip["code"] in text and "张金山" in text
    assert ledger.read_bytes() == size
    assert invoke(runner, "slip", "print", ledger, "DH2026-000099").exit_code == 1


def test_verify_needs_the_secret(runner, ledger: Path) -> None:
    slip = _redeem(runner, ledger, "--household", "ZP010", "--item", "毛巾", "--date", DAY, "--no-print")["slips"][0]
    set_setting(ledger, "兑换单密钥", "")
    result = invoke(runner, "slip", "verify", ledger, slip["code"])
    assert result.exit_code == 1 and "兑换单密钥" in result.stderr
    # a new redemption does not silently make a new secret while older slips exist
    assert invoke(runner, "redeem", ledger, "--household", "ZP010", "--item", "毛巾", "--no-print").exit_code == 1


def test_a_failed_print_leaves_the_ledger_unchanged(runner, ledger: Path, tmp_path: Path) -> None:
    size = ledger.read_bytes()
    result = invoke(runner, "redeem", ledger, "--household", "ZP010", "--item", "毛巾", "--date", DAY,
                    "--font", tmp_path / "没有这个字体.ttf")
    assert result.exit_code == 1 and "字体" in result.stderr
    assert ledger.read_bytes() == size
    assert not list((ledger.parent / "兑换单").glob("*")) if (ledger.parent / "兑换单").exists() else True
    sheet = day_sheet(tmp_path / "day.xlsx", [[1, "ZP010", "", "毛巾", 1, 5, ""]])
    result, data = invoke_json(runner, "redeem", "import", ledger, sheet, "--dry-run")
    assert result.exit_code == 0 and data["dry_run"] is True and data["count"] == 1 and data["pdf"] is None
    assert ledger.read_bytes() == size
