"""The in-memory repository: organizations and their contacts. Nothing HTTP.

Each organization keeps two sorted indexes (by creation time and by folded
name, both ending in the id so ties are broken by id) and a search haystack per
contact. An unfiltered page is a slice of an index, so its cost follows the
page size, not the store size; a filtered page is one linear pass with a plain
substring test per contact.
"""

from __future__ import annotations

import functools
import json
import operator
import secrets
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sortedcontainers import SortedList

from .query import (
    Haystack,
    ListQuery,
    Page,
    haystack,
    name_sort_key,
    ordered_hits,
    page_slice,
    search_hits,
    searchable_forms,
)

OPTIONAL_FIELDS = ("email", "phone", "position", "company_id", "note")
NAME_FIELDS = ("first_name", "last_name")
WRITABLE_FIELDS = (*NAME_FIELDS, *OPTIONAL_FIELDS)

# White space as the spec's `\s` sees it: ECMA-262 (JSON Schema's regex dialect,
# and what jsonschema-rs implements), i.e. WhiteSpace and LineTerminator. That
# includes U+FEFF and excludes U+0085; Python's bare str.strip() would also strip
# U+001C..U+001F and U+0085, which the pattern counts as text.
WHITESPACE = (
    "\t\n\x0b\x0c\r \xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006"
    "\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"
)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# A JSON string literal as json.dumps(ensure_ascii=False) writes it (the same C function).
_quote: Callable[[str], str] = json.encoder.encode_basestring


def new_contact_id() -> str:
    return "cont_" + secrets.token_hex(16)


def parse_timestamp(text: str) -> int:
    """RFC 3339 (UTC, `Z`) to microseconds since the epoch."""
    if not text.endswith("Z"):
        raise ValueError(f"{text!r} is not UTC with a Z suffix")
    moment = datetime.fromisoformat(text)
    return (moment - _EPOCH) // timedelta(microseconds=1)


_NAIVE_EPOCH = datetime(1970, 1, 1)


def format_timestamp(micros: int) -> str:
    seconds, fraction = divmod(micros, 1_000_000)
    text = _seconds_text(seconds)
    if fraction == 0:
        return text + "Z"
    if fraction % 1000 == 0:
        return f"{text}.{fraction // 1000:03d}Z"
    return f"{text}.{fraction:06d}Z"


def _format_seconds(seconds: int) -> str:
    # isoformat of a naive UTC datetime: what strftime("%Y-%m-%dT%H:%M:%S") gives, faster
    return (_NAIVE_EPOCH + timedelta(seconds=seconds)).isoformat()


# Whole seconds -> their text: every write in the same second (and every render of a
# contact's unchanged created_at) formats the same seconds; the datetime arithmetic is
# the costly part of a timestamp.
_seconds_text = functools.lru_cache(maxsize=4096)(_format_seconds)


def render_contact(contact: Contact) -> bytes:
    """`contact.to_json()` as compact JSON bytes (json.dumps(ensure_ascii=False) byte for byte),
    written field by field: about three times faster than the encoder, on every write's path."""
    created = format_timestamp(contact.created_us)
    updated = created if contact.updated_us == contact.created_us else format_timestamp(contact.updated_us)
    email, phone, position, company, note = (
        contact.email,
        contact.phone,
        contact.position,
        contact.company_id,
        contact.note,
    )  # null or a JSON string each, inline below: no Python call per optional field
    return (
        f'{{"id":{_quote(contact.id)},"first_name":{_quote(contact.first_name)},'
        f'"last_name":{_quote(contact.last_name)},'
        f'"email":{"null" if email is None else _quote(email)},'
        f'"phone":{"null" if phone is None else _quote(phone)},'
        f'"position":{"null" if position is None else _quote(position)},'
        f'"company_id":{"null" if company is None else _quote(company)},'
        f'"note":{"null" if note is None else _quote(note)},'
        f'"created_at":"{created}","updated_at":"{updated}"}}'
    ).encode()


