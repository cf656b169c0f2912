"""The contract's per-response rules (rules.py) registered as schemathesis checks.

Importing this module registers one ``@schemathesis.check`` per rule, named by
the rule's stable id (``contact-fields``, ``error-code-per-status``, ...), so
they run wherever schemathesis checks run with ``checks: enabled``:

- the schema phases of the suite (``test_schema.py`` imports this module);
- ``make fuzz`` / ``st run`` (``scripts/fuzz.py`` sets ``SCHEMATHESIS_HOOKS=contract_tests.checks``).

The contract's data is read from the schema schemathesis tests against
(``case.operation.schema.raw_schema``), so the checks follow the spec under test.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import schemathesis

from .contract import Contract, load
from .rules import RULES, Answer, Rule

_CONTRACTS: dict[int, tuple[Any, Contract]] = {}


def _contract_of(case: Any) -> Contract:
    schema = case.operation.schema
    cached = _CONTRACTS.get(id(schema))
    if cached is None or cached[0] is not schema:
        cached = _CONTRACTS[id(schema)] = (schema, load(schema.raw_schema))
    return cached[1]


def answer_of(response: Any, case: Any) -> Answer:
    """A schemathesis Response as the rules see it."""
    headers = {name.lower(): ", ".join(values) for name, values in response.headers.items()}
    path = urlsplit(response.request.url).path
    return Answer(case.method, path, response.status_code, headers, response.content or b"")


def _register(rule: Rule) -> None:
    def check(ctx: Any, response: Any, case: Any) -> bool | None:
        problem = rule.check(_contract_of(case), answer_of(response, case))
        if problem is not None:
            raise AssertionError(f"[{rule.id}] {rule.title}: {problem}")
        return None

    check.__name__ = check.__qualname__ = rule.id
    check.__doc__ = rule.title
    schemathesis.check(check)


for _rule in RULES:
    _register(_rule)

CHECK_NAMES = tuple(rule.id for rule in RULES)
