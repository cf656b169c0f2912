"""`Prefer` (Prism's conventions): code=, example=, dynamic=true, delay=; auth still comes first.

What the mock cannot honour is ignored (RFC 7240) and explained in `X-Mock-Prefer-Ignored`.
"""

from __future__ import annotations

import time
from typing import Any

import jsonschema_rs
import pytest
from devkit import AUTH_A, call
from mockkit import (
    COLLECTION,
    DOCUMENTED_ID,
    INVALID_TOKEN,
    JSON,
    NO_CREDENTIALS,
    UNKNOWN_ID,
    Api,
    assert_error,
    item,
)

from mock_server.prefer import APPLIED_HEADER, IGNORED_HEADER, MAX_DELAY_MS, Preferences, parse_prefer
from mock_server.spec import Operation, Spec


def media(operation: Operation, status: int) -> dict[str, Any]:
    content: dict[str, Any] = operation.responses[str(status)]["content"]["application/json"]
    return content


def validator(operation: Operation, status: int) -> jsonschema_rs.Validator:
    return jsonschema_rs.Draft202012Validator(media(operation, status)["schema"], validate_formats=True)


def assert_valid(operation: Operation, status: int, body: Any) -> None:
    errors = [f"{list(e.instance_path)}: {e.message}" for e in validator(operation, status).iter_errors(body)]
    assert not errors, f"{operation.operation_id} {status}: {errors}\n{body}"


# --- parsing -------------------------------------------------------------------------------------

PARSED = [
    (None, Preferences()),
    ("", Preferences()),
    ("code=404", Preferences(code=404)),
    ("Code = 404", Preferences(code=404)),
    ('example="empty"', Preferences(example="empty")),
    ("example=", Preferences()),
    ("dynamic=true", Preferences(dynamic=True)),
    ("dynamic=TRUE", Preferences(dynamic=True)),
    ("dynamic=false", Preferences()),
    ("delay=0", Preferences()),
    ("delay=250", Preferences(delay_ms=250)),
    (f"delay={MAX_DELAY_MS}", Preferences(delay_ms=MAX_DELAY_MS)),
    ("code=404, example=notfound", Preferences(code=404, example="notfound")),
    ("code=404; foo=bar", Preferences(code=404)),
    ("code=200,,delay=5", Preferences(code=200, delay_ms=5)),
    ("return=representation, respond-async", Preferences()),
    ("code=201, dynamic=true, delay=10", Preferences(code=201, dynamic=True, delay_ms=10)),
]


@pytest.mark.parametrize(("header", "expected"), PARSED)
def test_parse_table(header: str | None, expected: Preferences) -> None:
    assert parse_prefer(header) == expected


@pytest.mark.parametrize(
    ("preferences", "canned"),
    [
        (Preferences(), False),
        (Preferences(delay_ms=5), False),
        (Preferences(code=404), True),
        (Preferences(example="empty"), True),
        (Preferences(dynamic=True), True),
    ],
)
def test_canned_means_a_documented_answer_is_wanted(preferences: Preferences, canned: bool) -> None:
    assert preferences.canned is canned


@pytest.mark.parametrize(
    ("header", "named"),
    [
        ("code=abc", "code='abc'"),
        ("code=40", "code='40'"),
        ("code=4040", "code='4040'"),
        ("code=", "code=''"),
        ("code=-40", "code='-40'"),
        ("delay=-1", "delay='-1'"),
        (f"delay={MAX_DELAY_MS + 1}", f"delay='{MAX_DELAY_MS + 1}'"),
        ("delay=1.5", "delay='1.5'"),
        ("delay=soon", "delay='soon'"),
        ("dynamic=yes", "dynamic='yes'"),
        ("dynamic", "dynamic=''"),
        ("code=\u00b2\u00b2\u00b2", "code='\u00b2\u00b2\u00b2'"),  # str.isdigit() is true, int() refuses
        ("delay=\u00b9", "delay='\u00b9'"),
    ],
)
def test_parse_ignores_bad_values_and_says_why(header: str, named: str) -> None:
    # RFC 7240: a preference the server cannot honour is ignored, never an error.
    preferences = parse_prefer(header)
    assert (preferences.code, preferences.delay_ms, preferences.dynamic) == (None, 0, False)
    assert len(preferences.ignored) == 1 and preferences.ignored[0].startswith(named)


