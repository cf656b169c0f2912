"""`make soak` keeps working: a short run (one test of the suite) through its variant servers.

The real soak (`make soak`, 200 runs of the whole quick profile) is a measurement, not a test;
this only keeps the command, its servers and its report from rotting.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from soak.__main__ import EXIT_INCONCLUSIVE, Outcome, plan_runs, report

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
# What each suite run of the sigterm test runs: one file (a path after `--` replaces `contract_tests`,
# so no other module is even collected). Its runs must still be running when it stops the soak,
# hence a whole file rather than one test.
SELECTION = ["contract_tests/test_crud.py"]
# The tiny soak's runs: one test (a node id replaces `contract_tests`, so nothing else is even
# collected) that creates, lists, reads and deletes through each variant. What is checked is the
# soak's own machinery (servers, runs, verdicts, report), not the suite: 200 runs of the whole
# quick profile are `make soak`, and the variants' correctness is tests/test_soak_variants.py's.
ONE_TEST = "contract_tests/test_crud.py::test_delete_removes_the_contact_everywhere"


def test_a_tiny_soak_runs_the_suite_through_its_variants_and_reports(tmp_path: Path) -> None:
    """One run through one of two variant servers, end to end; the rotation of the variants and
    the report's arithmetic over several runs are the pure functions' tests below, and two runs
    at a time are the SIGTERM test's."""
    report = tmp_path / "soak.json"
    # A folder kept from an earlier soak: its ready file names servers long gone (port 9 is discard).
    (tmp_path / "variants.ready").write_text('{"shuffled": "http://127.0.0.1:9"}\n', encoding="utf-8")
    command = [sys.executable, "-m", "soak", "--runs", "1", "--jobs", "2", "--keep", str(tmp_path)]
    command += ["--variant", "shuffled", "--variant", "gzip", "--json", str(report), "--", ONE_TEST]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    assert re.search(r"variants: shuffled http://127\.0\.0\.1:\d+, gzip http://127", done.stdout), done.stdout
    assert "false alarms: 0 in 1 runs; inconclusive: 0" in done.stdout, done.stdout
    outcomes = json.loads(report.read_text(encoding="utf-8"))
    assert [o["variant"] for o in outcomes] == ["shuffled"], outcomes
    assert outcomes[0]["summary"].startswith("1 passed"), outcomes  # the node id alone


def test_the_runs_take_the_variants_in_turn() -> None:
    assert plan_runs(5, ["shuffled", "gzip"]) == [
        (0, "shuffled"),
        (1, "gzip"),
        (2, "shuffled"),
        (3, "gzip"),
        (4, "shuffled"),
    ]


def test_the_report_counts_each_variant_and_names_every_run_that_did_not_pass(tmp_path: Path) -> None:
    log = tmp_path / "run-0001-gzip.log"
    outcomes = [
        Outcome(0, "shuffled", 4.0, 0, "1 passed", None),
        Outcome(1, "gzip", 6.0, 1, "1 failed", log),
        Outcome(2, "shuffled", 2.0, EXIT_INCONCLUSIVE, "inconclusive", None),
        Outcome(3, "gzip", 5.0, 0, "1 passed", None),
    ]
    text = report(outcomes, 12.0)
    assert "shuffled | 2 | 0 | 1 | 3.0 | 4.0" in text, text
    assert "gzip | 2 | 1 | 0 | 5.5 | 6.0" in text, text
    assert "false alarms: 1 in 4 runs; inconclusive: 1; slowest run: 6.0 s (#1, gzip); wall time 12 s" in text
    assert f"  #1 gzip: FALSE ALARM: 1 failed ({log})" in text, text
    assert "  #2 shuffled: inconclusive: inconclusive (None)" in text, text


def test_sigterm_stops_the_soak_with_its_runs_and_servers(tmp_path: Path) -> None:
    """A stopped soak leaves nothing behind: no suite run, no worker, no mock, no variant server."""
    command = [sys.executable, "-m", "soak", "--runs", "4", "--jobs", "2", "--keep", str(tmp_path)]
    command += ["--variant", "plain", "--", *SELECTION]
    soak = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    assert soak.stdout is not None
    for line in soak.stdout:  # the runs have started once this line is printed
        if "at a time" in line:
            break
    # Stop as soon as both runs are in flight: the mock, the variant servers and two suite runs.
    deadline = time.monotonic() + 30
    started = _descendants(soak.pid)
    while len(started) < 4 and time.monotonic() < deadline:
        time.sleep(0.05)
        started = _descendants(soak.pid)
    assert len(started) >= 4, f"the soak started too little to stop: {started}"
    soak.terminate()
    rest = soak.communicate(timeout=60)[0]
    assert soak.returncode == 130, rest
    assert "stopped" in rest, rest
    left = [pid for pid in started if Path(f"/proc/{pid}").exists()]
    assert left == [], f"the soak left processes behind: {left}"


def _descendants(root: int) -> list[int]:
    """Every process below `root` now (Linux /proc)."""
    parents: dict[int, int] = {}
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                stat = (proc / "stat").read_text()
            except OSError:
                continue
            parents[int(proc.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    found, frontier = [], [root]
    while frontier:
        pid = frontier.pop()
        children = [child for child, parent in parents.items() if parent == pid]
        found += children
        frontier += children
    return found
