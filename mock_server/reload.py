"""`--reload`: pick up edits to openapi.yaml and the fixtures without a restart.

The current contacts are kept when they still fit the new spec's Contact
schema; otherwise the mock starts over from the (new) fixtures. A spec or
fixture file that does not load is reported and the running mock is kept.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

from .auth import TokenRegistry
from .errors import MockServerError
from .fixtures import load_fixtures, parse_fixtures
from .periodic import Periodic
from .scenarios import scenario_seed
from .spec import load_spec
from .state import MockState

logger = logging.getLogger("mock_server")

POLL_SECONDS = 0.5


def _mtime(path: Path | None) -> float:
    try:
        return path.stat().st_mtime_ns if path else 0.0
    except OSError:
        return 0.0


class Watcher:
    """Polls the spec and fixture files of `state`; on a change, reloads them into `state`
    and calls `on_reload(state)` (the app rebuilds its routes there)."""

    def __init__(self, state: MockState, on_reload: Callable[[MockState], None]) -> None:
        self.state = state
        self.on_reload = on_reload
        self.paths = [p for p in (state.spec.source, state.options.fixtures_path) if p is not None]
        self.seen = {p: _mtime(p) for p in self.paths}
        self._periodic = Periodic(POLL_SECONDS, self._tick)
        self.reloads = 0

    def changed(self) -> bool:
        now = {p: _mtime(p) for p in self.paths}
        changed = now != self.seen
        self.seen = now
        return changed

    def reload(self) -> None:
        state = self.state
        try:
            spec = load_spec(state.spec.source) if state.spec.source else state.spec
            fixtures = state.options.fixtures_path
            seed = load_fixtures(fixtures, spec) if fixtures else state.seed
        except MockServerError as error:
            logger.error("contacts-mock: reload skipped, keeping the running mock: %s", error)
            return
        try:
            parse_fixtures(state.store.snapshot(), spec, source="current state", allow_tokens=False)
            kept = True
        except MockServerError as error:
            logger.warning("contacts-mock: the current contacts no longer fit the spec (%s); reset", error)
            kept = False
        state.spec, state.seed = spec, seed
        # Tokens are rebuilt, so one removed from the fixtures stops working.
        tokens = TokenRegistry({**(seed.tokens if seed else {}), **state.options.extra_tokens})
        state.tokens = tokens
        state.fixtures = seed
        if state.scenario != "default":  # reset keeps returning to the scenario, rebuilt on the new data
            try:
                state.seed = scenario_seed(state, state.scenario)
            except MockServerError as error:
                logger.error(
                    "contacts-mock: scenario %s no longer loads, back to default: %s", state.scenario, error
                )
                state.scenario = "default"
        if not kept:
            state.reset()
        self.on_reload(state)
        self.reloads += 1
        logger.info(
            "contacts-mock: reloaded %s (%s)",
            ", ".join(map(str, self.paths)),
            "state kept" if kept else "state reset",
        )

    async def _tick(self) -> None:
        if self.changed():
            self.reload()

    def start(self) -> None:
        self._periodic.start()

    async def stop(self) -> None:
        await self._periodic.stop()