def test_a_bad_value_leaves_the_good_ones() -> None:
    assert parse_prefer("code=abc, example=empty, delay=5") == Preferences(
        example="empty", delay_ms=5, ignored=("code='abc' is not an HTTP status code",)
    )


# --- code= -----------------------------------------------------------------------------------------


def test_code_404_returns_the_documented_example(api: Api, spec: Spec) -> None:
    operation = spec.operation("getContact")
    response = api.get(item(DOCUMENTED_ID), headers={"Prefer": "code=404"})  # exists, still 404
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/json"
    assert response.json() == media(operation, 404)["example"]
    assert api.get(item(DOCUMENTED_ID)).status_code == 200  # nothing changed


def test_code_200_returns_the_documented_default_example(api: Api, spec: Spec) -> None:
    response = api.get(item(UNKNOWN_ID), headers={"Prefer": "code=200"})
    assert response.status_code == 200
    assert response.json() == media(spec.operation("getContact"), 200)["examples"]["default"]["value"]


def test_every_documented_status_can_be_asked_for_and_fits_its_schema(api: Api, spec: Spec) -> None:
    for operation in spec.operations:
        path = operation.path.replace("{id}", DOCUMENTED_ID)
        for status in operation.documented_statuses:
            response = api.request(operation.method, path, headers={"Prefer": f"code={status}"})
            assert response.status_code == status, (operation.operation_id, response.text)
            assert_valid(operation, status, response.json())
            if status == 201:
                assert response.headers["location"] == item(response.json()["contact"]["id"])


def test_a_canned_401_carries_the_challenge_like_a_real_one(api: Api) -> None:
    # RFC 9110 (and the mock's own 401s): every 401 sends WWW-Authenticate.
    real = api.get(COLLECTION, token=None)
    canned = api.get(COLLECTION, headers={"Prefer": "code=401"})
    assert canned.status_code == real.status_code == 401
    assert canned.headers.get("www-authenticate") == real.headers["www-authenticate"]


def test_canned_create_sends_the_location_header(api: Api) -> None:
    response = api.post(COLLECTION, headers={"Prefer": "code=201"})
    assert response.status_code == 201
    assert response.headers["location"] == item(DOCUMENTED_ID)


@pytest.mark.parametrize(
    ("method", "path", "code", "normal", "documented"),
    [
        ("GET", item(DOCUMENTED_ID), 418, 200, "200, 401, 404"),
        ("GET", item(DOCUMENTED_ID), 400, 200, "200, 401, 404"),
        ("GET", item(UNKNOWN_ID), 400, 404, "200, 401, 404"),
        ("GET", COLLECTION, 404, 200, "200, 400, 401"),
        ("DELETE", item(UNKNOWN_ID), 500, 404, "200, 401, 404"),
    ],
)
def test_an_undocumented_code_is_ignored_and_the_headers_say_why(
    api: Api, method: str, path: str, code: int, normal: int, documented: str
) -> None:
    before = api.store.version
    response = api.request(method, path, headers={"Prefer": f"code={code}"})
    assert response.status_code == normal  # answered as if no Prefer had been sent
    reason = response.headers[IGNORED_HEADER]
    assert f"code={code} is not documented" in reason and documented in reason
    assert APPLIED_HEADER not in response.headers
    assert api.store.version == before


