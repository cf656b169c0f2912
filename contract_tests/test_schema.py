"""Schema-driven checks: schemathesis over every operation, all phases, all fitting checks.

Catches shape-level faults (status codes, content types, headers, response
schemas, acceptance of valid and rejection of invalid input, ignored auth,
server errors); the behavioural invariants live in the other test files.
"""

from __future__ import annotations

import copy
import secrets
import unicodedata
from typing import Any

import schemathesis
from schemathesis.config import SchemathesisConfig
from schemathesis.specs.openapi.checks import ignored_auth

from . import checks  # noqa: F401  (registers the contract's rules as schemathesis checks)
from .cases import call, send_everything_through
from .conftest import Run, current_run

# examples per operation, by profile
BUDGETS = {"quick": {"max-examples": 25}, "thorough": {"max-examples": 300}}

# Characters where definitions of "white space" and "text" disagree between
# languages (U+001C..U+001F and U+0085 are white space to Python only, U+FEFF to
# JavaScript only...). The contract's trimming rule is ambiguous on them, so no
# generated name contains them: a correct server must never be flagged.
_AMBIGUOUS = {"\x85", "\u180e", "\u200b", "\ufeff"}


def _ambiguous(text: Any) -> bool:
    return isinstance(text, str) and any(
        c in _AMBIGUOUS or (unicodedata.category(c) in ("Cc", "Cf", "Cs") and c not in "\t\n\r") for c in text
    )


def generation_view(document: dict[str, Any], *, live: bool) -> dict[str, Any]:
    """The spec as the suite generates from it (the contract itself is unchanged).

    - Email keeps `format: email` and its length, not the mock's ASCII pattern:
      validators differ at the edges, and the contract says only "a valid address".
    - On a live target the documented example id is replaced by a random one, so
      no example request can touch a real contact.
    """
    view = copy.deepcopy(document)
    view["components"]["schemas"]["Email"].pop("pattern", None)
    if live:
        random_id = "cont_" + secrets.token_hex(16)
        view["components"]["parameters"]["ContactIdPath"]["example"] = random_id
        for name in ("ContactId",):
            view["components"]["schemas"][name]["examples"] = [random_id]
    return view


def build_schema(run: Run) -> Any:
    target = run.get_target()
    budget = BUDGETS[run.settings.profile]
    config: dict[str, Any] = {
        "generation": {
            "mode": "all",
            "max-examples": budget["max-examples"],
            "allow-x00": False,
            "database": "none" if run.settings.live else ":memory:",
        },
        "phases": {
            "examples": {"enabled": True},
            "coverage": {"enabled": True},
            "fuzzing": {"enabled": True},
            # The link-driven stateful phase is off: it replays Hypothesis runs against a server whose
            # ids change (a false alarm, FlakyStrategyDefinition) and caught no planted bug that the
            # model-based machine of test_stateful.py does not (docs/trust.md).
            "stateful": {"enabled": False},
        },
        # Every built-in check and the contract's rules (checks.py, by their ids);
        # max_response_time stays off (speed is not the contract).
        "checks": {"enabled": True},
        "headers": {"Authorization": f"Bearer {target.token}"},
        "request-timeout": run.settings.timeout,
    }
    if run.rate_limit:  # this process's share (pytest-xdist workers split the rate)
        config["rate-limit"] = f"{run.rate_limit:g}/s"
    if run.settings.live:
        config["base-url"] = target.base_url
    schema = schemathesis.openapi.from_dict(
        generation_view(run.document, live=run.settings.live), config=SchemathesisConfig.from_dict(config)
    )
    if target.app is not None:
        schema.app = target.app
    else:  # over the network, schemathesis's own probes (ignored_auth) go through the suite's client too
        schema = send_everything_through(schema, run.case_session)

    @schema.hook("filter_body")
    def _no_ambiguous_names(context: Any, body: Any) -> bool:
        if not isinstance(body, dict):
            return True
        return not any(_ambiguous(body.get(name)) for name in ("first_name", "last_name"))

    return schema.include(method="GET") if run.settings.read_only else schema


# Built at import: schemathesis's lazy `from_fixture` loader does not support pytest 9.
RUN = current_run()
schema = build_schema(RUN)


def _record(run: Run, case: Any, response: Any) -> None:
    request = response.request
    path = request.url.split("?", 1)[0]
    path = "/" + path.split("://", 1)[-1].split("/", 1)[-1]
    query = case.query or {}
    run.coverage.record(case.method, path, response.status_code, query.keys())
    body = response.content if isinstance(response.content, bytes) else b""
    credentials = {k: v for k, v in request.headers.items() if k.lower() in ("authorization", "cookie")}
    run.ledger.observe_raw(case.method.upper(), path, response.status_code, body, credentials)


# Operations whose authentication schemathesis's `ignored_auth` has confirmed in this process.
_AUTH_ENFORCED: set[str] = set()


def ignored_auth_once_per_operation(ctx: Any, response: Any, case: Any) -> bool | None:
    """schemathesis's `ignored_auth`, confirming each operation once per process, as its own engine does.

    Called from a test, the check gets no memory of confirmed operations and re-sends
    its probes (no credentials, then invalid ones for each scheme: three requests)
    after every successful case: a third of the schema phases' requests. Enforcement
    is a property of the operation; test_security.py tries every operation with every
    kind of bad credential besides.
    """
    ctx.auth_enforced_operations = _AUTH_ENFORCED
    return ignored_auth(ctx, response, case)


@schema.parametrize()  # type: ignore[untyped-decorator]
def test_operation_conforms_to_the_spec(case: Any, run: Run) -> None:
    response = call(case, run.case_session())  # through the suite's client: rate limit, deadline, stats
    _record(run, case, response)
    case.validate_response(
        response, excluded_checks=[ignored_auth], additional_checks=[ignored_auth_once_per_operation]
    )
