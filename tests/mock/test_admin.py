"""The admin API under /__admin: health, reset, state, the request journal, and who may use it."""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable
from typing import Any

import pytest
from devkit import OUTSIDER, build, call
from mockkit import (
    B_CONTACT_ID,
    COLLECTION,
    COOKIE,
    DOCUMENTED_ID,
    JSON,
    ORG_A,
    ORG_B,
    TOKEN_A,
    TOKEN_B,
    UNKNOWN_ID,
    Api,
    assert_error,
    item,
)

from mock_server.fixtures import Seed
from mock_server.spec import Spec

ADMIN_TOKEN = "admin-secret-7f3e"
ENDPOINTS = [
    ("GET", "/__admin/health"),
    ("POST", "/__admin/reset"),
    ("GET", "/__admin/state"),
    ("PUT", "/__admin/state"),
    ("GET", "/__admin/requests"),
    ("DELETE", "/__admin/requests"),
]


def by_org(state: dict[str, Any]) -> dict[str, Any]:
    """A state's organizations keyed by id (their order in a snapshot is not part of its meaning)."""
    assert set(state) == {"organizations"}
    return {org["id"]: org for org in state["organizations"]}


def admin(api: Api, method: str, path: str, **kwargs: Any) -> Any:
    """An admin call from loopback, with no API token."""
    return api.request(method, path, token=None, **kwargs)


def journal(api: Api, **params: Any) -> dict[str, Any]:
    response = admin(api, "GET", "/__admin/requests", params=params)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


# --- health ----------------------------------------------------------------------------------------


def test_health_fields(api: Api) -> None:
    api.get(COLLECTION)
    api.get(item(UNKNOWN_ID))
    response = admin(api, "GET", "/__admin/health")
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {
        "status",
        "uptime_s",
        "organizations",
        "contacts",
        "requests_journaled",
        "response_violations",
    }
    assert body["status"] == "ok"
    assert isinstance(body["uptime_s"], int | float) and 0 <= body["uptime_s"] < 600
    assert body["organizations"] == 2
    assert body["contacts"] == 48
    assert body["requests_journaled"] == 2  # admin calls are not journaled
    assert body["response_violations"] == 0


def test_health_counts_follow_the_store(api: Api) -> None:
    api.create()
    api.delete(item(DOCUMENTED_ID))
    api.create()
    assert admin(api, "GET", "/__admin/health").json()["contacts"] == 49


# --- reset -----------------------------------------------------------------------------------------


def test_reset_restores_the_fixtures_after_writes(api: Api) -> None:
    before_a, before_b = api.everything(), api.everything(TOKEN_B)
    api.create(note="new")
    api.patch(item(DOCUMENTED_ID), json={"first_name": "変更"})
    api.delete(item(B_CONTACT_ID), token=TOKEN_B)
    assert api.everything() != before_a
    response = admin(api, "POST", "/__admin/reset")
    assert response.status_code == 200
    assert response.json() == {"reset": True, "contacts": 48}
    assert api.everything() == before_a
    assert api.everything(TOKEN_B) == before_b


def test_reset_of_an_empty_mock_keeps_the_token_organizations(spec: Spec) -> None:
    api = build(spec, None, tokens={"ci-token": "org_ci"})
    created = api.post(COLLECTION, token="ci-token", json={"first_name": "A", "last_name": "B"})
    assert created.status_code == 201
    assert admin(api, "POST", "/__admin/reset").json() == {"reset": True, "contacts": 0}
    assert api.get(COLLECTION, token="ci-token").json()["total"] == 0


# --- state -----------------------------------------------------------------------------------------


def test_state_get_put_round_trip(api: Api) -> None:
    saved = admin(api, "GET", "/__admin/state").json()
    assert set(by_org(saved)) == {ORG_A, ORG_B}
    assert sum(len(org["contacts"]) for org in saved["organizations"]) == 48
    listing = api.everything()
    api.create(first_name="Later")
    api.delete(item(DOCUMENTED_ID))
    response = admin(api, "PUT", "/__admin/state", json=saved)
    assert response.status_code == 200, response.text
    assert response.json() == {"organizations": 2, "contacts": 48}
    assert by_org(admin(api, "GET", "/__admin/state").json()) == by_org(saved)
    assert api.everything() == listing


