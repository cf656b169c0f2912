"""Reusable contract invariants, each failing with a ContractViolation that names it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from .client import COLLECTION
from .failures import Exchange, expect, expect_equal, expect_status, fail
from .model import CONTACT_FIELDS, CONTACT_ID, WRITABLE, apply_patch, instant, is_change

ERROR_CODES = {
    400: "validation_error",
    401: "unauthorized",
    404: "not_found",
    405: "method_not_allowed",
    413: "payload_too_large",
    415: "unsupported_media_type",
}


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
    expect(isinstance(contact, dict), "a contact is a JSON object", exchange, f"got {type(contact).__name__}")
    expect_equal(
        sorted(contact), sorted(CONTACT_FIELDS), "a contact has exactly the contract's fields", exchange
    )
    expect(
        isinstance(contact["id"], str) and bool(CONTACT_ID.match(contact["id"])),
        "ids are cont_ + 32 lowercase hex",
        exchange,
        f"id is {contact['id']!r}",
    )
    for name in ("created_at", "updated_at"):
        try:
            instant(contact[name])
        except (ValueError, TypeError):
            fail("timestamps are RFC 3339 in UTC with Z", exchange, f"{name} is {contact[name]!r}")
    expect(
        instant(contact["updated_at"]) >= instant(contact["created_at"]),
        "updated_at is never before created_at",
        exchange,
        f"created_at {contact['created_at']}, updated_at {contact['updated_at']}",
    )
    return dict(contact)


def contact_of(exchange: Exchange, status: int, invariant: str) -> dict[str, Any]:
    """The `contact` of a single-contact answer with the expected status."""
    expect_status(exchange, status, invariant)
    body = json_body(exchange)
    expect(
        isinstance(body, dict) and "contact" in body,
        'single-contact answers are {"contact": {...}}',
        exchange,
        "no 'contact' key in the body",
    )
    return check_contact(body["contact"], exchange)


def check_writable(
    contact: Mapping[str, Any], expected: Mapping[str, Any], invariant: str, exchange: Exchange
) -> None:
    actual = {name: contact[name] for name in expected}
    expect_equal(actual, dict(expected), invariant, exchange)


def check_error(exchange: Exchange, status: int, invariant: str) -> dict[str, Any]:
    """The contract's error: the status, JSON, {"error": {"code", "message"}} with the status's code."""
    expect_status(exchange, status, invariant)
    body = json_body(exchange, "error responses are JSON")
    error = body.get("error") if isinstance(body, dict) else None
    expect(
        isinstance(error, dict) and isinstance(error.get("message"), str) and bool(error.get("message")),
        'errors have the body {"error": {"code", "message"}}',
        exchange,
        "no error object with a non-empty message",
    )
    assert isinstance(error, dict)
    expect_equal(
        error.get("code"), ERROR_CODES[status], f"a {status} has the code {ERROR_CODES[status]}", exchange
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
        )
    return error


def page_of(exchange: Exchange, invariant: str = "list answers are a page") -> dict[str, Any]:
    expect_status(exchange, 200, invariant)
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
        (f"{COLLECTION}/{contact_id}", ""),
        "a 201 has Location /api/v1/crm/contacts/{id}",
        exchange,
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
        apply_patch({k: current[k] for k in WRITABLE}, patch),
        "PATCH changes the sent fields and only them",
        exchange,
    )
    expect_equal(
        (updated["id"], updated["created_at"]),
        (current["id"], current["created_at"]),
        "id and created_at never change",
        exchange,
    )
    if is_change(current, patch):
        expect(
            instant(updated["updated_at"]) > instant(current["updated_at"]),
            "a real change moves updated_at strictly forward",
            exchange,
            f"updated_at was {current['updated_at']}, now {updated['updated_at']}",
        )
    else:
        expect_equal(
            updated["updated_at"],
            current["updated_at"],
            "a PATCH that changes nothing keeps updated_at",
            exchange,
        )
