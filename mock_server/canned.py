"""Documented answers on request (`Prefer: code=`, `example=`, `dynamic=true`): nothing is stored.

`honoured()` drops what the operation does not document (RFC 7240: a server may
ignore a preference), so `canned_answer()` only ever answers a documented status.
"""

from __future__ import annotations

import json
import random
from dataclasses import replace
from typing import Any

from .dynamic import synthesize
from .errors import ERRORS_BY_STATUS
from .prefer import Preferences
from .spec import Operation


def _examples(operation: Operation, status: int) -> dict[str, Any]:
    media = operation.responses[str(status)].get("content", {}).get("application/json", {})
    examples = {name: example["value"] for name, example in media.get("examples", {}).items()}
    if "example" in media:
        examples.setdefault("example", media["example"])
    return examples


def honoured(operation: Operation, preferences: Preferences) -> Preferences:
    """The preferences this operation can honour; the others are dropped, with the reason."""
    documented = operation.documented_statuses
    if preferences.code is not None and preferences.code not in documented:
        preferences = replace(preferences, code=None).ignore(
            f"code={preferences.code} is not documented for {operation.operation_id} "
            f"(documented: {', '.join(map(str, documented))})"
        )
    if preferences.example is not None and preferences.dynamic:
        preferences = replace(preferences, example=None).ignore(
            f"example={preferences.example} is not used with dynamic=true (generated data wins)"
        )
    if preferences.example is not None:
        status = preferences.code or operation.success_status
        names = _examples(operation, status)
        if preferences.example not in names:
            preferences = replace(preferences, example=None).ignore(
                f"example={preferences.example} is not documented for {operation.operation_id} {status} "
                f"(documented: {', '.join(sorted(names)) or 'none'})"
            )
    return preferences


def canned_answer(
    operation: Operation, preferences: Preferences, rng: random.Random | None = None
) -> tuple[int, Any, dict[str, str]]:
    """(status, body, headers) of the documented response asked for by `honoured()` preferences."""
    status = preferences.code or operation.success_status
    if status not in operation.documented_statuses:
        raise ValueError(f"{status} is not documented for {operation.operation_id}: call honoured() first")
    media = operation.responses[str(status)].get("content", {}).get("application/json", {})
    examples = _examples(operation, status)
    if preferences.dynamic:
        body = synthesize(media.get("schema", {}), rng)
    elif preferences.example is not None:
        body = examples[preferences.example]
    elif examples:
        body = examples.get("default", next(iter(examples.values())))
    else:
        body = synthesize(media.get("schema", {}), rng)
    body = json.loads(json.dumps(body))  # a copy: the spec's examples are never shared
    headers = dict(ERRORS_BY_STATUS[status]().headers) if status in ERRORS_BY_STATUS else {}
    if "Location" in operation.responses[str(status)].get("headers", {}):
        contact = body.get("contact") if isinstance(body, dict) else None
        contact_id = contact.get("id") if isinstance(contact, dict) else "cont_" + "0" * 32
        headers["Location"] = operation.path + f"/{contact_id}"
    return status, body, headers
