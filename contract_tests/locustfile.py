"""The contract under load: Locust users that check every answer while they load the API.

    CONTRACT_TOKEN=... CONTRACT_OTHER_ORG_TOKEN=... \\
    locust -f contract_tests/locustfile.py --headless -u 50 -r 10 -t 60s --host URL

Each simulated user owns its data (a token of the run tag in every contact it
creates, companies of its own) and keeps a model of it; every answer is checked
against that model with the suite's own invariants. A violation is a Locust
failure named `contract[<rule id>] <rule>`; connection errors, timeouts and 429s
are failures named `target[<kind>]`, counted apart. At the end a summary lists
each violated rule with one reproducing curl line, everything created is
deleted (per user, then a sweep by run tag), and the exit code says: 0 the
contract held, 1 it was violated, 2 no verdict (target errors, leftovers).
Works alone and with `--master` / `--worker`. See docs/load.md.

This is the only module that imports Locust (and so gevent's monkey-patching):
the pytest suite never imports it.
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections import deque
from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar, TypeVar
from urllib.parse import urlencode

import gevent
import httpx
from locust import FastHttpUser, between, events, task
from locust.contrib.fasthttp import LocustBadStatusCode
from locust.env import Environment
from locust.runners import MasterRunner, WorkerRunner

from contract_tests.client import ApiClient, TargetError, Throttle, contact_path
from contract_tests.contract import active
from contract_tests.failures import ContractViolation, Exchange, expect, expect_equal, register_secret
from contract_tests.invariants import contact_of, page_of
from contract_tests.ledger import RunLedger, new_run_tag
from contract_tests.load import checks
from contract_tests.load.report import Example, Report
from contract_tests.load.rules import RuleFailure, TargetFailure, rule_of, say
from contract_tests.load.scope import ORG_MARK, Scope, process_id
from contract_tests.load.shared import IdRegistry, SharedBoard, SharedContact
from contract_tests.model import Query, instant
from contract_tests.target import Target

logger = logging.getLogger("contract.load")
logging.getLogger("httpx").setLevel(logging.WARNING)  # the final sweep's requests: not one line each
T = TypeVar("T")

TOKEN = os.environ.get("CONTRACT_TOKEN") or ""
OTHER_ORG_TOKEN = os.environ.get("CONTRACT_OTHER_ORG_TOKEN") or ""
register_secret(TOKEN, "CONTRACT_TOKEN")
register_secret(OTHER_ORG_TOKEN, "CONTRACT_OTHER_ORG_TOKEN")

# The contract's data, read from openapi.yaml (contract.py), as in the suite.
COLLECTION = active().collection_path
COOKIE_NAME = active().cookie_name
MAX_LIMIT = active().max_limit

FINISH = "contract-finish"  # master -> workers: stop your users, clean up, send your final report
FINISHED = "contract-finished"  # worker -> master: the final report
MAX_OWN_CONTACTS = 25  # a user deletes rather than creates beyond this
ORG_SEARCHES = ["", "", "", "山田", "田", "taro", "example", "SATO", "ｔａｒｏ"]


@events.init_command_line_parser.add_listener
def _options(parser: Any) -> None:
    parser.add_argument(
        "--contract-read-only",
        action="store_true",
        env_var="CONTRACT_READ_ONLY",
        default=False,
        help="Only GET requests: no contact is created, changed or deleted.",
    )
    parser.add_argument(
        "--contract-rate",
        type=float,
        env_var="CONTRACT_RATE_LIMIT",
        default=0.0,
        help="At most this many requests per second in the whole run (all users, all workers); 0: no cap.",
    )
    parser.add_argument(
        "--contract-timeout",
        type=float,
        env_var="CONTRACT_TIMEOUT",
        default=30.0,
        help="Seconds to wait for one answer; a longer wait is a target error, not a violation.",
    )
    parser.add_argument(
        "--contract-auth",
        choices=["bearer", "cookie", "both"],
        env_var="CONTRACT_AUTH",
        default="both",
        help="Credential style: bearer, cookie, or both (users alternate).",
    )
    parser.add_argument(
        "--contract-shared-size",
        type=int,
        default=4,
        help="Users per shared contact (they PATCH different fields of it at once).",
    )
    parser.add_argument(
        "--contract-report",
        default="",
        help="Also write the end-of-run summary as JSON to this file (master or standalone).",
    )
    parser.add_argument(
        "--contract-run-tag",
        default="",
        help="Run tag (ct + 8 hex) to use instead of a fresh one; set by the master for its workers.",
    )
    parser.add_argument(
        "--contract-workers", type=int, default=1, include_in_web_ui=False, help="(set by the master)"
    )


# --------------------------------------------------------------------------- one process's run


class LoadRun:
    """What one process (standalone, master or worker) knows about the current test."""

    def __init__(self, environment: Environment) -> None:
        options = environment.parsed_options
        self.environment = environment
        self.run_tag: str = getattr(options, "contract_run_tag", "") or new_run_tag()
        self.read_only: bool = bool(getattr(options, "contract_read_only", False))
        self.auth: str = getattr(options, "contract_auth", "both")
        self.timeout: float = float(getattr(options, "contract_timeout", 30.0))
        self.report_path: str = getattr(options, "contract_report", "")
        rate = float(getattr(options, "contract_rate", 0.0) or 0.0)
        workers = max(int(getattr(options, "contract_workers", 1) or 1), 1)
        self.throttle = Throttle(rate / workers if rate > 0 else None)
        self.process = process_id()
        self.report = Report()
        self.ids = IdRegistry()
        self.board = SharedBoard(
            max(int(getattr(options, "contract_shared_size", 4)), 1),
            lambda n: f"{self.run_tag}{ORG_MARK['a']}{self.process}g{n:x}z",
        )
        self.known: dict[str, deque[str]] = {"a": deque(maxlen=200), "b": deque(maxlen=200)}
        self.users = 0
        self.finished = False
        self.final_sent = False
        self.worker_reports: dict[str, dict[str, Any]] = {}
        self.workers_done: set[str] = set()
        self.final = Report()

    def next_user(self) -> int:
        self.users += 1
        return self.users

    def violation(self, violation: ContractViolation, exchange: Exchange | None) -> str:
        rule = rule_of(violation.invariant)
        request = f"{exchange.request.method} {exchange.request.url}" if exchange else ""
        self.report.violation(
            Example(rule, violation.invariant, violation.detail, request, exchange.curl() if exchange else "")
        )
        return rule


RUN: LoadRun | None = None


def current() -> LoadRun:
    if RUN is None:
        raise RuntimeError("the contract load run has not started (no test_start yet)")
    return RUN


# --------------------------------------------------------------------------- users


class Abandon(Exception):
    """The answer did not allow the user's model to be trusted: resynchronise, try again."""


