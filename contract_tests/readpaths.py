"""Every write observed through every read path, scoped to the data the run owns.

After a create, a patch or a delete, the model-based machine (`test_stateful.py`)
asks :class:`ReadPaths` to look at the contact the way every client could:

- ``GET`` by id (404 once deleted);
- the list filtered by its company (and by its old company after a move), both
  sorts and both orders: the run's companies are random ids no one else uses,
  so these pages are compared with the model exactly (items, order, total);
- the unfiltered list, both sorts and both orders;
- search by needles drawn from the data (`alphabet.needles`): random substrings
  of the contact's search forms, of its old values after a patch, of fields
  search must not look at, of the run's other contacts, shown folded or not,
  sometimes with a LIKE or regex metacharacter put in; with or without its
  company as a second filter.

Pages that other people's data can reach (the unfiltered list, a search without
the company filter) are judged by what one consistent page proves whatever else
the deployment holds: every contact of the run on the page matches the filters,
shows the model's fields and keeps the model's order relative to the run's other
contacts; no deleted contact appears; `total` is at least the run's matches; and
a matching contact of the run is on the page whenever its sort key lies strictly
inside the page (strictly after the first item, or the page starts at offset 0;
strictly before the last item, or the page is not full). A needle holding the
run's token, or a company filter, makes the page the run's alone: then it must
equal the model's page exactly.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import partial
from typing import Any, NoReturn

from hypothesis import strategies as st

from . import fanout
from .alphabet import needles, searched_forms, unambiguous, unsearched_fields
from .arithmetic import check_page_arithmetic
from .client import ApiClient
from .contract import active
from .failures import Exchange, expect, expect_equal, fail
from .invariants import check_error, contact_of, page_of
from .model import OrganizationModel, Query, fold, instant, search_matches, select

Contact = Mapping[str, Any]


@dataclass(frozen=True)
class Newest:
    """The newest page of the unfiltered list (`desc` by creation time), then the oldest end of
    `asc` and of `desc` at the same place: their offset is the newest page's `total` less the
    window."""

    window: int


# One read after a write: GET by id (a contact id), one page, or the unfiltered pair.
Read = str | Query | Newest


def _key(contact: Contact, sort: str) -> tuple[Any, ...] | None:
    """The contact's position in the contract's order, or None where the contract's words
    leave it open (a foreign name whose folding is ambiguous)."""
    if sort == "name":
        first, last = contact["first_name"], contact["last_name"]
        if not (
            isinstance(first, str) and isinstance(last, str) and unambiguous(first) and unambiguous(last)
        ):
            return None
        return fold(last), fold(first), contact["id"]
    try:
        # created_at as rendered: contacts rendered alike may be stored in either order.
        return instant(contact["created_at"])
    except (KeyError, TypeError, ValueError):
        return None


def matches(contact: Contact, query: Query) -> bool:
    return search_matches(contact, query.search) and (
        not query.company_id or contact["company_id"] == query.company_id
    )


@dataclass
class ReadPaths:
    """The read paths of one machine run: its model, its companies, its token, what it deleted."""

    api: ApiClient
    model: OrganizationModel
    token: str
    companies: list[str]
    gone: dict[str, dict[str, Any]] = field(default_factory=dict)

    # ------------------------------------------------------------------ after each write

    def written(self, data: st.DataObject, contact_id: str, before: Contact | None) -> None:
        """After a create (`before` None) or a patch: the contact as the model has it, everywhere."""
        contact = self.model.contacts[contact_id]
        reads: list[Read] = [contact_id]
        # A write that sets what the company filter and sort=name look at is read in every sort
        # and order; one that changes only other fields, in one drawn sort and order.
        placed = before is None or any(
            before[f] != contact[f] for f in ("first_name", "last_name", "company_id")
        )
        if contact["company_id"]:
            mine = Query(company_id=contact["company_id"], limit=self._window())
            if placed:
                for sort in active().sorts:
                    for order in active().orders:
                        reads.append(replace(mine, sort=sort, order=order))
            else:
                reads.append(self._drawn_order(data, mine))
        moved_from = before["company_id"] if before else None
        if moved_from and moved_from != contact["company_id"]:
            reads.append(self._drawn_order(data, Query(company_id=moved_from, limit=self._window())))
        reads += self.unfiltered(data, by_name=placed)
        sources = searched_forms(contact)
        reads.append(self.search(data, sources, subject=contact))
        if before is not None and searched_forms(before) != sources:
            # The old values: found only if still matching.
            reads.append(self.search(data, searched_forms(before), subject=contact))
        others = [f for c in self.model.contacts.values() if c["id"] != contact_id for f in searched_forms(c)]
        # Found only by coincidence, which the model knows: what search must not look at, and
        # the run's other contacts.
        reads.append(self.search(data, unsearched_fields(contact), others, subject=contact))
        common = self.common_search(data, contact)
        if common is not None:
            reads.append(common)
        self.read(reads)

    def deleted(self, data: st.DataObject, contact: Contact) -> None:
        """After a delete: 404 by id, and in no list any more."""
        self.gone[contact["id"]] = dict(contact)
        reads: list[Read] = [contact["id"]]
        if contact["company_id"]:
            reads.append(
                self._drawn_order(data, Query(company_id=contact["company_id"], limit=self._window()))
            )
        reads.append(Query(sort="created_at", order="desc", limit=self._window()))
        reads.append(self.search(data, searched_forms(contact), subject=contact))
        self.read(reads)

    def live(self, data: st.DataObject, label: str) -> Contact:
        """One of the run's live contacts, drawn (the caller knows there is one)."""
        contacts = list(self.model.contacts.values())
        return contacts[_index(data, len(contacts), label)]

    def searches(self, data: st.DataObject) -> list[Read]:
        """Searches of the run's data away from any write: a needle from a live contact's searched
        forms, and one from what search must not look at or from the run's other contacts. Search
        is the read path whose readings of the contract differ most (folding, accents, LIKE and
        escapes, fields looked at), so it gets needles of its own, not only one per write."""
        subject = self.live(data, "searched contact")
        others = [
            f for c in self.model.contacts.values() if c["id"] != subject["id"] for f in searched_forms(c)
        ]
        return [
            self.search(data, searched_forms(subject), subject=subject),
            self.search(data, unsearched_fields(subject), others, subject=subject),
        ]

    # ------------------------------------------------------------------ the read paths

    def read(self, reads: Sequence[Read]) -> None:
        """Send the reads at once (`fanout.py`), then judge the answers one by one in `reads`' order.

        Every read was drawn before any is sent and none depends on another's answer (but the
        oldest page of `Newest`, sent after its newest page); every one is judged against the
        model as the write's own answer left it, so the verdict, and the first failure
        reported, are those of the same reads made one after another.
        """
        for outcome in fanout.each([partial(self._fetch, read) for read in reads]):
            for read, answer in outcome.get():
                exchange = answer.get()
                if isinstance(read, str):
                    self._judge_by_id(read, exchange)
                else:
                    self._judge(read, exchange)

    def _fetch(self, read: Read) -> list[tuple[str | Query, fanout.Outcome[Exchange]]]:
        if isinstance(read, str):
            return [(read, fanout.Outcome(self.api.get(read)))]
        if isinstance(read, Query):
            return [(read, fanout.Outcome(self._list(read)))]
        newest = Query(sort="created_at", order="desc", limit=read.window)
        exchange = self._list(newest)
        try:
            total = int(exchange.response.json()["total"])
        except Exception:  # judging the newest page says what is wrong with it
            return [(newest, fanout.Outcome(exchange))]
        end = max(0, total - read.window)
        answers: list[tuple[str | Query, fanout.Outcome[Exchange]]] = [(newest, fanout.Outcome(exchange))]
        for query in (
            Query(sort="created_at", order="asc", limit=read.window, offset=end),
            Query(sort="created_at", order="desc", limit=read.window, offset=end),
        ):
            try:
                answers.append((query, fanout.Outcome(self._list(query))))
            except Exception as error:  # judged in order: the newest page first
                answers.append((query, fanout.Outcome(error=error)))
                break
        return answers

    def by_id(self, contact_id: str) -> None:
        self._judge_by_id(contact_id, self.api.get(contact_id))

    def _judge_by_id(self, contact_id: str, exchange: Exchange) -> None:
        if contact_id in self.gone:
            check_error(exchange, 404, "GET of a deleted contact is 404", rule="delete-removes")
            return
        expect_equal(
            contact_of(exchange, 200, "GET finds a live contact"),
            self.model.contacts[contact_id],
            "GET by id shows the contact as the last write left it",
            exchange,
            rule="read-paths-agree",
        )

    def unfiltered(self, data: st.DataObject, *, by_name: bool = True) -> list[Read]:
        """The whole organization's list at the run's contacts' position.

        By creation time the run's contacts are the newest: the first page of `desc` and the
        last page of `asc` hold them (small pages, both asked every time). By name they may be
        anywhere: the first page of the largest size, in a drawn order, judged by what it proves.
        Both sorts and both orders in full: the company pages of `written`.
        """
        reads: list[Read] = [Newest(self._window())]
        if by_name:
            order = data.draw(st.sampled_from(active().orders), label="order by name")
            reads.append(Query(sort="name", order=order, limit=active().max_limit))
        # Newest first from inside the run's contacts (and, in `Newest`, the oldest end of that
        # order): pages at an offset, read backwards (a server that pages a reversed index walks
        # it from the end).
        inner = 1 + _index(data, len(self.model.contacts), "offset newest first")
        small = data.draw(st.integers(1, 4), label="small page")
        reads.append(Query(sort="created_at", order="desc", limit=small, offset=inner))
        return reads

    def search(self, data: st.DataObject, *sources: list[str], subject: Contact) -> Query:
        """A needle drawn from `sources`; with the subject's company as a second filter (any sort
        and order: the page is the run's alone), or without (the newest first: the run's contacts
        are the newest, so one small page from the start holds them wherever others' data is)."""
        needle = data.draw(needles(*sources), label="needle")
        company = subject.get("company_id")
        if company and data.draw(st.booleans(), label="with its company"):
            return self._drawn_order(data, Query(search=needle, company_id=company, limit=self._window()))
        return Query(search=needle, sort="created_at", order="desc", limit=self._window())

    def common_search(self, data: st.DataObject, subject: Contact) -> Query | None:
        """A needle of one character of the contact's searched forms: it hits many contacts, the
        run's and everyone else's, so the page is judged by what it proves; read in a drawn sort and
        order at the largest page size (a server may order a search that hits most of the data in
        another way than one that hits a few)."""
        text = "".join(searched_forms(subject))
        letters = sorted({c for c in text if unambiguous(c) and not c.isspace()})
        if not letters:
            return None
        needle = letters[_index(data, len(letters), "common needle")]
        return self._drawn_order(data, Query(search=needle, limit=active().max_limit))

    # ------------------------------------------------------------------ one page, judged

    def page(self, query: Query) -> int:
        """Ask for one page and judge it; answers its `total`."""
        return self._judge(query, self._list(query))

    def _list(self, query: Query) -> Exchange:
        return self.api.list(_params(query))

    def _judge(self, query: Query, exchange: Exchange) -> int:
        """Judge one page of `query`; answers its `total`."""
        page = page_of(exchange)
        check_page_arithmetic(self.api, _params(query), exchange)
        own = self.model.contacts
        matching = select(own.values(), query)
        scoped = query.company_id in self.companies or (
            bool(query.search) and fold(self.token) in fold(query.search)
        )
        what = _what(query)
        for item in page["items"]:
            expect(
                item["id"] not in self.gone,
                "a deleted contact is in no list",
                exchange,
                f"{item['id']} was deleted, yet {what} lists it",
                rule="delete-removes",
            )
        mine = [item for item in page["items"] if item["id"] in own]
        for item in mine:
            if not matches(own[item["id"]], query):
                _wrong_members(
                    query,
                    f"{what} lists only contacts that match it",
                    exchange,
                    f"{item['id']} ({_names(own[item['id']])}) does not match, yet it is listed",
                )
            expect_equal(
                item,
                own[item["id"]],
                "a listed contact shows the fields the last write left",
                exchange,
                rule="read-paths-agree",
            )
        if scoped:
            window = matching[query.offset : query.offset + query.limit]
            self._same_members(page["items"], window, exchange, query)
            self._same_order(mine, window, exchange, query)
            expect_equal(
                page["total"],
                len(matching),
                f"total of {what} counts its matches",
                exchange,
                rule="total-counts-matches",
            )
            return int(page["total"])
        present = {item["id"] for item in mine}
        inside = self._inside(page["items"], query)
        missing = [c for c in matching if c["id"] not in present and inside(c)]
        if missing:
            self._same_members(mine, [*mine, *missing], exchange, query)
        self._same_order(mine, [c for c in matching if c["id"] in present], exchange, query)
        expect(
            page["total"] >= len(matching),
            "total counts every matching contact",
            exchange,
            f"total {page['total']}, but the run alone has {len(matching)} matching contacts",
            rule="total-counts-matches",
        )
        return int(page["total"])

    def _inside(self, items: list[dict[str, Any]], query: Query) -> Callable[[Contact], bool]:
        """Must a matching contact of the run be on this page, whatever else the deployment holds?"""
        descending = query.order == "desc"

        def earlier(a: tuple[Any, ...], b: tuple[Any, ...]) -> bool:
            return a > b if descending else a < b

        first = _key(items[0], query.sort) if items else None
        last = _key(items[-1], query.sort) if items else None
        full = len(items) >= query.limit

        def inside(contact: Contact) -> bool:
            key = _key(contact, query.sort)
            if key is None:
                return False
            if not items:
                return query.offset == 0
            after_first = query.offset == 0 or (first is not None and earlier(first, key))
            before_last = not full or (last is not None and earlier(key, last))
            return after_first and before_last

        return inside

    def _same_members(
        self, items: list[dict[str, Any]], expected: list[Contact], exchange: Exchange, query: Query
    ) -> None:
        got, want = {i["id"] for i in items}, {c["id"] for c in expected}
        if got == want:
            return
        named = {c["id"]: c for c in [*self.model.contacts.values(), *self.gone.values()]}
        extra = ", ".join(f"{i} ({_names(named[i])})" if i in named else i for i in sorted(got - want))
        lacking = ", ".join(f"{i} ({_names(named[i])})" for i in sorted(want - got))
        _wrong_members(
            query,
            f"{_what(query)} lists exactly the matching contacts",
            exchange,
            f"missing: {lacking or '-'}\n  unexpected: {extra or '-'}",
        )

    def _same_order(
        self, items: list[dict[str, Any]], expected: list[Contact], exchange: Exchange, query: Query
    ) -> None:
        if query.sort == "name":
            actual, wanted = [i["id"] for i in items], [c["id"] for c in expected]
        else:  # contacts rendered with the same created_at may come in either order
            actual, wanted = [i["created_at"] for i in items], [c["created_at"] for c in expected]
        expect_equal(
            actual,
            wanted,
            f"{_what(query)} lists the run's contacts in the contract's order",
            exchange,
            rule="sort-order",
        )

    # ------------------------------------------------------------------ helpers

    def _window(self) -> int:
        return min(active().max_limit, len(self.model.contacts) + len(self.gone) + 8)

    @staticmethod
    def _drawn_order(data: st.DataObject, query: Query) -> Query:
        sort = data.draw(st.sampled_from(active().sorts), label="sort")
        order = data.draw(st.sampled_from(active().orders), label="order")
        return Query(
            search=query.search, company_id=query.company_id, sort=sort, order=order, limit=query.limit
        )


