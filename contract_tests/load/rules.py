"""Stable rule ids: what a violation under load is reported as.

A violation raised by the suite's invariants (`contract_tests.invariants`) names
the invariant in a sentence; under load it is filed under one short rule id, so
Locust's failure table has one row per rule and operation, whatever the data.
The ids are part of the interface (docs/load.md lists them): never rename one.
"""

from __future__ import annotations

# id -> what the rule says. Order: the order of the summary and of docs/load.md.
RULES: dict[str, str] = {
    "server-error": "no answer is a 5xx, under load included",
    "status": "every answer has the contract's status for what was asked",
    "shape": "bodies have the contract's shape (contact, page, error; JSON)",
    "create-fields": "a created contact holds what was sent; created_at equals updated_at; Location names it",
    "distinct-ids": "every create gets a fresh id, distinct from every other create of the run",
    "read-your-write": "GET shows a contact exactly as its last acknowledged write left it",
    "patch-fields": "PATCH changes the sent fields and only them; id and created_at never change",
    "updated-at": "a real change moves updated_at strictly forward; no change keeps it",
    "lost-update": "every acknowledged change of a shared contact is in its later state",
    "list-exact": "a user's own contacts are listed exactly as its model says: members, order, fields, pages",
    "list-total": "total counts exactly the matching contacts of the user's own scope",
    "list-params": "limit and offset are echoed; every listed contact matches the filter, in order",
    "deleted-gone": "a deleted contact is gone: 404 on GET, PATCH and DELETE, never listed",
    "isolation": "an organization never sees, changes or deletes another organization's contacts",
    "cleanup": "everything the run created is deleted at the end (nothing left behind)",
}

# Sentences of contract_tests.invariants / failures and the rule they belong to.
_INVARIANT_RULES: dict[str, str] = {
    "responses are JSON": "shape",
    "the response body is JSON": "shape",
    "error responses are JSON": "shape",
    "a contact is a JSON object": "shape",
    "a contact has exactly the contract's fields": "shape",
    "ids are cont_ + 32 lowercase hex": "shape",
    "contact ids match the spec's pattern": "shape",
    "timestamps are RFC 3339 in UTC with Z": "shape",
    "updated_at is never before created_at": "shape",
    'single-contact answers are {"contact": {...}}': "shape",
    "a page has items, total, limit and offset": "shape",
    "items is an array": "shape",
    "total is an integer": "shape",
    "limit is an integer": "shape",
    "offset is an integer": "shape",
    "a page holds at most `limit` items": "list-params",
    'errors have the body {"error": {"code", "message"}}': "shape",
    "validation errors carry details [{field, message}]": "shape",
    "a 201 has Location /api/v1/crm/contacts/{id}": "create-fields",
    "a 201 has a Location naming the created contact": "create-fields",
    "a page never repeats a contact": "list-exact",
    "the page holds exactly the matching contacts, in order": "list-exact",
    "the page holds the matching contacts in created_at order": "list-exact",
    "the page holds only matching contacts": "list-exact",
    "listed contacts show their current fields": "list-exact",
    "PATCH changes the sent fields and only them": "patch-fields",
    "id and created_at never change": "patch-fields",
    "a real change moves updated_at strictly forward": "updated-at",
    "a PATCH that changes nothing keeps updated_at": "updated-at",
}


def rule_of(invariant: str) -> str:
    """The rule id of an invariant sentence: ours are `<rule>: ...`, the suite's are looked up."""
    head, sep, _ = invariant.partition(": ")
    if sep and head in RULES:
        return head
    if invariant.startswith("a ") and " has the code " in invariant:
        return "shape"
    return _INVARIANT_RULES.get(invariant, "status")


def say(rule: str, text: str) -> str:
    """An invariant sentence filed under `rule` (checked: the id must exist)."""
    if rule not in RULES:
        raise KeyError(f"unknown rule id {rule!r}")
    return f"{rule}: {text}"


class RuleFailure(Exception):
    """What Locust records as the failure of a request: the rule id, then the rule.

    Its repr is the row text of Locust's failure table (Locust shows repr()), so
    it is stable: the details of one occurrence go to the end-of-run summary.
    """

    def __init__(self, rule: str) -> None:
        super().__init__(rule)
        self.rule = rule

    def __repr__(self) -> str:
        return f"contract[{self.rule}] {RULES[self.rule]}"

    __str__ = __repr__


class TargetFailure(Exception):
    """The target did not answer usably (connection, timeout, 429): not a contract verdict."""

    def __init__(self, kind: str) -> None:
        super().__init__(kind)
        self.kind = kind  # one of TARGET_KINDS

    def __repr__(self) -> str:
        return f"target[{self.kind}] no contract verdict: {_TARGET_KINDS[self.kind]}"

    __str__ = __repr__


_TARGET_KINDS = {
    "unreachable": "the connection failed or was closed",
    "timeout": "no answer within --contract-timeout",
    "rate-limited": "429 Too Many Requests (lower the rate cap)",
}
TARGET_KINDS = tuple(_TARGET_KINDS)
