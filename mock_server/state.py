"""`MockState`: everything a running mock holds. The bottom of the app's layers.

Endpoints, the admin API, `--reload` and the testing helpers read and change a
`MockState`; none of them needs the app (app.py) to do it.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field

from .auth import TokenRegistry
from .fixtures import DEFAULT_FIXTURES_PATH, Seed, load_fixtures
from .handlers import HANDLERS, Handler
from .journal import Journal
from .options import MockOptions
from .spec import DEFAULT_SPEC_PATH, Spec, load_spec
from .store import OrganizationFactory, Store


@dataclass
class MockState:
    """Everything a running mock holds; tests and the CLI build it, the app serves it."""

    spec: Spec
    store: Store
    tokens: TokenRegistry
    options: MockOptions = field(default_factory=MockOptions)
    seed: Seed | None = None
    journal: Journal = field(default_factory=Journal)
    started: float = field(default_factory=time.monotonic)
    violations: int = 0  # responses that broke the spec (--validate-responses)
    # operationId -> handler; this app's own table (modifiers.WrapHandler changes it, no global)
    handlers: dict[str, Handler] = field(default_factory=lambda: dict(HANDLERS))
    fixtures: Seed | None = None  # what --fixtures loaded; scenarios build on it (scenarios.py)
    scenario: str = "default"  # the scenario `seed` holds; reset returns to it

    @classmethod
    def seeded(
        cls,
        spec: Spec,
        seed: Seed | None,
        extra_tokens: Mapping[str, str] | None = None,
        options: MockOptions | None = None,
        organization_factory: OrganizationFactory | None = None,
    ) -> MockState:
        """A state with `seed`'s contacts and tokens, plus `extra_tokens` (token → organization)."""
        options = options or MockOptions()
        tokens = TokenRegistry({**(seed.tokens if seed else {}), **(extra_tokens or {})})
        store = Store(organization_factory=organization_factory)
        state = cls(spec, store, tokens, options, seed, Journal(options.journal_size), fixtures=seed)
        state.reset()
        return state

    @classmethod
    def default(cls) -> MockState:
        """The mock as `contacts-mock` serves it: the packaged spec and seed fixtures."""
        spec = load_spec(DEFAULT_SPEC_PATH)
        return cls.seeded(spec, load_fixtures(DEFAULT_FIXTURES_PATH, spec))

    def reset(self) -> None:
        """Back to the seed (the current scenario's data); every token's organization exists."""
        self.store.load(self.seed.contacts if self.seed else {}, keep=self.tokens.organizations())
