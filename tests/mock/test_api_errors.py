"""Error bodies, validation details and the write rules of the contract, over the whole app."""

from __future__ import annotations

import re
from typing import Any

import pytest
from mockkit import (
    B_CONTACT_ID,
    COLLECTION,
    CONTACT_NOT_FOUND,
    DOCUMENTED_ID,
    JSON,
    MALFORMED,
    MAX_BODY,
    NO_CREDENTIALS,
    PATH_NOT_FOUND,
    TOKEN_B,
    TOO_LARGE,
    UNKNOWN_ID,
    Api,
    assert_error,
    item,
    padded,
)

from mock_server.store import parse_timestamp

TIMESTAMP = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?Z$")
OPTIONAL = ("email", "phone", "position", "company_id", "note")
FULL = {
    "first_name": "Emily",
    "last_name": "Carter",
    "email": "emily@example.com",
    "phone": "+1 (212) 555-0199",
    "position": "CTO",
    "company_id": "comp_" + "c" * 32,
    "note": "Met at the expo.",
}


# --- the error shape --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "kwargs", "body"),
    [
        ("GET", COLLECTION, {"token": None}, {"error": {"code": "unauthorized", "message": NO_CREDENTIALS}}),
        ("GET", "/nope", {}, {"error": {"code": "not_found", "message": PATH_NOT_FOUND}}),
        ("GET", item(UNKNOWN_ID), {}, {"error": {"code": "not_found", "message": CONTACT_NOT_FOUND}}),
        (
            "PUT",
            COLLECTION,
            {},
            {
                "error": {
                    "code": "method_not_allowed",
                    "message": "PUT is not allowed here; allowed: GET, POST.",
                }
            },
        ),
        (
            "POST",
            COLLECTION,
            {"headers": JSON, "content": padded("{}", MAX_BODY + 1)},
            {"error": {"code": "payload_too_large", "message": TOO_LARGE}},
        ),
        (
            "POST",
            COLLECTION,
            {"content": b"{}"},
            {
                "error": {
                    "code": "unsupported_media_type",
                    "message": "Content-Type is missing; send application/json.",
                }
            },
        ),
        (
            "GET",
            f"{COLLECTION}?limit=500",
            {},
            {
                "error": {
                    "code": "validation_error",
                    "message": "The request is invalid.",
                    "details": [{"field": "limit", "message": "must be at most 200"}],
                }
            },
        ),
    ],
    ids=["401", "404 path", "404 id", "405", "413", "415", "400"],
)
def test_every_error_has_the_contract_shape(
    api: Api, method: str, path: str, kwargs: dict[str, Any], body: dict[str, Any]
) -> None:
    response = api.request(method, path, **kwargs)
    assert response.headers["content-type"] == "application/json"
    assert response.json() == body
    assert_error(response, response.status_code, body["error"]["code"])


