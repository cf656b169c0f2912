"""Security: no token in logs or the journal, a closed admin API, organizations kept apart, a flat 401.

(a) Tokens never appear in the logs, the request journal or the state: a mock
    subprocess at `--log-level debug` (with `--admin-token`) gets requests that
    carry tokens in `Authorization` and in the session cookie, valid and invalid
    and malformed, on every kind of answer (200, 201, 400, 401, 404, 405, 413,
    415, admin 200 and 401). Its whole stdout and stderr hold none of the
    invalid, malformed or admin tokens, and the valid API tokens only in the
    start-up banner (by design, README: "On start it prints a banner: the URL,
    the docs, the tokens"; a `--token` given on the command line is printed
    there too). The query string IS logged and journaled by design (path and
    query), so a token sent as `?token=` shows there: asserted as such, which
    also proves the log under test is the access log.
(b) The admin API refuses non-loopback clients (403) unless `--admin-token` is
    set; with one, every caller needs it (401 without, 200 with), and an API
    token is never an admin token. In-process (httpx.ASGITransport with a
    made-up client address): no traffic at all.
(c) No organization reaches another's data: org B's token against every
    operation on org A's documented contact (404, and A's contact unchanged),
    every list parameter that could select A's contacts (only B's own ids come
    back, compared with fixtures/seed.json), smuggled ids and organization
    fields in bodies and query strings, both credentials at once, and `Prefer`
    (canned answers are the spec's examples, never the store). The admin API
    carries no organization scope: it is one global operator view, the same
    whatever API token comes along, and no API token opens it.
(d) A 401 costs the same whether a token exists: `TokenRegistry.organization_of`
    digests every token once with SHA-256 and probes a dict with the 32-byte
    digest, for existing, near-miss and unknown tokens alike (counted, not
    timed; `benchmarks/auth_timing.py` measures it).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import subprocess
import types
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

import mock_server.auth
from mock_server import MockState, create_app
from mock_server.auth import Schemes, TokenRegistry, authenticate
from mock_server.errors import Unauthorized
from mock_server.fixtures import DEFAULT_FIXTURES_PATH, load_fixtures
from mock_server.options import MockOptions
from mock_server.spec import load_spec
from mock_server.testing import serve

from .support import (
    CONTACTS,
    COOKIE_NAME,
    HOST,
    MAX_BODY,
    ORG_A_TOKEN,
    ORG_B_TOKEN,
)

SPEC = load_spec()
SEED = load_fixtures(DEFAULT_FIXTURES_PATH, SPEC)
ORG_A, ORG_B = "org_blueai", "org_partner"
A_IDS = {c.id for c in SEED.contacts[ORG_A]}
B_IDS = {c.id for c in SEED.contacts[ORG_B]}
A_CONTACT = "cont_bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"  # org A's documented contact: 山田 太郎
A_COMPANY = "comp_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
B_YAMADA = "cont_d82519c5c6938c4d5f7d2219b5842c96"  # org B's own 山田 太郎
OUTSIDER = ("203.0.113.7", 5555)  # TEST-NET-3: never routed; ASGITransport sends nothing anyway
LOOPBACK = ("127.0.0.1", 5555)
ADMIN_ROUTES = (
    ("GET", "/__admin/health"),
    ("POST", "/__admin/reset"),
    ("GET", "/__admin/state"),
    ("PUT", "/__admin/state"),
    ("GET", "/__admin/requests"),
    ("DELETE", "/__admin/requests"),
)


def test_the_fixtures_are_what_these_tests_assume() -> None:
    assert SEED.tokens == {ORG_A_TOKEN: ORG_A, ORG_B_TOKEN: ORG_B}
    assert A_CONTACT in A_IDS and B_YAMADA in B_IDS and not A_IDS & B_IDS
    yamada_b = next(c for c in SEED.contacts[ORG_B] if c.id == B_YAMADA)
    assert (yamada_b.last_name, yamada_b.first_name) == ("山田", "太郎")
    assert yamada_b.company_id != A_COMPANY


# --------------------------------------------------------------------------- in-process helpers


def fresh_state(**options: Any) -> MockState:
    return MockState.seeded(SPEC, SEED, options=MockOptions(**options))


@dataclass(frozen=True)
class Call:
    method: str
    url: str
    headers: dict[str, str] | None = None
    json: Any = None
    params: dict[str, str] | list[tuple[str, str]] | None = None
    content: bytes | None = None


def in_process(
    state: MockState, calls: list[Call], client: tuple[str, int] = LOOPBACK
) -> list[httpx.Response]:
    """The calls, in order, through httpx.ASGITransport as `client`: nothing goes on the network."""

    async def run() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=create_app(state), client=client)
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as http:
            return [
                await http.request(
                    c.method, c.url, headers=c.headers, json=c.json, params=c.params, content=c.content
                )
                for c in calls
            ]

    return asyncio.run(run())


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def cookie(token: str) -> dict[str, str]:
    return {"Cookie": f"{COOKIE_NAME}={token}"}


def error_code(response: httpx.Response) -> str:
    body = response.json()
    assert set(body) == {"error"}, body
    return str(body["error"]["code"])


# --------------------------------------------------------------------------- (a) logs and journal


@dataclass(frozen=True)
class Secrets:
    """Token strings sent only in headers and cookies (plus one in a query string, by design logged)."""

    wrong_bearer: str
    wrong_cookie: str
    malformed: tuple[str, str]
    basic: str
    admin: str
    wrong_admin: str
    in_query: str

    @classmethod
    def new(cls) -> Secrets:
        def secret(kind: str) -> str:
            return f"{kind}-{uuid.uuid4().hex}"

        return cls(
            wrong_bearer=secret("wrongbearer"),
            wrong_cookie=secret("wrongcookie"),
            malformed=(secret("malformed1"), secret("malformed2")),
            basic=secret("basic"),
            admin=secret("admintoken"),
            wrong_admin=secret("wrongadmin"),
            in_query=secret("querytoken"),
        )

    @property
    def never_logged(self) -> tuple[str, ...]:
        return (
            self.wrong_bearer,
            self.wrong_cookie,
            *self.malformed,
            self.basic,
            self.admin,
            self.wrong_admin,
        )


@dataclass
class LoggedMock:
    url: str
    log_path: Path
    process: subprocess.Popen[bytes]
    started_at: int  # log size once it listened: the banner is before, request handling after


@pytest.fixture
def logged_mock(tmp_path: Path, secrets: Secrets) -> Iterator[LoggedMock]:
    log_path = tmp_path / "mock.log"
    with serve(
        mode="subprocess", log=log_path, host=HOST, log_level="debug", admin_token=secrets.admin
    ) as running:
        assert running.process is not None
        yield LoggedMock(running.url, log_path, running.process, log_path.stat().st_size)


@pytest.fixture
def secrets() -> Secrets:
    return Secrets.new()


def traffic_with_tokens(client: httpx.Client, s: Secrets) -> list[httpx.Response]:
    """Requests carrying tokens in headers and cookies, on every kind of answer."""
    a, b = bearer(ORG_A_TOKEN), cookie(ORG_B_TOKEN)
    json_type = {"Content-Type": "application/json"}
    item = f"{CONTACTS}/{A_CONTACT}"
    created = client.post(CONTACTS, headers=a, json={"first_name": "Log", "last_name": "Probe"})
    new_id = created.json()["contact"]["id"]
    responses = [
        created,
        client.get(CONTACTS, headers=a, params={"search": "山田"}),  # 200, Bearer
        client.get(CONTACTS, headers=b),  # 200, cookie
        client.get(item, headers=a),  # 200
        client.get(item, headers=b),  # 404: B's cookie on A's contact
        client.patch(f"{CONTACTS}/{new_id}", headers=a, json={"note": "logged?"}),  # 200
        client.patch(f"{CONTACTS}/{new_id}", headers=a, json={"first_name": ""}),  # 400
        client.patch(f"{CONTACTS}/{new_id}", headers={**a, **json_type}, content=b"{"),  # 400 malformed
        client.post(CONTACTS, headers={**a, "Content-Type": "text/plain"}, content=b"x"),  # 415
        client.post(CONTACTS, headers={**a, **json_type}, content=b" " * (MAX_BODY + 1)),  # 413
        client.put(CONTACTS, headers=a),  # 405
        client.get(CONTACTS, headers=bearer(s.wrong_bearer)),  # 401
        client.get(CONTACTS, headers=cookie(s.wrong_cookie)),  # 401
        client.get(CONTACTS, headers={"Authorization": f"Bearer {s.malformed[0]} {s.malformed[1]}"}),
        client.get(CONTACTS, headers={"Authorization": f"Basic {s.basic}"}),  # 401
        client.get(CONTACTS, headers={**bearer(s.wrong_bearer), **cookie(ORG_A_TOKEN)}),  # header decides
        client.get(CONTACTS, headers=a, params={"token": s.in_query}),  # 200, token in the query
        client.delete(f"{CONTACTS}/{new_id}", headers=a),  # 200
        client.delete(f"{CONTACTS}/{new_id}", headers=b),  # 404
        client.get(f"{CONTACTS}/cont_{'0' * 32}", headers=cookie(ORG_A_TOKEN)),  # 404
        client.get("/__admin/health", headers={"X-Admin-Token": s.wrong_admin}),  # 401
        client.get("/__admin/health", headers=bearer(ORG_A_TOKEN)),  # 401: an API token
        client.get("/__admin/health", headers={"X-Admin-Token": s.admin}),  # 200
        client.get("/__admin/health", headers=bearer(s.admin)),  # 200
    ]
    expected = [201, 200, 200, 200, 404, 200, 400, 400, 415, 413, 405, 401, 401, 401, 401, 401, 200, 200]
    expected += [404, 404, 401, 401, 200, 200]
    assert [r.status_code for r in responses] == expected
    return responses


def test_tokens_never_appear_in_logs_answers_or_the_journal(
    logged_mock: LoggedMock, secrets: Secrets
) -> None:
    with httpx.Client(base_url=logged_mock.url, timeout=15.0) as client:
        responses = traffic_with_tokens(client, secrets)
        admin = {"X-Admin-Token": secrets.admin}
        journal = client.get("/__admin/requests", headers=admin)
        state = client.get("/__admin/state", headers=admin)
        health = client.get("/__admin/health", headers=admin)
    assert (journal.status_code, state.status_code, health.status_code) == (200, 200, 200)
    logged_mock.process.terminate()  # a clean stop flushes the buffered access log
    logged_mock.process.wait(timeout=15)

    log = logged_mock.log_path.read_text(encoding="utf-8", errors="replace")
    banner = log.encode()[: logged_mock.started_at].decode("utf-8", "replace")
    after_start = log.encode()[logged_mock.started_at :].decode("utf-8", "replace")
    header_tokens = (ORG_A_TOKEN, ORG_B_TOKEN, *secrets.never_logged)

    # The log under test is the access log at debug level: every request has its line.
    assert after_start.count(f"GET {CONTACTS}") >= 8, after_start[-3000:]
    assert "/__admin/health" in after_start
    # By design: the access log shows path and query, so a token put in a URL is logged.
    assert secrets.in_query in after_start

    for token in header_tokens:
        assert token not in after_start, f"{token!r} was logged while serving requests"
    for token in secrets.never_logged:  # the admin token is on the command line, never printed
        assert token not in log, f"{token!r} is in the mock's output"
    for token in (ORG_A_TOKEN, ORG_B_TOKEN):  # only the banner names the fixture tokens
        assert banner.count(token) == 1 and log.count(token) == 1, token

    for response in responses:
        for token in header_tokens:
            assert token not in response.text, (token, response.status_code, response.text[:300])
            assert all(token not in value for value in response.headers.values())

    entries = journal.json()["requests"]
    assert len(entries) >= 19 and {e["organization"] for e in entries} <= {ORG_A, ORG_B, None}
    for token in (*header_tokens, secrets.in_query):
        assert token not in state.text and token not in health.text
    for token in header_tokens:
        assert token not in journal.text, f"{token!r} is in the request journal"
    # By design the journal keeps the query string too.
    assert any(secrets.in_query in e["query"] for e in entries)


# --------------------------------------------------------------------------- (b) the admin API


def admin_calls(headers: dict[str, str] | None = None) -> list[Call]:
    snapshot = {"organizations": [{"id": ORG_A, "contacts": []}]}
    return [
        Call(method, path, headers=headers, json=snapshot if method == "PUT" else None)
        for method, path in ADMIN_ROUTES
    ]


def test_the_admin_api_refuses_outsiders_without_an_admin_token() -> None:
    state = fresh_state()
    before = state.store.snapshot()
    answers = in_process(state, admin_calls(), client=OUTSIDER)
    assert [r.status_code for r in answers] == [403] * len(ADMIN_ROUTES)
    assert {error_code(r) for r in answers} == {"forbidden"}
    # API tokens or an admin token the mock does not have change nothing.
    for headers in (bearer(ORG_A_TOKEN), {"X-Admin-Token": "anything"}, cookie(ORG_A_TOKEN)):
        assert {r.status_code for r in in_process(state, admin_calls(headers), client=OUTSIDER)} == {403}
    assert state.store.snapshot() == before, "a refused admin call (reset, state PUT) changed the store"
    # From loopback the same calls are served.
    for client in (LOOPBACK, ("::1", 5555)):
        assert [r.status_code for r in in_process(fresh_state(), admin_calls(), client=client)] == [200] * 6
    # A page of another site is refused even from loopback (no preflight for simple requests).
    other_site = in_process(
        fresh_state(), [Call("GET", "/__admin/state", {"Origin": "https://evil.example"})]
    )
    assert other_site[0].status_code == 403


def test_with_an_admin_token_every_caller_needs_it() -> None:
    token = f"adm-{uuid.uuid4().hex}"
    for client in (OUTSIDER, LOOPBACK):
        state = fresh_state(admin_token=token)
        before = state.store.snapshot()
        for headers in (
            None,
            {"X-Admin-Token": token[:-1]},
            bearer(token + "x"),
            bearer(ORG_A_TOKEN),  # an API token is not the admin token
            cookie(token),  # the admin token only counts in its headers
            {"Authorization": f"Basic {token}"},
        ):
            answers = in_process(state, admin_calls(headers), client=client)
            assert [r.status_code for r in answers] == [401] * 6, (client, headers)
            assert {error_code(r) for r in answers} == {"unauthorized"}
        assert state.store.snapshot() == before
        for headers in ({"X-Admin-Token": token}, bearer(token)):
            answers = in_process(fresh_state(admin_token=token), admin_calls(headers), client=client)
            assert [r.status_code for r in answers] == [200] * 6, (client, headers)


# --------------------------------------------------------------------------- (c) organizations apart


def test_org_b_cannot_read_change_or_delete_org_a_contacts() -> None:
    state = fresh_state()
    item = f"{CONTACTS}/{A_CONTACT}"
    before = in_process(state, [Call("GET", item, bearer(ORG_A_TOKEN))])[0].json()
    for credentials in (bearer(ORG_B_TOKEN), cookie(ORG_B_TOKEN)):
        answers = in_process(
            state,
            [
                Call("GET", item, credentials),
                Call("PATCH", item, credentials, json={"note": "written by org B"}),
                Call("PATCH", item, credentials, json={}),
                Call("DELETE", item, credentials),
                # the same id written otherwise: still a path to A's contact, still not B's
                Call("GET", f"{CONTACTS}/%63ont_{'b' * 32}", credentials),
                Call("GET", f"{CONTACTS}/{A_CONTACT.upper().replace('CONT_', 'cont_')}", credentials),
            ],
        )
        assert [r.status_code for r in answers] == [404] * 6, [r.text[:200] for r in answers]
        assert {error_code(r) for r in answers} == {"not_found"}
        assert all("山田" not in r.text and A_CONTACT not in r.text for r in answers)
    after = in_process(state, [Call("GET", item, bearer(ORG_A_TOKEN))])[0].json()
    assert after == before, "org B changed org A's contact"
    # Every contact id of each organization is a 404 for the other.
    other = [Call("GET", f"{CONTACTS}/{i}", bearer(ORG_B_TOKEN)) for i in sorted(A_IDS)]
    other += [Call("GET", f"{CONTACTS}/{i}", bearer(ORG_A_TOKEN)) for i in sorted(B_IDS)]
    assert {r.status_code for r in in_process(state, other)} == {404}


def list_ids(state: MockState, headers: dict[str, str], params: Any) -> set[str]:
    """The ids of one page (limit=200 holds every fixture contact); `total` must agree."""
    answers = in_process(state, [Call("GET", CONTACTS, headers, params=params)])
    assert answers[0].status_code == 200, answers[0].text[:300]
    page = answers[0].json()
    ids = {c["id"] for c in page["items"]}
    assert page["total"] == len(ids) == len(page["items"]), page
    return ids


@pytest.mark.parametrize(
    "params",
    [
        {"search": "山田太郎", "limit": "200"},
        {"search": "山田 太郎", "limit": "200"},
        {"search": "taro", "limit": "200"},
        {"search": "taro@example.com", "limit": "200"},
        {"company_id": A_COMPANY, "limit": "200"},
        {"company_id": A_COMPANY, "search": "山田", "limit": "200"},
        {"limit": "200", "offset": "0", "sort": "name"},
        {"limit": "200", "organization": ORG_A, "org_id": ORG_A, "organization_id": ORG_A},
        {"limit": "200", "tenant": ORG_A, "id": A_CONTACT, "token": ORG_A_TOKEN},
        [("limit", "200"), ("search", ""), ("search", "山田")],
    ],
    ids=[
        "search-lastfirst",
        "search-last-first",
        "search-romaji",
        "search-email-of-a",
        "company-of-a",
        "company-of-a-and-search",
        "sorted-by-name",
        "organization-params",
        "tenant-id-token-params",
        "duplicate-search",
    ],
)
def test_org_b_lists_only_its_own_contacts_whatever_the_parameters(params: Any) -> None:
    state = fresh_state()
    ids = list_ids(state, bearer(ORG_B_TOKEN), params)
    assert ids <= B_IDS, f"org B sees {sorted(ids - B_IDS)}"
    as_a = list_ids(state, bearer(ORG_A_TOKEN), params)
    assert as_a <= A_IDS
    if isinstance(params, dict) and params.get("search") in ("山田太郎", "山田 太郎"):
        assert ids == {B_YAMADA}, "org B's own 山田 太郎 is found, and only it"
        assert A_CONTACT in as_a
    if isinstance(params, dict) and params.get("company_id") == A_COMPANY:
        assert ids == set(), "org B has no contact of A's company, so it must see none"
        assert as_a and A_CONTACT in as_a
    if isinstance(params, dict) and not {"search", "company_id"} & set(params):
        assert ids == B_IDS, "an unfiltered list of org B is all of org B, nothing more"


def test_smuggled_ids_and_organizations_in_bodies_are_refused() -> None:
    state = fresh_state()
    before = state.store.snapshot()
    b = bearer(ORG_B_TOKEN)
    smuggled = [
        {"first_name": "X", "last_name": "Y", "id": A_CONTACT},
        {"first_name": "X", "last_name": "Y", "organization_id": ORG_A},
        {"first_name": "X", "last_name": "Y", "org": ORG_A},
    ]
    calls = [Call("POST", CONTACTS, b, json=body) for body in smuggled]
    calls += [Call("PATCH", f"{CONTACTS}/{B_YAMADA}", b, json={"id": A_CONTACT})]
    calls += [Call("PATCH", f"{CONTACTS}/{B_YAMADA}", b, json={"organization_id": ORG_A})]
    answers = in_process(state, calls)
    assert [r.status_code for r in answers] == [400] * len(calls)
    assert state.store.snapshot() == before


def test_the_authorization_header_decides_when_a_cookie_of_another_org_comes_along() -> None:
    state = fresh_state()
    ids = list_ids(state, {**bearer(ORG_B_TOKEN), **cookie(ORG_A_TOKEN)}, {"limit": "200"})
    assert ids == B_IDS
    answers = in_process(
        state,
        [
            Call("GET", f"{CONTACTS}/{A_CONTACT}", {**bearer(ORG_B_TOKEN), **cookie(ORG_A_TOKEN)}),
            Call("GET", CONTACTS, {**bearer("not-a-token"), **cookie(ORG_A_TOKEN)}),
            Call("GET", CONTACTS, {"Cookie": f"{COOKIE_NAME}={ORG_B_TOKEN}; {COOKIE_NAME}={ORG_A_TOKEN}"}),
        ],
    )
    assert answers[0].status_code == 404
    assert answers[1].status_code == 401  # a bad header is not rescued by a good cookie
    assert answers[2].status_code == 200
    seen = {c["id"] for c in answers[2].json()["items"]}
    assert seen <= A_IDS or seen <= B_IDS, "two cookies mixed two organizations"


def test_canned_answers_are_the_spec_examples_never_another_orgs_store() -> None:
    """`Prefer: code=/example=/dynamic=` answer documented text; the store is not read.

    The spec's example happens to show 山田 太郎 under A's documented id (public
    text of the contract); a secret note written by org A never shows to org B.
    """
    state = fresh_state()
    secret = f"secret-of-a-{uuid.uuid4().hex}"
    item = f"{CONTACTS}/{A_CONTACT}"
    written = in_process(state, [Call("PATCH", item, bearer(ORG_A_TOKEN), json={"note": secret})])
    assert written[0].status_code == 200
    b = bearer(ORG_B_TOKEN)
    answers = in_process(
        state,
        [
            Call("GET", item, {**b, "Prefer": "code=200"}),
            Call("GET", item, {**b, "Prefer": "dynamic=true"}),
            Call("GET", CONTACTS, {**b, "Prefer": "code=200"}),
            Call("GET", CONTACTS, {**b, "Prefer": "dynamic=true"}, params={"search": "山田"}),
            Call("PATCH", item, {**b, "Prefer": "code=200"}, json={"note": "x"}),
            Call("DELETE", item, {**b, "Prefer": "code=200"}),
        ],
    )
    assert [r.status_code for r in answers] == [200] * 6
    assert all(secret not in r.text for r in answers)
    current = in_process(state, [Call("GET", item, bearer(ORG_A_TOKEN))])[0].json()
    assert current["contact"]["note"] == secret, "a canned PATCH or DELETE of org B wrote to org A"


def test_the_admin_api_has_no_organization_scope_to_abuse() -> None:
    """The admin API is one global operator view: what it shows and does does not depend on
    which API token comes along (it ignores them), none opens it (see (b)), and it takes no
    organization parameter. Its journal names each call's organization, never a token."""
    state = fresh_state()
    in_process(
        state, [Call("GET", CONTACTS, bearer(ORG_A_TOKEN)), Call("GET", CONTACTS, cookie(ORG_B_TOKEN))]
    )
    views = {}
    for name, headers in (
        ("none", None),
        ("org-a", bearer(ORG_A_TOKEN)),
        ("org-b", bearer(ORG_B_TOKEN)),
        ("org-b-cookie", cookie(ORG_B_TOKEN)),
    ):
        for path, params in (
            ("/__admin/state", None),
            ("/__admin/state", {"organization": ORG_B}),
            ("/__admin/requests", None),
            ("/__admin/health", None),
        ):
            response = in_process(state, [Call("GET", path, headers, params=params)])[0]
            assert response.status_code == 200
            body = response.json()
            if path == "/__admin/health":
                body.pop("uptime_s")
            views.setdefault((path, bool(params)), []).append((name, body))
    for key, bodies in views.items():
        assert all(body == bodies[0][1] for _, body in bodies), f"{key} depends on the API token"
    state_view = views[("/__admin/state", False)][0][1]
    assert {o["id"] for o in state_view["organizations"]} == {ORG_A, ORG_B}, "one view of every organization"
    entries = views[("/__admin/requests", False)][0][1]["requests"]
    assert [e["organization"] for e in entries] == [ORG_B, ORG_A]
    assert ORG_A_TOKEN not in json.dumps(list(views.values()), ensure_ascii=False)


