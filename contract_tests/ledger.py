"""The run tag, and the ledger of every contact the run created, for cleanup.

Everything the suite creates carries the run tag (in names, email and note),
so list assertions can be scoped to the run's own data; everything it created
is deleted at the end, also when tests fail or the run is interrupted.
"""

from __future__ import annotations

import itertools
import json
import secrets
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from .client import ApiClient, collection_path, contact_path
from .contract import active
from .failures import Exchange
from .outcomes import TargetError

CLEANUP_CONCURRENCY = 8  # deletes in flight at once: bounded, so a fragile deployment is not flooded


def new_run_tag() -> str:
    # Letters and digits only, so it survives NFKC, case folding and URLs unchanged.
    return "ct" + secrets.token_hex(4)


@dataclass
class CleanupReport:
    created: int
    deleted_by_tests: int
    removed_at_end: int
    left_behind: list[str]
    # Why the sweep for leftovers under the run tag could not run ('' : it ran), e.g. the target is down.
    unswept: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "created": self.created,
            "deleted_by_tests": self.deleted_by_tests,
            "removed_at_end": self.removed_at_end,
            "left_behind": list(self.left_behind),
            "unswept": self.unswept,
        }

    @classmethod
    def combine(cls, reports: list[dict[str, Any]]) -> CleanupReport:
        """One report for the cleanups of several workers."""
        return cls(
            sum(int(r["created"]) for r in reports),
            sum(int(r["deleted_by_tests"]) for r in reports),
            sum(int(r["removed_at_end"]) for r in reports),
            [str(item) for r in reports for item in r["left_behind"]],
            next((str(r["unswept"]) for r in reports if r.get("unswept")), ""),
        )

    def summary(self) -> str:
        text = (
            f"contract suite cleanup: created {self.created} contacts; {self.deleted_by_tests} deleted by "
            f"the tests, {self.removed_at_end} removed at the end, {len(self.left_behind)} left behind"
        )
        if self.left_behind:
            text += " (could not delete: " + ", ".join(self.left_behind[:20]) + ")"
        if self.unswept:
            text += (
                "; the sweep for contacts left under the run tag could not run, so anything created "
                f"without an acknowledgement may remain: {self.unswept}"
            )
        return text


@dataclass
class RunLedger:
    tag: str = field(default_factory=new_run_tag)
    # id -> the credential headers that created it (deletes must come from the same organization)
    _alive: dict[str, dict[str, str]] = field(default_factory=dict)
    _created: set[str] = field(default_factory=set)
    _deleted: set[str] = field(default_factory=set)
    _counter: itertools.count[int] = field(default_factory=itertools.count)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def family(self) -> str:
        """A fresh token that contains the run tag: `<tag>q<n>z`, unique within the run."""
        with self._lock:
            return f"{self.tag}q{next(self._counter):x}z"

    def observe(self, exchange: Exchange) -> None:
        request = exchange.request
        credentials = {k: v for k, v in request.headers.items() if k.lower() in ("authorization", "cookie")}
        self.observe_raw(
            request.method, request.url.path, exchange.status, exchange.response.content, credentials
        )

    def observe_raw(
        self, method: str, path: str, status: int, body: bytes, credentials: dict[str, str]
    ) -> None:
        # Any 2xx with a contact counts: a server that answers a create with 200 still created it.
        collection = collection_path()
        if method == "POST" and path.rstrip("/") == collection and 200 <= status < 300:
            contact_id = _contact_id(body)
            if contact_id:
                with self._lock:
                    self._created.add(contact_id)
                    self._alive[contact_id] = dict(credentials)
        elif method == "DELETE" and path.startswith(collection + "/") and status == 200:
            contact_id = path.rsplit("/", 1)[1]
            with self._lock:
                if self._alive.pop(contact_id, None) is not None:
                    self._deleted.add(contact_id)

    @property
    def created(self) -> int:
        return len(self._created)

    def cleanup(self, client: ApiClient, concurrency: int = CLEANUP_CONCURRENCY) -> CleanupReport:
        """Delete what is still alive, then sweep anything still listed under the run tag.

        Deletes run `concurrency` at a time (the client's rate limit still holds).
        """
        deleted: set[str] = set()
        failed: dict[str, str] = {}
        alive = list(self._alive.items())
        with ThreadPoolExecutor(max_workers=max(1, concurrency), thread_name_prefix="cleanup") as pool:
            outcomes = list(pool.map(lambda item: _delete(client, item[0], item[1]), alive))
        for (contact_id, _), outcome in zip(alive, outcomes, strict=True):
            if outcome == 200:
                deleted.add(contact_id)
            elif outcome != 404:
                failed[contact_id] = str(outcome)
            self._alive.pop(contact_id, None)
        unswept = self._sweep(client, deleted, failed, concurrency)
        removed = len(deleted - set(failed))
        return CleanupReport(
            self.created, len(self._deleted), removed, [f"{i} ({why})" for i, why in failed.items()], unswept
        )

    def _sweep(self, client: ApiClient, deleted: set[str], failed: dict[str, str], concurrency: int) -> str:
        """Delete what is still listed under the run tag; '' or why the listing failed."""
        # Catches contacts whose creation was never acknowledged to us (a timeout, an
        # interrupted run, a create answered with another status) and deletes that
        # answered 200 without deleting: a contact listed again after its delete is left behind.
        attempted: set[str] = set()
        for _ in range(50):  # bounded: at most 50 pages of leftovers
            try:
                page = client.list({"search": self.tag, "limit": active().max_limit})
            except TargetError as error:
                return f"{error.kind}: {error}"
            try:
                body = page.response.json() if page.status == 200 else {}
            except ValueError:
                return ""  # not JSON: nothing to sweep by (the tests report that answer)
            items = body.get("items", []) if isinstance(body, dict) else []
            if not isinstance(items, list):
                return ""
            ids = [item["id"] for item in items if isinstance(item, dict) and isinstance(item.get("id"), str)]
            fresh = [i for i in ids if i not in attempted]
            for contact_id in ids:
                if contact_id in deleted or contact_id in attempted:
                    failed.setdefault(contact_id, "DELETE answered 200 but it is still listed")
            if not fresh or len(fresh) < len(ids):
                return ""
            attempted.update(fresh)
            with ThreadPoolExecutor(max_workers=max(1, concurrency), thread_name_prefix="sweep") as pool:
                outcomes = list(pool.map(lambda contact_id: _delete(client, contact_id), fresh))
            for contact_id, outcome in zip(fresh, outcomes, strict=True):
                if outcome == 200:
                    deleted.add(contact_id)
                elif outcome != 404:
                    failed[contact_id] = str(outcome)
        return ""


def _delete(client: ApiClient, contact_id: str, credentials: dict[str, str] | None = None) -> int | str:
    try:
        if credentials is None:
            return client.delete(contact_id).status
        return client.request(
            "DELETE", contact_path(contact_id), headers=credentials, authenticate=False
        ).status
    except TargetError as exc:
        return f"{type(exc).__name__}: {exc.kind}"


def _contact_id(body: bytes) -> str | None:
    try:
        data: Any = json.loads(body)
    except ValueError:
        return None
    contact = data.get("contact") if isinstance(data, dict) else None
    value = contact.get("id") if isinstance(contact, dict) else None
    return value if isinstance(value, str) else None
