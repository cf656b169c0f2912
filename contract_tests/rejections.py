"""Writes the contract refuses, derived from the spec, and the check that a refusal changes nothing.

Every kind of refused write the contract names: field validation (every body
field, every constraint of its schema: type, null, length, pattern, format;
unknown and read-only fields; a missing required field), mixed with valid
fields and real changes; malformed or non-object JSON; a media type other than
JSON; a body one byte over ``x-max-body-bytes`` and more; missing, wrong and
malformed credentials (a bad Bearer header beside a valid cookie too); unknown,
deleted and malformed ids, the malformed ones derived from the run's own live
ids (upper case, one character short or long, another prefix, a trailing
space); methods the path does not have; another organization's token.

Each :class:`RejectedWrite` knows the status the contract requires (its
precedence decides when a request has several faults: every body here is a
valid one unless the fault is in the body). :func:`check_scope` then compares
everything the run's scope holds, read through the list *and* by GET, with
what it must hold; the caller passes what the scope held before (a snapshot or
the model), so a refused write that creates, changes, touches or deletes
anything is caught wherever it shows.

Field constraints are read from the request schemas of the spec under test
(:func:`body_fields`); nothing here writes a limit down again.
"""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

from hypothesis import strategies as st

from . import fanout
from .client import ApiClient
from .contract import CREATE, UPDATE, active, resolve
from .failures import Exchange, expect_equal
from .invariants import check_error, contact_of, page_of
from .model import is_change, search_matches
from .strategies import Scope, create_bodies, patch_bodies

# Candidate values for a string field with a pattern or a format: each is used only where the
# field's own schema rejects it (checked with the spec's pattern), so no value is assumed invalid.
# No U+001C..U+001F or U+0085: their white-space status differs between regex engines.
_STRING_CANDIDATES = (
    "",
    " ",
    "\u3000",
    "\t \t",
    "not-an-email",
    "a@",
    "@example.com",
    "taro@@example.com",
    "090-1234-567a",
    "０９０-１２３４",
    "comp_123",
    "COMP_" + "a" * 32,
    "comp_" + "g" * 32,
    "cont_" + "a" * 32,
)
# Values of another JSON type than string (every body field is a string or null).
_WRONG_TYPES: tuple[Any, ...] = (123, 0, 1.5, True, False, ["x"], [], {"text": "x"}, {})


@dataclass(frozen=True)
class FieldRule:
    """One body field's schema, as the spec states it."""

    name: str
    nullable: bool
    max_length: int | None
    pattern: re.Pattern[str] | None
    email: bool

    def accepts(self, value: Any) -> bool:
        """Would the field's schema accept `value`? (Strings only; the caller knows the rest.)"""
        if value is None:
            return self.nullable
        if not isinstance(value, str):
            return False
        if self.max_length is not None and len(value) > self.max_length:
            return False
        return self.pattern is None or self.pattern.search(value) is not None


@dataclass(frozen=True)
class BodyFields:
    """The request bodies' fields: their rules, the required ones, and whether others are refused."""

    rules: Mapping[str, FieldRule]
    required: tuple[str, ...]  # of a create
    closed: bool  # additionalProperties: false on both bodies

    def invalid_values(self, name: str) -> list[Any]:
        """Values the spec's schema of `name` refuses: wrong types, null, too long, off pattern."""
        rule = self.rules[name]
        values: list[Any] = list(_WRONG_TYPES)
        if not rule.nullable:
            values.append(None)
        values += [s for s in _STRING_CANDIDATES if not rule.accepts(s)]
        values += _too_long(rule)
        return values


def _body_schema(document: Mapping[str, Any], operation_id: str) -> Mapping[str, Any]:
    for item in document["paths"].values():
        for operation in item.values():
            if isinstance(operation, Mapping) and operation.get("operationId") == operation_id:
                body = resolve(operation["requestBody"], document)
                return dict(resolve(body["content"]["application/json"]["schema"], document))
    raise KeyError(operation_id)


