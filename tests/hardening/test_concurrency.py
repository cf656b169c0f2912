"""Many clients at once over real HTTP: afterwards the store is exactly what was acknowledged.

16 writers (one connection each) create, patch and delete contacts of org A whose
last name carries a token unique to the run, racing on each other's contacts;
2 readers list them meanwhile. Bounded: 16 x 24 operations, a 60 s ceiling.

Afterwards:

- every acknowledged create exists unless its delete was acknowledged; no other
  contact carries the token; no id is listed twice (search=token, every page);
- `total` is exact on every page, and org A's unfiltered total grew by exactly the
  survivors; org B did not change;
- a delete is acknowledged at most once per contact; a 404 on a patch or delete
  only ever names a contact whose delete was acknowledged;
- per contact, the updated_at of acknowledged PATCH responses are all distinct
  and follow real time (a PATCH sent after another was answered gets a later
  updated_at), every PATCH response shows its own change, and the final GET shows
  the latest one (the largest updated_at, with its note);
- each listing seen during the load was a consistent page (no duplicate ids,
  len(items) == min(total, limit)).
"""

from __future__ import annotations

import asyncio
import random
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import httpx
import pytest

from .support import CONTACTS, ORG_A_TOKEN, ServedMock, list_all, snapshot

pytestmark = pytest.mark.slow

WORKERS = 16
STEPS = 24  # per worker: 384 writes in all
READERS = 2
READS = 30  # per reader
SEED = 20_260_601
CEILING = 60.0  # seconds: the whole load, or the test fails instead of hanging


