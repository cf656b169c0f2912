"""The suite's client and ledger against a misbehaving live deployment (respx: no network)."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import respx

from contract_tests import contract, failures
from contract_tests.client import (
    ApiClient,
    TargetConnectionLost,
    TargetRateLimited,
    TargetTimeout,
    TargetUnreachable,
    contact_path,
)
from contract_tests.failures import ContractViolation, expect_status
from contract_tests.ledger import RunLedger
from contract_tests.target import Target

BASE_URL = "http://deployment.test"
TOKEN = "secret-token"
CONTACT_ID = "cont_" + "1" * 32
COLLECTION = contract.default().collection_path


def make_client(token: str = TOKEN, style: str = "bearer") -> ApiClient:
    target = Target(description="x", base_url=BASE_URL, token=TOKEN, other_org_token=None)
    return ApiClient(target, token, style)


@pytest.fixture
def client() -> Iterator[ApiClient]:
    api = make_client()
    yield api
    api.close()


@pytest.fixture
def router() -> Iterator[respx.MockRouter]:
    with respx.mock(base_url=BASE_URL, assert_all_called=False) as mocked:
        yield mocked


@pytest.fixture
def secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    """The token is a registered secret for this test only (the registry is module state)."""
    monkeypatch.setattr(failures, "SECRET_VARIABLES", {})
    failures.register_secret(TOKEN, "CONTRACT_TOKEN")


def contact(contact_id: str = CONTACT_ID) -> dict[str, Any]:
    return {
        "id": contact_id,
        "first_name": "太郎",
        "last_name": "山田",
        "email": None,
        "phone": None,
        "position": None,
        "company_id": None,
        "note": None,
        "created_at": "2026-01-20T10:00:00Z",
        "updated_at": "2026-01-20T10:00:00Z",
    }


def empty_page() -> httpx.Response:
    return httpx.Response(200, json={"items": [], "total": 0, "limit": 200, "offset": 0})


def test_a_connection_error_is_target_unreachable(client: ApiClient, router: respx.MockRouter) -> None:
    router.get(COLLECTION).mock(side_effect=httpx.ConnectError("[Errno 111] Connection refused"))
    with pytest.raises(TargetUnreachable) as raised:
        client.list()
    message = str(raised.value)
    assert message.startswith(f"GET {BASE_URL}{COLLECTION}: cannot reach the target"), message
    assert "ConnectError" in message
    assert "Connection refused" in message


STALE = httpx.RemoteProtocolError("Server disconnected without sending a response.")


@pytest.mark.parametrize(
    ("losses", "sent"),
    [
        pytest.param([STALE], 2, id="remote-closed"),
        pytest.param([httpx.ReadError("[Errno 104] Connection reset by peer")], 2, id="reset-before-answer"),
        pytest.param([httpx.WriteError("[Errno 32] Broken pipe")], 2, id="broken-pipe"),
    ],
)
def test_a_request_that_meets_a_closed_kept_alive_connection_is_sent_again(
    client: ApiClient, router: respx.MockRouter, losses: list[Exception], sent: int
) -> None:
    # The server's idle timeout closed the connection as the request went out: not a verdict.
    route = router.post(COLLECTION).mock(side_effect=[*losses, httpx.Response(201, json=contact())])
    exchange = client.request("POST", COLLECTION, json={"first_name": "太郎", "last_name": "山田"})
    assert exchange.status == 201
    assert route.call_count == sent
    assert [call.request.content for call in route.calls] == [route.calls[0].request.content] * sent


def test_a_second_loss_in_a_row_is_connection_lost(client: ApiClient, router: respx.MockRouter) -> None:
    route = router.get(COLLECTION).mock(side_effect=[STALE, STALE, empty_page()])
    with pytest.raises(TargetConnectionLost) as raised:
        client.list()
    assert route.call_count == 2
    assert "the connection broke before the answer was complete" in str(raised.value)


def test_a_timeout_is_target_timeout(client: ApiClient, router: respx.MockRouter) -> None:
    router.get(contact_path(CONTACT_ID)).mock(side_effect=httpx.ReadTimeout("timed out"))
    with pytest.raises(TargetTimeout) as raised:
        client.get(CONTACT_ID)
    message = str(raised.value)
    assert message.startswith(f"GET {BASE_URL}{contact_path(CONTACT_ID)}: no answer within 30 s"), message
    assert "ReadTimeout" in message
    assert "--timeout" in message


def test_a_429_with_retry_after_is_retried_then_succeeds(client: ApiClient, router: respx.MockRouter) -> None:
    route = router.get(COLLECTION).mock(
        side_effect=[
            httpx.Response(429, headers={"Retry-After": "0"}, json={"error": "slow down"}),
            httpx.Response(429, headers={"Retry-After": "0"}, json={"error": "slow down"}),
            empty_page(),
        ]
    )
    exchange = client.list({"limit": 5})
    assert exchange.status == 200
    assert route.call_count == 3
    assert all(call.request.url.params["limit"] == "5" for call in route.calls)


def test_429_forever_is_target_rate_limited(client: ApiClient, router: respx.MockRouter) -> None:
    route = router.get(COLLECTION).mock(return_value=httpx.Response(429, headers={"Retry-After": "0"}))
    with pytest.raises(TargetRateLimited) as raised:
        client.list()
    assert route.call_count == 4  # the request and three retries
    message = str(raised.value)
    assert message.startswith(f"GET {BASE_URL}{COLLECTION}: still 429 Too Many Requests"), message
    assert "--rate-limit" in message


def test_a_violation_shows_the_exchange_and_a_curl_line_without_the_token(
    client: ApiClient, router: respx.MockRouter, secrets: None
) -> None:
    body = b'{"error": {"code": "internal", "message": "boom"}}'
    router.patch(contact_path(CONTACT_ID)).mock(
        return_value=httpx.Response(500, content=body, headers={"Content-Type": "application/json"})
    )
    exchange = client.patch(CONTACT_ID, {"position": "部長"})
    with pytest.raises(ContractViolation) as raised:
        expect_status(exchange, 200, "PATCH with valid fields succeeds")
    message = str(raised.value)
    lines = message.splitlines()
    assert lines[0] == "Contract violated: PATCH with valid fields succeeds"
    assert "expected status 200, got 500" in lines[1]
    assert f"Request:  PATCH {BASE_URL}{contact_path(CONTACT_ID)}" in lines
    assert "  authorization: Bearer $CONTRACT_TOKEN" in lines
    assert '  {"position": "部長"}' in lines
    assert "Response: 500 Internal Server Error" in message
    assert "  content-type: application/json" in lines
    assert "  " + body.decode() in lines
    assert "Reproduce:" in lines
    curl = lines[lines.index("Reproduce:") + 1].strip()
    assert curl.startswith("curl ") and "-X PATCH" in curl, curl
    assert "$CONTRACT_TOKEN" in curl
    assert TOKEN not in message

    # Pasted into a shell after `export CONTRACT_TOKEN=...`, the line sends the real token.
    shell = shutil.which("bash")
    if shell is not None:
        argv = subprocess.run(
            [shell, "-c", "printf '%s\\n' " + curl.removeprefix("curl ")],
            env={"CONTRACT_TOKEN": TOKEN, "PATH": ""},
            capture_output=True,
            text=True,
            check=True,
        ).stdout.splitlines()
        assert f"authorization: Bearer {TOKEN}" in argv
        assert '{"position": "部長"}' in argv
        assert argv[-1] == f"{BASE_URL}{contact_path(CONTACT_ID)}"


def test_the_ledger_deletes_what_was_created_with_the_creating_credentials(
    client: ApiClient, router: respx.MockRouter
) -> None:
    ledger = RunLedger()
    router.post(COLLECTION).mock(return_value=httpx.Response(201, json={"contact": contact()}))
    deleted = router.delete(contact_path(CONTACT_ID)).mock(
        return_value=httpx.Response(200, json={"success": True})
    )
    swept = router.get(COLLECTION).mock(return_value=empty_page())

    ledger.observe(client.create({"first_name": "太郎", "last_name": f"山田{ledger.family()}"}))
    assert ledger.created == 1

    cleaner = make_client("cleaner-token", "cookie")  # the end-of-run client: other credentials
    try:
        report = ledger.cleanup(cleaner)
    finally:
        cleaner.close()

    assert deleted.call_count == 1
    headers = deleted.calls.last.request.headers
    assert headers["authorization"] == f"Bearer {TOKEN}"
    assert "cookie" not in headers
    assert swept.calls.last.request.url.params["search"] == ledger.tag
    assert (report.created, report.deleted_by_tests, report.removed_at_end) == (1, 0, 1)
    assert report.left_behind == []
    assert "0 left behind" in report.summary()


def test_a_delete_answered_500_is_left_behind(client: ApiClient, router: respx.MockRouter) -> None:
    ledger = RunLedger()
    router.post(COLLECTION).mock(return_value=httpx.Response(201, json={"contact": contact()}))
    router.delete(contact_path(CONTACT_ID)).mock(return_value=httpx.Response(500, json={"error": "boom"}))
    router.get(COLLECTION).mock(return_value=empty_page())

    ledger.observe(client.create({"first_name": "太郎", "last_name": f"山田{ledger.family()}"}))
    report = ledger.cleanup(client)

    assert report.left_behind == [f"{CONTACT_ID} (500)"]
    assert report.removed_at_end == 0
    summary = report.summary()
    assert "1 left behind" in summary
    assert f"could not delete: {CONTACT_ID} (500)" in summary


def test_a_contact_deleted_by_a_test_is_not_deleted_again(
    client: ApiClient, router: respx.MockRouter
) -> None:
    ledger = RunLedger()
    router.post(COLLECTION).mock(return_value=httpx.Response(201, json={"contact": contact()}))
    deleted = router.delete(contact_path(CONTACT_ID)).mock(
        return_value=httpx.Response(200, json={"success": True})
    )
    router.get(COLLECTION).mock(return_value=empty_page())

    ledger.observe(client.create({"first_name": "太郎", "last_name": f"山田{ledger.family()}"}))
    ledger.observe(client.delete(CONTACT_ID))
    report = ledger.cleanup(client)

    assert deleted.call_count == 1  # the test's own delete, none at cleanup
    assert (report.created, report.deleted_by_tests, report.removed_at_end) == (1, 1, 0)
    assert "0 left behind" in report.summary()
