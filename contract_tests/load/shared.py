"""Contacts several users patch at once, and ids that must be distinct across the run.

A `SharedContact` is created by one user of its group and then PATCHed
concurrently by all of them, each owning one field: a user only ever sends its
own field, always a new value. Since nobody else writes that field, its value
at any moment is known up to the writes in flight: the last value acknowledged
before a read was sent, or one sent after it. A read showing anything else has
lost an acknowledged update (`lost-update`); two acknowledged real changes with
the same `updated_at` were not applied one after the other (`updated-at`).
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ..failures import Exchange, expect, fail
from .rules import say

# In the order members take them. last_name keeps the group's token, so the
# contact stays findable (and swept) whatever its owners write.
SHARED_FIELDS = ("position", "note", "phone", "email", "first_name", "company_id", "last_name")


def shared_value(name: str, token: str, serial: int) -> str:
    """A fresh, valid value of field `name` (serial makes it differ from every earlier one)."""
    values: dict[str, Callable[[], str]] = {
        "position": lambda: f"役職 {serial}",
        "note": lambda: f"shared note {serial}",
        "phone": lambda: f"+81 90 {serial:08d}",
        "email": lambda: f"m{serial}.{token}@example.com",
        "first_name": lambda: f"名前{serial}",
        "company_id": lambda: "comp_" + secrets.token_hex(16),
        "last_name": lambda: f"共有{serial} {token}",
    }
    return values[name]()


@dataclass
class Write:
    value: Any
    sent_at: float
    acked_at: float | None = None
    uncertain: bool = False  # no answer (timeout, connection): it may or may not have been applied


@dataclass
class SharedContact:
    token: str
    size: int
    contact_id: str | None = None
    initial: dict[str, Any] = field(default_factory=dict)
    owners: list[str] = field(default_factory=list)  # fields taken, in order
    histories: dict[str, list[Write]] = field(default_factory=dict)
    change_stamps: dict[str, str] = field(default_factory=dict)  # updated_at -> the field whose PATCH got it
    ready: threading.Event = field(default_factory=threading.Event)
    creating: bool = False
    active: int = 0
    serial: int = 0

    def take_field(self) -> str:
        name = SHARED_FIELDS[len(self.owners) % len(SHARED_FIELDS)]
        self.owners.append(name)
        self.histories.setdefault(name, [])
        self.active += 1
        return name

    def next_value(self, name: str) -> Any:
        self.serial += 1
        return shared_value(name, self.token, self.serial)

    def created(self, contact: Mapping[str, Any]) -> None:
        self.contact_id = contact["id"]
        self.initial = dict(contact)
        self.ready.set()

    def sent(self, name: str, value: Any) -> Write:
        write = Write(value, time.monotonic())
        self.histories[name].append(write)
        return write

    def acceptable(self, name: str, sent_at: float, answered_at: float) -> list[Any]:
        """The values field `name` may show in an answer to a read sent and answered then."""
        history = self.histories.get(name, [])
        start = -1  # the initial value, unless a write was acknowledged before the read was sent
        for index, write in enumerate(history):
            if write.acked_at is not None and write.acked_at < sent_at:
                start = index
        values = [self.initial[name]] if start < 0 else [history[start].value]
        values += [w.value for w in history[start + 1 :] if w.sent_at < answered_at]
        values += [w.value for w in history[: max(start, 0)] if w.uncertain]  # a lost request may land late
        return values

    def check_state(
        self, contact: Mapping[str, Any], sent_at: float, answered_at: float, exchange: Exchange
    ) -> None:
        """Every owned field shows a value its owner's acknowledged writes allow."""
        for name in self.histories:
            allowed = self.acceptable(name, sent_at, answered_at)
            if contact[name] not in allowed:
                last = allowed[0]
                fail(
                    say("lost-update", "every acknowledged change of a shared contact is in its later state"),
                    exchange,
                    f"{name} is {contact[name]!r}, but its owner's PATCH to {last!r} was acknowledged "
                    f"before this request was sent (and no later write of {name} was in flight)",
                )

    def acknowledged(self, name: str, write: Write, updated_at: str, exchange: Exchange) -> None:
        """A PATCH of `name` was answered 200 with `updated_at`: it must be a stamp of its own."""
        write.acked_at = time.monotonic()
        other = self.change_stamps.get(updated_at)
        expect(
            other is None,
            say("updated-at", "two acknowledged real changes of one contact never share an updated_at"),
            exchange,
            f"the PATCH of {name} and an earlier PATCH of {other} were both answered with "
            f"updated_at {updated_at}",
        )
        self.change_stamps[updated_at] = name


@dataclass
class SharedBoard:
    """The shared contacts of one process; users join the newest group until it is full."""

    size: int
    token_factory: Callable[[int], str]
    groups: list[SharedContact] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def join(self) -> tuple[SharedContact, str]:
        with self._lock:
            if not self.groups or len(self.groups[-1].owners) >= self.size:
                self.groups.append(SharedContact(self.token_factory(len(self.groups)), self.size))
            group = self.groups[-1]
            return group, group.take_field()


@dataclass
class IdRegistry:
    """Every id a create was answered with in this process (and, on a master, in the run)."""

    _owners: dict[str, str] = field(default_factory=dict)
    _new: list[str] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def claim(self, contact_id: str, owner: str) -> str | None:
        """Record `contact_id` for `owner`; the earlier owner if the id was handed out before."""
        with self._lock:
            earlier = self._owners.get(contact_id)
            if earlier is None:
                self._owners[contact_id] = owner
                self._new.append(contact_id)
            return earlier

    def drain(self) -> list[str]:
        """The ids claimed since the last drain (what a worker tells its master)."""
        with self._lock:
            new, self._new = self._new, []
            return new

    def __len__(self) -> int:
        return len(self._owners)
