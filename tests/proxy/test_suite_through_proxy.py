"""The contract suite, run through the proxy against the correct mock, passes and raises no violation.

The whole suite (226 tests, ~4,650 exchanges) was run this way by hand for docs/proxy.md; this test
runs the files that exercise every operation, status and behavioural rule, to stay quick.
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from .support import Rig, mock_app, rig

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
FILES = ["test_crud.py", "test_errors.py", "test_listing.py", "test_security.py"]


@pytest.fixture(scope="module")
def through_proxy() -> Iterator[Rig]:
    with rig(mock_app()) as r:
        yield r


def test_the_suite_through_the_proxy_finds_no_violation(through_proxy: Rig) -> None:
    command = [sys.executable, "-m", "pytest", *(f"contract_tests/{name}" for name in FILES)]
    command += ["--base-url", through_proxy.url, "--token", "dev-token-org-a"]
    command += ["--other-org-token", "dev-token-org-b", "-q", "-p", "no:cacheprovider", "-x"]
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert "0 left behind" in result.stdout
    ledger = through_proxy.proxy.monitor.ledger
    seen = -1
    while seen != ledger.exchanges:  # the last answers' checks run just after they were sent
        seen = ledger.exchanges
        time.sleep(0.2)
    assert ledger.checked > 500
    assert [(v["rule"], v["detail"]) for v in ledger.violations] == []
