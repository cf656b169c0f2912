"""Every status code rule of the contract, over the whole app, in-process."""

from __future__ import annotations

import itertools
import re
from collections.abc import AsyncIterator
from typing import Any

import pytest
from mockkit import (
    B_CONTACT_ID,
    BAD_HEADER,
    COLLECTION,
    COMPANY_A,
    CONTACT_NOT_FOUND,
    COOKIE,
    DOCUMENTED_ID,
    INVALID_TOKEN,
    JSON,
    MALFORMED,
    MAX_BODY,
    NO_CREDENTIALS,
    PATH_NOT_FOUND,
    TOKEN_A,
    TOKEN_B,
    TOO_LARGE,
    UNKNOWN_ID,
    Api,
    assert_error,
    item,
    padded,
)

from mock_server.spec import Spec

NEW = {"first_name": "Emily", "last_name": "Carter"}
CHANGE = {"note": "x"}
OPERATIONS = [  # (method, path, JSON body)
    ("GET", COLLECTION, None),
    ("POST", COLLECTION, NEW),
    ("GET", item(DOCUMENTED_ID), None),
    ("PATCH", item(DOCUMENTED_ID), CHANGE),
    ("DELETE", item(DOCUMENTED_ID), None),
]
OPERATION_IDS = ["list", "create", "get", "update", "delete"]


# --- success ----------------------------------------------------------------------------


def test_list_is_200(api: Api, seed: Any) -> None:
    response = api.get(COLLECTION)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert list(body) == ["items", "total", "limit", "offset"]
    assert (len(body["items"]), body["total"], body["limit"], body["offset"]) == (40, 40, 50, 0)
    newest_first = sorted(seed.contacts["org_blueai"], key=lambda c: (c.created_us, c.id), reverse=True)
    assert [c["id"] for c in body["items"]] == [c.id for c in newest_first]


def test_get_is_200_and_shows_the_documented_contact(api: Api, spec: Spec) -> None:
    response = api.get(item(DOCUMENTED_ID))
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {"contact": spec.document["x-example-contacts"]["documented"]}


def test_create_is_201_with_location(api: Api) -> None:
    response = api.post(COLLECTION, json=NEW)
    assert response.status_code == 201
    assert response.headers["content-type"] == "application/json"
    contact = response.json()["contact"]
    assert re.fullmatch(r"cont_[0-9a-f]{32}", contact["id"])
    assert response.headers["location"] == f"/api/v1/crm/contacts/{contact['id']}"
    fetched = api.get(response.headers["location"])
    assert (fetched.status_code, fetched.json()) == (200, {"contact": contact})
    assert api.get(COLLECTION).json()["total"] == 41


def test_update_is_200(api: Api, spec: Spec) -> None:
    response = api.patch(
        item(DOCUMENTED_ID), json={"email": "taro.yamada@newdomain.com", "position": "本部長"}
    )
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    expected = spec.document["x-example-contacts"]["documented_updated"]
    contact = response.json()["contact"]
    assert contact == {**expected, "updated_at": contact["updated_at"]}
    assert contact["updated_at"] > "2026-02-05T16:00:00Z"
    assert api.get(item(DOCUMENTED_ID)).json() == {"contact": contact}


def test_delete_is_200_and_then_404_everywhere(api: Api) -> None:
    response = api.delete(item(DOCUMENTED_ID))
    assert (response.status_code, response.json()) == (200, {"success": True})
    assert response.headers["content-type"] == "application/json"
    for method, body in (("GET", None), ("PATCH", CHANGE), ("DELETE", None)):
        assert_error(api.request(method, item(DOCUMENTED_ID), json=body), 404, "not_found", CONTACT_NOT_FOUND)
    listed = api.get(COLLECTION).json()
    assert listed["total"] == 39 and DOCUMENTED_ID not in {c["id"] for c in listed["items"]}


@pytest.mark.parametrize(("method", "path", "body"), OPERATIONS, ids=OPERATION_IDS)
@pytest.mark.parametrize(
    "headers",
    [
        {"Cookie": f"{COOKIE}={TOKEN_A}"},
        {"Cookie": f"theme=dark; {COOKIE}={TOKEN_A}"},
        {"Cookie": f"{COOKIE}={TOKEN_B}", "Authorization": f"bearer {TOKEN_A}"},  # header decides
        {"Authorization": f"BEARER {TOKEN_A}"},
    ],
    ids=["cookie", "cookie among others", "header over cookie", "upper-case scheme"],
)
def test_every_operation_succeeds_with_any_accepted_credential(
    api: Api, method: str, path: str, body: Any, headers: dict[str, str]
) -> None:
    response = api.request(method, path, token=None, headers=headers, json=body)
    assert response.status_code == (201 if method == "POST" else 200), response.text


