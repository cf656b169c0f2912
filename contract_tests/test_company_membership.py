"""A company's filter after one of its contacts leaves it: the others stay, the leaver is gone.

Servers keep the company filter in an index (a set per company, a database
index, a cache of ids). Removing one member is where such an index breaks: the
whole entry dropped with the first leaver, the leaver kept, the new company not
told. The state machine reaches these sequences only by chance (three random
companies, a few writes per run), so here every way of leaving a company is
taken on purpose, with other members still in it, and both companies' filters
are compared with the model (the test's companies are random ids no one else
uses, so the pages are the test's alone).
"""

from __future__ import annotations

from typing import Any

import pytest

from .client import ApiClient
from .contract import active
from .failures import expect_equal
from .invariants import contact_of, page_of
from .model import Query, select
from .strategies import Scope

pytestmark = pytest.mark.writes

LEAVING = ("delete", "move", "clear")  # DELETE; PATCH to another company; PATCH company_id null


@pytest.mark.parametrize("how", LEAVING)
def test_the_others_stay_when_one_contact_leaves_a_company(api: ApiClient, scope: Scope, how: str) -> None:
    home, other = scope.companies[0], scope.companies[1]
    names = [("健太", "中村"), ("Anna", "Berg"), ("さくら", "小林")]
    live: dict[str, dict[str, Any]] = {}
    for first, last in names:
        exchange = api.create({"first_name": first, "last_name": f"{last}{scope.token}", "company_id": home})
        contact = contact_of(exchange, 201, "POST creates a contact: 201")
        live[contact["id"]] = contact
    leaver = next(iter(live))
    if how == "delete":
        api.delete(leaver)
        live.pop(leaver)
    else:
        patch = {"company_id": other} if how == "move" else {"company_id": None}
        exchange = api.patch(leaver, patch)
        live[leaver] = contact_of(exchange, 200, "PATCH of company_id succeeds")
    for company in (home, other):
        for sort in active().sorts:
            for order in active().orders:
                query = Query(company_id=company, sort=sort, order=order, limit=active().max_limit)
                exchange = api.list({k: v for k, v in query.params().items() if v != ""})
                page = page_of(exchange)
                expected = select(live.values(), query)
                expect_equal(
                    sorted(item["id"] for item in page["items"]),
                    sorted(c["id"] for c in expected),
                    f"after a {how}, company_id={company} lists exactly its members",
                    exchange,
                    rule="read-paths-agree",
                )
                # By creation time, contacts rendered with the same created_at may come either way.
                shown = "id" if sort == "name" else "created_at"
                expect_equal(
                    [item[shown] for item in page["items"]],
                    [c[shown] for c in expected],
                    f"company_id={company} lists its members in the contract's order",
                    exchange,
                    rule="sort-order",
                )
                expect_equal(page["total"], len(expected), "total counts the company's members", exchange)