class ContractUser(FastHttpUser):
    """A user with its own scope and model; every answer it gets is checked."""

    abstract = True
    wait_time = between(0.0, 0.05)
    org = "a"
    # action -> weight; `reader_actions` in --contract-read-only mode
    actions: ClassVar[dict[str, int]] = {
        "list_scope": 8,
        "walk_pages": 1,
        "list_org": 3,
        "get_own": 6,
        "create": 3,
        "create_burst": 1,
        "patch": 5,
        "delete": 2,
        "probe_gone": 1,
        "probe_isolation": 1,
    }
    reader_actions: ClassVar[dict[str, int]] = {"list_org": 5, "get_seen": 4, "probe_isolation": 1}

    def on_start(self) -> None:
        self.load = current()
        self.token = TOKEN if self.org == "a" else OTHER_ORG_TOKEN
        number = self.load.next_user()
        style = self.load.auth if self.load.auth != "both" else ("bearer", "cookie")[number % 2]
        self.credentials = (
            {"Authorization": f"Bearer {self.token}"}
            if style == "bearer"
            else {"Cookie": f"{COOKIE_NAME}={self.token}"}
        )
        self.scope = Scope.new(self.load.run_tag, self.org, self.load.process, number)
        self.rng = self.scope.rng
        self.seen: deque[dict[str, Any]] = deque(maxlen=100)  # contacts seen in org-wide lists
        self.answered_at = 0.0
        if not self.load.read_only:
            for _ in range(3):
                self._safely(self.create)

    def _safely(self, action: Callable[[], object]) -> None:
        """Run an action outside `step` (start, stop): a violation is reported, not raised."""
        try:
            action()
        except Abandon:
            self.scope.uncertain = True

    @task
    def step(self) -> None:
        try:
            if self.scope.uncertain and not self.load.read_only:
                self.resync()
                return
            table = self.reader_actions if self.load.read_only else self.actions
            action = self.rng.choices(list(table), weights=list(table.values()))[0]
            getattr(self, action)()
        except Abandon:
            self.scope.uncertain = True

    def on_stop(self) -> None:
        if self.load.read_only:
            return
        for contact_id in list(self.scope.contacts):
            self._safely(lambda c=contact_id: self._cleanup(c))  # type: ignore[misc]

    def _cleanup(self, contact_id: str) -> None:
        answer = self.call(
            "DELETE", contact_path(contact_id), "cleanup: DELETE /contacts/{id}", checks.deleted_or_gone
        )
        if answer is not None:
            self.scope.contacts.pop(contact_id, None)
            if answer == 200:
                self.load.report.deleted_by_users += 1

    # -- one request, checked

    def call(
        self,
        method: str,
        path: str,
        name: str,
        check: Callable[[Exchange], T],
        *,
        params: dict[str, Any] | None = None,
        body: Any = None,
        credentials: dict[str, str] | None = None,
    ) -> T | None:
        """Send, check the answer with `check`; None when there is no usable answer.

        A contract violation is reported as a failure named by its rule and raises
        Abandon (the model can no longer be trusted); a target error is reported
        apart and returns None.
        """
        run = self.load
        run.throttle.wait()
        url = path + ("?" + urlencode(params) if params else "")
        headers = dict(credentials if credentials is not None else self.credentials)
        content = None
        if body is not None:
            content = json.dumps(body, ensure_ascii=False).encode("utf-8")
            headers["Content-Type"] = "application/json"
        with self.client.request(
            method,
            url,
            name=name,
            data=content,  # type: ignore[arg-type]  # bytes are sent as they are
            headers=headers,
            catch_response=True,
        ) as response:
            self.answered_at = time.monotonic()
            kind = _target_error(response)
            if kind is not None:
                response.failure(TargetFailure(kind))
                run.report.target_error(kind)
                if kind == "rate-limited":
                    gevent.sleep(_retry_after(response.headers.get("retry-after")))
                return None
            exchange = _exchange(method, (self.host or "") + url, headers, content, response)
            try:
                checks.no_server_error(exchange)
                result = check(exchange)
            except ContractViolation as violation:
                response.failure(RuleFailure(run.violation(violation, exchange)))
                raise Abandon from None
            response.success()
            run.report.checked += 1
            return result

    # -- the user's own scope

    def _pick(self) -> dict[str, Any] | None:
        contacts = list(self.scope.contacts.values())
        return self.rng.choice(contacts) if contacts else None

    def list_scope(self) -> None:
        query = self.scope.new_query()
        self.call(
            "GET",
            COLLECTION,
            "GET /contacts (own: search/filter/sort/page)",
            lambda ex: checks.scope_page(ex, self.scope, query),
            params=self.scope.params(query),
        )

    def walk_pages(self) -> None:
        """Every page of the user's scope, small pages: together exactly the model, no gap or repeat."""
        limit = self.rng.choice([1, 2, 3])
        sort, order = self.rng.choice(["created_at", "name"]), self.rng.choice(["asc", "desc"])
        offset = 0
        while offset <= len(self.scope.contacts):
            query = Query(search=self.scope.token, sort=sort, order=order, limit=limit, offset=offset)
            self.call(
                "GET",
                COLLECTION,
                "GET /contacts (own: every page)",
                lambda ex, q=query: checks.scope_page(ex, self.scope, q),  # type: ignore[misc]
                params=query.params(),
            )
            offset += limit

    def list_org(self) -> None:
        query = Query(
            search=self.rng.choice(ORG_SEARCHES),
            sort=self.rng.choice(["created_at", "name"]),
            order=self.rng.choice(["asc", "desc"]),
            limit=self.rng.choice([10, 50, MAX_LIMIT]),
            offset=self.rng.choice([0, 0, 10]),
        )
        page = self.call(
            "GET",
            COLLECTION,
            "GET /contacts (organization)",
            lambda ex: checks.org_page(ex, query, None if self.load.read_only else self.scope),
            params={k: v for k, v in query.params().items() if v != ""},
        )
        if page is not None:
            self.seen.extend(page["items"])
            self.load.known[self.org].extend(item["id"] for item in page["items"][:5])

    def get_own(self) -> None:
        contact = self._pick()
        if contact is None:
            return self.create()
        self.call(
            "GET",
            contact_path(contact["id"]),
            "GET /contacts/{id}",
            lambda ex: checks.got(ex, contact),
        )

    def create(self) -> None:
        if len(self.scope.contacts) >= MAX_OWN_CONTACTS:
            return self.delete()
        body = self.scope.new_body()
        contact = self.call(
            "POST", COLLECTION, "POST /contacts", lambda ex: self._created(ex, body), body=body
        )
        if contact is None:
            self.scope.uncertain = True  # it may exist: find out before the next exact check

    def _created(self, exchange: Exchange, body: dict[str, Any]) -> dict[str, Any]:
        contact = self._claim(exchange, checks.created(exchange, body), self.scope.token)
        self.scope.remember(contact)
        self.load.known[self.org].append(contact["id"])
        return contact

    def _claim(self, exchange: Exchange, contact: dict[str, Any], owner: str) -> dict[str, Any]:
        """Count a created contact; its id must never have been handed out before in the run."""
        self.load.report.created += 1
        earlier = self.load.ids.claim(contact["id"], owner)
        if earlier is not None:
            raise ContractViolation(
                say("distinct-ids", "every create gets a fresh id"),
                f"{contact['id']} was already handed out to another create (of {earlier})",
                exchange,
            )
        return contact

    def create_burst(self) -> None:
        """Several creates at once from one user; then all must be listed, each with its own id."""
        room = MAX_OWN_CONTACTS - len(self.scope.contacts)
        if room < 3:
            return self.delete()
        bodies = [self.scope.new_body() for _ in range(min(room, self.rng.randint(3, 6)))]

        def attempt(body: dict[str, Any]) -> object:
            try:
                return self.call(
                    "POST",
                    COLLECTION,
                    "POST /contacts (burst)",
                    lambda ex: self._created(ex, body),
                    body=body,
                )
            except Abandon:
                return Abandon

        jobs = [gevent.spawn(attempt, b) for b in bodies]
        try:
            gevent.joinall(jobs)
        finally:  # a user stopped mid-burst takes its requests with it
            gevent.killall(jobs)
        if any(job.value is Abandon for job in jobs):
            raise Abandon
        if any(job.value is None for job in jobs):
            self.scope.uncertain = True
            return
        query = Query(search=self.scope.token, limit=MAX_LIMIT)
        self.call(
            "GET",
            COLLECTION,
            "GET /contacts (own: after a burst)",
            lambda ex: checks.scope_page(ex, self.scope, query),
            params=query.params(),
        )

    def patch(self) -> None:
        contact = self._pick()
        if contact is None:
            return self.create()
        body = self.scope.new_patch(contact)
        updated = self.call(
            "PATCH",
            contact_path(contact["id"]),
            "PATCH /contacts/{id}",
            lambda ex: checks.patched(ex, contact, body),
            body=body,
        )
        if updated is None:
            self.scope.uncertain = True
        else:
            self.scope.remember(updated)

    def delete(self) -> None:
        contact = self._pick()
        if contact is None or len(self.scope.contacts) <= 2:
            return None
        done = self.call("DELETE", contact_path(contact["id"]), "DELETE /contacts/{id}", checks.deleted)
        if done is None:  # no answer: deleted or not, the resync will tell
            self.scope.uncertain = True
            return None
        self.scope.forget(contact["id"])
        self.load.report.deleted_by_users += 1
        if self.rng.random() < 0.5:
            self.call("GET", contact_path(contact["id"]), "GET /contacts/{id} (deleted)", checks.gone)
        return None

    def probe_gone(self) -> None:
        if not self.scope.gone:
            return
        contact_id = self.rng.choice(list(self.scope.gone))
        method = self.rng.choice(["GET", "PATCH", "DELETE"])
        body = {"position": "ghost"} if method == "PATCH" else None
        self.call(
            method, contact_path(contact_id), f"{method} /contacts/{{id}} (deleted)", checks.gone, body=body
        )

    def probe_isolation(self) -> None:
        """The other organization's run data: never found, never listed, never reachable by id."""
        if not OTHER_ORG_TOKEN:
            return
        other = "b" if self.org == "a" else "a"
        mark = f"{self.load.run_tag}{ORG_MARK[other]}"
        if self.rng.random() < 0.5 or not self.load.known[other]:
            self.call(
                "GET",
                COLLECTION,
                "GET /contacts (other organization's tag)",
                checks.empty_for_others,
                params={"search": mark, "limit": 10},
            )
            return
        contact_id = self.rng.choice(list(self.load.known[other]))
        method = "GET" if self.load.read_only else self.rng.choice(["GET", "GET", "PATCH", "DELETE"])
        body = {"note": "not yours"} if method == "PATCH" else None
        self.call(
            method,
            contact_path(contact_id),
            f"{method} /contacts/{{id}} (other organization)",
            checks.foreign,
            body=body,
        )

    def get_seen(self) -> None:
        """Read-only: a contact listed a moment ago is 200 with the same id and created_at
        (or 404 if someone deleted it since), and its updated_at never moved back."""
        if not self.seen:
            return self.list_org()
        listed = self.rng.choice(list(self.seen))
        self.call(
            "GET",
            contact_path(listed["id"]),
            "GET /contacts/{id} (listed)",
            lambda ex: checks.still_listed(ex, listed),
        )
        return None

    def resync(self) -> None:
        """After an answer that could not be trusted: adopt what the server lists for the scope."""
        listed: dict[str, dict[str, Any]] = {}
        offset = 0
        while True:
            params = {"search": self.scope.token, "limit": MAX_LIMIT, "offset": offset, "sort": "created_at"}
            page = self.call(
                "GET", COLLECTION, "GET /contacts (own: resync)", self._resync_page, params=params
            )
            if page is None:
                return
            listed.update((item["id"], item) for item in page["items"])
            offset += MAX_LIMIT
            if offset >= page["total"] or not page["items"]:
                break
        for contact_id in list(self.scope.contacts):
            if contact_id not in listed:  # never created, or deleted without an answer: not "gone" for sure
                del self.scope.contacts[contact_id]
        for contact in listed.values():
            self.scope.remember(contact)
        self.scope.uncertain = False

    def _resync_page(self, exchange: Exchange) -> dict[str, Any]:
        page = page_of(exchange, say("status", "a valid list query is 200"))
        for item in page["items"]:
            expect(
                item["id"] not in self.scope.gone,
                say("deleted-gone", "a deleted contact is never listed"),
                exchange,
                f"{item['id']} was deleted (answered 200) and is listed again",
            )
        return page


