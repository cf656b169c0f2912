"""--validate-responses: every response the mock sends is checked against the spec; violations are loud."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest
from devkit import build
from mockkit import COLLECTION, DOCUMENTED_ID, UNKNOWN_ID, Api, item

from mock_server.fixtures import Seed
from mock_server.handlers import HANDLERS, Call, Reply
from mock_server.spec import Spec

VIOLATION = "RESPONSE VIOLATES THE SPEC"


@pytest.fixture
def checked(spec: Spec, seed: Seed) -> Api:
    return build(spec, seed, validate_responses=True)


def violations(api: Api) -> int:
    count: int = api.get("/__admin/health", token=None).json()["response_violations"]
    assert count == api.app.state.mock.violations
    return count


def exercise(api: Api) -> None:
    """Every operation, its successes and its errors."""
    created = api.create(email="e@example.com", note="n")
    expectations: list[tuple[str, str, dict[str, Any], int]] = [
        ("GET", COLLECTION, {}, 200),
        ("GET", COLLECTION, {"params": {"search": "山田", "sort": "name", "order": "asc", "limit": 3}}, 200),
        ("GET", COLLECTION, {"params": {"limit": 0}}, 400),
        ("GET", COLLECTION, {"token": None}, 401),
        ("GET", COLLECTION, {"token": "wrong"}, 401),
        ("GET", item(DOCUMENTED_ID), {}, 200),
        ("GET", item(UNKNOWN_ID), {}, 404),
        ("GET", item("not-an-id"), {}, 404),
        ("PATCH", item(created["id"]), {"json": {"position": "部長"}}, 200),
        ("PATCH", item(created["id"]), {"json": {"nickname": "x"}}, 400),
        ("PATCH", item(UNKNOWN_ID), {"json": {}}, 404),
        ("POST", COLLECTION, {"content": b"{", "headers": {"Content-Type": "application/json"}}, 400),
        ("POST", COLLECTION, {"content": b"{}", "headers": {"Content-Type": "text/plain"}}, 415),
        (
            "POST",
            COLLECTION,
            {"content": b"{" + b" " * 70_000 + b"}", "headers": {"Content-Type": "application/json"}},
            413,
        ),
        ("PUT", COLLECTION, {}, 405),
        ("DELETE", item(created["id"]), {}, 200),
        ("DELETE", item(created["id"]), {}, 404),
        ("GET", COLLECTION, {"headers": {"Prefer": "code=400"}}, 400),
        ("GET", COLLECTION, {"headers": {"Prefer": "dynamic=true"}}, 200),
        ("POST", COLLECTION, {"headers": {"Prefer": "code=201"}}, 201),
        ("GET", COLLECTION, {"headers": {"Prefer": "code=418"}}, 200),  # ignored: not documented
        ("GET", item(DOCUMENTED_ID), {"headers": {"Prefer": "code=400"}}, 200),
        ("DELETE", item(UNKNOWN_ID), {"headers": {"Prefer": "example=empty"}}, 404),
    ]
    for method, path, kwargs, status in expectations:
        response = api.request(method, path, **kwargs)
        assert response.status_code == status, (method, path, kwargs, response.text)


def test_a_normal_run_has_no_violations(checked: Api, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="mock_server"):
        exercise(checked)
    assert violations(checked) == 0
    assert VIOLATION not in caplog.text
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


def drop_total(call: Call) -> Reply:
    reply = HANDLERS_BEFORE["listContacts"](call)
    body = {k: v for k, v in json.loads(reply.body).items() if k != "total"}
    return Reply(body, reply.headers)


HANDLERS_BEFORE = dict(HANDLERS)


def test_a_bad_body_is_counted_and_logged_loudly(
    checked: Api, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setitem(checked.app.state.mock.handlers, "listContacts", drop_total)
    with caplog.at_level(logging.INFO, logger="mock_server"):
        response = checked.get(COLLECTION, params={"limit": 2})
    assert response.status_code == 200 and "total" not in response.json()  # sent as it is, but reported
    assert violations(checked) == 1
    errors = [r for r in caplog.records if r.levelno == logging.ERROR and VIOLATION in r.getMessage()]
    assert len(errors) == 1
    message = errors[0].getMessage()
    assert f"GET {COLLECTION} -> 200" in message and "total" in message
    checked.get(COLLECTION)
    assert violations(checked) == 2


def test_an_extra_field_in_a_contact_is_a_violation(
    checked: Api, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def leaky(call: Call) -> Reply:
        reply = HANDLERS_BEFORE["getContact"](call)
        return Reply({"contact": {**json.loads(reply.body)["contact"], "organization": "org_blueai"}})

    monkeypatch.setitem(checked.app.state.mock.handlers, "getContact", leaky)
    with caplog.at_level(logging.ERROR, logger="mock_server"):
        assert checked.get(item(DOCUMENTED_ID)).status_code == 200
    assert violations(checked) == 1
    assert "organization" in caplog.text and VIOLATION in caplog.text


def test_without_the_option_nothing_is_checked(
    api: Api, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setitem(api.app.state.mock.handlers, "listContacts", drop_total)
    with caplog.at_level(logging.INFO, logger="mock_server"):
        assert api.get(COLLECTION).status_code == 200
    assert violations(api) == 0
    assert VIOLATION not in caplog.text
