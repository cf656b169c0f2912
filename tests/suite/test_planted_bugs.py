"""Every check can fail: the contract suite against mocks with one planted bug each.

The rows come from the one registry, ``tests/suite/bugs.py``: each names a
bug, the contract tests (a file and a ``-k`` expression) that must catch it,
and the stable id of the invariant the failure must report
(``Contract violated [<id>]`` from the suite's own checks, ``[<id>]`` from the
schemathesis checks). The suite runs **in this process** against the bug's app
(``--app tests.suite.bugs:<bug>``, only the named file collected, no shrinking,
no example database); it must exit 1 (tests failed: not a usage error, an
internal error or "no tests ran") and report that id. One more run checks that
the real mock passes the whole suite without a warning, so a row can never pass
because the suite fails anyway, and ``docs/planted-bugs.md`` is checked to hold
the registry's table.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from . import bugs
from .nested import SUITE, SuiteResult, run_suite_in_process

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs" / "planted-bugs.md"
TIMEOUT = 600  # seconds, for the one subprocess run of the whole suite


def run_against_bug(bug: str, catch: bugs.Catch) -> SuiteResult:
    path = f"{SUITE}/{catch.file}"
    options = ["-x", path, "--app", f"tests.suite.bugs:{bug}", "-k", catch.keyword, *catch.options]
    return run_suite_in_process(options)


def reported(output: str, rule: str) -> bool:
    """Does the output report a violation of invariant `rule` (by id, not by free text)?"""
    rule_id = re.escape(rule)
    # the suite's own failures, and the schemathesis checks' ("  |     [id] what must hold: ...")
    marker = re.compile(rf"(Contract violated \[{rule_id}\]:|^[\s|]*\[{rule_id}\] )", re.M)
    return marker.search(output) is not None


def tail(text: str, size: int = 6000) -> str:
    return text if len(text) <= size else "…" + text[-size:]


ROWS = list(bugs.rows())


@pytest.mark.parametrize(
    ("bug", "catch"),
    ROWS,
    ids=[f"{bug.name}-by-{catch.label}" for bug, catch in ROWS],
)
def test_the_suite_catches_the_planted_bug(bug: bugs.PlantedBug, catch: bugs.Catch) -> None:
    result = run_against_bug(bug.name, catch)
    assert result.exit_code == 1, f"exit code {result.exit_code} (1: tests failed)\n{tail(result.output)}"
    assert reported(result.output, catch.rule), (
        f"no violation of [{catch.rule}] reported\n{tail(result.output)}"
    )


def test_every_invariant_id_a_row_expects_exists() -> None:
    from contract_tests.rules import RULES_BY_ID

    suite_sources = "\n".join(p.read_text(encoding="utf-8") for p in (ROOT / SUITE).glob("*.py"))
    for _, catch in ROWS:
        assert catch.rule in RULES_BY_ID or f'rule="{catch.rule}"' in suite_sources, catch.rule


def test_the_registry_is_consistent() -> None:
    assert len(bugs.BUGS) == len(bugs.REGISTRY), "two bugs share a name"
    assert len(ROWS) == len({(bug.name, catch) for bug, catch in ROWS}), "a row is repeated"
    assert all(bug.catches for bug in bugs.REGISTRY), "a bug without a catching test"
    assert all(callable(getattr(bugs, name)) for name in bugs.BUGS)


def test_the_docs_table_is_the_registrys() -> None:
    text = DOCS.read_text(encoding="utf-8")
    assert bugs.table() in text, (
        f"{DOCS.relative_to(ROOT)} is out of date: paste the output of `python -m tests.suite.bugs --table`"
    )


def test_the_reference_mock_passes_the_whole_suite_without_warnings(
    tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    suite_dir = ROOT / SUITE
    config = request.config
    whole = not config.getoption("keyword") and not config.getoption("markexpr")
    if whole and any(suite_dir in Path(item.path).parents for item in request.session.items):
        # `make test` runs contract_tests in this very session against the reference mock, with
        # warnings as errors, and fails the session on anything left behind: the same proof.
        pytest.skip("this session runs contract_tests against the reference mock itself")
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONTRACT_")}
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH")) if p)
    # A private Hypothesis database: this run proves itself, whatever .hypothesis/ holds.
    env["HYPOTHESIS_STORAGE_DIRECTORY"] = str(tmp_path)
    command = [sys.executable, "-m", "pytest", SUITE, "-p", "no:cacheprovider", "-q", "-W", "error"]
    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=TIMEOUT)
    output = result.stdout + result.stderr
    assert result.returncode == 0, tail(output)
    assert "0 left behind" in result.stdout, tail(output)
    summary = result.stdout.strip().splitlines()[-1]
    assert " passed" in summary and "warning" not in summary, summary
    assert "warnings summary" not in result.stdout, tail(output)
