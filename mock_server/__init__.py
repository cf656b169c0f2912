"""An in-memory, stateful reference mock of the CRM Contacts API, driven by openapi.yaml.

`create_app()` is the mock as an ASGI app (the packaged spec and seed unless
given a `MockState`); `mock_server.testing.serve()` runs it for tests.
"""

from .app import create_app
from .errors import ApiError, FixtureError, MockServerError, SpecError
from .fixtures import DEFAULT_FIXTURES_PATH, load_fixtures
from .spec import DEFAULT_SPEC_PATH, load_spec
from .state import MockState

__all__ = [
    "DEFAULT_FIXTURES_PATH",
    "DEFAULT_SPEC_PATH",
    "ApiError",
    "FixtureError",
    "MockServerError",
    "MockState",
    "SpecError",
    "create_app",
    "load_fixtures",
    "load_spec",
]
