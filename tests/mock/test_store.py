"""store.py: the clock, timestamps, and an organization's writes, indexes and pages."""

from __future__ import annotations

import random
import re
from typing import Any

import jsonschema_rs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mock_server.query import ListQuery, name_sort_key, searchable_forms
from mock_server.store import (
    WHITESPACE,
    Clock,
    Contact,
    Organization,
    Store,
    format_timestamp,
    parse_timestamp,
    render_contact,
)

FROZEN_NS = 1_767_225_600_000_000_000  # 2026-01-01T00:00:00Z, in nanoseconds
FROZEN_US = FROZEN_NS // 1000
COMP_1 = "comp_" + "1" * 32
COMP_2 = "comp_" + "2" * 32
TARO = {
    "first_name": "太郎",
    "last_name": "山田",
    "email": "taro@example.com",
    "phone": "090-1234-5678",
    "position": "部長",
    "company_id": COMP_1,
    "note": None,
}


def frozen_org() -> Organization:
    """An organization whose clock source never moves: only Clock's own +1 makes time pass."""
    return Organization("org_test", Clock(lambda: FROZEN_NS))


def contact(
    contact_id: str, first: str = "a", last: str = "b", created_us: int = 0, **optional: Any
) -> Contact:
    values = {f: optional.get(f) for f in ("email", "phone", "position", "company_id", "note")}
    return Contact(contact_id, first, last, **values, created_us=created_us, updated_us=created_us)


def query(**params: Any) -> ListQuery:
    return ListQuery.from_params({"limit": 200, "offset": 0, "sort": "created_at", "order": "asc", **params})


def ids(org: Organization, **params: Any) -> list[str]:
    return [c.id for c in org.page(query(**params)).items]


# --- Clock and timestamps ---------------------------------------------------------------


def test_clock_is_strictly_increasing_with_a_frozen_source() -> None:
    clock = Clock(lambda: FROZEN_NS)
    assert [clock.now() for _ in range(3)] == [FROZEN_US, FROZEN_US + 1, FROZEN_US + 2]


def test_clock_never_steps_back_when_the_source_does() -> None:
    readings = iter([5_000_000, 9_000_000, 1_000_000, 9_000_500, 20_000_000])
    clock = Clock(lambda: next(readings))
    assert [clock.now() for _ in range(5)] == [5_000, 9_000, 9_001, 9_002, 20_000]


def test_clock_follows_the_source_in_microseconds() -> None:
    clock = Clock()
    readings = [clock.now() for _ in range(1000)]
    assert readings == sorted(set(readings))


@pytest.mark.parametrize(
    ("text", "micros"),
    [
        ("1970-01-01T00:00:00Z", 0),
        ("1970-01-01T00:00:00.000001Z", 1),
        ("1970-01-01T00:00:00.001Z", 1_000),
        ("2026-01-20T10:00:00Z", 1_768_903_200_000_000),  # no fraction
        ("2026-01-20T10:00:00.123Z", 1_768_903_200_123_000),  # milliseconds
        ("2026-01-20T10:00:00.123456Z", 1_768_903_200_123_456),  # microseconds
        ("2026-01-20T10:00:00.120Z", 1_768_903_200_120_000),
        ("2026-01-20T10:00:00.000100Z", 1_768_903_200_000_100),
    ],
)
def test_timestamps_round_trip(text: str, micros: int) -> None:
    assert parse_timestamp(text) == micros
    assert format_timestamp(micros) == text


@pytest.mark.parametrize(
    ("text", "canonical"),
    [
        ("2026-01-20T10:00:00.1Z", "2026-01-20T10:00:00.100Z"),
        ("2026-01-20T10:00:00.000Z", "2026-01-20T10:00:00Z"),
        ("2026-01-20T10:00:00.5000Z", "2026-01-20T10:00:00.500Z"),
        ("2026-01-20T10:00:00.1234567Z", "2026-01-20T10:00:00.123456Z"),  # beyond µs: truncated
    ],
)
def test_timestamps_are_formatted_canonically(text: str, canonical: str) -> None:
    assert format_timestamp(parse_timestamp(text)) == canonical


@pytest.mark.parametrize(
    "text", ["2026-01-20T10:00:00+00:00", "2026-01-20T10:00:00", "2026-01-20T19:00:00+09:00"]
)
def test_parse_timestamp_wants_utc_with_z(text: str) -> None:
    with pytest.raises(ValueError, match="not UTC with a Z suffix"):
        parse_timestamp(text)


