"""The contract under load, the light runs: a rate-capped read-only run and an unreachable target.

Neither loads the machine (40 requests a second; connections refused at once), so unlike the
full-speed runs of test_load_runs.py they are in no xdist group: `make test` runs them beside
the others. No assertion depends on speed: only on what was checked.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import ROOT, RUN_TIME, USERS, assert_clean, clean_env, make_load, run_load

pytestmark = pytest.mark.slow


def test_read_only_mode_only_reads_and_the_rate_cap_holds(tmp_path: Path) -> None:
    run = run_load(
        tmp_path / "report.json",
        *USERS,
        "--",
        "--contract-read-only",
        "--contract-rate",
        "40",
    )
    assert run.code == 0, run.output[-6000:]
    assert_clean(run.output, run.report)
    assert run.report["created"] == 0 and run.report["checked"] > 50, run.report
    rows = [
        line.split()[0]
        for line in run.output.splitlines()
        if line.startswith(("GET ", "POST ", "PATCH ", "DELETE "))
    ]
    assert rows and set(rows) == {"GET"}, rows
    # At most 40 requests per second over the whole run (at most RUN_TIME of load, plus one slot);
    # uncapped, these users check over 250 answers a second.
    assert run.report["checked"] <= 40 * (int(RUN_TIME.rstrip("s")) + 1), run.report


def test_an_unreachable_target_is_counted_apart_and_is_no_violation(tmp_path: Path) -> None:
    report = tmp_path / "report.json"
    # Locust as make load starts it (scripts/load.py LOCUST): its run-time clock brought up to date
    # first, so the whole run is load; plain `-m locust` on a busy machine spent most of a 3 s run
    # (and once all of a 5 s one, at load 7 under make test) starting, and sent no request.
    locust = [sys.executable, "-c", make_load().LOCUST, "-f", "contract_tests/locustfile.py", "--headless"]
    # A port held bound but not listening: every connection is refused, and no server started by a test
    # running alongside can take it meanwhile (a port found free and let go could be taken).
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
        options = ["-u", "2", "-r", "2", "-t", RUN_TIME, "--host", f"http://127.0.0.1:{port}"]
        result = subprocess.run(
            [*locust, *options, "--contract-report", str(report)],
            cwd=ROOT,
            env={**clean_env(), "CONTRACT_TOKEN": "token-of-nobody"},
            capture_output=True,
            text=True,
            timeout=60,
        )
    output = result.stdout + result.stderr
    assert result.returncode == 2, output[-4000:]  # no verdict: neither 0 nor 1
    data = json.loads(report.read_text())
    assert data["violations"] == {} and data["target_errors"].get("unreachable", 0) > 0, data
    assert "target[unreachable] no contract verdict" in output  # Locust's failure table
    assert data["left_behind"] == [
        "unknown: the target did not answer the final check (TargetUnreachable)"
    ], data
    assert "token-of-nobody" not in output