def body_fields(document: Mapping[str, Any]) -> BodyFields:
    """The fields of the create and update bodies, read from the spec's request schemas."""
    create = _body_schema(document, CREATE)
    update = _body_schema(document, UPDATE)
    rules = {}
    for name, node in create["properties"].items():
        schema = resolve(node, document)
        types = schema.get("type", "string")
        types = [types] if isinstance(types, str) else list(types)
        pattern = schema.get("pattern")
        rules[name] = FieldRule(
            name=name,
            nullable="null" in types,
            max_length=schema.get("maxLength"),
            pattern=re.compile(pattern) if isinstance(pattern, str) else None,
            email=schema.get("format") == "email",
        )
    closed = create.get("additionalProperties") is False and update.get("additionalProperties") is False
    return BodyFields(rules, tuple(create.get("required", ())), closed)


def _longest_accepted(rule: FieldRule, unit: str) -> int | None:
    """The longest run of `unit` the field accepts, when a pattern bounds it (the names' 1..100)."""
    if rule.pattern is None or not rule.accepts(unit) or rule.accepts(unit * 4096):
        return None
    low, high = 1, 4096  # accepts(unit * low), not accepts(unit * high)
    while high - low > 1:
        middle = (low + high) // 2
        low, high = (middle, high) if rule.accepts(unit * middle) else (low, middle)
    return low


def _too_long(rule: FieldRule) -> list[str]:
    """Strings one character (ASCII and multi-byte) over the field's bound, otherwise well-formed."""
    if rule.email:
        if rule.max_length is None:
            return []
        # A well-formed address (labels of at most 63 characters), one character too long.
        rest = rule.max_length + 1 - len("taro@") - len(".com")
        labels = ""
        while rest > 63:
            labels, rest = labels + "d" * 49 + ".", rest - 50
        return ["taro@" + labels + "d" * rest + ".com"]
    found = []
    for unit in ("1", "x", "字", "𠮷"):
        if rule.max_length is not None and rule.accepts(unit * rule.max_length):
            found.append(unit * (rule.max_length + 1))
        elif (longest := _longest_accepted(rule, unit)) is not None:
            found.append(unit * (longest + 1))
    return found


@dataclass(frozen=True)
class RejectedWrite:
    """One write the contract refuses, and the status it must get."""

    kind: str
    method: str
    path: str
    content: bytes | None
    headers: tuple[tuple[str, str], ...]
    authenticate: bool  # send the client's own credentials
    status: int

    def __repr__(self) -> str:
        body = (self.content or b"")[:120].decode("utf-8", "replace")
        return f"RejectedWrite({self.kind}: {self.method} {self.path} {body!r} -> {self.status})"

    def send(self, api: ApiClient) -> Exchange:
        return api.request(
            self.method,
            self.path,
            content=self.content,
            headers=dict(self.headers),
            authenticate=self.authenticate,
        )


def _encode(body: Any) -> bytes:
    return json.dumps(body, ensure_ascii=False).encode("utf-8")


# The kinds of refused writes; "bad-id" and "other-organization" need a live contact of the scope.
KINDS = ("fields", "json", "media-type", "too-large", "credentials", "method", "bad-id", "other-organization")
ORG = "other-organization"
NEEDS_LIVE = ("bad-id", ORG)
JSON_HEADERS = (("Content-Type", "application/json"),)
NON_JSON_TYPES = (
    None,
    "text/plain",
    "text/json",
    "application/x-www-form-urlencoded",
    "application/xml",
    "multipart/form-data",
    "application/jsonx",
)
MALFORMED_JSON = (b"{", b"[]", b"null", b'"text"', b"1", b"true", b"\xff\xfe{}", b"", b"{}}")


@st.composite
def invalid_bodies(
    draw: st.DrawFn, fields: BodyFields, valid: Mapping[str, Any], *, create: bool
) -> dict[str, Any]:
    """`valid` with one to three fields made invalid (or a required one dropped, or an unknown one added)."""
    body = dict(valid)
    faults = draw(st.integers(1, 3))
    names = sorted(fields.rules)
    for _ in range(faults):
        choice = draw(st.sampled_from(["field", "field", "field", "unknown", "missing"]))
        if choice == "unknown" and fields.closed:
            readonly = [n for n in active().contact_fields if n not in fields.rules]
            name = draw(st.sampled_from([*readonly, "nickname", "First_Name", "contact", ""]))
            body[name] = draw(st.sampled_from(["x", None, 1, "2026-01-01T00:00:00Z"]))
        elif choice == "missing" and create and fields.required:
            body.pop(draw(st.sampled_from(fields.required)), None)
        else:
            name = draw(st.sampled_from(names))
            body[name] = draw(st.sampled_from(fields.invalid_values(name)))
    if body == dict(valid) or _valid(fields, body, create=create):
        # Every drawn fault was undone by a later one: make the first field plainly wrong.
        body[names[0]] = _WRONG_TYPES[0]
    return body


