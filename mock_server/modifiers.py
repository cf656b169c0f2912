"""Modifiers: small objects that change a mock from the outside, through public seams only.

Modelled on schemathesis's test-app modifiers: a deliberately broken variant of
the mock (a planted bug), a slow dependency or a spec experiment is the real
mock plus one modifier, never a patch of its internals. Four seams:

- ``EditSpec(edit)``: edit the spec's document before the mock is built;
- ``OrganizationFactory(factory)``: build every organization with ``factory``
  (a subclass of :class:`~mock_server.store.Organization` overriding public methods);
- ``WrapHandler(operation_id, wrap)``: wrap or replace one operation's handler
  (``wrap(call, handler) -> Reply``; the handler table is per app);
- ``RewriteRequest(scope=..., body=...)`` / ``RewriteResponse(rewrite)``: pure
  ASGI middleware outside everything else, changing what the client sends or sees.

``build_app(*modifiers)`` builds the seeded mock with them; apps built with
different modifiers are independent and may live in one process.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from starlette.datastructures import MutableHeaders
from starlette.middleware import Middleware

from .app import create_app
from .fixtures import DEFAULT_FIXTURES_PATH, load_fixtures
from .handlers import Call, Handler, Reply
from .spec import DEFAULT_SPEC_PATH, YAML_LOADER, parse_spec
from .state import MockState
from .store import Contact, Organization
from .store import OrganizationFactory as Factory

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


class Modifier:
    """A change to a mock; each hook is a no-op unless a subclass overrides it."""

    def edit_spec(self, document: dict[str, Any]) -> None:
        """Edit the raw spec document (a private copy) in place."""

    def organization_factory(self) -> Factory | None:
        return None

    def wrap_handlers(self, handlers: dict[str, Handler]) -> None:
        """Change the app's own handler table in place."""

    def middleware(self) -> Middleware | None:
        return None


@dataclass(frozen=True)
class EditSpec(Modifier):
    edit: Callable[[dict[str, Any]], None]

    def edit_spec(self, document: dict[str, Any]) -> None:
        self.edit(document)


@dataclass(frozen=True)
class OrganizationFactory(Modifier):
    factory: Factory

    def organization_factory(self) -> Factory | None:
        return self.factory


@dataclass(frozen=True)
class WrapHandler(Modifier):
    """`wrap(call, handler)` answers instead of `handler` (call it to delegate)."""

    operation_id: str
    wrap: Callable[[Call, Handler], Reply]

    def wrap_handlers(self, handlers: dict[str, Handler]) -> None:
        inner, wrap = handlers[self.operation_id], self.wrap
        handlers[self.operation_id] = lambda call: wrap(call, inner)


@dataclass(frozen=True)
class RewriteRequest(Modifier):
    """Change the ASGI scope (headers, query string) and/or the body of POST/PATCH requests."""

    scope: Callable[[Scope], Scope] | None = None
    body: Callable[[Scope, bytes], bytes] | None = None

    def middleware(self) -> Middleware | None:
        return Middleware(_RewriteRequestMiddleware, scope_rewrite=self.scope, body_rewrite=self.body)


ResponseRewrite = Callable[[Scope, int, MutableHeaders, bytes], tuple[int, bytes]]


@dataclass(frozen=True)
class RewriteResponse(Modifier):
    """Change a response's status, headers (in place) and body."""

    rewrite: ResponseRewrite

    def middleware(self) -> Middleware | None:
        return Middleware(_RewriteResponseMiddleware, rewrite=self.rewrite)


@dataclass
class _Plan:
    document: dict[str, Any]
    factory: Factory | None = None
    wraps: list[Modifier] = field(default_factory=list)
    middleware: list[Middleware] = field(default_factory=list)


def build_app(
    *modifiers: Modifier,
    spec_path: Path = DEFAULT_SPEC_PATH,
    fixtures_path: Path | None = DEFAULT_FIXTURES_PATH,
) -> Any:
    """The seeded mock (the shipped spec and fixtures by default) with `modifiers` applied in order."""
    # libyaml (as load_spec): a fresh parse for each app, so nothing to copy
    plan = _Plan(yaml.load(spec_path.read_text(encoding="utf-8"), Loader=YAML_LOADER))
    for modifier in modifiers:
        modifier.edit_spec(plan.document)
        plan.factory = modifier.organization_factory() or plan.factory
        plan.wraps.append(modifier)
        extra = modifier.middleware()
        if extra is not None:
            plan.middleware.append(extra)
    spec = parse_spec(plan.document, source=spec_path)
    seed = load_fixtures(fixtures_path, spec) if fixtures_path is not None else None
    state = MockState.seeded(spec, seed, organization_factory=plan.factory)
    for modifier in plan.wraps:
        modifier.wrap_handlers(state.handlers)
    return create_app(state, middleware=plan.middleware)


def replace_contact(org: Organization, contact: Contact) -> Contact:
    """Swap the stored contact with the same id for `contact` (public store calls only)."""
    org.delete(contact.id)
    org.add(contact)
    return contact


# --------------------------------------------------------------------------- ASGI


class _RewriteRequestMiddleware:
    def __init__(
        self,
        app: ASGIApp,
        scope_rewrite: Callable[[Scope], Scope] | None = None,
        body_rewrite: Callable[[Scope, bytes], bytes] | None = None,
    ) -> None:
        self.app, self.scope_rewrite, self.body_rewrite = app, scope_rewrite, body_rewrite

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if self.scope_rewrite is not None:
            scope = self.scope_rewrite(dict(scope))
        if self.body_rewrite is not None and scope["method"] in ("POST", "PATCH"):
            raw = await read_body(receive)
            body = self.body_rewrite(scope, raw)
            if body != raw:
                scope = set_header(scope, "content-length", str(len(body)))
            receive = _replay(body, receive)
        await self.app(scope, receive, send)


class _RewriteResponseMiddleware:
    def __init__(self, app: ASGIApp, rewrite: ResponseRewrite) -> None:
        self.app, self.rewrite = app, rewrite

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start: Message = {}
        chunks: list[bytes] = []

        async def capture(message: Message) -> None:
            if message["type"] == "http.response.start":
                start.update(message)
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
                if not message.get("more_body", False):
                    headers = MutableHeaders(raw=list(start.get("headers", [])))
                    status, body = self.rewrite(scope, start["status"], headers, b"".join(chunks))
                    headers["content-length"] = str(len(body))
                    await send({"type": "http.response.start", "status": status, "headers": headers.raw})
                    await send({"type": "http.response.body", "body": body})
            else:
                await send(message)

        await self.app(scope, receive, capture)


async def read_body(receive: Receive) -> bytes:
    """The whole request body from an ASGI `receive` (up to a disconnect)."""
    chunks = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


def header(scope: Scope, name: str) -> str | None:
    """The value of request header `name` (lower case) in an ASGI scope."""
    for key, value in scope["headers"]:
        if key.decode("latin-1").lower() == name:
            return str(value.decode("latin-1"))
    return None


def set_header(scope: Scope, name: str, value: str | None) -> Scope:
    """A copy of `scope` with header `name` replaced by `value` (None: removed)."""
    headers = [(k, v) for k, v in scope["headers"] if k.decode("latin-1").lower() != name]
    if value is not None:
        headers.append((name.encode("latin-1"), value.encode("latin-1")))
    return {**scope, "headers": headers}


__all__ = [
    "EditSpec",
    "Modifier",
    "OrganizationFactory",
    "RewriteRequest",
    "RewriteResponse",
    "WrapHandler",
    "build_app",
    "header",
    "read_body",
    "replace_contact",
    "set_header",
]
