"""Planted bugs a backend developer would really write, each hidden behind a condition (issue 10).

Written after the suite's own planted bugs, by asking for each pinned rule how a real
implementation breaks it only under some condition: a combination of parameters, a
boundary, a sequence of writes, a character class, a request detail. Each registers in
the one registry of ``bugs.py`` (``planted``), goes through the mock's public seams only
and carries one ``BUG:`` comment. Which of them the suite caught before the methods of
this round, and which method catches each now: docs/unseen-bugs.md.

``bugs.py`` imports this module near its end (import ``tests.suite.bugs``, not this
module), so every bug here is in its registry and is ``--app tests.suite.bugs:<name>``.
"""

from __future__ import annotations

import asyncio
import json
import re
from dataclasses import replace
from typing import Any

from starlette.datastructures import MutableHeaders

from mock_server.errors import ApiError, FieldError, ValidationFailed
from mock_server.handlers import Call, Handler, Reply
from mock_server.modifiers import (
    Modifier,
    RewriteRequest,
    RewriteResponse,
    WrapHandler,
    header,
    read_body,
    set_header,
)
from mock_server.query import ListQuery, Page, fold
from mock_server.store import Contact, Organization

from .bugs import (
    CONTRACT,
    THOROUGH,
    AroundApp,
    Catch,
    PlantedBug,
    Scope,
    _Directory,
    _dump,
    _everything,
    _exchange,
    _item_path,
    _json_object,
    _NamesStoredAs,
    _SearchOrganization,
    _stateful,
    _window,
    organizations,
    planted,
)

# --------------------------------------------------------------------------- listing


class _TotalFromWindow(Organization):
    def page(self, query: ListQuery) -> Page:
        page = super().page(query)
        if page.items:
            return page
        # BUG: total comes from `COUNT(*) OVER ()` on the rows of the page: past the end there is
        # no row to carry it, so an empty page says total 0.
        return Page(page.items, 0, page.limit, page.offset)


@planted(
    "past the end of the list (an empty page) total is 0: "
    "it is read from COUNT(*) OVER () on the page's rows.",
    Catch("test_listing.py", "test_pages_partition_the_result and 5-asc-created_at", "total-counts-matches"),
)
def total_zero_past_the_end() -> tuple[Modifier, ...]:
    return organizations(_TotalFromWindow)


class _CountsDeleted(Organization):
    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.deleted_rows = 0

    def delete(self, contact_id: str) -> bool:
        gone = super().delete(contact_id)
        self.deleted_rows += int(gone)
        return gone

    def page(self, query: ListQuery) -> Page:
        page = super().page(query)
        if query.filtered:
            return page
        # BUG: deletes are soft; the unfiltered list's total is a cached row count of the table,
        # which still holds the soft-deleted rows. Filtered lists count with the deleted filter.
        return Page(page.items, page.total + self.deleted_rows, page.limit, page.offset)


@planted(
    "the unfiltered list's total still counts deleted contacts (a cached row count of a soft-delete table).",
    Catch("test_page_arithmetic.py", "test_the_end_of_every_list_agrees_with_total", "page-arithmetic"),
)
def unfiltered_total_counts_deleted() -> tuple[Modifier, ...]:
    return organizations(_CountsDeleted)


class _FetchOneMore(Organization):
    def page(self, query: ListQuery) -> Page:
        # BUG: the page query asks for limit + 1 rows (to know whether a next page exists), but
        # the database layer caps every query at the maximum page size: at limit=max the probe
        # row is never fetched, and the last real row is dropped as if it were the probe.
        probe = min(query.limit + 1, CONTRACT.max_limit)
        fetched = super().page(replace(query, limit=probe))
        items = list(fetched.items)
        if len(items) == probe:
            items = items[:-1]
        return Page(items, fetched.total, query.limit, query.offset)


@planted(
    "at limit=200 (the maximum) a full page holds 199 contacts: "
    "the limit+1 probe row is capped and a real row dropped.",
    Catch("test_page_arithmetic.py", "test_a_page_at_the_maximum_limit_is_full", "page-arithmetic"),
)
def limit_max_drops_a_row() -> tuple[Modifier, ...]:
    return organizations(_FetchOneMore)