def test_example_empty_on_get_contact_is_ignored_and_journaled(api: Api) -> None:
    # The case: `example=empty` on getContact used to be an undocumented 400.
    response = api.get(item(DOCUMENTED_ID), headers={"Prefer": "example=empty"})
    assert response.status_code == 200
    assert response.json()["contact"]["id"] == DOCUMENTED_ID  # the store's answer
    reason = "example=empty is not documented for getContact 200 (documented: default)"
    assert response.headers[IGNORED_HEADER] == reason
    entry = api.app.state.mock.journal.query()[0]
    assert (entry.path, entry.status, entry.prefer_ignored) == (item(DOCUMENTED_ID), 200, reason)


def test_what_is_honoured_is_listed_in_preference_applied(api: Api) -> None:
    response = api.get(item(DOCUMENTED_ID), headers={"Prefer": "code=404, example=nope, delay=1"})
    assert response.status_code == 404
    assert response.headers[APPLIED_HEADER] == "code=404, delay=1"
    assert response.headers[IGNORED_HEADER].startswith("example=nope is not documented for getContact 404")


def test_dynamic_wins_over_example_and_says_so(api: Api) -> None:
    response = api.get(COLLECTION, headers={"Prefer": "example=empty, dynamic=true"})
    assert response.status_code == 200
    assert response.headers[APPLIED_HEADER] == "dynamic=true"
    reason = "example=empty is not used with dynamic=true (generated data wins)"
    assert response.headers[IGNORED_HEADER] == reason


def test_no_prefer_no_prefer_headers(api: Api) -> None:
    response = api.get(COLLECTION, headers={"Prefer": "return=minimal"})
    assert APPLIED_HEADER not in response.headers and IGNORED_HEADER not in response.headers


# --- example= --------------------------------------------------------------------------------------


def test_example_empty_on_the_list(api: Api, spec: Spec) -> None:
    response = api.get(COLLECTION, headers={"Prefer": "example=empty"})
    assert response.status_code == 200
    assert response.json() == {"items": [], "total": 0, "limit": 50, "offset": 0}
    assert response.json() == media(spec.operation("listContacts"), 200)["examples"]["empty"]["value"]


def test_example_default_on_the_list_is_the_documented_page(api: Api, spec: Spec) -> None:
    response = api.get(COLLECTION, headers={"Prefer": "example=default"})
    assert response.status_code == 200
    assert response.json() == media(spec.operation("listContacts"), 200)["examples"]["default"]["value"]


def test_example_with_a_code(api: Api, spec: Spec) -> None:
    response = api.get(COLLECTION, headers={"Prefer": "code=400, example=example"})
    assert response.status_code == 400
    assert response.json() == media(spec.operation("listContacts"), 400)["example"]


def test_an_unknown_example_is_ignored_listing_the_documented_ones(api: Api) -> None:
    response = api.get(COLLECTION, headers={"Prefer": "example=unknown"})
    assert response.status_code == 200 and response.json()["total"] == 40  # the store's answer
    assert "example=unknown" in response.headers[IGNORED_HEADER]
    assert "default, empty" in response.headers[IGNORED_HEADER]


def test_examples_are_copies(api: Api) -> None:
    first = api.get(COLLECTION, headers={"Prefer": "example=default"}).json()
    second = api.get(COLLECTION, headers={"Prefer": "example=default"}).json()
    assert first == second


# --- dynamic=true ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("operation_id", "path", "status"),
    [
        ("listContacts", COLLECTION, 200),
        ("getContact", item(UNKNOWN_ID), 200),
        ("createContact", COLLECTION, 201),
        ("updateContact", item(UNKNOWN_ID), 200),
        ("deleteContact", item(DOCUMENTED_ID), 200),
        ("getContact", item(DOCUMENTED_ID), 404),
        ("listContacts", COLLECTION, 400),
    ],
)
def test_dynamic_data_fits_the_response_schema_and_leaves_the_store_alone(
    api: Api, spec: Spec, operation_id: str, path: str, status: int
) -> None:
    operation = spec.operation(operation_id)
    snapshot, version = api.store.snapshot(), api.store.version
    prefer = "dynamic=true" if 200 <= status < 300 else f"code={status}, dynamic=true"
    for _ in range(15):
        response = api.request(operation.method, path, headers={"Prefer": prefer})
        assert response.status_code == status, response.text
        assert_valid(operation, status, response.json())
        if status == 201:
            assert response.headers["location"] == item(response.json()["contact"]["id"])
    assert api.store.version == version
    assert api.store.snapshot() == snapshot


