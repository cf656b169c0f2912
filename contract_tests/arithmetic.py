"""Page arithmetic: what one list answer says about itself, whatever else the deployment holds.

A page answers `items`, `total`, `limit` and `offset` together, and the contract
ties them: `total` counts every match, the page holds matches `offset` to
`offset + limit`. So, in any one answer,

- a page holds at most `limit` items;
- a page that is not full is the end of the list: `total == offset + len(items)`;
- an empty page lies at or past the end: `total <= offset`;
- a full page is not past the end: `total >= offset + limit`.

This holds for the unfiltered list of a live deployment too, where nothing else
can be compared exactly. A backend whose count query differs from its page query
(a cached row count that includes soft-deleted rows, a count without one of the
filters, a page query capped below the limit) breaks it at the end of a list. A
correct backend that counts and pages in two statements could disagree once while
others write in between, so a broken answer is asked again; only an answer that
stays broken (three times) fails, with the id `page-arithmetic`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .client import ApiClient
from .failures import Exchange, fail
from .invariants import page_of

ASKS = 3  # a broken answer is asked for this many times in all before it fails


def arithmetic_problem(page: Mapping[str, Any]) -> str | None:
    """What is inconsistent in one page's items, total, limit and offset (None: nothing)."""
    items, total, limit, offset = len(page["items"]), page["total"], page["limit"], page["offset"]
    if items > limit:
        return f"{items} items on a page of limit {limit}"
    if items == 0 and total > offset:
        return f"an empty page at offset {offset}, yet total {total} says matches lie beyond it"
    if 0 < items < limit and total != offset + items:
        return f"a page not full ({items} of {limit}) at offset {offset} ends the list, yet total is {total}"
    if items == limit and total < offset + items:
        return f"a full page at offset {offset} holds {items} items, yet total is only {total}"
    return None


def check_page_arithmetic(api: ApiClient, params: Mapping[str, Any], exchange: Exchange) -> None:
    """Fail `page-arithmetic` if the answer is inconsistent and stays so when asked again."""
    problem = arithmetic_problem(page_of(exchange))
    for _ in range(ASKS - 1):
        if problem is None:
            return
        exchange = api.list(dict(params))
        problem = arithmetic_problem(page_of(exchange))
    if problem is not None:
        fail(
            "a page's items, total, limit and offset agree (total counts the matches the pages hold)",
            exchange,
            f"{problem} (the same in {ASKS} answers)",
            rule="page-arithmetic",
        )