class ScopedUser(ContractUser):
    """Organization A: its own contacts, the whole mix of operations."""

    weight = 6


class SharedContactUser(ContractUser):
    """Joins a group that PATCHes one contact at once, each member its own field."""

    weight = 3
    actions: ClassVar[dict[str, int]] = {
        "patch_shared": 5,
        "get_shared": 4,
        "list_shared": 1,
        "list_scope": 1,
        "get_own": 1,
    }

    def on_start(self) -> None:
        super().on_start()
        self.shared: SharedContact | None = None
        self.last_stamp: str | None = None
        if self.load.read_only:
            return
        group, self.field = self.load.board.join()
        if not group.creating:
            group.creating = True
            body = {"first_name": "共有", "last_name": f"共有 {group.token}", "note": "shared by load users"}
            try:
                contact = self.call(
                    "POST",
                    COLLECTION,
                    "POST /contacts (shared)",
                    lambda ex: self._claim(ex, checks.created(ex, body), group.token),
                    body=body,
                )
            except Abandon:
                contact = None
            if contact is None:  # another member tries again
                group.creating = False
                return
            group.created(contact)
        elif not group.ready.wait(timeout=30):
            return
        self.shared = group

    def _check_shared(self, exchange: Exchange, sent_at: float, status: int = 200) -> dict[str, Any]:
        assert self.shared is not None
        contact = contact_of(
            exchange, status, say("status", f"{exchange.request.method} of a shared contact is 200")
        )
        self.shared.check_state(contact, sent_at, time.monotonic(), exchange)
        return contact

    def patch_shared(self) -> None:
        group = self.shared
        if group is None or group.contact_id is None:
            return self.get_own()
        value = group.next_value(self.field)
        write = group.sent(self.field, value)
        updated = self.call(
            "PATCH",
            contact_path(group.contact_id),
            "PATCH /contacts/{id} (shared, concurrent)",
            lambda ex: self._patched(ex, write, value),
            body={self.field: value},
        )
        if updated is None:
            write.uncertain = True
        return None

    def _patched(self, exchange: Exchange, write: Any, value: Any) -> dict[str, Any]:
        assert self.shared is not None
        contact = self._check_shared(exchange, write.sent_at)
        expect_equal(
            contact[self.field],
            value,
            say("patch-fields", "PATCH changes the sent fields"),
            exchange,
        )
        if self.last_stamp is not None:
            expect(
                instant(contact["updated_at"]) > instant(self.last_stamp),
                say("updated-at", "a real change moves updated_at strictly forward"),
                exchange,
                f"updated_at was {self.last_stamp} after this user's previous change, "
                f"now {contact['updated_at']}",
            )
        self.shared.acknowledged(self.field, write, contact["updated_at"], exchange)
        self.last_stamp = contact["updated_at"]
        return contact

    def get_shared(self) -> None:
        group = self.shared
        if group is None or group.contact_id is None:
            return self.get_own()
        sent_at = time.monotonic()
        self.call(
            "GET",
            contact_path(group.contact_id),
            "GET /contacts/{id} (shared)",
            lambda ex: self._check_shared(ex, sent_at),
        )
        return None

    def list_shared(self) -> None:
        group = self.shared
        if group is None or group.contact_id is None:
            return self.list_scope()
        sent_at = time.monotonic()
        self.call(
            "GET",
            COLLECTION,
            "GET /contacts (shared)",
            lambda ex: self._listed(ex, sent_at),
            params={"search": group.token},
        )
        return None

    def _listed(self, exchange: Exchange, sent_at: float) -> None:
        assert self.shared is not None
        page = page_of(exchange, say("status", "a valid list query is 200"))
        ids = [item["id"] for item in page["items"]]
        expect_equal(
            ids, [self.shared.contact_id], say("list-exact", "the shared contact is listed, once"), exchange
        )
        self.shared.check_state(page["items"][0], sent_at, time.monotonic(), exchange)

    def on_stop(self) -> None:
        super().on_stop()
        # A user stopped during on_start (a slow target, a short run) never joined a group.
        group: SharedContact | None = getattr(self, "shared", None)
        if group is None:
            return
        group.active -= 1
        if group.active > 0 or group.contact_id is None:
            return
        # The last member: the final state holds every acknowledged change; then it goes.
        sent_at = time.monotonic()
        contact_id = group.contact_id
        self._safely(
            lambda: self.call(
                "GET",
                contact_path(contact_id),
                "final: GET /contacts/{id} (shared)",
                lambda ex: self._check_shared(ex, sent_at),
            )
        )
        self._safely(lambda: self._cleanup(contact_id))


