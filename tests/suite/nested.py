"""Run the contract suite inside this pytest process (a nested session), for the self-tests.

Cheaper than a subprocess per run (no interpreter start, no re-import of
schemathesis, Hypothesis, Starlette): only the suite's own modules are imported
afresh, and the outer session's are put back afterwards.
"""

from __future__ import annotations

import contextlib
import io
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from _pytest.unraisableexception import gc_collect_iterations_key
from hypothesis import settings

from contract_tests.workers import worker_options

ROOT = Path(__file__).resolve().parents[2]
SUITE = "contract_tests"


@dataclass(frozen=True)
class SuiteResult:
    exit_code: int
    output: str


@contextlib.contextmanager
def _fresh_suite_modules() -> Iterator[None]:
    """The suite's modules imported afresh for a nested run, and the outer ones restored after.

    The suite builds per-run things at import (parametrized data from the spec under
    test, the schemathesis schema) and keeps the session's Run in its plugin module;
    a nested session must not see the outer session's (and vice versa).
    """
    mine = {name: mod for name, mod in sys.modules.items() if name == SUITE or name.startswith(SUITE + ".")}
    for name in mine:
        del sys.modules[name]
    profile = getattr(settings, "_current_profile", None) or "default"
    try:
        yield
    finally:
        for name in [n for n in sys.modules if n == SUITE or n.startswith(SUITE + ".")]:
            del sys.modules[name]
        sys.modules.update(mine)
        settings.load_profile(profile)


class _NoForcedCollection:
    """No full garbage collection when the nested session ends (pytest's own `pytester` does the same).

    pytest's unraisable-exception plugin runs `gc.collect()` at the end of every session, to
    report exceptions raised in finalizers. In a nested run that collects the whole heap of
    the outer session (its thousands of items, every module it imported): 0.27 s of CPU per
    nested run, a third of a cheap planted-bug row (2026-11-30, 20 rows under cProfile: 10.7 of
    34.6 s). The hook that reports unraisable exceptions stays; they are reported when they
    happen, as in any test, and the outer session still collects at its own end.
    """

    @staticmethod
    def pytest_configure(config: pytest.Config) -> None:
        config.stash[gc_collect_iterations_key] = 0


def run_suite_in_process(args: list[str]) -> SuiteResult:
    """`pytest contract_tests ...` in this process; its report is returned, not printed."""
    buffer = io.StringIO()
    with (
        _fresh_suite_modules(),
        contextlib.chdir(ROOT),
        contextlib.redirect_stdout(buffer),
        contextlib.redirect_stderr(buffer),
    ):
        # The nested session finds the kit's pytest11 plugin and would mark its package for
        # assertion rewriting; the outer session imported it already, which is expected here.
        # worker_options(): the options the suite gives its own worker processes. `--assert=plain`
        # above all: the suite's modules are imported afresh for each nested run, and rewriting
        # their asserts cost ~0.3 s of CPU a run (a third of a cheap planted-bug row); the verdicts
        # are never bare asserts (`Contract violated [id]`, schemathesis's `[id]`).
        code = pytest.main(
            [
                *("-p", "no:cacheprovider", "-p", "tests.suite.noshrink", "--capture=no", "-q"),
                *worker_options(),
                *("-W", "ignore::pytest.PytestAssertRewriteWarning", *args),
            ],
            plugins=[_NoForcedCollection()],
        )
    return SuiteResult(int(code), buffer.getvalue())
