"""Seed data: organizations, their tokens and contacts, checked against the spec.

A fixture file that does not fit the spec's `Contact` schema stops start-up with
a FixtureError naming the file, the record and the field.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import FixtureError
from .resources import data_file
from .spec import Spec, compile_schema
from .store import Contact, parse_timestamp

DEFAULT_FIXTURES_PATH = data_file("seed.json")

# The file's own layout; each contact is then checked against the spec's Contact.
_LAYOUT = {
    "type": "object",
    "required": ["organizations"],
    "additionalProperties": False,
    "properties": {
        "organizations": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["id", "contacts"],
                "additionalProperties": False,
                "properties": {
                    "id": {"type": "string", "minLength": 1},
                    "name": {"type": "string"},
                    "tokens": {"type": "array", "items": {"type": "string", "minLength": 1}},
                    "contacts": {"type": "array", "items": {"type": "object"}},
                },
            },
        }
    },
}


@dataclass
class Seed:
    """What a fixture file holds: contacts per organization and tokens."""

    contacts: dict[str, list[Contact]] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)  # token -> organization id
    names: dict[str, str] = field(default_factory=dict)  # organization id -> display name


def load_fixtures(path: Path | str, spec: Spec) -> Seed:
    """The seed file at `path`, every record checked against the spec; FixtureError names the field."""
    path = Path(path)
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise FixtureError(f"{path}: no such fixture file") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise FixtureError(f"{path}: not a readable JSON file: {exc}") from None
    return parse_fixtures(raw, spec, source=str(path))


def parse_fixtures(raw: Any, spec: Spec, *, source: str = "<fixtures>", allow_tokens: bool = True) -> Seed:
    """Fixtures, a saved state file or an admin state upload: the same layout.

    Tokens belong to fixtures and the command line only (`allow_tokens=False`
    for state), so a state snapshot never carries a secret.
    """
    layout = compile_schema(_LAYOUT)
    for error in layout.iter_errors(raw):
        where = "/".join(str(p) for p in error.instance_path) or "top level"
        raise FixtureError(f"{source}: {where}: {error.message}")
    contact_validator = compile_schema(spec.schema("Contact"))
    seed = Seed()
    seen: dict[str, str] = {}
    for org in raw["organizations"]:
        org_id = org["id"]
        seed.names[org_id] = org.get("name", org_id)
        seed.contacts.setdefault(org_id, [])
        if org.get("tokens") and not allow_tokens:
            raise FixtureError(f"{source}: organization {org_id}: tokens cannot be set here")
        for token in org.get("tokens", []):
            if token in seed.tokens and seed.tokens[token] != org_id:
                raise FixtureError(f"{source}: token of {org_id} is already used by {seed.tokens[token]}")
            seed.tokens[token] = org_id
        for index, record in enumerate(org["contacts"]):
            if not contact_validator.is_valid(record):  # the fast path; errors are rare
                label = _label(source, org_id, index, record)
                for error in contact_validator.iter_errors(record):
                    field_name = ".".join(str(p) for p in error.instance_path) or _field_of(error)
                    raise FixtureError(f"{label}: field {field_name!r}: {error.message}")
            contact = _contact(record, source, org_id, index)
            if contact.id in seen:
                label = _label(source, org_id, index, record)
                raise FixtureError(f"{label}: id is already used in organization {seen[contact.id]}")
            seen[contact.id] = org_id
            seed.contacts[org_id].append(contact)
    return seed


def _label(source: str, org_id: str, index: int, record: Mapping[str, Any]) -> str:
    return f"{source}: organization {org_id}, contact #{index} ({record.get('id', 'no id')})"


def _contact(record: Mapping[str, Any], source: str, org_id: str, index: int) -> Contact:
    try:
        contact = Contact.from_json(record)
    except ValueError as error:
        label = _label(source, org_id, index, record)
        for name in ("created_at", "updated_at"):
            try:  # the schema's date-time takes a leap second (`23:59:60Z`); datetime does not
                parse_timestamp(record[name])
            except ValueError as exc:
                raise FixtureError(f"{label}: field {name!r}: {exc}") from None
        raise FixtureError(f"{label}: {error}") from None
    if contact.updated_us < contact.created_us:
        raise FixtureError(
            f"{_label(source, org_id, index, record)}: field 'updated_at': earlier than created_at"
        )
    return contact


def _field_of(error: Any) -> str:
    kind = error.kind.as_dict()
    if "property" in kind:
        return str(kind["property"])
    if "unexpected" in kind:
        return ", ".join(kind["unexpected"])
    return "(record)"
