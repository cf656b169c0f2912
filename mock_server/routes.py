"""The mock's Starlette route table, as a declared list: the admin API under /__admin,
the docs and the spec itself.

The contract's own paths are not in it: fastpath.py routes them (`ApiRoutes`,
one endpoint per spec path) before Starlette is reached. Built from a
`MockState` alone, so `--reload` can rebuild it for a new spec.
"""

from __future__ import annotations

from starlette.routing import BaseRoute

from .admin import admin_routes
from .docs import docs_routes
from .state import MockState


def all_routes(state: MockState) -> list[BaseRoute]:
    """Everything Starlette serves, in matching order."""
    routes: list[BaseRoute] = [*admin_routes()]
    if state.spec.source is not None:
        routes += docs_routes(state.spec.source)
    return routes