# --- 401 --------------------------------------------------------------------------------

CREDENTIALS = [
    ("none", None, {}, NO_CREDENTIALS),
    ("wrong token", "nope", {}, INVALID_TOKEN),
    ("other case token", TOKEN_A.upper(), {}, INVALID_TOKEN),
    ("no token", None, {"Authorization": "Bearer"}, BAD_HEADER),
    ("empty header", None, {"Authorization": ""}, BAD_HEADER),
    ("basic scheme", None, {"Authorization": "Basic ZGV2LXRva2VuLW9yZy1hOg=="}, BAD_HEADER),
    ("space in token", None, {"Authorization": f"Bearer {TOKEN_A} x"}, BAD_HEADER),
    ("no scheme", None, {"Authorization": TOKEN_A}, BAD_HEADER),
    ("wrong cookie", None, {"Cookie": f"{COOKIE}=nope"}, INVALID_TOKEN),
    ("malformed cookie", None, {"Cookie": COOKIE}, INVALID_TOKEN),
    ("empty cookie", None, {"Cookie": f"{COOKIE}="}, INVALID_TOKEN),
    ("other cookie", None, {"Cookie": f"session={TOKEN_A}"}, INVALID_TOKEN),
    ("bad bearer, good cookie", "nope", {"Cookie": f"{COOKIE}={TOKEN_A}"}, INVALID_TOKEN),
]


@pytest.mark.parametrize(("method", "path", "body"), OPERATIONS, ids=OPERATION_IDS)
@pytest.mark.parametrize(
    ("token", "headers", "message"), [c[1:] for c in CREDENTIALS], ids=[c[0] for c in CREDENTIALS]
)
def test_401_on_every_operation(
    api: Api, method: str, path: str, body: Any, token: str | None, headers: dict[str, str], message: str
) -> None:
    before = api.store.snapshot()
    response = api.request(method, path, token=token, headers=headers, json=body)
    assert_error(response, 401, "unauthorized", message)
    assert api.store.snapshot() == before


# --- 404 --------------------------------------------------------------------------------

MALFORMED_IDS = [
    "nope",
    "cont_" + "B" * 32,
    "cont_" + "b" * 31,
    "cont_" + "b" * 33,
    "comp_" + "b" * 32,
    "CONT_" + "b" * 32,
    "cont_" + "g" * 32,
    "%20cont_" + "b" * 32,
    "cont_" + "b" * 32 + "%0A",
]


@pytest.mark.parametrize(("method", "body"), [("GET", None), ("PATCH", CHANGE), ("DELETE", None)])
@pytest.mark.parametrize("contact_id", [UNKNOWN_ID, *MALFORMED_IDS])
def test_404_for_unknown_and_malformed_ids(api: Api, method: str, body: Any, contact_id: str) -> None:
    before = api.store.snapshot()
    assert_error(api.request(method, item(contact_id), json=body), 404, "not_found", CONTACT_NOT_FOUND)
    assert api.store.snapshot() == before


@pytest.mark.parametrize(("method", "body"), [("GET", None), ("PATCH", CHANGE), ("DELETE", None)])
def test_404_for_a_deleted_id(api: Api, method: str, body: Any) -> None:
    created = api.create()
    assert api.delete(item(created["id"])).status_code == 200
    assert_error(api.request(method, item(created["id"]), json=body), 404, "not_found", CONTACT_NOT_FOUND)


@pytest.mark.parametrize(("method", "body"), [("GET", None), ("PATCH", CHANGE), ("DELETE", None)])
@pytest.mark.parametrize(
    ("token", "contact_id"), [(TOKEN_B, DOCUMENTED_ID), (TOKEN_A, B_CONTACT_ID)], ids=["B on A's", "A on B's"]
)
def test_404_for_another_organizations_id(
    api: Api, method: str, body: Any, token: str, contact_id: str
) -> None:
    before = api.store.snapshot()
    response = api.request(method, item(contact_id), token=token, json=body)
    assert_error(response, 404, "not_found", CONTACT_NOT_FOUND)
    assert api.store.snapshot() == before


