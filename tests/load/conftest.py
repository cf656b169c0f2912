"""The load test's own runs: `scripts/load.py` (what `make load` runs) as a subprocess."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "load.py"


def make_load() -> ModuleType:
    """scripts/load.py as a module (its launcher and helpers)."""
    spec = importlib.util.spec_from_file_location("make_load", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def clean_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CONTRACT_", "LOCUST_"))}
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    return env


@dataclass
class LoadRun:
    code: int
    output: str
    report: dict[str, Any]


def run_load(report: Path, *args: str, timeout: float = 180) -> LoadRun:
    import json

    result = subprocess.run(
        [sys.executable, str(SCRIPT), "--report", str(report), *args],
        cwd=ROOT,
        env=clean_env(),
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    output = result.stdout + result.stderr
    assert report.exists(), output[-4000:]
    return LoadRun(result.returncode, output, json.loads(report.read_text()))


# A graceful stop (--stop-timeout, passed on to the workers by the master): each user finishes its
# task before on_stop. Locust's default kills users at once, which can cut a request off after the
# server applied it and before the user counted it (seen on 2026-11-30 in a single-process run:
# created 209, deleted 208, removed at the end 0, nothing left on the server), and the exact
# counts (assert_clean) would then be off by one for no fault of the server.
#
# 4 s of load (make load brings Locust's run-time clock up to date first, scripts/load.py LOCUST, so
# --time is all load even when Locust is slow to start): ~1,100 checked answers on this machine at
# load 8 (2026-11-30); the users send as fast as the mock answers, so a run's CPU is its length.
RUN_TIME = "4s"
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
