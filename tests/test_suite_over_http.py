"""The contract suite against the mock served over real HTTP by uvicorn, as a QA engineer runs it.

The in-process run (`pytest contract_tests`) already proves the suite passes
against the mock; this run proves the over-HTTP path: `--base-url` and the
tokens as a QA engineer passes them, a real HTTP client, a second organization
and the cleanup ledger. The schemathesis and state-machine modules exercise
nothing HTTP-specific beyond what the others do, so they stay in-process (they
were 40 s of the 38+ s this file used to cost).

The run is a nested session of this process (tests/suite/over_http.py), not a
process of its own: the suite's client still talks to the mock over sockets,
and the interpreter start and imports (about 2 s of CPU) bought nothing it checks.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from mock_server.testing import serve
from tests.selections import SUITE_WITHOUT_GENERATED
from tests.suite.over_http import run_suite_over_http

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def served_mock() -> Iterator[str]:
    with serve() as mock:  # uvicorn in a thread of this process, on a port the OS chose
        yield mock.url


def test_the_suite_passes_against_the_mock_over_http(served_mock: str) -> None:
    result = run_suite_over_http(
        served_mock,
        *SUITE_WITHOUT_GENERATED,
        token="dev-token-org-a",
        other_org_token="dev-token-org-b",
    )
    output = result.output
    assert result.exit_code == 0, output[-6000:]
    assert "target: live deployment " + served_mock in output, output[-3000:]
    assert "0 left behind" in output, output[-3000:]
    assert " skipped" not in output.splitlines()[-1], output[-3000:]
