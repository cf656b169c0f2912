"""Reusable contract invariants, each failing with a ContractViolation that names it (and its id).

`check_exchange` runs the per-response rules of rules.py on one exchange; the
suite's client does so for every response it receives (see conftest).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from .contract import Contract, active
from .failures import ContractViolation, Exchange, expect, expect_equal, expect_status, fail
from .model import apply_patch, instant, is_change
from .rules import Answer, RuleBroken, check_answer

if TYPE_CHECKING:
    from .client import ApiClient
    from .strategies import Scope


def answer_of(exchange: Exchange) -> Answer:
    request, response = exchange.request, exchange.response
    headers = {name.lower(): value for name, value in response.headers.items()}
    return Answer(request.method, request.url.path, response.status_code, headers, response.content)


def check_exchange(contract: Contract, exchange: Exchange) -> None:
    """Every per-response rule; the first broken one fails with its id."""
    try:
        check_answer(contract, answer_of(exchange))
    except RuleBroken as broken:
        raise ContractViolation(broken.title, broken.detail, exchange, broken.rule) from None


def json_body(exchange: Exchange, invariant: str = "responses are JSON") -> Any:
    content_type = exchange.response.headers.get("content-type", "")
    expect(
        content_type.split(";")[0].strip().lower() == "application/json",
        invariant,
        exchange,
        f"Content-Type is {content_type!r}, not application/json",
    )
    return exchange.json()


def check_contact(contact: Any, exchange: Exchange) -> dict[str, Any]:
    """A Contact: exactly the contract's fields, every one present, well-formed."""
    contract = active()
    expect(
        isinstance(contact, dict),
        "a contact is a JSON object",
        exchange,
        f"got {type(contact).__name__}",
        rule="contact-fields",
    )
    expect_equal(
        sorted(contact),
        sorted(contract.contact_fields),
        "a contact has exactly the contract's fields",
        exchange,
        rule="contact-fields",
    )
    expect(
        isinstance(contact["id"], str) and bool(contract.contact_id.match(contact["id"])),
        "contact ids match the spec's pattern",
        exchange,
        f"id is {contact['id']!r}",
        rule="contact-id-pattern",
    )
    for name in ("created_at", "updated_at"):
        try:
            instant(contact[name])
        except (ValueError, TypeError):
            fail(
                "timestamps are RFC 3339 in UTC with Z",
                exchange,
                f"{name} is {contact[name]!r}",
                rule="timestamps-utc-z",
            )
    expect(
        instant(contact["updated_at"]) >= instant(contact["created_at"]),
        "updated_at is never before created_at",
        exchange,
        f"created_at {contact['created_at']}, updated_at {contact['updated_at']}",
        rule="updated-not-before-created",
    )
    return dict(contact)


def contact_of(exchange: Exchange, status: int, invariant: str, *, rule: str | None = None) -> dict[str, Any]:
    """The `contact` of a single-contact answer with the expected status (`rule`: the status's id)."""
    expect_status(exchange, status, invariant, rule=rule)
    body = json_body(exchange)
    expect(
        isinstance(body, dict) and "contact" in body,
        'single-contact answers are {"contact": {...}}',
        exchange,
        "no 'contact' key in the body",
    )
    return check_contact(body["contact"], exchange)


def check_writable(
    contact: Mapping[str, Any],
    expected: Mapping[str, Any],
    invariant: str,
    exchange: Exchange,
    *,
    rule: str | None = None,
) -> None:
    actual = {name: contact[name] for name in expected}
    expect_equal(actual, dict(expected), invariant, exchange, rule=rule)


def write_target(api: ApiClient, scope: Scope, method: str) -> tuple[str, int]:
    """Where a write of `method` goes and its success status: a POST to the collection (201), or
    a PATCH (200) of a contact created for it in `scope`."""
    if method == "POST":
        return active().collection_path, 201
    body = {"first_name": "Emily", "last_name": f"Carter{scope.token}"}
    created = contact_of(api.create(body), 201, "POST creates a contact")
    return active().contact_path(created["id"]), 200


def check_error(
    exchange: Exchange, status: int, invariant: str, *, rule: str | None = None
) -> dict[str, Any]:
    """The contract's error: the status, JSON, {"error": {"code", "message"}} with the status's code."""
    expect_status(exchange, status, invariant, rule=rule)
    body = json_body(exchange, "error responses are JSON")
    error = body.get("error") if isinstance(body, dict) else None
    expect(
        isinstance(error, dict) and isinstance(error.get("message"), str) and bool(error.get("message")),
        'errors have the body {"error": {"code", "message"}}',
        exchange,
        "no error object with a non-empty message",
        rule="error-shape",
    )
    assert isinstance(error, dict)
    code = active().error_codes[status]
    expect_equal(
        error.get("code"), code, f"a {status} has the code {code}", exchange, rule="error-code-per-status"
    )
    if status == 400:
        details = error.get("details")
        expect(
            isinstance(details, list)
            and len(details) > 0
            and all(
                isinstance(d, dict) and isinstance(d.get("field"), str) and isinstance(d.get("message"), str)
                for d in details
            ),
            "validation errors carry details [{field, message}]",
            exchange,
            f"details is {details!r}",
            rule="validation-details",
        )
    return error


