"""Errors: every bad request gets the contract's status, code and body, and changes nothing."""

from __future__ import annotations

import secrets
from typing import Any

import pytest

from .client import ApiClient, contact_path
from .contract import active
from .failures import expect, expect_equal
from .invariants import check_error, contact_of, page_of
from .strategies import Scope

CONTRACT = active()
COLLECTION = CONTRACT.collection_path
LIMIT = CONTRACT.max_body_bytes  # x-max-body-bytes: LIMIT bytes accepted, LIMIT + 1 get 413


def padded_body(size: int, scope: Scope) -> bytes:
    """A valid JSON object of exactly `size` bytes (white space pads it)."""
    core = f'{{"first_name": "Padded", "last_name": "Body{scope.token}"}}'.encode()
    return core[:-1] + b" " * (size - len(core)) + b"}"


@pytest.fixture
def existing(api: ApiClient, run: Any, scope: Scope) -> dict[str, Any]:
    if run.settings.read_only:
        pytest.skip("read-only run: needs a contact of its own")
    return contact_of(
        api.create({"first_name": "美咲", "last_name": f"高橋{scope.token}"}), 201, "POST creates"
    )


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("PUT", COLLECTION, {"GET", "POST"}),
        ("DELETE", COLLECTION, {"GET", "POST"}),
        ("PATCH", COLLECTION, {"GET", "POST"}),
        ("PUT", contact_path("cont_" + "0" * 32), {"GET", "PATCH", "DELETE"}),
        ("POST", contact_path("cont_" + "0" * 32), {"GET", "PATCH", "DELETE"}),
    ],
)
def test_a_method_not_in_the_spec_is_405_with_allow(
    api: ApiClient, method: str, path: str, allowed: set[str]
) -> None:
    exchange = api.request(method, path, json={} if method in ("PUT", "POST", "PATCH") else None)
    check_error(exchange, 405, f"{method} {path} is 405")
    header = exchange.response.headers.get("allow", "")
    listed = {m.strip().upper() for m in header.split(",") if m.strip()}
    expect(
        allowed <= listed and method not in listed,
        "405 carries an Allow header with the path's methods",
        exchange,
        f"Allow: {header!r}",
        rule="allow-on-405",
    )


@pytest.mark.parametrize(
    "path", ["/api/v1/crm/contact", "/api/v1/crm/contacts/cont_x/extra", "/api/v2/crm/contacts"]
)
def test_an_unknown_path_is_404(api: ApiClient, path: str) -> None:
    check_error(api.request("GET", path), 404, f"GET {path} is 404")


@pytest.mark.parametrize(
    "contact_id",
    [
        "cont_" + secrets.token_hex(16),
        "cont_123",
        "cont_" + "A" * 32,
        "comp_" + "a" * 32,
        "12345",
        "cont_%2e%2e",
    ],
    ids=["unknown", "short", "upper-case", "company-id", "digits", "encoded-dots"],
)
@pytest.mark.parametrize("method", ["GET", "PATCH", "DELETE"])
def test_unknown_and_malformed_ids_are_404(api: ApiClient, run: Any, contact_id: str, method: str) -> None:
    if method != "GET" and run.settings.read_only:
        pytest.skip("read-only run")
    exchange = api.request(method, contact_path(contact_id), json={} if method == "PATCH" else None)
    check_error(exchange, 404, f"{method} of an unknown or malformed id is 404")


@pytest.mark.writes
def test_a_body_at_the_limit_is_accepted_and_one_byte_more_is_413(api: ApiClient, scope: Scope) -> None:
    headers = {"Content-Type": "application/json"}
    at_limit = api.request("POST", COLLECTION, content=padded_body(LIMIT, scope), headers=headers)
    contact_of(at_limit, 201, f"a body of exactly {LIMIT:,} bytes is accepted", rule="body-size-limit")
    over = api.request("POST", COLLECTION, content=padded_body(LIMIT + 1, scope), headers=headers)
    check_error(over, 413, f"a body of {LIMIT + 1:,} bytes is 413", rule="body-size-limit")
    expect_equal(
        page_of(api.list({"search": scope.token}))["total"], 1, "a refused body creates nothing", over
    )


@pytest.mark.writes
def test_an_oversized_patch_is_413_and_changes_nothing(api: ApiClient, existing: dict[str, Any]) -> None:
    body = b'{"note": "' + b"x" * LIMIT + b'"}'
    exchange = api.request(
        "PATCH", contact_path(existing["id"]), content=body, headers={"Content-Type": "application/json"}
    )
    check_error(exchange, 413, f"a PATCH body over {LIMIT:,} bytes is 413")
    after = api.get(existing["id"])
    expect_equal(contact_of(after, 200, "GET"), existing, "a refused PATCH changes nothing", after)


@pytest.mark.writes
@pytest.mark.parametrize(
    "content_type",
    [None, "text/plain", "application/x-www-form-urlencoded", "application/xml", "multipart/form-data"],
)
@pytest.mark.parametrize("method", ["POST", "PATCH"])
def test_non_json_content_types_are_415(
    api: ApiClient, existing: dict[str, Any], content_type: str | None, method: str
) -> None:
    path = COLLECTION if method == "POST" else contact_path(existing["id"])
    headers = {"Content-Type": content_type} if content_type else {}
    body = b'{"first_name": "x", "last_name": "y"}' if method == "POST" else b'{"note": "changed"}'
    exchange = api.request(method, path, content=body, headers=headers)
    check_error(exchange, 415, f"{method} with Content-Type {content_type or '(missing)'} is 415")


