"""Requests in every form the contract admits, not only the form this suite's client writes.

Clients differ in details the contract leaves free: a browser sends the session
cookie among the site's other cookies, in any position; a Spring client writes
`application/json;charset=UTF-8`, a JSON:API one `application/vnd.api+json`. A
backend that parses these by hand (a split without a strip, a string compared
with the two forms its developer knew) works for one client and not another.
Each form here is one the contract accepts (`openapi.yaml`: the session cookie
`better-auth.session_token`; `application/json` with or without a charset and any
`application/*+json`), so each must work.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from .client import ApiClient, contact_path
from .contract import active
from .failures import Exchange, expect, expect_equal
from .invariants import check_error, check_writable, contact_of, page_of, write_target
from .strategies import Scope

pytestmark = pytest.mark.writes
CONTRACT = active()

# What a browser on the product's site also holds: analytics, preferences, CSRF tokens, and
# better-auth's own second cookie, whose name starts like the session cookie's.
NEIGHBOURS = [
    "_ga=GA1.2.1234567890.1700000000",
    "theme=dark",
    "better-auth.session_data=eyJzZXNzaW9uIjp7fX0",
    "csrftoken=4f0c9a1b2c3d",
    "__Host-next.csrf=a%7Cb",
]


def jar(token: str, position: int) -> str:
    """The Cookie header of a browser: the session cookie at `position` among the neighbours."""
    cookies = list(NEIGHBOURS)
    cookies.insert(position, f"{CONTRACT.cookie_name}={token}")
    return "; ".join(cookies)


@pytest.mark.parametrize("position", [0, 2, len(NEIGHBOURS)], ids=["first", "middle", "last"])
def test_the_session_cookie_among_other_cookies(
    api: ApiClient, run: Any, scope: Scope, position: int
) -> None:
    if "cookie" not in run.settings.styles:
        pytest.skip(f"--auth {run.settings.auth}: the cookie style is not exercised")
    created = contact_of(
        api.create({"first_name": "太郎", "last_name": f"山田{scope.token}"}),
        201,
        "POST creates a contact: 201",
    )
    headers = {"Cookie": jar(api.token or "", position)}
    where = "first" if position == 0 else "last" if position == len(NEIGHBOURS) else "in the middle"
    what = f"with the session cookie {where} of the browser's cookies"
    rule = "each-credential-style-works"

    def send(method: str, path: str, **kwargs: Any) -> Any:
        return api.request(method, path, headers=headers, authenticate=False, **kwargs)

    listed = send("GET", CONTRACT.collection_path, params={"search": scope.token})
    expect_equal(
        [c["id"] for c in page_of(listed, f"GET list works {what}", rule=rule)["items"]],
        [created["id"]],
        f"the list {what} is the caller's organization's",
        listed,
        rule=rule,
    )
    contact_of(send("GET", contact_path(created["id"])), 200, f"GET works {what}", rule=rule)
    contact_of(
        send("PATCH", contact_path(created["id"]), json={"position": "部長"}),
        200,
        f"PATCH works {what}",
        rule=rule,
    )
    deleted = send("DELETE", contact_path(created["id"]))
    expect_equal(deleted.status, 200, f"DELETE works {what}", deleted, rule=rule)


JSON_TYPES = [
    "application/json",
    "application/json; charset=utf-8",
    "application/json;charset=utf-8",
    "application/json; charset=UTF-8",
    "application/json;charset=UTF-8",
    "application/merge-patch+json",
    "application/merge-patch+json; charset=utf-8",
    "application/vnd.api+json;charset=UTF-8",
]


@pytest.mark.parametrize("content_type", JSON_TYPES)
def test_every_json_media_type_form_is_accepted(api: ApiClient, scope: Scope, content_type: str) -> None:
    body = f'{{"first_name": "Emily", "last_name": "Carter{scope.token}"}}'.encode()
    created = contact_of(
        api.request("POST", CONTRACT.collection_path, content=body, headers={"Content-Type": content_type}),
        201,
        f"POST with Content-Type {content_type!r} creates a contact",
        rule="json-media-types",
    )
    exchange = api.request(
        "PATCH",
        contact_path(created["id"]),
        content=b'{"position": "CTO"}',
        headers={"Content-Type": content_type},
    )
    updated = contact_of(
        exchange, 200, f"PATCH with Content-Type {content_type!r} succeeds", rule="json-media-types"
    )
    expect_equal(
        updated["position"], "CTO", f"PATCH with Content-Type {content_type!r} stores the value", exchange
    )


@pytest.mark.parametrize("method", ["POST", "PATCH"])
def test_a_body_after_a_byte_order_mark_is_written_or_refused_cleanly(
    api: ApiClient, scope: Scope, method: str
) -> None:
    """A UTF-8 byte order mark before the JSON (Windows tools write one): RFC 8259 lets a parser
    ignore it or treat it as an error, so the write or a 400 in the contract's shape both pass;
    anything else (a 500 from a parser that chokes on it) does not."""
    path, success = write_target(api, scope, method)
    content = b"\xef\xbb\xbf" + f'{{"first_name": "Noor", "last_name": "Haddad{scope.token}"}}'.encode()
    exchange = api.request(method, path, content=content, headers={"Content-Type": "application/json"})
    if exchange.status == 400:
        check_error(
            exchange, 400, f"{method} of a body after a BOM, if refused, is a 400", rule="malformed-json-400"
        )
    else:
        contact_of(exchange, success, f"{method} of a body after a BOM is written or refused with 400")


def _chunks(content: bytes, size: int) -> list[bytes]:
    return [content[start : start + size] for start in range(0, len(content), size)]


def _send_chunked(run: Any, api: ApiClient, method: str, path: str, content: bytes, size: int) -> Exchange:
    """`content` sent chunked, `size` bytes a chunk, without Content-Length. A gateway may refuse
    a body of unknown length with 411 Length Required (in its own shape, a status the spec does
    not document): that answer is let pass unjudged; every other one meets every rule."""
    quiet = run.client(api.token, api.style, observed=False)
    exchange: Exchange = quiet.request(
        method, path, content=_chunks(content, size), headers={"Content-Type": "application/json"}
    )
    if exchange.status != 411:
        run.observe(exchange)
    return exchange


@pytest.mark.parametrize("method", ["POST", "PATCH"])
def test_a_body_sent_in_chunks_is_read_whole(api: ApiClient, run: Any, scope: Scope, method: str) -> None:
    """A chunked body (Transfer-Encoding: chunked, no Content-Length: what a client streaming its
    body sends) in chunks of 7 bytes, which split the JSON and its multi-byte characters: it is
    read whole, as if it came in one piece (or refused with 411 by a gateway that wants a length)."""
    path, success = write_target(api, scope, method)
    sent = {"first_name": "美咲", "last_name": f"高橋{scope.token}", "note": "Ünïcödé 𝄞 over chunk edges"}
    content = json.dumps(sent, ensure_ascii=False).encode("utf-8")
    exchange = _send_chunked(run, api, method, path, content, 7)
    if exchange.status == 411:
        return
    written = contact_of(exchange, success, f"{method} of a chunked body succeeds", rule="chunked-body")
    check_writable(written, sent, f"{method} of a chunked body stores it whole", exchange)
    read = api.get(written["id"])
    expect_equal(contact_of(read, 200, "GET"), written, f"GET after a chunked {method}", read)


def test_a_chunked_body_over_the_limit_is_413(api: ApiClient, run: Any, scope: Scope) -> None:
    """x-max-body-bytes holds for a body of unknown length too: counted as it streams, in chunks
    each under the limit; LIMIT bytes are written, LIMIT + 1 refused with 413, and nothing is."""
    limit = CONTRACT.max_body_bytes
    core = f'{{"first_name": "Padded", "last_name": "Chunked{scope.token}"}}'.encode()
    for size, status in ((limit, 201), (limit + 1, 413)):
        content = core[:-1] + b" " * (size - len(core)) + b"}"
        exchange = _send_chunked(run, api, "POST", CONTRACT.collection_path, content, 16 * 1024)
        if exchange.status == 411:
            continue
        what = f"a chunked body of {size:,} bytes (no Content-Length)"
        if status == 201:
            contact_of(exchange, 201, f"{what} is accepted", rule="body-size-limit")
        else:
            check_error(exchange, 413, f"{what} is 413", rule="body-size-limit")
    total = page_of(api.list({"search": scope.token}))["total"]
    expect(total <= 1, "a chunked body over the limit creates nothing", None, f"{total} contacts")
