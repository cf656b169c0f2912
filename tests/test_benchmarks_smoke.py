"""Smoke runs of `python -m benchmarks --tiny`, so the benchmark script never rots.

The figures of a tiny run mean nothing and are not checked: only that every
section runs, every server it starts answers, and the tables are printed. The
first run uses the Python load generator, so it needs nothing beyond the
project's dependencies; the second drives the HTTP rows with wrk when it is
installed. Prism is skipped (it needs npm and a download).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent

HTTP_HEADERS = ("row", "server", "req/s", "p50 ms", "p99 ms", "errors", "mock/bare", "mock/Prism")
SCALE_HEADERS = ("query", "contacts", "app p50 ms", "store p50 ms", "RSS MB", "peak RSS MB")
SUITE_HEADERS = ("profile", "in-process", "over HTTP")


# Shorter than --tiny's own 0.5 s rows and 100/1,000-contact scale runs: what is checked is that
# every section runs, every server answers its probe and the tables print, none of which depends
# on how long the load lasts or how many contacts are held (each row still sends its requests,
# each scale size still seeds, queries and measures a fresh process).
SMOKE = ("--duration", "0.1", "--sizes", "10,100")


def run_benchmarks(*args: str) -> tuple[int, str]:
    # The suite section must test the mock, never a deployment named in the environment.
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONTRACT_")}
    env["PYTHONPATH"] = str(ROOT) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    result = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--tiny", "--skip-prism", *SMOKE, *args],
        cwd=ROOT,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=300,
    )
    return result.returncode, result.stdout + "\n" + result.stderr


def test_a_tiny_run_of_every_section_prints_the_tables() -> None:
    code, output = run_benchmarks("--generator", "python")
    assert code == 0, output[-6000:]
    for header in (*HTTP_HEADERS, *SCALE_HEADERS, *SUITE_HEADERS):
        assert header in output, f"{header!r} missing:\n{output[-6000:]}"
    assert "HTTP: throughput and latency (python)" in output
    assert "Targets (issues 5 and 14)" in output
    assert "PROBLEM" not in output, output[-6000:]


@pytest.mark.skipif(
    shutil.which("wrk") is None,
    reason="wrk is not installed (apt-get install wrk); the Python-generator run covers the script",
)
def test_the_http_rows_run_with_wrk_and_its_lua_scripts() -> None:
    code, output = run_benchmarks("--generator", "wrk", "--only", "http")
    assert code == 0, output[-6000:]
    assert "HTTP: throughput and latency (wrk)" in output
    for header in HTTP_HEADERS:
        assert header in output
    assert "PROBLEM" not in output, output[-6000:]
    # The Lua scripts send the token and valid bodies: a 401 or 400 would count as errors.
    assert "with a status >= 400" not in output, output[-6000:]
    # The access log's cost: mock and mock+log loaded at once, a CPU-time verdict per row.
    assert "log CPU" in output and "mock and mock+log at once" in output, output[-6000:]
    assert "the access log costs < 15% (server CPU per request, at once)" in output, output[-6000:]
