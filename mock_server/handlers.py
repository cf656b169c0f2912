"""The five operations, keyed by operationId. Input arrives validated.

A handler reads and writes the caller's organization and says what to answer;
status codes and the Location path come from the spec, not from here.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .errors import NotFound
from .query import ListQuery
from .store import Organization


@dataclass(frozen=True)
class Call:
    """One validated request, as a handler sees it."""

    org: Organization
    path: Mapping[str, str]
    query: Mapping[str, Any]
    body: Mapping[str, Any] | None
    location_of: Callable[[str], str]  # contact id -> its URL path


@dataclass(frozen=True)
class Reply:
    body: Any  # JSON-ready data, or JSON already encoded as bytes
    headers: Mapping[str, str] = field(default_factory=dict)


def _envelope(org: Organization, contact_id: str) -> bytes:
    # Each contact's JSON is encoded once by the store; answers are spliced from it.
    return b'{"contact":' + org.rendered(contact_id) + b"}"


def _missing() -> NotFound:
    return NotFound("Contact not found.")


def list_contacts(call: Call) -> Reply:
    page = call.org.page(ListQuery.from_params(call.query))
    items = call.org.rendered_many(page.items)
    tail = f'],"total":{page.total},"limit":{page.limit},"offset":{page.offset}}}'.encode()
    return Reply(b"".join((b'{"items":[', items, tail)))  # one copy of the page, not two


def get_contact(call: Call) -> Reply:
    contact = call.org.get(call.path["id"])
    if contact is None:
        raise _missing()
    return Reply(_envelope(call.org, contact.id))


def create_contact(call: Call) -> Reply:
    assert call.body is not None  # the spec requires a body; validation ran
    contact = call.org.create(call.body)
    return Reply(_envelope(call.org, contact.id), {"Location": call.location_of(contact.id)})


def update_contact(call: Call) -> Reply:
    assert call.body is not None
    contact = call.org.update(call.path["id"], call.body)
    if contact is None:
        raise _missing()
    return Reply(_envelope(call.org, contact.id))


def delete_contact(call: Call) -> Reply:
    if not call.org.delete(call.path["id"]):
        raise _missing()
    return Reply(b'{"success":true}')


Handler = Callable[[Call], Reply]

HANDLERS: dict[str, Handler] = {
    "listContacts": list_contacts,
    "getContact": get_contact,
    "createContact": create_contact,
    "updateContact": update_contact,
    "deleteContact": delete_contact,
}