def test_lists_never_cross_organizations(api: Api, seed: Any) -> None:
    a_ids = {c.id for c in seed.contacts["org_blueai"]}
    b_ids = {c.id for c in seed.contacts["org_partner"]}
    assert {c["id"] for c in api.everything(TOKEN_A)} == a_ids
    assert {c["id"] for c in api.everything(TOKEN_B)} == b_ids
    both_have_a_yamada_taro = {"search": "山田太郎"}
    assert [c["id"] for c in api.get(COLLECTION, params=both_have_a_yamada_taro).json()["items"]] == [
        DOCUMENTED_ID
    ]
    b_found = api.get(COLLECTION, token=TOKEN_B, params=both_have_a_yamada_taro).json()["items"]
    assert [c["id"] for c in b_found] == [B_CONTACT_ID]
    created = api.create(first_name="新規")
    assert created["id"] not in {c["id"] for c in api.everything(TOKEN_B)}
    assert len(api.everything(TOKEN_B)) == 8


# --- 400: query -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "details"),
    [
        ("limit=0", [{"field": "limit", "message": "must be at least 1"}]),
        ("limit=201", [{"field": "limit", "message": "must be at most 200"}]),
        ("limit=-1", [{"field": "limit", "message": "must be at least 1"}]),
        ("limit=abc", [{"field": "limit", "message": "must be an integer"}]),
        ("limit=1.5", [{"field": "limit", "message": "must be an integer"}]),
        ("limit=", [{"field": "limit", "message": "must be an integer"}]),
        ("limit=%2B5", [{"field": "limit", "message": "must be an integer"}]),
        ("limit=" + "9" * 30, [{"field": "limit", "message": "must be at most 200"}]),
        ("limit=" + "9" * 5000, [{"field": "limit", "message": "must be an integer"}]),
        ("offset=-1", [{"field": "offset", "message": "must be at least 0"}]),
        ("offset=x", [{"field": "offset", "message": "must be an integer"}]),
        ("sort=x", [{"field": "sort", "message": "must be one of: created_at, name"}]),
        ("sort=NAME", [{"field": "sort", "message": "must be one of: created_at, name"}]),
        ("order=x", [{"field": "order", "message": "must be one of: asc, desc"}]),
        ("company_id=comp_x", [{"field": "company_id", "message": '"comp_x" is not valid'}]),
        ("company_id=" + "comp_" + "A" * 32, [{"field": "company_id", "message": None}]),
        ("company_id=" + "cont_" + "a" * 32, [{"field": "company_id", "message": None}]),
        ("limit=abc&limit=5", [{"field": "limit", "message": "must be an integer"}]),  # first value counts
        (
            "limit=0&offset=-1&sort=x&order=x",
            [
                {"field": "limit", "message": "must be at least 1"},
                {"field": "offset", "message": "must be at least 0"},
                {"field": "order", "message": "must be one of: asc, desc"},
                {"field": "sort", "message": "must be one of: created_at, name"},
            ],
        ),
    ],
)
def test_400_for_bad_query_parameters(api: Api, params: str, details: list[dict[str, Any]]) -> None:
    error = assert_error(
        api.get(f"{COLLECTION}?{params}"), 400, "validation_error", "The request is invalid."
    )
    assert [d["field"] for d in error["details"]] == [d["field"] for d in details]
    for got, want in zip(error["details"], details, strict=True):
        assert want["message"] is None or got["message"] == want["message"]


@pytest.mark.parametrize(
    ("params", "total", "limit", "offset", "count"),
    [
        ("limit=1", 40, 1, 0, 1),
        ("limit=200", 40, 200, 0, 40),
        ("offset=39", 40, 50, 39, 1),
        ("offset=40", 40, 50, 40, 0),
        ("offset=100000", 40, 50, 100000, 0),
        ("offset=" + "0" * 4400 + "7", 40, 50, 7, 33),
        ("limit=5&limit=abc", 40, 5, 0, 5),  # the first value counts
        ("foo=bar&LIMIT=0", 40, 50, 0, 40),  # unknown parameters are ignored
        ("search=", 40, 50, 0, 40),  # empty means no filter
        ("company_id=", 40, 50, 0, 40),
        ("search=&company_id=", 40, 50, 0, 40),
        (f"company_id={COMPANY_A}", 8, 50, 0, 8),
        ("search=%E5%B1%B1%E7%94%B0", 1, 50, 0, 1),  # 山田
        ("search=example.co.jp&company_id=" + COMPANY_A, 4, 50, 0, 4),
        ("sort=name&order=asc&limit=7&offset=35", 40, 7, 35, 5),
    ],
)
def test_valid_query_parameters(
    api: Api, params: str, total: int, limit: int, offset: int, count: int
) -> None:
    response = api.get(f"{COLLECTION}?{params}")
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["total"], body["limit"], body["offset"], len(body["items"])) == (total, limit, offset, count)


