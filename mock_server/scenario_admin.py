"""`GET /__admin/scenarios` and `POST /__admin/scenario/{name}` (access checks: admin.py).

A switch builds the scenario off the event loop (a large recipe takes a while),
then swaps the contacts in one step on it: requests see the old data or the new,
never a mix. Tokens, the request journal and the options stay as they were.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from .errors import FieldError, FixtureError, NotFound, ValidationFailed
from .scenarios import ScenarioError, Scenarios, UnknownScenario, scenario_seed, summary, switch

if TYPE_CHECKING:
    from .state import MockState


def _state(request: Request) -> MockState:
    state: MockState = request.app.state.mock
    return state


async def list_scenarios(request: Request) -> Response:
    state = _state(request)
    try:
        files = Scenarios(state.options.scenarios_dir).files()
    except ScenarioError as error:  # the user folder went away or holds a badly named file
        raise ValidationFailed(str(error), details=[FieldError("scenarios", str(error))]) from None
    rows = [scenario.describe() for scenario in files.values()]
    return JSONResponse({"current": state.scenario, "scenarios": rows})


async def switch_scenario(request: Request) -> Response:
    state = _state(request)
    name = request.path_params["name"]
    try:
        seed = await run_in_threadpool(scenario_seed, state, name)
    except UnknownScenario as error:
        raise NotFound(f"Unknown scenario: {error}.") from None
    except FixtureError as error:  # a ScenarioError, or a record of the file that breaks the spec
        raise ValidationFailed(
            f"Scenario {name!r} cannot be loaded: {error}", details=[FieldError("name", str(error))]
        ) from None
    switch(state, name, seed)
    return JSONResponse(summary(state))
