"""Each rule fires on a server that breaks it, and stays silent on the correct mock.

Table-driven: (rule, planted bug, scenario). The scenario runs through the proxy
twice: against the mock with the bug planted (the rule must be flagged) and
against the correct mock (nothing may be flagged at all).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import httpx
import pytest

from contacts_proxy.rules import RULES

from . import bugs
from .support import CONTACTS, Bugs, Modifier, Rig, mock_app, rig

NEW = {"first_name": "花子", "last_name": "佐藤", "position": "部長", "phone": "03-1234-5678"}
UNKNOWN = f"{CONTACTS}/cont_{'0' * 32}"

Scenario = Callable[[httpx.Client], None]


def create(http: httpx.Client, **extra: object) -> str:
    response = http.post(CONTACTS, json={**NEW, **extra})
    assert response.status_code in (200, 201), response.text
    contact_id: str = response.json()["contact"]["id"]
    return contact_id


def create_and_read(http: httpx.Client) -> None:
    http.get(f"{CONTACTS}/{create(http)}")


def read_unknown(http: httpx.Client) -> None:
    http.get(UNKNOWN)


def put_collection(http: httpx.Client) -> None:
    http.put(CONTACTS, json={})


def list_page(http: httpx.Client) -> None:
    http.get(CONTACTS, params={"limit": 10, "sort": "created_at", "order": "desc"})


def list_500(http: httpx.Client) -> None:
    http.get(CONTACTS, params={"limit": 500})


def create_long_note(http: httpx.Client) -> None:
    http.post(CONTACTS, json={**NEW, "note": "メモ" * 750})


def delete_then_read(http: httpx.Client) -> None:
    contact_id = create(http)
    assert http.delete(f"{CONTACTS}/{contact_id}").status_code == 200
    http.get(f"{CONTACTS}/{contact_id}")


def read_patch_read(http: httpx.Client) -> None:
    contact_id = create(http)
    http.get(f"{CONTACTS}/{contact_id}")
    http.patch(f"{CONTACTS}/{contact_id}", json={"position": "本部長"})
    http.get(f"{CONTACTS}/{contact_id}")


def patch_once(http: httpx.Client) -> None:
    contact_id = create(http)
    http.patch(f"{CONTACTS}/{contact_id}", json={"position": "課長", "note": None})


def read_then_empty_patch(http: httpx.Client) -> None:
    contact_id = create(http)
    http.get(f"{CONTACTS}/{contact_id}")
    http.patch(f"{CONTACTS}/{contact_id}", json={})
    http.patch(f"{CONTACTS}/{contact_id}", json={"position": NEW["position"]})


def create_list_read(http: httpx.Client) -> None:
    contact_id = create(http)
    http.get(CONTACTS)
    http.get(f"{CONTACTS}/{contact_id}")


CASES: list[tuple[str, Callable[[], Modifier], Scenario]] = [
    ("status.documented", bugs.CreateAnswers200, create_and_read),
    ("response.json", bugs.TextPlain, create_and_read),
    ("response.schema", bugs.DropsNote, create_and_read),
    ("error.shape", bugs.NotFoundShape, read_unknown),
    ("error.code", bugs.NotFoundCode, read_unknown),
    ("method.allow", bugs.NoAllow, put_collection),
    ("created.location", bugs.NoLocation, create_and_read),
    ("timestamp.format", bugs.OffsetTimestamps, create_and_read),
    ("timestamp.order", bugs.UpdatedAtAheadOnCreate, create_and_read),
    ("list.echo", bugs.LimitNotEchoed, list_page),
    ("list.page", bugs.RepeatsAnItem, list_page),
    ("list.order", bugs.ReversedPage, list_page),
    ("write.echo", bugs.DropsPosition, create_and_read),
    ("request.invalid-accepted", bugs.ClampsLimit, list_500),
    ("request.valid-refused", bugs.BodyLimitTooLow, create_long_note),
    ("behaviour.deleted-stays-gone", bugs.DeleteIsNoop, delete_then_read),
    ("behaviour.created-at-stable", bugs.CreatedAtMoves, create_and_read),
    ("behaviour.updated-at-monotonic", bugs.StaleCache, read_patch_read),
    ("behaviour.version-fields", bugs.PatchKeepsUpdatedAt, patch_once),
    ("behaviour.noop-patch-keeps-updated-at", bugs.EmptyPatchBumps, read_then_empty_patch),
    ("behaviour.created-appears-in-list", bugs.HidesNewContacts, create_list_read),
]
IDS = [case[0] for case in CASES]


def test_every_rule_has_a_planted_bug() -> None:
    assert sorted(IDS) == sorted(RULES)


@pytest.fixture(scope="module")
def planted() -> Iterator[tuple[Rig, Bugs]]:
    layer = Bugs(mock_app())
    with rig(layer) as r:
        yield r, layer


@pytest.fixture(scope="module")
def correct() -> Iterator[Rig]:
    with rig(mock_app()) as r:
        yield r


@pytest.mark.parametrize(("rule", "bug", "scenario"), CASES, ids=IDS)
def test_the_rule_fires_on_its_bug(
    planted: tuple[Rig, Bugs], rule: str, bug: Callable[[], Modifier], scenario: Scenario
) -> None:
    r, layer = planted
    r.reset()
    layer.active = bug()
    try:
        scenario(r.http)
    finally:
        layer.active = None
    violations = r.violations()
    assert rule in [v["rule"] for v in violations], [(v["rule"], v["detail"]) for v in violations]
    flagged = next(v for v in violations if v["rule"] == rule)
    assert flagged["title"] == RULES[rule] and flagged["curl"].startswith("curl ")


@pytest.mark.parametrize(("rule", "bug", "scenario"), CASES, ids=IDS)
def test_the_correct_mock_is_never_flagged(
    correct: Rig, rule: str, bug: Callable[[], Modifier], scenario: Scenario
) -> None:
    correct.reset()
    scenario(correct.http)
    assert [(v["rule"], v["detail"]) for v in correct.violations()] == []
