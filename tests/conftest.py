"""The whole run's scheduling: `slow` tests first, so that parallel workers finish together.

`make test` runs in parallel processes (pytest-xdist, `--dist load --maxschedchunk 1`:
each worker asks for the next test when it is done). Most of the run's time is a few dozen
tests that wait for subprocesses, servers and timeouts (load runs, client recipes, the
suite against broken deployments, the wheel in a fresh venv); started last, one of them
would keep a worker busy long after the others ran out of work. So every test marked
`slow` (a module's `pytestmark`, or one test) runs first, in collection order, and the
thousands of quick tests fill the gaps. A serial run (`-n 0`) runs them first too; the
order of the quick tests, and so their fixtures' reuse, is unchanged.

Mark a test `slow` when it takes seconds of waiting (a subprocess, a server, a timeout);
see docs/testing.md ("Running the kit's own tests").
"""

from __future__ import annotations

import pytest


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "slow: waits seconds for subprocesses, servers or timeouts; scheduled first in `make test`",
    )


@pytest.hookimpl(trylast=True)  # after every other reordering (e.g. the suite's own)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)  # stable: keeps the order within
