"""JSON's own edges in a request body: what a hand-written or lenient parser gets wrong.

RFC 8259 leaves a parser some freedom, and correct servers use it differently, so each
check asserts only what every correct server does:

- **escaped surrogates**: `\\ud83d\\ude00` is one character (U+1F600) and must be stored as
  that character. A *lone* surrogate escape (`\\ud800`) is no character at all: a strict
  parser refuses it, a JavaScript backend stores it as it is. Either is fine; a 500 from
  an encoder that chokes on it later, or an answer that is not valid JSON, is not.
- **not numbers**: `NaN`, `Infinity` and `-Infinity` are not JSON. A strict parser
  refuses the body, a lenient one (Python's json.loads) reads a number and the field's
  type check refuses it: a 400 either way, never a write (a number coerced to text)
  and never a 500.
- **deep nesting**: no body of this API nests, so a value nested 33 levels deep (past a
  depth guard of 32, as the mock's) is refused whoever refuses it: the guard or the
  field's type check. Not thousands of levels: Python's json (and so FastAPI) raises
  RecursionError near 1,000, a 500 from servers that are otherwise correct.

A refusal is the contract's 400 `validation_error` with `details` (minItems 1); which
field a detail names is left open here (the whole body, `""`, or the field at fault).
"""

from __future__ import annotations

from typing import Any

import pytest

from .client import ApiClient
from .contract import active
from .failures import expect_equal
from .invariants import check_error, contact_of, write_target
from .strategies import Scope

pytestmark = pytest.mark.writes
CONTRACT = active()


def _send(api: ApiClient, scope: Scope, method: str, fields: str) -> tuple[Any, int]:
    """POST a body with these raw JSON members added, or PATCH them onto a new contact."""
    path, success = write_target(api, scope, method)
    if method == "POST":
        fields = f'"first_name": "Noor", "last_name": "Haddad{scope.token}", {fields}'
    content = f"{{{fields}}}".encode()
    exchange = api.request(method, path, content=content, headers={"Content-Type": "application/json"})
    return exchange, success


@pytest.mark.parametrize("method", ["POST", "PATCH"])
def test_an_escaped_surrogate_pair_is_the_character(api: ApiClient, scope: Scope, method: str) -> None:
    exchange, success = _send(api, scope, method, r'"note": "smile \ud83d\ude00 \uD83C\uDF38"')
    contact = contact_of(exchange, success, f"{method} of a note with escaped surrogate pairs succeeds")
    rule = "json-escapes"
    expect_equal(
        contact["note"], "smile \U0001f600 \U0001f338", "a \\u pair is one character", exchange, rule=rule
    )
    read = api.get(contact["id"])
    expect_equal(
        contact_of(read, 200, "GET the contact")["note"],
        "smile \U0001f600 \U0001f338",
        "a \\u pair is stored as one character",
        read,
        rule=rule,
    )


LONE_SURROGATES = {
    "high": r"\ud800",
    "low": r"\udc00",
    "reversed-pair": r"\ude00\ud83d",
    "high-then-text": r"\udbffx",
}


@pytest.mark.parametrize("lone", sorted(LONE_SURROGATES))
@pytest.mark.parametrize("method", ["POST", "PATCH"])
def test_a_lone_surrogate_escape_is_written_or_refused_cleanly(
    api: ApiClient, scope: Scope, method: str, lone: str
) -> None:
    """Written (the answer and a GET are valid JSON with the contact) or a 400 in the error shape."""
    exchange, success = _send(api, scope, method, f'"note": "a{LONE_SURROGATES[lone]}b"')
    if exchange.status == 400:
        check_error(
            exchange, 400, f"{method} of a lone surrogate, if refused, is a 400", rule="malformed-json-400"
        )
        return
    contact = contact_of(
        exchange, success, f"{method} of a lone surrogate escape is written or refused with 400"
    )
    contact_of(api.get(contact["id"]), 200, "a contact written with a lone surrogate reads back as JSON")


NOT_NUMBERS = ("-Infinity", "Infinity", "NaN")


@pytest.mark.parametrize("value", NOT_NUMBERS)
@pytest.mark.parametrize("method", ["POST", "PATCH"])
def test_a_value_that_is_no_json_number_is_400(api: ApiClient, scope: Scope, method: str, value: str) -> None:
    exchange, _ = _send(api, scope, method, f'"note": {value}')
    check_error(exchange, 400, f"{method} of a note that is {value} is 400", rule="malformed-json-400")


def _nested(levels: int) -> str:
    return "[" * levels + "1" + "]" * levels


NESTINGS = {
    "33-in-a-value": f'"note": {_nested(33)}',
    "33-objects-in-a-value": '"note": ' + '{"a": ' * 33 + "1" + "}" * 33,
    "40-mixed-in-a-value": '"note": ' + '[{"a": ' * 20 + "1" + "}]" * 20,
}


@pytest.mark.parametrize("nesting", sorted(NESTINGS))
@pytest.mark.parametrize("method", ["POST", "PATCH"])
def test_a_deeply_nested_value_is_400(api: ApiClient, scope: Scope, method: str, nesting: str) -> None:
    exchange, _ = _send(api, scope, method, NESTINGS[nesting])
    check_error(
        exchange, 400, f"{method} of a deeply nested value ({nesting}) is 400", rule="malformed-json-400"
    )


@pytest.mark.parametrize("levels", [33, 100])
def test_a_deeply_nested_body_is_400(api: ApiClient, levels: int) -> None:
    body = _nested(levels).encode()
    exchange = api.request(
        "POST", CONTRACT.collection_path, content=body, headers={"Content-Type": "application/json"}
    )
    check_error(exchange, 400, f"a body nested {levels} levels deep is 400", rule="malformed-json-400")