# --------------------------------------------------------------------------- (d) a flat 401


class CountingDict(dict[bytes, str]):
    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.lookups: list[bytes] = []

    def get(self, key: bytes, default: Any = None) -> Any:  # type: ignore[override]
        self.lookups.append(key)
        return super().get(key, default)


@pytest.fixture
def counted(monkeypatch: pytest.MonkeyPatch) -> tuple[TokenRegistry, list[bytes], CountingDict]:
    """The fixture registry, with every SHA-256 of mock_server.auth and every probe of its dict counted."""
    hashed: list[bytes] = []

    def sha256(data: bytes = b"") -> Any:
        hashed.append(data)
        return hashlib.sha256(data)

    monkeypatch.setattr(mock_server.auth, "hashlib", types.SimpleNamespace(sha256=sha256))
    registry = TokenRegistry(SEED.tokens)
    hashed.clear()
    probes = CountingDict(registry._orgs)
    monkeypatch.setattr(registry, "_orgs", probes)
    return registry, hashed, probes


TOKENS_TO_LOOK_UP = {
    "existing": ORG_A_TOKEN,
    "last-character-differs": ORG_A_TOKEN[:-1] + "z",
    "first-character-differs": "x" + ORG_A_TOKEN[1:],
    "prefix-of-a-real-one": ORG_A_TOKEN[:-1],
    "real-one-extended": ORG_A_TOKEN + "a",
    "unknown-well-formed": f"dev-token-{uuid.uuid4().hex[:5]}",
    "one-character": "x",
    "long": "t" * 4096,
    "non-ascii": "トークン",
    "lone-surrogate": "\udcff",
}


