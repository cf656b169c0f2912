"""auth.py: Bearer header and session cookie to an organization; tokens kept as digests."""

from __future__ import annotations

import hashlib

import pytest

from mock_server.auth import Schemes, TokenRegistry, authenticate, bearer_token, cookie_token
from mock_server.errors import Unauthorized
from mock_server.spec import Spec

TOKENS = {"token-a": "org_a", "token-b": "org_b"}
BOTH = Schemes(bearer=True, cookie_name="better-auth.session_token")
BAD_HEADER = "The Authorization header must be 'Bearer <token>'."
NO_CREDENTIALS = "Credentials are required: a Bearer token or the session cookie."
INVALID = "The token is not valid."


def test_schemes_come_from_the_spec(spec: Spec) -> None:
    assert Schemes.from_spec(spec.document) == BOTH


@pytest.mark.parametrize(
    ("schemes", "expected"),
    [
        ({}, Schemes(bearer=False, cookie_name=None)),
        ({"b": {"type": "http", "scheme": "Bearer"}}, Schemes(bearer=True, cookie_name=None)),
        ({"b": {"type": "http", "scheme": "basic"}}, Schemes(bearer=False, cookie_name=None)),
        ({"c": {"type": "apiKey", "in": "cookie", "name": "sid"}}, Schemes(bearer=False, cookie_name="sid")),
        ({"h": {"type": "apiKey", "in": "header", "name": "X-Key"}}, Schemes(bearer=False, cookie_name=None)),
    ],
)
def test_schemes_from_other_specs(schemes: dict[str, object], expected: Schemes) -> None:
    assert Schemes.from_spec({"components": {"securitySchemes": schemes}}) == expected


@pytest.mark.parametrize(
    ("header", "token"),
    [
        ("Bearer token-a", "token-a"),
        ("bearer token-a", "token-a"),  # the scheme word is case-insensitive
        ("BEARER token-a", "token-a"),
        ("BeArEr token-a", "token-a"),
        ("Bearer   token-a", "token-a"),  # RFC 6750: 1*SP between scheme and token
        ("  Bearer token-a  ", "token-a"),  # optional white space around a field value
        ("Bearer dG9rZW4tYQ==", "dG9rZW4tYQ=="),
    ],
)
def test_bearer_token(header: str, token: str) -> None:
    assert bearer_token(header) == token


@pytest.mark.parametrize(
    "header",
    [
        "",
        "Bearer",  # missing token
        "Bearer ",
        "Bearer    ",
        "token-a",
        "Bearertoken-a",
        "Bearer\ttoken-a",  # the separator is a space
        "Bearer token-a extra",  # a space inside the token
        "Bearer token a",
        "Bearer token-a\textra",
        "Basic dG9rZW4tYTo=",  # another scheme
        "Token token-a",
        "Bearer: token-a",
    ],
)
def test_bearer_token_refuses_malformed_headers(header: str) -> None:
    with pytest.raises(Unauthorized) as caught:
        bearer_token(header)
    assert (caught.value.status, caught.value.code, caught.value.message) == (401, "unauthorized", BAD_HEADER)
    assert caught.value.headers == {"WWW-Authenticate": 'Bearer realm="contacts"'}


@pytest.mark.parametrize(
    ("cookie_header", "token"),
    [
        ("better-auth.session_token=token-a", "token-a"),
        ("theme=dark; better-auth.session_token=token-b; lang=ja", "token-b"),
        ('better-auth.session_token="token-a"', "token-a"),
        ("better-auth.session_token=", None),
        ("better-auth.session_token", None),  # malformed: no `=`
        ("other=token-a", None),
        ("BETTER-AUTH.SESSION_TOKEN=token-a", None),  # cookie names are case-sensitive
        (";;;", None),
        ("", None),
    ],
)
def test_cookie_token(cookie_header: str, token: str | None) -> None:
    assert cookie_token(cookie_header, "better-auth.session_token") == token


@pytest.mark.parametrize(
    ("authorization", "cookie", "org"),
    [
        ("Bearer token-a", None, "org_a"),
        ("bearer token-b", None, "org_b"),
        (None, "better-auth.session_token=token-a", "org_a"),
        (None, "x=1; better-auth.session_token=token-b", "org_b"),
        ("Bearer token-b", "better-auth.session_token=token-a", "org_b"),  # the header decides
        ("Bearer token-a", "better-auth.session_token=nope", "org_a"),
        ("Bearer token-a", "garbage", "org_a"),
    ],
)
def test_authenticate(authorization: str | None, cookie: str | None, org: str) -> None:
    assert authenticate(TokenRegistry(TOKENS), BOTH, authorization, cookie) == org


@pytest.mark.parametrize(
    ("authorization", "cookie", "message"),
    [
        (None, None, NO_CREDENTIALS),
        (None, "", NO_CREDENTIALS),
        ("Bearer nope", None, INVALID),  # unknown token
        ("Bearer TOKEN-A", None, INVALID),  # tokens are case-sensitive
        ("Bearer nope", "better-auth.session_token=token-a", INVALID),  # a bad header is not rescued
        ("Bearer", "better-auth.session_token=token-a", BAD_HEADER),
        ("Basic dG9rZW4tYQ==", "better-auth.session_token=token-a", BAD_HEADER),
        ("", "better-auth.session_token=token-a", BAD_HEADER),
        (None, "better-auth.session_token=nope", INVALID),
        (None, "better-auth.session_token=", INVALID),
        (None, "better-auth.session_token", INVALID),  # malformed cookie
        (None, "other=token-a", INVALID),
    ],
)
def test_authenticate_refuses(authorization: str | None, cookie: str | None, message: str) -> None:
    with pytest.raises(Unauthorized) as caught:
        authenticate(TokenRegistry(TOKENS), BOTH, authorization, cookie)
    assert (caught.value.status, caught.value.code, caught.value.message) == (401, "unauthorized", message)


def test_without_a_bearer_scheme_the_header_is_no_credential() -> None:
    cookie_only = Schemes(bearer=False, cookie_name="sid")
    registry = TokenRegistry(TOKENS)
    assert authenticate(registry, cookie_only, "Bearer nope", "sid=token-a") == "org_a"
    with pytest.raises(Unauthorized, match="Credentials are required"):
        authenticate(registry, cookie_only, "Bearer token-a", None)


def test_registry_lookup() -> None:
    registry = TokenRegistry(TOKENS)
    assert registry.organization_of("token-a") == "org_a"
    assert registry.organization_of("token-b") == "org_b"
    assert registry.organization_of("token-c") is None
    assert registry.organization_of("") is None
    assert registry.organizations() == ["org_a", "org_b"]
    assert len(registry) == 2
    registry.add("token-c", "org_a")
    assert (len(registry), registry.organizations()) == (3, ["org_a", "org_b"])
    assert len(TokenRegistry()) == 0


def test_registry_holds_only_digests() -> None:
    registry = TokenRegistry({"s3cret-token": "org_a", "トークン": "org_b"})
    state = vars(registry)
    assert list(state) == ["_orgs"]
    assert state["_orgs"] == {
        hashlib.sha256(b"s3cret-token").digest(): "org_a",
        hashlib.sha256("トークン".encode()).digest(): "org_b",
    }
    dumped = repr(state)
    assert "s3cret" not in dumped and "トークン" not in dumped


def test_registry_takes_any_string_as_a_token() -> None:
    registry = TokenRegistry({"\ud800": "org_a"})  # never raises, even on a lone surrogate
    assert registry.organization_of("\ud800") == "org_a"
