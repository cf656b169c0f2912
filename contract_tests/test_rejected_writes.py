"""A refused write changes nothing: every kind of 4xx write, then the whole scope compared.

Each example owns a fresh scope (a token and companies), creates a few contacts
and deletes one (so a deleted id is at hand), then sends writes the contract
refuses (``rejections.py``: invalid fields mixed with valid ones and real
changes, malformed JSON, other media types, oversized bodies, bad credentials,
unknown, deleted and malformed ids derived from the live ones, missing methods,
another organization). Each must get its status in the contract's error shape,
and afterwards the scope, read through the list and by GET, must be exactly what
it was, `updated_at` included. The model-based state machine (``test_stateful.py``)
sends the same writes between its other steps and compares against its model.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from .client import ApiClient
from .failures import expect_equal
from .invariants import contact_of
from .rejections import KINDS, ORG, body_fields, check_refused, check_scope, rejected_writes
from .strategies import Scope, create_bodies

# Every kind runs in every profile, each with a share of the profile's examples.
EXAMPLES = max(2, settings().max_examples // 6)


@pytest.mark.writes
@pytest.mark.parametrize("kind", KINDS)
@settings(max_examples=EXAMPLES)
@given(data=st.data())
def test_a_refused_write_changes_nothing(api: ApiClient, run: Any, kind: str, data: st.DataObject) -> None:
    target = run.get_target()
    if kind == ORG and not target.other_org_token:
        pytest.skip("needs a token of a second organization: set CONTRACT_OTHER_ORG_TOKEN")
    scope = Scope(run.ledger.family())
    contacts = {}
    for body in data.draw(st.lists(create_bodies(scope), min_size=2, max_size=4), label="contacts"):
        contact = contact_of(api.create(body), 201, "POST creates a contact: 201")
        contacts[contact["id"]] = contact
    gone = next(iter(contacts))
    deleted = api.delete(gone)
    expect_equal(deleted.status, 200, "DELETE of a live contact is 200", deleted)
    del contacts[gone]
    for _ in range(data.draw(st.integers(1, 3), label="writes")):
        write = data.draw(
            rejected_writes(
                body_fields(run.document),
                scope,
                list(contacts.values()),
                [gone],
                api.token or "",
                target.other_org_token,
                kinds=(kind,),
            ),
            label="write",
        )
        exchange = check_refused(api, write)
        check_scope(api, scope.token, contacts, exchange, [gone])
