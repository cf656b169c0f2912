"""Search: NFKC + casefold substring match on names, full-name forms and email."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from .client import ApiClient
from .contract import active
from .failures import expect_equal
from .invariants import contact_of, expect_ordered_page, page_of
from .model import OrganizationModel, Query, select
from .strategies import Scope, create_bodies, full_width, search_texts

pytestmark = pytest.mark.writes
MAX_LIMIT = active().max_limit


@pytest.fixture
def yamadas(api: ApiClient, scope: Scope) -> dict[str, dict[str, Any]]:
    """山田 太郎 and two near misses, all carrying the scope's token in the last name."""
    t = scope.token
    bodies = {
        "taro": {"first_name": "太郎", "last_name": f"山田{t}", "email": f"taro.{t}@example.com"},
        "hanako": {"first_name": "花子", "last_name": f"山田{t}", "email": f"hanako.{t}@example.co.jp"},
        "latin": {"first_name": "Taro", "last_name": f"Suzuki{t}", "email": None},
    }
    return {
        key: contact_of(api.create(body), 201, "POST creates a contact: 201") for key, body in bodies.items()
    }


def found(api: ApiClient, text: str) -> set[str]:
    exchange = api.list({"search": text, "limit": MAX_LIMIT})
    page = page_of(exchange)
    expect_equal(page["total"], len(page["items"]), "total counts every search hit", exchange)
    return {c["id"] for c in page["items"]}


@pytest.mark.parametrize(
    ("form", "expected"),
    [
        pytest.param("山田{t}太郎", {"taro"}, id="lastfirst"),
        pytest.param("山田{t} 太郎", {"taro"}, id="last-first"),
        pytest.param("太郎 山田{t}", {"taro"}, id="first-last"),
        pytest.param("田{t}", {"taro", "hanako"}, id="last-name-substring"),
        pytest.param("{t}太", {"taro"}, id="spans-last-and-first"),
        pytest.param("taro.{t}", {"taro"}, id="email"),
        pytest.param("TARO.{T}@EXAMPLE", {"taro"}, id="email-upper-case"),
        pytest.param("ｔａｒｏ．{fw}", {"taro"}, id="email-full-width"),
        pytest.param("taro suzuki{t}", {"latin"}, id="first-last-latin"),
        pytest.param("{T}", {"taro", "hanako", "latin"}, id="token-upper-case"),
        pytest.param("{fw}", {"taro", "hanako", "latin"}, id="token-full-width"),
        pytest.param("{t}花子", {"hanako"}, id="lastfirst-hanako"),
        pytest.param("{t}x", set(), id="no-match"),
        pytest.param("山田{t}次郎", set(), id="no-match-other-first-name"),
    ],
)
def test_search_forms(
    api: ApiClient, scope: Scope, yamadas: dict[str, Any], form: str, expected: set[str]
) -> None:
    t = scope.token
    text = form.format(t=t, T=t.upper(), fw=full_width(t))
    hits = found(api, text)
    expect_equal(
        sorted(hits),
        sorted(yamadas[key]["id"] for key in expected),
        f"search {text!r} finds exactly {sorted(expected) or 'nothing'}",
        None,
        rule="search-forms",
    )


@given(data=st.data())
def test_every_contract_form_finds_its_contact(api: ApiClient, run: Any, data: st.DataObject) -> None:
    scope = Scope(run.ledger.family())
    bodies = data.draw(st.lists(create_bodies(scope), min_size=1, max_size=4))
    model = OrganizationModel()
    for body in bodies:
        contact = contact_of(api.create(body), 201, "POST creates a contact: 201")
        model.contacts[contact["id"]] = contact
    target = data.draw(st.sampled_from(list(model.contacts.values())))
    text = data.draw(search_texts(target, scope))
    exchange = api.list({"search": text, "limit": MAX_LIMIT})
    page = page_of(exchange)
    matching = select(model.contacts.values(), Query(search=text, limit=MAX_LIMIT))
    expect_equal(
        sorted(c["id"] for c in page["items"]),
        sorted(c["id"] for c in matching),
        f"search {text!r} finds exactly the contacts whose forms contain it (NFKC + casefold)",
        exchange,
    )
    expect_equal(page["total"], len(matching), "total counts the search hits", exchange)
    expect_ordered_page(page["items"], matching, 0, MAX_LIMIT, "created_at", exchange)
