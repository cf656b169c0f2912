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