# --- 413 --------------------------------------------------------------------------------

BODIES = [  # (method, path, JSON text, success status)
    ("POST", COLLECTION, '{"first_name": "太郎", "last_name": "山田"}', 201),
    ("PATCH", item(DOCUMENTED_ID), '{"note": "x"}', 200),
]


@pytest.mark.parametrize(("method", "path", "text", "status"), BODIES, ids=["create", "update"])
def test_exactly_64_kib_is_accepted(api: Api, method: str, path: str, text: str, status: int) -> None:
    content = padded(text, MAX_BODY)
    assert len(content) == MAX_BODY
    assert api.request(method, path, headers=JSON, content=content).status_code == status


@pytest.mark.parametrize(("method", "path", "text", "status"), BODIES, ids=["create", "update"])
@pytest.mark.parametrize("size", [MAX_BODY + 1, 10 * MAX_BODY])
def test_one_byte_more_is_413(api: Api, method: str, path: str, text: str, status: int, size: int) -> None:
    before = api.store.snapshot()
    response = api.request(method, path, headers=JSON, content=padded(text, size))
    assert_error(response, 413, "payload_too_large", TOO_LARGE)
    assert api.store.snapshot() == before


async def chunks(total: int, size: int = 8192) -> AsyncIterator[bytes]:
    body = padded('{"first_name": "a", "last_name": "b"}', total)
    for start in range(0, total, size):
        yield body[start : start + size]


@pytest.mark.parametrize(("total", "status"), [(MAX_BODY, 201), (MAX_BODY + 1, 413)])
def test_a_streamed_body_is_counted_without_content_length(api: Api, total: int, status: int) -> None:
    response = api.post(COLLECTION, headers=JSON, content=chunks(total))
    assert response.request.headers.get("transfer-encoding") == "chunked"
    assert "content-length" not in response.request.headers
    assert response.status_code == status


# --- 415 --------------------------------------------------------------------------------

REJECTED_TYPES = [
    (None, "Content-Type is missing; send application/json."),
    ("text/plain", "Content-Type is 'text/plain'; send application/json."),
    ("application/jsonx", "Content-Type is 'application/jsonx'; send application/json."),
    ("multipart/form-data; boundary=x", "Content-Type is 'multipart/form-data'; send application/json."),
    (
        "application/x-www-form-urlencoded",
        "Content-Type is 'application/x-www-form-urlencoded'; send application/json.",
    ),
    ("application/xml", "Content-Type is 'application/xml'; send application/json."),
    ("text/json", "Content-Type is 'text/json'; send application/json."),
]
ACCEPTED_TYPES = [
    "application/json",
    "application/json; charset=utf-8",
    "APPLICATION/JSON",
    "application/merge-patch+json",
    "application/vnd.api+json",
]


@pytest.mark.parametrize(("method", "path", "text", "status"), BODIES, ids=["create", "update"])
@pytest.mark.parametrize(("content_type", "message"), REJECTED_TYPES)
def test_415_for_other_or_missing_content_types(
    api: Api, method: str, path: str, text: str, status: int, content_type: str | None, message: str
) -> None:
    before = api.store.snapshot()
    headers = {"Content-Type": content_type} if content_type else {}
    response = api.request(method, path, headers=headers, content=text.encode())
    if content_type is None:
        assert "content-type" not in response.request.headers
    assert_error(response, 415, "unsupported_media_type", message)
    assert api.store.snapshot() == before


