"""The HTTP rows: which request each row sends, and the JSON bodies of the writes.

The Lua scripts in `lua/` send exactly these requests for wrk; `pyload.py`
builds them with the functions below. Keep both in step.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from urllib.parse import quote

from .common import CONTACTS_PATH, FIXTURE_COMPANY, FIXTURE_CONTACT

SEARCH_TEXT = "田"  # in 7 of org A's 40 fixture last names (田中, 山田, 前田...)


@dataclass(frozen=True)
class Scenario:
    key: str
    label: str
    method: str
    target: str  # path and query
    script: str  # the wrk Lua script in lua/
    status: int  # what the mock answers when all is well

    @property
    def has_body(self) -> bool:
        return self.method in ("POST", "PATCH")


# Measured in this order: the writes come last so the read rows see the fixture
# store as shipped (POST adds one contact per request, thousands per row).
SCENARIOS: tuple[Scenario, ...] = (
    Scenario("get_one", "GET one", "GET", f"{CONTACTS_PATH}/{FIXTURE_CONTACT}", "get.lua", 200),
    Scenario("list", "GET list limit=50", "GET", f"{CONTACTS_PATH}?limit=50", "get.lua", 200),
    Scenario(
        "search",
        "GET list search",
        "GET",
        f"{CONTACTS_PATH}?limit=50&search={quote(SEARCH_TEXT)}",
        "get.lua",
        200,
    ),
    Scenario("patch", "PATCH", "PATCH", f"{CONTACTS_PATH}/{FIXTURE_CONTACT}", "patch.lua", 200),
    Scenario("post", "POST", "POST", CONTACTS_PATH, "post.lua", 201),
)
SCENARIO_KEYS = tuple(s.key for s in SCENARIOS)


def scenario(key: str) -> Scenario:
    return next(s for s in SCENARIOS if s.key == key)


def post_body(counter: int) -> bytes:
    """A valid createContact body; the counter keeps emails and notes distinct (as post.lua)."""
    return json.dumps(
        {
            "first_name": "花子",
            "last_name": "佐藤",
            "email": f"bench{counter}@example.com",
            "phone": "090-1234-5678",
            "position": "部長",
            "company_id": FIXTURE_COMPANY,
            "note": f"load {counter}",
        },
        ensure_ascii=False,
        separators=(",", ":"),
    ).encode()


def patch_body(counter: int) -> bytes:
    """A valid updateContact body that alternates the position, so each request is a real change."""
    position = "部長" if counter % 2 else "課長"
    return json.dumps({"position": position}, ensure_ascii=False, separators=(",", ":")).encode()


def body_for(scenario: Scenario, counter: int) -> bytes:
    if scenario.method == "POST":
        return post_body(counter)
    if scenario.method == "PATCH":
        return patch_body(counter)
    return b""