def _valid(fields: BodyFields, body: Mapping[str, Any], *, create: bool) -> bool:
    if fields.closed and set(body) - set(fields.rules):
        return False
    if create and any(name not in body for name in fields.required):
        return False
    return all(fields.rules[name].accepts(value) for name, value in body.items())


def malformed_ids(live_id: str) -> list[str]:
    """Strings that are not the id but look like it: each must name nothing (404)."""
    prefix, _, digits = live_id.partition("_")
    return [
        live_id.upper(),
        prefix + "_" + digits.upper(),
        live_id[:-1],
        live_id + digits[-1],
        live_id + "%20",
        "%20" + live_id,
        live_id.replace(prefix + "_", "comp_", 1),
        digits,
    ]


@st.composite
def rejected_writes(
    draw: st.DrawFn,
    fields: BodyFields,
    scope: Scope,
    live: Sequence[Mapping[str, Any]],
    gone: Sequence[str],
    token: str,
    other_token: str | None,
    kinds: Sequence[str] = (),
) -> RejectedWrite:
    """A write the contract refuses, against the scope's live contacts (or a create).

    `kinds` narrows the faults to some of :data:`KINDS` (default: every kind that applies).
    """
    contract = active()
    collection = contract.collection_path
    usable = [k for k in (kinds or KINDS) if (live or k not in NEEDS_LIVE) and (other_token or k != ORG)]
    if not kinds:
        usable += ["fields", "fields"]  # the richest kind: every field, every constraint
    kind = draw(st.sampled_from(usable))
    target = draw(st.sampled_from(list(live))) if live else None
    create = target is None or draw(st.booleans())
    if create or target is None:
        method, path, valid = "POST", collection, draw(create_bodies(scope))
    else:
        method, path, valid = (
            "PATCH",
            contract.contact_path(target["id"]),
            draw(changing_patches(scope, target)),
        )
    content = _encode(valid)

    def refused(status: int, **changes: Any) -> RejectedWrite:
        values: dict[str, Any] = {
            "kind": kind,
            "method": method,
            "path": path,
            "content": content,
            "headers": JSON_HEADERS,
            "authenticate": True,
            "status": status,
        }
        values.update(changes)
        return RejectedWrite(**values)

    if kind == "fields":
        body = draw(invalid_bodies(fields, valid, create=method == "POST"))
        return refused(400, content=_encode(body))
    if kind == "json":
        broken = [*MALFORMED_JSON, content[:-1], content + b",", b"[" + content + b"]"]
        return refused(400, content=draw(st.sampled_from(broken)))
    if kind == "media-type":
        media = draw(st.sampled_from(NON_JSON_TYPES))
        return refused(415, headers=(("Content-Type", media),) if media else ())
    if kind == "too-large":
        over = contract.max_body_bytes + draw(st.sampled_from([1, 2, 1000]))
        return refused(413, content=content[:-1] + b" " * (over - len(content)) + b"}")
    if kind == "credentials":
        cookie = contract.cookie_name
        bad = draw(
            st.sampled_from(
                [
                    (),
                    (("Authorization", "Bearer not-a-real-token-" + secrets.token_hex(4)),),
                    (("Authorization", "Bearer"),),
                    (("Authorization", "Basic dXNlcjpwYXNz"),),
                    (("Authorization", token),),
                    (("Cookie", f"{cookie}=not-a-real-token"),),
                    (("Cookie", f"{cookie}="),),
                    (("Authorization", "Bearer not-a-real-token"), ("Cookie", f"{cookie}={token}")),
                ]
            )
        )
        return refused(401, headers=(*JSON_HEADERS, *bad), authenticate=False)
    if kind == "method":
        item = contract.contact_path(target["id"] if target else "cont_" + secrets.token_hex(16))
        choices = [("PUT", item), ("POST", item), ("PUT", collection), ("PATCH", collection)]
        choices.append(("DELETE", collection))
        method, path = draw(st.sampled_from(choices))
        return refused(405, method=method, path=path)
    assert target is not None
    if kind == ORG:
        assert other_token is not None
        method = draw(st.sampled_from(["PATCH", "DELETE"]))
        headers = (*JSON_HEADERS, ("Authorization", f"Bearer {other_token}"))
        return refused(
            404, method=method, path=contract.contact_path(target["id"]), headers=headers, authenticate=False
        )
    # kind == "bad-id": unknown, deleted or malformed; a PATCH's valid body or a DELETE.
    ids = ["cont_" + secrets.token_hex(16), *gone, *malformed_ids(str(target["id"]))]
    method = draw(st.sampled_from(["PATCH", "DELETE"]))
    patch = _encode(draw(changing_patches(scope, target)))
    return refused(
        404,
        method=method,
        path=contract.contact_path(draw(st.sampled_from(ids))),
        content=patch if method == "PATCH" else None,
        headers=JSON_HEADERS if method == "PATCH" else (),
    )