@pytest.mark.writes
@pytest.mark.parametrize(
    "content_type",
    ["application/json; charset=utf-8", "application/merge-patch+json", "application/vnd.api+json"],
)
def test_json_media_types_are_accepted(api: ApiClient, existing: dict[str, Any], content_type: str) -> None:
    exchange = api.request(
        "PATCH",
        contact_path(existing["id"]),
        content=b'{"position": "CTO"}',
        headers={"Content-Type": content_type},
    )
    contact_of(exchange, 200, f"Content-Type {content_type} is accepted")


@pytest.mark.writes
@pytest.mark.parametrize(
    "body",
    [
        b"{",
        b'{"first_name": "x",',
        b"not json",
        b"",
        b'{"first_name": "x"}}',
        b"\xff\xfe{}",
        b"[]",
        b'"text"',
        b"1",
        b"null",
        b"true",
    ],
    ids=[
        "open-brace",
        "truncated",
        "words",
        "empty",
        "trailing",
        "invalid-utf8",
        "array",
        "string",
        "number",
        "null",
        "boolean",
    ],
)
def test_malformed_or_non_object_json_is_400(api: ApiClient, scope: Scope, body: bytes) -> None:
    exchange = api.request("POST", COLLECTION, content=body, headers={"Content-Type": "application/json"})
    check_error(
        exchange,
        400,
        "malformed JSON or a non-object body is 400 validation_error",
        rule="malformed-json-400",
    )


INVALID_FIELDS = [
    ("first_name", 123),
    ("first_name", "x" * 101),
    ("last_name", ["山田"]),
    ("email", "not-an-email"),
    ("email", "a@"),
    ("email", "@example.com"),
    ("email", "taro@example.com " * 20),
    ("email", "a" * 250 + "@example.com"),
    ("phone", "090-1234-567a"),
    ("phone", "1" * 33),
    ("phone", 9012345678),
    ("position", "x" * 101),
    ("company_id", "comp_123"),
    ("company_id", "COMP_" + "a" * 32),
    ("note", "x" * 2001),
    ("note", {"text": "x"}),
    ("nickname", "Taro"),
    ("id", "cont_" + "a" * 32),
    ("created_at", "2026-01-01T00:00:00Z"),
]


@pytest.mark.writes
@pytest.mark.parametrize(
    ("field", "value"), INVALID_FIELDS, ids=[f"{f}-{i}" for i, (f, _) in enumerate(INVALID_FIELDS)]
)
def test_invalid_fields_are_400_naming_the_field(
    api: ApiClient, existing: dict[str, Any], scope: Scope, field: str, value: Any
) -> None:
    body = {"first_name": "x", "last_name": f"y{scope.token}", field: value}
    created = api.create(body)
    error = check_error(created, 400, f"POST with an invalid {field} is 400", rule="invalid-field-rejected")
    expect(
        any(field in detail["field"] or field in detail["message"] for detail in error["details"]),
        "validation details name the invalid field",
        created,
        f"details: {error['details']}",
    )
    patched = api.patch(existing["id"], {field: value})
    check_error(patched, 400, f"PATCH with an invalid {field} is 400", rule="invalid-field-rejected")
    after = api.get(existing["id"])
    expect_equal(contact_of(after, 200, "GET"), existing, "a rejected PATCH changes nothing", after)
    expect_equal(
        page_of(api.list({"search": scope.token}))["total"], 1, "a rejected POST creates nothing", created
    )


@pytest.mark.writes
@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("phone", ""),
        ("position", ""),
        ("note", ""),
        ("phone", "+81 (90) 1234-5678"),
        ("email", None),
        ("note", "x" * 2000),
        ("first_name", "x" * 100),
        ("first_name", "  " + "x" * 100 + "  "),
        ("first_name", "\t\u3000" + "x" * 100 + "\u3000 \t"),
    ],
)
def test_edge_values_are_accepted_as_given(api: ApiClient, scope: Scope, field: str, value: Any) -> None:
    body = {"first_name": "x", "last_name": f"y{scope.token}", field: value}
    contact = contact_of(
        api.create(body), 201, f"POST with {field}={str(value)[:20]!r} is accepted", rule="stored-as-given"
    )
    expected = value.strip() if field == "first_name" else value
    expect_equal(
        contact[field], expected, f"{field} is stored as given (names trimmed)", None, rule="stored-as-given"
    )


# The contract's precedence: 404 path > 405 > 401 > 413 > 415 > malformed JSON > validation > unknown id.
@pytest.mark.writes
@pytest.mark.parametrize(
    ("case", "expected"),
    [
        ("unauthenticated+oversized", 401),
        ("oversized+wrong-type", 413),
        ("wrong-type+malformed", 415),
        ("malformed+unknown-id", 400),
        ("invalid-field+unknown-id", 400),
        ("unauthenticated+unknown-method", 405),
    ],
)
def test_precedence_when_several_things_are_wrong(api: ApiClient, case: str, expected: int) -> None:
    unknown = contact_path("cont_" + secrets.token_hex(16))
    big = b'{"note": "' + b"x" * LIMIT + b'"}'
    json_type = {"Content-Type": "application/json"}
    requests = {
        "unauthenticated+oversized": ("PATCH", unknown, big, json_type, False),
        "oversized+wrong-type": ("PATCH", unknown, big, {"Content-Type": "text/plain"}, True),
        "wrong-type+malformed": ("PATCH", unknown, b"{", {"Content-Type": "text/plain"}, True),
        "malformed+unknown-id": ("PATCH", unknown, b"{", json_type, True),
        "invalid-field+unknown-id": ("PATCH", unknown, b'{"email": "nope"}', json_type, True),
        "unauthenticated+unknown-method": ("PUT", unknown, b"{}", json_type, False),
    }
    method, path, body, headers, authenticate = requests[case]
    exchange = api.request(method, path, content=body, headers=headers, authenticate=authenticate)
    check_error(exchange, expected, f"precedence: {case} is {expected}")
