"""The mock never answers a status its spec does not document for the operation.

Whatever `Prefer` says (codes documented or not, examples that exist or not,
malformed values, combinations), with or without credentials, for known, unknown
and malformed ids and for valid and invalid bodies: the answered status is one
of the operation's documented statuses. Typed clients generated from the spec
then always get a typed answer. The one exception is chaos testing
(`--error-rate`), which the operator asks for; those answers are marked
`X-Mock-Injected`.
"""

from __future__ import annotations

import itertools
import json
from typing import Any

import pytest
from devkit import build
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from mockkit import DOCUMENTED_ID, UNKNOWN_ID, Api

from mock_server.fixtures import Seed
from mock_server.spec import Operation, Spec

IDS = [DOCUMENTED_ID, UNKNOWN_ID, "cont_123", "CONT_" + "B" * 32]
BODIES: list[Any] = [None, {"first_name": "Emily", "last_name": "Carter"}, {"first_name": ""}, "[1]"]


def _example_names(spec: Spec) -> set[str]:
    names = set()
    for op in spec.operations:
        for response in op.responses.values():
            media = response.get("content", {}).get("application/json", {})
            names |= set(media.get("examples", {}))
            if "example" in media:
                names.add("example")
    return names


def prefer_variants(spec: Spec) -> list[str]:
    """Every documented code of any operation, undocumented and malformed ones, every example name."""
    codes = sorted({code for op in spec.operations for code in op.documented_statuses})
    codes += [100, 204, 302, 405, 418, 422, 500, 503]
    code_forms = [f"code={code}" for code in codes] + ["code=abc", "code=4040", "code="]
    example_forms = [f"example={name}" for name in sorted(_example_names(spec))] + ["example=nope"]
    other = ["dynamic=true", "dynamic=maybe", "delay=1", "delay=soon", "delay=99999999", "return=minimal"]
    combined = [
        f"{code}, {example}" for code, example in itertools.product(code_forms[:8], example_forms)
    ] + [f"{code}, dynamic=true" for code in code_forms]
    return ["", *code_forms, *example_forms, *other, *combined]


def _send(api: Api, op: Operation, contact_id: str, prefer: str, body: Any, token: bool) -> int:
    path = op.path.replace("{id}", contact_id)
    headers = {"Prefer": prefer} if prefer else {}
    content = None
    if op.request_body is not None and body is not None:
        headers["Content-Type"] = "application/json"
        content = body.encode() if isinstance(body, str) else json.dumps(body).encode()
    kwargs: dict[str, Any] = {} if token else {"token": None}
    response = api.request(op.method, path, headers=headers, content=content, **kwargs)
    if op.method == "DELETE":
        api.app.state.mock.reset()  # the documented contact stays there for the next variants
    return response.status_code


def test_every_prefer_variant_answers_a_documented_status(api: Api, spec: Spec) -> None:
    undocumented = []
    for op in spec.operations:
        ids = IDS if "{id}" in op.path else [""]
        bodies = BODIES if op.request_body is not None else [None]
        for prefer in prefer_variants(spec):
            for contact_id, body in itertools.product(ids, bodies):
                status = _send(api, op, contact_id, prefer, body, token=True)
                if status not in op.documented_statuses:
                    undocumented.append((op.operation_id, contact_id, prefer, body, status))
        for prefer in ["code=200", "code=418", "example=empty", "delay=soon"]:
            status = _send(api, op, DOCUMENTED_ID, prefer, BODIES[1], token=False)
            if status not in op.documented_statuses:
                undocumented.append((op.operation_id, "no token", prefer, None, status))
    assert undocumented == []


_TOKEN = st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E, exclude_characters=",;="), max_size=12)
_PREFERENCE = st.tuples(
    st.sampled_from(["code", "example", "dynamic", "delay", "return", "Code", "DELAY"]) | _TOKEN,
    _TOKEN | st.integers(0, 999).map(str),
).map(lambda pair: f"{pair[0]}={pair[1]}")


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    operation_index=st.integers(0, 4),
    preferences=st.lists(_PREFERENCE, max_size=4),
    contact_id=st.sampled_from(IDS),
    body=st.sampled_from(BODIES),
)
def test_any_prefer_header_answers_a_documented_status(
    api: Api, spec: Spec, operation_index: int, preferences: list[str], contact_id: str, body: Any
) -> None:
    op = spec.operations[operation_index]
    prefer = ", ".join(p for p in preferences if not p.lower().startswith("delay=") or p[6:] in ("0", "1"))
    status = _send(api, op, contact_id, prefer, body, token=True)
    assert status in op.documented_statuses, (op.operation_id, prefer, status)


@pytest.mark.parametrize("error_status", [503, 500, 429, 404, 401])
def test_chaos_is_the_only_undocumented_answer_and_it_is_marked(
    spec: Spec, seed: Seed, error_status: int
) -> None:
    api = build(spec, seed, error_rate=0.5, error_status=error_status)
    seen_injected = 0
    for op, _ in itertools.product(spec.operations, range(8)):
        path = op.path.replace("{id}", UNKNOWN_ID)
        response = api.request(op.method, path, json={"first_name": "A", "last_name": "B"})
        injected = response.headers.get("x-mock-injected") == "error-rate"
        seen_injected += injected
        assert injected or response.status_code in op.documented_statuses, (op.operation_id, response)
        if injected:
            assert response.status_code == error_status and response.headers["retry-after"] == "1"
    assert seen_injected > 0


def test_without_chaos_nothing_is_marked_injected(api: Api, spec: Spec) -> None:
    for op in spec.operations:
        response = api.request(op.method, op.path.replace("{id}", DOCUMENTED_ID), json={})
        assert "x-mock-injected" not in response.headers
