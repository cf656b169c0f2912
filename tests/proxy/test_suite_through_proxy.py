"""The contract suite, run through the proxy against the correct mock, passes and raises no violation.

The whole suite (226 tests, ~4,650 exchanges) was run this way by hand for docs/proxy.md; this test
runs the files that exercise every operation, status and behavioural rule, to stay quick.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from tests.suite.over_http import run_suite_over_http

from .support import Rig, mock_app, rig

pytestmark = pytest.mark.slow

FILES = ["test_crud.py", "test_errors.py", "test_listing.py", "test_security.py"]


@pytest.fixture(scope="module")
def through_proxy() -> Iterator[Rig]:
    with rig(mock_app()) as r:
        yield r


def test_the_suite_through_the_proxy_finds_no_violation(through_proxy: Rig) -> None:
    # A nested session of this process (tests/suite/over_http.py): the suite's client still talks to
    # the proxy over sockets; a process of its own only added an interpreter start and imports.
    result = run_suite_over_http(
        through_proxy.url,
        *(f"contract_tests/{name}" for name in FILES),
        "-x",
        token="dev-token-org-a",
        other_org_token="dev-token-org-b",
        limit=900,
    )
    assert result.exit_code == 0, result.output[-5000:]
    assert "0 left behind" in result.output, result.output[-3000:]
    ledger = through_proxy.proxy.monitor.ledger
    seen = -1
    while seen != ledger.exchanges:  # the last answers' checks run just after they were sent
        seen = ledger.exchanges
        time.sleep(0.2)
    assert ledger.checked > 500
    assert [(v["rule"], v["detail"]) for v in ledger.violations] == []
