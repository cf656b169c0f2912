"""One simulated user's own data: its token, its companies, what it wrote (the model).

A user's token is `<run tag><org mark><process id>u<n>z`: it is in the last
name and the email of everything the user creates, so a search for any text
that contains it, or a filter by one of the user's own company ids, reaches the
user's contacts and nothing else, whatever other users (or other people, on a
live deployment) do meanwhile. That is what makes exact answers checkable under
load: the expected page is computed by the suite's oracle (`model.select`) over
the user's model.

The org mark is `x` for organization A and `y` for organization B (neither is a
hex digit), so `<run tag>x` finds every A contact of the run and nothing of B's.
"""

from __future__ import annotations

import random
import secrets
from dataclasses import dataclass, field
from typing import Any

from ..contract import active
from ..model import OrganizationModel, Query
from ..strategies import FAMILY_NAMES, GIVEN_NAMES, LATIN_FAMILY, LATIN_GIVEN, new_company_id

# Read from openapi.yaml (contract.py), like the suite's own tests.
MAX_LIMIT = active().max_limit
OPTIONAL_FIELDS = active().optional_fields
WRITABLE = active().writable_fields
ORG_MARK = {"a": "x", "b": "y"}
POSITIONS = ["部長", "課長", "営業部 主任", "代表取締役", "Head of Sales", "CTO", ""]
LOCALS = ["taro", "hanako", "ichiro", "misaki", "kenta", "sakura", "sho", "yuki", "john", "emily"]
PADDING = ["", "", "", " ", "  ", "\u3000"]


def process_id() -> str:
    """4 hex digits that tell one load process (one worker) from another within a run."""
    return secrets.token_hex(2)


def full_width(text: str) -> str:
    """ASCII letters and digits as their full-width forms (NFKC maps them back)."""
    return "".join(chr(ord(c) + 0xFEE0) if c.isascii() and c.isalnum() else c for c in text)


@dataclass
class Scope:
    """The contacts one user owns, as the server must show them."""

    token: str
    rng: random.Random
    companies: tuple[str, str] = field(default_factory=lambda: (new_company_id(), new_company_id()))
    model: OrganizationModel = field(default_factory=OrganizationModel)
    gone: dict[str, dict[str, Any]] = field(default_factory=dict)  # deleted: id -> last state
    uncertain: bool = False  # a write's outcome is unknown: resynchronise before the next exact check
    _serial: int = 0

    @classmethod
    def new(cls, run_tag: str, org: str, process: str, number: int, seed: int | None = None) -> Scope:
        token = f"{run_tag}{ORG_MARK[org]}{process}u{number:x}z"
        return cls(token=token, rng=random.Random(seed if seed is not None else secrets.randbits(64)))

    @property
    def contacts(self) -> dict[str, dict[str, Any]]:
        return self.model.contacts

    def _next(self) -> int:
        self._serial += 1
        return self._serial

    # -- writes

    def last_name(self, surname: str | None = None) -> str:
        surname = surname or self.rng.choice(FAMILY_NAMES + LATIN_FAMILY)
        return f"{surname} {self.token}"

    def email(self, local: str | None = None) -> str:
        return f"{local or self.rng.choice(LOCALS)}.{self.token}@example.com"

    def new_body(self) -> dict[str, Any]:
        """A valid create body: every field of the contract, some left out or null."""
        rng = self.rng
        body: dict[str, Any] = {
            "first_name": rng.choice(PADDING) + rng.choice(GIVEN_NAMES + LATIN_GIVEN) + rng.choice(PADDING),
            "last_name": self.last_name(),
        }
        optional: dict[str, Any] = {
            "email": self.email(),
            "phone": f"0{rng.randint(70, 90)}-{rng.randint(1000, 9999)}-{self._next():04d}",
            "position": rng.choice(POSITIONS),
            "company_id": rng.choice(self.companies),
            "note": f"load test {self.token} #{self._next()}",
        }
        for name, value in optional.items():
            roll = rng.random()
            if roll < 0.7:
                body[name] = value
            elif roll < 0.8:
                body[name] = None
        return body

    def new_patch(self, current: dict[str, Any]) -> dict[str, Any]:
        """A PATCH of one of four kinds: partial change, null, the same values, or empty."""
        rng = self.rng
        kind = rng.choices(["partial", "null", "same", "empty"], weights=[6, 2, 2, 1])[0]
        if kind == "empty":
            return {}
        if kind == "same":
            names = rng.sample(WRITABLE, rng.randint(1, 3))
            return {n: current[n] for n in names}
        if kind == "null":
            return {rng.choice(OPTIONAL_FIELDS): None}
        fresh = self.new_body()
        fresh["email"] = self.email()
        fresh["company_id"] = rng.choice(self.companies)
        fresh.setdefault("note", f"changed {self.token} #{self._next()}")
        names = rng.sample([n for n in WRITABLE if n in fresh], rng.randint(1, 3))
        return {n: fresh[n] for n in names}

    # -- reads

    def new_query(self) -> Query:
        """A list query that reaches only this user's contacts: search or filter by own data."""
        rng = self.rng
        contacts = list(self.contacts.values())
        sample = rng.choice(contacts) if contacts else None
        search_forms = [self.token, self.token.upper(), full_width(self.token)]
        if sample is not None:
            surname = sample["last_name"][: -len(self.token) - 1]
            search_forms += [
                f"{surname} {self.token}",
                f"{sample['last_name']} {sample['first_name']}",
                f"{self.token}{sample['first_name']}",
            ]
            if sample.get("email"):
                search_forms.append(sample["email"].split("@")[0])
        roll = rng.random()
        if roll < 0.6:
            search, company = rng.choice(search_forms), ""
        elif roll < 0.85:
            search, company = "", rng.choice(self.companies)
        else:
            search, company = self.token, rng.choice(self.companies)
        size = max(len(contacts), 1)
        limit = rng.choice([1, 2, 3, 5, 10, 50, MAX_LIMIT])
        offset = rng.choice([0, 0, 0, rng.randint(0, size), rng.randint(0, size + 3)])
        return Query(
            search=search,
            company_id=company,
            sort=rng.choice(["created_at", "name"]),
            order=rng.choice(["asc", "desc"]),
            limit=limit,
            offset=offset,
        )

    def params(self, query: Query) -> dict[str, Any]:
        """The query as parameters; defaults are sometimes left out, as clients do."""
        params = {k: v for k, v in query.params().items() if v != ""}
        for name, default in (("sort", "created_at"), ("order", "desc"), ("limit", 50), ("offset", 0)):
            if params.get(name) == default and self.rng.random() < 0.5:
                del params[name]
        return params

    # -- the model

    def remember(self, contact: dict[str, Any]) -> None:
        self.contacts[contact["id"]] = contact

    def forget(self, contact_id: str) -> None:
        contact = self.contacts.pop(contact_id, None)
        if contact is not None:
            self.gone[contact_id] = contact
