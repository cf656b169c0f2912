"""Deliberately broken variants of the reference mock, and the one registry of them.

Each :class:`PlantedBug` is the real mock plus modifiers (``mock_server.modifiers``:
spec edits, an organization factory, handler wraps, request/response rewrites),
never a patch of the mock's internals: organization subclasses override public
methods only. Each carries one commented ``BUG:`` and the contract tests that
must catch it, with the stable id of the invariant they must report.

``REGISTRY`` is the only inventory: ``test_planted_bugs.py`` derives its rows
from it and ``docs/planted-bugs.md``'s table is generated from it
(``python -m tests.suite.bugs --table``; a test keeps the two in sync).
Every bug is also an app factory for the suite's ``--app`` option:

    pytest contract_tests --app tests.suite.bugs:<name>

Apps with different bugs are independent (no global state), so one process may
build any number of them.
"""

from __future__ import annotations

import asyncio
import json
import re
import sys
import time
import unicodedata
from collections.abc import Callable, Iterator, MutableMapping
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import parse_qsl, urlencode

from starlette.datastructures import MutableHeaders
from starlette.middleware import Middleware
from starlette.requests import cookie_parser

from contract_tests.contract import default as default_contract
from mock_server.errors import ApiError, FieldError, NotFound, ValidationFailed
from mock_server.handlers import Call, Handler, Reply
from mock_server.modifiers import (
    EditSpec,
    Modifier,
    OrganizationFactory,
    RewriteRequest,
    RewriteResponse,
    WrapHandler,
    build_app,
    header,
    read_body,
    replace_contact,
    set_header,
)
from mock_server.query import ListQuery, Page, fold, name_sort_key
from mock_server.store import Contact, Organization

Scope = MutableMapping[str, Any]
CONTRACT = default_contract()
ORG_A_TOKEN = "dev-token-org-a"  # fixtures/seed.json
JSON_TYPE = "application/json"
EVERYTHING = 10**9  # a limit that returns every match
THOROUGH = ("--profile", "thorough")


@dataclass(frozen=True)
class Catch:
    """Where a bug must be caught: contract tests (a file, `-k`) and the invariant id they report."""

    file: str  # under contract_tests/
    keyword: str  # pytest -k expression within the file
    rule: str  # the stable id the failure names: "Contract violated [<rule>]" / "[<rule>]"
    # More pytest options. Rows whose test finds the bug by random search (the state machine,
    # property tests) run the thorough budget: no shrinking, so it costs only until the first hit.
    options: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        return self.keyword.split()[0]


@dataclass(frozen=True)
class PlantedBug:
    name: str
    summary: str  # what is wrong, one sentence
    modifiers: Callable[[], tuple[Modifier, ...]]
    catches: tuple[Catch, ...]

    def app(self) -> Any:
        return build_app(*self.modifiers())

    def __call__(self) -> Any:
        """A bug is its own app factory (`--app tests.suite.bugs:<name>`)."""
        return self.app()


REGISTRY: list[PlantedBug] = []


def planted(summary: str, *catches: Catch) -> Callable[[Callable[[], tuple[Modifier, ...]]], PlantedBug]:
    def register(modifiers: Callable[[], tuple[Modifier, ...]]) -> PlantedBug:
        bug = PlantedBug(modifiers.__name__, summary, modifiers, catches)
        REGISTRY.append(bug)
        return bug

    return register


def organizations(cls: type[Organization]) -> tuple[Modifier, ...]:
    return (OrganizationFactory(cls),)


# --------------------------------------------------------------------------- helpers (public API only)


def _everything(org: Organization, query: ListQuery, **changes: Any) -> list[Contact]:
    """Every match of `query` (with `changes`) in the store's own order."""
    return list(Organization.page(org, replace(query, offset=0, limit=EVERYTHING, **changes)).items)


def _window(hits: list[Contact], query: ListQuery) -> Page:
    return Page(hits[query.offset : query.offset + query.limit], len(hits), query.limit, query.offset)


def _query_items(scope: Scope) -> list[tuple[str, str]]:
    return parse_qsl(scope["query_string"].decode("latin-1"), keep_blank_values=True)


def _json_object(scope: Scope, raw: bytes) -> dict[str, Any] | None:
    """The request body as a JSON object, when it is one the mock would go on to validate."""
    content_type = (header(scope, "content-type") or "").split(";")[0].strip().lower()
    if content_type != JSON_TYPE or len(raw) > CONTRACT.max_body_bytes:
        return None
    try:
        value = json.loads(raw)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def _dump(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False).encode("utf-8")


