"""A rule-based state machine against an oracle of what the organization must contain.

Each machine run owns a fresh scope (token and companies). Rules create, get,
patch (partial, null-clearing, empty, same values), move (a patch of only what
places a contact: names, email, company), delete, list with random search /
company_id / sort / order / limit / offset, and search the run's data with
needles drawn from it (`ReadPaths.searches`); after every step the
server's answer must equal the model's: every field, `total`, page contents
and their order. After every create, patch and delete the contact is also
observed through every read path (`readpaths.py`), and half the writes draw
their data from the whole range the contract admits (`alphabet.py`); see
docs/read-paths.md.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    consumes,
    precondition,
    rule,
    run_state_machine_as_test,
)

from .alphabet import varied_create_bodies, varied_patch_bodies
from .client import ApiClient
from .conftest import STATE_MACHINE_RUNS
from .failures import expect, expect_equal
from .invariants import (
    check_deleted,
    check_error,
    check_location,
    check_patched,
    check_writable,
    contact_of,
    expect_ordered_page,
    page_of,
)
from .model import (
    OrganizationModel,
    Query,
    expected_new_contact,
    select,
)
from .nearby import near_patches
from .readpaths import ReadPaths
from .rejections import BodyFields, body_fields, check_refused, check_scope, rejected_writes
from .strategies import Scope, create_bodies, list_queries, patch_bodies

# What places a contact in the lists: search, sort=name and the company filter look at these.
PLACING = ("first_name", "last_name", "email", "company_id")


class ContactsMachine(RuleBasedStateMachine):
    api: ApiClient
    new_scope: Any  # () -> Scope, set by the test
    fields: BodyFields  # the request bodies' rules, read from the spec (set by the test)
    other_token: str | None = None  # organization B, for refused cross-organization writes

    contacts = Bundle("contacts")
    deleted = Bundle("deleted")

    def __init__(self) -> None:
        super().__init__()
        self.scope: Scope = type(self).new_scope()
        self.model = OrganizationModel()
        self.known: set[str] = set()  # ids seen live at a refused write (those gone since: deleted ids)
        # Every write is then observed through every read path (readpaths.py).
        self.paths = ReadPaths(self.api, self.model, self.scope.token, self.scope.companies)

    @rule(target=contacts, data=st.data())
    def create(self, data: st.DataObject) -> str:
        body = data.draw(
            st.one_of(create_bodies(self.scope), varied_create_bodies(self.scope.token, self.scope.companies))
        )
        exchange = self.api.create(body)
        contact = contact_of(exchange, 201, "POST creates a contact: 201")
        check_location(exchange, contact["id"])
        check_writable(
            contact, expected_new_contact(body), "POST stores what was sent (names trimmed)", exchange
        )
        expect(
            contact["id"] not in self.model.contacts, "every create gets a new id", exchange, contact["id"]
        )
        self.model.contacts[contact["id"]] = contact
        self.paths.written(data, contact["id"], None)
        return str(contact["id"])

    @rule(contact_id=contacts)
    def get(self, contact_id: str) -> None:
        if contact_id not in self.model.contacts:
            return
        exchange = self.api.get(contact_id)
        expect_equal(
            contact_of(exchange, 200, "GET finds a live contact"),
            self.model.contacts[contact_id],
            "GET returns the contact as the model has it",
            exchange,
        )

    @rule(contact_id=contacts, data=st.data())
    def patch(self, contact_id: str, data: st.DataObject) -> None:
        current = self.model.contacts.get(contact_id)
        if current is None:
            return
        patch = data.draw(
            st.one_of(
                patch_bodies(self.scope, current),
                varied_patch_bodies(self.scope.token, self.scope.companies, current),
                # values next to the current ones (another case, width or form): still a change
                near_patches(current, self.scope.token),
            )
        )
        self.patched(contact_id, current, patch, data)

    @precondition(lambda self: bool(self.model.contacts))
    @rule(data=st.data())
    def move(self, data: st.DataObject) -> None:
        """A PATCH of only what places a contact (names, email, company: what search, sort=name
        and the company filter look at) of a live contact: a server that keeps any of them apart
        from the contact (an index, a cache, a key column) shows it in the old place."""
        current = self.model.contacts[self.paths.live(data, "moved contact")["id"]]
        patch = data.draw(
            st.one_of(
                patch_bodies(self.scope, current),
                varied_patch_bodies(self.scope.token, self.scope.companies, current),
            )
        )
        placing = {name: value for name, value in patch.items() if name in PLACING}
        self.patched(current["id"], current, placing, data)

    def patched(
        self, contact_id: str, current: dict[str, Any], patch: dict[str, Any], data: st.DataObject
    ) -> None:
        exchange = self.api.patch(contact_id, patch)
        updated = contact_of(exchange, 200, "PATCH with valid fields succeeds")
        check_patched(current, patch, updated, exchange)
        self.model.contacts[contact_id] = updated
        self.paths.written(data, contact_id, current)

    @rule(target=deleted, contact_id=consumes(contacts), data=st.data())
    def delete(self, contact_id: str, data: st.DataObject) -> str:
        if contact_id in self.model.contacts:
            exchange = self.api.delete(contact_id)
            expect_status_success = exchange.status == 200
            expect(
                expect_status_success, "DELETE of a live contact is 200", exchange, f"got {exchange.status}"
            )
            check_deleted(exchange)
            self.paths.deleted(data, self.model.contacts.pop(contact_id))
        return contact_id

    @rule(contact_id=deleted, method=st.sampled_from(["GET", "PATCH", "DELETE"]))
    def deleted_is_gone(self, contact_id: str, method: str) -> None:
        exchange = self.api.request(
            method, f"/api/v1/crm/contacts/{contact_id}", json={"note": "x"} if method == "PATCH" else None
        )
        check_error(exchange, 404, f"{method} of a deleted contact is 404")

    @rule(data=st.data())
    def list_page(self, data: st.DataObject) -> None:
        params = data.draw(list_queries(self.scope, len(self.model.contacts)))
        exchange = self.api.list(params)
        page = page_of(exchange)
        query = Query(**params)
        matching = select(self.model.contacts.values(), query)
        expect_equal(page["total"], len(matching), "total equals the number of matching contacts", exchange)
        expect_equal(
            (page["limit"], page["offset"]),
            (query.limit, query.offset),
            "the page echoes limit and offset",
            exchange,
        )
        expect_ordered_page(page["items"], matching, query.offset, query.limit, query.sort, exchange)

    @precondition(lambda self: bool(self.model.contacts))
    @rule(data=st.data())
    def search(self, data: st.DataObject) -> None:
        """The run's data searched away from any write (`ReadPaths.searches`)."""
        self.paths.read(self.paths.searches(data))

    @rule(data=st.data())
    def refused_write(self, data: st.DataObject) -> None:
        """A write the contract refuses (any kind, rejections.py) changes nothing the model holds."""
        gone = sorted(self.known - set(self.model.contacts))
        self.known |= set(self.model.contacts)
        live = list(self.model.contacts.values())
        token = self.api.token or ""
        write = data.draw(rejected_writes(self.fields, self.scope, live, gone, token, self.other_token))
        exchange = check_refused(self.api, write)
        check_scope(self.api, self.scope.token, self.model.contacts, exchange, gone)


# The profile's machine runs are split into independent shards (each its own scope), so that
# parallel workers can run them side by side: against a slow deployment one long serial chain of
# requests would otherwise set the wall time of the whole run.
SHARDS = 3


@pytest.mark.writes
@pytest.mark.parametrize("shard", range(1, SHARDS + 1))
def test_the_server_behaves_like_the_model(api: ApiClient, run: Any, shard: int) -> None:
    ContactsMachine.api = api
    ContactsMachine.new_scope = staticmethod(lambda: Scope(run.ledger.family()))
    ContactsMachine.fields = body_fields(run.document)
    ContactsMachine.other_token = run.get_target().other_org_token
    runs = STATE_MACHINE_RUNS[run.settings.profile] // SHARDS
    run_state_machine_as_test(ContactsMachine, settings=settings(settings(), max_examples=max(1, runs)))
