"""The per-response rules: each fires on its fault (by id) and keeps silent on a correct answer."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from contract_tests import contract
from contract_tests.rules import RULES, RULES_BY_ID, Answer, RuleBroken, check_answer

C = contract.default()
CONTACT = {
    "id": "cont_" + "a" * 32,
    "first_name": "太郎",
    "last_name": "山田",
    "email": None,
    "phone": None,
    "position": None,
    "company_id": None,
    "note": None,
    "created_at": "2026-01-20T10:00:00Z",
    "updated_at": "2026-01-20T10:00:00.5Z",
}
JSON = {"content-type": "application/json"}
ITEM = C.contact_path(CONTACT["id"])
OTHER_ITEM = C.contact_path("cont_" + "b" * 32)


def answer(method: str, path: str, status: int, body: Any, headers: dict[str, str] | None = None) -> Answer:
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    return Answer(method, path, status, {**JSON, **(headers or {})}, content)


def error(status: int, code: str, **extra: Any) -> dict[str, Any]:
    return {"error": {"code": code, "message": "m", **extra}}


_SIZED = json.dumps({"contact": CONTACT}).encode()

CORRECT = [
    answer("GET", ITEM, 200, _SIZED, {"content-length": str(len(_SIZED))}),
    answer("GET", ITEM, 200, _SIZED, {"content-length": "1", "content-encoding": "gzip"}),  # decoded
    answer("HEAD", ITEM, 200, b"", {"content-length": str(len(_SIZED))}),
    answer("GET", C.collection_path, 200, {"items": [CONTACT], "total": 1, "limit": 50, "offset": 0}),
    answer("POST", C.collection_path, 201, {"contact": CONTACT}, {"location": ITEM}),
    answer("POST", C.collection_path, 201, {"contact": CONTACT}, {"location": "https://api.test" + ITEM}),
    answer("GET", ITEM, 404, error(404, "not_found")),
    answer("PATCH", ITEM, 400, error(400, "validation_error", details=[{"field": "email", "message": "m"}])),
    answer("PUT", C.collection_path, 405, error(405, "method_not_allowed"), {"allow": "GET, POST"}),
    answer("GET", "/api/v2/anything", 404, error(404, "not_found")),
    answer("HEAD", C.collection_path, 405, b"", {"allow": "GET, POST"}),
]


@pytest.mark.parametrize("good", CORRECT, ids=[f"{a.method}-{a.status}" for a in CORRECT])
def test_a_correct_answer_breaks_no_rule(good: Answer) -> None:
    check_answer(C, good)


BROKEN = [
    ("no-server-error", answer("GET", ITEM, 500, b"oops", {"content-type": "text/plain"})),
    ("documented-status", answer("POST", C.collection_path, 200, {"contact": CONTACT})),
    ("documented-status", answer("GET", ITEM, 403, error(403, "forbidden"))),
    ("json-responses", answer("GET", ITEM, 200, {"contact": CONTACT}, {"content-type": "text/html"})),
    ("error-shape", answer("GET", "/nope", 404, {"message": "Not found"})),
    ("error-code-per-status", answer("GET", ITEM, 404, error(404, "missing"))),
    ("validation-details", answer("PATCH", ITEM, 400, error(400, "validation_error"))),
    ("contact-fields", answer("GET", ITEM, 200, {"contact": {**CONTACT, "organization": "org"}})),
    ("contact-id-pattern", answer("GET", ITEM, 200, {"contact": {**CONTACT, "id": "cont_X"}})),
    (
        "timestamps-utc-z",
        answer("GET", ITEM, 200, {"contact": {**CONTACT, "created_at": "2026-01-20T10:00:00+00:00"}}),
    ),
    ("location-on-201", answer("POST", C.collection_path, 201, {"contact": CONTACT})),
    (
        "location-on-201",
        answer(
            "POST",
            C.collection_path,
            201,
            {"contact": CONTACT},
            {"location": OTHER_ITEM},
        ),
    ),
    ("allow-on-405", answer("PUT", C.collection_path, 405, error(405, "method_not_allowed"))),
    ("content-length", answer("GET", ITEM, 200, {"contact": CONTACT}, {"content-length": "None"})),
    ("content-length", answer("GET", ITEM, 200, {"contact": CONTACT}, {"content-length": "1"})),
]


@pytest.mark.parametrize(("rule", "bad"), BROKEN, ids=[f"{rule}-{i}" for i, (rule, _) in enumerate(BROKEN)])
def test_each_rule_fires_on_its_fault(rule: str, bad: Answer) -> None:
    with pytest.raises(RuleBroken) as raised:
        check_answer(C, bad)
    assert raised.value.rule == rule
    assert str(raised.value).startswith(f"[{rule}] {RULES_BY_ID[rule].title}: ")


def test_every_rule_has_a_case_and_a_unique_id() -> None:
    assert len(RULES_BY_ID) == len(RULES)
    assert {rule for rule, _ in BROKEN} == set(RULES_BY_ID)


def test_the_rules_are_registered_as_schemathesis_checks() -> None:
    from schemathesis.checks import CHECKS

    from contract_tests import checks

    registered = set(CHECKS.get_all_names())
    assert set(checks.CHECK_NAMES) == set(RULES_BY_ID) <= registered


def test_every_rule_id_is_documented() -> None:
    docs = (Path(__file__).resolve().parents[2] / "docs" / "planted-bugs.md").read_text(encoding="utf-8")
    assert [rule.id for rule in RULES if f"| `{rule.id}` |" not in docs] == []
