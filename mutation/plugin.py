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
- **Shards of the state machine explore apart.** Derandomized, every shard of
  `test_stateful.py` (the same machine, parametrized) would draw the very same
  choices; shards after the first get a fixed seed of their own instead, so the
  run sees as many different machine runs as the suite's quick profile does.
- **Listed equivalents are not run.** A mutant of `equivalents.toml` would run
  the whole selection only to survive (about 20 s of CPU each); its tests are
  deselected (pytest exit 5) and the report checks its entry against the
  mutation instead. `MUTATION_RUN_EQUIVALENTS=1` runs them as any other mutant.
- **Old objects frozen.** Everything the fork server imported is moved out of
  the garbage collector's reach (`gc.freeze()`): pytest collects garbage at
  its end, and walking the whole inherited heap cost half a killed mutant.
- **Cost measured.** Each mutant's CPU time (user + system of its own forked
  process) and wall time are appended to `mutants/mutation-times.jsonl`; the
  report sums them, which projects the run's time on an idle machine.

The suite itself is unchanged: same checks, same quick profile, in-process target.
"""

from __future__ import annotations

import contextlib
import gc
import json
import os
import time
from collections.abc import Iterator

import pytest
from hypothesis import Phase, settings

from .report import load_equivalents

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


TIMES = "mutation-times.jsonl"  # in mutants/, the folder mutmut runs the suite in
_STARTED: list[float] = []


def _collecting_statistics() -> bool:
    return os.environ.get("MUTANT_UNDER_TEST") == "stats"


def _mutant() -> str:
    """The mutant under test, or "" for mutmut's own runs (clean, statistics, forced failure)."""
    name = os.environ.get("MUTANT_UNDER_TEST", "")
    return name if "__mutmut_" in name else ""


def _listed_equivalent(name: str) -> bool:
    if not name or os.environ.get("MUTATION_RUN_EQUIVALENTS") == "1":
        return False
    listed = [*load_equivalents(), *load_equivalents(table="left_open")]
    return any(entry.mutant == name for entry in listed)


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
    if _mutant():
        # A forked mutant process: what the fork server imported stays alive to the end, so the
        # collector need not walk it (pytest calls gc.collect() while it unconfigures).
        gc.freeze()
        _STARTED[:] = [time.monotonic()]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if _listed_equivalent(_mutant()):
        config.hook.pytest_deselected(items=list(items))
        items.clear()  # exit 5: the report checks the entry against this mutant's mutation
        return
    items.sort(key=_rank)  # stable: the order inside a module is kept


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> object:
    callspec = getattr(item, "callspec", None)
    shard = callspec.params.get("shard") if callspec is not None else None
    machine = getattr(getattr(item, "module", None), "ContactsMachine", None)
    if not isinstance(shard, int) or shard < 2 or machine is None:
        return (yield)
    with seeded(machine, 1000 + shard):  # shard 1 keeps the derandomized choices, the others differ
        return (yield)


@contextlib.contextmanager
def seeded(machine: type, seed: int) -> Iterator[None]:
    """Run `machine` (a RuleBasedStateMachine class) with a fixed seed, which wins over derandomize.

    It sets the attribute `hypothesis.seed` sets, which run_state_machine_as_test reads from the
    machine class; `hypothesis.seed` itself would also replace the class's settings. A private
    name: tests/test_mutation_config.py shows that a seeded machine draws other choices.
    """
    machine._hypothesis_internal_use_seed = seed  # type: ignore[attr-defined]
    try:
        yield
    finally:
        del machine._hypothesis_internal_use_seed  # type: ignore[attr-defined]


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    name = _mutant()
    if not name or not _STARTED:
        return
    spent = os.times()  # of this process alone: a forked child starts from zero
    line = {
        "mutant": name,
        "cpu": round(spent.user + spent.system, 3),
        "wall": round(time.monotonic() - _STARTED[0], 3),
        "status": int(exitstatus),
    }
    with open(TIMES, "a", encoding="utf-8") as out:  # one short append per process: atomic
        out.write(json.dumps(line) + "\n")


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
