"""Deliberately broken variants of the reference mock: one planted bug per factory.

Each factory returns a fresh ASGI app built from the real mock with exactly one
deliberate, commented bug (look for ``BUG:``), so that
``tests/suite/test_planted_bugs.py`` can prove the contract suite catches it:

    pytest contract_tests --app tests.suite.bugs:<factory>

Bugs are planted in one of four ways, always from the outside of ``mock_server``:

- a subclass of ``mock_server.store.Organization``, installed by patching the
  state's ``Store.organization`` (listing, search, writes);
- a handler replaced in a *copy* of the handler table (needs the raw request);
- a spec with one changed value (the body size limit);
- a small pure-ASGI middleware around the mock that rewrites the request or the
  response (credentials, query strings, bodies, statuses and headers).

The handler table is looked up at request time as a module global (of
``mock_server.endpoint`` today): a factory that replaces a handler installs a
patched copy in every mock_server module that holds the table, leaving
``mock_server.handlers.HANDLERS`` itself untouched. That is process-wide state:
the suite builds one app per process, so call at most one factory per process.
"""

from __future__ import annotations

import json
import sys
import unicodedata
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import replace
from typing import Any
from urllib.parse import parse_qsl, urlencode

import yaml
from starlette.datastructures import MutableHeaders
from starlette.requests import cookie_parser

import mock_server.handlers as mock_handlers
from mock_server import DEFAULT_FIXTURES_PATH, MockState, create_app, load_fixtures, load_spec
from mock_server.errors import ApiError, NotFound
from mock_server.handlers import Call, Reply
from mock_server.query import ListQuery, Page, fold, haystack, matches_search
from mock_server.spec import DEFAULT_SPEC_PATH, Spec, parse_spec
from mock_server.store import OPTIONAL_FIELDS, WRITABLE_FIELDS, Contact, Organization, Store

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

COOKIE_NAME = "better-auth.session_token"
ORG_A_TOKEN = "dev-token-org-a"  # fixtures/seed.json
MAX_LIMIT = 200
JSON_TYPE = "application/json"

BUGS = (
    "total_is_page_size",
    "offset_skips_one",
    "desc_ties_ascending",
    "search_ignores_email",
    "search_without_nfkc",
    "search_case_sensitive",
    "search_no_first_last_form",
    "company_filter_ignored_with_search",
    "name_sort_case_sensitive",
    "patch_clobbers_unsent",
    "empty_patch_bumps_updated_at",
    "patch_null_ignored",
    "patch_accepts_null_name",
    "patch_moves_created_at",
    "real_change_keeps_updated_at",
    "delete_is_noop",
    "cross_org_read",
    "cross_org_403",
    "any_bearer_accepted",
    "cookie_ignored",
    "limit_clamped",
    "default_limit_20",
    "no_location_header",
    "create_returns_200",
    "not_found_wrong_shape",
    "malformed_json_500",
    "body_limit_off_by_one",
    "names_not_trimmed",
    "unknown_fields_accepted",
    "timestamps_with_offset",
    "method_not_allowed_without_allow",
    "bearer_loses_to_cookie",
)


# --------------------------------------------------------------------------- building blocks


def _state(organization_class: type[Organization] = Organization, spec: Spec | None = None) -> MockState:
    """The mock's state seeded with the shipped fixtures; its organizations behave as `organization_class`."""
    spec = spec or load_spec()
    state = MockState.seeded(spec, load_fixtures(DEFAULT_FIXTURES_PATH, spec))
    if organization_class is not Organization:
        _install_organization_class(state.store, organization_class)
    return state


def _install_organization_class(store: Store, organization_class: type[Organization]) -> None:
    """Patch `store.organization` (this store only) to hand out `organization_class` organizations.

    The store builds each organization as usual (seeded, reset or created on first use);
    the patched lookup gives it the buggy subclass's methods, keeping its data.
    """
    plain = store.organization

    def organization(org_id: str) -> Organization:
        org = plain(org_id)
        if type(org) is not organization_class:
            org.__class__ = organization_class
        return org

    store.organization = organization  # type: ignore[method-assign]
    for org_id in store.organizations:
        organization(org_id)


