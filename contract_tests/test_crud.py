"""Round trips and write semantics: create, get, partial update, delete."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from .client import ApiClient
from .contract import active
from .failures import expect, expect_equal
from .invariants import (
    check_deleted,
    check_error,
    check_location,
    check_patched,
    check_writable,
    contact_of,
    page_of,
)
from .model import expected_new_contact, instant
from .strategies import Scope, create_bodies, patch_bodies

pytestmark = pytest.mark.writes
CONTRACT = active()


def create(api: ApiClient, body: dict[str, Any]) -> dict[str, Any]:
    exchange = api.create(body)
    contact = contact_of(exchange, 201, "POST creates a contact: 201")
    check_location(exchange, contact["id"])
    return contact


@given(data=st.data())
def test_create_then_get_round_trip(api: ApiClient, run: Any, data: st.DataObject) -> None:
    scope = Scope(run.ledger.family())
    body = data.draw(create_bodies(scope))
    exchange = api.create(body)
    created = contact_of(exchange, 201, "POST creates a contact: 201")
    check_location(exchange, created["id"])
    check_writable(created, expected_new_contact(body), "POST stores what was sent (names trimmed)", exchange)
    expect_equal(
        created["updated_at"], created["created_at"], "on create, updated_at equals created_at", exchange
    )

    fetched = api.get(created["id"])
    expect_equal(
        contact_of(fetched, 200, "GET finds a created contact"),
        created,
        "GET returns the created contact",
        fetched,
    )

    listed = api.list({"search": scope.token})
    page = page_of(listed)
    expect_equal(page["items"], [created], "a created contact is listed (search by its token)", listed)
    expect_equal(page["total"], 1, "total counts the created contact", listed)


def test_each_credential_style_works_for_every_operation(api_each_style: ApiClient, scope: Scope) -> None:
    api = api_each_style
    exchange = api.create({"first_name": "太郎", "last_name": f"山田{scope.token}"})
    created = contact_of(
        exchange, 201, f"POST works with the {api.style} credential", rule="each-credential-style-works"
    )
    contact_of(api.get(created["id"]), 200, f"GET works with the {api.style} credential")
    contact_of(
        api.patch(created["id"], {"position": "部長"}), 200, f"PATCH works with the {api.style} credential"
    )
    page_of(api.list({"search": scope.token}), f"GET list works with the {api.style} credential")
    deleted = api.delete(created["id"])
    expect_equal(deleted.status, 200, f"DELETE works with the {api.style} credential", deleted)


@given(data=st.data())
def test_patch_changes_only_what_it_sends(api: ApiClient, run: Any, data: st.DataObject) -> None:
    scope = Scope(run.ledger.family())
    current = create(api, data.draw(create_bodies(scope)))
    for _ in range(data.draw(st.integers(1, 4))):
        patch = data.draw(patch_bodies(scope, current))
        exchange = api.patch(current["id"], patch)
        updated = contact_of(exchange, 200, "PATCH with valid fields succeeds")
        check_patched(current, patch, updated, exchange)
        fetched = api.get(current["id"])
        expect_equal(
            contact_of(fetched, 200, "GET after PATCH"), updated, "GET shows what PATCH returned", fetched
        )
        current = updated


def test_a_real_change_moves_updated_at_and_nothing_else(api: ApiClient, scope: Scope) -> None:
    created = create(api, {"first_name": "陽菜", "last_name": f"加藤{scope.token}", "position": "課長"})
    exchange = api.patch(created["id"], {"position": "部長"})
    updated = contact_of(exchange, 200, "PATCH with a new position succeeds")
    expect_equal(updated["position"], "部長", "PATCH stores the new value", exchange)
    expect_equal(
        (updated["id"], updated["created_at"]),
        (created["id"], created["created_at"]),
        "id and created_at never change",
        exchange,
        rule="patch-keeps-id-and-created-at",
    )
    expect(
        instant(updated["updated_at"]) > instant(created["updated_at"]),
        "a real change moves updated_at strictly forward",
        exchange,
        f"updated_at was {created['updated_at']}, now {updated['updated_at']}",
        rule="real-change-moves-updated-at",
    )
    same = api.patch(created["id"], {"position": "部長"})
    expect_equal(
        contact_of(same, 200, "PATCH with the current value succeeds")["updated_at"],
        updated["updated_at"],
        "a PATCH with the current values keeps updated_at",
        same,
    )


def test_empty_patch_changes_nothing(api: ApiClient, scope: Scope) -> None:
    created = create(api, {"first_name": "花子", "last_name": f"佐藤{scope.token}", "note": "メモ"})
    exchange = api.patch(created["id"], {})
    expect_equal(
        contact_of(exchange, 200, "PATCH {} is valid"),
        created,
        "PATCH {} changes nothing, updated_at included",
        exchange,
        rule="empty-patch-changes-nothing",
    )


@pytest.mark.parametrize("field", CONTRACT.optional_fields)
def test_null_clears_an_optional_field(api: ApiClient, scope: Scope, field: str) -> None:
    full = {
        "first_name": "一郎",
        "last_name": f"鈴木{scope.token}",
        "email": f"ichiro.{scope.token}@example.com",
        "phone": "03-1234-5678",
        "position": "課長",
        "company_id": scope.companies[0],
        "note": f"contract-suite {scope.token}",
    }
    created = create(api, full)
    exchange = api.patch(created["id"], {field: None})
    updated = contact_of(exchange, 200, "PATCH null on an optional field succeeds")
    expected = {**{k: created[k] for k in CONTRACT.writable_fields}, field: None}
    check_writable(
        updated,
        expected,
        f"PATCH {{{field!r}: null}} clears {field} and nothing else",
        exchange,
        rule="patch-null-clears",
    )


@pytest.mark.parametrize("field", ["first_name", "last_name"])
@pytest.mark.parametrize(
    "value", [None, "", "   ", "\u3000"], ids=["null", "empty", "spaces", "ideographic-space"]
)
def test_names_may_not_be_null_or_empty(api: ApiClient, scope: Scope, field: str, value: Any) -> None:
    created = create(api, {"first_name": "健太", "last_name": f"渡辺{scope.token}"})
    exchange = api.patch(created["id"], {field: value})
    check_error(exchange, 400, f"PATCH {field}={value!r} is rejected", rule="names-required")
    after = api.get(created["id"])
    expect_equal(
        contact_of(after, 200, "GET after a rejected PATCH"),
        created,
        "a rejected PATCH changes nothing",
        after,
    )
    body = {"first_name": "健太", "last_name": f"渡辺{scope.token}", field: value}
    rejected = api.create(body)
    check_error(rejected, 400, f"POST with {field}={value!r} is rejected", rule="names-required")
    listed = page_of(api.list({"search": scope.token}))
    expect_equal(listed["total"], 1, "a rejected POST creates nothing", rejected)


def test_delete_removes_the_contact_everywhere(api: ApiClient, scope: Scope) -> None:
    keep = create(api, {"first_name": "さくら", "last_name": f"伊藤{scope.token}"})
    gone = create(api, {"first_name": "翔", "last_name": f"中村{scope.token}"})
    exchange = api.delete(gone["id"])
    expect_equal(exchange.status, 200, "DELETE of an existing contact is 200", exchange)
    check_deleted(exchange)
    check_error(api.get(gone["id"]), 404, "GET after DELETE is 404", rule="delete-removes")
    check_error(api.patch(gone["id"], {"note": "x"}), 404, "PATCH after DELETE is 404")
    check_error(api.delete(gone["id"]), 404, "DELETE after DELETE is 404")
    listed = api.list({"search": scope.token})
    page = page_of(listed)
    expect_equal(
        [c["id"] for c in page["items"]], [keep["id"]], "a deleted contact is gone from the list", listed
    )
    expect_equal(page["total"], 1, "a deleted contact is gone from total", listed)


def test_created_ids_are_fresh(api: ApiClient, scope: Scope) -> None:
    body = {"first_name": "Emily", "last_name": f"Carter{scope.token}"}
    first, second = create(api, body), create(api, body)
    expect(first["id"] != second["id"], "every create gets a new id", None, f"both got {first['id']}")
