"""A pytest plugin for measurements: the contract suite's Hypothesis profile without shrinking.

`python -m benchmarks.catches` loads it (`-p benchmarks.noshrink`) so that a run against a
planted bug costs what finding the bug costs, not what minimising the example costs.
"""

from __future__ import annotations

import pytest
from hypothesis import Phase, settings


@pytest.hookimpl(trylast=True)
def pytest_configure(config: pytest.Config) -> None:
    current = settings()
    phases = [phase for phase in current.phases if phase is not Phase.shrink]
    settings.register_profile("contract-noshrink", parent=current, phases=phases)
    settings.load_profile("contract-noshrink")