if OTHER_ORG_TOKEN:

    class OtherOrgUser(ContractUser):
        """Organization B: its own contacts, and nothing of A's ever visible or reachable."""

        weight = 1
        org = "b"
        actions: ClassVar[dict[str, int]] = {
            **ContractUser.actions,
            "probe_isolation": 4,
            "list_org_isolated": 3,
        }
        reader_actions: ClassVar[dict[str, int]] = {
            "list_org_isolated": 5,
            "probe_isolation": 4,
            "get_seen": 2,
        }

        def list_org_isolated(self) -> None:
            marks = [f"{self.load.run_tag}{ORG_MARK['a']}"]
            self.call(
                "GET",
                COLLECTION,
                "GET /contacts (organization B: nothing of A's)",
                lambda ex: checks.nothing_of(ex, marks, set(self.load.known["a"])),
                params={"search": self.rng.choice(["", self.load.run_tag]), "limit": MAX_LIMIT},
            )


# --------------------------------------------------------------------------- helpers


def _target_error(response: Any) -> str | None:
    """The kind of target error, or None for an answer (whatever its status) to check."""
    if response.status_code == 429:
        return "rate-limited"
    error = getattr(response, "error", None)
    if response.status_code and (error is None or isinstance(error, LocustBadStatusCode)):
        return None
    text = f"{type(error).__name__} {error}".lower()
    return "timeout" if "timeout" in text or "timed out" in text else "unreachable"


