"""The load test's locust-free core: rule ids, reports, shared-contact bookkeeping, scopes."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from contract_tests.load.report import EXIT_CLEAN, EXIT_INCOMPLETE, EXIT_VIOLATED, Example, Report
from contract_tests.load.rules import RULES, RuleFailure, TargetFailure, rule_of, say
from contract_tests.load.scope import Scope
from contract_tests.load.shared import SharedContact
from contract_tests.model import fold, select

ROOT = Path(__file__).resolve().parents[2]


def _invariant_sentences() -> set[str]:
    """Every literal invariant sentence passed to expect/fail/expect_equal in invariants.py."""
    tree = ast.parse((ROOT / "contract_tests" / "invariants.py").read_text())
    sentences = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and getattr(node.func, "id", "") in ("expect", "expect_equal", "fail"):
            position = 2 if node.func.id == "expect_equal" else (1 if node.func.id == "expect" else 0)  # type: ignore[attr-defined]
            if len(node.args) > position and isinstance(node.args[position], ast.Constant):
                sentences.add(node.args[position].value)
    return sentences


def test_every_invariant_of_the_suite_is_filed_under_a_named_rule() -> None:
    sentences = _invariant_sentences()
    assert len(sentences) > 10
    unnamed = {s for s in sentences if rule_of(s) == "status"}
    assert unnamed == set(), (
        unnamed
    )  # only status checks fall back to "status", and those pass their own text


@pytest.mark.parametrize(
    ("invariant", "rule"),
    [
        (say("lost-update", "x"), "lost-update"),
        ("a contact has exactly the contract's fields", "shape"),
        ("a real change moves updated_at strictly forward", "updated-at"),
        ("a 404 has the code not_found", "shape"),
        ("something else entirely", "status"),
    ],
)
def test_rule_of(invariant: str, rule: str) -> None:
    assert rule_of(invariant) == rule


def test_failures_read_as_stable_rows() -> None:
    assert repr(RuleFailure("lost-update")) == f"contract[lost-update] {RULES['lost-update']}"
    assert repr(TargetFailure("timeout")).startswith("target[timeout] no contract verdict")
    with pytest.raises(KeyError):
        say("no-such-rule", "x")


def _example(rule: str) -> Example:
    return Example(rule, say(rule, "text"), "detail", "GET http://127.0.0.1/x", "curl ...")


@pytest.mark.parametrize(
    ("change", "code"),
    [
        (lambda r: None, EXIT_CLEAN),
        (lambda r: r.violation(_example("lost-update")), EXIT_VIOLATED),
        (lambda r: r.target_error("timeout"), EXIT_INCOMPLETE),
        (lambda r: r.left_behind.append("cont_x (500)"), EXIT_INCOMPLETE),
        (lambda r: (r.target_error("timeout"), r.violation(_example("status"))), EXIT_VIOLATED),
    ],
)
def test_exit_codes(change: object, code: int) -> None:
    report = Report()
    change(report)  # type: ignore[operator]
    assert report.exit_code() == code


def test_worker_snapshots_add_up_on_the_master() -> None:
    one, two = Report(checked=10, created=3), Report(checked=5, created=2, deleted_by_users=2)
    one.violation(_example("lost-update"))
    two.violation(_example("lost-update"))
    two.violation(_example("list-total"))
    total = Report.combined(one.snapshot(), two.snapshot())
    assert (total.checked, total.created, total.deleted_by_users) == (15, 5, 2)
    assert total.violations == {"lost-update": 2, "list-total": 1}
    summary = total.summary("ct00000000")
    assert summary.index("[lost-update] 2x") < summary.index("[list-total] 1x")  # the order of RULES
    assert "reproduce: curl ..." in summary and "exit code 1" in summary


def test_a_shared_field_may_show_the_acknowledged_value_or_one_in_flight() -> None:
    shared = SharedContact("tok", 2, "cont_1", {"position": "a"}, histories={"position": []})
    first = shared.sent("position", "b")
    assert shared.acceptable("position", 0.0, first.sent_at + 1) == ["a", "b"]  # in flight
    first.acked_at = first.sent_at + 0.5
    later = first.acked_at + 1
    assert shared.acceptable("position", later, later + 1) == ["b"]  # acknowledged before the read
    second = shared.sent("position", "c")
    second.uncertain = True  # never answered: may land any time
    third = shared.sent("position", "d")
    third.acked_at = third.sent_at
    assert set(shared.acceptable("position", third.sent_at + 1, third.sent_at + 2)) == {"d", "c"}


def test_scope_queries_reach_only_the_users_own_data() -> None:
    scope = Scope.new("ct12345678", "a", "beef", 3, seed=7)
    for _ in range(20):
        body = scope.new_body()
        contact = {"id": f"cont_{len(scope.contacts):032x}", "created_at": "2026-01-01T00:00:00Z", **body}
        contact["first_name"] = body["first_name"].strip()
        for name in ("email", "phone", "position", "company_id", "note"):
            contact.setdefault(name, None)
        scope.remember(contact)
    foreign = {
        **next(iter(scope.contacts.values())),
        "id": "cont_" + "f" * 32,
        "last_name": "山田 ct12345678xbeefu4z",  # another user's token, one digit off
        "email": "taro.ct12345678xbeefu4z@example.com",
        "company_id": "comp_" + "e" * 32,
    }
    for _ in range(200):
        query = scope.new_query()
        assert scope.token in fold(query.search) or query.company_id in scope.companies
        assert foreign not in select([*scope.contacts.values(), foreign], query)


def test_the_suite_never_imports_locust() -> None:
    code = (
        "import sys, contract_tests.load.checks, contract_tests.load.shared, contract_tests.conftest\n"
        "print('locust' in sys.modules, 'gevent' in sys.modules)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True
    )
    assert result.stdout.split() == ["False", "False"]
