"""The fast path (fastpath.py, endpoint.py): the spec's paths answered without Starlette, same behaviour.

The behaviour itself is pinned by every other test of the mock (they all go
through the fast path now); these tests pin what is specific to it: the
routing table, the hand-written JSON of a contact, the remembered query
strings, the header limit and the error of last resort.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from devkit import AUTH_A, call
from mockkit import COLLECTION, DOCUMENTED_ID, TOKEN_A, Api, item
from starlette.routing import Route

from mock_server import MockState, create_app
from mock_server.fastpath import ApiRoutes, path_pattern
from mock_server.handlers import Call, Reply
from mock_server.modifiers import WrapHandler, build_app
from mock_server.spec import Spec
from mock_server.store import Contact, render_contact

TEMPLATE = COLLECTION + "/{id}"


@pytest.mark.parametrize(
    ("path", "params"),
    [
        (COLLECTION + "/cont_1", {"id": "cont_1"}),
        (COLLECTION + "/山田", {"id": "山田"}),
        (COLLECTION + "/a.b", {"id": "a.b"}),
        (COLLECTION + "/", None),  # an empty segment is no id: 404, not a redirect
        (COLLECTION + "/a/b", None),
        (COLLECTION + "/cont_1/", None),
        ("/x" + COLLECTION + "/cont_1", None),
    ],
)
def test_a_path_template_matches_one_whole_segment(path: str, params: dict[str, str] | None) -> None:
    found = path_pattern(TEMPLATE).match(path)
    assert (found.groupdict() if found else None) == params


def test_every_spec_path_is_on_the_fast_path_and_none_is_left_to_starlette(spec: Spec) -> None:
    state = MockState.seeded(spec, None)
    routes = ApiRoutes(state)
    for path, operations in spec.by_path.items():
        concrete = path.replace("{id}", DOCUMENTED_ID)
        found = routes.match(concrete)
        assert found is not None, path
        assert sorted(found[0].operations) == sorted(operations)
    app = create_app(state)
    starlette_paths = {route.path for route in app.router.routes if isinstance(route, Route)}
    assert not starlette_paths & set(spec.by_path)
    assert routes.match("/__admin/health") is None and routes.match("/docs") is None


def test_unknown_api_paths_fall_through_to_the_contracts_404(api: Api) -> None:
    for path in (COLLECTION + "/", COLLECTION + "x", "/api/v1/crm/nothing"):
        response = api.get(path)
        assert response.status_code == 404, path
        assert response.json() == {"error": {"code": "not_found", "message": "Not found."}}


TRICKY = [
    "plain",
    'quote " and backslash \\',
    "control \x00\x01\x1f and \t\n\r\x08\x0c",
    "line separators \u2028\u2029 and DEL \x7f",
    "山田 太郎 ＴＡＲＯ 😀",
    "</script>",
    "",
]


@pytest.mark.parametrize("text", TRICKY)
def test_a_contacts_json_is_byte_for_byte_what_json_dumps_writes(text: str) -> None:
    for created, updated in ((0, 0), (1_764_480_000_123_456, 1_764_480_000_123_456), (1_000, 2_000_000)):
        contact = Contact(
            id="cont_" + "a" * 32,
            first_name=text or "x",
            last_name=text or "y",
            email=text or None,
            phone=text,
            position=None,
            company_id="comp_" + "a" * 32,
            note=text,
            created_us=created,
            updated_us=updated,
        )
        expected = json.dumps(contact.to_json(), ensure_ascii=False, separators=(",", ":")).encode()
        assert render_contact(contact) == expected


def test_a_repeated_query_is_parsed_once_and_cannot_be_changed_by_a_handler(spec: Spec) -> None:
    seen: list[Any] = []

    def spy(call_: Call, handler: Any) -> Reply:
        seen.append(call_.query)
        with pytest.raises(TypeError):
            call_.query["limit"] = 1  # type: ignore[index]
        reply: Reply = handler(call_)
        return reply

    api = Api(build_app(WrapHandler("listContacts", spy)))
    first = api.get(COLLECTION, params={"limit": "3", "sort": "name"})
    second = api.get(COLLECTION, params={"limit": "3", "sort": "name"})
    assert first.status_code == second.status_code == 200
    assert first.content == second.content
    assert seen[0] is seen[1]  # the same validated parameters, remembered
    assert api.get(COLLECTION, params={"limit": "999"}).status_code == 400  # errors are never remembered
    assert api.get(COLLECTION, params={"limit": "999"}).status_code == 400


def test_a_bug_in_a_handler_is_a_500_in_the_contracts_shape(caplog: pytest.LogCaptureFixture) -> None:
    def broken(call_: Call, handler: Any) -> Reply:
        raise RuntimeError("boom")

    app = build_app(WrapHandler("getContact", broken))
    response = call(app, "GET", item(DOCUMENTED_ID), headers=AUTH_A, raise_app_exceptions=False)
    assert response.status_code == 500
    assert response.json() == {
        "error": {"code": "internal_error", "message": "Internal error in the mock server."}
    }
    assert "unhandled error on GET" in caplog.text


@pytest.mark.parametrize("path", [COLLECTION, item(DOCUMENTED_ID), "/__admin/health", "/nowhere"])
def test_headers_over_the_spec_limit_get_431_first_on_every_path(api: Api, spec: Spec, path: str) -> None:
    limit = spec.max_header_bytes
    # The filler alone is one byte short; with the token and httpx's own headers it is over.
    sent = {"Authorization": f"Bearer {TOKEN_A}", "Accept": "*/*"}
    base = sum(len(k) + len(v) + 4 for k, v in sent.items())
    big = {"X-Filler": "f" * (limit + 1 - base)}
    response = api.request("GET", path, token=None, headers={**sent, **big})
    assert response.status_code == 431
    assert response.json() == {
        "error": {"code": "headers_too_large", "message": f"The request headers exceed {limit} bytes."}
    }
    entries = api.app.state.mock.journal.query(status=431)
    assert [e.path for e in entries] == ([path] if path.startswith("/api/") else [])


def test_headers_just_under_the_limit_are_served(api: Api, spec: Spec) -> None:
    response = api.get(COLLECTION, headers={"X-Filler": "f" * (spec.max_header_bytes - 1024)})
    assert response.status_code == 200


def test_the_header_limit_comes_from_the_spec(spec: Spec) -> None:
    assert spec.max_header_bytes == 16384
    document = dict(spec.document)
    document["x-max-header-bytes"] = 2048
    small = Spec(document=document, source=spec.source, operations=spec.operations)
    state = MockState.seeded(spec, None, {TOKEN_A: "org_a"})
    api = Api(create_app(state))
    assert api.get(COLLECTION, headers={"X-Filler": "f" * 2100}).status_code == 200
    state.spec = small  # what --reload does with an edited spec
    assert api.get(COLLECTION, headers={"X-Filler": "f" * 1500}).status_code == 200
    assert api.get(COLLECTION, headers={"X-Filler": "f" * 2100}).status_code == 431
