"""The list endpoint: totals, limits, pagination, sorting and the company filter."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from .client import ApiClient
from .contract import active
from .failures import expect, expect_equal
from .invariants import check_error, contact_of, expect_ordered_page, page_of
from .model import OrganizationModel, Query, select, sort_key
from .strategies import Scope, create_bodies, list_queries

CONTRACT = active()
SORTS = CONTRACT.sorts
ORDERS = CONTRACT.orders
LIMIT = CONTRACT.limit
MAX_LIMIT = CONTRACT.max_limit
OFFSET_MINIMUM = CONTRACT.offset.minimum


def populate(api: ApiClient, scope: Scope, bodies: list[dict[str, Any]]) -> OrganizationModel:
    model = OrganizationModel()
    for body in bodies:
        contact = contact_of(api.create(body), 201, "POST creates a contact: 201")
        model.contacts[contact["id"]] = contact
    return model


@pytest.fixture
def family(api: ApiClient, scope: Scope) -> OrganizationModel:
    """Twelve contacts of one scope, with repeated names (ties) across three companies.

    The names sort differently raw and folded ("de la Cruz" < "Smith" only when
    case-folded, "emily" < "JOHN" likewise, "ＫＩＭ" < "山田" only after NFKC), so
    a server that sorts without NFKC + casefold fails the name order.
    """
    names = [
        ("太郎", "山田"),
        ("emily", "de la Cruz"),
        ("ＫＥＮ", "Smith"),
        ("JOHN", "de la Cruz"),
        ("花子", "ＫＩＭ"),
        ("Taro", "yamada"),
    ]
    bodies = []
    for i in range(12):
        given_name, family_name = names[i % len(names)]
        bodies.append(
            {
                "first_name": f"{given_name}{scope.token}",
                "last_name": f"{family_name}{scope.token}",
                "email": f"member{i}.{scope.token}@example.com",
                "company_id": scope.companies[i % 3],
            }
        )
    return populate(api, scope, bodies)


def pages(api: ApiClient, params: dict[str, Any], limit: int) -> tuple[list[dict[str, Any]], list[int]]:
    items, totals, offset = [], [], 0
    while True:
        exchange = api.list({**params, "limit": limit, "offset": offset})
        page = page_of(exchange)
        expect_equal(
            (page["limit"], page["offset"]), (limit, offset), "the page echoes limit and offset", exchange
        )
        totals.append(page["total"])
        items.extend(page["items"])
        if not page["items"] or offset > 1000:
            return items, totals
        offset += limit


@pytest.mark.writes
@pytest.mark.parametrize("sort", SORTS)
@pytest.mark.parametrize("order", ORDERS)
@pytest.mark.parametrize("limit", [1, 5, 7])
def test_pages_partition_the_result(
    api: ApiClient, scope: Scope, family: OrganizationModel, sort: str, order: str, limit: int
) -> None:
    params = {"search": scope.token, "sort": sort, "order": order}
    items, totals = pages(api, params, limit)
    expected, total = family.page(Query(search=scope.token, sort=sort, order=order, limit=10**6))
    ids = [c["id"] for c in items]
    expect(len(ids) == len(set(ids)), "consecutive pages never overlap", None, f"repeated ids in {ids}")
    expect_equal(
        set(totals), {total}, "total is the filtered count on every page", None, rule="total-counts-matches"
    )
    expect_equal(
        sorted(ids),
        sorted(c["id"] for c in expected),
        "pages together hold every match once",
        None,
        rule="pages-partition",
    )
    expect_ordered_page(items, expected, 0, len(expected), sort, None)


@pytest.mark.writes
@pytest.mark.parametrize("sort", SORTS)
def test_desc_is_the_exact_reverse_of_asc(
    api: ApiClient, scope: Scope, family: OrganizationModel, sort: str
) -> None:
    ascending = page_of(api.list({"search": scope.token, "sort": sort, "order": "asc", "limit": MAX_LIMIT}))
    descending = page_of(api.list({"search": scope.token, "sort": sort, "order": "desc", "limit": MAX_LIMIT}))
    expect_equal(
        [c["id"] for c in descending["items"]],
        [c["id"] for c in reversed(ascending["items"])],
        f"sort={sort}: order=desc is exactly the reverse of order=asc (ties by id too)",
        None,
        rule="desc-reverses-asc",
    )


@pytest.mark.writes
def test_defaults_are_the_specs(api: ApiClient, scope: Scope, family: OrganizationModel) -> None:
    exchange = api.list({"search": scope.token})
    page = page_of(exchange)
    expect_equal(
        (page["limit"], page["offset"]),
        (LIMIT.default, CONTRACT.offset.default),
        f"default limit {LIMIT.default} and offset {CONTRACT.offset.default} are echoed",
        exchange,
        rule="list-defaults",
    )
    expected, _ = family.page(Query(search=scope.token, limit=MAX_LIMIT))
    expect_ordered_page(page["items"], expected, 0, LIMIT.default, CONTRACT.default_sort, exchange)


@pytest.mark.writes
@pytest.mark.parametrize("sort", SORTS)
def test_sort_is_monotonic(api: ApiClient, scope: Scope, family: OrganizationModel, sort: str) -> None:
    exchange = api.list({"search": scope.token, "sort": sort, "order": "asc", "limit": MAX_LIMIT})
    keys = [sort_key(c, sort) for c in page_of(exchange)["items"]]
    expect(
        keys == sorted(keys),
        f"sort={sort} order=asc is ascending (NFKC + casefold for names)",
        exchange,
        str(keys),
        rule="sort-order",
    )


@pytest.mark.writes
def test_company_filter_alone_and_with_search(
    api: ApiClient, scope: Scope, family: OrganizationModel
) -> None:
    for company in scope.companies:
        for search in ("", scope.token):
            params = {"company_id": company, "search": search, "limit": MAX_LIMIT}
            exchange = api.list(params)
            page = page_of(exchange)
            expected, total = family.page(Query(search=search, company_id=company, limit=MAX_LIMIT))
            expect_equal(
                page["total"],
                total,
                "total counts the contacts of the company",
                exchange,
                rule="company-filter",
            )
            expect_equal(
                sorted(c["id"] for c in page["items"]),
                sorted(c["id"] for c in expected),
                f"company_id filter{' with search' if search else ''} returns exactly the company's contacts",
                exchange,
            )


@pytest.mark.writes
@given(data=st.data())
def test_any_scoped_query_matches_the_model(api: ApiClient, run: Any, data: st.DataObject) -> None:
    scope = Scope(run.ledger.family())
    bodies = data.draw(st.lists(create_bodies(scope), min_size=0, max_size=6))
    model = populate(api, scope, bodies)
    for _ in range(3):
        params = data.draw(list_queries(scope, len(bodies)))
        exchange = api.list(params)
        page = page_of(exchange)
        query = Query(**params)
        matching = select(model.contacts.values(), query)
        expect_equal(page["total"], len(matching), "total equals the number of matching contacts", exchange)
        expect_ordered_page(page["items"], matching, query.offset, query.limit, query.sort, exchange)


@pytest.mark.parametrize(
    "limit", sorted({LIMIT.minimum, LIMIT.minimum + 1, LIMIT.default, MAX_LIMIT - 1, MAX_LIMIT})
)
def test_limits_in_range_are_accepted_and_echoed(api: ApiClient, limit: int) -> None:
    exchange = api.list({"limit": limit})
    page = page_of(exchange)
    expect_equal(page["limit"], limit, "the effective limit is echoed", exchange)
    expect(
        page["total"] >= len(page["items"]), "total is at least the page size", exchange, str(page["total"])
    )


@pytest.mark.parametrize(
    "limit",
    [
        str(LIMIT.minimum - 1),
        str(LIMIT.minimum - 2),
        str(MAX_LIMIT + 1),
        str(MAX_LIMIT * 5),
        "abc",
        "1.5",
    ],
)
def test_limits_out_of_range_are_rejected(api: ApiClient, limit: str) -> None:
    check_error(
        api.list({"limit": limit}),
        400,
        f"limit={limit!r} is rejected with 400 (no clamping)",
        rule="limit-bounds",
    )


@pytest.mark.parametrize("offset", [str(OFFSET_MINIMUM - 1), "x", "1.5", str(OFFSET_MINIMUM - 100)])
def test_bad_offsets_are_rejected(api: ApiClient, offset: str) -> None:
    check_error(api.list({"offset": offset}), 400, f"offset={offset!r} is rejected with 400")


@pytest.mark.parametrize(
    ("name", "value"), [("sort", "email"), ("sort", "NAME"), ("order", "up"), ("order", "ASC")]
)
def test_unknown_sort_or_order_is_rejected(api: ApiClient, name: str, value: str) -> None:
    check_error(api.list({name: value}), 400, f"{name}={value!r} is rejected with 400")


@pytest.mark.parametrize("company", ["comp_123", "COMP_" + "a" * 32, "comp_" + "g" * 32, "cont_" + "a" * 32])
def test_malformed_company_filter_is_rejected(api: ApiClient, company: str) -> None:
    check_error(api.list({"company_id": company}), 400, f"company_id={company!r} is rejected with 400")


def test_an_offset_past_the_end_is_an_empty_page(api: ApiClient) -> None:
    exchange = api.list({"offset": 10**9, "limit": MAX_LIMIT})
    page = page_of(exchange)
    expect_equal(page["items"], [], "an offset past the end gives no items", exchange)
    expect_equal(page["offset"], 10**9, "the offset is echoed", exchange)


def test_unknown_parameters_are_ignored(api: ApiClient) -> None:
    exchange = api.list({"limit": 3, "colour": "blue", "page": "2"})
    expect_equal(page_of(exchange)["limit"], 3, "unknown query parameters are ignored", exchange)


@pytest.mark.writes
def test_a_repeated_parameter_counts_with_its_first_value(
    api: ApiClient, scope: Scope, family: OrganizationModel
) -> None:
    exchange = api.list([("search", scope.token), ("limit", "2"), ("limit", "500")])
    page = page_of(exchange)
    expect_equal(page["limit"], 2, "a repeated parameter counts with its first value", exchange)


@pytest.mark.writes
def test_empty_filters_mean_no_filter(api: ApiClient, scope: Scope, family: OrganizationModel) -> None:
    exchange = api.list({"search": scope.token, "company_id": ""})
    expect_equal(
        page_of(exchange)["total"], len(family.contacts), "an empty company_id means no filter", exchange
    )
    first = page_of(api.list({"search": "", "company_id": scope.companies[0], "limit": MAX_LIMIT}))
    expected, _ = family.page(Query(company_id=scope.companies[0], limit=MAX_LIMIT))
    expect_equal(first["total"], len(expected), "an empty search means no filter", None)
