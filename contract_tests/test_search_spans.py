"""Search text that spans two fields: found only where one of the contract's forms holds it.

The contract's search forms are the names, the email, "last first", "lastfirst"
and "first last": a text is found when it is a substring of one of them. Real
backends build something near that and differ exactly at the joins: one column
`concat_ws(' ', last, first, email)` (so "first email" spans match), the words of
the text matched one by one anywhere (AND), "firstlast" indexed too. Needles drawn
from inside one field never reach a join; these are cut across one: the end of
one field, a space or nothing, the start of another, in every order, so that the
forms the contract lists must match and the ones it does not list must not.

Every search is sent with the run's company as a second filter, so the page is
the run's alone and is compared with the model exactly (`readpaths.ReadPaths.page`).
"""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from .alphabet import WHITE_SPACE, unambiguous, varied_create_bodies
from .client import ApiClient
from .contract import active
from .invariants import contact_of
from .model import OrganizationModel, Query
from .readpaths import ReadPaths
from .strategies import DOMAINS, Scope, create_bodies

pytestmark = pytest.mark.writes
EXAMPLES = max(2, settings().max_examples // 4)
FIELDS = ("first_name", "last_name", "email")


def _shown(text: str, how: str) -> str:
    return text.upper() if how == "upper" else text.casefold() if how == "casefold" else text


@st.composite
def spanning_needles(draw: st.DrawFn, contact: dict[str, Any]) -> list[str]:
    """For every two fields in either order, joined by a space and by nothing: the end of the
    one and the start of the other (1 to 4 characters each), shown as is, upper-cased or folded."""
    needles = []
    for first, second in itertools.permutations(FIELDS, 2):
        if not (contact.get(first) and contact.get(second)):
            continue
        for joint in (" ", ""):
            tail = contact[first][-draw(st.integers(1, 4)) :]
            head = contact[second][: draw(st.integers(1, 4))]
            needle = _shown(tail + joint + head, draw(st.sampled_from(["as-is", "upper", "casefold"])))
            if needle == needle.strip(WHITE_SPACE) and unambiguous(needle):
                needles.append(needle)
    return needles


@settings(max_examples=EXAMPLES)
@given(data=st.data())
def test_text_across_fields_finds_only_what_a_form_holds(
    api: ApiClient, run: Any, data: st.DataObject
) -> None:
    scope = Scope(run.ledger.family())
    company = scope.companies[0]
    bodies = data.draw(
        st.lists(
            st.one_of(create_bodies(scope), varied_create_bodies(scope.token, [company])),
            min_size=2,
            max_size=4,
        ),
        label="creates",
    )
    if not bodies[0].get("email"):
        # The subject holds every searched field, so a text spanning any two of them is asked in
        # every example (a third of drawn bodies have an email: whole runs had none).
        domain = data.draw(st.sampled_from(DOMAINS), label="the subject's email domain")
        bodies[0] = {**bodies[0], "email": f"span.{scope.token}@{domain}"}
    model = OrganizationModel()
    for body in bodies:
        contact = contact_of(api.create({**body, "company_id": company}), 201, "POST creates a contact: 201")
        model.contacts[contact["id"]] = contact
    paths = ReadPaths(api, model, scope.token, scope.companies)
    subject = next(iter(model.contacts.values()))
    for needle in data.draw(spanning_needles(subject), label="needles"):
        paths.page(Query(search=needle, company_id=company, limit=active().max_limit))
