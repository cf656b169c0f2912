"""The contract under load, end to end: Locust against a served mock, alone and distributed.

Each run is short (a few seconds of load, a few users): enough for hundreds of checked
answers against the mock, and for the planted lost-update bug to show (30 times in 4 s on
2026-11-30). The CPU a run costs is its length: the users send as fast as the mock answers.
No assertion depends on speed (the machine is shared): only on what was checked.
"""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from .conftest import ROOT, SCRIPT, clean_env, run_load

# One Locust run at a time (each is a mock, a master and workers at full speed): run side by side on
# two cores they starved each other's users of answers.
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("locust")]

# A graceful stop (--stop-timeout, passed on to the workers by the master): each user finishes its
# task before on_stop. Locust's default kills users at once, which can cut a request off after the
# server applied it and before the user counted it (seen on 2026-11-30 in a single-process run:
# created 209, deleted 208, removed at the end 0, nothing left on the server), and the exact
# counts below would then be off by one for no fault of the server.
#
# 5 s: Locust starts its run-time clock from gevent's cached loop time, which stands still while
# Locust imports the locustfile, so a run loads the target for less than its --time (4.2 s of a 5 s
# run, 0.7 s of a 3 s run on a busy machine: 2026-11-30); 5 s leaves seconds of load either way.
# (A master starts its clock once its workers are there, on a fresh loop time: all of it is load.)
RUN_TIME = "5s"
USERS = ["--users", "8", "--spawn-rate", "8", "--time", RUN_TIME, "--stop-timeout", "10"]


def assert_clean(run_output: str, report: dict[str, object], *, exact_counts: bool = True) -> None:
    assert report["violations"] == {}, run_output[-6000:]
    assert report["target_errors"] == {}, run_output[-6000:]
    assert report["user_errors"] == 0, run_output[-6000:]
    assert report["left_behind"] == [], report
    if exact_counts:
        assert report["created"] == report["deleted_by_users"] + report["removed_at_end"], report  # type: ignore[operator]
    assert f"make load: 0 contacts of run {report['run_tag']} left on the server" in run_output, run_output[
        -3000:
    ]


def test_against_the_mock_the_contract_holds_under_load(tmp_path: Path) -> None:
    run = run_load(tmp_path / "report.json", *USERS)
    assert run.code == 0, run.output[-6000:]
    assert_clean(run.output, run.report)
    # Every answer is checked. How many there are depends on the machine (1,461 in a 5 s run,
    # 2026-11-30, load 6): the floor only says the load was real, never how fast.
    assert run.report["checked"] >= 100, run.report
    assert run.report["created"] > 20, run.report
    assert "contract held" in run.output
    # Locust's own statistics agree: no failure of any kind.
    aggregated = [line for line in run.output.splitlines() if line.strip().startswith("Aggregated")]
    assert aggregated and " 0(0.00%)" in aggregated[0], aggregated


def test_a_server_that_loses_concurrent_updates_fails_with_the_named_rule(tmp_path: Path) -> None:
    run = run_load(tmp_path / "report.json", *USERS, "--app", "tests.load.broken:lost_updates")
    assert run.code == 1, run.output[-6000:]
    assert set(run.report["violations"]) == {"lost-update"}, run.report
    [example] = run.report["examples"]
    assert example["curl"].startswith("curl "), example
    assert '"$CONTRACT_TOKEN"' in example["curl"] and "dev-token-org-a" not in json.dumps(run.report), example
    assert (
        "contract[lost-update] every acknowledged change of a shared contact" in run.output
    )  # Locust's table
    assert "[lost-update]" in run.output and "reproduce: curl" in run.output  # the summary
    assert run.report["left_behind"] == [], run.report


def test_one_master_and_two_workers_are_clean_and_leave_nothing_behind(tmp_path: Path) -> None:
    run = run_load(tmp_path / "report.json", *USERS, "--workers", "2")
    assert run.code == 0, run.output[-6000:]
    assert run.report["workers"] == 2, run.report  # both workers' final reports are in the summary
    # Across processes the per-user counts are summed from reports that a stop can cut off mid-request
    # (seen twice on 2026-11-30: 2 off, once each way); what must hold is the server's own truth,
    # checked from outside by make load: nothing of the run is left.
    assert_clean(run.output, run.report, exact_counts=False)
    assert run.report["checked"] >= 100, run.report


def test_an_interrupted_run_still_cleans_up(tmp_path: Path) -> None:
    """Ctrl-C on the Locust processes (master and workers) mid-run: users clean up, the sweep runs."""
    report = tmp_path / "report.json"
    log = (tmp_path / "out.txt").open("w+")
    with (
        log,
        subprocess.Popen(
            [
                sys.executable,
                str(SCRIPT),
                "--report",
                str(report),
                "--users",
                "6",
                "--time",
                "120s",
                "--workers",
                "1",
            ],
            cwd=ROOT,
            env=clean_env(),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        ) as script,
    ):
        deadline = time.monotonic() + 60
        while "All users spawned" not in Path(log.name).read_text() and time.monotonic() < deadline:
            time.sleep(0.2)
        time.sleep(1.5)  # mid-run: contacts exist (asserted below), requests are in flight
        for child in psutil.Process(script.pid).children():
            if "locust" in " ".join(child.cmdline()):
                child.send_signal(signal.SIGINT)
        code = script.wait(timeout=150)
        log.seek(0)
        output = log.read()
    assert report.exists(), output[-6000:]
    data = json.loads(report.read_text())
    assert data["created"] > 0, data
    assert data["left_behind"] == [], data
    assert f"make load: 0 contacts of run {data['run_tag']} left on the server" in output, output[-3000:]
    assert code in (0, 2), output[-6000:]  # an interrupted run is not a violation


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
    locust = [sys.executable, "-m", "locust", "-f", "contract_tests/locustfile.py", "--headless"]
    # A port held bound but not listening: every connection is refused, and no server started by a test
    # running alongside can take it meanwhile (a port found free and let go could be taken).
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
        # Not shorter than RUN_TIME: on a busy machine Locust's start-up took most of a 3 s run (see
        # RUN_TIME), and no request was sent.
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