def _app(organization_class: type[Organization] = Organization) -> Any:
    return create_app(_state(organization_class))


def _app_with_handlers(state: MockState, **overrides: Callable[[Call], Reply]) -> Any:
    """The app of `state`, its requests dispatched through a patched copy of the handler table.

    Whichever mock_server module looks the table up at request time gets the copy;
    ``mock_server.handlers.HANDLERS`` itself is left as it is.
    """
    patched = {**mock_handlers.HANDLERS, **overrides}
    for name, module in list(sys.modules.items()):
        if name.startswith("mock_server.") and module is not mock_handlers and hasattr(module, "HANDLERS"):
            setattr(module, "HANDLERS", patched)  # noqa: B010
    return create_app(state)


def _reindex(org: Organization, old: Contact, new: Contact) -> Contact:
    org._unindex(old)
    org._index(new)
    return new


class _RewriteRequest:
    """Pure ASGI: lets a function change the scope (headers, query) and the body of POST/PATCH."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        scope: Callable[[Scope], Scope] | None = None,
        body: Callable[[Scope, bytes], bytes] | None = None,
    ) -> None:
        self.app = app
        self.rewrite_scope = scope
        self.rewrite_body = body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if self.rewrite_scope is not None:
            scope = self.rewrite_scope(dict(scope))
        if self.rewrite_body is not None and scope["method"] in ("POST", "PATCH"):
            raw = await _read_body(receive)
            body = self.rewrite_body(scope, raw)
            if body != raw:
                scope = _set_header(scope, "content-length", str(len(body)))
            receive = _replay(body, receive)
        await self.app(scope, receive, send)


Rewrite = Callable[[Scope, int, MutableHeaders, bytes], tuple[int, bytes]]


class _RewriteResponse:
    """Pure ASGI: buffers the mock's answer and lets a function change status, headers and body."""

    def __init__(self, app: ASGIApp, rewrite: Rewrite) -> None:
        self.app = app
        self.rewrite = rewrite

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start: Message = {}
        chunks: list[bytes] = []

        async def capture(message: Message) -> None:
            if message["type"] == "http.response.start":
                start.update(message)
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
                if not message.get("more_body", False):
                    headers = MutableHeaders(raw=list(start.get("headers", [])))
                    status, body = self.rewrite(scope, start["status"], headers, b"".join(chunks))
                    headers["content-length"] = str(len(body))
                    await send({"type": "http.response.start", "status": status, "headers": headers.raw})
                    await send({"type": "http.response.body", "body": body})
            else:
                await send(message)

        await self.app(scope, receive, capture)


