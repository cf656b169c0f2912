"""A change of case, width or normalization form only is a change (see `nearby.py`).

Each example creates a contact whose fields hold text with case, width and
combining marks, then PATCHes one to three fields to values next to their current
ones ("Taro" -> "TARO", "Jose\u0301" -> "José", "ｍａｎａｇｅｒ" -> "manager",
"Info@Example.com" -> "iNFO@eXAMPLE.COM", a position or phone with a space around
it: only names are trimmed), and back again: each answer and the
GET after it must show exactly the sent values, with `updated_at` moved.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from .alphabet import joins_cleanly
from .client import ApiClient
from .contract import active
from .failures import expect_equal
from .invariants import check_patched, contact_of
from .nearby import SHOWINGS, near_patches, near_value
from .strategies import Scope

pytestmark = pytest.mark.writes
EXAMPLES = max(2, settings().max_examples // 4)

CASED = ["Head of Sales", "ｍａｎａｇｅｒ", "Straße", "Jose\u0301", "José", "ΣΊΣΥΦΟΣ", "ﬁnance", "Zoë", "CTO"]


@st.composite
def cased_bodies(draw: st.DrawFn, scope: Scope) -> dict[str, Any]:
    """A contact with case, width and marks in every text field; the token in the last name and email."""
    first = draw(st.sampled_from(["Taro", "emily", "JOHN", "Zoe\u0308", "Ｋｅｎ", "Émile", "ǅemal"]))
    local = draw(st.sampled_from(["Taro", "e.Carter", "INFO", "j-Smith"]))
    return {
        "first_name": first,
        "last_name": f"Yamada{scope.token}",
        "email": f"{local}.{scope.token}@Example.co.jp",  # the token twice: one holder stays as it is
        "position": draw(st.sampled_from(CASED)),
        "note": " ".join(draw(st.lists(st.sampled_from(CASED), min_size=1, max_size=3))),
        "phone": draw(st.sampled_from(["03-1234-5678", "+81 90 1234 5678", "(415) 555-0134"])),
        "company_id": scope.companies[0],
    }


@settings(max_examples=EXAMPLES)
@given(data=st.data())
def test_a_change_of_case_or_form_is_a_change(api: ApiClient, run: Any, data: st.DataObject) -> None:
    scope = Scope(run.ledger.family())
    current = contact_of(api.create(data.draw(cased_bodies(scope))), 201, "POST creates a contact: 201")
    original = {name: current[name] for name in active().writable_fields}
    for step in range(data.draw(st.integers(1, 3), label="patches")):
        patch = data.draw(near_patches(current, scope.token), label=f"patch {step}")
        if step == 2:  # and back: a change too, unless the values are the original ones already
            patch = {name: original[name] for name in patch}
        exchange = api.patch(current["id"], patch)
        updated = contact_of(exchange, 200, "PATCH with valid fields succeeds")
        check_patched(current, patch, updated, exchange)
        fetched = api.get(current["id"])
        expect_equal(
            contact_of(fetched, 200, "GET after PATCH"),
            updated,
            "GET shows what PATCH answered",
            fetched,
            rule="read-paths-agree",
        )
        current = updated
    # Then every way of showing a value, each in one PATCH of every field it applies to (the last
    # name, which holds the run's token, stays): a server that folds, trims or normalizes in one
    # field only is found whichever drawn patches came before.
    for how in data.draw(st.permutations(sorted(SHOWINGS)), label="every showing"):
        shown = {name: near_value(name, current.get(name), how) for name in active().writable_fields}
        patch = {name: value for name, value in shown.items() if value is not None and name != "last_name"}
        if not joins_cleanly(patch.get("first_name", current["first_name"]), current["last_name"]):
            patch.pop("first_name", None)
        if not patch:
            continue
        exchange = api.patch(current["id"], patch)
        updated = contact_of(exchange, 200, "PATCH with valid fields succeeds")
        check_patched(current, patch, updated, exchange)
        current = updated