def test_state_put_of_an_edited_snapshot(api: Api) -> None:
    state = admin(api, "GET", "/__admin/state").json()
    org_a = next(org for org in state["organizations"] if org["id"] == ORG_A)
    org_a["contacts"] = [c for c in org_a["contacts"] if c["id"] == DOCUMENTED_ID]
    org_a["contacts"][0]["first_name"] = "次郎"
    assert admin(api, "PUT", "/__admin/state", json=state).json() == {"organizations": 2, "contacts": 9}
    assert [c["first_name"] for c in api.everything()] == ["次郎"]
    assert api.get(COLLECTION, token=TOKEN_B).json()["total"] == 8


def _bad_email(state: dict[str, Any]) -> None:
    state["organizations"][0]["contacts"][0]["email"] = "not-an-email"


def _unknown_field(state: dict[str, Any]) -> None:
    state["organizations"][0]["contacts"][0]["nickname"] = "Taro"


def _tokens(state: dict[str, Any]) -> None:
    state["organizations"][0]["tokens"] = ["sneaky-token"]


def _top_level_field(state: dict[str, Any]) -> None:
    state["extra"] = True


def _duplicate_id(state: dict[str, Any]) -> None:
    contacts = state["organizations"][0]["contacts"]
    contacts.append(copy.deepcopy(contacts[0]))


def _bad_id(state: dict[str, Any]) -> None:
    state["organizations"][0]["contacts"][0]["id"] = "cont_XYZ"


@pytest.mark.parametrize(
    "spoil", [_bad_email, _unknown_field, _tokens, _top_level_field, _duplicate_id, _bad_id]
)
def test_state_put_invalid_is_refused_and_changes_nothing(
    api: Api, spoil: Callable[[dict[str, Any]], None]
) -> None:
    api.create(first_name="Kept")
    state = admin(api, "GET", "/__admin/state").json()
    before_version = api.store.version
    spoiled = copy.deepcopy(state)
    spoil(spoiled)
    response = admin(api, "PUT", "/__admin/state", json=spoiled)
    assert_error(response, 400, "validation_error")
    assert by_org(admin(api, "GET", "/__admin/state").json()) == by_org(state)
    assert api.store.version == before_version


@pytest.mark.parametrize("body", [b"{not json", b"", b"\xff\xfe", b"null", b"[]", b'"state"'])
def test_state_put_of_something_else_than_a_state_is_a_400(api: Api, body: bytes) -> None:
    state = admin(api, "GET", "/__admin/state").json()
    response = admin(api, "PUT", "/__admin/state", content=body, headers=JSON)
    assert_error(response, 400, "validation_error")
    assert by_org(admin(api, "GET", "/__admin/state").json()) == by_org(state)


def test_a_refused_state_with_tokens_does_not_add_them(api: Api) -> None:
    state = admin(api, "GET", "/__admin/state").json()
    _tokens(state)
    assert admin(api, "PUT", "/__admin/state", json=state).status_code == 400
    assert_error(api.get(COLLECTION, token="sneaky-token"), 401, "unauthorized")


# --- the request journal ---------------------------------------------------------------------------


def test_journal_is_newest_first_with_who_called(api: Api) -> None:
    api.get(COLLECTION, params={"limit": 1})
    api.get(item(UNKNOWN_ID))
    api.post(COLLECTION, json={"first_name": "A", "last_name": "B"})
    api.get(COLLECTION, token=TOKEN_B)
    api.get(COLLECTION, token=None)
    body = journal(api)
    assert body["total"] == 5 and body["capacity"] == 1000
    entries = body["requests"]
    assert [(e["method"], e["path"], e["status"], e["organization"]) for e in entries] == [
        ("GET", COLLECTION, 401, None),
        ("GET", COLLECTION, 200, ORG_B),
        ("POST", COLLECTION, 201, ORG_A),
        ("GET", item(UNKNOWN_ID), 404, ORG_A),
        ("GET", COLLECTION, 200, ORG_A),
    ]
    assert entries[-1]["query"] == "limit=1"
    ids = [e["id"] for e in entries]
    assert ids == sorted(ids, reverse=True)
    for entry in entries:
        assert set(entry) == {
            "id",
            "time",
            "method",
            "path",
            "query",
            "status",
            "duration_ms",
            "organization",
            "prefer_ignored",
        }
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", entry["time"])
        assert entry["duration_ms"] >= 0


