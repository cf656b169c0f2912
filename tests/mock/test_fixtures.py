"""fixtures.py: the shipped seed loads; a bad fixture file stops start-up with a precise message."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from mock_server import DEFAULT_FIXTURES_PATH, FixtureError, load_fixtures
from mock_server.fixtures import Seed, parse_fixtures
from mock_server.spec import Spec

ORG_A, ORG_B = "org_blueai", "org_partner"
FOURTH = "cont_b464f95187bb0237dfb762cb117f3326"  # org A, contact #3
THIRD = "cont_82d98065c09c32dbaf47a432b8cf9643"  # org A, contact #2
Mutation = Callable[[dict[str, Any]], None]


def test_shipped_seed_loads(seed: Seed) -> None:
    assert {org: len(contacts) for org, contacts in seed.contacts.items()} == {ORG_A: 40, ORG_B: 8}
    assert seed.tokens == {"dev-token-org-a": ORG_A, "dev-token-org-b": ORG_B}
    assert seed.names == {ORG_A: "BlueAI 株式会社", ORG_B: "Sakura Trading 合同会社"}


def test_shipped_seed_is_consistent(seed: Seed) -> None:
    everyone = [c for contacts in seed.contacts.values() for c in contacts]
    assert len({c.id for c in everyone}) == 48
    assert all(c.updated_us >= c.created_us for c in everyone)


def test_shipped_seed_holds_the_documented_contact(spec: Spec, seed: Seed) -> None:
    documented = spec.document["x-example-contacts"]["documented"]
    assert seed.contacts[ORG_A][0].to_json() == documented


def test_shipped_seed_round_trips(seed: Seed, seed_json: dict[str, Any]) -> None:
    for org, contacts in zip(seed_json["organizations"], seed.contacts.values(), strict=True):
        assert [c.to_json() for c in contacts] == org["contacts"]


def test_default_path() -> None:
    assert DEFAULT_FIXTURES_PATH.name == "seed.json" and DEFAULT_FIXTURES_PATH.parent.name == "fixtures"


def test_minimal_fixtures(spec: Spec) -> None:
    seed = parse_fixtures({"organizations": [{"id": "org_x", "tokens": ["t"], "contacts": []}]}, spec)
    assert (seed.contacts, seed.tokens, seed.names) == ({"org_x": []}, {"t": "org_x"}, {"org_x": "org_x"})
    assert parse_fixtures({"organizations": []}, spec) == Seed()


def contact_3(raw: dict[str, Any]) -> dict[str, Any]:
    record: dict[str, Any] = raw["organizations"][0]["contacts"][3]
    return record


def label(org: str = ORG_A, index: int = 3, contact_id: str = FOURTH) -> str:
    return f"organization {org}, contact #{index} ({contact_id})"


BAD_RECORDS: list[tuple[str, Mutation, str]] = [
    (
        "bad email",
        lambda r: contact_3(r).update(email="not-an-email"),
        f'{label()}: field \'email\': "not-an-email" is not a "email"',
    ),
    (
        "missing field",
        lambda r: contact_3(r).pop("phone"),
        f"{label()}: field 'phone': \"phone\" is a required property",
    ),
    (
        "extra field",
        lambda r: contact_3(r).update(nickname="x"),
        f"{label()}: field 'nickname': Additional properties are not allowed ('nickname' was unexpected)",
    ),
    (
        "bad id",
        lambda r: contact_3(r).update(id="cont_XYZ"),
        f'{label(contact_id="cont_XYZ")}: field \'id\': "cont_XYZ" does not match "^cont_[0-9a-f]{{32}}$"',
    ),
    (
        "missing id",
        lambda r: contact_3(r).pop("id"),
        f"{label(contact_id='no id')}: field 'id': \"id\" is a required property",
    ),
    (
        "null name",
        lambda r: contact_3(r).update(first_name=None),
        f"{label()}: field 'first_name': null is not of type \"string\"",
    ),
    (
        "name too long",
        lambda r: contact_3(r).update(last_name="x" * 101),
        f"{label()}: field 'last_name': ",
    ),
    (
        "timestamp with an offset",
        lambda r: contact_3(r).update(created_at="2026-01-20T10:00:00+09:00"),
        f"{label()}: field 'created_at': \"2026-01-20T10:00:00+09:00\" does not match ",
    ),
    (
        "impossible date",
        lambda r: contact_3(r).update(updated_at="2026-02-30T10:00:00Z"),
        f'{label()}: field \'updated_at\': "2026-02-30T10:00:00Z" is not a "date-time"',
    ),
    (
        "leap second",  # a valid date-time, but not a moment Python can hold
        lambda r: contact_3(r).update(created_at="2016-12-31T23:59:60Z"),
        f"{label()}: field 'created_at': second must be in 0..59",
    ),
    (
        "updated_at before created_at",
        lambda r: contact_3(r).update(updated_at="2025-01-01T00:00:00Z"),
        f"{label()}: field 'updated_at': earlier than created_at",
    ),
    (
        "duplicate id in one organization",
        lambda r: contact_3(r).update(id=THIRD),
        f"{label(contact_id=THIRD)}: id is already used in organization {ORG_A}",
    ),
    (
        "duplicate id across organizations",
        lambda r: r["organizations"][1]["contacts"][0].update(id=THIRD),
        f"{label(ORG_B, 0, THIRD)}: id is already used in organization {ORG_A}",
    ),
    (
        "a token used by two organizations",
        lambda r: r["organizations"][1].update(tokens=["dev-token-org-a"]),
        f"token of {ORG_B} is already used by {ORG_A}",
    ),
    (
        "no organizations",
        lambda r: r.pop("organizations"),
        'top level: "organizations" is a required property',
    ),
    (
        "unknown top-level key",
        lambda r: r.update(extra=1),
        "top level: Additional properties are not allowed ('extra' was unexpected)",
    ),
    (
        "empty token",
        lambda r: r["organizations"][0].update(tokens=[""]),
        'organizations/0/tokens/0: "" is shorter than 1 character',
    ),
    (
        "contact that is not an object",
        lambda r: r["organizations"][0]["contacts"].__setitem__(3, "x"),
        'organizations/0/contacts/3: "x" is not of type "object"',
    ),
]


@pytest.mark.parametrize(("mutate", "message"), [c[1:] for c in BAD_RECORDS], ids=[c[0] for c in BAD_RECORDS])
def test_bad_fixture_file(
    spec: Spec, seed_json: dict[str, Any], tmp_path: Path, mutate: Mutation, message: str
) -> None:
    raw = copy.deepcopy(seed_json)
    mutate(raw)
    path = tmp_path / "seed.json"
    path.write_text(json.dumps(raw, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(FixtureError) as caught:
        load_fixtures(path, spec)
    assert str(caught.value).startswith(f"{path}: {message}")


def test_token_clash_message_does_not_print_the_token(spec: Spec, seed_json: dict[str, Any]) -> None:
    raw = copy.deepcopy(seed_json)
    raw["organizations"][1]["tokens"] = ["dev-token-org-a"]
    with pytest.raises(FixtureError) as caught:
        parse_fixtures(raw, spec)
    assert str(caught.value) == f"<fixtures>: token of {ORG_B} is already used by {ORG_A}"


def test_same_token_twice_in_one_organization_is_fine(spec: Spec, seed_json: dict[str, Any]) -> None:
    raw = copy.deepcopy(seed_json)
    raw["organizations"][0]["tokens"] = ["dev-token-org-a", "dev-token-org-a", "second"]
    seed = parse_fixtures(raw, spec)
    assert seed.tokens == {"dev-token-org-a": ORG_A, "second": ORG_A, "dev-token-org-b": ORG_B}


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"{not json", "not a readable JSON file: "),
        (b"", "not a readable JSON file: "),
        (b'{"organizations": []', "not a readable JSON file: "),
        (b"\xff\xfe{}", "not a readable JSON file: "),
        (b"[]", 'top level: [] is not of type "object"'),
    ],
)
def test_unreadable_fixture_file(spec: Spec, tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "seed.json"
    path.write_bytes(content)
    with pytest.raises(FixtureError) as caught:
        load_fixtures(path, spec)
    assert str(caught.value).startswith(f"{path}: {message}")


def test_missing_fixture_file(spec: Spec, tmp_path: Path) -> None:
    path = tmp_path / "nope.json"
    with pytest.raises(FixtureError) as caught:
        load_fixtures(path, spec)
    assert str(caught.value) == f"{path}: no such fixture file"


def test_an_organization_may_come_without_tokens(spec: Spec, seed_json: dict[str, Any]) -> None:
    # Its tokens can come from `--token TOKEN=ORG`; a state file never carries tokens at all.
    raw = copy.deepcopy(seed_json)
    raw["organizations"][1].pop("tokens")
    seed = parse_fixtures(raw, spec)
    assert "dev-token-org-b" not in seed.tokens
    assert len(seed.contacts["org_partner"]) == 8


def test_a_state_upload_may_not_carry_tokens(spec: Spec, seed_json: dict[str, Any]) -> None:
    with pytest.raises(FixtureError, match="tokens cannot be set here"):
        parse_fixtures(seed_json, spec, allow_tokens=False)