@pytest.mark.parametrize(("method", "path", "text", "status"), BODIES, ids=["create", "update"])
@pytest.mark.parametrize("content_type", ACCEPTED_TYPES)
def test_json_content_types_are_accepted(
    api: Api, method: str, path: str, text: str, status: int, content_type: str
) -> None:
    response = api.request(method, path, headers={"Content-Type": content_type}, content=text.encode())
    assert response.status_code == status, response.text


# --- 405 and unknown paths ---------------------------------------------------------------

COLLECTION_ALLOW = "GET, POST"
ITEM_ALLOW = "DELETE, GET, PATCH"


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        ("PUT", COLLECTION, COLLECTION_ALLOW),
        ("HEAD", COLLECTION, COLLECTION_ALLOW),
        ("OPTIONS", COLLECTION, COLLECTION_ALLOW),
        ("TRACE", COLLECTION, COLLECTION_ALLOW),
        ("PATCH", COLLECTION, COLLECTION_ALLOW),
        ("DELETE", COLLECTION, COLLECTION_ALLOW),
        ("PUT", item(DOCUMENTED_ID), ITEM_ALLOW),
        ("HEAD", item(DOCUMENTED_ID), ITEM_ALLOW),
        ("OPTIONS", item(DOCUMENTED_ID), ITEM_ALLOW),
        ("POST", item(DOCUMENTED_ID), ITEM_ALLOW),
        ("PUT", item("nope"), ITEM_ALLOW),  # the method is checked before the id
    ],
)
@pytest.mark.parametrize("token", [TOKEN_A, None], ids=["credentials", "no credentials"])
def test_405_with_allow(api: Api, method: str, path: str, allow: str, token: str | None) -> None:
    before = api.store.snapshot()
    response = api.request(method, path, token=token, headers=JSON, content=b'{"first_name": "a"}')
    assert response.status_code == 405
    assert response.headers["allow"] == allow
    assert response.headers["content-type"] == "application/json"
    if method != "HEAD":  # a HEAD answer carries no body
        assert_error(response, 405, "method_not_allowed", f"{method} is not allowed here; allowed: {allow}.")
    assert api.store.snapshot() == before


@pytest.mark.parametrize(
    "path",
    [
        "/api",  # `/` redirects to /docs on GET and HEAD, else 404 (test_docs.py)
        "/api/v1/crm",
        "/api/v1/crm/contacts/",  # a trailing slash is another path, not a redirect
        f"/api/v1/crm/contacts/{DOCUMENTED_ID}/",
        f"/api/v1/crm/contacts/{DOCUMENTED_ID}/notes",
        "/api/v1/crm/contacts//x",
        "/api/v2/crm/contacts",
        "/API/V1/CRM/CONTACTS",
        "/api/v1/crm/companies",
    ],
)
@pytest.mark.parametrize("method", ["GET", "POST", "PUT", "DELETE"])
@pytest.mark.parametrize("token", [TOKEN_A, None], ids=["credentials", "no credentials"])
def test_unknown_paths_are_404(api: Api, path: str, method: str, token: str | None) -> None:
    response = api.request(method, path, token=token)
    assert_error(response, 404, "not_found", PATH_NOT_FOUND)
    assert "allow" not in response.headers


# --- precedence -------------------------------------------------------------------------

# The contract's order, highest first; each fault is one change to a valid PATCH.
ORDER = ["path", "method", "auth", "size", "media", "malformed", "field", "id"]
ANSWERS: dict[str, tuple[int, str, str | None, list[dict[str, str]] | None]] = {
    "path": (404, "not_found", PATH_NOT_FOUND, None),
    "method": (405, "method_not_allowed", "PUT is not allowed here; allowed: DELETE, GET, PATCH.", None),
    "auth": (401, "unauthorized", NO_CREDENTIALS, None),
    "size": (413, "payload_too_large", TOO_LARGE, None),
    "media": (415, "unsupported_media_type", "Content-Type is 'text/plain'; send application/json.", None),
    "malformed": (400, "validation_error", None, MALFORMED),
    "field": (
        400,
        "validation_error",
        "Invalid request body.",
        [{"field": "bogus", "message": "unknown field"}],
    ),
    "id": (404, "not_found", CONTACT_NOT_FOUND, None),
}