def test_journal_filters_and_limit(api: Api) -> None:
    api.get(COLLECTION)
    api.get(item(UNKNOWN_ID))
    api.get(item(DOCUMENTED_ID))
    api.post(COLLECTION, json={"first_name": "A", "last_name": "B"})
    api.get(item("cont_" + "1" * 32))
    assert [e["method"] for e in journal(api, method="POST")["requests"]] == ["POST"]
    assert journal(api, method="post")["total"] == 1
    by_path = journal(api, path=f"{COLLECTION}/")
    assert by_path["total"] == 3
    assert all(e["path"].startswith(f"{COLLECTION}/") for e in by_path["requests"])
    not_found = journal(api, status=404)
    assert [e["path"] for e in not_found["requests"]] == [item("cont_" + "1" * 32), item(UNKNOWN_ID)]
    combined = journal(api, method="GET", path=f"{COLLECTION}/", status=200)
    assert [e["path"] for e in combined["requests"]] == [item(DOCUMENTED_ID)]
    limited = journal(api, limit=2)
    assert limited["total"] == 5 and len(limited["requests"]) == 2
    assert [e["method"] for e in limited["requests"]] == ["GET", "POST"]  # the newest two
    assert journal(api, status=500)["requests"] == []


def test_journal_status_filter_must_be_a_number(api: Api) -> None:
    error = assert_error(
        admin(api, "GET", "/__admin/requests", params={"status": "abc"}), 400, "validation_error"
    )
    assert [d["field"] for d in error["details"]] == ["status"]


def test_journal_status_filter_with_a_superscript_digit_is_a_400_not_a_500(api: Api) -> None:
    # '²' passes str.isdigit() and fails int(): today an unhandled ValueError (500).
    response = call(
        api.app, "GET", "/__admin/requests", params={"status": "\u00b2"}, raise_app_exceptions=False
    )
    assert_error(response, 400, "validation_error")


def test_journal_limit_with_a_superscript_digit_is_not_a_500(api: Api) -> None:
    response = call(
        api.app, "GET", "/__admin/requests", params={"limit": "\u00b2"}, raise_app_exceptions=False
    )
    assert response.status_code in (200, 400), response.text


def test_journal_is_bounded_by_its_size(spec: Spec, seed: Seed) -> None:
    api = build(spec, seed, journal_size=3)
    for offset in range(5):
        api.get(COLLECTION, params={"offset": offset})
    body = journal(api)
    assert body["capacity"] == 3 and body["total"] == 3
    assert [e["query"] for e in body["requests"]] == ["offset=4", "offset=3", "offset=2"]


def test_journal_delete_clears(api: Api) -> None:
    api.get(COLLECTION)
    api.get(COLLECTION)
    response = admin(api, "DELETE", "/__admin/requests")
    assert response.status_code == 200 and response.json() == {"cleared": 2}
    assert journal(api) == {"requests": [], "total": 0, "capacity": 1000}
    api.get(COLLECTION)
    assert journal(api)["total"] == 1
    assert admin(api, "GET", "/__admin/health").json()["requests_journaled"] == 1


def test_admin_docs_and_unknown_paths_are_not_journaled(api: Api) -> None:
    admin(api, "GET", "/__admin/health")
    admin(api, "GET", "/openapi.json")
    admin(api, "GET", "/nowhere")
    assert journal(api)["total"] == 0


def test_tokens_never_appear_in_the_journal_or_the_state(spec: Spec, seed: Seed) -> None:
    secrets = [TOKEN_A, TOKEN_B, "ci-secret-token-93c1", "wrong-token-5be2", ADMIN_TOKEN]
    api = build(spec, seed, tokens={"ci-secret-token-93c1": "org_ci"}, admin_token=ADMIN_TOKEN)
    api.get(COLLECTION)
    api.post(COLLECTION, json={"first_name": "A", "last_name": "B"})
    api.get(COLLECTION, token=None, headers={"Cookie": f"{COOKIE}={TOKEN_B}"})
    api.get(COLLECTION, token="ci-secret-token-93c1")
    api.get(COLLECTION, token="wrong-token-5be2")
    headers = {"X-Admin-Token": ADMIN_TOKEN}
    texts = [
        admin(api, "GET", path, headers=headers).text
        for path in ("/__admin/requests", "/__admin/state", "/__admin/health")
    ]
    assert json.loads(texts[0])["total"] == 5
    for text in texts:
        for secret in secrets:
            assert secret not in text


# --- who may use it --------------------------------------------------------------------------------


@pytest.mark.parametrize(("method", "path"), ENDPOINTS)
def test_non_loopback_clients_are_refused_without_an_admin_token(api: Api, method: str, path: str) -> None:
    api.create(first_name="Kept")
    state = api.store.snapshot()
    response = call(api.app, method, path, client=OUTSIDER, json=state)
    error = assert_error(response, 403, "forbidden")
    assert "--admin-token" in error["message"]
    assert api.store.snapshot() == state