def changing_patches(scope: Scope, current: Mapping[str, Any]) -> st.SearchStrategy[dict[str, Any]]:
    """A valid PATCH of `current` that really changes it (so a refusal that applies it shows)."""

    def changing(patch: dict[str, Any]) -> dict[str, Any]:
        if is_change(current, patch):
            return patch
        note = f"changed [contract-suite {scope.token}]"
        return {**patch, "note": note if current.get("note") != note else note + "!"}

    return patch_bodies(scope, dict(current)).map(changing)


def check_refused(api: ApiClient, write: RejectedWrite) -> Exchange:
    """Send `write`; it must get its status in the contract's error shape."""
    exchange = write.send(api)
    check_error(
        exchange,
        write.status,
        f"{write.kind}: {write.method} is refused with {write.status}",
        rule="rejected-write-status",
    )
    return exchange


def read_scope(api: ApiClient, token: str, ids: Sequence[str]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The scope through both read paths: the list (searched by the scope's token) and GET of `ids`.

    GET of an id that is gone is recorded as None.
    """
    listed: dict[str, Any] = {}
    offset, limit = active().offset.minimum, active().max_limit

    def listing(offset: int) -> Exchange:
        return api.list({"search": token, "limit": limit, "offset": offset})

    # The first page and the GETs are independent: sent at once (fanout.py), judged in order.
    first, *gets = fanout.each([partial(listing, offset), *[partial(api.get, i) for i in ids]])
    exchange = first.get()
    while True:
        page = page_of(exchange)
        listed.update({item["id"]: item for item in page["items"]})
        offset += limit
        if not page["items"] or offset >= page["total"]:
            break
        exchange = listing(offset)
    fetched: dict[str, Any] = {}
    for contact_id, outcome in zip(ids, gets, strict=True):
        exchange = outcome.get()
        fetched[contact_id] = contact_of(exchange, 200, "GET") if exchange.status == 200 else None
    return listed, fetched


def check_scope(
    api: ApiClient,
    token: str,
    expected: Mapping[str, Mapping[str, Any]],
    cause: Exchange,
    ids: Sequence[str] = (),
) -> None:
    """After the refused `cause`, the scope holds exactly `expected` (id -> contact), field by field.

    Read through the list and by GET (of every expected id, and of `ids`: contacts
    that must stay gone).
    """
    wanted = {contact_id: dict(contact) for contact_id, contact in expected.items()}
    listed, fetched = read_scope(api, token, [*wanted, *[i for i in ids if i not in wanted]])
    # The list is searched by the scope's token: a contact whose patches took the token out of its
    # names and email is not listed, and must not be (the model's search says which are).
    expect_equal(
        listed,
        {contact_id: contact for contact_id, contact in wanted.items() if search_matches(contact, token)},
        "a refused write changes nothing (the list of the run's scope)",
        cause,
        rule="rejected-write-changes-nothing",
    )
    expect_equal(
        fetched,
        {**{i: None for i in ids}, **wanted},
        "a refused write changes nothing (each of the run's contacts by GET)",
        cause,
        rule="rejected-write-changes-nothing",
    )
