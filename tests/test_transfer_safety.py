"""Transfers that survive a crash, and a receiving village that sees and checks what arrives (issue 11, items 6 and 15).

6. A kill during ``transfer out`` never strands a household's points: the
   ledger closing the account is the commit point; the signed file is derived
   from the closed account, so a retry of the same command re-issues the very
   same file (same bytes, same transfer id), and ``check`` reports a closed
   account whose file is missing. Before the ledger closes the account no file
   holding a valid signature exists.
15. ``transfer in`` shows what arrives (sending village, balance, earned history
   per year) and asks before writing; it refuses a file whose history does not
   add up to its balance even when the signature is right.
"""

from __future__ import annotations

import datetime as dt
import json
import multiprocessing
import os
import random
import shutil
import signal
import time
from pathlib import Path

import pytest
from conftest import invoke, invoke_json
from test_transfer import KEY, MOVER, base, set_setting, totals, town  # noqa: F401  (fixtures)

from villagectl.actions.check import find_problems
from villagectl.actions.transfer import read_transfer_file, sign, signature_ok
from villagectl.ledger.journal import verify_journal
from villagectl.ledger.workbook import Ledger
from villagectl.values import clean_text

FORK = multiprocessing.get_context("fork")
ROUNDS = 150  # kill -9 rounds of the stress test (a fraction of a second each)


def _state(path: Path, hid: str) -> str:
    households = Ledger.open(path).frame("户籍")
    return clean_text(households[households["户号"].map(clean_text) == hid].iloc[0]["状态"])


def _transfer_out_rows(path: Path, hid: str):
    journal = Ledger.open(path).frame("积分流水")
    return journal[(journal["户号"].map(clean_text) == hid) & (journal["类型"].map(clean_text) == "转出")]


def _valid_files(folder: Path, hid: str | None = None) -> list[Path]:
    """Every file in ``folder`` (hidden ones too) that holds a transfer document signed with the town key."""
    out = []
    for path in sorted(folder.iterdir()):
        if not path.is_file():
            continue
        try:
            doc = json.loads(path.read_text(encoding="utf-8"))
        except (ValueError, UnicodeDecodeError):
            continue
        if isinstance(doc, dict) and signature_ok(doc, KEY):
            if hid is None or doc.get("household", {}).get("household_id") == hid:
                out.append(path)
    return out


def _run_forked(target, *args) -> int:
    child = FORK.Process(target=target, args=args)
    child.start()
    child.join(120)
    return child.exitcode


def _out(ledger: str, folder: str, hid: str = MOVER, day: str = "2026-08-15") -> None:
    from villagectl.actions.session import Session
    from villagectl.actions.transfer import transfer_out

    transfer_out(Session(Path(ledger), today=dt.date.fromisoformat(day)), household=hid, to_village="东坪村",
                 output=Path(folder))


def _killed_at_the_file_rename(ledger: str, folder: str) -> None:
    """transfer out, killed (os._exit) when the transfer file is about to take its final name."""
    real = os.replace

    def replace(src, dst, *a, **k):
        if str(dst).endswith(".json"):
            os._exit(137)
        return real(src, dst, *a, **k)

    os.replace = replace
    _out(ledger, folder)


def _killed_at_the_ledger_save(ledger: str, folder: str) -> None:
    """transfer out, killed when the ledger is about to be saved."""
    Ledger.save = lambda *a, **k: os._exit(137)
    _out(ledger, folder)


def _retry(runner, town, *extra: str):
    return invoke_json(runner, "transfer", "out", town["a"], "--household", MOVER, "--to-village", "东坪村",
                       "--date", "2026-08-15", "-o", town["tmp"], *extra)


# --- 6: a crash in transfer out ---------------------------------------------------------------------------


def test_kill_after_the_account_closed_a_retry_issues_the_same_signed_file(runner, town) -> None:
    assert _run_forked(_killed_at_the_file_rename, str(town["a"]), str(town["tmp"])) == 137
    assert _state(town["a"], MOVER) == "迁出"  # the ledger closed the account: the commit point
    closing = _transfer_out_rows(town["a"], MOVER)
    assert len(closing) == 1
    transfer_id = clean_text(closing.iloc[0]["关联"])
    assert not list(town["tmp"].glob("转移_*.json"))

    ledger_before = town["a"].read_bytes()
    result, data = _retry(runner, town)
    assert result.exit_code == 0, data
    assert data["transfer_id"] == transfer_id and data["reissued"] is True
    assert town["a"].read_bytes() == ledger_before  # a re-issue does not write the ledger
    doc = read_transfer_file(Path(data["file"]))
    assert signature_ok(doc, KEY) and doc["transfer_id"] == transfer_id
    assert (doc["balance"], doc["earned"], doc["spent"]) == (23.0, 33.0, 10.0)
    assert float(closing.iloc[0]["积分"]) == -doc["balance"]
    assert not list(town["tmp"].glob(".villagectl-tmp-*"))  # the half-written copy is cleaned up

    # the re-issued file is received like any other, once
    result, got = invoke_json(runner, "transfer", "in", town["b"], data["file"], "--household-id", "DP101", "--yes")
    assert result.exit_code == 0, got
    assert totals(town["b"], "DP101") == {"balance": 23.0, "earned": 33.0, "spent": 10.0}


