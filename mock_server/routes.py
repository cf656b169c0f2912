"""The mock's route table, as a declared list: one endpoint per spec path, then
the admin API under /__admin, the docs and the spec itself.

Built from a `MockState` alone, so `--reload` can rebuild it for a new spec.
"""

from __future__ import annotations

from starlette.routing import BaseRoute, Route

from .admin import admin_routes
from .docs import docs_routes
from .endpoint import OperationsEndpoint
from .errors import SpecError
from .state import MockState


def api_routes(state: MockState) -> list[BaseRoute]:
    """One endpoint per path of the spec; every operation must have a handler."""
    for op in state.spec.operations:
        if op.operation_id not in state.handlers:
            raise SpecError(f"the spec's operation {op.operation_id!r} has no handler")
    return [Route(path, endpoint=OperationsEndpoint(state, ops)) for path, ops in state.spec.by_path.items()]


def all_routes(state: MockState) -> list[BaseRoute]:
    """Everything the mock serves, in matching order."""
    routes = [*api_routes(state), *admin_routes()]
    if state.spec.source is not None:
        routes += docs_routes(state.spec.source)
    return routes
