"""The contract's per-response rules, each with a stable id, as pure functions of one answer.

Every response the suite receives is checked against all of them: the
hand-written tests' client runs them on each exchange (see conftest), and
schemathesis runs them as registered checks (``contract_tests.checks``) in the
schema phases and in ``make fuzz``. A rule fails with its id, which failures,
reports and the planted-bug self-tests refer to (never free text).

The data (paths, error codes, field set, patterns) comes from ``contract.py``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from .contract import Contract


@dataclass(frozen=True)
class Answer:
    """One response as the rules see it (headers with lower-case names)."""

    method: str
    path: str
    status: int
    headers: Mapping[str, str]
    content: bytes

    def json(self) -> Any:
        return json.loads(self.content)


class RuleBroken(AssertionError):
    """A per-response rule does not hold; `rule` is its stable id."""

    def __init__(self, rule: str, title: str, detail: str) -> None:
        self.rule, self.title, self.detail = rule, title, detail
        super().__init__(f"[{rule}] {title}: {detail}")


@dataclass(frozen=True)
class Rule:
    id: str
    title: str
    check: Callable[[Contract, Answer], str | None]  # the problem, or None

    def __call__(self, contract: Contract, answer: Answer) -> None:
        problem = self.check(contract, answer)
        if problem is not None:
            raise RuleBroken(self.id, self.title, problem)


def _operation(contract: Contract, answer: Answer) -> str | None:
    """The operationId the request addressed (None: a path or method the spec lacks)."""
    method = answer.method.upper()
    path = answer.path.rstrip("/") if answer.path != "/" else answer.path
    if path == contract.collection_path:
        return {"GET": "listContacts", "POST": "createContact"}.get(method)
    prefix = contract.collection_path + "/"
    if path.startswith(prefix) and "/" not in path[len(prefix) :]:
        return {"GET": "getContact", "PATCH": "updateContact", "DELETE": "deleteContact"}.get(method)
    return None


def _bodiless(answer: Answer) -> bool:
    """HEAD answers and 204/304 carry no body to check."""
    return answer.method.upper() == "HEAD" or answer.status in (204, 304)


def _body(answer: Answer) -> Any:
    try:
        return answer.json()
    except ValueError:
        return None


def _no_server_error(contract: Contract, answer: Answer) -> str | None:
    return f"status {answer.status}" if answer.status >= 500 else None


def _documented_status(contract: Contract, answer: Answer) -> str | None:
    operation = _operation(contract, answer)
    if operation is None or answer.status in contract.statuses[operation]:
        return None
    documented = ", ".join(map(str, contract.statuses[operation]))
    return f"{operation} answered {answer.status}; the spec documents {documented}"


def _json_content_type(contract: Contract, answer: Answer) -> str | None:
    if _bodiless(answer):
        return None
    content_type = answer.headers.get("content-type", "")
    if content_type.split(";")[0].strip().lower() != "application/json":
        return f"Content-Type is {content_type!r}"
    if _body(answer) is None and answer.content.strip() != b"null":
        return "the body is not JSON"
    return None


def _error_shape(contract: Contract, answer: Answer) -> str | None:
    if answer.status < 400 or _bodiless(answer):
        return None
    body = _body(answer)
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict) or not isinstance(error.get("message"), str) or not error["message"]:
        return f"body {answer.content[:200]!r}"
    return None


def _error_code(contract: Contract, answer: Answer) -> str | None:
    expected = contract.error_codes.get(answer.status)
    if answer.status < 400 or expected is None or _bodiless(answer):
        return None
    body = _body(answer)
    code = body.get("error", {}).get("code") if isinstance(body, dict) else None
    return None if code == expected else f"a {answer.status} has the code {expected!r}, got {code!r}"


def _validation_details(contract: Contract, answer: Answer) -> str | None:
    if answer.status != 400 or _bodiless(answer):
        return None
    body = _body(answer)
    details = body.get("error", {}).get("details") if isinstance(body, dict) else None
    ok = (
        isinstance(details, list)
        and len(details) > 0
        and all(
            isinstance(d, dict) and isinstance(d.get("field"), str) and isinstance(d.get("message"), str)
            for d in details
        )
    )
    return None if ok else f"details is {details!r}"


def contacts_in(answer: Answer) -> list[Any]:
    """The contacts a 2xx answer carries ({"contact": ...} or a page's items)."""
    if not 200 <= answer.status < 300:
        return []
    body = _body(answer)
    if not isinstance(body, dict):
        return []
    if "contact" in body:
        return [body["contact"]]
    items = body.get("items")
    return list(items) if isinstance(items, list) else []


def _contact_fields(contract: Contract, answer: Answer) -> str | None:
    for contact in contacts_in(answer):
        if not isinstance(contact, dict):
            return f"a contact is {type(contact).__name__}"
        if sorted(contact) != sorted(contract.contact_fields):
            missing = sorted(set(contract.contact_fields) - set(contact))
            extra = sorted(set(contact) - set(contract.contact_fields))
            return f"missing {missing}, unexpected {extra}"
    return None


def _contact_id(contract: Contract, answer: Answer) -> str | None:
    for contact in contacts_in(answer):
        value = contact.get("id") if isinstance(contact, dict) else None
        if not isinstance(value, str) or not contract.contact_id.match(value):
            return f"id is {value!r}"
    return None


def _timestamps(contract: Contract, answer: Answer) -> str | None:
    for contact in contacts_in(answer):
        for name in ("created_at", "updated_at"):
            value = contact.get(name) if isinstance(contact, dict) else None
            if not isinstance(value, str) or not contract.timestamp.match(value):
                return f"{name} is {value!r}"
    return None


def _location(contract: Contract, answer: Answer) -> str | None:
    if answer.status != 201:
        return None
    location = answer.headers.get("location")
    if location is None:
        return "no Location header"
    parts = urlsplit(location)
    path = parts.path
    if parts.query or not contract.location.match(path):
        return f"Location is {location!r}"
    contacts = contacts_in(answer)
    created = contacts[0].get("id") if contacts and isinstance(contacts[0], dict) else None
    if created is not None and path != contract.contact_path(str(created)):
        return f"Location {location!r} does not name the created contact {contacts[0].get('id')!r}"
    return None


def _allow(contract: Contract, answer: Answer) -> str | None:
    if answer.status != 405:
        return None
    listed = {m.strip().upper() for m in answer.headers.get("allow", "").split(",") if m.strip()}
    if not listed or answer.method.upper() in listed:
        return f"Allow: {answer.headers.get('allow')!r}"
    return None


def _content_length(contract: Contract, answer: Answer) -> str | None:
    """RFC 9110 8.6: a Content-Length sent counts the body's bytes (a backend that counts the
    characters of a text with multi-byte ones, or a stale length, breaks every client's framing).
    Over HTTP the client enforces it; an in-process app's answer is judged here."""
    declared = answer.headers.get("content-length")
    encoding = answer.headers.get("content-encoding", "identity").strip().lower()
    if declared is None or _bodiless(answer) or encoding != "identity":
        return None  # a compressed body is decoded before the rules see it
    values = {value.strip() for value in declared.split(",")}
    if len(values) == 1 and next(iter(values)).isdigit() and int(next(iter(values))) == len(answer.content):
        return None
    return f"Content-Length: {declared!r}; the body has {len(answer.content):,} bytes"


# In order: the first broken rule is the one reported.
RULES: tuple[Rule, ...] = (
    Rule("no-server-error", "the server never answers 5xx", _no_server_error),
    Rule(
        "documented-status", "an operation answers only the statuses the spec documents", _documented_status
    ),
    Rule("json-responses", "responses are application/json with a JSON body", _json_content_type),
    Rule("error-shape", 'errors have the body {"error": {"code", "message"}}', _error_shape),
    Rule("error-code-per-status", "each error status has the spec's code", _error_code),
    Rule("validation-details", "validation errors carry details [{field, message}]", _validation_details),
    Rule("contact-fields", "a contact has exactly the contract's fields", _contact_fields),
    Rule("contact-id-pattern", "contact ids match the spec's pattern", _contact_id),
    Rule("timestamps-utc-z", "timestamps are RFC 3339 in UTC with Z", _timestamps),
    Rule("location-on-201", "a 201 has a Location naming the created contact", _location),
    Rule("allow-on-405", "a 405 carries an Allow header with the path's methods", _allow),
    Rule("content-length", "a Content-Length counts the body's bytes", _content_length),
)
RULES_BY_ID = {rule.id: rule for rule in RULES}


def check_answer(contract: Contract, answer: Answer) -> None:
    """Every rule, in order; raises RuleBroken for the first that does not hold."""
    for rule in RULES:
        rule(contract, answer)
