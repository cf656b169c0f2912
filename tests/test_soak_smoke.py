"""`make soak` keeps working: two short runs (one file of the suite) through two variant servers.

The real soak (`make soak`, 200 runs of the whole quick profile) is a measurement, not a test;
this only keeps the command, its servers and its report from rotting.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]


def test_a_tiny_soak_runs_the_suite_through_its_variants_and_reports(tmp_path: Path) -> None:
    report = tmp_path / "soak.json"
    command = [sys.executable, "-m", "soak", "--runs", "2", "--jobs", "2", "--keep", str(tmp_path)]
    command += ["--variant", "shuffled", "--variant", "gzip", "--json", str(report), "--", "-k", "test_crud"]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "false alarms: 0 in 2 runs; inconclusive: 0" in done.stdout, done.stdout
    outcomes = json.loads(report.read_text(encoding="utf-8"))
    assert sorted(o["variant"] for o in outcomes) == ["gzip", "shuffled"], outcomes