def test_dynamic_create_stores_nothing_even_with_a_valid_body(api: Api) -> None:
    before = api.everything()
    response = api.post(
        COLLECTION, headers={"Prefer": "dynamic=true", **JSON}, json={"first_name": "A", "last_name": "B"}
    )
    assert response.status_code == 201
    created = response.json()["contact"]["id"]
    assert api.get(item(created)).status_code == 404
    assert api.everything() == before


def test_dynamic_list_varies(api: Api) -> None:
    bodies = {api.get(COLLECTION, headers={"Prefer": "dynamic=true"}).text for _ in range(5)}
    assert len(bodies) > 1


# --- delay= ----------------------------------------------------------------------------------------


def test_delay_holds_the_response_and_keeps_the_real_data(api: Api) -> None:
    started = time.perf_counter()
    response = api.get(COLLECTION, headers={"Prefer": "delay=300"})
    elapsed = time.perf_counter() - started
    assert response.status_code == 200
    assert response.json()["total"] == 40  # the store's answer, not a canned one
    assert elapsed >= 0.3


def test_delay_over_the_maximum_is_ignored_without_waiting(api: Api) -> None:
    started = time.perf_counter()
    response = api.get(COLLECTION, headers={"Prefer": f"delay={MAX_DELAY_MS + 1}"})
    assert time.perf_counter() - started < 5
    assert response.status_code == 200
    assert str(MAX_DELAY_MS) in response.headers[IGNORED_HEADER]


# --- precedence: auth and method first -------------------------------------------------------------


@pytest.mark.parametrize("prefer", ["code=200", "dynamic=true", "example=default", "code=418", "delay=abc"])
def test_prefer_without_a_token_is_a_401(api: Api, prefer: str) -> None:
    assert_error(
        api.get(COLLECTION, token=None, headers={"Prefer": prefer}), 401, "unauthorized", NO_CREDENTIALS
    )


def test_prefer_with_a_wrong_token_is_a_401(api: Api) -> None:
    response = api.get(item(DOCUMENTED_ID), token="not-a-token", headers={"Prefer": "code=200"})
    assert_error(response, 401, "unauthorized", INVALID_TOKEN)


def test_no_delay_before_authentication(api: Api) -> None:
    started = time.perf_counter()
    response = api.get(COLLECTION, token=None, headers={"Prefer": "delay=2000"})
    assert response.status_code == 401
    assert time.perf_counter() - started < 1.5


def test_prefer_on_an_undocumented_method_is_still_a_405(api: Api) -> None:
    response = api.request("PUT", COLLECTION, headers={"Prefer": "code=200"})
    assert_error(response, 405, "method_not_allowed")
    assert response.headers["allow"] == "GET, POST"


@pytest.mark.parametrize("raw", [b"code=\xb2\xb2\xb2", b"delay=\xb9"], ids=["code-xb2", "delay-xb9"])
def test_prefer_with_latin1_superscript_digits_is_ignored_not_a_500(api: Api, raw: bytes) -> None:
    # Header bytes are decoded as latin-1: 0xB2 is '²', which str.isdigit() accepts and int() refuses.
    headers = [(b"Authorization", AUTH_A["Authorization"].encode()), (b"Prefer", raw)]
    response = call(api.app, "GET", COLLECTION, headers=headers, raise_app_exceptions=False)
    assert response.status_code == 200
    assert IGNORED_HEADER in response.headers
