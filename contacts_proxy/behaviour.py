"""Behavioural rules over one client's observed traffic, flagged only when certain.

A client is keyed by a digest of its credential. What makes a finding certain:

- Ordering comes from the proxy's own clock: exchange A happened before B only
  when A's answer arrived before B's request did. Overlapping exchanges are
  never ordered, so concurrency alone cannot raise a finding.
- `updated_at` is the contact's version stamp: a real change moves it strictly
  forward, so two answers with the same stamp must show the same fields, and a
  later read may never show an older stamp, whoever else writes (also writers
  the proxy cannot see).
- Ids are never reused and a delete is final, so a contact seen before and
  after a list existed throughout it; only then may a list be blamed for
  leaving out a contact the client created, and only when the page's
  created_at range strictly covers it (rendered ties are never judged).
- A PATCH that changes nothing is judged only against the client's last read
  of the contact that ended before the PATCH began, when no write to that
  contact passed through the proxy in between, and only when the answer shows
  exactly the fields of that read but a different updated_at. (A writer the
  proxy cannot see changing a field and changing it back in between is the one
  case this rule cannot tell apart; docs/proxy.md says so.)
"""

from __future__ import annotations

from collections import OrderedDict, deque
from dataclasses import dataclass, field
from typing import Any

from starlette.datastructures import QueryParams

from contract_tests.contract import default as default_contract
from contract_tests.model import NAME_FIELDS, is_change
from mock_server.errors import ValidationFailed
from mock_server.validation import parse_query

from .checks import AMBIGUOUS_SPACE, Finding, Route, contacts_in, instant, request_object
from .records import Exchange, NotJSON

# A response that broke one of these is not evidence of behaviour.
_SHAPE_RULES = frozenset(
    {"status.documented", "response.json", "response.schema", "timestamp.format", "timestamp.order"}
)
_INFINITY = float("inf")

Instant = Any  # contract_tests.model.instant(): an exactly comparable timestamp

WRITABLE = default_contract().writable_fields  # the create body's fields, read from openapi.yaml


def label(ex: Exchange) -> str:
    return f"{ex.method} {ex.raw_target} -> {ex.status}"


@dataclass
class Seen:
    fields: dict[str, Any]
    updated: Instant
    started: float
    answered: float
    label: str


@dataclass
class History:
    """What one client has seen of one contact."""

    created_at: Instant | None = None
    latest: Seen | None = None
    created: tuple[float, str] | None = None  # (answered, label) of this client's 201
    deleted: tuple[float, str] | None = None  # (answered, label) of this client's 200 DELETE
    seen_after: float = -_INFINITY  # the latest start of an exchange that showed it existing
    pending: list[tuple[float, Exchange, Finding]] = field(default_factory=list)


@dataclass
class Client:
    contacts: OrderedDict[str, History] = field(default_factory=OrderedDict)
    created: OrderedDict[str, None] = field(default_factory=OrderedDict)  # created here, not deleted


