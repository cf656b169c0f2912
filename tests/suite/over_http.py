"""The contract suite against a target served over HTTP, run in this process like a QA engineer runs it.

`run_suite_over_http(url, *args)` is `pytest <args> --base-url URL --token ...` as a nested
session (tests/suite/nested.py): the suite's client talks to the target over real sockets, with
the tokens given on the command line and none of this environment's `CONTRACT_*` settings. A
process of its own would add nothing these runs check (the requests, the answers, the summary and
the exit status are the same) and costs an interpreter and the imports of pytest, Hypothesis and
schemathesis: about a second of CPU a run (2026-11-30: a run against a server that never answers,
1.4 s of CPU as a subprocess, 0.3 to 0.8 s nested).

What a subprocess's timeout gave stays: a run still going after `limit` seconds (what must never
happen: a hang) ends this whole process with every thread's traceback on stderr, a loud failure
instead of a `make test` that never ends.
"""

from __future__ import annotations

import faulthandler
import os
import sys
import threading

from .nested import SuiteResult, run_suite_in_process

EXIT_HUNG = 70


def _abort_hung_run(limit: float) -> None:
    stream = sys.__stderr__
    if stream is not None:
        stream.write(f"\nthe nested contract suite run did not end within {limit:g} s; every thread:\n")
        faulthandler.dump_traceback(file=stream, all_threads=True)
        stream.flush()
    os._exit(EXIT_HUNG)


def run_suite_over_http(
    url: str,
    *args: str,
    token: str,
    other_org_token: str | None = None,
    limit: float = 600.0,
) -> SuiteResult:
    """The suite (`args`: selection and options) against `url`, in this process; its report is returned."""
    credentials = ["--base-url", url, "--token", token]
    # One process: a nested session must not start pytest-xdist workers of its own (they would not
    # find this repository's `tests` package, and on a busy machine the auto choice, which measures
    # the round trip, asked for them: 2026-11-30, the proxy's run at load 7).
    workers = [] if "--workers" in args else ["--workers", "1"]
    if other_org_token is not None:
        credentials += ["--other-org-token", other_org_token]
    saved = {name: os.environ.pop(name) for name in list(os.environ) if name.startswith("CONTRACT_")}
    watchdog = threading.Timer(limit, _abort_hung_run, args=(limit,))
    watchdog.daemon = True
    watchdog.start()
    try:
        return run_suite_in_process([*args, *credentials, *workers])
    finally:
        watchdog.cancel()
        os.environ.update(saved)


def assert_clean_pass(result: SuiteResult, url: str) -> None:
    """A run against `url` that passed whole: exit 0, the live target named, nothing left behind,
    nothing skipped."""
    output = result.output
    assert result.exit_code == 0, output[-6000:]
    assert "target: live deployment " + url in output, output[-3000:]
    assert "0 left behind" in output, output[-6000:]
    assert " skipped" not in output.splitlines()[-1], output[-3000:]