def test_kill_before_the_ledger_closed_the_account_leaves_no_valid_file(runner, town) -> None:
    assert _run_forked(_killed_at_the_ledger_save, str(town["a"]), str(town["tmp"])) == 137
    assert _state(town["a"], MOVER) == "正常" and len(_transfer_out_rows(town["a"], MOVER)) == 0
    assert _valid_files(town["tmp"]) == []  # not even under a hidden temporary name
    result, data = _retry(runner, town)
    assert result.exit_code == 0, data
    assert data["reissued"] is False and _valid_files(town["tmp"]) == [Path(data["file"])]


def test_a_retry_reissues_byte_for_byte_the_same_file(runner, town) -> None:
    result, first = invoke_json(runner, "transfer", "out", town["a"], "--household", MOVER, "--to-village", "东坪村",
                                "--date", "2026-08-15")  # beside the ledger
    assert result.exit_code == 0, first
    path = Path(first["file"])
    original = path.read_bytes()
    path.unlink()
    ledger_before = town["a"].read_bytes()
    # the retry a clerk types days later: another date, same household and village
    result, again = invoke_json(runner, "transfer", "out", town["a"], "--household", MOVER, "--to-village", "东坪村",
                                "--date", "2026-08-19")
    assert result.exit_code == 0, again
    assert Path(again["file"]) == path and path.read_bytes() == original
    assert (again["transfer_id"], again["balance"], again["entry_id"]) == (
        first["transfer_id"], first["balance"], first["entry_id"])
    assert town["a"].read_bytes() == ledger_before

    # into another folder too (the first copy was lost on a USB stick)
    result, copy = _retry(runner, town)
    assert result.exit_code == 0 and Path(copy["file"]).read_bytes() == original

    # the file is there: nothing to re-issue; the account stays closed
    result = invoke(runner, "transfer", "out", town["a"], "--household", MOVER, "--to-village", "东坪村")
    assert result.exit_code == 1 and "账户已关闭" in result.stderr and "完好" in result.stderr
    assert path.read_bytes() == original and town["a"].read_bytes() == ledger_before


def test_a_retry_to_another_village_is_refused(runner, town) -> None:
    result, first = _retry(runner, town)
    Path(first["file"]).unlink()
    before = town["a"].read_bytes()
    result = invoke(runner, "transfer", "out", town["a"], "--household", MOVER, "--to-village", "西坪村",
                    "-o", town["tmp"])
    assert result.exit_code == 1
    assert "东坪村" in result.stderr and first["transfer_id"] in result.stderr
    assert town["a"].read_bytes() == before and _valid_files(town["tmp"]) == []


def test_no_reissue_when_the_household_changed_after_the_transfer(runner, town) -> None:
    result, first = _retry(runner, town)
    Path(first["file"]).unlink()
    ledger = Ledger.open(town["a"])
    frame = ledger.frame("户籍").copy()
    frame.loc[frame["户号"] == MOVER, "人口"] = 9
    ledger.replace("户籍", frame)
    ledger.save("test-setup")
    result = invoke(runner, "transfer", "out", town["a"], "--household", MOVER, "--to-village", "东坪村",
                    "-o", town["tmp"])
    assert result.exit_code == 1 and "改动" in result.stderr and first["transfer_id"] in result.stderr
    assert _valid_files(town["tmp"]) == []


def test_check_reports_a_transfer_out_that_left_no_file(runner, town) -> None:
    result, first = _retry(runner, town)
    result, report = invoke_json(runner, "check", town["a"])
    assert not [p for p in report["problems"] if first["transfer_id"] in p["message"]]
    Path(first["file"]).unlink()
    result, report = invoke_json(runner, "check", town["a"])
    hits = [p for p in report["problems"] if first["transfer_id"] in p["message"]]
    assert len(hits) == 1 and "transfer out" in hits[0]["message"] and "转移_中坪村_ZP063" in hits[0]["message"]


