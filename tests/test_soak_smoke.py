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
# What each suite run collects: `-k test_crud` selects one file's tests, and these two modules would
# only be collected to be deselected (building test_schema.py's schemathesis tests costs seconds of
# CPU in every run). The soak's own proof, 200 runs of the whole quick profile, is `make soak`.
SELECTION = [
    "-k",
    "test_crud",
    "--ignore=contract_tests/test_schema.py",
    "--ignore=contract_tests/test_stateful.py",
]


def test_a_tiny_soak_runs_the_suite_through_its_variants_and_reports(tmp_path: Path) -> None:
    report = tmp_path / "soak.json"
    # A folder kept from an earlier soak: its ready file names servers long gone (port 9 is discard).
    (tmp_path / "variants.ready").write_text('{"shuffled": "http://127.0.0.1:9"}\n', encoding="utf-8")
    command = [sys.executable, "-m", "soak", "--runs", "2", "--jobs", "2", "--keep", str(tmp_path)]
    command += ["--variant", "shuffled", "--variant", "gzip", "--json", str(report), "--", *SELECTION]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "false alarms: 0 in 2 runs; inconclusive: 0" in done.stdout, done.stdout
    outcomes = json.loads(report.read_text(encoding="utf-8"))
    assert sorted(o["variant"] for o in outcomes) == ["gzip", "shuffled"], outcomes


def test_sigterm_stops_the_soak_with_its_runs_and_servers(tmp_path: Path) -> None:
    """A stopped soak leaves nothing behind: no suite run, no worker, no mock, no variant server."""
    command = [sys.executable, "-m", "soak", "--runs", "4", "--jobs", "2", "--keep", str(tmp_path)]
    command += ["--variant", "plain", "--", *SELECTION]
    soak = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    assert soak.stdout is not None
    for line in soak.stdout:  # the runs have started once this line is printed
        if "at a time" in line:
            break
    time.sleep(2)  # the suite runs spawn their interpreters
    started = _descendants(soak.pid)
    assert len(started) >= 3, f"the soak started too little to stop: {started}"  # mock, variants, runs
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
