"""Every check can fail: the contract suite against mocks with one planted bug each.

Each row names a factory of ``tests/suite/bugs.py``, a ``-k`` expression that
selects the contract tests that must catch that bug, and the invariant text the
failure must show (a substring of a ``Contract violated: ...`` line). The suite
runs in a subprocess with ``--app tests.suite.bugs:<factory>``; it must exit 1
(tests failed: not a usage error, an internal error or "no tests ran") and
name the invariant. One more run checks that the real mock passes the whole
suite without a warning, so a row can never pass because the suite fails anyway.

The subprocesses are started ahead, a few at a time, and each test waits for
its own; under pytest-xdist each test runs its own subprocess instead.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import pytest

from . import bugs

ROOT = Path(__file__).resolve().parents[2]
TIMEOUT = 240  # seconds, per run of the suite
STATE_MACHINE = "test_the_server_behaves_like_the_model"  # the slowest catching test (shrinking)

# (bug, -k expression of the catching contract tests, invariant text expected in the output)
ROWS: list[tuple[str, str, str]] = [
    # listing
    (
        "total_is_page_size",
        "test_pages_partition_the_result and 1-asc-created_at",
        "total is the filtered count on every page",
    ),
    (
        "offset_skips_one",
        "test_pages_partition_the_result and 5-asc-created_at",
        "pages together hold every match once",
    ),
    (
        "desc_ties_ascending",
        "test_desc_is_the_exact_reverse_of_asc and name",
        "sort=name: order=desc is exactly the reverse of order=asc (ties by id too)",
    ),
    (
        "company_filter_ignored_with_search",
        "test_company_filter_alone_and_with_search",
        "total counts the contacts of the company",
    ),
    (
        "limit_clamped",
        "test_limits_out_of_range_are_rejected and 201",
        "limit='201' is rejected with 400 (no clamping)",
    ),
    (
        "default_limit_20",
        "test_defaults_are_created_at_desc_limit_50",
        "default limit 50 and offset 0 are echoed",
    ),
    (
        "name_sort_case_sensitive",
        "test_sort_is_monotonic and name",
        "sort=name order=asc is ascending (NFKC + casefold for names)",
    ),
    # search (the ids name test_search_forms's rows)
    (
        "search_ignores_email",
        "test_search_forms and email and not upper and not full",
        "finds exactly ['taro']",
    ),
    (
        "search_without_nfkc",
        "test_search_forms and token-full-width",
        "finds exactly ['hanako', 'latin', 'taro']",
    ),
    (
        "search_case_sensitive",
        "test_search_forms and token-upper-case",
        "finds exactly ['hanako', 'latin', 'taro']",
    ),
    ("search_no_first_last_form", "test_search_forms and first-last-latin", "finds exactly ['latin']"),
    # writes
    (
        "patch_clobbers_unsent",
        "test_null_clears_an_optional_field and email",
        "PATCH {'email': null} clears email and nothing else",
    ),
    (
        "empty_patch_bumps_updated_at",
        "test_empty_patch_changes_nothing",
        "PATCH {} changes nothing, updated_at included",
    ),
    (
        "patch_null_ignored",
        "test_null_clears_an_optional_field and email",
        "PATCH {'email': null} clears email and nothing else",
    ),
    (
        "patch_accepts_null_name",
        "test_names_may_not_be_null_or_empty and null-first_name",
        "PATCH first_name=None is rejected",
    ),
    (
        "patch_moves_created_at",
        "test_a_real_change_moves_updated_at_and_nothing_else",
        "id and created_at never change",
    ),
    (
        "real_change_keeps_updated_at",
        "test_a_real_change_moves_updated_at_and_nothing_else",
        "a real change moves updated_at strictly forward",
    ),
    # The state machine and the property tests see the same bugs through random sequences.
    ("patch_moves_created_at", STATE_MACHINE, "id and created_at never change"),
    (
        "real_change_keeps_updated_at",
        "test_patch_changes_only_what_it_sends",
        "a real change moves updated_at",
    ),
    ("delete_is_noop", "test_delete_removes_the_contact_everywhere", "GET after DELETE is 404"),
    (
        "names_not_trimmed",
        "test_edge_values_are_accepted_as_given and value7",
        "first_name is stored as given (names trimmed)",
    ),
    (
        "unknown_fields_accepted",
        "test_invalid_fields_are_400_naming_the_field and nickname",
        "POST with an invalid nickname is 400",
    ),
    # organizations and credentials
    (
        "cross_org_read",
        "test_organizations_see_only_their_own_creations",
        "org A cannot read org B's contact",
    ),
    (
        "cross_org_403",
        "test_another_organization_cannot_touch_or_see_a_contact",
        "GET of another organization's contact is 404 (never 403)",
    ),
    (
        "any_bearer_accepted",
        "test_every_operation_requires_valid_credentials and list-wrong-token",
        "with wrong-token credentials is 401",
    ),
    (
        "cookie_ignored",
        "test_each_credential_style_works_for_every_operation and cookie",
        "POST works with the cookie credential",
    ),
    (
        "bearer_loses_to_cookie",
        "test_the_bearer_header_decides_over_the_cookie",
        "a valid Bearer header with a bad cookie is accepted (the header decides)",
    ),
    # statuses, headers and bodies
    ("no_location_header", "test_created_ids_are_fresh", "a 201 has Location /api/v1/crm/contacts/{id}"),
    ("create_returns_200", "test_created_ids_are_fresh", "POST creates a contact: 201"),
    (
        "not_found_wrong_shape",
        "test_an_unknown_path_is_404",
        'errors have the body {"error": {"code", "message"}}',
    ),
    (
        "malformed_json_500",
        "test_malformed_or_non_object_json_is_400 and open-brace",
        "malformed JSON or a non-object body is 400 validation_error",
    ),
    (
        "body_limit_off_by_one",
        "test_a_body_of_exactly_64_kib_is_accepted_and_one_byte_more_is_413",
        "a body of exactly 65,536 bytes is accepted",
    ),
    ("timestamps_with_offset", "test_created_ids_are_fresh", "timestamps are RFC 3339 in UTC with Z"),
    (
        "method_not_allowed_without_allow",
        "test_a_method_not_in_the_spec_is_405_with_allow",
        "405 carries an Allow header with the path's methods",
    ),
]

# Planted bugs the suite does not catch reliably today; each needs a new or sharper test.
UNCAUGHT: dict[str, str] = {}


def clean_env(hypothesis_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONTRACT_")}
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH")) if p)
    # A private Hypothesis database: examples that fail against a planted bug must not be
    # saved into the project's .hypothesis/ (nor replayed from it: each run proves itself).
    env["HYPOTHESIS_STORAGE_DIRECTORY"] = str(hypothesis_dir)
    return env


def run_suite(args: list[str], hypothesis_dir: Path) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "pytest", "contract_tests", "-p", "no:cacheprovider", "-q", *args]
    return subprocess.run(
        command, cwd=ROOT, env=clean_env(hypothesis_dir), capture_output=True, text=True, timeout=TIMEOUT
    )


def run_against_bug(bug: str, expr: str, hypothesis_dir: Path) -> subprocess.CompletedProcess[str]:
    return run_suite(["-x", "--app", f"tests.suite.bugs:{bug}", "-k", expr], hypothesis_dir)


class SuiteRuns:
    """Runs of the suite against planted bugs, started ahead in a small pool and awaited one by one."""

    def __init__(self, workers: int, directories: pytest.TempPathFactory) -> None:
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="planted-bug")
        self._directories = directories
        self._runs: dict[tuple[str, str], Future[subprocess.CompletedProcess[str]]] = {}

    def start(self, bug: str, expr: str) -> None:
        if (bug, expr) not in self._runs:
            directory = self._directories.mktemp(f"hypothesis-{bug}")
            self._runs[bug, expr] = self._pool.submit(run_against_bug, bug, expr, directory)

    def result(self, bug: str, expr: str) -> subprocess.CompletedProcess[str]:
        self.start(bug, expr)
        return self._runs[bug, expr].result()

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)


@pytest.fixture(scope="module")
def suite_runs(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[SuiteRuns]:
    under_xdist = hasattr(request.config, "workerinput")
    runs = SuiteRuns(1 if under_xdist else max(2, min(4, os.cpu_count() or 1)), tmp_path_factory)
    if not under_xdist:
        # Start every selected row now, so the subprocesses overlap; the slow ones first.
        selected = [row for row in map(_row_of, request.session.items) if row is not None]
        for bug, expr in sorted(selected, key=lambda row: STATE_MACHINE not in row[1]):
            runs.start(bug, expr)
    yield runs
    runs.close()


def _row_of(item: pytest.Item) -> tuple[str, str] | None:
    """(bug, expr) of a selected row of this module's table test."""
    callspec = getattr(item, "callspec", None)
    if getattr(item, "module", None) is not sys.modules[__name__] or callspec is None:
        return None
    if "bug" not in callspec.params:
        return None
    return str(callspec.params["bug"]), str(callspec.params["expr"])


