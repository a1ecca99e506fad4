"""Nothing leaks: no ID or phone number from 户籍/干部 on any public document; the slip secret nowhere."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from pypdf import PdfReader

from conftest import invoke
from villagectl.ledger.households import normalize_phone
from villagectl.ledger.workbook import Ledger
from villagectl.demo import build_samples
from villagectl.values import clean_text

pytestmark = pytest.mark.stress


def _pdf_text(path: Path) -> str:
    return re.sub(r"\s+", "", "".join(page.extract_text() for page in PdfReader(path).pages))


def _secrets(ledger: Path) -> list[str]:
    book = Ledger.open(ledger)
    out = []
    for sheet, cols in (("户籍", ("身份证号", "联系电话")), ("干部", ("联系电话",))):
        frame = book.frame(sheet)
        for col in cols:
            if col in frame.columns:
                out += [normalize_phone(v) for v in frame[col] if clean_text(v)]
    return out


def _cadre_materials(ledger: Path, folder: Path) -> list[Path]:
    cadres = Ledger.open(ledger).frame("干部")
    indicators = Ledger.open(ledger).frame("考核指标")
    files = []
    for kind in ("村干部", "村民代表"):
        people = cadres[cadres["类别"] == kind]
        items = indicators[(indicators["对象"] == kind) & (indicators["类型"] == "指标")]
        wb = openpyxl.Workbook()
        ws = wb.active
        ws.append(["编号", "姓名", "考核人"] + list(items["指标"]))
        for _, p in people.iterrows():
            ws.append([p["编号"], p["姓名"], "镇考核组"] + [float(m) - 2 for m in items["满分"]])
        path = folder / f"{kind}评分.xlsx"
        wb.save(path)
        files.append(path)
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["编号", "姓名", "优秀", "称职", "基本称职", "不称职"])
    for _, p in cadres.iterrows():
        ws.append([p["编号"], p["姓名"], 10, 8, 2, 1])
    files.append(folder / "计票.xlsx")
    wb.save(files[-1])
    return files


def test_no_public_document_shows_an_id_or_phone_number_and_the_secret_is_nowhere(tmp_path: Path, runner) -> None:
    made = build_samples(tmp_path / "村")
    ledger = Path(made["ledger"])
    out = tmp_path / "出"
    out.mkdir()
    secret = Ledger.open(ledger).settings()["兑换单密钥"]
    # event rules next to the inspection items, as a village may add them
    book = Ledger.open(ledger)
    rules = book.frame("规则")
    extra = pd.DataFrame([{"编码": "JY01", "类别": "加分", "项目": "见义勇为", "分值": 10, "类型": "加分", "周期": "次"}], dtype=object)
    book.replace("规则", pd.concat([rules, extra], ignore_index=True))
    book.save("test")

    stdout = []

    def run(*args):
        result = invoke(runner, *args)
        stdout.append(result.stdout + result.stderr)
        assert result.exit_code == 0, result.stdout + result.stderr
        return result

    run("inspect", "import", ledger, *made["inspections"])
    run("score", "month", ledger, "--month", "2026-07")
    run("notice", "month", ledger, "--month", "2026-07", "-o", out / "月度公示.pdf", "--date", "2026-07-26")
    run("post", "month", ledger, "--month", "2026-07", "--date", "2026-07-29")
    run("event", "add", ledger, "--household", "ZP001", "--rule", "JY01", "--date", "2026-08-01", "--note", "救人")
    run("event", "review", ledger, "--all", "--by", "网格员")
    run("event", "notice", ledger, "-o", out / "事项公示.pdf", "--date", "2026-08-02")
    run("score", "year", ledger, "--year", "2026", "--export", out / "年度结果.xlsx")
    run("notice", "year", ledger, "--year", "2026", "-o", out / "年度公示.pdf", "--certificates", "--date", "2027-01-05")
    run("report", "year", ledger, "--year", "2026", "-o", out / "年度报告.pdf")
    run("cadre", "import", ledger, *_cadre_materials(ledger, tmp_path), "--year", "2026")
    run("cadre", "score", ledger, "--year", "2026")
    run("notice", "cadre", ledger, "--year", "2026", "-o", out / "考核公示.pdf", "--date", "2027-01-06")
    run("balance", ledger, "--json")

    secrets = _secrets(ledger)
    assert len(secrets) > 100
    pdfs = sorted(out.glob("*.pdf"))
    assert {p.name for p in pdfs} >= {"月度公示.pdf", "事项公示.pdf", "年度公示.pdf", "年度公示_奖状.pdf", "年度报告.pdf", "考核公示.pdf"}
    for pdf in pdfs:
        text = _pdf_text(pdf)
        leaked = [s for s in secrets if s in text]
        assert leaked == [], (pdf.name, leaked[:3])
        assert secret not in text and secret.encode() not in pdf.read_bytes()
    # the secret is in no output, log or backup-free file the run produced, and in no message
    for path in out.rglob("*"):
        if path.is_file():
            assert secret.encode() not in path.read_bytes(), path.name
    assert all(secret not in s for s in stdout)
    log = Ledger.open(ledger).frame("操作日志")
    assert not log.astype(str).apply(lambda col: col.str.contains(secret)).any().any()
    shutil.rmtree(out)
