"""The rules the proxy checks, by stable id. Ids never change meaning; new rules get new ids.

Per-exchange rules judge one request and its response against `openapi.yaml` and
the contract's decisions. Behavioural rules (`behaviour.*`) judge one client's
observed traffic over time and flag only what is certain (see docs/proxy.md).
"""

from __future__ import annotations

RULES: dict[str, str] = {
    "status.documented": "the status is one the contract documents for this operation",
    "response.json": "a documented response body is JSON (Content-Type application/json)",
    "response.schema": "the response body matches the documented schema",
    "error.shape": 'errors have the body {"error": {"code", "message"}} (validation errors add details)',
    "error.code": "an error's code is the one the contract gives its status",
    "method.allow": "a 405 carries an Allow header listing the path's methods and not the refused one",
    "created.location": "a 201 has Location /api/v1/crm/contacts/{id} naming the created contact",
    "timestamp.format": "timestamps are RFC 3339 in UTC with a Z suffix",
    "timestamp.order": "updated_at is never before created_at, and equals it on a 201",
    "list.echo": "a page echoes the effective limit and offset of the request",
    "list.page": "a page holds at most `limit` items and never repeats one",
    "list.order": "a page sorted by created_at is in created_at order",
    "write.echo": "a 201 or a PATCH 200 shows the values the request sent",
    "request.invalid-accepted": "a request the contract refuses is never answered 2xx",
    "request.valid-refused": "a request the contract accepts is never refused with 400, 413 or 415",
    "behaviour.deleted-stays-gone": "after a 200 DELETE the id is 404 everywhere for that client",
    "behaviour.created-at-stable": "a contact's created_at never changes",
    "behaviour.updated-at-monotonic": "a later read never shows an older updated_at (reads see the writes)",
    "behaviour.version-fields": "two answers with the same updated_at show the same fields",
    "behaviour.noop-patch-keeps-updated-at": "a PATCH that changes nothing ({} included) keeps updated_at",
    "behaviour.created-appears-in-list": (
        "a created contact appears in an unfiltered list whose page covers it"
    ),
}


def title(rule: str) -> str:
    return RULES[rule]
