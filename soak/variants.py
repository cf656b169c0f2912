"""Correct-but-different server behaviour, as a reverse proxy in front of the mock (test-only).

Each variant is a server a contract-abiding team could have written: it answers
what the mock answers, only differently where the contract allows it. The
contract suite must pass against every one of them, every time.

| variant    | what differs                                                                 |
|------------|------------------------------------------------------------------------------|
| plain      | nothing (the proxy hop only)                                                 |
| latency    | every answer 40 ms later (`--latency-ms`)                                    |
| shuffled   | JSON object keys in random order, extra response headers                     |
| gzip       | bodies gzip-compressed when the client accepts it                           |
| close      | no keep-alive: `Connection: close` on every answer                           |
| busy       | another client creates, changes and deletes contacts in the same organization |
| millis     | timestamps with millisecond precision (still strictly increasing per contact) |
| micros     | timestamps always with six fractional digits                                 |
| messages   | other error messages (the codes and fields stay)                             |
| independent| not the mock at all: `tests/independent`, a second implementation written from |
|            | the docs only, making the other choice wherever the contract is silent         |

`independent` is served by `soak/servers.py` directly, not through a `VariantProxy`.
"""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import json
import random
import re
import secrets
from collections.abc import Awaitable, Callable, MutableMapping
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