def _retry_after(value: str | None) -> float:
    try:
        return min(max(float(value or 1), 0.0), 30.0)
    except ValueError:
        return 1.0


def _exchange(
    method: str, url: str, headers: dict[str, str], content: bytes | None, response: Any
) -> Exchange:
    request = httpx.Request(method, url, headers=headers, content=content)
    raw = [(k, v) for k, v in response.headers.items()]
    answer = httpx.Response(
        response.status_code, headers=raw, content=response.content or b"", request=request
    )
    return Exchange(request, answer)


# --------------------------------------------------------------------------- the run: start, finish, sweep


@events.init.add_listener
def _on_init(environment: Environment, **_kwargs: Any) -> None:
    if not environment.host and os.environ.get("CONTRACT_BASE_URL"):
        environment.host = os.environ["CONTRACT_BASE_URL"].rstrip("/")
    runner = environment.runner
    if isinstance(runner, WorkerRunner):
        runner.register_message(FINISH, _on_finish_request, concurrent=True)
        environment.events.report_to_master.add_listener(_on_report_to_master)
    elif isinstance(runner, MasterRunner):
        runner.register_message(FINISHED, _on_worker_finished)
        environment.events.worker_report.add_listener(_on_worker_report)
    environment.events.user_error.add_listener(_on_user_error)
    # Registered after the runner's own listeners, so it runs before them (quitting fires in
    # reverse): a worker stops its users and reports before Locust tells the master it quits.
    environment.events.quitting.add_listener(_on_quitting)