def _now_after(contact: Contact) -> int:
    return max(time.time_ns() // 1000, contact.updated_us + 1)


# --------------------------------------------------------------------------- listing


class _TotalIsPageSize(Organization):
    def page(self, query: ListQuery) -> Page:
        page = super().page(query)
        # BUG: total counts the items on this page instead of every matching contact.
        return Page(page.items, len(page.items), page.limit, page.offset)


@planted(
    "the list's `total` is the number of items on the page.",
    Catch("test_listing.py", "test_pages_partition_the_result and 1-asc-created_at", "total-counts-matches"),
)
def total_is_page_size() -> tuple[Modifier, ...]:
    return organizations(_TotalIsPageSize)


class _OffsetSkipsOne(Organization):
    def page(self, query: ListQuery) -> Page:
        # BUG: the start is computed as page * (limit + 1): every page skips one more item.
        start = query.offset + query.offset // query.limit
        page = super().page(replace(query, offset=start))
        return Page(page.items, page.total, query.limit, query.offset)


@planted(
    "each page starts one item further than `offset` says (per page already turned).",
    Catch("test_listing.py", "test_pages_partition_the_result and 5-asc-created_at", "pages-partition"),
)
def offset_skips_one() -> tuple[Modifier, ...]:
    return organizations(_OffsetSkipsOne)


def _sort_key(contact: Contact, sort: str) -> tuple[Any, ...]:
    if sort == "name":
        return name_sort_key(contact.first_name, contact.last_name)
    return (contact.created_us,)


class _DescTiesAscending(Organization):
    def page(self, query: ListQuery) -> Page:
        if not query.descending:
            return super().page(query)
        ascending = _everything(self, query, order="asc")
        # BUG: a stable sort on the key alone with reverse=True: the keys are reversed, but
        # ties keep the ascending id order (the contract breaks ties by id in the same direction).
        return _window(sorted(ascending, key=lambda c: _sort_key(c, query.sort), reverse=True), query)


@planted(
    "order=desc reverses the sort keys but still breaks ties by id ascending.",
    Catch("test_listing.py", "test_desc_is_the_exact_reverse_of_asc and name", "desc-reverses-asc"),
)
def desc_ties_ascending() -> tuple[Modifier, ...]:
    return organizations(_DescTiesAscending)


class _CompanyFilterIgnoredWithSearch(Organization):
    def page(self, query: ListQuery) -> Page:
        if query.search:
            # BUG: the search branch of the query builder forgets the company filter.
            query = replace(query, company_id="")
        return super().page(query)


@planted(
    "company_id is ignored when a search text is given too.",
    Catch("test_listing.py", "test_company_filter_alone_and_with_search", "company-filter"),
)
def company_filter_ignored_with_search() -> tuple[Modifier, ...]:
    return organizations(_CompanyFilterIgnoredWithSearch)


class _NameSortCaseSensitive(Organization):
    def page(self, query: ListQuery) -> Page:
        if query.sort != "name":
            return super().page(query)
        hits = _everything(self, query)
        # BUG: sort=name orders by the raw strings (binary collation), no NFKC, no case folding.
        hits.sort(key=lambda c: (c.last_name, c.first_name, c.id), reverse=query.descending)
        return _window(hits, query)


@planted(
    'sort=name compares raw names ("Smith" < "de la Cruz" < "ＫＩＭ"), not their folded forms.',
    Catch("test_listing.py", "test_sort_is_monotonic and name", "sort-order"),
)
def name_sort_case_sensitive() -> tuple[Modifier, ...]:
    return organizations(_NameSortCaseSensitive)


def _limit_clamp(scope: Scope) -> Scope:
    items = _query_items(scope)
    for i, (name, value) in enumerate(items):
        if name == "limit":
            if value.isdigit() and int(value) > CONTRACT.max_limit:
                # BUG: min(limit, maximum) where the contract says 400.
                items[i] = (name, str(CONTRACT.max_limit))
                return {**scope, "query_string": urlencode(items).encode("latin-1")}
            break
    return scope


@planted(
    "a limit over the maximum is silently clamped to it instead of being rejected with 400.",
    Catch("test_listing.py", "test_limits_out_of_range_are_rejected and 201", "limit-bounds"),
)
def limit_clamped() -> tuple[Modifier, ...]:
    return (RewriteRequest(scope=_limit_clamp),)


def _default_limit_20(scope: Scope) -> Scope:
    if any(name == "limit" for name, _ in _query_items(scope)):
        return scope
    query = scope["query_string"]
    # BUG: the framework's default page size (20) instead of the spec's default.
    return {**scope, "query_string": query + (b"&" if query else b"") + b"limit=20"}


@planted(
    "without `limit` a page holds at most 20 contacts (the contract: its default, 50).",
    Catch("test_listing.py", "test_defaults_are_the_specs", "list-defaults"),
)
def default_limit_20() -> tuple[Modifier, ...]:
    return (RewriteRequest(scope=_default_limit_20),)


# --------------------------------------------------------------------------- search


def _casefold(text: str) -> str:
    return text.casefold()


def _nfkc(text: str) -> str:
    return unicodedata.normalize("NFKC", text)


class _SearchOrganization(Organization):
    """Search by the class's forms and normalization instead of the contract's (public calls only)."""

    normalize: Callable[[str], str] = staticmethod(fold)
    with_email = True
    with_first_last = True

    def forms(self, contact: Contact) -> list[str]:
        first, last = self.normalize(contact.first_name), self.normalize(contact.last_name)
        forms = [f"{last} {first}", f"{last}{first}"]
        if self.with_first_last:
            forms.append(f"{first} {last}")
        if self.with_email and contact.email:
            forms.append(self.normalize(contact.email))
        return forms

    def page(self, query: ListQuery) -> Page:
        if not query.search:
            return super().page(query)
        return self.matching(query, lambda form: query.search in form)

    def matching(self, query: ListQuery, hit: Callable[[str], object]) -> Page:
        """The page of `query` over the contacts one of whose forms `hit` accepts."""
        candidates = _everything(self, query, search="")
        return _window([c for c in candidates if any(hit(f) for f in self.forms(c))], query)


class _SearchIgnoresEmail(_SearchOrganization):
    # BUG: the email is not among the searchable forms.
    with_email = False


@planted(
    "search looks at the names only, never at the email.",
    Catch("test_search.py", "test_search_forms and email and not upper and not full", "search-forms"),
)
def search_ignores_email() -> tuple[Modifier, ...]:
    return organizations(_SearchIgnoresEmail)


class _SearchNoFirstLast(_SearchOrganization):
    # BUG: only "last first" and "lastfirst" are indexed; the "first last" full name is not.
    with_first_last = False


@planted(
    '"太郎 山田" (first last) finds nothing; the single names and "山田 太郎" still work.',
    Catch("test_search.py", "test_search_forms and first-last-latin", "search-forms"),
)
def search_no_first_last_form() -> tuple[Modifier, ...]:
    return organizations(_SearchNoFirstLast)


def _search_normalized_by(normalize: Callable[[str], str]) -> Callable[[Call, Handler], Reply]:
    """The list handler with the raw search text normalized by `normalize` instead of the contract's fold."""

    def list_contacts(call: Call, handler: Handler) -> Reply:
        query = replace(ListQuery.from_params(call.query), search=normalize(call.query.get("search") or ""))
        page = call.org.page(query)
        body = {"items": [c.to_json() for c in page.items], "total": page.total}
        return Reply({**body, "limit": page.limit, "offset": page.offset})

    return list_contacts


class _SearchCasefoldOnly(_SearchOrganization):
    # BUG: case folding without NFKC, for the data...
    normalize = staticmethod(_casefold)


@planted(
    'search case-folds but does not apply NFKC: full-width "ｔａｒｏ" does not find "taro".',
    Catch("test_search.py", "test_search_forms and token-full-width", "search-forms"),
)
def search_without_nfkc() -> tuple[Modifier, ...]:
    # BUG: ...and for the search text.
    return (
        *organizations(_SearchCasefoldOnly),
        WrapHandler("listContacts", _search_normalized_by(_casefold)),
    )


class _SearchNfkcOnly(_SearchOrganization):
    # BUG: NFKC without case folding, for the data...
    normalize = staticmethod(_nfkc)


@planted(
    'search is case-sensitive (NFKC only): "TARO" does not find "taro".',
    Catch("test_search.py", "test_search_forms and token-upper-case", "search-forms"),
)
def search_case_sensitive() -> tuple[Modifier, ...]:
    # BUG: ...and for the search text.
    return (*organizations(_SearchNfkcOnly), WrapHandler("listContacts", _search_normalized_by(_nfkc)))


# --------------------------------------------------------------------------- writes


class _PatchClobbersUnsent(Organization):
    def update(self, contact_id: str, changes: Any) -> Contact | None:
        # BUG: PATCH is implemented as a replace: every optional field not sent becomes null.
        return super().update(contact_id, {**dict.fromkeys(CONTRACT.optional_fields), **changes})


@planted(
    "PATCH sets every optional field that was not sent to null.",
    Catch("test_crud.py", "test_null_clears_an_optional_field and email", "patch-null-clears"),
)
def patch_clobbers_unsent() -> tuple[Modifier, ...]:
    return organizations(_PatchClobbersUnsent)


class _EmptyPatchBumpsUpdatedAt(Organization):
    def update(self, contact_id: str, changes: Any) -> Contact | None:
        current = self.get(contact_id)
        if current is not None and not changes:
            # BUG: `PATCH {}` "touches" the contact: updated_at moves although nothing changed.
            return replace_contact(self, replace(current, updated_us=_now_after(current)))
        return super().update(contact_id, changes)


@planted(
    "an empty PATCH moves updated_at.",
    Catch("test_crud.py", "test_empty_patch_changes_nothing", "empty-patch-changes-nothing"),
)
def empty_patch_bumps_updated_at() -> tuple[Modifier, ...]:
    return organizations(_EmptyPatchBumpsUpdatedAt)


class _PatchNullIgnored(Organization):
    def update(self, contact_id: str, changes: Any) -> Contact | None:
        # BUG: null values are dropped like absent ones, so null never clears a field.
        return super().update(contact_id, {k: v for k, v in changes.items() if v is not None})


@planted(
    "PATCH with null leaves the optional field as it was instead of clearing it.",
    Catch("test_crud.py", "test_null_clears_an_optional_field and email", "patch-null-clears"),
)
def patch_null_ignored() -> tuple[Modifier, ...]:
    return organizations(_PatchNullIgnored)


def _drop_null_names(scope: Scope, raw: bytes) -> bytes:
    body = _json_object(scope, raw)
    if scope["method"] != "PATCH" or body is None:
        return raw
    names = [name for name in ("first_name", "last_name") if name in body and body[name] is None]
    if not names:
        return raw
    # BUG: a null name is treated as "not sent" before validation, so it is accepted.
    return _dump({k: v for k, v in body.items() if k not in names})


@planted(
    "PATCH with a null first_name/last_name answers 200 (the name is kept) instead of 400.",
    Catch("test_crud.py", "test_names_may_not_be_null_or_empty and null-first_name", "names-required"),
)
def patch_accepts_null_name() -> tuple[Modifier, ...]:
    return (RewriteRequest(body=_drop_null_names),)


class _PatchMovesCreatedAt(Organization):
    def update(self, contact_id: str, changes: Any) -> Contact | None:
        current = self.get(contact_id)
        updated = super().update(contact_id, changes)
        if updated is None or updated is current:
            return updated
        # BUG: the update stamps both timestamps, so created_at moves with every change.
        return replace_contact(self, replace(updated, created_us=updated.updated_us))


@planted(
    "a PATCH that changes something also moves created_at.",
    Catch(
        "test_crud.py",
        "test_a_real_change_moves_updated_at_and_nothing_else",
        "patch-keeps-id-and-created-at",
    ),
    Catch(
        "test_stateful.py",
        "test_the_server_behaves_like_the_model",
        "patch-keeps-id-and-created-at",
        THOROUGH,
    ),
)
def patch_moves_created_at() -> tuple[Modifier, ...]:
    return organizations(_PatchMovesCreatedAt)


class _RealChangeKeepsUpdatedAt(Organization):
    def update(self, contact_id: str, changes: Any) -> Contact | None:
        current = self.get(contact_id)
        updated = super().update(contact_id, changes)
        if current is None or updated is None or updated is current:
            return updated
        # BUG: updated_at is never written by PATCH: it keeps its creation value.
        return replace_contact(self, replace(updated, updated_us=current.updated_us))


@planted(
    "a PATCH that changes a field does not move updated_at.",
    Catch(
        "test_crud.py",
        "test_a_real_change_moves_updated_at_and_nothing_else",
        "real-change-moves-updated-at",
    ),
    Catch("test_crud.py", "test_patch_changes_only_what_it_sends", "real-change-moves-updated-at", THOROUGH),
)
def real_change_keeps_updated_at() -> tuple[Modifier, ...]:
    return organizations(_RealChangeKeepsUpdatedAt)


class _DeleteIsNoop(Organization):
    def delete(self, contact_id: str) -> bool:
        # BUG: the delete is never carried out; the existence check alone answers success.
        return self.get(contact_id) is not None


@planted(
    'DELETE answers 200 {"success": true}, but the contact stays.',
    Catch("test_crud.py", "test_delete_removes_the_contact_everywhere", "delete-removes"),
)
def delete_is_noop() -> tuple[Modifier, ...]:
    return organizations(_DeleteIsNoop)


class _NamesStoredAs(Organization):
    """Names stored as `stored_name` makes them of what was sent, on POST and PATCH alike."""

    def stored_name(self, sent: str) -> str:
        raise NotImplementedError

    def create(self, values: Any) -> Contact:
        contact = super().create(values)
        names = {name: self.stored_name(values[name]) for name in ("first_name", "last_name")}
        return replace_contact(self, replace(contact, **names))

    def update(self, contact_id: str, changes: Any) -> Contact | None:
        updated = super().update(contact_id, changes)
        names = {n: self.stored_name(changes[n]) for n in ("first_name", "last_name") if n in changes}
        if updated is None or not names:
            return updated
        return replace_contact(self, replace(updated, **names))


class _NamesNotTrimmed(_NamesStoredAs):
    def stored_name(self, sent: str) -> str:
        # BUG: the names are stored as sent (the trimmed values are only used for validation).
        return sent


@planted(
    "first_name and last_name are stored with their surrounding white space.",
    Catch("test_errors.py", "test_edge_values_are_accepted_as_given and value7", "stored-as-given"),
)
def names_not_trimmed() -> tuple[Modifier, ...]:
    return organizations(_NamesNotTrimmed)


def _drop_unknown(scope: Scope, raw: bytes) -> bytes:
    body = _json_object(scope, raw)
    if body is None or set(body) <= set(CONTRACT.writable_fields):
        return raw
    # BUG: the body model ignores extra fields (a lenient "extra = ignore" model).
    return _dump({k: v for k, v in body.items() if k in CONTRACT.writable_fields})


@planted(
    "unknown body fields are silently dropped instead of rejected with 400.",
    Catch(
        "test_errors.py",
        "test_invalid_fields_are_400_naming_the_field and nickname",
        "invalid-field-rejected",
    ),
)
def unknown_fields_accepted() -> tuple[Modifier, ...]:
    return (RewriteRequest(body=_drop_unknown),)


# --------------------------------------------------------------------------- organizations


class _Directory:
    """This app's organizations as its factory builds them, so a handler can reach across them."""

    def __init__(self) -> None:
        self.organizations: dict[str, Organization] = {}

    def factory(self) -> Modifier:
        directory = self

        class Listed(Organization):
            def __init__(self, org_id: str, *args: Any) -> None:
                super().__init__(org_id, *args)
                directory.organizations[org_id] = self

        return OrganizationFactory(Listed)

    def anyone_s(self, contact_id: str) -> Contact | None:
        """The contact with this id in any organization (a lookup that forgets the caller)."""
        found = (org.get(contact_id) for org in self.organizations.values())
        return next((contact for contact in found if contact is not None), None)


@planted(
    "GET by id finds the contacts of every organization, not only the caller's.",
    Catch("test_security.py", "test_organizations_see_only_their_own_creations", "organization-isolation"),
)
def cross_org_read() -> tuple[Modifier, ...]:
    directory = _Directory()

    def unscoped_get(call: Call, handler: Handler) -> Reply:
        # BUG: the lookup by id is not scoped to the caller's organization.
        contact = directory.anyone_s(call.path["id"])
        if contact is None:
            raise NotFound("Contact not found.")
        return Reply({"contact": contact.to_json()})

    return (directory.factory(), WrapHandler("getContact", unscoped_get))


class _Forbidden(ApiError):
    status = 403
    code = "forbidden"
    default_message = "This contact belongs to another organization."


@planted(
    "another organization's contact is answered 403 forbidden, revealing that it exists.",
    Catch("test_security.py", "test_another_organization_cannot_touch_or_see_a_contact", "documented-status"),
)
def cross_org_403() -> tuple[Modifier, ...]:
    directory = _Directory()

    def owner_checked(call: Call, handler: Handler) -> Reply:
        if call.org.get(call.path["id"]) is None and directory.anyone_s(call.path["id"]) is not None:
            # BUG: an ownership check that says "not yours" (403) instead of "not found" (404).
            raise _Forbidden()
        return handler(call)

    operations = ("getContact", "updateContact", "deleteContact")
    return (directory.factory(), *(WrapHandler(op, owner_checked) for op in operations))


# --------------------------------------------------------------------------- authentication


def _fall_back_to_org_a(scope: Scope) -> Scope:
    authorization = header(scope, "authorization")
    scheme, _, token = (authorization or "").strip().partition(" ")
    if scheme.lower() == "bearer" and token.strip() and token.strip() not in _KNOWN_TOKENS:
        # BUG: an unknown token is not refused: the caller gets the default organization.
        return set_header(scope, "authorization", f"Bearer {ORG_A_TOKEN}")
    return scope


_KNOWN_TOKENS = {"dev-token-org-a", "dev-token-org-b"}  # fixtures/seed.json


@planted(
    "any Bearer token is accepted, as organization A.",
    Catch(
        "test_security.py",
        "test_every_operation_requires_valid_credentials and list-wrong-token",
        "credentials-required",
    ),
)
def any_bearer_accepted() -> tuple[Modifier, ...]:
    return (RewriteRequest(scope=_fall_back_to_org_a),)


def _drop_cookie(scope: Scope) -> Scope:
    # BUG: only the Authorization header is looked at.
    return set_header(scope, "cookie", None)


@planted(
    "the session cookie is never read, so cookie-only requests get 401.",
    Catch(
        "test_crud.py",
        "test_each_credential_style_works_for_every_operation and cookie",
        "each-credential-style-works",
    ),
)
def cookie_ignored() -> tuple[Modifier, ...]:
    return (RewriteRequest(scope=_drop_cookie),)


def _cookie_first(scope: Scope) -> Scope:
    cookie = header(scope, "cookie")
    if cookie and cookie_parser(cookie).get(CONTRACT.cookie_name) and header(scope, "authorization"):
        # BUG: the session cookie is checked first and, when present, the header is not looked at.
        return set_header(scope, "authorization", None)
    return scope


@planted(
    "when a Bearer header and the session cookie are both sent, the cookie decides.",
    Catch("test_security.py", "test_the_bearer_header_decides_over_the_cookie", "bearer-decides"),
)
def bearer_loses_to_cookie() -> tuple[Modifier, ...]:
    return (RewriteRequest(scope=_cookie_first),)


# --------------------------------------------------------------------------- statuses, headers, bodies


def _drop_location(scope: Scope, status: int, headers: MutableHeaders, body: bytes) -> tuple[int, bytes]:
    if status == 201:
        # BUG: the created resource's URL is never set.
        del headers["location"]
    return status, body


@planted(
    "a 201 carries no Location header.",
    Catch("test_crud.py", "test_created_ids_are_fresh", "location-on-201"),
    Catch("test_schema.py", "test_operation_conforms_to_the_spec and POST", "location-on-201"),
)
def no_location_header() -> tuple[Modifier, ...]:
    return (RewriteResponse(_drop_location),)


def _always_200(scope: Scope, status: int, headers: MutableHeaders, body: bytes) -> tuple[int, bytes]:
    # BUG: the framework's default success status for every method.
    return (200 if scope["method"] == "POST" and status == 201 else status), body


@planted(
    "POST answers 200 instead of 201.",
    Catch("test_crud.py", "test_created_ids_are_fresh", "documented-status"),
)
def create_returns_200() -> tuple[Modifier, ...]:
    return (RewriteResponse(_always_200),)


def _framework_404(scope: Scope, status: int, headers: MutableHeaders, body: bytes) -> tuple[int, bytes]:
    if status != 404:
        return status, body
    # BUG: the framework's own not-found body leaks through.
    headers["content-type"] = JSON_TYPE
    return status, _dump({"message": "Not found"})


@planted(
    'a 404 has the body {"message": "Not found"}, not the contract\'s error object.',
    Catch("test_errors.py", "test_an_unknown_path_is_404", "error-shape"),
)
def not_found_wrong_shape() -> tuple[Modifier, ...]:
    return (RewriteResponse(_framework_404),)


def _crash_on_malformed_json(
    scope: Scope, status: int, headers: MutableHeaders, body: bytes
) -> tuple[int, bytes]:
    if status != 400:
        return status, body
    details = json.loads(body).get("error", {}).get("details", [])
    if not any(d.get("message") == "malformed JSON" for d in details):
        return status, body
    # BUG: the JSON decoder's exception is not caught: the server's generic 500 answers.
    headers["content-type"] = "text/plain; charset=utf-8"
    return 500, b"Internal Server Error"


@planted(
    "malformed JSON is a 500 (the parse error escapes) instead of 400 validation_error.",
    Catch("test_errors.py", "test_malformed_or_non_object_json_is_400 and open-brace", "no-server-error"),
)
def malformed_json_500() -> tuple[Modifier, ...]:
    return (RewriteResponse(_crash_on_malformed_json),)


def _one_byte_short(document: dict[str, Any]) -> None:
    for body in document["components"]["requestBodies"].values():
        # BUG: one byte short, as if "at most 64 KiB" meant "less than 64 KiB".
        body["x-max-body-bytes"] -= 1


@planted(
    "a body of exactly the limit (x-max-body-bytes) gets 413: the limit is configured one byte short.",
    Catch(
        "test_errors.py",
        "test_a_body_at_the_limit_is_accepted_and_one_byte_more_is_413",
        "body-size-limit",
    ),
)
def body_limit_off_by_one() -> tuple[Modifier, ...]:
    return (EditSpec(_one_byte_short),)


def _with_offset(value: Any) -> Any:
    if isinstance(value, dict):
        return {
            k: v[:-1] + "+00:00"
            if k in ("created_at", "updated_at") and isinstance(v, str) and v.endswith("Z")
            else _with_offset(v)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [_with_offset(v) for v in value]
    return value


def _isoformat(scope: Scope, status: int, headers: MutableHeaders, body: bytes) -> tuple[int, bytes]:
    if not headers.get("content-type", "").startswith(JSON_TYPE):
        return status, body
    # BUG: datetime.isoformat() on an aware UTC datetime gives +00:00, not the contract's Z.
    return status, _dump(_with_offset(json.loads(body)))


@planted(
    "timestamps are rendered as ...+00:00 instead of ...Z.",
    Catch("test_crud.py", "test_created_ids_are_fresh", "timestamps-utc-z"),
    Catch("test_schema.py", "test_operation_conforms_to_the_spec and GET", "timestamps-utc-z"),
)
def timestamps_with_offset() -> tuple[Modifier, ...]:
    return (RewriteResponse(_isoformat),)


def _drop_allow(scope: Scope, status: int, headers: MutableHeaders, body: bytes) -> tuple[int, bytes]:
    if status == 405:
        # BUG: the error handler builds a fresh response and loses the Allow header.
        del headers["allow"]
    return status, body


@planted(
    "a 405 carries no Allow header.",
    Catch("test_errors.py", "test_a_method_not_in_the_spec_is_405_with_allow", "allow-on-405"),
)
def method_not_allowed_without_allow() -> tuple[Modifier, ...]:
    return (RewriteResponse(_drop_allow),)


# --------------------------------------------------------------------------- writes (issue 10, items 4-6)
# Bugs of refused writes, defaults in combination and concurrency: each behaves exactly like the
# reference mock to a client that sends one valid request at a time with hand-picked parameters.


def _replaying(body: bytes) -> Any:
    sent = False

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return {"type": "http.disconnect"}

    return receive


async def _exchange(app: Any, scope: Scope, body: bytes) -> tuple[int, list[dict[str, Any]], bytes]:
    """Call `app` with `scope` and `body`; its status, its messages (to replay) and its body."""
    messages: list[dict[str, Any]] = []

    async def capture(message: dict[str, Any]) -> None:
        messages.append(message)

    await app(scope, _replaying(body), capture)
    status = next(m["status"] for m in messages if m["type"] == "http.response.start")
    content = b"".join(m.get("body", b"") for m in messages if m["type"] == "http.response.body")
    return status, messages, content


async def _call(app: Any, scope: Scope, method: str, path: str, body: Any = None) -> tuple[int, bytes]:
    """The backend calling its own store: `method path` with the caller's credentials."""
    raw = b"" if body is None else _dump(body)
    headers = [(k, v) for k, v in scope["headers"] if k.lower() in (b"authorization", b"cookie")]
    if body is not None:
        headers += [(b"content-type", JSON_TYPE.encode()), (b"content-length", str(len(raw)).encode())]
    inner = {**scope, "method": method, "path": path, "raw_path": path.encode(), "query_string": b""}
    status, _, content = await _exchange(app, {**inner, "headers": headers}, raw)
    return status, content


def _with_body(scope: Scope, body: bytes) -> Scope:
    return set_header(scope, "content-length", str(len(body)))


@dataclass(frozen=True)
class AroundApp(Modifier):
    """ASGI middleware around the mock (`cls(app)`), for bugs whose backend calls its own store."""

    cls: type

    def middleware(self) -> Middleware | None:
        return Middleware(self.cls)


def _item_path(scope: Scope) -> bool:
    prefix = CONTRACT.collection_path + "/"
    return str(scope["path"]).startswith(prefix) and "/" not in str(scope["path"])[len(prefix) :]


class _PatchSavedFieldByField:
    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["method"] != "PATCH" or not _item_path(scope):
            await self.app(scope, receive, send)
            return
        raw = await read_body(receive)
        status, messages, _ = await _exchange(self.app, scope, raw)
        patch = _json_object(scope, raw)
        if status == 400 and patch and len(patch) > 1:
            # BUG: the ORM saves the fields one by one as each validates; the first invalid
            # one ends the request with 400, and the fields saved before it stay saved.
            for name, value in patch.items():
                saved, _ = await _call(self.app, scope, "PATCH", scope["path"], {name: value})
                if saved != 200:
                    break
        for message in messages:
            await send(message)


@planted(
    "a PATCH mixing valid and invalid fields saves the valid ones before it is refused with 400.",
    Catch(
        "test_rejected_writes.py",
        "test_a_refused_write_changes_nothing and fields",
        "rejected-write-changes-nothing",
        THOROUGH,
    ),
    Catch(
        "test_stateful.py",
        "test_the_server_behaves_like_the_model",
        "rejected-write-changes-nothing",
        THOROUGH,
    ),
)
def patch_saves_valid_fields_before_refusing() -> tuple[Modifier, ...]:
    return (AroundApp(_PatchSavedFieldByField),)


def _fold_id(scope: Scope) -> Scope:
    if not _item_path(scope):
        return scope
    prefix = CONTRACT.collection_path + "/"
    contact_id = str(scope["path"])[len(prefix) :]
    # BUG: ids are looked up under a case-insensitive, PAD SPACE collation (MySQL's default):
    # "CONT_AB12...", "cont_ab12... " and "cont_ab12..." name the same contact.
    path = prefix + contact_id.rstrip(" ").lower()
    return {**scope, "path": path, "raw_path": path.encode()}


@planted(
    "ids are compared case-insensitively and without trailing spaces: "
    "PATCH/DELETE of 'CONT_AB12...' change 'cont_ab12...'.",
    Catch(
        "test_rejected_writes.py",
        "test_a_refused_write_changes_nothing and bad-id",
        "rejected-write-status",
        THOROUGH,
    ),
)
def ids_case_insensitive() -> tuple[Modifier, ...]:
    return (RewriteRequest(scope=_fold_id),)


SEARCH_ENGINE_SIZE = 20  # the search engine's own default page size


def _search_engine_default_size(
    scope: Scope, status: int, headers: MutableHeaders, body: bytes
) -> tuple[int, bytes]:
    if scope["method"] != "GET" or scope["path"] != CONTRACT.collection_path or status != 200:
        return status, body
    params = dict(_query_items(scope))
    if not params.get("search") or "limit" in params:
        return status, body
    # BUG: with a search text the query goes to the search engine, which is given no size when
    # the client sent no limit and so returns its own default (20); the echo still says 50.
    page = json.loads(body)
    page["items"] = page["items"][:SEARCH_ENGINE_SIZE]
    return status, _dump(page)


@planted(
    "with a search and no limit a page holds at most 20 contacts (the search engine's default size), "
    "though limit echoes 50.",
    Catch(
        "test_defaults.py", "test_leaving_a_parameter_out_is_sending_its_default", "list-defaults", THOROUGH
    ),
)
def search_default_page_size() -> tuple[Modifier, ...]:
    return (RewriteResponse(_search_engine_default_size),)


class _PatchReadModifyWrite:
    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["method"] != "PATCH" or not _item_path(scope):
            await self.app(scope, receive, send)
            return
        raw = await read_body(receive)
        patch = _json_object(scope, raw)
        if patch is not None:
            status, content = await _call(self.app, scope, "GET", scope["path"])
            if status == 200:
                # BUG: PATCH reads the contact, merges the change in memory and writes the whole
                # row back, with no lock or version check: a concurrent PATCH's fields are lost.
                await asyncio.sleep(0.005)  # the database round trip between the read and the write
                current = json.loads(content)["contact"]
                merged = {name: current[name] for name in CONTRACT.writable_fields} | patch
                raw = _dump(merged)
                scope = _with_body(scope, raw)
        _, messages, _ = await _exchange(self.app, scope, raw)
        for message in messages:
            await send(message)


@planted(
    "PATCH reads, merges and writes the whole contact back without a lock: "
    "concurrent PATCHes of other fields are lost.",
    Catch(
        "test_concurrency.py",
        "test_concurrent_patches_of_different_fields_all_land",
        "concurrent-patches-all-land",
    ),
)
def lost_update_under_concurrent_patch() -> tuple[Modifier, ...]:
    return (AroundApp(_PatchReadModifyWrite),)


class _CreatesOverwrite:
    def __init__(self, app: Any) -> None:
        self.app = app
        self.created: dict[tuple[Any, ...], list[str]] = {}  # credentials -> ids, in order

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["method"] != "POST" or scope["path"] != CONTRACT.collection_path:
            await self.app(scope, receive, send)
            return
        raw = await read_body(receive)
        who = tuple(sorted((k, v) for k, v in scope["headers"] if k.lower() in (b"authorization", b"cookie")))
        log = self.created.setdefault(who, [])
        read = len(log)
        # BUG: the organization's contacts are one document: a create reads it, appends and writes
        # it back whole, so creates that finished in between are overwritten (their 201 was sent).
        await asyncio.sleep(0.005)
        status, messages, content = await _exchange(self.app, scope, raw)
        if status == 201:
            for lost in log[read:]:
                await _call(self.app, scope, "DELETE", CONTRACT.contact_path(lost))
            log.append(json.loads(content)["contact"]["id"])
        for message in messages:
            await send(message)


@planted(
    "concurrent creates overwrite each other: all answer 201 with distinct ids, but only some are stored.",
    Catch(
        "test_concurrency.py",
        "test_concurrent_creates_get_distinct_ids_and_all_appear",
        "concurrent-creates-all-appear",
    ),
)
def concurrent_creates_lost() -> tuple[Modifier, ...]:
    return (AroundApp(_CreatesOverwrite),)


def _millisecond(micros: int) -> int:
    return micros // 1000 * 1000


class _MillisecondTimestamps(Organization):
    # The clock of a server with millisecond timestamps that writes faster than one change per
    # millisecond: every second write of the organization falls in the millisecond of the write
    # before it. Deterministic: with the real clock the tie needed two concurrent PATCHes to land
    # within one millisecond, and on a loaded machine they once did not (the row missed the bug).
    _tick: tuple[int, int] | None = None  # (the millisecond of the last write, writes in it)

    def _moment(self) -> int:
        now = _millisecond(time.time_ns() // 1000)
        last = self._tick
        if last is not None and last[1] < 2:
            self._tick = (last[0], 2)
        else:
            self._tick = (now if last is None else max(now, last[0] + 1000), 1)
        return self._tick[0]

    def create(self, values: Any) -> Contact:
        contact = super().create(values)
        moment = self._moment()
        return replace_contact(self, replace(contact, created_us=moment, updated_us=moment))

    def update(self, contact_id: str, changes: Any) -> Contact | None:
        before = self.get(contact_id)
        contact = super().update(contact_id, changes)
        if contact is None or contact is before:
            return contact
        # BUG: timestamps are kept in milliseconds (a DATETIME(3) column) and nothing makes a
        # change later than the one before it: two changes in one millisecond get one updated_at.
        return replace_contact(self, replace(contact, updated_us=self._moment()))


@planted(
    "updated_at has millisecond precision and no guard: "
    "two changes within one millisecond get the same updated_at.",
    Catch(
        "test_concurrency.py",
        "test_concurrent_patches_of_one_field_leave_the_latest",
        "updated-at-strictly-increasing",
    ),
)
def updated_at_millisecond_ties() -> tuple[Modifier, ...]:
    return organizations(_MillisecondTimestamps)


# ------------------------------------------------------------ read paths and varied data (issue 10)
# Bugs the model-based machine finds now that it observes every write through every read path
# with data from the whole range the contract admits (contract_tests/readpaths.py, alphabet.py).

STATEFUL = ("test_stateful.py", "test_the_server_behaves_like_the_model")


def _stateful(rule: str) -> Catch:
    return Catch(*STATEFUL, rule, THOROUGH)


def _nfkc_lower(text: str) -> str:
    return _nfkc(text).lower()


class _SearchLowerCases(_SearchOrganization):
    # BUG: lower() where the contract says case folding, for the data...
    normalize = staticmethod(_nfkc_lower)


@planted(
    'search lower-cases instead of case folding: "STRASSE" does not find "Straße", "σ" not "ς".',
    _stateful("search-matches"),
)
def search_lowercases() -> tuple[Modifier, ...]:
    # BUG: ...and for the search text.
    return (
        *organizations(_SearchLowerCases),
        WrapHandler("listContacts", _search_normalized_by(_nfkc_lower)),
    )


def _without_marks(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return fold("".join(c for c in decomposed if not unicodedata.combining(c)))


class _SearchAccentInsensitive(_SearchOrganization):
    # BUG: an accent-insensitive collation (combining marks dropped) for the data...
    normalize = staticmethod(_without_marks)


@planted(
    'search ignores accents (an "_ai_ci" collation): "Jose" finds "José".',
    _stateful("search-matches"),
)
def search_accent_insensitive() -> tuple[Modifier, ...]:
    # BUG: ...and for the search text.
    return (
        *organizations(_SearchAccentInsensitive),
        WrapHandler("listContacts", _search_normalized_by(_without_marks)),
    )


class _SearchLikeWildcards(_SearchOrganization):
    def page(self, query: ListQuery) -> Page:
        if not query.search:
            return super().page(query)
        # BUG: the search text goes into `LIKE '%' || :q || '%'` unescaped: % and _ are wildcards.
        like = "".join(".*" if c == "%" else "." if c == "_" else re.escape(c) for c in query.search)
        return self.matching(query, re.compile(like, re.S).search)


@planted(
    "search passes % and _ to SQL LIKE unescaped: they match any text and any character.",
    _stateful("search-matches"),
)
def search_like_wildcards() -> tuple[Modifier, ...]:
    return organizations(_SearchLikeWildcards)


class _SearchLooksAtNote(_SearchOrganization):
    def forms(self, contact: Contact) -> list[str]:
        # BUG: the full-text index was built over the note too (and the position).
        extra = [self.normalize(v) for v in (contact.note, contact.position) if v]
        return [*super().forms(contact), *extra]


@planted(
    "search also finds contacts by their note and position, which it must not look at.",
    _stateful("search-matches"),
)
def search_looks_at_note() -> tuple[Modifier, ...]:
    return organizations(_SearchLooksAtNote)


class _Remembered(Organization):
    """Remembers each contact as it was created (a denormalized column never updated by PATCH)."""

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.as_created: dict[str, Contact] = {}

    def create(self, values: Any) -> Contact:
        contact = super().create(values)
        self.as_created[contact.id] = contact
        return contact

    def original(self, contact: Contact) -> Contact:
        return self.as_created.get(contact.id, contact)


class _SearchIndexStale(_Remembered, _SearchOrganization):
    def forms(self, contact: Contact) -> list[str]:
        # BUG: the search column is filled on INSERT only; a PATCH of a name or the email leaves it.
        return _SearchOrganization.forms(self, self.original(contact))


@planted(
    "search still sees the names and email a contact was created with, not the patched ones.",
    _stateful("search-matches"),
)
def search_index_stale_after_patch() -> tuple[Modifier, ...]:
    return organizations(_SearchIndexStale)


class _NameSortStale(_Remembered):
    def page(self, query: ListQuery) -> Page:
        if query.sort != "name":
            return super().page(query)
        hits = _everything(self, query, sort="created_at", order="asc")

        def key(c: Contact) -> tuple[str, str, str]:
            first = self.original(c)
            # BUG: the sort key column is computed on INSERT only: a patched name keeps its old place.
            return (*name_sort_key(first.first_name, first.last_name), c.id)

        return _window(sorted(hits, key=key, reverse=query.descending), query)


@planted(
    "sort=name orders a patched contact by the name it was created with.",
    _stateful("sort-order"),
)
def name_sort_stale_after_patch() -> tuple[Modifier, ...]:
    return organizations(_NameSortStale)


class _CompanyFilterStale(_Remembered):
    def page(self, query: ListQuery) -> Page:
        if not query.company_id:
            return super().page(query)
        hits = _everything(self, query, company_id="")
        # BUG: the company filter reads a cache filled at creation: a moved contact stays in its
        # old company's list and never shows in the new one's.
        return _window([c for c in hits if self.original(c).company_id == query.company_id], query)


@planted(
    "the company filter still files a contact under the company it was created with.",
    _stateful("company-filter"),
)
def company_filter_stale_after_patch() -> tuple[Modifier, ...]:
    return organizations(_CompanyFilterStale)


def _length_counted_by(units: Callable[[str], int], what: str) -> Callable[[Call, Handler], Reply]:
    """A write handler that checks maxLength again, counting `units` instead of characters."""
    limits = {"first_name": 100, "last_name": 100, "position": 100, "note": 2000}

    def checked(call: Call, handler: Handler) -> Reply:
        body = call.body or {}
        too_long = [
            FieldError(name, f"longer than {limit} {what}")
            for name, limit in limits.items()
            if isinstance(body.get(name), str) and units(body[name].strip()) > limit
        ]
        if too_long:
            raise ValidationFailed(details=too_long)
        return handler(call)

    return checked


def _utf16_units(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


@planted(
    "lengths are counted in UTF-16 code units (JavaScript's length): 51 characters outside the BMP "
    "are refused as a name longer than 100.",
    Catch("test_lengths.py", "test_a_value_at_the_bound_is_accepted and astral", "length-in-characters"),
)
def lengths_in_utf16_units() -> tuple[Modifier, ...]:
    # BUG: the database column is NVARCHAR(n) / the check uses String.length: UTF-16 units.
    wrap = _length_counted_by(_utf16_units, "UTF-16 units")
    return (WrapHandler("createContact", wrap), WrapHandler("updateContact", wrap))


def _utf8_bytes(text: str) -> int:
    return len(text.encode("utf-8"))


@planted(
    "lengths are counted in UTF-8 bytes (VARCHAR(n) in bytes): a 100-character Japanese name is refused.",
    Catch("test_lengths.py", "test_a_value_at_the_bound_is_accepted and 3-byte", "length-in-characters"),
)
def lengths_in_utf8_bytes() -> tuple[Modifier, ...]:
    # BUG: the length check counts the bytes of the UTF-8 encoding.
    wrap = _length_counted_by(_utf8_bytes, "bytes")
    return (WrapHandler("createContact", wrap), WrapHandler("updateContact", wrap))


def _delete_says_deleted(
    scope: Scope, status: int, headers: MutableHeaders, body: bytes
) -> tuple[int, bytes]:
    if scope["method"] != "DELETE" or status != 200:
        return status, body
    # BUG: the answer names its flag after the action, not the contract's `success`.
    return status, _dump({"deleted": True})


@planted(
    'DELETE answers 200 {"deleted": true} instead of {"success": true}.',
    Catch("test_crud.py", "test_delete_removes_the_contact_everywhere", "delete-answers-success"),
)
def delete_without_success() -> tuple[Modifier, ...]:
    return (RewriteResponse(_delete_says_deleted),)


# ------------------------------------------------------- realistic bugs behind a condition (issue 10)
# In their own module (tests/suite/unseen.py, imported through this one); importing it registers
# them, and `__getattr__` makes every registered bug an attribute (`--app tests.suite.bugs:<name>`).
from . import unseen  # noqa: E402, F401


def __getattr__(name: str) -> PlantedBug:
    for bug in REGISTRY:
        if bug.name == name:
            return bug
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


# --------------------------------------------------------------------------- the registry's views

BY_NAME: dict[str, PlantedBug] = {bug.name: bug for bug in REGISTRY}
BUGS: tuple[str, ...] = tuple(BY_NAME)


def rows() -> Iterator[tuple[PlantedBug, Catch]]:
    """(bug, catch) for every expected catch: the self-test's rows."""
    for bug in REGISTRY:
        for catch in bug.catches:
            yield bug, catch


def table() -> str:
    """The Markdown table of docs/planted-bugs.md."""
    lines = ["| planted bug | what is wrong | caught by | invariant id |", "|---|---|---|---|"]
    for bug, catch in rows():
        lines.append(
            f"| `{bug.name}` | {bug.summary.replace('|', '/')} | "
            f"`{catch.file}::{catch.label}` | `{catch.rule}` |"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    if sys.argv[1:] != ["--table"]:
        raise SystemExit("usage: python -m tests.suite.bugs --table")
    # Run as __main__, this module is a second copy: unseen.py registers into the imported one.
    from tests.suite import bugs as registry

    print(registry.table())