class _NameSortConcatenated(Organization):
    def page(self, query: ListQuery) -> Page:
        if query.sort != "name":
            return super().page(query)
        hits = _everything(self, query)
        # BUG: the sort column is one string, last_name || first_name: "Li" "Zoe" sorts after
        # "Lia" "Ann" ("lizoe" > "liaann"); the contract compares last names first.
        hits.sort(key=lambda c: (fold(c.last_name + c.first_name), c.id), reverse=query.descending)
        return _window(hits, query)


@planted(
    'sort=name orders by last_name || first_name as one string: ("Li", "Zoe") after ("Lia", "Ann").',
    Catch("test_near_ties.py", "test_names_next_to_each_other_sort_by_the_contract", "sort-order", THOROUGH),
)
def name_sort_concatenated() -> tuple[Modifier, ...]:
    return organizations(_NameSortConcatenated)


class _SearchOrCompany(_SearchOrganization):
    def page(self, query: ListQuery) -> Page:
        if not (query.search and query.company_id):
            return super().page(query)
        everyone = _everything(self, query, search="", company_id="")
        needle = query.search

        def hit(c: Contact) -> bool:
            last = fold(c.last_name)
            # BUG: `company_id = ? AND first_name ILIKE ? OR last_name ILIKE ? OR email ILIKE ?`
            # without parentheses: a last-name or email match ignores the company filter.
            return (c.company_id == query.company_id and any(needle in f for f in self.forms(c))) or (
                needle in last or needle in fold(c.email or "")
            )

        return _window([c for c in everyone if hit(c)], query)


@planted(
    "search with a company filter: a match on the last name or email ignores the company "
    "(AND/OR precedence).",
    Catch("test_listing.py", "test_company_filter_alone_and_with_search", "company-filter"),
)
def search_or_company_precedence() -> tuple[Modifier, ...]:
    return organizations(_SearchOrCompany)


# --------------------------------------------------------------------------- search


class _SearchBlob(_SearchOrganization):
    def forms(self, contact: Contact) -> list[str]:
        first, last = self.normalize(contact.first_name), self.normalize(contact.last_name)
        email = self.normalize(contact.email or "")
        # BUG: one search column, concat_ws(' ', last_name, first_name, email), plus "first last":
        # a text spanning the first name and the email ("taro taro@") finds the contact.
        return [f"{last} {first} {email}".rstrip(), f"{last}{first}", f"{first} {last}"]


@planted(
    'search looks in one column "last first email": text spanning the first name and the email matches.',
    Catch("test_search_spans.py", "test_text_across_fields_finds_only_what_a_form_holds", "search-matches"),
)
def search_blob_across_fields() -> tuple[Modifier, ...]:
    return organizations(_SearchBlob)


class _SearchWords(_SearchOrganization):
    def page(self, query: ListQuery) -> Page:
        if not query.search or " " not in query.search.strip():
            return super().page(query)
        words = query.search.split()
        candidates = _everything(self, query, search="")
        # BUG: a multi-word search is split into words, each matched anywhere (AND): "taro example"
        # finds taro@example.com; the contract matches the text as one substring of one form.
        hits = [c for c in candidates if all(any(w in f for f in self.forms(c)) for w in words)]
        return _window(hits, query)


@planted(
    "a search with several words matches each word anywhere (AND), not the text as one substring.",
    Catch("test_search_spans.py", "test_text_across_fields_finds_only_what_a_form_holds", "search-matches"),
)
def search_words_anywhere() -> tuple[Modifier, ...]:
    return organizations(_SearchWords)


def _like_backslash(needle: str) -> re.Pattern[str]:
    out, i = [], 0
    while i < len(needle):
        if needle[i] == "\\" and i + 1 < len(needle):
            # BUG: % and _ are escaped with a backslash, but a backslash in the text is not: it
            # escapes the next character, so "a\b" looks for "ab".
            out.append(re.escape(needle[i + 1]))
            i += 2
            continue
        out.append(re.escape(needle[i]))
        i += 1
    return re.compile("".join(out))


class _SearchBackslash(_SearchOrganization):
    def page(self, query: ListQuery) -> Page:
        if "\\" not in query.search:
            return super().page(query)
        return self.matching(query, _like_backslash(query.search).search)