def test_check_reports_the_missing_file_after_a_kill(runner, town) -> None:
    assert _run_forked(_killed_at_the_file_rename, str(town["a"]), str(town["tmp"])) == 137
    problems = [p for p in find_problems(Ledger.open(town["a"])) if "transfer out" in p.message]
    assert len(problems) == 1 and MOVER in problems[0].message


# --- 15: the receiving village sees and checks what arrives --------------------------------------------------


def _resigned(path: Path, change) -> Path:
    """A transfer file changed and signed again with the town key: what any village of the town can make."""
    doc = json.loads(path.read_text(encoding="utf-8"))
    change(doc)
    doc["signature"] = sign(doc, KEY)
    out = path.with_name("重签_" + path.name)
    out.write_text(json.dumps(doc, ensure_ascii=False, indent=2), encoding="utf-8")
    return out


def _set_year(doc: dict, key: str, value: float) -> None:
    doc["history"][-1][key] = value


@pytest.mark.parametrize(
    "change, words",
    [
        (lambda d: d.update(balance=d["balance"] + 1000), "余额"),
        (lambda d: d.update(balance=5000, earned=5000, spent=0), "明细合计"),
        (lambda d: d.update(history=[], balance=800, earned=0, spent=-800), "余额"),
        (lambda d: d.update(spent=d["spent"] + 50), "已兑换"),
        (lambda d: _set_year(d, "rated", 999), "评比"),
    ],
    ids=["balance-minted", "earned-minted", "no-history", "spent-off", "rated-off"],
)
def test_a_signed_file_that_does_not_add_up_is_refused(runner, town, change, words) -> None:
    result, first = _retry(runner, town)
    forged = _resigned(Path(first["file"]), change)
    assert signature_ok(json.loads(forged.read_text(encoding="utf-8")), KEY)
    before = town["b"].read_bytes()
    result = invoke(runner, "transfer", "in", town["b"], forged, "--household-id", "DP101", "--yes")
    assert result.exit_code == 1, result.stdout
    assert words in result.stderr and "对不上" in result.stderr
    assert town["b"].read_bytes() == before


def test_transfer_in_shows_what_arrives(runner, town) -> None:
    result, first = _retry(runner, town)
    result = invoke(runner, "transfer", "in", town["b"], first["file"], "--household-id", "DP101", "--dry-run")
    assert result.exit_code == 0, result.stderr
    text = result.stdout
    for words in ("中坪村", "余额 23 分", "累计获得 33 分", "已兑换 10 分", "2025 年", "2026 年", "转出日期 2026-08-15"):
        assert words in text, (words, text)
    result, got = invoke_json(runner, "transfer", "in", town["b"], first["file"], "--household-id", "DP101", "--dry-run")
    assert (got["from_village"], got["balance"], got["earned"], got["spent"], got["sent"]) == (
        "中坪村", 23.0, 33.0, 10.0, "2026-08-15")
    assert [(y["year"], y["earned"], y["rated"]) for y in got["years"]] == [(2025, 5.0, 5.0), (2026, 28.0, 5.0)]


def test_transfer_in_needs_yes_when_nobody_can_answer(runner, town) -> None:
    result, first = _retry(runner, town)
    before = town["b"].read_bytes()
    result = invoke(runner, "transfer", "in", town["b"], first["file"], "--household-id", "DP101")
    assert result.exit_code == 2 and "--yes" in result.stderr
    assert "中坪村" in result.stdout + result.stderr and "23" in result.stdout + result.stderr
    result, got = invoke_json(runner, "transfer", "in", town["b"], first["file"], "--household-id", "DP101")
    assert result.exit_code == 2 and got["ok"] is False and "--yes" in got["error"]
    assert town["b"].read_bytes() == before
    result = invoke(runner, "transfer", "in", town["b"], first["file"], "--household-id", "DP101", "--yes")
    assert result.exit_code == 0, result.stderr
    assert totals(town["b"], "DP101")["balance"] == 23.0


def test_transfer_in_asks_in_a_terminal(runner, town, monkeypatch) -> None:
    import villagectl.cli.account_commands as commands

    monkeypatch.setattr(commands, "_interactive", lambda: True)
    result, first = _retry(runner, town)
    before = town["b"].read_bytes()
    result = runner.invoke(commands.app, ["transfer", "in", str(town["b"]), first["file"], "--household-id", "DP101"],
                           input="n\n")
    assert result.exit_code == 0 and "已取消" in result.stdout and "余额 23 分" in result.stdout
    assert town["b"].read_bytes() == before
    result = runner.invoke(commands.app, ["transfer", "in", str(town["b"]), first["file"], "--household-id", "DP101"],
                           input="y\n")
    assert result.exit_code == 0, result.stdout
    assert totals(town["b"], "DP101")["balance"] == 23.0


