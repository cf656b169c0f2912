#!/usr/bin/env python3
"""`make fuzz`: schemathesis against the mock over real HTTP; exits with schemathesis' code.

Starts the seeded mock (`python -m mock_server`, via mock_server.testing.serve) on a
free loopback port, runs

    st run openapi.yaml --url http://127.0.0.1:PORT -H "Authorization: Bearer dev-token-org-a"
        --phases examples,coverage,fuzzing,stateful --checks all --mode all --max-examples 1000

with the contract's own per-response rules (``contract_tests/checks.py``:
``contact-fields``, ``error-code-per-status``, ``location-on-201``,
``timestamps-utc-z``, ...) registered as schemathesis checks through
``SCHEMATHESIS_HOOKS=contract_tests.checks``, so ``--checks all`` runs them on
every generated case; then stops the mock and prints one summary line (examples, operations, failures,
time). Reports (JSON, JUnit, the mock's own log) and st's example database and
cache go to reports/fuzz/, which git ignores; st runs there. Every argument this
script does not know is passed on to `st run`, e.g.
`python scripts/fuzz.py --max-examples 50 -- --max-failures 1`.

Exit codes: st's own (0 = nothing found), or 2 when the mock or st cannot run.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from mock_server.testing import MockStartError, serve

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
TOKEN = "dev-token-org-a"  # fixtures/seed.json, organization org_blueai
PHASES = "examples,coverage,fuzzing,stateful"
HOOKS = "contract_tests.checks"  # the contract's rules as schemathesis checks


def st_environment() -> dict[str, str]:
    """st's environment: the contract's checks loaded as hooks, importable from any folder."""
    env = dict(os.environ)
    env["SCHEMATHESIS_HOOKS"] = HOOKS
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH")) if p)
    return env


def st_command() -> list[str]:
    """The `st` next to this interpreter (the venv's), else the one on PATH."""
    beside = Path(sys.executable).with_name("st")
    found = str(beside) if beside.exists() else shutil.which("st")
    if found is None:
        raise SystemExit("fuzz: schemathesis' `st` is not installed (make install)")
    return [found]


def parse_args(argv: Sequence[str]) -> tuple[argparse.Namespace, list[str]]:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n", 1)[0] if __doc__ else None,
        epilog="Unknown arguments (after `--` or not) are passed on to `st run`.",
    )
    parser.add_argument(
        "--max-examples", type=int, default=1000, help="st --max-examples: test cases per operation"
    )
    parser.add_argument("--workers", default="2", help="st workers (1-64 or auto)")
    parser.add_argument("--seed", type=int, help="st's random seed (default: a new one, printed)")
    parser.add_argument("--spec", type=Path, default=ROOT / "openapi.yaml")
    parser.add_argument("--report-dir", type=Path, default=ROOT / "reports" / "fuzz")
    parser.add_argument("--timeout", type=float, default=3600.0, help="seconds before st is stopped")
    args, extra = parser.parse_known_args(argv)
    return args, [a for a in extra if a != "--"]


def summarize(report: dict[str, Any], seconds: float, exit_code: int, mock_traces: int) -> str:
    cases = report.get("test_cases") or {}
    operations = report.get("operations") or {}
    failures = report.get("failures") or []
    errors = report.get("errors") or []
    checks_failed = sum(f.get("count", 0) for f in failures)
    line = (
        f"fuzz: {cases.get('generated', 0)} examples, "
        f"{operations.get('tested', 0)}/{operations.get('total', 0)} operations, "
        f"{cases.get('unique_failures', 0)} failures "
        f"({cases.get('with_failures', 0)} failing examples, {checks_failed} check failures), "
        f"{sum(e.get('count', 0) for e in errors)} errors, "
        f"{seconds:.0f} s, seed {report.get('seed')}, st exit {exit_code}"
    )
    if mock_traces:
        line += f"; the mock logged {mock_traces} stack traces"
    for failure in failures:
        line += f"\n  - {failure.get('title')} ({failure.get('code')}) x{failure.get('count')}: "
        line += ", ".join(failure.get("operations") or [])
    for error in errors:
        line += f"\n  - error: {error.get('title')} x{error.get('count')}"
    return line


def main(argv: Sequence[str] | None = None) -> int:
    args, extra = parse_args(sys.argv[1:] if argv is None else argv)
    report_dir = args.report_dir.resolve()
    report_dir.mkdir(parents=True, exist_ok=True)
    json_path = report_dir / "report.json"
    json_path.unlink(missing_ok=True)
    log_path = report_dir / "mock.log"
    log_path.unlink(missing_ok=True)
    with contextlib.ExitStack() as stack:
        try:
            url = stack.enter_context(serve(mode="subprocess", host=HOST, log=log_path)).url
        except MockStartError as error:
            print(f"fuzz: {error}", file=sys.stderr)
            return 2
        command = [
            *st_command(),
            "run",
            str(args.spec.resolve()),
            "--url",
            url,
            "--header",
            f"Authorization: Bearer {TOKEN}",
            "--phases",
            PHASES,
            "--checks",
            "all",
            "--mode",
            "all",
            "--max-examples",
            str(args.max_examples),
            "--workers",
            str(args.workers),
            "--request-timeout",
            "10",
            "--generation-database",
            str(report_dir / "examples"),
            "--report",
            "json,junit",
            "--report-dir",
            str(report_dir),
            "--report-json-path",
            str(json_path),
            "--report-junit-path",
            str(report_dir / "junit.xml"),
            "--no-color",
            *(["--seed", str(args.seed)] if args.seed is not None else []),
            *extra,
        ]
        print("fuzz:", " ".join(command).replace(TOKEN, "[token]"), flush=True)
        started = time.monotonic()
        try:
            # cwd: st keeps its cache (.schemathesis/) in the working directory, so there, not in the repo.
            exit_code = subprocess.run(
                command, cwd=report_dir, env=st_environment(), timeout=args.timeout, check=False
            ).returncode
        except subprocess.TimeoutExpired:
            print(f"fuzz: st did not finish within {args.timeout:.0f} s", file=sys.stderr)
            exit_code = 2
        seconds = time.monotonic() - started
    report = json.loads(json_path.read_text(encoding="utf-8")) if json_path.exists() else {}
    traces = log_path.read_text(encoding="utf-8", errors="replace").count("Traceback")
    print(summarize(report, seconds, exit_code, traces), flush=True)
    return exit_code


if __name__ == "__main__":
    sys.exit(main())