def test_an_outsider_cannot_reset(api: Api) -> None:
    created = api.create(first_name="Kept")
    assert call(api.app, "POST", "/__admin/reset", client=OUTSIDER).status_code == 403
    assert api.get(item(created["id"])).status_code == 200


@pytest.mark.parametrize("client", [("127.0.0.1", 1), ("127.8.9.10", 2), ("::1", 3)])
def test_loopback_clients_need_no_token(api: Api, client: tuple[str, int]) -> None:
    assert call(api.app, "GET", "/__admin/health", client=client).status_code == 200


def test_api_tokens_do_not_open_the_admin_api_to_outsiders(api: Api) -> None:
    response = call(
        api.app, "GET", "/__admin/state", client=OUTSIDER, headers={"Authorization": f"Bearer {TOKEN_A}"}
    )
    assert_error(response, 403, "forbidden")


@pytest.fixture
def guarded(spec: Spec, seed: Seed) -> Api:
    return build(spec, seed, admin_token=ADMIN_TOKEN)


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer wrong"},
        {"X-Admin-Token": "wrong"},
        {"Authorization": f"Basic {ADMIN_TOKEN}"},
        {"Authorization": f"Bearer {TOKEN_A}"},  # an API token is not the admin token
        {"X-Admin-Token": TOKEN_A},
        {"X-Admin-Token": "wrong", "Authorization": f"Bearer {ADMIN_TOKEN}"},
        {"Authorization": f"Bearer {ADMIN_TOKEN}x"},
    ],
    ids=["none", "wrong-bearer", "wrong-header", "basic", "api-token", "api-token-header", "mixed", "longer"],
)
@pytest.mark.parametrize("client", [("127.0.0.1", 1), OUTSIDER], ids=["loopback", "outsider"])
def test_with_an_admin_token_a_missing_or_wrong_one_is_a_401(
    guarded: Api, headers: dict[str, str], client: tuple[str, int]
) -> None:
    for method, path in ENDPOINTS:
        response = call(guarded.app, method, path, client=client, headers=headers)
        error = assert_error(response, 401, "unauthorized")
        assert "admin token" in error["message"]


@pytest.mark.parametrize(
    "headers",
    [
        {"Authorization": f"Bearer {ADMIN_TOKEN}"},
        {"Authorization": f"bearer {ADMIN_TOKEN}"},
        {"X-Admin-Token": ADMIN_TOKEN},
    ],
    ids=["bearer", "bearer-lowercase", "x-admin-token"],
)
@pytest.mark.parametrize("client", [("127.0.0.1", 1), OUTSIDER], ids=["loopback", "outsider"])
def test_the_right_admin_token_opens_it_from_anywhere(
    guarded: Api, headers: dict[str, str], client: tuple[str, int]
) -> None:
    guarded.get(COLLECTION)
    assert call(guarded.app, "GET", "/__admin/health", client=client, headers=headers).status_code == 200
    assert call(guarded.app, "GET", "/__admin/requests", client=client, headers=headers).json()["total"] == 1
    state = call(guarded.app, "GET", "/__admin/state", client=client, headers=headers).json()
    put = call(guarded.app, "PUT", "/__admin/state", client=client, headers=headers, json=state)
    assert put.status_code == 200
    assert call(guarded.app, "POST", "/__admin/reset", client=client, headers=headers).status_code == 200
    cleared = call(guarded.app, "DELETE", "/__admin/requests", client=client, headers=headers)
    assert cleared.json() == {"cleared": 1}


def test_the_admin_token_does_not_open_the_api(guarded: Api) -> None:
    assert_error(guarded.get(COLLECTION, token=ADMIN_TOKEN), 401, "unauthorized")


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        ("POST", "/__admin/health", "GET"),
        ("DELETE", "/__admin/health", "GET"),
        ("GET", "/__admin/reset", "POST"),
        ("DELETE", "/__admin/state", "GET, PUT"),
        ("PATCH", "/__admin/state", "GET, PUT"),
        ("POST", "/__admin/requests", "DELETE, GET"),
    ],
)
def test_a_wrong_method_is_a_405_with_allow(api: Api, method: str, path: str, allow: str) -> None:
    response = admin(api, method, path)
    assert_error(response, 405, "method_not_allowed")
    assert response.headers["allow"] == allow


def test_an_unknown_admin_path_is_a_404(api: Api) -> None:
    assert_error(admin(api, "GET", "/__admin/nothing"), 404, "not_found")
