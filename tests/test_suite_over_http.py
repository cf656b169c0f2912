"""The contract suite against the mock served over real HTTP by uvicorn in a subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.hardening.support import serve_mock

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def served_mock(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with serve_mock(tmp_path_factory.mktemp("mock") / "mock.log") as mock:
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
