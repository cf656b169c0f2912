"""`python -m benchmarks --tiny` and its parts, so the benchmark script never rots.

The figures of a tiny run mean nothing and are not checked: only that every
section runs, every server it starts answers, and the tables are printed.
Prism is skipped (it needs npm and a download).

Two tests share the work:

- one end-to-end run of the real command line, every section (http, scale,
  suite), with the Python load generator (it needs nothing beyond the
  project's dependencies) on one row;
- every row, in this process: the mock and the bare ceiling answer each row's
  request with its status (and the bare app with the mock's own bytes), and
  both load generators' requests for each row get that status: the Python
  generator's request bytes and response parsing (two requests on one
  kept-alive connection; its timed loop is the first test's), and wrk with its
  Lua scripts, for one second, when wrk is installed.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from benchmarks import pyload
from benchmarks.asgi import call, http_scope
from benchmarks.bare_app import build_app
from benchmarks.common import TOKEN_A
from benchmarks.load import LoadError, LoadResult, run_load, wrk_path
from benchmarks.run import capture_bodies, header_lines, headers_for, parse_args
from benchmarks.scenarios import SCENARIO_KEYS, SCENARIOS, Scenario, body_for
from mock_server.testing import serve

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent

HTTP_HEADERS = ("row", "server", "req/s", "p50 ms", "p99 ms", "errors", "mock/bare", "mock/Prism")
SCALE_HEADERS = ("query", "contacts", "app p50 ms", "store p50 ms", "RSS MB", "peak RSS MB")
SUITE_HEADERS = ("profile", "in-process", "over HTTP")

# Smaller than --tiny's own 0.5 s rows, 100/1,000-contact scale runs and test_search.py: what is
# checked is that every section runs, every server answers its probe and the tables print, none
# of which depends on how long the load lasts, how many contacts are held, how many rows there
# are or how many tests the suite section times. Every HTTP row still starts the three servers,
# probes them, loads each one after the other, then mock and mock+log at once; the one scale size
# still seeds, queries and measures a fresh process; the one suite test still runs in-process and
# over HTTP against a mock of its own. The other rows are the second test's.
SMOKE = (
    "--duration",
    "0.1",
    "--sizes",
    "10",
    "--rows",
    "get_one",
    "--suite-test",
    "contract_tests/test_crud.py::test_created_ids_are_fresh",
)


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
    # The generator sends the token and valid requests: a 401 or 400 would count as errors.
    assert "with a status >= 400" not in output, output[-6000:]
    # The access log's cost: mock and mock+log loaded at once, a CPU-time verdict per row.
    assert "log CPU" in output and "mock and mock+log at once" in output, output[-6000:]
    assert "the access log costs < 15% (server CPU per request, at once)" in output, output[-6000:]
    assert "(1 passed)" in output, output[-6000:]  # the suite section ran the one test, both ways


def test_every_row_is_answered_and_both_load_generators_send_it() -> None:
    # The mock's answer to each row, from an in-process app seeded as the benchmark serves it
    # (capture_bodies raises unless each status is the row's): the bare app must answer the same.
    bodies = capture_bodies()
    bare = build_app({key: text.encode("utf-8") for key, text in bodies.items()})
    for scen in SCENARIOS:
        body = body_for(scen, 0)
        scope = http_scope(scen.method, scen.target, list(headers_for(scen).items()), body)
        reply = asyncio.run(call(bare, scope, body))
        assert (reply.status, reply.body.decode("utf-8")) == (scen.status, bodies[scen.key]), scen.label
    with serve() as mock:  # the fixtures, as the mocks of the benchmark hold them (and 20 more each)
        for scen in SCENARIOS:  # pyload's own requests (its timed loop is the first test's)
            assert asyncio.run(_pyload_twice(mock.url, scen)) == [scen.status, scen.status], scen.label
        if wrk_path() is not None:
            # wrk runs whole seconds: every row's Lua script at once, in one second.
            results = _wrk_at_once(mock.url, SCENARIOS)
            for scen in SCENARIOS:
                result = results[scen.key]
                assert isinstance(result, LoadResult), f"{scen.label}: {result}"
                assert result.generator == "wrk" and result.requests > 0, (scen.label, result)
                assert result.errors == 0, (scen.label, result)  # the token and valid bodies


async def _pyload_twice(url: str, scen: Scenario) -> list[int]:
    """The statuses of two of pyload's requests for `scen` on one kept-alive connection."""
    host, port = url.removeprefix("http://").split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    statuses = []
    try:
        for counter in (1, 2):
            writer.write(pyload.request_bytes(scen, f"{host}:{port}", TOKEN_A, counter))
            status, size, keep_alive = await pyload.read_response(reader)
            assert size > 0 and keep_alive, (scen.label, size, keep_alive)
            statuses.append(status)
    finally:
        writer.close()
    return statuses


def _wrk_at_once(url: str, scenarios: tuple[Scenario, ...]) -> dict[str, LoadResult | LoadError]:
    results: dict[str, LoadResult | LoadError] = {}

    def drive(scen: Scenario) -> None:
        try:
            results[scen.key] = run_load(
                "wrk", url, scen, TOKEN_A, duration=1, connections=1, threads=1, pin=False
            )
        except LoadError as error:
            results[scen.key] = error

    workers = [threading.Thread(target=drive, args=(scen,)) for scen in scenarios]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return results


@pytest.mark.parametrize(
    ("argv", "rows", "suite"),
    [
        ([], SCENARIO_KEYS, ("contract_tests/test_search.py",)),
        (
            ["--rows", "post,get_one", "--suite-test", "a.py", "--suite-test", "b.py"],
            ("get_one", "post"),
            ("a.py", "b.py"),
        ),
    ],
)
def test_rows_and_suite_tests_are_chosen_on_the_command_line(
    argv: list[str], rows: tuple[str, ...], suite: tuple[str, ...]
) -> None:
    config = parse_args(["--tiny", "--generator", "python", *argv])
    assert (config.rows, config.suite_selection) == (rows, suite)  # rows in the benchmark's order


def test_an_unknown_row_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        parse_args(["--rows", "get_one,nope"])
    assert "--rows: nope; choose from get_one" in capsys.readouterr().err


@pytest.mark.skipif(wrk_path() is None, reason="wrk is not installed")
def test_the_header_says_wrk_runs_whole_seconds() -> None:
    argv = ["--tiny", "--skip-prism", "--generator", "wrk", "--duration", "0.1", "--only", "http"]
    header = "\n".join(header_lines(parse_args(argv), argv))
    assert "load generator: wrk; wrk " in header, header
    assert "0.1 s per row and server (wrk takes whole seconds: 1 s) after 0 s of warm-up" in header