@pytest.mark.parametrize(
    ("method", "path", "content", "message", "details"),
    [
        (
            "POST",
            COLLECTION,
            b'{"first_name": "a", "last_name": "b", "nickname": "x"}',
            "Invalid request body.",
            [{"field": "nickname", "message": "unknown field"}],
        ),
        (
            "POST",
            COLLECTION,
            b'{"last_name": "b"}',
            "Invalid request body.",
            [{"field": "first_name", "message": "is required"}],
        ),
        (
            "POST",
            COLLECTION,
            b"{}",
            "Invalid request body.",
            [
                {"field": "first_name", "message": "is required"},
                {"field": "last_name", "message": "is required"},
            ],
        ),
        (
            "PATCH",
            item(DOCUMENTED_ID),
            b'{"first_name": null, "id": "cont_x"}',
            "Invalid request body.",
            [
                {"field": "first_name", "message": "must be a string"},
                {"field": "id", "message": "unknown field"},
            ],
        ),
        (
            "POST",
            COLLECTION,
            b'[{"first_name": "a", "last_name": "b"}]',
            "The body must be a JSON object.",
            [{"field": "", "message": "expected an object, got an array"}],
        ),
        (
            "PATCH",
            item(DOCUMENTED_ID),
            b"null",
            "The body must be a JSON object.",
            [{"field": "", "message": "expected an object, got null"}],
        ),
        ("POST", COLLECTION, b'{"first_name": "a",', None, MALFORMED),
        (
            "POST",
            COLLECTION,
            b'{"first_name": "\xff", "last_name": "b"}',
            "The body is not valid UTF-8 (byte 16).",
            [{"field": "", "message": "not valid UTF-8"}],
        ),
        (
            "POST",
            COLLECTION,
            b'{"first_name": NaN, "last_name": "b"}',
            "Malformed JSON: NaN is not valid JSON.",
            MALFORMED,
        ),
        ("POST", COLLECTION, b'{"first_name": ' + b"7" * 10_000 + b"}", None, MALFORMED),
        (
            "POST",
            COLLECTION,
            b"[" * (MAX_BODY // 2) + b"]" * (MAX_BODY // 2),
            "Malformed JSON: nested deeper than 32 levels.",
            MALFORMED,
        ),
        (
            "POST",
            COLLECTION,
            b'{"first_name": "\\ud800", "last_name": "b"}',  # was a 500 before the fix
            "Malformed JSON: a \\u escape is a lone surrogate, not a character.",
            MALFORMED,
        ),
        ("POST", COLLECTION, b"", "Malformed JSON: Expecting value at line 1 column 1.", MALFORMED),
    ],
)
def test_validation_details_name_the_field(
    api: Api, method: str, path: str, content: bytes, message: str | None, details: list[dict[str, str]]
) -> None:
    before = api.store.snapshot()
    response = api.request(method, path, headers=JSON, content=content)
    assert_error(response, 400, "validation_error", message, details=details)
    assert api.store.snapshot() == before


REJECTED_WRITES = [
    ("POST", COLLECTION, {"first_name": " ", "last_name": "b"}, 400),
    ("POST", COLLECTION, {**FULL, "email": "not-an-email"}, 400),
    ("POST", COLLECTION, {**FULL, "phone": "call me"}, 400),
    ("POST", COLLECTION, {**FULL, "company_id": "comp_x"}, 400),
    ("POST", COLLECTION, {**FULL, "note": "x" * 2001}, 400),
    ("POST", COLLECTION, {**FULL, "id": DOCUMENTED_ID}, 400),
    ("PATCH", item(DOCUMENTED_ID), {"email": "taro.yamada@newdomain.com", "bogus": 1}, 400),
    ("PATCH", item(DOCUMENTED_ID), {"position": "本部長", "last_name": ""}, 400),
    ("PATCH", item(DOCUMENTED_ID), {"note": "x", "phone": "x" * 33}, 400),
    ("PATCH", item(DOCUMENTED_ID), {"note": "x", "created_at": "2020-01-01T00:00:00Z"}, 400),
    ("PATCH", item(UNKNOWN_ID), {"note": "x"}, 404),
    ("PATCH", item(B_CONTACT_ID), {"note": "x"}, 404),
]


@pytest.mark.parametrize(("method", "path", "body", "status"), REJECTED_WRITES)
def test_a_rejected_write_changes_nothing(api: Api, method: str, path: str, body: Any, status: int) -> None:
    before = (api.everything(), api.everything(TOKEN_B))
    assert api.request(method, path, json=body).status_code == status
    assert (api.everything(), api.everything(TOKEN_B)) == before


# --- names ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sent", "stored"),
    [
        ("  Emily  ", "Emily"),
        ("\u3000太郎\u3000", "太郎"),
        ("\t\r\n太郎\n", "太郎"),
        ("\ufeffEmily\u00a0", "Emily"),
        ("Mary Ann", "Mary Ann"),
        (" " * 50 + "a" * 100, "a" * 100),
        ("\u3000" * 50 + "a" * 100 + " " * 50, "a" * 100),
        ("\ufeff" * 50 + "a" * 100, "a" * 100),  # stored 150 characters long before the fix
        ("😀" * 100, "😀" * 100),  # 100 characters, 200 UTF-16 code units
        ("\x85", "\x85"),  # NEL is text to the pattern; it used to be trimmed to ""
    ],
)
def test_names_are_trimmed_and_stored_trimmed(api: Api, sent: str, stored: str) -> None:
    created = api.create(first_name=sent, last_name=sent)
    assert (created["first_name"], created["last_name"]) == (stored, stored)
    assert api.get(item(created["id"])).json()["contact"] == created
    updated = api.patch(item(DOCUMENTED_ID), json={"first_name": sent, "last_name": sent})
    assert updated.status_code == 200
    assert (updated.json()["contact"]["first_name"], updated.json()["contact"]["last_name"]) == (
        stored,
        stored,
    )


