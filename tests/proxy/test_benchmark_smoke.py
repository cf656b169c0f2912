"""`python -m benchmarks.proxy` at a tiny size, so the script that measures the proxy never rots.

Its `main()` runs in this process (the `-m` entry point is `sys.exit(main())`); the mock and
both proxies it measures are still subprocesses, started and stopped by it.
"""

from __future__ import annotations

import re

import pytest

from benchmarks import proxy

pytestmark = pytest.mark.slow


def test_the_proxy_benchmark_prints_its_ratios(capsys: pytest.CaptureFixture[str]) -> None:
    # The Python generator for 0.1 s: wrk would run whole seconds (three of them, each keeping the
    # mock and a proxy busy); the table does not depend on how long the load lasts. The generators
    # themselves are tests/test_benchmarks_smoke.py's (every row, wrk's Lua scripts included).
    argv = ["--duration", "0.1", "--rounds", "1", "--rows", "get_one", "--connections", "2"]
    assert proxy.main([*argv, "--generator", "python"]) == 0
    output = capsys.readouterr().out
    assert "load: python, 2 connections, 0.1 s x 1 rounds" in output, output
    row = next(line for line in output.splitlines() if line.startswith("GET one"))
    numbers = re.findall(r"[0-9][0-9,.]*", row)
    assert len(numbers) >= 5 and all(float(n.replace(",", "")) > 0 for n in numbers[:5]), row