@pytest.mark.parametrize(
    "micros", [0, 1, 999, 1_000, 999_999, 1_000_000, FROZEN_US + 123_456, 4_102_444_800_000_000]
)
def test_format_then_parse_is_identity(micros: int) -> None:
    text = format_timestamp(micros)
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{3}|\.\d{6})?Z", text)
    assert parse_timestamp(text) == micros


# --- create -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given_name", "stored"),
    [
        ("  太郎  ", "太郎"),
        ("\u3000太郎\u3000", "太郎"),  # ideographic space
        ("\t\n太郎\r\n", "太郎"),
        ("\xa0\u2003Emily\u202f", "Emily"),
        ("\ufeffEmily\ufeff", "Emily"),  # U+FEFF is white space to the spec's ECMA-262 `\s`
        ("Mary Ann", "Mary Ann"),  # inner white space stays
        ("\x85Emily", "\x85Emily"),  # U+0085 is not white space to `\s`: it is text
        ("\x1cEmily\x1f", "\x1cEmily\x1f"),  # nor are U+001C..U+001F (str.strip() would eat them)
    ],
)
def test_create_stores_names_trimmed(given_name: str, stored: str) -> None:
    created = frozen_org().create({"first_name": given_name, "last_name": given_name})
    assert (created.first_name, created.last_name) == (stored, stored)


def test_whitespace_is_the_spec_patterns_white_space() -> None:
    # PersonName's pattern decides what "white space" is; trimming must agree with it,
    # or a name valid to the pattern could be stored empty or longer than 100 characters.
    space = jsonschema_rs.Draft202012Validator({"pattern": r"^\s$"})
    bmp = (chr(c) for c in range(0x10000) if not 0xD800 <= c <= 0xDFFF)
    assert {c for c in bmp if space.is_valid(c)} == set(WHITESPACE)


def test_create_sets_every_field() -> None:
    org = frozen_org()
    created = org.create(TARO)
    assert re.fullmatch(r"cont_[0-9a-f]{32}", created.id)
    assert created.created_us == created.updated_us == FROZEN_US
    assert created.to_json() == {
        "id": created.id,
        **TARO,
        "created_at": "2026-01-01T00:00:00Z",
        "updated_at": "2026-01-01T00:00:00Z",
    }
    assert org.get(created.id) == created
    assert len(org) == 1


def test_create_leaves_unsent_optional_fields_unset_and_keeps_empty_strings() -> None:
    created = frozen_org().create({"first_name": "a", "last_name": "b", "phone": "", "note": ""})
    assert (created.email, created.phone, created.position, created.company_id, created.note) == (
        None,
        "",
        None,
        None,
        "",
    )


def test_creates_get_distinct_ids_and_increasing_times() -> None:
    org = frozen_org()
    made = [org.create({"first_name": "a", "last_name": "b"}) for _ in range(20)]
    assert len({c.id for c in made}) == 20
    assert [c.created_us for c in made] == list(range(FROZEN_US, FROZEN_US + 20))


# --- update -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"email": "taro.yamada@newdomain.com"}, {"email": "taro.yamada@newdomain.com"}),
        ({"position": "本部長", "note": "x"}, {"position": "本部長", "note": "x"}),
        ({"phone": None}, {"phone": None}),  # null clears
        ({"email": None, "company_id": None}, {"email": None, "company_id": None}),
        ({"first_name": " 次郎 "}, {"first_name": "次郎"}),  # stored trimmed
        ({"note": ""}, {"note": ""}),
        ({"email": "taro@example.com", "position": "課長"}, {"position": "課長"}),  # one of two changes
    ],
)
def test_update_is_partial_and_moves_updated_at_strictly_later(
    changes: dict[str, Any], expected: dict[str, Any]
) -> None:
    org = frozen_org()
    before = org.create(TARO)
    after = org.update(before.id, changes)
    assert after is not None
    assert after.to_json() == {
        **before.to_json(),
        **expected,
        "updated_at": format_timestamp(before.updated_us + 1),
    }
    assert after.updated_us > before.updated_us  # strictly later, though the source is frozen
    assert (after.id, after.created_us) == (before.id, before.created_us)
    assert org.get(before.id) == after


