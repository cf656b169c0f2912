"""`python -m benchmarks.proxy` at a tiny size, so the script that measures the proxy never rots."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]


def test_the_proxy_benchmark_prints_its_ratios() -> None:
    # The Python generator for 0.1 s: wrk would run whole seconds (three of them, each keeping the
    # mock and a proxy busy); the table does not depend on how long the load lasts. The generators
    # themselves are tests/test_benchmarks_smoke.py's (every row, wrk's Lua scripts included).
    command = [sys.executable, "-m", "benchmarks.proxy", "--duration", "0.1", "--rounds", "1"]
    command += ["--rows", "get_one", "--connections", "2", "--generator", "python"]
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    row = next(line for line in result.stdout.splitlines() if line.startswith("GET one"))
    numbers = re.findall(r"[0-9][0-9,.]*", row)
    assert len(numbers) >= 5 and all(float(n.replace(",", "")) > 0 for n in numbers[:5]), row
