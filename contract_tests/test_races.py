"""Writes racing a DELETE of the same contact: once deleted, it stays deleted.

`test_concurrency.py` races writes that all succeed (PATCHes, creates). A
DELETE racing PATCHes of the same contact is the other half: a backend that
writes a PATCH by reading the row and saving it back with an upsert (`INSERT
... ON CONFLICT UPDATE`, an ORM's `save()` of a detached object, a document
store's `put`) brings a contact back that a DELETE removed between the read
and the write. Under any serial order of the requests, a DELETE answered 200
leaves the contact gone: a PATCH before it is deleted with it, a PATCH after it
is 404. So afterwards GET is 404 and no list holds the contact, whatever the
PATCHes answered; and of several DELETEs of one contact at most one is 200.
Scoped to the run's own contacts.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from .client import ApiClient
from .failures import Exchange, expect, expect_equal
from .invariants import check_error, contact_of, page_of
from .strategies import Scope
from .test_concurrency import WRITERS, all_at_once, new_values

pytestmark = pytest.mark.writes
EXAMPLES = max(2, settings().max_examples // 4)


@settings(max_examples=EXAMPLES)
@given(deletes=st.integers(1, 2), delete_at=st.integers(0, WRITERS - 1))
def test_a_delete_racing_patches_stays_deleted(
    api: ApiClient, run: Any, deletes: int, delete_at: int
) -> None:
    scope = Scope(run.ledger.family())
    body = {"first_name": "競合", "last_name": f"削除{scope.token}", "company_id": scope.companies[0]}
    contact = contact_of(api.create(body), 201, "POST creates a contact: 201")
    changes = list(new_values(scope, contact).items())
    patches: list[Callable[[], Exchange]] = [
        partial(api.patch, contact["id"], {name: value})
        for name, value in changes[: WRITERS - deletes]
        if name != "company_id"
    ]
    calls = list(patches)
    for i in range(deletes):
        calls.insert(min(delete_at + i, len(calls)), partial(api.delete, contact["id"]))
    answers = all_at_once(calls)
    removals = [a for a in answers if a.request.method == "DELETE"]
    succeeded = [a for a in removals if a.status == 200]
    expect(
        len(succeeded) == 1,
        "of DELETEs racing for one live contact exactly one is 200, the others 404",
        removals[0],
        f"DELETE answered {[a.status for a in removals]}",
        rule="concurrent-writes-serializable",
    )
    for answer in answers:
        expect(
            answer.status in (200, 404),
            "a write racing a DELETE is either done before it (200) or finds the contact gone (404)",
            answer,
            f"{answer.request.method} answered {answer.status}",
            rule="concurrent-writes-serializable",
        )
    check_error(
        api.get(contact["id"]),
        404,
        "a contact whose DELETE answered 200 stays deleted",
        rule="delete-removes",
    )
    listed = api.list({"company_id": scope.companies[0]})
    expect_equal(
        [c["id"] for c in page_of(listed)["items"]],
        [],
        "a contact whose DELETE answered 200 is in no list, whatever raced it",
        listed,
        rule="delete-removes",
    )
    late = api.patch(contact["id"], {"note": "after"})
    check_error(late, 404, "a PATCH after the DELETE is 404 (and brings nothing back)", rule="delete-removes")
    check_error(api.get(contact["id"]), 404, "GET after a late PATCH is still 404", rule="delete-removes")
