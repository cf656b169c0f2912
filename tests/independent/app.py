"""A second, independent implementation of the Contacts API (test-only).

Written from the public docs (`/work/shared/docs/contacts-api-docs.txt`) and
`openapi.yaml` only, without reading or importing `mock_server/`: the contract
suite must keep silent on it as on any correct server. Where the contract is
silent it deliberately makes the *other* reasonable choice than a typical
server (and, as far as the docs let one guess, than our mock):

- ids run backwards in time (`cont_` + 12 hex digits counting milliseconds down + 20 random),
- times are kept in milliseconds, so contacts created together tie on `created_at`,
- timestamps are rendered with trailing zeros dropped (`…:05.12Z`, `…:05Z`),
- JSON is ASCII-escaped (`\\u592a`), keys sorted, with extra top-level fields
  where the schema allows them (`request_id`, `has_more`, `deleted_id`) and an
  extra `code` in each validation detail,
- error messages are its own; every answer carries extra headers; pages are streamed
  (chunked, no `Content-Length`),
- `HEAD` and `OPTIONS` are methods the document lacks: 405,
- a non-Bearer `Authorization` header is ignored (the cookie may decide),
- `sort=name` compares UTF-16 code units (a JavaScript backend's string order),
- the search's full-name forms are normalized as a whole string.

One plain ASGI callable, no framework: `create_app()` returns it, seeded from
`fixtures/seed.json` (tokens and contacts). `python -m tests.independent`
serves it on loopback.
"""

from __future__ import annotations

import json
import re
import secrets
import time
import unicodedata
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

SEED = Path(__file__).resolve().parents[2] / "fixtures" / "seed.json"
COLLECTION = "/api/v1/crm/contacts"
MAX_BODY = 65_536
MAX_HEADER_BYTES = 16_384
OPTIONAL = ("email", "phone", "position", "company_id", "note")
NAMES = ("first_name", "last_name")
FIELDS = (*NAMES, *OPTIONAL)

_EMAIL = re.compile(
    r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
    r"@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+\Z"
)
_PHONE = re.compile(r"^[0-9 +()-]*\Z")
_COMPANY = re.compile(r"^comp_[0-9a-f]{32}\Z")
_CONTACT_ID = re.compile(r"^cont_[0-9a-f]{32}\Z")
_INTEGER = re.compile(r"^[0-9]+\Z")
_MEDIA_JSON = re.compile(r"^application/(?:json|[!#$%&'*+.^_`|~0-9a-z-]+\+json)\Z")