@planted(
    'search escapes % and _ for LIKE but not the backslash: "a\\b" finds "ab", not "a\\b".',
    _stateful("search-matches"),
)
def search_backslash_unescaped() -> tuple[Modifier, ...]:
    return organizations(_SearchBackslash)


# --------------------------------------------------------------------------- writes


class _CaseInsensitiveChange(Organization):
    def update(self, contact_id: str, changes: Any) -> Contact | None:
        current = self.get(contact_id)
        if current is not None:
            differing = {k: v for k, v in changes.items() if getattr(current, k) != v}
            old = {k: getattr(current, k) for k in differing}
            if differing and all(
                isinstance(v, str) and isinstance(old[k], str) and fold(v.strip()) == fold(old[k])
                for k, v in differing.items()
            ):
                # BUG: "did anything change?" is asked in SQL under the column's case- and
                # width-insensitive collation (`WHERE email <> :new`): a change of case or width
                # only is taken for no change, and the old value stays.
                return current
        return super().update(contact_id, changes)


@planted(
    'a PATCH that changes only the case or width of a value ("taro" -> "Taro") is ignored (a _ci collation).',
    Catch(
        "test_near_values.py",
        "test_a_change_of_case_or_form_is_a_change",
        "patch-changes-only-what-it-sends",
        THOROUGH,
    ),
)
def case_only_change_ignored() -> tuple[Modifier, ...]:
    return organizations(_CaseInsensitiveChange)


SQL_SPACE = " "


class _TrimSpacesOnly(_NamesStoredAs):
    def stored_name(self, sent: str) -> str:
        # BUG: the names are trimmed by SQL TRIM(), which removes spaces only: tabs and U+3000 stay.
        return sent.strip(SQL_SPACE)


@planted(
    "names are trimmed of ASCII spaces only (SQL TRIM): a tab or an ideographic space U+3000 stays.",
    Catch("test_errors.py", "test_edge_values_are_accepted_as_given and value8", "stored-as-given"),
)
def names_trimmed_of_spaces_only() -> tuple[Modifier, ...]:
    return organizations(_TrimSpacesOnly)


def _raw_length_checked(call: Call, handler: Handler) -> Reply:
    body = call.body or {}
    too_long = [
        FieldError(name, "longer than 100 characters")
        for name in ("first_name", "last_name")
        if isinstance(body.get(name), str) and len(body[name]) > 100
    ]
    if too_long:
        # BUG: the length is checked on the value as sent, before it is trimmed.
        raise ValidationFailed(details=too_long)
    return handler(call)


@planted(
    "a name of 100 characters sent with surrounding white space is refused: "
    "the length is checked before trimming.",
    Catch("test_errors.py", "test_edge_values_are_accepted_as_given and value7", "stored-as-given"),
)
def name_length_checked_before_trim() -> tuple[Modifier, ...]:
    return (
        WrapHandler("createContact", _raw_length_checked),
        WrapHandler("updateContact", _raw_length_checked),
    )


class _Conflict(ApiError):
    status = 409
    code = "conflict"
    default_message = "A contact with this email already exists."


def _email_taken(call: Call, handler: Handler) -> Reply:
    email = (call.body or {}).get("email")
    if isinstance(email, str):
        own = call.path.get("id") if call.path else None
        if any(c.email and c.email.lower() == email.lower() and c.id != own for c in call.org):
            # BUG: a unique index on lower(email) per organization, which the contract does not have.
            raise _Conflict()
    return handler(call)


@planted(
    "two contacts of one organization may not share an email address "
    "(a unique index the contract lacks): 409.",
    Catch("test_schema.py", "test_operation_conforms_to_the_spec and POST", "documented-status"),
)
def email_unique_per_organization() -> tuple[Modifier, ...]:
    return (WrapHandler("createContact", _email_taken), WrapHandler("updateContact", _email_taken))


