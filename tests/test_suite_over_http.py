"""The contract suite against the mock served over real HTTP by uvicorn, as `make mock` serves it.

The in-process run (`pytest contract_tests` in the same session) proves the suite passes against
the mock's app; this run proves the mock behind a socket: uvicorn's framing and headers (`Date`,
which the suite's timestamp check reads, exists only there), `--base-url` and the tokens as a QA
engineer passes them, a real HTTP client, a second organization and the cleanup ledger. It runs
in this process (tests/suite/over_http.py); the suite's schemathesis and state-machine modules
exercise nothing HTTP-specific beyond what the others do, so they stay in the in-process run
(tests/selections.py). The same selection over HTTP against the independent implementation is
tests/independent/test_independent.py's.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from mock_server.testing import serve
from tests.selections import SUITE_WITHOUT_GENERATED
from tests.suite.over_http import assert_clean_pass, run_suite_over_http

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def served_mock() -> Iterator[str]:
    with serve() as mock:  # uvicorn in a thread of this process, on a port the OS chose
        yield mock.url


def test_the_suite_passes_against_the_mock_over_http(served_mock: str) -> None:
    result = run_suite_over_http(
        served_mock,
        *SUITE_WITHOUT_GENERATED,
        "-W",
        "error",
        token="dev-token-org-a",
        other_org_token="dev-token-org-b",
    )
    assert_clean_pass(result, served_mock)
