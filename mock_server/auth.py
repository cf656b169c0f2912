"""Who is calling: tokens to organizations, read from the spec's security schemes.

Tokens are kept only as SHA-256 digests, so the registry can be logged or
snapshotted without leaking them, and a lookup costs the same whether or not a
token exists (a dict probe on a fixed-size digest).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from starlette.requests import cookie_parser

from .errors import Unauthorized


def _digest(token: str) -> bytes:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).digest()


@dataclass(frozen=True)
class Schemes:
    """The credentials the spec accepts: a Bearer header and/or a named cookie."""

    bearer: bool
    cookie_name: str | None

    @classmethod
    def from_spec(cls, document: Mapping[str, Any]) -> Schemes:
        schemes = document.get("components", {}).get("securitySchemes", {}).values()
        bearer = any(s.get("type") == "http" and s.get("scheme", "").lower() == "bearer" for s in schemes)
        cookies = [s["name"] for s in schemes if s.get("type") == "apiKey" and s.get("in") == "cookie"]
        return cls(bearer=bearer, cookie_name=cookies[0] if cookies else None)


class TokenRegistry:
    def __init__(self, tokens: Mapping[str, str] | None = None) -> None:
        self._orgs: dict[bytes, str] = {}
        for token, org_id in (tokens or {}).items():
            self.add(token, org_id)

    def add(self, token: str, org_id: str) -> None:
        self._orgs[_digest(token)] = org_id

    def organization_of(self, token: str) -> str | None:
        return self._orgs.get(_digest(token))

    def organizations(self) -> list[str]:
        """Every organization with a token, in the order its first token was added."""
        return list(dict.fromkeys(self._orgs.values()))

    def __len__(self) -> int:
        return len(self._orgs)


_TOKEN = re.compile(r"\S+")  # one word: no character of str.isspace's set, matched in C


def bearer_token(header: str) -> str:
    """The token of `Authorization: Bearer <token>` (scheme word case-insensitive)."""
    scheme, _, token = header.strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not _TOKEN.fullmatch(token):
        raise Unauthorized("The Authorization header must be 'Bearer <token>'.")
    return token


def cookie_token(cookie_header: str, name: str) -> str | None:
    # Starlette's parser is lenient like browsers: one bad pair does not hide the rest.
    return cookie_parser(cookie_header).get(name) or None


def authenticate(
    registry: TokenRegistry,
    schemes: Schemes,
    authorization: str | None,
    cookie_header: str | None,
) -> str:
    """The caller's organization, or Unauthorized.

    An Authorization header, when sent, decides alone: a bad header is not
    rescued by a good cookie (the contract: the Bearer header decides).
    """
    if authorization is not None and schemes.bearer:
        org = registry.organization_of(bearer_token(authorization))
    elif cookie_header and schemes.cookie_name:
        token = cookie_token(cookie_header, schemes.cookie_name)
        org = registry.organization_of(token) if token else None
    else:
        raise Unauthorized("Credentials are required: a Bearer token or the session cookie.")
    if org is None:
        raise Unauthorized("The token is not valid.")
    return org