@events.test_start.add_listener
def _on_test_start(environment: Environment, **_kwargs: Any) -> None:
    global RUN
    options = environment.parsed_options
    runner = environment.runner
    if not isinstance(runner, WorkerRunner) and options is not None:
        # The master decides the run tag and the workers' share of the rate cap; Locust
        # forwards custom options to the workers with their spawn message.
        options.contract_run_tag = getattr(options, "contract_run_tag", "") or new_run_tag()
        options.contract_workers = runner.worker_count if isinstance(runner, MasterRunner) else 1
    RUN = LoadRun(environment)
    ContractUser.network_timeout = ContractUser.connection_timeout = RUN.timeout
    if not TOKEN:
        logger.error("contract load test: set CONTRACT_TOKEN (a token of organization A) and start again")
        RUN.report.user_errors += 1
        gevent.spawn_later(0, _quit, environment)
        return
    if not environment.host or not environment.host.startswith(("http://", "https://")):
        logger.error("contract load test: --host (or CONTRACT_BASE_URL) must be an http(s):// URL")
        RUN.report.user_errors += 1
        gevent.spawn_later(0, _quit, environment)
        return
    if not isinstance(runner, WorkerRunner):
        mode = "read-only" if RUN.read_only else "read-write"
        others = "with" if OTHER_ORG_TOKEN else "without (set CONTRACT_OTHER_ORG_TOKEN for)"
        logger.info(f"contract load test: run tag {RUN.run_tag}, {mode}, {others} organization-B checks")


