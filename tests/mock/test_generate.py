"""generate.py: realistic, deterministic, contract-shaped contacts at any size."""

from __future__ import annotations

import json
import re
import unicodedata
from collections import Counter
from typing import Any

import pytest

from mock_server.fixtures import parse_fixtures
from mock_server.generate import DEFAULT_UNTIL, MAX_GENERATE, YEAR_MS, Recipe, fixture_file, generate
from mock_server.spec import Spec
from mock_server.store import parse_timestamp

KANJI = re.compile(r"[\u4e00-\u9fff]")
KATAKANA = re.compile(r"^[\u30a0-\u30ff]+$")
HIRAGANA = re.compile(r"^[\u3040-\u309f\u30fc]+$")
RESERVED_DOMAIN = re.compile(r"(^|\.)(example|example\.(com|net|org|jp|co\.jp))$")
JAPANESE_PHONE = re.compile(r"^(0\d{1,3}-\d{2,4}-\d{3,4}|0\d{9,10}|\+81 \d{1,2}-\d{4}-\d{4})$")


def is_japanese(contact: dict[str, Any]) -> bool:
    return any("\u3040" <= ch <= "\u9fff" for ch in contact["first_name"] + contact["last_name"])


def load(spec: Spec, org_id: str, records: list[dict[str, Any]]) -> int:
    """Through the fixture validation path; the number of contacts it accepted."""
    seed = parse_fixtures({"organizations": [{"id": org_id, "contacts": records}]}, spec, source="generated")
    return len(seed.contacts[org_id])


# (count, seed, ja_ratio): sizes from nothing to a few thousand, both extremes of the mix.
CASES = [
    (0, 0, 0.6),
    (1, 1, 0.6),
    (5, 2, 0.6),
    (37, 3, 0.0),
    (500, 4, 1.0),
    (500, 5, 0.6),
    (3000, 6, 0.3),
]


@pytest.mark.parametrize(("count", "seed", "ratio"), CASES)
def test_every_generated_record_fits_the_contact_schema(
    spec: Spec, count: int, seed: int, ratio: float
) -> None:
    records = generate("org_gen", Recipe(count, seed=seed, ja_ratio=ratio))
    assert len(records) == count
    assert load(spec, "org_gen", records) == count
    assert len({r["id"] for r in records}) == count


@pytest.mark.parametrize(("count", "seed", "ratio"), CASES)
def test_the_same_recipe_gives_the_same_bytes(count: int, seed: int, ratio: float) -> None:
    first = json.dumps(generate("org_gen", Recipe(count, seed=seed, ja_ratio=ratio)), ensure_ascii=False)
    again = json.dumps(generate("org_gen", Recipe(count, seed=seed, ja_ratio=ratio)), ensure_ascii=False)
    assert first == again


@pytest.mark.parametrize("other", [{"seed": 8}, {"org": "org_other"}, {"already": 40}])
def test_seed_organization_and_offset_each_give_other_contacts(other: dict[str, Any]) -> None:
    base = generate("org_gen", Recipe(50, seed=7))
    changed = generate(
        other.get("org", "org_gen"), Recipe(50, seed=other.get("seed", 7)), already=other.get("already", 0)
    )
    assert {c["id"] for c in base}.isdisjoint({c["id"] for c in changed})


def test_until_moves_the_same_contacts_in_time() -> None:
    base = generate("org_gen", Recipe(50, seed=7))
    moved = generate("org_gen", Recipe(50, seed=7, until="2025-06-01T00:00:00Z"))
    shift = parse_timestamp(DEFAULT_UNTIL) - parse_timestamp("2025-06-01T00:00:00Z")
    for before, after in zip(base, moved, strict=True):
        assert {k: v for k, v in before.items() if not k.endswith("_at")} == {
            k: v for k, v in after.items() if not k.endswith("_at")
        }
        for stamp in ("created_at", "updated_at"):
            assert parse_timestamp(before[stamp]) - parse_timestamp(after[stamp]) == shift


def test_names_mix_japanese_scripts_and_latin_as_asked() -> None:
    records = generate("org_gen", Recipe(4000, seed=11, ja_ratio=0.5))
    japanese = [r for r in records if is_japanese(r)]
    assert 0.45 < len(japanese) / len(records) < 0.55
    kanji = [r for r in japanese if KANJI.search(r["last_name"])]
    katakana = [r for r in japanese if KATAKANA.match(r["last_name"])]
    hiragana = [r for r in japanese if HIRAGANA.match(r["last_name"])]
    assert len(kanji) > 0.75 * len(japanese)
    assert katakana and hiragana  # some people register their names in kana
    assert any(r["note"] and r["note"].startswith("読み: ") for r in kanji)  # readings live in the note
    latin = [r for r in records if not is_japanese(r)]
    assert any(not r["last_name"].isascii() for r in latin)  # accents: Zoé, Müller, Núñez
    assert not [r for r in generate("org_gen", Recipe(300, seed=1, ja_ratio=0.0)) if is_japanese(r)]
    assert all(is_japanese(r) for r in generate("org_gen", Recipe(300, seed=1, ja_ratio=1.0)))


