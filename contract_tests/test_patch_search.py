"""A PATCH of one searched field alone: search finds the contact by its new text, not its old.

A server that keeps a search index (a joined column, a full-text index, a cache
of folded forms) must rebuild it on every write of a searched field, whatever
the write leaves alone. The classic miss: the index rebuilt only when the names
change (so a new email is never found), or only when both names do. The state
machine reaches a one-field patch only by chance, and may then draw its needle
from a part the patch kept; here each searched field is patched alone, and the
text it put in and the text it took out are both searched, with the test's
company as a second filter (the page is the test's alone, compared with the model).
"""

from __future__ import annotations

import pytest

from .client import ApiClient
from .contract import active
from .failures import expect_equal
from .invariants import contact_of, page_of
from .model import Query, select
from .strategies import Scope

pytestmark = pytest.mark.writes

# Per searched field: the text the patch puts in and the text it takes out (both found by a
# search for them exactly when the contract's forms hold them).
CHANGES = {
    "first_name": ("Yusuke", "Marta"),
    "last_name": ("岡部", "Lindqvist"),
    "email": ("wobble.", "meadow."),
}


@pytest.mark.parametrize("field", sorted(CHANGES))
def test_a_patch_of_one_searched_field_is_found_by_its_new_text(
    api: ApiClient, scope: Scope, field: str
) -> None:
    company = scope.companies[0]
    new, old = CHANGES[field]
    body = {
        "first_name": f"Marta{scope.token}",
        "last_name": f"Lindqvist{scope.token}",
        "email": f"meadow.{scope.token}@example.com",
        "company_id": company,
    }
    contact = contact_of(api.create(body), 201, "POST creates a contact: 201")
    value = {"first_name": f"Yusuke{scope.token}", "last_name": f"岡部{scope.token}"}.get(
        field, f"wobble.{scope.token}@example.com"
    )
    exchange = api.patch(contact["id"], {field: value})
    patched = contact_of(exchange, 200, f"PATCH of {field} alone succeeds")
    for needle in (new, old):
        query = Query(search=needle, company_id=company, limit=active().max_limit)
        exchange = api.list({k: v for k, v in query.params().items() if v != ""})
        expect_equal(
            [item["id"] for item in page_of(exchange)["items"]],
            [c["id"] for c in select([patched], query)],
            f"after a PATCH of {field} alone, search={needle!r} finds the contact exactly when its "
            "new values hold the text",
            exchange,
            rule="read-paths-agree",
        )