class ApiError(Exception):
    """An error answer: status, code, message, optional details and headers."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        details: list[dict[str, str]] | None = None,
        headers: list[tuple[str, str]] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.details = details
        self.headers = headers or []


def _invalid(details: list[dict[str, str]]) -> ApiError:
    return ApiError(400, "validation_error", f"{len(details)} problem(s) with the request.", details)


def _detail(name: str, message: str) -> dict[str, str]:
    return {"field": name, "message": message, "code": "invalid"}


# ---------------------------------------------------------------------------- time and ids


class Clock:
    """UTC time in microseconds, kept at millisecond precision (as many databases store it).

    Contacts created in the same millisecond share `created_at` (the list breaks such
    ties by id, as the contract says); a contact's own `updated_at` still moves strictly
    forward on every real change (at least one millisecond, see `update_contact`).
    """

    def now(self) -> int:
        return time.time_ns() // 1_000_000 * 1000


def render_time(micros: int) -> str:
    moment = datetime.fromtimestamp(micros // 1_000_000, tz=UTC)
    fraction = f"{micros % 1_000_000:06d}".rstrip("0")
    return moment.strftime("%Y-%m-%dT%H:%M:%S") + (f".{fraction}" if fraction else "") + "Z"


def parse_time(text: str) -> int:
    match = re.match(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?Z$", text)
    if match is None:
        raise ValueError(f"not a timestamp: {text!r}")
    seconds = int(datetime.fromisoformat(match.group(1)).replace(tzinfo=UTC).timestamp())
    return seconds * 1_000_000 + int((match.group(2) or "").ljust(6, "0")[:6])


def new_id() -> str:
    """Newer contacts get *smaller* ids: 12 hex digits counting milliseconds down, then 20 random."""
    return f"cont_{(1 << 48) - time.time_ns() // 1_000_000:012x}{secrets.token_hex(10)}"


# ---------------------------------------------------------------------------- text rules


def fold(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold()


def utf16_key(text: str) -> bytes:
    """Order by UTF-16 code units, as JavaScript compares strings."""
    return text.encode("utf-16-be")


# ---------------------------------------------------------------------------- storage


@dataclass
class Contact:
    id: str
    values: dict[str, str | None]
    created: int
    updated: int

    def render(self) -> dict[str, Any]:
        return {
            "id": self.id,
            **{name: self.values.get(name) for name in FIELDS},
            "created_at": render_time(self.created),
            "updated_at": render_time(self.updated),
        }


@dataclass
class Organization:
    contacts: dict[str, Contact] = field(default_factory=dict)


@dataclass
class Store:
    tokens: dict[str, Organization]
    clock: Clock = field(default_factory=Clock)

    @classmethod
    def from_seed(cls, path: Path = SEED) -> Store:
        data = json.loads(path.read_text(encoding="utf-8"))
        tokens: dict[str, Organization] = {}
        for org_data in data["organizations"]:
            org = Organization()
            for raw in org_data["contacts"]:
                values = {name: raw.get(name) for name in FIELDS}
                org.contacts[raw["id"]] = Contact(
                    raw["id"], values, parse_time(raw["created_at"]), parse_time(raw["updated_at"])
                )
            for token in org_data["tokens"]:
                tokens[token] = org
        return cls(tokens)


# ---------------------------------------------------------------------------- validation


def _check_field(name: str, value: Any) -> tuple[str | None, str | None]:
    """(stored value, problem) for one body field."""
    if name in NAMES:
        if not isinstance(value, str):
            return None, "must be a string" if value is not None else "may not be null"
        trimmed = value.strip()
        if not trimmed:
            return None, "may not be blank"
        if len(trimmed) > 100:
            return None, "is longer than 100 characters"
        return trimmed, None
    if value is None:
        return None, None
    if not isinstance(value, str):
        return None, "must be a string or null"
    if name == "email" and (len(value) > 254 or not _EMAIL.match(value)):
        return None, "is not a valid email address"
    if name == "phone" and (len(value) > 32 or not _PHONE.match(value)):
        return None, "must be at most 32 digits, spaces, +, -, ( or )"
    if name == "position" and len(value) > 100:
        return None, "is longer than 100 characters"
    if name == "note" and len(value) > 2000:
        return None, "is longer than 2000 characters"
    if name == "company_id" and not _COMPANY.match(value):
        return None, "is not a company id"
    return value, None


def validate_body(body: dict[str, Any], *, creating: bool) -> dict[str, str | None]:
    problems: list[dict[str, str]] = []
    clean: dict[str, str | None] = {}
    for name, value in body.items():
        if name not in FIELDS:
            problems.append(_detail(name, "is not a field of a contact"))
            continue
        stored, problem = _check_field(name, value)
        if problem:
            problems.append(_detail(name, problem))
        else:
            clean[name] = stored
    if creating:
        problems += [_detail(name, "is required") for name in NAMES if name not in body]
    if problems:
        raise _invalid(problems)
    return clean


def parse_json(raw: bytes) -> dict[str, Any]:
    def refuse_constant(name: str) -> Any:
        raise ValueError(f"{name} is not JSON")

    try:
        data = json.loads(raw.decode("utf-8"), parse_constant=refuse_constant)
    except (UnicodeDecodeError, ValueError):
        raise _invalid([_detail("", "the body is not valid UTF-8 JSON")]) from None
    if not isinstance(data, dict):
        raise _invalid([_detail("", "the body must be a JSON object")])
    return data


@dataclass(frozen=True)
class ListQuery:
    limit: int = 50
    offset: int = 0
    search: str = ""
    company_id: str = ""
    sort: str = "created_at"
    order: str = "desc"


def parse_list_query(query: dict[str, str]) -> ListQuery:
    problems: list[dict[str, str]] = []
    values: dict[str, Any] = {}
    for name, low, high in (("limit", 1, 200), ("offset", 0, None)):
        if name not in query:
            continue
        text = query[name]
        if not _INTEGER.match(text):
            problems.append(_detail(name, f"{text!r} is not a whole number"))
            continue
        number = int(text)
        if number < low or (high is not None and number > high):
            problems.append(_detail(name, f"must be between {low} and {high or 'infinity'}"))
            continue
        values[name] = number
    for name, allowed in (("sort", ("created_at", "name")), ("order", ("asc", "desc"))):
        if name in query:
            if query[name] not in allowed:
                problems.append(_detail(name, f"must be one of {' or '.join(allowed)}"))
            else:
                values[name] = query[name]
    company = query.get("company_id", "")
    if company and not _COMPANY.match(company):
        problems.append(_detail("company_id", "is not a company id"))
    values["company_id"] = company
    values["search"] = query.get("search", "")
    if problems:
        raise _invalid(problems)
    return ListQuery(**values)


def matches(contact: Contact, needle: str) -> bool:
    first = contact.values["first_name"] or ""
    last = contact.values["last_name"] or ""
    email = contact.values.get("email") or ""
    haystacks = (first, last, email, f"{last} {first}", f"{last}{first}", f"{first} {last}")
    return any(needle in fold(text) for text in haystacks)


def select(org: Organization, query: ListQuery) -> tuple[list[Contact], int]:
    found = list(org.contacts.values())
    if query.company_id:
        found = [c for c in found if c.values.get("company_id") == query.company_id]
    if query.search:
        needle = fold(query.search)
        found = [c for c in found if matches(c, needle)]

    def key(contact: Contact) -> tuple[Any, ...]:
        if query.sort == "name":
            last = utf16_key(fold(contact.values["last_name"] or ""))
            first = utf16_key(fold(contact.values["first_name"] or ""))
            return (last, first, contact.id)
        return (contact.created, contact.id)

    found.sort(key=key, reverse=query.order == "desc")
    return found[query.offset : query.offset + query.limit], len(found)


# ---------------------------------------------------------------------------- HTTP plumbing


@dataclass
class Request:
    method: str
    path: str
    headers: list[tuple[str, str]]
    query: dict[str, str]
    receive: Receive

    def header(self, name: str) -> str | None:
        return next((v for k, v in self.headers if k == name), None)

    async def body(self, limit: int) -> bytes:
        chunks = bytearray()
        while True:
            message = await self.receive()
            chunks += message.get("body", b"")
            if len(chunks) > limit:
                raise ApiError(413, "payload_too_large", f"Bodies are limited to {limit} bytes.")
            if not message.get("more_body"):
                return bytes(chunks)


def _first_values(query_string: bytes) -> dict[str, str]:
    try:
        text = query_string.decode("ascii")
        pairs = parse_qsl(text, keep_blank_values=True, errors="strict")
    except (UnicodeDecodeError, ValueError):
        raise _invalid([_detail("", "the query string is not valid UTF-8")]) from None
    query: dict[str, str] = {}
    for name, value in pairs:
        query.setdefault(name, value)
    return query


def _credentials(request: Request, store: Store) -> Organization:
    authorization = request.header("authorization")
    if authorization is not None:
        scheme, _, rest = authorization.strip().partition(" ")
        if scheme.lower() == "bearer":
            org = store.tokens.get(rest.strip())
            if org is None:
                raise ApiError(
                    401,
                    "unauthorized",
                    "The bearer token is not valid.",
                    headers=[("www-authenticate", 'Bearer error="invalid_token"')],
                )
            return org
    for cookie_header in (v for k, v in request.headers if k == "cookie"):
        for part in cookie_header.split(";"):
            name, _, value = part.strip().partition("=")
            if name == "better-auth.session_token":
                org = store.tokens.get(value.strip().strip('"'))
                if org is not None:
                    return org
                raise ApiError(401, "unauthorized", "The session is not valid.")
    raise ApiError(401, "unauthorized", "Sign in first.", headers=[("www-authenticate", "Bearer")])


async def _json_body(request: Request) -> dict[str, Any]:
    raw = await request.body(MAX_BODY)
    media = (request.header("content-type") or "").split(";")[0].strip().lower()
    if not _MEDIA_JSON.match(media):
        raise ApiError(415, "unsupported_media_type", "Send the body as application/json.")
    return parse_json(raw)


# ---------------------------------------------------------------------------- operations


def _contact_of(org: Organization, contact_id: str) -> Contact:
    contact = org.contacts.get(contact_id) if _CONTACT_ID.match(contact_id) else None
    if contact is None:
        raise ApiError(404, "not_found", f"There is no contact {contact_id[:80]!r}.")
    return contact


async def list_contacts(store: Store, org: Organization, request: Request, _: str) -> Answer:
    query = parse_list_query(request.query)
    page, total = select(org, query)
    return Answer(
        200,
        {
            "items": [c.render() for c in page],
            "total": total,
            "limit": query.limit,
            "offset": query.offset,
            "has_more": query.offset + len(page) < total,
        },
    )


async def create_contact(store: Store, org: Organization, request: Request, _: str) -> Answer:
    values = validate_body(await _json_body(request), creating=True)
    now = store.clock.now()
    contact = Contact(new_id(), {name: values.get(name) for name in FIELDS}, now, now)
    org.contacts[contact.id] = contact
    location = [("location", f"{COLLECTION}/{contact.id}")]
    return Answer(201, {"contact": contact.render()}, location)


async def get_contact(store: Store, org: Organization, request: Request, contact_id: str) -> Answer:
    return Answer(200, {"contact": _contact_of(org, contact_id).render()})


async def update_contact(store: Store, org: Organization, request: Request, contact_id: str) -> Answer:
    values = validate_body(await _json_body(request), creating=False)
    contact = _contact_of(org, contact_id)
    if any(contact.values.get(name) != value for name, value in values.items()):
        contact.values.update(values)
        contact.updated = max(store.clock.now(), contact.updated + 1000)
    return Answer(200, {"contact": contact.render()})


async def delete_contact(store: Store, org: Organization, request: Request, contact_id: str) -> Answer:
    contact = _contact_of(org, contact_id)
    del org.contacts[contact.id]
    return Answer(200, {"success": True, "deleted_id": contact.id})


Operation = Callable[[Store, Organization, Request, str], Awaitable["Answer"]]

# path kind -> method -> operation
ROUTES: dict[str, dict[str, Operation]] = {
    "collection": {"POST": create_contact, "GET": list_contacts},
    "item": {"PATCH": update_contact, "GET": get_contact, "DELETE": delete_contact},
}


@dataclass
class Answer:
    status: int
    body: dict[str, Any]
    headers: list[tuple[str, str]] = field(default_factory=list)


def _route(path: str) -> tuple[str, str] | None:
    if path == COLLECTION:
        return "collection", ""
    prefix = COLLECTION + "/"
    if path.startswith(prefix) and path[len(prefix) :] and "/" not in path[len(prefix) :]:
        return "item", path[len(prefix) :]
    return None


def _header_bytes(headers: list[tuple[str, str]]) -> int:
    return sum(len(k.encode("latin-1")) + len(v.encode("latin-1")) + 4 for k, v in headers)


class IndependentApp:
    """The ASGI app: one store, routes as a table."""

    def __init__(self, store: Store | None = None) -> None:
        self.store = store or Store.from_seed()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        if scope["type"] != "http":
            return
        headers = [(k.decode("latin-1").lower(), v.decode("latin-1")) for k, v in scope["headers"]]
        try:
            answer = await self._answer(scope, headers, receive)
        except ApiError as error:
            body: dict[str, Any] = {"code": error.code, "message": error.message}
            if error.details is not None:
                body["details"] = error.details
            answer = Answer(error.status, {"error": body}, error.headers)
        await _send(send, answer)

    async def _answer(self, scope: Scope, headers: list[tuple[str, str]], receive: Receive) -> Answer:
        if _header_bytes(headers) > MAX_HEADER_BYTES:
            raise ApiError(431, "headers_too_large", "Too many header bytes.")
        route = _route(scope["path"])
        if route is None:
            raise ApiError(404, "not_found", "No such resource.")
        kind, contact_id = route
        operation = ROUTES[kind].get(scope["method"])
        if operation is None:
            allow = ", ".join(sorted(ROUTES[kind]))
            raise ApiError(
                405,
                "method_not_allowed",
                f"{scope['method']} is not allowed here.",
                headers=[("allow", allow)],
            )
        request = Request(scope["method"], scope["path"], headers, {}, receive)
        org = _credentials(request, self.store)
        if operation is list_contacts:
            request.query = _first_values(scope.get("query_string", b""))
        return await operation(self.store, org, request, contact_id)


async def _send(send: Send, answer: Answer) -> None:
    body = {**answer.body, "request_id": secrets.token_hex(6)} if answer.status >= 400 else answer.body
    if answer.status == 200 and "contact" in body:
        body = {**body, "request_id": secrets.token_hex(6)}
    content = json.dumps(body, ensure_ascii=True, sort_keys=True, separators=(",", ":")).encode()
    # Pages are streamed (chunked over HTTP/1.1, no Content-Length); other answers are not.
    streamed = "items" in body
    headers = [
        ("content-type", "application/json; charset=utf-8"),
        *([] if streamed else [("content-length", str(len(content)))]),
        ("cache-control", "no-store, private"),
        ("x-request-id", secrets.token_hex(8)),
        ("x-implementation", "independent"),
        *answer.headers,
    ]
    await send(
        {
            "type": "http.response.start",
            "status": answer.status,
            "headers": [(k.encode("latin-1"), v.encode("latin-1")) for k, v in headers],
        }
    )
    if streamed:
        for start in range(0, len(content), 4096):
            await send(
                {"type": "http.response.body", "body": content[start : start + 4096], "more_body": True}
            )
    await send({"type": "http.response.body", "body": b"" if streamed else content})


def create_app() -> IndependentApp:
    """A freshly seeded app (the `--app tests.independent.app:create_app` factory)."""
    return IndependentApp()