def _timestamps_unpadded(value: Any) -> Any:
    if isinstance(value, dict):
        return {
            k: _unpad(v) if k in ("created_at", "updated_at") else _timestamps_unpadded(v)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [_timestamps_unpadded(v) for v in value]
    return value


def _unpad(stamp: Any) -> Any:
    match = re.fullmatch(r"(.{19})\.(\d+)Z", stamp) if isinstance(stamp, str) else None
    if match is None:
        return stamp
    # BUG: the fraction is printed as a number ("%d"), without its leading zeros:
    # 10:00:00.005Z is written 10:00:00.5Z.
    return f"{match.group(1)}.{int(match.group(2).ljust(6, '0'))}Z"


def _render_unpadded(scope: Scope, status: int, headers: MutableHeaders, body: bytes) -> tuple[int, bytes]:
    if not headers.get("content-type", "").startswith("application/json") or not body:
        return status, body
    return status, _dump(_timestamps_unpadded(json.loads(body)))


@planted(
    "fractional seconds are printed without their leading zeros: .005 is written .5 (a %d format).",
    Catch(
        "test_near_ties.py",
        "test_creations_spread_over_time_sort_by_their_timestamps",
        "sort-order",
        THOROUGH,
    ),
)
def timestamps_fraction_unpadded() -> tuple[Modifier, ...]:
    return (RewriteResponse(_render_unpadded),)


def _trim_every_string(scope: Scope, raw: bytes) -> bytes:
    body = _json_object(scope, raw)
    if body is None:
        return raw
    # BUG: a global "trim strings" input middleware (Laravel's TrimStrings is on by default): every
    # string of the body is trimmed, not only the names, so " 部長 " and "03-1234 " lose their spaces.
    return _dump({k: v.strip(" \t\n\r\x0b") if isinstance(v, str) else v for k, v in body.items()})


@planted(
    "every string of a write is trimmed, not only the names (a global TrimStrings middleware): "
    'a position " 部長 " is stored "部長".',
    Catch(
        "test_near_values.py", "test_a_change_of_case_or_form_is_a_change", "patch-changes-only-what-it-sends"
    ),
)
def every_string_trimmed() -> tuple[Modifier, ...]:
    return (RewriteRequest(body=_trim_every_string),)


def _empty_to_null(scope: Scope, raw: bytes) -> bytes:
    body = _json_object(scope, raw)
    if body is None:
        return raw
    # BUG: a ConvertEmptyStringsToNull input middleware: "" becomes null (unset), where the contract
    # stores "" as given.
    return _dump({k: None if v == "" else v for k, v in body.items()})


@planted(
    'an empty string is stored as null (a ConvertEmptyStringsToNull middleware): phone "" reads back null.',
    Catch("test_errors.py", "test_edge_values_are_accepted_as_given and position", "stored-as-given"),
)
def empty_strings_stored_as_null() -> tuple[Modifier, ...]:
    return (RewriteRequest(body=_empty_to_null),)


class _ReusesNewestId(Organization):
    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.newest: str | None = None
        self.free: str | None = None

    def create(self, values: Any) -> Contact:
        contact = super().create(values)
        if self.free is not None:
            # BUG: ids come from MAX(seq) + 1 (hashed into the cont_ form): once the newest contact
            # is deleted, the next create gets its id again.
            self.delete(contact.id)
            contact = replace(contact, id=self.free)
            self.add(contact)
            self.free = None
        self.newest = contact.id
        return contact

    def delete(self, contact_id: str) -> bool:
        gone = super().delete(contact_id)
        if gone and contact_id == self.newest:
            self.free, self.newest = contact_id, None
        return gone


@planted(
    "the id of the newest contact is given again to the next create once it is deleted (MAX(seq) + 1).",
    _stateful("delete-removes"),
)
def id_reused_after_deleting_the_newest() -> tuple[Modifier, ...]:
    return organizations(_ReusesNewestId)


def _cached_get() -> tuple[Modifier, ...]:
    cache: dict[tuple[str, str], Reply] = {}

    def get(call: Call, handler: Handler) -> Reply:
        key = (call.org.id, call.path["id"])
        if key not in cache:
            cache[key] = handler(call)
        return cache[key]

    def write(call: Call, handler: Handler) -> Reply:
        reply = handler(call)
        cache.pop((call.org.id, call.path["id"]), None)
        return reply

    # BUG: GET by id is cached; PATCH drops the cache entry, DELETE forgets to.
    return (WrapHandler("getContact", get), WrapHandler("updateContact", write))


@planted(
    "GET by id is served from a cache that PATCH invalidates and DELETE does not: "
    "a deleted contact reads 200.",
    _stateful("delete-removes"),
)
def get_cache_kept_after_delete() -> tuple[Modifier, ...]:
    return _cached_get()


# --------------------------------------------------------------------------- requests


def _cookie_first_only(scope: Scope) -> Scope:
    cookie = header(scope, "cookie")
    if not cookie:
        return scope
    names = [part.split("=", 1)[0] for part in cookie.split(";")]
    # BUG: the Cookie header is split on ";" and the names compared without stripping the space
    # after it: the session cookie is found only when it comes first.
    if CONTRACT.cookie_name not in names:
        return set_header(scope, "cookie", None)
    return scope


@planted(
    "the session cookie is found only when it is the first cookie of the header (names not stripped).",
    Catch(
        "test_request_forms.py", "test_the_session_cookie_among_other_cookies", "each-credential-style-works"
    ),
)
def cookie_found_only_first() -> tuple[Modifier, ...]:
    return (RewriteRequest(scope=_cookie_first_only),)


_ADMITTED = {"application/json", "application/json; charset=utf-8"}


def _content_type_exact(scope: Scope) -> Scope:
    content_type = header(scope, "content-type")
    if content_type is None or scope["method"] not in ("POST", "PATCH"):
        return scope
    # BUG: the Content-Type is compared as a string with the two forms the developer knew, and
    # +json types without parameters: "application/json;charset=UTF-8" (Spring's) is refused.
    if content_type in _ADMITTED or re.fullmatch(r"application/[a-z0-9.-]+\+json", content_type):
        return scope
    return set_header(scope, "content-type", "text/plain")


@planted(
    'Content-Type is compared as a string: "application/json;charset=UTF-8" '
    "and +json with a charset get 415.",
    Catch("test_request_forms.py", "test_every_json_media_type_form_is_accepted", "json-media-types"),
)
def content_type_compared_as_string() -> tuple[Modifier, ...]:
    return (RewriteRequest(scope=_content_type_exact),)


# --------------------------------------------------------------------------- concurrency


def _resurrecting(directory: _Directory) -> type:
    class PatchUpserts:
        def __init__(self, app: Any) -> None:
            self.app = app

        async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
            if scope["type"] != "http" or scope["method"] != "PATCH" or not _item_path(scope):
                await self.app(scope, receive, send)
                return
            raw = await read_body(receive)
            contact_id = str(scope["path"]).rsplit("/", 1)[-1]
            owner = next((o for o in directory.organizations.values() if o.get(contact_id)), None)
            if _json_object(scope, raw) is not None and owner is not None:
                read = owner.get(contact_id)
                await asyncio.sleep(0.005)  # the database round trip between the read and the write
                if read is not None and owner.get(contact_id) is None:
                    # BUG: the write is an upsert (INSERT ... ON CONFLICT UPDATE) of the row read
                    # before: a DELETE that landed in between is undone.
                    owner.add(read)
            _, messages, _ = await _exchange(self.app, scope, raw)
            for message in messages:
                await send(message)

    return PatchUpserts


@planted(
    "a PATCH racing a DELETE of the same contact brings it back (the PATCH writes by upsert).",
    Catch("test_races.py", "test_a_delete_racing_patches_stays_deleted", "delete-removes"),
)
def patch_resurrects_deleted() -> tuple[Modifier, ...]:
    directory = _Directory()
    return (directory.factory(), AroundApp(_resurrecting(directory)))


UNSEEN: tuple[PlantedBug, ...] = (
    total_zero_past_the_end,
    unfiltered_total_counts_deleted,
    limit_max_drops_a_row,
    name_sort_concatenated,
    search_or_company_precedence,
    search_blob_across_fields,
    search_words_anywhere,
    search_backslash_unescaped,
    case_only_change_ignored,
    names_trimmed_of_spaces_only,
    name_length_checked_before_trim,
    email_unique_per_organization,
    timestamps_fraction_unpadded,
    cookie_found_only_first,
    content_type_compared_as_string,
    patch_resurrects_deleted,
    every_string_trimmed,
    empty_strings_stored_as_null,
    id_reused_after_deleting_the_newest,
    get_cache_kept_after_delete,
)
