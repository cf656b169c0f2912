"""A deliberately broken mock for the load test: concurrent PATCHes lose updates.

`lost_updates()` wraps the real mock in a pure-ASGI layer (no mock internals
touched) that turns every PATCH into read, yield, write-everything:

    BUG: PATCH reads the contact, yields to other requests, then writes back
    every field (the ones it read, updated with the ones sent). A PATCH of
    another field acknowledged in between is silently undone.

One client at a time never sees it (the contract suite's tests pass against
it); two users patching different fields of one contact do.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from mock_server import DEFAULT_FIXTURES_PATH, MockState, create_app, load_fixtures, load_spec
from mock_server.modifiers import read_body

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

CONTACT_PATH = re.compile(r"^/api/v1/crm/contacts/[^/]+$")
WRITABLE = ("first_name", "last_name", "email", "phone", "position", "company_id", "note")


def _replay(body: bytes) -> Receive:
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if sent:
            await asyncio.Event().wait()  # no more body: wait for a disconnect that never comes
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return receive


def _with_body(scope: Scope, method: str, body: bytes) -> Scope:
    headers = [(k, v) for k, v in scope["headers"] if k.lower() != b"content-length"]
    headers.append((b"content-length", str(len(body)).encode()))
    return {**scope, "method": method, "headers": headers}


class ReadYieldWrite:
    """Pure ASGI around any Contacts API app; see the module docstring for the bug."""

    def __init__(self, app: ASGIApp, pause: float = 0.01) -> None:
        self.app = app
        self.pause = pause

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "PATCH" or not CONTACT_PATH.match(scope["path"]):
            await self.app(scope, receive, send)
            return
        body = await read_body(receive)
        full = await self._read_then_merge(scope, body)
        if full is None:
            await self.app(scope, _replay(body), send)
            return
        await asyncio.sleep(self.pause)  # BUG: other PATCHes run here; what they change is overwritten below
        written = json.dumps(full, ensure_ascii=False).encode("utf-8")
        await self.app(_with_body(scope, "PATCH", written), _replay(written), send)

    async def _read_then_merge(self, scope: Scope, body: bytes) -> dict[str, Any] | None:
        try:
            patch = json.loads(body)
        except ValueError:
            return None
        if not isinstance(patch, dict):
            return None
        status, answer = await self._get(scope)
        if status != 200:
            return None
        current = json.loads(answer)["contact"]
        return {**{name: current[name] for name in WRITABLE}, **patch}

    async def _get(self, scope: Scope) -> tuple[int, bytes]:
        start: dict[str, Any] = {}
        chunks: list[bytes] = []

        async def capture(message: Message) -> None:
            if message["type"] == "http.response.start":
                start.update(message)
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))

        await self.app(_with_body(scope, "GET", b""), _replay(b""), capture)
        return int(start.get("status", 500)), b"".join(chunks)


def lost_updates() -> ASGIApp:
    """The seeded mock (as `make mock` serves it) with the lost-update bug."""
    spec = load_spec()
    app: ASGIApp = create_app(MockState.seeded(spec, load_fixtures(DEFAULT_FIXTURES_PATH, spec)))
    return ReadYieldWrite(app)
