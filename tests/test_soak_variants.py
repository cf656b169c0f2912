"""The soak's variant servers are correct servers: what the suite flags there is the suite's fault.

Two wrapper faults once showed up as soak failures (2026-11-30): the `millis`
variant rendered two concurrent changes of one contact with the same
`updated_at` when their answers crossed, and the proxy answered 500 when the
mock closed a kept-alive connection just as the proxy reused it.
"""

from __future__ import annotations

import asyncio
import itertools
import json

import httpx
import pytest

from soak.variants import Rewriter, VariantProxy, _parse

# One contact's upstream timestamps, all inside one millisecond, then one later.
UPSTREAM = [
    "2026-11-30T12:46:56.344100Z",
    "2026-11-30T12:46:56.344200Z",
    "2026-11-30T12:46:56.344300Z",
    "2026-11-30T12:46:56.344400Z",
    "2026-11-30T12:46:56.345900Z",
]


@pytest.mark.parametrize("arrival", list(itertools.permutations(range(len(UPSTREAM)))))
def test_millis_keeps_the_upstream_order_whatever_order_answers_arrive_in(arrival: tuple[int, ...]) -> None:
    seen: dict[str, str] = {}
    rendered = {i: Rewriter._render_millis(seen, UPSTREAM[i]) for i in arrival}
    for i in range(len(UPSTREAM)):
        assert Rewriter._render_millis(seen, UPSTREAM[i]) == rendered[i], (
            "a value renders the same every time"
        )
    # Same width of fraction or not, the instants must keep the upstream order, all distinct.
    instants = [_parse(rendered[i]) for i in range(len(UPSTREAM))]
    assert all(a is not None and b is not None and a < b for a, b in itertools.pairwise(instants)), rendered


def test_millis_renders_a_lone_value_in_milliseconds() -> None:
    assert Rewriter._render_millis({}, "2026-11-30T12:46:56.344999Z") == "2026-11-30T12:46:56.344Z"


def test_a_connection_the_mock_closed_is_retried_not_answered_500() -> None:
    calls = []

    def upstream(request: httpx.Request) -> httpx.Response:
        calls.append(request.method)
        if len(calls) == 1:
            raise httpx.RemoteProtocolError("Server disconnected without sending a response.")
        return httpx.Response(200, json={"items": []})

    proxy = VariantProxy("http://mock.test", "plain")
    proxy._client = httpx.AsyncClient(base_url="http://mock.test", transport=httpx.MockTransport(upstream))

    async def ask() -> httpx.Response:
        transport = httpx.ASGITransport(app=proxy)
        async with httpx.AsyncClient(transport=transport, base_url="http://variant.test") as client:
            return await client.get("/api/v1/crm/contacts")

    answer = asyncio.run(ask())
    assert answer.status_code == 200 and json.loads(answer.content) == {"items": []}
    assert calls == ["GET", "GET"]
