"""Planted bugs for the proxy's rules: each a small Modifier around the correct mock.

Every class breaks one rule of `contacts_proxy.rules.RULES`, the way a real
backend might; `test_rules.py` pairs each with a scenario that exposes it.
"""

from __future__ import annotations

import json
from typing import Any

from .support import CONTACTS, Answer, Call, Modifier


def is_create(call: Call) -> bool:
    return call.method == "POST" and call.path == CONTACTS


def is_list(call: Call) -> bool:
    return call.method == "GET" and call.path == CONTACTS


def is_one(call: Call, method: str = "GET") -> bool:
    return call.method == method and call.path.startswith(CONTACTS + "/")


def contacts(body: Any) -> list[dict[str, Any]]:
    if "contact" in body:
        return [body["contact"]]
    return list(body.get("items", []))


class CreateAnswers200(Modifier):
    def response(self, call: Call, answer: Answer) -> None:
        if is_create(call) and answer.status == 201:
            answer.status = 200


class TextPlain(Modifier):
    def response(self, call: Call, answer: Answer) -> None:
        if is_one(call) and answer.status == 200:
            answer.drop_header("content-type")
            answer.headers.append(("content-type", "text/plain"))


class DropsNote(Modifier):
    def response(self, call: Call, answer: Answer) -> None:
        if is_one(call) and answer.status == 200:
            body = answer.json()
            del body["contact"]["note"]
            answer.set_json(body)


class NotFoundShape(Modifier):
    def response(self, call: Call, answer: Answer) -> None:
        if answer.status == 404:
            answer.set_json({"message": "Not found"})


class NotFoundCode(Modifier):
    def response(self, call: Call, answer: Answer) -> None:
        if answer.status == 404:
            answer.set_json({"error": {"code": "missing", "message": "Contact not found."}})


class NoAllow(Modifier):
    def response(self, call: Call, answer: Answer) -> None:
        if answer.status == 405:
            answer.drop_header("allow")


class NoLocation(Modifier):
    def response(self, call: Call, answer: Answer) -> None:
        if answer.status == 201:
            answer.drop_header("location")


class OffsetTimestamps(Modifier):
    def response(self, call: Call, answer: Answer) -> None:
        if 200 <= answer.status < 300 and b"_at" in answer.body:
            answer.set_json(json.loads(answer.body.replace(b'Z"', b'+00:00"')))


class UpdatedAtAheadOnCreate(Modifier):
    def response(self, call: Call, answer: Answer) -> None:
        if answer.status == 201:
            body = answer.json()
            body["contact"]["updated_at"] = "2099-01-01T00:00:00Z"
            answer.set_json(body)


class LimitNotEchoed(Modifier):
    def response(self, call: Call, answer: Answer) -> None:
        if is_list(call) and answer.status == 200:
            body = answer.json()
            body["limit"] = 50
            answer.set_json(body)


class RepeatsAnItem(Modifier):
    def response(self, call: Call, answer: Answer) -> None:
        if is_list(call) and answer.status == 200:
            body = answer.json()
            body["items"][1] = body["items"][0]
            answer.set_json(body)


class ReversedPage(Modifier):
    def response(self, call: Call, answer: Answer) -> None:
        if is_list(call) and answer.status == 200:
            body = answer.json()
            body["items"].reverse()
            answer.set_json(body)


class DropsPosition(Modifier):
    """POST stores everything but `position`."""

    def request(self, call: Call) -> Call:
        if is_create(call):
            body = json.loads(call.body)
            body.pop("position", None)
            call.body = json.dumps(body).encode()
        return call


class ClampsLimit(Modifier):
    """limit over 200 is silently clamped instead of refused."""

    def request(self, call: Call) -> Call:
        if is_list(call):
            call.query = "&".join(
                "limit=200" if p.startswith("limit=") and int(p[6:] or 0) > 200 else p
                for p in call.query.split("&")
            )
        return call


class BodyLimitTooLow(Modifier):
    """Bodies over 1,000 bytes get 413 (the contract: 65,536)."""

    def response(self, call: Call, answer: Answer) -> None:
        if len(call.body) > 1000:
            answer.status = 413
            answer.set_json({"error": {"code": "payload_too_large", "message": "Too large."}})


class DeleteIsNoop(Modifier):
    """DELETE answers 200 {"success": true} and keeps the contact."""

    def request(self, call: Call) -> Call:
        if is_one(call, "DELETE"):
            call.method = "GET"
            call.delete = True  # type: ignore[attr-defined]
        return call

    def response(self, call: Call, answer: Answer) -> None:
        if getattr(call, "delete", False) and answer.status == 200:
            answer.set_json({"success": True})


class CreatedAtMoves(Modifier):
    def response(self, call: Call, answer: Answer) -> None:
        if is_one(call) and answer.status == 200:
            body = answer.json()
            body["contact"]["created_at"] = "2020-01-01T00:00:00Z"
            answer.set_json(body)


class StaleCache(Modifier):
    """GET by id answers from a cache filled on first read and never invalidated."""

    def __init__(self) -> None:
        self.cache: dict[str, Answer] = {}

    def response(self, call: Call, answer: Answer) -> None:
        if is_one(call) and answer.status == 200:
            cached = self.cache.setdefault(
                call.path, Answer(answer.status, list(answer.headers), answer.body)
            )
            answer.headers, answer.body = list(cached.headers), cached.body


class PatchKeepsUpdatedAt(Modifier):
    """A real change does not move updated_at (the answer shows the old stamp)."""

    def __init__(self) -> None:
        self.stamps: dict[str, str] = {}

    def response(self, call: Call, answer: Answer) -> None:
        if not 200 <= answer.status < 300:
            return
        body = answer.json()
        for contact in contacts(body) if isinstance(body, dict) else []:
            if is_one(call, "PATCH") and contact["id"] in self.stamps:
                contact["updated_at"] = self.stamps[contact["id"]]
                answer.set_json(body)
            self.stamps.setdefault(contact["id"], contact["updated_at"])


class EmptyPatchBumps(Modifier):
    def response(self, call: Call, answer: Answer) -> None:
        if is_one(call, "PATCH") and call.body.strip() == b"{}" and answer.status == 200:
            body = answer.json()
            body["contact"]["updated_at"] = "2099-01-01T00:00:00Z"
            answer.set_json(body)


class HidesNewContacts(Modifier):
    """The unfiltered list leaves out contacts created since the server started (a stale index)."""

    def __init__(self) -> None:
        self.created: set[str] = set()

    def response(self, call: Call, answer: Answer) -> None:
        if is_create(call) and answer.status == 201:
            self.created.add(answer.json()["contact"]["id"])
        if is_list(call) and answer.status == 200:
            body = answer.json()
            body["items"] = [item for item in body["items"] if item["id"] not in self.created]
            answer.set_json(body)
