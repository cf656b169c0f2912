"""Every list parameter's default, under every value of the other parameters, through the model.

Leaving a parameter out must give exactly what sending its documented default
gives, whatever the other parameters say: the defaults are read from the spec
(`limit`, `offset`, `sort`, `order`: their schema's `default`; `search` and
`company_id`: empty, which the contract says means no filter). For each
parameter, each example draws values for the numeric and text parameters and
then sweeps every value of the enumerated ones (`sort`, `order`, each left out
too); each pair of requests (parameter left out / sent as its default) must
agree with each other, item for item, and with the model (``model.select``).

The data is a crowd of the run's own contacts, a few more than the default
`limit`, so a default page size shows in the items, not only in the echo; most
of them share one company, so the company filter reaches past the default too.
Every query is scoped to the crowd: by one of its companies or by a search
text holding its token.
"""

from __future__ import annotations

import itertools
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from .client import ApiClient
from .contract import active
from .failures import expect_equal
from .invariants import contact_of, expect_ordered_page, page_of
from .model import OrganizationModel, Query, fold, select
from .strategies import FAMILY_NAMES, GIVEN_NAMES, LATIN_FAMILY, LATIN_GIVEN, Scope, full_width

pytestmark = pytest.mark.writes
CONTRACT = active()
PARAMETERS = ("limit", "offset", "sort", "order", "search", "company_id")
DEFAULTS: dict[str, Any] = {
    "limit": CONTRACT.limit.default,
    "offset": CONTRACT.offset.default,
    "sort": CONTRACT.default_sort,
    "order": CONTRACT.default_order,
    "search": "",  # "Empty means no filter"
    "company_id": "",  # idem
}
ENUMERATED = {"sort": CONTRACT.sorts, "order": CONTRACT.orders}
OMIT = None  # a parameter left out of the request
CROWD = CONTRACT.limit.default + 5  # contacts: more than a default page
EXAMPLES = max(2, settings().max_examples // 6)
CREATORS = 8  # creates in flight at once while building the crowd (a slow deployment)


class Crowd:
    """The crowd's scope and its model."""

    def __init__(self, scope: Scope, model: OrganizationModel) -> None:
        self.scope, self.model = scope, model

    def needles(self) -> list[str]:
        """Texts from the crowd's own fields (they may also match other data: use with a company)."""
        found = {""}
        for contact in self.model.contacts.values():
            for name in ("first_name", "last_name", "email"):
                value = contact[name] or ""
                found.update({value[:2], value[1:4], value[-3:]})
        return sorted(text for text in found if text.strip() == text)


def _body(scope: Scope, index: int) -> dict[str, Any]:
    japanese = index % 2 == 0
    given_names, families = (GIVEN_NAMES, FAMILY_NAMES) if japanese else (LATIN_GIVEN, LATIN_FAMILY)
    given_name = given_names[index * 7 % len(given_names)]
    family = families[index * 3 % len(families)]
    companies = scope.companies
    # Most share the first company (more than a default page of them); a few elsewhere or none.
    company = (
        companies[0] if index <= CONTRACT.limit.default else [companies[1], companies[2], None][index % 3]
    )
    return {
        "first_name": f"{given_name}{scope.token}",
        "last_name": f"{family}{scope.token}",
        "email": f"member{index}.{scope.token}@example.com" if index % 4 else None,
        "company_id": company,
    }


@pytest.fixture(scope="module")
def crowd(api: ApiClient, run: Any) -> Crowd:
    if run.settings.read_only:
        pytest.skip("read-only run: needs contacts of its own")
    scope = Scope(run.ledger.family())
    with ThreadPoolExecutor(max_workers=CREATORS, thread_name_prefix="crowd") as pool:
        answers = list(pool.map(lambda i: api.create(_body(scope, i)), range(CROWD)))
    model = OrganizationModel()
    for exchange in answers:
        contact = contact_of(exchange, 201, "POST creates a contact: 201")
        model.contacts[contact["id"]] = contact
    return Crowd(scope, model)


def _scoped_searches(scope: Scope) -> st.SearchStrategy[str]:
    """Texts that hold the crowd's token (so they find the crowd's contacts only)."""
    token = scope.token
    windows = [f"{family}{token}" for family in (*FAMILY_NAMES[:3], *LATIN_FAMILY[:3])]
    windows += [f".{token}@", f"{token}@example.com", f"{token} "]
    return st.sampled_from([token, token.upper(), full_width(token), *windows])


@st.composite
def others(draw: st.DrawFn, crowd: Crowd, parameter: str) -> dict[str, Any]:
    """Values (or OMIT) for every parameter but `parameter` and the enumerated ones, scoped to the crowd."""
    scope, limit, offset = crowd.scope, CONTRACT.limit, CONTRACT.offset
    values: dict[str, Any] = {}
    if parameter != "limit":
        bounds = [limit.minimum, limit.default - 1, limit.default, limit.default + 1, CONTRACT.max_limit]
        values["limit"] = draw(
            st.one_of(st.just(OMIT), st.sampled_from(bounds), st.integers(limit.minimum, CONTRACT.max_limit))
        )
    if parameter != "offset":
        values["offset"] = draw(
            st.one_of(st.just(OMIT), st.sampled_from([offset.minimum, 1]), st.integers(offset.minimum, CROWD))
        )
    if parameter == "company_id":
        company = OMIT
    elif parameter == "search":
        company = draw(st.sampled_from(scope.companies))
    else:
        company = draw(st.sampled_from([OMIT, "", *scope.companies]))
    if parameter != "company_id":
        values["company_id"] = company
    if parameter != "search":
        if company:  # the company scopes the query: any text, from the crowd's own fields
            values["search"] = draw(
                st.one_of(st.just(OMIT), st.sampled_from(crowd.needles()), _scoped_searches(scope))
            )
        else:
            values["search"] = draw(_scoped_searches(scope))
    return values


def _query(params: dict[str, Any]) -> Query:
    return Query(**{name: value for name, value in params.items() if value is not OMIT})


def _sweep(parameter: str) -> list[dict[str, Any]]:
    """Every combination of the enumerated parameters other than `parameter`, each also left out."""
    names = [name for name in ENUMERATED if name != parameter]
    options = [[OMIT, *ENUMERATED[name]] for name in names]
    return [dict(zip(names, combination, strict=True)) for combination in itertools.product(*options)]


@pytest.mark.parametrize("parameter", PARAMETERS)
@settings(max_examples=EXAMPLES)
@given(data=st.data())
def test_leaving_a_parameter_out_is_sending_its_default(
    api: ApiClient, crowd: Crowd, parameter: str, data: st.DataObject
) -> None:
    drawn = data.draw(others(crowd, parameter), label="other parameters")
    for enumerated in _sweep(parameter):
        params = {**drawn, **enumerated}
        sent = {name: value for name, value in params.items() if value is not OMIT}
        omitted = api.list(sent)
        explicit = api.list({**sent, parameter: DEFAULTS[parameter]})
        query = _query({**params, parameter: DEFAULTS[parameter]})
        matching = select(crowd.model.contacts.values(), query)
        pages = []
        for exchange in (omitted, explicit):
            page = page_of(exchange)
            pages.append(page)
            expect_equal(
                (page["total"], page["limit"], page["offset"]),
                (len(matching), query.limit, query.offset),
                "total counts the matches; limit and offset are echoed (defaults from the spec)",
                exchange,
                rule="list-defaults",
            )
            expect_equal(
                len(page["items"]),
                len(matching[query.offset : query.offset + query.limit]),
                "a page holds `limit` items (the default's when left out), or what is left after `offset`",
                exchange,
                rule="list-defaults",
            )
            expect_ordered_page(page["items"], matching, query.offset, query.limit, query.sort, exchange)
        expect_equal(
            pages[0],
            pages[1],
            f"leaving {parameter} out is sending its default {DEFAULTS[parameter]!r}",
            omitted,
            rule="omitted-is-default",
        )


def test_the_crowd_is_larger_than_a_default_page(crowd: Crowd) -> None:
    """The data above can show a default page size: more matches than `limit`'s default."""
    first = crowd.scope.companies[0]
    in_first = [c for c in crowd.model.contacts.values() if c["company_id"] == first]
    assert len(crowd.model.contacts) > CONTRACT.limit.default
    assert len(in_first) > CONTRACT.limit.default
    assert all(fold(crowd.scope.token) in fold(c["last_name"]) for c in crowd.model.contacts.values())
