"""Every answer a simulated user gets, checked against that user's model.

Plain functions over an `Exchange` (the suite's request/response record); they
raise the suite's `ContractViolation` through its own invariants
(`contract_tests.invariants`), so a rule means the same under load as in the
suite. Our own sentences are filed under a rule id with `rules.say`.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from ..failures import Exchange, expect, expect_equal, expect_status, fail
from ..invariants import (
    check_deleted,
    check_error,
    check_location,
    check_patched,
    check_writable,
    contact_of,
    expect_ordered_page,
    page_of,
)
from ..model import Query, expected_new_contact, fold, instant, search_matches, select
from .rules import say
from .scope import Scope


def no_server_error(exchange: Exchange) -> None:
    expect(
        exchange.status < 500,
        say("server-error", "no answer is a 5xx"),
        exchange,
        f"got {exchange.status} {exchange.response.reason_phrase}",
    )


def created(exchange: Exchange, body: Mapping[str, Any]) -> dict[str, Any]:
    contact = contact_of(exchange, 201, say("status", "POST of a valid contact is 201"))
    check_location(exchange, contact["id"])
    check_writable(
        contact,
        expected_new_contact(body),
        say("create-fields", "a created contact holds what was sent (names trimmed)"),
        exchange,
    )
    expect_equal(
        contact["updated_at"],
        contact["created_at"],
        say("create-fields", "on create, updated_at equals created_at"),
        exchange,
    )
    return contact


def got(exchange: Exchange, expected: Mapping[str, Any]) -> dict[str, Any]:
    contact = contact_of(exchange, 200, say("status", "GET of an own contact is 200"))
    expect_equal(
        contact, dict(expected), say("read-your-write", "GET shows the contact as last written"), exchange
    )
    return contact


def patched(exchange: Exchange, current: Mapping[str, Any], patch: Mapping[str, Any]) -> dict[str, Any]:
    updated = contact_of(exchange, 200, say("status", "PATCH of an own contact with a valid body is 200"))
    check_patched(current, patch, updated, exchange)
    return updated


def deleted(exchange: Exchange) -> bool:
    expect_status(exchange, 200, say("status", "DELETE of an own contact is 200"))
    check_deleted(exchange, say("shape", 'DELETE answers {"success": true}'))
    return True


def gone(exchange: Exchange) -> None:
    check_error(exchange, 404, say("deleted-gone", f"{exchange.request.method} of a deleted contact is 404"))


def foreign(exchange: Exchange) -> None:
    check_error(
        exchange,
        404,
        say("isolation", f"{exchange.request.method} of another organization's contact is 404"),
    )


def _echo(exchange: Exchange, page: Mapping[str, Any], query: Query) -> None:
    expect_equal(
        (page["limit"], page["offset"]),
        (query.limit, query.offset),
        say("list-params", "limit and offset are echoed"),
        exchange,
    )


def scope_page(exchange: Exchange, scope: Scope, query: Query) -> dict[str, Any]:
    """A list that reaches only the user's own contacts: exactly what the model says."""
    page = page_of(exchange, say("status", "a valid list query is 200"))
    _echo(exchange, page, query)
    for item in page["items"]:
        if item["id"] in scope.gone:
            fail(
                say("deleted-gone", "a deleted contact is never listed"), exchange, f"{item['id']} is listed"
            )
    matching = select(scope.contacts.values(), query)
    expect_equal(
        page["total"],
        len(matching),
        say("list-total", "total counts exactly the user's matching contacts"),
        exchange,
    )
    expect_ordered_page(page["items"], matching, query.offset, query.limit, query.sort, exchange)
    return page


def org_page(exchange: Exchange, query: Query, scope: Scope | None) -> dict[str, Any]:
    """A list over the whole organization, which others change meanwhile: each answer is
    one consistent snapshot (filter, order, total), and the user's own contacts in it
    are as its model says."""
    page = page_of(exchange, say("status", "a valid list query is 200"))
    _echo(exchange, page, query)
    items: list[dict[str, Any]] = page["items"]
    if items:
        expect(
            page["total"] >= query.offset + len(items),
            say("list-total", "total is at least offset + the items of the page"),
            exchange,
            f"total {page['total']}, offset {query.offset}, {len(items)} items",
        )
    for item in items:
        expect(
            search_matches(item, query.search)
            and (not query.company_id or item["company_id"] == query.company_id),
            say("list-params", "every listed contact matches the search and the company filter"),
            exchange,
            f"{item['id']} does not match search={query.search!r} company_id={query.company_id!r}",
        )
    keys = [_order_key(item, query.sort) for item in items]
    ordered = keys == sorted(keys, reverse=query.order == "desc")
    expect(
        ordered, say("list-params", f"the page is in {query.sort} {query.order} order"), exchange, str(keys)
    )
    if scope is not None:
        for item in items:
            if item["id"] in scope.gone:
                fail(
                    say("deleted-gone", "a deleted contact is never listed"),
                    exchange,
                    f"{item['id']} is listed",
                )
            if item["id"] in scope.contacts:
                expect_equal(
                    item,
                    scope.contacts[item["id"]],
                    say("list-exact", "the user's own contacts are listed as last written"),
                    exchange,
                )
    return page


def _order_key(item: Mapping[str, Any], sort: str) -> tuple[Any, ...]:
    # Ties in the rendered created_at may come in any consistent order (more precision
    # kept than shown), so only the rendered instant is compared for created_at.
    if sort == "name":
        return fold(item["last_name"]), fold(item["first_name"]), item["id"]
    return (instant(item["created_at"]),)


def nothing_of(exchange: Exchange, marks: Collection[str], ids: Collection[str]) -> dict[str, Any]:
    """A list answer in which nothing of another organization may appear."""
    page = page_of(exchange, say("status", "a valid list query is 200"))
    for item in page["items"]:
        text = f"{item['last_name']} {item.get('email') or ''}"
        expect(
            item["id"] not in ids and not any(mark in text for mark in marks),
            say("isolation", "a list never shows another organization's contacts"),
            exchange,
            f"{item['id']} ({item['last_name']}) belongs to another organization",
        )
    return page


def empty_for_others(exchange: Exchange) -> None:
    """A search for the other organization's run marker finds nothing at all."""
    page = nothing_of(exchange, (), ())
    expect_equal(
        (page["total"], page["items"]),
        (0, []),
        say("isolation", "a search for another organization's data finds nothing"),
        exchange,
    )


def deleted_or_gone(exchange: Exchange) -> int:
    """A cleanup DELETE: 200, or 404 when the contact is gone already; the status."""
    # A contact may be gone already (deleted by a burst's resync, or a sweep): 404 is fine.
    if exchange.status not in (200, 404):
        deleted(exchange)
    return exchange.status


def still_listed(exchange: Exchange, listed: Mapping[str, Any]) -> None:
    """Read-only: a contact listed a moment ago is the same contact (or gone since)."""
    if exchange.status == 404:
        gone(exchange)
        return
    contact = contact_of(exchange, 200, say("status", "GET of a listed contact is 200 (or 404 once deleted)"))
    expect_equal(
        (contact["id"], contact["created_at"]),
        (listed["id"], listed["created_at"]),
        say("read-your-write", "GET shows the listed contact (same id and created_at)"),
        exchange,
    )
    expect(
        instant(contact["updated_at"]) >= instant(listed["updated_at"]),
        say("updated-at", "updated_at never moves back"),
        exchange,
        f"listed with updated_at {listed['updated_at']}, now {contact['updated_at']}",
    )
