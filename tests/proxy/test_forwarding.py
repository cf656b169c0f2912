"""Byte for byte: what reaches the upstream through the proxy is what reaches it directly, and back."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from contacts_proxy.forward import HOP_BY_HOP, OUTCOME_HEADER

from .support import CONTACTS, Rig, echo, rig, serve

JSON = {"Content-Type": "application/json"}


@pytest.fixture(scope="module")
def echo_rig() -> Iterator[Rig]:
    with rig(echo) as r:
        yield r


def chunks() -> Iterator[bytes]:
    yield b'{"first_name": "\xe8\x8a\xb1'
    yield b'\xe5\xad\x90", "last_name'
    yield b'": "x"}'


# (name, method, target, headers, body): each sent directly and through the proxy.
CASES: list[tuple[str, str, str, dict[str, str] | list[tuple[str, str]], Any]] = [
    (
        "repeated and percent-encoded query",
        "GET",
        f"{CONTACTS}?limit=2&limit=5&search=%E5%B1%B1%20x&q=a+b&e=%2F%7e&empty=&flag&pct=%25",
        {},
        None,
    ),
    ("malformed JSON", "POST", CONTACTS, JSON, b'{"first_name": '),
    ("invalid UTF-8", "POST", CONTACTS, JSON, b'{"first_name": "\xff\xfe"}'),
    ("binary body", "PATCH", f"{CONTACTS}/cont_{'a' * 32}", {"Content-Type": "image/png"}, bytes(range(256))),
    ("chunked upload", "POST", CONTACTS, JSON, chunks),
    ("empty POST", "POST", CONTACTS, JSON, b""),
    ("encoded path", "GET", f"{CONTACTS}/cont_%41%2Fx%20y", {}, None),
    (
        "odd headers",
        "GET",
        CONTACTS,
        [
            ("X-Multi", "1"),
            ("X-Multi", "2"),
            ("X-Spaces", "a,  b ;q=1"),
            ("Prefer", "code=404"),
            ("Cookie", "better-auth.session_token=tok-123456; other=z"),
            ("Connection", "keep-alive, X-Hop"),
            ("X-Hop", "must not travel"),
        ],
        None,
    ),
    ("unknown method", "PURGE", CONTACTS, {}, None),
    ("large body", "POST", CONTACTS, JSON, b"[" + b"1," * 200_000 + b"1]"),
]


def send(url: str, method: str, target: str, headers: Any, body: Any) -> tuple[httpx.Response, bytes]:
    content = body() if callable(body) else body
    with (
        httpx.Client(base_url=url, timeout=20) as http,
        http.stream(method, target, headers=headers, content=content) as response,
    ):
        return response, b"".join(response.iter_raw())


def end_to_end(headers: list[list[str]]) -> list[tuple[str, str]]:
    named = {t.strip() for k, v in headers if k == "connection" for t in v.lower().split(",")}
    return [(k, v) for k, v in headers if k not in HOP_BY_HOP | named]


@pytest.mark.parametrize(("name", "method", "target", "headers", "body"), CASES, ids=[c[0] for c in CASES])
def test_requests_reach_the_upstream_as_sent(
    echo_rig: Rig, name: str, method: str, target: str, headers: Any, body: Any
) -> None:
    direct, direct_raw = send(echo_rig.upstream, method, target, headers, body)
    proxied, proxied_raw = send(echo_rig.url, method, target, headers, body)
    seen_direct, seen_proxied = json.loads(direct_raw), json.loads(proxied_raw)
    for key in ("method", "raw_path", "query_string", "body_b64"):
        assert seen_proxied[key] == seen_direct[key], key
    assert end_to_end(seen_proxied["headers"]) == end_to_end(seen_direct["headers"])
    assert ["x-hop", "must not travel"] not in seen_proxied["headers"]  # named by Connection: hop-by-hop
    if name == "chunked upload":
        assert ["transfer-encoding", "chunked"] in seen_proxied["headers"]
        assert base64.b64decode(seen_proxied["body_b64"]) == b"".join(chunks())
    assert proxied.status_code == direct.status_code  # the echoed bodies differ by the hop-by-hop headers


@pytest.mark.parametrize("suffix", ["/gzip", "/binary", "/redirect"])
def test_responses_come_back_as_sent(echo_rig: Rig, suffix: str) -> None:
    direct, direct_raw = send(echo_rig.upstream, "GET", "/files" + suffix, {}, None)
    proxied, proxied_raw = send(echo_rig.url, "GET", "/files" + suffix, {}, None)
    assert (proxied.status_code, proxied_raw) == (direct.status_code, direct_raw)
    assert proxied.headers.multi_items() == direct.headers.multi_items()
    if suffix == "/gzip":
        assert proxied.headers["content-encoding"] == "gzip" and proxied_raw[:2] == b"\x1f\x8b"
    if suffix == "/redirect":
        assert proxied.status_code == 302  # passed on, never followed


@pytest.mark.parametrize(("suffix", "rules"), [("gzip", []), ("gzip-wrong-code", ["error.code"])])
def test_a_gzip_answer_is_checked_decoded(suffix: str, rules: list[str]) -> None:
    """A gzip-encoded 404 on an unknown contract path is judged on its decoded JSON body."""
    with rig(echo) as r:
        response = r.http.get(f"{CONTACTS}/cont_x/extra/{suffix}")
        assert response.status_code == 404
        assert r.rules == rules


def test_an_unreachable_upstream_is_a_502_of_the_proxy() -> None:
    with serve(echo) as gone:
        pass  # served, then stopped: nothing listens there any more
    from contacts_proxy import ProxyOptions, create_app

    from .support import SPEC

    proxy = create_app(SPEC, ProxyOptions(upstream=gone))
    with serve(proxy) as url, httpx.Client(base_url=url) as http:
        response = http.get(CONTACTS)
    assert response.status_code == 502
    assert response.headers[OUTCOME_HEADER] == "upstream_unreachable"
    assert response.json()["error"]["code"] == "upstream_unreachable"
    assert proxy.monitor.ledger.proxy_errors == 1 and proxy.monitor.ledger.total == 0


def test_a_silent_upstream_is_a_504_of_the_proxy() -> None:
    with rig(echo, timeout=0.2) as r:
        response = r.http.get("/files/slow")
        assert response.status_code == 504
        assert response.headers[OUTCOME_HEADER] == "upstream_timeout"
        assert response.json()["error"]["code"] == "upstream_timeout"
        assert r.proxy.monitor.ledger.total == 0


def test_get_root_redirects_to_the_docs(echo_rig: Rig) -> None:
    response = echo_rig.http.get("/")
    assert (response.status_code, response.headers["location"]) == (307, "/docs")
    assert echo_rig.http.get("/docs").status_code == 200
    assert echo_rig.http.get("/openapi.json").json()["openapi"].startswith("3.1")
