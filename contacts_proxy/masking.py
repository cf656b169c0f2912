"""Credentials: who a client is (a digest of its credential) and how exchanges are shown without it.

The proxy never stores or logs a token. A request's credential is reduced to a
short SHA-256 digest (the client key) when the request arrives; everything the
proxy records has its secret headers masked and every occurrence of the token
in bodies replaced, before it is stored anywhere.
"""

from __future__ import annotations

import hashlib
import shlex
from collections.abc import Iterable, Sequence

COOKIE_NAME = "better-auth.session_token"
MASK = "***"
TOKEN_VARIABLE = "CONTACTS_TOKEN"  # what curl lines use instead of a token
_SECRET_HEADERS = {"authorization", "proxy-authorization", "x-admin-token", "x-api-key"}
_MIN_SECRET = 4  # shorter values would mask ordinary text

Headers = Sequence[tuple[str, str]]


def credential(headers: Headers) -> str | None:
    """The token that decides who the caller is: the Bearer header, else the session cookie."""
    cookie_token = None
    for name, value in headers:
        if name == "authorization":
            scheme, _, token = value.strip().partition(" ")
            if scheme.lower() == "bearer" and token.strip():
                return token.strip()
        elif name == "cookie" and cookie_token is None:
            cookie_token = _cookie_value(value, COOKIE_NAME)
    return cookie_token


def _cookie_value(header: str, wanted: str) -> str | None:
    for part in header.split(";"):
        name, sep, value = part.strip().partition("=")
        if sep and name == wanted and value:
            return value
    return None


def client_key(token: str | None) -> str | None:
    """A stable, non-reversible name for the client holding `token`."""
    if token is None:
        return None
    return "client-" + hashlib.sha256(token.encode("utf-8", "surrogateescape")).hexdigest()[:16]


def secrets_of(headers: Headers) -> list[str]:
    """Every secret value in these headers (tokens, cookie values), to scrub from bodies too."""
    found: list[str] = []
    for name, value in headers:
        if name in _SECRET_HEADERS:
            found.append(value.strip())
            found.append(value.strip().partition(" ")[2].strip())
        elif name in ("cookie", "set-cookie"):
            for part in value.split(";" if name == "cookie" else "\x00"):
                found.append(part.strip().partition("=")[2].split(";")[0].strip())
    return [s for s in found if len(s) >= _MIN_SECRET]


def mask_headers(headers: Headers) -> list[tuple[str, str]]:
    """Headers safe to show: credentials replaced by ***, every cookie value too."""
    return [(name, mask_header(name, value)) for name, value in headers]


def mask_header(name: str, value: str) -> str:
    if name in _SECRET_HEADERS:
        scheme, sep, rest = value.strip().partition(" ")
        return f"{scheme} {MASK}" if sep and rest and scheme.isalpha() else MASK
    if name == "cookie":
        return "; ".join(_mask_cookie(part) for part in value.split(";") if part.strip())
    if name == "set-cookie":
        first, sep, attributes = value.partition(";")
        return _mask_cookie(first) + sep + attributes
    return value


def _mask_cookie(part: str) -> str:
    name, sep, _ = part.strip().partition("=")
    return f"{name}={MASK}" if sep else name


def scrub(text: str, secrets: Iterable[str]) -> str:
    for secret in secrets:
        text = text.replace(secret, MASK)
    return text


def curl_line(method: str, url: str, headers: Headers, body: bytes) -> str:
    """A shell line reproducing the request against the upstream; masked values become
    "$CONTACTS_TOKEN", so the line works after `export CONTACTS_TOKEN=...`."""
    parts = ["curl", "-sS", "-i", "-X", method]
    for name, value in headers:
        if name in ("host", "content-length", "transfer-encoding", "connection", "accept-encoding"):
            continue
        parts += ["-H", f"{name}: {value}"]
    if body:
        parts += ["--data-binary", body.decode("utf-8", "replace")]
    parts.append(url)
    line = " ".join(shlex.quote(p) for p in parts)
    return line.replace(MASK, f"'\"${TOKEN_VARIABLE}\"'")