@pytest.mark.parametrize(
    "changes",
    [
        {},
        {"email": "taro@example.com"},
        {"note": None},  # already unset
        {"first_name": "太郎", "last_name": "山田"},
        {"first_name": "\u3000太郎 "},  # trims to the current value
        TARO,
    ],
)
def test_update_without_a_change_keeps_updated_at(changes: dict[str, Any]) -> None:
    org = frozen_org()
    before = org.create(TARO)
    assert org.update(before.id, changes) == before
    assert org.get(before.id) == before


def test_update_of_a_contact_from_the_future_still_moves_forward() -> None:
    org = frozen_org()
    future = FROZEN_US + 10**9
    org.add(contact("cont_" + "f" * 32, created_us=future))
    updated = org.update("cont_" + "f" * 32, {"first_name": "z"})
    assert updated is not None and updated.updated_us == future + 1


def test_successive_changes_keep_moving_forward() -> None:
    org = frozen_org()
    current = org.create(TARO)
    for n in range(5):
        updated = org.update(current.id, {"note": str(n)})
        assert updated is not None and updated.updated_us > current.updated_us
        current = updated


def test_update_of_an_unknown_id_is_none() -> None:
    assert frozen_org().update("cont_" + "0" * 32, {"note": "x"}) is None


# --- delete and add ---------------------------------------------------------------------


def test_delete() -> None:
    org = frozen_org()
    gone, kept = org.create(TARO), org.create({"first_name": "a", "last_name": "b"})
    assert org.delete(gone.id) is True
    assert org.get(gone.id) is None
    assert org.delete(gone.id) is False
    assert org.update(gone.id, {"note": "x"}) is None
    assert list(org) == [kept]
    assert ids(org) == [kept.id]
    assert ids(org, search="太郎") == []
    assert org.page(query()).total == 1


def test_add_refuses_a_duplicate_id() -> None:
    org = frozen_org()
    org.add(contact("cont_" + "1" * 32))
    with pytest.raises(ValueError, match="duplicate contact id cont_1"):
        org.add(contact("cont_" + "1" * 32, first="other"))
    assert len(org) == 1


def test_store_creates_organizations_on_first_use() -> None:
    store = Store(Clock(lambda: FROZEN_NS))
    assert store.organizations == {}
    org = store.organization("org_x")
    assert store.organization("org_x") is org
    org.create({"first_name": "a", "last_name": "b"})
    assert list(store.organizations) == ["org_x"]
    [org_x] = store.snapshot()["organizations"]
    assert org_x["id"] == "org_x"
    assert [c["first_name"] for c in org_x["contacts"]] == ["a"]


# --- page: order ------------------------------------------------------------------------


def hex_id(n: int) -> str:
    return f"cont_{n:032x}"


def tied_org() -> Organization:
    """Contacts with identical names and identical creation times, added in shuffled order."""
    org = frozen_org()
    numbers = list(range(1, 9))
    random.Random(7).shuffle(numbers)
    for n in numbers:
        org.add(contact(hex_id(n), first="太郎", last="山田", created_us=FROZEN_US))
    return org


@pytest.mark.parametrize("sort", ["created_at", "name"])
def test_ties_are_broken_by_id_in_the_direction_of_order(sort: str) -> None:
    org = tied_org()
    assert ids(org, sort=sort, order="asc") == [hex_id(n) for n in range(1, 9)]
    assert ids(org, sort=sort, order="desc") == [hex_id(n) for n in range(8, 0, -1)]
    assert ids(org, sort=sort, order="asc", search="山田") == [hex_id(n) for n in range(1, 9)]
    assert ids(org, sort=sort, order="desc", search="山田") == [hex_id(n) for n in range(8, 0, -1)]


def mixed_org() -> Organization:
    org = frozen_org()
    rows = [
        (3, "b", "Yamada", 30),
        (1, "A", "ｙａｍａｄａ", 10),  # folds to the same last name as "Yamada"
        (2, "z", "Abe", 30),  # same created_us as #3: id breaks the tie
        (5, "a", "yamada", 20),
        (4, "太郎", "山田", 40),
        (6, "Ä", "Müller", 5),
    ]
    for n, first, last, created in rows:
        org.add(contact(hex_id(n), first=first, last=last, created_us=created, company_id=COMP_1))
    return org