def _quit(environment: Environment) -> None:
    if environment.runner is not None:
        environment.runner.quit()


@events.test_stop.add_listener
def _on_test_stop(environment: Environment, **_kwargs: Any) -> None:
    if RUN is None or isinstance(environment.runner, WorkerRunner) or RUN.finished:
        return
    _finish(environment, RUN)


def _on_quitting(environment: Environment, **_kwargs: Any) -> None:
    run = RUN
    if run is None:
        return
    runner = environment.runner
    if isinstance(runner, WorkerRunner):
        if not run.final_sent:  # interrupted worker: stop own users (they clean up), then report
            runner.stop()
            _send_final(runner, run)
        return
    if not run.finished and runner is not None:
        runner.stop()  # stops users (each deletes its own contacts), fires test_stop -> _finish
    if not run.finished:
        _finish(environment, run)
    environment.process_exit_code = run.final.exit_code()
    logger.info(f"contract load test: {run.final.verdict()}")


def _finish(environment: Environment, run: LoadRun) -> None:
    """Wait for every worker's final report, sweep the run tag, print the summary."""
    run.finished = True
    runner = environment.runner
    if isinstance(runner, MasterRunner) and runner.worker_count:
        runner.send_message(FINISH, {"run_tag": run.run_tag})
        deadline = time.monotonic() + 60 + (environment.stop_timeout or 0)
        # Wait for the workers still connected (one that quit sent its report first), while the
        # master still receives messages (Locust stops receiving once the last worker quit).
        while (
            (pending := _connected(runner) - run.workers_done)
            and len(runner.greenlet)
            and (time.monotonic() < deadline)
        ):
            gevent.sleep(0.1)
        if pending:
            logger.warning(f"contract load test: {len(pending)} workers sent no final report")
    _sweep(environment, run)
    run.final = Report.combined(run.report.snapshot(), *run.worker_reports.values())
    logger.info("\n" + run.final.summary(run.run_tag))
    if run.report_path:
        path = Path(run.report_path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(
            json.dumps(run.final.as_json(run.run_tag, len(run.worker_reports)), ensure_ascii=False, indent=2),
            "utf-8",
        )


def _connected(runner: MasterRunner) -> set[str]:
    """The workers still connected."""
    return {node.id for node in runner.clients.all}


def _sweep(environment: Environment, run: LoadRun) -> None:
    """Delete whatever still carries the run tag, per organization (the suite's ledger sweep)."""
    if run.read_only or not TOKEN or not environment.host:
        return
    for org, token in (("a", TOKEN), ("b", OTHER_ORG_TOKEN)):
        if not token:
            continue
        target = Target(f"load sweep {org}", environment.host, token, None)
        client = ApiClient(target, token, "bearer", timeout=run.timeout)
        tag = f"{run.run_tag}{ORG_MARK[org]}"
        try:
            outcome = RunLedger(tag=tag).cleanup(client)
            left = _still_listed(client, tag)
        finally:
            client.close()
        run.report.removed_at_end += outcome.removed_at_end
        run.report.left_behind += outcome.left_behind or left
        if outcome.left_behind:
            run.report.violation(
                Example(
                    "cleanup",
                    say("cleanup", "everything the run created can be deleted"),
                    "; ".join(outcome.left_behind[:5]),
                    f"GET {environment.host}{COLLECTION}?search={run.run_tag}{ORG_MARK[org]}",
                    "",
                )
            )


def _still_listed(client: ApiClient, tag: str) -> list[str]:
    """Checked apart from the sweep: what is still listed under the tag (or why that is unknown)."""
    try:
        page = client.list({"search": tag, "limit": MAX_LIMIT})
    except TargetError as error:
        return [f"unknown: the target did not answer the final check ({type(error).__name__})"]
    if page.status != 200:
        return [f"unknown: the final check was answered {page.status}"]
    return [f"{item['id']} (still listed)" for item in page.response.json().get("items", [])]


# -- distributed: what workers tell the master


def _on_report_to_master(client_id: str, data: dict[str, Any]) -> None:
    if RUN is not None:
        data["contract"] = {"report": RUN.report.snapshot(), "ids": RUN.ids.drain(), "tag": RUN.run_tag}


def _on_worker_report(client_id: str, data: dict[str, Any]) -> None:
    payload = data.get("contract")
    if RUN is None or not payload or payload.get("tag") != RUN.run_tag:
        return
    RUN.worker_reports[client_id] = payload["report"]
    for contact_id in payload["ids"]:
        earlier = RUN.ids.claim(contact_id, client_id)
        if earlier is not None and earlier != client_id:
            RUN.report.violation(
                Example(
                    "distinct-ids",
                    say("distinct-ids", "every create gets a fresh id"),
                    f"{contact_id} was handed out to creates on two workers ({earlier} and {client_id})",
                    f"POST {RUN.environment.host}{COLLECTION}",
                    "",
                )
            )


def _on_finish_request(environment: Environment, msg: Any, **_kwargs: Any) -> None:
    run = RUN
    runner = environment.runner
    if run is None or not isinstance(runner, WorkerRunner):
        return
    runner.stop()  # each user deletes its own contacts in on_stop
    _send_final(runner, run)


def _send_final(runner: WorkerRunner, run: LoadRun) -> None:
    data: dict[str, Any] = {}
    _on_report_to_master(runner.client_id, data)
    run.final_sent = True
    runner.send_message(FINISHED, data)


def _on_worker_finished(environment: Environment, msg: Any, **_kwargs: Any) -> None:
    if RUN is None:
        return
    _on_worker_report(msg.node_id, {"contract": msg.data.get("contract")})
    RUN.workers_done.add(msg.node_id)


def _on_user_error(user_instance: Any, exception: Exception, tb: Any) -> None:
    if RUN is not None and not isinstance(RUN.environment.runner, MasterRunner):
        RUN.report.user_errors += 1