def check_deleted(exchange: Exchange, invariant: str = 'DELETE answers {"success": true}') -> None:
    """A DELETE's body: an object whose `success` is `true`.

    Only `success` is pinned (the spec's DeleteResult requires it and allows other
    properties), so a server may add fields such as the deleted id; comparing the
    whole body with {"success": true} was a false alarm on such a server.
    """
    body = json_body(exchange)
    expect(
        isinstance(body, dict) and body.get("success") is True,
        invariant,
        exchange,
        f"body is {exchange.response.content[:200]!r}",
        rule="delete-answers-success",
    )


def page_of(
    exchange: Exchange, invariant: str = "list answers are a page", *, rule: str | None = None
) -> dict[str, Any]:
    expect_status(exchange, 200, invariant, rule=rule)
    body = json_body(exchange)
    expect(
        isinstance(body, dict) and {"items", "total", "limit", "offset"} <= set(body),
        "a page has items, total, limit and offset",
        exchange,
        f"keys: {sorted(body) if isinstance(body, dict) else type(body).__name__}",
    )
    expect(isinstance(body["items"], list), "items is an array", exchange, f"items is {type(body['items'])}")
    for name in ("total", "limit", "offset"):
        expect(
            isinstance(body[name], int) and not isinstance(body[name], bool),
            f"{name} is an integer",
            exchange,
            f"{name} is {body[name]!r}",
        )
    for item in body["items"]:
        check_contact(item, exchange)
    expect(
        len(body["items"]) <= body["limit"],
        "a page holds at most `limit` items",
        exchange,
        f"{len(body['items'])} items with limit {body['limit']}",
    )
    return dict(body)


def check_location(exchange: Exchange, contact_id: str) -> None:
    """Location names the new contact: the path, or an absolute URL with that path."""
    location = exchange.response.headers.get("location") or ""
    parts = urlsplit(location)
    expect_equal(
        (parts.path, parts.query),
        (active().contact_path(contact_id), ""),
        "a 201 has a Location naming the created contact",
        exchange,
        rule="location-on-201",
    )


def expect_ordered_page(
    items: list[dict[str, Any]],
    matching: list[Mapping[str, Any]],
    offset: int,
    limit: int,
    sort: str,
    exchange: Exchange | None,
) -> None:
    """`items` is the page [offset, offset+limit) of `matching` (every match, in the contract's order).

    For sort=name the keys are all visible, so the order must match exactly, ties
    broken by id. For sort=created_at the server may keep more precision than it
    renders: among contacts whose rendered created_at is equal, any consistent
    order is allowed (desc being the exact reverse of asc is checked elsewhere).
    """
    window = matching[offset : offset + limit]
    ids = [c["id"] for c in items]
    expect(len(ids) == len(set(ids)), "a page never repeats a contact", exchange, str(ids))
    if sort == "name":
        expect_equal(
            ids, [c["id"] for c in window], "the page holds exactly the matching contacts, in order", exchange
        )
    else:
        expect_equal(
            [instant(c["created_at"]) for c in items],
            [instant(c["created_at"]) for c in window],
            "the page holds the matching contacts in created_at order",
            exchange,
        )
        for item in items:
            group = {c["id"] for c in matching if c["created_at"] == item["created_at"]}
            expect(
                item["id"] in group,
                "the page holds only matching contacts",
                exchange,
                f"unexpected {item['id']}",
            )
    expected_by_id = {c["id"]: c for c in matching}
    for item in items:
        expect_equal(
            item, expected_by_id.get(item["id"]), "listed contacts show their current fields", exchange
        )


def check_patched(
    current: Mapping[str, Any], patch: Mapping[str, Any], updated: Mapping[str, Any], exchange: Exchange
) -> None:
    """A PATCH answer: the sent fields changed (names trimmed), nothing else did, and
    updated_at moved strictly forward exactly when something really changed."""
    check_writable(
        updated,
        apply_patch({k: current[k] for k in active().writable_fields}, patch),
        "PATCH changes the sent fields and only them",
        exchange,
        rule="patch-changes-only-what-it-sends",
    )
    expect_equal(
        (updated["id"], updated["created_at"]),
        (current["id"], current["created_at"]),
        "id and created_at never change",
        exchange,
        rule="patch-keeps-id-and-created-at",
    )
    if is_change(current, patch):
        expect(
            instant(updated["updated_at"]) > instant(current["updated_at"]),
            "a real change moves updated_at strictly forward",
            exchange,
            f"updated_at was {current['updated_at']}, now {updated['updated_at']}",
            rule="real-change-moves-updated-at",
        )
    else:
        expect_equal(
            updated["updated_at"],
            current["updated_at"],
            "a PATCH that changes nothing keeps updated_at",
            exchange,
            rule="no-change-keeps-updated-at",
        )
