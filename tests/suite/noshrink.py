"""A pytest plugin for planted-bug runs: the suite's Hypothesis profile without shrinking or database.

Against a stateful server, shrinking replays a failing sequence many times (one
row took 31.7 s with shrinking, 8.2 s without) and reports the same invariant;
a planted-bug run only needs the verdict. Without a database no failing example
of a broken server is saved into, or replayed from, the project's .hypothesis/.

Nor does Hypothesis write a patch of ``@example`` decorators for the failing tests
(``.hypothesis/patches/``): building it imports libcst, 0.7 s of CPU (2026-11-30) in every
process that sees a Hypothesis test fail (each `make test` worker that runs planted-bug rows,
each suite run against the invalid-JSON server), for a file nobody reads.

Used as ``pytest contract_tests -p tests.suite.noshrink ...``.
"""

from __future__ import annotations

import pytest
from _hypothesis_pytestplugin import FAILING_EXAMPLES_KEY  # the item attribute the report reads
from hypothesis import Phase, settings

PROFILE = "contract-no-shrink"


@pytest.hookimpl(trylast=True)  # after the suite's plugin has loaded its "contract" profile
def pytest_configure(config: pytest.Config) -> None:
    settings.register_profile(
        PROFILE,
        parent=settings.get_profile("contract"),
        phases=[phase for phase in Phase if phase is not Phase.shrink],
        database=None,
    )
    settings.load_profile(PROFILE)


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_teardown(item: pytest.Item) -> None:
    # The failing examples stay in the report (Hypothesis adds them to the exception's notes);
    # only the patch file that would be built from this copy of them is not.
    item.__dict__.pop(FAILING_EXAMPLES_KEY, None)
