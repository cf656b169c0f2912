"""Fixtures of the mock's unit tests: the spec and seed once per session, a fresh app per test."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

import pytest
from mockkit import Api

from mock_server import DEFAULT_FIXTURES_PATH, MockState, create_app, load_fixtures, load_spec
from mock_server.fixtures import Seed
from mock_server.spec import Spec


@pytest.fixture(scope="session")
def spec() -> Spec:
    return load_spec()


@pytest.fixture(scope="session")
def seed(spec: Spec) -> Seed:
    # Contacts are frozen and MockState.seeded copies them into a new store: safe to share.
    return load_fixtures(DEFAULT_FIXTURES_PATH, spec)


@pytest.fixture(scope="session")
def seed_json() -> dict[str, Any]:
    """The shipped fixture file as raw JSON (tests copy it before changing anything)."""
    raw: dict[str, Any] = json.loads(DEFAULT_FIXTURES_PATH.read_text(encoding="utf-8"))
    return raw


@pytest.fixture
def make_api(spec: Spec, seed: Seed) -> Callable[..., Api]:
    def make(*, seeded: bool = True, tokens: Mapping[str, str] | None = None) -> Api:
        state = MockState.seeded(spec, seed if seeded else None, dict(tokens or {}))
        return Api(create_app(state))

    return make


@pytest.fixture
def api(make_api: Callable[..., Api]) -> Api:
    """The mock seeded with the shipped fixtures (org A: 40 contacts, org B: 8)."""
    return make_api()
