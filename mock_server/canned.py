"""Documented answers on request (`Prefer: code=`, `example=`, `dynamic=true`): nothing is stored."""

from __future__ import annotations

import json
import random
from typing import Any

from .dynamic import synthesize
from .errors import ERRORS_BY_STATUS, FieldError, ValidationFailed
from .prefer import Preferences
from .spec import Operation


def _refuse(message: str) -> ValidationFailed:
    return ValidationFailed(
        f"The mock cannot honour Prefer: {message}", details=[FieldError("Prefer", message)]
    )


def canned_answer(
    operation: Operation, preferences: Preferences, rng: random.Random | None = None
) -> tuple[int, Any, dict[str, str]]:
    """(status, body, headers) of the documented response the caller asked for."""
    documented = operation.documented_statuses
    status = preferences.code or next(code for code in documented if 200 <= code < 300)
    if status not in documented:
        raise _refuse(
            f"code={status} is not documented for {operation.operation_id}; "
            f"documented: {', '.join(map(str, documented))}"
        )
    media = operation.responses[str(status)].get("content", {}).get("application/json", {})
    examples = {name: example["value"] for name, example in media.get("examples", {}).items()}
    if "example" in media:
        examples.setdefault("example", media["example"])
    if preferences.dynamic:
        body = synthesize(media.get("schema", {}), rng)
    elif preferences.example is not None:
        if preferences.example not in examples:
            names = ", ".join(sorted(examples)) or "none"
            raise _refuse(
                f"example={preferences.example!r} is not documented for {status}; documented: {names}"
            )
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
