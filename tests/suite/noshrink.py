"""A pytest plugin for planted-bug runs: the suite's Hypothesis profile without shrinking or database.

Against a stateful server, shrinking replays a failing sequence many times (one
row took 31.7 s with shrinking, 8.2 s without) and reports the same invariant;
a planted-bug run only needs the verdict. Without a database no failing example
of a broken server is saved into, or replayed from, the project's .hypothesis/.

Used as ``pytest contract_tests -p tests.suite.noshrink ...``.
"""

from __future__ import annotations

import pytest
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
