"""Authentication on every operation, and isolation between organizations."""

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
COOKIE_NAME = CONTRACT.cookie_name

BAD_CREDENTIALS = {
    "none": {},
    "wrong-token": {"Authorization": "Bearer not-a-real-token-" + secrets.token_hex(8)},
    "scheme-only": {"Authorization": "Bearer"},
    "basic-scheme": {"Authorization": "Basic dXNlcjpwYXNz"},
    # A valid token under another scheme word: only `Bearer` carries a token (a backend that
    # checks the token and not the word in front of it lets these in).
    "valid-token-as-basic": {"Authorization": "Basic {token}"},
    "valid-token-as-token-scheme": {"Authorization": "Token {token}"},
    "token-without-scheme": {"Authorization": "{token}"},
    "wrong-cookie": {"Cookie": f"{COOKIE_NAME}=not-a-real-token"},
    "empty-cookie": {"Cookie": f"{COOKIE_NAME}="},
    "other-cookie-name": {"Cookie": "session_token={token}"},
    "malformed-cookie": {"Cookie": f"{COOKIE_NAME}"},
}


def operations(contact_id: str) -> list[tuple[str, str, Any]]:
    return [
        ("GET", COLLECTION, None),
        ("POST", COLLECTION, {"first_name": "太郎", "last_name": "山田"}),
        ("GET", contact_path(contact_id), None),
        ("PATCH", contact_path(contact_id), {"position": "部長"}),
        ("DELETE", contact_path(contact_id), None),
    ]


@pytest.fixture(scope="module")
def victim(api: ApiClient, run: Any) -> dict[str, Any]:
    """A contact of organization A (a random id in read-only runs: 401 comes before 404)."""
    if run.settings.read_only:
        return {"id": "cont_" + secrets.token_hex(16)}
    scope = Scope(run.ledger.family())
    body = {
        "first_name": "太郎",
        "last_name": f"山田{scope.token}",
        "email": f"taro.{scope.token}@example.com",
    }
    return contact_of(api.create(body), 201, "POST creates a contact: 201")


@pytest.mark.parametrize("credentials", list(BAD_CREDENTIALS), ids=list(BAD_CREDENTIALS))
@pytest.mark.parametrize("index", range(5), ids=["list", "create", "get", "update", "delete"])
def test_every_operation_requires_valid_credentials(
    api: ApiClient, run: Any, victim: dict[str, Any], credentials: str, index: int
) -> None:
    method, path, body = operations(victim["id"])[index]
    if method != "GET" and run.settings.read_only:
        pytest.skip("read-only run: no write requests, not even unauthenticated ones")
    headers = {k: v.format(token=api.token) for k, v in BAD_CREDENTIALS[credentials].items()}
    exchange = api.request(method, path, json=body, headers=headers, authenticate=False)
    check_error(
        exchange, 401, f"{method} {path} with {credentials} credentials is 401", rule="credentials-required"
    )
    if method != "GET" and "first_name" not in (body or {}):
        after = api.get(victim["id"])
        expect_equal(
            contact_of(after, 200, "GET after a refused write"),
            victim,
            "a refused write changes nothing",
            after,
        )


@pytest.mark.writes
def test_an_unauthenticated_create_creates_nothing(
    api: ApiClient, anonymous: ApiClient, scope: Scope
) -> None:
    check_error(
        anonymous.create({"first_name": "x", "last_name": f"y{scope.token}"}),
        401,
        "POST without credentials is 401",
    )
    expect_equal(
        page_of(api.list({"search": scope.token}))["total"], 0, "a refused POST creates nothing", None
    )


@pytest.mark.parametrize("scheme", ["Bearer", "bearer", "BEARER"])
def test_the_scheme_word_is_case_insensitive(api: ApiClient, scheme: str) -> None:
    exchange = api.request(
        "GET", COLLECTION, headers={"Authorization": f"{scheme} {api.token}"}, authenticate=False
    )
    page_of(exchange, f"'{scheme} <token>' is accepted")


def test_the_bearer_header_decides_over_the_cookie(api: ApiClient) -> None:
    good_bearer = api.request(
        "GET",
        COLLECTION,
        headers={"Authorization": f"Bearer {api.token}", "Cookie": f"{COOKIE_NAME}=not-a-real-token"},
        authenticate=False,
    )
    page_of(
        good_bearer,
        "a valid Bearer header with a bad cookie is accepted (the header decides)",
        rule="bearer-decides",
    )
    bad_bearer = api.request(
        "GET",
        COLLECTION,
        headers={"Authorization": "Bearer not-a-real-token", "Cookie": f"{COOKIE_NAME}={api.token}"},
        authenticate=False,
    )
    check_error(
        bad_bearer,
        401,
        "a bad Bearer header with a valid cookie is 401 (the header decides)",
        rule="bearer-decides",
    )


@pytest.mark.isolation
@pytest.mark.writes
def test_another_organization_cannot_touch_or_see_a_contact(
    api: ApiClient, other_api: ApiClient, victim: dict[str, Any]
) -> None:
    unknown = "cont_" + secrets.token_hex(16)
    for method, body in (("GET", None), ("PATCH", {"note": "hijacked"}), ("DELETE", None)):
        theirs = other_api.request(method, contact_path(victim["id"]), json=body)
        check_error(
            theirs,
            404,
            f"{method} of another organization's contact is 404 (never 403)",
            rule="organization-isolation",
        )
        missing = other_api.request(method, contact_path(unknown), json=body)
        expect_equal(
            (theirs.status, theirs.json()["error"]["code"]),
            (missing.status, missing.json()["error"]["code"]),
            "another organization's contact is indistinguishable from a missing one",
            theirs,
        )
    token = victim["last_name"].removeprefix("山田")
    listed = other_api.list({"search": token})
    expect_equal(page_of(listed)["total"], 0, "another organization's list never shows the contact", listed)
    after = api.get(victim["id"])
    expect_equal(
        contact_of(after, 200, "the owner still sees it"),
        victim,
        "other organizations' writes change nothing",
        after,
    )


@pytest.mark.isolation
@pytest.mark.writes
def test_organizations_see_only_their_own_creations(
    api: ApiClient, other_api: ApiClient, scope: Scope
) -> None:
    theirs = contact_of(
        other_api.create({"first_name": "Bob", "last_name": f"Other{scope.token}"}), 201, "org B can create"
    )
    check_error(
        api.get(theirs["id"]), 404, "org A cannot read org B's contact", rule="organization-isolation"
    )
    expect_equal(
        page_of(api.list({"search": scope.token}))["total"],
        0,
        "org A's list never shows org B's contact",
        None,
    )
    mine = page_of(other_api.list({"search": scope.token}))
    expect(
        [c["id"] for c in mine["items"]] == [theirs["id"]],
        "org B lists its own contact",
        None,
        str(mine["items"]),
    )
    deleted = other_api.delete(theirs["id"])
    expect_equal(deleted.status, 200, "org B deletes its own contact", deleted)