class Behaviour:
    """Remembers what each client saw (bounded) and reports what cannot be right."""

    def __init__(self, max_clients: int = 1000, max_contacts: int = 20_000, max_created: int = 1000) -> None:
        self.max_clients = max_clients
        self.max_contacts = max_contacts
        self.max_created = max_created
        self._clients: OrderedDict[str, Client] = OrderedDict()
        self._writes: OrderedDict[str, deque[tuple[float, float]]] = OrderedDict()  # any client's

    def reset(self) -> None:
        self._clients.clear()
        self._writes.clear()

    def observe(
        self, ex: Exchange, route: Route | None, findings: list[Finding]
    ) -> list[tuple[Exchange, Finding]]:
        operation = route.operations.get(ex.method) if route else None
        if operation is None or ex.client is None or ex.request.header("prefer") is not None:
            return []
        op_id = operation.operation_id
        contact_id = route.params.get("id") if route else None
        if contact_id is not None and op_id in ("updateContact", "deleteContact"):
            self._record_write(contact_id, ex)
        if not 200 <= ex.status < 300 or any(f.rule in _SHAPE_RULES for f in findings):
            return []
        try:
            body = ex.response.json()
        except NotJSON:
            return []
        client = self._client(ex.client)
        if op_id == "deleteContact" and contact_id is not None:
            return self._deleted(client, contact_id, ex)
        if op_id == "listContacts":
            out = [f for item in contacts_in(body) for f in self._seen(client, item, ex)]
            return out + self._list_inclusion(client, ex, operation, body)
        contacts = contacts_in(body)
        if not contacts:
            return []
        contact = contacts[0]
        out = []
        if op_id == "createContact":
            history = self._history(client, contact["id"])
            history.created = (ex.answered, label(ex))
            client.created[contact["id"]] = None
            while len(client.created) > self.max_created:
                client.created.popitem(last=False)
        elif op_id == "updateContact":
            out += self._noop_patch(client, contact, ex)
        return out + self._seen(client, contact, ex)

    # Bookkeeping
    def _client(self, key: str) -> Client:
        client = self._clients.pop(key, None) or Client()
        self._clients[key] = client
        while len(self._clients) > self.max_clients:
            self._clients.popitem(last=False)
        return client

    def _history(self, client: Client, contact_id: str) -> History:
        history = client.contacts.get(contact_id)
        if history is None:
            history = client.contacts[contact_id] = History()
            while len(client.contacts) > self.max_contacts:
                client.contacts.popitem(last=False)
        else:
            client.contacts.move_to_end(contact_id)
        return history

    def _record_write(self, contact_id: str, ex: Exchange) -> None:
        windows = self._writes.pop(contact_id, None) or deque(maxlen=16)
        windows.append((ex.started, ex.answered))
        self._writes[contact_id] = windows
        while len(self._writes) > self.max_contacts:
            self._writes.popitem(last=False)

    def _other_write(self, contact_id: str, ex: Exchange, since: float) -> bool:
        """Did a write to the contact, other than `ex`, possibly happen between `since` and `ex`?"""
        return any(
            answered > since and started < ex.answered
            for started, answered in self._writes.get(contact_id, ())
            if (started, answered) != (ex.started, ex.answered)
        )

    # The rules
    def _seen(self, client: Client, contact: dict[str, Any], ex: Exchange) -> list[tuple[Exchange, Finding]]:
        history = self._history(client, contact["id"])
        out: list[tuple[Exchange, Finding]] = []
        if history.deleted is not None and history.deleted[0] < ex.started:
            out.append(
                (
                    ex,
                    Finding(
                        "behaviour.deleted-stays-gone",
                        f"{contact['id']} was deleted, and is still answered",
                        (history.deleted[1],),
                    ),
                )
            )
        created = instant(contact["created_at"])
        if history.created_at is None:
            history.created_at = created
        elif created != history.created_at:
            out.append(
                (
                    ex,
                    Finding(
                        "behaviour.created-at-stable",
                        f"{contact['id']}: created_at is now {contact['created_at']}, "
                        f"was {_render(history.created_at)}",
                        (history.latest.label,) if history.latest else (),
                    ),
                )
            )
        updated = instant(contact["updated_at"])
        latest = history.latest
        if (
            latest is not None
            and updated == latest.updated
            and all(contact[name] == latest.fields[name] for name in WRITABLE)
        ):
            return out + self._existed_at(history, ex.started)  # the version seen before: the common case
        fields = {name: contact[name] for name in WRITABLE}
        if latest is not None:
            if updated == latest.updated and fields != latest.fields:
                changed = sorted(n for n in WRITABLE if fields[n] != latest.fields[n])
                out.append(
                    (
                        ex,
                        Finding(
                            "behaviour.version-fields",
                            f"{contact['id']}: updated_at {contact['updated_at']} as before, but "
                            + ", ".join(f"{n} {latest.fields[n]!r} -> {fields[n]!r}" for n in changed),
                            (latest.label,),
                        ),
                    )
                )
            elif latest.answered < ex.started and updated < latest.updated:
                out.append(
                    (
                        ex,
                        Finding(
                            "behaviour.updated-at-monotonic",
                            f"{contact['id']}: updated_at {contact['updated_at']} is older than "
                            f"{_render(latest.updated)}, answered earlier",
                            (latest.label,),
                        ),
                    )
                )
        if latest is None or updated > latest.updated:
            history.latest = Seen(fields, updated, ex.started, ex.answered, label(ex))
        out += self._existed_at(history, ex.started)
        return out

    def _existed_at(self, history: History, moment: float) -> list[tuple[Exchange, Finding]]:
        """The contact existed at `moment`: lists answered before it had no excuse to miss it."""
        history.seen_after = max(history.seen_after, moment)
        if not history.pending:
            return []
        confirmed = [(list_ex, f) for answered, list_ex, f in history.pending if answered < moment]
        history.pending = [p for p in history.pending if p[0] >= moment]
        return confirmed

    def _deleted(self, client: Client, contact_id: str, ex: Exchange) -> list[tuple[Exchange, Finding]]:
        history = self._history(client, contact_id)
        if history.deleted is not None and history.deleted[0] < ex.started:
            return [
                (
                    ex,
                    Finding(
                        "behaviour.deleted-stays-gone",
                        f"{contact_id} was deleted, and a second DELETE answered {ex.status}",
                        (history.deleted[1],),
                    ),
                )
            ]
        out = self._existed_at(history, ex.started)  # a 200 DELETE proves it was there
        history.deleted = (ex.answered, label(ex))
        history.pending = []
        client.created.pop(contact_id, None)
        return out

    def _noop_patch(
        self, client: Client, contact: dict[str, Any], ex: Exchange
    ) -> list[tuple[Exchange, Finding]]:
        sent = request_object(ex)
        history = client.contacts.get(contact["id"])
        latest = history.latest if history else None
        if sent is None or latest is None or not set(sent) <= set(WRITABLE):
            return []
        if any(isinstance(sent.get(n), str) and AMBIGUOUS_SPACE & set(sent[n]) for n in NAME_FIELDS):
            return []
        if latest.answered >= ex.started or self._other_write(contact["id"], ex, latest.started):
            return []
        if is_change(latest.fields, sent):
            return []
        fields = {name: contact[name] for name in WRITABLE}
        if fields == latest.fields and instant(contact["updated_at"]) != latest.updated:
            return [
                (
                    ex,
                    Finding(
                        "behaviour.noop-patch-keeps-updated-at",
                        f"{contact['id']}: the PATCH changed nothing, yet updated_at moved from "
                        f"{_render(latest.updated)} to {contact['updated_at']}",
                        (latest.label,),
                    ),
                )
            ]
        return []

    def _list_inclusion(
        self, client: Client, ex: Exchange, operation: Any, body: dict[str, Any]
    ) -> list[tuple[Exchange, Finding]]:
        try:
            query = parse_query(operation, QueryParams(ex.query).multi_items())
        except ValidationFailed:
            return []
        if query.get("search") or query.get("company_id") or query.get("sort") != "created_at":
            return []
        items = body["items"]
        listed = {item["id"] for item in items}
        stamps = [instant(item["created_at"]) for item in items]
        desc = query.get("order") == "desc"
        last_page = len(items) < query["limit"]
        out: list[tuple[Exchange, Finding]] = []
        for contact_id in client.created:
            history = client.contacts.get(contact_id)
            if history is None or history.created is None or history.created_at is None:
                continue
            if contact_id in listed or history.created[0] >= ex.started or history.deleted is not None:
                continue
            created = history.created_at
            after_first = query["offset"] == 0 or bool(
                stamps and (created < stamps[0] if desc else created > stamps[0])
            )
            before_last = last_page or bool(
                stamps and (created > stamps[-1] if desc else created < stamps[-1])
            )
            if not (after_first and before_last):
                continue
            finding = Finding(
                "behaviour.created-appears-in-list",
                f"{contact_id} (created_at {_render(created)}) belongs on this page "
                f"(offset {query['offset']}, {len(items)} items) but is missing",
                (history.created[1],),
            )
            if history.seen_after > ex.answered:
                out.append((ex, finding))
            else:
                history.pending.append((ex.answered, ex, finding))
                del history.pending[:-8]
        return out


def _render(stamp: Instant) -> str:
    whole, fraction = stamp
    text: str = whole.strftime("%Y-%m-%dT%H:%M:%S")
    fraction = fraction.rstrip("0")
    return text + (f".{fraction}" if fraction else "") + "Z"