@pytest.mark.parametrize("token", TOKENS_TO_LOOK_UP.values(), ids=TOKENS_TO_LOOK_UP.keys())
def test_a_lookup_is_one_digest_and_one_dict_probe_for_any_token(
    counted: tuple[TokenRegistry, list[bytes], CountingDict], token: str
) -> None:
    registry, hashed, probes = counted
    org = registry.organization_of(token)
    assert org == (ORG_A if token == ORG_A_TOKEN else None)
    assert hashed == [token.encode("utf-8", "surrogatepass")], "not exactly one SHA-256 of the whole token"
    assert len(probes.lookups) == 1 and len(probes.lookups[0]) == 32, "not one probe with a 32-byte digest"
    assert probes.lookups[0] == hashlib.sha256(hashed[0]).digest()


@pytest.mark.parametrize("token", TOKENS_TO_LOOK_UP.values(), ids=TOKENS_TO_LOOK_UP.keys())
def test_authenticate_takes_the_same_path_for_existing_and_missing_tokens(
    counted: tuple[TokenRegistry, list[bytes], CountingDict], token: str
) -> None:
    """Bearer and cookie: one digest, one probe, then a 401 or the organization; no other comparison."""
    registry, hashed, probes = counted
    schemes = Schemes.from_spec(SPEC.document)
    for authorization, cookie_header in ((f"Bearer {token}", None), (None, f"{COOKIE_NAME}={token}")):
        hashed.clear()
        probes.lookups.clear()
        try:
            org = authenticate(registry, schemes, authorization, cookie_header)
        except Unauthorized:
            org = None
        assert org == (ORG_A if token == ORG_A_TOKEN else None)
        assert len(hashed) == 1 and len(probes.lookups) == 1, (authorization, cookie_header)


def test_no_credentials_is_a_401_before_any_digest(
    counted: tuple[TokenRegistry, list[bytes], CountingDict],
) -> None:
    """Without a token there is nothing to look up: that 401 depends on no registered token either."""
    registry, hashed, probes = counted
    schemes = Schemes.from_spec(SPEC.document)
    for authorization, cookie_header in ((None, None), (None, "other=1"), (None, f"{COOKIE_NAME}=")):
        with pytest.raises(Unauthorized):
            authenticate(registry, schemes, authorization, cookie_header)
    assert hashed == [] and probes.lookups == []


def test_the_registry_keeps_no_token_in_clear() -> None:
    registry = TokenRegistry(SEED.tokens)
    held = repr(vars(registry)) + repr(registry.organizations())
    assert ORG_A_TOKEN not in held and ORG_B_TOKEN not in held
    assert all(isinstance(k, bytes) and len(k) == 32 for k in registry._orgs)
