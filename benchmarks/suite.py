"""Wall time of the contract suite (`pytest contract_tests`) per profile, in-process and over HTTP.

In-process: the suite's default target, the mock app called through
httpx.ASGITransport (no ports). Over HTTP: a mock this script starts (as the
README serves it) with `--base-url --token --other-org-token`; a fresh one per
run so every run starts from the fixtures.
"""

from __future__ import annotations

import re
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from typing import Any

from .common import CONTACTS_PATH, FIXTURE_CONTACT, ROOT, TOKEN_A, TOKEN_B, clean_env
from .servers import ServerPool, start_mock

SUITE_TIMEOUT = 1800.0  # seconds for one run; a hung suite is stopped, never waited on forever
_SUMMARY = re.compile(r"^=*\s*(\d+ (passed|failed|error).*) in [\d.]+s")


@dataclass
class SuiteResult:
    profile: str
    mode: str  # "in-process" or "over HTTP"
    seconds: float
    returncode: int
    summary: str  # pytest's closing line, e.g. "225 passed"
    selection: str

    @property
    def ok(self) -> bool:
        return self.returncode == 0

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


def _pytest(selection: list[str], profile: str, extra: list[str]) -> tuple[float, int, str]:
    command = [
        sys.executable,
        "-m",
        "pytest",
        *selection,
        "-p",
        "no:cacheprovider",
        "-q",
        "--profile",
        profile,
        *extra,
    ]
    started = time.perf_counter()
    try:
        done = subprocess.run(
            command,
            cwd=ROOT,
            env=clean_env(),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=SUITE_TIMEOUT,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return time.perf_counter() - started, -1, f"stopped after {SUITE_TIMEOUT:.0f} s"
    seconds = time.perf_counter() - started
    summary = ""
    for line in reversed(done.stdout.splitlines()):
        match = _SUMMARY.match(line.strip())
        if match:
            summary = match.group(1).strip(" =")
            break
    if not summary:
        lines = (done.stderr.strip() or done.stdout.strip()).splitlines()
        summary = lines[-1] if lines else f"exit {done.returncode}"
    return seconds, done.returncode, summary


def run_suite(profile: str, mode: str, selection: list[str], log_level: str) -> SuiteResult:
    if mode == "in-process":
        seconds, code, summary = _pytest(selection, profile, [])
    else:
        headers = {"Authorization": f"Bearer {TOKEN_A}"}
        with ServerPool() as pool:
            mock = start_mock(pool, log_level, False, headers, f"{CONTACTS_PATH}/{FIXTURE_CONTACT}")
            extra = ["--base-url", mock.base_url, "--token", TOKEN_A, "--other-org-token", TOKEN_B]
            seconds, code, summary = _pytest(selection, profile, extra)
    return SuiteResult(profile, mode, seconds, code, summary, " ".join(selection))