@pytest.mark.parametrize(
    ("sort", "ascending"),
    [
        ("created_at", [6, 1, 5, 2, 3, 4]),
        ("name", [2, 6, 1, 5, 3, 4]),  # (abe), (müller), (yamada, a#1), (yamada, a#5), (yamada, b), (山田)
    ],
)
@pytest.mark.parametrize("filtered", [False, True])
def test_page_orders_and_desc_is_the_exact_reverse(sort: str, ascending: list[int], filtered: bool) -> None:
    org = mixed_org()
    extra = {"company_id": COMP_1} if filtered else {}  # the indexed path and the filtering path
    assert ids(org, sort=sort, order="asc", **extra) == [hex_id(n) for n in ascending]
    assert ids(org, sort=sort, order="desc", **extra) == [hex_id(n) for n in reversed(ascending)]


@pytest.mark.parametrize("sort", ["created_at", "name"])
@pytest.mark.parametrize("order", ["asc", "desc"])
@pytest.mark.parametrize("filtered", [False, True])
def test_consecutive_pages_never_overlap_or_skip(sort: str, order: str, filtered: bool) -> None:
    org = mixed_org()
    extra = {"company_id": COMP_1} if filtered else {}
    whole = ids(org, sort=sort, order=order, **extra)
    for limit in (1, 2, 4):
        pages = [ids(org, sort=sort, order=order, limit=limit, offset=o, **extra) for o in range(0, 8, limit)]
        assert [i for page in pages for i in page] == whole


# --- page: filters ----------------------------------------------------------------------


@pytest.fixture
def people() -> Organization:
    org = frozen_org()
    org.add(contact(hex_id(1), "太郎", "山田", 1, email="taro@example.com", company_id=COMP_1))
    org.add(contact(hex_id(2), "花子", "山田", 2, email="hanako@example.jp", company_id=COMP_2))
    org.add(contact(hex_id(3), "Taro", "Suzuki", 3, company_id=COMP_2))
    org.add(contact(hex_id(4), "Emily", "Carter", 4, email="emily@example.com"))
    return org


@pytest.mark.parametrize(
    ("search", "expected"),
    [
        ("太郎", [1]),  # first name
        ("山田", [1, 2]),  # last name
        ("taro@example.com", [1]),  # email
        ("@example.com", [1, 4]),
        ("山田 太郎", [1]),  # last first
        ("山田太郎", [1]),  # lastfirst
        ("太郎 山田", [1]),  # first last
        ("田太", [1]),  # inside lastfirst
        ("taro", [1, 3]),  # email of 1, first name of 3
        ("ＴＡＲＯ", [1, 3]),  # full width
        ("TaRo", [1, 3]),  # case-insensitive
        ("suzuki taro", [3]),
        ("Taro Suzuki", [3]),
        ("EMILY@EXAMPLE.COM", [4]),
        ("太郎山田", []),  # firstlast is not a form
        ("nobody", []),
        ("", [1, 2, 3, 4]),  # empty means no filter
    ],
)
def test_search(people: Organization, search: str, expected: list[int]) -> None:
    assert ids(people, search=search) == [hex_id(n) for n in expected]


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"company_id": COMP_1}, [1]),
        ({"company_id": COMP_2}, [2, 3]),
        ({"company_id": "comp_" + "9" * 32}, []),
        ({"company_id": ""}, [1, 2, 3, 4]),
        ({"company_id": COMP_2, "search": "山田"}, [2]),
        ({"company_id": COMP_2, "search": "taro"}, [3]),
        ({"company_id": COMP_1, "search": "花子"}, []),
    ],
)
def test_company_filter_and_combined(
    people: Organization, params: dict[str, str], expected: list[int]
) -> None:
    assert ids(people, **params) == [hex_id(n) for n in expected]


@pytest.mark.parametrize(
    "filters", [{}, {"search": "山田"}, {"company_id": COMP_2}, {"search": "a", "company_id": COMP_2}]
)
def test_total_is_independent_of_limit_and_offset(people: Organization, filters: dict[str, str]) -> None:
    total = people.page(query(**filters)).total
    for limit in (1, 2, 200):
        for offset in (0, 1, 3, 10):
            page = people.page(query(limit=limit, offset=offset, **filters))
            assert (page.total, page.limit, page.offset) == (total, limit, offset)
            assert len(page.items) == max(0, min(limit, total - offset))


