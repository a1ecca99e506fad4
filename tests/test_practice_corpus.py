"""The shared practice corpus (two villages' real-looking sheets, both schemes, good and bad files).

It sits beside the project (``../shared/practice``), not in it; where it is absent the test is
skipped. Its runner drives the installed CLI and compares every household-month, bonus, listing,
annual result and refusal with an independent reference.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

PRACTICE = Path(__file__).resolve().parents[2] / "shared" / "practice"
RUNNER = PRACTICE / "run_practice.py"


@pytest.mark.skipif(not RUNNER.exists(), reason="../shared/practice is not beside the project")
def test_the_practice_corpus_imports_and_scores_exactly(tmp_path: Path) -> None:
    exe = shutil.which("villagectl") or str(Path(sys.executable).with_name("villagectl"))
    done = subprocess.run([sys.executable, str(RUNNER), "--villagectl", exe, "--work", str(tmp_path / "run"), "-q"],
                          capture_output=True, text=True, timeout=600)
    last = (done.stdout.strip().splitlines() or [""])[-1]
    assert last.startswith("PASS"), done.stdout[-4000:] + done.stderr[-2000:]
