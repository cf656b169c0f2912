"""`make soak` keeps working: two short runs (one file of the suite) through two variant servers.

The real soak (`make soak`, 200 runs of the whole quick profile) is a measurement, not a test;
this only keeps the command, its servers and its report from rotting.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
# What each suite run of the sigterm test collects: `-k test_crud` selects one file's tests, and
# these two modules would only be collected to be deselected (building test_schema.py's
# schemathesis tests costs seconds of CPU in every run). Its runs must still be running when it
# stops the soak, hence a whole file.
SELECTION = [
    "-k",
    "test_crud",
    "--ignore=contract_tests/test_schema.py",
    "--ignore=contract_tests/test_stateful.py",
]
# The tiny soak's runs: one test (a node id replaces `contract_tests`, so nothing else is even
# collected) that creates, lists, reads and deletes through each variant. What is checked is the
# soak's own machinery (servers, runs, verdicts, report), not the suite: 200 runs of the whole
# quick profile are `make soak`, and the variants' correctness is tests/test_soak_variants.py's.
ONE_TEST = "contract_tests/test_crud.py::test_delete_removes_the_contact_everywhere"


def test_a_tiny_soak_runs_the_suite_through_its_variants_and_reports(tmp_path: Path) -> None:
    report = tmp_path / "soak.json"
    # A folder kept from an earlier soak: its ready file names servers long gone (port 9 is discard).
    (tmp_path / "variants.ready").write_text('{"shuffled": "http://127.0.0.1:9"}\n', encoding="utf-8")
    command = [sys.executable, "-m", "soak", "--runs", "2", "--jobs", "2", "--keep", str(tmp_path)]
    command += ["--variant", "shuffled", "--variant", "gzip", "--json", str(report), "--", ONE_TEST]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "false alarms: 0 in 2 runs; inconclusive: 0" in done.stdout, done.stdout
    outcomes = json.loads(report.read_text(encoding="utf-8"))
    assert sorted(o["variant"] for o in outcomes) == ["gzip", "shuffled"], outcomes
    assert all(o["summary"].startswith("1 passed") for o in outcomes), outcomes  # the node id alone


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