# --- stress: kill -9 at random moments ---------------------------------------------------------------------


def _transfer_out_cli(ledger: str, folder: str, hid: str) -> None:
    """The transfer out command as a clerk types it (in a forked child that may be killed).

    Without the printed 迁转证明: typst's threads, started by earlier tests in the parent, do not survive a
    fork (the child would hang); the letter is written after the ledger and the file, which this test is about.
    """
    from typer.testing import CliRunner

    import villagectl.actions.transfer as transfer_action
    from villagectl.cli.main import app

    transfer_action.with_letter = lambda result, ledger: result

    result = CliRunner().invoke(app, ["transfer", "out", ledger, "--household", hid, "--to-village", "东坪村",
                                      "--date", "2026-08-15", "-o", folder, "--json"])
    os._exit(result.exit_code)


def _movable(path: Path) -> list[str]:
    households = Ledger.open(path).frame("户籍")
    return [clean_text(h) for h, s in zip(households["户号"], households["状态"]) if clean_text(s) == "正常"]


@pytest.mark.stress
def test_sigkill_at_random_moments_during_transfer_out(runner, town) -> None:
    """After every kill: the account is open and no valid file exists, or it is closed and a valid file exists
    (or the retry makes it, the same one: same transfer id and balance as the closing journal row)."""
    ledger, folder = town["a"], town["tmp"] / "转移单"
    folder.mkdir()
    movers = _movable(ledger)
    durations = []
    while len(durations) < 3:  # how long one transfer out takes here
        hid = movers.pop(0)
        start = time.perf_counter()
        if _run_forked(_transfer_out_cli, str(ledger), str(folder), hid) == 0:
            durations.append(time.perf_counter() - start)
    duration = sorted(durations)[1]
    rnd = random.Random(20261201)
    outcomes = {"open": 0, "closed": 0, "recovered": 0}
    pristine = ledger.read_bytes()
    queue: list[str] = []
    for n in range(ROUNDS):
        if not queue:  # every household moved: start again from the ledger as it was
            ledger.write_bytes(pristine)
            for p in folder.iterdir():
                p.unlink()
            queue = list(movers)
        hid = queue.pop(0)
        balance_before = totals(ledger, hid)["balance"]
        child = FORK.Process(target=_transfer_out_cli, args=(str(ledger), str(folder), hid))
        child.start()
        # half of the kills anywhere, half near the end, where the ledger is saved and the file written
        time.sleep((rnd.uniform(0.2, 1.1) if n % 2 else rnd.uniform(0.8, 1.0)) * duration)
        if child.is_alive():
            os.kill(child.pid, signal.SIGKILL)
        child.join()
        book = Ledger.open(ledger)
        assert [p for p in find_problems(book) if p.severity == "错误"] == [], hid
        assert verify_journal(book.frame("积分流水")) == []
        if _state(ledger, hid) == "正常":
            outcomes["open"] += 1
            assert _valid_files(folder, hid) == [], hid
            assert len(_transfer_out_rows(ledger, hid)) == 0 and totals(ledger, hid)["balance"] == balance_before
            continue
        outcomes["closed"] += 1
        closing = _transfer_out_rows(ledger, hid)
        assert len(closing) == 1 and totals(ledger, hid)["balance"] == 0
        files = _valid_files(folder, hid)
        if not files or any(p.name.startswith(".") for p in files):
            outcomes["recovered"] += 1  # killed after the ledger closed the account: check says so, a retry mends it
            warned = [p for p in find_problems(book) if clean_text(closing.iloc[0]["关联"]) in p.message]
            assert len(warned) == 1 and "transfer out" in warned[0].message, hid
            result, data = invoke_json(runner, "transfer", "out", ledger, "--household", hid, "--to-village", "东坪村",
                                       "-o", folder)
            assert result.exit_code == 0, data
            files = [p for p in _valid_files(folder, hid) if not p.name.startswith(".")]
        [path] = [p for p in files if not p.name.startswith(".")]
        doc = read_transfer_file(path)
        assert doc["transfer_id"] == clean_text(closing.iloc[0]["关联"]), hid
        assert doc["balance"] == balance_before == -float(closing.iloc[0]["积分"]), hid
    print(outcomes)
    assert outcomes["open"] >= 5 and outcomes["closed"] >= 5, outcomes
    assert not [p for p in folder.iterdir() if p.name.startswith(".villagectl-tmp-")]
    shutil.rmtree(folder)