VARIANTS = (
    "plain",
    "latency",
    "shuffled",
    "gzip",
    "close",
    "busy",
    "millis",
    "micros",
    "messages",
    "independent",
)
PROXIED = tuple(v for v in VARIANTS if v != "independent")
_HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "content-encoding"}
_FORWARDED_NOT = {"host", "accept-encoding", *_HOP_BY_HOP} - {"content-encoding"}  # the request side
_TIMESTAMP = re.compile(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?Z$")
COLLECTION = "/api/v1/crm/contacts"


class Rewriter:
    """How one variant changes an answer: status, headers, JSON body (None: leave the body)."""

    def __init__(self, variant: str, latency_ms: float) -> None:
        self.variant = variant
        self.latency = latency_ms / 1000
        # contact id -> (last upstream updated_at, last rendered), for monotonic millisecond rendering
        self._rendered: dict[str, dict[str, str]] = {}

    def headers(self, headers: list[tuple[str, str]], accepts_gzip: bool) -> list[tuple[str, str]]:
        if self.variant == "shuffled":
            extra = [
                ("X-Request-Id", secrets.token_hex(8)),
                ("X-Powered-By", "Contacts/2.3"),
                ("Cache-Control", "no-store"),
                ("Server-Timing", f"db;dur={random.randint(1, 9)}"),
                ("Strict-Transport-Security", "max-age=63072000"),
            ]
            headers = [*headers, *extra]
            random.shuffle(headers)
        if self.variant == "close":
            headers = [*headers, ("Connection", "close")]
        if self.variant == "gzip" and accepts_gzip:
            headers = [*headers, ("Content-Encoding", "gzip"), ("Vary", "Accept-Encoding")]
        return headers

    def body(self, data: Any) -> Any:
        if self.variant == "shuffled":
            return _shuffle(data)
        if self.variant == "millis":
            return self._millis(data)
        if self.variant == "micros":
            return _walk_timestamps(data, _micros)
        if self.variant == "messages" and isinstance(data, dict) and isinstance(data.get("error"), dict):
            error = dict(data["error"])
            error["message"] = f"Request rejected ({error.get('code', 'error')})."
            if isinstance(error.get("details"), list):
                error["details"] = [
                    {**d, "message": "Invalid value."} if isinstance(d, dict) else d for d in error["details"]
                ]
            return {**data, "error": error}
        return data

    def _millis(self, data: Any) -> Any:
        contacts = []
        if isinstance(data, dict):
            if isinstance(data.get("contact"), dict):
                contacts.append(data["contact"])
            if isinstance(data.get("items"), list):
                contacts += [c for c in data["items"] if isinstance(c, dict)]
        for contact in contacts:
            seen = self._rendered.setdefault(str(contact.get("id")), {})
            for name in ("created_at", "updated_at"):
                value = contact.get(name)
                if isinstance(value, str):
                    contact[name] = self._render_millis(seen, value)
        return data

    @staticmethod
    def _render_millis(seen: dict[str, str], value: str) -> str:
        """Milliseconds, in the upstream's order, whatever order the answers arrive in.

        A correct millisecond server stamps a contact's writes one after another, so a
        later write renders strictly later than every earlier one. Answers to concurrent
        writes can reach this proxy out of order: a value is placed strictly between the
        renderings of its upstream neighbours, not only after the ones already seen.
        """
        if value in seen:
            return seen[value]
        moment = _parse(value)
        if moment is None:
            return value
        known = [(_parse(v), _parse(r)) for v, r in seen.items()]
        below = max((r for v, r in known if v and r and v < moment), default=None)
        above = min((r for v, r in known if v and r and v > moment), default=None)
        rendered = _between(moment.replace(microsecond=moment.microsecond // 1000 * 1000), below, above)
        digits = (
            f"{rendered.microsecond // 1000:03d}"
            if rendered.microsecond % 1000 == 0
            else f"{rendered.microsecond:06d}"
        )
        text = rendered.strftime("%Y-%m-%dT%H:%M:%S") + f".{digits}Z"
        seen[value] = text
        return text


def _between(candidate: datetime, below: datetime | None, above: datetime | None) -> datetime:
    """`candidate`, moved by whole milliseconds to lie strictly between `below` and `above`; where no
    millisecond is left between them, the microsecond halfway (fractional precision may vary)."""
    step = timedelta(milliseconds=1)
    if below is not None and candidate <= below:
        candidate = below + step
    if above is not None and candidate >= above:
        candidate = above - step
    if below is not None and above is not None and candidate <= below:
        candidate = below + (above - below) / 2
    return candidate


def _parse(value: str) -> datetime | None:
    match = _TIMESTAMP.match(value)
    if not match:
        return None
    fraction = (match.group(2) or "").ljust(6, "0")[:6]
    return datetime.fromisoformat(match.group(1)).replace(tzinfo=UTC, microsecond=int(fraction))


def _micros(value: str) -> str:
    moment = _parse(value)
    if moment is None:
        return value
    return moment.strftime("%Y-%m-%dT%H:%M:%S") + f".{moment.microsecond:06d}Z"


def _walk_timestamps(data: Any, render: Callable[[str], str]) -> Any:
    if isinstance(data, dict):
        return {
            k: render(v)
            if k in ("created_at", "updated_at") and isinstance(v, str)
            else _walk_timestamps(v, render)
            for k, v in data.items()
        }
    if isinstance(data, list):
        return [_walk_timestamps(v, render) for v in data]
    return data


def _shuffle(data: Any) -> Any:
    if isinstance(data, dict):
        items = [(k, _shuffle(v)) for k, v in data.items()]
        random.shuffle(items)
        return dict(items)
    if isinstance(data, list):
        return [_shuffle(v) for v in data]
    return data


class VariantProxy:
    """An ASGI app that forwards every request to `upstream` and rewrites the answer."""

    def __init__(self, upstream: str, variant: str, latency_ms: float = 40.0) -> None:
        if variant not in PROXIED:
            raise ValueError(f"unknown proxy variant {variant!r}; one of {', '.join(PROXIED)}")
        self.upstream = upstream.rstrip("/")
        self.rewriter = Rewriter(variant, latency_ms)
        self.variant = variant
        self._client: httpx.AsyncClient | None = None

    def client(self) -> httpx.AsyncClient:
        if self._client is None:
            # Idle connections are dropped well before the mock's own keep-alive timeout (uvicorn:
            # 5 s), as a gateway configures it: else a reused connection can meet the mock's close.
            limits = httpx.Limits(max_connections=64, max_keepalive_connections=64, keepalive_expiry=2.0)
            self._client = httpx.AsyncClient(base_url=self.upstream, timeout=60, limits=limits)
        return self._client

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await _lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        headers = [
            (k.decode("latin-1"), v.decode("latin-1"))
            for k, v in scope["headers"]
            # The body goes upstream whole, with its own Content-Length: the client's framing
            # headers are hop-by-hop (RFC 9110 7.6.1); a chunked request's Transfer-Encoding kept
            # beside the new Content-Length made the mock refuse the forwarded request (400).
            if k.decode("latin-1").lower() not in _FORWARDED_NOT
        ]
        path = scope.get("raw_path") or scope["path"].encode()
        url = path.decode("latin-1") + (
            "?" + scope["query_string"].decode("latin-1") if scope["query_string"] else ""
        )
        answer = await self._forward(scope["method"], url, headers, body)
        accepts_gzip = any(
            k.lower() == b"accept-encoding" and b"gzip" in v.lower() for k, v in scope["headers"]
        )
        content = answer.content
        if answer.headers.get("content-type", "").startswith("application/json") and content:
            with contextlib.suppress(ValueError):
                content = json.dumps(self.rewriter.body(json.loads(content)), ensure_ascii=False).encode()
        out = [(k, v) for k, v in answer.headers.items() if k.lower() not in _HOP_BY_HOP]
        out = self.rewriter.headers(out, accepts_gzip)
        if self.variant == "gzip" and accepts_gzip:
            content = gzip.compress(content, compresslevel=5)
        out.append(("Content-Length", str(len(content))))
        if self.rewriter.latency and self.variant == "latency":
            await asyncio.sleep(self.rewriter.latency)
        await send(
            {
                "type": "http.response.start",
                "status": answer.status_code,
                "headers": [(k.encode("latin-1"), v.encode("latin-1")) for k, v in out],
            }
        )
        await send({"type": "http.response.body", "body": content})

    async def _forward(
        self, method: str, url: str, headers: list[tuple[str, str]], body: bytes
    ) -> httpx.Response:
        """The upstream's answer; sent once more when the mock closed a kept-alive connection just as
        it was reused ("disconnected without sending a response": the mock read nothing of it), as a
        gateway does. Without this, the proxy itself answered 500: a wrapper fault, not the mock's."""
        try:
            return await self.client().request(method, url, headers=headers, content=body)
        except httpx.RemoteProtocolError:
            return await self.client().request(method, url, headers=headers, content=body)


async def _lifespan(receive: Receive, send: Send) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return


async def busy_writer(upstream: str, token: str, stop: asyncio.Event, interval: float = 0.02) -> int:
    """Another client of the same organization: creates, changes and deletes its own contacts."""
    headers = {"Authorization": f"Bearer {token}"}
    alive: list[str] = []
    writes = 0
    async with httpx.AsyncClient(base_url=upstream, headers=headers, timeout=30) as client:
        while not stop.is_set():
            try:
                action = random.random()
                if action < 0.45 or not alive:
                    answer = await client.post(
                        COLLECTION,
                        json={"first_name": random.choice(["太郎", "花子", "Anne"]), "last_name": "他社"},
                    )
                    if answer.status_code == 201:
                        alive.append(answer.json()["contact"]["id"])
                elif action < 0.75:
                    await client.patch(
                        f"{COLLECTION}/{random.choice(alive)}", json={"note": secrets.token_hex(4)}
                    )
                else:
                    await client.delete(f"{COLLECTION}/{alive.pop(random.randrange(len(alive)))}")
                writes += 1
            except httpx.HTTPError:
                pass
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), interval)
        for contact_id in alive:
            with contextlib.suppress(httpx.HTTPError):
                await client.delete(f"{COLLECTION}/{contact_id}")
    return writes