async def _read_body(receive: Receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


def _header(scope: Scope, name: str) -> str | None:
    for key, value in scope["headers"]:
        if key.decode("latin-1").lower() == name:
            return str(value.decode("latin-1"))
    return None


def _set_header(scope: Scope, name: str, value: str | None) -> Scope:
    """A copy of `scope` with header `name` replaced by `value` (None: removed)."""
    headers = [(k, v) for k, v in scope["headers"] if k.decode("latin-1").lower() != name]
    if value is not None:
        headers.append((name.encode("latin-1"), value.encode("latin-1")))
    return {**scope, "headers": headers}


def _json_object(scope: Scope, raw: bytes) -> dict[str, Any] | None:
    """The request body as a JSON object, when it is one the mock would go on to validate."""
    content_type = (_header(scope, "content-type") or "").split(";")[0].strip().lower()
    if content_type != JSON_TYPE or len(raw) > 65536:
        return None
    try:
        value = json.loads(raw)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def _dump(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False).encode("utf-8")


def _query_items(scope: Scope) -> list[tuple[str, str]]:
    return parse_qsl(scope["query_string"].decode("latin-1"), keep_blank_values=True)


# --------------------------------------------------------------------------- listing


class _TotalIsPageSize(Organization):
    def page(self, query: ListQuery) -> Page:
        page = super().page(query)
        # BUG: total counts the items on this page instead of every matching contact.
        return Page(page.items, len(page.items), page.limit, page.offset)


def total_is_page_size() -> Any:
    """BUG: the list's `total` is the number of items on the page."""
    return _app(_TotalIsPageSize)


class _OffsetSkipsOne(Organization):
    def page(self, query: ListQuery) -> Page:
        # BUG: the start is computed as page * (limit + 1): every page skips one more item.
        start = query.offset + query.offset // query.limit
        page = super().page(replace(query, offset=start))
        return Page(page.items, page.total, query.limit, query.offset)


def offset_skips_one() -> Any:
    """BUG: each page starts one item further than `offset` says (per page already turned)."""
    return _app(_OffsetSkipsOne)


class _DescTiesAscending(Organization):
    def page(self, query: ListQuery) -> Page:
        if not query.descending:
            return super().page(query)
        index: list[Any] = self._by_name if query.sort == "name" else self._by_created
        # BUG: a stable sort on the key alone with reverse=True: the keys are reversed, but
        # ties keep the ascending id order (the contract breaks ties by id in the same direction).
        ordered = sorted(index, key=lambda key: key[:-1], reverse=True)
        hits = [self._contacts[key[-1]] for key in ordered]
        if query.company_id:
            hits = [c for c in hits if c.company_id == query.company_id]
        if query.search:
            hits = [c for c in hits if matches_search(query.search, self._hay[c.id])]
        return Page(hits[query.offset : query.offset + query.limit], len(hits), query.limit, query.offset)


def desc_ties_ascending() -> Any:
    """BUG: order=desc reverses the sort keys but still breaks ties by id ascending."""
    return _app(_DescTiesAscending)


class _CompanyFilterIgnoredWithSearch(Organization):
    def _matching(self, query: ListQuery) -> set[str]:
        if query.search:
            # BUG: the search branch of the query builder forgets the company filter.
            query = replace(query, company_id="")
        return super()._matching(query)


def company_filter_ignored_with_search() -> Any:
    """BUG: company_id is ignored when a search text is given too."""
    return _app(_CompanyFilterIgnoredWithSearch)


class _NameSortCaseSensitive(Organization):
    def page(self, query: ListQuery) -> Page:
        if query.sort != "name":
            return super().page(query)
        # BUG: sort=name orders by the raw strings (binary collation), no NFKC, no case folding.
        folded, folded_keys = self._by_name, self._name_keys
        self._name_keys = {c.id: (c.last_name, c.first_name, c.id) for c in self}
        self._by_name = sorted(self._name_keys.values())
        try:
            return super().page(query)
        finally:
            self._by_name, self._name_keys = folded, folded_keys


def name_sort_case_sensitive() -> Any:
    """BUG: sort=name compares raw names ("Smith" < "de la Cruz" < "ＫＩＭ"), not their folded forms."""
    return _app(_NameSortCaseSensitive)


# --------------------------------------------------------------------------- search


def _forms(
    contact: Contact, normalize: Callable[[str], str], *, email: bool = True, first_last: bool = True
) -> tuple[str, ...]:
    first, last = normalize(contact.first_name), normalize(contact.last_name)
    forms = [f"{last} {first}", f"{last}{first}"]
    if first_last:
        forms.append(f"{first} {last}")
    if email and contact.email:
        forms.append(normalize(contact.email))
    return tuple(forms)


class _SearchOrganization(Organization):
    """Search haystacks built by `_forms` with the class's normalization and forms."""

    normalize: Callable[[str], str] = staticmethod(fold)
    with_email = True
    with_first_last = True

    def _index(self, contact: Contact) -> None:
        super()._index(contact)
        self._hay[contact.id] = haystack(
            _forms(contact, self.normalize, email=self.with_email, first_last=self.with_first_last)
        )


def _list_contacts_normalized(normalize: Callable[[str], str]) -> Callable[[Call], Reply]:
    """The list handler, with the search text normalized by `normalize` instead of the contract's fold."""

    def list_contacts(call: Call) -> Reply:
        query = replace(ListQuery.from_params(call.query), search=normalize(call.query.get("search") or ""))
        page = call.org.page(query)
        return Reply(
            {
                "items": [c.to_json() for c in page.items],
                "total": page.total,
                "limit": page.limit,
                "offset": page.offset,
            }
        )

    return list_contacts


class _SearchIgnoresEmail(_SearchOrganization):
    # BUG: the email is not among the searchable forms.
    with_email = False


def search_ignores_email() -> Any:
    """BUG: search looks at the names only, never at the email."""
    return _app(_SearchIgnoresEmail)


class _SearchNoFirstLast(_SearchOrganization):
    # BUG: only "last first" and "lastfirst" are indexed; the "first last" full name is not.
    with_first_last = False


def search_no_first_last_form() -> Any:
    """BUG: "太郎 山田" (first last) finds nothing; the single names and "山田 太郎" still work."""
    return _app(_SearchNoFirstLast)


def _casefold(text: str) -> str:
    return text.casefold()


def _nfkc(text: str) -> str:
    return unicodedata.normalize("NFKC", text)


class _SearchCasefoldOnly(_SearchOrganization):
    # BUG: case folding without NFKC, for the data...
    normalize = staticmethod(_casefold)


def search_without_nfkc() -> Any:
    """BUG: search case-folds but does not apply NFKC: full-width "ｔａｒｏ" does not find "taro"."""
    state = _state(_SearchCasefoldOnly)
    # BUG: ...and for the search text.
    return _app_with_handlers(state, listContacts=_list_contacts_normalized(_casefold))


class _SearchNfkcOnly(_SearchOrganization):
    # BUG: NFKC without case folding, for the data...
    normalize = staticmethod(_nfkc)


def search_case_sensitive() -> Any:
    """BUG: search is case-sensitive (NFKC only): "TARO" does not find "taro"."""
    state = _state(_SearchNfkcOnly)
    # BUG: ...and for the search text.
    return _app_with_handlers(state, listContacts=_list_contacts_normalized(_nfkc))


# --------------------------------------------------------------------------- writes


class _PatchClobbersUnsent(Organization):
    def update(self, contact_id: str, changes: Any) -> Contact | None:
        # BUG: PATCH is implemented as a replace: every optional field not sent becomes null.
        return super().update(contact_id, {**dict.fromkeys(OPTIONAL_FIELDS), **changes})


def patch_clobbers_unsent() -> Any:
    """BUG: PATCH sets every optional field that was not sent to null."""
    return _app(_PatchClobbersUnsent)


class _EmptyPatchBumpsUpdatedAt(Organization):
    def update(self, contact_id: str, changes: Any) -> Contact | None:
        current = self.get(contact_id)
        if current is not None and not changes:
            # BUG: `PATCH {}` "touches" the contact: updated_at moves although nothing changed.
            return _reindex(self, current, replace(current, updated_us=self._clock.now()))
        return super().update(contact_id, changes)


def empty_patch_bumps_updated_at() -> Any:
    """BUG: an empty PATCH moves updated_at."""
    return _app(_EmptyPatchBumpsUpdatedAt)


class _PatchNullIgnored(Organization):
    def update(self, contact_id: str, changes: Any) -> Contact | None:
        # BUG: null values are dropped like absent ones, so null never clears a field.
        return super().update(contact_id, {k: v for k, v in changes.items() if v is not None})


def patch_null_ignored() -> Any:
    """BUG: PATCH with null leaves the optional field as it was instead of clearing it."""
    return _app(_PatchNullIgnored)


def patch_accepts_null_name() -> Any:
    """BUG: PATCH with a null first_name/last_name answers 200 (the name is kept) instead of 400."""

    def drop_null_names(scope: Scope, raw: bytes) -> bytes:
        body = _json_object(scope, raw)
        if scope["method"] != "PATCH" or body is None:
            return raw
        names = [name for name in ("first_name", "last_name") if name in body and body[name] is None]
        if not names:
            return raw
        # BUG: a null name is treated as "not sent" before validation, so it is accepted.
        return _dump({k: v for k, v in body.items() if k not in names})

    return _RewriteRequest(_app(), body=drop_null_names)


class _PatchMovesCreatedAt(Organization):
    def update(self, contact_id: str, changes: Any) -> Contact | None:
        current = self.get(contact_id)
        updated = super().update(contact_id, changes)
        if updated is None or updated is current:
            return updated
        # BUG: the update stamps both timestamps, so created_at moves with every change.
        return _reindex(self, updated, replace(updated, created_us=updated.updated_us))


def patch_moves_created_at() -> Any:
    """BUG: a PATCH that changes something also moves created_at."""
    return _app(_PatchMovesCreatedAt)


class _RealChangeKeepsUpdatedAt(Organization):
    def update(self, contact_id: str, changes: Any) -> Contact | None:
        current = self.get(contact_id)
        updated = super().update(contact_id, changes)
        if current is None or updated is None or updated is current:
            return updated
        # BUG: updated_at is never written by PATCH: it keeps its creation value.
        return _reindex(self, updated, replace(updated, updated_us=current.updated_us))


def real_change_keeps_updated_at() -> Any:
    """BUG: a PATCH that changes a field does not move updated_at."""
    return _app(_RealChangeKeepsUpdatedAt)


class _DeleteIsNoop(Organization):
    def delete(self, contact_id: str) -> bool:
        # BUG: the delete is never carried out; the existence check alone answers success.
        return self.get(contact_id) is not None


def delete_is_noop() -> Any:
    """BUG: DELETE answers 200 {"success": true}, but the contact stays."""
    return _app(_DeleteIsNoop)


class _NamesNotTrimmed(Organization):
    def create(self, values: Any) -> Contact:
        contact = super().create(values)
        # BUG: the names are stored as sent (the trimmed values are only used for validation).
        raw = {name: values[name] for name in ("first_name", "last_name")}
        return _reindex(self, contact, replace(contact, **raw))

    def update(self, contact_id: str, changes: Any) -> Contact | None:
        updated = super().update(contact_id, changes)
        raw = {name: changes[name] for name in ("first_name", "last_name") if name in changes}
        if updated is None or not raw:
            return updated
        # BUG: same on PATCH.
        return _reindex(self, updated, replace(updated, **raw))


def names_not_trimmed() -> Any:
    """BUG: first_name and last_name are stored with their surrounding white space."""
    return _app(_NamesNotTrimmed)


# --------------------------------------------------------------------------- organizations


def _other_organizations_contact(state: MockState, call: Call) -> Contact | None:
    for org in state.store.organizations.values():
        contact = org.get(call.path["id"])
        if contact is not None:
            return contact
    return None


def cross_org_read() -> Any:
    """BUG: GET by id finds the contacts of every organization, not only the caller's."""
    state = _state()

    def get_contact(call: Call) -> Reply:
        # BUG: the lookup by id is not scoped to the caller's organization.
        contact = call.org.get(call.path["id"]) or _other_organizations_contact(state, call)
        if contact is None:
            raise NotFound("Contact not found.")
        return Reply({"contact": contact.to_json()})

    return _app_with_handlers(state, getContact=get_contact)


class _Forbidden(ApiError):
    status = 403
    code = "forbidden"
    default_message = "This contact belongs to another organization."


def cross_org_403() -> Any:
    """BUG: another organization's contact is answered 403 forbidden, revealing that it exists."""
    state = _state()

    def owner_checked(handler: Callable[[Call], Reply]) -> Callable[[Call], Reply]:
        def checked(call: Call) -> Reply:
            if call.org.get(call.path["id"]) is None and _other_organizations_contact(state, call):
                # BUG: an ownership check that says "not yours" (403) instead of "not found" (404).
                raise _Forbidden()
            return handler(call)

        return checked

    return _app_with_handlers(
        state,
        getContact=owner_checked(mock_handlers.get_contact),
        updateContact=owner_checked(mock_handlers.update_contact),
        deleteContact=owner_checked(mock_handlers.delete_contact),
    )


# --------------------------------------------------------------------------- authentication


def any_bearer_accepted() -> Any:
    """BUG: any Bearer token is accepted, as organization A."""
    state = _state()

    def fall_back_to_org_a(scope: Scope) -> Scope:
        authorization = _header(scope, "authorization")
        scheme, _, token = (authorization or "").strip().partition(" ")
        token = token.strip()
        if scheme.lower() == "bearer" and token and state.tokens.organization_of(token) is None:
            # BUG: an unknown token is not refused: the caller gets the default organization.
            return _set_header(scope, "authorization", f"Bearer {ORG_A_TOKEN}")
        return scope

    return _RewriteRequest(create_app(state), scope=fall_back_to_org_a)


def cookie_ignored() -> Any:
    """BUG: the session cookie is never read, so cookie-only requests get 401."""

    def drop_cookie(scope: Scope) -> Scope:
        # BUG: only the Authorization header is looked at.
        return _set_header(scope, "cookie", None)

    return _RewriteRequest(_app(), scope=drop_cookie)


def bearer_loses_to_cookie() -> Any:
    """BUG: when a Bearer header and the session cookie are both sent, the cookie decides."""

    def cookie_first(scope: Scope) -> Scope:
        cookie = _header(scope, "cookie")
        if cookie and cookie_parser(cookie).get(COOKIE_NAME) and _header(scope, "authorization"):
            # BUG: the session cookie is checked first and, when present, the header is not looked at.
            return _set_header(scope, "authorization", None)
        return scope

    return _RewriteRequest(_app(), scope=cookie_first)


# --------------------------------------------------------------------------- query strings


def limit_clamped() -> Any:
    """BUG: limit over 200 is silently clamped to 200 instead of being rejected with 400."""

    def clamp(scope: Scope) -> Scope:
        items = _query_items(scope)
        for i, (name, value) in enumerate(items):
            if name == "limit":
                if value.isdigit() and int(value) > MAX_LIMIT:
                    # BUG: min(limit, 200) where the contract says 400.
                    items[i] = (name, str(MAX_LIMIT))
                    return {**scope, "query_string": urlencode(items).encode("latin-1")}
                break
        return scope

    return _RewriteRequest(_app(), scope=clamp)


def default_limit_20() -> Any:
    """BUG: without `limit` a page holds at most 20 contacts (the contract: 50)."""

    def default_limit(scope: Scope) -> Scope:
        if any(name == "limit" for name, _ in _query_items(scope)):
            return scope
        query = scope["query_string"]
        # BUG: the framework's default page size (20) instead of the documented 50.
        return {**scope, "query_string": query + (b"&" if query else b"") + b"limit=20"}

    return _RewriteRequest(_app(), scope=default_limit)


# --------------------------------------------------------------------------- statuses, headers, bodies


def no_location_header() -> Any:
    """BUG: a 201 carries no Location header."""

    def drop_location(scope: Scope, status: int, headers: MutableHeaders, body: bytes) -> tuple[int, bytes]:
        if status == 201:
            # BUG: the created resource's URL is never set.
            del headers["location"]
        return status, body

    return _RewriteResponse(_app(), drop_location)


def create_returns_200() -> Any:
    """BUG: POST answers 200 instead of 201."""

    def ok(scope: Scope, status: int, headers: MutableHeaders, body: bytes) -> tuple[int, bytes]:
        # BUG: the framework's default success status for every method.
        return (200 if scope["method"] == "POST" and status == 201 else status), body

    return _RewriteResponse(_app(), ok)


def not_found_wrong_shape() -> Any:
    """BUG: a 404 has the body {"message": "Not found"}, not the contract's error object."""

    def framework_404(scope: Scope, status: int, headers: MutableHeaders, body: bytes) -> tuple[int, bytes]:
        if status != 404:
            return status, body
        # BUG: the framework's own not-found body leaks through.
        headers["content-type"] = JSON_TYPE
        return status, _dump({"message": "Not found"})

    return _RewriteResponse(_app(), framework_404)


def malformed_json_500() -> Any:
    """BUG: malformed JSON is a 500 (the parse error escapes) instead of 400 validation_error."""

    def crash(scope: Scope, status: int, headers: MutableHeaders, body: bytes) -> tuple[int, bytes]:
        if status != 400:
            return status, body
        details = json.loads(body).get("error", {}).get("details", [])
        if not any(d.get("message") == "malformed JSON" for d in details):
            return status, body
        # BUG: the JSON decoder's exception is not caught: the server's generic 500 answers.
        headers["content-type"] = "text/plain; charset=utf-8"
        return 500, b"Internal Server Error"

    return _RewriteResponse(_app(), crash)


def body_limit_off_by_one() -> Any:
    """BUG: a body of exactly 65,536 bytes gets 413 (the limit is configured one byte short)."""
    raw = yaml.safe_load(DEFAULT_SPEC_PATH.read_text(encoding="utf-8"))
    for body in raw["components"]["requestBodies"].values():
        # BUG: 65535, as if "at most 64 KiB" meant "less than 64 KiB".
        body["x-max-body-bytes"] -= 1
    return create_app(_state(spec=parse_spec(raw, source=DEFAULT_SPEC_PATH)))


def unknown_fields_accepted() -> Any:
    """BUG: unknown body fields are silently dropped instead of rejected with 400."""

    def drop_unknown(scope: Scope, raw: bytes) -> bytes:
        body = _json_object(scope, raw)
        if body is None or set(body) <= set(WRITABLE_FIELDS):
            return raw
        # BUG: the body model ignores extra fields (a lenient "extra = ignore" model).
        return _dump({k: v for k, v in body.items() if k in WRITABLE_FIELDS})

    return _RewriteRequest(_app(), body=drop_unknown)


def timestamps_with_offset() -> Any:
    """BUG: timestamps are rendered as ...+00:00 instead of ...Z."""

    def isoformat(value: Any) -> Any:
        if isinstance(value, dict):
            return {
                k: v[:-1] + "+00:00"
                if k in ("created_at", "updated_at") and isinstance(v, str) and v.endswith("Z")
                else isoformat(v)
                for k, v in value.items()
            }
        if isinstance(value, list):
            return [isoformat(v) for v in value]
        return value

    def offset(scope: Scope, status: int, headers: MutableHeaders, body: bytes) -> tuple[int, bytes]:
        if not headers.get("content-type", "").startswith(JSON_TYPE):
            return status, body
        # BUG: datetime.isoformat() on an aware UTC datetime gives +00:00, not the contract's Z.
        return status, _dump(isoformat(json.loads(body)))

    return _RewriteResponse(_app(), offset)


def method_not_allowed_without_allow() -> Any:
    """BUG: a 405 carries no Allow header."""

    def drop_allow(scope: Scope, status: int, headers: MutableHeaders, body: bytes) -> tuple[int, bytes]:
        if status == 405:
            # BUG: the error handler builds a fresh response and loses the Allow header.
            del headers["allow"]
        return status, body

    return _RewriteResponse(_app(), drop_allow)