def _index(data: st.DataObject, size: int, label: str) -> int:
    """An index below `size`, drawn the same way whatever `size` is: the run's data (its token,
    server-made ids) differs between a run and its replay, and a draw whose bounds follow it
    makes Hypothesis see inconsistent data generation (alphabet._pick does the same)."""
    return int(data.draw(st.integers(0, 2**16 - 1), label=label)) % max(1, size)


def _names(contact: Contact) -> str:
    return f"{contact['last_name']!r} {contact['first_name']!r}"


def _what(query: Query) -> str:
    parts = [f"search={query.search!r}"] if query.search else []
    if query.company_id:
        parts.append(f"company_id={query.company_id}")
    parts.append(f"sort={query.sort} order={query.order}")
    return "the list " + " ".join(parts)


def _wrong_members(query: Query, invariant: str, exchange: Exchange, detail: str) -> NoReturn:
    """Fail with the id of the filter that picked the wrong contacts."""
    if query.search:
        fail(invariant, exchange, detail, rule="search-matches")
    if query.company_id:
        fail(invariant, exchange, detail, rule="company-filter")
    fail(invariant, exchange, detail, rule="list-holds-every-contact")


def _params(query: Query) -> dict[str, Any]:
    """The query string of `query`: its parameters, the empty ones left out."""
    return {k: v for k, v in query.params().items() if v != ""}
