"""Sort keys next to each other: names drawn from each other, creations spread over time.

Random names almost never come close enough to each other to tell how a
backend orders them; the contract's order is told apart from the usual
mistakes only at near ties. So the names here are drawn from each other: one
last name, the same name extended or cut short, shown in another case or width
(equal once folded: then the first name decides, then the id), with first names
alike. A backend that sorts by one concatenated string, ignores the first name,
breaks ties by creation time, or compares before folding orders them otherwise.

Timestamps are the other sort key. A backend that renders `created_at` from
its stored value in some other way than it sorts by it (fractional seconds
printed without their leading zeros, a local time written with `Z`) shows the
wrong order only when creations fall on both sides of a boundary; here they are
spread over half a second or so, with drawn pauses.

Each example's contacts share one of the run's companies; the pages are compared
with the model exactly, both orders (`readpaths.ReadPaths.page`).
"""

from __future__ import annotations

import time
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from .alphabet import WHITE_SPACE, full_width, joins_cleanly, person_names, unambiguous
from .client import ApiClient
from .contract import active
from .invariants import contact_of
from .model import OrganizationModel, Query
from .readpaths import ReadPaths
from .strategies import Scope

pytestmark = pytest.mark.writes
EXAMPLES = max(2, settings().max_examples // 4)
KIN = ("same", "extended", "cut", "upper", "casefold", "full-width")


def _kin(name: str, how: str, extra: str, cut: int) -> str:
    if how == "extended":
        return name + extra
    if how == "cut":
        return name[: max(1, min(cut, len(name) - 1))]
    if how == "upper":
        return name.upper()
    if how == "casefold":
        return name.casefold()
    if how == "full-width":
        return full_width(name)
    return name


def _usable(text: str) -> bool:
    return bool(text) and text == text.strip(WHITE_SPACE) and len(text) <= 100 and unambiguous(text)


@st.composite
def kin_names(draw: st.DrawFn, size: int) -> list[tuple[str, str]]:
    """`size` (first, last) pairs drawn from one last name and one first name: the name itself,
    the last name extended (by a character that sorts low or high), then any kin."""
    last, first = draw(person_names(None, 40)), draw(person_names(None, 40))
    kinds = [("same", "same"), ("extended", "same"), ("same", "extended")]
    kinds += [(draw(st.sampled_from(KIN)), draw(st.sampled_from(KIN))) for _ in range(size - 3)]
    pairs = []
    for last_kind, first_kind in kinds[:size]:
        extra = draw(st.sampled_from(["0", " Jr", "-Smith", "a", "A", "田", "ß", "𠮷"]))
        kin_last = _kin(last, last_kind, extra, draw(st.integers(1, 8)))
        kin_first = _kin(first, first_kind, extra, draw(st.integers(1, 8)))
        if not (_usable(kin_last) and _usable(kin_first) and joins_cleanly(kin_first, kin_last)):
            kin_first, kin_last = first, last
        pairs.append((kin_first, kin_last))
    return pairs


def _create(api: ApiClient, model: OrganizationModel, body: dict[str, Any]) -> None:
    contact = contact_of(api.create(body), 201, "POST creates a contact: 201")
    model.contacts[contact["id"]] = contact


def _both_orders(paths: ReadPaths, company: str, sort: str) -> None:
    for order in active().orders:
        paths.page(Query(company_id=company, sort=sort, order=order, limit=active().max_limit))


@settings(max_examples=EXAMPLES)
@given(data=st.data())
def test_names_next_to_each_other_sort_by_the_contract(api: ApiClient, run: Any, data: st.DataObject) -> None:
    scope = Scope(run.ledger.family())
    company, model = scope.companies[0], OrganizationModel()
    for i, (first, last) in enumerate(data.draw(kin_names(data.draw(st.integers(3, 6))), label="names")):
        # the token in the email: the names are free to be each other's kin
        body = {"first_name": first, "last_name": last, "email": f"kin{i}.{scope.token}@example.com"}
        _create(api, model, {**body, "company_id": company})
    _both_orders(ReadPaths(api, model, scope.token, scope.companies), company, "name")


@settings(max_examples=EXAMPLES)
@given(pauses=st.lists(st.sampled_from([0.0, 0.03, 0.09, 0.17]), min_size=4, max_size=6))
def test_creations_spread_over_time_sort_by_their_timestamps(
    api: ApiClient, run: Any, pauses: list[float]
) -> None:
    scope = Scope(run.ledger.family())
    company, model = scope.companies[0], OrganizationModel()
    for i, pause in enumerate(pauses):
        time.sleep(pause)
        _create(api, model, {"first_name": f"時{i}", "last_name": f"刻{scope.token}", "company_id": company})
    _both_orders(ReadPaths(api, model, scope.token, scope.companies), company, "created_at")