@pytest.mark.parametrize(
    "name",
    [
        "",
        " ",
        "\u3000",
        "\t\r\n",
        " \u3000 ",
        "\ufeff",
        "\u2028",
        "a" * 101,
        " " + "a" * 101 + " ",
        "😀" * 101,
    ],
)
@pytest.mark.parametrize("field", ["first_name", "last_name"])
def test_bad_names_are_rejected(api: Api, field: str, name: str) -> None:
    before = api.store.snapshot()
    created = api.post(COLLECTION, json={"first_name": "a", "last_name": "b", field: name})
    assert_error(created, 400, "validation_error", "Invalid request body.")
    assert [d["field"] for d in created.json()["error"]["details"]] == [field]
    updated = api.patch(item(DOCUMENTED_ID), json={field: name})
    assert_error(updated, 400, "validation_error", "Invalid request body.")
    assert [d["field"] for d in updated.json()["error"]["details"]] == [field]
    assert api.store.snapshot() == before


# --- optional fields --------------------------------------------------------------------


def test_create_with_every_field(api: Api) -> None:
    created = api.create(**FULL)
    assert created == {
        "id": created["id"],
        **FULL,
        "created_at": created["created_at"],
        "updated_at": created["created_at"],
    }
    assert TIMESTAMP.match(created["created_at"])


@pytest.mark.parametrize("field", ["phone", "position", "note"])
def test_empty_string_is_stored_as_given(api: Api, field: str) -> None:
    assert api.create(**{field: ""})[field] == ""
    response = api.patch(item(DOCUMENTED_ID), json={field: ""})
    assert (response.status_code, response.json()["contact"][field]) == (200, "")


@pytest.mark.parametrize("field", ["email", "company_id"])
def test_empty_string_is_not_an_email_or_company(api: Api, field: str) -> None:
    response = api.post(COLLECTION, json={**FULL, field: ""})
    assert_error(response, 400, "validation_error")
    assert [d["field"] for d in response.json()["error"]["details"]] == [field] * len(
        response.json()["error"]["details"]
    )


def test_null_or_missing_on_create_means_unset(api: Api) -> None:
    omitted = api.create()
    nulls = api.create(**dict.fromkeys(OPTIONAL))
    for contact in (omitted, nulls):
        assert [contact[f] for f in OPTIONAL] == [None] * 5
        assert contact["updated_at"] == contact["created_at"]


@pytest.mark.parametrize("field", OPTIONAL)
def test_patch_null_clears(api: Api, field: str) -> None:
    created = api.create(**FULL)
    response = api.patch(item(created["id"]), json={field: None})
    assert response.status_code == 200
    assert response.json()["contact"] == {
        **created,
        field: None,
        "updated_at": response.json()["contact"]["updated_at"],
    }
    assert api.get(item(created["id"])).json()["contact"][field] is None


@pytest.mark.parametrize("field", ["first_name", "last_name"])
@pytest.mark.parametrize(("value", "message"), [(None, "must be a string"), ("", None)])
def test_patch_names_may_not_be_null_or_empty(api: Api, field: str, value: Any, message: str | None) -> None:
    response = api.patch(item(DOCUMENTED_ID), json={field: value})
    error = assert_error(response, 400, "validation_error", "Invalid request body.")
    assert [d["field"] for d in error["details"]] == [field]
    assert message is None or error["details"][0]["message"] == message


