"""Every 400 says where the fault is: `details` name the body field or query parameter at fault.

The contract's ErrorDetail.field is "the body field or query parameter at fault
(empty for the body as a whole)". One fault per request, of each kind the
contract defines: a required name missing, null or blank; a field of the wrong
type or past its bounds; an unknown field; every list parameter out of its
bounds, off its enum or not a number. A fault counts as named when a detail's
`field` or `message` contains the name (as in test_errors.py: a server may word
it its own way), so only a 400 that does not say what is wrong fails. Found by
mutation testing (docs/mutation.md): no test sent a body without a required name,
nor checked which parameter a 400 blamed.
"""

from __future__ import annotations

import secrets
from typing import Any

import pytest

from .client import ApiClient
from .contract import active
from .failures import Exchange, expect
from .invariants import check_error, contact_of, page_of
from .strategies import Scope


def expect_named(exchange: Exchange, name: str, invariant: str) -> None:
    error = check_error(exchange, 400, invariant, rule="invalid-field-rejected")
    details = error["details"]
    expect(
        any(name in detail["field"] or name in detail["message"] for detail in details),
        f"validation details name the fault ({name})",
        exchange,
        f"details: {details}",
    )


def _without(name: str, scope: Scope) -> dict[str, Any]:
    body = {"first_name": f"x{scope.token}", "last_name": f"y{scope.token}"}
    del body[name]
    return body


@pytest.mark.writes
@pytest.mark.parametrize("name", ["first_name", "last_name"])
def test_a_missing_required_name_is_named(api: ApiClient, scope: Scope, name: str) -> None:
    assert name in active().required_fields
    expect_named(api.create(_without(name, scope)), name, f"POST without {name} is 400")


@pytest.mark.writes
@pytest.mark.parametrize("name", ["first_name", "last_name"])
@pytest.mark.parametrize("value", [None, "", "   "], ids=["null", "empty", "blank"])
def test_a_null_or_blank_name_is_named(api: ApiClient, scope: Scope, name: str, value: Any) -> None:
    body = {"first_name": f"x{scope.token}", "last_name": f"y{scope.token}", name: value}
    expect_named(api.create(body), name, f"POST with {name}={value!r} is 400")


@pytest.mark.writes
def test_an_unknown_field_is_named(api: ApiClient, scope: Scope) -> None:
    body = {"first_name": f"x{scope.token}", "last_name": f"y{scope.token}", "nickname": "Taro"}
    expect_named(api.create(body), "nickname", "POST with an unknown field is 400")


def _bad_list_parameters() -> list[tuple[str, Any]]:
    contract = active()
    cases: list[tuple[str, Any]] = [
        ("limit", contract.limit.minimum - 1),
        ("limit", contract.max_limit + 1),
        ("limit", "ten"),
        ("limit", "1.5"),
        ("offset", contract.offset.minimum - 1),
        ("offset", "x"),
        ("sort", "bogus"),
        ("order", "bogus"),
        ("company_id", "comp_123"),
    ]
    return cases


@pytest.mark.parametrize(("name", "value"), _bad_list_parameters(), ids=lambda v: str(v))
def test_a_bad_list_parameter_is_named(api: ApiClient, name: str, value: Any) -> None:
    expect_named(api.list({name: value}), name, f"{name}={value!r} is 400")


@pytest.mark.writes
@pytest.mark.parametrize("shape", ["digits", "signed", "exponent", "true", "false"])
def test_a_search_that_looks_like_a_number_is_text(api: ApiClient, scope: Scope, shape: str) -> None:
    """`search` is a string whatever it looks like: a needle of digits, or `true`, finds the contact.

    (A server that types query values by their look, not by the parameter's schema, answers
    400 here: found by mutation testing, no needle of the suite was ever numeric.) Scoped by a
    company only this test uses, so other data never matters.
    """
    digits = f"{secrets.randbelow(10**9):09d}"
    needle = {"digits": digits, "signed": f"-{digits}", "exponent": f"{digits[:4]}e5"}.get(shape, shape)
    company = scope.companies[0]
    body = {"first_name": f"x{scope.token}", "last_name": f"y{needle}{scope.token}", "company_id": company}
    created = contact_of(api.create(body), 201, "POST creates a contact")
    exchange = api.list({"search": needle, "company_id": company})
    ids = [item["id"] for item in page_of(exchange)["items"]]
    expect(
        created["id"] in ids, f"search={needle!r} finds the contact whose name holds it", exchange, str(ids)
    )


# A fault of the body as a whole: not UTF-8, not JSON, JSON but not an object. (Not NaN: a parser
# that reads it as a number then blames the field's type, which names the field, reasonably.)
WHOLE_BODY_FAULTS = {
    "invalid-utf8": b'{"first_name": "\xff", "last_name": "y"}',
    "truncated": b'{"first_name": "x",',
    "not-json": b"first_name=x",
    "array": b'[{"first_name": "x", "last_name": "y"}]',
}


@pytest.mark.writes
@pytest.mark.parametrize("fault", sorted(WHOLE_BODY_FAULTS))
@pytest.mark.parametrize("method", ["POST", "PATCH"])
def test_a_fault_of_the_whole_body_names_no_field(
    api: ApiClient, scope: Scope, method: str, fault: str
) -> None:
    """The contract: `field` is empty for the body as a whole. Every detail of such a 400 names no
    field; a server that blames a field the client never sent sends its user looking in vain."""
    path = active().collection_path
    if method == "PATCH":
        body = {"first_name": f"x{scope.token}", "last_name": f"y{scope.token}"}
        path = active().contact_path(contact_of(api.create(body), 201, "POST creates a contact")["id"])
    exchange = api.request(
        method, path, content=WHOLE_BODY_FAULTS[fault], headers={"Content-Type": "application/json"}
    )
    error = check_error(exchange, 400, f"a body that is {fault} is 400", rule="malformed-json-400")
    expect(
        all(detail["field"] == "" for detail in error["details"]),
        "a fault of the body as a whole has details with an empty field",
        exchange,
        f"details: {error['details']}",
    )
