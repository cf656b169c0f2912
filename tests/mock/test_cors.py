"""CORS: on by default for local browser apps (credentials allowed), --cors-origins, off with a flag."""

from __future__ import annotations

import httpx
import pytest
from devkit import build
from mockkit import COLLECTION, DOCUMENTED_ID, JSON, Api, assert_error, item

from mock_server.fixtures import Seed
from mock_server.spec import Spec

VITE = "http://localhost:5173"


def preflight(
    api: Api, origin: str, method: str = "POST", headers: str = "authorization, content-type, prefer"
) -> httpx.Response:
    return api.request(
        "OPTIONS",
        COLLECTION,
        token=None,
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": method,
            "Access-Control-Request-Headers": headers,
        },
    )


def assert_allowed(response: httpx.Response, origin: str) -> None:
    assert response.status_code == 200, response.text
    assert response.headers["access-control-allow-origin"] == origin
    assert response.headers["access-control-allow-credentials"] == "true"
    assert "Origin" in response.headers["vary"]


@pytest.mark.parametrize(
    "origin", [VITE, "http://127.0.0.1:3000", "http://[::1]:8080", "https://localhost", "http://localhost"]
)
def test_preflight_from_a_local_origin_is_allowed_with_credentials(api: Api, origin: str) -> None:
    response = preflight(api, origin)
    assert_allowed(response, origin)
    methods = {m.strip() for m in response.headers["access-control-allow-methods"].split(",")}
    assert {"GET", "POST", "PATCH", "DELETE"} <= methods
    allowed = {h.strip().lower() for h in response.headers["access-control-allow-headers"].split(",")}
    assert {"authorization", "content-type", "prefer"} <= allowed
    assert int(response.headers["access-control-max-age"]) > 0


@pytest.mark.parametrize(
    "origin",
    [
        "http://evil.example",
        "http://localhost.evil.example:5173",
        "http://192.168.1.20:5173",
        "null",
        "http://localhost:5173.evil.example",
    ],
)
def test_preflight_from_a_disallowed_origin_is_a_400_in_the_error_shape(api: Api, origin: str) -> None:
    response = preflight(api, origin)
    assert_error(response, 400, "cors_rejected")
    assert "access-control-allow-origin" not in response.headers


def test_preflight_of_a_method_the_api_does_not_have_is_refused(api: Api) -> None:
    assert_error(preflight(api, VITE, method="PUT"), 400, "cors_rejected")


def test_preflight_of_an_unlisted_header_is_refused(api: Api) -> None:
    assert_error(preflight(api, VITE, headers="x-custom"), 400, "cors_rejected")


def test_cors_origins_list_is_honoured(spec: Spec, seed: Seed) -> None:
    api = build(spec, seed, cors_origins=("https://app.example.com", "http://localhost:3000"))
    assert_allowed(preflight(api, "https://app.example.com"), "https://app.example.com")
    assert_allowed(preflight(api, "http://localhost:3000"), "http://localhost:3000")
    assert_error(preflight(api, VITE), 400, "cors_rejected")  # no longer any localhost origin
    simple = api.get(COLLECTION, headers={"Origin": "https://app.example.com"})
    assert simple.headers["access-control-allow-origin"] == "https://app.example.com"
    assert "access-control-allow-origin" not in api.get(COLLECTION, headers={"Origin": VITE}).headers


def test_cors_off_makes_a_preflight_an_ordinary_405(spec: Spec, seed: Seed) -> None:
    api = build(spec, seed, cors=False)
    response = preflight(api, VITE)
    assert_error(response, 405, "method_not_allowed")
    assert response.headers["allow"] == "GET, POST"
    assert not any(h.startswith("access-control-") for h in response.headers)
    simple = api.get(COLLECTION, headers={"Origin": VITE})
    assert simple.status_code == 200
    assert not any(h.startswith("access-control-") for h in simple.headers)


def test_simple_get_with_an_origin_gets_allow_origin_and_credentials(api: Api) -> None:
    response = api.get(item(DOCUMENTED_ID), headers={"Origin": VITE})
    assert_allowed(response, VITE)
    assert response.json()["contact"]["id"] == DOCUMENTED_ID


def test_created_exposes_location(api: Api) -> None:
    response = api.post(
        COLLECTION, headers={"Origin": VITE, **JSON}, json={"first_name": "A", "last_name": "B"}
    )
    assert response.status_code == 201
    assert response.headers["access-control-allow-origin"] == VITE
    assert response.headers["access-control-allow-credentials"] == "true"
    exposed = {h.strip().lower() for h in response.headers["access-control-expose-headers"].split(",")}
    assert "location" in exposed
    assert response.headers["location"] == item(response.json()["contact"]["id"])


def test_errors_carry_cors_headers_so_browsers_can_read_them(api: Api) -> None:
    response = api.get(COLLECTION, token=None, headers={"Origin": VITE})
    assert_error(response, 401, "unauthorized")
    assert response.headers["access-control-allow-origin"] == VITE


def test_a_simple_request_from_a_disallowed_origin_gets_no_cors_headers(api: Api) -> None:
    response = api.get(COLLECTION, headers={"Origin": "http://evil.example"})
    assert response.status_code == 200  # the browser, not the server, withholds it
    assert "access-control-allow-origin" not in response.headers


def test_requests_without_an_origin_are_untouched(api: Api) -> None:
    response = api.get(COLLECTION)
    assert response.status_code == 200
    assert not any(h.startswith("access-control-") for h in response.headers)
