"""Shared constants and helpers of the mock's unit tests (fixtures live in conftest.py)."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

import httpx
from starlette.applications import Starlette

from contract_tests.contract import default as contract

CONTRACT = contract()  # paths, limits, cookie name: read from openapi.yaml
COLLECTION = CONTRACT.collection_path
TOKEN_A = "dev-token-org-a"
TOKEN_B = "dev-token-org-b"
ORG_A = "org_blueai"
ORG_B = "org_partner"
COOKIE = CONTRACT.cookie_name
MAX_BODY = CONTRACT.max_body_bytes

DOCUMENTED_ID = "cont_" + "b" * 32  # 山田 太郎 / taro@example.com, org A
B_CONTACT_ID = "cont_d82519c5c6938c4d5f7d2219b5842c96"  # org B's own 山田 太郎
UNKNOWN_ID = "cont_" + "0" * 32
COMPANY_A = "comp_" + "a" * 32
JSON = {"Content-Type": "application/json"}


def item(contact_id: str) -> str:
    return f"{COLLECTION}/{contact_id}"


def padded(text: str, size: int) -> bytes:
    """The JSON object `text` with white space after its `{`, exactly `size` bytes long."""
    raw = text.encode()
    assert raw.startswith(b"{") and len(raw) <= size
    return b"{" + b" " * (size - len(raw)) + raw[1:]


class Api:
    """A synchronous, in-process client of one app: each call runs on a fresh event loop."""

    def __init__(self, app: Starlette) -> None:
        self.app = app

    @property
    def store(self) -> Any:
        return self.app.state.mock.store

    def request(
        self,
        method: str,
        path: str,
        *,
        token: str | None = TOKEN_A,
        headers: Mapping[str, str] | None = None,
        **kwargs: Any,
    ) -> httpx.Response:
        sent = {"Authorization": f"Bearer {token}"} if token is not None else {}
        sent.update(headers or {})

        async def call() -> httpx.Response:
            transport = httpx.ASGITransport(app=self.app)
            async with httpx.AsyncClient(transport=transport, base_url="http://mock") as client:
                return await client.request(method, path, headers=sent, **kwargs)

        return asyncio.run(call())

    def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("POST", path, **kwargs)

    def patch(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("PATCH", path, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("DELETE", path, **kwargs)

    def create(self, **fields: Any) -> dict[str, Any]:
        response = self.post(COLLECTION, json={"first_name": "Emily", "last_name": "Carter", **fields})
        assert response.status_code == 201, response.text
        contact: dict[str, Any] = response.json()["contact"]
        return contact

    def everything(self, token: str = TOKEN_A) -> list[dict[str, Any]]:
        """The caller's whole list, oldest first."""
        response = self.get(COLLECTION, token=token, params={"limit": CONTRACT.max_limit, "order": "asc"})
        assert response.status_code == 200, response.text
        items: list[dict[str, Any]] = response.json()["items"]
        return items


def assert_error(
    response: httpx.Response,
    status: int,
    code: str,
    message: str | None = None,
    *,
    details: list[dict[str, str]] | None = None,
) -> dict[str, Any]:
    """The contract's error shape: exact status, JSON content type, `{"error": {...}}`."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert list(body) == ["error"]
    error: dict[str, Any] = body["error"]
    expected_keys = {"code", "message", "details"} if code == "validation_error" else {"code", "message"}
    assert set(error) == expected_keys
    assert error["code"] == code
    assert isinstance(error["message"], str) and error["message"]
    if message is not None:
        assert error["message"] == message
    if details is not None:
        assert error["details"] == details
    if code == "validation_error":
        assert error["details"], "a validation_error lists at least one field"
        for detail in error["details"]:
            assert set(detail) == {"field", "message"} and detail["message"]
    if status == 401:
        assert response.headers["www-authenticate"] == 'Bearer realm="contacts"'
    return error


# Messages the mock answers with (the contract fixes codes, not wording; the mock's own tests do).
NO_CREDENTIALS = "Credentials are required: a Bearer token or the session cookie."
BAD_HEADER = "The Authorization header must be 'Bearer <token>'."
INVALID_TOKEN = "The token is not valid."
CONTACT_NOT_FOUND = "Contact not found."
PATH_NOT_FOUND = "Not found."
TOO_LARGE = f"The request body exceeds {MAX_BODY} bytes."
MALFORMED = [{"field": "", "message": "malformed JSON"}]
