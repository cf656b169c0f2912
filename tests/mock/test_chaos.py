"""ChaosMiddleware: --latency holds API responses, --error-rate answers some with --error-status."""

from __future__ import annotations

import random
from typing import Any

import pytest
from devkit import AUTH_A, build, call, timed
from mockkit import COLLECTION, DOCUMENTED_ID, JSON, Api, assert_error, item
from starlette.applications import Starlette

from mock_server import MockState, create_app
from mock_server.fixtures import Seed
from mock_server.middleware import ChaosMiddleware
from mock_server.spec import Spec

ORIGIN = "http://localhost:5173"


class RecordingRandom(random.Random):
    """A seeded Random that remembers the latencies and draws it gave."""

    def __init__(self, seed: int) -> None:
        super().__init__(seed)
        self.latencies: list[float] = []
        self.draws = 0  # error draws: random() calls outside uniform()
        self._in_uniform = False

    def uniform(self, a: float, b: float) -> float:
        self._in_uniform = True
        try:
            value = super().uniform(a, b)
        finally:
            self._in_uniform = False
        self.latencies.append(value)
        return value

    def random(self) -> float:
        if not self._in_uniform:
            self.draws += 1
        return super().random()


@pytest.fixture
def app(spec: Spec, seed: Seed) -> Starlette:
    return create_app(MockState.seeded(spec, seed))


def chaos(app: Starlette, **kwargs: Any) -> ChaosMiddleware:
    settings: dict[str, Any] = {"latency_ms": None, "error_rate": 0.0, "error_status": 503}
    settings.update(kwargs)
    return ChaosMiddleware(app, **settings)


def test_latency_range_is_respected(app: Starlette) -> None:
    rng = RecordingRandom(7)
    wrapped = chaos(app, latency_ms=(20, 60), rng=rng)
    for _ in range(6):
        response, elapsed = timed(wrapped, "GET", COLLECTION, headers=AUTH_A)
        assert response.status_code == 200
        assert elapsed >= rng.latencies[-1] / 1000
    expected = random.Random(7)
    assert rng.latencies == [expected.uniform(20, 60) for _ in range(6)]  # the seed decides
    assert all(20 <= latency <= 60 for latency in rng.latencies)
    assert len(set(rng.latencies)) == 6  # a range, not one value
    assert rng.draws == 0  # no error rate: no error draw


def test_fixed_latency_from_the_options(spec: Spec, seed: Seed) -> None:
    api = build(spec, seed, latency_ms=(120, 120))
    response, elapsed = timed(api.app, "GET", item(DOCUMENTED_ID), headers=AUTH_A)
    assert response.status_code == 200
    assert elapsed >= 0.12


@pytest.mark.parametrize(
    ("status", "code"),
    [(503, "service_unavailable"), (500, "internal_server_error"), (429, "too_many_requests")],
)
def test_error_rate_one_always_answers_the_error_status(app: Starlette, status: int, code: str) -> None:
    wrapped = chaos(app, error_rate=1.0, error_status=status, rng=random.Random(1))
    for method, path in [("GET", COLLECTION), ("GET", item(DOCUMENTED_ID)), ("DELETE", item(DOCUMENTED_ID))]:
        response = call(wrapped, method, path, headers=AUTH_A)
        error = assert_error(response, status, code)
        assert error["message"] == "Injected by the mock (--error-rate 1)."
        assert response.headers["retry-after"] == "1"


def test_error_rate_from_the_options(spec: Spec, seed: Seed) -> None:
    api = build(spec, seed, error_rate=1.0, error_status=502)
    response = api.get(COLLECTION)
    assert_error(response, 502, "bad_gateway")
    assert response.headers["retry-after"] == "1"


def test_error_rate_zero_never_fails(app: Starlette) -> None:
    rng = RecordingRandom(3)
    wrapped = chaos(app, error_rate=0.0, rng=rng)
    statuses = {call(wrapped, "GET", COLLECTION, headers=AUTH_A).status_code for _ in range(40)}
    assert statuses == {200}
    assert rng.draws == 0


def test_a_partial_error_rate_follows_the_seed(app: Starlette) -> None:
    wrapped = chaos(app, error_rate=0.3, rng=random.Random(11))
    statuses = [call(wrapped, "GET", COLLECTION, headers=AUTH_A).status_code for _ in range(40)]
    expected_rng = random.Random(11)
    expected = [503 if expected_rng.random() < 0.3 else 200 for _ in range(40)]
    assert statuses == expected
    assert 0 < statuses.count(503) < 40


def test_injected_errors_never_change_the_store(spec: Spec, seed: Seed) -> None:
    api = build(spec, seed, error_rate=1.0)
    snapshot, version = api.store.snapshot(), api.store.version
    writes = [
        ("POST", COLLECTION, {"json": {"first_name": "Emily", "last_name": "Carter"}}),
        ("PATCH", item(DOCUMENTED_ID), {"json": {"first_name": "Changed"}}),
        ("DELETE", item(DOCUMENTED_ID), {}),
    ]
    for method, path, kwargs in writes:
        response = call(api.app, method, path, headers={**AUTH_A, **JSON}, **kwargs)
        assert response.status_code == 503
    assert api.store.version == version
    assert api.store.snapshot() == snapshot


def test_injected_errors_are_journaled(spec: Spec, seed: Seed) -> None:
    api = build(spec, seed, error_rate=1.0)
    api.get(COLLECTION)
    entries = api.get("/__admin/requests", token=None).json()["requests"]
    assert [(e["method"], e["status"]) for e in entries] == [("GET", 503)]


@pytest.mark.parametrize("path", ["/__admin/health", "/__admin/requests", "/openapi.json", "/docs"])
def test_non_api_paths_are_unaffected(spec: Spec, seed: Seed, path: str) -> None:
    api = build(spec, seed, error_rate=1.0, latency_ms=(800, 800))
    response, elapsed = timed(api.app, "GET", path)
    assert response.status_code == 200
    assert elapsed < 0.6


def test_middleware_alone_leaves_non_api_paths_alone(app: Starlette) -> None:
    rng = RecordingRandom(5)
    wrapped = chaos(app, error_rate=1.0, latency_ms=(800, 800), rng=rng)
    response, elapsed = timed(wrapped, "GET", "/__admin/health")
    assert response.status_code == 200 and elapsed < 0.6
    assert rng.latencies == [] and rng.draws == 0


def test_injected_errors_reach_browsers(spec: Spec, seed: Seed) -> None:
    """CORS wraps the chaos: a browser app can read the injected error and its Retry-After."""
    api = build(spec, seed, error_rate=1.0)
    response = api.get(COLLECTION, headers={"Origin": ORIGIN})
    assert response.status_code == 503
    assert response.headers["access-control-allow-origin"] == ORIGIN
    assert "Retry-After" in response.headers["access-control-expose-headers"]


def test_preflight_is_never_failed(spec: Spec, seed: Seed) -> None:
    api = build(spec, seed, error_rate=1.0)
    response = api.request(
        "OPTIONS",
        COLLECTION,
        token=None,
        headers={"Origin": ORIGIN, "Access-Control-Request-Method": "POST"},
    )
    assert response.status_code == 200


def test_chaos_is_off_by_default(api: Api) -> None:
    assert all(api.get(COLLECTION).status_code == 200 for _ in range(20))
