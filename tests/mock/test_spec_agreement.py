"""An independent, spec-driven validator (openapi-core) agrees with the contract's answers.

For every operation, a table of requests and the status the contract gives them.
Each request is sent to the mock, and openapi-core, which knows only
`openapi.yaml`, judges both sides:

- the mock's response must validate (status documented for the operation, body
  and headers fit their schemas);
- a request the contract answers 2xx or 404 must validate as a request: a
  spec-driven server or proxy (Prism, a generated backend) would otherwise
  answer it 400/422 where the contract says 404 (the malformed-id disagreement);
- a request the contract answers 400, 401 or 415 must fail request validation:
  the spec itself says it is wrong. (413 is a size limit, `x-max-body-bytes`,
  which no OpenAPI keyword expresses.)
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

import pytest
import yaml
from mockkit import COLLECTION, DOCUMENTED_ID, MAX_BODY, TOKEN_A, UNKNOWN_ID, Api, item
from openapi_core import OpenAPI
from openapi_core.testing import MockRequest, MockResponse

from mock_server import DEFAULT_SPEC_PATH

MAX_HEADERS = 16384  # x-max-header-bytes
OPENAPI = OpenAPI.from_dict(yaml.safe_load(DEFAULT_SPEC_PATH.read_text(encoding="utf-8")))
HOST = "http://127.0.0.1:4010"  # one of the spec's servers; nothing is sent there
MALFORMED_IDS = ["cont_123", "cont_" + "B" * 32, "comp_" + "a" * 32, "x", "cont_" + "b" * 33, "%E5%B1%B1"]
VALID_CREATE = {"first_name": "Emily", "last_name": "Carter", "email": None}
PATCH_NULL = {"phone": None, "note": None}


@dataclass(frozen=True)
class Case:
    name: str
    method: str
    path: str
    pattern: str  # the spec's path template
    status: int  # what the contract answers
    body: Any = None  # JSON value, or raw bytes
    headers: dict[str, str] = field(default_factory=dict)
    token: str | None = TOKEN_A
    query: dict[str, str] = field(default_factory=dict)


ITEM = COLLECTION + "/{id}"


def _cases() -> list[Case]:
    cases = [
        Case("list", "GET", COLLECTION, COLLECTION, 200),
        Case("list-search", "GET", COLLECTION, COLLECTION, 200, query={"search": "山田", "limit": "5"}),
        Case("list-limit-500", "GET", COLLECTION, COLLECTION, 400, query={"limit": "500"}),
        Case("list-bad-sort", "GET", COLLECTION, COLLECTION, 400, query={"sort": "email"}),
        Case("list-no-token", "GET", COLLECTION, COLLECTION, 401, token=None),
        Case("create", "POST", COLLECTION, COLLECTION, 201, VALID_CREATE),
        Case("create-bad-email", "POST", COLLECTION, COLLECTION, 400, {**VALID_CREATE, "email": "nope"}),
        Case("create-unknown-field", "POST", COLLECTION, COLLECTION, 400, {**VALID_CREATE, "nick": "x"}),
        Case("create-no-token", "POST", COLLECTION, COLLECTION, 401, VALID_CREATE, token=None),
        Case("create-too-large", "POST", COLLECTION, COLLECTION, 413, b"{" + b" " * MAX_BODY + b"}"),
        Case(
            "create-text-plain",
            "POST",
            COLLECTION,
            COLLECTION,
            415,
            b'{"first_name": "A", "last_name": "B"}',
            headers={"Content-Type": "text/plain"},
        ),
    ]
    for op, method, ok_body in [
        ("get", "GET", None),
        ("patch", "PATCH", PATCH_NULL),
        ("delete", "DELETE", None),
    ]:
        cases += [
            Case(f"{op}-known", method, item(DOCUMENTED_ID), ITEM, 200, ok_body),
            Case(f"{op}-unknown", method, item(UNKNOWN_ID), ITEM, 404, ok_body),
            Case(f"{op}-no-token", method, item(DOCUMENTED_ID), ITEM, 401, ok_body, token=None),
        ]
        cases += [
            Case(f"{op}-malformed-{i}", method, item(bad), ITEM, 404, ok_body)
            for i, bad in enumerate(MALFORMED_IDS)
        ]
    cases += [
        Case("patch-empty", "PATCH", item(DOCUMENTED_ID), ITEM, 200, {}),
        Case("patch-null-name", "PATCH", item(DOCUMENTED_ID), ITEM, 400, {"first_name": None}),
        Case("patch-malformed-id-bad-body", "PATCH", item("cont_1"), ITEM, 400, {"email": "nope"}),
        Case("patch-too-large", "PATCH", item(DOCUMENTED_ID), ITEM, 413, b"{" + b" " * MAX_BODY + b"}"),
        Case(
            "patch-text-plain", "PATCH", item(DOCUMENTED_ID), ITEM, 415, b"{}", {"Content-Type": "text/plain"}
        ),
    ]
    # Headers over the spec's x-max-header-bytes: 431 on every operation, before anything else.
    big = {"X-Filler": "f" * (MAX_HEADERS + 1)}
    cases += [
        Case("list-headers-too-large", "GET", COLLECTION, COLLECTION, 431, headers=big),
        Case("create-headers-too-large", "POST", COLLECTION, COLLECTION, 431, VALID_CREATE, headers=big),
        Case("get-headers-too-large", "GET", item(DOCUMENTED_ID), ITEM, 431, headers=big),
        Case("patch-headers-too-large", "PATCH", item(DOCUMENTED_ID), ITEM, 431, PATCH_NULL, headers=big),
        Case("delete-headers-too-large", "DELETE", item(DOCUMENTED_ID), ITEM, 431, headers=big),
    ]
    return cases


CASES = _cases()


def _send(api: Api, case: Case) -> tuple[MockRequest, MockResponse, int]:
    headers = dict(case.headers)
    raw: bytes | None = None
    if case.body is not None:
        raw = case.body if isinstance(case.body, bytes) else json.dumps(case.body).encode()
        headers.setdefault("Content-Type", "application/json")
    response = api.request(
        case.method, case.path, token=case.token, headers=headers, params=case.query, content=raw
    )
    sent_headers = {**headers, **({"Authorization": f"Bearer {case.token}"} if case.token else {})}
    request = MockRequest(
        HOST,
        case.method,
        unquote(case.path),  # what a server framework sees, as the mock does
        path_pattern=case.pattern,
        args=case.query,
        view_args={"id": unquote(case.path.rsplit("/", 1)[1])} if case.pattern == ITEM else None,
        headers=sent_headers,
        data=raw,
        content_type=headers.get("Content-Type", "application/json"),
    )
    answer = MockResponse(
        response.content,
        status_code=response.status_code,
        headers=dict(response.headers),
        content_type=response.headers.get("content-type", ""),
    )
    return request, answer, response.status_code


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_openapi_core_agrees_with_the_contract(api: Api, case: Case) -> None:
    request, response, status = _send(api, case)
    assert status == case.status, f"the mock answered {status}, the contract says {case.status}"
    response_errors = list(OPENAPI.iter_response_errors(request, response))
    assert response_errors == [], f"the mock's {status} breaks the spec: {response_errors}"
    request_errors = list(OPENAPI.iter_request_errors(request))
    if case.status < 300 or case.status == 404:
        assert request_errors == [], (
            f"a spec-driven validator refuses a request the contract answers {case.status}: "
            f"{[repr(e) for e in request_errors]}"
        )
    elif case.status in (400, 401, 415):
        assert request_errors, f"the spec accepts a request the contract refuses with {case.status}"


def test_the_table_covers_every_documented_status_of_every_operation(api: Api) -> None:
    covered = {(c.method, c.pattern, c.status) for c in CASES}
    spec = api.app.state.mock.spec
    missing = [
        (op.operation_id, status)
        for op in spec.operations
        for status in op.documented_statuses
        if (op.method, op.path, status) not in covered
    ]
    assert missing == []