class Clock:
    """Microseconds since the epoch, strictly increasing across calls.

    Strictly increasing so that a change always moves `updated_at` forward, even
    when two writes land in the same microsecond (or the wall clock steps back).
    """

    def __init__(self, source: Callable[[], int] = time.time_ns) -> None:
        self._source = source
        self._last = 0

    def now(self) -> int:
        self._last = max(self._source() // 1000, self._last + 1)
        return self._last


@dataclass(frozen=True, slots=True)
class Contact:
    id: str
    first_name: str
    last_name: str
    email: str | None
    phone: str | None
    position: str | None
    company_id: str | None
    note: str | None
    created_us: int
    updated_us: int

    def to_json(self) -> dict[str, Any]:
        created = format_timestamp(self.created_us)
        # a new contact's two timestamps are one: formatted once (a POST's hot path)
        updated = created if self.updated_us == self.created_us else format_timestamp(self.updated_us)
        return {
            "id": self.id,
            "first_name": self.first_name,
            "last_name": self.last_name,
            "email": self.email,
            "phone": self.phone,
            "position": self.position,
            "company_id": self.company_id,
            "note": self.note,
            "created_at": created,
            "updated_at": updated,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Contact:
        """A contact as the API shows it (fixtures, saved state)."""
        values = {f: data[f] for f in ("id", *WRITABLE_FIELDS)}
        return cls(
            **values,
            created_us=parse_timestamp(data["created_at"]),
            updated_us=parse_timestamp(data["updated_at"]),
        )


def clean(changes: Mapping[str, Any]) -> dict[str, Any]:
    """The contract's normalization of validated input: names are stored trimmed."""
    cleaned = dict(changes)
    for name in NAME_FIELDS:
        if isinstance(cleaned.get(name), str):
            cleaned[name] = cleaned[name].strip(WHITESPACE)
    return cleaned


class Organization:
    """One organization's contacts with the indexes that keep listing fast."""

    def __init__(self, org_id: str, clock: Clock, on_change: Callable[[], None] = lambda: None) -> None:
        self.id = org_id
        self._clock = clock
        self._on_change = on_change
        self._contacts: dict[str, Contact] = {}
        self._hay: dict[str, str] = {}  # one joined string per contact, the usual case
        self._hay_split: dict[str, Haystack] = {}  # names holding the separator
        self._json: dict[str, bytes] = {}
        # SortedList: O(log n) inserts and removals; a plain list's insort moves half the
        # index in memory on every write, which dominates writes at 100,000 contacts.
        self._by_created: SortedList = SortedList()
        self._by_name: SortedList = SortedList()
        self._created_keys: dict[str, tuple[int, str]] = {}
        self._name_keys: dict[str, tuple[str, str, str]] = {}
        self._by_company: dict[str, set[str]] = {}

    def __len__(self) -> int:
        return len(self._contacts)

    def __iter__(self) -> Iterator[Contact]:
        return iter(self._contacts.values())

    def get(self, contact_id: str) -> Contact | None:
        return self._contacts.get(contact_id)

    def create(self, values: Mapping[str, Any]) -> Contact:
        data = clean(values)
        now = self._clock.now()
        contact_id = new_contact_id()
        while contact_id in self._contacts:  # 2**128 ids; still, never overwrite
            contact_id = new_contact_id()
        get = data.get
        contact = Contact(
            contact_id,
            data["first_name"],
            data["last_name"],
            get("email"),  # the OPTIONAL_FIELDS, in Contact's order
            get("phone"),
            get("position"),
            get("company_id"),
            get("note"),
            now,
            now,
        )
        self.add(contact)
        self._on_change()
        return contact

    def update(self, contact_id: str, changes: Mapping[str, Any]) -> Contact | None:
        current = self._contacts.get(contact_id)
        if current is None:
            return None
        data = {k: v for k, v in clean(changes).items() if k in WRITABLE_FIELDS}
        if all(getattr(current, k) == v for k, v in data.items()):
            return current  # `{}` or the same values: not a change, updated_at stays
        updated = _with_changes(current, data, max(self._clock.now(), current.updated_us + 1))
        self._reindex(current, updated)
        self._on_change()
        return updated

    def delete(self, contact_id: str) -> bool:
        current = self._contacts.get(contact_id)
        if current is None:
            return False
        self._unindex(current)
        self._on_change()
        return True

    def add(self, contact: Contact) -> None:
        """Insert a whole contact as it is (fixtures, restored state)."""
        if contact.id in self._contacts:
            raise ValueError(f"duplicate contact id {contact.id}")
        created, name = self._index(contact)
        self._by_created.add(created)
        self._by_name.add(name)

    def add_many(self, contacts: Iterable[Contact]) -> None:
        """`add` for many contacts at once: the sorted indexes are sorted once, not per insert."""
        created, names = [], []
        try:
            for contact in contacts:
                if contact.id in self._contacts:
                    raise ValueError(f"duplicate contact id {contact.id}")
                created_key, name_key = self._index(contact)
                created.append(created_key)
                names.append(name_key)
        finally:  # the indexes hold what the dicts hold, even after a duplicate
            self._by_created.update(created)
            self._by_name.update(names)

    def page(self, query: ListQuery) -> Page:
        index: list[Any] = self._by_name if query.sort == "name" else self._by_created
        if not query.filtered:
            window = page_slice(index, query.offset, query.limit, query.descending)
            # map() over C callables: no Python frame per item on the list's hot path
            contacts = list(map(self._contacts.__getitem__, map(_last, window)))
            return Page(contacts, len(index), query.limit, query.offset)
        hits = self._matching(query)
        by_name = query.sort == "name"
        key_of: Mapping[str, tuple[Any, ...]] = self._name_keys if by_name else self._created_keys
        ordered = ordered_hits(hits, index, key_of, query.descending)
        page = [self._contacts[cid] for cid in ordered[query.offset : query.offset + query.limit]]
        return Page(page, len(hits), query.limit, query.offset)

    def _matching(self, query: ListQuery) -> set[str]:
        candidates: set[str] | None = None
        if query.company_id:
            candidates = self._by_company.get(query.company_id, set())
        if not query.search:
            return set(candidates or ())
        return search_hits(query.search, self._hay, self._hay_split, candidates)

    def rendered(self, contact_id: str) -> bytes:
        """The contact's JSON, encoded once per version (contacts are immutable)."""
        return self._json[contact_id]

    def rendered_many(self, contacts: Iterable[Contact]) -> bytes:
        """A page's contacts as a JSON array body (without brackets), in one pass."""
        return b",".join(map(self._json.__getitem__, map(_id_of, contacts)))

    def _index(self, contact: Contact) -> tuple[tuple[int, str], tuple[str, str, str]]:
        """Every index but the two sorted ones; returns the contact's keys for those."""
        cid = contact.id
        self._contacts[cid] = contact
        self._json[cid] = render_contact(contact)
        hay = haystack(searchable_forms(contact.first_name, contact.last_name, contact.email))
        if isinstance(hay, str):
            self._hay[cid] = hay
        else:
            self._hay_split[cid] = hay
        created, name = _created_key(contact), _name_key(contact)
        self._created_keys[cid], self._name_keys[cid] = created, name
        if contact.company_id is not None:
            self._by_company.setdefault(contact.company_id, set()).add(cid)
        return created, name

    def _reindex(self, current: Contact, updated: Contact) -> None:
        """`_unindex(current)` then `_index(updated)` for one id, touching only what changed:
        the creation key never does, the name key, haystack and company set only with
        their fields (a PATCH of the position rewrites the contact and its JSON, no index)."""
        cid = current.id
        self._contacts[cid] = updated
        self._json[cid] = render_contact(updated)
        names_changed = current.first_name != updated.first_name or current.last_name != updated.last_name
        if names_changed or current.email != updated.email:
            self._hay.pop(cid, None)
            self._hay_split.pop(cid, None)
            hay = haystack(searchable_forms(updated.first_name, updated.last_name, updated.email))
            if isinstance(hay, str):
                self._hay[cid] = hay
            else:
                self._hay_split[cid] = hay
        if names_changed:
            self._by_name.remove(self._name_keys[cid])
            self._name_keys[cid] = name = _name_key(updated)
            self._by_name.add(name)
        if current.company_id != updated.company_id:
            if current.company_id is not None:
                members = self._by_company[current.company_id]
                members.discard(cid)
                if not members:
                    del self._by_company[current.company_id]
            if updated.company_id is not None:
                self._by_company.setdefault(updated.company_id, set()).add(cid)

    def _unindex(self, contact: Contact) -> None:
        cid = contact.id
        del self._contacts[cid], self._json[cid]
        self._hay.pop(cid, None)
        self._hay_split.pop(cid, None)
        # remove() raises ValueError if the indexes and the dict disagree: a bug, never input
        self._by_created.remove(self._created_keys.pop(cid))
        self._by_name.remove(self._name_keys.pop(cid))
        if contact.company_id is not None:
            members = self._by_company[contact.company_id]
            members.discard(cid)
            if not members:
                del self._by_company[contact.company_id]


def _with_changes(current: Contact, data: Mapping[str, Any], updated_us: int) -> Contact:
    """`replace(current, **data, updated_us=...)` without dataclasses.replace's generic walk."""
    get = data.get
    return Contact(
        current.id,
        get("first_name", current.first_name),
        get("last_name", current.last_name),
        get("email", current.email),  # a field sent as null is in `data`: null it is
        get("phone", current.phone),
        get("position", current.position),
        get("company_id", current.company_id),
        get("note", current.note),
        current.created_us,
        updated_us,
    )


_last = operator.itemgetter(-1)  # an index key's contact id
_id_of = operator.attrgetter("id")


def _created_key(contact: Contact) -> tuple[int, str]:
    return contact.created_us, contact.id


def _name_key(contact: Contact) -> tuple[str, str, str]:
    return (*name_sort_key(contact.first_name, contact.last_name), contact.id)


# Builds one organization: (id, the store's clock, the store's change callback) -> Organization.
OrganizationFactory = Callable[[str, Clock, Callable[[], None]], Organization]


class Store:
    """Every organization, created on first use (by `organization_factory`, a seam for variants)."""

    def __init__(
        self, clock: Clock | None = None, organization_factory: OrganizationFactory | None = None
    ) -> None:
        self.clock = clock or Clock()
        self._factory: OrganizationFactory = organization_factory or Organization
        self._organizations: dict[str, Organization] = {}
        self.version = 0  # counts writes, so a saver knows when there is something new

    def _changed(self) -> None:
        self.version += 1

    def organization(self, org_id: str) -> Organization:
        org = self._organizations.get(org_id)
        if org is None:
            org = self._organizations[org_id] = self._factory(org_id, self.clock, self._changed)
        return org

    def load(self, contacts: Mapping[str, Iterable[Contact]], keep: Iterable[str] = ()) -> None:
        """Replace every contact at once (reset, restore); `keep` names organizations kept empty."""
        self._organizations.clear()
        for org_id in keep:
            self.organization(org_id)
        for org_id, items in contacts.items():
            self.organization(org_id).add_many(items)
        self._changed()

    @property
    def organizations(self) -> dict[str, Organization]:
        return dict(self._organizations)

    def snapshot(self) -> dict[str, Any]:
        """Every contact as the API shows it, in the fixtures' layout (JSON-ready, no tokens)."""
        return {
            "organizations": [
                {"id": org_id, "contacts": [c.to_json() for c in org]}
                for org_id, org in self._organizations.items()
            ]
        }