def _ascii(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()


def test_emails_match_the_names_and_use_reserved_domains_only() -> None:
    records = generate("org_gen", Recipe(2000, seed=12, ja_ratio=0.5))
    emails = [r["email"] for r in records if r["email"] is not None]
    assert len(set(emails)) == len(emails)  # unique within an organization
    matching = 0
    for record in records:
        if record["email"] is None:
            continue
        local, _, domain = record["email"].partition("@")
        assert RESERVED_DOMAIN.search(domain), domain
        assert local.isascii()
        if not is_japanese(record):
            last = re.sub(r"[^a-z-]", "", _ascii(record["last_name"]))
            matching += last in local or _ascii(record["first_name"])[:1] == local[:1]
    latin_with_email = sum(1 for r in records if r["email"] and not is_japanese(r))
    assert matching == latin_with_email
    # romanised Japanese: the address of 山田 is yamada-something, never kanji
    assert any("yamada" in r["email"] for r in records if r["email"] and r["last_name"] == "山田")


def kind(value: str | None) -> str:
    return "null" if value is None else "empty" if value == "" else "set"


def test_optional_fields_are_sometimes_null_and_sometimes_empty() -> None:
    records = generate("org_gen", Recipe(2000, seed=13))
    for field in ("phone", "position", "note"):
        kinds = Counter(kind(r[field]) for r in records)
        assert kinds["null"] > 20 and kinds["empty"] > 20 and kinds["set"] > 200, (field, kinds)
    assert any(r["email"] is None for r in records) and all(r["email"] != "" for r in records)
    assert any(r["company_id"] is None for r in records)


def test_phones_come_in_japanese_and_international_formats() -> None:
    records = generate("org_gen", Recipe(2000, seed=14, ja_ratio=0.5))
    japanese = [r["phone"] for r in records if r["phone"] and is_japanese(r)]
    assert [p for p in japanese if not JAPANESE_PHONE.match(p)] == []
    assert {p[:3] for p in japanese} >= {"090", "080", "03-", "+81"}
    international = [r["phone"] for r in records if r["phone"] and not is_japanese(r)]
    assert {p.split(" ")[0] for p in international} >= {"+1", "+44", "+33", "+49"}


@pytest.mark.parametrize(("count", "seed"), [(100, 1), (500, 2), (2000, 3), (10_000, 4)])
def test_each_company_holds_5_to_50_contacts(count: int, seed: int) -> None:
    sizes = Counter(r["company_id"] for r in generate("org_gen", Recipe(count, seed=seed)) if r["company_id"])
    assert sizes and min(sizes.values()) >= 5 and max(sizes.values()) <= 50, sizes.most_common(3)
    assert len(sizes) >= count // 60


def test_timestamps_spread_over_the_year_before_until() -> None:
    until = parse_timestamp(DEFAULT_UNTIL)
    records = generate("org_gen", Recipe(3000, seed=15))
    created = [parse_timestamp(r["created_at"]) for r in records]
    updated = [parse_timestamp(r["updated_at"]) for r in records]
    assert all(until - YEAR_MS * 1000 <= c < until for c in created)
    assert all(c <= u <= until for c, u in zip(created, updated, strict=True))
    later = sum(u > c for c, u in zip(created, updated, strict=True))
    assert 0.3 < later / len(records) < 0.5
    months = Counter(r["created_at"][:7] for r in records)
    assert len(months) >= 12 and min(months.values()) > 100  # the whole year, not one corner of it
    assert max(Counter(created).values()) >= 5  # import batches: many contacts, one created_at


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"count": -1}, "count must be from 0"),
        ({"count": MAX_GENERATE + 1}, "count must be from 0"),
        ({"count": 1, "ja_ratio": 1.5}, "ja_ratio must be from 0 to 1"),
        ({"count": 1, "until": "2026-01-01T00:00:00+09:00"}, "not UTC"),
    ],
)
def test_a_bad_recipe_is_refused(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Recipe(**kwargs)


def test_fixture_file_is_sorted_loadable_and_carries_tokens_only_when_given(spec: Spec) -> None:
    data = fixture_file(["org_b", "org_a"], Recipe(20, seed=1), tokens={"qa": "org_c"})
    assert [o["id"] for o in data["organizations"]] == ["org_a", "org_b", "org_c"]
    assert [o.get("tokens") for o in data["organizations"]] == [None, None, ["qa"]]
    for org in data["organizations"]:
        stamps = [parse_timestamp(c["created_at"]) for c in org["contacts"]]
        assert stamps == sorted(stamps)
    seed = parse_fixtures(data, spec)
    assert seed.tokens == {"qa": "org_c"} and sum(map(len, seed.contacts.values())) == 60