def faulty_patch(api: Api, faults: set[str]) -> Any:
    contact_id = UNKNOWN_ID if "id" in faults else DOCUMENTED_ID
    text = '{"bogus": 1}' if "field" in faults else '{"note": "x"}'
    content = padded(text, MAX_BODY + 100) if "size" in faults else text.encode()
    if "malformed" in faults:
        content = content[:-1]  # no closing brace
    return api.request(
        "PUT" if "method" in faults else "PATCH",
        item(contact_id) + ("/extra" if "path" in faults else ""),
        token=None if "auth" in faults else TOKEN_A,
        headers={"Content-Type": "text/plain" if "media" in faults else "application/json"},
        content=content,
    )


@pytest.mark.parametrize(
    "faults",
    [(f,) for f in ORDER] + list(itertools.combinations(ORDER, 2)) + [tuple(ORDER)],
    ids=lambda faults: "+".join(faults),
)
def test_precedence(api: Api, faults: tuple[str, ...]) -> None:
    before = api.store.snapshot()
    status, code, message, details = ANSWERS[faults[0]]  # the highest of the faults wins
    assert_error(faulty_patch(api, set(faults)), status, code, message, details=details)
    assert api.store.snapshot() == before


@pytest.mark.parametrize(
    ("method", "path", "token", "headers", "content", "status", "code"),
    [
        # the examples the contract's order implies, written out
        pytest.param(
            "POST",
            COLLECTION,
            None,
            JSON,
            padded('{"first_name": "a"}', MAX_BODY + 1),
            401,
            "unauthorized",
            id="no credentials + oversized -> 401",
        ),
        pytest.param(
            "POST",
            COLLECTION,
            TOKEN_A,
            {"Content-Type": "text/plain"},
            padded("{}", MAX_BODY + 1),
            413,
            "payload_too_large",
            id="oversized + wrong content type -> 413",
        ),
        pytest.param(
            "POST",
            COLLECTION,
            TOKEN_A,
            {"Content-Type": "text/plain"},
            b"{",
            415,
            "unsupported_media_type",
            id="wrong content type + malformed JSON -> 415",
        ),
        pytest.param(
            "POST",
            COLLECTION,
            TOKEN_A,
            {},
            b"\xff",
            415,
            "unsupported_media_type",
            id="no content type + invalid UTF-8 -> 415",
        ),
        pytest.param(
            "PATCH",
            item(UNKNOWN_ID),
            TOKEN_A,
            JSON,
            b'{"first_name": ""}',
            400,
            "validation_error",
            id="invalid field + unknown id -> 400",
        ),
        pytest.param(
            "PATCH",
            item("nope"),
            TOKEN_A,
            JSON,
            b'{"first_name": null}',
            400,
            "validation_error",
            id="invalid field + malformed id -> 400",
        ),
        pytest.param(
            "PATCH",
            item("nope"),
            TOKEN_A,
            JSON,
            b"[]",
            400,
            "validation_error",
            id="non-object body + malformed id -> 400",
        ),
        pytest.param(
            "PATCH",
            item(B_CONTACT_ID),
            TOKEN_A,
            JSON,
            b"{",
            400,
            "validation_error",
            id="malformed JSON + other organization's id -> 400",
        ),
        pytest.param(
            "GET",
            item(UNKNOWN_ID),
            None,
            {},
            b"",
            401,
            "unauthorized",
            id="no credentials + unknown id -> 401",
        ),
        pytest.param(
            "DELETE",
            item("nope"),
            "wrong",
            {},
            b"",
            401,
            "unauthorized",
            id="wrong token + malformed id -> 401",
        ),
        pytest.param(
            "GET",
            f"{COLLECTION}?limit=0",
            None,
            {},
            b"",
            401,
            "unauthorized",
            id="no credentials + bad query -> 401",
        ),
        pytest.param(
            "PUT",
            f"{COLLECTION}?limit=0",
            TOKEN_A,
            {},
            b"",
            405,
            "method_not_allowed",
            id="bad method + bad query -> 405",
        ),
        pytest.param(
            "GET",
            f"{COLLECTION}/?limit=0",
            None,
            {},
            b"",
            404,
            "not_found",
            id="unknown path + no credentials + bad query -> 404",
        ),
    ],
)
def test_precedence_examples(
    api: Api,
    method: str,
    path: str,
    token: str | None,
    headers: dict[str, str],
    content: bytes,
    status: int,
    code: str,
) -> None:
    before = api.store.snapshot()
    assert_error(api.request(method, path, token=token, headers=headers, content=content), status, code)
    assert api.store.snapshot() == before
