"""The whole run's scheduling: `slow` tests first, module groups kept on one worker.

`make test` runs in parallel processes (pytest-xdist, `-n 4 --dist loadgroup`). Most of
the run's time is a few dozen tests that wait for subprocesses, servers and timeouts
(load runs, client recipes, the suite against broken deployments, the wheel in a fresh
venv); started last, one of them would keep a worker busy long after the others ran out
of work. So every test marked `slow` (a module's `pytestmark`, or one test) runs first, in
collection order, and the thousands of quick tests fill the gaps. A serial run (`-n 0`)
runs them first too; the order of the quick tests, and so their fixtures' reuse, is
unchanged.

Groups: a module whose `pytestmark` holds `pytest.mark.xdist_group("name")` runs on one
worker, one test after the other (one wheel build for the packaging tests; one Locust run
or one crash-recovery kill at a time). pytest-xdist's own `loadgroup` cannot do it under
pytest 9 (it renames `item._nodeid`, which pytest 9 no longer reads: the marks are
silently ignored), so `GroupScheduling` below reads the group from the module's source on
the controller, where there are node ids but no items. Every other test is its own unit,
handed to the next idle worker.

Mark a test `slow` when it takes seconds of waiting (a subprocess, a server, a timeout);
see docs/testing.md ("Running the kit's own tests").
"""

from __future__ import annotations

import ast
import functools
import gc
from pathlib import Path
from typing import Any

import pytest
from xdist.scheduler import LoadScopeScheduling


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "slow: waits seconds for subprocesses, servers or timeouts; scheduled first in `make test`",
    )


@pytest.hookimpl(trylast=True)  # after every other reordering (e.g. the suite's own)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)  # stable: keeps the order within


def pytest_collection_finish(session: pytest.Session) -> None:
    """Everything collection made lives until the end: keep the cyclic garbage collector off it.

    A worker holds some 200,000 objects after collecting the repository (the items, every module
    imported); each full collection walked them all again, and the planted-bug rows (nested suite
    sessions that import the suite afresh) trigger many. `gc.freeze()` moves them to the permanent
    generation; what the tests create later is collected as usual. 2026-11-30, the 65 planted-bug
    rows outside the state machine after collecting the whole repository, one process: 20.8 s of
    CPU without, 19.3 s with.
    """
    gc.freeze()


@functools.cache
def module_group(path: Path) -> str | None:
    """The name in a module-level `pytestmark` holding `xdist_group("name")`, if any."""
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"))
    except (OSError, SyntaxError, ValueError):
        return None
    for statement in tree.body:
        if not isinstance(statement, ast.Assign):
            continue
        if not any(isinstance(t, ast.Name) and t.id == "pytestmark" for t in statement.targets):
            continue
        for node in ast.walk(statement.value):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "xdist_group"
                and node.args
                and isinstance(node.args[0], ast.Constant)
            ):
                return str(node.args[0].value)
    return None


class GroupScheduling(LoadScopeScheduling):  # type: ignore[misc]
    """Each test is its own unit, except the tests of a module in an xdist_group: one unit."""

    def __init__(self, config: pytest.Config, log: Any = None) -> None:
        super().__init__(config, log)
        self.rootpath = config.rootpath

    def _split_scope(self, nodeid: str) -> str:
        group = module_group(self.rootpath / nodeid.split("::", 1)[0])
        return f"group:{group}" if group else nodeid


def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> LoadScopeScheduling | None:
    if config.getvalue("dist") != "loadgroup":
        return None  # any other --dist the user chose is xdist's own
    return GroupScheduling(config, log)
