"""The end of every list agrees with its `total` (see `arithmetic.py`), after writes and deletes.

Other tests compare the run's own pages with the model; the unfiltered list of
a live deployment holds other people's data and can only be judged by what one
answer says about itself. These tests walk to the end of lists, where a count
that differs from the page (deleted rows still counted, a filter missing from
the count, a page capped below its limit) shows: after the run created and
deleted contacts, the page that ends the list, the one just past it, and a page
of the maximum size.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from .arithmetic import check_page_arithmetic
from .client import ApiClient
from .contract import active
from .invariants import contact_of, page_of
from .strategies import Scope, create_bodies

pytestmark = pytest.mark.writes
CONTRACT = active()
EXAMPLES = max(2, settings().max_examples // 4)


def _ask(api: ApiClient, params: dict[str, Any]) -> int:
    exchange = api.list(params)
    check_page_arithmetic(api, params, exchange)
    return int(page_of(exchange)["total"])


@settings(max_examples=EXAMPLES)
@given(data=st.data())
def test_the_end_of_every_list_agrees_with_total(api: ApiClient, run: Any, data: st.DataObject) -> None:
    scope = Scope(run.ledger.family())
    bodies = data.draw(st.lists(create_bodies(scope), min_size=2, max_size=5), label="creates")
    ids = [contact_of(api.create(b), 201, "POST creates a contact: 201")["id"] for b in bodies]
    for contact_id in ids[: data.draw(st.integers(1, 2), label="deletes")]:
        api.delete(contact_id)
    # Every kind of list in every example (unfiltered, by company, by search), in a drawn order: a
    # count that differs from its page in one kind only is found whichever examples run.
    lists = [{}, {"company_id": scope.companies[0]}, {"search": scope.token}]
    for filters in data.draw(st.permutations(lists), label="lists"):
        query = {
            **filters,
            "sort": data.draw(st.sampled_from(CONTRACT.sorts), label="sort"),
            "order": data.draw(st.sampled_from(CONTRACT.orders), label="order"),
        }
        limit = data.draw(
            st.sampled_from([1, 2, 5, CONTRACT.limit.default, CONTRACT.max_limit]), label="limit"
        )
        total = _ask(api, {**query, "limit": limit})
        back = data.draw(st.integers(0, limit + 1), label="back from the end")
        for offset in (max(0, total - back), total, total + 1):
            _ask(api, {**query, "limit": limit, "offset": offset})


def test_a_page_at_the_maximum_limit_is_full(api: ApiClient, scope: Scope) -> None:
    """More matches than the maximum page size (the run adds what the organization lacks)."""
    most = CONTRACT.max_limit
    missing = most + 1 - _ask(api, {"limit": 1})
    if missing > 0:
        body = {"first_name": "満杯", "last_name": f"上限{scope.token}", "company_id": scope.companies[0]}
        with ThreadPoolExecutor(max_workers=8, thread_name_prefix="fill") as pool:
            for exchange in pool.map(lambda _: api.create(body), range(missing)):
                contact_of(exchange, 201, "POST creates a contact: 201")
    for sort in CONTRACT.sorts:
        for order in CONTRACT.orders:
            total = _ask(api, {"sort": sort, "order": order, "limit": most})
            _ask(api, {"sort": sort, "order": order, "limit": most, "offset": max(0, total - most - 1)})
