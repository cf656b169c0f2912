"""Length bounds count characters: at, under and over every bound, with characters of every width.

The spec's `maxLength` counts characters (JSON Schema: code points). A backend
that counts UTF-8 bytes (`VARCHAR(n)` in bytes), UTF-16 code units
(JavaScript's `length`, `NVARCHAR(n)`) or anything else refuses valid values
made of wide characters, or accepts values one character over. Each bound is
probed with a 1-, 2-, 3- and 4-byte character (the last is two UTF-16 units);
combining sequences are left out on purpose (code points and grapheme
clusters count them differently, and the contract does not say "graphemes").
The bounds are read from the spec.
"""

from __future__ import annotations

from typing import Any

import pytest

from .client import ApiClient
from .contract import active
from .failures import expect, expect_equal
from .invariants import check_error, contact_of
from .strategies import Scope

pytestmark = pytest.mark.writes

# One character of each UTF-8 length; the astral one is two UTF-16 code units. And JSON's own
# syntax as data: a value made of brackets (a parser that guards nesting by counting `[` and `{`
# in the raw body must not refuse it) and of quotes (two characters each on the wire: a backend
# that counts the escaped text refuses values under the bound).
WIDTHS = {"ascii": "x", "2-byte": "é", "3-byte": "漢", "astral": "𠮷", "bracket": "[", "quote": '"'}
TEXT_FIELDS = ("first_name", "last_name", "position", "note")


def max_length(field: str) -> int:
    """The field's maxLength: the Contact schema's (names have it there; the request's PersonName
    states it only in its pattern), as the session's contract read it from the spec."""
    return active().max_lengths[field]


def base_body(scope: Scope) -> dict[str, Any]:
    return {"first_name": f"x{scope.token}", "last_name": f"y{scope.token}"}


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("field", TEXT_FIELDS)
def test_a_value_at_the_bound_is_accepted(api: ApiClient, scope: Scope, field: str, width: str) -> None:
    bound = max_length(field)
    for size in (bound - 1, bound):
        value = WIDTHS[width] * size
        exchange = api.create({**base_body(scope), field: value})
        contact = contact_of(
            exchange,
            201,
            f"POST with a {field} of {size} {width} characters (the bound is {bound}) is 201",
            rule="length-in-characters",
        )
        expect_equal(contact[field], value, f"{field} is stored as sent", exchange, rule="stored-as-given")
    padded = f"  {WIDTHS[width] * bound}\u3000" if field in ("first_name", "last_name") else None
    if padded is not None:
        # Trimmed before it is counted: the bound applies to the stored value.
        exchange = api.patch(contact["id"], {field: padded})
        patched = contact_of(
            exchange,
            200,
            f"PATCH with a padded {field} of {bound} characters is 200",
            rule="length-in-characters",
        )
        expect_equal(patched[field], padded.strip(" \u3000"), f"{field} is stored trimmed", exchange)
    exchange = api.patch(contact["id"], {field: WIDTHS[width] * (bound - 1)})
    contact_of(exchange, 200, f"PATCH with a {field} under the bound is 200", rule="length-in-characters")


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("field", TEXT_FIELDS)
def test_one_character_over_the_bound_is_400(api: ApiClient, scope: Scope, field: str, width: str) -> None:
    bound = max_length(field)
    value = WIDTHS[width] * (bound + 1)
    created = api.create({**base_body(scope), field: value})
    error = check_error(
        created,
        400,
        f"POST with a {field} of {bound + 1} {width} characters is 400",
        rule="length-in-characters",
    )
    expect(
        any(field in d["field"] or field in d["message"] for d in error["details"]),
        "validation details name the invalid field",
        created,
        f"details: {error['details']}",
    )
    existing = contact_of(api.create(base_body(scope)), 201, "POST creates a contact: 201")
    patched = api.patch(existing["id"], {field: value})
    check_error(patched, 400, f"PATCH with a {field} one character over is 400", rule="length-in-characters")


def _email(length: int) -> str:
    """An address of exactly `length` characters: a 64-character local part, labels of at most 63."""
    local, domain = "a" * 64, "example.com"
    missing, labels = length - len(local) - 1 - len(domain), []
    while missing > 1:
        size = min(63, missing - 1)
        labels.append("d" * size)
        missing -= size + 1
    return f"{local[: 64 - missing]}@{'.'.join([*labels, domain])}"


@pytest.mark.parametrize(("field", "at", "over"), [("email", 254, 255), ("phone", 32, 33)])
def test_ascii_only_fields_at_and_over_their_bound(
    api: ApiClient, scope: Scope, field: str, at: int, over: int
) -> None:
    bound = max_length(field)
    assert (at, over) == (bound, bound + 1), f"the spec's {field} bound is {bound}: update this table"
    values = {n: (_email(n) if field == "email" else "1" * n) for n in (bound - 1, bound, bound + 1)}
    for size in (bound - 1, bound):
        assert len(values[size]) == size
        exchange = api.create({**base_body(scope), field: values[size]})
        contact = contact_of(
            exchange, 201, f"POST with a {field} of {size} characters is 201", rule="length-in-characters"
        )
        expect_equal(
            contact[field], values[size], f"{field} is stored as sent", exchange, rule="stored-as-given"
        )
    check_error(
        api.create({**base_body(scope), field: values[bound + 1]}),
        400,
        f"POST with a {field} of {bound + 1} characters is 400",
        rule="length-in-characters",
    )
