"""The pytest plugin of the mutation run (`-p mutation.plugin`, set in pyproject's [tool.mutmut]).

mutmut runs the contract suite once per mutant, in a process forked from its
own. These things make that run fit for judging mutants:

- **Deterministic.** Hypothesis derandomized and without its example database:
  the same mutant meets the same examples on every run, so a verdict does not
  depend on the order mutants ran in (a database would replay one mutant's
  failure against the next) nor on luck.
- **Start-up counts for every test.** mutmut runs, per mutant, only the tests
  that executed the mutated function when it collected its statistics; it
  charges what runs while a session fixture is built (the in-process mock's
  app, its endpoints, the token registry) to the first test alone. Here that
  start-up runs before the first test and is charged to every test, since
  every test talks to the app it built.
- **No shrinking.** The first failure is the verdict; shrinking it only costs time
  (a state-machine failure is replayed many times) and pushed caught mutants past
  mutmut's time limit.
- **Cheap tests first.** mutmut passes `-x`: the first failure ends the run, so
  the short example-based modules go first and the long property-based ones
  (state machine, schemathesis) last. A killed mutant usually costs a second;
  only a survivor pays for the whole selection.

The suite itself is unchanged: same checks, same quick profile, in-process target.
"""

from __future__ import annotations

import os

import pytest
from hypothesis import Phase, settings

# Module order: cheap and broad first, the long property-based runs last.
MODULE_ORDER = (
    "test_security.py",
    "test_errors.py",
    "test_crud.py",
    "test_search.py",
    "test_listing.py",
)
LAST = ("test_stateful.py", "test_schema.py")


def _rank(item: pytest.Item) -> int:
    name = item.path.name
    if name in LAST:
        return len(MODULE_ORDER) + 1 + LAST.index(name)
    if name in MODULE_ORDER:
        return MODULE_ORDER.index(name)
    return len(MODULE_ORDER)  # new modules: between the example-based and the long runs


_START_UP: set[str] = set()  # functions run before the first test (statistics run only)


def _collecting_statistics() -> bool:
    return os.environ.get("MUTANT_UNDER_TEST") == "stats"


@pytest.hookimpl(trylast=True)
def pytest_configure(config: pytest.Config) -> None:
    # After the suite's own configure has loaded its profile ("contract"): the same budget,
    # derandomized, no example database.
    # No shrinking: a verdict needs the first failure, not the smallest one. Shrinking a failing
    # state-machine run replays it many times; on a busy machine that outlasted mutmut's time
    # limit, so mutants the suite had already caught were counted as timeouts, slowly.
    settings.register_profile(
        "mutation",
        settings(),
        derandomize=True,
        database=None,
        phases=[phase for phase in Phase if phase is not Phase.shrink],
    )
    settings.load_profile("mutation")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    items.sort(key=_rank)  # stable: the order inside a module is kept


def pytest_collection_finish(session: pytest.Session) -> None:
    if not _collecting_statistics():
        return
    from mutmut.state import state

    from contract_tests.conftest import current_run

    current_run().get_target()  # build the in-process mock now, outside any one test
    _START_UP.clear()
    _START_UP.update(state()._stats)


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None) -> None:
    # Before mutmut's own teardown hook, which charges what ran to this test.
    if _START_UP and _collecting_statistics():
        from mutmut.state import state

        state()._stats.update(_START_UP)
