"""The contract suite, in its own process, against the mock served over real HTTP by uvicorn.

The in-process run (`pytest contract_tests`) already proves the suite passes
against the mock; this run proves the over-HTTP path: `--base-url` and the
tokens as a QA engineer passes them, a real HTTP client, a second organization
and the cleanup ledger. The schemathesis and state-machine modules exercise
nothing HTTP-specific beyond what the others do, so they stay in-process (they
were 40 s of the 38+ s this file used to cost).
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from mock_server.testing import serve

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def served_mock() -> Iterator[str]:
    with serve() as mock:  # uvicorn in a thread of this process, on a port the OS chose
        yield mock.url


def clean_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONTRACT_")}
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    return env


def test_the_suite_passes_against_the_mock_over_http(served_mock: str) -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "contract_tests",
            "--ignore=contract_tests/test_schema.py",
            "--ignore=contract_tests/test_stateful.py",
            "-p",
            "no:cacheprovider",
            "-q",
            "-W",
            "error",
            "--base-url",
            served_mock,
            "--token",
            "dev-token-org-a",
            "--other-org-token",
            "dev-token-org-b",
        ],
        cwd=ROOT,
        env=clean_env(),
        capture_output=True,
        text=True,
        timeout=600,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-6000:]
    assert "0 left behind" in output, output[-3000:]
    assert " skipped" not in output.splitlines()[-1], output[-3000:]
