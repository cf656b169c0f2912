"""The oracle: what an organization's contacts must look like, per the contract.

Written from the contract's words, independently of any server (the mock
included): a plain dictionary, filtered and sorted by brute force. The rules
are hand-written (OpenAPI cannot state them); the data they work on (field
sets, defaults) is read from the spec through `contract.py`.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from .contract import active

# The names are trimmed and may never be null or empty: a rule of the contract's words.
NAME_FIELDS = ("first_name", "last_name")

_TIMESTAMP = re.compile(r"^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d+))?Z$")


def fold(text: str) -> str:
    """The contract's comparison form: NFKC, then case folding."""
    return unicodedata.normalize("NFKC", text).casefold()


@functools.lru_cache(maxsize=1 << 16)  # every listed contact is parsed twice per page: the cache pays
def instant(timestamp: str) -> tuple[datetime, str]:
    """An RFC 3339 UTC timestamp as an exactly comparable value (any fraction length)."""
    match = _TIMESTAMP.match(timestamp)
    if match is None:
        raise ValueError(f"{timestamp!r} is not RFC 3339 UTC with a Z suffix")
    whole = datetime.strptime(match.group(1), "%Y-%m-%dT%H:%M:%S").replace(tzinfo=UTC)
    return whole, (match.group(2) or "").ljust(12, "0")


def expected_new_contact(body: Mapping[str, Any]) -> dict[str, Any]:
    """The writable fields of a contact created from `body`: names trimmed, the rest as sent or null."""
    contact = {name: body[name].strip() for name in NAME_FIELDS}
    contact.update({name: body.get(name) for name in active().optional_fields})
    return contact


def apply_patch(current: Mapping[str, Any], patch: Mapping[str, Any]) -> dict[str, Any]:
    updated = dict(current)
    for name, value in patch.items():
        updated[name] = value.strip() if name in NAME_FIELDS else value
    return updated


def is_change(current: Mapping[str, Any], patch: Mapping[str, Any]) -> bool:
    after = apply_patch(current, patch)
    return any(after[name] != current[name] for name in active().writable_fields)


def search_matches(contact: Mapping[str, Any], search: str) -> bool:
    needle = fold(search)
    if not needle:
        return True
    first, last = fold(contact["first_name"]), fold(contact["last_name"])
    forms = [first, last, f"{last} {first}", f"{last}{first}", f"{first} {last}"]
    if contact.get("email"):
        forms.append(fold(contact["email"]))
    return any(needle in form for form in forms)


@dataclass(frozen=True)
class Query:
    """A list request; what it leaves out takes the spec's defaults."""

    search: str = ""
    company_id: str = ""
    sort: str = field(default_factory=lambda: active().default_sort)
    order: str = field(default_factory=lambda: active().default_order)
    limit: int = field(default_factory=lambda: active().limit.default)
    offset: int = field(default_factory=lambda: active().offset.default)

    def params(self) -> dict[str, Any]:
        """As query parameters, leaving out what equals the default half the time is the caller's job."""
        return {
            "search": self.search,
            "company_id": self.company_id,
            "sort": self.sort,
            "order": self.order,
            "limit": self.limit,
            "offset": self.offset,
        }


def sort_key(contact: Mapping[str, Any], sort: str) -> tuple[Any, ...]:
    if sort == "name":
        return fold(contact["last_name"]), fold(contact["first_name"]), contact["id"]
    return instant(contact["created_at"]), contact["id"]


def select(contacts: Iterable[Mapping[str, Any]], query: Query) -> list[Mapping[str, Any]]:
    """Every matching contact in the contract's order (before pagination)."""
    hits = [
        c
        for c in contacts
        if search_matches(c, query.search) and (not query.company_id or c["company_id"] == query.company_id)
    ]
    return sorted(hits, key=lambda c: sort_key(c, query.sort), reverse=query.order == "desc")


@dataclass
class OrganizationModel:
    """What the run has put into one organization, as the server must show it."""

    contacts: dict[str, dict[str, Any]] = field(default_factory=dict)

    def page(self, query: Query) -> tuple[list[Mapping[str, Any]], int]:
        hits = select(self.contacts.values(), query)
        return hits[query.offset : query.offset + query.limit], len(hits)
