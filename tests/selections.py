"""Selections of the contract suite that several of the project's runs share: one home each.

The suite's two modules that build their tests at collection, schemathesis's from the spec
(`test_schema.py`) and the state machine's shards (`test_stateful.py`), cost seconds of CPU to
collect in every process that runs the suite. A run that proves something the rest of the suite
shows as well (the over-HTTP path, a target that goes down, the soak's machinery, the edit-run loop
of `make test-fast`) leaves them out and says which run covers them.
"""

from __future__ import annotations

GENERATED_MODULES = ("contract_tests/test_schema.py", "contract_tests/test_stateful.py")
# pytest options that leave them out of a selection
WITHOUT_GENERATED = tuple(f"--ignore={path}" for path in GENERATED_MODULES)
# the whole suite but those two modules
SUITE_WITHOUT_GENERATED = ("contract_tests", *WITHOUT_GENERATED)