def violations(output: str) -> list[str]:
    """The invariants the output reports as violated (not the test source pytest echoes)."""
    marker = "Contract violated: "
    return [line.split(marker, 1)[1] for line in output.splitlines() if marker in line]


def tail(text: str, size: int = 6000) -> str:
    return text if len(text) <= size else "…" + text[-size:]


@pytest.mark.parametrize(
    ("bug", "expr", "invariant"), ROWS, ids=[f"{bug}-by-{expr.split()[0]}" for bug, expr, _ in ROWS]
)
def test_the_suite_catches_the_planted_bug(
    suite_runs: SuiteRuns, bug: str, expr: str, invariant: str
) -> None:
    result = suite_runs.result(bug, expr)
    output = result.stdout + result.stderr
    assert result.returncode == 1, f"exit code {result.returncode} (1: tests failed)\n{tail(output)}"
    reported = violations(result.stdout)
    assert any(invariant in text for text in reported), (
        f"no 'Contract violated: ...{invariant}...' line; violations: {reported}\n{tail(output)}"
    )


def test_every_planted_bug_has_a_row_or_a_reason() -> None:
    rows = {row[0] for row in ROWS}
    assert len(ROWS) == len({(bug, expr) for bug, expr, _ in ROWS}), "a row is repeated"
    assert not rows & set(UNCAUGHT), "a bug is both caught and uncaught"
    assert sorted([*rows, *UNCAUGHT]) == sorted(bugs.BUGS)
    assert all(callable(getattr(bugs, name)) for name in bugs.BUGS)


def test_the_reference_mock_passes_the_whole_suite_without_warnings(tmp_path: Path) -> None:
    result = run_suite(["-W", "error"], tmp_path)
    output = result.stdout + result.stderr
    assert result.returncode == 0, tail(output)
    assert "0 left behind" in result.stdout, tail(output)
    summary = result.stdout.strip().splitlines()[-1]
    assert " passed" in summary and "warning" not in summary, summary
    assert "warnings summary" not in result.stdout, tail(output)
