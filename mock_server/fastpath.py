"""The fast path: the spec's API paths routed straight to their endpoints, past Starlette.

The mock is one Starlette app (docs, admin, `/`), but a request to one of the
contract's paths never meets Starlette's router, request object or exception
middleware: `ApiDispatch`, the innermost layer under the mock's own middleware
(access log and journal, CORS, latency and error injection), looks the path up
in `ApiRoutes` (a dict for fixed paths, one anchored regex per templated path)
and calls the path's `endpoint.OperationsEndpoint`, plain ASGI. Every other
path goes on to Starlette as before. Behaviour is the same either way; only the
cost per request differs (about half of it, see docs/performance.md).

`ApiRoutes.load()` swaps the table in place, so `--reload` takes effect on the
next request.
"""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING

from starlette.types import ASGIApp, Receive, Scope, Send

from .endpoint import Answer, OperationsEndpoint
from .errors import ApiError, SpecError

if TYPE_CHECKING:
    from .state import MockState

logger = logging.getLogger("mock_server")

_PARAM = re.compile(r"{([^{}/]+)}")


def path_pattern(template: str) -> re.Pattern[str]:
    """`/contacts/{id}` -> a regex with one named group per parameter (a segment: no `/`)."""
    parts, end = ["^"], 0
    for match in _PARAM.finditer(template):
        parts += [re.escape(template[end : match.start()]), f"(?P<{match.group(1)}>[^/]+)"]
        end = match.end()
    parts += [re.escape(template[end:]), "$"]
    return re.compile("".join(parts))


class ApiRoutes:
    """The spec's paths -> their endpoints; every operation must have a handler."""

    def __init__(self, state: MockState) -> None:
        self.fixed: dict[str, OperationsEndpoint]  # both set by load()
        self.templated: list[tuple[re.Pattern[str], OperationsEndpoint]]
        self.load(state)

    def load(self, state: MockState) -> None:
        for op in state.spec.operations:
            if op.operation_id not in state.handlers:
                raise SpecError(f"the spec's operation {op.operation_id!r} has no handler")
        fixed, templated = {}, []
        for path, operations in state.spec.by_path.items():
            endpoint = OperationsEndpoint(state, operations)
            if _PARAM.search(path):
                templated.append((path_pattern(path), endpoint))
            else:
                fixed[path] = endpoint
        self.fixed, self.templated = fixed, templated

    def match(self, path: str) -> tuple[OperationsEndpoint, dict[str, str]] | None:
        endpoint = self.fixed.get(path)
        if endpoint is not None:
            return endpoint, {}
        for pattern, endpoint in self.templated:
            found = pattern.match(path)
            if found is not None:
                return endpoint, found.groupdict()
        return None


class ApiDispatch:
    """ASGI: API paths to their endpoint, anything else to `other` (Starlette's router)."""

    def __init__(self, routes: ApiRoutes, other: ASGIApp) -> None:
        self.routes = routes
        self.other = other

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            found = self.routes.match(scope["path"])
            if found is not None:
                endpoint, scope["path_params"] = found
                await answering_bugs(endpoint, scope, receive, send)
                return
        await self.other(scope, receive, send)


async def answering_bugs(endpoint: OperationsEndpoint, scope: Scope, receive: Receive, send: Send) -> None:
    """The endpoint; an exception escaping it is a bug in the mock, never the client's fault.

    It is still answered in the contract's shape (a 500), then re-raised, so the server logs
    it too (as Starlette's error middleware does).
    """
    try:
        await endpoint(scope, receive, send)
    except Exception:
        logger.exception("unhandled error on %s %s", scope["method"], scope["path"])
        await Answer.of_error(ApiError("Internal error in the mock server.")).send(send)
        raise