def test_search_follows_updates(people: Organization) -> None:
    people.update(hex_id(1), {"first_name": "一郎", "email": None})
    assert ids(people, search="太郎") == []
    assert ids(people, search="taro") == [hex_id(3)]
    assert ids(people, search="山田一郎") == [hex_id(1)]
    people.update(hex_id(4), {"company_id": COMP_1})
    assert ids(people, company_id=COMP_1) == [hex_id(1), hex_id(4)]


# --- the indexes against a brute-force model ---------------------------------------------

NAMES = st.sampled_from(["a", "A", "ａ", "b", "ss", "ß", "山田", "太郎", "Müller", "MÜLLER", "x\x00y"])
EMAILS = st.sampled_from([None, "a@example.com", "A@EXAMPLE.COM", "taro@example.com"])
COMPANIES = st.sampled_from([None, COMP_1, COMP_2])
CHANGES = st.fixed_dictionaries(
    {}, optional={"first_name": NAMES, "last_name": NAMES, "email": EMAILS, "company_id": COMPANIES}
)
OPERATIONS = st.lists(
    st.one_of(
        st.tuples(st.just("create"), NAMES, NAMES, EMAILS, COMPANIES),
        st.tuples(st.just("add"), st.integers(0, 2**20), NAMES, NAMES, st.integers(0, 3)),
        st.tuples(st.just("update"), st.integers(0, 99), CHANGES),
        st.tuples(st.just("delete"), st.integers(0, 99)),
    ),
    max_size=40,
)
SEARCHES = st.sampled_from(["", "a", "ss", "山田", "山田太郎", "a a", "example", "x\x00y", "\x00"])


def brute_force(contacts: list[Contact], q: ListQuery) -> tuple[list[str], int]:
    def key(c: Contact) -> tuple[Any, ...]:
        if q.sort == "name":
            return (*name_sort_key(c.first_name, c.last_name), c.id)
        return (c.created_us, c.id)

    hits = [
        c
        for c in contacts
        if (not q.company_id or c.company_id == q.company_id)
        and (not q.search or any(q.search in f for f in searchable_forms(c.first_name, c.last_name, c.email)))
    ]
    hits.sort(key=key, reverse=q.descending)
    return [c.id for c in hits[q.offset : q.offset + q.limit]], len(hits)


@settings(max_examples=60, deadline=None, database=None)
@given(
    operations=OPERATIONS,
    search=SEARCHES,
    company_id=st.sampled_from(["", COMP_1]),
    limit=st.integers(1, 7),
    offset=st.integers(0, 10),
)
def test_indexes_agree_with_brute_force(
    operations: list[tuple[Any, ...]], search: str, company_id: str, limit: int, offset: int
) -> None:
    org = Organization("org_test", Clock(lambda: 2_000))  # a frozen, tiny clock: ties with `add`
    model: dict[str, Contact] = {}
    for op in operations:
        live = sorted(model)
        if op[0] == "create":
            _, first, last, email, company = op
            made = org.create({"first_name": first, "last_name": last, "email": email, "company_id": company})
            model[made.id] = made
        elif op[0] == "add":
            _, n, first, last, created = op
            if hex_id(n) not in model:
                added = contact(hex_id(n), first, last, created)
                org.add(added)
                model[added.id] = added
        elif op[0] == "update" and live:
            _, index, changes = op
            before = model[live[index % len(live)]]
            after = org.update(before.id, changes)
            assert after is not None
            changed = any(getattr(before, k) != v for k, v in changes.items())
            assert (after.updated_us > before.updated_us) if changed else (after == before)
            assert (after.id, after.created_us) == (before.id, before.created_us)
            model[after.id] = after
        elif op[0] == "delete" and live:
            victim = live[op[1] % len(live)]
            assert org.delete(victim) is True
            del model[victim]
    assert sorted(c.id for c in org) == sorted(model)
    assert all(org.get(i) == c for i, c in model.items())
    # the JSON kept per contact is its current version's (an update rewrites it, nothing else)
    assert all(org.rendered(i) == render_contact(c) for i, c in model.items())
    for sort in ("created_at", "name"):
        for order in ("asc", "desc"):
            for filters in ({}, {"search": search, "company_id": company_id}):
                q = query(sort=sort, order=order, limit=limit, offset=offset, **filters)
                page = org.page(q)
                assert ([c.id for c in page.items], page.total) == brute_force(list(model.values()), q)