# --- updated_at, id, created_at ----------------------------------------------------------


def documented(api: Api) -> dict[str, Any]:
    contact: dict[str, Any] = api.get(item(DOCUMENTED_ID)).json()["contact"]
    return contact


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"email": "taro@example.com"},
        {"note": None},
        {"first_name": "太郎", "last_name": "山田", "position": "部長"},
        {"first_name": " 太郎\u3000"},  # trims to the current value
        {
            "first_name": "太郎",
            "last_name": "山田",
            "email": "taro@example.com",
            "phone": "090-1234-5678",
            "position": "部長",
            "company_id": "comp_" + "a" * 32,
            "note": None,
        },
    ],
)
def test_patch_without_a_change_keeps_updated_at(api: Api, body: dict[str, Any]) -> None:
    before = documented(api)
    response = api.patch(item(DOCUMENTED_ID), json=body)
    assert (response.status_code, response.json()) == (200, {"contact": before})
    assert before["updated_at"] == "2026-02-05T16:00:00Z"
    assert documented(api) == before


def test_a_real_change_moves_updated_at_strictly_later(api: Api) -> None:
    before = documented(api)
    stamps = [parse_timestamp(before["updated_at"])]
    for n in range(5):  # back to back: the clock still moves
        contact = api.patch(item(DOCUMENTED_ID), json={"note": str(n)}).json()["contact"]
        assert TIMESTAMP.match(contact["updated_at"])
        stamps.append(parse_timestamp(contact["updated_at"]))
        assert (contact["id"], contact["created_at"]) == (before["id"], before["created_at"])
    assert stamps == sorted(set(stamps))


@pytest.mark.parametrize(
    "body",
    [
        {"id": "cont_" + "c" * 32},
        {"created_at": "2020-01-01T00:00:00Z"},
        {"updated_at": "2020-01-01T00:00:00Z"},
    ],
)
def test_id_and_timestamps_cannot_be_written(api: Api, body: dict[str, Any]) -> None:
    before = documented(api)
    error = assert_error(api.patch(item(DOCUMENTED_ID), json=body), 400, "validation_error")
    assert error["details"] == [{"field": next(iter(body)), "message": "unknown field"}]
    created = api.post(COLLECTION, json={"first_name": "a", "last_name": "b", **body})
    assert_error(created, 400, "validation_error")
    assert documented(api) == before


def test_created_contact_has_equal_timestamps_and_a_fresh_id(api: Api) -> None:
    first, second = api.create(), api.create()
    assert first["id"] != second["id"]
    assert first["created_at"] == first["updated_at"]
    assert parse_timestamp(second["created_at"]) > parse_timestamp(first["created_at"])
    assert api.get(COLLECTION, params={"limit": 2}).json()["items"] == [second, first]


# --- search -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "search",
    [
        "山田太郎",
        "山田 太郎",
        "太郎 山田",
        "taro",
        "ＴＡＲＯ",
        "TARO",
        "Taro@Example.com",
        "田太",
        "ｔａｒｏ＠",
    ],
)
def test_search_finds_the_documented_contact(api: Api, search: str) -> None:
    body = api.get(COLLECTION, params={"search": search}).json()
    assert [c["id"] for c in body["items"]] == [DOCUMENTED_ID]
    assert body["total"] == 1


@pytest.mark.parametrize("search", ["太郎山田", "山田\x00太郎", "yamada"])
def test_search_needs_one_of_the_forms(api: Api, search: str) -> None:
    assert api.get(COLLECTION, params={"search": search}).json() == {
        "items": [],
        "total": 0,
        "limit": 50,
        "offset": 0,
    }


def test_search_in_a_name_holding_nul(api: Api) -> None:
    created = api.create(first_name="a\x00b", last_name="Zed")
    for search in ("a\x00b", "zed a\x00b", "A\x00B ZED"):  # found nothing before the fix
        assert [c["id"] for c in api.get(COLLECTION, params={"search": search}).json()["items"]] == [
            created["id"]
        ]