def moment(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


@dataclass(frozen=True)
class PatchAck:
    contact_id: str
    note: str
    sent: float
    received: float
    updated_at: datetime
    body: dict[str, Any]


@dataclass
class Ledger:
    """Everything the clients sent and what the server acknowledged."""

    token: str
    created: dict[str, dict[str, Any]] = field(default_factory=dict)
    pool: list[str] = field(default_factory=list)  # ids to patch or delete
    patches: list[PatchAck] = field(default_factory=list)
    deleted: dict[str, int] = field(default_factory=dict)  # id -> acknowledged deletes
    missing: list[tuple[str, str]] = field(default_factory=list)  # (method, id) answered 404
    problems: list[str] = field(default_factory=list)
    pages_seen: int = 0
    operations: int = 0


async def writer(number: int, url: str, ledger: Ledger, rng: random.Random) -> None:
    auth = {"Authorization": f"Bearer {ORG_A_TOKEN}"}
    async with httpx.AsyncClient(base_url=url, headers=auth, timeout=10.0) as http:
        for step in range(STEPS):
            choice = rng.random()
            ledger.operations += 1
            try:
                if choice < 0.4 or not ledger.pool:
                    await create(http, ledger, f"{ledger.token} w{number} s{step}")
                elif choice < 0.8:
                    await patch(http, ledger, pick(ledger, rng), f"{ledger.token}-w{number}-s{step}")
                else:
                    await delete(http, ledger, pick(ledger, rng))
            except httpx.HTTPError as error:
                ledger.problems.append(f"writer {number} step {step}: {error!r}")


def pick(ledger: Ledger, rng: random.Random) -> str:
    """A contact to patch or delete: half the time one of the 8 newest, so writers collide."""
    return rng.choice(ledger.pool[-8:] if rng.random() < 0.5 else ledger.pool)


async def create(http: httpx.AsyncClient, ledger: Ledger, last_name: str) -> None:
    response = await http.post(CONTACTS, json={"first_name": "Concurrent", "last_name": last_name})
    if response.status_code != 201:
        ledger.problems.append(f"create {last_name!r}: {response.status_code} {response.text[:200]}")
        return
    contact = response.json()["contact"]
    if response.headers.get("location") != f"{CONTACTS}/{contact['id']}":
        ledger.problems.append(f"create: Location {response.headers.get('location')!r} for {contact['id']}")
    if contact["updated_at"] != contact["created_at"] or contact["last_name"] != last_name:
        ledger.problems.append(f"create: unexpected contact {contact}")
    if contact["id"] in ledger.created:
        ledger.problems.append(f"create: id {contact['id']} handed out twice")
    ledger.created[contact["id"]] = contact
    ledger.pool.append(contact["id"])


async def patch(http: httpx.AsyncClient, ledger: Ledger, contact_id: str, note: str) -> None:
    sent = time.monotonic()
    response = await http.patch(f"{CONTACTS}/{contact_id}", json={"note": note})
    received = time.monotonic()
    if response.status_code == 404:
        ledger.missing.append(("PATCH", contact_id))
    elif response.status_code != 200:
        ledger.problems.append(f"patch {contact_id}: {response.status_code} {response.text[:200]}")
    else:
        body = response.json()["contact"]
        ledger.patches.append(PatchAck(contact_id, note, sent, received, moment(body["updated_at"]), body))


async def delete(http: httpx.AsyncClient, ledger: Ledger, contact_id: str) -> None:
    response = await http.delete(f"{CONTACTS}/{contact_id}")
    if response.status_code == 404:
        ledger.missing.append(("DELETE", contact_id))
    elif response.status_code != 200 or response.json() != {"success": True}:
        ledger.problems.append(f"delete {contact_id}: {response.status_code} {response.text[:200]}")
    else:
        ledger.deleted[contact_id] = ledger.deleted.get(contact_id, 0) + 1
        if contact_id in ledger.pool:
            ledger.pool.remove(contact_id)


async def reader(number: int, url: str, ledger: Ledger) -> None:
    auth = {"Authorization": f"Bearer {ORG_A_TOKEN}"}
    async with httpx.AsyncClient(base_url=url, headers=auth, timeout=10.0) as http:
        for _ in range(READS):
            response = await http.get(CONTACTS, params={"search": ledger.token, "limit": "200"})
            if response.status_code != 200:
                ledger.problems.append(f"reader {number}: {response.status_code} {response.text[:200]}")
                continue
            page = response.json()
            ids = [c["id"] for c in page["items"]]
            if len(set(ids)) != len(ids) or len(ids) != min(page["total"], 200):
                ledger.problems.append(
                    f"reader {number}: inconsistent page, {len(ids)} items, total {page['total']}"
                )
            ledger.pages_seen += 1
            await asyncio.sleep(0.01)


async def load(url: str, ledger: Ledger) -> None:
    tasks = [writer(n, url, ledger, random.Random(SEED + n)) for n in range(WORKERS)]
    tasks += [reader(n, url, ledger) for n in range(READERS)]
    await asyncio.wait_for(asyncio.gather(*tasks), timeout=CEILING)


def test_concurrent_writers_leave_exactly_what_was_acknowledged(
    mock: ServedMock, client: httpx.Client
) -> None:
    before = snapshot(client)
    ledger = Ledger(token=f"zzconc{uuid.uuid4().hex[:12]}")
    started = time.monotonic()
    asyncio.run(load(mock.url, ledger))
    elapsed = time.monotonic() - started
    context = f"(token {ledger.token}, seed {SEED}, {elapsed:.1f} s)"

    assert not ledger.problems, f"{context}: " + "\n".join(ledger.problems[:20])
    assert ledger.operations == WORKERS * STEPS
    assert ledger.pages_seen == READERS * READS
    assert elapsed < CEILING

    # Deletes: at most one acknowledgement per contact; every 404 names a deleted contact.
    twice = {cid: count for cid, count in ledger.deleted.items() if count != 1}
    assert not twice, f"{context}: deletes acknowledged more than once: {twice}"
    stray = [(method, cid) for method, cid in ledger.missing if cid not in ledger.deleted]
    assert not stray, f"{context}: 404 for contacts never deleted: {stray}"

    # The store: acknowledged creates minus acknowledged deletes, nothing else, once each.
    expected = set(ledger.created) - set(ledger.deleted)
    items, totals = list_all(client, ORG_A_TOKEN, page_size=25, search=ledger.token)
    ids = [c["id"] for c in items]
    assert len(ids) == len(set(ids)), f"{context}: duplicates in the list"
    assert set(ids) == expected, (
        f"{context}: lost {sorted(expected - set(ids))[:5]}, unexpected {sorted(set(ids) - expected)[:5]}"
    )
    assert set(totals) == {len(expected)}, f"{context}: totals {totals} for {len(expected)} contacts"
    after = snapshot(client)
    assert len(after["A"]) == len(before["A"]) + len(expected)
    assert after["B"] == before["B"], "org B changed"
    assert set(before["A"]) <= set(after["A"]), "a contact outside the test's was lost"

    # Per contact: updated_at distinct and in real-time order, and the final state is the latest.
    listed = {c["id"]: c for c in items}
    by_contact: dict[str, list[PatchAck]] = {}
    for ack in ledger.patches:
        by_contact.setdefault(ack.contact_id, []).append(ack)
        assert ack.body["note"] == ack.note, f"{context}: a PATCH response does not show its change"
    for contact_id, created in ledger.created.items():
        acks = sorted(by_contact.get(contact_id, []), key=lambda a: a.updated_at)
        stamps = [a.updated_at for a in acks]
        assert len(set(stamps)) == len(stamps), f"{context}: {contact_id} repeats an updated_at: {stamps}"
        assert all(s > moment(created["created_at"]) for s in stamps), f"{context}: {contact_id}"
        for first in acks:
            for later in acks:
                if first.received < later.sent:
                    assert first.updated_at < later.updated_at, (
                        f"{context}: {contact_id}: a PATCH answered before another was sent "
                        f"has the later updated_at ({first.updated_at} vs {later.updated_at})"
                    )
        got = client.get(f"{CONTACTS}/{contact_id}", headers={"Authorization": f"Bearer {ORG_A_TOKEN}"})
        if contact_id not in expected:
            assert got.status_code == 404, f"{context}: deleted {contact_id} answers {got.status_code}"
            continue
        final = got.json()["contact"]
        assert final == listed[contact_id]
        if acks:
            assert moment(final["updated_at"]) == acks[-1].updated_at, f"{context}: {contact_id}"
            assert final["note"] == acks[-1].note, f"{context}: {contact_id} lost its latest change"
        else:
            assert final == created, f"{context}: {contact_id} changed without an acknowledged PATCH"

    # The load was real: writes of each kind, and races between them.
    assert len(ledger.created) >= WORKERS and ledger.patches and ledger.deleted
