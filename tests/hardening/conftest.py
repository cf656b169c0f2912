"""One mock process per test module, on a free loopback port, stopped when the module ends."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from .support import ServedMock, serve_mock


@pytest.fixture(scope="module")
def mock(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServedMock]:
    log_path = tmp_path_factory.mktemp("mock") / f"{request.module.__name__.rsplit('.', 1)[-1]}.log"
    with serve_mock(log_path) as served:
        yield served


@pytest.fixture(scope="module")
def client(mock: ServedMock) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=mock.url, timeout=15.0) as http:
        yield http
