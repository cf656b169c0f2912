"""Concurrent writes: every write lands, the answers fit one serial order, `updated_at` only rises.

The contract pins, per contact: a PATCH changes the fields it sends and only
them, and a real change moves `updated_at` strictly later (fractional seconds
are allowed, so two changes in one second, or one millisecond, still differ).
Under concurrency that means a server must behave as if the writes ran one
after another, in some order:

- concurrent PATCHes of different fields of one contact all land; each answer
  shows its own change, and the answers, ordered by `updated_at` (all distinct),
  show the changes accumulating in that order; GET afterwards is the last answer;
- concurrent PATCHes of one field: distinct `updated_at`s, and the value that
  stays is that of the answer with the latest `updated_at`;
- rapid successive PATCHes, sent back to back: `updated_at` strictly increasing;
- concurrent creates get distinct ids and all appear, through GET and the list,
  with a `total` that counts each exactly once.

Everything is scoped to data the run owns (its token, a company id only the run
uses): other writers of a live deployment change nothing here. The contract says
nothing about `updated_at` across different contacts, so nothing is asserted there.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from .client import ApiClient
from .contract import active
from .failures import Exchange, expect, expect_equal
from .invariants import check_location, check_writable, contact_of, page_of
from .model import expected_new_contact, instant
from .strategies import Scope, create_bodies

pytestmark = pytest.mark.writes
CONTRACT = active()
WRITERS = 8  # requests in flight at once
EXAMPLES = max(2, settings().max_examples // 4)


def all_at_once(calls: list[Callable[[], Exchange]]) -> list[Exchange]:
    """Run `calls` in parallel threads, released together; their exchanges in the same order."""
    barrier = threading.Barrier(len(calls))

    def call_when_all_are_ready(call: Callable[[], Exchange]) -> Exchange:
        barrier.wait(timeout=60)
        return call()

    with ThreadPoolExecutor(max_workers=len(calls), thread_name_prefix="concurrent") as pool:
        return list(pool.map(call_when_all_are_ready, calls))


def new_values(scope: Scope, current: Mapping[str, Any]) -> dict[str, Any]:
    """A value for every writable field, each valid and different from the current one."""
    others = [c for c in scope.companies if c != current["company_id"]]
    candidates: dict[str, list[Any]] = {
        "first_name": [f"並行{scope.token}", f"Para{scope.token}"],
        "last_name": [f"同時{scope.token}", f"Concurrent{scope.token}"],
        "email": [f"concurrent.{scope.token}@example.org", f"other.{scope.token}@example.org"],
        "phone": ["03-0000-0001", "03-0000-0002"],
        "position": ["並行担当", "Concurrency lead"],
        "company_id": others,
        "note": [f"concurrent [contract-suite {scope.token}]", f"other [contract-suite {scope.token}]"],
    }
    return {
        name: next(v for v in candidates[name] if v != current[name])
        for name in CONTRACT.writable_fields
        if name in candidates
    }


def by_updated_at(answers: list[dict[str, Any]], exchanges: list[Exchange]) -> list[int]:
    """Indexes of `answers` in `updated_at` order; every two must differ (each was a real change)."""
    order = sorted(range(len(answers)), key=lambda i: instant(answers[i]["updated_at"]))
    for before, after in itertools.pairwise(order):
        expect(
            instant(answers[after]["updated_at"]) > instant(answers[before]["updated_at"]),
            "every real change moves updated_at strictly later, concurrent ones too",
            exchanges[after],
            f"two concurrent changes of one contact answered the same updated_at "
            f"{answers[after]['updated_at']}",
            rule="updated-at-strictly-increasing",
        )
    return order


@settings(max_examples=EXAMPLES)
@given(data=st.data())
def test_concurrent_patches_of_different_fields_all_land(
    api: ApiClient, run: Any, data: st.DataObject
) -> None:
    scope = Scope(run.ledger.family())
    created = contact_of(api.create(data.draw(create_bodies(scope))), 201, "POST creates a contact: 201")
    values = new_values(scope, created)
    fields = sorted(values)
    exchanges = all_at_once([partial(api.patch, created["id"], {f: values[f]}) for f in fields])
    answers = [contact_of(e, 200, "a concurrent PATCH with a valid field succeeds") for e in exchanges]
    for field, answer, exchange in zip(fields, answers, exchanges, strict=True):
        expect_equal(answer[field], values[field], f"a PATCH's answer shows its own {field}", exchange)
        expect_equal(
            (answer["id"], answer["created_at"]),
            (created["id"], created["created_at"]),
            "id and created_at never change",
            exchange,
            rule="patch-keeps-id-and-created-at",
        )
    final = api.get(created["id"])
    expect_equal(
        {f: contact_of(final, 200, "GET after concurrent PATCHes")[f] for f in fields},
        values,
        "every concurrent PATCH of another field landed (no lost update)",
        final,
        rule="concurrent-patches-all-land",
    )
    landed: set[str] = set()
    order = by_updated_at(answers, exchanges)
    for index in order:
        landed.add(fields[index])
        expected = {f: values[f] if f in landed else created[f] for f in CONTRACT.writable_fields}
        check_writable(
            answers[index],
            expected,
            "concurrent PATCHes answer as if run one after another, in updated_at order",
            exchanges[index],
            rule="concurrent-writes-serializable",
        )
    last = answers[order[-1]]
    expect_equal(
        contact_of(final, 200, "GET after concurrent PATCHes"),
        last,
        "after concurrent PATCHes, GET shows what the latest answer showed",
        final,
        rule="concurrent-writes-serializable",
    )
    listed = page_of(api.list({"search": scope.token}))
    expect_equal(listed["items"], [last], "the list shows the contact with every change", None)


def test_concurrent_patches_of_one_field_leave_the_latest(api: ApiClient, scope: Scope) -> None:
    created = contact_of(
        api.create({"first_name": "翔", "last_name": f"中村{scope.token}"}),
        201,
        "POST creates a contact: 201",
    )
    positions = [f"担当{n}" for n in range(WRITERS)]
    exchanges = all_at_once([partial(api.patch, created["id"], {"position": p}) for p in positions])
    answers = [contact_of(e, 200, "a concurrent PATCH succeeds") for e in exchanges]
    for position, answer, exchange in zip(positions, answers, exchanges, strict=True):
        expect_equal(answer["position"], position, "a PATCH's answer shows its own value", exchange)
    order = by_updated_at(answers, exchanges)
    final = api.get(created["id"])
    expect_equal(
        contact_of(final, 200, "GET after concurrent PATCHes"),
        answers[order[-1]],
        "after concurrent PATCHes the contact is the answer with the latest updated_at",
        final,
        rule="concurrent-writes-serializable",
    )


def test_rapid_successive_writes_keep_updated_at_strictly_increasing(api: ApiClient, scope: Scope) -> None:
    current = contact_of(
        api.create({"first_name": "陽菜", "last_name": f"加藤{scope.token}"}),
        201,
        "POST creates a contact: 201",
    )
    for step in range(12):
        exchange = api.patch(current["id"], {"position": f"担当{step}", "phone": f"03-0000-{step:04d}"})
        updated = contact_of(exchange, 200, "PATCH with new values succeeds")
        expect(
            instant(updated["updated_at"]) > instant(current["updated_at"]),
            "writes sent back to back move updated_at strictly later, each one",
            exchange,
            f"updated_at was {current['updated_at']}, now {updated['updated_at']}",
            rule="updated-at-strictly-increasing",
        )
        current = updated
    fetched = api.get(current["id"])
    expect_equal(contact_of(fetched, 200, "GET"), current, "GET shows the last write", fetched)


@pytest.mark.parametrize("round_", range(2))
def test_concurrent_creates_get_distinct_ids_and_all_appear(
    api: ApiClient, scope: Scope, round_: int
) -> None:
    company = scope.companies[round_ % len(scope.companies)]
    bodies = [
        {
            "first_name": f"{n}番{scope.token}",
            "last_name": f"同時{scope.token}",
            "email": f"c{n}.{scope.token}@example.com",
            "company_id": company,
        }
        for n in range(2 * WRITERS)
    ]
    exchanges = all_at_once([partial(api.create, b) for b in bodies])
    created = []
    for body, exchange in zip(bodies, exchanges, strict=True):
        contact = contact_of(exchange, 201, "a concurrent POST creates a contact: 201")
        check_location(exchange, contact["id"])
        check_writable(contact, expected_new_contact(body), "POST stores what was sent", exchange)
        created.append(contact)
    ids = [c["id"] for c in created]
    expect(
        len(set(ids)) == len(ids),
        "concurrent creates get distinct ids",
        None,
        f"{len(ids) - len(set(ids))} repeated among {ids}",
        rule="concurrent-creates-all-appear",
    )
    for params in ({"company_id": company}, {"search": scope.token}):
        listed = api.list({**params, "limit": CONTRACT.max_limit})
        page = page_of(listed)
        expect_equal(
            (page["total"], sorted(c["id"] for c in page["items"])),
            (len(ids), sorted(ids)),
            "every concurrent create appears exactly once, and total counts each",
            listed,
            rule="concurrent-creates-all-appear",
        )
        expect_equal(
            sorted(page["items"], key=lambda c: c["id"]),
            sorted(created, key=lambda c: c["id"]),
            "listed contacts are the created ones, as created",
            listed,
        )
    for contact in created:
        fetched = api.get(contact["id"])
        expect_equal(
            contact_of(
                fetched, 200, "GET finds each concurrent create", rule="concurrent-creates-all-appear"
            ),
            contact,
            "GET returns each created contact",
            fetched,
        )
