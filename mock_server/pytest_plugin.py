"""pytest plugin (entry point ``pytest11``): the ``contacts_mock`` fixture.

```python
@pytest.mark.contacts_mock(tokens={"t": "org_x"}, mode="subprocess")
def test_something(contacts_mock):
    httpx.get(contacts_mock.url + "/api/v1/crm/contacts", headers={"Authorization": "Bearer t"})
```

The marker takes the keyword arguments of :func:`mock_server.testing.serve`;
without it, the seeded mock runs in a thread on a free port. One mock per test.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from .testing import RunningMock


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "contacts_mock(**kwargs): how the contacts_mock fixture serves the mock "
        "(the keyword arguments of mock_server.testing.serve)",
    )


@pytest.fixture
def contacts_mock(request: pytest.FixtureRequest) -> Iterator[RunningMock]:
    """The Contacts API mock, serving for the duration of the test (see the marker)."""
    from .testing import serve  # imported on use: the plugin loads in every pytest run

    marker = request.node.get_closest_marker("contacts_mock")
    if marker is not None and marker.args:
        raise pytest.UsageError("@pytest.mark.contacts_mock takes keyword arguments only")
    with serve(**(marker.kwargs if marker else {})) as mock:
        yield mock
